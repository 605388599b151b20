//! An authorised agent through the form: the request comes with the person's signed
//! authorisation (a PDF, JPEG or PNG), the agent is told it was received, the person confirms
//! by the link mailed to the address on file, and the privacy officer reads the authorisation.
//! For an address not on file the agent gets the same answer and nothing is kept.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::drp::{answer, confirmation_link};
use crate::helpers::*;

on_both_backends!(an_agent_asks_with_a_signed_authorisation_and_the_person_confirms);

const SIGNED: &[u8] = b"%PDF-1.4\n% the authorisation Gil signed\n%%EOF\n";

async fn send(app: &TestApp, fields: &[(&str, &str)], file: Option<&[u8]>) -> (StatusCode, Value) {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some(bytes) = file {
        form = form.part(
            "authorisation",
            Part::bytes(bytes.to_vec()).file_name("authorisation.pdf"),
        );
    }
    let r = app
        .client
        .post(app.url("/api/v1/privacy-requests/by-agent"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn an_agent_asks_with_a_signed_authorisation_and_the_person_confirms(backend: Backend) {
    let Some(app) = spawn_app(backend, "agent_requests").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let (_, token) = panel_member(&app, &scheduler, "gil", json!({}), true).await;
    let email = email_of(&app, &token).await;
    let agent_email = unique_email("agent");
    let fields = [
        ("kind", "access"),
        ("email", email.as_str()),
        ("name", "gil Tester"),
        ("street", "1 Main St"),
        ("zip", "10001"),
        ("agent_name", "Rights Helpers LLC"),
        ("agent_email", agent_email.as_str()),
    ];

    // Refused: no file, a file that is not a PDF, JPEG or PNG; no agent name.
    let (status, problem) = send(&app, &fields, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "authorisation", "{problem}");
    let (status, problem) = send(&app, &fields, Some(b"just words")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        problem.to_string().contains("PDF, JPEG or PNG"),
        "{problem}"
    );
    let (status, problem) = send(&app, &fields[..5], Some(SIGNED)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "agent_name", "{problem}");

    // Made: the agent is told, the person is asked; a code cannot stand for the person.
    let (status, made) = send(&app, &fields, Some(SIGNED)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_i64().unwrap();
    let told = wait_for_mail(&app.mail_folders(), &agent_email, "you made for someone", 1).await;
    assert!(
        told[0].contains("nothing is done until they do"),
        "{}",
        told[0]
    );
    let r = app
        .post_json(
            &format!("/api/v1/privacy-requests/{id}/verify"),
            &json!({"code": "123456"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // The officer sees who made it and reads the authorisation.
    let seen = get_json(&app, &format!("/api/v1/privacy-requests/{id}"), &officer).await;
    assert_eq!(seen["channel"], "agent", "{seen}");
    assert_eq!(seen["agent"]["name"], "Rights Helpers LLC", "{seen}");
    assert_eq!(seen["agent"]["has_authorisation"], true, "{seen}");
    let r = app
        .client
        .get(app.url(&format!("/api/v1/privacy-requests/{id}/authorisation")))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert_eq!(r.bytes().await.unwrap().as_ref(), SIGNED);

    // The person confirms; the officer completes it.
    let link = confirmation_link(&app, &email, 1).await;
    answer(&app, &link, true).await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/privacy-requests/{id}/complete"),
            &officer,
            &json!({"note": ""}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let done: Value = r.json().await.unwrap();
    assert_eq!(done["status"], "fulfilled", "{done}");
    assert_eq!(done["verification"], "verified", "{done}");

    // Nobody with this address: the same answer, and the file is not kept.
    let stranger = [
        ("kind", "delete"),
        ("email", "stranger@nowhere.example"),
        ("agent_name", "Rights Helpers LLC"),
        ("agent_email", agent_email.as_str()),
    ];
    let (status, other) = send(&app, &stranger, Some(SIGNED)).await;
    assert_eq!(status, StatusCode::CREATED, "{other}");
    for field in ["status", "verification", "message"] {
        assert_eq!(other[field], made[field], "the same answer: {other}");
    }
    // An opt-out too: the same words for someone on file and for nobody, and nothing done
    // before the person confirms.
    let mut answers = Vec::new();
    for address in [email.as_str(), "nobody@nowhere.example"] {
        let opt_out = [
            ("kind", "opt_out"),
            ("email", address),
            ("agent_name", "Rights Helpers LLC"),
            ("agent_email", agent_email.as_str()),
        ];
        let (status, answer) = send(&app, &opt_out, Some(SIGNED)).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        answers.push((answer["status"].clone(), answer["message"].clone()));
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0].0, "open", "waits for the person: {answers:?}");
    let r = app
        .client
        .get(app.url(&format!(
            "/api/v1/privacy-requests/{}/authorisation",
            other["id"]
        )))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let stored: Vec<String> = app
        .state
        .storage
        .list("privacy-authorisations")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    assert_eq!(
        stored.len(),
        2,
        "only the authorisations about someone on file (her copy and her opt-out) are kept: {stored:?}"
    );
    // Unanswered for 8 days, both are closed alike and the agent is told of each.
    app.state.clock.advance(chrono::TimeDelta::days(8)).unwrap();
    let lapsed = wait_for_mail(&app.mail_folders(), &agent_email, "did not confirm", 3).await;
    assert!(lapsed.len() >= 3, "{lapsed:?}");
    app.stop().await;
}
