//! Scheduling staff's pages: the panel (search, a shopper's record, approve / suspend /
//! reinstate, rate), clients with competitors, stores, projects and jobs, CSV imports with
//! their reports, and a job's candidates. Scheduling staff and admins only; every shopper
//! record shown writes an access record, as the API does.

use crate::ids::{ClientId, JobId, ProjectId, ShopperId};
use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use super::form::{self, FormState, Reader};
use super::session::{csrf, form_post_in, form_text, page_user_in, problem_text};
use super::upload::staff_upload;
use super::{PageError, Pager, html};
use crate::assignments::candidates::{self, CandidatesView};
use crate::assignments::job_list::{self, JobListPage, JobListQuery, JobSort, StateFilter};
use crate::auth::{CurrentUser, Role};
use crate::clients::csv_import::ImportReport;
use crate::clients::model::{
    ClientView, JobInput, Location, LocationInput, OrganizationRef, ProjectInput, ProjectRow,
};
use crate::clients::store::LocationSort;
use crate::clients::{service as clients, store as client_store};
use crate::error::{AppError, FieldError};
use crate::http::CSV_LIMIT;
use crate::organizations::Organization;
use crate::paging::{DEFAULT_PER_PAGE, MAX_PER_PAGE, PageRequest};
use crate::panel::model::{RatingRequest, ShopperSummary, StaffShopperView, Status};
use crate::panel::service::{self as panel, StatusAction};
use crate::routing::Routes;
use crate::state::AppState;
use crate::units::DistanceUnit;

use super::PageResult;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/staff/shoppers", shoppers)
        .get("/staff/shoppers/{id}", shopper)
        .post("/staff/shoppers/{id}/status", change_status)
        .post("/staff/shoppers/{id}/ratings", rate)
        .post("/staff/shoppers/{id}/disqualifications", disqualify)
        .get("/staff/organizations", organizations)
        .post("/staff/organizations", create_organization)
        .post("/staff/organizations/{id}/merge", merge_organization)
        .get("/staff/clients", client_list)
        .post("/staff/clients", create_client)
        .get("/staff/clients/{id}", client_page)
        .post("/staff/clients/{id}/competitors", add_competitor)
        .post("/staff/clients/{id}/locations", import_locations)
        .post("/staff/clients/{id}/locations/new", create_location)
        .post("/staff/clients/{id}/projects", create_project)
        .get("/staff/projects/{id}", project_page)
        .post("/staff/projects/{id}/jobs", import_jobs)
        .post("/staff/projects/{id}/jobs/new", create_job)
        .get("/staff/jobs/{id}", job_page)
        .post("/staff/jobs/{id}/offer", offer_job);
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

/// A page's common parts: who is signed in, the form token, and the one-time confirmation of
/// the form sent just before, if any.
use super::StaffFrame as Frame;

async fn frame(
    req: &HttpRequest,
    state: &AppState,
) -> Result<(CurrentUser, Frame, super::session::Csrf), PageError> {
    let user = staff(req, state).await?;
    let csrf = csrf(req, state);
    let frame = Frame::new(state, &user, csrf.token.clone(), form::notice(req));
    Ok((user, frame, csrf))
}

/// A page that shows the confirmation of the form before: said once, then forgotten.
fn render_shown(req: &HttpRequest, page: &impl Template, csrf: super::session::Csrf) -> PageResult {
    super::form_page_shown(req, page, false, csrf)
}

#[derive(Template)]
#[template(path = "staff_shoppers.html")]
struct ShoppersPage {
    f: Frame,
    q: String,
    status: String,
    sort: &'static str,
    list: Vec<ShopperSummary>,
    page: i64,
    pages: i64,
    total: i64,
}

impl ShoppersPage {
    /// The list's address for page `page`, the search kept.
    fn page_link(&self, page: i64) -> String {
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        link.append_pair("q", &self.q)
            .append_pair("status", &self.status)
            .append_pair("sort", self.sort)
            .append_pair("page", &page.to_string());
        format!("/staff/shoppers?{}", link.finish())
    }
}

/// Shoppers on one page of the staff's list.
const SHOPPERS_PAGE: i64 = 50;

#[derive(Deserialize)]
struct SearchQuery {
    q: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
}

