//! Long lists on the staff pages: a client's stores and a project's jobs come a page at a
//! time, searched and ordered, and the new-job form finds its store by a search instead of a
//! drop-down of every store.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::pages::signed_in;

#[tokio::test]
async fn a_client_with_many_stores_is_paged_and_searched_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "long_lists").await else {
        return;
    };
    let (token, client) = scheduler_with_client(&app, "Burger Barn").await;
    let mut csv = String::from("code,name,street,city,state,zip\n");
    for n in 1..=120 {
        let (city, zip) = if n % 2 == 0 {
            ("New York", "10001")
        } else {
            ("Brooklyn", "11201")
        };
        csv.push_str(&format!("S{n:03},Store {n},{n} Broadway,{city},NY,{zip}\n"));
    }
    let r = app
        .client
        .post(app.url(&format!("/api/v1/locations/import?client_id={client}")))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mut staff = signed_in(&serde_json::json!({ "access_token": token }));

    // 50 a page, with a way on; the second page goes on where the first stopped.
    let (status, html, _) = staff.get(&app, &format!("/staff/clients/{client}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("120 of 120 stores; page 1 of 3.")
            && html.contains(">S050<")
            && !html.contains(">S051<"),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            r#"href="/staff/clients/{client}?sort=code&#38;page=2#stores">Next</a>"#
        )),
        "{html}"
    );
    let (_, html, _) = staff
        .get(&app, &format!("/staff/clients/{client}?sort=code&page=2"))
        .await;
    assert!(
        html.contains(">S051<") && html.contains(">S100<") && !html.contains(">S050<"),
        "{html}"
    );
    // A page past the end shows the last one.
    let (status, html, _) = staff
        .get(&app, &format!("/staff/clients/{client}?page=99"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("page 3 of 3") && html.contains(">S120<"),
        "{html}"
    );
    // Searched by city, in any case.
    let (_, html, _) = staff
        .get(&app, &format!("/staff/clients/{client}?q=brook"))
        .await;
    assert!(
        html.contains("60 of 120 stores") && html.contains(">S001<") && !html.contains(">S002<"),
        "{html}"
    );
    let (_, html, _) = staff
        .get(&app, &format!("/staff/clients/{client}?q=S11"))
        .await;
    assert!(html.contains("10 of 120 stores"), "S110–S119: {html}");
    // A search that is a LIKE wildcard matches itself only.
    let (_, html, _) = staff
        .get(&app, &format!("/staff/clients/{client}?q=%25"))
        .await;
    assert!(html.contains("No store matches “%”."), "{html}");

    // The new-job form never lists every store: the search finds at most 20.
    let r = app
        .post_json_auth(
            "/api/v1/projects",
            &token,
            &serde_json::json!({"client_id": client, "name": "Spring", "max_km": 40, "rotation_days": 30, "fee_cents": 1500}),
        )
        .await;
    let project = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let (_, html, _) = staff.get(&app, &format!("/staff/projects/{project}")).await;
    assert!(
        !html.contains("<option value=\"S0") && html.contains("the client has 120"),
        "{html}"
    );
    let (_, html, _) = staff
        .get(&app, &format!("/staff/projects/{project}?store_q=store"))
        .await;
    assert_eq!(html.matches("?store=S").count(), 20, "{html}");
    app.stop().await;
}

