//! Friendly-competitor sharing through the API: a share lists the name and street address of
//! the active shoppers in its area whose sharing consent is in force (email and phone only with
//! the contact consent), and nobody else; the list is fixed when made; its recipient downloads
//! it once by the mailed link; each person shared has a disclosure record; withdrawing the
//! consent mails the earlier recipient a notice and leaves the person out of later shares.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::post;
use crate::helpers::*;

/// A shopper of the panel (approved unless `applicant`) with these consents: (id, token, email).
async fn shopper(
    app: &TestApp,
    scheduler: &str,
    name: &str,
    state: (&str, &str, &str),
    consents: Value,
    applicant: bool,
) -> (i64, String, String) {
    let (id, token) = panel_member(
        app,
        scheduler,
        name,
        json!({"legal_name": format!("{name} Sharer"), "street": format!("{} Share St", name.len()),
               "city": state.0, "state": state.1, "zip": state.2, "phone": "+1 212 555 0142",
               "consents": consents}),
        !applicant,
    )
    .await;
    let email = get_json(app, "/api/v1/me", &token).await["email"]
        .as_str()
        .unwrap()
        .to_string();
    (id, token, email)
}

on_both_backends!(
    a_share_holds_only_those_who_consented_and_goes_once,
    a_privacy_signal_on_any_request_opts_out_of_sharing,
);

