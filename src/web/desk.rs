//! Scheduling staff's desk pages beyond one job: batches (choose a project's open jobs, review
//! the optimal proposal, send the offers) and coverage (stores short of shoppers, with a bonus
//! form). Scheduling staff and admins only.

use crate::ids::{ClientId, JobId};
use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use super::form::{self, FormState, Reader};
use super::session::{Csrf, csrf, form_post_in, page_user_in};
use super::{PageError, Pager, html};
use crate::assignments::batch::{self, BatchRequest, BatchView, JobSelection};
use crate::assignments::coverage::{self, CoverageQuery, CoverageReport};
use crate::auth::Role;
use crate::db::schema::{clients, organizations, projects};
use crate::error::AppError;
use crate::money::Money;
use crate::paging::PageRequest;
use crate::routing::Routes;
use crate::state::AppState;

use super::PageResult;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/staff/batches", batches_page)
        .post("/staff/batches", propose)
        .get("/staff/batches/{id}", batch_page)
        .post("/staff/batches/{id}/send", send)
        .get("/staff/coverage", coverage_page)
        .post("/staff/jobs/{id}/bonus", set_bonus);
}

/// A page's common parts: who is signed in, the form token, the confirmation of the form sent
/// just before (said once), and the unit of distances.
use super::StaffFrame as Frame;

async fn frame(req: &HttpRequest, state: &AppState) -> Result<(Frame, Csrf), PageError> {
    let user = page_user_in(req, state, Role::SCHEDULING).await?;
    let csrf = csrf(req, state);
    let frame = Frame::new(state, &user, csrf.token.clone(), form::notice(req));
    Ok((frame, csrf))
}

#[derive(Template)]
#[template(path = "staff_batches.html")]
struct BatchesPage {
    f: Frame,
    /// Whether any project exists.
    any_project: bool,
    /// The project search, and what it found (or, before a search, the newest projects):
    /// (project id, "client · project").
    project_q: String,
    found: Vec<(i64, String)>,
    /// The project the form proposes for: (id, "client · project").
    chosen: Option<(i64, String)>,
    form: FormState,
}

const SELECTION_FIELDS: &[&str] = &["project_id", "from", "to", "state", "city"];

/// Most projects the batch page's search lists.
const PROJECT_MATCHES: i64 = 20;

/// The batch page's address: the project search, or the project chosen from it.
#[derive(Debug, Default, Deserialize)]
struct BatchesQuery {
    project_q: Option<String>,
    project_id: Option<String>,
}

/// Projects as the batch page names them, by client and name, at most `PROJECT_MATCHES`:
/// those whose name or client's name contains `q`, or the newest when `q` is empty.
fn projects_named(
    conn: &mut crate::db::DbConnection,
    q: &str,
) -> diesel::QueryResult<Vec<(i64, String)>> {
    let mut query = projects::table
        .inner_join(clients::table.inner_join(organizations::table))
        .select((projects::id, organizations::name, projects::name))
        .limit(PROJECT_MATCHES)
        .into_boxed();
    if q.is_empty() {
        query = query.order(projects::id.desc());
    } else {
        let name = crate::db::contains_pattern(q);
        let client = crate::db::contains_pattern(&crate::organizations::name_key(q));
        query = query
            .filter(
                crate::db::lower(projects::name)
                    .like(name)
                    .escape('\\')
                    .or(organizations::name_key.like(client).escape('\\')),
            )
            .order((organizations::name_key, projects::name, projects::id));
    }
    let rows: Vec<(i64, String, String)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, client, project)| (id, format!("{client} · {project}")))
        .collect())
}

