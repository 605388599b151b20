//! The live index: the matching engine of every shopper and every open job nobody holds, kept
//! in this server's memory so that a job board is an index lookup, not a dozen queries, and
//! staff's candidates, coverage and batches need no engine built for the request.
//!
//! It holds what matching reads (never names or addresses), loaded a chunk of ids at a time so
//! that a panel of a million builds in a few seconds and a few hundred megabytes, and for each
//! open job only what its card shows ([`Posting`]).
//!
//! It is built from the database on first use (the server starts one at boot) and kept
//! current from the change log: triggers on every table the rules read (shoppers, their
//! certifications, ties, ratings and disqualifications, assignments, jobs, stores, projects,
//! clients, competitors, organizations) write which thing changed, whichever program wrote it,
//! and every committed transaction's changes take the next version (see the migration
//! `live_index`). Each use asks the database for the version (one row); when it is newer than
//! the version held, the changes since are read and only those shoppers and jobs reloaded.
//! Several servers sharing one PostgreSQL each keep their own index this way, and a server
//! answers from its index only once it holds every change committed before the request began,
//! so a shopper sees their own moves at once, whichever server they reach.
//!
//! A new day (ages, ties that ended a year ago, certifications expiring, windows closing)
//! rebuilds the index, as do more changes at once than [`REBUILD_OVER`] and a gap left by
//! pruning the log. In the server a new day's index is built in the background (see
//! [`Live::build_new_day`]): meanwhile requests are answered from the index held, kept
//! current on its own day, so that none waits for the build or holds a connection through it.

use crate::ids::{ClientId, JobId, LocationId, ProjectId, ShopperId};
use crate::units::DistanceUnit;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, RwLock};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::board::{self, Board, Page, Posting, Postings, Sort};
use super::model::State;
use super::snapshot::{self, CHUNK, ClientFacts, JobParts, JobsAt, ShopperFacts};
use crate::clients::model::JobStatus;
use crate::clients::model::{JobRow, Location, ProjectRow};
use crate::db::schema::{
    assignments, clients, index_changes, index_version, jobs, locations, projects, shoppers,
};
use crate::db::{DbConnection, Whose};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::matching::{Engine, JobIx, ShopperIx, Sym, Symbols, Unmet};
use crate::panel::model::{MatchRow, Status};

/// Changed shoppers and jobs beyond which one rebuild is cheaper than reloading each.
pub const REBUILD_OVER: usize = 20_000;

/// Days the change log keeps a change; a server that has not caught up by then rebuilds.
pub const KEEP_CHANGES_DAYS: i64 = 2;

/// The index at one version of the database.
struct Loaded {
    version: i64,
    /// When it was built: positions hold between catch-ups, not across builds.
    built: std::time::Instant,
    day: NaiveDate,
    /// Whether shoppers' ages are known (some open job asked for one at the last build).
    with_age: bool,
    engine: Engine,
    /// By the engine's position of each open job: what its card shows and the ids a change to
    /// it names (what a board puts in order and shows, without a lookup for each of the
    /// hundreds of jobs around a shopper).
    postings: Postings,
    jobs_at: JobsAt,
    /// By the engine's position of each shopper.
    marks: Vec<Option<Mark>>,
}

/// What a board says of its shopper beside the engine's record: their status, and whether
/// they limited the use of their sensitive data.
#[derive(Debug, Clone, Copy)]
struct Mark {
    status: Status,
    limited: bool,
}

impl Mark {
    fn of(row: &MatchRow) -> Mark {
        Mark {
            status: row.status,
            limited: row.sensitive_limited_at.is_some(),
        }
    }
}

/// Shoppers and open jobs the index loads at a time while it is built: what it holds besides
/// the engine while building stays small, however large the panel.
const SHOPPER_CHUNK: i64 = 50_000;
const JOB_CHUNK: i64 = 10_000;

/// Jobs a coverage report counts at a time while holding the index.
pub const COVERAGE_CHUNK: usize = 64;

/// A shopper who may take a job, as the index has them.
#[derive(Debug, Clone)]
pub struct Eligible {
    pub shopper_id: ShopperId,
    pub km: f64,
    /// The average of their ratings.
    pub rating: f64,
    /// Assignments they may still take.
    pub capacity: u32,
    pub completed: u32,
}

/// A job's shoppers as the index has them (see [`Live::job_candidates`]).
#[derive(Debug, Clone)]
pub struct JobCandidates {
    /// Nearest first.
    pub eligible: Vec<Eligible>,
    /// Nearest first: (shopper, km, the rules they do not meet).
    pub others: Vec<(ShopperId, f64, Vec<Unmet>)>,
    /// The names of the symbols those rules name.
    pub names: HashMap<Sym, Box<str>>,
}

/// The eligible pairs of some jobs (see [`Live::batch_pairs`]).
#[derive(Debug, Clone, Default)]
pub struct BatchPairs {
    /// The jobs in the index, in the order asked: an edge's `job` is a position here.
    pub jobs: Vec<JobId>,
    /// The shoppers of the edges: an edge's `shopper` is a position here.
    pub shoppers: Vec<ShopperId>,
    /// What each of them may still take.
    pub capacity: Vec<u32>,
    pub edges: Vec<crate::matching::Edge>,
}

