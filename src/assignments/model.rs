//! An assignment's states and the moves between them, in one place. Every route that changes
//! an assignment goes through [`State::after`]; a move it does not allow answers 409 with the
//! current state.
//!
//! ```text
//! requested ─offer→ offered ─accept→ accepted ─visit→ visited ─submit→ submitted
//!     │ └───────────assign─────────────↗ │                 │
//!     │               │                  │                 │
//!     ├─decline       ├─decline          ├─cancel          └─reassign
//!     ├─cancel        ├─expire           └─reassign
//!     └─expire        └─cancel
//! ```
//! Staff may also assign directly (a new assignment starts `accepted`), and a shopper may
//! self-assign where the project allows it (the same).

use crate::ids::{AssignmentId, JobId, ShopperId};
use crate::money::Money;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::assignments;
use crate::error::{AppError, AppResult};

/// Most open assignments (requested, offered, accepted, visited) a shopper holds at once:
/// the capacity rule of matching.
pub const MAX_OPEN: u32 = 5;

/// Where an assignment stands.
pub const STATES: &[State] = State::ALL;

crate::ids::stored_enum! {
    pub enum State as "assignment state" {
        /// The shopper asked for the job; staff have not answered.
        Requested = "requested",
        /// Staff offered the job; the shopper has until the offer's deadline to accept.
        Offered = "offered",
        /// The shopper will visit within the window.
        Accepted = "accepted",
        /// The shopper reports the visit done; the report is due.
        Visited = "visited",
        /// The report is in.
        Submitted = "submitted",
        /// The shopper turned the offer down, or staff turned the request down.
        Declined = "declined",
        /// The offer lapsed, or the request did (the job went to someone else or its window closed).
        Expired = "expired",
        /// Called off by the shopper or staff, with a reason.
        Cancelled = "cancelled",
        /// Staff gave the job to someone else, or the visit was overdue past the grace period.
        Reassigned = "reassigned",
    }
}

/// A move of an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Offer,
    /// Staff give a requested job to its requester at once.
    Assign,
    Accept,
    Decline,
    Cancel,
    Visit,
    Submit,
    Expire,
    Reassign,
}

pub const ACTIONS: &[Action] = &[
    Action::Offer,
    Action::Assign,
    Action::Accept,
    Action::Decline,
    Action::Cancel,
    Action::Visit,
    Action::Submit,
    Action::Expire,
    Action::Reassign,
];

impl State {
    /// The state in the shopper's and staff's words.
    pub fn words(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::Offered => "offered",
            State::Accepted => "accepted",
            State::Visited => "visited",
            State::Submitted => "report handed in",
            State::Declined => "declined",
            State::Expired => "offer lapsed",
            State::Cancelled => "cancelled",
            State::Reassigned => "given to someone else",
        }
    }

    /// The badge class a page shows the state with: waiting, going, done, or ended.
    pub fn badge(self) -> &'static str {
        match self {
            State::Requested | State::Offered => "badge-wait",
            State::Accepted | State::Visited | State::Submitted => "badge-ok",
            State::Declined | State::Expired | State::Cancelled | State::Reassigned => {
                "badge-muted"
            }
        }
    }

    /// Whether an assignment in this state holds the job (no one else may take it). The
    /// database enforces one holder per job with a unique index over these states.
    pub fn holds_job(self) -> bool {
        matches!(
            self,
            State::Offered | State::Accepted | State::Visited | State::Submitted
        )
    }

    /// Whether the assignment is still going (counts against the shopper's capacity).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            State::Requested | State::Offered | State::Accepted | State::Visited
        )
    }

    /// Whether the shopper was at the store (counts for rotation and completed shops).
    pub fn visited(self) -> bool {
        matches!(self, State::Visited | State::Submitted)
    }

    /// The state after `action`, or None when the action does not apply here.
    pub fn after(self, action: Action) -> Option<State> {
        use Action as A;
        use State as S;
        Some(match (self, action) {
            (S::Requested, A::Offer) => S::Offered,
            (S::Requested, A::Assign) => S::Accepted,
            (S::Requested | S::Offered, A::Decline) => S::Declined,
            (S::Requested | S::Offered | S::Accepted, A::Cancel) => S::Cancelled,
            (S::Requested | S::Offered, A::Expire) => S::Expired,
            (S::Offered, A::Accept) => S::Accepted,
            (S::Accepted, A::Visit) => S::Visited,
            (S::Accepted | S::Visited, A::Submit) => S::Submitted,
            (S::Accepted | S::Visited, A::Reassign) => S::Reassigned,
            _ => return None,
        })
    }
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Offer => "offer",
            Action::Assign => "assign",
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::Cancel => "cancel",
            Action::Visit => "visit",
            Action::Submit => "submit",
            Action::Expire => "expire",
            Action::Reassign => "reassign",
        }
    }
}

