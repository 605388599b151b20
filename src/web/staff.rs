//! Scheduling staff's pages: the panel (search, a shopper's record, approve / suspend /
//! reinstate, rate), clients with competitors, stores, projects and jobs, CSV imports with
//! their reports, and a job's candidates. Scheduling staff and admins only; every shopper
//! record shown writes an access record, as the API does.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::{csrf, form_post_in, form_text, page_user_in, problem_text};
use super::upload::staff_upload;
use super::{PageError, html};
use crate::assignments::candidates::{self, CandidatesView};
use crate::auth::{CurrentUser, Role};
use crate::clients::csv_import::ImportReport;
use crate::clients::model::{
    ClientView, JobInput, JobRow, Location, LocationInput, OrganizationRef, ProjectInput,
    ProjectRow,
};
use crate::clients::{service as clients, store as client_store};
use crate::error::{AppError, FieldError};
use crate::http::CSV_LIMIT;
use crate::money::Money;
use crate::organizations::Organization;
use crate::panel::model::{RatingRequest, ShopperSummary, StaffShopperView, Status};
use crate::panel::service::{self as panel, StatusAction};
use crate::state::AppState;

type PageResult = Result<HttpResponse, PageError>;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/shoppers", web::get().to(shoppers))
        .route("/staff/shoppers/{id}", web::get().to(shopper))
        .route("/staff/shoppers/{id}/status", web::post().to(change_status))
        .route("/staff/shoppers/{id}/ratings", web::post().to(rate))
        .route(
            "/staff/shoppers/{id}/disqualifications",
            web::post().to(disqualify),
        )
        .route("/staff/organizations", web::get().to(organizations))
        .route("/staff/organizations", web::post().to(create_organization))
        .route("/staff/clients", web::get().to(client_list))
        .route("/staff/clients", web::post().to(create_client))
        .route("/staff/clients/{id}", web::get().to(client_page))
        .route(
            "/staff/clients/{id}/competitors",
            web::post().to(add_competitor),
        )
        .route(
            "/staff/clients/{id}/locations",
            web::post().to(import_locations),
        )
        .route(
            "/staff/clients/{id}/locations/new",
            web::post().to(create_location),
        )
        .route(
            "/staff/clients/{id}/projects",
            web::post().to(create_project),
        )
        .route("/staff/projects/{id}", web::get().to(project_page))
        .route("/staff/projects/{id}/jobs", web::post().to(import_jobs))
        .route("/staff/projects/{id}/jobs/new", web::post().to(create_job))
        .route("/staff/jobs/{id}", web::get().to(job_page))
        .route("/staff/jobs/{id}/offer", web::post().to(offer_job));
}

async fn staff(req: &HttpRequest, state: &AppState) -> Result<CurrentUser, PageError> {
    page_user_in(req, state, Role::SCHEDULING).await
}

async fn staff_form(
    req: &HttpRequest,
    state: &AppState,
    form: web::Form<HashMap<String, String>>,
) -> Result<(CurrentUser, HashMap<String, String>), PageError> {
    form_post_in(req, state, Role::SCHEDULING, form).await
}

fn see_other(location: &str) -> PageResult {
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

/// A page's common parts.
struct Frame {
    email: String,
    csrf: String,
}

async fn frame(
    req: &HttpRequest,
    state: &AppState,
) -> Result<(CurrentUser, Frame, super::session::Csrf), PageError> {
    let user = staff(req, state).await?;
    let csrf = csrf(req, state);
    let frame = Frame {
        email: user.email.clone(),
        csrf: csrf.token.clone(),
    };
    Ok((user, frame, csrf))
}

fn render(page: &impl Template, csrf: super::session::Csrf) -> PageResult {
    Ok(super::pages::with_csrf(html(StatusCode::OK, page)?, csrf))
}

#[derive(Template)]
#[template(path = "staff_shoppers.html")]
struct ShoppersPage {
    f: Frame,
    q: String,
    status: String,
    list: Vec<ShopperSummary>,
}

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    status: Option<String>,
}

async fn shoppers(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, f, csrf) = frame(&req, &state).await?;
    let SearchQuery { q, status } = query.into_inner();
    let q = q.unwrap_or_default().trim().to_string();
    let status_filter = status.as_deref().and_then(Status::parse);
    let text = (!q.is_empty()).then(|| q.clone());
    let list = state
        .db
        .run(move |conn| {
            panel::search_shoppers(conn, user.id, text.as_deref(), status_filter, 100, now)
        })
        .await?;
    let page = ShoppersPage {
        f,
        q,
        status: status_filter.map_or(String::new(), |s| s.as_str().to_string()),
        list,
    };
    render(&page, csrf)
}

