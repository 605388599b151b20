//! The privacy request pages as people use them: the public form and its code page (a refused
//! form keeps what was typed), a shopper's own requests, and the privacy officer's queue and
//! request page with its extend, complete and deny forms.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{Browser, csrf_field, signed_in};

#[tokio::test]
async fn privacy_requests_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "privacy_pages").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (_, token) = panel_member(&app, &scheduler, "nora", json!({"zip": "10001"}), true).await;
    let email = email_of(&app, &token).await;

    // The public form: a bad address comes back with what was typed and the problem beside it.
    let mut visitor = Browser::default();
    let (status, html, _) = visitor.get(&app, "/privacy-requests/new?kind=know").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<option value=\"know\" selected>"), "{html}");
    let csrf = csrf_field(&html);
    let (status, html, _) = visitor
        .post(
            &app,
            "/privacy-requests/new",
            &[
                ("csrf_token", &csrf),
                ("kind", "know"),
                ("email", "nora at home"),
                ("zip", "10001"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("like name@example.com"), "{html}");
    assert!(html.contains("value=\"10001\""), "the ZIP typed is kept");
    let (status, _, location) = visitor
        .post(
            &app,
            "/privacy-requests/new",
            &[
                ("csrf_token", &csrf),
                ("kind", "know"),
                ("email", &email),
                ("zip", "10001"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let id: i64 = location
        .trim_start_matches("/privacy-requests/")
        .trim_end_matches("/verify")
        .parse()
        .unwrap();
    let (status, html, _) = visitor.get(&app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("within 10 minutes"));
    let code = mailed_code(&app, &email, id).await;
    let wrong = if code == "999999" { "111111" } else { "999999" };
    let (status, html, _) = visitor
        .post(&app, &location, &[("csrf_token", &csrf), ("code", wrong)])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("2 tries left"), "{html}");
    let (status, html, _) = visitor
        .post(&app, &location, &[("csrf_token", &csrf), ("code", &code)])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("it is confirmed"), "{html}");

    // The shopper's own page lists it, and refuses a correction without its details.
    let tokens = app
        .login(&email, STRONG_PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let mut shopper = signed_in(&tokens);
    let (status, html, _) = shopper.get(&app, "/shopper/privacy-requests").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("#{id}")), "{html}");
    let csrf = csrf_field(&html);
    let (status, html, _) = shopper
        .post(
            &app,
            "/shopper/privacy-requests",
            &[("csrf_token", &csrf), ("kind", "correct")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("<option value=\"correct\" selected>"),
        "{html}"
    );
    assert!(
        html.contains("Choose what is wrong and type what it should say"),
        "{html}"
    );
    let (status, _, _) = shopper
        .post(
            &app,
            "/shopper/privacy-requests",
            &[
                ("csrf_token", &csrf),
                ("kind", "correct"),
                ("details", "My street is 12 Elm St, not 1 Main St."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = shopper.get(&app, "/shopper/privacy-requests").await;
    assert!(html.contains("A request to correct your data"), "{html}");

    // The officer's queue, and a request's page with its forms.
    let officer_email = unique_email("officer");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            &admin,
            &json!({"email": officer_email, "password": STRONG_PASSWORD, "role": "privacy_officer"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let officer_tokens = app
        .login(&officer_email, STRONG_PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let mut officer = signed_in(&officer_tokens);
    let (status, html, _) = officer.get(&app, "/privacy").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&format!("/privacy/requests/{id}")), "{html}");
    assert!(
        html.contains("Privacy requests</a>"),
        "the officer's navigation"
    );
    let page = format!("/privacy/requests/{id}");
    let (status, html, _) = officer.get(&app, &page).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("code confirmed"), "{html}");
    assert!(html.contains("Code mailed to the email on file"), "{html}");
    let csrf = csrf_field(&html);
    let (status, html, _) = officer
        .post(
            &app,
            &format!("{page}/extend"),
            &[("csrf_token", &csrf), ("reason", " ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("why the answer needs more time"), "{html}");
    let (status, _, _) = officer
        .post(
            &app,
            &format!("{page}/complete"),
            &[
                ("csrf_token", &csrf),
                ("note", "We mailed you the categories we hold and why."),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = officer.get(&app, &page).await;
    assert!(
        html.contains("Completed: the requester was mailed your note."),
        "{html}"
    );
    assert!(
        !html.contains("action=\"/privacy/requests/"),
        "a closed request has no forms"
    );
    let (_, html, _) = shopper.get(&app, "/shopper/privacy-requests").await;
    assert!(html.contains("We mailed you the categories"), "{html}");
    // The officer looks up her logs: the officer's own earlier read of them is listed.
    let (status, html, _) = officer
        .get(&app, &format!("/privacy/people?person={email}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Who read their data"), "{html}");
    let (_, html, _) = officer
        .get(&app, &format!("/privacy/people?person={email}"))
        .await;
    assert!(
        html.contains("the privacy officer read who viewed"),
        "{html}"
    );
    let (_, html, _) = officer
        .get(&app, "/privacy/people?person=nobody%40example.com")
        .await;
    assert!(
        html.contains("Nobody has this email address or shopper code."),
        "{html}"
    );
    app.stop().await;
}

/// The staff's pages for lists made for friendly competitors, and the privacy officer's for
/// authorised agents and notice versions: refused forms keep what was typed; made, they say so.
#[tokio::test]
async fn shares_agents_and_notice_versions_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "privacy_staff_pages").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let (_, friendly) = crate::assignments::post(
        &app,
        "/api/v1/organizations",
        &scheduler,
        json!({"name": "Page Friends", "friendly_competitor": true}),
    )
    .await;
    panel_member(
        &app,
        &scheduler,
        "paula",
        json!({"consents": {"share_name_address": true}}),
        true,
    )
    .await;

    // A share: without an area the form comes back with the purpose kept; then made.
    let mut staff = signed_in(&json!({"access_token": scheduler}));
    let (status, html, _) = staff.get(&app, "/staff/shares").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Page Friends"), "{html}");
    let csrf = csrf_field(&html);
    let company = friendly["id"].to_string();
    let (status, html, _) = staff
        .post(
            &app,
            "/staff/shares",
            &[
                ("csrf_token", &csrf),
                ("organization_id", &company),
                ("purpose", "Recruiting in New York"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("value=\"Recruiting in New York\""), "{html}");
    let (status, _, location) = staff
        .post(
            &app,
            "/staff/shares",
            &[
                ("csrf_token", &csrf),
                ("organization_id", &company),
                ("purpose", "Recruiting in New York"),
                ("zip", "10001"),
                ("radius_km", "25"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location = location.unwrap();
    let (status, html, _) = staff.get(&app, &location).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("The list is made: 1 shopper who said yes"),
        "{html}"
    );
    let (status, csv, _) = staff.get(&app, &format!("{location}/list.csv")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(csv.contains("paula Tester"), "{csv}");

    // An agent: a bad key is named and the rest kept; then registered.
    let mut privacy = signed_in(&json!({"access_token": officer}));
    let (status, html, _) = privacy.get(&app, "/privacy/agents").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_field(&html);
    let form = [
        ("csrf_token", csrf.as_str()),
        ("id", "PAGE_AGENT"),
        ("name", "Page Agent"),
        ("verify_key", "not a key"),
        ("technical_contact", "tech@agent.example"),
    ];
    let (status, html, _) = privacy.post(&app, "/privacy/agents", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Ed25519 verify key, base64"), "{html}");
    assert!(html.contains("value=\"PAGE_AGENT\""), "{html}");
    let key = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        ed25519_dalek::SigningKey::from_bytes(&[3; 32])
            .verifying_key()
            .to_bytes(),
    );
    let mut good = form;
    good[3] = ("verify_key", key.as_str());
    let (status, _, _) = privacy.post(&app, "/privacy/agents", &good).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = privacy.get(&app, "/privacy/agents").await;
    assert!(html.contains("Page Agent is registered"), "{html}");
    assert!(html.contains("PAGE_AGENT"), "{html}");

    // A notice version: today is refused; tomorrow is published and mailed.
    let (_, html, _) = privacy.get(&app, "/privacy/notice-versions").await;
    let csrf = csrf_field(&html);
    let today = app.state.clock.naive().date();
    let changes = "We add a weekly summary of your earnings, by mail.";
    let (status, html, _) = privacy
        .post(
            &app,
            "/privacy/notice-versions",
            &[
                ("csrf_token", &csrf),
                ("version", "2027-03"),
                ("effective_on", &today.to_string()),
                ("changes", changes),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Choose a day after today"), "{html}");
    let tomorrow = today.succ_opt().unwrap().to_string();
    let (status, _, _) = privacy
        .post(
            &app,
            "/privacy/notice-versions",
            &[
                ("csrf_token", &csrf),
                ("version", "2027-03"),
                ("effective_on", &tomorrow),
                ("changes", changes),
                ("adds_daily_digest", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = privacy.get(&app, "/privacy/notice-versions").await;
    assert!(html.contains("Version 2027-03 is published"), "{html}");
    assert!(html.contains("the daily digest of new jobs"), "{html}");
    app.stop().await;
}