/// A cancellation this close to the end of the window (or to the planned visit) is late and
/// earns a citation.
pub const LATE_CANCEL_DAYS: i64 = 2;

/// Hours after getting a job in which calling it off is never late.
pub const CANCEL_GRACE_HOURS: i64 = 24;

/// Whether calling off an assignment now is late (a citation when the shopper does it): only
/// an accepted one, not within [`CANCEL_GRACE_HOURS`] of getting it (staff may assign a job
/// unasked), and from [`LATE_CANCEL_DAYS`] before the window ends or from the day before the
/// planned visit.
pub fn cancel_is_late(
    state: State,
    window_end: NaiveDate,
    visit_on: Option<NaiveDate>,
    taken_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> bool {
    let today = now.date();
    let fresh = taken_at.is_some_and(|at| now - at < Duration::hours(CANCEL_GRACE_HOURS));
    state == State::Accepted
        && !fresh
        && (today >= window_end - Duration::days(LATE_CANCEL_DAYS)
            || visit_on.is_some_and(|d| today >= d - Duration::days(1)))
}

/// Whether a shopper of this rating takes a job at once instead of asking for it: where the
/// project sets a minimum rating for self-assignment and the shopper reaches it.
pub fn self_assigns(min_rating: Option<f64>, rating: f64) -> bool {
    min_rating.is_some_and(|min| rating >= min)
}

/// When an offer made now lapses (all times UTC): after the project's hours, and at the latest
/// at the end of the window's last day. Days are UTC days, as every rule about a window's days
/// reads them (a window is over when its last day is before today in UTC).
pub fn offer_deadline(
    now: NaiveDateTime,
    offer_hours: i32,
    window_end: NaiveDate,
) -> NaiveDateTime {
    let window_close = crate::zones::end_of_day_utc(window_end, chrono_tz::UTC);
    (now + Duration::hours(i64::from(offer_hours))).min(window_close)
}

/// The days a visit can be planned on (accept, reschedule): within the window, not before
/// today.
pub fn plannable_days(
    window_start: NaiveDate,
    window_end: NaiveDate,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    (window_start.max(today), window_end)
}

/// The days a visit can be reported for: within the window, not after today.
pub fn reportable_days(
    window_start: NaiveDate,
    window_end: NaiveDate,
    today: NaiveDate,
) -> (NaiveDate, NaiveDate) {
    (window_start, window_end.min(today))
}

/// Who may make a move: the shopper holding the assignment, staff, or either.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mover {
    Holder,
    Staff,
    Either,
}

/// A move of an assignment as asked for, parsed at the edge (a route of its own per move in
/// the API, the form's button on the page) before anything is read or written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// The shopper takes an offer, optionally planning the day.
    Accept { visit_on: Option<NaiveDate> },
    /// The shopper turns an offer down, or staff turn a request down.
    Decline { reason: Option<String> },
    /// Either side calls the assignment off; late by the shopper earns a citation.
    Cancel { reason: String },
    /// The shopper plans another day within the window.
    Reschedule { visit_on: NaiveDate },
    /// The shopper reports the visit (today when no day is given).
    Visit { visited_on: Option<NaiveDate> },
    /// Staff take the job back to give it to someone else.
    Reassign { reason: String },
    /// The shopper found the store closed: no citation, and the job is closed.
    LocationClosed { reason: Option<String> },
}

