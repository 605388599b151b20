//! The shopper's job pages: the board as a list and a map (an SVG drawn here, so that it needs
//! no network), a job with why not, and my assignments with their moves and calendar file.
//! Shoppers only, their own data only.

use crate::ids::{AssignmentId, JobId};
use std::collections::HashMap;
use std::fmt::Write as _;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::FormState;
use super::session::{csrf, form_post_in, page_user_in, problem_text};
use super::{PageError, html};
use crate::assignments::board::{self, Board, JobCard, PAGE_SIZE, Sort};
use crate::assignments::model::{AssignmentView, Move, MoveRequest};
use crate::assignments::service;
use crate::auth::Role;
use crate::paging::PageRequest;
use crate::routing::Routes;
use crate::state::AppState;
use crate::units::DistanceUnit;

use super::PageResult;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/shopper/jobs", board_page)
        .get("/shopper/jobs/{id}", job_page)
        .post("/shopper/jobs/{id}/request", request_job)
        .get("/shopper/assignments", assignments_page)
        .get("/shopper/assignments.ics", calendar)
        .get("/unsubscribe", unsubscribe_page)
        .post("/unsubscribe", unsubscribe)
        .post("/shopper/assignments/{id}/{action:accept|decline|cancel|reschedule|visit|location-closed}", move_assignment);
}

/// Text for SVG/XML.
fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Squares across the map's side: with more than `MAP_DOTS` jobs near, the jobs in one square
/// are drawn as one numbered cluster, so the map holds at most `MAP_CELLS²` marks however many jobs are near.
pub const MAP_CELLS: usize = 12;
/// Up to this many jobs, each is its own dot.
pub const MAP_DOTS: usize = 300;

/// Jobs of one square of the map.
#[derive(Default)]
struct Cluster<'a> {
    open: usize,
    closed: usize,
    east: f64,
    north: f64,
    only: Option<(&'a JobCard, bool)>,
}

