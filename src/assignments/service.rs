//! What happens to assignments: a shopper asks for a job (or takes it, where the project
//! lets them), staff offer or assign it, the shopper accepts, declines, reschedules, reports
//! the visit or cancels. Every move checks the state machine of [`super::model`] and runs in
//! one transaction; the database lets one shopper at a time hold a job.

use crate::ids::{AssignmentId, JobId, ShopperId, UserId};
use crate::units::DistanceUnit;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::OptionalExtension;

use super::candidates::JobMatch;
use super::model::{
    Action, AssignmentRow, AssignmentView, EventView, JobSummary, Move, Mover, State,
    cancel_is_late, offer_deadline, plannable_days, reportable_days, self_assigns,
};
use super::notify::Notifier;
use super::store::{self, NewAssignment};
use crate::auth::{CurrentUser, Role};
use crate::clients::model::JobStatus;
use crate::clients::store as clients;
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::paging::{PageRequest, Paged};
use crate::panel::store as panel;

pub fn changed_meanwhile() -> AppError {
    AppError::conflict(
        "illegal_transition",
        "The assignment changed meanwhile; reload it and try again.",
    )
}

fn taken() -> AppError {
    AppError::conflict(
        "job_taken",
        "This job is held already (offered to or taken by a shopper); it is not available.",
    )
}

/// Maps a unique violation on insert or move to "the job is taken" (the one-holder index) or
/// to `otherwise`.
fn unique_as(e: diesel::result::Error, otherwise: impl FnOnce() -> AppError) -> AppError {
    use diesel::result::{DatabaseErrorKind, Error};
    match &e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
            if info.message().contains("one_holder")
                || info.constraint_name() == Some("assignments_one_holder")
                || info.message().contains("assignments.job_id")
                    && !info.message().contains("shopper_id")
            {
                taken()
            } else {
                otherwise()
            }
        }
        _ => AppError::from(e),
    }
}

/// Holds the shopper's row until the transaction ends, so that two requests of one shopper
/// check their capacity one after the other. (SQLite's writers take turns anyway.)
fn lock_shopper(conn: &mut DbConnection, shopper_id: ShopperId) -> AppResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        use diesel::RunQueryDsl;
        diesel::sql_query("SELECT 1 FROM shoppers WHERE user_id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::BigInt, _>(shopper_id)
            .execute(pg)?;
    }
    Ok(())
}

fn open_job(conn: &mut DbConnection, job_id: JobId, today: NaiveDate) -> AppResult<()> {
    let job = clients::find_job(conn, job_id)
        .optional()?
        .ok_or_else(|| AppError::not_found("No job has this id."))?;
    if job.status != JobStatus::Open || job.window_end < today {
        return Err(AppError::conflict(
            "not_available",
            "This job is closed: its window has ended or it was withdrawn.",
        ));
    }
    Ok(())
}

/// The pair put through the matching rules: the match, and why not (empty: eligible).
fn check_pair(
    conn: &mut DbConnection,
    keys: &Keys,
    job_id: JobId,
    shopper_id: ShopperId,
    today: NaiveDate,
) -> AppResult<(JobMatch, Vec<crate::matching::Unmet>)> {
    let row = panel::find_shopper(conn, shopper_id)?
        .ok_or_else(|| AppError::not_found("No shopper has this id."))?;
    let matched = JobMatch::load(conn, keys, job_id, vec![row], today)?;
    let mut unmet = matched.unmet(shopper_id).unwrap_or_default();
    // The shopper's own request or offer for this job is the one being moved on: it does not
    // count against their capacity for it.
    let own = store::request_of(conn, job_id, shopper_id)?.is_some()
        || store::holder(conn, job_id)?.is_some_and(|h| h.shopper_id == shopper_id);
    if own {
        unmet.retain(|u| *u != crate::matching::Unmet::NoCapacity);
    }
    Ok((matched, unmet))
}

