//! Batches: staff pick open jobs, the engine proposes the assignment that fills the most of
//! them with the least travel (the matching module's optimiser), staff review it (filled, and
//! unfilled with why) and send every offer in one step.

use crate::ids::{JobId, ProjectId, ShopperId, UserId};
use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::live::Live;
use super::model::Action;
use super::service;
use crate::clients::model::JobRow;
use crate::clients::model::JobStatus;
use crate::db::schema::{batch_items, batches, jobs, locations, shoppers};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::keys::Keys;
use crate::matching::solve;
use crate::privacy::{access, inventory::Category};

/// Most jobs one batch takes.
pub const MAX_JOBS: usize = 5000;

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    /// The open jobs to fill (1 to 5000).
    pub job_ids: Vec<JobId>,
}

/// Which of a project's open jobs a batch takes, as the batch page chooses them: those whose
/// window opens within the days given, at stores in a state (and a city of it) if given.
#[derive(Debug, Clone, Default)]
pub struct JobSelection {
    pub project_id: Option<ProjectId>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    /// Two letters, e.g. NY.
    pub state: Option<String>,
    pub city: Option<String>,
}

impl JobSelection {
    /// Every problem with the selection at once, in the page's field names.
    pub fn check(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if self.project_id.is_none() {
            errors.push(FieldError::new("project_id", "Choose a project."));
        }
        if let (Some(from), Some(to)) = (self.from, self.to)
            && to < from
        {
            errors.push(FieldError::new(
                "to",
                "This must be on or after the first day.",
            ));
        }
        if let Some(state) = &self.state
            && (state.len() != 2 || !state.bytes().all(|b| b.is_ascii_alphabetic()))
        {
            errors.push(FieldError::new(
                "state",
                "Type the state's two letters, e.g. NY.",
            ));
        }
        if self.city.is_some() && self.state.is_none() {
            errors.push(FieldError::new("state", "Give the state of the city too."));
        }
        errors
    }

