//! The test harness: `spawn_app` starts the service with its own data directory and its own
//! database (a fresh PostgreSQL database per test, dropped afterwards), and typed helpers.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use incognito::app::Application;
use incognito::clock::Clock;
use incognito::config::{DatabaseUrl, MailUrl, Secret, Settings};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tempfile::TempDir;

pub const STRONG_PASSWORD: &str = "correct horse battery staple";
pub const OTHER_STRONG_PASSWORD: &str = "violet tugboat umbrella quarry";

/// Runs each named scenario `async fn name(backend: Backend)` as two tests,
/// `on_sqlite::name` and `on_postgres::name`.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario($crate::helpers::Backend::Sqlite).await;
            })*
        }
        mod on_postgres {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario($crate::helpers::Backend::Postgres).await;
            })*
        }
    };
}
pub(crate) use on_both_backends;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// A test service's variable: its value, or None (skip) off CI, or a failure under CI.
pub fn required_var(name: &str, test: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Some(v),
        _ if in_ci() => panic!("{name} is not set, and CI=true: {test} must not be skipped"),
        _ => {
            // Written to the stderr handle, not with eprintln!, so that libtest's output capture
            // does not hide the reason of a skip.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: {name} is not set (see README, \"Run the tests\")"
            );
            None
        }
    }
}

/// A PostgreSQL database for one test, dropped when this goes out of scope.
pub struct PgTestDb {
    admin_url: String,
    name: String,
    pub url: String,
}

