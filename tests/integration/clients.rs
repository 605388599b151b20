//! Clients' stores, projects and jobs, one by one and by CSV import: on SQLite and PostgreSQL.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// A scheduler's token and a new client's id.
async fn scheduler_with_client(app: &TestApp, client: &str) -> (String, i64) {
    let (_, token) = admin_and_scheduler(app).await;
    let r = app
        .post_json_auth("/api/v1/clients", &token, &json!({"name": client}))
        .await;
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    (token, id)
}

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
    let list: Value = get_json(
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
    let list: Value = get_json(
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

    let stores: Value = get_json(
        &app,
        &format!("/api/v1/locations?client_id={client}"),
        &token,
    )
    .await;
    let s1 = stores[0]["id"].as_i64().unwrap();
    let job = |location: i64, code: &str| json!({"project_id": project_id, "location_id": location, "code": code, "window_start": "2026-12-01", "window_end": "2026-12-15", "bonus_cents": 500});
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
    let r = app
        .post_json_auth("/api/v1/jobs", &token, &job(foreign_store, "J2"))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "location_id");

    let csv = "code,location_code,window_start,window_end,fee_cents,languages,vehicle\n\
        J1,S2,2026-12-02,2026-12-20,1800,es;en,true\n\
        J3,S1,2026-12-05,2026-12-01,,,\n\
        J4,S9,2026-12-05,2026-12-09,,,\n\
        J5,S1,next week,2026-12-09,-5,,maybe\n\
        J6,S2,2026-12-05,2026-12-09,,,\n";
    let r = post_csv(
        &app,
        &format!("/api/v1/jobs/import?project_id={project_id}"),
        &token,
        csv,
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
    let jobs: Value = get_json(
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
    for path in ["/api/v1/locations", "/api/v1/projects", "/api/v1/jobs"] {
        let r = app.post_json_auth(path, &shopper, &json!({})).await;
        assert!(
            r.status() == StatusCode::FORBIDDEN || r.status() == StatusCode::UNPROCESSABLE_ENTITY,
            "{path}: {}",
            r.status()
        );
    }
    app.stop().await;
}

on_both_backends!(
    store_locations_import_with_a_report_of_bad_rows,
    projects_and_jobs_one_by_one_and_by_import,
    shoppers_cannot_touch_clients_work,
);