/// Checks, in the caller's transaction, that the shopper may take the job now: the shopper's
/// row held (capacity is checked one at a time), the job open, every rule met (why not in the
/// shopper's words, or staff's), nobody holding it.
fn claimable(
    conn: &mut DbConnection,
    keys: &Keys,
    job_id: JobId,
    shopper_id: ShopperId,
    today: NaiveDate,
    for_staff: bool,
    unit: DistanceUnit,
) -> AppResult<JobMatch> {
    lock_shopper(conn, shopper_id)?;
    open_job(conn, job_id, today)?;
    let (matched, unmet) = check_pair(conn, keys, job_id, shopper_id, today)?;
    if !unmet.is_empty() {
        let detail = if for_staff {
            format!(
                "The shopper is not eligible for this job: {}.",
                matched.staff_reasons(shopper_id, &unmet, unit).join("; ")
            )
        } else {
            format!(
                "This job is not available to you: {}.",
                matched.shopper_reasons(shopper_id, &unmet, unit).join("; ")
            )
        };
        return Err(AppError::conflict("not_available", detail));
    }
    if store::holder(conn, job_id)?.is_some() {
        return Err(taken());
    }
    Ok(matched)
}

/// Requests that lose their object when someone takes the job.
fn expire_other_requests(
    conn: &mut DbConnection,
    job_id: JobId,
    holder: ShopperId,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    for other in store::other_requests(conn, job_id, holder)? {
        if store::set_state(conn, other.id, State::Requested, State::Expired, None, now)? {
            store::add_event(conn, other.id, State::Expired, None, Some(note), now)?;
        }
    }
    Ok(())
}

/// The note on requests that lapse because the job went to someone.
const WENT_ELSEWHERE: &str = "the job went to another shopper";

/// A shopper asks for a job. Where the project lets shoppers rated at least its threshold
/// take jobs themselves, and this shopper is, the job is theirs at once (accepted).
pub fn request(
    conn: &mut DbConnection,
    keys: &Keys,
    notifier: &Notifier,
    shopper_id: ShopperId,
    job_id: JobId,
    now: NaiveDateTime,
) -> AppResult<AssignmentView> {
    let today = now.date();
    let id = write_transaction(conn, |conn| {
        let matched = claimable(
            conn,
            keys,
            job_id,
            shopper_id,
            today,
            false,
            notifier.locale.unit,
        )?;
        let rating = matched.rating(shopper_id).unwrap_or(0.0);
        let self_assign = self_assigns(matched.project.self_assign_min_rating, rating);
        let state = if self_assign {
            State::Accepted
        } else {
            State::Requested
        };
        let new = NewAssignment {
            job_id,
            shopper_id,
            state,
            visit_on: None,
            offer_expires_at: None,
        };
        let own_request = if self_assign {
            store::request_of(conn, job_id, shopper_id)?
        } else {
            None
        };
        let id = match own_request {
            // The shopper's earlier request becomes the assignment.
            Some(request) => {
                if !store::set_state(conn, request.id, State::Requested, state, None, now)
                    .map_err(|e| unique_as(e, taken))?
                {
                    return Err(changed_meanwhile());
                }
                request.id
            }
            None => store::insert(conn, &new, now).map_err(|e| {
                unique_as(e, || {
                    AppError::conflict("already_exists", "You have asked for this job already.")
                })
            })?,
        };
        let note = if self_assign {
            "taken by the shopper (self-assign)"
        } else {
            "asked for by the shopper"
        };
        store::add_event(conn, id, state, Some(shopper_id.into()), Some(note), now)?;
        if self_assign {
            expire_other_requests(conn, job_id, shopper_id, WENT_ELSEWHERE, now)?;
            if let Some(row) = store::find(conn, id)? {
                notifier.confirmed(conn, &row, now)?;
            }
        }
        Ok(id)
    })?;
    view(conn, id, true)
}

