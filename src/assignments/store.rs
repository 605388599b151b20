//! Queries of assignments, their history and citations.

use crate::ids::{AssignmentId, JobId, LocationId, ShopperId, UserId};
use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::{AssignmentRow, STATES, State};
use crate::db::schema::{assignment_events, assignments, citations, jobs};
use crate::db::{DbConnection, Whose};
use crate::paging::PageRequest;

/// What matching needs of a shopper's work.
#[derive(Debug, Clone, Copy, Default)]
pub struct Work {
    /// Assignments still going (capacity).
    pub open: u32,
    /// Reports submitted.
    pub completed: u32,
}

/// (shopper, store, day) of a reported visit (rotation).
pub type VisitRow = (ShopperId, LocationId, NaiveDate);

/// The names of the states `pick` chooses, for queries.
pub(crate) fn names(pick: impl Fn(State) -> bool) -> Vec<&'static str> {
    STATES
        .iter()
        .copied()
        .filter(|s| pick(*s))
        .map(State::as_str)
        .collect()
}

/// The work of each shopper and their reported visits, in one query.
pub fn work_and_visits(
    conn: &mut DbConnection,
    whose: Whose,
) -> QueryResult<(HashMap<ShopperId, Work>, Vec<VisitRow>)> {
    let mut query = assignments::table
        .inner_join(jobs::table)
        .filter(assignments::state.eq_any(names(|s| s.is_open() || s.visited())))
        .select((
            assignments::shopper_id,
            assignments::state,
            assignments::visited_on,
            jobs::location_id,
        ))
        .into_boxed();
    match whose {
        Whose::Everyone => {}
        Whose::Only(ids) => query = query.filter(assignments::shopper_id.eq_any(ids)),
        Whose::Between(first, last) => {
            query = query.filter(assignments::shopper_id.between(first, last))
        }
    }
    let rows: Vec<(ShopperId, State, Option<NaiveDate>, LocationId)> = query.load(conn)?;
    let mut work: HashMap<ShopperId, Work> = HashMap::new();
    let mut visits = Vec::new();
    for (shopper, state, visited_on, location) in rows {
        let w = work.entry(shopper).or_default();
        if state.is_open() {
            w.open += 1;
        }
        // A reported visit counts as a completed shop until reports come with the deliverables.
        if state.visited() {
            w.completed += 1;
            if let Some(day) = visited_on {
                visits.push((shopper, location, day));
            }
        }
    }
    Ok((work, visits))
}

