//! Scheduling staff's desk pages beyond one job: batches (choose a project's open jobs, review
//! the optimal proposal, send the offers) and coverage (stores short of shoppers, with a bonus
//! form). Scheduling staff and admins only.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use super::session::{csrf, form_date, form_post_in, form_text, page_user_in, problem_text};
use super::{PageError, html};
use crate::assignments::batch::{self, BatchRequest, BatchView};
use crate::assignments::coverage::{self, CoverageQuery, CoverageReport};
use crate::auth::Role;
use crate::db::schema::{clients, jobs, locations, organizations, projects};
use crate::error::AppError;
use crate::money::Money;
use crate::state::AppState;

type PageResult = Result<HttpResponse, PageError>;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/staff/batches", web::get().to(batches_page))
        .route("/staff/batches", web::post().to(propose))
        .route("/staff/batches/{id}", web::get().to(batch_page))
        .route("/staff/batches/{id}/send", web::post().to(send))
        .route("/staff/coverage", web::get().to(coverage_page))
        .route("/staff/jobs/{id}/bonus", web::post().to(set_bonus));
}

struct Frame {
    email: String,
    csrf: String,
    /// The unit of distances on the pages.
    unit: crate::units::DistanceUnit,
}

fn see_other(location: &str) -> PageResult {
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish())
}

#[derive(Template)]
#[template(path = "staff_batches.html")]
struct BatchesPage {
    f: Frame,
    /// (project id, "client · project")
    projects: Vec<(i64, String)>,
    problem: String,
}

async fn batches_page_with(req: &HttpRequest, state: &AppState, problem: String) -> PageResult {
    let user = page_user_in(req, state, Role::SCHEDULING).await?;
    let projects = state
        .db
        .run(|conn| {
            let rows: Vec<(i64, String, String)> = projects::table
                .inner_join(clients::table.inner_join(organizations::table))
                .order((organizations::name_key, projects::name))
                .select((projects::id, organizations::name, projects::name))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, client, project)| (id, format!("{client} · {project}")))
                .collect())
        })
        .await?;
    let csrf = csrf(req, state);
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = BatchesPage {
        f: Frame {
            email: user.email,
            csrf: csrf.token.clone(),
            unit: state.settings.distance_unit,
        },
        projects,
        problem,
    };
    Ok(super::pages::with_csrf(html(status, &page)?, csrf))
}

async fn batches_page(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    batches_page_with(&req, &state, String::new()).await
}

/// Proposes a batch of a project's open jobs, optionally those whose window starts within a
/// date range.
async fn propose(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let project = form_text(&form, "project_id").and_then(|v| v.parse::<i64>().ok());
    let (from, to) = match (form_date(&form, "from"), form_date(&form, "to"), project) {
        (Ok(from), Ok(to), Some(_)) => (from, to),
        (Err(e), _, _) | (_, Err(e), _) => {
            return batches_page_with(&req, &state, problem_text(&e)).await;
        }
        (_, _, None) => {
            return batches_page_with(&req, &state, "project_id: choose a project".into()).await;
        }
    };
    let project = project.unwrap_or_default();
    // The region: stores in a state, and in a city of it if given.
    let region_state = form_text(&form, "state").map(|s| s.to_ascii_uppercase());
    if region_state
        .as_deref()
        .is_some_and(|s| s.len() != 2 || !s.bytes().all(|b| b.is_ascii_uppercase()))
    {
        return batches_page_with(&req, &state, "state: two letters, e.g. NY".into()).await;
    }
    let city = form_text(&form, "city");
    if city.is_some() && region_state.is_none() {
        return batches_page_with(&req, &state, "state: give the state of the city too".into())
            .await;
    }
    let keys = state.auth.keys.clone();
    let outcome = state
        .db
        .run(move |conn| {
            let mut q = jobs::table
                .inner_join(locations::table)
                .filter(jobs::project_id.eq(project))
                .filter(jobs::status.eq("open"))
                .into_boxed();
            if let Some(region) = region_state {
                q = q.filter(locations::state.eq(region));
            }
            if let Some(city) = city {
                q = q.filter(locations::city.eq(city));
            }
            if let Some(from) = from {
                q = q.filter(jobs::window_start.ge(from));
            }
            if let Some(to) = to {
                q = q.filter(jobs::window_start.le(to));
            }
            let job_ids: Vec<i64> = q.select(jobs::id).load(conn)?;
            if job_ids.is_empty() {
                return Err(AppError::field(
                    "project_id",
                    "the project has no open jobs in this range and region",
                ));
            }
            batch::propose(conn, &keys, user.id, &BatchRequest { job_ids }, now)
        })
        .await;
    match outcome {
        Ok(view) => see_other(&format!("/staff/batches/{}", view.id)),
        Err(e) if e.status.is_client_error() => {
            batches_page_with(&req, &state, problem_text(&e)).await
        }
        Err(e) => Err(e.into()),
    }
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
    let user = page_user_in(req, state, Role::SCHEDULING).await?;
    let batch = state.db.run(move |conn| batch::view(conn, id)).await?;
    let csrf = csrf(req, state);
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let page = BatchPage {
        f: Frame {
            email: user.email,
            csrf: csrf.token.clone(),
            unit: state.settings.distance_unit,
        },
        batch,
        problem,
    };
    Ok(super::pages::with_csrf(html(status, &page)?, csrf))
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
    let notifier = crate::assignments::notify::Notifier::new(&state.auth);
    let outcome = state
        .db
        .run(move |conn| batch::send(conn, &notifier, user.id, id, now))
        .await;
    state.mail.wake();
    match outcome {
        Ok(_) => see_other(&format!("/staff/batches/{id}")),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            batch_page_with(&req, &state, id, problem_text(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize)]
struct CoverageParams {
    below: Option<usize>,
    client_id: Option<i64>,
}

#[derive(Template)]
#[template(path = "staff_coverage.html")]
struct CoveragePage {
    f: Frame,
    report: CoverageReport,
}

impl CoveragePage {
    fn dollars(&self, cents: &i64) -> String {
        Money::from_cents(*cents).plain()
    }
}

async fn coverage_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<CoverageParams>,
) -> PageResult {
    let now = state.clock.naive();
    let user = page_user_in(&req, &state, Role::SCHEDULING).await?;
    let query = CoverageQuery {
        client_id: params.client_id,
        below: params.below,
    };
    let keys = state.auth.keys.clone();
    let report = state
        .db
        .run(move |conn| coverage::report(conn, &keys, &query, now))
        .await?;
    let csrf = csrf(&req, &state);
    let page = CoveragePage {
        f: Frame {
            email: user.email,
            csrf: csrf.token.clone(),
            unit: state.settings.distance_unit,
        },
        report,
    };
    Ok(super::pages::with_csrf(html(StatusCode::OK, &page)?, csrf))
}

async fn set_bonus(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (_, form) = form_post_in(&req, &state, Role::SCHEDULING, form).await?;
    let id = path.into_inner();
    let cents = Money::parse(&form_text(&form, "bonus_dollars").unwrap_or_default());
    let outcome = match cents {
        Ok(cents) => {
            state
                .db
                .run(move |conn| coverage::set_bonus(conn, id, cents.cents(), now))
                .await
        }
        Err(message) => Err(AppError::field("bonus_dollars", message)),
    };
    match outcome {
        Ok(_) => see_other("/staff/coverage"),
        Err(e) => Err(e.into()),
    }
}
