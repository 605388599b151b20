//! Builds the service: prepares the data directory, keys, database and mail sender, then the
//! actix `App` with its middleware and every module's routes.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, ServerHandle, Service};
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;

use crate::auth::Auth;
use crate::clock::Clock;
use crate::config::{MailUrl, Settings, StorageUrl};
use crate::db::{self, DbPool};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::mail::{self, MailTransport, MailWaker, RetryPolicy};
use crate::metrics::Metrics;
use crate::openapi::ApiDoc;
use crate::state::AppState;

/// A failure to start, naming the setting at fault when there is one.
#[derive(Debug)]
pub struct StartupError {
    pub setting: Option<&'static str>,
    pub problem: String,
}

impl std::fmt::Display for StartupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.setting {
            Some(s) => write!(f, "{s}: {}", self.problem),
            None => f.write_str(&self.problem),
        }
    }
}

impl std::error::Error for StartupError {}

fn startup(setting: &'static str) -> impl Fn(String) -> StartupError {
    move |problem| StartupError {
        setting: Some(setting),
        problem,
    }
}

/// Creates the data directory and its folders, and checks that it is writable.
pub fn prepare_data_dir(settings: &Settings) -> Result<(), StartupError> {
    let dir = &settings.data_dir;
    let err = startup("INCOGNITO_DATA_DIR");
    if !dir.exists() {
        // Only the service's user may enter it: it holds the database, mail and keys.
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
    }
    let probe = dir.join(".write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|()| std::fs::remove_file(&probe))
        .map_err(|e| err(format!("{} is not writable: {e}", dir.display())))?;
    let StorageUrl::Folder(objects) = &settings.storage_url;
    std::fs::create_dir_all(objects).map_err(|e| {
        startup("INCOGNITO_STORAGE_URL")(format!("cannot create {}: {e}", objects.display()))
    })?;
    if let MailUrl::Folder(outbox) = &settings.mail_url {
        std::fs::create_dir_all(outbox).map_err(|e| {
            startup("INCOGNITO_MAIL_URL")(format!("cannot create {}: {e}", outbox.display()))
        })?;
    }
    Ok(())
}

/// Opens the database and applies pending migrations.
pub fn open_database(settings: &Settings) -> Result<DbPool, StartupError> {
    let pool = DbPool::connect(
        &settings.database_url,
        settings.database_pool_size,
        Duration::from_secs(10),
    )
    .map_err(startup("INCOGNITO_DATABASE_URL"))?;
    let mut conn = pool
        .get()
        .map_err(|e| startup("INCOGNITO_DATABASE_URL")(format!("cannot connect: {e}")))?;
    let applied = db::run_migrations(&mut conn)
        .map_err(|e| startup("INCOGNITO_DATABASE_URL")(format!("migrations failed: {e:#}")))?;
    for name in &applied {
        tracing::info!(migration = %name, "migration applied");
    }
    Ok(pool)
}

/// The whole prepared service, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    sender: JoinHandle<()>,
    shutdown: watch::Sender<bool>,
}

