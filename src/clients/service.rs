//! Decisions about organizations and clients: one organization per normalised name, one client
//! per organization, competitors that are other organizations.

use crate::ids::{ClientId, LocationId, ProjectId, ShopperId, UserId};
use crate::money::Money;
use chrono::NaiveDateTime;
use diesel::OptionalExtension;

use std::collections::HashMap;

use super::csv_import::{self, ImportReport, RowError};
use super::model::{
    CheckedLocation, ClientView, JobInput, JobRow, Location, LocationInput, OrganizationRef,
    ProjectInput, ProjectRow, parse_organization_name,
};
use super::store;
use crate::db::{DbConnection, DbPool, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::geocode::Geocoder;
use crate::organizations::Organization;
use crate::organizations::store as organizations;
use crate::paging::{PageRequest, Paged};

/// The organization a request names: by id (which must exist) or by name (found or created).
pub fn resolve(
    conn: &mut DbConnection,
    named: &OrganizationRef,
    now: NaiveDateTime,
) -> AppResult<Organization> {
    match (named.organization_id, named.name.as_deref()) {
        (Some(id), None) => organizations::find_organization(conn, id)
            .optional()?
            .ok_or_else(|| AppError::field("organization_id", "no organization has this id")),
        (None, Some(name)) => {
            let name = parse_organization_name(name, "name")?;
            Ok(organizations::find_or_create_organization(conn, &name, now)?.0)
        }
        _ => Err(AppError::field(
            "organization_id",
            "send either organization_id or name",
        )),
    }
}

/// Creates (or finds, by normalised name) an organization; true when it was created.
pub fn create_organization(
    conn: &mut DbConnection,
    name: &str,
    friendly_competitor: bool,
    now: NaiveDateTime,
) -> AppResult<(Organization, bool)> {
    let name = parse_organization_name(name, "name")?;
    write_transaction(conn, |conn| {
        let (mut organization, created) =
            organizations::find_or_create_organization(conn, &name, now)?;
        if friendly_competitor && !organization.friendly_competitor {
            organizations::set_friendly_competitor(conn, organization.id, true)?;
            organization.friendly_competitor = true;
        }
        Ok((organization, created))
    })
}

/// Merges an organization entered twice into the one it is the same company as: `into` takes
/// over its client (refused when both are clients: their stores and projects are not merged
/// by a click), its places in competitor lists, the shoppers' affiliations (so conflict
/// checks keep working) and its friendly-competitor mark; then it is deleted. One
/// transaction: all of it or nothing.
pub fn merge_organizations(
    conn: &mut DbConnection,
    from: i64,
    into: i64,
) -> AppResult<Organization> {
    use crate::db::schema::{affiliations, client_competitors, clients, organizations as orgs};
    use diesel::prelude::*;
    if from == into {
        return Err(AppError::field(
            "into",
            "is this organization itself; name the other one",
        ));
    }
    write_transaction(conn, |conn| {
        let gone = organizations::find_organization(conn, from)
            .optional()?
            .ok_or_else(|| AppError::not_found("No organization has this id."))?;
        let kept = organizations::find_organization(conn, into)
            .optional()?
            .ok_or_else(|| AppError::field("into", "no organization has this id"))?;
        let gone_client = store::client_of_organization(conn, from)?;
        let kept_client = store::client_of_organization(conn, into)?;
        if let (Some(_), Some(_)) = (gone_client, kept_client) {
            return Err(AppError::conflict(
                "both_clients",
                format!(
                    "“{}” and “{}” are both clients, each with its own stores and projects; they cannot be merged here.",
                    gone.name, kept.name
                ),
            ));
        }
        if let Some(client) = gone_client {
            diesel::update(clients::table.find(client))
                .set(clients::organization_id.eq(into))
                .execute(conn)?;
            // The client is `into` now: it is not its own competitor.
            diesel::delete(client_competitors::table.find((client, into))).execute(conn)?;
        }
        // Competitor entries: moved, once per client, and never a client of itself.
        let entries: Vec<ClientId> = client_competitors::table
            .filter(client_competitors::organization_id.eq(from))
            .select(client_competitors::client_id)
            .load(conn)?;
        for client in entries {
            let held = client_competitors::table
                .find((client, into))
                .count()
                .get_result::<i64>(conn)?
                > 0;
            let own = store::client_of_organization(conn, into)? == Some(client);
            let entry = client_competitors::table.find((client, from));
            if held || own {
                diesel::delete(entry).execute(conn)?;
            } else {
                diesel::update(entry)
                    .set(client_competitors::organization_id.eq(into))
                    .execute(conn)?;
            }
        }
        diesel::update(affiliations::table.filter(affiliations::organization_id.eq(from)))
            .set(affiliations::organization_id.eq(into))
            .execute(conn)?;
        diesel::update(orgs::table.filter(orgs::same_as.eq(from)))
            .set(orgs::same_as.eq(into))
            .execute(conn)?;
        // The one that stays is not the same as itself.
        diesel::update(orgs::table.find(into).filter(orgs::same_as.eq(into)))
            .set(orgs::same_as.eq(None::<i64>))
            .execute(conn)?;
        if gone.friendly_competitor && !kept.friendly_competitor {
            organizations::set_friendly_competitor(conn, into, true)?;
        }
        diesel::delete(orgs::table.find(from)).execute(conn)?;
        Ok(organizations::find_organization(conn, into)?)
    })
}

/// Whether a job's window lies where a real one can: starting at most a year ago and ending
/// within two years from today (a year 0 or 9999 is a typing mistake).
fn window_in_reach(
    start: chrono::NaiveDate,
    end: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> bool {
    let earliest = today.checked_sub_months(chrono::Months::new(12));
    let latest = today.checked_add_months(chrono::Months::new(24));
    earliest.is_some_and(|e| start >= e) && latest.is_some_and(|l| end <= l)
}

/// What is wrong with an amount of cents sent to the API, if anything: negative, or above
/// `max` (the `INCOGNITO_MAX_FEE_DOLLARS` setting).
fn cents_problem(cents: i64, max: Money) -> Option<String> {
    if cents < 0 {
        Some("must not be negative".into())
    } else if cents > max.cents() {
        Some(format!(
            "must be at most {} ({} cents)",
            max.whole_dollars(),
            max.cents()
        ))
    } else {
        None
    }
}

pub fn client_view(conn: &mut DbConnection, client_id: ClientId) -> AppResult<ClientView> {
    let (id, organization_id, created_at) = store::find_client(conn, client_id)
        .optional()?
        .ok_or_else(|| AppError::not_found("No client has this id."))?;
    let organization = organizations::find_organization(conn, organization_id)?;
    Ok(ClientView {
        id,
        organization_id,
        name: organization.name,
        competitors: store::competitors_of(conn, id)?,
        created_at,
    })
}

/// Makes the named organization a client (once): (client, created).
pub fn create_client(
    conn: &mut DbConnection,
    named: &OrganizationRef,
    now: NaiveDateTime,
) -> AppResult<(ClientView, bool)> {
    write_transaction(conn, |conn| {
        let organization = resolve(conn, named, now)?;
        if let Some(id) = store::client_of_organization(conn, organization.id)? {
            return Ok((client_view(conn, id)?, false));
        }
        let id = store::insert_client(conn, organization.id, now)?;
        Ok((client_view(conn, id)?, true))
    })
}

/// Names a competitor of a client; a client cannot be its own competitor.
pub fn add_competitor(
    conn: &mut DbConnection,
    client_id: ClientId,
    named: &OrganizationRef,
    now: NaiveDateTime,
) -> AppResult<ClientView> {
    write_transaction(conn, |conn| {
        let (_, own, _) = store::find_client(conn, client_id)
            .optional()?
            .ok_or_else(|| AppError::not_found("No client has this id."))?;
        let organization = resolve(conn, named, now)?;
        if organization.id == own {
            return Err(AppError::field(
                "name",
                "a client cannot be its own competitor",
            ));
        }
        store::add_competitor(conn, client_id, organization.id, now)?;
        client_view(conn, client_id)
    })
}

/// The client a person typed, by name: the spelling does not matter (accents, case, legal
/// forms, look-alike letters; see `organizations::name_key`), nor does a client's number.
pub enum ClientNamed {
    Found(ClientId),
    /// No client has this name: the clients whose names contain what was typed (at most
    /// `SUGGESTED_CLIENTS`).
    Unknown(Vec<String>),
}

/// Most clients a refused name suggests, and a form's list offers.
pub const SUGGESTED_CLIENTS: i64 = 20;

pub fn client_named(conn: &mut DbConnection, typed: &str) -> AppResult<ClientNamed> {
    let key = crate::organizations::name_key(typed);
    if let Some(id) = store::client_by_key(conn, &key)? {
        return Ok(ClientNamed::Found(id));
    }
    if let Ok(number) = typed.trim().trim_start_matches('#').parse::<i64>()
        && let Some((id, _, _)) = store::find_client(conn, ClientId(number)).optional()?
    {
        return Ok(ClientNamed::Found(id));
    }
    Ok(ClientNamed::Unknown(client_suggestions(conn, typed)?))
}

/// The names a form's client field offers: the clients whose names contain `typed` (every
/// client when it is empty), at most `SUGGESTED_CLIENTS`, by name.
pub fn client_suggestions(conn: &mut DbConnection, typed: &str) -> AppResult<Vec<String>> {
    let part = if typed.trim().is_empty() {
        String::new()
    } else {
        crate::organizations::name_key(typed)
    };
    Ok(store::clients_keyed_like(conn, &part, SUGGESTED_CLIENTS)?
        .into_iter()
        .map(|(_, name)| name)
        .collect())
}

/// One page of the clients with their competitors, oldest first.
pub fn page_of_clients(conn: &mut DbConnection, page: PageRequest) -> AppResult<Paged<ClientView>> {
    let (ids, total) = store::client_ids_page(conn, page)?;
    let items = ids
        .into_iter()
        .map(|id| client_view(conn, id))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Paged::new(items, page, total))
}

fn find_client_or_field(
    conn: &mut DbConnection,
    client_id: ClientId,
    field: &str,
) -> AppResult<()> {
    store::find_client(conn, client_id)
        .optional()?
        .map(|_| ())
        .ok_or_else(|| AppError::field(field, "no client has this id"))
}

/// Adds one store; 409 when the client has a store with this code already. The fields are
/// checked first; the geocoder (when the input has no coordinates) then places the street
/// address holding no database connection; the write comes last.
pub async fn create_location(
    db: &DbPool,
    geocoder: Geocoder,
    input: LocationInput,
    now: NaiveDateTime,
) -> AppResult<Location> {
    let (client_id, checked) = match (input.client_id, input.validate()) {
        (Some(id), Ok(checked)) => (id, checked),
        (client_id, checked) => {
            let mut fields = checked.err().unwrap_or_default();
            if client_id.is_none() {
                fields.insert(0, FieldError::new("client_id", "is required"));
            }
            return Err(AppError::validation(fields));
        }
    };
    let checked = geocoder
        .run(move |g| {
            let mut checked = checked;
            checked.refine(g).map(|()| checked)
        })
        .await?
        .map_err(|e| AppError::validation(vec![e]))?;
    db.run(move |conn| {
        write_transaction(conn, |conn| {
            find_client_or_field(conn, client_id, "client_id")?;
            if store::location_by_code(conn, client_id, &checked.code)?.is_some() {
                return Err(AppError::conflict(
                    "already_exists",
                    format!(
                        "The client has a location with code {} already; a CSV import updates it.",
                        checked.code
                    ),
                ));
            }
            let (id, _) = store::upsert_location(conn, client_id, &checked, now)?;
            Ok(store::find_location(conn, id)?)
        })
    })
    .await
}

const LOCATION_COLUMNS: &[&str] = &["code", "name", "street", "city", "state", "zip"];

/// Imports a client's stores from CSV (columns `code,name,street,city,state,zip`, optionally
/// `latitude,longitude`); a row whose code is known updates that store. The rows are checked
/// and placed holding no database connection (a geocoder may take seconds a row); the good
/// ones are then written in one transaction.
pub async fn import_locations(
    db: &DbPool,
    geocoder: Geocoder,
    client_id: ClientId,
    text: String,
    now: NaiveDateTime,
) -> AppResult<ImportReport> {
    // An unknown client is one error, found before any address goes to a geocoder.
    db.run(move |conn| find_client_or_field(conn, client_id, "client_id"))
        .await?;
    let (good, mut report) = geocoder
        .run(move |g| check_locations(g, client_id, &text))
        .await??;
    // The rows are staged first, taking no write lock; one statement then writes them all in
    // a short transaction: all or nothing, and other writers wait only for that.
    db.run(move |conn| {
        store::stage_locations(conn, &good)?;
        write_transaction(conn, |conn| {
            find_client_or_field(conn, client_id, "client_id")?;
            let (created, updated) = store::merge_staged_locations(conn, client_id, now)?;
            report.created += created;
            report.updated += updated;
            Ok(report)
        })
    })
    .await
}

/// The rows of a store import that can be written, and the report of those that cannot.
fn check_locations(
    geocoder: &Geocoder,
    client_id: ClientId,
    text: &str,
) -> AppResult<(Vec<CheckedLocation>, ImportReport)> {
    let rows = csv_import::read(text, LOCATION_COLUMNS, &["latitude", "longitude"])?;
    let mut report = ImportReport::default();
    let mut good: Vec<CheckedLocation> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in &rows {
        let mut fields = Vec::new();
        let number = |name: &str, fields: &mut Vec<FieldError>| {
            row.get(name).and_then(|v| {
                v.parse::<f64>()
                    .map_err(|_| fields.push(FieldError::new(name, "must be a number")))
                    .ok()
            })
        };
        let latitude = number("latitude", &mut fields);
        let longitude = number("longitude", &mut fields);
        let input = LocationInput {
            client_id: Some(client_id),
            code: row.get("code").cloned(),
            name: row.get("name").cloned(),
            street: row.get("street").cloned(),
            city: row.get("city").cloned(),
            state: row.get("state").cloned(),
            zip: row.get("zip").cloned(),
            latitude,
            longitude,
        };
        match input.validate() {
            Ok(mut checked) if fields.is_empty() => {
                if let Some(first) = seen.insert(checked.code.clone(), row.line) {
                    report.errors.push(RowError {
                        line: row.line,
                        field: "code".into(),
                        message: format!("code {} is on line {first} already", checked.code),
                    });
                    continue;
                }
                match checked.refine(geocoder) {
                    Ok(()) => good.push(checked),
                    Err(e) => report
                        .errors
                        .extend(csv_import::row_errors(row.line, vec![e])),
                }
            }
            Ok(_) => report
                .errors
                .extend(csv_import::row_errors(row.line, fields)),
            Err(more) => {
                fields.extend(more);
                report
                    .errors
                    .extend(csv_import::row_errors(row.line, fields));
            }
        }
    }
    Ok((good, report))
}

fn names_json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// Trimmed, sorted, without repeats.
fn clean_names(list: Option<&Vec<String>>) -> Vec<String> {
    let mut names: Vec<String> = list
        .into_iter()
        .flatten()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Everything wrong with a new project, each bad field named (nothing is read or written).
pub fn project_errors(input: &ProjectInput, max: Money) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let requirements = input.requirements();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::new("name", "must be 1 to 200 characters"));
    }
    if requirements.max_km.is_none() {
        errors.push(FieldError::new("max_km", "is required"));
    }
    requirements.check(&mut errors);
    if !(0..=3650).contains(&input.rotation_days) {
        errors.push(FieldError::new("rotation_days", "must be 0 to 3650"));
    }
    for (field, cents) in [
        ("fee_cents", input.fee_cents),
        ("reimbursement_cap_cents", input.reimbursement_cap_cents),
    ] {
        if let Some(problem) = cents_problem(cents, max) {
            errors.push(FieldError::new(field, problem));
        }
    }
    let offer_hours = input.offer_hours.unwrap_or(48);
    if !(1..=720).contains(&offer_hours) {
        errors.push(FieldError::new("offer_hours", "must be 1 to 720"));
    }
    if input
        .self_assign_min_rating
        .is_some_and(|r| !(1.0..=10.0).contains(&r))
    {
        errors.push(FieldError::new("self_assign_min_rating", "must be 1 to 10"));
    }
    if input
        .report_grace_days
        .is_some_and(|d| !(0..=30).contains(&d))
    {
        errors.push(FieldError::new("report_grace_days", "must be 0 to 30"));
    }
    if input
        .photo_time_tolerance_minutes
        .is_some_and(|m| !(5..=1440).contains(&m))
    {
        errors.push(FieldError::new(
            "photo_time_tolerance_minutes",
            "must be 5 to 1,440 minutes",
        ));
    }
    if input
        .photo_distance_limit_m
        .is_some_and(|m| !(50..=50_000).contains(&m))
    {
        errors.push(FieldError::new(
            "photo_distance_limit_m",
            "must be 50 to 50,000 metres",
        ));
    }
    if input
        .review_limit_hours
        .is_some_and(|h| !(1..=720).contains(&h))
    {
        errors.push(FieldError::new(
            "review_limit_hours",
            "must be 1 to 720 hours",
        ));
    }
    if input
        .revision_hours
        .is_some_and(|h| !(1..=168).contains(&h))
    {
        errors.push(FieldError::new("revision_hours", "must be 1 to 168 hours"));
    }
    if input.dispute_days.is_some_and(|d| !(0..=90).contains(&d)) {
        errors.push(FieldError::new("dispute_days", "must be 0 to 90 days"));
    }
    if input.visit_minutes.is_some_and(|m| !(5..=480).contains(&m)) {
        errors.push(FieldError::new("visit_minutes", "must be 5 to 480 minutes"));
    }
    if input
        .alert_below_percent
        .is_some_and(|p| !(0..=100).contains(&p))
    {
        errors.push(FieldError::new(
            "alert_below_percent",
            "must be 0 to 100 percent",
        ));
    }
    let question = input.alert_question.as_deref().map(str::trim).unwrap_or("");
    let answers = input.alert_answers.as_deref().unwrap_or(&[]);
    if !question.is_empty() && answers.iter().all(|a| a.trim().is_empty()) {
        errors.push(FieldError::new(
            "alert_answers",
            "Name the answers that alert (for a yes/no question, no).",
        ));
    } else if question.is_empty() && answers.iter().any(|a| !a.trim().is_empty()) {
        errors.push(FieldError::new(
            "alert_question",
            "Name the question whose answers alert.",
        ));
    } else if question.chars().count() > 64 || answers.len() > 50 {
        errors.push(FieldError::new(
            "alert_answers",
            "Name one question and at most 50 answers.",
        ));
    }
    errors
}

