//! The retention schedule on the test clock: a dry run counts what has expired per category
//! and changes nothing; applying it deletes applicants never approved after 3 years, accounts
//! that never applied after a year, old files, old access records, old share lists and
//! contacts, and (with its setting) inactive shoppers; a second run finds nothing; the
//! command line counts the same.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, post};
use crate::helpers::*;
use incognito::config::RetentionDays;
use incognito::rights::retention;

fn count(report: &retention::Report, category: &str) -> usize {
    report.counts.get(category).copied().unwrap_or(usize::MAX)
}

on_both_backends!(the_schedule_deletes_what_has_expired_and_nothing_else);

async fn the_schedule_deletes_what_has_expired_and_nothing_else(backend: Backend) {
    let Some(app) = spawn_app(backend, "retention").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let (_, store, project) =
        crate::portal::client_with_project(&app, &scheduler, "Keep Mart", "K1").await;
    crate::reports::published(
        &app,
        &scheduler,
        project,
        json!({"title": "Visit", "sections": [{"title": "Visit", "questions": [
            {"name": "receipt", "label": "Photo of the receipt", "kind": "receipt",
             "files": {"min": 0, "max": 2}}]}]}),
    )
    .await;
    let (applicant, _) = panel_member(&app, &scheduler, "applicant", json!({}), false).await;
    let lead = app.signed_up_shopper(&unique_email("lead")).await;
    let lead_token = access(&lead);
    let lead_id = get_json(&app, "/api/v1/me", &lead_token).await["id"]
        .as_i64()
        .unwrap();
    let (member, token) = panel_member(
        &app,
        &scheduler,
        "member",
        json!({"consents": {"share_name_address": true}}),
        true,
    )
    .await;
    let visit = assigned(
        &app,
        &scheduler,
        job(&app, &scheduler, project, store, -1, 5).await,
        member,
    )
    .await;
    let (status, sent) = crate::media::send_for(
        &app,
        &token,
        visit,
        "receipt",
        "IMG_3.JPG",
        incognito::media::photo::sample_phone_jpeg(640, 480),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let stored = crate::media::objects(&app).await;
    assert!(!stored.is_empty());
    let (_, friendly) = post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Keep Friends", "friendly_competitor": true}),
    )
    .await;
    let (status, _) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": friendly["id"], "purpose": "Hiring", "area": {"states": ["NY"]},
               "recipient_email": "hr@keep-friends.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let r = app
        .get_auth(&format!("/api/v1/shoppers/{member}"), &scheduler)
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let pool = app.database();
    let later = app.state.clock.naive() + chrono::Duration::days(3 * 365 + 1);
    // The member stays: inactive shoppers are kept ten years in this run.
    let patient = RetentionDays {
        inactive_shopper: 3650,
        ..RetentionDays::default()
    };
    let dry = retention::run(&pool, &app.state.storage, patient, later, false)
        .await
        .unwrap();
    assert!(!dry.applied);
    assert_eq!(count(&dry, "applicants never approved"), 1, "{dry:?}");
    assert_eq!(count(&dry, "accounts that never applied"), 1, "{dry:?}");
    assert_eq!(count(&dry, "inactive shoppers"), 0, "{dry:?}");
    assert_eq!(count(&dry, "photos and recordings"), 1, "{dry:?}");
    assert!(
        count(&dry, "records of who read a person's data") >= 1,
        "{dry:?}"
    );
    assert_eq!(
        count(&dry, "lists made for friendly competitors"),
        1,
        "{dry:?}"
    );
    assert_eq!(count(&dry, "friendly competitors' contacts"), 1, "{dry:?}");
    assert_eq!(count(&dry, "privacy request records"), 0, "{dry:?}");
    let again = retention::run(&pool, &app.state.storage, patient, later, false)
        .await
        .unwrap();
    assert_eq!(again, dry, "a dry run changes nothing");

    // The command line counts the same (its inactive shoppers at the default three years).
    let day = later.date().succ_opt().unwrap().to_string();
    let out: Value = serde_json::from_str(&run_incognito(
        &["retention", "--dry-run", "--as-of", &day],
        &app.settings,
    ))
    .unwrap();
    assert_eq!(out["applied"], false);
    assert_eq!(out["counts"]["applicants never approved"], 1, "{out}");
    assert_eq!(
        out["counts"]["inactive shoppers"], 1,
        "the member, inactive three years: {out}"
    );

    let applied = retention::run(&pool, &app.state.storage, patient, later, true)
        .await
        .unwrap();
    assert!(applied.applied);
    assert_eq!(applied.counts, dry.counts, "it does what the dry run said");
    let after = retention::run(&pool, &app.state.storage, patient, later, false)
        .await
        .unwrap();
    assert!(
        after.counts.values().all(|n| *n == 0),
        "nothing left: {after:?}"
    );
    // The applicant and the lead are deleted; the member is not; her file is gone.
    let erased: Vec<(i64, Option<chrono::NaiveDateTime>)> = {
        use diesel::prelude::*;
        use incognito::db::schema::users;
        let mut conn = pool.get().unwrap();
        users::table
            .filter(users::id.eq_any([applicant, lead_id, member]))
            .order(users::id)
            .select((users::id, users::erased_at))
            .load(&mut conn)
            .unwrap()
    };
    let erased: Vec<(i64, bool)> = erased
        .into_iter()
        .map(|(id, at)| (id, at.is_some()))
        .collect();
    let mut expected = vec![(applicant, true), (lead_id, true), (member, false)];
    expected.sort();
    assert_eq!(erased, expected);
    let left = crate::media::objects(&app).await;
    assert!(stored.iter().all(|k| !left.contains(k)), "{left:?}");
    // With the default schedule the member's three quiet years end her membership too.
    let quiet = retention::run(
        &pool,
        &app.state.storage,
        RetentionDays::default(),
        later,
        false,
    )
    .await
    .unwrap();
    assert_eq!(count(&quiet, "inactive shoppers"), 1, "{quiet:?}");
    app.stop().await;
}

#[test]
fn a_retention_run_must_say_whether_it_changes_anything() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_incognito"))
        .args(["retention"])
        .env_clear()
        .envs(settings_env(&settings))
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("--dry-run") && said.contains("--apply"),
        "{said}"
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_incognito"))
        .args(["retention", "--apply", "--as-of", "2099-01-01"])
        .env_clear()
        .envs(settings_env(&settings))
        .output()
        .unwrap();
    assert!(!output.status.success(), "no deleting ahead of time");
}