async fn shoppers(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SearchQuery>,
) -> PageResult {
    use crate::panel::store::{self as panel_store, ShopperSort};
    let now = state.clock.naive();
    let (user, f, csrf) = frame(&req, &state).await?;
    let SearchQuery {
        q,
        status,
        sort,
        page,
    } = query.into_inner();
    let q = q.unwrap_or_default().trim().to_string();
    let status_filter = status.as_deref().and_then(Status::parse);
    let sort = match sort.as_deref() {
        Some("name") => ShopperSort::Name,
        _ => ShopperSort::Newest,
    };
    let wanted = page.unwrap_or(1).max(1);
    let text = (!q.is_empty()).then(|| q.clone());
    let (list, page, pages, total) = state
        .db
        .run(move |conn| {
            let total = panel_store::count_matching(
                conn,
                text.as_deref(),
                status_filter.map(Status::as_str),
            )?;
            let pages = ((total + SHOPPERS_PAGE - 1) / SHOPPERS_PAGE).max(1);
            let page = wanted.min(pages);
            let list = panel::search_shoppers(
                conn,
                user.id,
                &panel::ShopperSearch {
                    text: text.as_deref(),
                    status: status_filter,
                    sort,
                    offset: (page - 1) * SHOPPERS_PAGE,
                    limit: SHOPPERS_PAGE,
                },
                now,
            )?;
            Ok((list, page, pages, total))
        })
        .await?;
    let page = ShoppersPage {
        f,
        q,
        status: status_filter.map_or(String::new(), |s| s.as_str().to_string()),
        sort: if sort == ShopperSort::Name {
            "name"
        } else {
            "newest"
        },
        list,
        page,
        pages,
        total,
    };
    render_shown(&req, &page, csrf)
}

#[derive(Template)]
#[template(path = "staff_shopper.html")]
struct ShopperPage {
    f: Frame,
    s: StaffShopperView,
    /// The client names the disqualification's client field offers as a person types (at most
    /// 20: those that contain what was typed).
    client_choices: Vec<String>,
    /// The citations a rating may carry: (value, words).
    citations: Vec<(String, String)>,
    status: FormState,
    disqualify: FormState,
    rating: FormState,
}

/// The forms of the shopper's record, and the one that was refused.
enum ShopperForm {
    None,
    Status(FormState),
    Disqualify(FormState),
    Rating(FormState),
}

/// A citation in words: `no_show` reads "no show".
fn citation_words(citation: &str) -> String {
    citation.replace('_', " ")
}