pub fn create_project(
    conn: &mut DbConnection,
    input: &ProjectInput,
    max: Money,
    now: NaiveDateTime,
) -> AppResult<ProjectRow> {
    let errors = project_errors(input, max);
    let requirements = input.requirements();
    let name = input.name.trim();
    let offer_hours = input.offer_hours.unwrap_or(48);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let languages = names_json(&clean_names(requirements.languages.as_ref()));
    let certifications = names_json(&clean_names(requirements.certifications.as_ref()));
    let alert_question = input
        .alert_question
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty());
    let alert_answers: Vec<&str> = input
        .alert_answers
        .iter()
        .flatten()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .collect();
    let alert_answers = (!alert_answers.is_empty())
        .then(|| serde_json::to_string(&alert_answers).unwrap_or_default());
    write_transaction(conn, |conn| {
        find_client_or_field(conn, input.client_id, "client_id")?;
        let id = store::insert_project(
            conn,
            &store::NewProject {
                client_id: input.client_id,
                name,
                max_km: requirements.max_km.unwrap_or(50.0),
                min_age: requirements.min_age,
                max_age: requirements.max_age,
                vehicle: requirements.vehicle.unwrap_or(false),
                languages: &languages,
                certifications: &certifications,
                min_rating: requirements.min_rating,
                min_completed: requirements.min_completed.unwrap_or(0),
                rotation_days: input.rotation_days,
                fee_cents: Money::from_cents(input.fee_cents),
                reimbursement_cap_cents: Money::from_cents(input.reimbursement_cap_cents),
                show_client_name: input.show_client_name,
                offer_hours,
                self_assign_min_rating: input.self_assign_min_rating,
                report_grace_days: input.report_grace_days.unwrap_or(2),
                photo_time_tolerance_minutes: input.photo_time_tolerance_minutes.unwrap_or(120),
                photo_distance_limit_m: input.photo_distance_limit_m.unwrap_or(500),
                keep_photo_originals: input.keep_photo_originals,
                review_limit_hours: input.review_limit_hours.unwrap_or(48),
                auto_approve: input.auto_approve,
                revision_hours: input.revision_hours.unwrap_or(24),
                release_on_approval: input.release_on_approval.unwrap_or(true),
                dispute_days: input.dispute_days.unwrap_or(7),
                visit_minutes: input.visit_minutes.unwrap_or(30),
                alert_below_percent: input.alert_below_percent,
                alert_question,
                alert_answers: alert_answers.as_deref(),
            },
            now,
        )?;
        Ok(store::find_project(conn, id)?)
    })
}

