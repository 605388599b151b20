//! Staff JSON routes for organizations, clients and competitors. Scheduling staff and admins
//! only: these hold no personal data, but shape who may take which job.

use crate::ids::{ClientId, ProjectId, ShopperId};
use actix_web::{HttpResponse, web};

use serde::Deserialize;

use super::csv_import::ImportReport;
use super::model::{
    ClientView, JobInput, JobRow, Location, LocationInput, MergeOrganizationRequest,
    NewOrganizationRequest, OrganizationRef, ProjectInput, ProjectRow,
};
use super::service;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppResult, Problem};
use crate::geocode::Geocoder;
use crate::http::{ApiJson, CsvText};
use crate::organizations::Organization;
use crate::paging::{PageQuery, PageRequest, Paged};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/organizations", list_organizations)
        .post("/organizations", create_organization)
        .post("/organizations/{id}/merge", merge_organization)
        .get("/clients", list_clients)
        .post("/clients", create_client)
        .get("/clients/{id}", get_client)
        .post("/clients/{id}/competitors", add_competitor)
        .get("/locations", list_locations)
        .post("/locations", create_location)
        .post("/locations/import", import_locations)
        .get("/projects", list_projects)
        .post("/projects", create_project)
        .get("/jobs", list_jobs)
        .post("/jobs", create_job)
        .post("/jobs/import", import_jobs)
        .post("/shoppers/{id}/disqualifications", disqualify);
}

fn created_or_found<T: serde::Serialize>(created: bool, body: T) -> HttpResponse {
    if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// Every organization the panel knows, by name.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "clients", params(PageQuery),
    responses((status = 200, body = Paged<Organization>)),
    security(("bearer" = [])))]
pub async fn list_organizations(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let page = query.checked()?;
    let list = state
        .db
        .run(move |conn| Ok(crate::organizations::store::list_organizations(conn, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Add an organization. 201 when new; 200 with the existing one when its normalised name is
/// known already ("ACME, Inc." is "Acme").
#[utoipa::path(post, path = "/api/v1/organizations", tag = "clients", request_body = NewOrganizationRequest,
    responses((status = 201, body = Organization), (status = 200, body = Organization)),
    security(("bearer" = [])))]
pub async fn create_organization(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<NewOrganizationRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let request = body.into_inner()?;
    let (organization, created) = state
        .db
        .run(move |conn| {
            service::create_organization(conn, &request.name, request.friendly_competitor, now)
        })
        .await?;
    Ok(created_or_found(created, organization))
}

/// Merge an organization entered twice into the one it is the same company as (`same_as`
/// on the list names it): `{"into": N}`. The one kept takes over the client, competitor
/// entries, shoppers' affiliations and friendly-competitor mark; the other is deleted.
/// 409 when both are clients.
#[utoipa::path(post, path = "/api/v1/organizations/{id}/merge", tag = "clients",
    params(("id" = i64, Path, description = "The organization entered twice, which goes")),
    request_body = MergeOrganizationRequest,
    responses((status = 200, body = Organization),
        (status = 409, description = "Both are clients", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn merge_organization(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    body: ApiJson<MergeOrganizationRequest>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let from = path.into_inner();
    let request = body.into_inner()?;
    let kept = state
        .db
        .run(move |conn| service::merge_organizations(conn, from, request.into))
        .await?;
    Ok(HttpResponse::Ok().json(kept))
}

/// Every client with its competitors.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients", params(PageQuery),
    responses((status = 200, body = Paged<ClientView>)),
    security(("bearer" = [])))]
pub async fn list_clients(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let page = query.checked()?;
    let list = state
        .db
        .run(move |conn| service::page_of_clients(conn, page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Make an organization a client: `{"name": "…"}` or `{"organization_id": N}`. 201 when new,
/// 200 when it is a client already.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = OrganizationRef,
    responses((status = 201, body = ClientView), (status = 200, body = ClientView)),
    security(("bearer" = [])))]
pub async fn create_client(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<OrganizationRef>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let named = body.into_inner()?;
    let (client, created) = state
        .db
        .run(move |conn| service::create_client(conn, &named, now))
        .await?;
    Ok(created_or_found(created, client))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = i64, Path, description = "The client's id")),
    responses((status = 200, body = ClientView)),
    security(("bearer" = [])))]
