//! The authorisation matrix, `tests/authorization.matrix`: every route × every role × the
//! role's own object or another owner's, with the answer expected. This test walks all of it
//! against the running app, on both backends, and fails on any cell that answers otherwise, on
//! a route the app has that the matrix lacks, and on a matrix row the app does not have.
//!
//! A cell says how the request is answered, by its class: `ok` (authorised: anything but
//! 401, 403, 404 or a redirect to sign in), `own` (authorised on the role's own object; another
//! owner's is refused with 404 or 403), `401`, `403`, or `signin` (a page sends the visitor to
//! sign in). Requests carry no useful body: a route that checks who may call it before what
//! it was sent is answered 422 or 400 when allowed, and that counts as `ok`.

use std::collections::{BTreeSet, HashMap};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{Browser, csrf_field};

const ROLES: [&str; 7] = [
    "anonymous",
    "shopper",
    "scheduler",
    "qa",
    "client_reviewer",
    "privacy_officer",
    "admin",
];

const OBJECTS: [&str; 20] = [
    "-",
    "job",
    "assignment",
    "batch",
    "client",
    "organization",
    "media",
    "photo",
    "upload",
    "questionnaire",
    "report",
    "project",
    "shopper",
    "staff",
    "code",
    "year",
    "payout",
    "share",
    "privacy_request",
    "drp",
];

#[derive(Debug)]
struct Row {
    line: usize,
    method: String,
    path: String,
    object: String,
    cells: Vec<String>,
}

fn matrix() -> Vec<Row> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/authorization.matrix");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(
            words.len(),
            3 + ROLES.len(),
            "line {line_no}: method, path, object and {} cells",
            ROLES.len()
        );
        let object = words[2].to_string();
        assert!(
            OBJECTS.contains(&object.as_str()) || object == "session",
            "line {line_no}: unknown object {object}"
        );
        for cell in &words[3..] {
            assert!(
                ["ok", "own", "401", "403", "404", "signin"].contains(cell),
                "line {line_no}: unknown answer {cell}"
            );
        }
        rows.push(Row {
            line: line_no,
            method: words[0].to_string(),
            path: words[1].to_string(),
            object,
            cells: words[3..].iter().map(|c| c.to_string()).collect(),
        });
    }
    rows
}

/// One caller: their API token and their browser (cookies with a form token).
struct Caller {
    token: Option<String>,
    browser: Browser,
    csrf: String,
    email: Option<String>,
}

async fn caller(app: &TestApp, token: Option<String>, email: Option<String>) -> Caller {
    let mut browser = match &token {
        Some(t) => crate::pages::signed_in(&json!({ "access_token": t })),
        None => Browser::default(),
    };
    let (_, html, _) = browser.get(app, "/password/forgot").await;
    let csrf = csrf_field(&html);
    Caller {
        token,
        browser,
        csrf,
        email,
    }
}

/// The answer's class, as the matrix writes it.
fn class(status: StatusCode, location: Option<&str>) -> &'static str {
    match status.as_u16() {
        401 => "401",
        403 => "403",
        404 => "404",
        302 | 303
            if location
                .is_some_and(|l| l.starts_with("/session/renew") || l.starts_with("/signin")) =>
        {
            "signin"
        }
        _ => "ok",
    }
}

async fn send(
    app: &TestApp,
    who: &mut Caller,
    method: &str,
    path: &str,
) -> (StatusCode, Option<String>) {
    if path.starts_with("/api/") || path.starts_with("/drp/") {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = app.client.request(method.clone(), app.url(path));
        if let Some(t) = &who.token {
            request = request.bearer_auth(t);
        }
        if method == reqwest::Method::POST || method == reqwest::Method::PUT {
            request = request.json(&json!({}));
        }
        let r = request.send().await.unwrap();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string());
        (r.status(), location)
    } else if method == "GET" {
        let (status, _, location) = who.browser.get(app, path).await;
        (status, location)
    } else if method == "POST" {
        // The form token as a form sends it, and as the page's script does.
        let csrf = who.csrf.clone();
        let (status, _, location) = who
            .browser
            .post_with(
                app,
                path,
                &[("csrf_token", csrf.as_str())],
                &[("x-csrf-token", csrf.as_str())],
            )
            .await;
        (status, location)
    } else {
        let csrf = who.csrf.clone();
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (status, _, location) = who
            .browser
            .send(app, method, path, &[("x-csrf-token", csrf.as_str())])
            .await;
        (status, location)
    }
}

