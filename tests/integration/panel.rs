//! The shopper's application and profile, sealed values, key rotation, consents, the access
//! log and the data download: on SQLite and on PostgreSQL.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use incognito::db::schema::shoppers;

const SSN: &str = "123-45-6789";
const BANK: &str = "000123456789";
const BORN: &str = "1990-04-01";

fn application() -> Value {
    json!({
        "legal_name": "Ada Lovelace",
        "street": "12 Main Street",
        "city": "New York",
        "state": "NY",
        "zip": "10001",
        "phone": "+1 212 555 0100",
        "date_of_birth": BORN,
        "tax_id": SSN,
        "bank_account": BANK,
        "travel_radius_km": 25.0,
        "languages": ["en", "es"],
        "vehicle": true,
        "certifications": [{"name": "MSPA Silver", "issuer": "MSPA Americas", "number": "S-1", "expires_on": "2027-06-30"}],
        "affiliations": [{"organization": "Burger Barn, Inc.", "relation": "household"}],
        "accept_agreement": true,
        "consents": {"share_name_address": true, "daily_digest": true}
    })
}

/// A shopper who signed up and sent the application: their access token.
async fn applicant(app: &TestApp, name: &str) -> String {
    let token = access(&app.signed_up_shopper(&unique_email(name)).await);
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &application())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    token
}

/// An applicant's access token and user id.
async fn applicant_with_id(app: &TestApp, name: &str) -> (String, i64) {
    let token = applicant(app, name).await;
    let id = get_json(app, "/api/v1/me", &token).await["id"]
        .as_i64()
        .unwrap();
    (token, id)
}

async fn applicant_applies_and_sees_the_profile_back(backend: Backend) {
    let Some(app) = spawn_app(backend, "applicant_applies").await else {
        return;
    };
    let token = access(&app.signed_up_shopper(&unique_email("ada")).await);

    let before = app.get_auth("/api/v1/me/profile", &token).await;
    assert_eq!(before.status(), StatusCode::NOT_FOUND);

    // Without accepting the agreement, nothing is stored.
    let mut no_agreement = application();
    no_agreement["accept_agreement"] = json!(false);
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &no_agreement)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "accept_agreement");
    let still_none = app.get_auth("/api/v1/me/profile", &token).await;
    assert_eq!(still_none.status(), StatusCode::NOT_FOUND);

    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &application())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let profile: Value = r.json().await.unwrap();
    assert_eq!(profile["status"], "applicant");
    assert!(profile["code"].as_str().unwrap().starts_with("IMS-"));
    assert_eq!(profile["tax_id"], "•••-••-6789");
    assert_eq!(profile["bank_account"], "••••6789");
    assert_eq!(profile["date_of_birth"], "••••-••-••");
    assert_eq!(profile["languages"], json!(["en", "es"]));
    assert_eq!(
        profile["affiliations"][0]["organization"],
        "Burger Barn, Inc."
    );
    assert_eq!(profile["certifications"][0]["name"], "MSPA Silver");
    let text = profile.to_string();
    assert!(!text.contains("latitude") && !text.contains(SSN) && !text.contains(BANK));

    // Sending the masked values back keeps them; a new address is placed again.
    let mut moved = profile.clone();
    for field in ["code", "status", "agreement_version", "agreed_at"] {
        moved.as_object_mut().unwrap().remove(field);
    }
    moved["street"] = json!("1 Market Street");
    moved["city"] = json!("San Francisco");
    moved["state"] = json!("CA");
    moved["zip"] = json!("94105");
    moved["phone"] = json!("");
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &moved)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let after: Value = r.json().await.unwrap();
    assert_eq!(after["tax_id"], "•••-••-6789");
    assert_eq!(after["code"], profile["code"]);
    assert_eq!(after["phone"], Value::Null);

    // The copy of the data says a tax ID and a bank account are on file, never what they are.
    let export: Value = get_json(&app, "/api/v1/me/export", &token).await;
    let shopper = &export["shopper"];
    assert_eq!(shopper["tax_id"], "on file");
    assert_eq!(shopper["bank_account"], "on file");
    assert!(!export.to_string().contains(BANK) && !export.to_string().contains("6789"));
    assert_eq!(shopper["date_of_birth"], BORN);
    assert_eq!(shopper["city"], "San Francisco");
    let lat = shopper["latitude"].as_f64().unwrap();
    assert!((lat - 37.79).abs() < 0.2, "{lat}");
    assert_eq!(
        shopper["status_history"][0]["reason"],
        "application submitted"
    );
    assert!(export["consents"].as_array().unwrap().len() >= 4);
    app.stop().await;
}

