//! Bad input gets a clear 4xx problem document, never a 500.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn send_raw(
    app: &TestApp,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn malformed_json_is_400_naming_the_position() {
    let Some(app) = spawn_app(Backend::Sqlite, "malformed json").await else {
        return;
    };
    let r = send_raw(
        &app,
        "/api/v1/auth/login",
        "application/json",
        br#"{"email": "a@b.c", "#.to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let p = problem(r).await;
    assert_eq!(p["code"], "malformed_json");
    assert!(p["detail"].as_str().unwrap().contains("line 1"), "{p}");
    assert_eq!(p["type"], "/problems/malformed_json");
    let r = send_raw(&app, "/api/v1/auth/login", "application/json", Vec::new()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn wrong_types_and_missing_fields_are_422_naming_the_field() {
    let Some(app) = spawn_app(Backend::Sqlite, "wrong types").await else {
        return;
    };
    let r = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": 42, "password": STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    assert_eq!(p["errors"][0]["field"], "email");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expected a string"),
        "{p}"
    );

    let r = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "ana@example.com"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "password");

    // Several bad values: every field is named.
    let r = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "not-an-address", "password": "short"}),
        )
        .await;
    let p = problem(r).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);
    let r = app
        .post_json("/api/v1/auth/register", &json!(["a", "list"]))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[tokio::test]
async fn a_ten_megabyte_body_is_413() {
    let Some(app) = spawn_app(Backend::Sqlite, "large body").await else {
        return;
    };
    let mut body = br#"{"email": "a@b.c", "password": ""#.to_vec();
    body.extend(std::iter::repeat_n(b'x', 10 * 1024 * 1024));
    body.extend(br#""}"#);
    let r = send_raw(&app, "/api/v1/auth/register", "application/json", body).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(problem(r).await["code"], "body_too_large");
    app.stop().await;
}

#[tokio::test]
async fn the_wrong_content_type_is_415() {
    let Some(app) = spawn_app(Backend::Sqlite, "content type").await else {
        return;
    };
    let r = send_raw(
        &app,
        "/api/v1/auth/login",
        "text/plain",
        br#"{"email":"a@b.c","password":"x"}"#.to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(problem(r).await["code"], "unsupported_media_type");
    app.stop().await;
}

#[tokio::test]
async fn unknown_routes_are_404_problems_and_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "unknown routes").await else {
        return;
    };
    let r = app
        .client
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(r).await["code"], "not_found");
    let r = app
        .client
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let r = app
        .client
        .delete(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    app.stop().await;
}

