//! Limiting the use of sensitive data: at once, without verification, the shopper's date of
//! birth and languages stop being used for matching; jobs that ask for an age or a language
//! are no longer theirs, and the board says why; every other job, and its pay, is the same
//! (non-discrimination).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{job, post};
use crate::helpers::*;

fn ids(board: &Value) -> Vec<i64> {
    let mut ids: Vec<i64> = board["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    ids
}

on_both_backends!(a_limit_stops_age_and_language_matching_and_nothing_else);

async fn a_limit_stops_age_and_language_matching_and_nothing_else(backend: Backend) {
    let Some(app) = spawn_app(backend, "limit").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let (client, store, plain) =
        crate::portal::client_with_project(&app, &scheduler, "Limit Mart", "L1").await;
    let mut projects = vec![plain];
    for rules in [json!({"min_age": 21}), json!({"languages": ["es"]})] {
        let mut body = json!({"client_id": client, "name": format!("Limit {rules}"), "max_km": 40,
                              "rotation_days": 0, "fee_cents": 1500});
        for (k, v) in rules.as_object().unwrap() {
            body[k] = v.clone();
        }
        let (status, project) = post(&app, "/api/v1/projects", &scheduler, body).await;
        assert_eq!(status, StatusCode::CREATED, "{project}");
        projects.push(project["id"].as_i64().unwrap());
    }
    let mut jobs = Vec::new();
    for project in &projects {
        jobs.push(job(&app, &scheduler, *project, store, 1, 9).await);
    }
    let (_, token) = panel_member(
        &app,
        &scheduler,
        "lim",
        json!({"date_of_birth": "1990-04-01", "languages": ["es"]}),
        true,
    )
    .await;
    let before = get_json(&app, "/api/v1/me/jobs", &token).await;
    let mut all = jobs.clone();
    all.sort();
    assert_eq!(ids(&before), all, "every job is hers before: {before}");

    let (status, limited) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "limit"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{limited}");
    assert_eq!(limited["status"], "fulfilled", "{limited}");
    assert_eq!(limited["verification"], "not_needed");
    assert!(
        limited["message"]
            .as_str()
            .unwrap()
            .contains("no longer used to match you")
    );

    let after = get_json(&app, "/api/v1/me/jobs", &token).await;
    assert_eq!(
        ids(&after),
        [jobs[0]],
        "only the job that asks for neither: {after}"
    );
    // The same job, the same pay.
    let pay = |board: &Value| {
        board["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["id"] == jobs[0])
            .map(|j| (j["fee_cents"].clone(), j["pay"].clone()))
            .unwrap()
    };
    assert_eq!(pay(&after), pay(&before));
    for (job, words) in [(jobs[1], "date of birth"), (jobs[2], "languages you speak")] {
        let detail = get_json(&app, &format!("/api/v1/me/jobs/{job}"), &token).await;
        let why = detail["why_not"].to_string();
        assert!(
            why.contains("you limited the use of your sensitive data") && why.contains(words),
            "{detail}"
        );
    }
    app.stop().await;
}