/// Staff offer the job to a shopper (`assign`: give it at once). The shopper must be
/// eligible; their request, if any, moves on; otherwise a new assignment starts.
pub fn offer_or_assign(
    conn: &mut DbConnection,
    notifier: &Notifier,
    staff_id: UserId,
    job_id: JobId,
    shopper_id: ShopperId,
    action: Action,
    now: NaiveDateTime,
) -> AppResult<AssignmentView> {
    let keys = &*notifier.keys;
    let today = now.date();
    let id = write_transaction(conn, |conn| {
        let matched = claimable(
            conn,
            keys,
            job_id,
            shopper_id,
            today,
            true,
            notifier.locale.unit,
        )?;
        let deadline = offer_deadline(now, matched.project.offer_hours, matched.job.window_end);
        let (state, note, deadline) = match action {
            Action::Offer => (State::Offered, "offered by staff", Some(deadline)),
            _ => (State::Accepted, "assigned by staff", None),
        };
        let id = match store::request_of(conn, job_id, shopper_id)? {
            Some(request) => {
                if !store::set_state(conn, request.id, State::Requested, state, None, now)
                    .map_err(|e| unique_as(e, taken))?
                {
                    return Err(changed_meanwhile());
                }
                if let Some(deadline) = deadline {
                    store::set_offer_deadline(conn, request.id, deadline)?;
                }
                request.id
            }
            None => store::insert(
                conn,
                &NewAssignment {
                    job_id,
                    shopper_id,
                    state,
                    visit_on: None,
                    offer_expires_at: deadline,
                },
                now,
            )
            .map_err(|e| unique_as(e, taken))?,
        };
        store::add_event(conn, id, state, Some(staff_id), Some(note), now)?;
        let row = store::find(conn, id)?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("assignment vanished")))?;
        if state == State::Accepted {
            expire_other_requests(conn, job_id, shopper_id, WENT_ELSEWHERE, now)?;
            notifier.confirmed(conn, &row, now)?;
        } else {
            notifier.offer_made(conn, &row, now)?;
        }
        Ok(id)
    })?;
    view(conn, id, false)
}

/// Approves, suspends or reinstates a shopper (`panel::service::change_status`); a suspension
/// also withdraws the shopper's requests and offers, in the same transaction (accepted visits
/// stay for staff to decide: reassign or let them be made); an approval mails the shopper.
pub fn change_shopper_status(
    conn: &mut DbConnection,
    notifier: &super::notify::Notifier,
    staff_id: UserId,
    shopper_id: ShopperId,
    action: crate::panel::service::StatusAction,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_transaction(conn, |conn| {
        let to =
            crate::panel::service::change_status(conn, staff_id, shopper_id, action, reason, now)?;
        match to {
            crate::panel::model::Status::Suspended => {
                withdraw_open(conn, shopper_id, staff_id, now)?;
            }
            crate::panel::model::Status::Active
                if action == crate::panel::service::StatusAction::Approve =>
            {
                notifier.approved(conn, shopper_id, now)?;
            }
            _ => {}
        }
        Ok(())
    })
}

/// Withdraws a shopper's requests and offers (on suspension), in the caller's transaction.
fn withdraw_open(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    staff_id: UserId,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let mut withdrawn = 0;
    for row in store::open_of_shopper(conn, shopper_id)? {
        let state = row.state();
        if !matches!(state, State::Requested | State::Offered) {
            continue;
        }
        let reason = "withdrawn: the shopper's panel membership is suspended";
        if store::set_state(conn, row.id, state, State::Cancelled, Some(reason), now)? {
            store::add_event(
                conn,
                row.id,
                State::Cancelled,
                Some(staff_id),
                Some(reason),
                now,
            )?;
            withdrawn += 1;
        }
    }
    Ok(withdrawn)
}

