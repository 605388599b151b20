//! QA's review through the API: the queue, the claim (and its race), every outcome and the
//! moves each state refuses (409 naming the state), the revision and appeal round trips, the
//! edits shown to the shopper, release by hand and approval by itself.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, post, setup};
use crate::helpers::*;
use crate::reports::{drive_thru, published, rfc3339};

/// A QA reviewer's token (a new admin creates the account).
pub(crate) async fn reviewer(app: &TestApp) -> String {
    reviewer_account(app).await.0
}

/// A QA reviewer: (token, email); the password is `STRONG_PASSWORD`.
pub(crate) async fn reviewer_account(app: &TestApp) -> (String, String) {
    let admin = access(&app.admin_tokens(&unique_email("admin")).await);
    let email = unique_email("qa");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            &admin,
            &json!({"email": email, "password": STRONG_PASSWORD, "role": "qa"}),
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

/// The complete answers of the drive-thru questionnaire.
fn answers(wait: i64) -> Value {
    json!({
        "answers": {"greeted": "yes", "items": ["fries"], "wait": wait, "speed": 4},
        "visit_started_at": rfc3339(60), "visit_ended_at": rfc3339(40), "receipt_cents": 1250
    })
}

/// Ana's report of a job of a project with `rules`, handed in: (scheduler, assignment, Ana's
/// token, Ben's token).
pub(crate) async fn handed_in(app: &TestApp, rules: Value) -> (String, i64, String, String) {
    let (scheduler, _, store, project) = setup(app, rules).await;
    published(app, &scheduler, project, drive_thru("Drive-thru")).await;
    let job = job(app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(app, &scheduler, "ana", json!({}), true).await;
    let (_, ben_token) = panel_member(app, &scheduler, "ben", json!({}), true).await;
    let id = assigned(app, &scheduler, job, ana).await;
    let (status, _) = post(
        app,
        &format!("/api/v1/assignments/{id}/visit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let r = app
        .put_json_auth(
            &format!("/api/v1/assignments/{id}/report"),
            &ana_token,
            &answers(4),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, view) = post(
        app,
        &format!("/api/v1/assignments/{id}/submit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    (scheduler, id, ana_token, ben_token)
}

/// A move of report `id` by `token`: (status, body).
async fn act(
    app: &TestApp,
    id: i64,
    action: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    post(app, &format!("/api/v1/reports/{id}/{action}"), token, body).await
}

fn actions(review: &Value) -> Vec<String> {
    review["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect()
}

on_both_backends!(
    every_outcome_and_the_moves_each_state_refuses,
    a_project_releasing_by_hand_and_approving_by_itself,
);

async fn every_outcome_and_the_moves_each_state_refuses(backend: Backend) {
    let Some(app) = spawn_app(backend, "qa outcomes").await else {
        return;
    };
    let (scheduler, id, ana_token, ben_token) = handed_in(&app, json!({})).await;
    let (qa1, qa2) = (reviewer(&app).await, reviewer(&app).await);

    // The queue: QA's, oldest first, with the report's flags and time waiting.
    let queue = get_json(&app, "/api/v1/qa/queue", &qa1).await;
    assert_eq!(queue["total"], 1, "{queue}");
    let item = &queue["items"][0];
    assert_eq!(
        (
            item["assignment_id"].as_i64(),
            item["state"].as_str(),
            item["overdue"].as_bool()
        ),
        (Some(id), Some("queued"), Some(false)),
        "{item}"
    );
    assert!(
        item["flags"].is_array() && item["claimed"].is_null(),
        "{item}"
    );
    for token in [&ana_token, &scheduler] {
        assert_eq!(
            app.get_auth("/api/v1/qa/queue", token).await.status(),
            StatusCode::FORBIDDEN
        );
    }
    let r = app
        .get_auth("/api/v1/qa/queue?flag=duplicate_receipt", &qa1)
        .await;
    // Bad queries are named: an unknown or unreadable parameter (400), a page size out of
    // range (422).
    for (bad, status) in [
        ("/api/v1/qa/queue?sort=newest", StatusCode::BAD_REQUEST),
        ("/api/v1/qa/queue?project_id=x", StatusCode::BAD_REQUEST),
        (
            "/api/v1/qa/queue?per_page=0",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = app.get_auth(bad, &qa1).await;
        assert_eq!(r.status(), status, "{bad}");
    }
    let none: Value = r.json().await.unwrap();
    assert_eq!(none["total"], 0, "{none}");

    // The claim: the first reviewer has it; the second is refused, and decides nothing.
    let (status, review) = act(&app, id, "claim", &qa1, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(review["claim"]["yours"], true);
    let (status, p) = act(&app, id, "claim", &qa2, json!({})).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("claimed")),
        "{p}"
    );
    let (status, _) = act(&app, id, "approve", &qa2, json!({})).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let queue = get_json(&app, "/api/v1/qa/queue", &qa2).await;
    assert_eq!(queue["items"][0]["claimed"], "another reviewer");

    // Hold needs a reason; held, it stays in the queue.
    let (status, p) = act(&app, id, "hold", &qa1, json!({})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "reason");
    let (status, review) = act(
        &app,
        id,
        "hold",
        &qa1,
        json!({"reason": "Asking the store about the receipt"}),
    )
    .await;
    assert_eq!(
        (status, review["state"].as_str()),
        (StatusCode::OK, Some("held")),
        "{review}"
    );
    let (status, p) = act(&app, id, "hold", &qa1, json!({"reason": "again"})).await;
    assert_eq!(
        (status, p["state"].as_str()),
        (StatusCode::CONFLICT, Some("held")),
        "{p}"
    );

    // An edit: checked as the shopper's save is, kept with before, after and why.
    let edits = format!("/api/v1/reports/{id}/edits");
    let (status, p) = post(
        &app,
        &edits,
        &qa1,
        json!({"question": "wait", "answer": "a while", "reason": "typo"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, p) = post(
        &app,
        &edits,
        &qa1,
        json!({"question": "wait", "answer": 4, "reason": "same"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, p) = post(&app, &edits, &qa1, json!({"question": "wait", "answer": 6})).await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("reason"))
    );
    let (status, review) = post(
        &app,
        &edits,
        &qa1,
        json!({"question": "wait", "answer": 6, "reason": "The receipt shows 6 minutes"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(review["edits"][0]["before"].as_f64(), Some(4.0));
    assert_eq!(review["edits"][0]["after"].as_f64(), Some(6.0));

    // A revision: a reason, comments per question (named questions only), a deadline.
    let (status, p) = act(
        &app,
        id,
        "revise",
        &qa1,
        json!({"reason": "Fix the speed", "comments": {"nope": "x"}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["errors"][0]["field"], "comments.nope");
    let (status, review) = act(
        &app,
        id,
        "revise",
        &qa1,
        json!({"reason": "Rate the speed again", "comments": {"speed": "4 with a 6-minute wait?"}}),
    )
    .await;
    assert_eq!(
        (status, review["state"].as_str()),
        (StatusCode::OK, Some("revision")),
        "{review}"
    );
    let due =
        chrono::DateTime::parse_from_rfc3339(review["revision_due"].as_str().unwrap()).unwrap();
    let hours = (due.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!(
        (23 * 60..=24 * 60 + 1).contains(&hours),
        "24 hours by default: {hours} min"
    );
    let (status, p) = act(&app, id, "approve", &qa1, json!({})).await;
    assert_eq!(
        (status, p["state"].as_str()),
        (StatusCode::CONFLICT, Some("revision")),
        "{p}"
    );

    // The shopper sees why, what to fix, and what QA changed; fixes it and hands it in again.
    let report = format!("/api/v1/assignments/{id}/report");
    let mine = get_json(&app, &report, &ana_token).await;
    assert_eq!(mine["status"], "draft");
    let seen = &mine["review"];
    assert_eq!(
        seen["comments"]["speed"], "4 with a 6-minute wait?",
        "{seen}"
    );
    assert_eq!(seen["edits"][0]["reason"], "The receipt shows 6 minutes");
    assert!(
        seen.get("claim").is_none(),
        "the shopper is not told who holds it"
    );
    assert_eq!(actions(seen), ["handed_in", "held", "revision_requested"]);
    assert_eq!(
        mine["answers"]["wait"].as_f64(),
        Some(6.0),
        "the edit stands in the report"
    );
    let mut fixed = answers(6);
    fixed["answers"]["speed"] = json!(3);
    let r = app.put_json_auth(&report, &ana_token, &fixed).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, view) = post(
        &app,
        &format!("/api/v1/assignments/{id}/submit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");
    assert_eq!(view["review"]["state"], "queued");
    assert_eq!(actions(&view["review"]).last().unwrap(), "resubmitted");

    // Rejected with a reason; the shopper appeals once, in words; a different reviewer decides.
    let (status, p) = act(&app, id, "reject", &qa1, json!({"reason": " "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, p) = act(
        &app,
        id,
        "reject",
        &qa1,
        json!({"reason": "x", "rating": 11}),
    )
    .await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("rating"))
    );
    let (status, review) = act(
        &app,
        id,
        "reject",
        &qa1,
        json!({"reason": "The receipt is from another store"}),
    )
    .await;
    assert_eq!(
        review["ratings"],
        json!([{"score": 1, "citation": "rejected_report",
                "note": format!("Report {id} rejected: The receipt is from another store")}]),
        "a rejection rates the shopper, and says why"
    );
    assert_eq!(
        (status, review["state"].as_str()),
        (StatusCode::OK, Some("rejected"))
    );
    let (status, _) = act(&app, id, "appeal", &ben_token, json!({"text": "not mine"})).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another shopper's report is not theirs to know of"
    );
    let (status, _) = act(&app, id, "appeal", &qa1, json!({"text": "x"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, p) = act(&app, id, "appeal", &ana_token, json!({})).await;
    assert_eq!(
        (status, p["errors"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("text"))
    );
    let (status, review) = act(
        &app,
        id,
        "appeal",
        &ana_token,
        json!({"text": "The store shares a till with the mall; the receipt says so."}),
    )
    .await;
    assert_eq!(
        (status, review["state"].as_str()),
        (StatusCode::OK, Some("appealed")),
        "{review}"
    );
    assert_eq!(review["may_appeal"], false);
    let queue = get_json(&app, "/api/v1/qa/queue", &qa2).await;
    assert_eq!(queue["items"][0]["appeal"], true, "{queue}");
    let (status, p) = act(&app, id, "approve", &qa1, json!({})).await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("same_reviewer")),
        "{p}"
    );
    let (status, review) = act(&app, id, "approve", &qa2, json!({"excellent": true})).await;
    assert_eq!(status, StatusCode::OK, "{review}");
    assert_eq!(
        review["state"], "released",
        "released at once, as the project says by default"
    );
    assert_eq!(
        review["ratings"],
        json!([{"score": 10, "citation": "excellent_report",
                "note": format!("An excellent report (report {id})")}]),
        "the appeal upheld took the rejection's rating away; the excellent report rated it"
    );
    assert_eq!(
        actions(&review)[actions(&review).len() - 3..],
        ["appealed", "appeal_upheld", "released"]
    );

    // Released: locked.
    for (action, body) in [
        ("approve", json!({})),
        ("reject", json!({"reason": "late"})),
        ("release", json!({})),
        ("hold", json!({"reason": "late"})),
        ("claim", json!({})),
    ] {
        let (status, p) = act(&app, id, action, &qa2, body).await;
        assert_eq!(
            (status, p["state"].as_str()),
            (StatusCode::CONFLICT, Some("released")),
            "{action}: {p}"
        );
    }
    // A correction after release: a new version, with its reason.
    assert_eq!(review["version"], 1);
    let (status, p) = post(&app, &edits, &qa2, json!({"question": "wait", "answer": 7})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, corrected) = post(
        &app,
        &edits,
        &qa2,
        json!({"question": "wait", "answer": 7, "reason": "The drive-thru log shows 7 minutes"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{corrected}");
    assert_eq!(
        (corrected["state"].as_str(), corrected["version"].as_i64()),
        (Some("released"), Some(2))
    );
    assert_eq!(actions(&corrected).last().unwrap(), "corrected");
    let (status, _) = act(&app, id, "appeal", &ana_token, json!({"text": "again"})).await;
    assert_eq!(status, StatusCode::CONFLICT);

    // A report never handed in is not QA's: 404.
    let (status, _) = act(&app, id + 1000, "approve", &qa1, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    app.stop().await;
}

async fn a_project_releasing_by_hand_and_approving_by_itself(backend: Backend) {
    let Some(app) = spawn_app(backend, "qa release").await else {
        return;
    };
    let rules =
        json!({"release_on_approval": false, "auto_approve": true, "review_limit_hours": 2});
    let (_, id, ana_token, _) = handed_in(&app, rules).await;
    let qa = reviewer(&app).await;
    let ana_email = get_json(&app, "/api/v1/me", &ana_token).await["email"].clone();
    let qa_email = get_json(&app, "/api/v1/me", &qa).await["email"].clone();

    // Waiting longer than the project allows: it stands out, then is approved by itself.
    app.state
        .clock
        .advance(chrono::TimeDelta::hours(3))
        .unwrap();
    let again = |email: Value| {
        let app = &app;
        async move {
            let r = app.login(email.as_str().unwrap(), STRONG_PASSWORD).await;
            access(&r.json::<Value>().await.unwrap())
        }
    };
    let qa = again(qa_email).await;
    let queue = get_json(&app, "/api/v1/qa/queue", &qa).await;
    assert_eq!(queue["items"][0]["overdue"], true, "{queue}");
    assert!(queue["items"][0]["waiting_minutes"].as_i64().unwrap() >= 180);
    let now = app.state.clock.naive();
    let url = app.state.auth.public_url.clone();
    let approved = app
        .database()
        .run(move |conn| incognito::pay::service::approve_overdue(conn, &url, now))
        .await
        .unwrap();
    assert_eq!(approved, 1);
    let url = app.state.auth.public_url.clone();
    let again_approved = app
        .database()
        .run(move |conn| incognito::pay::service::approve_overdue(conn, &url, now))
        .await
        .unwrap();
    assert_eq!(again_approved, 0, "once");
    let ana_token = again(ana_email).await;
    let mine = get_json(
        &app,
        &format!("/api/v1/assignments/{id}/report"),
        &ana_token,
    )
    .await;
    assert_eq!(mine["review"]["state"], "approved", "{mine}");
    assert_eq!(
        actions(&mine["review"]).last().unwrap(),
        "approved_by_itself"
    );

    // Released by hand.
    let (status, review) = act(&app, id, "release", &qa, json!({})).await;
    assert_eq!(
        (status, review["state"].as_str()),
        (StatusCode::OK, Some("released")),
        "{review}"
    );
    let (status, p) = act(&app, id, "release", &qa, json!({})).await;
    assert_eq!(
        (status, p["state"].as_str()),
        (StatusCode::CONFLICT, Some("released"))
    );
    app.stop().await;
}

/// Two reviewers open the same report at the same moment: one has it, the other is told.
#[tokio::test]
async fn two_reviewers_claiming_at_once_get_one_claim() {
    let Some(app) = spawn_app(Backend::Postgres, "qa claim race").await else {
        return;
    };
    let (_, id, _, _) = handed_in(&app, json!({})).await;
    let (qa1, qa2) = (reviewer(&app).await, reviewer(&app).await);
    let (a, b) = tokio::join!(
        act(&app, id, "claim", &qa1, json!({})),
        act(&app, id, "claim", &qa2, json!({}))
    );
    let mut statuses = [a.0, b.0];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::OK, StatusCode::CONFLICT],
        "{} {}",
        a.1,
        b.1
    );
    app.stop().await;
}

/// QA on the pages: the queue lists the report, opening it holds it for the reviewer (a second
/// reviewer sees it held and no buttons), a revision without a reason is named beside its field
/// with the comments kept, then sent; the shopper's report page shows where it stands, why and
/// what to fix; rejected after resubmission, the shopper appeals on the page.
#[tokio::test]
async fn qa_and_the_shopper_on_the_pages() {
    use crate::pages::{csrf_field, signed_in};
    let Some(app) = spawn_app(Backend::Sqlite, "qa pages").await else {
        return;
    };
    let (_, id, ana_token, _) = handed_in(&app, json!({})).await;
    let (qa1, qa2) = (reviewer(&app).await, reviewer(&app).await);
    let mut first = signed_in(&json!({ "access_token": qa1 }));
    let mut second = signed_in(&json!({ "access_token": qa2 }));
    let mut ana = signed_in(&json!({ "access_token": ana_token }));

    let (status, html, _) = first.get(&app, "/qa/queue").await;
    assert_eq!(status, StatusCode::OK);
    let page = format!("/qa/reports/{id}");
    assert!(html.contains(&format!(r#"href="{page}""#)), "{html}");
    let (status, html, _) = first.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("It is yours for 30 minutes") && html.contains("Send back for a revision"),
        "{html}"
    );
    let csrf = csrf_field(&html);
    let (_, held, _) = second.get(&app, &page).await;
    assert!(
        held.contains("Another reviewer opened this report")
            && !held.contains(r#"value="approve""#),
        "{held}"
    );

    let decide = format!("/qa/reports/{id}/decide");
    let (status, html, _) = first
        .post(
            &app,
            &decide,
            &[
                ("csrf_token", &csrf),
                ("action", "revise"),
                ("comment.speed", "Was it really a 4?"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"id="reason-error">"#) && html.contains(r#"value="Was it really a 4?""#),
        "{html}"
    );
    let (status, _, location) = first
        .post(
            &app,
            &decide,
            &[
                ("csrf_token", &csrf),
                ("action", "revise"),
                ("reason", "Check the speed rating"),
                ("comment.speed", "Was it really a 4?"),
            ],
        )
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/qa/queue"))
    );

    let report = format!("/shopper/assignments/{id}/report");
    let (_, html, _) = ana.get(&app, &report).await;
    assert!(
        html.contains("QA sent it back for you to fix")
            && html.contains("Why: Check the speed rating")
            && html.contains("How fast was it?</strong>: Was it really a 4?"),
        "{html}"
    );
    assert!(
        !html.contains("fieldset disabled"),
        "the report can be changed again"
    );
    let (status, view) = post(
        &app,
        &format!("/api/v1/assignments/{id}/submit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{view}");

    let (_, html, _) = first.get(&app, &page).await;
    let csrf = csrf_field(&html);
    let (status, _, _) = first
        .post(
            &app,
            &decide,
            &[
                ("csrf_token", &csrf),
                ("action", "reject"),
                ("reason", "The receipt is not this store's"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = ana.get(&app, &report).await;
    assert!(
        html.contains("QA rejected it.")
            && html.contains("The rejection counts as a rating of 1 of 10")
            && html.contains("Ask for a second look (once)"),
        "{html}"
    );
    let ana_csrf = csrf_field(&html);
    let appeal = format!("/shopper/assignments/{id}/report/appeal");
    let (status, html, _) = ana
        .post(&app, &appeal, &[("csrf_token", &ana_csrf), ("appeal", " ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains(r#"id="appeal-error">"#), "{html}");
    let (status, _, _) = ana
        .post(
            &app,
            &appeal,
            &[
                ("csrf_token", &ana_csrf),
                ("appeal", "The mall's tills print the mall's name."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = ana.get(&app, &report).await;
    assert!(
        html.contains("Your appeal is in") && html.contains("a second reviewer looks at it again"),
        "{html}"
    );
    let (_, html, _) = second.get(&app, "/qa/queue").await;
    assert!(html.contains("appeal</span>"), "{html}");
    app.stop().await;
}

/// A revision not handed in again by its deadline: the shopper is told it is late, and QA may
/// reject the report (it would otherwise wait for ever); it is closed, no longer a draft.
#[tokio::test]
async fn a_revision_missed_can_be_rejected() {
    let Some(app) = spawn_app(Backend::Sqlite, "qa revision missed").await else {
        return;
    };
    let (_, id, ana_token, _) = handed_in(&app, json!({})).await;
    let (qa, qa_email) = reviewer_account(&app).await;
    let (status, _) = act(
        &app,
        id,
        "revise",
        &qa,
        json!({"reason": "Add the receipt", "hours": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = act(&app, id, "reject", &qa, json!({"reason": "Never fixed"})).await;
    assert_eq!(
        (status, p["state"].as_str()),
        (StatusCode::CONFLICT, Some("revision")),
        "not before its deadline: {p}"
    );
    let ana_email = get_json(&app, "/api/v1/me", &ana_token).await["email"].clone();
    app.state
        .clock
        .advance(chrono::TimeDelta::hours(2))
        .unwrap();
    let login = |email: String| {
        let app = &app;
        async move {
            access(
                &app.login(&email, STRONG_PASSWORD)
                    .await
                    .json()
                    .await
                    .unwrap(),
            )
        }
    };
    let ana_token = login(ana_email.as_str().unwrap().to_string()).await;
    let qa = login(qa_email).await;
    let r = app
        .put_json_auth(
            &format!("/api/v1/assignments/{id}/report"),
            &ana_token,
            &answers(4),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(problem(r).await["code"], "revision_late");
    let mut page = crate::pages::signed_in(&json!({ "access_token": qa }));
    let (_, html, _) = page.get(&app, &format!("/qa/reports/{id}")).await;
    assert!(
        html.contains("The revision is late") && html.contains(r#"value="reject""#),
        "{html}"
    );
    let (status, review) = act(&app, id, "reject", &qa, json!({"reason": "Never fixed"})).await;
    assert_eq!(
        (status, review["state"].as_str()),
        (StatusCode::OK, Some("rejected")),
        "{review}"
    );
    let mine = get_json(
        &app,
        &format!("/api/v1/assignments/{id}/report"),
        &ana_token,
    )
    .await;
    assert_eq!(mine["status"], "submitted", "closed, no longer a draft");
    assert_eq!(mine["review"]["may_appeal"], true);
    app.stop().await;
}
