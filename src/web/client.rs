//! The client reviewers' pages: their own client's released reports (a list filtered by store,
//! visit day and score, with a CSV export), one report (answers and points by section, photos,
//! a player for recordings), shoppers shown only as a code. Client reviewers only.

use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use super::charts;
use super::form::{self, FormState};
use super::session::{csrf, form_post_in, page_user_in};
use super::{PageResult, Pager, StaffFrame as Frame};
use crate::auth::Role;
use crate::ids::AssignmentId;
use crate::portal::dashboard::{Dashboard, DashboardQuery, Ranked, Series};
use crate::portal::service::{self, ClientReport, ReportQuery, ReportSummary};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/client/reports", list_page)
        .get("/client/reports.csv", export)
        .get("/client/reports/{id}", report_page)
        .post("/client/reports/{id}/dispute", dispute)
        .post("/client/alerts", choose_alerts)
        .get("/client/dashboard", dashboard_page)
        .get("/client/media/{id}", show_file);
}

const REVIEWER: &[Role] = &[Role::ClientReviewer];

/// The list's filters as typed: anything that does not read is left out.
#[derive(Debug, Default, Deserialize)]
struct Filters {
    store: Option<String>,
    from: Option<String>,
    to: Option<String>,
    min_score: Option<String>,
    page: Option<i64>,
}

impl Filters {
    fn query(&self) -> ReportQuery {
        let text = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_string)
        };
        ReportQuery {
            store: text(&self.store),
            from: text(&self.from).and_then(|d| d.parse().ok()),
            to: text(&self.to).and_then(|d| d.parse().ok()),
            min_score: text(&self.min_score).and_then(|s| s.parse().ok()),
            max_score: None,
            page: Some(self.page.unwrap_or(1).max(1)),
            per_page: Some(30),
        }
    }

    /// The filters as a query string, ending in `&`.
    fn href(&self) -> String {
        let q = self.query();
        format!(
            "store={}&from={}&to={}&min_score={}&",
            q.store.unwrap_or_default(),
            q.from.map(|d| d.to_string()).unwrap_or_default(),
            q.to.map(|d| d.to_string()).unwrap_or_default(),
            q.min_score.map(|s| s.to_string()).unwrap_or_default()
        )
    }
}

#[derive(Template)]
#[template(path = "client_reports.html")]
struct ListPage {
    f: Frame,
    /// Whether this reviewer receives hot alerts.
    alerts: bool,
    items: Vec<ReportSummary>,
    pager: Pager,
    csv: String,
    form: FormState,
}

async fn list_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Filters>,
) -> PageResult {
    let user = page_user_in(&req, &state, REVIEWER).await?;
    let filters = query.into_inner();
    let q = filters.query();
    let keys = state.auth.keys.clone();
    let who = user.clone();
    let (list, alerts) = state
        .db
        .run(move |conn| {
            Ok((
                service::list(conn, &keys, &who, &q)?,
                crate::portal::alerts::chosen(conn, who.id)?,
            ))
        })
        .await?;
    let q = filters.query();
    let mut values = std::collections::HashMap::new();
    for (k, v) in [
        ("store", q.store.clone()),
        ("from", q.from.map(|d| d.to_string())),
        ("to", q.to.map(|d| d.to_string())),
        ("min_score", q.min_score.map(|s| s.to_string())),
    ] {
        if let Some(v) = v {
            values.insert(k.to_string(), v);
        }
    }
    let csrf = csrf(&req, &state);
    let page = ListPage {
        f: Frame::new(&state, &user, csrf.token.clone(), form::notice(&req)),
        alerts,
        pager: Pager::of(
            &list,
            format!("/client/reports?{}", filters.href()),
            "reports",
        ),
        csv: format!("/client/reports.csv?{}", filters.href()),
        items: list.items,
        form: FormState::filled(values),
    };
    super::form_page_shown(&req, &page, false, csrf)
}