/// Lets a lapsed offer expire (idempotent; the deadline sweep calls it for every lapsed
/// offer); true when this call expired it.
pub fn expire_if_lapsed(
    conn: &mut DbConnection,
    notifier: &Notifier,
    id: AssignmentId,
    now: NaiveDateTime,
) -> AppResult<bool> {
    write_transaction(conn, |conn| {
        let Some(row) = store::find(conn, id)? else {
            return Ok(false);
        };
        let lapsed =
            row.state() == State::Offered && row.offer_expires_at.is_some_and(|d| d <= now);
        if lapsed && store::set_state(conn, id, State::Offered, State::Expired, None, now)? {
            store::add_event(
                conn,
                id,
                State::Expired,
                None,
                Some("the offer was not accepted in time"),
                now,
            )?;
            notifier.expired(conn, &row, now)?;
            return Ok(true);
        }
        Ok(false)
    })
}

/// What a user may do to an assignment: the shopper to their own, schedulers to any.
/// `Ok(true)` when the user is the shopper holding it.
fn permitted(user: &CurrentUser, row: &AssignmentRow, mv: &Move) -> AppResult<bool> {
    permitted_by(user, row, mv.mover(), mv.name())
}

fn permitted_by(
    user: &CurrentUser,
    row: &AssignmentRow,
    mover: Mover,
    name: &str,
) -> AppResult<bool> {
    let holder = user.role == Role::Shopper && row.shopper_id == ShopperId::from(user.id);
    let staff = Role::SCHEDULING.contains(&user.role);
    if !holder && !staff {
        // Another shopper's assignment does not exist, as far as this user can tell.
        return Err(AppError::not_found("No assignment has this id."));
    }
    let allowed = match mover {
        Mover::Holder => holder,
        Mover::Staff => staff,
        Mover::Either => true,
    };
    if !allowed {
        return Err(AppError::forbidden(
            "forbidden",
            format!(
                "Your role does not allow you to {} this assignment.",
                name.replace('-', " ")
            ),
        ));
    }
    Ok(holder)
}

/// Whether `user` may make the move `name` on assignment `id` at all (404 for another
/// shopper's, 403 for a move their role does not make): checked before the move's body is
/// read, so that nobody learns more than that.
pub fn may_act(
    conn: &mut DbConnection,
    user: &CurrentUser,
    id: AssignmentId,
    name: &str,
) -> AppResult<()> {
    let row =
        store::find(conn, id)?.ok_or_else(|| AppError::not_found("No assignment has this id."))?;
    let mover =
        Move::mover_named(name).ok_or_else(|| AppError::not_found("There is no such move."))?;
    permitted_by(user, &row, mover, name).map(|_| ())
}

fn day_outside(field: &str, (from, to): (NaiveDate, NaiveDate)) -> AppError {
    AppError::field(
        field,
        if from > to {
            "No day is left for this visit.".to_string()
        } else {
            format!("Choose a day from {from} to {to}.")
        },
    )
}

