//! Pay's decisions: the lines an approval earns (in the approval's transaction), lines
//! maturing once the client can no longer dispute the report, payout runs, payouts marked
//! paid, and what the shopper, staff and the tax export read.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime, Weekday};
use serde::{Deserialize, Serialize};

use super::model::{self, LineKind, LineState, Schedule, Terms};
use super::store;
use crate::assignments::store as assignments;
use crate::auth::{CurrentUser, Role};
use crate::clients::store as clients;
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult};
use crate::ids::{AssignmentId, LedgerLineId, PayoutId, ShopperId, UserId};
use crate::keys::Keys;
use crate::money::Money;
use crate::paging::{PageRequest, Paged};
use crate::privacy::access;
use crate::privacy::crypto::{self, SealedField};
use crate::privacy::inventory::Category;
use crate::qa::service::Decision;
use crate::reports::review::ReviewView;

/// Who runs payouts, marks them paid and exports tax totals with tax IDs: admins.
pub const PAYMASTERS: &[Role] = &[Role::Admin];
/// Who sees what is owed and the year's totals (no tax ID): scheduling staff and admins.
pub const PAY_READERS: &[Role] = &[Role::Scheduler, Role::Admin];

/// The lines assignment `id` earns on approval, pending (once: an assignment approved again
/// after an appeal, or corrected, earns nothing more). `approved` is the reimbursement QA
/// approved, when not the receipt's amount.
pub fn accrue(
    conn: &mut DbConnection,
    id: AssignmentId,
    approved: Option<Money>,
    now: NaiveDateTime,
) -> AppResult<()> {
    if store::has_lines(conn, id)? {
        return Ok(());
    }
    let assignment = assignments::find(conn, id)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("assignment {id} approved but gone")))?;
    let job = clients::find_job(conn, assignment.job_id)?;
    let project = clients::find_project(conn, job.project_id)?;
    let receipt = crate::reports::store::find_report(conn, id)?
        .and_then(|r| r.receipt_cents)
        .map(Money::from_cents);
    let terms = Terms {
        fee: job.fee_cents,
        bonus: job.bonus_cents,
        cap: job.reimbursement_cap_cents,
        receipt,
        approved,
    };
    for earning in model::lines_for(&terms) {
        store::insert_line(
            conn,
            &store::NewLine {
                assignment_id: id,
                shopper_id: assignment.shopper_id,
                client_id: project.client_id,
                kind: earning.kind,
                amount_cents: earning.amount,
                state: LineState::Pending,
                note: earning.note.as_deref(),
                earned_at: now,
            },
        )?;
    }
    Ok(())
}

/// Once report `id` is released to its client: the client's hot alert, if it calls for one.
fn alert_if_released(
    conn: &mut DbConnection,
    public_url: &url::Url,
    id: AssignmentId,
    now: NaiveDateTime,
) -> AppResult<()> {
    let released = crate::reports::review::find(conn, id)?
        .and_then(|row| row.review)
        .is_some_and(|r| r == crate::reports::review::Review::Released);
    if released {
        crate::portal::alerts::on_release(conn, public_url, id, now)?;
    }
    Ok(())
}

/// QA approves report `id` (see [`crate::qa::service::approve`]) and, in the same
/// transaction, what follows an approval: the assignment earns its lines, and a report
/// released at once alerts its client where its project's rules say.
pub fn approve(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    decision: &Decision,
    public_url: &url::Url,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    let approved = match decision.reimbursement_cents {
        Some(c) if !(0..=Money::MAX_TYPED.cents()).contains(&c) => {
            return Err(AppError::field(
                "reimbursement_cents",
                "must be 0 or more cents, up to $1,000,000",
            ));
        }
        other => other.map(Money::from_cents),
    };
    write_transaction(conn, |conn| {
        let view = crate::qa::service::approve(conn, user, id, decision, now)?;
        accrue(conn, id, approved, now)?;
        alert_if_released(conn, public_url, id, now)?;
        Ok(view)
    })
}

/// QA releases approved report `id` by hand (see [`crate::qa::service::release`]), and the
/// client's hot alert goes in the same transaction where its project's rules say.
pub fn release(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    public_url: &url::Url,
    now: NaiveDateTime,
) -> AppResult<Option<ReviewView>> {
    write_transaction(conn, |conn| {
        let view = crate::qa::service::release(conn, user, id, now)?;
        alert_if_released(conn, public_url, id, now)?;
        Ok(view)
    })
}