async fn shopper_page_with(
    req: &HttpRequest,
    state: &AppState,
    id: ShopperId,
    shown: ShopperForm,
) -> PageResult {
    let now = state.clock.naive();
    let (user, f, csrf) = frame(req, state).await?;
    let keys = state.auth.keys.clone();
    let reason = match shown {
        ShopperForm::None => "GET /staff/shoppers/{id} (shopper record page)",
        _ => "POST /staff/shoppers/{id} (shopper record page, a change refused)",
    };
    let typed = match &shown {
        ShopperForm::Disqualify(form) => form.value("client").to_string(),
        _ => String::new(),
    };
    let (s, client_choices) = state
        .db
        .run(move |conn| {
            let s = panel::staff_view(conn, &keys, user.id, id, reason, now)?;
            Ok((s, clients::client_suggestions(conn, &typed)?))
        })
        .await?;
    let citations = crate::panel::model::CITATIONS
        .iter()
        .map(|c| ((*c).to_string(), citation_words(c)))
        .collect();
    let (mut status, mut disqualify, mut rating) =
        (FormState::blank(), FormState::blank(), FormState::blank());
    let refused = !matches!(shown, ShopperForm::None);
    match shown {
        ShopperForm::None => {}
        ShopperForm::Status(form) => status = form,
        ShopperForm::Disqualify(form) => disqualify = form,
        ShopperForm::Rating(form) => rating = form,
    }
    let page = ShopperPage {
        f,
        s,
        client_choices,
        citations,
        status,
        disqualify,
        rating,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

async fn shopper(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ShopperId>,
) -> PageResult {
    shopper_page_with(&req, &state, path.into_inner(), ShopperForm::None).await
}

/// After a change on the shopper's record: back to it with a confirmation, or the record again
/// with the refused form, as typed, each problem beside its field.
async fn back_to_shopper(
    req: &HttpRequest,
    state: &AppState,
    id: ShopperId,
    outcome: Result<(), AppError>,
    done: &str,
    refused: impl FnOnce(&AppError) -> ShopperForm,
) -> PageResult {
    match outcome {
        Ok(()) => Ok(form::done(state, &format!("/staff/shoppers/{id}"), done)),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            shopper_page_with(req, state, id, refused(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn change_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ShopperId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, sent) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let action = match sent.get("action").map(String::as_str) {
        Some("approve") => StatusAction::Approve,
        Some("suspend") => StatusAction::Suspend,
        Some("reinstate") => StatusAction::Reinstate,
        _ => return Err(PageError::bad_form(&req, "unknown action")),
    };
    let reason = form_text(&sent, "reason");
    let notifier = state.notifier();
    let outcome = state
        .db
        .run(move |conn| {
            crate::assignments::service::change_shopper_status(
                conn,
                &notifier,
                user.id,
                id,
                action,
                reason.as_deref(),
                now,
            )
        })
        .await;
    state.mail.wake();
    let done = match action {
        StatusAction::Approve => "Approved: the shopper is on the panel now, and was told by mail.",
        StatusAction::Suspend => "Suspended: their open requests and offers are withdrawn.",
        StatusAction::Reinstate => "Reinstated: the shopper is on the panel again.",
    };
    back_to_shopper(&req, &state, id, outcome.map(|_| ()), done, |e| {
        ShopperForm::Status(FormState::refused(&sent, e, &["reason"], &[], &[]))
    })
    .await
}

async fn rate(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ShopperId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, sent) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let mut read = Reader::new(&sent);
    let score = read.whole("score");
    let request = RatingRequest {
        score: score.unwrap_or(0),
        citation: read.text("citation"),
        note: read.text("note"),
        rated_on: None,
    };
    let outcome = if read.errors.is_empty() {
        state
            .db
            .run(move |conn| panel::add_rating(conn, user.id, id, &request, now))
            .await
    } else {
        Err(AppError::validation(read.errors))
    };
    back_to_shopper(&req, &state, id, outcome, "Rating saved.", |e| {
        ShopperForm::Rating(FormState::refused(
            &sent,
            e,
            &["score", "citation", "note"],
            &[],
            &[],
        ))
    })
    .await
}

async fn disqualify(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ShopperId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, sent) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let mut read = Reader::new(&sent);
    let client_id = match read.text("client") {
        None => {
            read.errors
                .push(FieldError::new("client", "Type the client's name."));
            None
        }
        Some(typed) => {
            let found = state
                .db
                .run(move |conn| super::typed_client(conn, &typed, "client"))
                .await?;
            found.map_err(|e| read.errors.push(e)).ok()
        }
    };
    let location_id = read.id("location_id", "Type the store's number, e.g. 12.");
    let request = clients::DisqualificationRequest {
        client_id: client_id.unwrap_or(ClientId(0)),
        location_id,
        reason: read.raw("reason"),
    };
    // What could not be read is said with what the request itself gets wrong; the service,
    // which checks the client and store too, runs only on a form read whole.
    let outcome = if read.errors.is_empty() {
        state
            .db
            .run(move |conn| clients::disqualify(conn, user.id, id, &request, now))
            .await
    } else {
        let mut errors = read.errors;
        errors.extend(request.check());
        Err(AppError::validation(errors))
    };
    back_to_shopper(&req, &state, id, outcome, "Disqualification saved.", |e| {
        ShopperForm::Disqualify(FormState::refused(
            &sent,
            e,
            &["client", "location_id", "reason"],
            &[("client_id", "client")],
            &[],
        ))
    })
    .await
}

#[derive(Template)]
#[template(path = "staff_organizations.html")]
struct OrganizationsPage {
    f: Frame,
    organizations: Vec<Organization>,
    /// Organizations entered twice, with the one each is (at most 20): (newer, older).
    twice: Vec<(Organization, Organization)>,
    pager: Pager,
    form: FormState,
}

#[derive(Deserialize)]
struct PageNumber {
    page: Option<i64>,
}

async fn organizations_page(
    req: &HttpRequest,
    state: &AppState,
    page: Option<i64>,
    form: FormState,
) -> PageResult {
    let (_, f, csrf) = frame(req, state).await?;
    let request = PageRequest::lenient(page, DEFAULT_PER_PAGE);
    let (list, twice) = state
        .db
        .run(move |conn| {
            Ok((
                crate::organizations::store::list_organizations(conn, request)?,
                crate::organizations::store::entered_twice(conn, 20)?,
            ))
        })
        .await?;
    let page = OrganizationsPage {
        f,
        twice,
        pager: Pager::of(&list, "/staff/organizations?", "organizations"),
        organizations: list.items,
        form,
    };
    super::form_page_shown(req, &page, page.form.failed(), csrf)
}

async fn organizations(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    organizations_page(&req, &state, query.page, FormState::blank()).await
}

async fn create_organization(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, sent) = staff_form(&req, &state, form).await?;
    let name = sent.get("name").cloned().unwrap_or_default();
    let friendly = sent.get("friendly_competitor").is_some_and(|v| v == "on");
    let outcome = state
        .db
        .run(move |conn| clients::create_organization(conn, &name, friendly, now))
        .await;
    match outcome {
        Ok((organization, _)) => Ok(form::done(
            &state,
            "/staff/organizations",
            &format!("{} is on the list.", organization.name),
        )),
        Err(e) => {
            let form = refused(&sent, e, &["name", "friendly_competitor"], &[])?;
            organizations_page(&req, &state, None, form).await
        }
    }
}

/// Merges an organization entered twice into the one it is (the form beside the pair).
async fn merge_organization(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (_, sent) = staff_form(&req, &state, form).await?;
    let from = path.into_inner();
    let mut read = Reader::new(&sent);
    let into = read.id::<i64>("into", "Choose the organization to keep.");
    let outcome = match into {
        Some(into) => {
            state
                .db
                .run(move |conn| clients::merge_organizations(conn, from, into))
                .await
        }
        None => Err(AppError::validation(read.errors)),
    };
    match outcome {
        Ok(kept) => Ok(form::done(
            &state,
            "/staff/organizations",
            &format!("Merged: {} is one organization now.", kept.name),
        )),
        Err(e) if e.status.is_client_error() => {
            let form = refused(&sent, e, &[], &[])?;
            organizations_page(&req, &state, None, form).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "staff_clients.html")]
struct ClientsPage {
    f: Frame,
    clients: Vec<ClientView>,
    pager: Pager,
    form: FormState,
}

async fn clients_page(
    req: &HttpRequest,
    state: &AppState,
    page: Option<i64>,
    form: FormState,
) -> PageResult {
    let (_, f, csrf) = frame(req, state).await?;
    let request = PageRequest::lenient(page, DEFAULT_PER_PAGE);
    let list = state
        .db
        .run(move |conn| clients::page_of_clients(conn, request))
        .await?;
    let page = ClientsPage {
        f,
        pager: Pager::of(&list, "/staff/clients?", "clients"),
        clients: list.items,
        form,
    };
    super::form_page_shown(req, &page, page.form.failed(), csrf)
}

async fn client_list(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    clients_page(&req, &state, query.page, FormState::blank()).await
}

async fn create_client(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, sent) = staff_form(&req, &state, form).await?;
    let named = OrganizationRef {
        organization_id: None,
        name: Some(sent.get("name").cloned().unwrap_or_default()),
    };
    let outcome = state
        .db
        .run(move |conn| clients::create_client(conn, &named, now))
        .await;
    match outcome {
        Ok((client, _)) => Ok(form::done(
            &state,
            &format!("/staff/clients/{}", client.id),
            &format!("Client {} added.", client.name),
        )),
        Err(e) => {
            let form = refused(&sent, e, &["name"], &[])?;
            clients_page(&req, &state, None, form).await
        }
    }
}

#[derive(Template)]
#[template(path = "staff_client.html")]
struct ClientPage {
    f: Frame,
    client: ClientView,
    stores: StoreList,
    projects: Vec<ProjectRow>,
    report: Option<ImportReport>,
    /// A refused import.
    problem: String,
    competitor: FormState,
    store: FormState,
    project: FormState,
    /// "Farthest a shopper travels (miles)".
    max_km_label: String,
}

fn max_km_label(unit: DistanceUnit) -> String {
    format!("Farthest a shopper travels ({})", unit.words())
}

/// The forms of the client's page, and the one that was refused.
enum ClientForm {
    Import(Result<Option<ImportReport>, AppError>),
    Competitor(FormState),
    Store(FormState),
    Project(FormState),
}

const STORE_FIELDS: &[&str] = &[
    "code",
    "name",
    "street",
    "city",
    "state",
    "zip",
    "latitude",
    "longitude",
];

const PROJECT_FIELDS: &[&str] = &[
    "name",
    "max_km",
    "rotation_days",
    "fee_dollars",
    "cap_dollars",
    "languages",
    "certifications",
    "min_age",
    "max_age",
    "min_rating",
    "offer_hours",
    "self_assign_min_rating",
    "report_grace_days",
    "photo_time_tolerance_minutes",
    "photo_distance_limit_m",
    "keep_photo_originals",
    "review_limit_hours",
    "auto_approve",
    "revision_hours",
    "release_by_hand",
    "dispute_days",
    "visit_minutes",
    "alert_below_percent",
    "alert_question",
    "alert_answers",
    "vehicle",
    "show_client_name",
];

/// The project form's inputs that carry an API field under another name.
const PROJECT_RENAMED: &[(&str, &str)] = &[
    ("fee_cents", "fee_dollars"),
    ("reimbursement_cap_cents", "cap_dollars"),
];

/// Stores on one page of the client's list.
const STORES_PAGE: i64 = 50;

/// The client page's address: its store list's search, order and page.
#[derive(Debug, Default, Deserialize)]
struct StoresQuery {
    q: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
}

/// The client's stores as its page lists them.
struct StoreList {
    shown: Vec<Location>,
    q: String,
    sort: &'static str,
    page: i64,
    pages: i64,
    /// Matching the search, in all.
    total: i64,
    /// The client's, in all.
    all: i64,
}

impl StoreList {
    /// The list's address for page `page`, the search and order kept.
    fn link(&self, client_id: &ClientId, page: i64) -> String {
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            link.append_pair("q", &self.q);
        }
        link.append_pair("sort", self.sort)
            .append_pair("page", &page.to_string());
        format!("/staff/clients/{client_id}?{}#stores", link.finish())
    }
}

