//! The live index: a second server's index (its own memory, the same database) follows every
//! change, whoever writes it: through the API of the first server, or by SQL from another
//! program; what it catches up to equals an index built from scratch, and the API's board
//! (asked at the database's version) agrees with both.

use std::sync::Arc;

use chrono::{Datelike, Days, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{job, post, setup};
use crate::helpers::*;
use incognito::assignments::live::{self, Live};
use incognito::ids::ShopperId;
use incognito::units::DistanceUnit;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// The board of `shopper` from `index` (brought up to date from the database first), as JSON.
async fn board(app: &TestApp, index: &Arc<Live>, shopper: i64) -> Value {
    let keys = app.state.auth.keys.clone();
    let index = index.clone();
    let found = app
        .state
        .db
        .run(move |conn| index.board(conn, &keys, ShopperId(shopper), today(), DistanceUnit::Km))
        .await
        .unwrap();
    serde_json::to_value(found).unwrap()
}

fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect()
}

/// The other server's board, checked against an index built from scratch now and against the
/// first server's API; returns (ids open to the shopper, the unavailable jobs with why not).
async fn agreed(
    app: &TestApp,
    other: &Arc<Live>,
    shopper: i64,
    token: &str,
) -> (Vec<i64>, Vec<(i64, Value)>) {
    let caught_up = board(app, other, shopper).await;
    // Built a job and two shoppers at a time, so that every bound between chunks is crossed.
    let scratch = board(app, &Arc::new(Live::in_chunks(1, 2)), shopper).await;
    assert_eq!(
        caught_up, scratch,
        "the index that caught up equals one built now"
    );
    // A change by another program reaches the server's memory within a second; a client that
    // knows the version it wants (as one does after its own change) is answered at it now.
    let version = app
        .state
        .db
        .run(|conn| {
            use diesel::prelude::*;
            use incognito::db::schema::index_version;
            Ok(index_version::table
                .select(index_version::version)
                .first::<i64>(conn)?)
        })
        .await
        .unwrap();
    let (status, api) =
        get_at_version(app, "/api/v1/me/jobs", token, Some(&version.to_string())).await;
    assert_eq!(status, StatusCode::OK, "{api}");
    assert_eq!(ids(&api["jobs"]), ids(&caught_up["eligible"]), "{api}");
    let unavailable = caught_up["unavailable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["id"].as_i64().unwrap(), u["why_not"].clone()))
        .collect();
    (ids(&caught_up["eligible"]), unavailable)
}

async fn the_index_follows_every_change_on_every_server(backend: Backend) {
    let Some(app) = spawn_app(backend, "live_follows").await else {
        return;
    };
    let (scheduler, client, chelsea, project) = setup(&app, json!({})).await;
    let j1 = job(&app, &scheduler, project, chelsea, 1, 10).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (cat, _) = panel_member(&app, &scheduler, "cat", json!({}), true).await;
    // The second server: its own index over the same database.
    let other = Arc::new(Live::new());
    assert_eq!(agreed(&app, &other, ana, &ana_token).await.0, [j1]);
    let first = other.version().unwrap();

    // A job opened on the first server.
    let j2 = job(&app, &scheduler, project, chelsea, 2, 12).await;
    assert_eq!(agreed(&app, &other, ana, &ana_token).await.0, [j1, j2]);
    assert!(
        other.version().unwrap() > first,
        "it caught up to a newer version"
    );

    // Filled: another shopper was assigned it.
    let (status, _) = post(
        &app,
        &format!("/api/v1/jobs/{j2}/assign"),
        &scheduler,
        json!({"shopper_id": cat}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (open, unavailable) = agreed(&app, &other, ana, &ana_token).await;
    assert_eq!(open, [j1]);
    assert!(
        unavailable.is_empty(),
        "a taken job leaves the board: {unavailable:?}"
    );

    // Ana disqualified from the client: the job stays on her map, not open to her, and the
    // reason is not named.
    let r = app
        .post_json_auth(
            &format!("/api/v1/shoppers/{ana}/disqualifications"),
            &scheduler,
            &json!({"client_id": client, "reason": "rude to staff"}),
        )
        .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let (open, unavailable) = agreed(&app, &other, ana, &ana_token).await;
    assert!(open.is_empty());
    assert_eq!(
        unavailable,
        [(j1, json!(["this job is not available to you"]))]
    );

    // Suspended, then reinstated: the board follows her status.
    let (status, _) = post(
        &app,
        &format!("/api/v1/shoppers/{cat}/suspend"),
        &scheduler,
        json!({"reason": "complaint"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let cat_board = board(&app, &other, cat).await;
    assert_eq!(
        ids(&cat_board["eligible"]),
        Vec::<i64>::new(),
        "{cat_board}"
    );

    // Another program writes the database directly: the triggers record it all the same.
    let (db, j3) = (
        app.state.db.clone(),
        job(&app, &scheduler, project, chelsea, 3, 9).await,
    );
    run_sql(
        &app,
        [
            format!("DELETE FROM disqualifications WHERE shopper_id = {ana}"),
            format!("UPDATE jobs SET status = 'closed' WHERE id = {j1}"),
            format!("UPDATE jobs SET fee_cents = 4321 WHERE id = {j3}"),
        ],
    )
    .await;
    let (open, _) = agreed(&app, &other, ana, &ana_token).await;
    assert_eq!(open, [j3], "closed job gone, disqualification lifted");
    let shown = board(&app, &other, ana).await;
    assert_eq!(shown["eligible"][0]["fee_cents"], 4321, "the new fee shows");

    // A store moved far away takes its jobs with it.
    let place = |at: &str| format!("UPDATE locations SET {at} WHERE id = {chelsea}");
    run_sql(&app, [place("latitude = 42.65, longitude = -73.75")]).await;
    let (open, unavailable) = agreed(&app, &other, ana, &ana_token).await;
    assert!(open.is_empty() && unavailable.is_empty(), "{unavailable:?}");

    // A row no form would accept (written around the service) costs its own jobs, not the
    // board.
    run_sql(&app, [place("latitude = 95")]).await;
    let (open, unavailable) = agreed(&app, &other, ana, &ana_token).await;
    assert!(open.is_empty() && unavailable.is_empty(), "{unavailable:?}");

    // Changes older than the log keeps are pruned; an index behind them rebuilds, and is
    // right again.
    run_sql(
        &app,
        [
            place("latitude = 40.75, longitude = -73.99"),
            "UPDATE index_changes SET changed_at = '2000-01-01 00:00:00'".into(),
        ],
    )
    .await;
    let pruned = db
        .run(|conn| Ok(live::prune(conn, Utc::now().naive_utc())?))
        .await
        .unwrap();
    assert!(pruned > 0);
    let (open, _) = agreed(&app, &other, ana, &ana_token).await;
    assert_eq!(open, [j3], "the store is back");
    app.stop().await;
}

/// The ids of the jobs `shopper` may take on `day`, from `index`, in order.
async fn eligible_on(
    app: &TestApp,
    index: &Arc<Live>,
    shopper: i64,
    day: NaiveDate,
) -> Vec<incognito::ids::JobId> {
    let (index, keys) = (index.clone(), app.state.auth.keys.clone());
    let b = app
        .state
        .db
        .run(move |conn| index.board(conn, &keys, ShopperId(shopper), day, DistanceUnit::Km))
        .await
        .unwrap();
    let mut ids: Vec<incognito::ids::JobId> = b.eligible.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    ids
}

async fn a_new_day_rebuilds_the_index(backend: Backend) {
    let Some(app) = spawn_app(backend, "live_new_day").await else {
        return;
    };
    let (scheduler, _, chelsea, project) = setup(&app, json!({})).await;
    let short = job(&app, &scheduler, project, chelsea, 0, 1).await;
    let long = job(&app, &scheduler, project, chelsea, 0, 5).await;
    let (ana, _) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let index = Arc::new(Live::new());
    assert_eq!(eligible_on(&app, &index, ana, today()).await, [short, long]);
    // Two days on, the short window is over: nothing changed in the database, the day did.
    let later = today().checked_add_days(Days::new(2)).unwrap();
    assert_eq!(eligible_on(&app, &index, ana, later).await, [long]);
    app.stop().await;
}

/// In the server a new day's index is built in the background: until it is, requests are
/// answered from the index held, which keeps following changes on its own day.
async fn a_new_day_is_built_in_the_background(backend: Backend) {
    let Some(app) = spawn_app(backend, "live_background_day").await else {
        return;
    };
    let (scheduler, _, chelsea, project) = setup(&app, json!({})).await;
    let short = job(&app, &scheduler, project, chelsea, 0, 1).await;
    let long = job(&app, &scheduler, project, chelsea, 0, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    // An index whose builder never runs on its own: the test builds the new day when it chooses.
    let index = Arc::new(Live::new());
    index.build_new_days_in_background();
    let keys = app.state.auth.keys.clone();
    let on = |day: NaiveDate| eligible_on(&app, &index, ana, day);
    assert_eq!(on(today()).await, [short, long]);
    let later = today().checked_add_days(Days::new(2)).unwrap();
    // Two days on: the index held answers, for its own day, and nothing waits for a build.
    assert_eq!(on(later).await, [short, long]);
    assert_eq!(index.day(), Some(today()));
    // A change meanwhile still reaches it.
    let fresh = job(&app, &scheduler, project, chelsea, 0, 10).await;
    assert_eq!(on(later).await, [short, long, fresh]);
    // The new day's index, built, replaces it: the short window is over.
    let (built_by, keys2) = (index.clone(), keys.clone());
    let built = app
        .state
        .db
        .run(move |conn| built_by.build_new_day(conn, &keys2, later))
        .await
        .unwrap();
    assert!(built);
    assert_eq!(index.day(), Some(later));
    assert_eq!(on(later).await, [long, fresh]);

    // The server's own index does the same by itself, woken by the first request of the day.
    get_json(&app, "/api/v1/me/jobs", &ana_token).await;
    let email = email_of(&app, &ana_token).await;
    let day_before = app.state.live.day().unwrap();
    app.state.clock.advance(chrono::TimeDelta::days(2)).unwrap();
    let ana_token = sign_in(&app, &email).await;
    let board = get_json(&app, "/api/v1/me/jobs", &ana_token).await;
    assert!(board["jobs"].is_array(), "{board}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.state.live.day() == Some(day_before) && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.state.live.day(),
        day_before.checked_add_days(Days::new(2)),
        "the server built the new day's index"
    );
    app.stop().await;
}

/// On PostgreSQL a transaction that began first may commit last. Its change must still reach
/// a server that caught up in between: versions are taken at commit, not at the write.
#[tokio::test]
async fn a_transaction_that_commits_late_is_not_missed() {
    let Some(app) = spawn_app(Backend::Postgres, "live_late_commit").await else {
        return;
    };
    let (scheduler, _, chelsea, project) = setup(&app, json!({})).await;
    let j1 = job(&app, &scheduler, project, chelsea, 1, 10).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let other = Arc::new(Live::new());
    assert_eq!(agreed(&app, &other, ana, &ana_token).await.0, [j1]);

    let incognito::config::DatabaseUrl::Postgres(url) = &app.settings.database_url else {
        panic!("a PostgreSQL test");
    };
    let url = url.expose().to_string();
    let (written, write) = std::sync::mpsc::channel();
    let (commit, go) = std::sync::mpsc::channel::<()>();
    let slow = std::thread::spawn(move || {
        use diesel::connection::SimpleConnection;
        use diesel::{Connection, PgConnection};
        let mut conn = PgConnection::establish(&url).unwrap();
        conn.batch_execute(&format!(
            "BEGIN; UPDATE jobs SET status = 'closed' WHERE id = {j1};"
        ))
        .unwrap();
        written.send(()).unwrap();
        go.recv().unwrap();
        conn.batch_execute("COMMIT").unwrap();
    });
    write.recv().unwrap();
    // Meanwhile a job opens and commits; the other server catches up past it.
    let j2 = job(&app, &scheduler, project, chelsea, 2, 10).await;
    assert_eq!(agreed(&app, &other, ana, &ana_token).await.0, [j1, j2]);
    let caught_up = other.version().unwrap();
    commit.send(()).unwrap();
    slow.join().unwrap();
    assert_eq!(
        agreed(&app, &other, ana, &ana_token).await.0,
        [j2],
        "the late commit's closed job left the board"
    );
    assert!(other.version().unwrap() > caught_up);
    app.stop().await;
}

/// An index built a job and two shoppers at a time opens dates of birth because a job asks an
/// age, whichever range the job and each shopper were read in, and knows the languages each
/// shopper speaks (many sharing a list): its boards are the server's, shopper by shopper.
async fn ages_and_languages_hold_in_a_build_in_ranges(backend: Backend) {
    let Some(app) = spawn_app(backend, "live_ages").await else {
        return;
    };
    let (scheduler, client, chelsea, plain) = setup(&app, json!({})).await;
    let (status, project) = post(
        &app,
        "/api/v1/projects",
        &scheduler,
        json!({"client_id": client, "name": "Q1 in Spanish", "max_km": 40, "rotation_days": 0,
               "fee_cents": 1500, "min_age": 21, "languages": ["es"]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{project}");
    let project = project["id"].as_i64().unwrap();
    let (asks, open_to_all) = (
        job(&app, &scheduler, project, chelsea, 1, 10).await,
        job(&app, &scheduler, plain, chelsea, 2, 10).await,
    );
    // Born on 1 January: 36 and 19 whatever day the test runs.
    let born = |years: i32| format!("{}-01-01", today().year() - years);
    let adult = json!({"date_of_birth": born(36)});
    let young = json!({"date_of_birth": born(19)});
    let french = json!({"date_of_birth": born(36), "languages": ["fr"]});
    let mut expected = Vec::new();
    for (name, profile, takes_both) in [
        ("adult1", &adult, true),
        ("young", &young, false),
        ("french", &french, false),
        ("unknown", &json!({}), false),
        ("adult2", &adult, true),
    ] {
        let (id, token) = panel_member(&app, &scheduler, name, profile.clone(), true).await;
        let mut takes = vec![open_to_all];
        if takes_both {
            takes.push(asks);
        }
        takes.sort();
        expected.push((name, id, token, takes));
    }
    let ranged = Arc::new(Live::in_chunks(1, 2));
    for (name, id, token, takes) in expected {
        let mut open = ids(&board(&app, &ranged, id).await["eligible"]);
        open.sort();
        assert_eq!(open, takes, "{name}");
        let mut api = ids(&get_json(&app, "/api/v1/me/jobs", &token).await["jobs"]);
        api.sort();
        assert_eq!(api, takes, "{name}: the server's own board");
    }
    app.stop().await;
}

on_both_backends!(
    ages_and_languages_hold_in_a_build_in_ranges,
    the_index_follows_every_change_on_every_server,
    a_new_day_rebuilds_the_index,
    a_new_day_is_built_in_the_background,
);
