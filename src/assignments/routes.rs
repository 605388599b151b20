//! JSON routes of assignments. A shopper asks for jobs and moves their own assignments;
//! schedulers and admins offer, assign and move any. Another shopper's assignment is answered
//! as not found.

use crate::ids::{AssignmentId, JobId};
use crate::units::DistanceUnit;
use actix_web::{HttpResponse, web};

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::batch::{self, BatchRequest, BatchView};
use super::board::{self, JobCard, PAGE_SIZE, Sort};
use super::coverage::{self, CoverageQuery, CoverageReport};
use super::model::Action;
use super::model::{
    AcceptRequest, AssignmentView, Move, MoveRequest, OptionalReason, RequiredReason,
    RescheduleRequest, ShopperRef, VisitRequest,
};
use super::service;
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::http::{ApiJson, parse_json};
use crate::paging::{PageQuery, Paged};
use crate::routing::Routes;
use crate::state::AppState;

/// The job board alone, registered before every other route of the API: the most asked
/// address is then matched first, not after a hundred patterns.
pub fn board_route(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1").get("/me/jobs", job_board);
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/me/jobs/{id}", job_detail)
        .post("/jobs/{id}/request", request)
        .get("/coverage", coverage_report)
        .post("/jobs/{id}/bonus", set_bonus)
        .post("/batches", create_batch)
        .get("/batches/{id}", get_batch)
        .post("/batches/{id}/send", send_batch)
        .post("/jobs/{id}/offer", offer)
        .post("/jobs/{id}/assign", assign)
        .get("/jobs/{id}/assignments", job_assignments)
        .get("/jobs/{id}/candidates", job_candidates)
        .get("/me/assignments", my_assignments)
        .get("/me/assignments.ics", my_calendar)
        .post("/assignments/{id}/accept", accept)
        .post("/assignments/{id}/decline", decline)
        .post("/assignments/{id}/cancel", cancel)
        .post("/assignments/{id}/reschedule", reschedule)
        .post("/assignments/{id}/visit", visit)
        .post("/assignments/{id}/reassign", reassign)
        .post("/assignments/{id}/location-closed", location_closed);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// `distance` (nearest first, the default) or `date` (soonest window first).
    pub sort: Option<String>,
    /// 1 and up.
    pub page: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BoardPage {
    pub sort: String,
    pub page: usize,
    pub pages: usize,
    /// Jobs open to me in all.
    pub total: usize,
    /// My travel radius, km.
    pub radius_km: f64,
    pub jobs: Vec<JobCard>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct JobDetail {
    pub job: JobCard,
    /// Whether I may take the job now.
    pub available: bool,
    /// If not, why, in my words.
    pub why_not: Vec<String>,
}

/// My job board: the open jobs I may take (distance within both radii, requirements, no
/// conflict, rotation, capacity), 20 a page.
#[utoipa::path(get, path = "/api/v1/me/jobs", tag = "assignments", params(BoardQuery),
    responses((status = 200, body = BoardPage),
        (status = 404, description = "No application yet", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn job_board(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    let sort = match query.sort.as_deref() {
        None | Some("distance") => Sort::Distance,
        Some("date") => Sort::Date,
        Some(_) => return Err(AppError::field("sort", "must be distance or date")),
    };
    let page = query.page.unwrap_or(1);
    if page == 0 {
        return Err(AppError::field("page", "must be 1 or more"));
    }
    let keys = state.auth.keys.clone();
    let live = state.live.clone();
    let today = state.clock.today();
    // Straight from memory when the index holds every change committed before this request
    // (the version came with the session); otherwise it catches up first.
    let held = user
        .index_version
        .and_then(|v| live.page_held(v, user.id.into(), today, sort, page));
    let found = match held {
        Some(found) => found?,
        None => {
            state
                .db
                .run(move |conn| live.page(conn, &keys, user.id.into(), today, sort, page))
                .await?
        }
    };
    let head = BoardHead {
        sort: if sort == Sort::Date {
            "date"
        } else {
            "distance"
        },
        page,
        pages: found.total.div_ceil(PAGE_SIZE).max(1),
        total: found.total,
        radius_km: found.radius_km,
    };
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(head.with_jobs(&found.jobs_json)?))
}

/// A [`BoardPage`] but its jobs, in its order: the page's cards come written
/// ([`board::write_cards`]).
#[derive(Serialize)]
struct BoardHead {
    sort: &'static str,
    page: usize,
    pages: usize,
    total: usize,
    radius_km: f64,
}

impl BoardHead {
    /// The whole page as serde writes a [`BoardPage`] (a test holds the two together).
    fn with_jobs(&self, jobs_json: &[u8]) -> AppResult<Vec<u8>> {
        let mut body = Vec::with_capacity(128 + jobs_json.len());
        serde_json::to_writer(&mut body, self).map_err(AppError::internal)?;
        body.pop();
        body.extend_from_slice(b",\"jobs\":");
        body.extend_from_slice(jobs_json);
        body.push(b'}');
        Ok(body)
    }
}

/// One job: whether I may take it, and if not, why, in my words (never a client's or
/// competitor's name, never the reason of a conflict).
#[utoipa::path(get, path = "/api/v1/me/jobs/{id}", tag = "assignments",
    params(("id" = i64, Path, description = "The job's id")),
    responses((status = 200, body = JobDetail)),
    security(("bearer" = [])))]
pub async fn job_detail(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<JobId>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    let job_id = path.into_inner();
    // The API words distances in kilometres, as its numbers are.
    let unit = DistanceUnit::Km;
    let keys = state.auth.keys.clone();
    let today = state.clock.today();
    let travel = state.settings.travel;
    let (job, why_not) = state
        .db
        .run(move |conn| board::job_for(conn, &keys, user.id.into(), job_id, today, unit, travel))
        .await?;
    Ok(HttpResponse::Ok().json(JobDetail {
        job,
        available: why_not.is_empty(),
        why_not,
    }))
}

/// Coverage (staff): every store with open, untaken jobs and how many active shoppers may take
/// at least one of them, fewest first; `short` below the threshold (`below`, default 3).
#[utoipa::path(get, path = "/api/v1/coverage", tag = "assignments", params(CoverageQuery),
    responses((status = 200, body = CoverageReport)),
    security(("bearer" = [])))]