/// QA answers the client's dispute of report `id` (see [`crate::portal::disputes::answer`]);
/// upheld with `withhold_pay`, the shopper's pending lines for it are withheld, in the same
/// transaction, with QA's answer as the reason.
pub fn answer_dispute(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    request: &crate::portal::disputes::AnswerRequest,
    now: NaiveDateTime,
) -> AppResult<crate::portal::disputes::DisputeView> {
    write_transaction(conn, |conn| {
        let view = crate::portal::disputes::answer(conn, user, id, request, now)?;
        if request.withhold_pay {
            let why = format!(
                "Withheld: the client's dispute was upheld. {}",
                request.answer.trim()
            );
            store::withhold(conn, id, &why)?;
        }
        Ok(view)
    })
}

/// The background's approval of overdue reports, each earning its lines (and alerting).
pub fn approve_overdue(
    conn: &mut DbConnection,
    public_url: &url::Url,
    now: NaiveDateTime,
) -> AppResult<usize> {
    crate::qa::service::approve_overdue(conn, now, |conn, id| {
        accrue(conn, id, None, now)?;
        alert_if_released(conn, public_url, id, now)
    })
}

/// Moves to approved every pending line whose report was released at least its project's
/// dispute days ago and is not disputed; how many.
pub fn mature(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<usize> {
    let due: Vec<LedgerLineId> = store::pending_released(conn, now)?
        .into_iter()
        .filter(|(_, released, days, disputed)| {
            model::matured(Some(*released), *days, *disputed, now)
        })
        .map(|(id, ..)| id)
        .collect();
    if due.is_empty() {
        return Ok(0);
    }
    Ok(write_transaction(conn, |conn| {
        store::approve_lines(conn, &due, now)
    })?)
}

/// One ledger line as its shopper sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EarningLine {
    pub id: LedgerLineId,
    pub assignment_id: AssignmentId,
    /// The job's code.
    pub job: String,
    pub kind: LineKind,
    pub amount_cents: Money,
    pub state: LineState,
    /// Why the amount is what it is (a reimbursement capped or set by QA), or why withheld.
    pub note: Option<String>,
    /// What a pending line waits for, in the shopper's words.
    pub waiting_for: Option<String>,
    /// The day it is expected to be paid (the day it was, once paid); none while it cannot be
    /// told (the report not released yet, or disputed) or when withheld.
    pub expected_pay_date: Option<NaiveDate>,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub earned_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub approved_at: Option<NaiveDateTime>,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub paid_at: Option<NaiveDateTime>,
    pub payout_id: Option<PayoutId>,
}

/// A shopper's earnings: totals per state and a page of lines, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Earnings {
    pub pending_cents: Money,
    pub owed_cents: Money,
    pub paid_cents: Money,
    pub withheld_cents: Money,
    /// The weekday payouts are made (`Friday`).
    pub payout_weekday: String,
    pub lines: Paged<EarningLine>,
}

/// What a pending line waits for.
fn waiting_for(s: &Schedule) -> Option<String> {
    if s.state != LineState::Pending {
        return None;
    }
    Some(if s.disputed {
        "The client disputes this report; QA decides, and you will see the outcome.".to_string()
    } else {
        match s.released_at {
            None => "The report's release to the client; then the client may dispute it for the project's dispute days.".to_string(),
            Some(r) => format!(
                "The client may dispute the report until {}.",
                (r + chrono::Duration::days(i64::from(s.dispute_days))).format("%b %-d, %Y")
            ),
        }
    })
}

/// The signed-in shopper's earnings.
pub fn earnings(
    conn: &mut DbConnection,
    user: &CurrentUser,
    page: PageRequest,
    today: NaiveDate,
    weekday: Weekday,
) -> AppResult<Earnings> {
    user.require(&[Role::Shopper])?;
    let me = ShopperId::from(user.id);
    let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
    for (state, amount) in store::states_of(conn, me)? {
        *totals.entry(state.as_str()).or_default() += amount.cents();
    }
    let total = |s: LineState| Money::from_cents(totals.get(s.as_str()).copied().unwrap_or(0));
    let (rows, count) = store::earnings_page(conn, me, page.offset(), page.limit())?;
    let items = rows
        .into_iter()
        .map(
            |(line, job, (released_at, dispute_days, raised, answered, payout_on))| {
                let schedule = Schedule {
                    state: line.state,
                    released_at,
                    dispute_days,
                    disputed: raised.is_some() && answered.is_none(),
                    in_payout_on: payout_on.map(|t| t.date()),
                    paid_at: line.paid_at,
                };
                EarningLine {
                    id: line.id,
                    assignment_id: line.assignment_id,
                    job,
                    kind: line.kind,
                    amount_cents: line.amount_cents,
                    state: line.state,
                    note: line.note,
                    waiting_for: waiting_for(&schedule),
                    expected_pay_date: model::expected_pay_date(&schedule, today, weekday),
                    earned_at: line.earned_at,
                    approved_at: line.approved_at,
                    paid_at: line.paid_at,
                    payout_id: line.payout_id,
                }
            },
        )
        .collect();
    Ok(Earnings {
        pending_cents: total(LineState::Pending),
        owed_cents: total(LineState::Approved),
        paid_cents: total(LineState::Paid),
        withheld_cents: total(LineState::Withheld),
        payout_weekday: model::weekday_name(weekday).to_string(),
        lines: Paged::new(items, page, count),
    })
}