/// This server's live index.
#[derive(Default)]
pub struct Live {
    loaded: RwLock<Option<Loaded>>,
    /// What the board's pay estimates count for a trip to a store.
    travel: crate::config::TravelCosts,
    /// One refresh at a time; the others wait for it rather than repeat it.
    refreshing: Mutex<()>,
    /// Whether a background task builds a new day's index (the server); without one, the
    /// request that finds a new day builds it.
    background: std::sync::atomic::AtomicBool,
    /// Wakes that task when a request finds a new day.
    new_day: tokio::sync::Notify,
    /// Jobs and shoppers loaded at a time while building, when not [`JOB_CHUNK`] and
    /// [`SHOPPER_CHUNK`] (tests build in small chunks to cross their bounds).
    chunks: Option<(i64, i64)>,
}

impl std::fmt::Debug for Live {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Live")
            .field("version", &self.version())
            .finish()
    }
}

/// The database's version of the index, and the last version pruned from the change log.
fn database_version(conn: &mut DbConnection) -> QueryResult<(i64, i64)> {
    index_version::table
        .find(1)
        .select((index_version::version, index_version::pruned_through))
        .first(conn)
}

impl Live {
    pub fn new() -> Self {
        Self::default()
    }

    /// An index whose boards estimate pay with `travel`.
    pub fn with_travel(travel: crate::config::TravelCosts) -> Self {
        Self {
            travel,
            ..Self::default()
        }
    }

    /// An index that loads `jobs` jobs and `shoppers` shoppers at a time while it is built.
    pub fn in_chunks(jobs: i64, shoppers: i64) -> Self {
        Self {
            chunks: Some((jobs.max(1), shoppers.max(1))),
            ..Self::default()
        }
    }

    /// The version held, if the index is built.
    pub fn version(&self) -> Option<i64> {
        self.read_lock().as_ref().map(|l| l.version)
    }

    fn read_lock(&self) -> std::sync::RwLockReadGuard<'_, Option<Loaded>> {
        self.loaded.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write_lock(&self) -> std::sync::RwLockWriteGuard<'_, Option<Loaded>> {
        self.loaded.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The day of the index held, if it is built.
    pub fn day(&self) -> Option<NaiveDate> {
        self.read_lock().as_ref().map(|l| l.day)
    }