pub async fn get_client(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ClientId>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let id = path.into_inner();
    let client = state
        .db
        .run(move |conn| service::client_view(conn, id))
        .await?;
    Ok(HttpResponse::Ok().json(client))
}

/// Name a competitor of the client: `{"name": "…"}` or `{"organization_id": N}`. Shoppers
/// affiliated with it are in conflict for this client's jobs.
#[utoipa::path(post, path = "/api/v1/clients/{id}/competitors", tag = "clients", request_body = OrganizationRef,
    params(("id" = i64, Path, description = "The client's id")),
    responses((status = 200, body = ClientView)),
    security(("bearer" = [])))]
pub async fn add_competitor(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ClientId>,
    body: ApiJson<OrganizationRef>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let id = path.into_inner();
    let named = body.into_inner()?;
    let client = state
        .db
        .run(move |conn| service::add_competitor(conn, id, &named, now))
        .await?;
    Ok(HttpResponse::Ok().json(client))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ClientQuery {
    /// The client.
    pub client_id: ClientId,
    /// The page, from 1 (default 1).
    pub page: Option<i64>,
    /// Items a page, 1–100 (default 50).
    pub per_page: Option<i64>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProjectQuery {
    /// The project.
    pub project_id: ProjectId,
    /// The page, from 1 (default 1).
    pub page: Option<i64>,
    /// Items a page, 1–100 (default 50).
    pub per_page: Option<i64>,
}

/// A client's stores.
#[utoipa::path(get, path = "/api/v1/locations", tag = "clients", params(ClientQuery),
    responses((status = 200, body = Paged<Location>)),
    security(("bearer" = [])))]