impl Application {
    /// Prepares everything that can fail with a bad setting, then binds. Port 0 picks a free port.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::build_with_clock(settings, Clock::system()).await
    }

    /// As `build`, on the given clock (tests pass a test clock and move it).
    pub async fn build_with_clock(settings: Settings, clock: Clock) -> Result<Self, StartupError> {
        prepare_data_dir(&settings)?;
        let keys =
            Keys::load_or_create(&settings.keys_dir()).map_err(startup("INCOGNITO_DATA_DIR"))?;
        // Settings that need no database first, so a bad one fails before any migration runs.
        let transport =
            MailTransport::from_settings(&settings.mail_url, settings.mail_ca_file.as_deref())
                .map_err(|e| StartupError {
                    setting: Some(e.setting),
                    problem: e.problem,
                })?;
        let from: lettre::message::Mailbox = settings
            .mail_from
            .parse()
            .map_err(|e| startup("INCOGNITO_MAIL_FROM")(format!("not a mail address: {e}")))?;
        let listener = TcpListener::bind(settings.bind).map_err(|e| {
            startup("INCOGNITO_BIND")(format!("cannot listen on {}: {e}", settings.bind))
        })?;
        let port = listener
            .local_addr()
            .map_err(|e| startup("INCOGNITO_BIND")(e.to_string()))?
            .port();
        let s = settings.clone();
        let pool = tokio::task::spawn_blocking(move || open_database(&s))
            .await
            .map_err(|e| StartupError {
                setting: None,
                problem: e.to_string(),
            })??;

        let state = AppState {
            auth: Auth::new(&settings, keys, clock.clone()),
            clock,
            settings: Arc::new(settings),
            db: pool,
            mail: MailWaker::default(),
            metrics: Arc::new(Metrics::default()),
            live: Arc::new(crate::assignments::live::Live::new()),
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let policy = RetryPolicy {
            base: state.settings.mail_retry_base,
            max: state.settings.mail_retry_max,
            poll: state.settings.mail_poll_interval,
        };
        let sender = tokio::spawn(mail::run_sender(
            state.db.clone(),
            transport,
            from,
            policy,
            state.mail.clone(),
            state.clock.clone(),
            shutdown_rx.clone(),
        ));
        tokio::spawn(deadlines(state.clone(), shutdown_rx.clone()));
        tokio::spawn(housekeeping(state.clone(), shutdown_rx));

        let app_state = state.clone();
        let server = HttpServer::new(move || build_app(app_state.clone()))
            .workers(state.settings.http_workers)
            .listen(listener)
            .map_err(|e| startup("INCOGNITO_BIND")(e.to_string()))?
            .shutdown_timeout(30)
            .run();
        Ok(Self {
            port,
            server,
            state,
            sender,
            shutdown,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops the server gracefully (in-flight requests finish) when called.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped (SIGTERM, SIGINT, or the handle), then stops the mail sender.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        let _ = self.shutdown.send(true);
        let _ = self.sender.await;
        result
    }
}

/// Assignment deadlines, once a minute: lapsed offers expire, overdue visits are noted and,
/// after the grace period, taken back. Safe with several servers (see `deadlines::sweep`).
async fn deadlines(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let notifier = crate::assignments::notify::Notifier::new(&state.auth);
    let mut round: u64 = 0;
    loop {
        let now = state.clock.naive();
        let n = notifier.clone();
        match state
            .db
            .run(move |conn| crate::assignments::deadlines::sweep(conn, &n, now))
            .await
        {
            Ok(report) if report != Default::default() => {
                tracing::info!(?report, "assignment deadlines applied");
                state.mail.wake();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = ?e, "assignment deadlines failed"),
        }
        // The daily digests: looked at every ten minutes, each shopper's sent once a day.
        if round.is_multiple_of(10) {
            let n = notifier.clone();
            let keys = state.auth.keys.clone();
            let live = state.live.clone();
            match state
                .db
                .run(move |conn| {
                    crate::assignments::deadlines::digests(conn, &keys, &live, &n, now)
                })
                .await
            {
                Ok(0) => {}
                Ok(sent) => {
                    tracing::info!(sent, "daily digests queued");
                    state.mail.wake();
                }
                Err(e) => tracing::warn!(error = ?e, "daily digests failed"),
            }
        }
        round += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(60)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

/// Periodic clean-up that the data inventory's retention rules call for.
async fn housekeeping(state: AppState, mut shutdown: watch::Receiver<bool>) {
    loop {
        let auth = state.auth.clone();
        if let Err(e) = state
            .db
            .run(move |conn| crate::auth::service::purge_expired(conn, &auth))
            .await
        {
            tracing::warn!(error = ?e, "housekeeping failed");
        }
        // The live index: built at start (the first round), kept warm, its change log pruned.
        let (keys, live) = (state.auth.keys.clone(), state.live.clone());
        let now = state.clock.naive();
        if let Err(e) = state
            .db
            .run(move |conn| {
                live.refresh(conn, &keys, now.date())?;
                crate::assignments::live::prune(conn, now)?;
                Ok(())
            })
            .await
        {
            tracing::warn!(error = ?e, "live index housekeeping failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(300)) => {}
            _ = shutdown.changed() => return,
        }
    }
}

pub fn build_app(
    state: AppState,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let metrics = state.metrics.clone();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PathConfig::default().error_handler(|e, req| {
            bad_address(
                req,
                "bad_path",
                format!("A part of the address is not valid: {e}"),
            )
        }))
        .app_data(web::QueryConfig::default().error_handler(|e, req| {
            bad_address(
                req,
                "bad_query",
                format!("The query string is not valid: {e}"),
            )
        }))
        .app_data(
            web::FormConfig::default()
                .limit(16 * 1024)
                .error_handler(|e, req| {
                    crate::web::PageError::bad_form(req, &e.to_string()).into()
                }),
        )
        .wrap_fn(move |req, srv| {
            let started = Instant::now();
            let method = req.method().to_string();
            let metrics = metrics.clone();
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                let route = res
                    .request()
                    .match_pattern()
                    .unwrap_or_else(|| "unmatched".to_string());
                metrics.observe(
                    known_method(&method),
                    &route,
                    res.status().as_u16(),
                    started.elapsed(),
                );
                let request_id = {
                    use actix_web::HttpMessage;
                    res.request()
                        .extensions()
                        .get::<tracing_actix_web::RequestId>()
                        .map(ToString::to_string)
                };
                let headers = res.headers_mut();
                if let Some(id) = request_id.and_then(|id| header::HeaderValue::from_str(&id).ok())
                {
                    headers.insert(header::HeaderName::from_static("x-request-id"), id);
                }
                headers.insert(
                    header::X_CONTENT_TYPE_OPTIONS,
                    header::HeaderValue::from_static("nosniff"),
                );
                headers.insert(
                    header::REFERRER_POLICY,
                    header::HeaderValue::from_static("no-referrer"),
                );
                headers.insert(
                    header::X_FRAME_OPTIONS,
                    header::HeaderValue::from_static("DENY"),
                );
                Ok(res)
            }
        })
        .wrap(actix_web::middleware::from_fn(crate::web::signed_in_errors))
        .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics_text))
        .route("/api/openapi.json", web::get().to(openapi_json))
        .service(
            web::scope("/api/v1")
                .configure(crate::auth::routes::routes)
                .configure(crate::panel::routes::routes)
                .configure(crate::clients::routes::routes)
                .configure(crate::assignments::routes::routes),
        )
        .configure(crate::web::routes)
        .default_service(web::to(not_found))
}

/// Metric labels must stay few: any method outside the standard ones counts as OTHER.
fn known_method(method: &str) -> &str {
    match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
        _ => "OTHER",
    }
}