async fn batches_page_with(
    req: &HttpRequest,
    state: &AppState,
    form: FormState,
    query: &BatchesQuery,
) -> PageResult {
    let (f, csrf) = frame(req, state).await?;
    let project_q = query
        .project_q
        .clone()
        .unwrap_or_default()
        .trim()
        .to_string();
    // The project chosen from the search, or kept by a refused form.
    let chosen_id = query
        .project_id
        .as_deref()
        .or(Some(form.value("project_id")))
        .and_then(|v| v.trim().parse::<i64>().ok());
    let (any_project, found, chosen) = {
        let project_q = project_q.clone();
        state
            .db
            .run(move |conn| {
                let any: i64 = projects::table.count().get_result(conn)?;
                let chosen = match chosen_id {
                    None => None,
                    Some(id) => projects::table
                        .find(id)
                        .inner_join(clients::table.inner_join(organizations::table))
                        .select((projects::id, organizations::name, projects::name))
                        .first::<(i64, String, String)>(conn)
                        .optional()?
                        .map(|(id, client, project)| (id, format!("{client} · {project}"))),
                };
                let found = if chosen.is_some() && project_q.is_empty() {
                    Vec::new()
                } else {
                    projects_named(conn, &project_q)?
                };
                Ok((any > 0, found, chosen))
            })
            .await?
    };
    let refused = form.failed();
    let page = BatchesPage {
        f,
        any_project,
        project_q,
        found,
        chosen,
        form,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

async fn batches_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<BatchesQuery>,
) -> PageResult {
    batches_page_with(&req, &state, FormState::blank(), &query).await
}

/// Proposes a batch of a project's open jobs, optionally those whose window opens within the
/// days given, at stores of a region.
async fn propose(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, sent) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let mut read = Reader::new(&sent);
    let selection = JobSelection {
        project_id: read.id("project_id", "Choose a project: find it above."),
        from: read.date("from"),
        to: read.date("to"),
        state: read.text("state"),
        city: read.text("city"),
    };
    let errors = form::merged(read.errors, selection.check());
    let outcome = if errors.is_empty() {
        let (keys, live) = (state.auth.keys.clone(), state.live.clone());
        state
            .db
            .run(move |conn| {
                let job_ids = selection.open_jobs(conn)?;
                batch::propose(conn, &keys, &live, user.id, &BatchRequest { job_ids }, now)
            })
            .await
    } else {
        Err(AppError::validation(errors))
    };
    match outcome {
        Ok(view) => Ok(form::done(
            &state,
            &format!("/staff/batches/{}", view.id),
            &proposed_words(&view),
        )),
        Err(e) if e.status.is_client_error() => {
            let form = FormState::refused(&sent, &e, SELECTION_FIELDS, &[], &[]);
            batches_page_with(&req, &state, form, &BatchesQuery::default()).await
        }
        Err(e) => Err(e.into()),
    }
}

/// "Proposed: 12 jobs filled, 3 unfilled. Review it, then send the offers."
fn proposed_words(view: &BatchView) -> String {
    let jobs = |n: usize| if n == 1 { "job" } else { "jobs" };
    if view.filled == 0 {
        return format!(
            "No shopper can take any of the {} {} selected; see why below.",
            view.unfilled,
            jobs(view.unfilled)
        );
    }
    format!(
        "Proposed: {} {} filled, {} unfilled. Review it, then send the offers.",
        view.filled,
        jobs(view.filled),
        view.unfilled
    )
}

#[derive(Template)]
#[template(path = "staff_batch.html")]
struct BatchPage {
    f: Frame,
    batch: BatchView,
    problem: String,
}

async fn batch_page_with(
    req: &HttpRequest,
    state: &AppState,
    id: i64,
    problem: String,
) -> PageResult {
    let (f, csrf) = frame(req, state).await?;
    let batch = state.db.run(move |conn| batch::view(conn, id)).await?;
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let page = BatchPage { f, batch, problem };
    Ok(form::shown(
        req,
        super::pages::with_csrf(html(status, &page)?, csrf),
    ))
}

async fn batch_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    batch_page_with(&req, &state, path.into_inner(), String::new()).await
}

