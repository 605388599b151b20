//! Throttling a stranger cannot turn against the owner: failures counted per account and client
//! address, refused attempts never counted, a browser that signed in before kept getting
//! through, the owner mailed; and per-address limits on the requests that send mail.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{Browser, csrf_field};

const STRANGER: &str = "203.0.113.9";
const OWNER: &str = "198.51.100.7";

async fn post_from(app: &TestApp, address: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("x-forwarded-for", address)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The attack run's finding: five wrong passwords from any address locked the account for
/// everyone, the owner's right password included.
async fn a_strangers_failures_do_not_lock_the_owner_out(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "lockout from elsewhere", |s| {
        s.trust_proxy = true;
    })
    .await
    else {
        return;
    };
    let email = unique_email("owner");
    app.signed_up_shopper(&email).await;
    let limit = app.settings.login_max_failures_per_account;
    for _ in 0..limit {
        let r = app
            .login_from(STRANGER, &email, OTHER_STRONG_PASSWORD, None)
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // The stranger is slowed down, even should they now guess right ...
    for _ in 0..3 {
        let r = app
            .login_from(STRANGER, &email, STRONG_PASSWORD, None)
            .await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let p = problem(r).await;
        assert_eq!(p["code"], "too_many_attempts");
        assert!(
            p["detail"].as_str().unwrap().contains("Try again in"),
            "{p}"
        );
    }
    // ... while the owner, from their own address and a browser the account has not seen,
    // signs in.
    let r = app.login_from(OWNER, &email, STRONG_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let pair: Value = r.json().await.unwrap();
    assert!(
        pair["device_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("d1.")),
        "{pair}"
    );
    app.stop().await;
}

/// Strangers from many addresses can lock out the clients an account does not know; a browser
/// or app that signed in before still gets through with its device token, and a device token
/// is no master key: its own failures are limited, and it works for its account only.
async fn a_known_client_gets_through_when_strangers_locked_the_account(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "known device", |s| {
        s.trust_proxy = true;
        s.login_max_failures_per_account = 2;
        s.login_max_unknown_failures_per_account = 6;
    })
    .await
    else {
        return;
    };
    let email = unique_email("known");
    let first = app.signed_up_shopper(&email).await;
    let device = first["device_token"].as_str().unwrap().to_string();
    let other = app.signed_up_shopper(&unique_email("other")).await;
    let others_device = other["device_token"].as_str().unwrap().to_string();

    for i in 0..3 {
        for _ in 0..2 {
            let address = format!("203.0.113.{}", 10 + i);
            let r = app
                .login_from(&address, &email, OTHER_STRONG_PASSWORD, None)
                .await;
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        }
    }
    // Six failures from clients the account does not know: a new one is slowed down too ...
    let r = app.login_from(OWNER, &email, STRONG_PASSWORD, None).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // ... and so is one showing another account's device token, or a forged one.
    let r = app
        .login_from(OWNER, &email, STRONG_PASSWORD, Some(&others_device))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let last = if device.ends_with('0') { '1' } else { '0' };
    let forged = format!("{}{last}", &device[..device.len() - 1]);
    let r = app
        .login_from(OWNER, &email, STRONG_PASSWORD, Some(&forged))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    // The owner's own app gets in, from the same address, and gets a new token.
    let r = app
        .login_from(OWNER, &email, STRONG_PASSWORD, Some(&device))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let again: Value = r.json().await.unwrap();
    let device = again["device_token"].as_str().unwrap().to_string();
    // A stolen device token guesses no more than anyone else.
    for _ in 0..2 {
        let r = app
            .login_from(STRANGER, &email, OTHER_STRONG_PASSWORD, Some(&device))
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app
        .login_from(STRANGER, &email, STRONG_PASSWORD, Some(&device))
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

/// The attack run kept a lock on for ever with one guess every 2.5 minutes, because refused
/// attempts counted. Now the lock ends when the window has passed, however often one knocks.
async fn refused_attempts_are_not_counted(backend: Backend) {
    let Some(app) = spawn_app(backend, "refused not counted").await else {
        return;
    };
    let email = unique_email("knock");
    app.signed_up_shopper(&email).await;
    for _ in 0..app.settings.login_max_failures_per_account {
        app.login(&email, OTHER_STRONG_PASSWORD).await;
    }
    // A guess every 2.5 minutes through the 15-minute window.
    for _ in 0..5 {
        app.state
            .clock
            .advance(chrono::TimeDelta::seconds(150))
            .unwrap();
        let r = app.login(&email, OTHER_STRONG_PASSWORD).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    app.state
        .clock
        .advance(chrono::TimeDelta::seconds(160))
        .unwrap();
    let r = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the window has passed since the last counted failure"
    );
    app.stop().await;
}

/// Repeated failures from clients the account does not know are told to its owner, once a day.
async fn the_owner_is_mailed_about_failed_sign_ins(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "failure notice", |s| {
        s.trust_proxy = true;
    })
    .await
    else {
        return;
    };
    let email = unique_email("told");
    app.signed_up_shopper(&email).await;
    for address in [STRANGER, "203.0.113.77"] {
        for _ in 0..app.settings.login_max_failures_per_account {
            app.login_from(address, &email, OTHER_STRONG_PASSWORD, None)
                .await;
        }
    }
    let mails = wait_for_mail(&app.mail_folders(), &email, "Failed sign-ins", 1).await;
    let body = decode_quoted_printable(&mails[0]);
    assert!(body.contains("5 times"), "{body}");
    assert!(body.contains("still get in"), "{body}");
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let notices = mail_to(&app.mail_folders(), &email)
        .iter()
        .filter(|m| m.contains("Failed sign-ins"))
        .count();
    assert_eq!(notices, 1, "one notice a day, however many failures");
    app.stop().await;
}

/// The attack run registered 37 accounts a second from 16 clients, each queuing a mail.
async fn requests_that_send_mail_are_limited_per_address(backend: Backend) {
    let Some(app) = spawn_app_with(backend, "request floods", |s| {
        s.trust_proxy = true;
        s.requests_per_address_per_hour = 3;
    })
    .await
    else {
        return;
    };
    let password = STRONG_PASSWORD;
    for i in 0..3 {
        let body = json!({"email": unique_email(&format!("flood{i}")), "password": password});
        let r = post_from(&app, STRANGER, "/api/v1/auth/register", &body).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let late = unique_email("late");
    let body = json!({"email": late, "password": password});
    let r = post_from(&app, STRANGER, "/api/v1/auth/register", &body).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    let p = problem(r).await;
    assert_eq!(p["code"], "too_many_requests");
    assert!(p["detail"].as_str().unwrap().contains("sign-ups"), "{p}");
    // Nothing of the refused sign-up was kept: the address registers from elsewhere.
    let r = post_from(&app, OWNER, "/api/v1/auth/register", &body).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    app.mailed_token(&late, "/verify").await;

    for (path, words) in [
        ("/api/v1/auth/password-reset", "password-reset"),
        ("/api/v1/auth/verify/resend", "confirmation links"),
    ] {
        let body = json!({"email": late});
        for _ in 0..3 {
            let r = post_from(&app, STRANGER, path, &body).await;
            assert_eq!(r.status(), StatusCode::ACCEPTED, "{path}");
        }
        let r = post_from(&app, STRANGER, path, &body).await;
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        let p = problem(r).await;
        assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
        // An hour on, the address may ask again.
    }
    app.state
        .clock
        .advance(chrono::TimeDelta::minutes(61))
        .unwrap();
    let r = post_from(
        &app,
        STRANGER,
        "/api/v1/auth/password-reset",
        &json!({"email": late}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    app.stop().await;
}

on_both_backends!(
    a_strangers_failures_do_not_lock_the_owner_out,
    a_known_client_gets_through_when_strangers_locked_the_account,
    refused_attempts_are_not_counted,
    the_owner_is_mailed_about_failed_sign_ins,
    requests_that_send_mail_are_limited_per_address,
);

/// Three reset links an hour, and no more than the daily cap in a day however the hours fall.
#[tokio::test]
async fn reset_mails_to_one_account_are_capped_per_day() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "daily mail cap", |s| {
        s.mails_per_recipient_per_day = 4;
    })
    .await
    else {
        return;
    };
    let email = unique_email("capped");
    app.signed_up_shopper(&email).await;
    for _ in 0..3 {
        for _ in 0..3 {
            let r = app
                .post_json("/api/v1/auth/password-reset", &json!({"email": email}))
                .await;
            assert_eq!(r.status(), StatusCode::ACCEPTED, "the same answer always");
        }
        app.state
            .clock
            .advance(chrono::TimeDelta::minutes(61))
            .unwrap();
    }
    wait_for_mail(&app.mail_folders(), &email, "/password/reset", 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let resets = mail_to(&app.mail_folders(), &email)
        .iter()
        .filter(|m| m.contains("/password/reset"))
        .count();
    assert_eq!(resets, 4, "the daily cap of 4, not 3 an hour for 3 hours");
    app.stop().await;
}

async fn sign_in_on_the_page(
    app: &TestApp,
    browser: &mut Browser,
    email: &str,
) -> (StatusCode, String) {
    let (_, html, _) = browser.get(app, "/signin").await;
    let csrf = csrf_field(&html);
    let (status, html, _) = browser
        .post(
            app,
            "/signin",
            &[
                ("email", email),
                ("password", STRONG_PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    (status, html)
}

/// On the pages the device token is a cookie sent only to the sign-in form, kept after
/// signing out: the browser that signed in before gets in while strangers have locked the
/// account, and a new browser is told, kindly, how long to wait.
#[tokio::test]
async fn a_browser_that_signed_in_before_gets_through_on_the_pages() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "device cookie", |s| {
        s.login_max_failures_per_account = 3;
        s.login_max_unknown_failures_per_account = 3;
    })
    .await
    else {
        return;
    };
    let email = unique_email("cookie");
    app.signed_up_shopper(&email).await;
    let mut known = Browser::default();
    let (status, _) = sign_in_on_the_page(&app, &mut known, &email).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = &known.attributes["incognito_device"];
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Strict")
            && cookie.contains("Path=/signin"),
        "{cookie}"
    );
    let (_, html, _) = known.get(&app, "/password/forgot").await;
    let csrf = csrf_field(&html);
    let (status, _, _) = known
        .post(&app, "/session/signout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        !known.cookies.contains_key("incognito_access"),
        "signed out"
    );
    assert!(known.cookies.contains_key("incognito_device"));

    for _ in 0..3 {
        app.login(&email, OTHER_STRONG_PASSWORD).await;
    }
    let mut stranger = Browser::default();
    let (status, html) = sign_in_on_the_page(&app, &mut stranger, &email).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(html.contains("Too many failed sign-ins"), "{html}");
    assert!(html.contains(&email), "the typed email is kept");

    let (status, html) = sign_in_on_the_page(&app, &mut known, &email).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    app.stop().await;
}