/// Makes a move of an assignment (see [`Move`]). 409 with the current state when the move
/// does not apply.
pub fn act(
    conn: &mut DbConnection,
    notifier: &Notifier,
    user: &CurrentUser,
    id: AssignmentId,
    mv: &Move,
    now: NaiveDateTime,
) -> AppResult<AssignmentView> {
    let today = now.date();
    // Who may act is checked before anything is written, the lapse of an offer included.
    let row =
        store::find(conn, id)?.ok_or_else(|| AppError::not_found("No assignment has this id."))?;
    permitted(user, &row, mv)?;
    expire_if_lapsed(conn, notifier, id, now)?;
    write_transaction(conn, |conn| {
        let row = store::find(conn, id)?
            .ok_or_else(|| AppError::not_found("No assignment has this id."))?;
        let by_holder = permitted(user, &row, mv)?;
        let job = clients::find_job(conn, row.job_id)?;
        let state = row.state();
        let to = mv
            .from(state, by_holder)
            .ok_or_else(|| AppError::illegal_transition(state.as_str(), mv.name()))?;
        let actor = Some(user.id);
        let next =
            |conn: &mut DbConnection, reason: Option<&str>, note: Option<&str>| -> AppResult<()> {
                if !store::set_state(conn, id, state, to, reason, now)? {
                    // Someone else moved it first.
                    return Err(changed_meanwhile());
                }
                store::add_event(conn, id, to, actor, note.or(reason), now)?;
                Ok(())
            };
        let plannable = plannable_days(job.window_start, job.window_end, today);
        let within = |day: NaiveDate, (from, to): (NaiveDate, NaiveDate)| day >= from && day <= to;
        match mv {
            Move::Accept { visit_on } => {
                // The job must still be open, and the shopper still a panel member.
                open_job(conn, row.job_id, today)?;
                let active = panel::find_shopper(conn, row.shopper_id)?
                    .is_some_and(|s| s.status() == crate::panel::model::Status::Active);
                if !active {
                    return Err(AppError::conflict(
                        "not_available",
                        "Only an active panel member can accept a job.",
                    ));
                }
                if let Some(day) = *visit_on
                    && !within(day, plannable)
                {
                    return Err(day_outside("visit_on", plannable));
                }
                next(conn, None, Some("accepted by the shopper"))?;
                if let Some(day) = *visit_on
                    && !store::set_visit_on(conn, id, day, now)?
                {
                    return Err(changed_meanwhile());
                }
                expire_other_requests(conn, row.job_id, row.shopper_id, WENT_ELSEWHERE, now)?;
                notifier.confirmed(conn, &row, now)?;
            }
            Move::Decline { reason } => {
                next(
                    conn,
                    reason.as_deref(),
                    Some(if by_holder {
                        "declined by the shopper"
                    } else {
                        "turned down by staff"
                    }),
                )?;
            }
            Move::Cancel { reason } => {
                // When the assignment was accepted: calling off within a day of that is
                // never late.
                let taken_at = store::events_of(conn, &[id])?
                    .into_iter()
                    .filter(|e| e.1 == State::Accepted)
                    .map(|e| e.3)
                    .min();
                next(conn, Some(reason), None)?;
                if by_holder && cancel_is_late(state, job.window_end, row.visit_on, taken_at, now) {
                    store::cite(
                        conn,
                        row.shopper_id,
                        id,
                        "late_cancel",
                        &format!(
                            "cancelled on {today}, window ends {}: {reason}",
                            job.window_end
                        ),
                        None,
                        today,
                    )?;
                }
            }
            Move::Reassign { reason } => next(conn, Some(reason), None)?,
            Move::Reschedule { visit_on } => {
                let day = *visit_on;
                if !within(day, plannable) {
                    return Err(day_outside("visit_on", plannable));
                }
                if !store::set_visit_on(conn, id, day, now)? {
                    return Err(changed_meanwhile());
                }
                store::add_event(
                    conn,
                    id,
                    state,
                    actor,
                    Some(&format!("visit planned for {day}")),
                    now,
                )?;
            }
            Move::Visit { visited_on } => {
                let day = visited_on.unwrap_or(today);
                let reportable = reportable_days(job.window_start, job.window_end, today);
                if !within(day, reportable) {
                    return Err(day_outside("visited_on", reportable));
                }
                next(conn, None, Some(&format!("visited on {day}")))?;
                store::set_visited_on(conn, id, day)?;
            }
            Move::LocationClosed { reason } => {
                // The shopper found the store closed: the assignment ends without a citation
                // and the job leaves the board until staff look into it.
                let reason = match reason {
                    Some(n) => format!("the shopper found the store closed: {n}"),
                    None => "the shopper found the store closed".to_string(),
                };
                next(conn, Some(&reason), None)?;
                clients::set_job_status(
                    conn,
                    row.job_id,
                    crate::clients::model::JobStatus::Closed,
                    now,
                )?;
                expire_other_requests(conn, row.job_id, row.shopper_id, "the job was closed", now)?;
            }
        }
        Ok(())
    })?;
    view(conn, id, user.role == Role::Shopper)
}

