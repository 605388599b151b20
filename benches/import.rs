//! A CSV import of 50,000 stores, then of 50,000 jobs at them, and how long other writers wait
//! meanwhile.
//!
//! `cargo bench --bench import` runs on SQLite, and on PostgreSQL too when
//! `INCOGNITO_BENCH_POSTGRES_URL` names a server (a database is made and dropped). Each
//! backend runs both ways in the same run: row by row in one transaction (the import before
//! December 2026) and as the service imports now (rows staged in a temporary table, then one
//! statement). A writer beside the import inserts a row every 5 ms; the longest it waited is
//! the longest the import held the write lock. `INCOGNITO_BENCH_ROWS` changes the 50,000.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use incognito::clients::model::LocationInput;
use incognito::clients::{service, store};
use incognito::config::{DatabaseUrl, Secret, Settings};
use incognito::db::{DbPool, write_transaction};
use incognito::geocode::Geocoder;
use incognito::ids::ClientId;

fn csv(rows: usize, pass: usize) -> String {
    let mut text = String::from("code,name,street,city,state,zip\n");
    for n in 0..rows {
        text.push_str(&format!(
            "S{n:06},Store {n} ({pass}),{n} Broadway,New York,NY,10001\n"
        ));
    }
    text
}

/// Inserts a row every 5 ms until told to stop; returns the longest wait.
fn writer(pool: DbPool, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Duration> {
    std::thread::spawn(move || {
        let mut conn = pool.get().unwrap();
        let mut longest = Duration::ZERO;
        while !stop.load(Ordering::Relaxed) {
            let t = Instant::now();
            write_transaction::<_, diesel::result::Error, _>(&mut conn, |conn| {
                conn.batch_execute(
                    "INSERT INTO attempts (subject, attempted_at) VALUES ('bench', '2026-01-01 00:00:00')",
                )
            })
            .unwrap();
            longest = longest.max(t.elapsed());
            std::thread::sleep(Duration::from_millis(5));
        }
        longest
    })
}

fn client(pool: &DbPool) -> ClientId {
    let mut conn = pool.get().unwrap();
    let named = incognito::clients::model::OrganizationRef {
        organization_id: None,
        name: Some(format!("Bench {}", incognito::keys::random_token(4))),
    };
    service::create_client(&mut conn, &named, chrono::Utc::now().naive_utc())
        .unwrap()
        .0
        .id
}

/// The import as it was: every row upserted by itself, in one write transaction.
fn row_by_row(pool: &DbPool, client_id: ClientId, text: &str) {
    let rows = incognito::clients::csv_import::read(
        text,
        &["code", "name", "street", "city", "state", "zip"],
        &[],
    )
    .unwrap();
    let checked: Vec<_> = rows
        .iter()
        .map(|r| {
            LocationInput {
                client_id: Some(client_id),
                code: r.get("code").cloned(),
                name: r.get("name").cloned(),
                street: r.get("street").cloned(),
                city: r.get("city").cloned(),
                state: r.get("state").cloned(),
                zip: r.get("zip").cloned(),
                latitude: None,
                longitude: None,
            }
            .validate()
            .unwrap()
        })
        .collect();
    let now = chrono::Utc::now().naive_utc();
    let mut conn = pool.get().unwrap();
    write_transaction::<_, diesel::result::Error, _>(&mut conn, |conn| {
        for l in &checked {
            store::upsert_location(conn, client_id, l, now)?;
        }
        Ok(())
    })
    .unwrap();
}

fn job_csv(rows: usize, pass: usize) -> String {
    let today = chrono::Utc::now().date_naive();
    let start = today + chrono::Days::new(30 + pass as u64);
    let end = start + chrono::Days::new(10);
    let mut text = String::from("code,location_code,window_start,window_end\n");
    for n in 0..rows {
        text.push_str(&format!("J{n:06},S{n:06},{start},{end}\n"));
    }
    text
}

fn project(pool: &DbPool, client_id: ClientId) -> incognito::ids::ProjectId {
    let input: incognito::clients::model::ProjectInput = serde_json::from_value(serde_json::json!({
        "client_id": client_id, "name": "Bench", "max_km": 40, "rotation_days": 90, "fee_cents": 1500
    }))
    .unwrap();
    let mut conn = pool.get().unwrap();
    service::create_project(
        &mut conn,
        &input,
        incognito::money::Money::MAX_TYPED,
        chrono::Utc::now().naive_utc(),
    )
    .unwrap()
    .id
}

/// The job import as it was: every row upserted by itself, in one write transaction.
fn jobs_row_by_row(
    pool: &DbPool,
    client_id: ClientId,
    project_id: incognito::ids::ProjectId,
    rows: usize,
    pass: usize,
) {
    let mut conn = pool.get().unwrap();
    let stores: std::collections::HashMap<String, incognito::ids::LocationId> =
        store::list_locations(&mut conn, client_id)
            .unwrap()
            .into_iter()
            .map(|l| (l.code, l.id))
            .collect();
    let today = chrono::Utc::now().date_naive();
    let start = today + chrono::Days::new(30 + pass as u64);
    let values: Vec<store::JobValues> = (0..rows)
        .map(|n| store::JobValues {
            location_id: stores[&format!("S{n:06}")],
            code: format!("J{n:06}"),
            window_start: start,
            window_end: start + chrono::Days::new(10),
            fee_cents: incognito::money::Money::from_cents(1500),
            bonus_cents: incognito::money::Money::from_cents(0),
            reimbursement_cap_cents: incognito::money::Money::from_cents(0),
            max_km: None,
            min_age: None,
            max_age: None,
            vehicle: None,
            languages: None,
            certifications: None,
            min_rating: None,
            min_completed: None,
        })
        .collect();
    let now = chrono::Utc::now().naive_utc();
    write_transaction::<_, diesel::result::Error, _>(&mut conn, |conn| {
        for v in &values {
            store::upsert_job(conn, project_id, v, now)?;
        }
        Ok(())
    })
    .unwrap();
}

fn jobs_staged(pool: &DbPool, project_id: incognito::ids::ProjectId, text: &str, rows: usize) {
    let mut conn = pool.get().unwrap();
    let report = service::import_jobs(
        &mut conn,
        project_id,
        text,
        incognito::money::Money::MAX_TYPED,
        chrono::Utc::now().naive_utc(),
    )
    .unwrap();
    assert_eq!(
        report.created + report.updated,
        rows,
        "{:?}",
        report.errors.first()
    );
}

fn measure(label: &str, pool: &DbPool, run: impl FnOnce()) {
    let stop = Arc::new(AtomicBool::new(false));
    let w = writer(pool.clone(), stop.clone());
    std::thread::sleep(Duration::from_millis(50));
    let t = Instant::now();
    run();
    let took = t.elapsed();
    stop.store(true, Ordering::Relaxed);
    let longest = w.join().unwrap();
    println!(
        "| {label} | {:.2} s | {:.0} ms |",
        took.as_secs_f64(),
        longest.as_secs_f64() * 1000.0
    );
}

fn bench(backend: &str, settings: Settings, rows: usize) {
    let pool = incognito::startup::open_database(&settings).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let geocoder = Geocoder::from_settings(&settings);
    let mut last_projects = (
        incognito::ids::ProjectId::from(0),
        incognito::ids::ProjectId::from(0),
    );
    for pass in 0..2 {
        let what = if pass == 0 {
            "new stores"
        } else {
            "the same stores again (updates)"
        };
        let before = client(&pool);
        let text = csv(rows, pass);
        if pass == 1 {
            row_by_row(&pool, before, &csv(rows, 0));
        }
        measure(
            &format!("{backend}, {what}, row by row (before)"),
            &pool,
            || row_by_row(&pool, before, &text),
        );
        let now_client = client(&pool);
        if pass == 1 {
            let first = csv(rows, 0);
            runtime
                .block_on(service::import_locations(
                    &pool,
                    geocoder.clone(),
                    now_client,
                    first,
                    chrono::Utc::now().naive_utc(),
                ))
                .unwrap();
        }
        measure(&format!("{backend}, {what}, staged (now)"), &pool, || {
            let report = runtime
                .block_on(service::import_locations(
                    &pool,
                    geocoder.clone(),
                    now_client,
                    text.clone(),
                    chrono::Utc::now().naive_utc(),
                ))
                .unwrap();
            assert_eq!(report.created + report.updated, rows);
        });
        if pass == 1 {
            // Jobs at the stores of the two clients: new ones, then the same again.
            for (jobs_pass, what) in [(0, "new jobs"), (1, "the same jobs again (updates)")] {
                let (old_project, new_project) = if jobs_pass == 0 {
                    (project(&pool, before), project(&pool, now_client))
                } else {
                    (last_projects.0, last_projects.1)
                };
                last_projects = (old_project, new_project);
                measure(
                    &format!("{backend}, {what}, row by row (before)"),
                    &pool,
                    || jobs_row_by_row(&pool, before, old_project, rows, jobs_pass),
                );
                let text = job_csv(rows, jobs_pass);
                measure(&format!("{backend}, {what}, staged (now)"), &pool, || {
                    jobs_staged(&pool, new_project, &text, rows)
                });
            }
        }
    }
}

fn main() {
    let rows: usize = std::env::var("INCOGNITO_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    println!(
        "{rows} stores a file\n\n| import | time | longest wait of another writer |\n| --- | --- | --- |"
    );
    let dir = tempfile::tempdir().unwrap();
    bench("SQLite", Settings::defaults(dir.path()), rows);
    if let Ok(url) = std::env::var("INCOGNITO_BENCH_POSTGRES_URL") {
        let name = format!("incognito_bench_{}", std::process::id());
        let mut admin = diesel::PgConnection::establish(&url).unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let base = url.rsplit_once('/').map_or(url.as_str(), |(b, _)| b);
        let pg_dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::defaults(pg_dir.path());
        settings.database_url = DatabaseUrl::Postgres(Secret::new(format!("{base}/{name}")));
        bench("PostgreSQL", settings, rows);
        admin
            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .unwrap();
    }
}

use diesel::Connection as _;
