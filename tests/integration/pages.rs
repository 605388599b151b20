//! The web pages: forms without JavaScript, CSRF on every post, tokens in strict cookies.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use crate::helpers::*;

/// A minimal cookie jar: name → value, and the raw Set-Cookie lines last seen per name.
#[derive(Default)]
struct Browser {
    cookies: HashMap<String, String>,
    attributes: HashMap<String, String>,
}

impl Browser {
    fn take(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let line = value.to_str().unwrap().to_string();
            let (pair, _) = line.split_once(';').unwrap_or((&line, ""));
            let (name, val) = pair.split_once('=').unwrap();
            if val.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), val.to_string());
            }
            self.attributes.insert(name.to_string(), line.clone());
        }
    }

    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, app: &TestApp, path: &str) -> (StatusCode, String, Option<String>) {
        let r = app
            .client
            .get(app.url(path))
            .header("cookie", self.header())
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    async fn post(
        &mut self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let r = app
            .client
            .post(app.url(path))
            .header("cookie", self.header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    async fn finish(&mut self, r: reqwest::Response) -> (StatusCode, String, Option<String>) {
        self.take(r.headers());
        let status = r.status();
        let location = r
            .headers()
            .get(LOCATION)
            .map(|v| v.to_str().unwrap().to_string());
        (status, r.text().await.unwrap(), location)
    }
}

fn csrf_field(html: &str) -> String {
    let marker = r#"name="csrf_token" value=""#;
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

#[tokio::test]
async fn a_shopper_signs_up_confirms_signs_in_and_out_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "pages").await else {
        return;
    };
    let mut browser = Browser::default();
    let email = unique_email("web");

    let (status, html, _) = browser.get(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Become a shopper"));

    // Sign up: the form states why the email is asked; a weak password is named.
    let (_, html, _) = browser.get(&app, "/signup").await;
    assert!(html.contains("Category A"), "notice at collection missing");
    let csrf = csrf_field(&html);
    let csrf_cookie = &browser.attributes["incognito_csrf"];
    assert!(
        csrf_cookie.contains("HttpOnly") && csrf_cookie.contains("SameSite=Strict"),
        "{csrf_cookie}"
    );
    let (status, html, _) = browser
        .post(
            &app,
            "/signup",
            &[
                ("email", &email),
                ("password", "password"),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Password must be at least 12 characters"),
        "{html}"
    );
    assert!(html.contains(&email), "the typed email is kept");
    let (status, html, _) = browser
        .post(
            &app,
            "/signup",
            &[
                ("email", &email),
                ("password", STRONG_PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Check your mail"));

    // The mailed link confirms the address.
    let token = app.mailed_token(&email, "/verify").await;
    let (status, html, _) = browser.get(&app, &format!("/verify?token={token}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");

    // Sign in: strict, HttpOnly cookies; back to the page asked for.
    let (status, _, location) = browser.get(&app, "/shopper").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/session/renew?next=%2Fshopper"));
    let (_, _, location) = browser.get(&app, "/session/renew?next=%2Fshopper").await;
    assert_eq!(location.as_deref(), Some("/signin?next=%2Fshopper"));
    let (_, html, _) = browser.get(&app, "/signin?next=%2Fshopper").await;
    let csrf = csrf_field(&html);
    let (status, _, location) = browser
        .post(
            &app,
            "/signin",
            &[
                ("email", &email),
                ("password", STRONG_PASSWORD),
                ("csrf_token", &csrf),
                ("next", "/shopper"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/shopper"));
    for name in ["incognito_access", "incognito_refresh"] {
        let line = &browser.attributes[name];
        assert!(
            line.contains("HttpOnly") && line.contains("SameSite=Strict"),
            "{line}"
        );
        assert!(
            !line.contains("Secure"),
            "plain http must not set Secure: {line}"
        );
    }
    assert!(browser.attributes["incognito_refresh"].contains("Path=/session"));
    let (status, html, _) = browser.get(&app, "/shopper").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(&email));
    let (_, _, location) = browser.get(&app, "/dashboard").await;
    assert_eq!(location.as_deref(), Some("/shopper"));

    // Another role's page is refused.
    let (status, _, _) = browser.get(&app, "/admin").await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // An expired access cookie is renewed with the refresh cookie.
    browser.cookies.remove("incognito_access");
    let (_, _, location) = browser.get(&app, "/shopper").await;
    let (status, _, location) = browser.get(&app, &location.unwrap()).await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/shopper"))
    );
    assert_eq!(browser.get(&app, "/shopper").await.0, StatusCode::OK);

    // Sign out: the session ends and the cookies are cleared.
    let old_access = browser.cookies["incognito_access"].clone();
    let (_, html, _) = browser.get(&app, "/shopper").await;
    let csrf = csrf_field(&html);
    let (status, _, location) = browser
        .post(&app, "/session/signout", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(
        (status, location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/"))
    );
    assert!(!browser.cookies.contains_key("incognito_access"));
    assert_eq!(
        app.get_auth("/api/v1/me", &old_access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_is_refused() {
    let Some(app) = spawn_app(Backend::Sqlite, "csrf").await else {
        return;
    };
    let mut browser = Browser::default();
    let (_, html, _) = browser.get(&app, "/signup").await;
    let good = csrf_field(&html);
    let email = unique_email("csrf");
    for token in ["", "forged-token", &good[..good.len() - 1]] {
        let (status, html, _) = browser
            .post(
                &app,
                "/signup",
                &[
                    ("email", &email),
                    ("password", STRONG_PASSWORD),
                    ("csrf_token", token),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "token {token:?}");
        assert!(html.contains("This form has expired"));
    }
    // A valid token from another browser (another cookie) does not help.
    let mut other = Browser::default();
    let (status, _, _) = other
        .post(
            &app,
            "/signup",
            &[
                ("email", &email),
                ("password", STRONG_PASSWORD),
                ("csrf_token", &good),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn password_reset_works_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "reset pages").await else {
        return;
    };
    let email = unique_email("resetweb");
    app.signed_up_shopper(&email).await;
    let mut browser = Browser::default();
    let (_, html, _) = browser.get(&app, "/password/forgot").await;
    let (status, html, _) = browser
        .post(
            &app,
            "/password/forgot",
            &[("email", &email), ("csrf_token", &csrf_field(&html))],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("If this address has an account"));
    let token = app.mailed_token(&email, "/password/reset").await;
    let (_, html, _) = browser
        .get(&app, &format!("/password/reset?token={token}"))
        .await;
    let csrf = csrf_field(&html);
    let (status, html, _) = browser
        .post(
            &app,
            "/password/reset",
            &[
                ("token", &token),
                ("password", OTHER_STRONG_PASSWORD),
                ("csrf_token", &csrf),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert_eq!(
        app.login(&email, OTHER_STRONG_PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}
