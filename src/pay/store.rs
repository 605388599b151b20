//! Pay's queries: ledger lines, their maturing, payout runs, and the rows the views and
//! exports read. A payout takes a line with one conditional update (`payout_id IS NULL`), so
//! two runs at once never take the same line.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{LineKind, LineState};
use crate::db::DbConnection;
use crate::db::schema::{
    assignments, clients, disputes, jobs, ledger_lines, organizations, payouts, projects, reports,
    shoppers, users,
};
use crate::ids::{AssignmentId, ClientId, LedgerLineId, PayoutId, ShopperId, UserId};
use crate::money::Money;

/// Most ids one statement lists.
const CHUNK: usize = 5_000;

/// A ledger line as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_lines)]
pub struct LineRow {
    pub id: LedgerLineId,
    pub assignment_id: AssignmentId,
    pub shopper_id: ShopperId,
    pub client_id: ClientId,
    pub kind: LineKind,
    pub amount_cents: Money,
    pub state: LineState,
    pub note: Option<String>,
    pub earned_at: NaiveDateTime,
    pub approved_at: Option<NaiveDateTime>,
    pub payout_id: Option<PayoutId>,
    pub paid_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = ledger_lines)]
pub struct NewLine<'a> {
    pub assignment_id: AssignmentId,
    pub shopper_id: ShopperId,
    pub client_id: ClientId,
    pub kind: LineKind,
    pub amount_cents: Money,
    pub state: LineState,
    pub note: Option<&'a str>,
    pub earned_at: NaiveDateTime,
}

pub fn insert_line(conn: &mut DbConnection, line: &NewLine<'_>) -> QueryResult<()> {
    diesel::insert_into(ledger_lines::table)
        .values(line)
        .execute(conn)
        .map(|_| ())
}

/// Whether assignment `id` has earned lines already.
pub fn has_lines(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ledger_lines::table.filter(ledger_lines::assignment_id.eq(id)),
    ))
    .get_result(conn)
}

