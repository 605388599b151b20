//! JSON routes of pay. A shopper reads their own earnings; scheduling staff and admins read
//! what is owed and the year's totals; admins run payouts, confirm them paid, and take the
//! payment provider's file and the tax export (the only place a tax ID appears).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::service::{
    self, Earnings, Owed, OwedQuery, PAY_READERS, PAYMASTERS, PayoutView, YearTotal,
};
use crate::auth::{CurrentUser, Role};
use crate::error::{AppError, AppResult, Problem};
use crate::ids::PayoutId;
use crate::paging::{PageQuery, PageRequest, Paged};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .get("/me/earnings", earnings)
        .get("/pay/owed", owed)
        .get("/pay/years/{year}", year)
        .get("/pay/years/{year}/tax.csv", year_export)
        .post("/payouts", run)
        .get("/payouts", payouts)
        .get("/payouts/{id}.csv", payout_csv)
        .get("/payouts/{id}", payout)
        .post("/payouts/{id}/paid", paid);
}

/// The signed-in shopper's earnings: totals (pending, owed, paid, withheld) and every line,
/// newest first, with its state, what a pending line waits for, and its expected pay date.
#[utoipa::path(get, path = "/api/v1/me/earnings", tag = "pay",
    params(PageQuery),
    responses((status = 200, body = Earnings)),
    security(("bearer" = [])))]
pub async fn earnings(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Shopper])?;
    let page = PageRequest::parse(query.page, query.per_page)?;
    let today = state.clock.naive().date();
    let weekday = state.settings.payout_weekday;
    let view = state
        .db
        .run(move |conn| service::earnings(conn, &user, page, today, weekday))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// What is unpaid, per shopper (`by=shopper`, their panel code) or per client
/// (`by=client`), largest first: pending (the client may still dispute), owed, in a payout.
#[utoipa::path(get, path = "/api/v1/pay/owed", tag = "pay",
    params(OwedQuery),
    responses((status = 200, body = Owed)),
    security(("bearer" = [])))]
pub async fn owed(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<OwedQuery>,
) -> AppResult<HttpResponse> {
    user.require(PAY_READERS)?;
    let query = query.into_inner();
    let page = PageRequest::parse(query.page, query.per_page)?;
    let by = query.by.unwrap_or_default();
    let view = state
        .db
        .run(move |conn| service::owed(conn, &user, by, page))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Debug, Deserialize)]
pub struct YearPath {
    year: String,
}

fn year_of(path: &YearPath) -> AppResult<i32> {
    path.year
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=2200).contains(y))
        .ok_or_else(|| {
            AppError::bad_request(
                "bad_path",
                "The address names no year we keep pay for: use a year from 2000 to 2200.",
            )
        })
}

/// Each shopper's pay in a year, by the day paid: income (fees and bonuses) and
/// reimbursements. No tax ID here.
#[utoipa::path(get, path = "/api/v1/pay/years/{year}", tag = "pay",
    params(("year" = i32, Path, description = "The calendar year"), PageQuery),
    responses((status = 200, body = Paged<YearTotal>)),
    security(("bearer" = [])))]
pub async fn year(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<YearPath>,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(PAY_READERS)?;
    let year = year_of(&path)?;
    let page = PageRequest::parse(query.page, query.per_page)?;
    let list = state
        .db
        .run(move |conn| service::year_totals(conn, &user, year, page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The admin's year-end export for tax reporting, as CSV: per shopper paid in the year, legal
/// name, address, tax ID, income and reimbursements. Each shopper's row writes an access
/// record (the shopper sees who read it).
#[utoipa::path(get, path = "/api/v1/pay/years/{year}/tax.csv", tag = "pay",
    params(("year" = i32, Path, description = "The calendar year")),
    responses((status = 200, content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
pub async fn year_export(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<YearPath>,
) -> AppResult<HttpResponse> {
    user.require(PAYMASTERS)?;
    let year = year_of(&path)?;
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

/// A payout run: takes every owed line not in a payout (maturing first what the client can no
/// longer dispute), one payment per shopper. 409 `nothing_to_pay` when nothing is owed.
#[utoipa::path(post, path = "/api/v1/payouts", tag = "pay",
    responses((status = 201, body = PayoutView),
        (status = 409, description = "Nothing is owed", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn run(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    user.require(PAYMASTERS)?;
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| service::run_payout(conn, &user, now))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

/// Payout runs, newest first.
#[utoipa::path(get, path = "/api/v1/payouts", tag = "pay",
    params(PageQuery),
    responses((status = 200, body = Paged<PayoutView>)),
    security(("bearer" = [])))]
pub async fn payouts(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<PageQuery>,
) -> AppResult<HttpResponse> {
    user.require(PAYMASTERS)?;
    let page = PageRequest::parse(query.page, query.per_page)?;
    let list = state
        .db
        .run(move |conn| service::payouts(conn, &user, page))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One payout run.
#[utoipa::path(get, path = "/api/v1/payouts/{id}", tag = "pay",
    params(("id" = i64, Path, description = "The payout's id")),
    responses((status = 200, body = PayoutView)),
    security(("bearer" = [])))]
pub async fn payout(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<PayoutId>,
) -> AppResult<HttpResponse> {
    user.require(PAYMASTERS)?;
    let id = path.into_inner();
    let view = state
        .db
        .run(move |conn| service::payout(conn, &user, id))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The payment provider's file for a payout: one row per shopper (panel code, legal name,
/// email, amount, currency, reference, lines). Each row writes an access record.
#[utoipa::path(get, path = "/api/v1/payouts/{id}.csv", tag = "pay",
    params(("id" = i64, Path, description = "The payout's id")),
    responses((status = 200, content_type = "text/csv", body = String)),
    security(("bearer" = [])))]
pub async fn payout_csv(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<PayoutId>,
) -> AppResult<HttpResponse> {
    user.require(PAYMASTERS)?;
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

/// Confirms a payout paid by the payment provider: its lines are paid. 409 `paid_already`
/// the second time.
#[utoipa::path(post, path = "/api/v1/payouts/{id}/paid", tag = "pay",
    params(("id" = i64, Path, description = "The payout's id")),
    responses((status = 200, body = PayoutView),
        (status = 409, description = "Paid already", body = Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub async fn paid(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<PayoutId>,
) -> AppResult<HttpResponse> {
    user.require(PAYMASTERS)?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| service::mark_paid(conn, &user, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
