//! Wires the service together and does nothing else: the checks of `startup`, the keys, mail
//! sender and state, the background rounds, then the actix `App` with its middleware, the
//! operator's endpoints and every module's routes.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{App, HttpServer, web};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing_actix_web::TracingLogger;

use crate::auth::Auth;
use crate::clock::Clock;
use crate::config::Settings;
use crate::keys::Keys;
use crate::mail::{self, MailTransport, MailWaker, RetryPolicy};
use crate::metrics::Metrics;
use crate::routing::Routes;
use crate::startup::{StartupError, open_database, prepare_data_dir, startup};
use crate::state::AppState;
use crate::{background, health, middleware};

/// The whole prepared service, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on a listener of its own (`INCOGNITO_METRICS_BIND`), with its port.
    metrics: Option<(u16, Server)>,
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
        let metrics_listener = match settings.metrics_bind {
            None => None,
            Some(at) => {
                let l = TcpListener::bind(at).map_err(|e| {
                    startup("INCOGNITO_METRICS_BIND")(format!("cannot listen on {at}: {e}"))
                })?;
                let port = l
                    .local_addr()
                    .map_err(|e| startup("INCOGNITO_METRICS_BIND")(e.to_string()))?
                    .port();
                Some((l, port))
            }
        };
        let storage = crate::storage::Storage::connect(&settings.storage_url)
            .await
            .map_err(startup("INCOGNITO_STORAGE_URL"))?;
        let s = settings.clone();
        let pool = tokio::task::spawn_blocking(move || open_database(&s))
            .await
            .map_err(|e| StartupError {
                setting: None,
                problem: e.to_string(),
            })??;

        let live = crate::assignments::live::Live::with_travel(settings.travel);
        let state = AppState {
            auth: Auth::new(&settings, keys, clock.clone()),
            clock,
            settings: Arc::new(settings),
            db: pool,
            mail: MailWaker::default(),
            metrics: Arc::new(Metrics::default()),
            live: Arc::new(live),
            storage,
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
        tokio::spawn(background::deadlines(state.clone(), shutdown_rx.clone()));
        tokio::spawn(background::drp_callbacks(
            state.clone(),
            shutdown_rx.clone(),
        ));
        tokio::spawn(background::live_days(state.clone(), shutdown_rx.clone()));
        tokio::spawn(background::follow_changes(
            state.clone(),
            shutdown_rx.clone(),
        ));
        tokio::spawn(background::housekeeping(state.clone(), shutdown_rx));

        let app_state = state.clone();
        let server = HttpServer::new(move || build_app(app_state.clone()))
            .workers(state.settings.http_workers)
            .listen(listener)
            .map_err(|e| startup("INCOGNITO_BIND")(e.to_string()))?
            .shutdown_timeout(30)
            .run();
        let metrics = match metrics_listener {
            None => None,
            Some((listener, port)) => {
                let metrics_state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(web::Data::new(metrics_state.clone()))
                        .route("/metrics", web::get().to(health::metrics_text))
                })
                .workers(1)
                .listen(listener)
                .map_err(|e| startup("INCOGNITO_METRICS_BIND")(e.to_string()))?
                .run();
                Some((port, server))
            }
        };
        Ok(Self {
            port,
            server,
            metrics,
            state,
            sender,
            shutdown,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when `INCOGNITO_METRICS_BIND` gives one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
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
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let result = self.server.await;
        if let Some((handle, task)) = metrics {
            handle.stop(true).await;
            let _ = task.await;
        }
        let _ = self.shutdown.send(true);
        let _ = self.sender.await;
        result
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
    let public_metrics = state.settings.metrics_bind.is_none();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::PathConfig::default().error_handler(|e, req| {
            middleware::bad_address(
                req,
                "bad_path",
                format!("A part of the address is not valid: {e}"),
            )
        }))
        .app_data(web::QueryConfig::default().error_handler(|e, req| {
            middleware::bad_address(
                req,
                "bad_query",
                format!("The query string is not valid: {e}"),
            )
        }))
        .app_data(
            // A report's text answers and a pasted questionnaire need room; still bounded.
            web::FormConfig::default()
                .limit(512 * 1024)
                .error_handler(|e, req| {
                    crate::web::PageError::bad_form(req, &e.to_string()).into()
                }),
        )
        .wrap(actix_web::middleware::from_fn(middleware::follow_changes))
        .wrap(actix_web::middleware::from_fn(middleware::observe))
        .wrap(actix_web::middleware::from_fn(crate::web::signed_in_errors))
        .wrap(TracingLogger::<crate::telemetry::RequestSpan>::new())
        .wrap(actix_web::middleware::from_fn(middleware::head_as_get))
        .configure(move |cfg| {
            let mut routes = Routes::new(cfg, "");
            routes
                .get("/healthz", health::healthz)
                .get("/readyz", health::readyz)
                .get("/api/openapi.json", health::openapi_json);
            // With a listener of its own, /metrics is not on the public one. It stays out of
            // the route table (which is one per process, and so would tell 405 on the public
            // listener of a service whose metrics are elsewhere).
            if public_metrics {
                cfg.route("/metrics", web::get().to(health::metrics_text));
            }
        })
        .service(
            web::scope("/api/v1")
                .configure(crate::assignments::routes::board_route)
                .configure(crate::auth::routes::routes)
                .configure(crate::panel::routes::routes)
                .configure(crate::clients::routes::routes)
                .configure(crate::assignments::routes::routes)
                .configure(crate::reports::routes::routes)
                .configure(crate::qa::routes::routes)
                .configure(crate::portal::routes::routes)
                .configure(crate::pay::routes::routes)
                .configure(crate::privacy::routes::routes)
                .configure(crate::media::routes::routes),
        )
        .service(web::scope("/drp/v1").configure(crate::privacy::routes::drp_routes))
        .configure(crate::web::routes)
        .default_service(web::to(middleware::not_found))
}
