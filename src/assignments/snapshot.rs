//! Many shoppers and many jobs put into one matching engine, with everything the rules need
//! loaded in bulk: ties (conflicts), certifications, staff disqualifications, ratings, open and
//! completed assignments (capacity, experience) and visits (rotation).
//!
//! Rotation depends on the job's window, so each job carries its own rotation symbol
//! (`rot:{job}`): a visit of a store blocks exactly the jobs at that store whose window opens
//! before the project's rotation period after the visit has passed.

use crate::ids::{ClientId, JobId, LocationId, ShopperId};
use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use diesel::prelude::*;

use super::candidates::{cert_key, certifications_of, effective, ties_of};
use super::model::{MAX_OPEN, State};
use crate::clients::model::{JobRow, Location, ProjectRow};
use crate::db::schema::{
    assignments, client_competitors, clients, disqualifications, organizations, shoppers,
};
use crate::db::{DbConnection, Whose};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::matching::{
    Coordinates, Engine, Job, JobIx, Shopper, ShopperIx, Sym, Symbols, Tags, Visit,
};
use crate::panel::model::{MatchRow, ShopperRow, Status, age_on};
use crate::privacy::crypto::{self, SealedField};

/// A job with its store and project.
pub type JobParts = (JobRow, Location, ProjectRow);

/// Ids a statement lists at most.
pub const CHUNK: usize = 10_000;

/// A language's symbol, for shoppers and jobs alike.
fn language_key(language: &str) -> String {
    format!("lang:{language}")
}

/// The symbols (`lang:…`) of each list of languages as stored, worked out once for the many
/// shoppers who speak the same languages.
#[derive(Default)]
struct Spoken(HashMap<String, Box<[Sym]>>);

impl Spoken {
    fn of(&mut self, stored: &str, symbols: &mut Symbols) -> &[Sym] {
        if !self.0.contains_key(stored) {
            let names: Vec<String> = crate::panel::model::languages_in(stored)
                .iter()
                .map(|l| language_key(l))
                .collect();
            self.0.insert(stored.to_owned(), symbols.intern_all(&names));
        }
        self.0.get(stored).map_or(&[], |syms| syms)
    }
}

/// The jobs at each store, for the rotation rule: (job, window start, rotation period).
pub type JobsAt = HashMap<LocationId, Vec<(JobId, NaiveDate, Days)>>;

pub struct Snapshot {
    pub engine: Engine,
    /// By job id.
    pub jobs: HashMap<JobId, JobParts>,
    /// By shopper (user) id.
    pub shoppers: HashMap<ShopperId, ShopperRow>,
    /// Client id → the client's organization name.
    pub client_names: HashMap<ClientId, String>,
}

impl Snapshot {
    pub fn job_ix(&self, job_id: JobId) -> Option<JobIx> {
        self.engine.job_by_id(&job_id.to_string())
    }

    pub fn shopper_ix(&self, shopper_id: ShopperId) -> Option<ShopperIx> {
        self.engine.shopper_by_id(&shopper_id.to_string())
    }

    /// The database id behind an engine shopper.
    pub fn shopper_id(&self, ix: ShopperIx) -> Option<ShopperId> {
        shopper_id_at(&self.engine, ix)
    }

    /// The database id behind an engine job.
    pub fn job_id(&self, ix: JobIx) -> Option<JobId> {
        self.engine.job(ix).and_then(|j| j.id.parse().ok())
    }
}

/// The database id behind an engine shopper (engines built here name shoppers by their id).
pub fn shopper_id_at(engine: &Engine, ix: ShopperIx) -> Option<ShopperId> {
    engine.shopper(ix).and_then(|s| s.id.parse().ok())
}

/// Shoppers (active ones only, or all) living in the box around the store that holds every
/// point within `km` of it.
pub fn shoppers_near(
    conn: &mut DbConnection,
    location: &Location,
    km: f64,
    active_only: bool,
) -> AppResult<Vec<ShopperRow>> {
    let at = Coordinates::new(location.latitude, location.longitude)
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let ((lat0, lat1), (lon0, lon1)) = crate::matching::geo::bounding_box(at, km);
    let mut q = shoppers::table
        .filter(shoppers::latitude.between(lat0, lat1))
        .filter(shoppers::longitude.between(lon0, lon1))
        .into_boxed();
    if active_only {
        q = q.filter(shoppers::status.eq("active"));
    }
    Ok(q.select(ShopperRow::as_select()).load(conn)?)
}