    /// From now on a new day's index is built by a background task, which waits on
    /// [`Live::new_day_wanted`] and calls [`Live::build_new_day`]; requests meanwhile are answered
    /// from the index held.
    pub fn build_new_days_in_background(&self) {
        self.background
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Resolves when a request found that a new day began.
    pub async fn new_day_wanted(&self) {
        self.new_day.notified().await;
    }

    /// The day the index answers for: `today`, or, while a new day's index is built in the
    /// background, the earlier day it holds (and the builder is woken).
    fn serving_day(&self, today: NaiveDate) -> NaiveDate {
        if !self.background.load(std::sync::atomic::Ordering::Relaxed) {
            return today;
        }
        match self.day() {
            Some(day) if day < today => {
                self.new_day.notify_one();
                day
            }
            _ => today,
        }
    }

    fn holds(&self, version: i64, today: NaiveDate) -> bool {
        let today = self.serving_day(today);
        self.read_lock()
            .as_ref()
            .is_some_and(|l| l.version >= version && l.day == today)
    }

    /// Brings the index up to the database's current version (for `today`, or for the day it
    /// holds while the background builds a new day's).
    pub fn refresh(&self, conn: &mut DbConnection, keys: &Keys, today: NaiveDate) -> AppResult<()> {
        let (version, pruned) = database_version(conn)?;
        if self.holds(version, today) {
            return Ok(());
        }
        let _one = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        // Read under the lock: a new day's index cannot be swapped in while it is held.
        let today = self.serving_day(today);
        let held = self.read_lock().as_ref().map(|l| (l.version, l.day));
        match held {
            // A database restored to an earlier version: the index is ahead of it.
            Some((have, _)) if have > version => self.rebuild(conn, keys, today, version),
            Some((have, day)) if have == version && day == today => Ok(()),
            Some((have, day)) if day == today && have >= pruned => {
                self.catch_up(conn, keys, today, have)
            }
            _ => self.rebuild(conn, keys, today, version),
        }
    }

    /// Builds a new day's index in the background, without holding up requests: they are
    /// answered from the index held until the new one replaces it. Answers whether it built.
    pub fn build_new_day(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        today: NaiveDate,
    ) -> AppResult<bool> {
        if self.day().is_none_or(|day| day >= today) {
            return Ok(false);
        }
        let (version, _) = database_version(conn)?;
        let built = self.build(conn, keys, today, version)?;
        // Swapped in between refreshes; changes committed while it was built are caught up by
        // the next one (its version was read before anything was loaded).
        let _one = self.refreshing.lock().unwrap_or_else(|e| e.into_inner());
        let mut guard = self.write_lock();
        if guard.as_ref().is_some_and(|l| l.day < today) {
            *guard = Some(built);
            return Ok(true);
        }
        Ok(false)
    }

    /// Builds the whole index; `version` was read before anything was loaded, so a change
    /// committed while loading is applied again on the next refresh.
    fn rebuild(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        today: NaiveDate,
        version: i64,
    ) -> AppResult<()> {
        let built = self.build(conn, keys, today, version)?;
        *self.write_lock() = Some(built);
        Ok(())
    }

    /// The whole index at `version`, for `today`: the open jobs, then the shoppers a range of
    /// ids at a time, each range with the facts the rules read of it.
    ///
    /// Read on this thread and made into the engine's records on another meanwhile: the
    /// database answers the next range while the last one is put together. One range waits at
    /// most, so what the build holds besides the index stays two ranges however large the panel.
    fn build(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        today: NaiveDate,
        version: i64,
    ) -> AppResult<Loaded> {
        let started = std::time::Instant::now();
        let (job_chunk, shopper_chunk) = self.chunks.unwrap_or((JOB_CHUNK, SHOPPER_CHUNK));
        // Sized at once: a million shoppers' records copied as a list doubles cost more than
        // counting them (shoppers added meanwhile only grow the lists).
        let expected: i64 = shoppers::table.count().get_result(conn)?;
        let mut made = Made::new(usize::try_from(expected).unwrap_or(0));
        let (read, jobs_ms) = std::thread::scope(|scope| {
            let (send, receive) = std::sync::mpsc::sync_channel::<Range>(1);
            let made = &mut made;
            let maker = scope.spawn(move || {
                for range in receive {
                    made.add(range, keys, today);
                }
            });
            // A send fails only if the maker stopped, which it does only once this is dropped.
            let mut jobs_ms = 0;
            let read = each_open_job_chunk(conn, today, job_chunk, |conn, jobs| {
                let clients = ClientFacts::of_jobs(conn, &jobs)?;
                let _ = send.send(Range::Jobs(jobs, clients));
                Ok(())
            })
            .and_then(|()| {
                jobs_ms = started.elapsed().as_millis() as u64;
                read_shoppers(conn, shopper_chunk, today, |rows, facts| {
                    send.send(Range::Shoppers(rows, facts)).is_ok()
                })
            });
            drop(send);
            maker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (read, jobs_ms)
        });
        read?;
        let Made {
            symbols,
            jobs_at,
            engine_jobs,
            postings,
            with_age,
            shoppers,
            marks,
        } = made;
        let shoppers_ms = started.elapsed().as_millis() as u64 - jobs_ms;
        let engine = Engine::build(symbols, shoppers, engine_jobs)
            .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))?;
        tracing::info!(
            version,
            shoppers = engine.shopper_count(),
            jobs = engine.job_count(),
            ms = started.elapsed().as_millis() as u64,
            jobs_ms,
            shoppers_ms,
            "live index built"
        );
        Ok(Loaded {
            version,
            built: std::time::Instant::now(),
            day: today,
            with_age,
            engine,
            postings,
            jobs_at,
            marks,
        })
    }

    /// Reloads what changed after version `have`.
    fn catch_up(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        today: NaiveDate,
        have: i64,
    ) -> AppResult<()> {
        let changes: Vec<(String, i64, Option<i64>)> = index_changes::table
            .filter(index_changes::version.gt(have))
            .select((
                index_changes::kind,
                index_changes::ref_id,
                index_changes::version,
            ))
            .load(conn)?;
        let upto = changes.iter().filter_map(|c| c.2).max().unwrap_or(have);
        let mut what = JobsWhere::default();
        let mut shopper_ids = BTreeSet::new();
        let mut organizations = BTreeSet::new();
        for (kind, id, _) in &changes {
            match kind.as_str() {
                "shopper" => {
                    shopper_ids.insert(ShopperId(*id));
                }
                "job" => {
                    what.jobs.insert(JobId(*id));
                }
                "location" => {
                    what.locations.insert(LocationId(*id));
                }
                "project" => {
                    what.projects.insert(ProjectId(*id));
                }
                "client" => {
                    what.clients.insert(ClientId(*id));
                }
                "organization" => {
                    organizations.insert(*id);
                }
                // Sessions ended and accounts changed: followed by `auth::sessions`.
                "session" | "user" => {}
                other => tracing::warn!(kind = other, "unknown change in the index log"),
            }
        }
        if shopper_ids.len() + what.len() + organizations.len() > REBUILD_OVER {
            return self.rebuild(conn, keys, today, upto);
        }
        if shopper_ids.is_empty() && what.len() == 0 && organizations.is_empty() {
            // Only sessions and accounts changed: nothing to reload, unless a prune took
            // changes between the reads.
            let (_, pruned) = database_version(conn)?;
            if pruned > have {
                return self.rebuild(conn, keys, today, upto);
            }
            if let Some(loaded) = self.write_lock().as_mut()
                && loaded.day == today
            {
                loaded.version = loaded.version.max(upto);
            }
            return Ok(());
        }
        // An organization's name is a client's name.
        let orgs: Vec<i64> = organizations.into_iter().collect();
        for slice in orgs.chunks(CHUNK) {
            what.clients.extend(
                clients::table
                    .filter(clients::organization_id.eq_any(slice))
                    .select(clients::id)
                    .load::<ClientId>(conn)?,
            );
        }
        // Jobs (none when no change names one), and the stores they are at now and were at.
        let fresh = if what.len() == 0 {
            Vec::new()
        } else {
            open_jobs(conn, &what, today)?
        };
        let mut stores: BTreeSet<LocationId> = fresh.iter().map(|p| p.1.id).collect();
        let with_age = {
            let guard = self.read_lock();
            let Some(loaded) = guard.as_ref() else {
                drop(guard);
                return self.rebuild(conn, keys, today, upto);
            };
            stores.extend(
                loaded
                    .postings
                    .iter()
                    .filter(|p| what.touches(p))
                    .map(|p| p.location_id),
            );
            loaded.with_age
        };
        if !with_age && snapshot::asks_age(&fresh) {
            // A job asks for an age: ages were not opened; they are now, for everyone.
            return self.rebuild(conn, keys, today, upto);
        }
        let client_facts = ClientFacts::of_jobs(conn, &fresh)?;
        // A job new at a store (or gone from one) bears on the rotation of its visitors.
        let stores: Vec<LocationId> = stores.into_iter().collect();
        shopper_ids.extend(visitors_of(conn, &stores)?);
        if shopper_ids.len() + what.len() > REBUILD_OVER {
            return self.rebuild(conn, keys, today, upto);
        }
        let ids: Vec<ShopperId> = shopper_ids.iter().copied().collect();
        let mut rows = Vec::with_capacity(ids.len());
        for slice in ids.chunks(CHUNK) {
            rows.extend(
                shoppers::table
                    .filter(shoppers::user_id.eq_any(slice))
                    .select(MatchRow::as_select())
                    .load(conn)?,
            );
        }
        let facts = ShopperFacts::load(conn, Whose::Only(&ids), today)?;
        // A prune that committed after the changes were read may have taken some of them.
        let (_, pruned) = database_version(conn)?;
        if pruned > have {
            return self.rebuild(conn, keys, today, upto);
        }

        let mut guard = self.write_lock();
        let Some(loaded) = guard.as_mut() else {
            drop(guard);
            return self.rebuild(conn, keys, today, upto);
        };
        if loaded.day != today {
            // A new day's index replaced the one these changes were read for: the next refresh
            // catches it up.
            return Ok(());
        }
        // Jobs first: shoppers' rotation reads the jobs at each store.
        let mut affected: HashSet<JobId> = what.jobs.iter().copied().collect();
        affected.extend(
            loaded
                .postings
                .iter()
                .filter(|p| what.touches(p))
                .map(|p| p.id),
        );
        let mut kept = HashSet::with_capacity(fresh.len());
        for parts in &fresh {
            let id = parts.0.id;
            affected.insert(id);
            if loaded.put_job(&client_facts, parts)? {
                kept.insert(id);
            }
        }
        for id in affected.difference(&kept) {
            loaded.drop_job(*id)?;
        }
        let mut found = HashSet::with_capacity(rows.len());
        for row in &rows {
            found.insert(row.user_id);
            loaded.put_shopper(&facts, row, keys, today)?;
        }
        for id in ids.iter().filter(|id| !found.contains(id)) {
            loaded.drop_shopper(*id)?;
        }
        loaded.version = upto;
        Ok(())
    }

    /// Runs `read` on the index brought up to date first, with the shopper's place in it. 404
    /// before the shopper has applied.
    fn with_shopper<T>(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        shopper_id: ShopperId,
        today: NaiveDate,
        read: impl FnOnce(&Loaded, ShopperIx, Mark) -> AppResult<T>,
    ) -> AppResult<T> {
        self.refresh(conn, keys, today)?;
        self.read_shopper(shopper_id, read)
    }

    /// Runs `read` on the index as it is.
    fn read_shopper<T>(
        &self,
        shopper_id: ShopperId,
        read: impl FnOnce(&Loaded, ShopperIx, Mark) -> AppResult<T>,
    ) -> AppResult<T> {
        let guard = self.read_lock();
        let loaded = guard
            .as_ref()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the live index is not built")))?;
        let Some((me, mark)) = loaded
            .engine
            .shopper_by_id(&shopper_id.to_string())
            .and_then(|me| Some((me, loaded.marks.get(me as usize).copied().flatten()?)))
        else {
            return Err(crate::panel::model::no_application());
        };
        read(loaded, me, mark)
    }

    /// The shopper's whole board (the jobs they may take and the others within their radius,
    /// with why not).
    pub fn board(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        shopper_id: ShopperId,
        today: NaiveDate,
        unit: DistanceUnit,
    ) -> AppResult<Board> {
        self.with_shopper(conn, keys, shopper_id, today, |loaded, me, mark| {
            board::board_of(
                &loaded.engine,
                me,
                mark.status,
                mark.limited,
                unit,
                self.travel,
                |ix| loaded.postings.get(ix),
            )
        })
    }

    /// Runs `read` on the index brought up to date first.
    fn read_current<T>(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        today: NaiveDate,
        read: impl FnOnce(&Loaded) -> T,
    ) -> AppResult<T> {
        self.refresh(conn, keys, today)?;
        let guard = self.read_lock();
        let loaded = guard
            .as_ref()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the live index is not built")))?;
        Ok(read(loaded))
    }

    /// Every open job nobody holds (of one client, or all), brought up to date first, with
    /// the active shoppers who may take it (by their place in the index): what coverage counts.
    /// The index is held for [`COVERAGE_CHUNK`] jobs at a time, so that its updates (and the
    /// boards waiting behind them) do not wait for a report over the whole panel.
    pub fn open_jobs_with_eligible(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        today: NaiveDate,
        client: Option<ClientId>,
    ) -> AppResult<Vec<(Posting, Vec<ShopperIx>)>> {
        let postings: Vec<Posting> = self.read_current(conn, keys, today, |loaded| {
            loaded
                .postings
                .iter()
                .filter(|p| client.is_none_or(|c| p.client_id == c))
                .cloned()
                .collect()
        })?;
        // Shoppers are counted by position, which a rebuild between chunks changes: then the
        // count starts again (a rebuild is rare: a new day, or a flood of changes). A job taken
        // meanwhile is left out.
        let mut counted: Vec<Option<Vec<ShopperIx>>> = Vec::with_capacity(postings.len());
        for _ in 0..3 {
            counted.clear();
            let mut built = None;
            let mut rebuilt = false;
            for chunk in postings.chunks(COVERAGE_CHUNK) {
                let guard = self.read_lock();
                let Some(loaded) = guard.as_ref() else {
                    break;
                };
                rebuilt |= *built.get_or_insert(loaded.built) != loaded.built;
                counted.extend(chunk.iter().map(|posting| {
                    let ix = loaded.engine.job_by_id(&posting.id.to_string())?;
                    let eligible = loaded.engine.candidates(ix, None);
                    Some(eligible.into_iter().map(|h| h.ix).collect())
                }));
            }
            if !rebuilt {
                break;
            }
        }
        Ok(postings
            .into_iter()
            .zip(counted)
            .filter_map(|(posting, eligible)| Some((posting, eligible?)))
            .collect())
    }

    /// Staff's view of a job's shoppers, from the index brought up to date first: the `limit`
    /// nearest who may take it and the `limit` nearest others with the rules they do not
    /// meet. None when the job is not in the index (someone holds it, or it is not open).
    pub fn job_candidates(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        today: NaiveDate,
        job: JobId,
        limit: usize,
    ) -> AppResult<Option<JobCandidates>> {
        self.read_current(conn, keys, today, |loaded| {
            let engine = &loaded.engine;
            let job_ix = engine.job_by_id(&job.to_string())?;
            let eligible = engine
                .candidates(job_ix, Some(limit))
                .into_iter()
                .filter_map(|hit| {
                    let shopper = engine.shopper(hit.ix)?;
                    Some(Eligible {
                        shopper_id: snapshot::shopper_id_at(engine, hit.ix)?,
                        km: hit.km,
                        rating: shopper.rating,
                        capacity: shopper.capacity,
                        completed: shopper.completed,
                    })
                })
                .collect();
            let mut names = HashMap::new();
            let others = engine
                .nearby_ineligible(job_ix, limit)
                .into_iter()
                .filter_map(|(hit, unmet)| {
                    for sym in unmet.iter().filter_map(Unmet::symbol) {
                        names
                            .entry(sym)
                            .or_insert_with(|| engine.symbols.name(sym).into());
                    }
                    Some((snapshot::shopper_id_at(engine, hit.ix)?, hit.km, unmet))
                })
                .collect();
            Some(JobCandidates {
                eligible,
                others,
                names,
            })
        })
    }

    /// The eligible pairs of these jobs, for a batch, from the index brought up to date
    /// first. A job not in the index (someone holds it, or it is not open) is left out. The
    /// optimiser runs on the answer after the index is let go.
    pub fn batch_pairs(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        today: NaiveDate,
        jobs: &[JobId],
    ) -> AppResult<BatchPairs> {
        self.read_current(conn, keys, today, |loaded| {
            let engine = &loaded.engine;
            let (found, ixs): (Vec<JobId>, Vec<JobIx>) = jobs
                .iter()
                .filter_map(|id| Some((*id, engine.job_by_id(&id.to_string())?)))
                .unzip();
            let mut pairs = BatchPairs {
                jobs: found,
                ..BatchPairs::default()
            };
            // From the jobs' side: each job's circle holds a fraction of the panel, where the
            // shoppers' side would weigh every shopper against every job near them (a batch of 100
            // jobs took 90 s among 1,000,000 shoppers and 100,000 jobs). In the shoppers' order, as
            // the engine's own batches are.
            let mut edges = Vec::new();
            for (job, ix) in ixs.iter().enumerate() {
                let job = u32::try_from(job).unwrap_or(u32::MAX);
                edges.extend(engine.candidates(*ix, None).into_iter().map(|hit| {
                    crate::matching::Edge {
                        shopper: hit.ix,
                        job,
                        metres: crate::matching::geo::metres(hit.km),
                    }
                }));
            }
            edges.sort_unstable_by_key(|e| (e.shopper, e.job));
            // The shoppers of the edges, numbered from 0 in the order met.
            let mut local: HashMap<ShopperIx, u32> = HashMap::new();
            for mut edge in edges {
                let (Some(shopper), Some(id)) = (
                    engine.shopper(edge.shopper),
                    snapshot::shopper_id_at(engine, edge.shopper),
                ) else {
                    continue;
                };
                let next = u32::try_from(local.len()).unwrap_or(u32::MAX);
                edge.shopper = *local.entry(edge.shopper).or_insert_with(|| {
                    pairs.shoppers.push(id);
                    pairs.capacity.push(shopper.capacity);
                    next
                });
                pairs.edges.push(edge);
            }
            pairs
        })
    }

    /// One page of the jobs the shopper may take, without asking the database, when the index
    /// already holds `version` (read by the request's authentication); None when it does not.
    pub fn page_held(
        &self,
        version: i64,
        shopper_id: ShopperId,
        today: NaiveDate,
        sort: Sort,
        page: usize,
    ) -> Option<AppResult<Page>> {
        self.holds(version, today).then(|| {
            self.read_shopper(shopper_id, |loaded, me, _| {
                loaded.page(me, sort, page, self.travel)
            })
        })
    }

    /// One page of the jobs the shopper may take.
    #[allow(clippy::too_many_arguments)]
    pub fn page(
        &self,
        conn: &mut DbConnection,
        keys: &Keys,
        shopper_id: ShopperId,
        today: NaiveDate,
        sort: Sort,
        page: usize,
    ) -> AppResult<Page> {
        self.with_shopper(conn, keys, shopper_id, today, |loaded, me, _| {
            loaded.page(me, sort, page, self.travel)
        })
    }
}