/// Checks a job against its project; `location` is the store, found by the caller. A window
/// that is over already (it ended before `today`) is refused: nobody could take the job.
fn check_job(
    input: &JobInput,
    project: &ProjectRow,
    location_id: Option<LocationId>,
    code: String,
    today: chrono::NaiveDate,
    max: Money,
) -> Result<store::JobValues, Vec<FieldError>> {
    let mut errors = Vec::new();
    let overrides = input.requirements();
    overrides.check(&mut errors);
    let dates = match (input.window_start, input.window_end) {
        (Some(start), Some(end)) if !window_in_reach(start, end, today) => {
            errors.push(FieldError::new(
                "window_end",
                format!(
                    "the window must lie between a year ago and two years from today ({} to {})",
                    today - chrono::Months::new(12),
                    today + chrono::Months::new(24)
                ),
            ));
            None
        }
        (Some(_), Some(end)) if end < today => {
            errors.push(FieldError::new(
                "window_end",
                format!(
                    "the window is over already (it ended on {end}): end it on {today} or later"
                ),
            ));
            None
        }
        (Some(start), Some(end)) if start <= end => Some((start, end)),
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                "window_end",
                "must not be before window_start",
            ));
            None
        }
        (start, end) => {
            if start.is_none() {
                errors.push(FieldError::new("window_start", "is required (YYYY-MM-DD)"));
            }
            if end.is_none() {
                errors.push(FieldError::new("window_end", "is required (YYYY-MM-DD)"));
            }
            None
        }
    };
    for (field, cents) in [
        ("fee_cents", input.fee_cents),
        ("bonus_cents", input.bonus_cents),
        ("reimbursement_cap_cents", input.reimbursement_cap_cents),
    ] {
        if let Some(problem) = cents.and_then(|c| cents_problem(c, max)) {
            errors.push(FieldError::new(field, problem));
        }
    }
    if code.is_empty() || code.chars().count() > 50 {
        errors.push(FieldError::new("code", "must be 1 to 50 characters"));
    }
    match (location_id, dates) {
        (Some(location_id), Some((window_start, window_end))) if errors.is_empty() => {
            let languages = overrides
                .languages
                .as_ref()
                .map(|l| names_json(&clean_names(Some(l))));
            let certifications = overrides
                .certifications
                .as_ref()
                .map(|c| names_json(&clean_names(Some(c))));
            Ok(store::JobValues {
                location_id,
                code,
                window_start,
                window_end,
                fee_cents: input.fee_cents.map_or(project.fee_cents, Money::from_cents),
                bonus_cents: Money::from_cents(input.bonus_cents.unwrap_or(0)),
                reimbursement_cap_cents: input
                    .reimbursement_cap_cents
                    .map_or(project.reimbursement_cap_cents, Money::from_cents),
                max_km: overrides.max_km,
                min_age: overrides.min_age,
                max_age: overrides.max_age,
                vehicle: overrides.vehicle,
                languages,
                certifications,
                min_rating: overrides.min_rating,
                min_completed: overrides.min_completed,
            })
        }
        _ => Err(errors),
    }
}

