//! Deleting a person at their request, end to end: after the privacy officer completes the
//! request, no table (every column of the data inventory), no stored object and no mail left in
//! the outbox carries the person's email, name, phone or street; open assignments are
//! cancelled; the report handed in stays for the client under the code without their words;
//! the company that received them in a share is told which line to delete; the answer names
//! what was kept and why; and pay owed keeps the name and says so.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, post};
use crate::helpers::*;
use crate::reports::rfc3339;

const NAME: &str = "Ana Eraser";
const STREET: &str = "7 Erasure Avenue";
const PHONE: &str = "+1 212 555 0777";

on_both_backends!(a_deleted_person_leaves_no_trace_but_what_the_law_keeps);

async fn a_deleted_person_leaves_no_trace_but_what_the_law_keeps(backend: Backend) {
    // The logs of the whole run are scanned too.
    captured_logs();
    let Some(app) = spawn_app(backend, "erasure").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let (_, store, project) =
        crate::portal::client_with_project(&app, &scheduler, "Erase Mart", "E1").await;
    crate::reports::published(
        &app,
        &scheduler,
        project,
        json!({"title": "Visit", "sections": [{"title": "Visit", "questions": [
            {"name": "greeted", "label": "Were you greeted?", "kind": "yes_no", "required": true},
            {"name": "notes", "label": "What happened?", "kind": "text", "required": true},
            {"name": "receipt", "label": "Photo of the receipt", "kind": "receipt",
             "files": {"min": 0, "max": 2}}]}]}),
    )
    .await;
    let (ana, token) = panel_member(
        &app,
        &scheduler,
        "ana",
        json!({"legal_name": NAME, "street": STREET, "phone": PHONE,
               "consents": {"share_name_address": true, "share_contact": true}}),
        true,
    )
    .await;
    let email = email_of(&app, &token).await;

    // Her work: a report handed in with her words and a photo, and an open job.
    let visit = assigned(
        &app,
        &scheduler,
        job(&app, &scheduler, project, store, -1, 5).await,
        ana,
    )
    .await;
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{visit}/visit"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, photo) = crate::media::send_for(
        &app,
        &token,
        visit,
        "receipt",
        "IMG_1.JPG",
        incognito::media::photo::sample_phone_jpeg(800, 600),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{photo}");
    let files_before = crate::media::objects(&app).await;
    assert!(!files_before.is_empty());
    let r = app
        .put_json_auth(
            &format!("/api/v1/assignments/{visit}/report"),
            &token,
            &json!({"answers": {"greeted": "yes", "notes": format!("I am {NAME}; the cashier knew me from {STREET}.")},
                    "visit_started_at": rfc3339(60), "visit_ended_at": rfc3339(40)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{visit}/submit"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let open = job(&app, &scheduler, project, store, 2, 9).await;
    let (status, offer) = post(
        &app,
        &format!("/api/v1/jobs/{open}/offer"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{offer}");
    // Shared with a friendly competitor; read by staff.
    let (_, friendly) = post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Erase Friends", "friendly_competitor": true}),
    )
    .await;
    let (status, share) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": friendly["id"], "purpose": "Hiring", "area": {"states": ["NY"]},
               "recipient_email": "hr@erase-friends.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    assert_eq!(share["people"], 1);
    let r = app
        .get_auth(&format!("/api/v1/shoppers/{ana}"), &scheduler)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let before = every_value(&app);
    for needle in [email.as_str(), NAME, STREET, PHONE] {
        assert!(
            !holding(&before, needle).is_empty(),
            "the scan finds {needle} before"
        );
    }

    // She asks; the officer completes it.
    let (status, asked) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "delete"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    let id = asked["id"].as_i64().unwrap();
    let (status, done) = post(
        &app,
        &format!("/api/v1/privacy-requests/{id}/complete"),
        &officer,
        json!({"note": "As you asked."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let answer = done["outcome"].as_str().unwrap();
    assert!(answer.contains("open assignment was cancelled"), "{answer}");
    assert!(answer.contains("We told Erase Friends"), "{answer}");
    assert!(
        answer.contains("the reports you handed in, under your shopper code"),
        "{answer}"
    );
    assert!(answer.contains("the record of this request"), "{answer}");
    assert!(!answer.contains("pay still owed"), "{answer}");
    // Her answer was mailed, and then left the outbox.
    let mails = wait_for_mail(&app.mail_folders(), &email, &format!("#{id}: done"), 1).await;
    assert!(mails[0].contains("What we keep, and why"), "{}", mails[0]);
    let notice = wait_for_mail(
        &app.mail_folders(),
        "hr@erase-friends.example",
        "Please delete",
        1,
    )
    .await;
    assert!(notice[0].contains("line 2"), "{}", notice[0]);
    assert!(
        !notice[0].contains(NAME),
        "the notice names the line, not her"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    let after = loop {
        let values = every_value(&app);
        if holding(&values, &email).is_empty() || std::time::Instant::now() > deadline {
            break values;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    for needle in [email.as_str(), NAME, STREET, PHONE] {
        let found = holding(&after, needle);
        assert!(found.is_empty(), "{needle} is still in {found:?}");
    }
    // No log line ever carried them (logs are not rewritten, so none may).
    let logs = captured_logs();
    assert!(
        logs.contains("/api/v1/privacy-requests"),
        "the logs were captured"
    );
    for needle in [email.as_str(), NAME, STREET, PHONE] {
        let line = logs
            .lines()
            .find(|l| l.to_lowercase().contains(&needle.to_lowercase()));
        assert!(line.is_none(), "{needle} is in the log: {line:?}");
    }
    // Her files are gone from storage, the job is open again, she cannot sign in.
    let files_after = crate::media::objects(&app).await;
    for key in &files_before {
        assert!(!files_after.contains(key), "{key} is still stored");
    }
    let r = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let assignments = get_items(
        &app,
        &format!("/api/v1/jobs/{open}/assignments"),
        &scheduler,
    )
    .await;
    assert!(
        assignments.to_string().contains("cancelled"),
        "{assignments}"
    );
    // The report stays for the client's record, under her code, without her words.
    let pool = app.database();
    let mut conn = pool.get().unwrap();
    let answers: String = incognito::db::schema::reports::table
        .filter(incognito::db::schema::reports::assignment_id.eq(visit))
        .select(incognito::db::schema::reports::answers)
        .first(&mut conn)
        .unwrap();
    assert!(
        answers.contains("[removed at the shopper's request]"),
        "{answers}"
    );
    assert!(answers.contains("\"greeted\":\"yes\""), "{answers}");
    drop(conn);
    // Staff cannot bring her back.
    let (status, p) = post(
        &app,
        &format!("/api/v1/shoppers/{ana}/reinstate"),
        &scheduler,
        json!({"reason": "back"}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("erased")),
        "{p}"
    );
    app.stop().await;
}

#[tokio::test]
async fn pay_owed_keeps_the_name_and_the_answer_says_why() {
    let Some(app) = spawn_app(Backend::Sqlite, "erasure_pay").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let qa = crate::qa::reviewer(&app).await;
    let (_, store, project) =
        crate::portal::client_with_project(&app, &scheduler, "Owed Mart", "O1").await;
    crate::reports::published(
        &app,
        &scheduler,
        project,
        crate::reports::drive_thru("Drive-thru"),
    )
    .await;
    let (ana, token) =
        panel_member(&app, &scheduler, "owed", json!({"legal_name": NAME}), true).await;
    let answers = json!({"greeted": "yes", "items": ["fries"], "wait": 4, "speed": 4});
    crate::portal::reported(
        &app,
        &scheduler,
        (project, store),
        (ana, &token),
        answers,
        Some(&qa),
    )
    .await;
    let (_, asked) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "delete"}),
    )
    .await;
    let id = asked["id"].as_i64().unwrap();
    let (status, done) = post(
        &app,
        &format!("/api/v1/privacy-requests/{id}/complete"),
        &officer,
        json!({"note": "Done."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let answer = done["outcome"].as_str().unwrap();
    assert!(
        answer.contains("pay still owed to you ($15.00)"),
        "{answer}"
    );
    assert!(answer.contains("name, bank account and tax ID"), "{answer}");
    let values = every_value(&app);
    let kept: Vec<&str> = holding(&values, NAME)
        .iter()
        .map(|(c, _)| c.as_str())
        .collect();
    assert_eq!(
        kept,
        ["shoppers.legal_name"],
        "only the pay record keeps the name"
    );
    let _: Value = Value::Null;
    app.stop().await;
}