/// Puts `value` at position `at`, growing the list as needed.
fn put_at<T>(list: &mut Vec<Option<T>>, at: u32, value: Option<T>) {
    let at = at as usize;
    if list.len() <= at {
        list.resize_with(at + 1, || None);
    }
    list[at] = value;
}

impl Loaded {
    /// Page `page` of the jobs the engine's shopper `me` may take.
    fn page(
        &self,
        me: ShopperIx,
        sort: Sort,
        page: usize,
        travel: crate::config::TravelCosts,
    ) -> AppResult<Page> {
        board::page_of(&self.engine, me, sort, page, travel, &self.postings)
    }

    /// Puts a job in (or updates it); false when its client is gone.
    fn put_job(&mut self, clients: &ClientFacts, parts: &JobParts) -> AppResult<bool> {
        let job = match clients.engine_job(parts, &mut self.engine.symbols) {
            Ok(Some(job)) => job,
            Ok(None) => return Ok(false),
            Err(e) => {
                // One bad row (written around the service) costs its own job, not the board.
                tracing::warn!(job = %parts.0.id, error = ?e, "job left out of the live index");
                return Ok(false);
            }
        };
        let id = parts.0.id;
        self.unlist(id);
        let (location, _, start, days) = snapshot::rotation_of(parts);
        self.jobs_at
            .entry(location)
            .or_default()
            .push((id, start, days));
        let ix = match self.engine.job_by_id(&job.id) {
            Some(ix) => self.engine.update_job(ix, |j| *j = job).map(|_| ix),
            None => self.engine.add_job(job),
        }
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))?;
        let name = clients.names.get(&parts.2.client_id).map(String::as_str);
        self.postings.put(ix, Posting::of(parts, name));
        Ok(true)
    }

    /// Takes a job's posting out, and the job out of its store's list.
    fn unlist(&mut self, id: JobId) {
        let Some(ix) = self.engine.job_by_id(&id.to_string()) else {
            return;
        };
        if let Some(old) = self.postings.take(ix)
            && let Some(at) = self.jobs_at.get_mut(&old.location_id)
        {
            at.retain(|(job, _, _)| *job != id);
        }
    }

    /// Takes a job out (filled, closed, gone); nothing when it is not in.
    fn drop_job(&mut self, id: JobId) -> AppResult<()> {
        self.unlist(id);
        if let Some(ix) = self.engine.job_by_id(&id.to_string()) {
            self.engine
                .remove_job(ix)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))?;
        }
        Ok(())
    }

    fn put_shopper(
        &mut self,
        facts: &ShopperFacts,
        row: &MatchRow,
        keys: &Keys,
        today: NaiveDate,
    ) -> AppResult<()> {
        let with_age = self.with_age;
        let shopper = match facts.engine_shopper(
            row,
            keys,
            &mut self.engine.symbols,
            &self.jobs_at,
            today,
            with_age,
        ) {
            Ok(shopper) => shopper,
            Err(e) => {
                tracing::warn!(shopper = %row.user_id, error = ?e, "shopper left out of the live index");
                return self.drop_shopper(row.user_id);
            }
        };
        let ix = match self.engine.shopper_by_id(&shopper.id) {
            Some(ix) => self.engine.update_shopper(ix, |s| *s = shopper).map(|_| ix),
            None => self.engine.add_shopper(shopper),
        }
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))?;
        put_at(&mut self.marks, ix, Some(Mark::of(row)));
        Ok(())
    }

    fn drop_shopper(&mut self, id: ShopperId) -> AppResult<()> {
        if let Some(ix) = self.engine.shopper_by_id(&id.to_string()) {
            put_at(&mut self.marks, ix, None);
            self.engine
                .remove_shopper(ix)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))?;
        }
        Ok(())
    }
}

