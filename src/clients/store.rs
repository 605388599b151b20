//! Client, competitor, store, project and job queries.

use crate::ids::{ClientId, JobId, LocationId, ProjectId};
use crate::money::Money;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use super::model::{CheckedLocation, JobRow, Location, ProjectRow};
use crate::clients::model::JobStatus;
use crate::db::schema::{client_competitors, clients, jobs, locations, organizations, projects};
use crate::db::{DbConnection, lower};
use crate::organizations::Organization;
use crate::paging::{PageRequest, Paged};

/// (client id, organization id, created at).
pub fn find_client(
    conn: &mut DbConnection,
    id: ClientId,
) -> QueryResult<(ClientId, i64, NaiveDateTime)> {
    clients::table
        .find(id)
        .select((clients::id, clients::organization_id, clients::created_at))
        .first(conn)
}

pub fn client_of_organization(
    conn: &mut DbConnection,
    organization_id: i64,
) -> QueryResult<Option<ClientId>> {
    clients::table
        .filter(clients::organization_id.eq(organization_id))
        .select(clients::id)
        .first(conn)
        .optional()
}

pub fn insert_client(
    conn: &mut DbConnection,
    organization_id: i64,
    now: NaiveDateTime,
) -> QueryResult<ClientId> {
    diesel::insert_into(clients::table)
        .values((
            clients::organization_id.eq(organization_id),
            clients::created_at.eq(now),
        ))
        .returning(clients::id)
        .get_result(conn)
}

/// The client whose organization's key is `key` (see `organizations::name_key`).
pub fn client_by_key(conn: &mut DbConnection, key: &str) -> QueryResult<Option<ClientId>> {
    clients::table
        .inner_join(organizations::table)
        .filter(organizations::name_key.eq(key))
        .select(clients::id)
        .first(conn)
        .optional()
}

/// At most `limit` clients whose organization's key contains `part` (every client when it is
/// empty), by key: (id, name).
pub fn clients_keyed_like(
    conn: &mut DbConnection,
    part: &str,
    limit: i64,
) -> QueryResult<Vec<(ClientId, String)>> {
    let mut query = clients::table
        .inner_join(organizations::table)
        .order((organizations::name_key.asc(), clients::id.asc()))
        .select((clients::id, organizations::name))
        .limit(limit)
        .into_boxed();
    if !part.is_empty() {
        query = query.filter(
            organizations::name_key
                .like(crate::db::contains_pattern(part))
                .escape('\\'),
        );
    }
    query.load(conn)
}

/// The names of these clients: (id, name).
pub fn client_names(
    conn: &mut DbConnection,
    ids: &[ClientId],
) -> QueryResult<Vec<(ClientId, String)>> {
    clients::table
        .inner_join(organizations::table)
        .filter(clients::id.eq_any(ids))
        .select((clients::id, organizations::name))
        .load(conn)
}

pub fn client_ids(conn: &mut DbConnection) -> QueryResult<Vec<ClientId>> {
    clients::table
        .order(clients::id.asc())
        .select(clients::id)
        .load(conn)
}

/// One page of the clients' ids, oldest first, and how many clients there are.
pub fn client_ids_page(
    conn: &mut DbConnection,
    page: PageRequest,
) -> QueryResult<(Vec<ClientId>, i64)> {
    let total = clients::table.count().get_result(conn)?;
    let ids = clients::table
        .order(clients::id.asc())
        .offset(page.offset())
        .limit(page.limit())
        .select(clients::id)
        .load(conn)?;
    Ok((ids, total))
}

pub fn competitors_of(
    conn: &mut DbConnection,
    client_id: ClientId,
) -> QueryResult<Vec<Organization>> {
    client_competitors::table
        .inner_join(organizations::table)
        .filter(client_competitors::client_id.eq(client_id))
        .order(organizations::name_key.asc())
        .select(Organization::as_select())
        .load(conn)
}