fn project_or_field(conn: &mut DbConnection, project_id: ProjectId) -> AppResult<ProjectRow> {
    store::find_project(conn, project_id)
        .optional()?
        .ok_or_else(|| AppError::field("project_id", "no project has this id"))
}

pub fn create_job(
    conn: &mut DbConnection,
    input: &JobInput,
    max: Money,
    now: NaiveDateTime,
) -> AppResult<JobRow> {
    let Some(project_id) = input.project_id else {
        return Err(AppError::field("project_id", "is required"));
    };
    write_transaction(conn, |conn| {
        let project = project_or_field(conn, project_id)?;
        let location = match input.location_id {
            None => Err(FieldError::new("location_id", "is required")),
            Some(id) => match store::find_location(conn, id).optional()? {
                Some(l) if l.client_id == project.client_id => Ok(l.id),
                Some(_) => Err(FieldError::new(
                    "location_id",
                    "is a store of another client than the project's",
                )),
                None => Err(FieldError::new("location_id", "no location has this id")),
            },
        };
        let code = match &input.code {
            Some(code) => code.trim().to_string(),
            None => format!("J-{}", crate::keys::random_token(6)),
        };
        let (location_id, mut errors) = match location {
            Ok(id) => (Some(id), Vec::new()),
            Err(e) => (None, vec![e]),
        };
        let values = check_job(input, &project, location_id, code, now.date(), max);
        let values = match values {
            Ok(v) if errors.is_empty() => v,
            Ok(_) => return Err(AppError::validation(errors)),
            Err(more) => {
                errors.extend(more);
                return Err(AppError::validation(errors));
            }
        };
        if store::job_id_by_code(conn, project_id, &values.code)?.is_some() {
            return Err(AppError::conflict(
                "already_exists",
                format!("The project has a job with code {} already.", values.code),
            ));
        }
        let (id, _) = store::upsert_job(conn, project_id, &values, now)?;
        Ok(store::find_job(conn, id)?)
    })
}