/// Which jobs to (re)load: these jobs, and every job at these stores, of these projects, of
/// these clients.
#[derive(Debug, Default)]
struct JobsWhere {
    jobs: BTreeSet<JobId>,
    locations: BTreeSet<LocationId>,
    projects: BTreeSet<ProjectId>,
    clients: BTreeSet<ClientId>,
}

impl JobsWhere {
    fn len(&self) -> usize {
        self.jobs.len() + self.locations.len() + self.projects.len() + self.clients.len()
    }

    fn touches(&self, posting: &Posting) -> bool {
        self.jobs.contains(&posting.id)
            || self.locations.contains(&posting.location_id)
            || self.projects.contains(&posting.project_id)
            || self.clients.contains(&posting.client_id)
    }
}

/// Every open job (window not over, nobody holding it), `chunk` at a time by id, handed to
/// `each`. The jobs alone, then their stores and projects from maps loaded once: joined in
/// the database, each job would look its store up by its index.
fn each_open_job_chunk(
    conn: &mut DbConnection,
    today: NaiveDate,
    chunk: i64,
    mut each: impl FnMut(&mut DbConnection, Vec<JobParts>) -> AppResult<()>,
) -> AppResult<()> {
    let open = || {
        jobs::table
            .filter(jobs::status.eq(JobStatus::Open))
            .filter(jobs::window_end.ge(today))
    };
    let stores: HashMap<LocationId, Location> = locations::table
        .filter(locations::id.eq_any(open().select(jobs::location_id)))
        .select(Location::as_select())
        .load::<Location>(conn)?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let projects: HashMap<ProjectId, ProjectRow> = projects::table
        .filter(projects::id.eq_any(open().select(jobs::project_id)))
        .select(ProjectRow::as_select())
        .load::<ProjectRow>(conn)?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let mut after = JobId(i64::MIN);
    loop {
        let rows: Vec<JobRow> = open()
            .filter(jobs::id.gt(after))
            .order(jobs::id)
            .limit(chunk)
            .select(JobRow::as_select())
            .load(conn)?;
        let Some(last) = rows.last().map(|j| j.id) else {
            return Ok(());
        };
        let full = rows.len() == chunk as usize;
        // A job whose store or project came after the maps is caught up as a change.
        let parts = rows
            .into_iter()
            .filter_map(|job| {
                let store = stores.get(&job.location_id)?.clone();
                let project = projects.get(&job.project_id)?.clone();
                Some((job, store, project))
            })
            .collect();
        let unheld = snapshot::without_holder(conn, parts)?;
        each(conn, unheld)?;
        if !full {
            return Ok(());
        }
        after = last;
    }
}