/// The board as a map: the shopper's home in the middle, the travel radius as a circle, each
/// job a dot at its offset (eligible filled, not available hollow), linked to its page; jobs
/// close together are one numbered cluster. Drawn on the server: no tiles, no script, no
/// network, and bounded in size (see `MAP_CELLS`).
pub fn map_svg(board: &Board, unit: DistanceUnit) -> String {
    let r = board.radius_km.max(1.0);
    let reach = unit.show(r);
    let extent = r * 1.15;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" class="map" role="img" viewBox="{:.2} {:.2} {:.2} {:.2}" aria-label="Jobs within {reach} of your home">"##,
        -extent,
        -extent,
        2.0 * extent,
        2.0 * extent
    );
    let _ = write!(
        svg,
        r##"<title>Jobs within {reach} of your home</title><rect x="{:.2}" y="{:.2}" width="{:.2}" height="{:.2}" fill="#f6f7f9"/>"##,
        -extent,
        -extent,
        2.0 * extent,
        2.0 * extent
    );
    let _ = write!(
        svg,
        r##"<circle class="radius" cx="0" cy="0" r="{r:.2}" fill="#e8f0fe" stroke="#1a56db" stroke-width="{:.3}" stroke-dasharray="{:.3}"/>"##,
        r / 150.0,
        r / 40.0
    );
    let dot = r / 35.0;
    let _ = write!(
        svg,
        r##"<g class="home"><title>Your home</title><rect x="{:.3}" y="{:.3}" width="{:.3}" height="{:.3}" fill="#111827"/></g>"##,
        -dot,
        -dot,
        2.0 * dot,
        2.0 * dot
    );
    let draw_dot = |svg: &mut String, card: &JobCard, eligible: bool| {
        let (x, y) = (card.east_km, -card.north_km);
        let (fill, label) = if eligible {
            ("#047857", "open to you")
        } else {
            ("#ffffff", "not available to you")
        };
        let _ = write!(
            svg,
            r##"<a href="/shopper/jobs/{}"><circle class="job" cx="{x:.3}" cy="{y:.3}" r="{dot:.3}" fill="{fill}" stroke="#047857" stroke-width="{:.3}"><title>{} · {} · {} · {}</title></circle></a>"##,
            card.id,
            dot / 3.0,
            xml(&card.code),
            xml(&card.area),
            unit.show(card.distance_km),
            label
        );
    };
    let jobs = board
        .eligible
        .iter()
        .map(|c| (c, true))
        .chain(board.unavailable.iter().map(|u| (&u.job, false)))
        .filter(|(c, _)| c.east_km.abs() <= extent && c.north_km.abs() <= extent);
    if board.eligible.len() + board.unavailable.len() <= MAP_DOTS {
        for (card, eligible) in jobs {
            draw_dot(&mut svg, card, eligible);
        }
        svg.push_str("</svg>");
        return svg;
    }
    // Many jobs: one mark per square of a grid.
    let cell = 2.0 * extent / MAP_CELLS as f64;
    let square = |v: f64| (((v + extent) / cell) as usize).min(MAP_CELLS - 1);
    let mut clusters: HashMap<(usize, usize), Cluster> = HashMap::new();
    for (card, eligible) in jobs {
        let (x, y) = (card.east_km, -card.north_km);
        let c = clusters.entry((square(x), square(y))).or_default();
        if eligible {
            c.open += 1;
        } else {
            c.closed += 1;
        }
        c.east += x;
        c.north += y;
        c.only = (c.open + c.closed == 1).then_some((card, eligible));
    }
    let mut squares: Vec<_> = clusters.into_iter().collect();
    squares.sort_by_key(|(square, _)| *square);
    for (_, c) in squares {
        let n = c.open + c.closed;
        if let Some((card, eligible)) = c.only {
            draw_dot(&mut svg, card, eligible);
            continue;
        }
        let (x, y) = (c.east / n as f64, c.north / n as f64);
        let radius = (dot * (1.0 + (n as f64).sqrt() / 2.0)).min(cell * 0.4);
        // At most three characters, legible on a phone: 7, 42, 512, 3k.
        let label = if n < 1000 {
            n.to_string()
        } else {
            format!("{}k", n / 1000)
        };
        let font = radius * if label.len() <= 2 { 1.0 } else { 0.75 };
        let fill = if c.open > 0 { "#047857" } else { "#ffffff" };
        let ink = if c.open > 0 { "#ffffff" } else { "#047857" };
        let title = match (c.open, c.closed) {
            (open, 0) => format!("{open} jobs open to you here"),
            (0, closed) => format!("{closed} jobs here, not available to you"),
            (open, closed) => format!("{open} jobs open to you here, {closed} not available"),
        };
        let _ = write!(
            svg,
            r##"<g class="cluster"><title>{title}</title><circle cx="{x:.3}" cy="{y:.3}" r="{radius:.3}" fill="{fill}" stroke="#047857" stroke-width="{:.3}"/><text x="{x:.3}" y="{y:.3}" font-size="{font:.3}" text-anchor="middle" dominant-baseline="central" fill="{ink}">{label}</text></g>"##,
            dot / 3.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

#[derive(Debug, Deserialize)]
struct BoardQuery {
    sort: Option<String>,
    page: Option<usize>,
}

#[derive(Template)]
#[template(path = "shopper_jobs.html")]
struct BoardPage {
    email: String,
    csrf: String,
    sort: &'static str,
    page: usize,
    pages: usize,
    total: usize,
    radius_km: f64,
    unit: DistanceUnit,
    jobs: Vec<JobCard>,
    /// The nearest jobs the shopper may not take, at most `UNAVAILABLE_LISTED`.
    unavailable: Vec<board::Unavailable>,
    /// Jobs near but not for the shopper beyond those listed.
    more_unavailable: usize,
    map: String,
    /// The cost of a mile driven, and the speed, the estimates count.
    mile_cost: crate::money::Money,
    mph: f64,
}

/// Jobs near the shopper but not for them that the board page lists (nearest first).
const UNAVAILABLE_LISTED: usize = 20;

impl BoardPage {}

async fn board_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<BoardQuery>,
) -> PageResult {
    let user = page_user_in(&req, &state, &[Role::Shopper]).await?;
    let sort = match query.sort.as_deref() {
        Some("date") => Sort::Date,
        _ => Sort::Distance,
    };
    let keys = state.auth.keys.clone();
    let live = state.live.clone();
    let today = state.clock.today();
    let id = user.id;
    let unit = state.settings.distance_unit;
    let mut board = state
        .db
        .run(move |conn| live.board(conn, &keys, id.into(), today, unit))
        .await?;
    board.sorted(sort);
    let total = board.eligible.len();
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = query.page.unwrap_or(1).clamp(1, pages);
    let unit = state.settings.distance_unit;
    let map = map_svg(&board, unit);
    let jobs = board
        .eligible
        .iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .cloned()
        .collect();
    let csrf = csrf(&req, &state);
    let view = BoardPage {
        mile_cost: crate::money::Money::from_cents(state.settings.travel.mile_cents),
        mph: state.settings.travel.mph,
        email: user.email,
        csrf: csrf.token.clone(),
        sort: if sort == Sort::Date {
            "date"
        } else {
            "distance"
        },
        page,
        pages,
        total,
        radius_km: board.radius_km,
        unit,
        jobs,
        more_unavailable: board.unavailable.len().saturating_sub(UNAVAILABLE_LISTED),
        unavailable: board
            .unavailable
            .into_iter()
            .take(UNAVAILABLE_LISTED)
            .collect(),
        map,
    };
    Ok(super::pages::with_csrf(html(StatusCode::OK, &view)?, csrf))
}

#[derive(Template)]
#[template(path = "shopper_job.html")]
struct JobPage {
    email: String,
    csrf: String,
    job: JobCard,
    why_not: Vec<String>,
    problem: String,
    unit: DistanceUnit,
}

impl JobPage {}

async fn job_page_with(
    req: &HttpRequest,
    state: &AppState,
    job_id: JobId,
    problem: String,
) -> PageResult {
    let user = page_user_in(req, state, &[Role::Shopper]).await?;
    let keys = state.auth.keys.clone();
    let today = state.clock.today();
    let id = user.id;
    let unit = state.settings.distance_unit;
    let travel = state.settings.travel;
    let (job, why_not) = state
        .db
        .run(move |conn| board::job_for(conn, &keys, id.into(), job_id, today, unit, travel))
        .await?;
    let csrf = csrf(req, state);
    let status = if problem.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    let view = JobPage {
        email: user.email,
        csrf: csrf.token.clone(),
        job,
        why_not,
        problem,
        unit: state.settings.distance_unit,
    };
    Ok(super::pages::with_csrf(html(status, &view)?, csrf))
}

async fn job_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> PageResult {
    job_page_with(&req, &state, path.into_inner(), String::new()).await
}

async fn request_job(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, _) = form_post_in(&req, &state, &[Role::Shopper], form).await?;
    let job_id = path.into_inner();
    let keys = state.auth.keys.clone();
    let notifier = state.notifier();
    let outcome = state
        .db
        .run(move |conn| service::request(conn, &keys, &notifier, user.id.into(), job_id, now))
        .await;
    state.mail.wake();
    match outcome {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/shopper/assignments"))
            .finish()),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            job_page_with(&req, &state, job_id, problem_text(&e)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "shopper_assignments.html")]
