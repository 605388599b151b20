//! Privacy requests through the API: a signed-in person's requests (verified by the account),
//! the public form's code (6 digits, 10 minutes, 3 tries) and data points, the clocks (45 days,
//! one extension to 90 before day 45, overdue on the officer's dashboard), the limit of two
//! know/access requests in 12 months, the opt-out carried out at once, and a share leaving out
//! a person whose deletion request is open.

use chrono::TimeDelta;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::post;
use crate::helpers::*;

fn by_id(list: &Value, id: i64) -> Value {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .unwrap_or(Value::Null)
}

on_both_backends!(
    a_signed_in_person_asks_and_the_officer_answers_on_the_clock,
    the_public_form_verifies_by_a_code_mailed_to_the_address_on_file,
);

async fn a_signed_in_person_asks_and_the_officer_answers_on_the_clock(backend: Backend) {
    let Some(app) = spawn_app(backend, "privacy_requests").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, officer_email) = privacy_officer(&app, &admin).await;
    let (_, friendly) = post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Request Friends", "friendly_competitor": true}),
    )
    .await;
    let friendly = friendly["id"].as_i64().unwrap();
    let (_, token) = panel_member(
        &app,
        &scheduler,
        "rosa",
        json!({"state": "OR", "city": "Portland", "zip": "97201",
               "consents": {"share_name_address": true}}),
        true,
    )
    .await;
    let email = email_of(&app, &token).await;

    // To know: verified by the account, acknowledged by mail, due in 45 days.
    let (status, know) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "know"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{know}");
    assert_eq!(
        (know["status"].as_str(), know["verification"].as_str()),
        (Some("open"), Some("account"))
    );
    let know_id = know["id"].as_i64().unwrap();
    let ack = wait_for_mail(&app.mail_folders(), &email, &format!("#{know_id}"), 1).await;
    assert!(ack[0].contains("will answer by"), "{}", ack[0]);
    let due = chrono::DateTime::parse_from_rfc3339(know["due_at"].as_str().unwrap()).unwrap();
    let days = (due.naive_utc() - app.state.clock.naive()).num_days();
    assert!((44..=45).contains(&days), "{know}");

    let (_, access_request) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "access"}),
    )
    .await;
    let access_id = access_request["id"].as_i64().unwrap();
    // A third know/access request in 12 months is recorded and denied.
    let (status, third) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "know"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(third["status"], "denied", "{third}");
    let mine = get_json(&app, "/api/v1/me/privacy-requests", &token).await;
    let denied = by_id(&mine, third["id"].as_i64().unwrap());
    assert_eq!(denied["denial_reason"], "too_many_requests", "{mine}");

    // A share made while her deletion request is open leaves her out; she consented.
    let share = json!({"organization_id": friendly, "purpose": "Hiring in Oregon", "area": {"states": ["OR"]}});
    let (_, before) = post(&app, "/api/v1/shares", &scheduler, share.clone()).await;
    assert_eq!(before["people"], 1, "{before}");
    let (_, delete) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "delete"}),
    )
    .await;
    let delete_id = delete["id"].as_i64().unwrap();
    let (_, during) = post(&app, "/api/v1/shares", &scheduler, share.clone()).await;
    assert_eq!(during["people"], 0, "a pending deletion excludes: {during}");

    // The record of processing names the share's recipient and every personal column.
    let record = get_json(&app, "/api/v1/privacy/record-of-processing", &officer).await;
    assert!(
        record["recipients"]
            .as_array()
            .unwrap()
            .contains(&json!("Request Friends")),
        "{record}"
    );
    let shoppers = record["activities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "shoppers")
        .unwrap();
    assert!(
        shoppers["items"]
            .to_string()
            .contains("\"data\":\"legal name\""),
        "{shoppers}"
    );
    assert_eq!(shoppers["data_subjects"], "shoppers");
    let personal = incognito::privacy::inventory::INVENTORY
        .iter()
        .filter(|e| {
            matches!(
                e.classification,
                incognito::privacy::inventory::Classification::Personal { .. }
            )
        })
        .count()
        + incognito::privacy::inventory::FILES.len();
    let items: usize = record["activities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["items"].as_array().unwrap().len())
        .sum();
    assert_eq!(items, personal, "every personal column and place, once");

    // Her logs, by email or code: the share's recipient, and the officer's own read.
    let logs = get_json(
        &app,
        &format!("/api/v1/privacy/logs?person={email}"),
        &officer,
    )
    .await;
    assert_eq!(
        logs["disclosures"]["items"][0]["recipient"], "Request Friends",
        "{logs}"
    );
    let code = logs["code"].as_str().unwrap().to_string();
    let again = get_json(
        &app,
        &format!("/api/v1/privacy/logs?person={}", code.to_lowercase()),
        &officer,
    )
    .await;
    assert_eq!(again["email"], email.as_str());
    assert_eq!(
        again["access"]["total"].as_i64().unwrap(),
        logs["access"]["total"].as_i64().unwrap() + 1,
        "the officer's read is recorded: {again}"
    );
    assert_eq!(again["access"]["items"][0]["staff"], officer_email.as_str());
    let r = app
        .get_auth("/api/v1/privacy/logs?person=nobody@example.com", &officer)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // An opt-out is carried out at once: her sharing consent is now a no, from the request.
    let (_, opt_out) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "opt_out"}),
    )
    .await;
    assert_eq!(
        (opt_out["status"].as_str(), opt_out["verification"].as_str()),
        (Some("fulfilled"), Some("not_needed")),
        "{opt_out}"
    );
    let consents = get_json(&app, "/api/v1/me/consents", &token).await;
    let last = consents["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (&last["granted"], &last["source"]),
        (&json!(false), &json!("privacy_request")),
        "{consents}"
    );

    // The officer's queue: open ones, the soonest due first, with the history.
    let queue = get_json(&app, "/api/v1/privacy-requests", &officer).await;
    let ids: Vec<i64> = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [know_id, access_id, delete_id], "{queue}");
    assert_eq!(queue["items"][0]["requester_email"], email.as_str());
    assert!(
        queue["items"][0]["history"][0]["what"]
            .as_str()
            .unwrap()
            .starts_with("Received"),
        "{queue}"
    );
    let clocks = get_json(&app, "/api/v1/privacy/dashboard", &officer).await;
    assert_eq!(
        (clocks["open"].as_i64(), clocks["overdue"].as_i64()),
        (Some(3), Some(0)),
        "{clocks}"
    );

    // Complete the know request (mailed).
    let (status, done) = post(
        &app,
        &format!("/api/v1/privacy-requests/{know_id}/complete"),
        &officer,
        json!({"note": "We hold your account, profile and consent records; see the notice for each."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done["status"], "fulfilled");
    wait_for_mail(&app.mail_folders(), &email, &format!("#{know_id}: done"), 1).await;
    // A correction is not carried out by the service yet: it stays open until denied.
    let (_, correct) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "correct", "details": "My ZIP is 97205."}),
    )
    .await;
    let correct_id = correct["id"].as_i64().unwrap();
    let (status, p) = post(
        &app,
        &format!("/api/v1/privacy-requests/{correct_id}/complete"),
        &officer,
        json!({"note": "Corrected."}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_automated")),
        "{p}"
    );
    let (status, _) = post(
        &app,
        &format!("/api/v1/privacy-requests/{correct_id}/deny"),
        &officer,
        json!({"reason": "other", "explanation": "Please change your ZIP on your profile page."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, p) = post(
        &app,
        &format!("/api/v1/privacy-requests/{know_id}/deny"),
        &officer,
        json!({"reason": "other", "explanation": "Closed twice"}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("request_closed")),
        "{p}"
    );

    // One extension, to 90 days after receipt, with the reason mailed.
    let (status, extended) = post(
        &app,
        &format!("/api/v1/privacy-requests/{access_id}/extend"),
        &officer,
        json!({"reason": "Your recordings are archived and take time to gather."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{extended}");
    let due = chrono::DateTime::parse_from_rfc3339(extended["due_at"].as_str().unwrap()).unwrap();
    let received =
        chrono::DateTime::parse_from_rfc3339(extended["received_at"].as_str().unwrap()).unwrap();
    assert_eq!((due - received).num_days(), 90, "{extended}");
    let told = wait_for_mail(&app.mail_folders(), &email, "more time needed", 1).await;
    assert!(told[0].contains("recordings are archived"), "{}", told[0]);
    let (status, p) = post(
        &app,
        &format!("/api/v1/privacy-requests/{access_id}/extend"),
        &officer,
        json!({"reason": "Still more time."}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("extended_already")),
        "{p}"
    );

    // An unknown filter is named.
    let r = app
        .get_auth("/api/v1/privacy-requests?status=lost", &officer)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Day 46: the deletion is overdue and can no longer be extended; the extended one is not.
    app.state.clock.advance(TimeDelta::days(46)).unwrap();
    let officer = sign_in(&app, &officer_email).await;
    let clocks = get_json(&app, "/api/v1/privacy/dashboard", &officer).await;
    assert_eq!(
        (clocks["open"].as_i64(), clocks["overdue"].as_i64()),
        (Some(2), Some(1)),
        "{clocks}"
    );
    let overdue = get_json(&app, "/api/v1/privacy-requests?status=overdue", &officer).await;
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1, "{overdue}");
    assert_eq!(overdue["items"][0]["id"], delete_id);
    assert_eq!(overdue["items"][0]["urgency"], "overdue");
    let (status, p) = post(
        &app,
        &format!("/api/v1/privacy-requests/{delete_id}/extend"),
        &officer,
        json!({"reason": "Too late now."}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("extension_late")),
        "{p}"
    );

    // A year on, she may ask to know again.
    app.state.clock.advance(TimeDelta::days(320)).unwrap();
    let token = sign_in(&app, &email).await;
    let (_, again) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "know"}),
    )
    .await;
    assert_eq!(again["status"], "open", "{again}");

    // Bad input is named.
    let (status, p) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "sell"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "kind", "{p}");
    let (status, p) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "correct"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "corrections", "{p}");
    app.stop().await;
}

