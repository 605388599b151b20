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
    let email = get_json(&app, "/api/v1/me", &token).await["email"]
        .as_str()
        .unwrap()
        .to_string();

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