#[derive(Template)]
#[template(path = "staff_shopper.html")]
struct ShopperPage {
    f: Frame,
    s: StaffShopperView,
    problem: String,
}

async fn shopper(req: HttpRequest, state: web::Data<AppState>, path: web::Path<i64>) -> PageResult {
    let now = state.clock.naive();
    let (user, f, csrf) = frame(&req, &state).await?;
    let id = path.into_inner();
    let keys = state.auth.keys.clone();
    let s = state
        .db
        .run(move |conn| {
            panel::staff_view(
                conn,
                &keys,
                user.id,
                id,
                "GET /staff/shoppers/{id} (shopper record page)",
                now,
            )
        })
        .await?;
    let problem = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("problem").cloned())
        .unwrap_or_default();
    render(&ShopperPage { f, s, problem }, csrf)
}

/// Redirects back to the shopper's page, with the problem of a refused change shown there.
fn back_to_shopper(id: i64, outcome: Result<(), AppError>) -> PageResult {
    match outcome {
        Ok(()) => see_other(&format!("/staff/shoppers/{id}")),
        Err(e) if e.status.is_client_error() => {
            let detail = problem_text(&e);
            let encoded: String = url::form_urlencoded::byte_serialize(detail.as_bytes()).collect();
            see_other(&format!("/staff/shoppers/{id}?problem={encoded}"))
        }
        Err(e) => Err(e.into()),
    }
}

async fn change_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let action = match form.get("action").map(String::as_str) {
        Some("approve") => StatusAction::Approve,
        Some("suspend") => StatusAction::Suspend,
        Some("reinstate") => StatusAction::Reinstate,
        _ => return Err(PageError::bad_form(&req, "unknown action")),
    };
    let reason = form_text(&form, "reason");
    let outcome = state
        .db
        .run(move |conn| {
            crate::assignments::service::change_shopper_status(
                conn,
                user.id,
                id,
                action,
                reason.as_deref(),
                now,
            )
        })
        .await;
    back_to_shopper(id, outcome)
}

async fn rate(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let request = RatingRequest {
        score: form_text(&form, "score")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
        citation: form_text(&form, "citation"),
        note: form_text(&form, "note"),
        rated_on: None,
    };
    let outcome = state
        .db
        .run(move |conn| panel::add_rating(conn, user.id, id, &request, now))
        .await;
    back_to_shopper(id, outcome)
}

async fn disqualify(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let number = |name: &str| form_text(&form, name).and_then(|v| v.parse::<i64>().ok());
    let request = clients::DisqualificationRequest {
        client_id: number("client_id").unwrap_or(0),
        location_id: number("location_id"),
        reason: form.get("reason").cloned().unwrap_or_default(),
    };
    let outcome = state
        .db
        .run(move |conn| clients::disqualify(conn, user.id, id, &request, now))
        .await;
    back_to_shopper(id, outcome)
}

#[derive(Template)]
#[template(path = "staff_organizations.html")]
struct OrganizationsPage {
    f: Frame,
    organizations: Vec<Organization>,
}

async fn organizations(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let (_, f, csrf) = frame(&req, &state).await?;
    let organizations = state
        .db
        .run(|conn| Ok(crate::organizations::store::list_organizations(conn)?))
        .await?;
    render(&OrganizationsPage { f, organizations }, csrf)
}

async fn create_organization(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, form) = staff_form(&req, &state, form).await?;
    let name = form.get("name").cloned().unwrap_or_default();
    let friendly = form.get("friendly_competitor").is_some_and(|v| v == "on");
    state
        .db
        .run(move |conn| clients::create_organization(conn, &name, friendly, now))
        .await?;
    see_other("/staff/organizations")
}

#[derive(Template)]
#[template(path = "staff_clients.html")]
struct ClientsPage {
    f: Frame,
    clients: Vec<ClientView>,
    problem: String,
}

async fn client_list(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let (_, f, csrf) = frame(&req, &state).await?;
    let clients = state.db.run(clients::list_clients).await?;
    render(
        &ClientsPage {
            f,
            clients,
            problem: String::new(),
        },
        csrf,
    )
}

