//! A client's hot alerts and disputes through the API: a released report crossing its
//! project's alert rules is mailed at once, once, to the client's reviewers who chose alerts,
//! with a link and never the shopper's identity; a client disputes a released report within the
//! project's dispute days, once; QA upholds (withholding the shopper's pay) or dismisses; the
//! shopper sees the outcome on their report and their earnings.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::post;
use crate::helpers::*;
use crate::portal::{client_reviewer_account, reported};
use crate::qa::reviewer;
use crate::reports::{drive_thru, published};

on_both_backends!(alerts_and_disputes_from_release_to_the_shoppers_pay);

async fn alerts_and_disputes_from_release_to_the_shoppers_pay(backend: Backend) {
    let Some(app) = spawn_app(backend, "alerts and disputes").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let qa = reviewer(&app).await;
    let (_, client) = post(
        &app,
        "/api/v1/clients",
        &scheduler,
        json!({"name": "Burger Barn"}),
    )
    .await;
    let client = client["id"].as_i64().unwrap();
    let (_, store) = post(
        &app,
        "/api/v1/locations",
        &scheduler,
        json!({"client_id": client, "code": "B1", "name": "Barn Broadway", "street": "1 Broadway", "city": "New York", "state": "NY", "zip": "10004"}),
    )
    .await;
    let store = store["id"].as_i64().unwrap();
    let (status, project) = post(
        &app,
        "/api/v1/projects",
        &scheduler,
        json!({"client_id": client, "name": "Barn visits", "max_km": 40, "rotation_days": 0,
               "fee_cents": 1500, "dispute_days": 3, "alert_below_percent": 50,
               "alert_question": "greeted", "alert_answers": ["no"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let project = project["id"].as_i64().unwrap();
    published(&app, &scheduler, project, drive_thru("Drive-thru")).await;
    // A project's alert needs its answers named.
    let (status, p) = post(
        &app,
        "/api/v1/projects",
        &scheduler,
        json!({"client_id": client, "name": "Half", "max_km": 40, "rotation_days": 0,
               "fee_cents": 1500, "alert_question": "greeted"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "alert_answers", "{p}");

    let (alerted_token, alerted_email) = client_reviewer_account(&app, client).await;
    let (quiet_token, quiet_email) = client_reviewer_account(&app, client).await;
    let r = app
        .put_json_auth(
            "/api/v1/client/alerts",
            &alerted_token,
            &json!({"hot_alerts": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let chosen = get_json(&app, "/api/v1/client/alerts", &alerted_token).await;
    assert_eq!(chosen["hot_alerts"], true);
    assert_eq!(
        get_json(&app, "/api/v1/client/alerts", &quiet_token).await["hot_alerts"],
        false
    );

    let (ana, ana_token) = panel_member(
        &app,
        &scheduler,
        "ana",
        json!({"legal_name": "Anastasia Quill", "street": "77 Hidden Lane"}),
        true,
    )
    .await;
    let ana_email = email_of(&app, &ana_token).await;
    let bad = json!({"greeted": "no", "why_not": "Nobody there", "items": ["fries"], "wait": 4, "speed": 4});
    let good = json!({"greeted": "yes", "items": ["fries"], "wait": 4, "speed": 4});
    let (bea, bea_token) = panel_member(&app, &scheduler, "bea", json!({}), true).await;
    let bea_email = email_of(&app, &bea_token).await;
    let (cat, cat_token) = panel_member(&app, &scheduler, "cat", json!({}), true).await;
    // Released at once on approval: the first alerts (36%, and "no"), the second does not.
    let first = reported(
        &app,
        &scheduler,
        (project, store),
        (ana, &ana_token),
        bad.clone(),
        Some(&qa),
    )
    .await;
    let second = reported(
        &app,
        &scheduler,
        (project, store),
        (bea, &bea_token),
        good,
        Some(&qa),
    )
    .await;
    let third = reported(
        &app,
        &scheduler,
        (project, store),
        (cat, &cat_token),
        bad,
        Some(&qa),
    )
    .await;
    let folders = app.mail_folders();
    let link = format!("/client/reports/{first}");
    let mails = wait_for_mail(&folders, &alerted_email, &link, 1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(
        mail.contains("below the 50% the project alerts at")
            && mail.contains("“Were you greeted?” was answered “no”"),
        "{mail}"
    );
    for value in ["Anastasia", "Quill", "Hidden Lane", ana_email.as_str()] {
        assert!(
            !mail.contains(value),
            "the alert names the shopper ({value}): {mail}"
        );
    }
    wait_for_mail(
        &folders,
        &alerted_email,
        &format!("/client/reports/{third}"),
        1,
    )
    .await;
    let to_alerted = mail_to(&folders, &alerted_email);
    assert!(
        !to_alerted
            .iter()
            .any(|m| m.contains(&format!("/client/reports/{second}"))),
        "a good report does not alert"
    );
    assert!(
        !mail_to(&folders, &quiet_email)
            .iter()
            .any(|m| m.contains("/client/reports/")),
        "only reviewers who chose alerts"
    );
    // Once per report: asked again, nothing more is sent.
    let url = app.state.auth.public_url.clone();
    let now = app.state.clock.naive();
    let again = app
        .database()
        .run(move |conn| {
            incognito::portal::alerts::on_release(
                conn,
                &url,
                incognito::ids::AssignmentId(first),
                now,
            )
        })
        .await
        .unwrap();
    assert_eq!(again, 0);

    // Disputes: a reason is needed; another client's reviewer cannot; once each.
    let dispute = |id: i64| format!("/api/v1/client/reports/{id}/dispute");
    let (status, p) = post(&app, &dispute(first), &quiet_token, json!({"reason": "  "})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (_, other_client) = post(
        &app,
        "/api/v1/clients",
        &scheduler,
        json!({"name": "Taco Town"}),
    )
    .await;
    let (stranger, _) = client_reviewer_account(&app, other_client["id"].as_i64().unwrap()).await;
    let (status, _) = post(
        &app,
        &dispute(first),
        &stranger,
        json!({"reason": "Not ours"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, d) = post(
        &app,
        &dispute(first),
        &quiet_token,
        json!({"reason": "The store was closed for renovation that day."}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{d}");
    let (status, p) = post(
        &app,
        &dispute(first),
        &alerted_token,
        json!({"reason": "Again"}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("disputed_already"))
    );
    let (status, _) = post(
        &app,
        &dispute(second),
        &quiet_token,
        json!({"reason": "The wait was longer."}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // The shopper's pay for a disputed report waits, and says why.
    let mine = get_json(&app, "/api/v1/me/earnings", &ana_token).await;
    let first_lines: Vec<&Value> = mine["lines"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["assignment_id"] == first)
        .collect();
    assert!(!first_lines.is_empty());
    assert!(
        first_lines.iter().all(|l| l["state"] == "pending"
            && l["waiting_for"].as_str().unwrap().contains("disputes")
            && l["expected_pay_date"].is_null()),
        "{mine}"
    );

    // QA's list; its answers.
    let list = get_json(&app, "/api/v1/qa/disputes", &qa).await;
    let ids: Vec<i64> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["assignment_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [first, second], "{list}");
    let answer = |id: i64| format!("/api/v1/disputes/{id}/answer");
    let (status, p) = post(
        &app,
        &answer(second),
        &qa,
        json!({"outcome": "dismissed", "answer": "The photos show a short wait.", "withhold_pay": true}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    let (status, _) = post(
        &app,
        &answer(second),
        &qa,
        json!({"outcome": "dismissed", "answer": "The photos show a short wait."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, view) = post(
        &app,
        &answer(first),
        &qa,
        json!({"outcome": "upheld", "answer": "The store was indeed closed.", "withhold_pay": true}),
    )
    .await;
    assert_eq!(
        (status, view["outcome"].as_str()),
        (StatusCode::OK, Some("upheld")),
        "{view}"
    );
    let (status, p) = post(
        &app,
        &answer(first),
        &qa,
        json!({"outcome": "dismissed", "answer": "Changed my mind"}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("answered_already"))
    );
    let (status, _) = post(
        &app,
        &answer(third),
        &qa,
        json!({"outcome": "dismissed", "answer": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "no dispute of it");

    // The client reads QA's answer; the shopper reads the outcome on their report.
    let seen = get_json(
        &app,
        &format!("/api/v1/client/reports/{first}"),
        &quiet_token,
    )
    .await;
    assert_eq!(
        seen["dispute"]["answer"], "The store was indeed closed.",
        "{seen}"
    );
    let report = get_json(
        &app,
        &format!("/api/v1/assignments/{first}/report"),
        &ana_token,
    )
    .await;
    let actions: Vec<&str> = report["review"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.ends_with(&["disputed", "dispute_upheld"]),
        "{actions:?}"
    );

    // After the dispute days: the upheld report's pay is withheld with why; the dismissed
    // one's is owed; a report not disputed in time can no longer be.
    app.state
        .clock
        .advance(chrono::TimeDelta::days(3) + chrono::TimeDelta::minutes(1))
        .unwrap();
    let now = app.state.clock.naive();
    app.database()
        .run(move |conn| incognito::pay::service::mature(conn, now))
        .await
        .unwrap();
    let ana_token = access(
        &app.login(&ana_email, STRONG_PASSWORD)
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    let mine = get_json(&app, "/api/v1/me/earnings", &ana_token).await;
    assert!(mine["lines"]["total"].as_i64().unwrap() > 0);
    for line in mine["lines"]["items"].as_array().unwrap() {
        assert_eq!(line["state"], "withheld", "{line}");
        assert!(
            line["note"]
                .as_str()
                .unwrap()
                .contains("The store was indeed closed.")
        );
    }
    let bea_token = access(
        &app.login(&bea_email, STRONG_PASSWORD)
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    let bea_mine = get_json(&app, "/api/v1/me/earnings", &bea_token).await;
    assert!(bea_mine["lines"]["total"].as_i64().unwrap() > 0);
    for line in bea_mine["lines"]["items"].as_array().unwrap() {
        assert_eq!(line["state"], "approved", "{line}");
    }
    let quiet_token = access(
        &app.login(&quiet_email, STRONG_PASSWORD)
            .await
            .json::<Value>()
            .await
            .unwrap(),
    );
    let (status, p) = post(
        &app,
        &dispute(third),
        &quiet_token,
        json!({"reason": "Late"}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("dispute_late")),
        "{p}"
    );
    app.stop().await;
}

/// Disputes and alerts on the pages: the reviewer turns alerts on; a dispute without a reason
/// is named beside its field; sent, it shows on the report; QA's answer without a choice is
/// named with the words typed kept; answered, the client reads it.
#[tokio::test]
async fn disputes_and_alerts_on_the_pages() {
    use crate::pages::{csrf_field, signed_in};
    let Some(app) = spawn_app(Backend::Sqlite, "dispute pages").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let qa = reviewer(&app).await;
    let (client, store, project) =
        crate::portal::client_with_project(&app, &scheduler, "Burger Barn", "B1").await;
    published(&app, &scheduler, project, drive_thru("Drive-thru")).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let answers = json!({"greeted": "yes", "items": ["fries"], "wait": 4, "speed": 4});
    let id = reported(
        &app,
        &scheduler,
        (project, store),
        (ana, &ana_token),
        answers,
        Some(&qa),
    )
    .await;
    let (token, _) = client_reviewer_account(&app, client).await;
    let mut browser = signed_in(&json!({ "access_token": token }));

    let (_, html, _) = browser.get(&app, "/client/reports").await;
    let csrf = csrf_field(&html);
    let (status, _, _) = browser
        .post(
            &app,
            "/client/alerts",
            &[("csrf_token", &csrf), ("hot_alerts", "on")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = browser.get(&app, "/client/reports").await;
    assert!(html.contains(r#"name="hot_alerts" checked"#), "{html}");

    let page = format!("/client/reports/{id}");
    let (_, html, _) = browser.get(&app, &page).await;
    assert!(
        html.contains("Dispute this report") && html.contains("You may dispute it until"),
        "{html}"
    );
    let action = format!("/client/reports/{id}/dispute");
    let (status, html, _) = browser
        .post(&app, &action, &[("csrf_token", &csrf), ("reason", " ")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"id="reason-error">Say what is wrong with the report."#),
        "{html}"
    );
    let (status, _, _) = browser
        .post(
            &app,
            &action,
            &[
                ("csrf_token", &csrf),
                ("reason", "The photos are of another store."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = browser.get(&app, &page).await;
    assert!(
        html.contains("“The photos are of another store.”")
            && html.contains("QA will answer it here.")
            && !html.contains("Dispute this report"),
        "{html}"
    );

    let mut desk = signed_in(&json!({ "access_token": qa }));
    let (_, html, _) = desk.get(&app, "/qa/disputes").await;
    assert!(html.contains("The photos are of another store."), "{html}");
    let csrf = csrf_field(&html);
    let answer = format!("/qa/disputes/{id}/answer");
    let (status, html, _) = desk
        .post(
            &app,
            &answer,
            &[("csrf_token", &csrf), ("answer", "They are of B1.")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Choose whether the client is right.")
            && html.contains(">They are of B1.</textarea>"),
        "{html}"
    );
    let (status, _, _) = desk
        .post(
            &app,
            &answer,
            &[
                ("csrf_token", &csrf),
                ("outcome", "dismissed"),
                ("answer", "They are of B1."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = browser.get(&app, &page).await;
    assert!(
        html.contains("QA dismissed the dispute: the report stands</strong>: They are of B1."),
        "{html}"
    );
    let mut shopper = signed_in(&json!({ "access_token": ana_token }));
    let (_, html, _) = shopper
        .get(&app, &format!("/shopper/assignments/{id}/report"))
        .await;
    assert!(
        html.contains("The client disputed it") && html.contains("QA found your report right"),
        "{html}"
    );
    app.stop().await;
}
