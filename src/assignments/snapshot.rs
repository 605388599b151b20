//! Many shoppers and many jobs put into one matching engine, with everything the rules need
//! loaded in bulk: ties (conflicts), certifications, staff disqualifications, ratings, open and
//! completed assignments (capacity, experience) and visits (rotation).
//!
//! Rotation depends on the job's window, so each job carries its own rotation symbol
//! (`rot:{job}`): a visit of a store blocks exactly the jobs at that store whose window opens
//! before the project's rotation period after the visit has passed.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use diesel::prelude::*;

use super::model::{MAX_OPEN, STATES, State};
use crate::clients::candidates::{by_shopper, cert_key, certifications_of, effective, ties_of};
use crate::clients::model::{JobRow, Location, ProjectRow};
use crate::db::DbConnection;
use crate::db::schema::{
    assignments, client_competitors, clients, disqualifications, jobs, organizations, shoppers,
};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::matching::{Coordinates, Engine, Job, JobIx, Shopper, ShopperIx, Symbols, Tags, Visit};
use crate::panel::model::{ShopperRow, Status, age_on};
use crate::privacy::crypto::{self, SealedField};

/// A job with its store and project.
pub type JobParts = (JobRow, Location, ProjectRow);

pub struct Snapshot {
    pub engine: Engine,
    /// By job id.
    pub jobs: HashMap<i64, JobParts>,
    /// By shopper (user) id.
    pub shoppers: HashMap<i64, ShopperRow>,
    /// Client id → the client's organization name.
    pub client_names: HashMap<i64, String>,
}

impl Snapshot {
    pub fn job_ix(&self, job_id: i64) -> Option<JobIx> {
        self.engine.job_by_id(&job_id.to_string())
    }

    pub fn shopper_ix(&self, shopper_id: i64) -> Option<ShopperIx> {
        self.engine.shopper_by_id(&shopper_id.to_string())
    }

    /// The database id behind an engine shopper.
    pub fn shopper_id(&self, ix: ShopperIx) -> Option<i64> {
        self.engine.shopper(ix).and_then(|s| s.id.parse().ok())
    }

    /// The database id behind an engine job.
    pub fn job_id(&self, ix: JobIx) -> Option<i64> {
        self.engine.job(ix).and_then(|j| j.id.parse().ok())
    }
}

/// (shopper, location, day) of the shoppers' visits.
fn visits_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, i64, NaiveDate)>> {
    let visited: Vec<&str> = STATES
        .iter()
        .copied()
        .filter(|s| s.visited())
        .map(State::as_str)
        .collect();
    let rows: Vec<(i64, i64, Option<NaiveDate>)> = assignments::table
        .inner_join(jobs::table)
        .filter(assignments::shopper_id.eq_any(ids))
        .filter(assignments::state.eq_any(visited))
        .select((
            assignments::shopper_id,
            jobs::location_id,
            assignments::visited_on,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, l, d)| Some((s, l, d?)))
        .collect())
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
    let holding: Vec<&str> = STATES
        .iter()
        .copied()
        .filter(|s| s.holds_job())
        .map(State::as_str)
        .collect();
    let ids: Vec<i64> = jobs.iter().map(|p| p.0.id).collect();
    let held: std::collections::HashSet<i64> = assignments::table
        .filter(assignments::job_id.eq_any(&ids))
        .filter(assignments::state.eq_any(holding))
        .select(assignments::job_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    Ok(jobs
        .into_iter()
        .filter(|p| !held.contains(&p.0.id))
        .collect())
}

