//! Sessions held in memory, so that a request whose session this server has seen is
//! authenticated without a database round trip, and yet a session ended anywhere stops working
//! here within a second.
//!
//! The change log that keeps the live index current (`assignments::live`, the migrations
//! `live_index` and `session_changes`) also records, under the next committed version, every
//! session ended (`session`) and every account whose role, address, client or standing changed
//! (`user`). This server follows the log: a background round every [`FOLLOW_EVERY`] reads the
//! version and forgets the sessions named since the last round (see [`Sessions::catch_up`] and
//! [`Sessions::synced`]), and the answer to any change made through this server does the same
//! before it leaves, so that its own sign-outs and password changes hold at once here.
//!
//! A session is answered from memory only while the round's last reading began less than
//! [`TRUST_FOR`] ago: if the rounds stop (a database that does not answer), every request
//! goes to the database again, so a session ended elsewhere is never honoured for more than a
//! second. Memory also answers with the version the server knows (for the job board: see
//! `CurrentUser::index_version`), or the one the client carries back from its last change,
//! whichever is newer.

use crate::ids::UserId;
use std::collections::{HashMap, HashSet};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::service::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{index_changes, index_version};

/// How often the background round reads the change log.
pub const FOLLOW_EVERY: Duration = Duration::from_millis(100);

/// How long after a round began its reading is trusted: past it, requests ask the database.
pub const TRUST_FOR: Duration = Duration::from_secs(1);

/// Most sessions held; past it the oldest knowledge is dropped (they are read again).
pub const MOST_HELD: usize = 200_000;

/// The response header naming the change-log version a change reached, and the request
/// header a client carries it back in, so that its next read reflects the change on any
/// server.
pub const VERSION_HEADER: &str = "incognito-index-version";

#[derive(Debug, Clone)]
struct Held {
    user: CurrentUser,
    expires_at: NaiveDateTime,
}

#[derive(Debug, Default)]
struct Inner {
    /// Changes through this version are applied: no session they ended is held.
    applied: i64,
    /// The version the round last brought this server's readers to (the live index among
    /// them): what memory answers with.
    published: i64,
    /// When the round whose reading is trusted began.
    trusted_since: Option<Instant>,
    held: HashMap<i64, Held>,
}

/// This server's sessions in memory.
#[derive(Debug, Default)]
pub struct Sessions {
    inner: RwLock<Inner>,
    from_memory: AtomicU64,
    from_database: AtomicU64,
}

/// What a round read: the version, and the sessions and accounts changed since the last.
#[derive(Debug)]
pub struct Reading {
    pub version: i64,
    sessions: HashSet<i64>,
    users: HashSet<UserId>,
    /// The log was pruned past what is applied: nothing held can be trusted.
    gap: bool,
}

impl Sessions {
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The signed-in user of session `session_id` (of `user_id`, as the token says), when
    /// memory may answer: the session is held, not past its end at `now`, and the last round's
    /// reading is trusted. `carried` is the version the client brought back from its last
    /// change; the answer's `index_version` is at least it.
    pub fn admit(
        &self,
        session_id: i64,
        user_id: UserId,
        now: NaiveDateTime,
        carried: Option<i64>,
    ) -> Option<CurrentUser> {
        let inner = self.read();
        let trusted = inner
            .trusted_since
            .is_some_and(|since| since.elapsed() < TRUST_FOR);
        let held = inner
            .held
            .get(&session_id)
            .filter(|h| trusted && h.expires_at > now && h.user.id == user_id)?;
        let version = inner.published.max(inner.applied).max(carried.unwrap_or(0));
        let user = CurrentUser {
            index_version: Some(version),
            ..held.user.clone()
        };
        drop(inner);
        self.from_memory.fetch_add(1, Ordering::Relaxed);
        Some(user)
    }

    /// Holds a session the database just vouched for, read at change-log version `read_at`.
    /// Not held if this server already applied changes past that reading (one of them may
    /// have ended it).
    pub fn remember(&self, user: &CurrentUser, expires_at: NaiveDateTime, read_at: i64) {
        self.from_database.fetch_add(1, Ordering::Relaxed);
        let mut inner = self.write();
        if inner.applied > read_at {
            return;
        }
        if inner.held.len() >= MOST_HELD {
            inner.held.clear();
        }
        inner.held.insert(
            user.session_id,
            Held {
                user: CurrentUser {
                    index_version: None,
                    ..user.clone()
                },
                expires_at,
            },
        );
    }

    /// Memory no longer answers until the next round that reads the log: a change this server
    /// made could not be followed.
    pub fn distrust(&self) {
        self.write().trusted_since = None;
    }

    /// Reads the change log past what is applied and forgets every session it ends; answers
    /// the version reached. One row when nothing changed.
    pub fn catch_up(&self, conn: &mut DbConnection) -> QueryResult<i64> {
        let reading = self.reading(conn)?;
        self.apply(&reading);
        Ok(reading.version)
    }

