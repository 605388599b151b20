//! Self-service and administration of accounts on the pages: changing the password, a new
//! confirmation mail, and the admin's staff accounts (create, list, disable, enable).

use reqwest::StatusCode;

use crate::helpers::*;
use crate::pages::{Browser, csrf_field, signed_in};

/// The id in the first `/admin/staff/{id}/{action}` form of the list's row of `email`.
fn account_action(html: &str, email: &str, action: &str) -> String {
    let from = html
        .find(&format!(r#"<td data-label="Email">{email}</td>"#))
        .unwrap_or_else(|| panic!("{email} listed: {html}"));
    let rest = &html[from..];
    let marker = "/admin/staff/";
    let start = rest
        .find(marker)
        .unwrap_or_else(|| panic!("an action for {email}"))
        + marker.len();
    let id = rest[start..].split('/').next().unwrap().to_string();
    assert!(
        rest[start..].starts_with(&format!("{id}/{action}")),
        "{email} offers {action}: {rest}"
    );
    id
}

#[tokio::test]
async fn an_admin_adds_disables_and_enables_staff_accounts_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "admin_staff_pages").await else {
        return;
    };
    let admin_email = unique_email("admin");
    let admin_tokens = app.admin_tokens(&admin_email).await;
    let mut admin = signed_in(&admin_tokens);
    let (status, html, _) = admin.get(&app, "/admin/staff").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&admin_email) && html.contains("1 staff account."),
        "{html}"
    );
    assert!(
        !html.contains("/disable"),
        "an admin cannot disable their own account: {html}"
    );
    let csrf = csrf_field(&html);

    // Every bad field at once; what was typed kept, the password not.
    let (status, html, _) = admin
        .post(
            &app,
            "/admin/staff",
            &[
                ("csrf_token", &csrf),
                ("email", "not an address"),
                ("role", "shopper"),
                ("client", ""),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Please correct the 3 fields marked below.")
            && html.contains(r#"id="role-error">Choose a role."#)
            && html.contains(r#"id="email-error""#)
            && html.contains(r#"id="password-error""#)
            && html.contains(r#"value="not an address""#)
            && !html.contains(r#"value="short""#),
        "{html}"
    );
    // A client reviewer needs the client whose reports they see.
    let reviewer = unique_email("reviewer");
    let (status, html, _) = admin
        .post(
            &app,
            "/admin/staff",
            &[
                ("csrf_token", &csrf),
                ("email", &reviewer),
                ("role", "client_reviewer"),
                ("client", ""),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Choose the client whose reports this reviewer sees.")
            && html.contains(r#"<option value="client_reviewer" selected>"#),
        "{html}"
    );

    // The client is typed by name, spelled any way; a name no client has is refused with the
    // names that contain it, and what was typed is kept.
    let r = app
        .post_json_auth(
            "/api/v1/clients",
            &access(&admin_tokens),
            &serde_json::json!({"name": "Café Royal"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (status, html, _) = admin
        .post(
            &app,
            "/admin/staff",
            &[
                ("csrf_token", &csrf),
                ("email", &reviewer),
                ("role", "client_reviewer"),
                ("client", "Royal Cafe"),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("No client is called “Royal Cafe”. Check the spelling")
            && html.contains(r#"value="Royal Cafe""#),
        "{html}"
    );
    let (status, html, _) = admin
        .post(
            &app,
            "/admin/staff",
            &[
                ("csrf_token", &csrf),
                ("email", &reviewer),
                ("role", "client_reviewer"),
                ("client", "Royal"),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("No client is called “Royal”. Did you mean Café Royal?")
            && html.contains(r#"<option value="Café Royal">"#),
        "{html}"
    );
    let (status, _, _) = admin
        .post(
            &app,
            "/admin/staff",
            &[
                ("csrf_token", &csrf),
                ("email", &reviewer),
                ("role", "client_reviewer"),
                ("client", "CAFE\u{301} ROYAL, Inc."),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = admin.get(&app, "/admin/staff").await;
    assert!(
        html.contains(&reviewer) && html.contains(r#"<td data-label="Client">Café Royal</td>"#),
        "the reviewer is listed with the client: {html}"
    );

    let scheduler = unique_email("scheduler");
    let (status, _, location) = admin
        .post(
            &app,
            "/admin/staff",
            &[
                ("csrf_token", &csrf),
                ("email", &scheduler),
                ("role", "scheduler"),
                ("client", ""),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/admin/staff"));
    let (_, html, _) = admin.get(&app, "/admin/staff").await;
    assert!(
        html.contains(&format!(
            "Account {scheduler} created (Scheduling staff); it was mailed how to sign in."
        )) && html.contains("3 staff accounts."),
        "{html}"
    );
    let mail = wait_for_mail(&app.mail_folders(), &scheduler, "/signin", 1).await;
    assert!(!mail[0].contains(STRONG_PASSWORD), "no password by mail");

    // The new account signs in; other roles have no admin pages or API.
    let r = app.login(&scheduler, STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: serde_json::Value = r.json().await.unwrap();
    let token = access(&tokens);
    let mut desk = signed_in(&tokens);
    let (status, _, _) = desk.get(&app, "/admin/staff").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = app.get_auth("/api/v1/users", &token).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let shopper = access(&app.signed_up_shopper(&unique_email("shopper")).await);
    let r = app.get_auth("/api/v1/users", &shopper).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Disabled: signed out at once, and refused at sign-in; enabled again: back in.
    let id = account_action(&html, &scheduler, "disable");
    let r = app
        .post_json_auth(
            &format!("/api/v1/users/{id}/disable"),
            &token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "only admins disable");
    let (status, _, _) = admin
        .post(
            &app,
            &format!("/admin/staff/{id}/disable"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = admin.get(&app, "/admin/staff").await;
    assert!(
        html.contains(&format!(
            "{scheduler} is disabled: signed out everywhere, and cannot sign in."
        )),
        "{html}"
    );
    let r = app.get_auth("/api/v1/me", &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.login(&scheduler, STRONG_PASSWORD).await;
    assert!(r.status().is_client_error() && r.status() != StatusCode::OK);
    let id_again = account_action(&html, &scheduler, "enable");
    assert_eq!(id, id_again);
    let (status, _, _) = admin
        .post(
            &app,
            &format!("/admin/staff/{id}/enable"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let r = app.login(&scheduler, STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);

    // The API: a page of staff accounts (no shoppers), and no disabling oneself or a shopper.
    let admin_token = access(&admin_tokens);
    let list = get_json(&app, "/api/v1/users", &admin_token).await;
    assert_eq!(list["total"], 3, "{list}");
    assert_eq!(list["pages"], 1);
    let me = get_json(&app, "/api/v1/me", &admin_token).await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/users/{}/disable", me["id"]),
            &admin_token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let shopper_id = get_json(&app, "/api/v1/me", &shopper).await["id"].clone();
    let r = app
        .post_json_auth(
            &format!("/api/v1/users/{shopper_id}/disable"),
            &admin_token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let r = app
        .post_json_auth(
            "/api/v1/users/999999/disable",
            &admin_token,
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn a_signed_in_user_changes_the_password_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "change_password_page").await else {
        return;
    };
    let email = unique_email("ana");
    let tokens = app.signed_up_shopper(&email).await;
    let token = access(&tokens);
    let mut browser = signed_in(&tokens);
    let (status, html, _) = browser.get(&app, "/account/password").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("/shopper/jobs"),
        "the shopper's navigation: {html}"
    );
    let csrf = csrf_field(&html);

    let (status, html, _) = browser
        .post(
            &app,
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", STRONG_PASSWORD),
                ("new_password", OTHER_STRONG_PASSWORD),
                ("new_password_again", "violet tugboat"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("This is not the same as the new password above.")
            && !html.contains(STRONG_PASSWORD)
            && !html.contains(OTHER_STRONG_PASSWORD),
        "no password is sent back: {html}"
    );
    let (status, html, _) = browser
        .post(
            &app,
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", "not my password at all"),
                ("new_password", OTHER_STRONG_PASSWORD),
                ("new_password_again", OTHER_STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("This is not your current password."),
        "{html}"
    );
    let r = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "nothing changed yet");

    let (status, _, location) = browser
        .post(
            &app,
            "/account/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", STRONG_PASSWORD),
                ("new_password", OTHER_STRONG_PASSWORD),
                ("new_password_again", OTHER_STRONG_PASSWORD),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/signin"));
    assert!(
        !browser.cookies.contains_key("incognito_access"),
        "signed out here too"
    );
    let (_, html, _) = browser.get(&app, "/signin").await;
    assert!(
        html.contains("Your password is changed, and every device was signed out."),
        "{html}"
    );
    let r = app.get_auth("/api/v1/me", &token).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "every session ended");
    let r = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app.login(&email, OTHER_STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);

    // Signed out, the page asks to sign in first (after trying to renew the session).
    let (status, _, location) = Browser::default().get(&app, "/account/password").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        location.as_deref(),
        Some("/session/renew?next=%2Faccount%2Fpassword")
    );
    app.stop().await;
}

#[tokio::test]
async fn a_new_confirmation_mail_is_sent_on_asking_a_few_times_an_hour() {
    let Some(app) = spawn_app(Backend::Sqlite, "resend_confirmation").await else {
        return;
    };
    let folders = app.mail_folders();
    let email = unique_email("late");
    assert!(
        app.register(&email, STRONG_PASSWORD)
            .await
            .status()
            .is_success()
    );
    wait_for_mail(&folders, &email, "/verify?token=", 1).await;

    // Signing in before confirming points to a new link.
    let mut browser = Browser::default();
    let (_, html, _) = browser.get(&app, "/signin").await;
    let csrf = csrf_field(&html);
    let (_, html, _) = browser
        .post(
            &app,
            "/signin",
            &[
                ("csrf_token", &csrf),
                ("email", &email),
                ("password", STRONG_PASSWORD),
            ],
        )
        .await;
    assert!(html.contains(r#"<a href="/verify/resend">"#), "{html}");

    let (status, html, _) = browser.get(&app, "/verify/resend").await;
    assert_eq!(status, StatusCode::OK);
    let csrf = csrf_field(&html);
    let (status, html, _) = browser
        .post(
            &app,
            "/verify/resend",
            &[("csrf_token", &csrf), ("email", "late at example")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"value="late at example""#) && html.contains(r#"id="email-error""#),
        "{html}"
    );
    let (status, asked, _) = browser
        .post(
            &app,
            "/verify/resend",
            &[("csrf_token", &csrf), ("email", &email)],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mails = wait_for_mail(&folders, &email, "/verify?token=", 2).await;
    assert_ne!(
        token_in(&mails[0], "/verify"),
        token_in(&mails[1], "/verify"),
        "a new link"
    );
    // The same answer for an address without an account: nobody learns who has one.
    let (status, unknown, _) = browser
        .post(
            &app,
            "/verify/resend",
            &[("csrf_token", &csrf), ("email", &unique_email("nobody"))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(asked, unknown);
    // At most three links an hour, however often asked (API and page alike).
    for _ in 0..3 {
        let r = app
            .post_json(
                "/api/v1/auth/verify/resend",
                &serde_json::json!({ "email": email }),
            )
            .await;
        assert_eq!(r.status(), StatusCode::ACCEPTED);
    }
    wait_for_mail(&folders, &email, "/verify?token=", 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let links = mail_to(&folders, &email)
        .iter()
        .filter(|m| m.contains("/verify?token="))
        .count();
    assert_eq!(links, 3, "the fourth and later were not sent");
    // A link of them confirms the address.
    let mails = mail_to(&folders, &email);
    let newest = mails.iter().find(|m| m.contains("/verify?token=")).unwrap();
    let (status, html, _) = browser
        .get(
            &app,
            &format!("/verify?token={}", token_in(newest, "/verify")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Address confirmed"));
    app.stop().await;
}