/// The longest reason kept with a move.
pub const MAX_REASON_CHARS: usize = 1000;

fn reason_of(reason: Option<&str>, required: bool) -> AppResult<Option<String>> {
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    match reason {
        None if required => Err(AppError::field("reason", "Say why, in a few words.")),
        Some(r) if r.chars().count() > MAX_REASON_CHARS => Err(AppError::field(
            "reason",
            format!("Keep the reason to {MAX_REASON_CHARS} characters or fewer."),
        )),
        r => Ok(r.map(str::to_string)),
    }
}

impl Move {
    /// The move of this name, with what it needs from the request: a reason where one is
    /// required (trimmed, at most [`MAX_REASON_CHARS`]), the day to plan for a reschedule.
    /// `None` for a name that is no move.
    pub fn parse(name: &str, request: &MoveRequest) -> Option<AppResult<Move>> {
        let reason = request.reason.as_deref();
        Some(match name {
            "accept" => Ok(Move::Accept {
                visit_on: request.visit_on,
            }),
            "decline" => reason_of(reason, false).map(|reason| Move::Decline { reason }),
            "cancel" => reason_of(reason, true).map(|r| Move::Cancel {
                reason: r.unwrap_or_default(),
            }),
            "reschedule" => match request.visit_on {
                Some(visit_on) => Ok(Move::Reschedule { visit_on }),
                None => Err(AppError::field("visit_on", "Choose the day of the visit.")),
            },
            "visit" => Ok(Move::Visit {
                visited_on: request.visited_on,
            }),
            "reassign" => reason_of(reason, true).map(|r| Move::Reassign {
                reason: r.unwrap_or_default(),
            }),
            "location-closed" => {
                reason_of(reason, false).map(|reason| Move::LocationClosed { reason })
            }
            _ => return None,
        })
    }

    /// The move's name, as in its route.
    pub fn name(&self) -> &'static str {
        match self {
            Move::Accept { .. } => "accept",
            Move::Decline { .. } => "decline",
            Move::Cancel { .. } => "cancel",
            Move::Reschedule { .. } => "reschedule",
            Move::Visit { .. } => "visit",
            Move::Reassign { .. } => "reassign",
            Move::LocationClosed { .. } => "location-closed",
        }
    }

    /// Who may make it.
    pub fn mover(&self) -> Mover {
        Self::mover_named(self.name()).unwrap_or(Mover::Staff)
    }

    /// Who may make the move of this name (as in its route), known before its body is read.
    pub fn mover_named(name: &str) -> Option<Mover> {
        Some(match name {
            "accept" | "reschedule" | "visit" | "location-closed" => Mover::Holder,
            "decline" | "cancel" => Mover::Either,
            "reassign" => Mover::Staff,
            _ => return None,
        })
    }

    /// The state it leads to from `state` (a reschedule stays where it is), or `None` where
    /// it does not apply. Declining is the shopper's answer to an offer and staff's answer to
    /// a request; only an accepted assignment can be rescheduled or found closed.
    pub fn from(&self, state: State, by_holder: bool) -> Option<State> {
        match self {
            Move::Accept { .. } => state.after(Action::Accept),
            Move::Decline { .. } => {
                let theirs = if by_holder {
                    State::Offered
                } else {
                    State::Requested
                };
                (state == theirs)
                    .then(|| state.after(Action::Decline))
                    .flatten()
            }
            Move::Cancel { .. } => state.after(Action::Cancel),
            Move::Reschedule { .. } => (state == State::Accepted).then_some(state),
            Move::Visit { .. } => state.after(Action::Visit),
            Move::Reassign { .. } => state.after(Action::Reassign),
            Move::LocationClosed { .. } => (state == State::Accepted)
                .then(|| state.after(Action::Cancel))
                .flatten(),
        }
    }
}

