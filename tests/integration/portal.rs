//! The client reviewers' portal through the API: a reviewer sees only their own client's
//! released reports (a list, a report, a CSV export with cells neutralised), a shopper only as
//! a code that differs between clients, and no value of the shopper anywhere; every other
//! report, released or not, is 404.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, post};
use crate::helpers::*;
use crate::qa::reviewer;
use crate::reports::{drive_thru, published, rfc3339};

/// A client with a store and a project, named `name`: (client, store, project).
pub(crate) async fn client_with_project(
    app: &TestApp,
    scheduler: &str,
    name: &str,
    code: &str,
) -> (i64, i64, i64) {
    let (_, client) = post(app, "/api/v1/clients", scheduler, json!({"name": name})).await;
    let client = client["id"].as_i64().unwrap();
    let (_, store) = post(
        app,
        "/api/v1/locations",
        scheduler,
        json!({"client_id": client, "code": code, "name": format!("{name} {code}"), "street": "1 Broadway", "city": "New York", "state": "NY", "zip": "10004"}),
    )
    .await;
    let (status, project) = post(
        app,
        "/api/v1/projects",
        scheduler,
        json!({"client_id": client, "name": format!("{name} visits"), "max_km": 40, "rotation_days": 0, "fee_cents": 1500}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    (
        client,
        store["id"].as_i64().unwrap(),
        project["id"].as_i64().unwrap(),
    )
}

/// The shopper's report of a job of `project` at `store`, handed in with `answers` (and
/// approved by QA, so released, when `release`): the report's id.
pub(crate) async fn reported(
    app: &TestApp,
    scheduler: &str,
    (project, store): (i64, i64),
    (shopper, token): (i64, &str),
    answers: Value,
    qa: Option<&str>,
) -> i64 {
    let job = job(app, scheduler, project, store, -1, 5).await;
    let id = assigned(app, scheduler, job, shopper).await;
    let (status, _) = post(
        app,
        &format!("/api/v1/assignments/{id}/visit"),
        token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let body =
        json!({"answers": answers, "visit_started_at": rfc3339(60), "visit_ended_at": rfc3339(40)});
    let r = app
        .put_json_auth(&format!("/api/v1/assignments/{id}/report"), token, &body)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = post(
        app,
        &format!("/api/v1/assignments/{id}/submit"),
        token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    if let Some(qa) = qa {
        let (status, review) =
            post(app, &format!("/api/v1/reports/{id}/approve"), qa, json!({})).await;
        assert_eq!(review["state"], "released", "{status} {review}");
    }
    id
}

/// A client reviewer of `client`: their token.
async fn client_reviewer(app: &TestApp, client: i64) -> String {
    client_reviewer_account(app, client).await.0
}

/// A client reviewer of `client`: (token, email); the password is `STRONG_PASSWORD`.
pub(crate) async fn client_reviewer_account(app: &TestApp, client: i64) -> (String, String) {
    let admin = access(&app.admin_tokens(&unique_email("admin")).await);
    let email = unique_email("reviewer");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            &admin,
            &json!({"email": email, "password": STRONG_PASSWORD, "role": "client_reviewer", "client_id": client}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = access(
        &app.login(&email, STRONG_PASSWORD)
            .await
            .json()
            .await
            .unwrap(),
    );
    (token, email)
}

on_both_backends!(a_client_sees_only_its_released_reports_and_never_the_shopper);

async fn a_client_sees_only_its_released_reports_and_never_the_shopper(backend: Backend) {
    let Some(app) = spawn_app(backend, "portal").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let qa = reviewer(&app).await;
    let a = client_with_project(&app, &scheduler, "Burger Barn", "B1").await;
    let b = client_with_project(&app, &scheduler, "Pizza Planet", "P1").await;
    for (_, _, project) in [a, b] {
        published(&app, &scheduler, project, drive_thru("Drive-thru")).await;
    }
    let (ana, ana_token) = panel_member(
        &app,
        &scheduler,
        "ana",
        json!({"legal_name": "Anastasia Quill", "street": "77 Hidden Lane"}),
        true,
    )
    .await;
    let me = get_json(&app, "/api/v1/me", &ana_token).await;
    let ana_email = me["email"].as_str().unwrap().to_string();
    let answers = json!({"greeted": "no", "why_not": "=HYPERLINK(\"http://evil.example\")",
                         "items": ["fries"], "wait": 4, "speed": 4});
    let released_a = reported(
        &app,
        &scheduler,
        (a.2, a.1),
        (ana, &ana_token),
        answers.clone(),
        Some(&qa),
    )
    .await;
    // Another store of the same client, for a report QA has not released.
    let (_, second_store) = post(
        &app,
        "/api/v1/locations",
        &scheduler,
        json!({"client_id": a.0, "code": "B2", "name": "Burger Barn B2", "street": "2 Broadway",
               "city": "New York", "state": "NY", "zip": "10004"}),
    )
    .await;
    let second_store = second_store["id"].as_i64().unwrap();
    let waiting_a = reported(
        &app,
        &scheduler,
        (a.2, second_store),
        (ana, &ana_token),
        answers.clone(),
        None,
    )
    .await;
    let released_b = reported(
        &app,
        &scheduler,
        (b.2, b.1),
        (ana, &ana_token),
        answers,
        Some(&qa),
    )
    .await;
    let reviewer_a = client_reviewer(&app, a.0).await;
    let reviewer_b = client_reviewer(&app, b.0).await;

    // Every answer the client reviewer gets, kept for the scan below.
    let mut seen: Vec<String> = Vec::new();
    let list = get_json(&app, "/api/v1/client/reports", &reviewer_a).await;
    seen.push(list.to_string());
    assert_eq!(
        list["total"], 1,
        "only the released report of its own client: {list}"
    );
    let item = &list["items"][0];
    assert_eq!(item["id"], released_a);
    assert_eq!(item["store"]["code"], "B1");
    assert_eq!(
        (item["earned"].as_i64(), item["possible"].as_i64()),
        (Some(5), Some(14)),
        "{item}"
    );
    let code_a = item["shopper"].as_str().unwrap().to_string();
    let list_b = get_json(&app, "/api/v1/client/reports", &reviewer_b).await;
    let code_b = list_b["items"][0]["shopper"].as_str().unwrap().to_string();
    assert!(code_a.starts_with("S-") && code_b.starts_with("S-"));
    assert_ne!(
        code_a, code_b,
        "the same shopper is a different code for each client"
    );

    let report = get_json(
        &app,
        &format!("/api/v1/client/reports/{released_a}"),
        &reviewer_a,
    )
    .await;
    seen.push(report.to_string());
    assert_eq!(report["shopper"], code_a.as_str());
    assert_eq!(report["version"], 1);
    assert_eq!(
        report["sections"][0]["answers"][1]["answer"], "=HYPERLINK(\"http://evil.example\")",
        "shown as written"
    );

    // Another client's, an unreleased one, and one that does not exist: all 404.
    for id in [released_b, waiting_a, released_a + 1000] {
        let r = app
            .get_auth(&format!("/api/v1/client/reports/{id}"), &reviewer_a)
            .await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "report {id}");
    }
    // Filters: by store, by day, by score.
    for (query, total) in [
        ("store=B1", 1),
        ("store=P1", 0),
        ("min_score=50", 0),
        ("max_score=50", 1),
        ("from=2000-01-01", 1),
        ("to=2000-01-01", 0),
    ] {
        let list = get_json(
            &app,
            &format!("/api/v1/client/reports?{query}"),
            &reviewer_a,
        )
        .await;
        assert_eq!(list["total"], total, "{query}: {list}");
    }
    let r = app
        .get_auth("/api/v1/client/reports?shopper_id=1", &reviewer_a)
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The export: scores per report and question, formulas neutralised.
    let r = app
        .get_auth("/api/v1/client/reports.csv", &reviewer_a)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    seen.push(csv.clone());
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5, "one row per question asked: {csv}");
    let why = rows
        .iter()
        .find(|r| &r[6] == "What happened instead?")
        .unwrap();
    assert_eq!(&why[7], "'=HYPERLINK(\"http://evil.example\")");
    let greeted = rows.iter().find(|r| &r[6] == "Were you greeted?").unwrap();
    assert_eq!((&greeted[8], &greeted[9]), ("0", "5"));
    assert!(
        rows.iter()
            .all(|r| &r[4] == code_a.as_str() && &r[0] == released_a.to_string().as_str())
    );

    // Nothing of the shopper reaches the client: not her name, email, street, id, nor the
    // other client's code for her.
    for answer in &seen {
        for value in [
            "Anastasia",
            "Quill",
            "77 Hidden Lane",
            ana_email.as_str(),
            code_b.as_str(),
            "shopper_id",
            "legal_name",
            "latitude",
            "taken_at",
        ] {
            assert!(
                !answer.contains(value),
                "a client answer holds {value}: {answer}"
            );
        }
    }

    // Other roles are refused the portal.
    for token in [&ana_token, &scheduler, &qa] {
        let r = app.get_auth("/api/v1/client/reports", token).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    app.stop().await;
}

/// The portal's pages: the list with the report and the shopper's code, the report with its
/// answers, the CSV, and another client's report not found.
#[tokio::test]
async fn a_client_reviewer_reads_reports_on_the_pages() {
    use crate::pages::signed_in;
    let Some(app) = spawn_app(Backend::Sqlite, "portal pages").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let qa = reviewer(&app).await;
    let a = client_with_project(&app, &scheduler, "Burger Barn", "B1").await;
    let b = client_with_project(&app, &scheduler, "Pizza Planet", "P1").await;
    for (_, _, project) in [a, b] {
        published(&app, &scheduler, project, drive_thru("Drive-thru")).await;
    }
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let answers = json!({"greeted": "yes", "items": ["fries"], "wait": 4, "speed": 4});
    let mine = reported(
        &app,
        &scheduler,
        (a.2, a.1),
        (ana, &ana_token),
        answers.clone(),
        Some(&qa),
    )
    .await;
    let theirs = reported(
        &app,
        &scheduler,
        (b.2, b.1),
        (ana, &ana_token),
        answers,
        Some(&qa),
    )
    .await;
    let mut pages = signed_in(&json!({ "access_token": client_reviewer(&app, a.0).await }));
    let (status, html, _) = pages.get(&app, "/client/reports").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!(r#"href="/client/reports/{mine}""#))
            && !html.contains(&format!(r#"href="/client/reports/{theirs}""#))
            && html.contains("<code>S-"),
        "{html}"
    );
    let (status, html, _) = pages.get(&app, &format!("/client/reports/{mine}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Were you greeted?") && html.contains("fries"),
        "{html}"
    );
    let (status, _, _) = pages.get(&app, &format!("/client/reports/{theirs}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, csv, _) = pages.get(&app, "/client/reports.csv?store=B1&").await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.starts_with("report,project,store"), "{csv}");
    app.stop().await;
}

/// The dashboard against hand-worked scores: store B1 with 5 and 10 of 14, store B2 with 10 of
/// 14; the weakest question is the order (2 of 5 each time); the page draws it all as SVG.
#[tokio::test]
async fn the_dashboard_adds_up_and_is_drawn() {
    use crate::pages::signed_in;
    let Some(app) = spawn_app(Backend::Sqlite, "dashboard").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let qa = reviewer(&app).await;
    let (client, b1, project) = client_with_project(&app, &scheduler, "Burger Barn", "B1").await;
    published(&app, &scheduler, project, drive_thru("Drive-thru")).await;
    let (_, b2) = post(
        &app,
        "/api/v1/locations",
        &scheduler,
        json!({"client_id": client, "code": "B2", "name": "Burger Barn B2", "street": "2 Broadway",
               "city": "New York", "state": "NY", "zip": "10004"}),
    )
    .await;
    let b2 = b2["id"].as_i64().unwrap();
    let no =
        json!({"greeted": "no", "why_not": "Nobody", "items": ["fries"], "wait": 4, "speed": 4});
    let yes = json!({"greeted": "yes", "items": ["fries"], "wait": 4, "speed": 4});
    for (name, store, answers) in [("ana", b1, &no), ("bea", b1, &yes), ("cat", b2, &yes)] {
        let (id, token) = panel_member(&app, &scheduler, name, json!({}), true).await;
        reported(
            &app,
            &scheduler,
            (project, store),
            (id, &token),
            answers.clone(),
            Some(&qa),
        )
        .await;
    }
    let token = client_reviewer(&app, client).await;
    let d = get_json(&app, "/api/v1/client/dashboard", &token).await;
    assert_eq!(d["reports"], 3, "{d}");
    assert_eq!(d["percent"], 59.5, "25 of 42: {d}");
    assert_eq!(d["months"].as_array().unwrap().len(), 1);
    assert_eq!(d["overall"]["percents"][0], 59.5);
    let stores: Vec<(String, f64)> = d["stores"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["percent"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        stores,
        [
            ("B1 · Burger Barn B1".to_string(), 53.6),
            ("B2 · Burger Barn B2".to_string(), 71.4)
        ]
    );
    assert_eq!(d["weakest_questions"][0]["name"], "What did you order?");
    assert_eq!(d["weakest_questions"][0]["percent"], 40.0);
    assert_eq!(
        d["weakest_questions"][1]["percent"], 66.7,
        "greeted: 10 of 15"
    );
    assert!(!d["sections_over_time"].as_array().unwrap().is_empty());
    // Filtered to days without visits: nothing.
    let none = get_json(
        &app,
        "/api/v1/client/dashboard?from=2020-01-01&to=2020-01-31",
        &token,
    )
    .await;
    assert_eq!(none["reports"], 0);
    let r = app
        .get_auth(
            "/api/v1/client/dashboard?from=2026-02-01&to=2026-01-01",
            &token,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another client's reviewer sees none of it.
    let (_, other) = post(
        &app,
        "/api/v1/clients",
        &scheduler,
        json!({"name": "Taco Town"}),
    )
    .await;
    let stranger = client_reviewer(&app, other["id"].as_i64().unwrap()).await;
    assert_eq!(
        get_json(&app, "/api/v1/client/dashboard", &stranger).await["reports"],
        0
    );

    let mut browser = signed_in(&json!({ "access_token": token }));
    let (status, html, _) = browser.get(&app, "/client/dashboard").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        html.matches(r#"<svg class="chart""#).count(),
        5,
        "two stores, five charts: {html}"
    );
    assert!(
        html.contains("Weakest questions") && html.contains("What did you order?"),
        "{html}"
    );
    app.stop().await;
}