async fn client_view_parts(
    state: &AppState,
    id: ClientId,
    query: &StoresQuery,
) -> Result<(ClientView, StoreList, Vec<ProjectRow>), PageError> {
    let q = query.q.clone().unwrap_or_default().trim().to_string();
    let sort = query
        .sort
        .as_deref()
        .and_then(LocationSort::parse)
        .unwrap_or_default();
    let wanted = query.page.unwrap_or(1).max(1);
    Ok(state
        .db
        .run(move |conn| {
            let client = clients::client_view(conn, id)?;
            let search = (!q.is_empty()).then_some(q.as_str());
            let (_, all) = client_store::page_locations(conn, id, None, LocationSort::Code, 0, 0)?;
            let (_, total) = client_store::page_locations(conn, id, search, sort, 0, 0)?;
            let pages = ((total + STORES_PAGE - 1) / STORES_PAGE).max(1);
            let page = wanted.min(pages);
            let (shown, _) = client_store::page_locations(
                conn,
                id,
                search,
                sort,
                (page - 1) * STORES_PAGE,
                STORES_PAGE,
            )?;
            let list = StoreList {
                shown,
                q,
                sort: sort.as_str(),
                page,
                pages,
                total,
                all,
            };
            // The first hundred projects; a client with more is listed by the API's pages.
            let projects =
                client_store::list_projects(conn, id, PageRequest::lenient(None, MAX_PER_PAGE))?;
            Ok((client, list, projects.items))
        })
        .await?)
}

