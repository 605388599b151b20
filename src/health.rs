//! The operator's endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document.

use std::time::Duration;

use actix_web::{HttpResponse, web};
use utoipa::OpenApi;

use crate::error::AppResult;
use crate::mail;
use crate::openapi::ApiDoc;
use crate::state::AppState;

/// Alive: the process answers.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

/// Ready when the database answers and the data directory takes writes.
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
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

pub async fn metrics_text(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let backlog = state
        .db
        .run(|conn| Ok(mail::store::backlog(conn)?))
        .await
        .unwrap_or(-1);
    let (open, idle, max) = state.db.usage();
    let (from_memory, from_database) = state.auth.sessions.counts();
    let gauges = [
        (
            "incognito_sessions_from_memory",
            "Requests whose session was checked in memory, since the server started.",
            from_memory as f64,
        ),
        (
            "incognito_sessions_from_database",
            "Requests whose session was checked in the database, since the server started.",
            from_database as f64,
        ),
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

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(ApiDoc::openapi())
}
