//! Coverage: for every store with open jobs, how many active shoppers may take at least one of
//! them. Stores with too few are where recruiting should look, or where a bonus may help.

use crate::ids::{ClientId, JobId, LocationId, ShopperId};
use crate::money::Money;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::snapshot::{self, JobParts};
use crate::clients::model::JobStatus;
use crate::clients::model::{JobRow, Location, ProjectRow};
use crate::db::DbConnection;
use crate::db::schema::{jobs, locations, projects};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::paging::PageRequest;
use crate::panel::model::ShopperRow;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// Only this client's stores.
    pub client_id: Option<ClientId>,
    /// A store with fewer eligible shoppers than this is short (default 3).
    pub below: Option<usize>,
    /// The page of stores, from 1 (default 1).
    pub page: Option<i64>,
    /// Stores a page, 1–100 (default 50).
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OpenJob {
    pub id: JobId,
    pub code: String,
    pub window_start: chrono::NaiveDate,
    pub window_end: chrono::NaiveDate,
    pub bonus_cents: Money,
    /// Active shoppers who may take this job.
    pub eligible_shoppers: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StoreCoverage {
    pub location_id: LocationId,
    pub client_id: ClientId,
    pub client_name: String,
    pub code: String,
    pub name: String,
    pub area: String,
    /// Distinct active shoppers who may take at least one of the store's open jobs.
    pub eligible_shoppers: usize,
    /// Fewer than the threshold.
    pub short: bool,
    /// The store's open jobs nobody holds.
    pub open_jobs: usize,
    /// The first `JOBS_PER_STORE` of them, soonest window first.
    pub jobs: Vec<OpenJob>,
}

/// Open jobs listed per store; `open_jobs` counts them all.
pub const JOBS_PER_STORE: usize = 20;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CoverageReport {
    pub below: usize,
    /// One page of the stores, fewest eligible shoppers first.
    pub stores: Vec<StoreCoverage>,
    /// This page, from 1.
    pub page: i64,
    pub per_page: i64,
    /// Stores with open jobs in all.
    pub total: i64,
    pub pages: i64,
    /// Stores that are short, in all.
    pub short_stores: usize,
}

/// Coverage of the open, untaken jobs (of one client, or all).
pub fn report(
    conn: &mut DbConnection,
    keys: &Keys,
    query: &CoverageQuery,
    now: NaiveDateTime,
) -> AppResult<CoverageReport> {
    let below = query.below.unwrap_or(3);
    if below > 10_000 {
        return Err(AppError::field("below", "must be at most 10000"));
    }
    let request = PageRequest::parse(query.page, query.per_page)?;
    let today = now.date();
    let mut q = jobs::table
        .inner_join(locations::table)
        .inner_join(projects::table)
        .filter(jobs::status.eq(JobStatus::Open))
        .filter(jobs::window_end.ge(today))
        .into_boxed();
    if let Some(client) = query.client_id {
        q = q.filter(projects::client_id.eq(client));
    }
    let found: Vec<JobParts> = q
        .select((
            JobRow::as_select(),
            Location::as_select(),
            ProjectRow::as_select(),
        ))
        .load(conn)?;
    let open = snapshot::without_holder(conn, found)?;
    // Active shoppers within reach of any open job, once each.
    let mut rows: HashMap<ShopperId, ShopperRow> = HashMap::new();
    for (job, location, project) in &open {
        let km = job.max_km.unwrap_or(project.max_km);
        let near = snapshot::shoppers_near(conn, location, km, true)?;
        for row in near {
            rows.entry(row.user_id).or_insert(row);
        }
    }
    let snap = snapshot::load(conn, keys, rows.into_values().collect(), open, today)?;
    let mut stores: BTreeMap<LocationId, (StoreCoverage, HashSet<u32>)> = BTreeMap::new();
    for (id, (job, location, project)) in &snap.jobs {
        let Some(ix) = snap.job_ix(*id) else { continue };
        let eligible: HashSet<u32> = snap
            .engine
            .candidates(ix, None)
            .into_iter()
            .map(|h| h.ix)
            .collect();
        let entry = stores.entry(location.id).or_insert_with(|| {
            (
                StoreCoverage {
                    location_id: location.id,
                    client_id: project.client_id,
                    client_name: snap
                        .client_names
                        .get(&project.client_id)
                        .cloned()
                        .unwrap_or_default(),
                    code: location.code.clone(),
                    name: location.name.clone(),
                    area: format!("{}, {}", location.city, location.state),
                    eligible_shoppers: 0,
                    short: false,
                    open_jobs: 0,
                    jobs: Vec::new(),
                },
                HashSet::new(),
            )
        });
        entry.0.jobs.push(OpenJob {
            id: job.id,
            code: job.code.clone(),
            window_start: job.window_start,
            window_end: job.window_end,
            bonus_cents: job.bonus_cents,
            eligible_shoppers: eligible.len(),
        });
        entry.1.extend(eligible);
    }
    let mut stores: Vec<StoreCoverage> = stores
        .into_values()
        .map(|(mut store, shoppers)| {
            store.eligible_shoppers = shoppers.len();
            store.short = store.eligible_shoppers < below;
            store.open_jobs = store.jobs.len();
            store.jobs.sort_by_key(|j| (j.window_start, j.id));
            store.jobs.truncate(JOBS_PER_STORE);
            store
        })
        .collect();
    stores.sort_by_key(|s| (s.eligible_shoppers, s.location_id));
    let short_stores = stores.iter().filter(|s| s.short).count();
    let page = request.slice(stores);
    Ok(CoverageReport {
        below,
        stores: page.items,
        page: page.page,
        per_page: page.per_page,
        total: page.total,
        pages: page.pages,
        short_stores,
    })
}

/// Sets a job's bonus (cents, 0 to `max`, the `INCOGNITO_MAX_FEE_DOLLARS` setting).
pub fn set_bonus(
    conn: &mut DbConnection,
    job_id: JobId,
    bonus_cents: i64,
    max: Money,
    now: NaiveDateTime,
) -> AppResult<JobRow> {
    if !(0..=max.cents()).contains(&bonus_cents) {
        return Err(AppError::field(
            "bonus_cents",
            format!("must be from $0 to {}", max.whole_dollars()),
        ));
    }
    let n = diesel::update(jobs::table.find(job_id))
        .set((jobs::bonus_cents.eq(bonus_cents), jobs::updated_at.eq(now)))
        .execute(conn)?;
    if n == 0 {
        return Err(AppError::not_found("No job has this id."));
    }
    Ok(crate::clients::store::find_job(conn, job_id)?)
}