async fn client_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ClientId>,
    query: web::Query<StoresQuery>,
) -> PageResult {
    let (_, f, csrf) = frame(&req, &state).await?;
    let (client, stores, projects) = client_view_parts(&state, path.into_inner(), &query).await?;
    let page = ClientPage {
        f,
        client,
        stores,
        projects,
        report: None,
        problem: String::new(),
        competitor: FormState::blank(),
        store: FormState::blank(),
        project: FormState::blank(),
        max_km_label: max_km_label(state.settings.distance_unit),
    };
    render_shown(&req, &page, csrf)
}

/// Shows the client's page again: with an import's report, or with the refused form, every
/// typed value kept and each problem beside its field (422).
async fn client_page_with(
    req: &HttpRequest,
    state: &AppState,
    id: ClientId,
    outcome: ClientForm,
) -> PageResult {
    let (_, f, csrf) = frame(req, state).await?;
    let mut page_status = StatusCode::UNPROCESSABLE_ENTITY;
    let (mut report, mut problem) = (None, String::new());
    let (mut competitor, mut store, mut project) =
        (FormState::blank(), FormState::blank(), FormState::blank());
    match outcome {
        ClientForm::Import(Ok(r)) => {
            page_status = StatusCode::OK;
            report = r;
        }
        ClientForm::Import(Err(e)) if e.status.is_client_error() => problem = problem_text(&e),
        ClientForm::Import(Err(e)) => return Err(e.into()),
        ClientForm::Competitor(form) => competitor = form,
        ClientForm::Store(form) => store = form,
        ClientForm::Project(form) => project = form,
    }
    let (client, stores, projects) = client_view_parts(state, id, &StoresQuery::default()).await?;
    let page = ClientPage {
        f,
        client,
        stores,
        projects,
        report,
        problem,
        competitor,
        store,
        project,
        max_km_label: max_km_label(state.settings.distance_unit),
    };
    Ok(super::pages::with_csrf(html(page_status, &page)?, csrf))
}

/// The refused form, or the error for a failure that is not the user's.
fn refused(
    form: &HashMap<String, String>,
    e: AppError,
    fields: &[&str],
    renamed: &[(&str, &str)],
) -> Result<FormState, PageError> {
    if e.status.is_client_error() {
        Ok(FormState::refused(form, &e, fields, renamed, &[]))
    } else {
        Err(e.into())
    }
}

async fn add_competitor(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ClientId>,
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
        Ok(_) => Ok(form::done(
            &state,
            &format!("/staff/clients/{id}"),
            "Competitor added.",
        )),
        Err(e) => {
            let form = refused(&form, e, &["name"], &[])?;
            client_page_with(&req, &state, id, ClientForm::Competitor(form)).await
        }
    }
}

/// A store import: a CSV file chosen on the page, or CSV text pasted.
async fn import_locations(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ClientId>,
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
    client_page_with(&req, &state, id, ClientForm::Import(outcome)).await
}

/// One store, from the form on the client's page.
async fn create_location(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ClientId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let mut read = Reader::new(&form);
    let input = LocationInput {
        client_id: Some(id),
        code: read.text("code"),
        name: read.text("name"),
        street: read.text("street"),
        city: read.text("city"),
        state: read.text("state"),
        zip: read.text("zip"),
        latitude: read.number("latitude"),
        longitude: read.number("longitude"),
    };
    let outcome = if read.errors.is_empty() {
        let geocoder = crate::geocode::Geocoder::from_settings(&state.settings);
        clients::create_location(&state.db, geocoder, input, now).await
    } else {
        // What cannot be read is named together with what the service refuses.
        let mut errors = std::mem::take(&mut read.errors);
        if let Err(more) = input.validate() {
            errors.extend(
                more.into_iter()
                    .filter(|e| e.field != "latitude" && e.field != "longitude"),
            );
        }
        Err(AppError::validation(errors))
    };
    match outcome {
        Ok(store) => Ok(form::done(
            &state,
            &format!("/staff/clients/{id}"),
            &format!("Store {} added.", store.code),
        )),
        Err(e) => {
            let form = refused(&form, e, STORE_FIELDS, &[])?;
            client_page_with(&req, &state, id, ClientForm::Store(form)).await
        }
    }
}