async fn create_client(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, form) = staff_form(&req, &state, form).await?;
    let named = OrganizationRef {
        organization_id: None,
        name: Some(form.get("name").cloned().unwrap_or_default()),
    };
    let outcome = state
        .db
        .run(move |conn| clients::create_client(conn, &named, now))
        .await;
    match outcome {
        Ok((client, _)) => see_other(&format!("/staff/clients/{}", client.id)),
        Err(e) if e.status.is_client_error() => {
            let f = Frame {
                email: String::new(),
                csrf: csrf(&req, &state).token,
            };
            let clients = state.db.run(clients::list_clients).await?;
            let problem = e
                .fields
                .first()
                .map_or(e.detail.clone(), |f| f.message.clone());
            html(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ClientsPage {
                    f,
                    clients,
                    problem: format!("Client name {problem}"),
                },
            )
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "staff_client.html")]
struct ClientPage {
    f: Frame,
    client: ClientView,
    locations: Vec<Location>,
    projects: Vec<ProjectRow>,
    report: Option<ImportReport>,
    problem: String,
}

async fn client_view_parts(
    state: &AppState,
    id: i64,
) -> Result<(ClientView, Vec<Location>, Vec<ProjectRow>), PageError> {
    Ok(state
        .db
        .run(move |conn| {
            Ok((
                clients::client_view(conn, id)?,
                client_store::list_locations(conn, id)?,
                client_store::list_projects(conn, id)?,
            ))
        })
        .await?)
}

async fn client_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    let (_, f, csrf) = frame(&req, &state).await?;
    let (client, locations, projects) = client_view_parts(&state, path.into_inner()).await?;
    let page = ClientPage {
        f,
        client,
        locations,
        projects,
        report: None,
        problem: String::new(),
    };
    render(&page, csrf)
}

/// Shows the client's page again with an import report or a problem (status 200 or 422).
async fn client_page_with(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    outcome: Result<Option<ImportReport>, AppError>,
) -> PageResult {
    let (status, report, problem) = match outcome {
        Ok(report) => (StatusCode::OK, report, String::new()),
        Err(e) if e.status.is_client_error() => {
            let problem = problem_text(&e);
            (StatusCode::UNPROCESSABLE_ENTITY, None, problem)
        }
        Err(e) => return Err(e.into()),
    };
    let (client, locations, projects) = client_view_parts(state, id).await?;
    let page = ClientPage {
        f: Frame {
            email: String::new(),
            csrf: csrf(req, state).token,
        },
        client,
        locations,
        projects,
        report,
        problem,
    };
    html(status, &page)
}

async fn add_competitor(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let named = OrganizationRef {
        organization_id: None,
        name: Some(form.get("name").cloned().unwrap_or_default()),
    };
    let outcome = state
        .db
        .run(move |conn| {
            clients::add_competitor(conn, id, &named, now).map(|_| None::<ImportReport>)
        })
        .await;
    match outcome {
        Ok(_) => see_other(&format!("/staff/clients/{id}")),
        Err(e) => client_page_with(&req, &state, id, Err(e)).await,
    }
}

/// A store import: a CSV file chosen on the page, or CSV text pasted.
async fn import_locations(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    multipart: Multipart,
) -> PageResult {
    let now = state.clock.naive();
    let (_, mut upload) =
        staff_upload(&req, &state, Role::SCHEDULING, multipart, "file", CSV_LIMIT).await?;
    let id = path.into_inner();
    let geocoder = crate::geocode::Geocoder::from_settings(&state.settings);
    let outcome = match upload.csv() {
        Ok(csv) => clients::import_locations(&state.db, geocoder, id, csv, now)
            .await
            .map(Some),
        Err(e) => Err(e),
    };
    client_page_with(&req, &state, id, outcome).await
}

/// One store, from the form on the client's page.
async fn create_location(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let number = |name: &str| form_text(&form, name).map(|v| v.parse::<f64>().unwrap_or(f64::NAN));
    let input = LocationInput {
        client_id: Some(id),
        code: form_text(&form, "code"),
        name: form_text(&form, "name"),
        street: form_text(&form, "street"),
        city: form_text(&form, "city"),
        state: form_text(&form, "state"),
        zip: form_text(&form, "zip"),
        latitude: number("latitude"),
        longitude: number("longitude"),
    };
    let geocoder = crate::geocode::Geocoder::from_settings(&state.settings);
    match clients::create_location(&state.db, geocoder, input, now).await {
        Ok(_) => see_other(&format!("/staff/clients/{id}")),
        Err(e) => client_page_with(&req, &state, id, Err(e)).await,
    }
}