async fn send(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, _) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let id = path.into_inner();
    let notifier = state.notifier();
    let outcome = state
        .db
        .run(move |conn| batch::send(conn, &notifier, user.id, id, now))
        .await;
    state.mail.wake();
    match outcome {
        Ok(view) => {
            let sent = view
                .items
                .iter()
                .filter(|i| i.outcome.as_deref() == Some("offered"))
                .count();
            let offers = if view.filled == 1 { "offer" } else { "offers" };
            let words = if sent == view.filled {
                format!("{sent} {offers} sent.")
            } else {
                format!(
                    "{sent} of {} {offers} sent; the outcome column says why the others were not.",
                    view.filled
                )
            };
            Ok(form::done(&state, &format!("/staff/batches/{id}"), &words))
        }
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            batch_page_with(&req, &state, id, form::problem_in_words(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct CoverageParams {
    below: Option<usize>,
    client_id: Option<ClientId>,
    page: Option<i64>,
}

/// Stores a page of the coverage page lists.
const COVERAGE_PAGE: i64 = 20;

impl CoverageParams {
    fn query(&self) -> CoverageQuery {
        CoverageQuery {
            client_id: self.client_id,
            below: self.below,
            page: Some(PageRequest::lenient(self.page, COVERAGE_PAGE).page),
            per_page: Some(COVERAGE_PAGE),
        }
    }

    /// The coverage page's address with these filters, ready for `page=`.
    fn href(&self) -> String {
        let mut href = String::from("/staff/coverage?");
        if let Some(c) = self.client_id {
            href.push_str(&format!("client_id={c}&"));
        }
        if let Some(b) = self.below {
            href.push_str(&format!("below={b}&"));
        }
        href
    }
}

#[derive(Template)]
#[template(path = "staff_coverage.html")]
struct CoveragePage {
    f: Frame,
    report: CoverageReport,
    pager: Pager,
    /// The filters and page, sent with a bonus so that a refused one comes back to this page.
    params: CoverageParams,
    /// A refused bonus: the job and its form.
    bonus: Option<(JobId, FormState)>,
}

impl CoveragePage {
    /// The bonus to show in the job's input: as typed when refused, else the job's bonus.
    fn bonus_value(&self, job_id: &JobId, bonus: &Money) -> String {
        match &self.bonus {
            Some((id, form)) if id == job_id => form.value("bonus_dollars").to_string(),
            _ => bonus.plain(),
        }
    }

    /// What is wrong with the job's bonus (empty when nothing is).
    fn bonus_error(&self, job_id: &JobId) -> String {
        match &self.bonus {
            Some((id, form)) if id == job_id => form.error("bonus_dollars"),
            _ => String::new(),
        }
    }
}

async fn coverage_page_with(
    req: &HttpRequest,
    state: &AppState,
    params: CoverageParams,
    bonus: Option<(JobId, FormState)>,
) -> PageResult {
    let now = state.clock.naive();
    let (f, csrf) = frame(req, state).await?;
    let (keys, live) = (state.auth.keys.clone(), state.live.clone());
    let query = params.query();
    let report = state
        .db
        .run(move |conn| coverage::report(conn, &keys, &live, &query, now))
        .await?;
    let refused = bonus.is_some();
    let pager = Pager {
        href: params.href(),
        param: "page",
        page: report.page,
        pages: report.pages,
        total: report.total,
        noun: "stores",
    };
    let page = CoveragePage {
        f,
        report,
        pager,
        params,
        bonus,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

async fn coverage_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<CoverageParams>,
) -> PageResult {
    coverage_page_with(&req, &state, params.into_inner(), None).await
}

async fn set_bonus(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let max = state.settings.max_fee;
    let (_, sent) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let id = path.into_inner();
    // The page the bonus was typed on, with its filters: where to come back to.
    let params = CoverageParams {
        below: sent.get("below").and_then(|v| v.parse().ok()),
        client_id: sent.get("client_id").and_then(|v| v.parse().ok()),
        page: sent.get("page").and_then(|v| v.parse().ok()),
    };
    let back = format!(
        "{}page={}",
        params.href(),
        PageRequest::lenient(params.page, COVERAGE_PAGE).page
    );
    let mut read = Reader::new(&sent);
    let cents = read.money("bonus_dollars", "Type the bonus in dollars; 0 for none.");
    let outcome = match cents {
        Some(cents) => {
            state
                .db
                .run(move |conn| coverage::set_bonus(conn, id, cents, max, now))
                .await
        }
        None => Err(AppError::validation(read.errors)),
    };
    match outcome {
        Ok(job) => Ok(form::done(
            &state,
            &back,
            &format!("Bonus for {} set to {}.", job.code, job.bonus_cents),
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let form = FormState::refused(
                &sent,
                &e,
                &["bonus_dollars"],
                &[("bonus_cents", "bonus_dollars")],
                &[],
            );
            coverage_page_with(&req, &state, params, Some((id, form))).await
        }
        Err(e) => Err(e.into()),
    }
}