async fn create_project(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ClientId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    let (_, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let mut read = Reader::new(&form).in_unit(state.settings.distance_unit);
    let fee_cents = read.money("fee_dollars", "Type the fee in dollars, like 25 or 25.50.");
    let cap_cents = read.money("cap_dollars", "");
    let input = ProjectInput {
        client_id: id,
        name: read.raw("name"),
        max_km: read.distance("max_km", 1.0, 500.0),
        min_age: read.whole("min_age"),
        max_age: read.whole("max_age"),
        vehicle: Some(read.ticked("vehicle")),
        languages: read.list("languages"),
        certifications: read.list("certifications"),
        min_rating: read.number("min_rating"),
        min_completed: read.whole("min_completed"),
        rotation_days: read.whole("rotation_days").unwrap_or(-1),
        fee_cents: fee_cents.unwrap_or(0),
        reimbursement_cap_cents: cap_cents.unwrap_or(0),
        show_client_name: read.ticked("show_client_name"),
        offer_hours: read.whole("offer_hours"),
        self_assign_min_rating: read.number("self_assign_min_rating"),
        report_grace_days: read.whole("report_grace_days"),
        photo_time_tolerance_minutes: read.whole("photo_time_tolerance_minutes"),
        photo_distance_limit_m: read.whole("photo_distance_limit_m"),
        keep_photo_originals: read.ticked("keep_photo_originals"),
        review_limit_hours: read.whole("review_limit_hours"),
        auto_approve: read.ticked("auto_approve"),
        revision_hours: read.whole("revision_hours"),
        release_on_approval: Some(!read.ticked("release_by_hand")),
        dispute_days: read.whole("dispute_days"),
        visit_minutes: read.whole("visit_minutes"),
        alert_below_percent: read.whole("alert_below_percent"),
        alert_question: Some(read.raw("alert_question")),
        alert_answers: read.list("alert_answers"),
    };
    // Every problem at once: what cannot be read, and what the rules refuse of the rest
    // (a field already named is not named twice).
    let mut errors = std::mem::take(&mut read.errors);
    for e in clients::project_errors(&input, state.settings.max_fee) {
        let form_name = PROJECT_RENAMED
            .iter()
            .find(|(api, _)| *api == e.field)
            .map_or(e.field.as_str(), |(_, f)| *f);
        if !errors.iter().any(|known| known.field == form_name) {
            errors.push(e);
        }
    }
    let outcome = if errors.is_empty() {
        state
            .db
            .run(move |conn| clients::create_project(conn, &input, max, now))
            .await
    } else {
        Err(AppError::validation(errors))
    };
    match outcome {
        Ok(project) => Ok(form::done(
            &state,
            &format!("/staff/projects/{}", project.id),
            &format!("Project {} added.", project.name),
        )),
        Err(e) => {
            let form = refused(&form, e, PROJECT_FIELDS, PROJECT_RENAMED)?;
            client_page_with(&req, &state, id, ClientForm::Project(form)).await
        }
    }
}

#[derive(Template)]
#[template(path = "staff_project.html")]
struct ProjectPage {
    f: Frame,
    project: ProjectRow,
    /// The page of jobs the filter shows.
    jobs: JobListPage,
    /// The filter, as the list's form shows it.
    q: String,
    state: &'static str,
    sort: &'static str,
    /// How many stores the client has.
    store_count: i64,
    /// The store search of the new-job form, and the stores it found: (code, words, link).
    store_q: String,
    store_matches: Vec<(String, String, String)>,
    report: Option<ImportReport>,
    /// A refused import.
    problem: String,
    /// The new-job form.
    job: FormState,
}

const JOB_FIELDS: &[&str] = &[
    "store",
    "code",
    "window_start",
    "window_end",
    "fee_dollars",
    "bonus_dollars",
    "cap_dollars",
];

const JOB_RENAMED: &[(&str, &str)] = &[
    ("location_id", "store"),
    ("fee_cents", "fee_dollars"),
    ("bonus_cents", "bonus_dollars"),
    ("reimbursement_cap_cents", "cap_dollars"),
];

/// Most stores the new-job form's store search lists.
const STORE_MATCHES: i64 = 20;

impl ProjectPage {
    /// The list's address for page `page`, with the filter kept.
    fn page_link(&self, page: i64) -> String {
        let mut link = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            link.append_pair("q", &self.q);
        }
        link.append_pair("state", self.state)
            .append_pair("sort", self.sort)
            .append_pair("page", &page.to_string());
        format!("/staff/projects/{}?{}#jobs", self.project.id, link.finish())
    }
}