async fn every_bad_field_is_named_and_nothing_is_stored(backend: Backend) {
    let Some(app) = spawn_app(backend, "bad_application").await else {
        return;
    };
    let token = access(&app.signed_up_shopper(&unique_email("bad")).await);
    let mut bad = application();
    bad["zip"] = json!("94105"); // in CA, not NY
    bad["tax_id"] = json!("12-345");
    bad["travel_radius_km"] = json!(900);
    bad["certifications"][0]["issuer"] = json!("");
    let r = app.put_json_auth("/api/v1/me/profile", &token, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "zip",
            "tax_id",
            "travel_radius_km",
            "certifications[0].issuer"
        ]
    );
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("CA"));

    // Wrong types and unknown fields are named too.
    let r = app
        .put_json_auth(
            "/api/v1/me/profile",
            &token,
            &json!({"travel_radius_km": "far", "legal_name": "A B"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem(r).await.to_string().contains("travel_radius_km"));
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &json!({"nickname": "x"}))
        .await;
    assert!(r.status().is_client_error());
    assert!(problem(r).await.to_string().contains("nickname"));

    let none = app.get_auth("/api/v1/me/profile", &token).await;
    assert_eq!(none.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// (date of birth, tax ID, bank account, legal name) as stored.
type StoredRow = (Option<String>, Option<String>, Option<String>, String);

fn stored_rows(app: &TestApp) -> Vec<StoredRow> {
    let pool = app.database();
    let mut conn = pool.get().unwrap();
    shoppers::table
        .select((
            shoppers::date_of_birth,
            shoppers::tax_id,
            shoppers::bank_account,
            shoppers::legal_name,
        ))
        .load(&mut conn)
        .unwrap()
}

async fn the_database_holds_no_plaintext_tax_id_or_bank_number(backend: Backend) {
    let Some(app) = spawn_app(backend, "no_plaintext").await else {
        return;
    };
    applicant(&app, "sealed").await;

    let rows = stored_rows(&app);
    assert_eq!(rows.len(), 1);
    let (dob, tax, bank, name) = &rows[0];
    assert_eq!(name, "Ada Lovelace");
    for sealed in [dob, tax, bank] {
        let sealed = sealed.as_deref().unwrap();
        assert!(sealed.starts_with("v1:1:"), "{sealed}");
        for plain in [SSN, "123456789", BANK, BORN] {
            assert!(!sealed.contains(plain), "{sealed} holds {plain}");
        }
    }
    if backend == Backend::Sqlite {
        // The file itself, write-ahead log included, holds none of them either.
        let mut bytes = Vec::new();
        for file in ["incognito.db", "incognito.db-wal"] {
            if let Ok(b) = std::fs::read(app.data_dir.join(file)) {
                bytes.extend(b);
            }
        }
        let haystack = String::from_utf8_lossy(&bytes);
        assert!(haystack.contains("Ada Lovelace"), "the scan reads the data");
        for plain in [SSN, "123456789", BANK] {
            assert!(!haystack.contains(plain), "the database file holds {plain}");
        }
    }
    app.stop().await;
}

async fn key_rotation_reseals_every_value(backend: Backend) {
    let Some(app) = spawn_app(backend, "key_rotation").await else {
        return;
    };
    let token = applicant(&app, "rotate").await;
    let before = stored_rows(&app);
    let settings = app.settings.clone();
    let (pg, dir) = app.stop().await;

    let output = run_incognito(&["keys", "rotate"], &settings);
    let summary: Value = serde_json::from_str(&output).unwrap();
    assert_eq!(summary, json!({"data_key": 2, "resealed": 3}));

    let app = start(settings).await;
    let after = stored_rows(&app);
    for (old, new) in [
        (&before[0].0, &after[0].0),
        (&before[0].1, &after[0].1),
        (&before[0].2, &after[0].2),
    ] {
        assert!(old.as_deref().unwrap().starts_with("v1:1:"));
        assert!(new.as_deref().unwrap().starts_with("v1:2:"));
    }
    // The access token still works: the signing key did not change.
    // The values open under the new key: the profile shows them masked from the clear text.
    let profile: Value = get_json(&app, "/api/v1/me/profile", &token).await;
    assert_eq!(profile["tax_id"], "•••-••-6789");
    assert!(
        profile["bank_account"].as_str().unwrap().ends_with("6789"),
        "{profile}"
    );
    let export: Value = get_json(&app, "/api/v1/me/export", &token).await;
    assert_eq!(export["shopper"]["date_of_birth"], BORN);
    app.stop().await;
    drop((pg, dir));
}

async fn consents_form_an_append_only_ledger(backend: Backend) {
    let Some(app) = spawn_app(backend, "consent_ledger").await else {
        return;
    };
    let token = applicant(&app, "consent").await;

    let consents: Value = get_json(&app, "/api/v1/me/consents", &token).await;
    let granted = |c: &Value, purpose: &str| {
        c["current"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["purpose"] == purpose)
            .unwrap()["granted"]
            .as_bool()
            .unwrap()
    };
    assert!(granted(&consents, "share_name_address"));
    assert!(!granted(&consents, "share_contact"));
    assert!(granted(&consents, "daily_digest"));
    assert_eq!(consents["history"].as_array().unwrap().len(), 4);
    assert_eq!(consents["history"][0]["source"], "signup");

    // Withdraw, grant again: two more rows; repeating the current choice adds none.
    for choice in [false, true, true] {
        let r = app
            .post_json_auth(
                "/api/v1/me/consents",
                &token,
                &json!({"share_contact": choice}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let consents: Value = get_json(&app, "/api/v1/me/consents", &token).await;
    let history = consents["history"].as_array().unwrap();
    assert_eq!(history.len(), 5);
    assert_eq!(history[4]["purpose"], "share_contact");
    assert_eq!(history[4]["granted"], true);
    assert_eq!(history[4]["notice_version"], history[0]["notice_version"]);
    assert!(granted(&consents, "share_contact"));

    // A browser's Global Privacy Control signal cannot be overridden into sharing.
    let r = app
        .client
        .post(app.url("/api/v1/me/consents"))
        .bearer_auth(&token)
        .header("Sec-GPC", "1")
        .json(&json!({"share_name_address": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let r = app
        .post_json_auth(
            "/api/v1/me/consents",
            &token,
            &json!({"sell_my_data": true}),
        )
        .await;
    assert!(r.status().is_client_error());
    assert!(problem(r).await.to_string().contains("sell_my_data"));
    app.stop().await;
}

async fn profile_routes_serve_only_the_shopper_themself(backend: Backend) {
    let Some(app) = spawn_app(backend, "own_profile_only").await else {
        return;
    };
    let ada = access(&app.signed_up_shopper(&unique_email("ada")).await);
    let bob = access(&app.signed_up_shopper(&unique_email("bob")).await);
    let admin = access(&app.admin_tokens(&unique_email("admin")).await);
    let r = app
        .put_json_auth("/api/v1/me/profile", &ada, &application())
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Bob's profile is his own: he sees none of Ada's.
    let r = app.get_auth("/api/v1/me/profile", &bob).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let bob_export = app
        .get_auth("/api/v1/me/export", &bob)
        .await
        .text()
        .await
        .unwrap();
    assert!(!bob_export.contains("Lovelace"));

    // Staff have no shopper profile, and no token is no entry.
    for path in [
        "/api/v1/me/profile",
        "/api/v1/me/consents",
        "/api/v1/me/access-log",
    ] {
        let r = app.get_auth(path, &admin).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
    }
    let r = app
        .put_json_auth("/api/v1/me/profile", &admin, &application())
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Nobody has read Ada's data yet.
    let log: Value = get_items(&app, "/api/v1/me/access-log", &ada).await;
    assert_eq!(log, json!([]));
    app.stop().await;
}

async fn staff_keep_organizations_clients_and_competitors(backend: Backend) {
    let Some(app) = spawn_app(backend, "clients_and_competitors").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let shopper = access(&app.signed_up_shopper(&unique_email("nosy")).await);

    let r = app
        .post_json_auth(
            "/api/v1/organizations",
            &scheduler,
            &json!({"name": "ACME, Inc."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let acme: Value = r.json().await.unwrap();
    let r = app
        .post_json_auth(
            "/api/v1/organizations",
            &scheduler,
            &json!({"name": "acme inc"}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the same company, spelt differently"
    );
    assert_eq!(r.json::<Value>().await.unwrap()["id"], acme["id"]);

    let r = app
        .post_json_auth(
            "/api/v1/clients",
            &scheduler,
            &json!({"name": "Burger Barn"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let client: Value = r.json().await.unwrap();
    let id = client["id"].as_i64().unwrap();
    let path = format!("/api/v1/clients/{id}/competitors");
    let r = app
        .post_json_auth(&path, &scheduler, &json!({"organization_id": acme["id"]}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json_auth(&path, &scheduler, &json!({"name": "Taco Town LLC"}))
        .await;
    let client: Value = r.json().await.unwrap();
    let names: Vec<&str> = client["competitors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ACME, Inc.", "Taco Town LLC"]);
    let r = app
        .post_json_auth(&path, &scheduler, &json!({"name": "burger barn"}))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not its own competitor"
    );
    let r = app
        .post_json_auth(
            "/api/v1/clients/999999/competitors",
            &scheduler,
            &json!({"name": "X"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post_json_auth("/api/v1/clients", &scheduler, &json!({"name": " ... "}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A client reviewer is bound to one existing client.
    let reviewer = |client_id: Value| json!({"email": unique_email("rev"), "password": STRONG_PASSWORD, "role": "client_reviewer", "client_id": client_id});
    let r = app
        .post_json_auth("/api/v1/users", &admin, &reviewer(json!(id)))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    for bad in [Value::Null, json!(999999)] {
        let r = app
            .post_json_auth("/api/v1/users", &admin, &reviewer(bad))
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem(r).await["errors"][0]["field"], "client_id");
    }

    // Shoppers may not touch any of it.
    for path in ["/api/v1/organizations", "/api/v1/clients"] {
        let r = app.get_auth(path, &shopper).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        let r = app
            .post_json_auth(path, &shopper, &json!({"name": "Mine"}))
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = app
        .get_auth(&format!("/api/v1/clients/{id}"), &shopper)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

async fn staff_review_applicants_and_every_read_is_recorded(backend: Backend) {
    let Some(app) = spawn_app(backend, "staff_review").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (ada, ada_id) = applicant_with_id(&app, "ada").await;

    let found = get_items(
        &app,
        "/api/v1/shoppers?q=LOVELACE&status=applicant",
        &scheduler,
    )
    .await;
    assert_eq!(found.as_array().unwrap().len(), 1);
    assert_eq!(found[0]["id"], ada_id);
    let none = get_items(&app, "/api/v1/shoppers?q=nobody", &scheduler).await;
    assert_eq!(none, json!([]));
    let r = app
        .get_auth("/api/v1/shoppers?status=retired&limit=0", &scheduler)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"].as_array().unwrap().len(), 2);

    let record = get_json(&app, &format!("/api/v1/shoppers/{ada_id}"), &scheduler).await;
    assert_eq!(record["profile"]["tax_id"], "•••-••-6789");
    assert!(!record.to_string().contains(SSN));

    // Ada sees who looked: the search and the record.
    let log = get_items(&app, "/api/v1/me/access-log", &ada).await;
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["staff_role"], "scheduler");
    assert!(log[0]["categories"].as_str().unwrap().contains('B'));
    assert!(log[1]["purpose"].as_str().unwrap().contains("search"));

    let path = |action: &str| format!("/api/v1/shoppers/{ada_id}/{action}");
    let r = app
        .post_json_auth(&path("approve"), &scheduler, &json!({}))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a note is required"
    );
    let r = app
        .post_json_auth(&path("reinstate"), &scheduler, &json!({"reason": "x"}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT, "not suspended");
    let r = app
        .post_json_auth(
            &path("approve"),
            &scheduler,
            &json!({"reason": "references checked"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<Value>().await.unwrap()["profile"]["status"],
        "active"
    );
    let r = app
        .post_json_auth(&path("approve"), &scheduler, &json!({"reason": "again"}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = app
        .post_json_auth(&path("suspend"), &admin, &json!({"reason": "two no-shows"}))
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["profile"]["status"],
        "suspended"
    );
    let r = app
        .post_json_auth(
            &path("reinstate"),
            &scheduler,
            &json!({"reason": "explained"}),
        )
        .await;
    let record: Value = r.json().await.unwrap();
    assert_eq!(record["profile"]["status"], "active");
    let reasons: Vec<&str> = record["status_history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "application submitted",
            "references checked",
            "two no-shows",
            "explained"
        ]
    );

    let r = app
        .post_json_auth(
            &path("ratings"),
            &scheduler,
            &json!({"score": 11, "citation": "grumpy"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"].as_array().unwrap().len(), 2);
    for (score, citation) in [(9, "hero"), (6, "late")] {
        let r = app
            .post_json_auth(
                &path("ratings"),
                &scheduler,
                &json!({"score": score, "citation": citation}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let record = get_json(&app, &format!("/api/v1/shoppers/{ada_id}"), &scheduler).await;
    assert_eq!(record["rating"], 7.5);
    assert_eq!(record["ratings"][0]["citation"], "hero");
    app.stop().await;
}

async fn only_admins_reveal_a_sealed_value_and_say_why(backend: Backend) {
    let Some(app) = spawn_app(backend, "reveal").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (ada, ada_id) = applicant_with_id(&app, "ada").await;
    let path = format!("/api/v1/shoppers/{ada_id}/reveal");
    let why = json!({"field": "tax_id", "purpose": "year-end 1099 filing for 2026"});

    let r = app.post_json_auth(&path, &scheduler, &why).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post_json_auth(
            &path,
            &admin,
            &json!({"field": "shoe_size", "purpose": "curious"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"].as_array().unwrap().len(), 2);
    let log = get_items(&app, "/api/v1/me/access-log", &ada).await;
    assert_eq!(log, json!([]), "refused reveals read nothing");

    let r = app.post_json_auth(&path, &admin, &why).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["value"], SSN);
    let log = get_items(&app, "/api/v1/me/access-log", &ada).await;
    assert_eq!(log[0]["staff_role"], "admin");
    assert_eq!(log[0]["categories"], "B");
    assert_eq!(
        log[0]["purpose"],
        "revealed tax_id: year-end 1099 filing for 2026"
    );
    app.stop().await;
}

async fn shoppers_and_client_reviewers_read_no_shopper_records(backend: Backend) {
    let Some(app) = spawn_app(backend, "no_shopper_records").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (ada, ada_id) = applicant_with_id(&app, "ada").await;
    let bob = applicant(&app, "bob").await;
    let client: Value = app
        .post_json_auth(
            "/api/v1/clients",
            &scheduler,
            &json!({"name": "Burger Barn"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let email = unique_email("rev");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            &admin,
            &json!({"email": email, "password": STRONG_PASSWORD, "role": "client_reviewer", "client_id": client["id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let reviewer = access(
        &app.login(&email, STRONG_PASSWORD)
            .await
            .json()
            .await
            .unwrap(),
    );

    for token in [&bob, &reviewer] {
        for path in [
            "/api/v1/shoppers".to_string(),
            format!("/api/v1/shoppers/{ada_id}"),
        ] {
            let r = app.get_auth(&path, token).await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        }
        for (action, body) in [
            ("approve", json!({"reason": "looks fine to me"})),
            ("suspend", json!({"reason": "rival"})),
            ("ratings", json!({"score": 1})),
            (
                "reveal",
                json!({"field": "tax_id", "purpose": "just because I can"}),
            ),
        ] {
            let r = app
                .post_json_auth(&format!("/api/v1/shoppers/{ada_id}/{action}"), token, &body)
                .await;
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{action}");
        }
    }
    let r = app
        .client
        .get(app.url(&format!("/api/v1/shoppers/{ada_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let log = get_items(&app, "/api/v1/me/access-log", &ada).await;
    assert_eq!(log, json!([]), "no refused request read Ada's data");
    let profile = get_json(&app, "/api/v1/me/profile", &ada).await;
    assert_eq!(
        profile["status"], "applicant",
        "no refused request changed it"
    );
    app.stop().await;
}

async fn configured_rules_approve_a_complete_application(backend: Backend) {
    use incognito::config::ApprovalRule;
    let Some(app) = spawn_app_with(backend, "auto_approve", |s| {
        s.auto_approve = Some(vec![ApprovalRule::DateOfBirth, ApprovalRule::TaxId]);
    })
    .await
    else {
        return;
    };
    let token = access(&app.signed_up_shopper(&unique_email("auto")).await);
    let mut first = application();
    first["tax_id"] = json!("");
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &first)
        .await;
    assert_eq!(
        r.json::<Value>().await.unwrap()["status"],
        "applicant",
        "no tax ID yet"
    );
    let mut second = first.clone();
    second["tax_id"] = json!(SSN);
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &second)
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "active");
    let export = get_json(&app, "/api/v1/me/export", &token).await;
    assert_eq!(
        export["shopper"]["status_history"][1]["reason"],
        "approved automatically: application has date_of_birth, tax_id"
    );
    app.stop().await;
}

async fn a_configured_geocoder_places_the_street_address(backend: Backend) {
    let (url, seen) = loopback_geocoder();
    let Some(app) = spawn_app_with(backend, "http_geocoder", |s| {
        s.geocoder_url = Some(url::Url::parse(&url).unwrap());
    })
    .await
    else {
        return;
    };
    let token = access(&app.signed_up_shopper(&unique_email("geo")).await);
    // A request with any other bad field is refused before the address leaves the service.
    let mut bad_phone = application();
    bad_phone["phone"] = json!("call me");
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &bad_phone)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing sent to the geocoder"
    );
    let none = get_items(&app, "/api/v1/me/disclosures", &token).await;
    assert_eq!(none, json!([]));

    let mut nowhere = application();
    nowhere["street"] = json!("1 Nowhere Road");
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &nowhere)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "street");

    let mut empire = application();
    empire["street"] = json!("350 5th Ave");
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &empire)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let export = get_json(&app, "/api/v1/me/export", &token).await;
    assert_eq!(export["shopper"]["latitude"], 40.7484405);
    assert_eq!(export["shopper"]["longitude"], -73.9856644);
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1].contains("street=350+5th+Ave") && requests[1].contains("postalcode=10001"),
        "{requests:?}"
    );
    // Each address sent is a disclosure the shopper can see, also the one not found.
    let disclosures = get_items(&app, "/api/v1/me/disclosures", &token).await;
    let disclosures = disclosures.as_array().unwrap();
    assert_eq!(disclosures.len(), 2, "{disclosures:?}");
    for d in disclosures {
        assert_eq!(d["recipient"], "geocoder at 127.0.0.1");
        assert_eq!(d["categories"], "B");
        assert!(d["purpose"].as_str().unwrap().contains("street address"));
    }
    assert_eq!(export["disclosures"].as_array().unwrap().len(), 2);
    app.stop().await;
}

async fn the_offline_geocoder_discloses_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend, "offline_geocoder").await else {
        return;
    };
    let token = access(&app.signed_up_shopper(&unique_email("zip")).await);
    let r = app
        .put_json_auth("/api/v1/me/profile", &token, &application())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let disclosures = get_items(&app, "/api/v1/me/disclosures", &token).await;
    assert_eq!(disclosures, json!([]));
    app.stop().await;
}

on_both_backends!(
    applicant_applies_and_sees_the_profile_back,
    every_bad_field_is_named_and_nothing_is_stored,
    the_database_holds_no_plaintext_tax_id_or_bank_number,
    key_rotation_reseals_every_value,
    consents_form_an_append_only_ledger,
    profile_routes_serve_only_the_shopper_themself,
    staff_keep_organizations_clients_and_competitors,
    staff_review_applicants_and_every_read_is_recorded,
    only_admins_reveal_a_sealed_value_and_say_why,
    shoppers_and_client_reviewers_read_no_shopper_records,
    configured_rules_approve_a_complete_application,
    a_configured_geocoder_places_the_street_address,
    the_offline_geocoder_discloses_nothing,
);
