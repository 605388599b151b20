//! Staff JSON routes for organizations, clients and competitors. Scheduling staff and admins
//! only: these hold no personal data, but shape who may take which job.

use actix_web::{HttpResponse, web};

use super::model::{ClientView, NewOrganizationRequest, Organization, OrganizationRef};
use super::service;
use crate::app::AppState;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppResult, Problem};
use crate::http::ApiJson;

/// Who runs clients and their work.
pub const STAFF: &[Role] = &[Role::Scheduler, Role::Admin];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/organizations", web::get().to(list_organizations))
        .route("/organizations", web::post().to(create_organization))
        .route("/clients", web::get().to(list_clients))
        .route("/clients", web::post().to(create_client))
        .route("/clients/{id}", web::get().to(get_client))
        .route("/clients/{id}/competitors", web::post().to(add_competitor));
}

fn created_or_found<T: serde::Serialize>(created: bool, body: T) -> HttpResponse {
    if created {
        HttpResponse::Created().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}

/// Every organization the panel knows, by name.
#[utoipa::path(get, path = "/api/v1/organizations", tag = "clients",
    responses((status = 200, body = [Organization]), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_organizations(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(STAFF)?;
    let list = state
        .db
        .run(|conn| Ok(super::store::list_organizations(conn)?))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Add an organization. 201 when new; 200 with the existing one when its normalised name is
/// known already ("ACME, Inc." is "Acme").
#[utoipa::path(post, path = "/api/v1/organizations", tag = "clients", request_body = NewOrganizationRequest,
    responses((status = 201, body = Organization), (status = 200, body = Organization),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_organization(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<NewOrganizationRequest>,
) -> AppResult<HttpResponse> {
    user.require(STAFF)?;
    let request = body.0;
    let (organization, created) = state
        .db
        .run(move |conn| {
            service::create_organization(conn, &request.name, request.friendly_competitor)
        })
        .await?;
    Ok(created_or_found(created, organization))
}

/// Every client with its competitors.
#[utoipa::path(get, path = "/api/v1/clients", tag = "clients",
    responses((status = 200, body = [ClientView]), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn list_clients(
    state: web::Data<AppState>,
    user: CurrentUser,
) -> AppResult<HttpResponse> {
    user.require(STAFF)?;
    let list = state.db.run(service::list_clients).await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Make an organization a client: `{"name": "…"}` or `{"organization_id": N}`. 201 when new,
/// 200 when it is a client already.
#[utoipa::path(post, path = "/api/v1/clients", tag = "clients", request_body = OrganizationRef,
    responses((status = 201, body = ClientView), (status = 200, body = ClientView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn create_client(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<OrganizationRef>,
) -> AppResult<HttpResponse> {
    user.require(STAFF)?;
    let named = body.0;
    let (client, created) = state
        .db
        .run(move |conn| service::create_client(conn, &named))
        .await?;
    Ok(created_or_found(created, client))
}

#[utoipa::path(get, path = "/api/v1/clients/{id}", tag = "clients",
    params(("id" = i64, Path, description = "The client's id")),
    responses((status = 200, body = ClientView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn get_client(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    user.require(STAFF)?;
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
    responses((status = 200, body = ClientView), (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn add_competitor(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    body: ApiJson<OrganizationRef>,
) -> AppResult<HttpResponse> {
    user.require(STAFF)?;
    let id = path.into_inner();
    let named = body.0;
    let client = state
        .db
        .run(move |conn| service::add_competitor(conn, id, &named))
        .await?;
    Ok(HttpResponse::Ok().json(client))
}
