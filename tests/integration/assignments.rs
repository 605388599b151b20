//! Assignments: request, offer, assign, accept, decline, reschedule, visit, cancel; illegal
//! moves answer 409 with the state; the race for a job has one winner; rotation and conflicts
//! explained in the shopper's words; who may do what.

use chrono::{Days, NaiveDate, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn day(offset: i64) -> String {
    let d = if offset >= 0 {
        today().checked_add_days(Days::new(offset as u64))
    } else {
        today().checked_sub_days(Days::new(offset.unsigned_abs()))
    };
    d.unwrap().to_string()
}

/// A client "Burger Barn" with competitor "Taco Town", a store in Chelsea and a project with
/// these settings: (scheduler token, client id, store id, project id).
pub(crate) async fn setup(app: &TestApp, project: Value) -> (String, i64, i64, i64) {
    let (scheduler, client) = scheduler_with_client(app, "Burger Barn").await;
    app.post_json_auth(
        &format!("/api/v1/clients/{client}/competitors"),
        &scheduler,
        &json!({"name": "Taco Town"}),
    )
    .await;
    let store = app
        .post_json_auth(
            "/api/v1/locations",
            &scheduler,
            &json!({"client_id": client, "code": "S1", "name": "Chelsea", "street": "1 Broadway", "city": "New York", "state": "NY", "zip": "10001"}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let mut body = json!({"client_id": client, "name": "Q1", "max_km": 40, "rotation_days": 90, "fee_cents": 1500});
    for (k, v) in project.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = app
        .post_json_auth("/api/v1/projects", &scheduler, &body)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let project = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    (scheduler, client, store, project)
}

pub(crate) async fn job(
    app: &TestApp,
    scheduler: &str,
    project: i64,
    store: i64,
    from: i64,
    to: i64,
) -> i64 {
    let r = app
        .post_json_auth(
            "/api/v1/jobs",
            scheduler,
            &json!({"project_id": project, "location_id": store, "window_start": day(from), "window_end": day(to)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// Staff give `job` to `shopper` at once: the assignment's id.
pub(crate) async fn assigned(app: &TestApp, scheduler: &str, job: i64, shopper: i64) -> i64 {
    let (status, body) = post(
        app,
        &format!("/api/v1/jobs/{job}/assign"),
        scheduler,
        json!({"shopper_id": shopper}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["id"].as_i64().unwrap()
}

pub(crate) async fn post(
    app: &TestApp,
    path: &str,
    token: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = app.post_json_auth(path, token, &body).await;
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn rate(app: &TestApp, scheduler: &str, shopper: i64, score: i64) {
    let r = app
        .post_json_auth(
            &format!("/api/v1/shoppers/{shopper}/ratings"),
            scheduler,
            &json!({"score": score}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
}

async fn the_lifecycle_from_request_to_visit(backend: Backend) {
    let Some(app) = spawn_app(backend, "lifecycle").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    let job = job(&app, &scheduler, project, store, -1, 10).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (_, ben_token) = panel_member(&app, &scheduler, "ben", json!({}), true).await;

    // Both ask; the project has no self-assign, so the requests wait for staff.
    let (status, asked) = post(
        &app,
        &format!("/api/v1/jobs/{job}/request"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["state"], "requested");
    assert_eq!(asked["job"]["area"], "New York, NY");
    assert_eq!(
        asked["job"]["address"],
        Value::Null,
        "no street before the job is hers"
    );
    assert_eq!(
        asked["job"]["client_name"],
        Value::Null,
        "the project hides the client"
    );
    let (status, again) = post(
        &app,
        &format!("/api/v1/jobs/{job}/request"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");
    let (status, ben_asked) = post(
        &app,
        &format!("/api/v1/jobs/{job}/request"),
        &ben_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Staff offer it to Ana: her request becomes the offer, with a deadline.
    let (status, offered) = post(
        &app,
        &format!("/api/v1/jobs/{job}/offer"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{offered}");
    assert_eq!(offered["id"], asked["id"]);
    assert_eq!(offered["state"], "offered");
    assert!(offered["offer_expires_at"].is_string());
    let id = offered["id"].as_i64().unwrap();
    // The job is held: nobody else can be offered it.
    let ben = get_json(&app, "/api/v1/me", &ben_token).await["id"]
        .as_i64()
        .unwrap();
    let (status, problem) = post(
        &app,
        &format!("/api/v1/jobs/{job}/offer"),
        &scheduler,
        json!({"shopper_id": ben}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "job_taken");

    // Ben cannot touch Ana's assignment: it does not exist for him.
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/accept"),
        &ben_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A body that is not JSON is refused as such.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{id}/accept")))
        .bearer_auth(&ana_token)
        .header("content-type", "text/plain")
        .body("yes please")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A visit day outside the window is named.
    let (status, problem) = post(
        &app,
        &format!("/api/v1/assignments/{id}/accept"),
        &ana_token,
        json!({"visit_on": day(30)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "visit_on");
    let (status, accepted) = post(
        &app,
        &format!("/api/v1/assignments/{id}/accept"),
        &ana_token,
        json!({"visit_on": day(3)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["state"], "accepted");
    assert_eq!(accepted["visit_on"], day(3));
    assert_eq!(accepted["job"]["address"], "Chelsea, 1 Broadway");
    // Times are RFC 3339 with their offset, as the document's `date-time` says.
    for at in [&accepted["created_at"], &accepted["history"][0]["at"]] {
        let at = at.as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(at).is_ok(),
            "{at} is not RFC 3339"
        );
    }
    // A move's own body: an unknown field of another move is refused, not ignored.
    let (status, problem) = post(
        &app,
        &format!("/api/v1/assignments/{id}/reschedule"),
        &ana_token,
        json!({"visited_on": day(3)}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // Ben's request lapsed when the job went to Ana.
    let mine = get_items(&app, "/api/v1/me/assignments", &ben_token).await;
    assert_eq!(mine[0]["id"], ben_asked["id"]);
    assert_eq!(mine[0]["state"], "expired");

    // Accepting twice, declining an accepted job: 409 with the current state.
    for action in ["accept", "decline"] {
        let (status, problem) = post(
            &app,
            &format!("/api/v1/assignments/{id}/{action}"),
            &ana_token,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{action}");
        assert_eq!(problem["code"], "illegal_transition");
        assert_eq!(problem["state"], "accepted");
    }
    let (status, moved) = post(
        &app,
        &format!("/api/v1/assignments/{id}/reschedule"),
        &ana_token,
        json!({"visit_on": day(5)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(moved["visit_on"], day(5));
    assert_eq!(moved["state"], "accepted");

    // The calendar holds the accepted visit on its planned day.
    let r = app.get_auth("/api/v1/me/assignments.ics", &ana_token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let ics = r.text().await.unwrap();
    let planned = day(5).replace('-', "");
    assert!(
        ics.starts_with("BEGIN:VCALENDAR\r\n") && ics.ends_with("END:VCALENDAR\r\n"),
        "{ics}"
    );
    assert!(
        ics.contains(&format!("DTSTART;VALUE=DATE:{planned}")),
        "{ics}"
    );
    assert!(ics.contains("LOCATION:Chelsea\\, 1 Broadway"), "{ics}");
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 1);

    // The visit, today; then a cancel is no longer possible.
    let (status, visited) = post(
        &app,
        &format!("/api/v1/assignments/{id}/visit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{visited}");
    assert_eq!(visited["state"], "visited");
    assert_eq!(visited["visited_on"], day(0));
    let (status, problem) = post(
        &app,
        &format!("/api/v1/assignments/{id}/cancel"),
        &ana_token,
        json!({"reason": "oops"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["state"], "visited");
    let history: Vec<&str> = visited["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["state"].as_str().unwrap())
        .collect();
    assert_eq!(
        history,
        ["requested", "offered", "accepted", "accepted", "visited"]
    );

    // Suspending a shopper withdraws their requests and offers.
    let spare = crate::assignments::job(&app, &scheduler, project, store, 1, 10).await;
    let (status, asked) = post(
        &app,
        &format!("/api/v1/jobs/{spare}/request"),
        &ben_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    let (status, _) = post(
        &app,
        &format!("/api/v1/shoppers/{ben}/suspend"),
        &scheduler,
        json!({"reason": "complaint"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let mine = get_items(&app, "/api/v1/me/assignments", &ben_token).await;
    let withdrawn = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == asked["id"])
        .unwrap();
    assert_eq!(withdrawn["state"], "cancelled", "{mine}");

    // Staff see the job's assignments; shoppers do not.
    let list = get_items(&app, &format!("/api/v1/jobs/{job}/assignments"), &scheduler).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    let r = app
        .get_auth(&format!("/api/v1/jobs/{job}/assignments"), &ana_token)
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

async fn rotation_and_conflicts_are_explained_without_names(backend: Backend) {
    let Some(app) = spawn_app(backend, "why_not").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({"self_assign_min_rating": 1})).await;
    let first = job(&app, &scheduler, project, store, -1, 10).await;
    let later = job(&app, &scheduler, project, store, 20, 30).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    // Unrated, Ana can only ask; rated 8, she takes the job herself, and her request is what
    // becomes the assignment (no second one left behind).
    let (status, asked) = post(
        &app,
        &format!("/api/v1/jobs/{first}/request"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{asked}");
    assert_eq!(asked["state"], "requested");
    rate(&app, &scheduler, ana, 8).await;
    let (status, taken) = post(
        &app,
        &format!("/api/v1/jobs/{first}/request"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    assert_eq!(taken["id"], asked["id"]);
    let mine = get_items(&app, "/api/v1/me/assignments", &ana_token).await;
    assert_eq!(mine.as_array().unwrap().len(), 1, "{mine}");
    assert_eq!(taken["state"], "accepted", "self-assigned");
    let id = taken["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/visit"),
        &ana_token,
        json!({"visited_on": day(0)}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The same store within the 90-day rotation: why not, with the dates.
    let (status, problem) = post(
        &app,
        &format!("/api/v1/jobs/{later}/request"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "not_available");
    let visited = today().format("%-d %B %Y").to_string();
    let again = today()
        .checked_add_days(Days::new(90))
        .unwrap()
        .format("%-d %B %Y")
        .to_string();
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!(
            "you visited this location on {visited}; you can shop it again from {again}"
        )),
        "{detail}"
    );

    // A shopper whose household works for a competitor hears only that the job is not for them.
    let (ben, ben_token) = panel_member(
        &app,
        &scheduler,
        "ben",
        json!({"affiliations": [{"organization": "Taco Town, Inc.", "relation": "household"}], "vehicle": false}),
        true,
    )
    .await;
    rate(&app, &scheduler, ben, 9).await;
    let (status, problem) = post(
        &app,
        &format!("/api/v1/jobs/{later}/request"),
        &ben_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("this job is not available to you"),
        "{detail}"
    );
    for name in ["Taco", "Burger", "competitor", "household"] {
        assert!(!detail.contains(name), "{name} leaked: {detail}");
    }
    // Staff, offering it, see the reason in full.
    let (status, problem) = post(
        &app,
        &format!("/api/v1/jobs/{later}/offer"),
        &scheduler,
        json!({"shopper_id": ben}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        problem["detail"].as_str().unwrap().contains("Taco Town"),
        "{problem}"
    );
    // An applicant not yet approved hears so.
    let (_, cal_token) = panel_member(&app, &scheduler, "cal", json!({}), false).await;
    let (status, problem) = post(
        &app,
        &format!("/api/v1/jobs/{later}/request"),
        &cal_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("not been approved"),
        "{problem}"
    );
    app.stop().await;
}

async fn staff_assign_and_shoppers_cancel_late_with_a_citation(backend: Backend) {
    let Some(app) = spawn_app(backend, "assign_cancel").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    // The window ends tomorrow: a cancel now is late.
    let job = job(&app, &scheduler, project, store, -1, 1).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (status, shopper_try) = post(
        &app,
        &format!("/api/v1/jobs/{job}/assign"),
        &ana_token,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{shopper_try}");
    let (status, assigned) = post(
        &app,
        &format!("/api/v1/jobs/{job}/assign"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{assigned}");
    assert_eq!(assigned["state"], "accepted");
    let id = assigned["id"].as_i64().unwrap();
    // Shoppers cannot reassign; staff cannot accept for the shopper.
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/reassign"),
        &ana_token,
        json!({"reason": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/accept"),
        &scheduler,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A cancel needs a reason.
    let (status, problem) = post(
        &app,
        &format!("/api/v1/assignments/{id}/cancel"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "reason");
    // Taken more than a day ago (the clock moved back for the test), and the window ends
    // tomorrow: the cancel is late.
    let pool = app.database();
    pool.run(move |conn| {
        use diesel::prelude::*;
        use incognito::db::schema::assignment_events;
        let earlier = Utc::now().naive_utc() - chrono::Duration::days(2);
        diesel::update(assignment_events::table.filter(assignment_events::assignment_id.eq(id)))
            .set(assignment_events::at.eq(earlier))
            .execute(conn)?;
        Ok(())
    })
    .await
    .unwrap();
    let (status, cancelled) = post(
        &app,
        &format!("/api/v1/assignments/{id}/cancel"),
        &ana_token,
        json!({"reason": "sick"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(cancelled["state"], "cancelled");
    assert_eq!(cancelled["reason"], "sick");
    // The late cancel is on record, and the job is free again.
    let citations = pool
        .run(move |conn| {
            use diesel::prelude::*;
            use incognito::db::schema::citations;
            Ok(citations::table
                .filter(citations::shopper_id.eq(ana))
                .select(citations::citation)
                .load::<String>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(citations, ["late_cancel"]);
    let (_, ben_token) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    let (status, _) = post(
        &app,
        &format!("/api/v1/jobs/{job}/request"),
        &ben_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Unknown moves and assignments.
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/approve"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(
        &app,
        "/api/v1/assignments/999999/accept",
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = post(&app, "/api/v1/jobs/999999/request", &ben_token, json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // Calling off a job staff assigned a moment ago is never late, even near the window's end.
    let fresh = crate::assignments::job(&app, &scheduler, project, store, -1, 1).await;
    let (_, assigned) = post(
        &app,
        &format!("/api/v1/jobs/{fresh}/assign"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    let fid = assigned["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{fid}/cancel"),
        &ana_token,
        json!({"reason": "cannot go"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Ana finds the store of another job closed: no citation, and the job leaves the board.
    let closed = crate::assignments::job(&app, &scheduler, project, store, 0, 8).await;
    let (_, assigned) = post(
        &app,
        &format!("/api/v1/jobs/{closed}/assign"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    let cid = assigned["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{cid}/location-closed"),
        &ben_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "not Ben's to report");
    let (status, reported) = post(
        &app,
        &format!("/api/v1/assignments/{cid}/location-closed"),
        &ana_token,
        json!({"reason": "boarded up"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reported}");
    assert_eq!(reported["state"], "cancelled");
    assert_eq!(
        reported["reason"],
        "the shopper found the store closed: boarded up"
    );
    let detail = get_json(&app, &format!("/api/v1/me/jobs/{closed}"), &ben_token).await;
    assert_eq!(detail["why_not"][0], "this job is closed");
    let board = get_json(&app, "/api/v1/me/jobs", &ben_token).await;
    assert!(
        board["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["id"] != closed)
    );
    let count = pool
        .run(move |conn| {
            use diesel::prelude::*;
            use incognito::db::schema::citations;
            Ok(citations::table
                .filter(citations::shopper_id.eq(ana))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(count, 1, "only the late cancel");
    app.stop().await;
}

async fn two_shoppers_racing_for_a_job_exactly_one_wins(backend: Backend) {
    let Some(app) = spawn_app(backend, "race").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({"self_assign_min_rating": 1})).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (ben, ben_token) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    rate(&app, &scheduler, ana, 7).await;
    rate(&app, &scheduler, ben, 7).await;
    for _ in 0..5 {
        let job = job(&app, &scheduler, project, store, 0, 10).await;
        let path = format!("/api/v1/jobs/{job}/request");
        let (a, b) = tokio::join!(
            post(&app, &path, &ana_token, json!({})),
            post(&app, &path, &ben_token, json!({}))
        );
        let mut statuses = [a.0, b.0];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::CONFLICT],
            "{a:?} {b:?}"
        );
        let loser = if a.0 == StatusCode::CONFLICT {
            a.1
        } else {
            b.1
        };
        assert_eq!(loser["code"], "job_taken", "{loser}");
        let held = get_items(&app, &format!("/api/v1/jobs/{job}/assignments"), &scheduler).await;
        let holders: Vec<&Value> = held
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["state"] == "accepted")
            .collect();
        assert_eq!(holders.len(), 1, "{held}");
        // Each visit ends that shopper's turn at the store (rotation), so cancel to stay eligible.
        let id = holders[0]["id"].as_i64().unwrap();
        let owner = if holders[0]["shopper_id"] == ana {
            &ana_token
        } else {
            &ben_token
        };
        let (status, _) = post(
            &app,
            &format!("/api/v1/assignments/{id}/cancel"),
            owner,
            json!({"reason": "test"}),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    app.stop().await;
}

async fn the_job_board_lists_what_the_rules_allow(backend: Backend) {
    let Some(app) = spawn_app(backend, "job_board").await else {
        return;
    };
    let (scheduler, client, chelsea, plain) = setup(&app, json!({"show_client_name": true})).await;
    let store = |code: &str, street: &str, city: &str, zip: &str| json!({"client_id": client, "code": code, "name": code, "street": street, "city": city, "state": "NY", "zip": zip});
    let mut ids = Vec::new();
    for body in [
        store("S3", "1 Court St", "Brooklyn", "11201"),
        store("S2", "1 State St", "Albany", "12207"),
    ] {
        let r = app
            .post_json_auth("/api/v1/locations", &scheduler, &body)
            .await;
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let (brooklyn, albany) = (ids[0], ids[1]);
    let r = app
        .post_json_auth(
            "/api/v1/projects",
            &scheduler,
            &json!({"client_id": client, "name": "Drive", "max_km": 40, "vehicle": true, "rotation_days": 0, "fee_cents": 2000}),
        )
        .await;
    let drive = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let j1 = job(&app, &scheduler, plain, chelsea, 1, 10).await;
    let j2 = job(&app, &scheduler, drive, brooklyn, 1, 10).await;
    let j3 = job(&app, &scheduler, plain, chelsea, 5, 6).await;
    let j4 = job(&app, &scheduler, plain, brooklyn, 0, 3).await;
    let far = job(&app, &scheduler, plain, albany, 1, 10).await;
    let held = job(&app, &scheduler, plain, chelsea, 2, 9).await;
    let (ana, ana_token) =
        panel_member(&app, &scheduler, "ana", json!({"vehicle": false}), true).await;
    let (cat, _) = panel_member(&app, &scheduler, "cat", json!({}), true).await;
    let (status, _) = post(
        &app,
        &format!("/api/v1/jobs/{held}/assign"),
        &scheduler,
        json!({"shopper_id": cat}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let _ = ana;

    let board = get_json(&app, "/api/v1/me/jobs", &ana_token).await;
    let listed: Vec<i64> = board["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [j1, j3, j4], "nearest first, then soonest: {board}");
    assert_eq!(board["total"], 3);
    assert_eq!(board["radius_km"], 30.0);
    assert_eq!(
        board["jobs"][0]["client_name"], "Burger Barn",
        "the project shows the client"
    );
    assert_eq!(board["jobs"][0]["area"], "New York, NY");
    assert!(board["jobs"][0].get("street").is_none() && board["jobs"][0].get("latitude").is_none());
    let by_date = get_json(&app, "/api/v1/me/jobs?sort=date", &ana_token).await;
    let listed: Vec<i64> = by_date["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [j4, j1, j3]);
    let r = app.get_auth("/api/v1/me/jobs?sort=price", &ana_token).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let empty = get_json(&app, "/api/v1/me/jobs?page=2", &ana_token).await;
    assert_eq!(empty["jobs"], json!([]));
    assert_eq!(empty["pages"], 1);

    // Each job's answer agrees with the board.
    let detail = get_json(&app, &format!("/api/v1/me/jobs/{j1}"), &ana_token).await;
    assert_eq!(detail["available"], true, "{detail}");
    let detail = get_json(&app, &format!("/api/v1/me/jobs/{j2}"), &ana_token).await;
    assert_eq!(detail["available"], false);
    assert_eq!(detail["why_not"], json!(["requires a vehicle"]));
    let detail = get_json(&app, &format!("/api/v1/me/jobs/{far}"), &ana_token).await;
    assert_eq!(detail["available"], false);
    assert!(
        detail["why_not"][0]
            .as_str()
            .unwrap()
            .contains("this job is for shoppers within 30 km"),
        "{detail}"
    );
    let detail = get_json(&app, &format!("/api/v1/me/jobs/{held}"), &ana_token).await;
    assert_eq!(
        detail["why_not"],
        json!(["another shopper has taken this job"])
    );

    // A shopper in conflict with the client sees the jobs as not available, names withheld.
    let (_, ben_token) = panel_member(
        &app,
        &scheduler,
        "ben",
        json!({"affiliations": [{"organization": "Taco Town", "relation": "self"}], "vehicle": true}),
        true,
    )
    .await;
    let board = get_json(&app, "/api/v1/me/jobs", &ben_token).await;
    assert_eq!(board["total"], 0, "{board}");
    let detail = get_json(&app, &format!("/api/v1/me/jobs/{j1}"), &ben_token).await;
    assert_eq!(
        detail["why_not"],
        json!(["this job is not available to you"])
    );

    // Staff and client reviewers have no board.
    let r = app.get_auth("/api/v1/me/jobs", &scheduler).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

async fn the_board_pages_twenty_at_a_time(backend: Backend) {
    let Some(app) = spawn_app(backend, "board_pages").await else {
        return;
    };
    let (scheduler, _, _, project) = setup(&app, json!({})).await;
    let mut csv = String::from("code,location_code,window_start,window_end\n");
    for i in 0..25 {
        csv.push_str(&format!("J{i},S1,{},{}\n", day(i % 7), day(20)));
    }
    let r = app
        .client
        .post(app.url(&format!("/api/v1/jobs/import?project_id={project}")))
        .bearer_auth(&scheduler)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let first = get_json(&app, "/api/v1/me/jobs?sort=date", &token).await;
    assert_eq!(
        (first["total"].as_u64(), first["pages"].as_u64()),
        (Some(25), Some(2))
    );
    assert_eq!(first["jobs"].as_array().unwrap().len(), 20);
    let second = get_json(&app, "/api/v1/me/jobs?sort=date&page=2", &token).await;
    assert_eq!(second["jobs"].as_array().unwrap().len(), 5);
    let starts: Vec<&str> = first["jobs"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["jobs"].as_array().unwrap())
        .map(|j| j["window_start"].as_str().unwrap())
        .collect();
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "soonest first across pages");
    // Either order lists each job once across the pages, in order to the last tie (one store:
    // one distance; then the first day, then the id).
    for sort in ["distance", "date"] {
        let mut listed: Vec<(String, i64)> = Vec::new();
        for page in 1..=3 {
            let board = get_json(
                &app,
                &format!("/api/v1/me/jobs?sort={sort}&page={page}"),
                &token,
            )
            .await;
            assert_eq!(board["total"].as_u64(), Some(25), "{sort} {page}");
            let jobs = board["jobs"].as_array().unwrap();
            assert_eq!(jobs.len(), [20, 5, 0][page - 1], "{sort} {page}");
            listed.extend(jobs.iter().map(|j| {
                (
                    j["window_start"].as_str().unwrap().to_string(),
                    j["id"].as_i64().unwrap(),
                )
            }));
        }
        let mut expected = listed.clone();
        expected.sort();
        expected.dedup();
        assert_eq!(listed, expected, "{sort}");
    }
    app.stop().await;
}

async fn deadlines_expire_offers_and_take_back_overdue_visits(backend: Backend) {
    let Some(app) = spawn_app(backend, "deadlines").await else {
        return;
    };
    let (scheduler, client, store, project) = setup(&app, json!({"offer_hours": 1})).await;
    let job = job(&app, &scheduler, project, store, -1, 1).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (ben, _) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    let (status, offered) = post(
        &app,
        &format!("/api/v1/jobs/{job}/offer"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = offered["id"].as_i64().unwrap();

    // The clock is an argument: sweep as if it were later.
    let pool = app.database();
    let notifier = app.state.notifier();
    let sweep = |hours: i64| {
        let pool = pool.clone();
        let notifier = notifier.clone();
        async move {
            let at = Utc::now().naive_utc() + chrono::Duration::hours(hours);
            pool.run(move |conn| incognito::assignments::deadlines::sweep(conn, &notifier, at))
                .await
                .unwrap()
        }
    };
    let report = sweep(0).await;
    assert_eq!(report.expired_offers, 0, "not yet");
    let report = sweep(2).await;
    assert_eq!(report.expired_offers, 1);
    assert_eq!(sweep(2).await.expired_offers, 0, "once only");
    let mine = get_items(&app, "/api/v1/me/assignments", &ana_token).await;
    assert_eq!(mine[0]["state"], "expired");
    assert_eq!(
        mine[0]["history"][1]["note"],
        "the offer was not accepted in time"
    );
    let (status, problem) = post(
        &app,
        &format!("/api/v1/assignments/{id}/accept"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["state"], "expired");

    // The job is free again; Ben gets it and reports nothing.
    let (status, assigned) = post(
        &app,
        &format!("/api/v1/jobs/{job}/assign"),
        &scheduler,
        json!({"shopper_id": ben}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{assigned}");
    let ben_id = assigned["id"].as_i64().unwrap();
    let report = sweep(24).await;
    assert_eq!(report.overdue, 0, "the window ends tomorrow");
    let report = sweep(48).await;
    assert_eq!((report.overdue, report.taken_back), (1, 0));
    assert_eq!(sweep(48).await.overdue, 0, "noted once");
    let report = sweep(24 * 5).await;
    assert_eq!(report.taken_back, 1);
    assert_eq!(sweep(24 * 5).await, Default::default());
    let list = get_items(&app, &format!("/api/v1/jobs/{job}/assignments"), &scheduler).await;
    let bens = list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == ben_id)
        .unwrap();
    assert_eq!(bens["state"], "reassigned");
    let citations = pool
        .run(move |conn| {
            use diesel::prelude::*;
            use incognito::db::schema::citations;
            Ok(citations::table
                .filter(citations::shopper_id.eq(ben))
                .select(citations::citation)
                .load::<String>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(citations, ["overdue"]);

    // An offer lapses at the end of the window at the latest; requests and offers of a job
    // whose window is over lapse; a reported visit is not taken back.
    let r = app
        .post_json_auth(
            "/api/v1/projects",
            &scheduler,
            &json!({"client_id": client, "name": "Long", "max_km": 40, "rotation_days": 0, "fee_cents": 100, "offer_hours": 720}),
        )
        .await;
    let long = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let (cal, _) = panel_member(&app, &scheduler, "cal", json!({}), true).await;
    let (_, dan_token) = panel_member(&app, &scheduler, "dan", json!({}), true).await;
    let ends_today = crate::assignments::job(&app, &scheduler, long, store, -1, 0).await;
    let (_, offered) = post(
        &app,
        &format!("/api/v1/jobs/{ends_today}/offer"),
        &scheduler,
        json!({"shopper_id": cal}),
    )
    .await;
    assert_eq!(
        offered["offer_expires_at"],
        format!("{}T23:59:59Z", day(0)),
        "{offered}"
    );
    let asked_job = crate::assignments::job(&app, &scheduler, long, store, -1, 0).await;
    let (_, asked) = post(
        &app,
        &format!("/api/v1/jobs/{asked_job}/request"),
        &dan_token,
        json!({}),
    )
    .await;
    assert_eq!(asked["state"], "requested");
    let done_job = crate::assignments::job(&app, &scheduler, long, store, -1, 0).await;
    let (_, done) = post(
        &app,
        &format!("/api/v1/jobs/{done_job}/assign"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    let done_id = done["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{done_id}/visit"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let report = sweep(24 * 4).await;
    assert_eq!(report.expired_offers, 2, "{report:?}");
    let dan = get_items(&app, "/api/v1/me/assignments", &dan_token).await;
    assert_eq!(dan[0]["state"], "expired");
    let ana_list = get_items(&app, "/api/v1/me/assignments", &ana_token).await;
    let visited = ana_list
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == done_id)
        .unwrap();
    assert_eq!(visited["state"], "visited", "a reported visit stays");
    app.stop().await;
}

/// The item of `job` in a batch.
fn item_of(batch: &Value, job: i64) -> Value {
    batch["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["job_id"] == job)
        .unwrap_or_else(|| panic!("{job} not listed: {batch}"))
        .clone()
}

async fn a_batch_proposes_the_optimum_and_sends_the_offers(backend: Backend) {
    let Some(app) = spawn_app(backend, "batch").await else {
        return;
    };
    let (scheduler, client, chelsea, project) = setup(&app, json!({})).await;
    let mut stores = Vec::new();
    for (code, street, city, zip) in [
        ("S3", "1 Court St", "Brooklyn", "11201"),
        ("S2", "1 State St", "Albany", "12207"),
    ] {
        let r = app
            .post_json_auth(
                "/api/v1/locations",
                &scheduler,
                &json!({"client_id": client, "code": code, "name": code, "street": street, "city": city, "state": "NY", "zip": zip}),
            )
            .await;
        stores.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let (brooklyn, albany) = (stores[0], stores[1]);
    let j1 = job(&app, &scheduler, project, chelsea, 1, 10).await;
    let j2 = job(&app, &scheduler, project, brooklyn, 1, 10).await;
    let j3 = job(&app, &scheduler, project, albany, 1, 10).await;
    // Ana reaches both stores but has room for one more job (four open requests); Ben lives
    // next to Chelsea and travels 3 km. Giving Chelsea to the nearer-or-equal Ana would leave
    // Brooklyn empty: the optimum gives Chelsea to Ben and Brooklyn to Ana.
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (ben, ben_token) = panel_member(
        &app,
        &scheduler,
        "ben",
        json!({"travel_radius_km": 3}),
        true,
    )
    .await;
    for _ in 0..4 {
        let filler = crate::assignments::job(&app, &scheduler, project, chelsea, 1, 10).await;
        let (status, _) = post(
            &app,
            &format!("/api/v1/jobs/{filler}/request"),
            &ana_token,
            json!({}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let (status, problem) = post(
        &app,
        "/api/v1/batches",
        &ben_token,
        json!({"job_ids": [j1]}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    let (status, problem) = post(
        &app,
        "/api/v1/batches",
        &scheduler,
        json!({"job_ids": [j1, 999999]}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "job_ids");
    let (status, batch) = post(
        &app,
        "/api/v1/batches",
        &scheduler,
        json!({"job_ids": [j3, j2, j1]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    assert_eq!(
        (batch["filled"].as_u64(), batch["unfilled"].as_u64()),
        (Some(2), Some(1)),
        "{batch}"
    );
    let item = |job: i64| item_of(&batch, job);
    assert_eq!(item(j1)["shopper_id"], ben, "{batch}");
    assert_eq!(item(j2)["shopper_id"], ana, "{batch}");
    assert_eq!(item(j3)["reason"], "no eligible shopper within reach");
    assert!(item(j2)["km"].as_f64().unwrap() > 1.0);
    // Who may do what: shoppers have no batches, offers or coverage; staff have no board,
    // assignments, calendar or disclosures of their own, and ask for no job.
    let id = batch["id"].as_i64().unwrap();
    for path in [
        format!("/api/v1/batches/{id}"),
        "/api/v1/coverage".to_string(),
    ] {
        let r = app.get_auth(&path, &ben_token).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    for (path, body) in [
        (format!("/api/v1/batches/{id}/send"), json!({})),
        (
            format!("/api/v1/jobs/{j1}/offer"),
            json!({"shopper_id": ben}),
        ),
    ] {
        let (status, _) = post(&app, &path, &ben_token, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    for path in [
        "/api/v1/me/jobs",
        "/api/v1/me/assignments",
        "/api/v1/me/assignments.ics",
        "/api/v1/me/disclosures",
    ] {
        let r = app.get_auth(path, &scheduler).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = post(
        &app,
        &format!("/api/v1/jobs/{j1}/request"),
        &scheduler,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Bad input is named.
    for (path, body, field) in [
        (
            format!("/api/v1/jobs/{j1}/offer"),
            json!({"shopper_id": "ben"}),
            "shopper_id",
        ),
        (
            "/api/v1/batches".to_string(),
            json!({"job_ids": []}),
            "job_ids",
        ),
        (
            format!("/api/v1/jobs/{j1}/bonus"),
            json!({"bonus_cents": 2_000_000}),
            "bonus_cents",
        ),
    ] {
        let (status, problem) = post(&app, &path, &scheduler, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(problem["errors"][0]["field"], field, "{path}");
    }
    let r = app
        .get_auth("/api/v1/coverage?below=20000", &scheduler)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get_auth("/api/v1/me/jobs?page=0", &ana_token).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Nothing is offered before the batch is sent.
    let board = get_items(&app, "/api/v1/me/assignments", &ben_token).await;
    assert_eq!(board, json!([]));
    let (status, sent) = post(
        &app,
        &format!("/api/v1/batches/{id}/send"),
        &scheduler,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sent}");
    assert!(sent["sent_at"].is_string());
    let sent_item = sent["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["job_id"] == j1)
        .unwrap()
        .clone();
    assert_eq!(sent_item["outcome"], "offered");
    let mine = get_items(&app, "/api/v1/me/assignments", &ben_token).await;
    assert_eq!(mine[0]["state"], "offered");
    assert_eq!(mine[0]["job"]["id"], j1);
    let (status, problem) = post(
        &app,
        &format!("/api/v1/batches/{id}/send"),
        &scheduler,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "already_sent");
    let again = get_json(&app, &format!("/api/v1/batches/{id}"), &scheduler).await;
    assert_eq!(again["filled"], 2);
    // Ana now holds five open items (four requests and the offer). Offering her a job she
    // asked for does not need a sixth slot: her request is what moves on.
    let mine = get_items(&app, "/api/v1/me/assignments", &ana_token).await;
    let asked = mine
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["state"] == "requested")
        .unwrap()["job"]["id"]
        .as_i64()
        .unwrap();
    let (status, offered) = post(
        &app,
        &format!("/api/v1/jobs/{asked}/offer"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{offered}");

    // A second batch names a job the first one's offer holds, and a job closed by another
    // program, for what they are.
    let closed = job(&app, &scheduler, project, brooklyn, 1, 10).await;
    run_sql(
        &app,
        [format!(
            "UPDATE jobs SET status = 'closed' WHERE id = {closed}"
        )],
    )
    .await;
    let (status, second) = post(
        &app,
        "/api/v1/batches",
        &scheduler,
        json!({"job_ids": [j1, closed, j3]}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    let reason = |job: i64| item_of(&second, job)["reason"].clone();
    assert_eq!(reason(j1), "the job is held already", "{second}");
    assert_eq!(reason(closed), "the job is closed", "{second}");
    assert_eq!(reason(j3), "no eligible shopper within reach", "{second}");
    app.stop().await;
}

async fn coverage_shows_stores_short_of_shoppers_and_bonus_can_rise(backend: Backend) {
    let Some(app) = spawn_app(backend, "coverage").await else {
        return;
    };
    let (scheduler, client, chelsea, project) = setup(&app, json!({})).await;
    let r = app
        .post_json_auth(
            "/api/v1/locations",
            &scheduler,
            &json!({"client_id": client, "code": "S2", "name": "Albany", "street": "1 State St", "city": "Albany", "state": "NY", "zip": "12207"}),
        )
        .await;
    let albany = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let near = job(&app, &scheduler, project, chelsea, 1, 10).await;
    let far = job(&app, &scheduler, project, albany, 1, 10).await;
    let (_, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    panel_member(&app, &scheduler, "ben", json!({}), true).await;
    panel_member(&app, &scheduler, "cal", json!({}), false).await;

    let report = get_json(&app, "/api/v1/coverage?below=2", &scheduler).await;
    let stores = report["stores"].as_array().unwrap();
    assert_eq!(stores.len(), 2, "{report}");
    assert_eq!(stores[0]["location_id"], albany, "fewest first");
    assert_eq!(
        (
            stores[0]["eligible_shoppers"].as_u64(),
            stores[0]["short"].as_bool()
        ),
        (Some(0), Some(true))
    );
    assert_eq!(stores[1]["location_id"], chelsea);
    assert_eq!(
        stores[1]["eligible_shoppers"], 2,
        "the applicant does not count: {report}"
    );
    assert_eq!(stores[1]["short"], false);
    assert_eq!(stores[1]["jobs"][0]["id"], near);
    assert_eq!(stores[1]["client_name"], "Burger Barn");

    let (status, updated) = post(
        &app,
        &format!("/api/v1/jobs/{far}/bonus"),
        &scheduler,
        json!({"bonus_cents": 2500}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["bonus_cents"], 2500);
    let (status, problem) = post(
        &app,
        &format!("/api/v1/jobs/{far}/bonus"),
        &scheduler,
        json!({"bonus_cents": -5}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "bonus_cents");
    let (status, _) = post(
        &app,
        "/api/v1/jobs/999999/bonus",
        &scheduler,
        json!({"bonus_cents": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let report = get_json(
        &app,
        &format!("/api/v1/coverage?client_id={client}"),
        &scheduler,
    )
    .await;
    assert_eq!(report["stores"][0]["jobs"][0]["bonus_cents"], 2500);

    // Coverage reads the live index, kept current: a job given to a shopper leaves it at once,
    // and a store renamed by another program shows its new name.
    let (dee, _) = panel_member(&app, &scheduler, "dee", json!({}), true).await;
    assigned(&app, &scheduler, near, dee).await;
    run_sql(
        &app,
        [format!(
            "UPDATE locations SET name = 'Albany Central' WHERE id = {albany}"
        )],
    )
    .await;
    let report = get_json(&app, "/api/v1/coverage?below=2", &scheduler).await;
    let stores = report["stores"].as_array().unwrap();
    assert_eq!(
        stores.len(),
        1,
        "the taken job's store has none open: {report}"
    );
    assert_eq!(stores[0]["location_id"], albany);
    assert_eq!(stores[0]["name"], "Albany Central");

    // Shoppers see no coverage and set no bonus.
    let r = app.get_auth("/api/v1/coverage", &ana_token).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (status, _) = post(
        &app,
        &format!("/api/v1/jobs/{far}/bonus"),
        &ana_token,
        json!({"bonus_cents": 1}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}

/// The service reads one clock: moved forward, an offer's deadline passes for the running
/// server (no sweep called by the test), and an access token expires.
async fn the_service_clock_moves_deadlines(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "service_clock", |s| {
        s.access_token_ttl = std::time::Duration::from_secs(86_400);
    })
    .await
    else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({"offer_hours": 1})).await;
    let job = job(&app, &scheduler, project, store, -1, 3).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (status, offered) = post(
        &app,
        &format!("/api/v1/jobs/{job}/offer"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let id = offered["id"].as_i64().unwrap();

    // Two hours later by the service's clock.
    app.state
        .clock
        .advance(chrono::TimeDelta::hours(2))
        .unwrap();
    let (status, problem) = post(
        &app,
        &format!("/api/v1/assignments/{id}/accept"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["state"], "expired");
    let mine = get_items(&app, "/api/v1/me/assignments", &ana_token).await;
    assert_eq!(mine[0]["state"], "expired");
    // Two days on, the day-long access token has expired too.
    app.state.clock.advance(chrono::TimeDelta::days(2)).unwrap();
    let r = app.get_auth("/api/v1/me/assignments", &ana_token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

on_both_backends!(
    the_service_clock_moves_deadlines,
    coverage_shows_stores_short_of_shoppers_and_bonus_can_rise,
    a_batch_proposes_the_optimum_and_sends_the_offers,
    deadlines_expire_offers_and_take_back_overdue_visits,
    the_job_board_lists_what_the_rules_allow,
    the_board_pages_twenty_at_a_time,
    the_lifecycle_from_request_to_visit,
    rotation_and_conflicts_are_explained_without_names,
    staff_assign_and_shoppers_cancel_late_with_a_citation,
    two_shoppers_racing_for_a_job_exactly_one_wins,
);