    /// The ids of the open jobs selected; a problem when the selection is not valid or holds
    /// no open job.
    pub fn open_jobs(&self, conn: &mut DbConnection) -> AppResult<Vec<JobId>> {
        let errors = self.check();
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        let mut q = jobs::table
            .inner_join(locations::table)
            .filter(jobs::project_id.eq(self.project_id.unwrap_or(ProjectId(0))))
            .filter(jobs::status.eq(JobStatus::Open))
            .into_boxed();
        if let Some(state) = &self.state {
            q = q.filter(locations::state.eq(state.to_ascii_uppercase()));
        }
        if let Some(city) = &self.city {
            q = q.filter(locations::city.eq(city.clone()));
        }
        if let Some(from) = self.from {
            q = q.filter(jobs::window_start.ge(from));
        }
        if let Some(to) = self.to {
            q = q.filter(jobs::window_start.le(to));
        }
        let ids: Vec<JobId> = q
            .order(jobs::window_start)
            .select(jobs::id)
            .limit(MAX_JOBS as i64 + 1)
            .load(conn)?;
        if ids.is_empty() {
            return Err(AppError::field(
                "project_id",
                "The project has no open jobs in these days and this region.",
            ));
        }
        if ids.len() > MAX_JOBS {
            return Err(AppError::field(
                "project_id",
                format!(
                    "More than {MAX_JOBS} open jobs are selected; choose fewer days or a region."
                ),
            ));
        }
        Ok(ids)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchItemView {
    pub job_id: JobId,
    pub job_code: String,
    pub area: String,
    pub shopper_id: Option<ShopperId>,
    pub shopper_code: Option<String>,
    pub legal_name: Option<String>,
    /// From the proposed shopper's home to the store.
    pub km: Option<f64>,
    /// Why the job is left unfilled.
    pub reason: Option<String>,
    /// After sending: `offered`, or why the offer could not be made.
    pub outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BatchView {
    pub id: i64,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub sent_at: Option<NaiveDateTime>,
    pub filled: usize,
    pub unfilled: usize,
    /// Travel of all proposed pairs, km.
    pub total_km: f64,
    pub items: Vec<BatchItemView>,
}

struct Proposed {
    job_id: JobId,
    shopper_id: Option<ShopperId>,
    metres: Option<i64>,
    reason: Option<String>,
}

impl Proposed {
    fn not_filled(job_id: JobId, why: &str) -> Proposed {
        Proposed {
            job_id,
            shopper_id: None,
            metres: None,
            reason: Some(why.to_string()),
        }
    }
}

/// Proposes the optimal assignment of the jobs and keeps it as a batch; each proposed shopper
/// gets an access record (staff see their name and distance). The pairs come from the live
/// index (every shopper and every open job nobody holds).
pub fn propose(
    conn: &mut DbConnection,
    keys: &Keys,
    live: &Live,
    staff_id: UserId,
    request: &BatchRequest,
    now: NaiveDateTime,
) -> AppResult<BatchView> {
    let mut ids = request.job_ids.clone();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() || ids.len() > MAX_JOBS {
        return Err(AppError::field(
            "job_ids",
            format!("give 1 to {MAX_JOBS} job ids"),
        ));
    }
    let today = now.date();
    let found: Vec<JobRow> = jobs::table
        .filter(jobs::id.eq_any(&ids))
        .select(JobRow::as_select())
        .load(conn)?;
    let known: HashSet<JobId> = found.iter().map(|j| j.id).collect();
    if let Some(missing) = ids.iter().find(|id| !known.contains(id)) {
        return Err(AppError::field(
            "job_ids",
            format!("no job has id {missing}"),
        ));
    }
    let mut proposed = Vec::with_capacity(found.len());
    let mut open = Vec::with_capacity(found.len());
    for job in &found {
        if job.status != JobStatus::Open || job.window_end < today {
            proposed.push(Proposed::not_filled(job.id, "the job is closed"));
        } else {
            open.push(job.id);
        }
    }
    // The open jobs nobody holds are in the live index, with every shopper; asked in id order
    // so that a proposal does not depend on the order the database answered in.
    open.sort_unstable();
    let pairs = live.batch_pairs(conn, keys, today, &open)?;
    let indexed: HashSet<JobId> = pairs.jobs.iter().copied().collect();
    for id in open.iter().filter(|id| !indexed.contains(id)) {
        let why = if super::store::holder(conn, *id)?.is_some() {
            "the job is held already"
        } else {
            "no eligible shopper within reach"
        };
        proposed.push(Proposed::not_filled(*id, why));
    }
    let jobs_n = u32::try_from(pairs.jobs.len()).unwrap_or(u32::MAX);
    let chosen = solve(&pairs.capacity, jobs_n, &pairs.edges);
    let with_edges: HashSet<u32> = pairs.edges.iter().map(|e| e.job).collect();
    let mut filled: HashMap<u32, (u32, u64)> = HashMap::new();
    for pair in &chosen.pairs {
        filled.insert(pair.job, (pair.shopper, pair.metres));
    }
    for (local, job_id) in pairs.jobs.iter().enumerate() {
        let local = u32::try_from(local).unwrap_or(u32::MAX);
        proposed.push(match filled.get(&local) {
            Some((shopper, metres)) => Proposed {
                job_id: *job_id,
                shopper_id: pairs.shoppers.get(*shopper as usize).copied(),
                metres: i64::try_from(*metres).ok(),
                reason: None,
            },
            None if with_edges.contains(&local) => {
                Proposed::not_filled(*job_id, "its eligible shoppers are proposed for other jobs")
            }
            None => Proposed::not_filled(*job_id, "no eligible shopper within reach"),
        });
    }
    proposed.sort_by_key(|p| p.job_id);
    let id = write_transaction(conn, |conn| -> AppResult<i64> {
        let id: i64 = diesel::insert_into(batches::table)
            .values((
                batches::created_by.eq(staff_id),
                batches::created_at.eq(now),
            ))
            .returning(batches::id)
            .get_result(conn)?;
        for p in &proposed {
            diesel::insert_into(batch_items::table)
                .values((
                    batch_items::batch_id.eq(id),
                    batch_items::job_id.eq(p.job_id),
                    batch_items::shopper_id.eq(p.shopper_id),
                    batch_items::metres.eq(p.metres),
                    batch_items::reason.eq(p.reason.as_deref()),
                ))
                .execute(conn)?;
            if let Some(shopper) = p.shopper_id {
                access::record(
                    conn,
                    staff_id,
                    shopper.into(),
                    &[Category::A, Category::G],
                    "proposing shoppers for a batch of store visits",
                    now,
                )?;
            }
        }
        Ok(id)
    })?;
    view(conn, id)
}

/// A batch as proposed (and, once sent, with each offer's outcome).
pub fn view(conn: &mut DbConnection, id: i64) -> AppResult<BatchView> {
    let (created_at, sent_at): (NaiveDateTime, Option<NaiveDateTime>) = batches::table
        .find(id)
        .select((batches::created_at, batches::sent_at))
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found("No batch has this id."))?;
    type Item = (
        JobId,
        String,
        String,
        String,
        Option<ShopperId>,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    let items: Vec<Item> = batch_items::table
        .inner_join(jobs::table.inner_join(locations::table))
        .filter(batch_items::batch_id.eq(id))
        .order(batch_items::job_id)
        .select((
            batch_items::job_id,
            jobs::code,
            locations::city,
            locations::state,
            batch_items::shopper_id,
            batch_items::metres,
            batch_items::reason,
            batch_items::outcome,
        ))
        .load(conn)?;
    let shopper_ids: Vec<ShopperId> = items.iter().filter_map(|i| i.4).collect();
    let names: HashMap<ShopperId, (String, String)> = shoppers::table
        .filter(shoppers::user_id.eq_any(&shopper_ids))
        .select((shoppers::user_id, shoppers::code, shoppers::legal_name))
        .load::<(ShopperId, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect();
    let mut total_m = 0i64;
    let items: Vec<BatchItemView> = items
        .into_iter()
        .map(
            |(job_id, job_code, city, state, shopper_id, metres, reason, outcome)| {
                total_m += metres.unwrap_or(0);
                let who = shopper_id.and_then(|s| names.get(&s));
                BatchItemView {
                    job_id,
                    job_code,
                    area: format!("{city}, {state}"),
                    shopper_id,
                    shopper_code: who.map(|w| w.0.clone()),
                    legal_name: who.map(|w| w.1.clone()),
                    km: metres.map(|m| (m as f64 / 100.0).round() / 10.0),
                    reason,
                    outcome,
                }
            },
        )
        .collect();
    let filled = items.iter().filter(|i| i.shopper_id.is_some()).count();
    Ok(BatchView {
        id,
        created_at,
        sent_at,
        filled,
        unfilled: items.len() - filled,
        total_km: (total_m as f64 / 100.0).round() / 10.0,
        items,
    })
}

/// Sends every proposed offer (each checked again: a shopper no longer eligible, or a job
/// taken meanwhile, is reported in the item's outcome). Once only: 409 when sent already.
pub fn send(
    conn: &mut DbConnection,
    notifier: &super::notify::Notifier,
    staff_id: UserId,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<BatchView> {
    // Claim the batch first, so that two senders cannot both send it.
    let claimed = write_transaction(conn, |conn| -> AppResult<usize> {
        let exists: i64 = batches::table
            .filter(batches::id.eq(id))
            .count()
            .get_result(conn)?;
        if exists == 0 {
            return Err(AppError::not_found("No batch has this id."));
        }
        Ok(diesel::update(
            batches::table
                .filter(batches::id.eq(id))
                .filter(batches::sent_at.is_null()),
        )
        .set(batches::sent_at.eq(now))
        .execute(conn)?)
    })?;
    if claimed == 0 {
        return Err(AppError::conflict(
            "already_sent",
            "This batch was sent already; propose a new one for the jobs still open.",
        ));
    }
    let pairs: Vec<(i64, JobId, ShopperId)> = batch_items::table
        .filter(batch_items::batch_id.eq(id))
        .filter(batch_items::shopper_id.is_not_null())
        .select((
            batch_items::id,
            batch_items::job_id,
            batch_items::shopper_id.assume_not_null(),
        ))
        .load(conn)?;
    for (item, job_id, shopper_id) in pairs {
        let outcome = match service::offer_or_assign(
            conn,
            notifier,
            staff_id,
            job_id,
            shopper_id,
            Action::Offer,
            now,
        ) {
            Ok(_) => "offered".to_string(),
            Err(e) if e.status.is_client_error() => e.detail,
            // Logged; the other offers still go out, and this one can be made from the job's
            // page.
            Err(e) => {
                tracing::error!(error = ?e, %job_id, %shopper_id, "a batch offer failed");
                "not offered: an error on our side; offer it from the job's page".to_string()
            }
        };
        diesel::update(batch_items::table.find(item))
            .set(batch_items::outcome.eq(outcome))
            .execute(conn)?;
    }
    view(conn, id)
}