/// A store's name is found however it was typed, and however the search is typed: accents
/// left out or written as combining marks, full-width letters, a soft hyphen, a Cyrillic "а";
/// by the form, by an import, and for stores made before the key existed (filled at start).
#[tokio::test]
async fn a_store_is_found_by_its_name_typed_any_way() {
    let Some(app) = spawn_app(Backend::Sqlite, "store_names").await else {
        return;
    };
    let (token, client) = scheduler_with_client(&app, "Burger Barn").await;
    let csv = "code,name,street,city,state,zip\nR1,Cafe\u{301} Royal,1 Broadway,New York,NY,10001\nR2,Burger Place,2 Broadway,New York,NY,10001\n";
    let r = post_csv(
        &app,
        &token,
        &format!("/api/v1/locations/import?client_id={client}"),
        csv.to_string(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_json_auth(
            "/api/v1/locations",
            &token,
            &serde_json::json!({"client_id": client, "code": "R3", "name": "ＣＡ\u{AD}ＦÉ Noir", "street": "3 Broadway", "city": "New York", "state": "NY", "zip": "10001"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let mut staff = signed_in(&serde_json::json!({ "access_token": token }));
    let found = |html: &str| {
        ["R1", "R2", "R3"]
            .into_iter()
            .filter(|code| html.contains(&format!(">{code}<")))
            .collect::<Vec<_>>()
    };
    let searches: [(&str, &[&str]); 5] = [
        ("café", &["R1", "R3"]),
        ("cafe", &["R1", "R3"]),
        ("CAFE%20ROYAL", &["R1"]),
        ("c%D0%B0fe", &["R1", "R3"]), // a Cyrillic а
        ("noir", &["R3"]),
    ];
    for (q, expected) in searches {
        let (_, html, _) = staff
            .get(&app, &format!("/staff/clients/{client}?q={q}"))
            .await;
        assert_eq!(found(&html), expected, "{q}: {html}");
    }
    // Stores written before the key existed get it at start.
    app.state
        .db
        .run(|conn| {
            use diesel::RunQueryDsl;
            diesel::sql_query("UPDATE locations SET name_key = ''").execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
    let (_, html, _) = staff
        .get(&app, &format!("/staff/clients/{client}?q=cafe"))
        .await;
    assert!(found(&html).is_empty(), "no key, no name match: {html}");
    let filled = app
        .state
        .db
        .run(|conn| Ok(incognito::clients::store::key_store_names(conn)?))
        .await
        .unwrap();
    assert_eq!(filled, 3);
    let (_, html, _) = staff
        .get(&app, &format!("/staff/clients/{client}?q=cafe"))
        .await;
    assert_eq!(found(&html), ["R1", "R3"], "{html}");
    app.stop().await;
}

/// Every list the API answers is one page: at most 100 items, with the total, and a bad page
/// number or size is named. The attack run drew 13.2 MB from `/locations` in one answer.
async fn every_api_list_is_a_page_of_at_most_a_hundred(backend: Backend) {
    let Some(app) = spawn_app(backend, "api pages").await else {
        return;
    };
    let (token, client) = scheduler_with_client(&app, "Pizza Planet").await;
    let mut csv = String::from("code,name,street,city,state,zip\n");
    for n in 1..=130 {
        csv.push_str(&format!(
            "P{n:03},Store {n},{n} Main St,New York,NY,10001\n"
        ));
    }
    let path = format!("/api/v1/locations/import?client_id={client}");
    assert_eq!(
        post_csv(&app, &token, &path, csv).await.status(),
        StatusCode::OK
    );
    let base = format!("/api/v1/locations?client_id={client}");

    let first = get_json(&app, &base, &token).await;
    assert_eq!(
        first["items"].as_array().unwrap().len(),
        50,
        "50 by default"
    );
    assert_eq!(
        (first["total"].as_i64(), first["pages"].as_i64()),
        (Some(130), Some(3))
    );
    // Walking the pages of 100 finds every store once.
    let mut codes = Vec::new();
    for page in 1..=3 {
        let items = get_items(&app, &format!("{base}&per_page=100&page={page}"), &token).await;
        codes.extend(
            items
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["code"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(codes.len(), 130);
    codes.dedup();
    assert_eq!(codes.len(), 130, "no store twice");

    for (query, field) in [
        ("&per_page=101", "per_page"),
        ("&per_page=0", "per_page"),
        ("&page=0", "page"),
    ] {
        let r = app.get_auth(&format!("{base}{query}"), &token).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        let p = problem(r).await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let r = app.get_auth(&format!("{base}&per_page=lots"), &token).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // The other lists answer pages too.
    for path in [
        "/api/v1/organizations?per_page=1".to_string(),
        "/api/v1/clients?per_page=1".to_string(),
        format!("/api/v1/projects?client_id={client}"),
        "/api/v1/shoppers?per_page=100".to_string(),
        "/api/v1/coverage?per_page=100".to_string(),
    ] {
        let page = get_json(&app, &path, &token).await;
        assert!(page["per_page"].as_i64().unwrap() <= 100, "{path}: {page}");
        assert!(
            page["total"].is_i64() && page["pages"].is_i64(),
            "{path}: {page}"
        );
    }
    let r = app.get_auth("/api/v1/coverage?per_page=500", &token).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

on_both_backends!(every_api_list_is_a_page_of_at_most_a_hundred);