struct AssignmentsPage {
    email: String,
    csrf: String,
    list: Vec<AssignmentView>,
    pager: super::Pager,
    /// The confirmation of the move made just before.
    notice: Option<String>,
    /// A refused move: the assignment, the move, and its form as sent.
    refused: Option<(AssignmentId, String, FormState)>,
    today: String,
    today_date: chrono::NaiveDate,
    t: super::Times,
}

impl AssignmentsPage {
    /// A visit can be reported once its window has opened (a day within the window, up to
    /// today).
    fn visit_open(&self, a: &AssignmentView) -> bool {
        a.job.window_start <= self.today_date
    }

    /// The last day a visit can have been made: today, or the window's end if that is earlier.
    fn last_visit_day(&self, a: &AssignmentView) -> String {
        self.today_date.min(a.job.window_end).to_string()
    }

    fn refused_form(&self, id: AssignmentId, action: &str) -> Option<&FormState> {
        match &self.refused {
            Some((i, a, form)) if *i == id && a == action => Some(form),
            _ => None,
        }
    }

    /// What was typed in the input `name` of this assignment's `action` form, if it was refused.
    fn typed(&self, id: &AssignmentId, action: &str, name: &str) -> String {
        self.refused_form(*id, action)
            .map(|f| f.value(name).to_string())
            .unwrap_or_default()
    }

    /// The problem of the input `name` of this assignment's `action` form (empty: none).
    fn problem(&self, id: &AssignmentId, action: &str, name: &str) -> String {
        self.refused_form(*id, action)
            .map(|f| f.error(name))
            .unwrap_or_default()
    }