/// Loads the engine for these shoppers and jobs.
pub fn load(
    conn: &mut DbConnection,
    keys: &Keys,
    rows: Vec<ShopperRow>,
    jobs: Vec<JobParts>,
    today: NaiveDate,
) -> AppResult<Snapshot> {
    let mut symbols = Symbols::default();
    let ids: Vec<i64> = rows.iter().map(|r| r.user_id).collect();

    // Clients: blocked organizations (the client and its competitors) and names, once each.
    let mut client_blocked: HashMap<i64, Vec<String>> = HashMap::new();
    let mut client_names: HashMap<i64, String> = HashMap::new();
    let mut client_ids: Vec<i64> = jobs.iter().map(|(_, _, p)| p.client_id).collect();
    client_ids.sort_unstable();
    client_ids.dedup();
    let named: Vec<(i64, i64, String)> = clients::table
        .inner_join(organizations::table)
        .filter(clients::id.eq_any(&client_ids))
        .select((clients::id, organizations::id, organizations::name))
        .load(conn)?;
    for (client, org, name) in named {
        client_names.insert(client, name);
        client_blocked.insert(client, vec![format!("org:{org}")]);
    }
    let competitors: Vec<(i64, i64)> = client_competitors::table
        .filter(client_competitors::client_id.eq_any(&client_ids))
        .select((
            client_competitors::client_id,
            client_competitors::organization_id,
        ))
        .load(conn)?;
    for (client, org) in competitors {
        client_blocked
            .entry(client)
            .or_default()
            .push(format!("org:{org}"));
    }

    let ties = ties_of(conn, &ids, today)?;
    let ties = by_shopper(&ties, |t| t.0);
    let certs = certifications_of(conn, &ids, today)?;
    let certs = by_shopper(&certs, |c| c.0);
    let disqualified: Vec<(i64, i64, Option<i64>)> = disqualifications::table
        .filter(disqualifications::shopper_id.eq_any(&ids))
        .select((
            disqualifications::shopper_id,
            disqualifications::client_id,
            disqualifications::location_id,
        ))
        .load(conn)?;
    let disqualified = by_shopper(&disqualified, |d| d.0);
    let ratings: HashMap<i64, f64> = crate::panel::store::average_ratings(conn, &ids)?
        .into_iter()
        .collect();
    let work = super::store::work_of(conn, &ids, -1)?;
    let visits = visits_of(conn, &ids)?;
    let visits = by_shopper(&visits, |v| v.0);

    // Jobs: each with its own rotation symbol; grouped by store for the rotation rule.
    let mut by_location: HashMap<i64, Vec<(i64, NaiveDate, Days)>> = HashMap::new();
    let mut engine_jobs = Vec::with_capacity(jobs.len());
    let mut needs_age = false;
    for (job, location, project) in &jobs {
        let rules = effective(project, job);
        needs_age |= rules.min_age.is_some() || rules.max_age.is_some();
        let Some(blocked) = client_blocked.get(&project.client_id) else {
            continue;
        };
        let mut blocked = blocked.clone();
        blocked.push(format!("disq:client:{}", project.client_id));
        blocked.push(format!("disq:location:{}", location.id));
        by_location.entry(location.id).or_default().push((
            job.id,
            job.window_start,
            Days::new(u64::try_from(project.rotation_days).unwrap_or(0)),
        ));
        engine_jobs.push(Job {
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
                    .map(|l| format!("lang:{l}"))
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
        });
    }

    let mut engine_shoppers = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = row.user_id;
        let mut orgs: Vec<String> = ties
            .get(&id)
            .into_iter()
            .flatten()
            .map(|t| format!("org:{}", t.1))
            .collect();
        for (_, client, location) in disqualified.get(&id).into_iter().flatten().copied() {
            orgs.push(match location {
                None => format!("disq:client:{client}"),
                Some(l) => format!("disq:location:{l}"),
            });
        }
        // The last visit of each store, then the jobs there it still blocks.
        let mut last: HashMap<i64, NaiveDate> = HashMap::new();
        for (_, location, day) in visits.get(&id).into_iter().flatten().copied() {
            let entry = last.entry(*location).or_insert(*day);
            *entry = (*entry).max(*day);
        }
        let mut recent = Vec::new();
        for (location, on) in last {
            for (job_id, window_start, days) in by_location.get(&location).into_iter().flatten() {
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
        let age = needs_age
            .then(|| row.sealed(SealedField::DateOfBirth))
            .flatten()
            .and_then(|s| crypto::open(keys, SealedField::DateOfBirth, id, s).ok())
            .and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
            .and_then(|born| u32::try_from(age_on(born, today)).ok());
        let languages = symbols.intern_all(
            &row.languages()
                .iter()
                .map(|l| format!("lang:{l}"))
                .collect::<Vec<_>>(),
        );
        let cert_syms = symbols.intern_all(
            &certs
                .get(&id)
                .into_iter()
                .flatten()
                .map(|c| cert_key(&c.1))
                .collect::<Vec<_>>(),
        );
        let org_syms = symbols.intern_all(&orgs);
        let mine = work.get(&id).copied().unwrap_or_default();
        engine_shoppers.push(Shopper {
            id: id.to_string().into(),
            position: Coordinates::new(row.latitude, row.longitude)
                .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?,
            radius_km: row.travel_radius_km,
            capacity: MAX_OPEN.saturating_sub(mine.open),
            rating: ratings.get(&id).copied().unwrap_or(0.0),
            completed: mine.completed,
            age,
            vehicle: row.vehicle,
            tags: Tags::new(&languages, &cert_syms, &org_syms),
            recent: recent.into_boxed_slice(),
            active: row.status() == Status::Active,
        });
    }
    let engine = Engine::build(symbols, engine_shoppers, engine_jobs)
        .map_err(|e| AppError::internal(anyhow::anyhow!(e.to_string())))?;
    Ok(Snapshot {
        engine,
        jobs: jobs.into_iter().map(|p| (p.0.id, p)).collect(),
        shoppers: rows.into_iter().map(|r| (r.user_id, r)).collect(),
        client_names,
    })
}