/// A range of open jobs or of shoppers as read, with the facts the rules read of it.
enum Range {
    Jobs(Vec<JobParts>, ClientFacts),
    Shoppers(Vec<MatchRow>, ShopperFacts),
}

/// The index's parts as a build makes them, the open jobs first (shoppers' rotation and ages
/// depend on them).
struct Made {
    symbols: Symbols,
    jobs_at: JobsAt,
    /// The engine's jobs, and their postings at the same positions (the engine puts its jobs
    /// in the order given).
    engine_jobs: Vec<crate::matching::Job>,
    postings: Postings,
    /// Dates of birth are opened only while some open job asks for an age.
    with_age: bool,
    shoppers: Vec<crate::matching::Shopper>,
    marks: Vec<Option<Mark>>,
}

impl Made {
    fn new(shoppers: usize) -> Self {
        Made {
            symbols: Symbols::default(),
            jobs_at: JobsAt::new(),
            engine_jobs: Vec::new(),
            postings: Postings::default(),
            with_age: false,
            shoppers: Vec::with_capacity(shoppers),
            marks: Vec::with_capacity(shoppers),
        }
    }

    fn add(&mut self, range: Range, keys: &Keys, today: NaiveDate) {
        match range {
            Range::Jobs(jobs, clients) => {
                self.with_age |= snapshot::asks_age(&jobs);
                let made =
                    snapshot::engine_jobs(&clients, &jobs, &mut self.symbols, &mut self.jobs_at);
                for (parts, job) in made {
                    let name = clients.names.get(&parts.2.client_id).map(String::as_str);
                    let at = self.engine_jobs.len() as JobIx;
                    self.postings.put(at, Posting::of(parts, name));
                    self.engine_jobs.push(job);
                }
            }
            Range::Shoppers(rows, facts) => {
                let made = facts.engine_shoppers(
                    &rows,
                    keys,
                    &mut self.symbols,
                    &self.jobs_at,
                    today,
                    self.with_age,
                );
                for (row, shopper) in made {
                    self.marks.push(Some(Mark::of(row)));
                    self.shoppers.push(shopper);
                }
            }
        }
    }
}