    /// What was wrong with this assignment's `action` that belongs to no input.
    fn other_problem(&self, id: &AssignmentId, action: &str) -> String {
        self.refused_form(*id, action)
            .map(|f| f.other.join(" "))
            .unwrap_or_default()
    }
}

async fn assignments_page_with(
    req: &HttpRequest,
    state: &AppState,
    page: Option<i64>,
    refused: Option<(AssignmentId, String, FormState)>,
) -> PageResult {
    let user = page_user_in(req, state, &[Role::Shopper]).await?;
    let id = user.id;
    let locale = state.settings.locale();
    let request = PageRequest::lenient(page, ASSIGNMENTS_PAGE);
    let (list, t) = state
        .db
        .run(move |conn| {
            Ok((
                service::mine(conn, id.into(), request)?,
                super::shopper_times(conn, &locale, id.into())?,
            ))
        })
        .await?;
    let csrf = csrf(req, state);
    let status = match &refused {
        None => StatusCode::OK,
        Some((_, _, form)) if form.invalid_count() > 0 => StatusCode::UNPROCESSABLE_ENTITY,
        Some(_) => StatusCode::CONFLICT,
    };
    let view = AssignmentsPage {
        email: user.email,
        csrf: csrf.token.clone(),
        pager: super::Pager::of(&list, "/shopper/assignments?", "assignments"),
        list: list.items,
        notice: super::form::notice(req),
        refused,
        today: state.clock.today().to_string(),
        today_date: state.clock.today(),
        t,
    };
    Ok(super::form::shown(
        req,
        super::pages::with_csrf(html(status, &view)?, csrf),
    ))
}

/// Assignments a page of "My assignments" lists, newest first.
const ASSIGNMENTS_PAGE: i64 = 30;

#[derive(Deserialize)]
struct PageNumber {
    page: Option<i64>,
}

async fn assignments_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    assignments_page_with(&req, &state, query.page, None).await
}

/// What the page says after a move that worked.
fn moved_words(mv: &Move, code: &str) -> String {
    match mv {
        Move::Accept { .. } => {
            format!("Accepted: {code} is yours. Plan the visit within its window.")
        }
        Move::Decline { .. } => format!("Declined: {code} goes back to other shoppers."),
        Move::Cancel { .. } => format!("{code} is called off."),
        Move::Reschedule { visit_on } => format!("The visit to {code} is planned for {visit_on}."),
        Move::Visit { .. } => {
            format!("Visit to {code} reported. Thank you! Fill in its report next.")
        }
        Move::Reassign { .. } => format!("{code} is taken back."),
        Move::LocationClosed { .. } => {
            format!("Thank you: {code} is closed, and staff will look at the store.")
        }
    }
}

const MOVE_FIELDS: &[&str] = &["visit_on", "visited_on", "reason"];

async fn move_assignment(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(AssignmentId, String)>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, sent) = form_post_in(&req, &state, &[Role::Shopper], form).await?;
    let (id, action) = path.into_inner();
    let mut read = super::form::Reader::new(&sent);
    let visit_on = read.date("visit_on");
    let visited_on = read.date("visited_on");
    let parsed = Move::parse(
        &action,
        &MoveRequest {
            reason: read.text("reason"),
            visit_on,
            visited_on,
        },
    );
    let mv = match parsed {
        None => return Err(crate::error::AppError::not_found("There is no such move.").into()),
        Some(Ok(mv)) if read.errors.is_empty() => mv,
        Some(outcome) => {
            let more = outcome.err().map(|e| e.fields).unwrap_or_default();
            let e = crate::error::AppError::validation(super::form::merged(read.errors, more));
            let form = FormState::refused(&sent, &e, MOVE_FIELDS, &[], &[]);
            return assignments_page_with(&req, &state, None, Some((id, action, form))).await;
        }
    };
    let notifier = state.notifier();
    let words = mv.clone();
    let outcome = state
        .db
        .run(move |conn| service::act(conn, &notifier, &user, id, &mv, now))
        .await;
    state.mail.wake();
    match outcome {
        Ok(view) => Ok(super::form::done(
            &state,
            "/shopper/assignments",
            &moved_words(&words, &view.job.code),
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let form = FormState::refused(&sent, &e, MOVE_FIELDS, &[], &[]);
            assignments_page_with(&req, &state, None, Some((id, action, form))).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn calendar(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let now = state.clock.naive();
    let user = page_user_in(&req, &state, &[Role::Shopper]).await?;
    let text = state
        .db
        .run(move |conn| crate::assignments::calendar::calendar(conn, user.id.into(), now))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"incognito.ics\"",
        ))
        .body(text))
}