impl PgTestDb {
    pub fn create(test: &str) -> Option<Self> {
        let admin_url = required_var("INCOGNITO_TEST_POSTGRES_URL", test)?;
        let name = format!(
            "incognito_test_{}",
            incognito::keys::random_token(9)
                .to_lowercase()
                .replace(['-', '_'], "x")
        );
        let mut conn =
            PgConnection::establish(&admin_url).expect("connect to INCOGNITO_TEST_POSTGRES_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        let mut url = url::Url::parse(&admin_url).unwrap();
        url.set_path(&format!("/{name}"));
        Some(Self {
            admin_url,
            name,
            url: url.to_string(),
        })
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

pub struct TestApp {
    pub address: String,
    /// The running app's state: its database pool, keys and settings.
    pub state: incognito::state::AppState,
    pub client: reqwest::Client,
    pub settings: Settings,
    pub data_dir: PathBuf,
    /// The address of `/metrics` on its own listener, when `INCOGNITO_METRICS_BIND` is set.
    pub metrics_address: Option<String>,
    handle: ServerHandle,
    join: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    _pg: Option<PgTestDb>,
    _dir: Option<TempDir>,
}

/// Settings for a test: port 0, quick mail retries, a fresh data directory.
pub fn test_settings(dir: &Path) -> Settings {
    let mut s = Settings::defaults(dir);
    s.bind = "127.0.0.1:0".parse().unwrap();
    s.mail_retry_base = Duration::from_millis(200);
    s.mail_retry_max = Duration::from_millis(800);
    s.mail_poll_interval = Duration::from_millis(200);
    s.database_pool_size = 4;
    // Tests sign up many accounts from 127.0.0.1; the tests of this limit set their own.
    s.requests_per_address_per_hour = 10_000;
    s
}

/// Starts the app on `backend`; None when that backend is not available (and not in CI).
pub async fn spawn_app(backend: Backend, test: &str) -> Option<TestApp> {
    spawn_app_with(backend, test, |_| {}).await
}

pub async fn spawn_app_with(
    backend: Backend,
    test: &str,
    adjust: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    let pg = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let db = PgTestDb::create(test)?;
            settings.database_url = DatabaseUrl::Postgres(Secret::new(db.url.clone()));
            Some(db)
        }
    };
    adjust(&mut settings);
    let mut app = start(settings).await;
    app._pg = pg;
    app._dir = Some(dir);
    Some(app)
}

/// Starts the app on exactly these settings (e.g. a second start on the same data).
pub async fn start(settings: Settings) -> TestApp {
    let data_dir = settings.data_dir.clone();
    // A test clock: it runs with the system clock and tests move it (`app.state.clock`).
    let application = Application::build_with_clock(settings.clone(), Clock::test())
        .await
        .expect("the app starts");
    let port = application.port();
    let metrics_address = application
        .metrics_port()
        .map(|p| format!("http://127.0.0.1:{p}"));
    let state = application.state().clone();
    let handle = application.handle();
    let join = tokio::spawn(application.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        state,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // Idle connections go well before the server's keep-alive (5 s) closes them, so
            // that a request after a long pause (a browser walk) never reuses a closed one.
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()
            .unwrap(),
        settings,
        data_dir,
        metrics_address,
        handle,
        join: Some(join),
        _pg: None,
        _dir: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Stops the server and its mail sender, and waits for both.
    pub async fn stop(mut self) -> (Option<PgTestDb>, Option<TempDir>) {
        self.handle.stop(true).await;
        if let Some(join) = self.join.take() {
            let _ = join.await;
        }
        (self._pg.take(), self._dir.take())
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json_auth(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_json_auth(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// A connection to the app's database, as an operator (or an attacker with a copy) has it.
    pub fn database(&self) -> incognito::db::DbPool {
        incognito::startup::open_database(&self.settings).unwrap()
    }

    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn register(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/register",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Signs in from `address` (the app must trust `X-Forwarded-For`), with a device token
    /// when given one.
    pub async fn login_from(
        &self,
        address: &str,
        email: &str,
        password: &str,
        device_token: Option<&str>,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/auth/login"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": password, "device_token": device_token}))
            .send()
            .await
            .unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
    }

    /// Where this app's mail lands: its outbox folder, or the test SMTP server's Maildir.
    pub fn mail_folders(&self) -> Vec<PathBuf> {
        match &self.settings.mail_url {
            MailUrl::Folder(outbox) => vec![outbox.clone()],
            MailUrl::Smtp(_) => vec![PathBuf::from(
                std::env::var("INCOGNITO_TEST_SMTP_MAILDIR").expect("INCOGNITO_TEST_SMTP_MAILDIR"),
            )],
        }
    }

    /// The token of the newest link to `path` mailed to `to`.
    pub async fn mailed_token(&self, to: &str, path: &str) -> String {
        let message = wait_for_mail(&self.mail_folders(), to, path, 1)
            .await
            .pop()
            .unwrap();
        token_in(&message, path)
    }

    /// Registers, confirms the address through the API, and signs in: returns the tokens.
    pub async fn signed_up_shopper(&self, email: &str) -> Value {
        assert_eq!(
            self.register(email, STRONG_PASSWORD).await.status(),
            StatusCode::CREATED
        );
        let token = self.mailed_token(email, "/verify").await;
        let r = self
            .post_json("/api/v1/auth/verify", &json!({"token": token}))
            .await;
        assert_eq!(r.status(), StatusCode::OK);
        let r = self.login(email, STRONG_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }

    /// Creates an admin with the command line, as an operator would, and signs in.
    pub async fn admin_tokens(&self, email: &str) -> Value {
        run_incognito(
            &[
                "create-admin",
                "--email",
                email,
                "--password",
                STRONG_PASSWORD,
            ],
            &self.settings,
        );
        let r = self.login(email, STRONG_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
        r.json().await.unwrap()
    }
}

/// Runs the `incognito` command as an operator would, on these settings' data; asserts that
/// it succeeded and returns its standard output.
pub fn run_incognito(args: &[&str], settings: &Settings) -> String {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_incognito"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(settings_env(settings))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "incognito {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The INCOGNITO_* variables that reproduce these settings' data directory and database.
pub fn settings_env(s: &Settings) -> HashMap<String, String> {
    let mut env = HashMap::new();
    env.insert(
        "INCOGNITO_DATA_DIR".into(),
        s.data_dir.display().to_string(),
    );
    if let DatabaseUrl::Postgres(url) = &s.database_url {
        env.insert("INCOGNITO_DATABASE_URL".into(), url.expose().to_string());
    }
    env.insert("INCOGNITO_PUBLIC_URL".into(), s.public_url.to_string());
    env
}

/// Raw messages in these folders (outbox `.eml` files, or a Maildir's new/ and cur/).
fn read_messages(folders: &[PathBuf]) -> Vec<String> {
    let mut out = Vec::new();
    for folder in folders {
        for dir in [folder.clone(), folder.join("new"), folder.join("cur")] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                if entry.path().is_file()
                    && let Ok(text) = std::fs::read_to_string(entry.path())
                {
                    out.push(text);
                }
            }
        }
    }
    out
}

/// Messages to `to` that contain a link to `path`, once at least `count` of them arrived (15 s).
pub async fn wait_for_mail(folders: &[PathBuf], to: &str, path: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let found: Vec<String> = read_messages(folders)
            .into_iter()
            .map(|m| decode_quoted_printable(&m))
            .filter(|m| addressed_to(m, to) && m.contains(path))
            .collect();
        if found.len() >= count || Instant::now() > deadline {
            assert!(
                found.len() >= count,
                "expected {count} mail(s) to {to} with {path}, found {}",
                found.len()
            );
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every mail delivered to `to` so far, decoded.
pub fn mail_to(folders: &[PathBuf], to: &str) -> Vec<String> {
    read_messages(folders)
        .into_iter()
        .map(|m| decode_quoted_printable(&m))
        .filter(|m| addressed_to(m, to))
        .collect()
}

fn addressed_to(message: &str, to: &str) -> bool {
    message
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(to))
}

/// The `token` query value of the link to `path` in a message.
pub fn token_in(message: &str, path: &str) -> String {
    let marker = format!("{path}?token=");
    let start = message
        .find(&marker)
        .unwrap_or_else(|| panic!("no {marker} link in:\n{message}"))
        + marker.len();
    message[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '%'))
        .collect()
}

/// Undoes quoted-printable soft line breaks and `=XX` escapes (enough for our ASCII links).
pub fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The problem document of a response, checking its content type.
pub async fn problem(r: reqwest::Response) -> Value {
    let ct = r
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert!(
        ct.starts_with("application/problem+json"),
        "content type {ct}"
    );
    r.json().await.unwrap()
}

pub fn unique_email(prefix: &str) -> String {
    format!(
        "{prefix}.{}@example.com",
        incognito::keys::random_token(6)
            .to_lowercase()
            .replace(['-', '_'], "x")
    )
}

/// The access token of a sign-in answer.
pub fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_string()
}

/// GET with a token, expecting 200 and a JSON body.
pub async fn get_json(app: &TestApp, path: &str, token: &str) -> Value {
    let r = app.get_auth(path, token).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

/// GET with a token and, when given, the change-log version a client carries back from its
/// last change (`Incognito-Index-Version`): the status and the JSON body.
pub async fn get_at_version(
    app: &TestApp,
    path: &str,
    token: &str,
    version: Option<&str>,
) -> (StatusCode, Value) {
    let mut request = app.client.get(app.url(path)).bearer_auth(token);
    if let Some(v) = version {
        request = request.header(incognito::auth::sessions::VERSION_HEADER, v);
    }
    let r = request.send().await.unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

/// The `items` of one page of a list, checking the page's shape: its number, size and counts
/// agree with the items it holds.
pub async fn get_items(app: &TestApp, path: &str, token: &str) -> Value {
    let page = get_json(app, path, token).await;
    let items = page["items"].as_array().expect("a page of items").clone();
    let (total, per_page) = (
        page["total"].as_i64().unwrap(),
        page["per_page"].as_i64().unwrap(),
    );
    assert!(
        per_page <= 100 && items.len() as i64 <= per_page,
        "{path}: {page}"
    );
    assert_eq!(
        page["pages"].as_i64().unwrap(),
        ((total + per_page - 1) / per_page).max(1)
    );
    Value::Array(items)
}

/// An admin (made with the command line) and a scheduler the admin created: their tokens.
pub async fn admin_and_scheduler(app: &TestApp) -> (String, String) {
    let admin = access(&app.admin_tokens(&unique_email("admin")).await);
    let email = unique_email("sched");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            &admin,
            &json!({"email": email, "password": STRONG_PASSWORD, "role": "scheduler"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let scheduler = access(
        &app.login(&email, STRONG_PASSWORD)
            .await
            .json()
            .await
            .unwrap(),
    );
    (admin, scheduler)
}

/// A Nominatim-compatible geocoder on loopback (the real protocol, a fixed map): answers
/// `[{"lat","lon"}]` for any address but "1 Nowhere Road", which it cannot find. Returns its
/// URL and the request lines it received.
pub fn loopback_geocoder() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/search", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut first = String::new();
            reader.read_line(&mut first).unwrap();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() <= 2 {
                    break;
                }
            }
            let body = if first.contains("Nowhere") {
                "[]".to_string()
            } else {
                r#"[{"place_id":1,"lat":"40.7484405","lon":"-73.9856644","display_name":"Empire State Building"}]"#.to_string()
            };
            log.lock().unwrap().push(first);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (url, seen)
}

/// An admin, a scheduler signed in, and a client: the scheduler's token and the client's id.
pub async fn scheduler_with_client(app: &TestApp, client: &str) -> (String, i64) {
    let (_, token) = admin_and_scheduler(app).await;
    let r = app
        .post_json_auth("/api/v1/clients", &token, &json!({"name": client}))
        .await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    (token, id)
}

/// A shopper who applied with these changes to a standard application (New York, Spanish),
/// approved by the scheduler unless `approve` is false: their id and token.
pub async fn panel_member(
    app: &TestApp,
    scheduler: &str,
    name: &str,
    changes: Value,
    approve: bool,
) -> (i64, String) {
    let token = access(&app.signed_up_shopper(&unique_email(name)).await);
    let mut application = json!({
        "legal_name": format!("{name} Tester"), "street": "1 Main St", "city": "New York",
        "state": "NY", "zip": "10001", "travel_radius_km": 30, "languages": ["es"],
        "accept_agreement": true
    });
    for (k, v) in changes.as_object().unwrap() {
        application[k] = v.clone();
    }
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &application)
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{name}");
    let id = get_json(app, "/api/v1/me", &token).await["id"]
        .as_i64()
        .unwrap();
    if approve {
        let r = app
            .post_json_auth(
                &format!("/api/v1/shoppers/{id}/approve"),
                scheduler,
                &json!({"reason": "ok"}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    (id, token)
}

/// The password `incognito demo` printed for its accounts.
pub fn demo_password(out: &str) -> String {
    out.split("with password ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no password printed: {out}"))
        .to_string()
}

/// `text` with every `2036-12-DD` in it moved to a day as near as a real job's window is:
/// 30 + DD days from today (UTC), so the order and spacing of the days stay as written.
pub fn far_dates(text: &str) -> String {
    let today = chrono::Utc::now().date_naive();
    let mut out = text.to_string();
    for day in (1..=31u64).rev() {
        let written = format!("2036-12-{day:02}");
        if out.contains(&written) {
            let moved = today + chrono::Days::new(30 + day);
            out = out.replace(&written, &moved.to_string());
        }
    }
    out
}

/// Posts a CSV file (`text/csv`) to `path` as the holder of `token`.
pub async fn post_csv(app: &TestApp, token: &str, path: &str, csv: String) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
}

/// A store of the client in New York (code `code`) and a project of it (40 km, rotation 90
/// days, $15 a visit): (store, project).
pub async fn store_and_project(
    app: &TestApp,
    scheduler: &str,
    client: i64,
    code: &str,
) -> (Value, Value) {
    let store: Value = app
        .post_json_auth(
            "/api/v1/locations",
            scheduler,
            &json!({"client_id": client, "code": code, "name": "Uptown", "street": "1 Broadway", "city": "New York", "state": "NY", "zip": "10001"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let project: Value = app
        .post_json_auth(
            "/api/v1/projects",
            scheduler,
            &json!({"client_id": client, "name": "Q1", "max_km": 40, "rotation_days": 90, "fee_cents": 1500}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        store["id"].is_i64() && project["id"].is_i64(),
        "{store} {project}"
    );
    (store, project)
}

/// A job of the project at the store, its window 30 days and more from today: its id.
pub async fn job_at(
    app: &TestApp,
    scheduler: &str,
    project: &Value,
    store: &Value,
    code: &str,
) -> i64 {
    let job: Value = app
        .post_json_auth(
            "/api/v1/jobs",
            scheduler,
            &json!({"project_id": project["id"], "location_id": store["id"], "code": code, "window_start": far_dates("2036-12-01"), "window_end": far_dates("2036-12-15")}),
        )
        .await
        .json()
        .await
        .unwrap();
    job["id"].as_i64().unwrap_or_else(|| panic!("{job}"))
}

/// A privacy officer account, signed in: (token, email).
pub async fn privacy_officer(app: &TestApp, admin: &str) -> (String, String) {
    let email = unique_email("privacy");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            admin,
            &json!({"email": email, "password": STRONG_PASSWORD, "role": "privacy_officer"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    (sign_in(app, &email).await, email)
}

/// A fresh access token for `email` (password `STRONG_PASSWORD`).
pub async fn sign_in(app: &TestApp, email: &str) -> String {
    let r = app.login(email, STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "{email}");
    access(&r.json().await.unwrap())
}

/// The 6-digit code in the latest mail to `to` about privacy request `id`.
pub async fn mailed_code(app: &TestApp, to: &str, id: i64) -> String {
    let mails = wait_for_mail(
        &app.mail_folders(),
        to,
        &format!("Your privacy request #{id}"),
        1,
    )
    .await;
    let mail = mails.last().unwrap();
    let at = mail
        .find("within 10 minutes: ")
        .unwrap_or_else(|| panic!("no code in:\n{mail}"))
        + "within 10 minutes: ".len();
    mail[at..at + 6].to_string()
}

/// Every value of every column of the inventory, as text: (table.column, value).
pub fn every_value(app: &TestApp) -> Vec<(String, String)> {
    #[derive(diesel::QueryableByName)]
    struct V {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        v: Option<String>,
    }
    let pool = app.database();
    let mut conn = pool.get().unwrap();
    let mut out = Vec::new();
    for entry in incognito::privacy::inventory::INVENTORY {
        let rows: Vec<V> = diesel::sql_query(format!(
            "SELECT CAST({} AS TEXT) AS v FROM {}",
            entry.column, entry.table
        ))
        .load(&mut conn)
        .unwrap_or_else(|e| panic!("{}.{}: {e}", entry.table, entry.column));
        for row in rows.into_iter().filter_map(|r| r.v) {
            out.push((format!("{}.{}", entry.table, entry.column), row));
        }
    }
    out
}

pub fn holding<'a>(values: &'a [(String, String)], needle: &str) -> Vec<&'a (String, String)> {
    let needle = needle.to_lowercase();
    values
        .iter()
        .filter(|(_, v)| v.to_lowercase().contains(&needle))
        .collect()
}

/// Every log line the service writes in this test process, kept in memory: a subscriber like
/// production's (JSON, the default filter) is installed the first time it is asked for, so a
/// test that scans the logs calls it before it starts its app.
pub fn captured_logs() -> String {
    use std::sync::{Mutex, OnceLock};
    static LOGS: OnceLock<&'static Mutex<Vec<u8>>> = OnceLock::new();
    struct Sink(&'static Mutex<Vec<u8>>);
    impl std::io::Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let logs = LOGS.get_or_init(|| {
        let logs: &'static Mutex<Vec<u8>> = Box::leak(Box::new(Mutex::new(Vec::new())));
        let filter = tracing_subscriber::EnvFilter::new(
            Settings::defaults(std::path::Path::new(".")).log_filter,
        );
        let installed = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .flatten_event(true)
            .with_writer(move || Sink(logs))
            .try_init();
        assert!(
            installed.is_ok(),
            "another log subscriber was installed first"
        );
        logs
    });
    String::from_utf8_lossy(&logs.lock().unwrap()).into_owned()
}

/// The email address of the account signed in with `token`.
pub async fn email_of(app: &TestApp, token: &str) -> String {
    get_json(app, "/api/v1/me", token).await["email"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Runs SQL as another program would, around the service: one statement after another, on one
/// connection of the app's pool.
pub async fn run_sql<const N: usize>(app: &TestApp, statements: [String; N]) {
    app.state
        .db
        .run(move |conn| {
            for statement in statements {
                diesel::sql_query(statement).execute(conn)?;
            }
            Ok(())
        })
        .await
        .unwrap();
}
