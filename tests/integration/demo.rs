//! `incognito demo`: an empty database becomes a small panel a newcomer can sign in to, as
//! every role; a database that holds accounts is refused and left as it was.

use diesel::prelude::*;
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

async fn the_demo_fills_an_empty_panel_and_refuses_a_second_time(backend: Backend) {
    let Some(app) = spawn_app(backend, "demo").await else {
        return;
    };
    let out = run_incognito(&["demo", "--seed", "3"], &app.settings);
    assert!(out.contains("3 clients"), "{out}");
    let password = demo_password(&out);

    // Every state the platform reaches today is there.
    let pool = app.database();
    let states: Vec<String> = pool
        .run(|conn| {
            use incognito::db::schema::assignments::dsl::*;
            Ok(assignments.select(state).load::<String>(conn)?)
        })
        .await
        .unwrap();
    for wanted in [
        "requested",
        "offered",
        "accepted",
        "visited",
        "declined",
        "expired",
        "cancelled",
        "reassigned",
    ] {
        assert!(
            states.iter().any(|s| s == wanted),
            "no {wanted} assignment: {states:?}"
        );
    }

    // One sign-in for each role works, with the printed password.
    let mut tokens = std::collections::HashMap::new();
    for line in out.lines().filter(|l| l.contains("@demo.example.com")) {
        let email = line.split_whitespace().last().unwrap();
        let r = app.login(email, &password).await;
        assert_eq!(r.status(), StatusCode::OK, "{line}");
        let t: Value = r.json().await.unwrap();
        tokens.insert(
            line.trim().split("  ").next().unwrap().to_string(),
            access(&t),
        );
    }
    assert_eq!(tokens.len(), 6, "{out}");
    let clients = get_items(&app, "/api/v1/clients", &tokens["Scheduling staff"]).await;
    assert_eq!(clients.as_array().unwrap().len(), 3);
    let first = clients[0]["id"].as_i64().unwrap();
    let locations = get_json(
        &app,
        &format!("/api/v1/locations?client_id={first}"),
        &tokens["Scheduling staff"],
    )
    .await;
    assert!(locations["total"].as_i64().unwrap() >= 60, "stores listed");
    assert_eq!(
        locations["items"].as_array().unwrap().len(),
        50,
        "a page of 50"
    );
    let board = get_json(&app, "/api/v1/me/jobs", &tokens["Shopper"]).await;
    assert!(
        board["total"].as_u64().unwrap() > 0,
        "the shopper sees jobs: {board}"
    );
    let me = get_json(&app, "/api/v1/me", &tokens["Client reviewer"]).await;
    assert_eq!(me["role"], "client_reviewer");

    // A second run is refused and changes nothing.
    let count = |pool: incognito::db::DbPool| async move {
        pool.run(|conn| {
            use incognito::db::schema::users::dsl::*;
            Ok(users.count().get_result::<i64>(conn)?)
        })
        .await
        .unwrap()
    };
    let before = count(pool.clone()).await;
    assert!(before > 400);
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_incognito"))
        .args(["demo"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(settings_env(&app.settings))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds accounts already"), "{stderr}");
    assert_eq!(count(pool).await, before);
    app.stop().await;
}

on_both_backends!(the_demo_fills_an_empty_panel_and_refuses_a_second_time);