/// A shopper on the panel (approved), signed in: (id, token, email).
async fn member(app: &TestApp, scheduler: &str, name: &str) -> (i64, String, String) {
    let email = unique_email(name);
    let token = access(&app.signed_up_shopper(&email).await);
    let application = json!({
        "legal_name": format!("{name} Tester"), "street": "1 Main St", "city": "New York",
        "state": "NY", "zip": "10001", "travel_radius_km": 30, "accept_agreement": true
    });
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &application)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let id = get_json(app, "/api/v1/me", &token).await["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post_json_auth(
            &format!("/api/v1/shoppers/{id}/approve"),
            scheduler,
            &json!({"reason": "ok"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    (id, token, email)
}

async fn staff_account(
    app: &TestApp,
    admin: &str,
    role: &str,
    client: Option<i64>,
) -> (i64, String) {
    let email = unique_email(role);
    let r = app
        .post_json_auth(
            "/api/v1/users",
            admin,
            &json!({"email": email, "password": STRONG_PASSWORD, "role": role, "client_id": client}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED, "{role}");
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    (id, email)
}

/// The shopper asks for the job: the assignment's id.
async fn request(app: &TestApp, token: &str, job: i64) -> i64 {
    let r = app
        .post_json_auth(&format!("/api/v1/jobs/{job}/request"), token, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// Staff give `job` to `shopper`, who sends a photo for it: (the assignment's id, the photo's).
async fn photo_of(
    app: &TestApp,
    scheduler: &str,
    job: i64,
    shopper: i64,
    token: &str,
) -> (i64, i64) {
    let r = app
        .post_json_auth(
            &format!("/api/v1/jobs/{job}/assign"),
            scheduler,
            &json!({"shopper_id": shopper}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let assignment = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let part = reqwest::multipart::Part::bytes(incognito::media::photo::sample_phone_jpeg(64, 48))
        .file_name("receipt.jpg");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{assignment}/media")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let media = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    (assignment, media)
}

/// Another photo for the assignment: its id.
async fn second_photo(app: &TestApp, assignment: i64, token: &str) -> i64 {
    let part = reqwest::multipart::Part::bytes(incognito::media::photo::sample_phone_jpeg(80, 60))
        .file_name("second.jpg");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{assignment}/media")))
        .bearer_auth(token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// A resumable upload begun on the assignment: its id.
async fn upload_of(app: &TestApp, assignment: i64, token: &str) -> String {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{assignment}/uploads")))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", "1000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let location = r.headers()["location"].to_str().unwrap();
    location.trim_start_matches("/api/v1/uploads/").to_string()
}

fn concrete(path: &str, id: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').unwrap() + start;
        let name = &rest[start + 1..end];
        out.push_str(match name.split_once(':') {
            // A pattern of choices: the first.
            Some((_, choices)) => choices.split('|').next().unwrap(),
            None => id,
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

async fn the_matrix_holds_for_every_route_role_and_owner(backend: Backend) {
    let Some(app) = spawn_app(backend, "authorization matrix").await else {
        return;
    };
    let rows = matrix();
    // The route table is written as the server's worker builds the app: after an answer.
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Every route the app has is in the matrix, and every row is a route the app has.
    let registered: BTreeSet<(String, String)> = incognito::routing::all()
        .into_iter()
        .flat_map(|(pattern, methods)| {
            methods
                .into_iter()
                .map(move |m| (m.to_string(), pattern.clone()))
        })
        .collect();
    let listed: BTreeSet<(String, String)> = rows
        .iter()
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    let missing: Vec<_> = registered.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&registered).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the matrix: {missing:?}"
    );
    assert!(
        extra.is_empty(),
        "matrix rows the app does not have: {extra:?}"
    );

    // The cast: one account of every role, two shoppers (the caller's own objects are the
    // first's), a client with a store, a project, a job, assignments and a batch.
    let admin_email = unique_email("admin");
    let admin = access(&app.admin_tokens(&admin_email).await);
    let (_, scheduler_email) = staff_account(&app, &admin, "scheduler", None).await;
    let scheduler = sign_in(&app, &scheduler_email).await;
    let client = app
        .post_json_auth(
            "/api/v1/clients",
            &scheduler,
            &json!({"name": "Matrix Mart"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let organization = app
        .post_json_auth(
            "/api/v1/organizations",
            &scheduler,
            &json!({"name": "Matrix Rival"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, qa_email) = staff_account(&app, &admin, "qa", None).await;
    let (_, reviewer_email) = staff_account(&app, &admin, "client_reviewer", Some(client)).await;
    let (_, privacy_email) = staff_account(&app, &admin, "privacy_officer", None).await;
    let (spare_staff, _) = staff_account(&app, &admin, "qa", None).await;
    let (store, project) = store_and_project(&app, &scheduler, client, "M1").await;
    let questionnaire = app
        .post_json_auth(
            &format!("/api/v1/projects/{}/questionnaires", project["id"]),
            &scheduler,
            &json!({"title": "Visit", "sections": [{"title": "One", "questions": [
                {"name": "greeted", "label": "Were you greeted?", "kind": "yes_no"}]}]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let mut jobs = Vec::new();
    for code in ["J1", "J2", "J3", "J4", "J5"] {
        jobs.push(job_at(&app, &scheduler, &project, &store, code).await);
    }
    let (ann, ann_token, ann_email) = member(&app, &scheduler, "ann").await;
    let (bob, bob_token, _) = member(&app, &scheduler, "bob").await;
    let ann_assignment = request(&app, &ann_token, jobs[0]).await;
    let bob_assignment = request(&app, &bob_token, jobs[1]).await;
    // A photo of each, on a job staff gave them.
    let (ann_photographed, ann_media) = photo_of(&app, &scheduler, jobs[3], ann, &ann_token).await;
    let (bob_photographed, bob_media) = photo_of(&app, &scheduler, jobs[4], bob, &bob_token).await;
    let photos = (
        second_photo(&app, ann_photographed, &ann_token).await,
        second_photo(&app, bob_photographed, &bob_token).await,
    );
    let uploads = (
        upload_of(&app, ann_photographed, &ann_token).await,
        upload_of(&app, bob_photographed, &bob_token).await,
    );
    // Ann's report of a job this week, handed in: QA's to review (Bob's is not).
    let r = app
        .post_json_auth(
            &format!("/api/v1/questionnaires/{questionnaire}/publish"),
            &scheduler,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let today = chrono::Utc::now().date_naive();
    let this_week: Value = app
        .post_json_auth(
            "/api/v1/jobs",
            &scheduler,
            &json!({"project_id": project["id"], "location_id": store["id"], "code": "J6",
                    "window_start": (today - chrono::Days::new(1)).to_string(),
                    "window_end": (today + chrono::Days::new(5)).to_string()}),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = app
        .post_json_auth(
            &format!("/api/v1/jobs/{}/assign", this_week["id"]),
            &scheduler,
            &json!({"shopper_id": ann}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ann_reported = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app
        .post_json_auth(
            &format!("/api/v1/assignments/{ann_reported}/visit"),
            &ann_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let ago = |minutes: i64| {
        (chrono::Utc::now() - chrono::TimeDelta::minutes(minutes))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let r = app
        .put_json_auth(
            &format!("/api/v1/assignments/{ann_reported}/report"),
            &ann_token,
            &json!({"answers": {"greeted": "yes"}, "visit_started_at": ago(50), "visit_ended_at": ago(30)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json_auth(
            &format!("/api/v1/assignments/{ann_reported}/submit"),
            &ann_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // Approved by QA, and so released to the client at once (the project's default).
    let qa_token = sign_in(&app, &qa_email).await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/reports/{ann_reported}/approve"),
            &qa_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let batch = app
        .post_json_auth(
            "/api/v1/batches",
            &scheduler,
            &json!({"job_ids": [jobs[2]]}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap_or(0);
    assert!(batch > 0, "a batch was proposed");

    // Its pay owed at once (as if the dispute days had passed), and taken by a payout run.
    let later = app.state.clock.naive() + chrono::TimeDelta::days(60);
    app.database()
        .run(move |conn| incognito::pay::service::mature(conn, later))
        .await
        .unwrap();
    let payout = app
        .post_json_auth("/api/v1/payouts", &admin, &json!({}))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap_or(0);
    assert!(payout > 0, "a payout was made");
    let year = i64::from(chrono::Datelike::year(&app.state.clock.naive()));
    // A share for a friendly competitor.
    let friendly = app
        .post_json_auth(
            "/api/v1/organizations",
            &scheduler,
            &json!({"name": "Matrix Friends", "friendly_competitor": true}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let share = app
        .post_json_auth(
            "/api/v1/shares",
            &scheduler,
            &json!({"organization_id": friendly, "purpose": "Matrix", "area": {"states": ["NY"]}}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap_or(0);
    assert!(share > 0, "a share was made");
    // A privacy request through the public form.
    let privacy_request = app
        .post_json(
            "/api/v1/privacy-requests",
            &json!({"kind": "know", "email": "someone@matrix.example"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap_or(0);
    assert!(privacy_request > 0, "a privacy request was made");

    let ids: HashMap<&str, (i64, i64)> = HashMap::from([
        ("job", (jobs[2], jobs[2])),
        ("assignment", (ann_assignment, bob_assignment)),
        ("batch", (batch, batch)),
        ("client", (client, client)),
        ("organization", (organization, organization)),
        ("media", (ann_media, bob_media)),
        ("photo", photos),
        ("questionnaire", (questionnaire, questionnaire)),
        ("report", (ann_reported, bob_photographed)),
        (
            "project",
            (
                project["id"].as_i64().unwrap(),
                project["id"].as_i64().unwrap(),
            ),
        ),
        ("shopper", (ann, bob)),
        ("staff", (spare_staff, spare_staff)),
        ("year", (year, year)),
        ("payout", (payout, payout)),
        ("share", (share, share)),
        ("privacy_request", (privacy_request, privacy_request)),
    ]);
    let emails: [Option<String>; 7] = [
        None,
        Some(ann_email),
        Some(scheduler_email),
        Some(qa_email),
        Some(reviewer_email),
        Some(privacy_email),
        Some(admin_email),
    ];
    let mut callers = Vec::new();
    for email in &emails {
        let token = match email {
            None => None,
            Some(e) => Some(sign_in(&app, e).await),
        };
        callers.push(caller(&app, token, email.clone()).await);
    }

    let mut wrong = Vec::new();
    for row in &rows {
        for (r, role) in ROLES.iter().enumerate() {
            let expected = row.cells[r].as_str();
            let targets: Vec<(&str, String)> = match row.object.as_str() {
                "-" | "session" => vec![("", concrete(&row.path, ""))],
                "code" => vec![("", concrete(&row.path, "validation_failed"))],
                "drp" => vec![("", concrete(&row.path, "NO_SUCH_AGENT"))],
                kind => {
                    let (own, other) = match kind {
                        "upload" => uploads.clone(),
                        _ => (ids[kind].0.to_string(), ids[kind].1.to_string()),
                    };
                    if expected == "own" {
                        vec![
                            ("own", concrete(&row.path, &own)),
                            ("another's", concrete(&row.path, &other)),
                        ]
                    } else {
                        vec![("", concrete(&row.path, &own))]
                    }
                }
            };
            for (whose, path) in targets {
                // A route that ends the session gets a session of its own.
                let mut fresh;
                let who = if row.object == "session" && r > 0 {
                    let token = match (&callers[r].email, *role) {
                        (_, "shopper") => {
                            access(&app.signed_up_shopper(&unique_email("bye")).await)
                        }
                        (Some(e), _) => sign_in(&app, e).await,
                        (None, _) => unreachable!(),
                    };
                    fresh = caller(&app, Some(token), None).await;
                    &mut fresh
                } else {
                    &mut callers[r]
                };
                let (status, location) = send(&app, who, &row.method, &path).await;
                let got = class(status, location.as_deref());
                let fine = match (expected, whose) {
                    ("own", "own") => got == "ok",
                    ("own", _) => got == "404" || got == "403",
                    (cell, _) => got == cell,
                };
                if !fine {
                    wrong.push(format!(
                        "line {}: {} {path} as {role}{}: expected {expected}, answered {status}{}",
                        row.line,
                        row.method,
                        if whose.is_empty() {
                            String::new()
                        } else {
                            format!(" ({whose} object)")
                        },
                        location.map(|l| format!(" → {l}")).unwrap_or_default()
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells answer otherwise:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    app.stop().await;
}

on_both_backends!(the_matrix_holds_for_every_route_role_and_owner);