#[derive(Debug, Deserialize)]
struct UnsubscribeQuery {
    token: Option<String>,
}

#[derive(Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    csrf: String,
    token: String,
    what: String,
}

fn bad_link() -> PageError {
    PageError::shown(
        StatusCode::BAD_REQUEST,
        "This link is not valid",
        "The unsubscribe link is incomplete or altered. Use the link of the mail again, or change your choices on your choices page after signing in.",
    )
}

/// The page of an unsubscribe link: one button, so that mail scanners that open links do not
/// unsubscribe anyone. No sign-in: the signed token names the person and the mail.
async fn unsubscribe_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<UnsubscribeQuery>,
) -> PageResult {
    let token = query.token.clone().unwrap_or_default();
    let notifier = state.notifier();
    let Some((_, purpose)) = notifier.check_unsubscribe(&token) else {
        return Err(bad_link());
    };
    let csrf = csrf(&req, &state);
    let page = UnsubscribePage {
        csrf: csrf.token.clone(),
        token,
        what: format!("Stop this: “{}”", purpose.explanation()),
    };
    Ok(super::pages::with_csrf(html(StatusCode::OK, &page)?, csrf))
}

async fn unsubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let form = form.into_inner();
    super::session::check_csrf(
        &req,
        &state,
        form.get("csrf_token").map_or("", String::as_str),
    )?;
    let notifier = state.notifier();
    let token = form.get("token").cloned().unwrap_or_default();
    let Some(purpose) = state
        .db
        .run(move |conn| notifier.unsubscribe(conn, &token, now))
        .await?
    else {
        return Err(bad_link());
    };
    super::pages::message(
        StatusCode::OK,
        "Done",
        &format!(
            "You will get no more of these emails. Recorded in your choices: no to “{}”",
            purpose.explanation()
        ),
        Some(("/", "Home")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;

    fn card(i: usize, east_km: f64, north_km: f64) -> JobCard {
        let day = chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default();
        JobCard {
            id: JobId::from(i as i64 + 1),
            code: format!("J{i}"),
            area: "Springfield, IL".into(),
            window_start: day,
            window_end: day,
            fee_cents: Money::from_cents(2500),
            bonus_cents: Money::from_cents(0),
            reimbursement_cap_cents: Money::from_cents(1000),
            client_name: None,
            distance_km: (east_km * east_km + north_km * north_km).sqrt(),
            pay: crate::assignments::board::PayEstimate::of(
                Money::from_cents(2500),
                Money::from_cents(0),
                10.0,
                30,
                crate::config::TravelCosts::default(),
            ),
            east_km,
            north_km,
        }
    }

    fn board(n: usize) -> Board {
        // A spiral of jobs filling the 40 km radius.
        let eligible = (0..n)
            .map(|i| {
                let (r, a) = (40.0 * (i as f64 / n as f64).sqrt(), i as f64 * 2.39996);
                card(i, r * a.cos(), r * a.sin())
            })
            .collect();
        Board {
            radius_km: 40.0,
            eligible,
            unavailable: Vec::new(),
        }
    }

    /// The attack run's finding: 50,000 jobs in reach drew 10.5 MB of SVG.
    #[test]
    fn a_map_of_fifty_thousand_jobs_stays_small() {
        let svg = map_svg(&board(50_000), DistanceUnit::Km);
        assert!(svg.len() < 200_000, "{} bytes", svg.len());
        let marks = svg.matches("<circle").count();
        assert!(marks <= MAP_CELLS * MAP_CELLS + 1, "{marks} circles");
        // Every job is still counted on the map (each cluster's title says how many).
        let counted: usize = svg
            .split("<g class=\"cluster\"><title>")
            .skip(1)
            .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
            .sum::<usize>()
            + svg.matches("<a href=\"/shopper/jobs/").count();
        assert_eq!(counted, 50_000);
    }

    #[test]
    fn a_few_jobs_are_each_their_own_dot() {
        let svg = map_svg(&board(3), DistanceUnit::Km);
        for id in 1..=3 {
            assert!(
                svg.contains(&format!("<a href=\"/shopper/jobs/{id}\">")),
                "{svg}"
            );
        }
        assert!(!svg.contains("cluster"));
    }
}