/// The project page's address: its job list's filter and page, and the new-job form's store
/// search or chosen store.
#[derive(Debug, Default, Deserialize)]
struct ProjectQuery {
    q: Option<String>,
    state: Option<String>,
    sort: Option<String>,
    page: Option<i64>,
    store_q: Option<String>,
    store: Option<String>,
}

async fn project_page_with(
    state: &AppState,
    id: ProjectId,
    f: Frame,
    report: Option<ImportReport>,
    problem: String,
    job: FormState,
    query: &ProjectQuery,
) -> Result<ProjectPage, PageError> {
    let list = JobListQuery {
        q: query.q.clone().filter(|q| !q.trim().is_empty()),
        state: query
            .state
            .as_deref()
            .and_then(StateFilter::parse)
            .unwrap_or_default(),
        sort: query
            .sort
            .as_deref()
            .and_then(JobSort::parse)
            .unwrap_or_default(),
        page: query.page.unwrap_or(1).max(1),
    };
    let store_q = query.store_q.clone().unwrap_or_default().trim().to_string();
    let today = state.clock.today();
    let (project, jobs, store_count, found, list) = {
        let store_q = store_q.clone();
        state
            .db
            .run(move |conn| {
                use diesel::OptionalExtension;
                let project = client_store::find_project(conn, id)
                    .optional()?
                    .ok_or_else(|| AppError::not_found("No project has this id."))?;
                let (_, store_count) = client_store::page_locations(
                    conn,
                    project.client_id,
                    None,
                    LocationSort::Code,
                    0,
                    0,
                )?;
                let found = if store_q.is_empty() {
                    Vec::new()
                } else {
                    client_store::page_locations(
                        conn,
                        project.client_id,
                        Some(&store_q),
                        LocationSort::Code,
                        0,
                        STORE_MATCHES,
                    )?
                    .0
                };
                let jobs = job_list::project_jobs(conn, id, &list, today)?;
                Ok((project, jobs, store_count, found, list))
            })
            .await?
    };
    let store_matches = found
        .into_iter()
        .map(|l| {
            let chosen: String = url::form_urlencoded::byte_serialize(l.code.as_bytes()).collect();
            let words = format!("{} · {}, {} {}", l.code, l.name, l.city, l.state);
            let link = format!("/staff/projects/{id}?store={chosen}#new-job");
            (l.code, words, link)
        })
        .collect();
    // A store chosen from the search fills the form's store.
    let job = match &query.store {
        Some(code) if !job.failed() => FormState::with_value("store", code),
        _ => job,
    };
    Ok(ProjectPage {
        f,
        project,
        jobs,
        q: list.q.unwrap_or_default(),
        state: list.state.as_str(),
        sort: list.sort.as_str(),
        store_count,
        store_q,
        store_matches,
        report,
        problem,
        job,
    })
}

async fn project_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ProjectId>,
    query: web::Query<ProjectQuery>,
) -> PageResult {
    let (_, f, csrf) = frame(&req, &state).await?;
    let page = project_page_with(
        &state,
        path.into_inner(),
        f,
        None,
        String::new(),
        FormState::blank(),
        &query,
    )
    .await?;
    render_shown(&req, &page, csrf)
}

/// A job import: a CSV file chosen on the page, or CSV text pasted.
async fn import_jobs(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ProjectId>,
    multipart: Multipart,
) -> PageResult {
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    let (user, mut upload) =
        staff_upload(&req, &state, Role::SCHEDULING, multipart, "file", CSV_LIMIT).await?;
    let id = path.into_inner();
    let outcome = match upload.csv() {
        Ok(csv) => {
            state
                .db
                .run(move |conn| clients::import_jobs(conn, id, &csv, max, now))
                .await
        }
        Err(e) => Err(e),
    };
    project_outcome(&req, &state, user, id, outcome.map(Some)).await
}