pub async fn coverage_report(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<CoverageQuery>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let query = query.into_inner();
    let (keys, live) = (state.auth.keys.clone(), state.live.clone());
    let report = state
        .db
        .run(move |conn| coverage::report(conn, &keys, &live, &query, now))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BonusRequest {
    /// The new bonus, in cents.
    pub bonus_cents: i64,
}

/// Set a job's bonus (staff), e.g. for a store short of shoppers.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/bonus", tag = "assignments",
    params(("id" = i64, Path, description = "The job's id")), request_body = BonusRequest,
    responses((status = 200, body = crate::clients::model::JobRow)),
    security(("bearer" = [])))]
pub async fn set_bonus(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<JobId>,
    body: ApiJson<BonusRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    user.require(Role::SCHEDULING)?;
    let bonus = body.into_inner()?.bonus_cents;
    let id = path.into_inner();
    let job = state
        .db
        .run(move |conn| coverage::set_bonus(conn, id, bonus, max, now))
        .await?;
    Ok(HttpResponse::Ok().json(job))
}

/// Propose the optimal assignment of these open jobs (staff): the most jobs filled, then the
/// least travel, by the matching engine's optimiser. Nothing is offered until the batch is
/// sent. Each proposed shopper gets an access record.
#[utoipa::path(post, path = "/api/v1/batches", tag = "assignments", request_body = BatchRequest,
    responses((status = 201, body = BatchView)),
    security(("bearer" = [])))]
pub async fn create_batch(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<BatchRequest>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let request = body.into_inner()?;
    let (keys, live) = (state.auth.keys.clone(), state.live.clone());
    let view = state
        .db
        .run(move |conn| batch::propose(conn, &keys, &live, user.id, &request, now))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// A batch: its proposal and, once sent, each offer's outcome (staff).
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "assignments",
    params(("id" = i64, Path, description = "The batch's id")),
    responses((status = 200, body = BatchView)),
    security(("bearer" = [])))]