/// Adds a competitor unless it is named already; true when added.
pub fn add_competitor(
    conn: &mut DbConnection,
    client_id: ClientId,
    organization_id: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let known: bool = diesel::select(diesel::dsl::exists(
        client_competitors::table
            .filter(client_competitors::client_id.eq(client_id))
            .filter(client_competitors::organization_id.eq(organization_id)),
    ))
    .get_result(conn)?;
    if known {
        return Ok(false);
    }
    diesel::insert_into(client_competitors::table)
        .values((
            client_competitors::client_id.eq(client_id),
            client_competitors::organization_id.eq(organization_id),
            client_competitors::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

// Locations

pub fn find_location(conn: &mut DbConnection, id: LocationId) -> QueryResult<Location> {
    locations::table
        .find(id)
        .select(Location::as_select())
        .first(conn)
}

pub fn location_by_code(
    conn: &mut DbConnection,
    client_id: ClientId,
    code: &str,
) -> QueryResult<Option<Location>> {
    locations::table
        .filter(locations::client_id.eq(client_id))
        .filter(locations::code.eq(code))
        .select(Location::as_select())
        .first(conn)
        .optional()
}

pub fn list_locations(conn: &mut DbConnection, client_id: ClientId) -> QueryResult<Vec<Location>> {
    locations::table
        .filter(locations::client_id.eq(client_id))
        .order(locations::code.asc())
        .select(Location::as_select())
        .load(conn)
}

/// One page of a client's stores, by code.
pub fn page_of_locations(
    conn: &mut DbConnection,
    client_id: ClientId,
    page: PageRequest,
) -> QueryResult<Paged<Location>> {
    let total = locations::table
        .filter(locations::client_id.eq(client_id))
        .count()
        .get_result(conn)?;
    let items = locations::table
        .filter(locations::client_id.eq(client_id))
        .order((locations::code.asc(), locations::id.asc()))
        .offset(page.offset())
        .limit(page.limit())
        .select(Location::as_select())
        .load(conn)?;
    Ok(Paged::new(items, page, total))
}

/// How a client's stores are listed on a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LocationSort {
    #[default]
    Code,
    Name,
    City,
}

impl LocationSort {
    pub fn parse(value: &str) -> Option<LocationSort> {
        match value {
            "code" => Some(LocationSort::Code),
            "name" => Some(LocationSort::Name),
            "city" => Some(LocationSort::City),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LocationSort::Code => "code",
            LocationSort::Name => "name",
            LocationSort::City => "city",
        }
    }
}

/// The client's stores whose code, name, city or ZIP contains `q` (any case), as a boxed query.
macro_rules! matching_locations {
    ($client_id:expr, $q:expr) => {{
        let mut query = locations::table
            .filter(locations::client_id.eq($client_id))
            .into_boxed();
        if let Some(q) = $q.filter(|q: &&str| !q.trim().is_empty()) {
            let p = crate::db::contains_pattern(q);
            // A store's name is found however it is typed (accents, case, look-alike letters).
            let named = crate::db::contains_pattern(&crate::text::search_key(q));
            query = query.filter(
                lower(locations::code)
                    .like(p.clone())
                    .escape('\\')
                    .or(locations::name_key.like(named).escape('\\'))
                    .or(lower(locations::city).like(p.clone()).escape('\\'))
                    .or(locations::zip.like(p).escape('\\')),
            );
        }
        query
    }};
}

/// One page of the client's stores matching `q`, in `sort` order, and how many match in all.
pub fn page_locations(
    conn: &mut DbConnection,
    client_id: ClientId,
    q: Option<&str>,
    sort: LocationSort,
    offset: i64,
    limit: i64,
) -> QueryResult<(Vec<Location>, i64)> {
    let total: i64 = matching_locations!(client_id, q).count().get_result(conn)?;
    let query = matching_locations!(client_id, q);
    let query = match sort {
        LocationSort::Code => query.order(locations::code.asc()),
        LocationSort::Name => query.order((locations::name.asc(), locations::code.asc())),
        LocationSort::City => query.order((
            locations::state.asc(),
            locations::city.asc(),
            locations::code.asc(),
        )),
    };
    let rows = query
        .offset(offset)
        .limit(limit)
        .select(Location::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Fills the name key of stores made before it existed (see migration 8): run at start, it
/// touches nothing when every store has one. Returns how many it filled.
pub fn key_store_names(conn: &mut DbConnection) -> QueryResult<usize> {
    let mut filled = 0;
    loop {
        let rows: Vec<(LocationId, String)> = locations::table
            .filter(locations::name_key.eq(""))
            .order(locations::id.asc())
            .select((locations::id, locations::name))
            .limit(1000)
            .load(conn)?;
        if rows.is_empty() {
            return Ok(filled);
        }
        crate::db::write_transaction(conn, |conn| {
            for (id, name) in &rows {
                // A name whose key is empty (no letters at all) is keyed by a space.
                let key = crate::text::search_key(name);
                let key = if key.is_empty() { " ".to_string() } else { key };
                diesel::update(locations::table.find(*id))
                    .set(locations::name_key.eq(key))
                    .execute(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        filled += rows.len();
    }
}

/// Adds the location, or updates the one with the same code: (id, created).
pub fn upsert_location(
    conn: &mut DbConnection,
    client_id: ClientId,
    l: &CheckedLocation,
    now: NaiveDateTime,
) -> QueryResult<(LocationId, bool)> {
    let values = (
        locations::name.eq(&l.name),
        locations::name_key.eq(crate::text::search_key(&l.name)),
        locations::street.eq(&l.street),
        locations::city.eq(&l.city),
        locations::state.eq(&l.state),
        locations::zip.eq(&l.zip),
        locations::latitude.eq(l.coordinates.lat()),
        locations::longitude.eq(l.coordinates.lon()),
        locations::updated_at.eq(now),
    );
    if let Some(existing) = location_by_code(conn, client_id, &l.code)? {
        diesel::update(locations::table.find(existing.id))
            .set(values)
            .execute(conn)?;
        return Ok((existing.id, false));
    }
    let id = diesel::insert_into(locations::table)
        .values((
            locations::client_id.eq(client_id),
            locations::code.eq(&l.code),
            values,
            locations::created_at.eq(now),
        ))
        .returning(locations::id)
        .get_result(conn)?;
    Ok((id, true))
}

diesel::table! {
    /// A store import's rows before they are written: a temporary table, one per connection,
    /// so that filling it takes no lock that other writers wait for.
    import_locations (code) {
        code -> Text,
        name -> Text,
        name_key -> Text,
        street -> Text,
        city -> Text,
        state -> Text,
        zip -> Text,
        latitude -> Double,
        longitude -> Double,
    }
}

diesel::allow_tables_to_appear_in_same_query!(import_locations, locations);

/// Stages an import's checked rows in `import_locations` (made afresh), in batches, holding
/// no write lock of the database's own tables.
pub fn stage_locations(conn: &mut DbConnection, rows: &[CheckedLocation]) -> QueryResult<()> {
    drop_staging(conn, "import_locations")?;
    conn.batch_execute(
        "CREATE TEMPORARY TABLE import_locations (
            code TEXT PRIMARY KEY NOT NULL,
            name TEXT NOT NULL,
            name_key TEXT NOT NULL,
            street TEXT NOT NULL,
            city TEXT NOT NULL,
            state TEXT NOT NULL,
            zip TEXT NOT NULL,
            latitude DOUBLE PRECISION NOT NULL,
            longitude DOUBLE PRECISION NOT NULL
        )",
    )?;
    // Many rows a statement, in one transaction of the temporary table. Batch inserts are
    // made on each backend's own connection (the two-backend connection has none).
    for chunk in rows.chunks(STAGE_BATCH) {
        let values: Vec<_> = chunk
            .iter()
            .map(|l| {
                (
                    import_locations::code.eq(&l.code),
                    import_locations::name.eq(&l.name),
                    import_locations::name_key.eq(crate::text::search_key(&l.name)),
                    import_locations::street.eq(&l.street),
                    import_locations::city.eq(&l.city),
                    import_locations::state.eq(&l.state),
                    import_locations::zip.eq(&l.zip),
                    import_locations::latitude.eq(l.coordinates.lat()),
                    import_locations::longitude.eq(l.coordinates.lon()),
                )
            })
            .collect();
        let insert = diesel::insert_into(import_locations::table).values(values);
        match conn {
            DbConnection::Sqlite(c) => insert.execute(c)?,
            DbConnection::Postgresql(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// Rows a staging insert carries: at most 15 values each, within SQLite's 32,766 bound
/// parameters and PostgreSQL's 65,535.
const STAGE_BATCH: usize = 1000;

/// Writes the staged rows into the client's stores in one statement (a store with the same
/// code is updated): the caller's write transaction is short however many rows there are.
/// Returns (created, updated).
pub fn merge_staged_locations(
    conn: &mut DbConnection,
    client_id: ClientId,
    now: NaiveDateTime,
) -> QueryResult<(usize, usize)> {
    let staged: i64 = import_locations::table.count().get_result(conn)?;
    let known: i64 = locations::table
        .filter(locations::client_id.eq(client_id))
        .filter(locations::code.eq_any(import_locations::table.select(import_locations::code)))
        .count()
        .get_result(conn)?;
    let at = timestamp_literal(conn, now);
    // Only the client's id (a number) and the time are written into the text; every value
    // of the file comes from the staging table.
    let client = client_id.0;
    conn.batch_execute(&format!(
        "INSERT INTO locations (client_id, code, name, name_key, street, city, state, zip, latitude, longitude, created_at, updated_at)
         SELECT {client}, code, name, name_key, street, city, state, zip, latitude, longitude, {at}, {at}
         FROM import_locations WHERE true
         ON CONFLICT (client_id, code) DO UPDATE SET
            name = excluded.name, name_key = excluded.name_key, street = excluded.street, city = excluded.city,
            state = excluded.state, zip = excluded.zip, latitude = excluded.latitude,
            longitude = excluded.longitude, updated_at = excluded.updated_at"
    ))?;
    drop_staging(conn, "import_locations")?;
    let staged = usize::try_from(staged).unwrap_or(0);
    let known = usize::try_from(known).unwrap_or(0);
    Ok((staged - known.min(staged), known))
}

// Projects

pub fn find_project(conn: &mut DbConnection, id: ProjectId) -> QueryResult<ProjectRow> {
    projects::table
        .find(id)
        .select(ProjectRow::as_select())
        .first(conn)
}

/// One page of a client's projects, oldest first.
pub fn list_projects(
    conn: &mut DbConnection,
    client_id: ClientId,
    page: PageRequest,
) -> QueryResult<Paged<ProjectRow>> {
    let total = projects::table
        .filter(projects::client_id.eq(client_id))
        .count()
        .get_result(conn)?;
    let items = projects::table
        .filter(projects::client_id.eq(client_id))
        .order(projects::id.asc())
        .offset(page.offset())
        .limit(page.limit())
        .select(ProjectRow::as_select())
        .load(conn)?;
    Ok(Paged::new(items, page, total))
}

pub struct NewProject<'a> {
    pub client_id: ClientId,
    pub name: &'a str,
    pub max_km: f64,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub vehicle: bool,
    pub languages: &'a str,
    pub certifications: &'a str,
    pub min_rating: Option<f64>,
    pub min_completed: i32,
    pub rotation_days: i32,
    pub fee_cents: Money,
    pub reimbursement_cap_cents: Money,
    pub show_client_name: bool,
    pub offer_hours: i32,
    pub self_assign_min_rating: Option<f64>,
    pub report_grace_days: i32,
    pub photo_time_tolerance_minutes: i32,
    pub photo_distance_limit_m: i32,
    pub keep_photo_originals: bool,
    pub review_limit_hours: i32,
    pub auto_approve: bool,
    pub revision_hours: i32,
    pub release_on_approval: bool,
    pub dispute_days: i32,
    pub visit_minutes: i32,
    pub alert_below_percent: Option<i32>,
    pub alert_question: Option<&'a str>,
    pub alert_answers: Option<&'a str>,
}

pub fn insert_project(
    conn: &mut DbConnection,
    p: &NewProject<'_>,
    now: NaiveDateTime,
) -> QueryResult<ProjectId> {
    diesel::insert_into(projects::table)
        .values((
            (
                projects::client_id.eq(p.client_id),
                projects::name.eq(p.name),
                projects::max_km.eq(p.max_km),
                projects::min_age.eq(p.min_age),
                projects::max_age.eq(p.max_age),
                projects::vehicle.eq(p.vehicle),
                projects::languages.eq(p.languages),
                projects::certifications.eq(p.certifications),
            ),
            (
                projects::min_rating.eq(p.min_rating),
                projects::min_completed.eq(p.min_completed),
                projects::rotation_days.eq(p.rotation_days),
                projects::fee_cents.eq(p.fee_cents),
                projects::reimbursement_cap_cents.eq(p.reimbursement_cap_cents),
                projects::show_client_name.eq(p.show_client_name),
                projects::created_at.eq(now),
            ),
            (
                projects::offer_hours.eq(p.offer_hours),
                projects::self_assign_min_rating.eq(p.self_assign_min_rating),
                projects::report_grace_days.eq(p.report_grace_days),
                projects::photo_time_tolerance_minutes.eq(p.photo_time_tolerance_minutes),
                projects::photo_distance_limit_m.eq(p.photo_distance_limit_m),
                projects::keep_photo_originals.eq(p.keep_photo_originals),
                projects::review_limit_hours.eq(p.review_limit_hours),
                projects::auto_approve.eq(p.auto_approve),
                projects::revision_hours.eq(p.revision_hours),
                projects::release_on_approval.eq(p.release_on_approval),
            ),
            (
                projects::dispute_days.eq(p.dispute_days),
                projects::visit_minutes.eq(p.visit_minutes),
                projects::alert_below_percent.eq(p.alert_below_percent),
                projects::alert_question.eq(p.alert_question),
                projects::alert_answers.eq(p.alert_answers),
            ),
        ))
        .returning(projects::id)
        .get_result(conn)
}

// Jobs

/// Opens or closes a job.
pub fn set_job_status(
    conn: &mut DbConnection,
    id: JobId,
    status: JobStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(jobs::table.find(id))
        .set((jobs::status.eq(status), jobs::updated_at.eq(now)))
        .execute(conn)
        .map(|_| ())
}

pub fn find_job(conn: &mut DbConnection, id: JobId) -> QueryResult<JobRow> {
    jobs::table.find(id).select(JobRow::as_select()).first(conn)
}

/// One page of a project's jobs, oldest first.
pub fn list_jobs(
    conn: &mut DbConnection,
    project_id: ProjectId,
    page: PageRequest,
) -> QueryResult<Paged<JobRow>> {
    let total = jobs::table
        .filter(jobs::project_id.eq(project_id))
        .count()
        .get_result(conn)?;
    let items = jobs::table
        .filter(jobs::project_id.eq(project_id))
        .order(jobs::id.asc())
        .offset(page.offset())
        .limit(page.limit())
        .select(JobRow::as_select())
        .load(conn)?;
    Ok(Paged::new(items, page, total))
}

pub fn job_id_by_code(
    conn: &mut DbConnection,
    project_id: ProjectId,
    code: &str,
) -> QueryResult<Option<JobId>> {
    jobs::table
        .filter(jobs::project_id.eq(project_id))
        .filter(jobs::code.eq(code))
        .select(jobs::id)
        .first(conn)
        .optional()
}

/// A job's values, checked, with its requirement overrides encoded.
pub struct JobValues {
    pub location_id: LocationId,
    pub code: String,
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub fee_cents: Money,
    pub bonus_cents: Money,
    pub reimbursement_cap_cents: Money,
    pub max_km: Option<f64>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub vehicle: Option<bool>,
    pub languages: Option<String>,
    pub certifications: Option<String>,
    pub min_rating: Option<f64>,
    pub min_completed: Option<i32>,
}

diesel::table! {
    /// A job import's rows before they are written (a temporary table, as `import_locations`).
    import_jobs (code) {
        code -> Text,
        location_id -> BigInt,
        window_start -> Date,
        window_end -> Date,
        fee_cents -> BigInt,
        bonus_cents -> BigInt,
        reimbursement_cap_cents -> BigInt,
        max_km -> Nullable<Double>,
        min_age -> Nullable<Integer>,
        max_age -> Nullable<Integer>,
        vehicle -> Nullable<Bool>,
        languages -> Nullable<Text>,
        certifications -> Nullable<Text>,
        min_rating -> Nullable<Double>,
        min_completed -> Nullable<Integer>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(import_jobs, jobs);

/// Stages a job import's checked rows in `import_jobs` (made afresh), in batches, holding no
/// write lock of the service's own tables.
pub fn stage_jobs(conn: &mut DbConnection, rows: &[JobValues]) -> QueryResult<()> {
    drop_staging(conn, "import_jobs")?;
    conn.batch_execute(
        "CREATE TEMPORARY TABLE import_jobs (
            code TEXT PRIMARY KEY NOT NULL,
            location_id BIGINT NOT NULL,
            window_start DATE NOT NULL,
            window_end DATE NOT NULL,
            fee_cents BIGINT NOT NULL,
            bonus_cents BIGINT NOT NULL,
            reimbursement_cap_cents BIGINT NOT NULL,
            max_km DOUBLE PRECISION,
            min_age INTEGER,
            max_age INTEGER,
            vehicle BOOLEAN,
            languages TEXT,
            certifications TEXT,
            min_rating DOUBLE PRECISION,
            min_completed INTEGER
        )",
    )?;
    // 15 values a row: 1,000 rows stay within SQLite's 32,766 bound parameters.
    for chunk in rows.chunks(STAGE_BATCH) {
        let values: Vec<_> = chunk
            .iter()
            .map(|j| {
                (
                    (
                        import_jobs::code.eq(&j.code),
                        import_jobs::location_id.eq(j.location_id),
                        import_jobs::window_start.eq(j.window_start),
                        import_jobs::window_end.eq(j.window_end),
                        import_jobs::fee_cents.eq(j.fee_cents.cents()),
                        import_jobs::bonus_cents.eq(j.bonus_cents.cents()),
                        import_jobs::reimbursement_cap_cents.eq(j.reimbursement_cap_cents.cents()),
                        import_jobs::max_km.eq(j.max_km),
                    ),
                    (
                        import_jobs::min_age.eq(j.min_age),
                        import_jobs::max_age.eq(j.max_age),
                        import_jobs::vehicle.eq(j.vehicle),
                        import_jobs::languages.eq(&j.languages),
                        import_jobs::certifications.eq(&j.certifications),
                        import_jobs::min_rating.eq(j.min_rating),
                        import_jobs::min_completed.eq(j.min_completed),
                    ),
                )
            })
            .collect();
        let insert = diesel::insert_into(import_jobs::table).values(values);
        match conn {
            DbConnection::Sqlite(c) => insert.execute(c)?,
            DbConnection::Postgresql(c) => insert.execute(c)?,
        };
    }
    Ok(())
}

/// Writes the staged jobs into the project in one statement (a job with the same code is
/// updated, its status and creation kept): the caller's write transaction is short however
/// many rows there are. Returns (created, updated).
pub fn merge_staged_jobs(
    conn: &mut DbConnection,
    project_id: ProjectId,
    now: NaiveDateTime,
) -> QueryResult<(usize, usize)> {
    let staged: i64 = import_jobs::table.count().get_result(conn)?;
    let known: i64 = jobs::table
        .filter(jobs::project_id.eq(project_id))
        .filter(jobs::code.eq_any(import_jobs::table.select(import_jobs::code)))
        .count()
        .get_result(conn)?;
    let at = timestamp_literal(conn, now);
    // Only the project's id (a number) and the time are written into the text; every value
    // of the file comes from the staging table.
    let project = project_id.0;
    conn.batch_execute(&format!(
        "INSERT INTO jobs (project_id, location_id, code, window_start, window_end, fee_cents,
            bonus_cents, reimbursement_cap_cents, max_km, min_age, max_age, vehicle, languages,
            certifications, min_rating, min_completed, status, created_at, updated_at)
         SELECT {project}, location_id, code, window_start, window_end, fee_cents, bonus_cents,
            reimbursement_cap_cents, max_km, min_age, max_age, vehicle, languages,
            certifications, min_rating, min_completed, 'open', {at}, {at}
         FROM import_jobs WHERE true
         ON CONFLICT (project_id, code) DO UPDATE SET
            location_id = excluded.location_id, window_start = excluded.window_start,
            window_end = excluded.window_end, fee_cents = excluded.fee_cents,
            bonus_cents = excluded.bonus_cents,
            reimbursement_cap_cents = excluded.reimbursement_cap_cents,
            max_km = excluded.max_km, min_age = excluded.min_age, max_age = excluded.max_age,
            vehicle = excluded.vehicle, languages = excluded.languages,
            certifications = excluded.certifications, min_rating = excluded.min_rating,
            min_completed = excluded.min_completed, updated_at = excluded.updated_at"
    ))?;
    drop_staging(conn, "import_jobs")?;
    let staged = usize::try_from(staged).unwrap_or(0);
    let known = usize::try_from(known).unwrap_or(0).min(staged);
    Ok((staged - known, known))
}

/// Drops this connection's temporary staging table `name`, if it has one.
fn drop_staging(conn: &mut DbConnection, name: &str) -> QueryResult<()> {
    let schema = match conn {
        DbConnection::Sqlite(_) => "temp",
        DbConnection::Postgresql(_) => "pg_temp",
    };
    conn.batch_execute(&format!("DROP TABLE IF EXISTS {schema}.{name}"))
}

/// `now` as an SQL literal of a TIMESTAMP on this connection's backend.
fn timestamp_literal(conn: &DbConnection, now: NaiveDateTime) -> String {
    let stamp = now.format("%Y-%m-%d %H:%M:%S%.6f");
    match conn {
        DbConnection::Sqlite(_) => format!("'{stamp}'"),
        DbConnection::Postgresql(_) => format!("'{stamp}'::timestamp"),
    }
}

/// Adds the job, or updates the one with the same code in the project: (id, created).
pub fn upsert_job(
    conn: &mut DbConnection,
    project_id: ProjectId,
    j: &JobValues,
    now: NaiveDateTime,
) -> QueryResult<(JobId, bool)> {
    let values = (
        (
            jobs::location_id.eq(j.location_id),
            jobs::window_start.eq(j.window_start),
            jobs::window_end.eq(j.window_end),
            jobs::fee_cents.eq(j.fee_cents),
            jobs::bonus_cents.eq(j.bonus_cents),
            jobs::reimbursement_cap_cents.eq(j.reimbursement_cap_cents),
            jobs::max_km.eq(j.max_km),
            jobs::min_age.eq(j.min_age),
        ),
        (
            jobs::max_age.eq(j.max_age),
            jobs::vehicle.eq(j.vehicle),
            jobs::languages.eq(&j.languages),
            jobs::certifications.eq(&j.certifications),
            jobs::min_rating.eq(j.min_rating),
            jobs::min_completed.eq(j.min_completed),
            jobs::updated_at.eq(now),
        ),
    );
    if let Some(id) = job_id_by_code(conn, project_id, &j.code)? {
        diesel::update(jobs::table.find(id))
            .set(values)
            .execute(conn)?;
        return Ok((id, false));
    }
    let id = diesel::insert_into(jobs::table)
        .values((
            (
                jobs::project_id.eq(project_id),
                jobs::code.eq(&j.code),
                jobs::status.eq(JobStatus::Open),
                jobs::created_at.eq(now),
            ),
            values,
        ))
        .returning(jobs::id)
        .get_result(conn)?;
    Ok((id, true))
}