/// The jobs nobody holds (no offered, accepted, visited or submitted assignment).
pub fn without_holder(conn: &mut DbConnection, jobs: Vec<JobParts>) -> QueryResult<Vec<JobParts>> {
    let holding = super::store::names(State::holds_job);
    let ids: Vec<JobId> = jobs.iter().map(|p| p.0.id).collect();
    let mut held = std::collections::HashSet::new();
    // In slices: PostgreSQL takes at most 65,535 parameters a statement.
    for slice in ids.chunks(CHUNK) {
        held.extend(
            assignments::table
                .filter(assignments::job_id.eq_any(slice))
                .filter(assignments::state.eq_any(&holding))
                .select(assignments::job_id)
                .load::<JobId>(conn)?,
        );
    }
    Ok(jobs
        .into_iter()
        .filter(|p| !held.contains(&p.0.id))
        .collect())
}

/// What the engine needs of a job's client: the organizations that conflict (the client and
/// its competitors) and the client's name.
#[derive(Debug, Default)]
pub struct ClientFacts {
    blocked: HashMap<ClientId, Vec<String>>,
    /// Client id → the client's organization name.
    pub names: HashMap<ClientId, String>,
}

impl ClientFacts {
    /// The facts of these clients, in two queries.
    pub fn load(conn: &mut DbConnection, client_ids: &[ClientId]) -> QueryResult<Self> {
        let mut facts = ClientFacts::default();
        for slice in client_ids.chunks(CHUNK) {
            let named: Vec<(ClientId, i64, String)> = clients::table
                .inner_join(organizations::table)
                .filter(clients::id.eq_any(slice))
                .select((clients::id, organizations::id, organizations::name))
                .load(conn)?;
            for (client, org, name) in named {
                facts.names.insert(client, name);
                facts.blocked.insert(client, vec![format!("org:{org}")]);
            }
            let competitors: Vec<(ClientId, i64)> = client_competitors::table
                .filter(client_competitors::client_id.eq_any(slice))
                .select((
                    client_competitors::client_id,
                    client_competitors::organization_id,
                ))
                .load(conn)?;
            for (client, org) in competitors {
                facts
                    .blocked
                    .entry(client)
                    .or_default()
                    .push(format!("org:{org}"));
            }
        }
        Ok(facts)
    }

    /// The facts of the clients of these jobs.
    pub fn of_jobs(conn: &mut DbConnection, jobs: &[JobParts]) -> QueryResult<Self> {
        let mut ids: Vec<ClientId> = jobs.iter().map(|(_, _, p)| p.client_id).collect();
        ids.sort_unstable();
        ids.dedup();
        Self::load(conn, &ids)
    }

    /// The engine's job, or None when its client is gone.
    pub fn engine_job(&self, parts: &JobParts, symbols: &mut Symbols) -> AppResult<Option<Job>> {
        let (job, location, project) = parts;
        let rules = effective(project, job);
        let Some(blocked) = self.blocked.get(&project.client_id) else {
            return Ok(None);
        };
        let mut blocked = blocked.clone();
        blocked.push(format!("disq:client:{}", project.client_id));
        blocked.push(format!("disq:location:{}", location.id));
        Ok(Some(Job {
            id: job.id.to_string().into(),
            location: symbols.intern(&format!("rot:{}", job.id)),
            position: Coordinates::new(location.latitude, location.longitude)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?,
            max_km: rules.max_km,
            min_age: rules.min_age.and_then(|a| u32::try_from(a).ok()),
            max_age: rules.max_age.and_then(|a| u32::try_from(a).ok()),
            vehicle: rules.vehicle,
            languages: symbols.intern_all(
                &rules
                    .languages
                    .iter()
                    .map(|l| language_key(l))
                    .collect::<Vec<_>>(),
            ),
            certs: symbols.intern_all(
                &rules
                    .certifications
                    .iter()
                    .map(|c| cert_key(c))
                    .collect::<Vec<_>>(),
            ),
            min_rating: rules.min_rating.unwrap_or(0.0),
            min_completed: u32::try_from(rules.min_completed).unwrap_or(0),
            blocked_orgs: symbols.intern_all(&blocked),
        }))
    }
}