async fn the_public_form_verifies_by_a_code_mailed_to_the_address_on_file(backend: Backend) {
    let Some(app) = spawn_app(backend, "privacy_requests_public").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let (_, token) = panel_member(
        &app,
        &scheduler,
        "lena",
        json!({"legal_name": "Lena O'Hara", "zip": "10001", "phone": "+1 212 555 0199",
               "consents": {"share_name_address": true}}),
        true,
    )
    .await;
    let email = email_of(&app, &token).await;

    // Name and ZIP as people type them, plus the email: 3 points, enough to know the categories.
    let r = app
        .post_json(
            "/api/v1/privacy-requests",
            &json!({"kind": "know", "email": email.to_uppercase(), "name": "lena ohara", "zip": "10001-1234"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let know: Value = r.json().await.unwrap();
    assert_eq!(know["verification"], "pending", "{know}");
    let id = know["id"].as_i64().unwrap();
    let code = mailed_code(&app, &email, id).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = app
        .post_json(
            &format!("/api/v1/privacy-requests/{id}/verify"),
            &json!({"code": wrong}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(r).await.to_string().contains("2 tries left"));
    let r = app
        .post_json(
            &format!("/api/v1/privacy-requests/{id}/verify"),
            &json!({"code": code}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let verified: Value = r.json().await.unwrap();
    assert_eq!(
        (
            verified["verification"].as_str(),
            verified["status"].as_str()
        ),
        (Some("verified"), Some("in_progress")),
        "{verified}"
    );
    let r = app
        .post_json(
            &format!("/api/v1/privacy-requests/{id}/verify"),
            &json!({"code": code}),
        )
        .await;
    assert_eq!(problem(r).await["code"], "not_waiting_for_code");

    // A copy of the data needs 3 points and the declaration: with the name only it is partial.
    let r = app
        .post_json(
            "/api/v1/privacy-requests",
            &json!({"kind": "access", "email": email, "name": "Lena O'Hara"}),
        )
        .await;
    let partial_id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let code = mailed_code(&app, &email, partial_id).await;
    let r = app
        .post_json(
            &format!("/api/v1/privacy-requests/{partial_id}/verify"),
            &json!({"code": code}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["verification"], "partial");

    // An address not on file: the same answer, but no code is mailed, and three tries fail it.
    let stranger = unique_email("stranger");
    let r = app
        .post_json(
            "/api/v1/privacy-requests",
            &json!({"kind": "delete", "email": stranger}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let unknown: Value = r.json().await.unwrap();
    assert_eq!(unknown["verification"], "pending");
    let unknown_id = unknown["id"].as_i64().unwrap();
    let ack = wait_for_mail(&app.mail_folders(), &stranger, &format!("#{unknown_id}"), 1).await;
    assert!(!ack[0].contains("within 10 minutes:"), "{}", ack[0]);
    for attempt in 1..=3 {
        let r = app
            .post_json(
                &format!("/api/v1/privacy-requests/{unknown_id}/verify"),
                &json!({"code": "123456"}),
            )
            .await;
        let expected = if attempt < 3 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::CONFLICT
        };
        assert_eq!(r.status(), expected, "try {attempt}");
    }
    let (status, p) = post(
        &app,
        &format!("/api/v1/privacy-requests/{unknown_id}/complete"),
        &officer,
        json!({"note": "Done."}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (StatusCode::CONFLICT, Some("not_verified")),
        "{p}"
    );
    let (status, denied) = post(
        &app,
        &format!("/api/v1/privacy-requests/{unknown_id}/deny"),
        &officer,
        json!({"reason": "unverifiable", "explanation": "The code was not confirmed."}),
    )
    .await;
    assert_eq!(
        (status, denied["status"].as_str()),
        (StatusCode::OK, Some("denied")),
        "{denied}"
    );
    assert_eq!(
        denied["history"].as_array().unwrap().last().unwrap()["what"],
        "Denied (unverifiable)"
    );
    let answer = wait_for_mail(&app.mail_folders(), &stranger, "our answer", 1).await;
    assert!(answer[0].contains("could not confirm"), "{}", answer[0]);

    // A code works 10 minutes (a deletion: know and access are used up for the year).
    let r = app
        .post_json(
            "/api/v1/privacy-requests",
            &json!({"kind": "delete", "email": email, "zip": "10001"}),
        )
        .await;
    let late_id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let code = mailed_code(&app, &email, late_id).await;
    app.state.clock.advance(TimeDelta::minutes(11)).unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/privacy-requests/{late_id}/verify"),
            &json!({"code": code}),
        )
        .await;
    assert_eq!(problem(r).await["code"], "code_expired");

    // An opt-out through the form needs no code and is carried out at once.
    let r = app
        .post_json(
            "/api/v1/privacy-requests",
            &json!({"kind": "opt_out", "email": email}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "fulfilled");
    let token = sign_in(&app, &email).await;
    let consents = get_json(&app, "/api/v1/me/consents", &token).await;
    assert_eq!(
        consents["history"].as_array().unwrap().last().unwrap()["source"],
        "privacy_request",
        "{consents}"
    );
    app.stop().await;
}
