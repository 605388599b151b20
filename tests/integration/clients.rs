//! Clients' stores, projects and jobs, one by one and by CSV import: on SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{csrf_field, signed_in};

async fn post_csv(app: &TestApp, path: &str, token: &str, csv: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_string())
        .send()
        .await
        .unwrap()
}

const STORES: &str = "code,name,street,city,state,zip\n\
    S1,Times Square,1 Broadway,New York,NY,10001\n\
    S2,Mission,\"500 Valencia St, Suite 2\",San Francisco,CA,94110\n\
    S3,Nowhere,1 Road,Nowhere,NY,99999\n\
    S4,,2 Road,Albany,ZZ,12207\n\
    S1,Dup,3 Road,New York,NY,10001\n";

async fn store_locations_import_with_a_report_of_bad_rows(backend: Backend) {
    let Some(app) = spawn_app(backend, "locations_import").await else {
        return;
    };
    let (token, client) = scheduler_with_client(&app, "Burger Barn").await;
    let path = format!("/api/v1/locations/import?client_id={client}");

    let r = post_csv(&app, &path, &token, STORES).await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["created"], 2);
    assert_eq!(report["updated"], 0);
    let errors: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [(4, "zip"), (5, "name"), (5, "state"), (6, "code")],
        "{report}"
    );

    // A re-import updates by code instead of duplicating.
    let again = "code,name,street,city,state,zip,latitude,longitude\n\
        S1,Times Square (renamed),1 Broadway,New York,NY,10001,40.7580,-73.9855\n";
    let report: Value = post_csv(&app, &path, &token, again)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(0), Some(1))
    );
    let list: Value = get_items(
        &app,
        &format!("/api/v1/locations?client_id={client}"),
        &token,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["name"], "Times Square (renamed)");
    assert_eq!(list[0]["latitude"], 40.758);
    assert!((list[1]["latitude"].as_f64().unwrap() - 37.75).abs() < 0.2);

    // A bad header, an empty file, a wrong content type, bytes that are not UTF-8.
    let r = post_csv(&app, &path, &token, "code,name,colour\nS9,x,red\n").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    assert!(p.to_string().contains("colour") && p.to_string().contains("street"));
    let r = post_csv(&app, &path, &token, "code,name,street,city,state,zip\n").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body(STORES)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app
        .client
        .post(app.url(&path))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(vec![b'c', 0xff, b'\n'])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = post_csv(
        &app,
        "/api/v1/locations/import?client_id=999999",
        &token,
        STORES,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_csv(
        &app,
        "/api/v1/locations/import?client_id=abc",
        &token,
        STORES,
    )
    .await;
    assert!(r.status().is_client_error());
    let list: Value = get_items(
        &app,
        &format!("/api/v1/locations?client_id={client}"),
        &token,
    )
    .await;
    assert_eq!(
        list.as_array().unwrap().len(),
        2,
        "refused imports wrote nothing"
    );
    app.stop().await;
}

