//! What an attack run found, each reproduced and now refused (issue 12): here the headers that
//! keep pages from running injected script, being framed or leaking their address, and the
//! operator's metrics kept off the public listener.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

/// The headers every answer carries, page or API.
fn assert_hardened(r: &reqwest::Response, what: &str) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"))
        .to_str()
        .unwrap();
    // Scripts only as the service's own files, never inline or evaluated; styles only from
    // the service; no framing; forms post only to the service.
    assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
    assert!(csp.contains("script-src 'self';"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-eval"), "{what}: {csp}");
    assert!(csp.contains("style-src 'self'"), "{what}: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("form-action 'self'"), "{what}: {csp}");
    assert_eq!(
        h.get("cross-origin-opener-policy").unwrap(),
        "same-origin",
        "{what}"
    );
    let permissions = h.get("permissions-policy").unwrap().to_str().unwrap();
    for feature in ["camera=()", "microphone=()", "geolocation=()"] {
        assert!(permissions.contains(feature), "{what}: {permissions}");
    }
    assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
}

#[tokio::test]
async fn pages_and_answers_carry_a_strict_content_security_policy() {
    let Some(app) = spawn_app(Backend::Sqlite, "security_headers").await else {
        return;
    };
    for path in ["/", "/signin", "/signup", "/static/style.css", "/nowhere"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_hardened(&r, path);
        // Plain http: no Strict-Transport-Security (it would be ignored, or pin a test host).
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "{path}"
        );
    }
    let r = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_hardened(&r, "/api/v1/me");
    // No page holds script to run, inline or linked.
    for path in [
        "/",
        "/signin",
        "/signup",
        "/password/forgot",
        "/privacy-notice",
    ] {
        let html = app
            .client
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("<script"), "{path}");
        assert!(!html.contains(" style=\""), "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_service_reached_over_https_tells_browsers_to_keep_to_it() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "hsts", |s| {
        s.public_url = "https://panel.example.com/".parse().unwrap();
    })
    .await
    else {
        return;
    };
    let r = app.client.get(app.url("/")).send().await.unwrap();
    let hsts = r
        .headers()
        .get("strict-transport-security")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(hsts.starts_with("max-age=31536000"), "{hsts}");
    app.stop().await;
}

