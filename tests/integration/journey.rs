//! The client never learns who the shopper was: a whole journey (a shopper with distinctive
//! values hands in a report with a phone photo carrying EXIF time and position and a free-text
//! answer naming her; QA removes the phrases; the report is released, alerts, is disputed),
//! then every answer a client reviewer gets — API, pages, CSV exports, the dashboard, the
//! files' bytes, the alert mail — is scanned for every value of the shopper.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, post, setup};
use crate::helpers::*;
use crate::portal::client_reviewer_account;
use crate::qa::reviewer;
use crate::reports::{published, rfc3339};

on_both_backends!(no_value_of_the_shopper_reaches_the_client);

async fn no_value_of_the_shopper_reaches_the_client(backend: Backend) {
    use crate::pages::signed_in;
    let Some(app) = spawn_app(backend, "privacy journey").await else {
        return;
    };
    let rules =
        json!({"dispute_days": 5, "alert_below_percent": 90, "reimbursement_cap_cents": 2000});
    let (scheduler, client, store, project) = setup(&app, rules).await;
    let doc = json!({"title": "Visit", "sections": [
        {"title": "Service", "questions": [
            {"name": "greeted", "label": "Were you greeted?", "kind": "yes_no", "required": true,
             "points": {"yes": 5, "no": 0}},
            {"name": "note", "label": "Anything else?", "kind": "text"}]},
        {"title": "Proof", "questions": [
            {"name": "receipt", "label": "Photo of the receipt", "kind": "receipt",
             "required": true, "files": {"min": 1, "max": 1}}]}]});
    published(&app, &scheduler, project, doc).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, token) = panel_member(
        &app,
        &scheduler,
        "ana",
        json!({"legal_name": "Anastasia Quill", "street": "77 Hidden Lane",
               "phone": "+1 212 555 0199", "date_of_birth": "1990-04-17",
               "tax_id": "987-65-4321", "bank_account": "000111222333"}),
        true,
    )
    .await;
    let me = get_json(&app, "/api/v1/me", &token).await;
    let email = me["email"].as_str().unwrap().to_string();
    let profile = get_json(&app, "/api/v1/me/profile", &token).await;
    let code = profile["code"].as_str().unwrap_or_default().to_string();
    assert!(code.starts_with("IMS-"), "{profile}");
    // A coordinate to four decimals (about 10 m), as written.
    let position = |v: &Value| v.to_string().chars().take(7).collect::<String>();
    let export = get_json(&app, "/api/v1/me/export", &token).await;
    let home = &export["shopper"];
    assert!(home["latitude"].is_number(), "{export}");
    let (lat, lon) = (position(&home["latitude"]), position(&home["longitude"]));
    let (alerted, _) = client_reviewer_account(&app, client).await;
    let r = app
        .put_json_auth(
            "/api/v1/client/alerts",
            &alerted,
            &json!({"hot_alerts": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let alerted_email = email_of(&app, &alerted).await;

    // The shopper's visit, photo and report.
    let id = assigned(&app, &scheduler, job, ana).await;
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/visit"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let photo = incognito::media::photo::sample_phone_jpeg(640, 480);
    assert!(
        photo.windows(6).any(|w| w == b"Exif\0\0"),
        "the phone's photo carries EXIF"
    );
    let part = reqwest::multipart::Part::bytes(photo)
        .file_name("IMG_0002.JPG")
        .mime_str("image/jpeg")
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{id}/media")))
        .bearer_auth(&token)
        .multipart(
            reqwest::multipart::Form::new()
                .text("question", "receipt")
                .part("file", part),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let report = json!({"answers": {"greeted": "no",
        "note": "Ask for Anastasia Quill next time, or call +1 212 555 0199."},
        "visit_started_at": rfc3339(60), "visit_ended_at": rfc3339(40), "receipt_cents": 1250});
    let r = app
        .put_json_auth(&format!("/api/v1/assignments/{id}/report"), &token, &report)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/submit"),
        &token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // QA removes the phrases that name her, then approves: released at once, and it alerts.
    let qa = reviewer(&app).await;
    let redact = format!("/api/v1/reports/{id}/redactions");
    let (status, p) = post(
        &app,
        &redact,
        &qa,
        json!({"question": "note", "phrase": "Bob"}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "phrase", "{p}");
    for phrase in ["anastasia quill", "+1 212 555 0199"] {
        let (status, view) = post(
            &app,
            &redact,
            &qa,
            json!({"question": "note", "phrase": phrase}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{view}");
    }
    let (status, view) = post(
        &app,
        &format!("/api/v1/reports/{id}/approve"),
        &qa,
        json!({}),
    )
    .await;
    assert_eq!(
        (status, view["state"].as_str()),
        (StatusCode::OK, Some("released")),
        "{view}"
    );
    // The shopper sees what was removed and why.
    let mine = get_json(&app, &format!("/api/v1/assignments/{id}/report"), &token).await;
    assert_eq!(
        mine["review"]["edits"].as_array().unwrap().len(),
        2,
        "{mine}"
    );
    assert!(
        mine["review"]["edits"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("could identify you")
    );

    // Everything the client's reviewer gets.
    let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
    let mut api = |path: String, body: Vec<u8>| seen.push((path, body));
    for path in [
        "/api/v1/client/reports".to_string(),
        format!("/api/v1/client/reports/{id}"),
        "/api/v1/client/reports.csv".to_string(),
        "/api/v1/client/dashboard".to_string(),
        "/api/v1/client/alerts".to_string(),
    ] {
        let r = app.get_auth(&path, &alerted).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        api(path, r.bytes().await.unwrap().to_vec());
    }
    let full = get_json(&app, &format!("/api/v1/client/reports/{id}"), &alerted).await;
    let text = full.to_string();
    assert!(
        text.contains("Ask for [redacted] next time, or call [redacted]."),
        "{text}"
    );
    let (status, dispute) = post(
        &app,
        &format!("/api/v1/client/reports/{id}/dispute"),
        &alerted,
        json!({"reason": "The receipt is blurred."}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    api("dispute".into(), dispute.to_string().into_bytes());
    let files: Vec<String> = full["sections"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["answers"].as_array().unwrap().clone())
        .flat_map(|a| a["files"].as_array().cloned().unwrap_or_default())
        .map(|f| f.as_str().unwrap().to_string())
        .collect();
    assert_eq!(files.len(), 1, "{full}");
    let mut browser = signed_in(&json!({ "access_token": alerted }));
    let page_file = files[0].replace("/api/v1/media/", "/client/media/");
    for path in [
        files[0].clone(),
        page_file.clone(),
        page_file.replace("size=web", "size=thumb"),
    ] {
        let r = app.get_auth(&path, &alerted).await;
        if path.starts_with("/api/") {
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            let bytes = r.bytes().await.unwrap().to_vec();
            assert!(
                !bytes.windows(4).any(|w| w == b"Exif"),
                "{path} carries EXIF"
            );
            seen.push((path, bytes));
        } else {
            let (status, body, _) = browser.get(&app, &path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            seen.push((path, body.into_bytes()));
        }
    }
    for path in [
        "/client/reports".to_string(),
        format!("/client/reports/{id}"),
        "/client/reports.csv".to_string(),
        "/client/dashboard".to_string(),
        "/client".to_string(),
    ] {
        let (status, body, _) = browser.get(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        seen.push((path, body.into_bytes()));
    }
    let mails = wait_for_mail(
        &app.mail_folders(),
        &alerted_email,
        &format!("/client/reports/{id}"),
        1,
    )
    .await;
    for m in mails {
        seen.push(("alert mail".into(), m.into_bytes()));
    }

    // The scan: no value of hers, in any answer; each is hers indeed (her own data holds it,
    // the tax ID only as "on file": her profile shows its last digits).
    let profile = get_json(&app, "/api/v1/me/profile", &token).await;
    assert_eq!(profile["tax_id"], "•••-••-4321", "{profile}");
    let hers = get_json(&app, "/api/v1/me/export", &token)
        .await
        .to_string();
    for value in [
        "Anastasia",
        "Quill",
        "Hidden Lane",
        "555 0199",
        "1990-04-17",
        email.as_str(),
        code.as_str(),
        lat.as_str(),
        lon.as_str(),
    ] {
        assert!(
            hers.contains(value),
            "{value} is not in her own data: {hers}"
        );
    }
    let values = [
        "Anastasia",
        "Quill",
        "Hidden Lane",
        "555 0199",
        "5550199",
        "1990-04-17",
        "987-65-4321",
        "000111222333",
        email.as_str(),
        code.as_str(),
        lat.as_str(),
        lon.as_str(),
        "2026:12:04",
        "IMG_0002",
        "legal_name",
        "date_of_birth",
        "shopper_id",
    ];
    for (path, body) in &seen {
        let text = String::from_utf8_lossy(body);
        for value in values {
            assert!(!text.contains(value), "{path} holds {value}");
        }
    }
    assert!(seen.len() >= 14, "{} answers scanned", seen.len());
    app.stop().await;
}
