//! Who may take a job: the panel's shoppers near the job's store, put through the matching
//! engine's rules, with every reason a shopper is not eligible in words staff understand
//! ("works for Taco Town: competitor of client Burger Barn").
//!
//! Conflicts enter the engine as blocked organizations: a shopper's current ties (and ties
//! ended within 12 months) are their organizations; a job blocks its client, the client's
//! competitors, and the staff's disqualifications (as `disq:` names only they carry).

use crate::ids::{ClientId, JobId, LocationId, ShopperId, UserId};
use crate::units::DistanceUnit;
use std::collections::HashMap;

use chrono::{Months, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::live::{JobCandidates, Live};
use crate::clients::model::{JobRow, Location, ProjectRow};
use crate::clients::store;
use crate::db::schema::{affiliations, certifications, disqualifications, organizations, shoppers};
use crate::db::{DbConnection, Whose, write_transaction};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::matching::{Engine, JobIx, Names, Symbols, Unmet};
use crate::panel::model::{ShopperRow, Status};
use crate::privacy::{access, inventory::Category};

/// How long a tie to an organization still counts after it ended.
pub const CONFLICT_MONTHS_AFTER_END: u32 = 12;

/// The requirements in force for a job: the project's, with the job's overrides.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Effective {
    pub max_km: f64,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub vehicle: bool,
    pub languages: Vec<String>,
    pub certifications: Vec<String>,
    pub min_rating: Option<f64>,
    pub min_completed: i32,
}