/// How what is owed is grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OwedBy {
    #[default]
    Shopper,
    Client,
}

#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OwedQuery {
    /// `shopper` (default) or `client`.
    pub by: Option<OwedBy>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// What is unpaid to one shopper, or for one client's reports.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwedItem {
    /// The shopper's or the client's id.
    pub id: i64,
    /// The shopper's panel code, or the client's name.
    pub name: String,
    /// Earned, waiting for the client's dispute days.
    pub pending_cents: Money,
    /// Owed, not yet in a payout.
    pub owed_cents: Money,
    /// In a payout not yet confirmed paid.
    pub in_payout_cents: Money,
}

/// What is unpaid, per shopper or per client, largest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Owed {
    pub pending_cents: Money,
    pub owed_cents: Money,
    pub in_payout_cents: Money,
    pub items: Paged<OwedItem>,
}

/// What is unpaid (not withheld), grouped by shopper or client.
pub fn owed(
    conn: &mut DbConnection,
    user: &CurrentUser,
    by: OwedBy,
    page: PageRequest,
) -> AppResult<Owed> {
    user.require(PAY_READERS)?;
    let mut groups: BTreeMap<i64, OwedItem> = BTreeMap::new();
    let (mut pending, mut owed, mut in_payout) = (0i64, 0i64, 0i64);
    for (shopper, code, client, client_name, state, amount, taken) in store::unpaid(conn)? {
        let (id, name) = match by {
            OwedBy::Shopper => (shopper.0, code),
            OwedBy::Client => (client.0, client_name),
        };
        let item = groups.entry(id).or_insert_with(|| OwedItem {
            id,
            name,
            pending_cents: Money::default(),
            owed_cents: Money::default(),
            in_payout_cents: Money::default(),
        });
        let c = amount.cents();
        match (state, taken) {
            (LineState::Pending, _) => {
                item.pending_cents = item.pending_cents + amount;
                pending += c;
            }
            (_, true) => {
                item.in_payout_cents = item.in_payout_cents + amount;
                in_payout += c;
            }
            _ => {
                item.owed_cents = item.owed_cents + amount;
                owed += c;
            }
        }
    }
    let mut items: Vec<OwedItem> = groups.into_values().collect();
    let size =
        |i: &OwedItem| i.pending_cents.cents() + i.owed_cents.cents() + i.in_payout_cents.cents();
    items.sort_by(|a, b| size(b).cmp(&size(a)).then(a.id.cmp(&b.id)));
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    let items = items
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(0))
        .take(usize::try_from(page.limit()).unwrap_or(0))
        .collect();
    Ok(Owed {
        pending_cents: Money::from_cents(pending),
        owed_cents: Money::from_cents(owed),
        in_payout_cents: Money::from_cents(in_payout),
        items: Paged::new(items, page, total),
    })
}

/// A payout run.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayoutView {
    pub id: PayoutId,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    /// Shoppers it pays.
    pub payees: i32,
    pub total_cents: Money,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub paid_at: Option<NaiveDateTime>,
    /// Where the payment provider's file is.
    pub csv: String,
}

impl From<store::PayoutRow> for PayoutView {
    fn from(p: store::PayoutRow) -> Self {
        PayoutView {
            csv: format!("/api/v1/payouts/{}.csv", p.id),
            id: p.id,
            created_at: p.created_at,
            payees: p.payees,
            total_cents: p.total_cents,
            paid_at: p.paid_at,
        }
    }
}

fn payout_not_found() -> AppError {
    AppError::not_found("No payout has this id.")
}