async fn export(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<Filters>,
) -> PageResult {
    let user = page_user_in(&req, &state, REVIEWER).await?;
    let mut q = query.into_inner().query();
    q.page = None;
    q.per_page = None;
    let keys = state.auth.keys.clone();
    let csv = state
        .db
        .run(move |conn| service::export_csv(conn, &keys, &user, &q))
        .await?;
    Ok(crate::http::csv_attachment("reports.csv", csv))
}

#[derive(Template)]
#[template(path = "client_report.html")]
struct ReportPage {
    f: Frame,
    r: ClientReport,
    /// The report may still be disputed (not yet, and within its days).
    may_dispute: bool,
    form: FormState,
}

impl ReportPage {
    /// A file link of the API as the page's copy: `/client/media/{id}?size=…`.
    fn page_link(&self, api: &str) -> String {
        api.replace("/api/v1/media/", "/client/media/")
    }

    fn thumb(&self, api: &str) -> String {
        self.page_link(api).replace("size=web", "size=thumb")
    }

    fn is_photo(&self, api: &str) -> bool {
        api.ends_with("size=web")
    }

    fn answer_words(&self, answer: &serde_json::Value) -> String {
        super::report::answer_words(answer)
    }
}

async fn report_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
) -> PageResult {
    let user = page_user_in(&req, &state, REVIEWER).await?;
    render_report(&req, &state, user, path.into_inner(), FormState::blank()).await
}

async fn render_report(
    req: &HttpRequest,
    state: &AppState,
    user: crate::auth::CurrentUser,
    id: AssignmentId,
    form: FormState,
) -> PageResult {
    let keys = state.auth.keys.clone();
    let who = user.clone();
    let report = state
        .db
        .run(move |conn| service::report(conn, &keys, &who, id))
        .await?;
    let csrf = csrf(req, state);
    let now = state.clock.naive();
    let refused = form.invalid_count() > 0 || !form.other.is_empty();
    let page = ReportPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        may_dispute: report.dispute.is_none() && report.dispute_until.is_some_and(|u| now <= u),
        r: report,
        form,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

/// The client disputes the report, with a reason; a refusal keeps what was typed.
async fn dispute(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, REVIEWER, form).await?;
    let id = path.into_inner();
    let reason = sent.get("reason").cloned().unwrap_or_default();
    let now = state.clock.naive();
    let who = user.clone();
    let outcome = state
        .db
        .run(move |conn| crate::portal::disputes::raise(conn, &who, id, &reason, now))
        .await;
    match outcome {
        Ok(_) => Ok(form::done(
            &state,
            &format!("/client/reports/{id}#dispute"),
            "Your dispute is with QA; their answer will appear on this report.",
        )),
        Err(e) if e.status.is_client_error() && e.status.as_u16() != 404 => {
            let refused = FormState::refused(&sent, &e, &["reason"], &[], &[]);
            render_report(&req, &state, user, id, refused).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The reviewer chooses whether to receive hot alerts.
async fn choose_alerts(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, REVIEWER, form).await?;
    let on = sent.get("hot_alerts").is_some_and(|v| v == "on");
    state
        .db
        .run(move |conn| crate::portal::alerts::choose(conn, &user, on))
        .await?;
    let notice = if on {
        "You will be mailed at once when a released report needs your attention."
    } else {
        "You will not be mailed alerts."
    };
    Ok(form::done(&state, "/client/reports", notice))
}

/// A file of a released report, for its client's reviewer.
async fn show_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<super::files::ShowQuery>,
) -> PageResult {
    super::files::show_copy(&req, &state, REVIEWER, path.into_inner(), &query).await
}

/// A chart and the numbers it draws, for the dashboard page.
struct Chart {
    title: String,
    svg: String,
    /// (colour, name) of each line, for the legend; empty for bars.
    legend: Vec<(String, String)>,
    /// The numbers: a header row, then one row per line or bar.
    table: Vec<Vec<String>>,
}

#[derive(Template)]
#[template(path = "client_dashboard.html")]
struct DashboardPage {
    f: Frame,
    d: Dashboard,
    charts: Vec<Chart>,
    form: FormState,
}

#[derive(Debug, Default, Deserialize)]
struct DashboardFilters {
    from: Option<String>,
    to: Option<String>,
}

fn shown(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_string(), |p| format!("{p:.0}%"))
}