async fn projects_and_jobs_one_by_one_and_by_import(backend: Backend) {
    let Some(app) = spawn_app(backend, "projects_jobs").await else {
        return;
    };
    let (token, client) = scheduler_with_client(&app, "Burger Barn").await;
    let (_, other_client) = scheduler_with_client(&app, "Taco Town").await;
    let r = post_csv(
        &app,
        &format!("/api/v1/locations/import?client_id={client}"),
        &token,
        "code,name,street,city,state,zip\nS1,One,1 Broadway,New York,NY,10001\nS2,Two,2 Broadway,New York,NY,10002\n",
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json_auth(
            "/api/v1/locations",
            &token,
            &json!({"client_id": other_client, "code": "T1", "name": "Taco", "street": "1 Main", "city": "Albany", "state": "NY", "zip": "12207"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let foreign_store = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();

    let r = app
        .post_json_auth(
            "/api/v1/projects",
            &token,
            &json!({"client_id": client, "name": "Q1 drive-thru", "max_km": 600, "min_age": 30, "max_age": 21, "rotation_days": -1, "fee_cents": 1500}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields: Vec<String> = problem(r).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["max_km", "max_age", "rotation_days"]);
    let r = app
        .post_json_auth(
            "/api/v1/projects",
            &token,
            &json!({"client_id": client, "name": "Q1 drive-thru", "max_km": 40, "languages": ["es"], "min_rating": 7, "rotation_days": 90, "fee_cents": 1500, "reimbursement_cap_cents": 1200}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let project: Value = r.json().await.unwrap();
    let project_id = project["id"].as_i64().unwrap();

    let stores: Value = get_items(
        &app,
        &format!("/api/v1/locations?client_id={client}"),
        &token,
    )
    .await;
    let s1 = stores[0]["id"].as_i64().unwrap();
    let job = |location: i64, code: &str| json!({"project_id": project_id, "location_id": location, "code": code, "window_start": far_dates("2036-12-01"), "window_end": far_dates("2036-12-15"), "bonus_cents": 500});
    let r = app
        .post_json_auth("/api/v1/jobs", &token, &job(s1, "J1"))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["fee_cents"], 1500, "the project's fee");
    assert_eq!(created["reimbursement_cap_cents"], 1200);
    assert_eq!(created["status"], "open");
    let r = app
        .post_json_auth("/api/v1/jobs", &token, &job(s1, "J1"))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // A window that is over already cannot take a visit: refused, and nothing stored.
    let yesterday = (chrono::Utc::now().date_naive() - chrono::Days::new(1)).to_string();
    let mut past = job(s1, "J-PAST");
    past["window_start"] = json!(yesterday);
    past["window_end"] = json!(yesterday);
    let r = app.post_json_auth("/api/v1/jobs", &token, &past).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = problem(r).await;
    assert_eq!(body["errors"][0]["field"], "window_end", "{body}");
    assert!(body.to_string().contains("over already"), "{body}");
    let r = app
        .post_json_auth("/api/v1/jobs", &token, &job(foreign_store, "J2"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "location_id");

    let csv = far_dates(
        "code,location_code,window_start,window_end,fee_cents,languages,vehicle\n\
        J1,S2,2036-12-02,2036-12-20,1800,es;en,true\n\
        J3,S1,2036-12-05,2036-12-01,,,\n\
        J4,S9,2036-12-05,2036-12-09,,,\n\
        J5,S1,next week,2036-12-09,-5,,maybe\n\
        J6,S2,2036-12-05,2036-12-09,,,\n",
    );
    let r = post_csv(
        &app,
        &format!("/api/v1/jobs/import?project_id={project_id}"),
        &token,
        &csv,
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64()),
        (Some(1), Some(1))
    );
    let errors: Vec<(u64, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["field"].as_str().unwrap()))
        .collect();
    assert_eq!(
        errors,
        [
            (3, "window_end"),
            (4, "location_code"),
            (5, "window_start"),
            (5, "vehicle"),
            (5, "fee_cents")
        ],
        "{report}"
    );
    let jobs: Value = get_items(
        &app,
        &format!("/api/v1/jobs?project_id={project_id}"),
        &token,
    )
    .await;
    let jobs = jobs.as_array().unwrap();
    assert_eq!(jobs.len(), 2);
    assert_eq!(jobs[0]["code"], "J1");
    assert_eq!(jobs[0]["fee_cents"], 1800, "updated by the import");
    assert_eq!(jobs[0]["vehicle"], true);
    assert_eq!(jobs[1]["code"], "J6");
    app.stop().await;
}

async fn shoppers_cannot_touch_clients_work(backend: Backend) {
    let Some(app) = spawn_app(backend, "clients_work_staff_only").await else {
        return;
    };
    let (_, client) = scheduler_with_client(&app, "Burger Barn").await;
    let shopper = access(&app.signed_up_shopper(&unique_email("s")).await);
    for path in [
        format!("/api/v1/locations?client_id={client}"),
        format!("/api/v1/projects?client_id={client}"),
        "/api/v1/jobs?project_id=1".to_string(),
    ] {
        let r = app.get_auth(&path, &shopper).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = post_csv(
        &app,
        &format!("/api/v1/locations/import?client_id={client}"),
        &shopper,
        STORES,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Well-formed bodies, so that only the role can be the reason for a refusal.
    for (path, body) in [
        (
            "/api/v1/locations".to_string(),
            json!({"client_id": client, "code": "S9", "name": "Mine", "street": "1 Main St", "city": "New York", "state": "NY", "zip": "10001"}),
        ),
        (
            "/api/v1/projects".to_string(),
            json!({"client_id": client, "name": "Mine", "max_km": 10, "rotation_days": 0, "fee_cents": 1}),
        ),
        (
            "/api/v1/jobs".to_string(),
            json!({"project_id": 1, "location_id": 1, "window_start": far_dates("2036-12-01"), "window_end": far_dates("2036-12-02")}),
        ),
        (
            format!("/api/v1/clients/{client}/competitors"),
            json!({"name": "Rival"}),
        ),
    ] {
        let r = app.post_json_auth(&path, &shopper, &body).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let r = post_csv(
        &app,
        "/api/v1/jobs/import?project_id=1",
        &shopper,
        &far_dates("code,location_code,window_start,window_end\nJ1,S1,2036-12-01,2036-12-02\n"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The role is checked before the body is read: a malformed or ill-shaped body, or a body
    // of the wrong type, still hears 403 and learns nothing about what the route expects.
    for body in [json!({"client_id": "not a number"}), json!([1, 2, 3])] {
        let r = app
            .post_json_auth("/api/v1/locations", &shopper, &body)
            .await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{body}");
    }
    let r = app
        .client
        .post(app.url("/api/v1/projects"))
        .bearer_auth(&shopper)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_csv(
        &app,
        &format!("/api/v1/locations/import?client_id={client}"),
        &shopper,
        "\u{ff}\u{fe} not csv",
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .client
        .post(app.url("/api/v1/jobs"))
        .bearer_auth(&shopper)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "wrong content type");
    app.stop().await;
}

async fn a_configured_geocoder_places_imported_stores(backend: Backend) {
    let (url, seen) = loopback_geocoder();
    let Some(app) = spawn_app_with(backend, "stores_geocoded", |s| {
        s.geocoder_url = Some(url::Url::parse(&url).unwrap());
    })
    .await
    else {
        return;
    };
    let (token, client) = scheduler_with_client(&app, "Burger Barn").await;
    // An unknown client is refused before any address is sent.
    let r = post_csv(
        &app,
        "/api/v1/locations/import?client_id=9999",
        &token,
        STORES,
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(seen.lock().unwrap().is_empty());

    let csv = "code,name,street,city,state,zip,latitude,longitude\n\
        S1,Empire,350 5th Ave,New York,NY,10001,,\n\
        S2,Lost,1 Nowhere Road,New York,NY,10001,,\n\
        S3,Given,1 Broadway,New York,NY,10004,40.7052,-74.0140\n\
        S4,Bad zip,1 Broadway,New York,NY,94110,,\n";
    let path = format!("/api/v1/locations/import?client_id={client}");
    let report: Value = post_csv(&app, &path, &token, csv)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["created"], 2, "{report}");
    assert_eq!(report["errors"][0]["line"], 3, "{report}");
    assert_eq!(report["errors"][0]["field"], "street", "{report}");
    assert_eq!(report["errors"][1]["line"], 5, "{report}");
    assert_eq!(report["errors"][1]["field"], "zip", "{report}");
    // Only rows valid in every field, and without coordinates, went to the geocoder.
    let requests = seen.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{requests:?}");
    let list = get_items(
        &app,
        &format!("/api/v1/locations?client_id={client}"),
        &token,
    )
    .await;
    assert_eq!(list[0]["code"], "S1");
    assert_eq!(list[0]["latitude"], 40.7484405, "the geocoder's answer");
    assert_eq!(list[1]["code"], "S3");
    assert_eq!(list[1]["latitude"], 40.7052, "the given coordinates");

    // One by one: a street the geocoder cannot find is a field error and nothing is stored.
    let r = app
        .post_json_auth(
            "/api/v1/locations",
            &token,
            &json!({"client_id": client, "code": "S9", "name": "Lost", "street": "1 Nowhere Road", "city": "New York", "state": "NY", "zip": "10001"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "street");
    let list = get_items(
        &app,
        &format!("/api/v1/locations?client_id={client}"),
        &token,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    app.stop().await;
}

on_both_backends!(
    a_configured_geocoder_places_imported_stores,
    store_locations_import_with_a_report_of_bad_rows,
    projects_and_jobs_one_by_one_and_by_import,
    shoppers_cannot_touch_clients_work,
    a_jobs_candidates_say_who_is_eligible_and_why_not,
    an_affiliation_typed_any_way_is_a_conflict,
    an_organization_entered_twice_is_merged,
);

/// Why the candidates `view` says shopper `id` may not take the job.
fn reasons_of(view: &Value, id: i64) -> Vec<String> {
    view["not_eligible"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["shopper_id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {view}"))["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

async fn a_jobs_candidates_say_who_is_eligible_and_why_not(backend: Backend) {
    let Some(app) = spawn_app(backend, "candidates").await else {
        return;
    };
    let (scheduler, client) = scheduler_with_client(&app, "Burger Barn").await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/clients/{client}/competitors"),
            &scheduler,
            &json!({"name": "Taco Town"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let store: Value = app
        .post_json_auth(
            "/api/v1/locations",
            &scheduler,
            &json!({"client_id": client, "code": "S1", "name": "Chelsea", "street": "1 Broadway", "city": "New York", "state": "NY", "zip": "10001"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let project: Value = app
        .post_json_auth(
            "/api/v1/projects",
            &scheduler,
            &json!({"client_id": client, "name": "Q1", "max_km": 40, "languages": ["es"], "rotation_days": 90, "fee_cents": 1500}),
        )
        .await
        .json()
        .await
        .unwrap();
    let job: Value = app
        .post_json_auth(
            "/api/v1/jobs",
            &scheduler,
            &json!({"project_id": project["id"], "location_id": store["id"], "window_start": far_dates("2036-12-01"), "window_end": far_dates("2036-12-15")}),
        )
        .await
        .json()
        .await
        .unwrap();

    let (ana, _) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (ben, ben_token) = panel_member(
        &app,
        &scheduler,
        "ben",
        json!({"affiliations": [{"organization": "Taco Town, Inc.", "relation": "household"}]}),
        true,
    )
    .await;
    let (cat, _) = panel_member(
        &app,
        &scheduler,
        "cat",
        json!({"affiliations": [{"organization": "Burger Barn", "relation": "self", "ended_on": "2023-05-31"}]}),
        true,
    )
    .await;
    let (dan, _) = panel_member(&app, &scheduler, "dan", json!({"languages": ["en"]}), true).await;
    let (eve, _) = panel_member(&app, &scheduler, "eve", json!({}), false).await;
    let (fay, _) = panel_member(&app, &scheduler, "fay", json!({}), true).await;
    let (gus, _) = panel_member(
        &app,
        &scheduler,
        "gus",
        json!({"city": "San Francisco", "state": "CA", "zip": "94110"}),
        true,
    )
    .await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/shoppers/{fay}/disqualifications"),
            &scheduler,
            &json!({"client_id": client, "reason": "reported her own employer's store"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    let view = get_json(
        &app,
        &format!("/api/v1/jobs/{}/candidates", job["id"]),
        &scheduler,
    )
    .await;
    let mut eligible: Vec<i64> = view["eligible"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["shopper_id"].as_i64().unwrap())
        .collect();
    eligible.sort();
    assert_eq!(eligible, [ana, cat], "{view}");
    let reasons = |id: i64| reasons_of(&view, id);
    assert_eq!(
        reasons(ben),
        ["household member works or worked for Taco Town: competitor of client Burger Barn"]
    );
    assert_eq!(reasons(dan), ["does not speak es"]);
    assert_eq!(reasons(eve), ["not an active panel member"]);
    let fay_reasons = reasons(fay);
    assert!(
        fay_reasons[0].starts_with("disqualified from this client on ")
            && fay_reasons[0].ends_with(": reported her own employer's store"),
        "{fay_reasons:?}"
    );
    assert!(
        !view.to_string().contains(&format!("\"shopper_id\":{gus},")),
        "out of reach"
    );
    assert_eq!(view["requirements"]["languages"], json!(["es"]));
    assert_eq!(view["holder"], Value::Null);

    // Once Ana holds the job it is not in the live index: its shoppers are loaded for the
    // request instead, and the words are the same.
    let job_id = job["id"].as_i64().unwrap();
    crate::assignments::assigned(&app, &scheduler, job_id, ana).await;
    let held = get_json(
        &app,
        &format!("/api/v1/jobs/{job_id}/candidates"),
        &scheduler,
    )
    .await;
    assert_eq!(held["holder"], ana, "{held}");
    for id in [ben, dan, eve, fay] {
        assert_eq!(reasons_of(&held, id), reasons(id), "{held}");
    }

    // Ben can see that staff looked at him for matching; he cannot call the staff route.
    let log = get_items(&app, "/api/v1/me/access-log", &ben_token).await;
    assert_eq!(
        log[0]["purpose"],
        format!(
            "finding shoppers who can take a store visit (job {})",
            job["id"]
        )
    );
    let r = app
        .get_auth(
            &format!("/api/v1/jobs/{}/candidates", job["id"]),
            &ben_token,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .post_json_auth(
            &format!("/api/v1/shoppers/{ana}/disqualifications"),
            &ben_token,
            &json!({"client_id": client, "reason": "rival"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = app
        .get_auth("/api/v1/jobs/999999/candidates", &scheduler)
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Bad input is named; nothing is recorded.
    let r = app
        .get_auth(
            &format!("/api/v1/jobs/{}/candidates?limit=0", job["id"]),
            &scheduler,
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "limit");
    let (_, other_client) = scheduler_with_client(&app, "Taco Town").await;
    let foreign: Value = app
        .post_json_auth(
            "/api/v1/locations",
            &scheduler,
            &json!({"client_id": other_client, "code": "T1", "name": "Taco", "street": "1 Main", "city": "Albany", "state": "NY", "zip": "12207"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let disqualify = format!("/api/v1/shoppers/{ana}/disqualifications");
    for (body, field) in [
        (json!({"client_id": client, "reason": "  "}), "reason"),
        (
            json!({"client_id": client, "location_id": foreign["id"], "reason": "x"}),
            "location_id",
        ),
        (json!({"client_id": 999999, "reason": "x"}), "client_id"),
    ] {
        let r = app.post_json_auth(&disqualify, &scheduler, &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(problem(r).await["errors"][0]["field"], field);
    }
    let r = app
        .post_json_auth(
            "/api/v1/shoppers/999999/disqualifications",
            &scheduler,
            &json!({"client_id": client, "reason": "x"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = app
        .post_json_auth(
            &format!("/api/v1/shoppers/{ana}/promote"),
            &scheduler,
            &json!({"reason": "x"}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "only approve, suspend, reinstate"
    );
    let view = get_json(
        &app,
        &format!("/api/v1/jobs/{}/candidates", job["id"]),
        &scheduler,
    )
    .await;
    assert!(
        view["eligible"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["shopper_id"] == ana),
        "refused disqualifications changed nothing"
    );
    app.stop().await;
}

/// The attack run's finding: an affiliation "Café Royal" typed with a combining accent, in
/// full-width letters, with a soft hyphen or with a Cyrillic "а" was not matched to the client
/// "Café Royal", so a conflicted shopper was listed as eligible.
async fn an_affiliation_typed_any_way_is_a_conflict(backend: Backend) {
    let Some(app) = spawn_app(backend, "unicode conflicts").await else {
        return;
    };
    let (scheduler, client) = scheduler_with_client(&app, "Café Royal").await;
    let (store, project) = store_and_project(&app, &scheduler, client, "R1").await;
    let job = job_at(&app, &scheduler, &project, &store, "R1-1").await;
    let mut conflicted = Vec::new();
    for (name, typed) in [
        ("ann", "Cafe\u{301} Royal"),
        ("bob", "Ｃａｆé Ｒｏｙａｌ"),
        ("cy", "Ca\u{AD}fé Royal"),
        ("dee", "C\u{430}fé Royal, Inc."),
    ] {
        let (id, _) = panel_member(
            &app,
            &scheduler,
            name,
            json!({"affiliations": [{"organization": typed, "relation": "self"}]}),
            true,
        )
        .await;
        conflicted.push(id);
    }
    let (free, _) = panel_member(
        &app,
        &scheduler,
        "eli",
        json!({"affiliations": [{"organization": "Cafe Royale", "relation": "self"}]}),
        true,
    )
    .await;
    let view = get_json(&app, &format!("/api/v1/jobs/{job}/candidates"), &scheduler).await;
    let eligible: Vec<i64> = view["eligible"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["shopper_id"].as_i64().unwrap())
        .collect();
    assert_eq!(eligible, [free], "{view}");
    for id in conflicted {
        let listed = view["not_eligible"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["shopper_id"] == id)
            .unwrap_or_else(|| panic!("{id} not listed: {view}"));
        assert!(
            listed["reasons"][0]
                .as_str()
                .unwrap()
                .contains("works or worked for"),
            "{listed}"
        );
    }
    // The organization list holds the company once.
    let organizations = get_items(&app, "/api/v1/organizations", &scheduler).await;
    let royal = organizations
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["name"].as_str().unwrap().contains("Royal"))
        .count();
    assert_eq!(royal, 2, "Café Royal and Cafe Royale: {organizations}");
    app.stop().await;
}

/// Two organizations that the name rules (as they grew) find to be one company were only
/// logged at start: now they are marked, listed for staff, and merged, after which a shopper
/// who works for the old entry is a conflict for the client again.
async fn an_organization_entered_twice_is_merged(backend: Backend) {
    let Some(app) = spawn_app(backend, "merge organizations").await else {
        return;
    };
    let (scheduler, client) = scheduler_with_client(&app, "Café Royal").await;
    let (store, project) = store_and_project(&app, &scheduler, client, "R1").await;
    let job = job_at(&app, &scheduler, &project, &store, "R1-1").await;
    let (ann, _) = panel_member(
        &app,
        &scheduler,
        "ann",
        json!({"affiliations": [{"organization": "Old Entry", "relation": "self"}]}),
        true,
    )
    .await;
    // The same company, entered under a key of older rules, as a friendly competitor.
    run_sql(&app, ["UPDATE organizations SET name = 'CAFE\u{301} ROYAL', name_key = 'old key', friendly_competitor = true WHERE name = 'Old Entry'".into()]).await;
    let candidates = format!("/api/v1/jobs/{job}/candidates");
    let view = get_json(&app, &candidates, &scheduler).await;
    assert_eq!(
        view["eligible"][0]["shopper_id"], ann,
        "not seen yet: {view}"
    );

    let rekeyed = app
        .state
        .db
        .run(|conn| Ok(incognito::organizations::store::rekey(conn)?))
        .await
        .unwrap();
    assert_eq!(rekeyed.clashes.len(), 1, "{rekeyed:?}");
    let organizations = get_items(&app, "/api/v1/organizations", &scheduler).await;
    let named = |name: &str| {
        organizations
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} listed: {organizations}"))
    };
    let (kept, twice) = (named("Café Royal"), named("CAFE\u{301} ROYAL"));
    assert_eq!(twice["same_as"], kept["id"], "{organizations}");
    assert!(kept["same_as"].is_null());

    // Staff see the pair and merge it; the one kept takes over the shopper's workplace.
    let mut staff = signed_in(&json!({ "access_token": scheduler }));
    let (_, html, _) = staff.get(&app, "/staff/organizations").await;
    let form = format!("/staff/organizations/{}/merge", twice["id"]);
    assert!(
        html.contains("Entered twice")
            && html.contains(&form)
            && html.contains("Merge into “Café Royal”"),
        "{html}"
    );
    let r = app
        .post_json_auth(
            &format!("/api/v1/organizations/{}/merge", twice["id"]),
            &scheduler,
            &json!({"into": twice["id"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "into");
    let (status, _, _) = staff
        .post(
            &app,
            &form,
            &[
                ("csrf_token", &csrf_field(&html)),
                ("into", &kept["id"].to_string()),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = staff.get(&app, "/staff/organizations").await;
    assert!(
        html.contains("Merged: Café Royal is one organization now.")
            && !html.contains("Entered twice"),
        "{html}"
    );
    let view = get_json(&app, &candidates, &scheduler).await;
    assert!(view["eligible"].as_array().unwrap().is_empty(), "{view}");
    assert!(
        view["not_eligible"][0]["reasons"][0]
            .as_str()
            .unwrap()
            .contains("works or worked for"),
        "{view}"
    );
    let organizations = get_items(&app, "/api/v1/organizations", &scheduler).await;
    assert_eq!(
        organizations.as_array().unwrap().len(),
        1,
        "{organizations}"
    );
    assert_eq!(organizations[0]["friendly_competitor"], true);

    // Two clients are not merged by a click.
    let r = app
        .post_json_auth("/api/v1/clients", &scheduler, &json!({"name": "Old Pizza"}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    run_sql(&app, ["UPDATE organizations SET name = 'CAFÉ ROYAL INC', name_key = 'older key' WHERE name = 'Old Pizza'".into()]).await;
    app.state
        .db
        .run(|conn| Ok(incognito::organizations::store::rekey(conn)?))
        .await
        .unwrap();
    let organizations = get_items(&app, "/api/v1/organizations", &scheduler).await;
    let twice = organizations
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "CAFÉ ROYAL INC")
        .unwrap()
        .clone();
    let r = app
        .post_json_auth(
            &format!("/api/v1/organizations/{}/merge", twice["id"]),
            &scheduler,
            &json!({"into": twice["same_as"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        problem(r).await["detail"]
            .as_str()
            .unwrap()
            .contains("are both clients"),
    );

    // A client found to be the company it named as a competitor is not its own competitor.
    let r = app
        .post_json_auth("/api/v1/clients", &scheduler, &json!({"name": "Old Diner"}))
        .await;
    let diner = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app
        .post_json_auth(
            &format!("/api/v1/clients/{diner}/competitors"),
            &scheduler,
            &json!({"name": "Dinah's Diner"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    run_sql(&app, ["UPDATE organizations SET name = 'DINAH''S DINER LLC', name_key = 'oldest key' WHERE name = 'Old Diner'".into()]).await;
    app.state
        .db
        .run(|conn| Ok(incognito::organizations::store::rekey(conn)?))
        .await
        .unwrap();
    let organizations = get_items(&app, "/api/v1/organizations", &scheduler).await;
    let twice = organizations
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "DINAH'S DINER LLC")
        .unwrap()
        .clone();
    let r = app
        .post_json_auth(
            &format!("/api/v1/organizations/{}/merge", twice["id"]),
            &scheduler,
            &json!({"into": twice["same_as"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let client = get_json(&app, &format!("/api/v1/clients/{diner}"), &scheduler).await;
    assert_eq!(client["name"], "Dinah's Diner");
    assert_eq!(client["competitors"], json!([]), "{client}");
    app.stop().await;
}
