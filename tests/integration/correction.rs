//! A request to correct, carried out and kept: the shopper names the fields and what they
//! should say, the privacy officer completes it, the profile says so, and a later import of
//! contact details from another system leaves the corrected fields as corrected.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::post;
use crate::helpers::*;

on_both_backends!(a_correction_is_made_and_survives_an_import);

/// Where matching places the shopper: the home point stored with the profile.
async fn home_point(app: &TestApp, token: &str) -> (f64, f64) {
    use diesel::prelude::*;
    use incognito::db::schema::shoppers;
    let id = get_json(app, "/api/v1/me", token).await["id"]
        .as_i64()
        .unwrap();
    app.state
        .db
        .run(move |conn| {
            Ok(shoppers::table
                .find(id)
                .select((shoppers::latitude, shoppers::longitude))
                .first::<(f64, f64)>(conn)?)
        })
        .await
        .unwrap()
}

async fn a_correction_is_made_and_survives_an_import(backend: Backend) {
    let Some(app) = spawn_app(backend, "correction").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let (_, token) = panel_member(
        &app,
        &scheduler,
        "cora",
        json!({"phone": "212 555 0100"}),
        true,
    )
    .await;
    let email = email_of(&app, &token).await;

    // Bad corrections are named, in words; nothing is recorded.
    let (status, problem) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "correct", "corrections": [
            {"field": "shoe_size", "value": "9"},
            {"field": "zip", "value": "ABC"}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["corrections[0]", "corrections[1]"], "{problem}");
    assert!(problem.to_string().contains("5-digit ZIP"), "{problem}");

    // The request: a new street, ZIP and phone.
    let (status, made) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "correct", "corrections": [
            {"field": "street", "value": "22 Oak Ave"},
            {"field": "zip", "value": "10002"},
            {"field": "phone", "value": "212 555 0199"}
        ]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    let id = made["id"].as_i64().unwrap();
    let before = get_json(&app, "/api/v1/me/profile", &token).await;
    assert_eq!(before["street"], "1 Main St");

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
    assert!(
        done["outcome"]
            .as_str()
            .unwrap()
            .contains("your street address, your ZIP code, your phone number"),
        "{done}"
    );
    let after = get_json(&app, "/api/v1/me/profile", &token).await;
    assert_eq!(
        (&after["street"], &after["zip"], &after["phone"]),
        (
            &json!("22 Oak Ave"),
            &json!("10002"),
            &json!("212 555 0199")
        ),
        "{after}"
    );
    let home = home_point(&app, &token).await;
    let (lat, lon) =
        incognito::geocode::zip_centroid(&incognito::geocode::Zip::parse("10002").unwrap())
            .map(|p| (p.coordinates.lat(), p.coordinates.lon()))
            .unwrap();
    assert!(
        (home.0 - lat).abs() < 1e-6 && (home.1 - lon).abs() < 1e-6,
        "a new ZIP moves the home point to it: {home:?}"
    );

    // An import from the old system: the corrected fields stay; the city is updated; an
    // unknown address is reported, not added.
    let csv = format!(
        "email,street,city,zip,phone\n{email},1 Main St,Manhattan,10001,212 555 0100\nnobody@nowhere.example,2 Elm St,,,\n"
    );
    let r = post_csv(&app, &scheduler, "/api/v1/shoppers/import", csv).await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["updated"], 1, "{report}");
    let kept: Vec<(i64, &str)> = report["kept_corrected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| (k["line"].as_i64().unwrap(), k["field"].as_str().unwrap()))
        .collect();
    assert_eq!(kept, [(2, "street"), (2, "zip"), (2, "phone")], "{report}");
    assert_eq!(report["errors"][0]["line"], 3, "{report}");
    assert!(
        report["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("no shopper has this email"),
        "{report}"
    );
    let now = get_json(&app, "/api/v1/me/profile", &token).await;
    assert_eq!(
        (&now["street"], &now["zip"], &now["phone"], &now["city"]),
        (
            &json!("22 Oak Ave"),
            &json!("10002"),
            &json!("212 555 0199"),
            &json!("Manhattan")
        ),
        "{now}"
    );

    // A correction in words alone cannot be carried out by the service.
    let (_, words) = post(
        &app,
        "/api/v1/privacy-requests",
        &token,
        json!({"kind": "correct", "details": "My name is spelt wrong"}),
    )
    .await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/privacy-requests/{}/complete", words["id"]),
            &officer,
            &json!({"note": "done"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: Value = r.json().await.unwrap();
    assert_eq!(problem["code"], "not_automated");

    // Only scheduling staff import.
    let r = post_csv(&app, &token, "/api/v1/shoppers/import", "email\n".into()).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}