/// A malformed path or query: a problem document for the API, a friendly page elsewhere.
fn bad_address(req: &HttpRequest, code: &'static str, detail: String) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        AppError::bad_request(code, detail).into()
    } else {
        crate::web::PageError::shown(
            actix_web::http::StatusCode::BAD_REQUEST,
            "This address is not valid",
            &detail,
        )
        .into()
    }
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// Ready when the database answers and the data directory takes writes.
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db_ok = state.db.ping(Duration::from_secs(2)).await;
    let dir = state.settings.data_dir.clone();
    let disk_ok = tokio::task::spawn_blocking(move || {
        let probe = dir.join(".ready-test");
        std::fs::write(&probe, b"ok")
            .and_then(|()| std::fs::remove_file(&probe))
            .is_ok()
    })
    .await
    .unwrap_or(false);
    let body = serde_json::json!({
        "database": if db_ok { "ok" } else { "unreachable" },
        "data_dir": if disk_ok { "ok" } else { "not writable" },
    });
    if db_ok && disk_ok {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

async fn metrics_text(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let backlog = state
        .db
        .run(|conn| Ok(mail::store::backlog(conn)?))
        .await
        .unwrap_or(-1);
    let (open, idle, max) = state.db.usage();
    let gauges = [
        (
            "incognito_db_pool_connections",
            "Database connections open.",
            f64::from(open),
        ),
        (
            "incognito_db_pool_idle",
            "Database connections idle.",
            f64::from(idle),
        ),
        (
            "incognito_db_pool_in_use",
            "Database connections in use.",
            f64::from(open.saturating_sub(idle)),
        ),
        (
            "incognito_db_pool_max",
            "Largest pool size.",
            f64::from(max),
        ),
        (
            "incognito_mail_outbox_backlog",
            "Messages waiting in the outbox (-1: unknown).",
            backlog as f64,
        ),
    ];
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&gauges)))
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}

async fn not_found(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    if req.path().starts_with("/api/") {
        Err(AppError::not_found(format!("There is no {} {}.", req.method(), req.path())).into())
    } else {
        Err(crate::web::PageError::not_found(&req).into())
    }
}
