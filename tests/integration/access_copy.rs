//! The right to know and of access: a shopper's copy of their data as one ZIP (JSON valid
//! against the published JSON Schema, the same as CSV, their files), never a tax ID, a bank
//! account or a password; the answers to know and access requests, and categories only for a
//! request too few details confirmed.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, post};
use crate::helpers::*;
use crate::reports::rfc3339;

/// The part of JSON Schema the published schema uses: `type` (one or several), `enum`,
/// `properties`, `required`, `additionalProperties: false`, `items`, `oneOf`. Answers the
/// first place where `value` breaks `schema`.
fn violation(schema: &Value, value: &Value, at: &str) -> Option<String> {
    if let Some(options) = schema["oneOf"].as_array() {
        let fitting = options
            .iter()
            .filter(|o| violation(o, value, at).is_none())
            .count();
        return (fitting != 1).then(|| format!("{at}: fits {fitting} of oneOf"));
    }
    let type_of = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    if let Some(t) = schema.get("type") {
        let allowed: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let actual = type_of(value);
        let fits =
            allowed.contains(&actual) || (actual == "integer" && allowed.contains(&"number"));
        if !fits {
            return Some(format!("{at}: {actual} is not {allowed:?}"));
        }
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.contains(value)
    {
        return Some(format!("{at}: {value} is not one of {options:?}"));
    }
    if let Value::Object(map) = value {
        for required in schema["required"].as_array().into_iter().flatten() {
            let name = required.as_str().unwrap();
            if !map.contains_key(name) {
                return Some(format!("{at}: {name} is missing"));
            }
        }
        for (k, v) in map {
            match schema["properties"].get(k) {
                Some(inner) => {
                    if let Some(e) = violation(inner, v, &format!("{at}.{k}")) {
                        return Some(e);
                    }
                }
                None if schema["additionalProperties"] == json!(false) => {
                    return Some(format!("{at}: {k} is not in the schema"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(inner)) = (value, schema.get("items")) {
        for (i, v) in items.iter().enumerate() {
            if let Some(e) = violation(inner, v, &format!("{at}[{i}]")) {
                return Some(e);
            }
        }
    }
    None
}

#[test]
fn the_checker_finds_what_breaks_a_schema() {
    let schema = json!({"type": "object", "additionalProperties": false, "required": ["a"],
        "properties": {"a": {"type": "array", "items": {"type": "integer"}},
                       "b": {"type": "string", "enum": ["on file"]}}});
    assert_eq!(violation(&schema, &json!({"a": [1, 2]}), "$"), None);
    assert!(
        violation(&schema, &json!({"a": [1, "x"]}), "$")
            .unwrap()
            .contains("$.a[1]")
    );
    assert!(
        violation(&schema, &json!({"a": [], "c": 1}), "$")
            .unwrap()
            .contains("c is not")
    );
    assert!(
        violation(&schema, &json!({"b": "on file"}), "$")
            .unwrap()
            .contains("a is missing")
    );
    assert!(violation(&schema, &json!({"a": [], "b": "123"}), "$").is_some());
}

on_both_backends!(a_shopper_gets_a_copy_of_everything_but_secrets);

async fn a_shopper_gets_a_copy_of_everything_but_secrets(backend: Backend) {
    let Some(app) = spawn_app(backend, "access_copy").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (_, store, project) =
        crate::portal::client_with_project(&app, &scheduler, "Copy Mart", "C1").await;
    crate::reports::published(
        &app,
        &scheduler,
        project,
        json!({"title": "Visit", "sections": [{"title": "Visit", "questions": [
            {"name": "notes", "label": "What happened?", "kind": "text", "required": true},
            {"name": "receipt", "label": "Photo of the receipt", "kind": "receipt",
             "files": {"min": 0, "max": 2}}]}]}),
    )
    .await;
    let (ana, token) = panel_member(
        &app,
        &scheduler,
        "copy",
        json!({"legal_name": "Cora Copy", "tax_id": "123-45-6789", "bank_account": "000123456789",
               "date_of_birth": "1990-04-01", "consents": {"share_name_address": true}}),
        true,
    )
    .await;
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
    let photo = incognito::media::photo::sample_phone_jpeg(640, 480);
    let (status, sent) =
        crate::media::send_for(&app, &token, visit, "receipt", "IMG_2.JPG", photo).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let file_id = sent["id"].as_i64().unwrap();
    let r = app
        .put_json_auth(
            &format!("/api/v1/assignments/{visit}/report"),
            &token,
            &json!({"answers": {"notes": "Quick and friendly."},
                    "visit_started_at": rfc3339(60), "visit_ended_at": rfc3339(40)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, friendly) = post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Copy Friends", "friendly_competitor": true}),
    )
    .await;
    let (status, _) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": friendly["id"], "purpose": "Hiring", "area": {"states": ["NY"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // The archive: data as JSON and CSV, the schema, a README, the photo.
    let r = app.get_auth("/api/v1/me/export.zip", &token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/zip");
    let bytes = r.bytes().await.unwrap();
    let files = incognito::archive::read(&bytes).unwrap();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "my-data.json",
            "my-data.csv",
            "schema.json",
            "README.txt",
            &format!("files/{file_id}.jpg")
        ],
    );
    let doc: Value = serde_json::from_slice(&files[0].1).unwrap();
    let csv = String::from_utf8(files[1].1.clone()).unwrap();
    assert_eq!(&files[4].1[..3], &[0xff, 0xd8, 0xff], "a JPEG");
    // Valid against the schema the service publishes (the same as in the archive).
    let r = app
        .client
        .get(app.url("/api/v1/privacy/export-schema"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let schema: Value = r.json().await.unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&files[2].1).unwrap(),
        schema
    );
    assert_eq!(violation(&schema, &doc, "$"), None, "{doc}");
    let mut broken = doc.clone();
    broken["shopper"]["tax_id"] = json!("123-45-6789");
    assert!(
        violation(&schema, &broken, "$").is_some(),
        "the schema refuses a tax ID itself"
    );
    // Everything of hers, secrets only as "on file".
    assert_eq!(doc["shopper"]["legal_name"], "Cora Copy");
    assert_eq!(doc["shopper"]["tax_id"], "on file");
    assert_eq!(doc["shopper"]["bank_account"], "on file");
    assert_eq!(doc["account"]["password"], "on file");
    assert_eq!(doc["reports"][0]["answers"]["notes"], "Quick and friendly.");
    assert_eq!(doc["files"][0]["file"], format!("files/{file_id}.jpg"));
    assert_eq!(doc["disclosures"][0]["recipient"], "Copy Friends");
    for secret in ["123-45-6789", "6789", "000123456789", "$argon2"] {
        assert!(!doc.to_string().contains(secret), "{secret} in the JSON");
        assert!(!csv.contains(secret), "{secret} in the CSV");
    }
    assert!(csv.contains("shopper.legal_name,Cora Copy"), "{csv}");
    assert!(
        csv.contains("reports.0.answers.notes,Quick and friendly."),
        "{csv}"
    );

    // Requests: to know (the recipients named), and for a copy (the answer points to it).
    let (officer, officer_email) = privacy_officer(&app, &admin).await;
    let (_, know) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "know"}),
    )
    .await;
    let (status, done) = post(
        &app,
        &format!("/api/v1/privacy-requests/{}/complete", know["id"]),
        &officer,
        json!({"note": ""}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let answer = done["outcome"].as_str().unwrap();
    assert!(answer.contains("Identifiers (A)"), "{answer}");
    assert!(
        answer.contains("Who received your data:\n- Copy Friends"),
        "{answer}"
    );
    assert!(answer.contains("We do not sell personal data."), "{answer}");
    let (_, copy) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "access"}),
    )
    .await;
    let (status, done) = post(
        &app,
        &format!("/api/v1/privacy-requests/{}/complete", copy["id"]),
        &officer,
        json!({"note": "Here it is."}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let answer = done["outcome"].as_str().unwrap();
    assert!(
        answer.starts_with("Here it is.\n\nYour copy is ready."),
        "{answer}"
    );

    // Through the form with the email alone (one detail): categories only, no recipients.
    let email = email_of(&app, &token).await;
    app.state
        .clock
        .advance(chrono::TimeDelta::days(366))
        .unwrap();
    let officer = sign_in(&app, &officer_email).await;
    let r = app
        .post_json(
            "/api/v1/privacy-requests",
            &json!({"kind": "know", "email": email}),
        )
        .await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let code = mailed_code(&app, &email, id).await;
    let r = app
        .post_json(
            &format!("/api/v1/privacy-requests/{id}/verify"),
            &json!({"code": code}),
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["verification"], "partial");
    let (status, done) = post(
        &app,
        &format!("/api/v1/privacy-requests/{id}/complete"),
        &officer,
        json!({"note": ""}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let answer = done["outcome"].as_str().unwrap();
    assert!(!answer.contains("Copy Friends"), "{answer}");
    assert!(
        answer.contains("lists the kinds of data we hold about every shopper"),
        "{answer}"
    );
    app.stop().await;
}