pub async fn get_batch(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let id = path.into_inner();
    let view = state.db.run(move |conn| batch::view(conn, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Send every offer of a batch in one step (staff). Each pair is checked again; one that no
/// longer holds is reported in its `outcome`. 409 when the batch was sent already.
#[utoipa::path(post, path = "/api/v1/batches/{id}/send", tag = "assignments",
    params(("id" = i64, Path, description = "The batch's id")),
    responses((status = 200, body = BatchView),
        (status = 409, description = "The batch was sent already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn send_batch(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let id = path.into_inner();
    let notifier = state.notifier().in_unit(DistanceUnit::Km);
    let view = state
        .db
        .run(move |conn| batch::send(conn, &notifier, user.id, id, now))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(view))
}

/// Ask for a job (shopper). Where the project lets shoppers rated at least its threshold take
/// jobs themselves, and you are, the job is yours at once (`accepted`); otherwise the request
/// waits for staff (`requested`).
#[utoipa::path(post, path = "/api/v1/jobs/{id}/request", tag = "assignments",
    params(("id" = i64, Path, description = "The job's id")),
    responses((status = 201, body = AssignmentView),
        (status = 409, description = "Not available to you (the detail says why), taken, or asked for already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn request(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<JobId>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(&[Role::Shopper])?;
    let job_id = path.into_inner();
    let keys = state.auth.keys.clone();
    let notifier = state.notifier().in_unit(DistanceUnit::Km);
    let view = state
        .db
        .run(move |conn| service::request(conn, &keys, &notifier, user.id.into(), job_id, now))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Created().json(view))
}

async fn staff_move(
    state: web::Data<AppState>,
    user: CurrentUser,
    job_id: JobId,
    body: ApiJson<ShopperRef>,
    action: Action,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let shopper_id = body.into_inner()?.shopper_id;
    let notifier = state.notifier().in_unit(DistanceUnit::Km);
    let view = state
        .db
        .run(move |conn| {
            service::offer_or_assign(conn, &notifier, user.id, job_id, shopper_id, action, now)
        })
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Created().json(view))
}

/// Offer a job to an eligible shopper (staff); the offer lapses after the project's
/// `offer_hours`. The shopper's request, if any, becomes the offer.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/offer", tag = "assignments",
    params(("id" = i64, Path, description = "The job's id")), request_body = ShopperRef,
    responses((status = 201, body = AssignmentView),
        (status = 409, description = "Not eligible (reasons in the detail), or the job is taken", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn offer(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<JobId>,
    body: ApiJson<ShopperRef>,
) -> AppResult<HttpResponse> {
    staff_move(state, user, path.into_inner(), body, Action::Offer).await
}

/// Give a job to an eligible shopper at once (staff): `accepted` without an offer.
#[utoipa::path(post, path = "/api/v1/jobs/{id}/assign", tag = "assignments",
    params(("id" = i64, Path, description = "The job's id")), request_body = ShopperRef,
    responses((status = 201, body = AssignmentView),
        (status = 409, description = "Not eligible (reasons in the detail), or the job is taken", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn assign(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<JobId>,
    body: ApiJson<ShopperRef>,
) -> AppResult<HttpResponse> {
    staff_move(state, user, path.into_inner(), body, Action::Assign).await
}

/// A job's assignments, newest first, each with its history (staff).
#[utoipa::path(get, path = "/api/v1/jobs/{id}/assignments", tag = "assignments",
    params(("id" = i64, Path, description = "The job's id"), PageQuery),
    responses((status = 200, body = Paged<AssignmentView>)),
    security(("bearer" = [])))]
pub async fn job_assignments(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<JobId>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(Role::SCHEDULING)?;
    let job_id = path.into_inner();
    let page = query.checked()?;
    let list = state
        .db
        .run(move |conn| service::of_job(conn, job_id, page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// My assignments with their states, dates and history, newest first (shopper).
#[utoipa::path(get, path = "/api/v1/me/assignments", tag = "assignments", params(PageQuery),
    responses((status = 200, body = Paged<AssignmentView>)),
    security(("bearer" = [])))]
pub async fn my_assignments(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    let page = query.checked()?;
    let list = state
        .db
        .run(move |conn| service::mine(conn, user.id.into(), page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// My accepted visits as an iCalendar file (`text/calendar`), for any calendar app.
#[utoipa::path(get, path = "/api/v1/me/assignments.ics", tag = "assignments",
    responses((status = 200, content_type = "text/calendar", body = String)),
    security(("bearer" = [])))]
pub async fn my_calendar(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(&[Role::Shopper])?;
    let text = state
        .db
        .run(move |conn| super::calendar::calendar(conn, user.id.into(), now))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((
            "content-disposition",
            "attachment; filename=\"incognito.ics\"",
        ))
        .body(text))
}

/// Reads a move's body: none (or only spaces) reads as `{}`, so that a required field is
/// named; otherwise JSON.
fn move_body<T: serde::de::DeserializeOwned>(
    req: &actix_web::HttpRequest,
    body: &[u8],
) -> AppResult<T> {
    if body.iter().all(u8::is_ascii_whitespace) {
        parse_json(b"{}")
    } else if !crate::http::is_json(req) {
        Err(AppError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as JSON, with Content-Type: application/json.",
        ))
    } else {
        parse_json(body)
    }
}

/// Every move, whichever route it came by: the shopper holding the assignment or schedulers
/// (see [`Move::mover`]); another shopper's assignment is not found.
async fn make_move(
    state: &AppState,
    user: CurrentUser,
    id: AssignmentId,
    name: &str,
    request: MoveRequest,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    let Some(mv) = Move::parse(name, &request) else {
        return Err(AppError::not_found("There is no such move."));
    };
    let mv = mv?;
    let notifier = state.notifier().in_unit(DistanceUnit::Km);
    let view = state
        .db
        .run(move |conn| service::act(conn, &notifier, &user, id, &mv, now))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Ok().json(view))
}

/// The roles that may move an assignment at all: the shopper (their own) and schedulers.
fn may_move(user: &CurrentUser) -> AppResult<()> {
    let mut roles = Role::SCHEDULING.to_vec();
    roles.push(Role::Shopper);
    user.require(&roles)
}

/// One route per move, each with its own body; they share [`make_move`].
macro_rules! move_route {
    ($(#[$doc:meta])* $name:ident, $path:literal, $move:literal, $body:ty) => {
        $(#[$doc])*
        pub async fn $name(
            req: actix_web::HttpRequest,
            state: web::Data<AppState>,
            user: CurrentUser,
            path: web::Path<AssignmentId>,
            body: web::Bytes,
        ) -> AppResult<HttpResponse> {
            may_move(&user)?;
            let id = path.into_inner();
            // Who may act comes before what was sent.
            let caller = user.clone();
            state
                .db
                .run(move |conn| service::may_act(conn, &caller, id, $move))
                .await?;
            let request: $body = move_body(&req, &body)?;
            make_move(&state, user, id, $move, request.into()).await
        }
    };
}

move_route!(
    /// The shopper takes an offer before its deadline, optionally planning the day.
    #[utoipa::path(post, path = "/api/v1/assignments/{id}/accept", tag = "assignments",
        params(("id" = i64, Path, description = "The assignment's id")),
        request_body(content = Option<AcceptRequest>, description = "May be left out"),
        responses((status = 200, body = AssignmentView),
            (status = 403, description = "Staff cannot accept for a shopper", body = Problem, content_type = "application/problem+json"),
            (status = 409, description = "Not an open offer (the current `state` is given), or the job is taken", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    accept, "/assignments/{id}/accept", "accept", AcceptRequest
);

move_route!(
    /// The shopper turns an offer down; staff turn a request down.
    #[utoipa::path(post, path = "/api/v1/assignments/{id}/decline", tag = "assignments",
        params(("id" = i64, Path, description = "The assignment's id")),
        request_body(content = Option<OptionalReason>, description = "May be left out"),
        responses((status = 200, body = AssignmentView),
            (status = 409, description = "Not an offer (shopper) or a request (staff); the current `state` is given", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    decline, "/assignments/{id}/decline", "decline", OptionalReason
);

move_route!(
    /// Calls the assignment off, with a reason. A shopper calling off an accepted job late
    /// (two days before the window ends or the day before the planned visit, and not within
    /// a day of getting it) earns a citation.
    #[utoipa::path(post, path = "/api/v1/assignments/{id}/cancel", tag = "assignments",
        params(("id" = i64, Path, description = "The assignment's id")),
        request_body = RequiredReason,
        responses((status = 200, body = AssignmentView),
            (status = 409, description = "Already over (the current `state` is given)", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    cancel, "/assignments/{id}/cancel", "cancel", RequiredReason
);

move_route!(
    /// The shopper plans another day for an accepted visit, within the window.
    #[utoipa::path(post, path = "/api/v1/assignments/{id}/reschedule", tag = "assignments",
        params(("id" = i64, Path, description = "The assignment's id")),
        request_body = RescheduleRequest,
        responses((status = 200, body = AssignmentView),
            (status = 403, description = "Only the shopper plans the visit", body = Problem, content_type = "application/problem+json"),
            (status = 409, description = "Not accepted (the current `state` is given)", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    reschedule, "/assignments/{id}/reschedule", "reschedule", RescheduleRequest
);

move_route!(
    /// The shopper reports the visit made (today, or the day given).
    #[utoipa::path(post, path = "/api/v1/assignments/{id}/visit", tag = "assignments",
        params(("id" = i64, Path, description = "The assignment's id")),
        request_body(content = Option<VisitRequest>, description = "May be left out"),
        responses((status = 200, body = AssignmentView),
            (status = 403, description = "Only the shopper reports the visit", body = Problem, content_type = "application/problem+json"),
            (status = 409, description = "Not accepted (the current `state` is given)", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    visit, "/assignments/{id}/visit", "visit", VisitRequest
);

move_route!(
    /// Staff take an accepted or visited job back to give it to someone else, with a reason.
    #[utoipa::path(post, path = "/api/v1/assignments/{id}/reassign", tag = "assignments",
        params(("id" = i64, Path, description = "The assignment's id")),
        request_body = RequiredReason,
        responses((status = 200, body = AssignmentView),
            (status = 403, description = "Only staff reassign", body = Problem, content_type = "application/problem+json"),
            (status = 409, description = "Not accepted or visited (the current `state` is given)", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    reassign, "/assignments/{id}/reassign", "reassign", RequiredReason
);

move_route!(
    /// The shopper found the store closed: the assignment ends without a citation, and the
    /// job is closed until staff look into it.
    #[utoipa::path(post, path = "/api/v1/assignments/{id}/location-closed", tag = "assignments",
        params(("id" = i64, Path, description = "The assignment's id")),
        request_body(content = Option<OptionalReason>, description = "May be left out"),
        responses((status = 200, body = AssignmentView),
            (status = 403, description = "Only the shopper holding the job reports it", body = Problem, content_type = "application/problem+json"),
            (status = 409, description = "Not accepted (the current `state` is given)", body = Problem, content_type = "application/problem+json")),
        security(("bearer" = [])))]
    location_closed, "/assignments/{id}/location-closed", "location-closed", OptionalReason
);

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CandidatesQuery {
    /// How many of each list, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<usize>,
}

/// The job's eligible shoppers, nearest first, and the nearest shoppers within reach who are
/// not eligible, with every reason (distance, requirements, conflicts with the client or its
/// competitors, staff disqualifications, status). Each listed shopper gets an access record.
#[utoipa::path(get, path = "/api/v1/jobs/{id}/candidates", tag = "assignments",
    params(("id" = i64, Path, description = "The job's id"), CandidatesQuery),
    responses((status = 200, body = super::candidates::CandidatesView)),
    security(("bearer" = [])))]
pub async fn job_candidates(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<JobId>,
    query: web::Query<CandidatesQuery>,
) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    user.require(Role::SCHEDULING)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(crate::error::AppError::field("limit", "must be 1 to 200"));
    }
    // The API words distances in kilometres, as its numbers are.
    let unit = DistanceUnit::Km;
    let id = path.into_inner();
    let (keys, live) = (state.auth.keys.clone(), state.live.clone());
    let asked = super::candidates::Asked {
        job_id: id,
        limit,
        unit,
    };
    let view = state
        .db
        .run(move |conn| super::candidates::candidates(conn, &keys, &live, user.id, asked, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    #[test]
    fn a_written_board_page_is_what_serde_writes_for_it() {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let card = JobCard {
            id: JobId(12),
            code: "J-12".into(),
            area: "Springfield, IL".into(),
            window_start: day,
            window_end: day,
            fee_cents: Money::from_cents(2500),
            bonus_cents: Money::from_cents(0),
            reimbursement_cap_cents: Money::from_cents(1200),
            client_name: Some("A \"quoted\" client".into()),
            distance_km: 12.5,
            pay: board::PayEstimate::of(
                Money::from_cents(2500),
                Money::from_cents(0),
                12.5,
                30,
                crate::config::TravelCosts::default(),
            ),
            east_km: 2.0,
            north_km: -4.0,
        };
        for (sort, jobs) in [("distance", vec![]), ("date", vec![card.clone(), card])] {
            let head = BoardHead {
                sort,
                page: 3,
                pages: 7,
                total: 131,
                radius_km: 40.25,
            };
            let whole = BoardPage {
                sort: sort.into(),
                page: 3,
                pages: 7,
                total: 131,
                radius_km: 40.25,
                jobs: jobs.clone(),
            };
            let written = head.with_jobs(&serde_json::to_vec(&jobs).unwrap()).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                serde_json::to_string(&whole).unwrap()
            );
        }
    }
}