async fn create_project(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let number = |name: &str| form_text(&form, name).and_then(|v| v.parse::<f64>().ok());
    let list = |name: &str| {
        form_text(&form, name).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    };
    // Dollars as typed ("25", "$25.50", "1,250"), each bad amount named.
    let mut money_errors = Vec::new();
    let mut amount = |name: &str, required: &str| match form_text(&form, name) {
        None if !required.is_empty() => {
            money_errors.push(FieldError::new(name, required));
            None
        }
        None => None,
        Some(v) => Money::parse(&v)
            .map_err(|m| money_errors.push(FieldError::new(name, m)))
            .ok()
            .map(Money::cents),
    };
    let fee_cents = amount("fee_dollars", "Enter the fee in dollars, like 25 or 25.50");
    let cap_cents = amount("cap_dollars", "");
    let input = ProjectInput {
        client_id: id,
        name: form.get("name").cloned().unwrap_or_default(),
        max_km: number("max_km"),
        min_age: number("min_age").map(|v| v as i32),
        max_age: number("max_age").map(|v| v as i32),
        vehicle: Some(form.get("vehicle").is_some_and(|v| v == "on")),
        languages: list("languages"),
        certifications: list("certifications"),
        min_rating: number("min_rating"),
        min_completed: number("min_completed").map(|v| v as i32),
        rotation_days: number("rotation_days").map_or(-1, |v| v as i32),
        fee_cents: fee_cents.unwrap_or(0),
        reimbursement_cap_cents: cap_cents.unwrap_or(0),
        show_client_name: form.get("show_client_name").is_some_and(|v| v == "on"),
        offer_hours: number("offer_hours").map(|v| v as i32),
        self_assign_min_rating: number("self_assign_min_rating"),
    };
    let outcome = if money_errors.is_empty() {
        state
            .db
            .run(move |conn| clients::create_project(conn, &input, now))
            .await
    } else {
        Err(AppError::validation(money_errors))
    };
    match outcome {
        Ok(project) => see_other(&format!("/staff/projects/{}", project.id)),
        Err(e) => client_page_with(&req, &state, id, Err(e)).await,
    }
}

#[derive(Template)]
#[template(path = "staff_project.html")]
struct ProjectPage {
    f: Frame,
    project: ProjectRow,
    jobs: Vec<JobRow>,
    /// The client's stores, for the new-job form.
    locations: Vec<Location>,
    report: Option<ImportReport>,
    problem: String,
}

impl ProjectPage {
    fn money(&self, cents: &i64) -> String {
        Money::from_cents(*cents).to_string()
    }
}

async fn project_page_with(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    f: Frame,
    report: Option<ImportReport>,
    problem: String,
) -> Result<ProjectPage, PageError> {
    let _ = req;
    let (project, jobs, locations) = state
        .db
        .run(move |conn| {
            use diesel::OptionalExtension;
            let project = client_store::find_project(conn, id)
                .optional()?
                .ok_or_else(|| AppError::not_found("No project has this id."))?;
            let locations = client_store::list_locations(conn, project.client_id)?;
            Ok((project, client_store::list_jobs(conn, id)?, locations))
        })
        .await?;
    Ok(ProjectPage {
        f,
        project,
        jobs,
        locations,
        report,
        problem,
    })
}

async fn project_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    let (_, f, csrf) = frame(&req, &state).await?;
    let page = project_page_with(&req, &state, path.into_inner(), f, None, String::new()).await?;
    render(&page, csrf)
}

/// A job import: a CSV file chosen on the page, or CSV text pasted.
async fn import_jobs(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    multipart: Multipart,
) -> PageResult {
    let now = state.clock.naive();
    let (user, mut upload) =
        staff_upload(&req, &state, Role::SCHEDULING, multipart, "file", CSV_LIMIT).await?;
    let id = path.into_inner();
    let outcome = match upload.csv() {
        Ok(csv) => {
            state
                .db
                .run(move |conn| clients::import_jobs(conn, id, &csv, now))
                .await
        }
        Err(e) => Err(e),
    };
    project_outcome(&req, &state, user, id, outcome.map(Some)).await
}

