//! Pay's pages: the shopper's earnings (every line, its state, what it waits for, when it is
//! expected to be paid), and the staff's pay desk (what is owed per shopper and client, payout
//! runs with the payment provider's file, a year's totals and, for admins, the tax export).

use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use super::form;
use super::session::{csrf, form_post_in, page_user_in};
use super::{PageResult, Pager, StaffFrame as Frame};
use crate::auth::Role;
use crate::ids::PayoutId;
use crate::paging::PageRequest;
use crate::pay::model::LineState;
use crate::pay::service::{
    self, EarningLine, Earnings, Owed, OwedBy, PAY_READERS, PAYMASTERS, PayoutView, YearTotal,
};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/shopper/earnings", earnings_page)
        .get("/staff/pay", desk_page)
        .post("/staff/pay/payouts", run_payout)
        .post("/staff/pay/payouts/{id}/paid", mark_paid)
        .get("/staff/pay/payouts/{id}.csv", payout_csv)
        .get("/staff/pay/years/{year}/tax.csv", tax_csv);
}

/// Lines a page of earnings lists.
const LINES_PAGE: i64 = 30;

#[derive(Debug, Default, Deserialize)]
struct PageNumber {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "shopper_earnings.html")]
struct EarningsPage {
    email: String,
    csrf: String,
    e: Earnings,
    pager: Pager,
}

impl EarningsPage {
    fn badge(&self, line: &EarningLine) -> &'static str {
        match line.state {
            LineState::Pending => "badge-wait",
            LineState::Approved => "badge-muted",
            LineState::Paid => "badge-ok",
            LineState::Withheld => "badge-bad",
        }
    }
}

async fn earnings_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    let user = page_user_in(&req, &state, &[Role::Shopper]).await?;
    let page = PageRequest::lenient(query.page, LINES_PAGE);
    let today = state.clock.naive().date();
    let weekday = state.settings.payout_weekday;
    let who = user.clone();
    let e = state
        .db
        .run(move |conn| service::earnings(conn, &who, page, today, weekday))
        .await?;
    let csrf = csrf(&req, &state);
    let view = EarningsPage {
        email: user.email,
        csrf: csrf.token.clone(),
        pager: Pager::of(&e.lines, "/shopper/earnings?", "lines"),
        e,
    };
    super::form_page_shown(&req, &view, false, csrf)
}

#[derive(Debug, Default, Deserialize)]
struct DeskQuery {
    by: Option<String>,
    year: Option<i32>,
    page: Option<i64>,
    payouts: Option<i64>,
    totals: Option<i64>,
}

#[derive(Template)]
#[template(path = "staff_pay.html")]
struct DeskPage {
    f: Frame,
    by: &'static str,
    owed: Owed,
    owed_pager: Pager,
    payouts: Option<(Vec<PayoutView>, Pager)>,
    year: i32,
    totals: Vec<YearTotal>,
    totals_pager: Pager,
}

async fn desk_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<DeskQuery>,
) -> PageResult {
    let user = page_user_in(&req, &state, PAY_READERS).await?;
    let q = query.into_inner();
    let by = match q.by.as_deref() {
        Some("client") => OwedBy::Client,
        _ => OwedBy::Shopper,
    };
    let this_year = chrono::Datelike::year(&state.clock.naive());
    let year = q
        .year
        .filter(|y| (2000..=2200).contains(y))
        .unwrap_or(this_year);
    let owed_page = PageRequest::lenient(q.page, 30);
    let payouts_page = PageRequest::lenient(q.payouts, 10);
    let totals_page = PageRequest::lenient(q.totals, 30);
    let who = user.clone();
    let paymaster = PAYMASTERS.contains(&user.role);
    let now = state.clock.naive();
    let (owed, payouts, totals) = state
        .db
        .run(move |conn| {
            // Lines past their dispute days are owed now, not at the background's next round.
            service::mature(conn, now)?;
            let owed = service::owed(conn, &who, by, owed_page)?;
            let payouts = if paymaster {
                Some(service::payouts(conn, &who, payouts_page)?)
            } else {
                None
            };
            let totals = service::year_totals(conn, &who, year, totals_page)?;
            Ok((owed, payouts, totals))
        })
        .await?;
    let by_word = if by == OwedBy::Client {
        "client"
    } else {
        "shopper"
    };
    let csrf = csrf(&req, &state);
    let mut owed_pager = Pager::of(
        &owed.items,
        format!("/staff/pay?by={by_word}&year={year}&"),
        "rows",
    );
    owed_pager.param = "page";
    let payouts = payouts.map(|list| {
        let mut pager = Pager::of(
            &list,
            format!("/staff/pay?by={by_word}&year={year}&"),
            "payouts",
        );
        pager.param = "payouts";
        (list.items, pager)
    });
    let mut totals_pager = Pager::of(
        &totals,
        format!("/staff/pay?by={by_word}&year={year}&"),
        "shoppers",
    );
    totals_pager.param = "totals";
    let view = DeskPage {
        f: Frame::new(&state, &user, csrf.token.clone(), form::notice(&req)),
        by: by_word,
        owed,
        owed_pager,
        payouts,
        year,
        totals: totals.items,
        totals_pager,
    };
    super::form_page_shown(&req, &view, false, csrf)
}

/// A payout run from the desk: its result, or why nothing was paid, as the notice.
async fn run_payout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let (user, _) = form_post_in(&req, &state, PAYMASTERS, form).await?;
    let now = state.clock.naive();
    let outcome = state
        .db
        .run(move |conn| service::run_payout(conn, &user, now))
        .await;
    let notice = match outcome {
        Ok(p) => format!(
            "Payout {} made: {} to {} shopper{}. Download its file for the payment provider, then mark it paid once they have paid it.",
            p.id,
            p.total_cents,
            p.payees,
            if p.payees == 1 { "" } else { "s" }
        ),
        Err(e) if e.status.is_client_error() => e.detail,
        Err(e) => return Err(e.into()),
    };
    Ok(form::done(&state, "/staff/pay#payouts", &notice))
}

async fn mark_paid(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<PayoutId>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> PageResult {
    let (user, _) = form_post_in(&req, &state, PAYMASTERS, form).await?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let outcome = state
        .db
        .run(move |conn| service::mark_paid(conn, &user, id, now))
        .await;
    let notice = match outcome {
        Ok(p) => format!(
            "Payout {} marked paid: its shoppers see their lines paid.",
            p.id
        ),
        Err(e) if e.status.is_client_error() && e.status.as_u16() != 404 => e.detail,
        Err(e) => return Err(e.into()),
    };
    Ok(form::done(&state, "/staff/pay#payouts", &notice))
}

async fn payout_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<PayoutId>,
) -> PageResult {
    let user = page_user_in(&req, &state, PAYMASTERS).await?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let csv = state
        .db
        .run(move |conn| service::payout_csv(conn, &user, id, now))
        .await?;
    Ok(crate::http::csv_attachment(
        &format!("payout-{id}.csv"),
        csv,
    ))
}

async fn tax_csv(req: HttpRequest, state: web::Data<AppState>, path: web::Path<i32>) -> PageResult {
    let user = page_user_in(&req, &state, PAYMASTERS).await?;
    let year = path.into_inner();
    let keys = state.auth.keys.clone();
    let now = state.clock.naive();
    let csv = state
        .db
        .run(move |conn| service::year_export(conn, &keys, &user, year, now))
        .await?;
    Ok(crate::http::csv_attachment(
        &format!("pay-{year}-tax.csv"),
        csv,
    ))
}