pub fn find(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<Option<AssignmentRow>> {
    assignments::table
        .find(id)
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()
}

/// The assignment holding the job (offered, accepted, visited or submitted), if any.
pub fn holder(conn: &mut DbConnection, job_id: JobId) -> QueryResult<Option<AssignmentRow>> {
    assignments::table
        .filter(assignments::job_id.eq(job_id))
        .filter(assignments::state.eq_any(names(State::holds_job)))
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()
}

/// The shopper's open request for the job, if any.
pub fn request_of(
    conn: &mut DbConnection,
    job_id: JobId,
    shopper_id: ShopperId,
) -> QueryResult<Option<AssignmentRow>> {
    assignments::table
        .filter(assignments::job_id.eq(job_id))
        .filter(assignments::shopper_id.eq(shopper_id))
        .filter(assignments::state.eq(State::Requested))
        .select(AssignmentRow::as_select())
        .first(conn)
        .optional()
}

/// Open requests for the job other than `except`'s.
pub fn other_requests(
    conn: &mut DbConnection,
    job_id: JobId,
    except: ShopperId,
) -> QueryResult<Vec<AssignmentRow>> {
    assignments::table
        .filter(assignments::job_id.eq(job_id))
        .filter(assignments::shopper_id.ne(except))
        .filter(assignments::state.eq(State::Requested))
        .select(AssignmentRow::as_select())
        .load(conn)
}

pub struct NewAssignment {
    pub job_id: JobId,
    pub shopper_id: ShopperId,
    pub state: State,
    pub visit_on: Option<NaiveDate>,
    pub offer_expires_at: Option<NaiveDateTime>,
}

/// Inserts an assignment; a unique violation (someone holds the job, or the shopper asked
/// already) comes back as the database's error for the caller to word.
pub fn insert(
    conn: &mut DbConnection,
    new: &NewAssignment,
    now: NaiveDateTime,
) -> QueryResult<AssignmentId> {
    diesel::insert_into(assignments::table)
        .values((
            assignments::job_id.eq(new.job_id),
            assignments::shopper_id.eq(new.shopper_id),
            assignments::state.eq(new.state),
            assignments::visit_on.eq(new.visit_on),
            assignments::offer_expires_at.eq(new.offer_expires_at),
            assignments::created_at.eq(now),
            assignments::updated_at.eq(now),
        ))
        .returning(assignments::id)
        .get_result(conn)
}

/// Moves an assignment from `from` to `to`, only if it is still in `from` (so that of two
/// racing moves one wins); false when it was not.
pub fn set_state(
    conn: &mut DbConnection,
    id: AssignmentId,
    from: State,
    to: State,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = assignments::table
        .filter(assignments::id.eq(id))
        .filter(assignments::state.eq(from));
    let n = match reason {
        Some(reason) => diesel::update(target)
            .set((
                assignments::state.eq(to),
                assignments::reason.eq(reason),
                assignments::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((assignments::state.eq(to), assignments::updated_at.eq(now)))
            .execute(conn)?,
    };
    Ok(n == 1)
}

pub fn set_offer_deadline(
    conn: &mut DbConnection,
    id: AssignmentId,
    deadline: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(assignments::table.find(id))
        .set(assignments::offer_expires_at.eq(deadline))
        .execute(conn)
        .map(|_| ())
}

/// Plans the visit of an accepted assignment; false when it is no longer accepted.
pub fn set_visit_on(
    conn: &mut DbConnection,
    id: AssignmentId,
    visit_on: NaiveDate,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        assignments::table
            .filter(assignments::id.eq(id))
            .filter(assignments::state.eq(State::Accepted)),
    )
    .set((
        assignments::visit_on.eq(visit_on),
        assignments::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

pub fn set_visited_on(conn: &mut DbConnection, id: AssignmentId, on: NaiveDate) -> QueryResult<()> {
    diesel::update(assignments::table.find(id))
        .set(assignments::visited_on.eq(on))
        .execute(conn)
        .map(|_| ())
}

pub fn add_event(
    conn: &mut DbConnection,
    assignment_id: AssignmentId,
    state: State,
    actor_id: Option<UserId>,
    note: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(assignment_events::table)
        .values((
            assignment_events::assignment_id.eq(assignment_id),
            assignment_events::state.eq(state),
            assignment_events::actor_id.eq(actor_id),
            assignment_events::note.eq(note),
            assignment_events::at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// (assignment, state, note, at): one step of an assignment's history.
pub type EventRow = (AssignmentId, State, Option<String>, NaiveDateTime);

/// The assignments' histories, oldest first.
pub fn events_of(conn: &mut DbConnection, ids: &[AssignmentId]) -> QueryResult<Vec<EventRow>> {
    assignment_events::table
        .filter(assignment_events::assignment_id.eq_any(ids))
        .order((assignment_events::assignment_id, assignment_events::id))
        .select((
            assignment_events::assignment_id,
            assignment_events::state,
            assignment_events::note,
            assignment_events::at,
        ))
        .load(conn)
}

/// The shopper's assignments, newest first.
/// One page of the shopper's assignments, newest first, and how many they have.
pub fn of_shopper(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    page: PageRequest,
) -> QueryResult<(Vec<AssignmentRow>, i64)> {
    let total = assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .count()
        .get_result(conn)?;
    let rows = assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .order(assignments::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(AssignmentRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// The shopper's assignments in one state, newest first, at most `limit`.
pub fn of_shopper_in(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    state: State,
    limit: i64,
) -> QueryResult<Vec<AssignmentRow>> {
    assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .filter(assignments::state.eq(state))
        .order(assignments::id.desc())
        .limit(limit)
        .select(AssignmentRow::as_select())
        .load(conn)
}

/// The shopper's requests and offers still open.
pub fn open_of_shopper(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
) -> QueryResult<Vec<AssignmentRow>> {
    assignments::table
        .filter(assignments::shopper_id.eq(shopper_id))
        .filter(assignments::state.eq_any([State::Requested, State::Offered]))
        .order(assignments::id.asc())
        .select(AssignmentRow::as_select())
        .load(conn)
}

/// One page of the job's assignments, newest first, and how many it has.
pub fn of_job(
    conn: &mut DbConnection,
    job_id: JobId,
    page: PageRequest,
) -> QueryResult<(Vec<AssignmentRow>, i64)> {
    let total = assignments::table
        .filter(assignments::job_id.eq(job_id))
        .count()
        .get_result(conn)?;
    let rows = assignments::table
        .filter(assignments::job_id.eq(job_id))
        .order(assignments::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(AssignmentRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

pub fn cite(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    assignment_id: AssignmentId,
    citation: &str,
    note: &str,
    cited_by: Option<UserId>,
    on: NaiveDate,
) -> QueryResult<()> {
    diesel::insert_into(citations::table)
        .values((
            citations::shopper_id.eq(shopper_id),
            citations::assignment_id.eq(assignment_id),
            citations::citation.eq(citation),
            citations::note.eq(note),
            citations::cited_by.eq(cited_by),
            citations::cited_on.eq(on),
        ))
        .execute(conn)
        .map(|_| ())
}

/// (citation, note, on) of the shopper's citations, newest first.
pub fn citations_of(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
) -> QueryResult<Vec<(String, Option<String>, NaiveDate)>> {
    citations::table
        .filter(citations::shopper_id.eq(shopper_id))
        .order(citations::id.desc())
        .select((citations::citation, citations::note, citations::cited_on))
        .load(conn)
}