/// Whether any of these jobs asks for an age (only then are dates of birth opened).
pub fn asks_age(jobs: &[JobParts]) -> bool {
    jobs.iter().any(|(job, _, project)| {
        let rules = effective(project, job);
        rules.min_age.is_some() || rules.max_age.is_some()
    })
}

/// Where a job goes in [`JobsAt`].
pub fn rotation_of(parts: &JobParts) -> (LocationId, JobId, NaiveDate, Days) {
    let (job, location, project) = parts;
    (
        location.id,
        job.id,
        job.window_start,
        Days::new(u64::try_from(project.rotation_days).unwrap_or(0)),
    )
}

/// Everything the rules need of some shoppers (or all), loaded in bulk.
#[derive(Debug, Default)]
pub struct ShopperFacts {
    /// Organization ties that still count: shopper → organization ids.
    ties: HashMap<ShopperId, Vec<i64>>,
    /// Certifications not expired: shopper → names.
    certs: HashMap<ShopperId, Vec<String>>,
    /// Staff disqualifications: shopper → (client, store if only one).
    disqualified: HashMap<ShopperId, Vec<(ClientId, Option<LocationId>)>>,
    ratings: HashMap<ShopperId, f64>,
    work: HashMap<ShopperId, super::store::Work>,
    /// Reported visits: shopper → (store, day).
    visits: HashMap<ShopperId, Vec<(LocationId, NaiveDate)>>,
}

impl ShopperFacts {
    pub fn load(conn: &mut DbConnection, whose: Whose, today: NaiveDate) -> QueryResult<Self> {
        let mut facts = ShopperFacts::default();
        for (shopper, org, _, _) in ties_of(conn, whose, today)? {
            facts.ties.entry(shopper).or_default().push(org);
        }
        for (shopper, name) in certifications_of(conn, whose, today)? {
            facts.certs.entry(shopper).or_default().push(name);
        }
        let mut query = disqualifications::table
            .select((
                disqualifications::shopper_id,
                disqualifications::client_id,
                disqualifications::location_id,
            ))
            .into_boxed();
        match whose {
            Whose::Everyone => {}
            Whose::Only(ids) => query = query.filter(disqualifications::shopper_id.eq_any(ids)),
            Whose::Between(first, last) => {
                query = query.filter(disqualifications::shopper_id.between(first, last))
            }
        }
        let disqualified: Vec<(ShopperId, ClientId, Option<LocationId>)> = query.load(conn)?;
        for (shopper, client, location) in disqualified {
            facts
                .disqualified
                .entry(shopper)
                .or_default()
                .push((client, location));
        }
        facts.ratings = crate::panel::store::average_ratings(conn, whose)?
            .into_iter()
            .collect();
        let (work, visits) = super::store::work_and_visits(conn, whose)?;
        facts.work = work;
        for (shopper, location, day) in visits {
            facts
                .visits
                .entry(shopper)
                .or_default()
                .push((location, day));
        }
        Ok(facts)
    }

    /// The engine's shopper for this row. Rotation: the last visit of each store blocks the
    /// jobs there (`jobs_at`) whose window opens before the rotation period after it has passed.
    /// The date of birth is opened only when `with_age`.
    pub fn engine_shopper(
        &self,
        row: &MatchRow,
        keys: &Keys,
        symbols: &mut Symbols,
        jobs_at: &JobsAt,
        today: NaiveDate,
        with_age: bool,
    ) -> AppResult<Shopper> {
        let mut spoken = Spoken::default();
        self.engine_shopper_speaking(row, keys, symbols, &mut spoken, jobs_at, today, with_age)
    }