/// A payout run: matures what is due, then takes every approved line not in a payout, grouped
/// per shopper. 409 `nothing_to_pay` when nothing is owed (a line another run took is not
/// taken again).
pub fn run_payout(
    conn: &mut DbConnection,
    user: &CurrentUser,
    now: NaiveDateTime,
) -> AppResult<PayoutView> {
    user.require(PAYMASTERS)?;
    mature(conn, now)?;
    write_transaction(conn, |conn| {
        let id = store::insert_payout(conn, user.id, now)?;
        if store::take_owed(conn, id)? == 0 {
            return Err(AppError::conflict(
                "nothing_to_pay",
                "Nothing is owed right now: every approved line is in a payout already, and pending lines wait for their reports' dispute days.",
            ));
        }
        let mut per_shopper: BTreeMap<ShopperId, i64> = BTreeMap::new();
        for (shopper, amount) in store::amounts_in(conn, id)? {
            *per_shopper.entry(shopper).or_default() += amount.cents();
        }
        let total = Money::from_cents(per_shopper.values().sum());
        let payees = i32::try_from(per_shopper.len()).unwrap_or(i32::MAX);
        store::set_payout_totals(conn, id, payees, total)?;
        store::find_payout(conn, id)?
            .map(PayoutView::from)
            .ok_or_else(payout_not_found)
    })
}

/// Marks payout `id` paid (the payment provider paid it): its lines are paid. 409
/// `paid_already` the second time.
pub fn mark_paid(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: PayoutId,
    now: NaiveDateTime,
) -> AppResult<PayoutView> {
    user.require(PAYMASTERS)?;
    write_transaction(conn, |conn| {
        let payout = store::find_payout(conn, id)?.ok_or_else(payout_not_found)?;
        if !store::mark_paid(conn, id, user.id, now)? {
            return Err(AppError::conflict(
                "paid_already",
                format!(
                    "This payout was marked paid on {} already.",
                    payout.paid_at.unwrap_or(now).format("%b %-d, %Y")
                ),
            ));
        }
        store::find_payout(conn, id)?
            .map(PayoutView::from)
            .ok_or_else(payout_not_found)
    })
}

pub fn payout(conn: &mut DbConnection, user: &CurrentUser, id: PayoutId) -> AppResult<PayoutView> {
    user.require(PAYMASTERS)?;
    store::find_payout(conn, id)?
        .map(PayoutView::from)
        .ok_or_else(payout_not_found)
}

/// Payout runs, newest first.
pub fn payouts(
    conn: &mut DbConnection,
    user: &CurrentUser,
    page: PageRequest,
) -> AppResult<Paged<PayoutView>> {
    user.require(PAYMASTERS)?;
    let (rows, total) = store::payouts_page(conn, page.offset(), page.limit())?;
    Ok(Paged::new(
        rows.into_iter().map(PayoutView::from).collect(),
        page,
        total,
    ))
}

fn csv_error(e: impl std::fmt::Display) -> AppError {
    AppError::internal(anyhow::anyhow!("csv: {e}"))
}

/// Writes CSV rows, every cell neutralised against formula injection.
fn csv_of(header: &[&str], rows: &[Vec<String>]) -> AppResult<String> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(header).map_err(csv_error)?;
    for row in rows {
        out.write_record(row.iter().map(|c| crate::text::neutral_cell(c)))
            .map_err(csv_error)?;
    }
    let bytes = out.into_inner().map_err(csv_error)?;
    String::from_utf8(bytes).map_err(csv_error)
}

fn dollars(cents: i64) -> String {
    Money::from_cents(cents).plain()
}

/// The payment provider's file for payout `id`: one row per shopper (panel code, legal name,
/// email, amount, currency, a reference). Each payee's row read writes an access record.
pub fn payout_csv(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: PayoutId,
    now: NaiveDateTime,
) -> AppResult<String> {
    user.require(PAYMASTERS)?;
    store::find_payout(conn, id)?.ok_or_else(payout_not_found)?;
    let mut per_shopper: BTreeMap<ShopperId, (i64, usize)> = BTreeMap::new();
    for (shopper, amount) in store::amounts_in(conn, id)? {
        let entry = per_shopper.entry(shopper).or_default();
        entry.0 += amount.cents();
        entry.1 += 1;
    }
    let ids: Vec<ShopperId> = per_shopper.keys().copied().collect();
    let mut rows = Vec::with_capacity(ids.len());
    write_transaction(conn, |conn| {
        for (shopper, code, name, email) in store::payees(conn, &ids)? {
            let (cents, lines) = per_shopper.get(&shopper).copied().unwrap_or_default();
            rows.push(vec![
                code.clone(),
                name,
                email,
                dollars(cents),
                "USD".to_string(),
                format!("incognito-payout-{id}-{code}"),
                lines.to_string(),
            ]);
            access::record(
                conn,
                user.id,
                UserId::from(shopper),
                &[Category::A, Category::D],
                &format!("payout {id}: the payment provider's file"),
                now,
            )?;
        }
        Ok::<_, AppError>(())
    })?;
    rows.sort();
    csv_of(
        &[
            "payee_code",
            "legal_name",
            "email",
            "amount",
            "currency",
            "reference",
            "lines",
        ],
        &rows,
    )
}