fn names(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

pub fn effective(project: &ProjectRow, job: &JobRow) -> Effective {
    Effective {
        max_km: job.max_km.unwrap_or(project.max_km),
        min_age: job.min_age.or(project.min_age),
        max_age: job.max_age.or(project.max_age),
        vehicle: job.vehicle.unwrap_or(project.vehicle),
        languages: job
            .languages
            .as_deref()
            .map_or_else(|| names(&project.languages), names),
        certifications: job
            .certifications
            .as_deref()
            .map_or_else(|| names(&project.certifications), names),
        min_rating: job.min_rating.or(project.min_rating),
        min_completed: job.min_completed.unwrap_or(project.min_completed),
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub shopper_id: ShopperId,
    pub code: String,
    pub legal_name: String,
    pub km: f64,
    /// The average of the shopper's ratings (0 when unrated).
    pub rating: f64,
    /// Assignments the shopper has open now (their load).
    pub open_assignments: u32,
    /// Reports the shopper has submitted.
    pub completed: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NotEligible {
    pub shopper_id: ShopperId,
    pub code: String,
    pub legal_name: String,
    pub km: f64,
    /// Every rule the shopper does not meet.
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CandidatesView {
    pub job: JobRow,
    /// Who holds the job now (offered, accepted, visited or submitted), if anyone.
    pub holder: Option<ShopperId>,
    pub requirements: Effective,
    /// Nearest first.
    pub eligible: Vec<Candidate>,
    /// The nearest shoppers within reach who are not eligible, with why.
    pub not_eligible: Vec<NotEligible>,
}

pub(crate) fn cert_key(name: &str) -> String {
    format!("cert:{}", name.trim().to_lowercase())
}

/// What staff read about the job's shoppers: who they are, where they live.
const CANDIDATE_CATEGORIES: &[Category] = &[Category::A, Category::G];

/// A job put through the matching engine against some shoppers: the engine, and the words
/// for why a shopper is not eligible (for staff, and for the shopper).
pub struct JobMatch {
    pub job: JobRow,
    pub project: ProjectRow,
    pub location: Location,
    pub rules: Effective,
    pub client_name: String,
    engine: Engine,
    job_ix: JobIx,
    rows: HashMap<ShopperId, ShopperRow>,
    org_words: HashMap<String, String>,
    tie_words: HashMap<(ShopperId, String), String>,
}

impl JobMatch {
    /// Loads the job and puts `rows` through the rules: ties, certifications,
    /// disqualifications, ratings, open assignments (capacity), completed shops and visits of
    /// the store within the project's rotation period.
    pub fn load(
        conn: &mut DbConnection,
        keys: &Keys,
        job_id: JobId,
        rows: Vec<ShopperRow>,
        today: NaiveDate,
    ) -> AppResult<JobMatch> {
        let job = store::find_job(conn, job_id)
            .optional()?
            .ok_or_else(|| AppError::not_found("No job has this id."))?;
        let project = store::find_project(conn, job.project_id)?;
        let location = store::find_location(conn, job.location_id)?;
        JobMatch::build(conn, keys, job, project, location, rows, today)
    }

    /// The job's shoppers near its store.
    pub fn near(
        conn: &mut DbConnection,
        keys: &Keys,
        job_id: JobId,
        today: NaiveDate,
    ) -> AppResult<JobMatch> {
        let job = store::find_job(conn, job_id)
            .optional()?
            .ok_or_else(|| AppError::not_found("No job has this id."))?;
        let project = store::find_project(conn, job.project_id)?;
        let location = store::find_location(conn, job.location_id)?;
        let rules = effective(&project, &job);
        let rows = super::snapshot::shoppers_near(conn, &location, rules.max_km, false)?;
        JobMatch::build(conn, keys, job, project, location, rows, today)
    }

    fn build(
        conn: &mut DbConnection,
        keys: &Keys,
        job: JobRow,
        project: ProjectRow,
        location: Location,
        rows: Vec<ShopperRow>,
        today: NaiveDate,
    ) -> AppResult<JobMatch> {
        let rules = effective(&project, &job);
        let ids: Vec<ShopperId> = rows.iter().map(|r| r.user_id).collect();
        let job_id = job.id;
        let client_id = project.client_id;
        let location_id = location.id;
        let snap = super::snapshot::load(
            conn,
            keys,
            rows,
            vec![(job.clone(), location.clone(), project.clone())],
            today,
        )?;
        let client_name = snap
            .client_names
            .get(&client_id)
            .cloned()
            .unwrap_or_default();

        let (org_words, tie_words) =
            staff_words(conn, client_id, &client_name, location_id, &ids, today)?;
        let job_ix = snap
            .job_ix(job_id)
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("the job was not indexed")))?;
        Ok(JobMatch {
            job,
            project,
            location,
            rules,
            client_name,
            engine: snap.engine,
            job_ix,
            rows: snap.shoppers,
            org_words,
            tie_words,
        })
    }

    /// Every rule `shopper_id` does not meet (empty: eligible); None for a shopper not loaded.
    pub fn unmet(&self, shopper_id: ShopperId) -> Option<Vec<Unmet>> {
        let ix = self.engine.shopper_by_id(&shopper_id.to_string())?;
        let shopper = self.engine.shopper(ix)?;
        let job = self.engine.job(self.job_ix)?;
        Some(crate::matching::explain(shopper, job))
    }

    /// The shopper's rating as matching saw it (the average of their ratings).
    pub fn rating(&self, shopper_id: ShopperId) -> Option<f64> {
        let ix = self.engine.shopper_by_id(&shopper_id.to_string())?;
        self.engine.shopper(ix).map(|s| s.rating)
    }

    /// Why a shopper may not take the job, in staff's words.
    pub fn staff_reasons(
        &self,
        shopper_id: ShopperId,
        unmet: &[Unmet],
        unit: DistanceUnit,
    ) -> Vec<String> {
        unmet
            .iter()
            .map(|u| {
                reason(
                    u,
                    shopper_id,
                    &self.engine.symbols,
                    &self.org_words,
                    &self.tie_words,
                    unit,
                )
            })
            .collect()
    }

    /// Why the shopper may not take the job, in the shopper's words: never a client's or
    /// competitor's name, never the reason of a conflict.
    pub fn shopper_reasons(
        &self,
        shopper_id: ShopperId,
        unmet: &[Unmet],
        unit: DistanceUnit,
    ) -> Vec<String> {
        shopper_words(
            unmet,
            &self.engine.symbols,
            self.rows.get(&shopper_id).map(ShopperRow::status),
            self.rows
                .get(&shopper_id)
                .is_some_and(|r| r.sensitive_limited_at.is_some()),
            i64::from(self.project.rotation_days),
            unit,
        )
    }
}

/// Words for staff: what each blocked organization is to the client, and what ties these
/// shoppers to one (or why staff disqualified them).
type StaffWords = (
    HashMap<String, String>,
    HashMap<(ShopperId, String), String>,
);

/// Staff's words for the job's client and these shoppers.
fn staff_words(
    conn: &mut DbConnection,
    client_id: ClientId,
    client_name: &str,
    location_id: LocationId,
    ids: &[ShopperId],
    today: NaiveDate,
) -> AppResult<StaffWords> {
    // Words for staff: what each blocked organization is to the client, and to each
    // shopper.
    let (_, client_org, _) = store::find_client(conn, client_id)?;
    let mut org_words: HashMap<String, String> = HashMap::new();
    org_words.insert(format!("org:{client_org}"), "the client itself".into());
    for c in store::competitors_of(conn, client_id)? {
        org_words.insert(
            format!("org:{}", c.id),
            format!("competitor of client {client_name}"),
        );
    }
    let mut tie_words: HashMap<(ShopperId, String), String> = HashMap::new();
    for (shopper, org_id, org_name, relation) in ties_of(conn, Whose::Only(ids), today)? {
        let who = if relation == "household" {
            "household member works or worked for"
        } else {
            "works or worked for"
        };
        tie_words.insert(
            (shopper, format!("org:{org_id}")),
            format!("{who} {org_name}"),
        );
    }
    for (shopper, key, reason) in disqualifications_of(conn, ids, client_id, location_id)? {
        tie_words.insert((shopper, key), reason);
    }
    Ok((org_words, tie_words))
}

/// Why a job asking for an age is not offered to a shopper who limited their sensitive data.
pub const LIMITED_AGE: &str = "this job has an age requirement, and you limited the use of your sensitive data, so we no longer use your date of birth";

/// Why a shopper may not take a job, in the shopper's words: never a client's or competitor's
/// name, never the reason of a conflict. `rotation_days`: the job's project's; distances in
/// `unit`.
pub fn shopper_words(
    unmet: &[Unmet],
    symbols: &Symbols,
    status: Option<Status>,
    limited: bool,
    rotation_days: i64,
    unit: DistanceUnit,
) -> Vec<String> {
    let mut said_conflict = false;
    let mut reasons = Vec::new();
    for u in unmet {
        let words = match u {
            Unmet::TooFar { km, limit_km } => format!(
                "the store is about {} {} from you; this job is for shoppers within {} {}",
                unit.number(*km),
                unit.words(),
                unit.number(*limit_km),
                unit.words()
            ),
            Unmet::Inactive => match status {
                Some(Status::Suspended) => "your panel membership is suspended".into(),
                _ => "your application has not been approved yet".into(),
            },
            Unmet::NoCapacity => format!(
                "you have {} open assignments, the most at one time",
                super::model::MAX_OPEN
            ),
            Unmet::TooYoung { min_age } => {
                format!("this job is for shoppers aged {min_age} or older")
            }
            Unmet::TooOld { max_age } => {
                format!("this job is for shoppers aged {max_age} or younger")
            }
            Unmet::AgeUnknown if limited => LIMITED_AGE.into(),
            Unmet::AgeUnknown => {
                "this job has an age requirement: add your date of birth to your profile".into()
            }
            Unmet::NeedsVehicle => "requires a vehicle".into(),
            Unmet::MissingLanguage(l) if limited => format!(
                "this job asks for speaking {}, and you limited the use of your sensitive data, so we no longer use the languages you speak",
                symbols.name(*l).trim_start_matches("lang:")
            ),
            Unmet::MissingLanguage(l) => format!(
                "requires speaking {}",
                symbols.name(*l).trim_start_matches("lang:")
            ),
            Unmet::MissingCertification(c) => format!(
                "requires the certification {}",
                symbols.name(*c).trim_start_matches("cert:")
            ),
            Unmet::RatingTooLow { min, have } => {
                format!("requires a rating of {min:.1}; yours is {have:.1}")
            }
            Unmet::TooFewShops { min, have } => {
                format!("requires {min} completed shops; you have {have}")
            }
            Unmet::Conflict { .. } => {
                if said_conflict {
                    continue;
                }
                said_conflict = true;
                "this job is not available to you".into()
            }
            Unmet::VisitedRecently { on: Some(on), .. } => {
                let again = *on + chrono::Duration::days(rotation_days);
                format!(
                    "you visited this location on {}; you can shop it again from {}",
                    on.format("%-d %B %Y"),
                    again.format("%-d %B %Y")
                )
            }
            Unmet::VisitedRecently { on: None, .. } => "you visited this location recently".into(),
        };
        reasons.push(words);
    }
    reasons
}

/// What staff ask of a job's shoppers: the job, how many of each list, and the unit of the
/// distances in the reasons.
#[derive(Debug, Clone, Copy)]
pub struct Asked {
    pub job_id: JobId,
    pub limit: usize,
    pub unit: DistanceUnit,
}

/// The job, its rules, and its shoppers: those who may take it and the nearest others.
type Found = (JobRow, Effective, Vec<Candidate>, Vec<NotEligible>);

/// The job's eligible shoppers and the nearest others with reasons; each listed shopper gets
/// an access record. A job in the live index (open, nobody holding it) is read from it; one
/// someone holds is matched against the shoppers near it, loaded for the request.
pub fn candidates(
    conn: &mut DbConnection,
    keys: &Keys,
    live: &Live,
    staff_id: UserId,
    asked: Asked,
    now: NaiveDateTime,
) -> AppResult<CandidatesView> {
    let Asked { job_id, limit, .. } = asked;
    let indexed = live.job_candidates(conn, keys, now.date(), job_id, limit)?;
    write_transaction(conn, |conn| {
        let (job, requirements, eligible, not_eligible) = match &indexed {
            Some(found) => from_index(conn, found, asked, now.date())?,
            None => from_shoppers_near(conn, keys, asked, now.date())?,
        };
        let purpose = format!("finding shoppers who can take a store visit (job {job_id})");
        for id in eligible
            .iter()
            .map(|c| c.shopper_id)
            .chain(not_eligible.iter().map(|n| n.shopper_id))
        {
            access::record(
                conn,
                staff_id,
                id.into(),
                CANDIDATE_CATEGORIES,
                &purpose,
                now,
            )?;
        }
        let holder = super::store::holder(conn, job_id)?.map(|a| a.shopper_id);
        Ok(CandidatesView {
            holder,
            job,
            requirements,
            eligible,
            not_eligible,
        })
    })
}

/// Kilometres to the metre, a rating to a tenth.
fn metres(km: f64) -> f64 {
    (km * 1000.0).round() / 1000.0
}

fn tenth(rating: f64) -> f64 {
    (rating * 10.0).round() / 10.0
}

/// The lists from the live index's answer, with the shoppers' codes and names and staff's
/// words for the rules they do not meet.
fn from_index(
    conn: &mut DbConnection,
    found: &JobCandidates,
    asked: Asked,
    today: NaiveDate,
) -> AppResult<Found> {
    let job = store::find_job(conn, asked.job_id)
        .optional()?
        .ok_or_else(|| AppError::not_found("No job has this id."))?;
    let project = store::find_project(conn, job.project_id)?;
    let rules = effective(&project, &job);
    let client_name = store::client_names(conn, &[project.client_id])?
        .pop()
        .map(|(_, name)| name)
        .unwrap_or_default();
    let ids: Vec<ShopperId> = found
        .eligible
        .iter()
        .map(|e| e.shopper_id)
        .chain(found.others.iter().map(|o| o.0))
        .collect();
    let named: HashMap<ShopperId, (String, String)> = shoppers::table
        .filter(shoppers::user_id.eq_any(&ids))
        .select((shoppers::user_id, shoppers::code, shoppers::legal_name))
        .load::<(ShopperId, String, String)>(conn)?
        .into_iter()
        .map(|(id, code, name)| (id, (code, name)))
        .collect();
    let (org_words, tie_words) = staff_words(
        conn,
        project.client_id,
        &client_name,
        job.location_id,
        &ids,
        today,
    )?;
    // A shopper erased since the index read them is left off.
    let eligible = found
        .eligible
        .iter()
        .filter_map(|e| {
            let (code, legal_name) = named.get(&e.shopper_id)?;
            Some(Candidate {
                shopper_id: e.shopper_id,
                code: code.clone(),
                legal_name: legal_name.clone(),
                km: metres(e.km),
                rating: tenth(e.rating),
                open_assignments: super::model::MAX_OPEN.saturating_sub(e.capacity),
                completed: e.completed,
            })
        })
        .collect();
    let not_eligible = found
        .others
        .iter()
        .filter_map(|(id, km, unmet)| {
            let (code, legal_name) = named.get(id)?;
            Some(NotEligible {
                shopper_id: *id,
                code: code.clone(),
                legal_name: legal_name.clone(),
                km: metres(*km),
                reasons: unmet
                    .iter()
                    .map(|u| reason(u, *id, &found.names, &org_words, &tie_words, asked.unit))
                    .collect(),
            })
        })
        .collect();
    Ok((job, rules, eligible, not_eligible))
}

/// The lists from an engine of the job and the shoppers near its store, loaded now.
fn from_shoppers_near(
    conn: &mut DbConnection,
    keys: &Keys,
    asked: Asked,
    today: NaiveDate,
) -> AppResult<Found> {
    let matched = JobMatch::near(conn, keys, asked.job_id, today)?;
    let engine = &matched.engine;
    let shopper_of =
        |ix| super::snapshot::shopper_id_at(engine, ix).and_then(|id| matched.rows.get(&id));
    let mut eligible = Vec::new();
    for hit in engine.candidates(matched.job_ix, Some(asked.limit)) {
        if let (Some(row), Some(s)) = (shopper_of(hit.ix), engine.shopper(hit.ix)) {
            eligible.push(Candidate {
                shopper_id: row.user_id,
                code: row.code.clone(),
                legal_name: row.legal_name.clone(),
                km: metres(hit.km),
                rating: tenth(s.rating),
                open_assignments: super::model::MAX_OPEN.saturating_sub(s.capacity),
                completed: s.completed,
            });
        }
    }
    let mut not_eligible = Vec::new();
    for (hit, unmet) in engine.nearby_ineligible(matched.job_ix, asked.limit) {
        let Some(row) = shopper_of(hit.ix) else {
            continue;
        };
        not_eligible.push(NotEligible {
            shopper_id: row.user_id,
            code: row.code.clone(),
            legal_name: row.legal_name.clone(),
            km: metres(hit.km),
            reasons: matched.staff_reasons(row.user_id, &unmet, asked.unit),
        });
    }
    Ok((
        matched.job.clone(),
        matched.rules.clone(),
        eligible,
        not_eligible,
    ))
}

/// An unmet rule in staff's words; conflicts say what the organization is to the shopper and
/// to the client.
fn reason(
    unmet: &Unmet,
    shopper_id: ShopperId,
    symbols: &impl Names,
    org_words: &HashMap<String, String>,
    tie_words: &HashMap<(ShopperId, String), String>,
    unit: DistanceUnit,
) -> String {
    match unmet {
        Unmet::TooFar { km, limit_km } => format!(
            "too far by {} {} ({} {}, limit {} {})",
            unit.number(km - limit_km),
            unit.symbol(),
            unit.number(*km),
            unit.symbol(),
            unit.number(*limit_km),
            unit.symbol()
        ),
        Unmet::Conflict { organization } => {
            let key = symbols.name_of(*organization).to_string();
            let tie = tie_words
                .get(&(shopper_id, key.clone()))
                .cloned()
                .unwrap_or_else(|| key.clone());
            match org_words.get(&key) {
                Some(what) => format!("{tie}: {what}"),
                None => tie,
            }
        }
        Unmet::MissingLanguage(l) => format!(
            "does not speak {}",
            symbols.name_of(*l).trim_start_matches("lang:")
        ),
        Unmet::MissingCertification(c) => format!(
            "lacks the certification {}",
            symbols.name_of(*c).trim_start_matches("cert:")
        ),
        other => other.describe(symbols),
    }
}

/// (shopper, organization id, organization name, relation) of ties that still count.
pub(crate) fn ties_of(
    conn: &mut DbConnection,
    whose: Whose,
    today: NaiveDate,
) -> QueryResult<Vec<(ShopperId, i64, String, String)>> {
    let since = today
        .checked_sub_months(Months::new(CONFLICT_MONTHS_AFTER_END))
        .unwrap_or(today);
    let mut query = affiliations::table
        .inner_join(organizations::table)
        .select((
            affiliations::shopper_id,
            organizations::id,
            organizations::name,
            affiliations::relation,
            affiliations::ended_on,
        ))
        .into_boxed();
    match whose {
        Whose::Everyone => {}
        Whose::Only(ids) => query = query.filter(affiliations::shopper_id.eq_any(ids)),
        Whose::Between(first, last) => {
            query = query.filter(affiliations::shopper_id.between(first, last))
        }
    }
    let rows: Vec<(ShopperId, i64, String, String, Option<NaiveDate>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.4.is_none_or(|ended| ended >= since))
        .map(|(s, o, n, r, _)| (s, o, n, r))
        .collect())
}

/// (shopper, certification name) of certifications not expired.
pub(crate) fn certifications_of(
    conn: &mut DbConnection,
    whose: Whose,
    today: NaiveDate,
) -> QueryResult<Vec<(ShopperId, String)>> {
    let mut query = certifications::table
        .select((
            certifications::shopper_id,
            certifications::name,
            certifications::expires_on,
        ))
        .into_boxed();
    match whose {
        Whose::Everyone => {}
        Whose::Only(ids) => query = query.filter(certifications::shopper_id.eq_any(ids)),
        Whose::Between(first, last) => {
            query = query.filter(certifications::shopper_id.between(first, last))
        }
    }
    let rows: Vec<(ShopperId, String, Option<NaiveDate>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|c| c.2.is_none_or(|end| end >= today))
        .map(|(s, n, _)| (s, n))
        .collect())
}

/// (shopper, blocked name, words) of staff disqualifications from this client or store.
fn disqualifications_of(
    conn: &mut DbConnection,
    ids: &[ShopperId],
    client_id: ClientId,
    location_id: LocationId,
) -> QueryResult<Vec<(ShopperId, String, String)>> {
    let rows: Vec<(ShopperId, Option<LocationId>, String, NaiveDateTime)> =
        disqualifications::table
            .filter(disqualifications::shopper_id.eq_any(ids))
            .filter(disqualifications::client_id.eq(client_id))
            .select((
                disqualifications::shopper_id,
                disqualifications::location_id,
                disqualifications::reason,
                disqualifications::created_at,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|r| r.1.is_none_or(|l| l == location_id))
        .map(|(shopper, location, reason, on)| match location {
            None => (
                shopper,
                format!("disq:client:{client_id}"),
                format!("disqualified from this client on {}: {reason}", on.date()),
            ),
            Some(l) => (
                shopper,
                format!("disq:location:{l}"),
                format!("disqualified from this store on {}: {reason}", on.date()),
            ),
        })
        .collect())
}