    /// [`ShopperFacts::engine_shopper`], with the symbols of the lists of languages met before.
    #[allow(clippy::too_many_arguments)]
    fn engine_shopper_speaking(
        &self,
        row: &MatchRow,
        keys: &Keys,
        symbols: &mut Symbols,
        spoken: &mut Spoken,
        jobs_at: &JobsAt,
        today: NaiveDate,
        with_age: bool,
    ) -> AppResult<Shopper> {
        let id = row.user_id;
        let mut orgs: Vec<String> = self
            .ties
            .get(&id)
            .into_iter()
            .flatten()
            .map(|org| format!("org:{org}"))
            .collect();
        for (client, location) in self.disqualified.get(&id).into_iter().flatten() {
            orgs.push(match location {
                None => format!("disq:client:{client}"),
                Some(l) => format!("disq:location:{l}"),
            });
        }
        let mut last: HashMap<LocationId, NaiveDate> = HashMap::new();
        for (location, day) in self.visits.get(&id).into_iter().flatten() {
            let entry = last.entry(*location).or_insert(*day);
            *entry = (*entry).max(*day);
        }
        let mut recent = Vec::new();
        for (location, on) in last {
            for (job_id, window_start, days) in jobs_at.get(&location).into_iter().flatten() {
                if on
                    .checked_add_days(*days)
                    .is_some_and(|again| again > *window_start)
                {
                    recent.push(Visit {
                        location: symbols.intern(&format!("rot:{job_id}")),
                        on: Some(on),
                    });
                }
            }
        }
        // A shopper who limited the use of their sensitive data is matched without their
        // date of birth and languages: jobs asking for an age or a language are not theirs.
        let limited = row.sensitive_limited_at.is_some();
        let age = (with_age && !limited)
            .then_some(row.date_of_birth.as_deref())
            .flatten()
            .and_then(|s| crypto::open(keys, SealedField::DateOfBirth, id.into(), s).ok())
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            .and_then(|born| u32::try_from(age_on(born, today)).ok());
        let languages: &[Sym] = if limited {
            &[]
        } else {
            spoken.of(&row.languages, symbols)
        };
        let cert_syms = symbols.intern_all(
            &self
                .certs
                .get(&id)
                .into_iter()
                .flatten()
                .map(|c| cert_key(c))
                .collect::<Vec<_>>(),
        );
        let org_syms = symbols.intern_all(&orgs);
        let mine = self.work.get(&id).copied().unwrap_or_default();
        Ok(Shopper {
            id: id.to_string().into(),
            position: Coordinates::new(row.latitude, row.longitude)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?,
            radius_km: row.travel_radius_km,
            capacity: MAX_OPEN.saturating_sub(mine.open),
            rating: self.ratings.get(&id).copied().unwrap_or(0.0),
            completed: mine.completed,
            age,
            vehicle: row.vehicle,
            tags: Tags::new(languages, &cert_syms, &org_syms),
            recent: recent.into_boxed_slice(),
            active: row.status == Status::Active,
        })
    }

    /// The engine's shopper of each row, with the row; a bad row (written around the service)
    /// is left out, with a warning, rather than cost the engine.
    pub fn engine_shoppers<'r>(
        &self,
        rows: &'r [MatchRow],
        keys: &Keys,
        symbols: &mut Symbols,
        jobs_at: &JobsAt,
        today: NaiveDate,
        with_age: bool,
    ) -> Vec<(&'r MatchRow, Shopper)> {
        let mut found = Vec::with_capacity(rows.len());
        let mut spoken = Spoken::default();
        for row in rows {
            let shopper = self.engine_shopper_speaking(
                row,
                keys,
                symbols,
                &mut spoken,
                jobs_at,
                today,
                with_age,
            );
            match shopper {
                Ok(shopper) => found.push((row, shopper)),
                Err(e) => {
                    tracing::warn!(shopper = %row.user_id, error = ?e, "shopper left out of the engine");
                }
            }
        }
        found
    }
}

/// The engine's job of each of these, with its parts (a job whose client is gone, or whose
/// row is bad, is left out), each put in `jobs_at`, the jobs at its store. Each job has its own
/// rotation symbol; shoppers' visits block the jobs at the store they visited (see
/// [`ShopperFacts::engine_shopper`]).
pub fn engine_jobs<'p>(
    clients: &ClientFacts,
    jobs: &'p [JobParts],
    symbols: &mut Symbols,
    jobs_at: &mut JobsAt,
) -> Vec<(&'p JobParts, Job)> {
    let mut found = Vec::with_capacity(jobs.len());
    for parts in jobs {
        // A bad row (written around the service) costs its own job, not the engine.
        let job = match clients.engine_job(parts, symbols) {
            Ok(Some(job)) => job,
            Ok(None) => continue,
            Err(e) => {
                tracing::warn!(job = %parts.0.id, error = ?e, "job left out of the engine");
                continue;
            }
        };
        let (location, id, start, days) = rotation_of(parts);
        jobs_at.entry(location).or_default().push((id, start, days));
        found.push((parts, job));
    }
    found
}