const JOB_COLUMNS: &[&str] = &["code", "location_code", "window_start", "window_end"];
const JOB_OPTIONAL_COLUMNS: &[&str] = &[
    "fee_cents",
    "bonus_cents",
    "reimbursement_cap_cents",
    "max_km",
    "min_age",
    "max_age",
    "vehicle",
    "languages",
    "certifications",
    "min_rating",
    "min_completed",
];

/// One CSV cell parsed, or a field error naming it.
fn cell<T: std::str::FromStr>(
    row: &csv_import::Row,
    name: &str,
    what: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    row.get(name).and_then(|v| {
        v.parse::<T>()
            .map_err(|_| errors.push(FieldError::new(name, format!("must be {what}"))))
            .ok()
    })
}

/// Imports a project's jobs from CSV: `code,location_code,window_start,window_end`, and
/// optionally the fees and requirement overrides (lists separated by `;`). A row whose code
/// the project knows updates that job.
pub fn import_jobs(
    conn: &mut DbConnection,
    project_id: ProjectId,
    text: &str,
    max: Money,
    now: NaiveDateTime,
) -> AppResult<ImportReport> {
    let rows = csv_import::read(text, JOB_COLUMNS, JOB_OPTIONAL_COLUMNS)?;
    // The rows are checked and staged first, taking no write lock; one statement then writes
    // them all in a short transaction: all or nothing, and other writers wait only for that.
    let (good, mut report) = {
        let project = project_or_field(conn, project_id)?;
        let stores: HashMap<String, LocationId> = store::list_locations(conn, project.client_id)?
            .into_iter()
            .map(|l| (l.code, l.id))
            .collect();
        let mut report = ImportReport::default();
        let mut good = Vec::new();
        let mut seen: HashMap<String, u64> = HashMap::new();
        for row in &rows {
            let mut e = Vec::new();
            let list = |name: &str| {
                row.get(name).map(|v| {
                    v.split(';')
                        .map(|s| s.trim().to_string())
                        .collect::<Vec<_>>()
                })
            };
            let input = JobInput {
                project_id: Some(project_id),
                location_id: None,
                code: row.get("code").cloned(),
                window_start: cell(row, "window_start", "a date, YYYY-MM-DD", &mut e),
                window_end: cell(row, "window_end", "a date, YYYY-MM-DD", &mut e),
                fee_cents: cell(row, "fee_cents", "a whole number of cents", &mut e),
                bonus_cents: cell(row, "bonus_cents", "a whole number of cents", &mut e),
                reimbursement_cap_cents: cell(
                    row,
                    "reimbursement_cap_cents",
                    "a whole number of cents",
                    &mut e,
                ),
                max_km: cell(row, "max_km", "a number", &mut e),
                min_age: cell(row, "min_age", "a whole number", &mut e),
                max_age: cell(row, "max_age", "a whole number", &mut e),
                vehicle: cell(row, "vehicle", "true or false", &mut e),
                languages: list("languages"),
                certifications: list("certifications"),
                min_rating: cell(row, "min_rating", "a number", &mut e),
                min_completed: cell(row, "min_completed", "a whole number", &mut e),
            };
            let location = match row.get("location_code") {
                None => {
                    e.push(FieldError::new("location_code", "is required"));
                    None
                }
                Some(code) => stores.get(code).copied().or_else(|| {
                    e.push(FieldError::new(
                        "location_code",
                        format!("the client has no location with code {code}"),
                    ));
                    None
                }),
            };
            let Some(code) = row.get("code").map(|c| c.trim().to_string()) else {
                e.push(FieldError::new("code", "is required"));
                report.errors.extend(csv_import::row_errors(row.line, e));
                continue;
            };
            match check_job(&input, &project, location, code, now.date(), max) {
                Ok(values) if e.is_empty() => {
                    if let Some(first) = seen.insert(values.code.clone(), row.line) {
                        report.errors.push(RowError {
                            line: row.line,
                            field: "code".into(),
                            message: format!("code {} is on line {first} already", values.code),
                        });
                        continue;
                    }
                    good.push(values);
                }
                Ok(_) => report.errors.extend(csv_import::row_errors(row.line, e)),
                Err(more) => {
                    e.extend(more);
                    report.errors.extend(csv_import::row_errors(row.line, e));
                }
            }
        }
        (good, report)
    };
    store::stage_jobs(conn, &good)?;
    write_transaction(conn, |conn| {
        project_or_field(conn, project_id)?;
        let (created, updated) = store::merge_staged_jobs(conn, project_id, now)?;
        report.created += created;
        report.updated += updated;
        Ok(report)
    })
}