/// `INCOGNITO_METRICS_BIND`: the metrics on a listener of their own, not on the public one.
#[tokio::test]
async fn metrics_can_leave_the_public_listener() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "metrics_bind", |s| {
        s.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    })
    .await
    else {
        return;
    };
    let public = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), StatusCode::NOT_FOUND);
    let own = app.metrics_address.clone().expect("a metrics listener");
    let r = app
        .client
        .get(format!("{own}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(text.contains("incognito_db_pool_connections"), "{text}");
    // It serves nothing else.
    let r = app
        .client
        .get(format!("{own}/signin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Without the setting, the public listener keeps serving them (as before).
    app.stop().await;
    let Some(app) = spawn_app(Backend::Sqlite, "metrics_public").await else {
        return;
    };
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(app.metrics_address.is_none());
    app.stop().await;
}

/// Values no person means: a job window in year 0 or 9999, a fee of 2^63−1 cents, a rating
/// dated 0001-01-01. Each is refused, naming its field; nothing is stored.
#[tokio::test]
async fn money_and_dates_out_of_any_real_range_are_refused() {
    use crate::assignments::{post, setup};
    use serde_json::json;
    let Some(app) = spawn_app(Backend::Sqlite, "ranges").await else {
        return;
    };
    let (scheduler, client, store, project) = setup(&app, json!({})).await;
    let today = chrono::Utc::now().date_naive();
    let soon = (today + chrono::Days::new(3)).to_string();
    for (window_start, window_end) in [("0000-01-01", soon.as_str()), (soon.as_str(), "9999-12-31")]
    {
        let (status, body) = post(
            &app,
            "/api/v1/jobs",
            &scheduler,
            json!({"project_id": project, "location_id": store, "window_start": window_start, "window_end": window_end}),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["field"], "window_end", "{body}");
        assert!(body.to_string().contains("two years from today"), "{body}");
    }
    let (status, body) = post(
        &app,
        "/api/v1/jobs",
        &scheduler,
        json!({"project_id": project, "location_id": store, "window_start": soon, "window_end": soon, "fee_cents": i64::MAX}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "fee_cents", "{body}");
    let (status, body) = post(
        &app,
        "/api/v1/projects",
        &scheduler,
        json!({"client_id": client, "name": "Huge", "max_km": 40, "rotation_days": 0, "fee_cents": i64::MAX}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "fee_cents", "{body}");
    let jobs = get_items(
        &app,
        &format!("/api/v1/jobs?project_id={project}"),
        &scheduler,
    )
    .await;
    assert_eq!(
        jobs.as_array().map(Vec::len),
        Some(0),
        "nothing stored: {jobs}"
    );

    let (shopper, _) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (status, body) = post(
        &app,
        &format!("/api/v1/shoppers/{shopper}/ratings"),
        &scheduler,
        json!({"score": 8, "rated_on": "0001-01-01"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "rated_on", "{body}");
    app.stop().await;
}

/// `HEAD` answers as `GET` does, headers and status, without a body (it used to be a 404).
#[tokio::test]
async fn head_answers_as_get_without_a_body() {
    let Some(app) = spawn_app(Backend::Sqlite, "head").await else {
        return;
    };
    for (path, status) in [
        ("/", StatusCode::OK),
        ("/signin", StatusCode::OK),
        ("/healthz", StatusCode::OK),
        ("/api/v1/me", StatusCode::UNAUTHORIZED),
        ("/nowhere", StatusCode::NOT_FOUND),
    ] {
        let get = app.client.get(app.url(path)).send().await.unwrap();
        let head = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(head.status(), status, "{path}");
        assert_eq!(head.status(), get.status(), "{path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        assert!(
            head.headers().get("content-security-policy").is_some(),
            "{path}"
        );
        assert!(head.bytes().await.unwrap().is_empty(), "{path}");
    }
    app.stop().await;
}

/// A known address asked with a wrong method answers 405 with `Allow` (it used to be a 404),
/// on the API as a problem document and on the pages as a page; an unknown address stays 404.
#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let Some(app) = spawn_app(Backend::Sqlite, "405").await else {
        return;
    };
    for (method, path, allow) in [
        (reqwest::Method::DELETE, "/api/v1/me", "GET, HEAD"),
        (reqwest::Method::GET, "/api/v1/auth/login", "POST"),
        (
            reqwest::Method::PUT,
            "/api/v1/jobs/7/assignments",
            "GET, HEAD",
        ),
        (
            reqwest::Method::PATCH,
            "/api/v1/organizations",
            "GET, HEAD, POST",
        ),
        (reqwest::Method::PUT, "/signin", "GET, HEAD, POST"),
        (reqwest::Method::POST, "/healthz", "GET, HEAD"),
    ] {
        let r = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(r.headers()["allow"], allow, "{method} {path}");
        let api = path.starts_with("/api/");
        let kind = r.headers()["content-type"].to_str().unwrap().to_string();
        let body = r.text().await.unwrap();
        if api {
            assert_eq!(kind, "application/problem+json");
            assert!(body.contains("method_not_allowed"), "{body}");
        } else {
            assert!(kind.starts_with("text/html"), "{kind}");
            assert!(body.contains(&format!("answers {allow}")), "{body}");
        }
    }
    for path in ["/api/v1/nowhere", "/nowhere"] {
        let r = app.client.delete(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    app.stop().await;
}

/// Fees, bonuses and reimbursement caps stop at `INCOGNITO_MAX_FEE_DOLLARS`, named in the
/// refusal; an amount within it is taken.
#[tokio::test]
async fn amounts_stop_at_the_fee_setting() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "fee cap", |s| {
        s.max_fee = incognito::money::Money::from_cents(50_000);
    })
    .await
    else {
        return;
    };
    let (scheduler, client) = scheduler_with_client(&app, "Cap Co").await;
    let project = |fee: i64| json!({"client_id": client, "name": "Q1", "max_km": 40, "rotation_days": 90, "fee_cents": fee});
    let r = app
        .post_json_auth("/api/v1/projects", &scheduler, &project(50_001))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    assert_eq!(p["errors"][0]["field"], "fee_cents", "{p}");
    assert!(
        p["errors"][0]["message"].as_str().unwrap().contains("$500"),
        "{p}"
    );
    let r = app
        .post_json_auth("/api/v1/projects", &scheduler, &project(50_000))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (store, project) = store_and_project(&app, &scheduler, client, "C1").await;
    let job = job_at(&app, &scheduler, &project, &store, "C1-1").await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/jobs/{job}/bonus"),
            &scheduler,
            &json!({"bonus_cents": 50_001}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem(r).await["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("$500")
    );
    app.stop().await;
}
