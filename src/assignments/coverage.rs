//! Coverage: for every store with open jobs, how many active shoppers may take at least one of
//! them. Stores with too few are where recruiting should look, or where a bonus may help.

use crate::ids::{ClientId, JobId, LocationId};
use crate::money::Money;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::live::Live;
use crate::clients::model::{JobRow, Location};
use crate::db::DbConnection;
use crate::db::schema::{jobs, locations};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::matching::ShopperIx;
use crate::paging::PageRequest;

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

/// Coverage of the open, untaken jobs (of one client, or all), read from the live index:
/// only the page's stores and their clients' names are read from the database.
pub fn report(
    conn: &mut DbConnection,
    keys: &Keys,
    live: &Live,
    query: &CoverageQuery,
    now: NaiveDateTime,
) -> AppResult<CoverageReport> {
    let below = query.below.unwrap_or(3);
    if below > 10_000 {
        return Err(AppError::field("below", "must be at most 10000"));
    }
    let request = PageRequest::parse(query.page, query.per_page)?;
    let open = live.open_jobs_with_eligible(conn, keys, now.date(), query.client_id)?;
    // Each store's jobs, and the distinct shoppers who may take at least one of them.
    let mut by_store: BTreeMap<LocationId, (ClientId, Vec<OpenJob>, HashSet<ShopperIx>)> =
        BTreeMap::new();
    for (posting, eligible) in open {
        let entry = by_store
            .entry(posting.location_id)
            .or_insert_with(|| (posting.client_id, Vec::new(), HashSet::new()));
        entry.1.push(OpenJob {
            id: posting.id,
            code: posting.code.to_string(),
            window_start: posting.window_start,
            window_end: posting.window_end,
            bonus_cents: posting.bonus_cents,
            eligible_shoppers: eligible.len(),
        });
        entry.2.extend(eligible);
    }
    let mut counted: Vec<(usize, LocationId, ClientId, Vec<OpenJob>)> = by_store
        .into_iter()
        .map(|(store, (client, mut jobs, shoppers))| {
            jobs.sort_by_key(|j| (j.window_start, j.id));
            (shoppers.len(), store, client, jobs)
        })
        .collect();
    counted.sort_by_key(|(eligible, store, _, _)| (*eligible, *store));
    let short_stores = counted.iter().filter(|c| c.0 < below).count();
    let page = request.slice(counted);

    // The page's stores and clients, by name.
    let store_ids: Vec<LocationId> = page.items.iter().map(|c| c.1).collect();
    let stores: HashMap<LocationId, Location> = locations::table
        .filter(locations::id.eq_any(&store_ids))
        .select(Location::as_select())
        .load::<Location>(conn)?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let mut client_ids: Vec<ClientId> = page.items.iter().map(|c| c.2).collect();
    client_ids.sort_unstable();
    client_ids.dedup();
    let names: HashMap<ClientId, String> = crate::clients::store::client_names(conn, &client_ids)?
        .into_iter()
        .collect();
    let items = page
        .items
        .into_iter()
        .filter_map(|(eligible, store, client, mut jobs)| {
            // A store deleted since the index read it is left off this page.
            let location = stores.get(&store)?;
            let open_jobs = jobs.len();
            jobs.truncate(JOBS_PER_STORE);
            Some(StoreCoverage {
                location_id: store,
                client_id: client,
                client_name: names.get(&client).cloned().unwrap_or_default(),
                code: location.code.clone(),
                name: location.name.clone(),
                area: format!("{}, {}", location.city, location.state),
                eligible_shoppers: eligible,
                short: eligible < below,
                open_jobs,
                jobs,
            })
        })
        .collect();
    Ok(CoverageReport {
        below,
        stores: items,
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
