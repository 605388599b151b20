//! Deadlines: offers not accepted in time expire (the job returns to the board); a visit not
//! reported by the end of its window becomes overdue (noted once), and after a grace period
//! the assignment is taken back with a citation.
//!
//! [`sweep`] takes the time as an argument, so that tests move the clock. Every change is a
//! conditional update from the state it expects, written with its event only when it applied:
//! running the sweep twice, or on several app servers at once, changes each assignment once.

use crate::ids::{AssignmentId, JobId, ShopperId, UserId};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::model::State;
use super::notify::Notifier;
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
    pub reminders: usize,
}

/// Applies every deadline that has passed at `now`.
pub fn sweep(
    conn: &mut DbConnection,
    notifier: &Notifier,
    now: NaiveDateTime,
) -> AppResult<SweepReport> {
    let mut report = SweepReport::default();
    let today = now.date();

    let lapsed: Vec<AssignmentId> = assignments::table
        .filter(assignments::state.eq(State::Offered))
        .filter(assignments::offer_expires_at.le(now))
        .select(assignments::id)
        .load(conn)?;
    for id in lapsed {
        if super::service::expire_if_lapsed(conn, notifier, id, now)? {
            report.expired_offers += 1;
        }
    }

    // Requests and offers whose job's window is over lapse.
    let stale: Vec<(AssignmentId, State)> = assignments::table
        .inner_join(jobs::table)
        .filter(assignments::state.eq_any([State::Requested, State::Offered]))
        .filter(jobs::window_end.lt(today))
        .select((assignments::id, assignments::state))
        .load(conn)?;
    for (id, state) in stale {
        write_transaction(conn, |conn| -> AppResult<()> {
            if store::set_state(conn, id, state, State::Expired, None, now)? {
                store::add_event(
                    conn,
                    id,
                    State::Expired,
                    None,
                    Some("the job's window ended"),
                    now,
                )?;
                if state == State::Offered
                    && let Some(row) = store::find(conn, id)?
                {
                    notifier.expired(conn, &row, now)?;
                }
                report.expired_offers += 1;
            }
            Ok(())
        })?;
    }

    // Accepted, not visited, and the window is over: (assignment, shopper, state, window end).
    // (A reported visit waits for its report, which the deliverables bring.)
    let late: Vec<(AssignmentId, ShopperId, State, NaiveDate)> = assignments::table
        .inner_join(jobs::table)
        .filter(assignments::state.eq(State::Accepted))
        .filter(jobs::window_end.lt(today))
        .select((
            assignments::id,
            assignments::shopper_id,
            assignments::state,
            jobs::window_end,
        ))
        .load(conn)?;
    for (id, shopper_id, state, window_end) in late {
        write_transaction(conn, |conn| -> AppResult<()> {
            if today > window_end + Duration::days(OVERDUE_GRACE_DAYS) {
                let reason = format!(
                    "taken back: nothing reported by {window_end} and {OVERDUE_GRACE_DAYS} days after"
                );
                if store::set_state(conn, id, state, State::Reassigned, Some(&reason), now)? {
                    store::add_event(conn, id, State::Reassigned, None, Some(&reason), now)?;
                    store::cite(conn, shopper_id, id, "overdue", &reason, None, today)?;
                    if let Some(row) = store::find(conn, id)? {
                        notifier.taken_back(conn, &row, now)?;
                    }
                    report.taken_back += 1;
                }
            } else if note_once(conn, id, state, OVERDUE_NOTE, now)? {
                if let Some(row) = store::find(conn, id)? {
                    notifier.overdue(conn, &row, OVERDUE_GRACE_DAYS, now)?;
                }
                report.overdue += 1;
            }
            Ok(())
        })
        .or_else(already_done)?;
    }

    // Accepted, the window ends tomorrow: one reminder.
    let tomorrow = today + Duration::days(1);
    let due: Vec<AssignmentId> = assignments::table
        .inner_join(jobs::table)
        .filter(assignments::state.eq(State::Accepted))
        .filter(jobs::window_end.eq(tomorrow))
        .select(assignments::id)
        .load(conn)?;
    for id in due {
        write_transaction(conn, |conn| -> AppResult<()> {
            if note_once(conn, id, State::Accepted, REMINDER_NOTE, now)?
                && let Some(row) = store::find(conn, id)?
            {
                notifier.reminder(conn, &row, now)?;
                report.reminders += 1;
            }
            Ok(())
        })
        .or_else(already_done)?;
    }
    Ok(report)
}