pub async fn list_locations(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: Result<web::Query<ClientQuery>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    // Who may ask comes before what was asked.
    let query = query?;
    let client_id = query.client_id;
    let page = PageRequest::parse(query.page, query.per_page)?;
    let list = state
        .db
        .run(move |conn| Ok(super::store::page_of_locations(conn, client_id, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Add one store. Its coordinates are the ZIP code's centre unless given; 409 when the client
/// has a store with this code (a CSV import updates instead).
#[utoipa::path(post, path = "/api/v1/locations", tag = "clients", request_body = LocationInput,
    responses((status = 201, body = Location),
        (status = 409, description = "The client has a store with this code already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_location(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<LocationInput>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let input = body.into_inner()?;
    let geocoder = Geocoder::from_settings(&state.settings);
    let location = service::create_location(&state.db, geocoder, input, now).await?;
    Ok(HttpResponse::Created().json(location))
}

/// Import a client's stores from CSV (`Content-Type: text/csv`): header
/// `code,name,street,city,state,zip[,latitude,longitude]`. Good rows are imported (a known code
/// is updated), each bad row is reported with its line, field and reason.
#[utoipa::path(post, path = "/api/v1/locations/import", tag = "clients", params(ClientQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport),
        (status = 422, description = "Bad header, no rows, or unknown client", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn import_locations(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: Result<web::Query<ClientQuery>, actix_web::Error>,
    body: CsvText,
) -> actix_web::Result<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    // Who may ask comes before what was asked.
    let query = query?;
    let client_id = query.client_id;
    let text = body.into_inner()?;
    let geocoder = Geocoder::from_settings(&state.settings);
    let report = service::import_locations(&state.db, geocoder, client_id, text, now).await?;
    Ok(HttpResponse::Ok().json(report))
}

/// A client's projects.
#[utoipa::path(get, path = "/api/v1/projects", tag = "clients", params(ClientQuery),
    responses((status = 200, body = Paged<ProjectRow>)),
    security(("bearer" = [])))]
pub async fn list_projects(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: Result<web::Query<ClientQuery>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    // Who may ask comes before what was asked.
    let query = query?;
    let client_id = query.client_id;
    let page = PageRequest::parse(query.page, query.per_page)?;
    let list = state
        .db
        .run(move |conn| Ok(super::store::list_projects(conn, client_id, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Add a client's programme: requirements, rotation, fee, reimbursement cap.
#[utoipa::path(post, path = "/api/v1/projects", tag = "clients", request_body = ProjectInput,
    responses((status = 201, body = ProjectRow)),
    security(("bearer" = [])))]
pub async fn create_project(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ProjectInput>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    user.require(Role::SCHEDULING)?;
    let input = body.into_inner()?;
    let project = state
        .db
        .run(move |conn| service::create_project(conn, &input, max, now))
        .await?;
    Ok(HttpResponse::Created().json(project))
}

/// A project's jobs.
#[utoipa::path(get, path = "/api/v1/jobs", tag = "clients", params(ProjectQuery),
    responses((status = 200, body = Paged<JobRow>)),
    security(("bearer" = [])))]
pub async fn list_jobs(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: Result<web::Query<ProjectQuery>, actix_web::Error>,
) -> actix_web::Result<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    // Who may ask comes before what was asked.
    let query = query?;
    let project_id = query.project_id;
    let page = PageRequest::parse(query.page, query.per_page)?;
    let list = state
        .db
        .run(move |conn| Ok(super::store::list_jobs(conn, project_id, page)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Add one job: a visit of one of the client's stores in a date window; the fee and cap
/// default to the project's, requirement fields override the project's for this job.
#[utoipa::path(post, path = "/api/v1/jobs", tag = "clients", request_body = JobInput,
    responses((status = 201, body = JobRow),
        (status = 409, description = "The project has a job with this code already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_job(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<JobInput>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    user.require(Role::SCHEDULING)?;
    let input = body.into_inner()?;
    let job = state
        .db
        .run(move |conn| service::create_job(conn, &input, max, now))
        .await?;
    Ok(HttpResponse::Created().json(job))
}

/// Import a project's jobs from CSV (`Content-Type: text/csv`): header
/// `code,location_code,window_start,window_end`, optionally `fee_cents, bonus_cents,
/// reimbursement_cap_cents, max_km, min_age, max_age, vehicle, languages, certifications,
/// min_rating, min_completed` (lists separated by `;`).
#[utoipa::path(post, path = "/api/v1/jobs/import", tag = "clients", params(ProjectQuery),
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportReport)),
    security(("bearer" = [])))]
pub async fn import_jobs(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: Result<web::Query<ProjectQuery>, actix_web::Error>,
    body: CsvText,
) -> actix_web::Result<HttpResponse> {
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    user.require(Role::SCHEDULING)?;
    // Who may ask comes before what was asked.
    let query = query?;
    let project_id = query.project_id;
    let text = body.into_inner()?;
    let report = state
        .db
        .run(move |conn| service::import_jobs(conn, project_id, &text, max, now))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Keep a shopper away from a client's jobs, or one store's, with a reason.
#[utoipa::path(post, path = "/api/v1/shoppers/{id}/disqualifications", tag = "clients",
    params(("id" = i64, Path, description = "The shopper's id")),
    request_body = service::DisqualificationRequest,
    responses((status = 201, description = "Recorded")),
    security(("bearer" = [])))]
pub async fn disqualify(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ShopperId>,
    body: ApiJson<service::DisqualificationRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let id = path.into_inner();
    let request = body.into_inner()?;
    state
        .db
        .run(move |conn| service::disqualify(conn, user.id, id, &request, now))
        .await?;
    Ok(HttpResponse::Created().finish())
}