fn over_time(title: &str, months: &[String], series: &[&Series]) -> Chart {
    let lines: Vec<charts::Line<'_>> = series
        .iter()
        .enumerate()
        .map(|(i, s)| charts::Line {
            name: &s.name,
            colour: if series.len() == 1 {
                "#222222"
            } else {
                charts::PALETTE[i % charts::PALETTE.len()]
            },
            values: &s.percents,
        })
        .collect();
    let mut table = vec![
        std::iter::once(String::new())
            .chain(months.iter().cloned())
            .collect::<Vec<_>>(),
    ];
    for s in series {
        table.push(
            std::iter::once(s.name.clone())
                .chain(s.percents.iter().map(|p| shown(*p)))
                .collect(),
        );
    }
    Chart {
        title: title.to_string(),
        svg: charts::lines(title, months, &lines),
        legend: lines
            .iter()
            .map(|l| (l.colour.to_string(), l.name.to_string()))
            .collect(),
        table,
    }
}

fn ranked(title: &str, items: &[Ranked], colour: &str) -> Chart {
    let bars: Vec<(String, f64)> = items.iter().map(|r| (r.name.clone(), r.percent)).collect();
    let mut table = vec![vec![
        "".to_string(),
        "Score".to_string(),
        "Reports".to_string(),
    ]];
    for r in items {
        table.push(vec![
            r.name.clone(),
            format!("{:.0}%", r.percent),
            r.reports.to_string(),
        ]);
    }
    Chart {
        title: title.to_string(),
        svg: charts::bars(title, &bars, colour),
        legend: Vec::new(),
        table,
    }
}

async fn dashboard_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<DashboardFilters>,
) -> PageResult {
    let user = page_user_in(&req, &state, REVIEWER).await?;
    let filters = query.into_inner();
    let day = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .and_then(|t| t.parse().ok())
    };
    let q = DashboardQuery {
        from: day(&filters.from),
        to: day(&filters.to),
    };
    let mut values = std::collections::HashMap::new();
    if let Some(d) = q.from {
        values.insert("from".to_string(), d.to_string());
    }
    if let Some(d) = q.to {
        values.insert("to".to_string(), d.to_string());
    }
    let who = user.clone();
    let d = state
        .db
        .run(move |conn| crate::portal::dashboard::dashboard(conn, &who, &q))
        .await?;
    let mut charts = Vec::new();
    if d.reports > 0 {
        charts.push(over_time(
            "Score per month, all stores",
            &d.months,
            &[&d.overall],
        ));
        // With one store, its line would be the line above.
        if d.stores_over_time.len() > 1 {
            let stores: Vec<&Series> = d.stores_over_time.iter().collect();
            charts.push(over_time(
                "Score per month, busiest stores",
                &d.months,
                &stores,
            ));
        }
        let sections: Vec<&Series> = d.sections_over_time.iter().collect();
        charts.push(over_time(
            "Score per month, by section",
            &d.months,
            &sections,
        ));
        charts.push(ranked("Weakest questions", &d.weakest_questions, "#D55E00"));
        charts.push(ranked(
            "Stores compared, lowest first",
            &d.stores,
            "#0072B2",
        ));
    }
    let csrf = csrf(&req, &state);
    let page = DashboardPage {
        f: Frame::new(&state, &user, csrf.token.clone(), form::notice(&req)),
        d,
        charts,
        form: FormState::filled(values),
    };
    super::form_page_shown(&req, &page, false, csrf)
}