/// The job of an assignment, as its shopper sees it: the store's street only once the job is
/// theirs, the client's name only where the project shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobSummary {
    pub id: JobId,
    pub code: String,
    /// City and state of the store.
    pub area: String,
    /// The store's name and street; only for an accepted or visited assignment.
    pub address: Option<String>,
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub fee_cents: Money,
    pub bonus_cents: Money,
    pub reimbursement_cap_cents: Money,
    /// Only where the project shows the client's name to shoppers.
    pub client_name: Option<String>,
}

/// One step of an assignment's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EventView {
    pub state: State,
    pub note: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AssignmentView {
    pub id: AssignmentId,
    pub shopper_id: ShopperId,
    /// The shopper's panel code (`IMS-…`), as staff call them.
    pub shopper_code: String,
    pub state: State,
    /// The planned day of the visit.
    pub visit_on: Option<NaiveDate>,
    pub visited_on: Option<NaiveDate>,
    /// An offer lapses at this time (UTC) unless accepted.
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub offer_expires_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub updated_at: NaiveDateTime,
    pub job: JobSummary,
    pub history: Vec<EventView>,
}

/// What a move may carry, whichever it is: what the page's form sends, and what each move's
/// own body (below) becomes before [`Move::parse`] checks it.
#[derive(Debug, Clone, Default)]
pub struct MoveRequest {
    /// Why (required to cancel or reassign; optional to decline).
    pub reason: Option<String>,
    /// The new planned day (reschedule), or the planned day when accepting.
    pub visit_on: Option<NaiveDate>,
    /// The day of the visit (visit); today when left out.
    pub visited_on: Option<NaiveDate>,
}

/// `POST /assignments/{id}/accept`: the shopper takes the offer (the body may be left out).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// The planned day of the visit, within the window and not before today.
    pub visit_on: Option<NaiveDate>,
}

/// `POST /assignments/{id}/decline` or `/location-closed` (the body may be left out).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionalReason {
    /// Why, at most 1000 characters.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// `POST /assignments/{id}/cancel` or `/reassign`: a reason is required.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequiredReason {
    /// Why, in a few words (at most 1000 characters).
    #[schema(min_length = 1, max_length = 1000)]
    pub reason: String,
}

/// `POST /assignments/{id}/reschedule`: the new planned day.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleRequest {
    /// Within the window and not before today.
    pub visit_on: NaiveDate,
}

/// `POST /assignments/{id}/visit` (the body may be left out).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitRequest {
    /// The day of the visit, within the window and not after today; today when left out.
    pub visited_on: Option<NaiveDate>,
}

impl From<AcceptRequest> for MoveRequest {
    fn from(r: AcceptRequest) -> MoveRequest {
        MoveRequest {
            visit_on: r.visit_on,
            ..Default::default()
        }
    }
}

impl From<OptionalReason> for MoveRequest {
    fn from(r: OptionalReason) -> MoveRequest {
        MoveRequest {
            reason: r.reason,
            ..Default::default()
        }
    }
}

impl From<RequiredReason> for MoveRequest {
    fn from(r: RequiredReason) -> MoveRequest {
        MoveRequest {
            reason: Some(r.reason),
            ..Default::default()
        }
    }
}

impl From<RescheduleRequest> for MoveRequest {
    fn from(r: RescheduleRequest) -> MoveRequest {
        MoveRequest {
            visit_on: Some(r.visit_on),
            ..Default::default()
        }
    }
}

impl From<VisitRequest> for MoveRequest {
    fn from(r: VisitRequest) -> MoveRequest {
        MoveRequest {
            visited_on: r.visited_on,
            ..Default::default()
        }
    }
}

/// `{shopper_id}`: whom staff offer or assign a job.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShopperRef {
    pub shopper_id: ShopperId,
}