/// One job, from the form on the project's page; the store is named by its code.
async fn create_job(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ProjectId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    let (_, form) = staff_form(&req, &state, form).await?;
    let id = path.into_inner();
    let mut read = Reader::new(&form);
    let store = read.text("store");
    let mut input = JobInput {
        project_id: Some(id),
        code: read.text("code"),
        window_start: read.date("window_start"),
        window_end: read.date("window_end"),
        fee_cents: read.money("fee_dollars", ""),
        bonus_cents: read.money("bonus_dollars", ""),
        reimbursement_cap_cents: read.money("cap_dollars", ""),
        ..JobInput::default()
    };
    let unread = std::mem::take(&mut read.errors);
    let outcome = state
        .db
        .run(move |conn| {
            use diesel::OptionalExtension;
            let project = client_store::find_project(conn, id)
                .optional()?
                .ok_or_else(|| AppError::not_found("No project has this id."))?;
            let unknown = match &store {
                Some(code) => {
                    input.location_id =
                        client_store::location_by_code(conn, project.client_id, code)?
                            .map(|l| l.id);
                    input.location_id.is_none().then(|| code.clone())
                }
                None => None,
            };
            // A form with a value that could not be read is not written: the service is asked
            // without a store, which it always refuses, so that its other problems are said too.
            let known_store = input.location_id.is_some();
            let dry_run = !unread.is_empty();
            if dry_run {
                input.location_id = None;
            }
            clients::create_job(conn, &input, max, now).map_err(|mut e| {
                if dry_run && known_store {
                    e.fields.retain(|f| f.field != "location_id");
                }
                for f in &mut e.fields {
                    if f.field == "location_id" {
                        f.message = match &unknown {
                            Some(code) => format!(
                                "No store of this client has the code “{code}”; find it with the search above."
                            ),
                            None => "Type the store's code, or find it with the search above."
                                .to_string(),
                        };
                    }
                }
                e.fields = form::merged(unread, e.fields);
                e
            })
        })
        .await;
    match outcome {
        Ok(job) => Ok(form::done(
            &state,
            &format!("/staff/projects/{id}"),
            &format!("Job {} added.", job.code),
        )),
        Err(e) => {
            let job = refused(&form, e, JOB_FIELDS, JOB_RENAMED)?;
            let (_, f, csrf) = frame(&req, &state).await?;
            let page = project_page_with(
                &state,
                id,
                f,
                None,
                String::new(),
                job,
                &ProjectQuery::default(),
            )
            .await?;
            Ok(super::pages::with_csrf(
                html(StatusCode::UNPROCESSABLE_ENTITY, &page)?,
                csrf,
            ))
        }
    }
}

/// Shows the project's page again with an import report or a problem (status 200 or 422).
async fn project_outcome(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    id: ProjectId,
    outcome: Result<Option<ImportReport>, AppError>,
) -> PageResult {
    let (status, report, problem) = match outcome {
        Ok(report) => (StatusCode::OK, report, String::new()),
        Err(e) if e.status.is_client_error() => {
            (StatusCode::UNPROCESSABLE_ENTITY, None, problem_text(&e))
        }
        Err(e) => return Err(e.into()),
    };
    let f = Frame::new(state, &user, csrf(req, state).token, None);
    let page = project_page_with(
        state,
        id,
        f,
        report,
        problem,
        FormState::blank(),
        &ProjectQuery::default(),
    )
    .await?;
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
    id: JobId,
    problem: String,
) -> PageResult {
    let now = state.clock.naive();
    let unit = state.settings.distance_unit;
    let (user, f, csrf) = frame(req, state).await?;
    let (keys, live) = (state.auth.keys.clone(), state.live.clone());
    let asked = candidates::Asked {
        job_id: id,
        limit: 50,
        unit,
    };
    let (view, assignments) = state
        .db
        .run(move |conn| {
            Ok((
                candidates::candidates(conn, &keys, &live, user.id, asked, now)?,
                // A job's newest hundred assignments (a job rarely has more than a few).
                crate::assignments::service::of_job(
                    conn,
                    id,
                    PageRequest::lenient(None, MAX_PER_PAGE),
                )?
                .items,
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
    Ok(form::shown(
        req,
        super::pages::with_csrf(html(status, &page)?, csrf),
    ))
}

async fn job_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> PageResult {
    job_page_with(&req, &state, path.into_inner(), String::new()).await
}

/// Offer the job to a candidate, or assign it at once (`action` = `offer` | `assign`).
async fn offer_job(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = staff_form(&req, &state, form).await?;
    let job_id = path.into_inner();
    let action = match form.get("action").map(String::as_str) {
        Some("assign") => crate::assignments::model::Action::Assign,
        _ => crate::assignments::model::Action::Offer,
    };
    let Some(shopper_id) = form_text(&form, "shopper_id").and_then(|v| v.parse::<ShopperId>().ok())
    else {
        return job_page_with(
            &req,
            &state,
            job_id,
            "Choose a shopper from the list below.".into(),
        )
        .await;
    };
    let notifier = state.notifier();
    let outcome = state
        .db
        .run(move |conn| {
            crate::assignments::service::offer_or_assign(
                conn, &notifier, user.id, job_id, shopper_id, action, now,
            )?;
            let code = crate::panel::store::find_shopper(conn, shopper_id)?
                .map_or_else(|| format!("shopper {shopper_id}"), |s| s.code);
            Ok(code)
        })
        .await;
    state.mail.wake();
    match outcome {
        Ok(code) => Ok(form::done(
            &state,
            &format!("/staff/jobs/{job_id}"),
            &match action {
                crate::assignments::model::Action::Assign => format!("Job assigned to {code}."),
                _ => format!("Offer sent to {code}."),
            },
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            job_page_with(&req, &state, job_id, problem_text(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}