    /// What changed in the log past what is applied.
    pub fn reading(&self, conn: &mut DbConnection) -> QueryResult<Reading> {
        let from = self.read().applied;
        let (version, pruned): (i64, i64) = index_version::table
            .find(1)
            .select((index_version::version, index_version::pruned_through))
            .first(conn)?;
        let mut reading = Reading {
            version,
            sessions: HashSet::new(),
            users: HashSet::new(),
            gap: pruned > from,
        };
        if version <= from || reading.gap {
            return Ok(reading);
        }
        let changes: Vec<(String, i64)> = index_changes::table
            .filter(index_changes::version.gt(from))
            .filter(index_changes::version.le(version))
            .filter(index_changes::kind.eq_any(["session", "user"]))
            .select((index_changes::kind, index_changes::ref_id))
            .load(conn)?;
        for (kind, id) in changes {
            if kind == "session" {
                reading.sessions.insert(id);
            } else {
                reading.users.insert(UserId(id));
            }
        }
        // A prune that committed between the two reads may have taken some of the changes.
        let pruned: i64 = index_version::table
            .find(1)
            .select(index_version::pruned_through)
            .first(conn)?;
        reading.gap = pruned > from;
        Ok(reading)
    }

    /// Forgets what `reading` ends and notes its version as applied.
    pub fn apply(&self, reading: &Reading) {
        let mut inner = self.write();
        if reading.gap {
            inner.held.clear();
        } else {
            for id in &reading.sessions {
                inner.held.remove(id);
            }
            if !reading.users.is_empty() {
                inner
                    .held
                    .retain(|_, h| !reading.users.contains(&h.user.id));
            }
        }
        inner.applied = inner.applied.max(reading.version);
    }

    /// The round that began at `began` applied every change through `version` and brought
    /// this server's readers there: memory may answer, with that version, for [`TRUST_FOR`].
    pub fn synced(&self, version: i64, began: Instant) {
        let mut inner = self.write();
        inner.published = inner.published.max(version);
        if inner.trusted_since.is_none_or(|t| t < began) {
            inner.trusted_since = Some(began);
        }
    }

    /// Requests authenticated from memory and from the database since the server started.
    pub fn counts(&self) -> (u64, u64) {
        (
            self.from_memory.load(Ordering::Relaxed),
            self.from_database.load(Ordering::Relaxed),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn user(id: i64, session: i64) -> CurrentUser {
        CurrentUser {
            id: UserId(id),
            email: format!("u{id}@example.com"),
            role: Role::Shopper,
            session_id: session,
            client_id: None,
            index_version: None,
        }
    }

    fn at(h: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 12, 5)
            .unwrap()
            .and_hms_opt(h, 0, 0)
            .unwrap()
    }

    fn reading(version: i64, sessions: &[i64], users: &[i64], gap: bool) -> Reading {
        Reading {
            version,
            sessions: sessions.iter().copied().collect(),
            users: users.iter().map(|u| UserId(*u)).collect(),
            gap,
        }
    }

    #[test]
    fn memory_answers_only_while_a_round_is_trusted() {
        let s = Sessions::new();
        s.remember(&user(1, 10), at(12), 5);
        // No round yet: the database answers.
        assert!(s.admit(10, UserId(1), at(9), None).is_none());
        s.synced(5, Instant::now());
        let u = s.admit(10, UserId(1), at(9), None).unwrap();
        assert_eq!((u.id, u.index_version), (UserId(1), Some(5)));
        // A carried version newer than the round's is answered with.
        assert_eq!(
            s.admit(10, UserId(1), at(9), Some(8))
                .unwrap()
                .index_version,
            Some(8)
        );
        // Another user's token with this session id, or past the session's end: no.
        assert!(s.admit(10, UserId(2), at(9), None).is_none());
        assert!(s.admit(10, UserId(1), at(12), None).is_none());
        // A round that began more than a second ago is no longer trusted.
        let s2 = Sessions::new();
        s2.remember(&user(1, 10), at(12), 0);
        s2.synced(0, Instant::now() - TRUST_FOR - Duration::from_millis(1));
        assert!(s2.admit(10, UserId(1), at(9), None).is_none());
    }

    #[test]
    fn ended_sessions_and_changed_accounts_are_forgotten() {
        let s = Sessions::new();
        s.synced(0, Instant::now());
        for (u, sid) in [(1, 10), (1, 11), (2, 20), (3, 30)] {
            s.remember(&user(u, sid), at(12), 0);
        }
        s.apply(&reading(3, &[20], &[1], false));
        assert!(s.admit(10, UserId(1), at(9), None).is_none());
        assert!(s.admit(11, UserId(1), at(9), None).is_none());
        assert!(s.admit(20, UserId(2), at(9), None).is_none());
        assert!(s.admit(30, UserId(3), at(9), None).is_some());
        // A reading from before the last applied change is not held (it may be the ended one).
        s.remember(&user(2, 20), at(12), 2);
        assert!(s.admit(20, UserId(2), at(9), None).is_none());
        s.remember(&user(2, 20), at(12), 3);
        assert!(s.admit(20, UserId(2), at(9), None).is_some());
        // A gap in the log: nothing held survives.
        s.apply(&reading(9, &[], &[], true));
        assert!(s.admit(30, UserId(3), at(9), None).is_none());
        assert_eq!(s.counts().0, 2);
    }
}