/// Every shopper, `chunk` at a time in the order of their ids, each range with the facts the
/// rules read of it, handed to `each` until it answers false.
fn read_shoppers(
    conn: &mut DbConnection,
    chunk: i64,
    today: NaiveDate,
    mut each: impl FnMut(Vec<MatchRow>, ShopperFacts) -> bool,
) -> AppResult<()> {
    let mut after = ShopperId(i64::MIN);
    loop {
        let rows: Vec<MatchRow> = shoppers::table
            .filter(shoppers::user_id.gt(after))
            .order(shoppers::user_id)
            .limit(chunk)
            .select(MatchRow::as_select())
            .load(conn)?;
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
            return Ok(());
        };
        let (first, last) = (first.user_id, last.user_id);
        let facts = ShopperFacts::load(conn, Whose::Between(first, last), today)?;
        let full = rows.len() == chunk as usize;
        if !each(rows, facts) || !full {
            return Ok(());
        }
        after = last;
    }
}

/// The open jobs (window not over, nobody holding them) that `what` names.
fn open_jobs(
    conn: &mut DbConnection,
    what: &JobsWhere,
    today: NaiveDate,
) -> AppResult<Vec<JobParts>> {
    let query = || {
        jobs::table
            .inner_join(locations::table)
            .inner_join(projects::table)
            .filter(jobs::status.eq(JobStatus::Open))
            .filter(jobs::window_end.ge(today))
            .select((
                JobRow::as_select(),
                Location::as_select(),
                ProjectRow::as_select(),
            ))
            .into_boxed()
    };
    let mut found: Vec<JobParts> = Vec::new();
    // The four kinds of id, as the numbers the four filters compare.
    let lists: [(Vec<i64>, u8); 4] = [
        (what.jobs.iter().map(|i| i.0).collect(), 0),
        (what.locations.iter().map(|i| i.0).collect(), 1),
        (what.projects.iter().map(|i| i.0).collect(), 2),
        (what.clients.iter().map(|i| i.0).collect(), 3),
    ];
    for (ids, by) in lists {
        for slice in ids.chunks(CHUNK) {
            let q = match by {
                0 => query().filter(jobs::id.eq_any(slice)),
                1 => query().filter(jobs::location_id.eq_any(slice)),
                2 => query().filter(jobs::project_id.eq_any(slice)),
                _ => query().filter(projects::client_id.eq_any(slice)),
            };
            found.extend(q.load::<JobParts>(conn)?);
        }
    }
    let mut seen = HashSet::new();
    found.retain(|p| seen.insert(p.0.id));
    Ok(snapshot::without_holder(conn, found)?)
}