/// One job, from the form on the project's page.
async fn create_job(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let mut errors = Vec::new();
    let date = |name: &str, errors: &mut Vec<FieldError>| {
        super::session::form_date(&form, name)
            .map_err(|e| errors.extend(e.fields))
            .ok()
            .flatten()
    };
    let window_start = date("window_start", &mut errors);
    let window_end = date("window_end", &mut errors);
    let cents = |name: &str, errors: &mut Vec<FieldError>| {
        form_text(&form, name).and_then(|v| {
            Money::parse(&v)
                .map_err(|m| errors.push(FieldError::new(name, m)))
                .ok()
                .map(Money::cents)
        })
    };
    let fee_cents = cents("fee_dollars", &mut errors);
    let bonus_cents = cents("bonus_dollars", &mut errors);
    let reimbursement_cap_cents = cents("cap_dollars", &mut errors);
    let location_id = match form_text(&form, "location_id").map(|v| v.parse::<i64>()) {
        Some(Ok(v)) => Some(v),
        Some(Err(_)) => {
            errors.push(FieldError::new("location_id", "choose a store"));
            None
        }
        None => None,
    };
    let input = JobInput {
        project_id: Some(id),
        location_id,
        code: form_text(&form, "code"),
        window_start,
        window_end,
        fee_cents,
        bonus_cents,
        reimbursement_cap_cents,
        ..JobInput::default()
    };
    let outcome = if errors.is_empty() {
        state
            .db
            .run(move |conn| clients::create_job(conn, &input, now))
            .await
            .map(|_| None::<ImportReport>)
    } else {
        Err(AppError::validation(errors))
    };
    match outcome {
        Ok(_) => see_other(&format!("/staff/projects/{id}")),
        Err(e) => project_outcome(&req, &state, user, id, Err(e)).await,
    }
}

/// Shows the project's page again with an import report or a problem (status 200 or 422).
async fn project_outcome(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    id: i64,
    outcome: Result<Option<ImportReport>, AppError>,
) -> PageResult {
    let (status, report, problem) = match outcome {
        Ok(report) => (StatusCode::OK, report, String::new()),
        Err(e) if e.status.is_client_error() => {
            (StatusCode::UNPROCESSABLE_ENTITY, None, problem_text(&e))
        }
        Err(e) => return Err(e.into()),
    };
    let f = Frame {
        email: user.email,
        csrf: csrf(req, state).token,
    };
    let page = project_page_with(req, state, id, f, report, problem).await?;
    html(status, &page)
}

#[derive(Template)]
#[template(path = "staff_job.html")]
struct JobPage {
    f: Frame,
    view: CandidatesView,
    assignments: Vec<crate::assignments::model::AssignmentView>,
    problem: String,
}

async fn job_page_with(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    problem: String,
) -> PageResult {
    let now = state.clock.naive();
    let (user, f, csrf) = frame(req, state).await?;
    let keys = state.auth.keys.clone();
    let (view, assignments) = state
        .db
        .run(move |conn| {
            Ok((
                candidates::candidates(conn, &keys, user.id, id, 50, now)?,
                crate::assignments::service::of_job(conn, id)?,
            ))
        })
        .await?;
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let page = JobPage {
        f,
        view,
        assignments,
        problem,
    };
    Ok(super::pages::with_csrf(html(status, &page)?, csrf))
}

async fn job_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    job_page_with(&req, &state, path.into_inner(), String::new()).await
}

/// Offer the job to a candidate, or assign it at once (`action` = `offer` | `assign`).
async fn offer_job(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = staff_form(&req, &state, form).await?;
    let job_id = path.into_inner();
    let action = match form.get("action").map(String::as_str) {
        Some("assign") => crate::assignments::model::Action::Assign,
        _ => crate::assignments::model::Action::Offer,
    };
    let Some(shopper_id) = form_text(&form, "shopper_id").and_then(|v| v.parse::<i64>().ok())
    else {
        return job_page_with(&req, &state, job_id, "shopper_id: choose a shopper".into()).await;
    };
    let notifier = crate::assignments::notify::Notifier::new(&state.auth);
    let outcome = state
        .db
        .run(move |conn| {
            crate::assignments::service::offer_or_assign(
                conn, &notifier, user.id, job_id, shopper_id, action, now,
            )
        })
        .await;
    state.mail.wake();
    match outcome {
        Ok(_) => see_other(&format!("/staff/jobs/{job_id}")),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            job_page_with(&req, &state, job_id, problem_text(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}