/// An assignment as stored.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: AssignmentId,
    pub job_id: JobId,
    pub shopper_id: ShopperId,
    /// An unknown stored state is an error when read.
    pub state: State,
    pub visit_on: Option<NaiveDate>,
    pub visited_on: Option<NaiveDate>,
    pub offer_expires_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl AssignmentRow {
    pub fn state(&self) -> State {
        self.state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_from_their_names() {
        for s in STATES {
            assert_eq!(State::parse(s.as_str()), Some(*s));
        }
        assert_eq!(State::parse("approved"), None);
    }

    /// Every (state, action) pair: the allowed moves are exactly these, all others refused.
    #[test]
    fn every_move_and_every_illegal_one() {
        use Action as A;
        use State as S;
        let allowed = [
            (S::Requested, A::Offer, S::Offered),
            (S::Requested, A::Assign, S::Accepted),
            (S::Requested, A::Decline, S::Declined),
            (S::Requested, A::Cancel, S::Cancelled),
            (S::Requested, A::Expire, S::Expired),
            (S::Offered, A::Accept, S::Accepted),
            (S::Offered, A::Decline, S::Declined),
            (S::Offered, A::Cancel, S::Cancelled),
            (S::Offered, A::Expire, S::Expired),
            (S::Accepted, A::Visit, S::Visited),
            (S::Accepted, A::Submit, S::Submitted),
            (S::Accepted, A::Cancel, S::Cancelled),
            (S::Accepted, A::Reassign, S::Reassigned),
            (S::Visited, A::Submit, S::Submitted),
            (S::Visited, A::Reassign, S::Reassigned),
        ];
        let mut checked = 0;
        for state in STATES {
            for action in ACTIONS {
                let expected = allowed
                    .iter()
                    .find(|(s, a, _)| s == state && a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(state.after(*action), expected, "{state:?} {action:?}");
                checked += 1;
            }
        }
        assert_eq!(checked, STATES.len() * ACTIONS.len());
    }

    #[test]
    fn final_states_admit_no_move_and_hold_nothing() {
        for s in [
            State::Submitted,
            State::Declined,
            State::Expired,
            State::Cancelled,
            State::Reassigned,
        ] {
            assert!(!s.is_open(), "{s:?}");
            if s != State::Submitted {
                assert!(!s.holds_job(), "{s:?}");
                assert!(ACTIONS.iter().all(|a| s.after(*a).is_none()), "{s:?}");
            }
        }
        // A submitted job stays taken: nobody else visits it.
        assert!(State::Submitted.holds_job());
        assert!(!State::Requested.holds_job());
    }

    fn at(day: &str, hour: u32) -> NaiveDateTime {
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_cancel_is_late_near_the_window_end_or_the_planned_day_but_not_fresh() {
        let end = day("2036-06-30");
        let long_ago = Some(at("2036-06-01", 9));
        // Three days before the end, nothing planned: not late; two days before: late.
        assert!(!cancel_is_late(
            State::Accepted,
            end,
            None,
            long_ago,
            at("2036-06-27", 9)
        ));
        assert!(cancel_is_late(
            State::Accepted,
            end,
            None,
            long_ago,
            at("2036-06-28", 9)
        ));
        // The day before a planned visit is late, even early in the window.
        let planned = Some(day("2036-06-10"));
        assert!(!cancel_is_late(
            State::Accepted,
            end,
            planned,
            long_ago,
            at("2036-06-08", 9)
        ));
        assert!(cancel_is_late(
            State::Accepted,
            end,
            planned,
            long_ago,
            at("2036-06-09", 9)
        ));
        // Within a day of getting the job it is never late (23 h yes, 25 h no).
        let now = at("2036-06-29", 12);
        assert!(!cancel_is_late(
            State::Accepted,
            end,
            None,
            Some(at("2036-06-28", 13)),
            now
        ));
        assert!(cancel_is_late(
            State::Accepted,
            end,
            None,
            Some(at("2036-06-28", 11)),
            now
        ));
        // Only an accepted job: withdrawing a request or an offer is never late.
        assert!(!cancel_is_late(State::Requested, end, None, long_ago, now));
        assert!(!cancel_is_late(State::Offered, end, None, long_ago, now));
    }

    #[test]
    fn self_assignment_needs_the_projects_minimum_rating() {
        assert!(!self_assigns(None, 5.0));
        assert!(!self_assigns(Some(4.5), 4.4));
        assert!(self_assigns(Some(4.5), 4.5));
        assert!(self_assigns(Some(0.0), 0.0));
    }

    #[test]
    fn an_offer_lapses_after_the_projects_hours_or_when_the_window_ends() {
        let now = at("2036-06-01", 10);
        assert_eq!(
            offer_deadline(now, 48, day("2036-06-30")),
            at("2036-06-03", 10)
        );
        let last = day("2036-06-02");
        assert_eq!(
            offer_deadline(now, 48, last),
            last.and_hms_opt(23, 59, 59).unwrap()
        );
    }

    #[test]
    fn days_to_plan_and_to_report_stay_within_the_window_and_today() {
        let (start, end) = (day("2036-06-01"), day("2036-06-30"));
        assert_eq!(plannable_days(start, end, day("2036-05-20")), (start, end));
        assert_eq!(
            plannable_days(start, end, day("2036-06-10")),
            (day("2036-06-10"), end)
        );
        assert_eq!(
            reportable_days(start, end, day("2036-06-10")),
            (start, day("2036-06-10"))
        );
        assert_eq!(reportable_days(start, end, day("2036-07-05")), (start, end));
    }

    #[test]
    fn a_move_is_parsed_with_what_it_needs() {
        let with = |reason: &str| MoveRequest {
            reason: Some(reason.to_string()),
            ..Default::default()
        };
        let none = MoveRequest::default();
        assert!(Move::parse("approve", &none).is_none());
        assert_eq!(
            Move::parse("cancel", &with("  car broke down "))
                .unwrap()
                .unwrap(),
            Move::Cancel {
                reason: "car broke down".into()
            }
        );
        for needs_reason in ["cancel", "reassign"] {
            let e = Move::parse(needs_reason, &with("   "))
                .unwrap()
                .unwrap_err();
            assert_eq!(e.fields[0].field, "reason", "{needs_reason}");
        }
        assert_eq!(
            Move::parse("decline", &none).unwrap().unwrap(),
            Move::Decline { reason: None }
        );
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        assert!(Move::parse("decline", &with(&long)).unwrap().is_err());
        let e = Move::parse("reschedule", &none).unwrap().unwrap_err();
        assert_eq!(e.fields[0].field, "visit_on");
        // Each move's name reads back to the same move.
        for name in [
            "accept",
            "decline",
            "cancel",
            "reschedule",
            "visit",
            "reassign",
            "location-closed",
        ] {
            let request = MoveRequest {
                reason: Some("why".into()),
                visit_on: Some(day("2036-06-01")),
                visited_on: None,
            };
            assert_eq!(Move::parse(name, &request).unwrap().unwrap().name(), name);
        }
    }

    #[test]
    fn who_may_make_each_move_and_from_where() {
        let cancel = Move::Cancel { reason: "x".into() };
        let decline = Move::Decline { reason: None };
        assert_eq!(decline.mover(), Mover::Either);
        assert_eq!(Move::Reassign { reason: "x".into() }.mover(), Mover::Staff);
        assert_eq!(Move::Visit { visited_on: None }.mover(), Mover::Holder);
        // The shopper declines offers; staff decline requests.
        assert_eq!(decline.from(State::Offered, true), Some(State::Declined));
        assert_eq!(decline.from(State::Offered, false), None);
        assert_eq!(decline.from(State::Requested, false), Some(State::Declined));
        assert_eq!(decline.from(State::Requested, true), None);
        // A reschedule keeps the state; a closed store ends only an accepted job.
        let reschedule = Move::Reschedule {
            visit_on: day("2036-06-01"),
        };
        assert_eq!(
            reschedule.from(State::Accepted, true),
            Some(State::Accepted)
        );
        assert_eq!(reschedule.from(State::Visited, true), None);
        let closed = Move::LocationClosed { reason: None };
        assert_eq!(closed.from(State::Accepted, true), Some(State::Cancelled));
        assert_eq!(closed.from(State::Offered, true), None);
        assert_eq!(cancel.from(State::Visited, true), None);
    }
}