/// `POST /shoppers/{id}/disqualifications`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisqualificationRequest {
    pub client_id: ClientId,
    /// Only this store of the client; the whole client when left out.
    pub location_id: Option<LocationId>,
    /// Why; staff see it beside the shopper on the job's candidates.
    pub reason: String,
}

impl DisqualificationRequest {
    /// The problems that need no database: the reason.
    pub fn check(&self) -> Vec<FieldError> {
        let reason = self.reason.trim();
        if reason.is_empty() || reason.chars().count() > 1000 {
            vec![FieldError::new(
                "reason",
                "say why, in 1 to 1000 characters",
            )]
        } else {
            Vec::new()
        }
    }
}

/// Keeps a shopper away from a client's (or one store's) jobs, with a reason.
pub fn disqualify(
    conn: &mut DbConnection,
    staff_id: UserId,
    shopper_id: ShopperId,
    request: &DisqualificationRequest,
    now: NaiveDateTime,
) -> AppResult<()> {
    use crate::db::schema::disqualifications;
    use diesel::prelude::*;
    let reason = request.reason.trim();
    write_transaction(conn, |conn| {
        crate::panel::store::find_shopper(conn, shopper_id)?
            .ok_or_else(|| AppError::not_found("No shopper has this id."))?;
        // Every problem at once: the reason, the client, the store.
        let mut errors = request.check();
        let client = store::find_client(conn, request.client_id).optional()?;
        if client.is_none() {
            errors.push(FieldError::new("client_id", "no client has this id"));
        }
        if let Some(id) = request.location_id
            && client.is_some()
            && store::find_location(conn, id)
                .optional()?
                .is_none_or(|l| l.client_id != request.client_id)
        {
            errors.push(FieldError::new(
                "location_id",
                "is not a store of this client",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::validation(errors));
        }
        diesel::insert_into(disqualifications::table)
            .values((
                disqualifications::shopper_id.eq(shopper_id),
                disqualifications::client_id.eq(request.client_id),
                disqualifications::location_id.eq(request.location_id),
                disqualifications::reason.eq(reason),
                disqualifications::created_by.eq(staff_id),
                disqualifications::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })
}