/// The shopper's assignments, newest first.
pub fn mine(
    conn: &mut DbConnection,
    shopper_id: ShopperId,
    page: PageRequest,
) -> AppResult<Paged<AssignmentView>> {
    let (rows, total) = store::of_shopper(conn, shopper_id, page)?;
    Ok(Paged::new(views(conn, rows, true)?, page, total))
}

/// The shopper's accepted assignments (for the calendar), newest first, at most 500.
pub fn accepted(conn: &mut DbConnection, shopper_id: ShopperId) -> AppResult<Vec<AssignmentView>> {
    let rows = store::of_shopper_in(conn, shopper_id, State::Accepted, 500)?;
    views(conn, rows, true)
}

/// One page of the job's assignments, newest first (staff).
pub fn of_job(
    conn: &mut DbConnection,
    job_id: JobId,
    page: PageRequest,
) -> AppResult<Paged<AssignmentView>> {
    clients::find_job(conn, job_id)
        .optional()?
        .ok_or_else(|| AppError::not_found("No job has this id."))?;
    let (rows, total) = store::of_job(conn, job_id, page)?;
    Ok(Paged::new(views(conn, rows, false)?, page, total))
}

fn view(conn: &mut DbConnection, id: AssignmentId, for_shopper: bool) -> AppResult<AssignmentView> {
    let row =
        store::find(conn, id)?.ok_or_else(|| AppError::not_found("No assignment has this id."))?;
    views(conn, vec![row], for_shopper)?
        .pop()
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("assignment view vanished")))
}

fn views(
    conn: &mut DbConnection,
    rows: Vec<AssignmentRow>,
    for_shopper: bool,
) -> AppResult<Vec<AssignmentView>> {
    let ids: Vec<AssignmentId> = rows.iter().map(|r| r.id).collect();
    let events = store::events_of(conn, &ids)?;
    let shoppers: Vec<ShopperId> = rows.iter().map(|r| r.shopper_id).collect();
    let codes = panel::codes_of(conn, &shoppers)?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let job = clients::find_job(conn, row.job_id)?;
        let project = clients::find_project(conn, job.project_id)?;
        let location = clients::find_location(conn, job.location_id)?;
        let client_name = if project.show_client_name || !for_shopper {
            let (_, org, _) = clients::find_client(conn, project.client_id)?;
            Some(crate::organizations::store::find_organization(conn, org)?.name)
        } else {
            None
        };
        let state = row.state();
        let address = (!for_shopper || matches!(state, State::Accepted | State::Visited))
            .then(|| format!("{}, {}", location.name, location.street));
        let history = events
            .iter()
            .filter(|e| e.0 == row.id)
            .map(|(_, s, note, at)| EventView {
                state: *s,
                note: note.clone(),
                at: *at,
            })
            .collect();
        let shopper_code = codes.get(&row.shopper_id).cloned().unwrap_or_default();
        out.push(AssignmentView {
            id: row.id,
            shopper_id: row.shopper_id,
            shopper_code,
            state,
            visit_on: row.visit_on,
            visited_on: row.visited_on,
            offer_expires_at: row.offer_expires_at,
            reason: row.reason.clone(),
            created_at: row.created_at,
            updated_at: row.updated_at,
            job: JobSummary {
                id: job.id,
                code: job.code.clone(),
                area: format!("{}, {}", location.city, location.state),
                address,
                window_start: job.window_start,
                window_end: job.window_end,
                fee_cents: job.fee_cents,
                bonus_cents: job.bonus_cents,
                reimbursement_cap_cents: job.reimbursement_cap_cents,
                client_name,
            },
            history,
        });
    }
    Ok(out)
}