/// Loads the engine for these shoppers and jobs.
pub fn load(
    conn: &mut DbConnection,
    keys: &Keys,
    rows: Vec<ShopperRow>,
    jobs: Vec<JobParts>,
    today: NaiveDate,
) -> AppResult<Snapshot> {
    let ids: Vec<ShopperId> = rows.iter().map(|r| r.user_id).collect();
    let clients = ClientFacts::of_jobs(conn, &jobs)?;
    let facts = ShopperFacts::load(conn, Whose::Only(&ids), today)?;
    let with_age = asks_age(&jobs);

    let (mut symbols, mut jobs_at) = (Symbols::default(), JobsAt::new());
    let engine_jobs = engine_jobs(&clients, &jobs, &mut symbols, &mut jobs_at)
        .into_iter()
        .map(|(_, job)| job)
        .collect();
    let matched: Vec<MatchRow> = rows.iter().map(MatchRow::from).collect();
    let shoppers = facts
        .engine_shoppers(&matched, keys, &mut symbols, &jobs_at, today, with_age)
        .into_iter()
        .map(|(_, shopper)| shopper)
        .collect();
    let engine = Engine::build(symbols, shoppers, engine_jobs)
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))?;
    Ok(Snapshot {
        engine,
        jobs: jobs.into_iter().map(|p| (p.0.id, p)).collect(),
        shoppers: rows.into_iter().map(|r| (r.user_id, r)).collect(),
        client_names: clients.names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::Names;

    fn row(id: i64, languages: &str, limited: bool) -> MatchRow {
        let since = NaiveDate::from_ymd_opt(2026, 1, 1).and_then(|d| d.and_hms_opt(0, 0, 0));
        MatchRow {
            user_id: ShopperId(id),
            status: Status::Active,
            date_of_birth: None,
            latitude: 40.7,
            longitude: -74.0,
            travel_radius_km: 30.0,
            languages: languages.into(),
            vehicle: false,
            sensitive_limited_at: since.filter(|_| limited),
        }
    }

    fn spoken(symbols: &Symbols, shopper: &Shopper) -> Vec<String> {
        let mut names: Vec<String> = shopper
            .tags
            .languages()
            .iter()
            .map(|&l| symbols.name_of(l).to_owned())
            .collect();
        names.sort();
        names
    }

    /// Lists of languages worked out once for many shoppers give each shopper what their own
    /// list gives alone: the same languages whatever their order, none for a shopper who
    /// limited the use of their sensitive data or whose stored list does not read.
    #[test]
    fn shoppers_made_together_speak_what_each_speaks_alone() {
        let dir = tempfile::tempdir().unwrap();
        let keys = Keys::load_or_create(dir.path()).unwrap();
        let rows = [
            row(1, r#"["en"]"#, false),
            row(2, r#"["en","fr"]"#, false),
            row(3, r#"["fr","en"]"#, false),
            row(4, r#"["en","fr"]"#, true),
            row(5, "not a list", false),
            row(6, r#"["en"]"#, false),
        ];
        let facts = ShopperFacts::default();
        let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let mut symbols = Symbols::default();
        let together =
            facts.engine_shoppers(&rows, &keys, &mut symbols, &JobsAt::new(), today, false);
        let mut alone_symbols = Symbols::default();
        let mut seen = Vec::new();
        for (row, shopper) in &together {
            let alone = facts
                .engine_shopper(row, &keys, &mut alone_symbols, &JobsAt::new(), today, false)
                .unwrap();
            let languages = spoken(&symbols, shopper);
            assert_eq!(languages, spoken(&alone_symbols, &alone), "{}", row.user_id);
            seen.push((row.user_id.0, languages));
        }
        let both = vec!["lang:en".to_owned(), "lang:fr".to_owned()];
        let en = vec!["lang:en".to_owned()];
        assert_eq!(
            seen,
            [
                (1, en.clone()),
                (2, both.clone()),
                (3, both),
                (4, vec![]),
                (5, vec![]),
                (6, en),
            ]
        );
    }
}