/// Shoppers with a reported visit of any of these stores.
fn visitors_of(conn: &mut DbConnection, stores: &[LocationId]) -> QueryResult<Vec<ShopperId>> {
    let visited = super::store::names(State::visited);
    let mut ids = Vec::new();
    for slice in stores.chunks(CHUNK) {
        ids.extend(
            assignments::table
                .inner_join(jobs::table)
                .filter(jobs::location_id.eq_any(slice))
                .filter(assignments::state.eq_any(&visited))
                .select(assignments::shopper_id)
                .distinct()
                .load::<ShopperId>(conn)?,
        );
    }
    Ok(ids)
}

/// Deletes changes older than [`KEEP_CHANGES_DAYS`]; a server holding a version from before
/// them rebuilds (it sees `pruned_through` above its version). Returns the changes deleted.
pub fn prune(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    let before = now - chrono::Duration::days(KEEP_CHANGES_DAYS);
    crate::db::write_transaction(conn, |conn| {
        let last: Option<i64> = index_changes::table
            .filter(index_changes::changed_at.lt(before))
            .select(diesel::dsl::max(index_changes::version))
            .first(conn)?;
        let Some(last) = last else {
            return Ok(0);
        };
        // The delete first: the version row's lock, which every commit of a change waits for,
        // is then held only for the update.
        let deleted = diesel::delete(index_changes::table.filter(index_changes::version.le(last)))
            .execute(conn)?;
        let (_, pruned) = database_version(conn)?;
        diesel::update(index_version::table.find(1))
            .set(index_version::pruned_through.eq(pruned.max(last)))
            .execute(conn)?;
        Ok(deleted)
    })
}