#[tokio::test]
async fn a_bad_form_post_gets_a_friendly_page() {
    let Some(app) = spawn_app(Backend::Sqlite, "bad form").await else {
        return;
    };
    let r = send_raw(
        &app,
        "/signin",
        "application/x-www-form-urlencoded",
        b"email=a%40b.c".to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("This form could not be read")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_bad_query_on_a_page_gets_a_page() {
    let Some(app) = spawn_app(Backend::Sqlite, "bad page query").await else {
        return;
    };
    // `token` given twice cannot be read into one value.
    let r = app
        .client
        .get(app.url("/verify?token=a&token=b"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    app.stop().await;
}

/// The pay, dispute, alert and share routes answer bad input with a problem naming it, never a
/// 500: a choice that is not a boolean, an outcome that is not one, an unknown query
/// parameter, a payout or share that does not exist, a share link without or with a made-up
/// token.
#[tokio::test]
async fn pay_disputes_alerts_and_shares_refuse_bad_input_by_name() {
    let Some(app) = spawn_app(Backend::Sqlite, "bad input pay").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let qa = crate::qa::reviewer(&app).await;
    let (client, _, _) =
        crate::portal::client_with_project(&app, &scheduler, "Burger Barn", "B1").await;
    let (reviewer, _) = crate::portal::client_reviewer_account(&app, client).await;
    let r = app
        .put_json_auth(
            "/api/v1/client/alerts",
            &reviewer,
            &json!({"hot_alerts": "yes"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_json_auth(
            "/api/v1/disputes/1/answer",
            &qa,
            &json!({"outcome": "perhaps", "answer": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get_auth("/api/v1/qa/disputes?all=maybe", &qa).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app.get_auth("/api/v1/pay/owed?by=planet", &scheduler).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = app
        .post_json_auth("/api/v1/payouts/999999/paid", &admin, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(problem(r).await["code"], "not_found");
    let r = app.get_auth("/api/v1/shares/999999", &scheduler).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post_json_auth(
            "/api/v1/shares",
            &scheduler,
            &json!({"organization_id": "one", "purpose": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .client
        .get(app.url("/shares/download"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(problem(r).await["code"], "bad_link");
    let r = app
        .client
        .get(app.url("/shares/download?token=made-up"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::GONE);
    assert_eq!(problem(r).await["code"], "link_spent");
    app.stop().await;
}

/// The privacy request routes name what is wrong: a kind that is not one, an address that is
/// not one, details too long, a code that is not digits, a request that does not exist, a
/// denial reason that is not one, an empty extension reason, an unknown query parameter.
#[tokio::test]
async fn privacy_requests_refuse_bad_input_by_name() {
    let Some(app) = spawn_app(Backend::Sqlite, "bad input privacy requests").await else {
        return;
    };
    let (admin, _) = admin_and_scheduler(&app).await;
    let email = unique_email("officer");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            &admin,
            &json!({"email": email, "password": STRONG_PASSWORD, "role": "privacy_officer"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let officer = access(
        &app.login(&email, STRONG_PASSWORD)
            .await
            .json()
            .await
            .unwrap(),
    );
    let field_of =
        |v: &serde_json::Value| v["errors"][0]["field"].as_str().unwrap_or("").to_string();
    for (body, field) in [
        (json!({"kind": 3, "email": "a@example.com"}), "kind"),
        (json!({"kind": "know", "email": "not an address"}), "email"),
        (
            json!({"kind": "know", "email": "a@example.com", "details": "x".repeat(3000)}),
            "details",
        ),
        (
            json!({"kind": "know", "email": "a@example.com", "colour": "red"}),
            "colour",
        ),
    ] {
        let r = app.post_json("/api/v1/privacy-requests", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let p = problem(r).await;
        assert!(
            field_of(&p) == field || p.to_string().contains(field),
            "{body}: {p}"
        );
    }
    let r = app
        .post_json(
            "/api/v1/privacy-requests/1/verify",
            &json!({"code": "abcdef"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&problem(r).await), "code");
    let r = app
        .post_json(
            "/api/v1/privacy-requests/999999/verify",
            &json!({"code": "123456"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post_json_auth(
            "/api/v1/privacy-requests/999999/deny",
            &officer,
            &json!({"reason": "bored", "explanation": "No."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&problem(r).await), "reason");
    let r = app
        .post_json_auth(
            "/api/v1/privacy-requests/999999/extend",
            &officer,
            &json!({"reason": " "}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&problem(r).await), "reason");
    let r = app
        .get_auth("/api/v1/privacy-requests/999999", &officer)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .get_auth("/api/v1/privacy-requests?colour=red", &officer)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    // A person's logs without the person, or with nobody behind the words.
    let r = app.get_auth("/api/v1/privacy/logs", &officer).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&problem(r).await), "person");
    let r = app
        .get_auth(
            "/api/v1/privacy/logs?person=nobody%40nowhere.example",
            &officer,
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // A notice version to accept, named by nothing; an agent with nothing right.
    let r = app
        .post_json_auth(
            "/api/v1/me/notice/accept",
            &officer,
            &json!({"version": " "}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&problem(r).await), "version");
    let r = app
        .post_json_auth(
            "/api/v1/privacy/notice-versions",
            &officer,
            &json!({"version": "v2", "effective_on": "next week", "changes": "More."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_of(&problem(r).await), "effective_on");
    app.stop().await;
}