/// One shopper's pay in a year: work (fees and bonuses, reported for tax) and reimbursements
/// (refunds of purchases), by the day paid.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct YearTotal {
    pub shopper_id: ShopperId,
    /// The shopper's panel code.
    pub code: String,
    pub income_cents: Money,
    pub reimbursement_cents: Money,
}

fn year_bounds(year: i32) -> AppResult<(NaiveDateTime, NaiveDateTime)> {
    let start = |y: i32| NaiveDate::from_ymd_opt(y, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
    match (start(year), start(year + 1)) {
        (Some(from), Some(to)) if (2000..=2200).contains(&year) => Ok((from, to)),
        _ => Err(AppError::field("year", "must be a year from 2000 to 2200")),
    }
}

/// Per shopper: (income, reimbursements) paid in `year`.
fn totals_in(conn: &mut DbConnection, year: i32) -> AppResult<BTreeMap<ShopperId, (i64, i64)>> {
    let (from, to) = year_bounds(year)?;
    let mut totals: BTreeMap<ShopperId, (i64, i64)> = BTreeMap::new();
    for (shopper, kind, amount) in store::paid_between(conn, from, to)? {
        let t = totals.entry(shopper).or_default();
        if kind.is_income() {
            t.0 += amount.cents();
        } else {
            t.1 += amount.cents();
        }
    }
    Ok(totals)
}

/// The year's totals per shopper (no tax ID), a page at a time.
pub fn year_totals(
    conn: &mut DbConnection,
    user: &CurrentUser,
    year: i32,
    page: PageRequest,
) -> AppResult<Paged<YearTotal>> {
    user.require(PAY_READERS)?;
    let totals = totals_in(conn, year)?;
    let count = i64::try_from(totals.len()).unwrap_or(i64::MAX);
    let chosen: Vec<(ShopperId, (i64, i64))> = totals
        .into_iter()
        .skip(usize::try_from(page.offset()).unwrap_or(0))
        .take(usize::try_from(page.limit()).unwrap_or(0))
        .collect();
    let ids: Vec<ShopperId> = chosen.iter().map(|(s, _)| *s).collect();
    let codes: BTreeMap<ShopperId, String> = store::payees(conn, &ids)?
        .into_iter()
        .map(|(s, code, _, _)| (s, code))
        .collect();
    let items = chosen
        .into_iter()
        .map(|(shopper, (income, refunds))| YearTotal {
            shopper_id: shopper,
            code: codes.get(&shopper).cloned().unwrap_or_default(),
            income_cents: Money::from_cents(income),
            reimbursement_cents: Money::from_cents(refunds),
        })
        .collect();
    Ok(Paged::new(items, page, count))
}

/// The admin's year-end export for tax reporting: per shopper paid in `year`, legal name,
/// address, tax ID (opened only here), income and reimbursements. Each shopper's row writes
/// an access record.
pub fn year_export(
    conn: &mut DbConnection,
    keys: &Keys,
    user: &CurrentUser,
    year: i32,
    now: NaiveDateTime,
) -> AppResult<String> {
    user.require(PAYMASTERS)?;
    let totals = totals_in(conn, year)?;
    let ids: Vec<ShopperId> = totals.keys().copied().collect();
    let mut rows = Vec::with_capacity(ids.len());
    write_transaction(conn, |conn| {
        for (shopper, code, name, street, city, state, zip, tax_id) in store::tax_rows(conn, &ids)?
        {
            let user_id = UserId::from(shopper);
            let tax_id = tax_id
                .map(|sealed| crypto::open(keys, SealedField::TaxId, user_id, &sealed))
                .transpose()
                .map_err(AppError::internal)?
                .unwrap_or_default();
            let (income, refunds) = totals.get(&shopper).copied().unwrap_or_default();
            rows.push(vec![
                code,
                name,
                street,
                city,
                state,
                zip,
                tax_id,
                dollars(income),
                dollars(refunds),
            ]);
            access::record(
                conn,
                user.id,
                user_id,
                &[Category::A, Category::B, Category::D],
                &format!("year-end pay totals {year} for tax reporting"),
                now,
            )?;
        }
        Ok::<_, AppError>(())
    })?;
    rows.sort();
    csv_of(
        &[
            "payee_code",
            "legal_name",
            "street",
            "city",
            "state",
            "zip",
            "tax_id",
            "income",
            "reimbursements",
        ],
        &rows,
    )
}