/// The lines of assignment `id`, in the order earned.
pub fn lines_of(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<Vec<LineRow>> {
    ledger_lines::table
        .filter(ledger_lines::assignment_id.eq(id))
        .order(ledger_lines::id)
        .select(LineRow::as_select())
        .load(conn)
}

/// What a line's schedule reads: when its report was released, its project's dispute days,
/// whether a dispute of it is open, and the day of the payout that took it.
pub type ScheduleRow = (
    Option<NaiveDateTime>,
    i32,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
    Option<NaiveDateTime>,
);

/// Pending lines whose report was released by `now`, with their schedule: the candidates to
/// mature.
pub fn pending_released(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<(LedgerLineId, NaiveDateTime, i32, bool)>> {
    // (released, dispute days, dispute raised, dispute answered)
    type Candidate = (
        Option<NaiveDateTime>,
        i32,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    );
    let rows: Vec<(LedgerLineId, Candidate)> = ledger_lines::table
        .inner_join(reports::table.on(reports::assignment_id.eq(ledger_lines::assignment_id)))
        .inner_join(assignments::table.on(assignments::id.eq(ledger_lines::assignment_id)))
        .inner_join(jobs::table.on(jobs::id.eq(assignments::job_id)))
        .inner_join(projects::table.on(projects::id.eq(jobs::project_id)))
        .left_join(disputes::table.on(disputes::assignment_id.eq(ledger_lines::assignment_id)))
        .filter(ledger_lines::state.eq(LineState::Pending))
        .filter(reports::released_at.le(now))
        .select((
            ledger_lines::id,
            (
                reports::released_at,
                projects::dispute_days,
                disputes::raised_at.nullable(),
                disputes::answered_at.nullable(),
            ),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, (released, days, raised, answered))| {
            released.map(|r| (id, r, days, raised.is_some() && answered.is_none()))
        })
        .collect())
}

/// Moves lines `ids` from pending to approved at `now`; how many moved.
pub fn approve_lines(
    conn: &mut DbConnection,
    ids: &[LedgerLineId],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut moved = 0;
    for chunk in ids.chunks(CHUNK) {
        moved += diesel::update(
            ledger_lines::table
                .filter(ledger_lines::id.eq_any(chunk))
                .filter(ledger_lines::state.eq(LineState::Pending)),
        )
        .set((
            ledger_lines::state.eq(LineState::Approved),
            ledger_lines::approved_at.eq(now),
        ))
        .execute(conn)?;
    }
    Ok(moved)
}

/// Withholds the pending lines of assignment `id`, saying why; how many.
pub fn withhold(conn: &mut DbConnection, id: AssignmentId, why: &str) -> QueryResult<usize> {
    diesel::update(
        ledger_lines::table
            .filter(ledger_lines::assignment_id.eq(id))
            .filter(ledger_lines::state.eq(LineState::Pending)),
    )
    .set((
        ledger_lines::state.eq(LineState::Withheld),
        ledger_lines::note.eq(why),
    ))
    .execute(conn)
}

/// A payout run as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = payouts)]
pub struct PayoutRow {
    pub id: PayoutId,
    pub created_at: NaiveDateTime,
    pub created_by: Option<UserId>,
    pub payees: i32,
    pub total_cents: Money,
    pub paid_at: Option<NaiveDateTime>,
    pub paid_by: Option<UserId>,
}

pub fn insert_payout(
    conn: &mut DbConnection,
    by: UserId,
    now: NaiveDateTime,
) -> QueryResult<PayoutId> {
    diesel::insert_into(payouts::table)
        .values((payouts::created_at.eq(now), payouts::created_by.eq(by)))
        .returning(payouts::id)
        .get_result(conn)
}

/// Gives every approved line not in a payout to payout `id`; how many it took. One
/// statement: a line another run took meanwhile is not taken again.
pub fn take_owed(conn: &mut DbConnection, id: PayoutId) -> QueryResult<usize> {
    diesel::update(
        ledger_lines::table
            .filter(ledger_lines::state.eq(LineState::Approved))
            .filter(ledger_lines::payout_id.is_null()),
    )
    .set(ledger_lines::payout_id.eq(id))
    .execute(conn)
}

/// The (shopper, amount) of every line in payout `id`.
pub fn amounts_in(conn: &mut DbConnection, id: PayoutId) -> QueryResult<Vec<(ShopperId, Money)>> {
    ledger_lines::table
        .filter(ledger_lines::payout_id.eq(id))
        .select((ledger_lines::shopper_id, ledger_lines::amount_cents))
        .load(conn)
}

pub fn set_payout_totals(
    conn: &mut DbConnection,
    id: PayoutId,
    payees: i32,
    total: Money,
) -> QueryResult<()> {
    diesel::update(payouts::table.find(id))
        .set((payouts::payees.eq(payees), payouts::total_cents.eq(total)))
        .execute(conn)
        .map(|_| ())
}

pub fn find_payout(conn: &mut DbConnection, id: PayoutId) -> QueryResult<Option<PayoutRow>> {
    payouts::table
        .find(id)
        .select(PayoutRow::as_select())
        .first(conn)
        .optional()
}

/// A page of payouts, newest first, and how many there are.
pub fn payouts_page(
    conn: &mut DbConnection,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<PayoutRow>, i64)> {
    let total = payouts::table.count().get_result(conn)?;
    let rows = payouts::table
        .order(payouts::id.desc())
        .offset(offset)
        .limit(limit)
        .select(PayoutRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Marks payout `id` paid, and its lines; false when it was paid already.
pub fn mark_paid(
    conn: &mut DbConnection,
    id: PayoutId,
    by: UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let n = diesel::update(payouts::table.find(id).filter(payouts::paid_at.is_null()))
        .set((payouts::paid_at.eq(now), payouts::paid_by.eq(by)))
        .execute(conn)?;
    if n == 0 {
        return Ok(false);
    }
    diesel::update(
        ledger_lines::table
            .filter(ledger_lines::payout_id.eq(id))
            .filter(ledger_lines::state.eq(LineState::Approved)),
    )
    .set((
        ledger_lines::state.eq(LineState::Paid),
        ledger_lines::paid_at.eq(now),
    ))
    .execute(conn)?;
    Ok(true)
}

/// One line as its shopper's earnings list it: the line, its job's code, and its schedule.
pub type EarningRow = (LineRow, String, ScheduleRow);

/// Ledger lines of `shopper`, newest first, from `offset`, with their job and schedule.
pub fn earnings_page(
    conn: &mut DbConnection,
    shopper: ShopperId,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<EarningRow>, i64)> {
    let total = ledger_lines::table
        .filter(ledger_lines::shopper_id.eq(shopper))
        .count()
        .get_result(conn)?;
    let rows = ledger_lines::table
        .inner_join(reports::table.on(reports::assignment_id.eq(ledger_lines::assignment_id)))
        .inner_join(assignments::table.on(assignments::id.eq(ledger_lines::assignment_id)))
        .inner_join(jobs::table.on(jobs::id.eq(assignments::job_id)))
        .inner_join(projects::table.on(projects::id.eq(jobs::project_id)))
        .left_join(disputes::table.on(disputes::assignment_id.eq(ledger_lines::assignment_id)))
        .left_join(payouts::table.on(payouts::id.nullable().eq(ledger_lines::payout_id)))
        .filter(ledger_lines::shopper_id.eq(shopper))
        .order(ledger_lines::id.desc())
        .offset(offset)
        .limit(limit)
        .select((
            LineRow::as_select(),
            jobs::code,
            (
                reports::released_at,
                projects::dispute_days,
                disputes::raised_at.nullable(),
                disputes::answered_at.nullable(),
                payouts::created_at.nullable(),
            ),
        ))
        .load(conn)?;
    Ok((rows, total))
}

/// (state, amount) of every line of `shopper`: the totals of their earnings.
pub fn states_of(
    conn: &mut DbConnection,
    shopper: ShopperId,
) -> QueryResult<Vec<(LineState, Money)>> {
    ledger_lines::table
        .filter(ledger_lines::shopper_id.eq(shopper))
        .select((ledger_lines::state, ledger_lines::amount_cents))
        .load(conn)
}

/// Every unpaid line not withheld: (shopper, shopper's panel code, client, client's name,
/// state, amount, in a payout).
pub type OwedRow = (ShopperId, String, ClientId, String, LineState, Money, bool);

pub fn unpaid(conn: &mut DbConnection) -> QueryResult<Vec<OwedRow>> {
    type Stored = (
        ShopperId,
        String,
        ClientId,
        String,
        LineState,
        Money,
        Option<PayoutId>,
    );
    let rows: Vec<Stored> = ledger_lines::table
        .inner_join(shoppers::table.on(shoppers::user_id.eq(ledger_lines::shopper_id)))
        .inner_join(clients::table.on(clients::id.eq(ledger_lines::client_id)))
        .inner_join(organizations::table.on(organizations::id.eq(clients::organization_id)))
        .filter(ledger_lines::state.eq_any([LineState::Pending, LineState::Approved]))
        .select((
            ledger_lines::shopper_id,
            shoppers::code,
            ledger_lines::client_id,
            organizations::name,
            ledger_lines::state,
            ledger_lines::amount_cents,
            ledger_lines::payout_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(s, code, c, name, state, amount, payout)| {
            (s, code, c, name, state, amount, payout.is_some())
        })
        .collect())
}

/// A payee of a payout, as the payment provider needs them: the shopper, their panel code,
/// legal name and email.
pub type PayeeRow = (ShopperId, String, String, String);

pub fn payees(conn: &mut DbConnection, ids: &[ShopperId]) -> QueryResult<Vec<PayeeRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            shoppers::table
                .inner_join(users::table.on(users::id.eq(shoppers::user_id)))
                .filter(shoppers::user_id.eq_any(chunk))
                .select((
                    shoppers::user_id,
                    shoppers::code,
                    shoppers::legal_name,
                    users::email,
                ))
                .load::<(ShopperId, String, String, String)>(conn)?,
        );
    }
    Ok(out)
}

/// (shopper, kind, amount) of every line paid in `[from, to)`.
pub fn paid_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(ShopperId, LineKind, Money)>> {
    ledger_lines::table
        .filter(ledger_lines::state.eq(LineState::Paid))
        .filter(ledger_lines::paid_at.ge(from))
        .filter(ledger_lines::paid_at.lt(to))
        .select((
            ledger_lines::shopper_id,
            ledger_lines::kind,
            ledger_lines::amount_cents,
        ))
        .load(conn)
}

/// What a year-end export names of a shopper: panel code, legal name, street, city, state,
/// ZIP, the sealed tax ID.
pub type TaxRow = (
    ShopperId,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
);

pub fn tax_rows(conn: &mut DbConnection, ids: &[ShopperId]) -> QueryResult<Vec<TaxRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        out.extend(
            shoppers::table
                .filter(shoppers::user_id.eq_any(chunk))
                .select((
                    shoppers::user_id,
                    shoppers::code,
                    shoppers::legal_name,
                    shoppers::street,
                    shoppers::city,
                    shoppers::state,
                    shoppers::zip,
                    shoppers::tax_id,
                ))
                .load::<TaxRow>(conn)?,
        );
    }
    Ok(out)
}
