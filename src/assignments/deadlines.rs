//! Deadlines: offers not accepted in time expire (the job returns to the board); a visit not
//! reported by the end of its window becomes overdue (noted once), and after a grace period
//! the assignment is taken back with a citation.
//!
//! [`sweep`] takes the time as an argument, so that tests move the clock. Every change is a
//! conditional update from the state it expects, written with its event only when it applied:
//! running the sweep twice, or on several app servers at once, changes each assignment once.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::model::State;
use super::store;
use crate::db::schema::{assignment_events, assignments, jobs};
use crate::db::{DbConnection, write_transaction};
use crate::error::AppResult;

/// Days after the window's end before an unreported visit is taken back.
pub const OVERDUE_GRACE_DAYS: i64 = 2;

/// The note that marks an assignment overdue (written once).
const OVERDUE_NOTE: &str = "overdue: the visit was due by the end of the window";

/// What a sweep changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    pub expired_offers: usize,
    pub overdue: usize,
    pub taken_back: usize,
}

/// Applies every deadline that has passed at `now`.
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<SweepReport> {
    let mut report = SweepReport::default();
    let today = now.date();

    let lapsed: Vec<i64> = assignments::table
        .filter(assignments::state.eq(State::Offered.as_str()))
        .filter(assignments::offer_expires_at.le(now))
        .select(assignments::id)
        .load(conn)?;
    for id in lapsed {
        write_transaction(conn, |conn| -> AppResult<()> {
            if store::set_state(conn, id, State::Offered, State::Expired, None, now)? {
                store::add_event(
                    conn,
                    id,
                    State::Expired,
                    None,
                    Some("the offer was not accepted in time"),
                    now,
                )?;
                report.expired_offers += 1;
            }
            Ok(())
        })?;
    }

    // Accepted or visited, and the window is over: (assignment, shopper, state, window end).
    let late: Vec<(i64, i64, String, NaiveDate)> = assignments::table
        .inner_join(jobs::table)
        .filter(assignments::state.eq_any([State::Accepted.as_str(), State::Visited.as_str()]))
        .filter(jobs::window_end.lt(today))
        .select((
            assignments::id,
            assignments::shopper_id,
            assignments::state,
            jobs::window_end,
        ))
        .load(conn)?;
    for (id, shopper_id, state, window_end) in late {
        let state = State::parse(&state).unwrap_or(State::Cancelled);
        write_transaction(conn, |conn| -> AppResult<()> {
            if today > window_end + Duration::days(OVERDUE_GRACE_DAYS) {
                let reason = format!(
                    "taken back: nothing reported by {window_end} and {OVERDUE_GRACE_DAYS} days after"
                );
                if store::set_state(conn, id, state, State::Reassigned, Some(&reason), now)? {
                    store::add_event(conn, id, State::Reassigned, None, Some(&reason), now)?;
                    store::cite(conn, shopper_id, id, "overdue", &reason, None, today)?;
                    report.taken_back += 1;
                }
            } else {
                // Noted once; the conditional insert keeps a second sweep from noting again.
                let noted: i64 = assignment_events::table
                    .filter(assignment_events::assignment_id.eq(id))
                    .filter(assignment_events::note.eq(OVERDUE_NOTE))
                    .count()
                    .get_result(conn)?;
                if noted == 0 {
                    store::add_event(conn, id, state, None, Some(OVERDUE_NOTE), now)?;
                    report.overdue += 1;
                }
            }
            Ok(())
        })?;
    }
    Ok(report)
}