/// Writes a note that may exist once per assignment (a unique index holds it to once, also
/// with several servers sweeping together); false when it was written before.
fn note_once(
    conn: &mut DbConnection,
    id: AssignmentId,
    state: State,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let noted: i64 = assignment_events::table
        .filter(assignment_events::assignment_id.eq(id))
        .filter(assignment_events::note.eq(note))
        .count()
        .get_result(conn)?;
    if noted > 0 {
        return Ok(false);
    }
    store::add_event(conn, id, state, None, Some(note), now)?;
    Ok(true)
}

/// Another server wrote the same once-only note first: nothing more to do here.
fn already_done(e: crate::error::AppError) -> AppResult<()> {
    if e.code == "already_exists" {
        Ok(())
    } else {
        Err(e)
    }
}

/// The note that marks a reminder sent (written once).
const REMINDER_NOTE: &str = "reminder sent: the window ends tomorrow";

/// Sends today's digest of new jobs to every active shopper who asked for it and has not had
/// it yet today: the jobs on their board created since their last digest (or the last day).
/// Each shopper is claimed for the day first, so several servers send it once.
pub fn digests(
    conn: &mut DbConnection,
    keys: &crate::keys::Keys,
    live: &super::live::Live,
    notifier: &Notifier,
    now: NaiveDateTime,
) -> AppResult<usize> {
    use crate::db::schema::{consents, digests, shoppers};
    let today = now.date();
    // The latest daily-digest choice of each user.
    let choices: Vec<(UserId, bool)> = consents::table
        .filter(consents::purpose.eq(crate::privacy::consent::Purpose::DailyDigest.as_str()))
        .order(consents::id.asc())
        .select((consents::user_id, consents::granted))
        .load(conn)?;
    let mut latest: std::collections::HashMap<UserId, bool> = std::collections::HashMap::new();
    for (user, granted) in choices {
        latest.insert(user, granted);
    }
    let wanted: Vec<UserId> = latest
        .into_iter()
        .filter(|(_, g)| *g)
        .map(|(u, _)| u)
        .collect();
    // A later notice that added the digest applies only to those who accepted it.
    let wanted = crate::privacy::versions::covered(
        conn,
        crate::privacy::consent::Purpose::DailyDigest,
        wanted,
    )?;
    let active: Vec<ShopperId> = shoppers::table
        .filter(shoppers::user_id.eq_any(&wanted))
        .filter(shoppers::status.eq("active"))
        .select(shoppers::user_id)
        .load(conn)?;
    let mut sent = 0;
    for user in active {
        // Claim today's digest for this shopper (an update that only one server wins, or the
        // first insert).
        let (claimed, last): (bool, Option<NaiveDateTime>) =
            write_transaction(conn, |conn| -> AppResult<(bool, Option<NaiveDateTime>)> {
                let row: Option<(NaiveDate, Option<NaiveDateTime>)> = digests::table
                    .find(user)
                    .select((digests::checked_on, digests::last_sent_at))
                    .first(conn)
                    .optional()?;
                match row {
                    Some((checked, _)) if checked >= today => Ok((false, None)),
                    Some((_, last)) => {
                        let n = diesel::update(
                            digests::table
                                .filter(digests::user_id.eq(user))
                                .filter(digests::checked_on.lt(today)),
                        )
                        .set(digests::checked_on.eq(today))
                        .execute(conn)?;
                        Ok((n == 1, last))
                    }
                    None => {
                        diesel::insert_into(digests::table)
                            .values((digests::user_id.eq(user), digests::checked_on.eq(today)))
                            .execute(conn)?;
                        Ok((true, None))
                    }
                }
            })
            .or_else(|e| {
                if e.code == "already_exists" {
                    Ok((false, None))
                } else {
                    Err(e)
                }
            })?;
        if !claimed {
            continue;
        }
        let since = last.unwrap_or(now - Duration::days(1));
        let board = live.board(conn, keys, user, today, notifier.locale.unit)?;
        let ids: Vec<JobId> = board.eligible.iter().map(|c| c.id).collect();
        let new: std::collections::HashSet<JobId> = jobs::table
            .filter(jobs::id.eq_any(&ids))
            .filter(jobs::created_at.gt(since))
            .select(jobs::id)
            .load::<JobId>(conn)?
            .into_iter()
            .collect();
        let cards: Vec<_> = board
            .eligible
            .into_iter()
            .filter(|c| new.contains(&c.id))
            .take(20)
            .collect();
        if cards.is_empty() {
            continue;
        }
        write_transaction(conn, |conn| -> AppResult<()> {
            notifier.digest(conn, user, &cards, now)?;
            diesel::update(digests::table.find(user))
                .set(digests::last_sent_at.eq(now))
                .execute(conn)?;
            Ok(())
        })?;
        sent += 1;
    }
    Ok(sent)
}
