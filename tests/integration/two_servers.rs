//! Two servers on one database, each with its own memory: a shopper's board is answered from
//! memory, yet a shopper who changes something on one server sees it on the other at once
//! (carrying back the version the change answered with), and a session ended on one server,
//! or an account disabled or a session cut short by another program, is refused by both
//! within a second.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{job, post, setup};
use crate::helpers::*;
use incognito::auth::sessions::VERSION_HEADER;

fn ids(board: &Value) -> Vec<i64> {
    board["jobs"]
        .as_array()
        .unwrap_or_else(|| panic!("{board}"))
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect()
}

/// The board from `app`, with the version of the last change when there is one.
async fn board(app: &TestApp, token: &str, version: Option<&str>) -> (StatusCode, Value) {
    get_at_version(app, "/api/v1/me/jobs", token, version).await
}

/// Asks `app` for the board until memory answers it (the server follows the log within a
/// tenth of a second); answers the board.
async fn from_memory(app: &TestApp, token: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let before = app.state.auth.sessions.counts().0;
        let (status, body) = board(app, token, None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if app.state.auth.sessions.counts().0 > before {
            return body;
        }
        assert!(Instant::now() < deadline, "memory never answered the board");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Asks `app` with `token` until it is refused; fails if it is honoured a second or more after
/// `ended` (measured when each request is sent).
async fn refused_within_a_second(app: &TestApp, token: &str, ended: Instant, what: &str) {
    loop {
        let sent = ended.elapsed();
        let (status, body) = board(app, token, None).await;
        if status == StatusCode::UNAUTHORIZED {
            return;
        }
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(
            sent < Duration::from_secs(1),
            "{what}: still honoured {sent:?} after"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn two_servers_share_sessions_and_changes(backend: Backend) {
    let Some(a) = spawn_app(backend, "two_servers").await else {
        return;
    };
    // The same database and keys, its own memory.
    let b = start(a.settings.clone()).await;
    let (scheduler, _, store, project) = setup(&a, json!({"self_assign_min_rating": 1})).await;
    let first = job(&a, &scheduler, project, store, -1, 10).await;
    let second = job(&a, &scheduler, project, store, 0, 10).await;
    let (ana, ana_token) = panel_member(&a, &scheduler, "ana", json!({}), true).await;
    // Rated 8, Ana takes a job herself.
    let (status, body) = post(
        &a,
        &format!("/api/v1/shoppers/{ana}/ratings"),
        &scheduler,
        json!({"score": 8}),
    )
    .await;
    assert!(status.is_success(), "{body}");

    // B answers her board from memory once it has followed the log.
    let before = from_memory(&b, &ana_token).await;
    assert_eq!(ids(&before), [first, second]);

    // She takes the first job on A; the answer carries the version of her change, and B,
    // given it, answers with her change in, however recently it read the log.
    let r = a
        .post_json_auth(
            &format!("/api/v1/jobs/{first}/request"),
            &ana_token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let version = r
        .headers()
        .get(VERSION_HEADER)
        .expect("a change answers with its version")
        .to_str()
        .unwrap()
        .to_string();
    let taken: Value = r.json().await.unwrap();
    assert_eq!(taken["state"], "accepted", "{taken}");
    let (status, after) = board(&b, &ana_token, Some(&version)).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(ids(&after), [second], "B shows her own move");
    // A version that is not a number is not one: the board answers as without it.
    assert_eq!(board(&b, &ana_token, Some("soon")).await.0, StatusCode::OK);

    // She signs out on A: A refuses the token at once, B within a second, though it answered
    // her from memory just before.
    from_memory(&b, &ana_token).await;
    let r = a
        .post_json_auth("/api/v1/auth/logout", &ana_token, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let ended = Instant::now();
    assert_eq!(
        board(&a, &ana_token, None).await.0,
        StatusCode::UNAUTHORIZED
    );
    refused_within_a_second(&b, &ana_token, ended, "a signed-out session").await;

    // Another program disables Ben's account, or cuts Cleo's session short, in the database:
    // neither server saw it, both refuse them within a second.
    for (name, sql, what) in [
        (
            "ben",
            "UPDATE users SET disabled_at = CURRENT_TIMESTAMP WHERE id = {id}",
            "a disabled account",
        ),
        (
            "cleo",
            "UPDATE sessions SET expires_at = '2000-01-01 00:00:00' WHERE user_id = {id}",
            "a session cut short",
        ),
    ] {
        let (id, token) = panel_member(&a, &scheduler, name, json!({}), true).await;
        from_memory(&a, &token).await;
        from_memory(&b, &token).await;
        run_sql(&a, [sql.replace("{id}", &id.to_string())]).await;
        let ended = Instant::now();
        refused_within_a_second(&a, &token, ended, &format!("{what} on A")).await;
        refused_within_a_second(&b, &token, ended, &format!("{what} on B")).await;
    }
    b.stop().await;
    a.stop().await;
}

on_both_backends!(two_servers_share_sessions_and_changes);
