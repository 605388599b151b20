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

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::assignments;

/// Most open assignments (requested, offered, accepted, visited) a shopper holds at once:
/// the capacity rule of matching.
pub const MAX_OPEN: u32 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The shopper asked for the job; staff have not answered.
    Requested,
    /// Staff offered the job; the shopper has until the offer's deadline to accept.
    Offered,
    /// The shopper will visit within the window.
    Accepted,
    /// The shopper reports the visit done; the report is due.
    Visited,
    /// The report is in.
    Submitted,
    /// The shopper turned the offer down, or staff turned the request down.
    Declined,
    /// The offer lapsed, or the request did (the job went to someone else or its window closed).
    Expired,
    /// Called off by the shopper or staff, with a reason.
    Cancelled,
    /// Staff gave the job to someone else, or the visit was overdue past the grace period.
    Reassigned,
}

pub const STATES: &[State] = &[
    State::Requested,
    State::Offered,
    State::Accepted,
    State::Visited,
    State::Submitted,
    State::Declined,
    State::Expired,
    State::Cancelled,
    State::Reassigned,
];

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
    pub fn as_str(self) -> &'static str {
        match self {
            State::Requested => "requested",
            State::Offered => "offered",
            State::Accepted => "accepted",
            State::Visited => "visited",
            State::Submitted => "submitted",
            State::Declined => "declined",
            State::Expired => "expired",
            State::Cancelled => "cancelled",
            State::Reassigned => "reassigned",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        STATES.iter().copied().find(|st| st.as_str() == s)
    }

    /// A state as stored; an unknown one is an error.
    pub fn stored(s: &str) -> Result<State, crate::db::UnknownStored> {
        State::parse(s).ok_or_else(|| crate::db::UnknownStored::new("assignment state", s))
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

/// An assignment as stored.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: i64,
    pub job_id: i64,
    pub shopper_id: i64,
    /// Read through `State::try_from`: an unknown stored state is an error.
    #[diesel(deserialize_as = String)]
    pub state: State,
    pub visit_on: Option<NaiveDate>,
    pub visited_on: Option<NaiveDate>,
    pub offer_expires_at: Option<NaiveDateTime>,
    pub reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<String> for State {
    type Error = crate::db::UnknownStored;
    fn try_from(s: String) -> Result<State, Self::Error> {
        State::stored(&s)
    }
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
}