async fn a_share_holds_only_those_who_consented_and_goes_once(backend: Backend) {
    let Some(app) = spawn_app(backend, "sharing").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let (_, friendly) = post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Friendly Shops", "friendly_competitor": true}),
    )
    .await;
    let friendly = friendly["id"].as_i64().unwrap();
    let (_, rival) = post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Rival Mart"}),
    )
    .await;
    let rival = rival["id"].as_i64().unwrap();
    let ny = ("New York", "NY", "10001");
    let both = json!({"share_name_address": true, "share_contact": true});
    let name_only = json!({"share_name_address": true});
    let (ana, ana_token, ana_email) =
        shopper(&app, &scheduler, "ana", ny, both.clone(), false).await;
    let (bea, _, bea_email) = shopper(&app, &scheduler, "bea", ny, name_only.clone(), false).await;
    let (cat, _, _) = shopper(&app, &scheduler, "cat", ny, json!({}), false).await;
    let (dan, dan_token, _) = shopper(&app, &scheduler, "dan", ny, name_only.clone(), false).await;
    let (eve, _, _) = shopper(&app, &scheduler, "eve", ny, name_only.clone(), true).await;
    let (fay, _, _) = shopper(
        &app,
        &scheduler,
        "fay",
        ("Newark", "NJ", "07102"),
        name_only.clone(),
        false,
    )
    .await;
    let (gia, gia_token, _) = shopper(&app, &scheduler, "gia", ny, name_only.clone(), false).await;
    // Dan withdraws; Gia's browser says no through its privacy signal.
    let r = app
        .post_json_auth(
            "/api/v1/me/consents",
            &dan_token,
            &json!({"share_name_address": false}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .client
        .post(app.url("/api/v1/me/consents"))
        .bearer_auth(&gia_token)
        .header("Sec-GPC", "1")
        .json(&json!({"share_name_address": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Refused: a company not marked a friendly competitor, an area that is not one.
    let (status, p) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": rival, "purpose": "Hiring", "area": {"states": ["NY"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "organization_id", "{p}");
    let (status, p) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": friendly, "purpose": "Hiring", "area": {"states": ["NY"], "radius_km": 5}}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(p["errors"][0]["field"], "area", "{p}");

    let (status, share) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": friendly, "purpose": "Hiring shoppers in New York",
               "area": {"states": ["ny"]}, "recipient_email": "hiring@friendly.example"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{share}");
    assert_eq!(
        (share["people"].as_i64(), share["with_contact"].as_i64()),
        (Some(2), Some(1)),
        "{share}"
    );
    let id = share["id"].as_i64().unwrap();

    // The recipient's link: once.
    let mails = wait_for_mail(
        &app.mail_folders(),
        "hiring@friendly.example",
        "/shares/download",
        1,
    )
    .await;
    let token = token_in(&mails[0], "/shares/download");
    let link = format!("/shares/download?token={token}");
    let r = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    let ana_line = lines.iter().find(|l| l.starts_with("ana Sharer")).unwrap();
    assert!(
        ana_line.contains(&ana_email) && ana_line.contains("555 0142"),
        "{csv}"
    );
    let bea_line = lines.iter().find(|l| l.starts_with("bea Sharer")).unwrap();
    assert!(
        !bea_line.contains(&bea_email) && !bea_line.contains("555"),
        "no contact without its consent: {csv}"
    );
    for name in ["cat", "dan", "eve", "fay", "gia"] {
        assert!(
            !csv.contains(&format!("{name} Sharer")),
            "{name} is not to be shared: {csv}"
        );
    }
    let r = app.client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::GONE, "a link works once");

    // Staff download the same fixed list; each read is on the person's access log.
    let r = app
        .get_auth(&format!("/api/v1/shares/{id}.csv"), &scheduler)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), csv);
    let log = get_json(&app, "/api/v1/me/access-log", &ana_token).await;
    assert!(log.to_string().contains(&format!("share {id}")), "{log}");
    // The disclosure, on the person's record.
    let shared = get_json(&app, "/api/v1/me/disclosures", &ana_token).await;
    let first = &shared["items"][0];
    assert_eq!(first["recipient"], "Friendly Shops", "{shared}");
    assert!(
        first["purpose"]
            .as_str()
            .unwrap()
            .starts_with("name, street address, email and phone"),
        "{shared}"
    );

    // A circle around midtown holds the same New Yorkers; Newark's Fay is 14 km off.
    let (status, circle) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": friendly, "purpose": "Hiring in Manhattan",
               "area": {"latitude": 40.7506, "longitude": -73.9972, "radius_km": 5}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{circle}");
    assert_eq!(circle["people"], 2, "{circle}");

    // Ana withdraws: the recipient is told to stop and delete, and the next share leaves her out.
    let r = app
        .post_json_auth(
            "/api/v1/me/consents",
            &ana_token,
            &json!({"share_name_address": false}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let notices = wait_for_mail(
        &app.mail_folders(),
        "hiring@friendly.example",
        "Please stop using",
        1,
    )
    .await;
    assert!(notices[0].contains("ana Sharer"), "{}", notices[0]);
    let (_, again) = post(
        &app,
        "/api/v1/shares",
        &scheduler,
        json!({"organization_id": friendly, "purpose": "Hiring shoppers in New York", "area": {"states": ["NY"]}}),
    )
    .await;
    assert_eq!(again["people"], 1, "{again}");
    // The privacy notice's table of recipients now names this kind of recipient.
    let notice = app
        .client
        .get(app.url("/privacy-notice"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        notice.contains("Friendly mystery-shopping companies, only for shoppers who said yes"),
        "{notice}"
    );
    let _ = (ana, bea, cat, dan, eve, fay, gia);
    app.stop().await;
}

/// The Global Privacy Control sequence: a shopper opts in and is shared; one request with
/// `Sec-GPC: 1` (any request, here the job board) records a no to sharing that overrides the
/// yes and tells the earlier recipient; requests without the header change nothing; the next
/// share leaves her out.
async fn a_privacy_signal_on_any_request_opts_out_of_sharing(backend: Backend) {
    let Some(app) = spawn_app(backend, "sharing_gpc").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let (_, friendly) = post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Signal Shops", "friendly_competitor": true}),
    )
    .await;
    let friendly = friendly["id"].as_i64().unwrap();
    let both = json!({"share_name_address": true, "share_contact": true});
    let (_, token, _) = shopper(
        &app,
        &scheduler,
        "ivy",
        ("Boston", "MA", "02108"),
        both,
        false,
    )
    .await;
    let share = json!({"organization_id": friendly, "purpose": "Hiring in Boston",
                       "area": {"states": ["MA"]}, "recipient_email": "jobs@signal.example"});
    let (status, first) = post(&app, "/api/v1/shares", &scheduler, share.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["people"], 1, "{first}");

    let history = |app: &TestApp, token: String| {
        let app_url = app.url("/api/v1/me/consents");
        let client = app.client.clone();
        async move {
            client
                .get(app_url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let before = history(&app, token.clone()).await;
    let r = app
        .client
        .get(app.url("/api/v1/me/jobs"))
        .bearer_auth(&token)
        .header("Sec-GPC", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let after = history(&app, token.clone()).await;
    let rows = |v: &Value| v["history"].as_array().unwrap().clone();
    assert_eq!(rows(&after).len(), rows(&before).len() + 2, "{after}");
    for row in &rows(&after)[rows(&before).len()..] {
        assert_eq!(
            (&row["granted"], &row["source"]),
            (&json!(false), &json!("gpc")),
            "{after}"
        );
    }
    for item in after["current"].as_array().unwrap() {
        if item["purpose"].as_str().unwrap().starts_with("share_") {
            assert_eq!(item["granted"], false, "{after}");
        }
    }
    let notices = wait_for_mail(
        &app.mail_folders(),
        "jobs@signal.example",
        "Please stop using",
        1,
    )
    .await;
    assert!(notices[0].contains("ivy Sharer"), "{}", notices[0]);

    // Without the header nothing changes, and the signal again records nothing new.
    let quiet = history(&app, token.clone()).await;
    assert_eq!(rows(&quiet).len(), rows(&after).len(), "{quiet}");
    let r = app
        .client
        .get(app.url("/api/v1/me/profile"))
        .bearer_auth(&token)
        .header("Sec-GPC", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let again = history(&app, token.clone()).await;
    assert_eq!(
        rows(&again).len(),
        rows(&after).len(),
        "recorded once: {again}"
    );

    let (_, second) = post(&app, "/api/v1/shares", &scheduler, share).await;
    assert_eq!(second["people"], 0, "{second}");
    app.stop().await;
}
