//! The web pages: forms without JavaScript, CSRF on every post, tokens in strict cookies.

use std::collections::HashMap;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};

use crate::helpers::*;

/// A minimal cookie jar: name → value, and the raw Set-Cookie lines last seen per name.
#[derive(Default)]
pub(crate) struct Browser {
    pub(crate) cookies: HashMap<String, String>,
    pub(crate) attributes: HashMap<String, String>,
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

    pub(crate) async fn get(
        &mut self,
        app: &TestApp,
        path: &str,
    ) -> (StatusCode, String, Option<String>) {
        let r = app
            .client
            .get(app.url(path))
            .header("cookie", self.header())
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub(crate) async fn post(
        &mut self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        self.post_with(app, path, form, &[]).await
    }

    /// Sends a request of any method with the cookies and extra headers, as a page's script
    /// does.
    pub(crate) async fn send(
        &mut self,
        app: &TestApp,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let mut request = app
            .client
            .request(method, app.url(path))
            .header("cookie", self.header());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let r = request.send().await.unwrap();
        self.finish(r).await
    }

    /// Posts a form with extra request headers (e.g. the browser's `Sec-GPC: 1`).
    pub(crate) async fn post_with(
        &mut self,
        app: &TestApp,
        path: &str,
        form: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> (StatusCode, String, Option<String>) {
        let mut request = app
            .client
            .post(app.url(path))
            .header("cookie", self.header())
            .form(form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let r = request.send().await.unwrap();
        self.finish(r).await
    }

    /// Posts a form with a file of these bytes (`multipart/form-data`), as a browser sends one.
    pub(crate) async fn upload_bytes(
        &mut self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: Vec<u8>,
    ) -> (StatusCode, String, Option<String>) {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_string()),
        );
        let r = app
            .client
            .post(app.url(path))
            .header("cookie", self.header())
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    /// Posts a form with a file (`multipart/form-data`), as a browser sends an upload.
    async fn upload(
        &mut self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str)>,
    ) -> (StatusCode, String, Option<String>) {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        let (file_name, content) = file.unwrap_or(("", ""));
        // A browser sends the file part even when no file was chosen: empty, without a type.
        let part = reqwest::multipart::Part::bytes(content.as_bytes().to_vec())
            .file_name(file_name.to_string());
        form = form.part("file", part);
        let r = app
            .client
            .post(app.url(path))
            .header("cookie", self.header())
            .multipart(form)
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

pub(crate) fn csrf_field(html: &str) -> String {
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

/// A browser signed in with these API tokens (the pages use the same tokens in cookies).
pub(crate) fn signed_in(tokens: &serde_json::Value) -> Browser {
    let mut browser = Browser::default();
    browser.cookies.insert(
        "incognito_access".into(),
        tokens["access_token"].as_str().unwrap().to_string(),
    );
    browser
}

#[tokio::test]
async fn a_shopper_applies_and_keeps_the_profile_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "shopper_pages").await else {
        return;
    };
    let mut browser = signed_in(&app.signed_up_shopper(&unique_email("page")).await);

    // Every question says why it is asked, its category and how long it is kept.
    let (status, html, _) = browser.get(&app, "/shopper/profile").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Apply to the panel"));
    for notice in [
        "Category A. Why we ask: pay the shopper",
        "Category B. Why we ask: report payments to the tax authority",
        "Category G. Why we ask: offer only jobs the shopper is willing to travel to",
        "Category I. Why we ask: keep shoppers away from jobs of their",
    ] {
        assert!(html.contains(notice), "missing notice {notice}");
    }
    assert!(html.contains("Phone <span class=\"optional\">(optional)</span>"));
    let csrf = csrf_field(&html);

    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("legal_name", "Grace Hopper"),
        ("street", "1 Navy Way"),
        ("city", "Arlington"),
        ("state", "VA"),
        ("zip", "10001"),
        ("travel_radius_km", "40"),
        ("languages", "en, es"),
        ("tax_id", "123-45-6789"),
        ("cert_name_0", "MSPA Gold"),
        ("cert_issuer_0", "MSPA Americas"),
        ("aff_org_0", "Burger Barn"),
        ("aff_relation_0", "household"),
        ("consent_daily_digest", "on"),
    ];
    // A ZIP outside the state, and the agreement not accepted: both named, input kept.
    let (status, html, _) = browser.post(&app, "/shopper/profile", &form).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("ZIP code: 10001 is in NY, not in VA"),
        "{html}"
    );
    assert!(html.contains("accept agreement"), "{html}");
    assert!(html.contains("value=\"Grace Hopper\""));
    assert!(html.contains("name=\"consent_daily_digest\" checked"));

    form.retain(|(k, _)| *k != "zip");
    form.push(("zip", "22201"));
    form.push(("accept_agreement", "on"));
    let (status, _, location) = browser.post(&app, "/shopper/profile", &form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/shopper/profile?saved=1"));
    let (_, html, _) = browser.get(&app, "/shopper/profile?saved=1").await;
    assert!(html.contains("Your profile") && html.contains("applicant"));
    assert!(html.contains("•••-••-6789") && !html.contains("123-45-6789"));
    assert!(html.contains("value=\"MSPA Gold\""));

    // Consents: the choice made on the application, then a change, both in the history.
    let (_, html, _) = browser.get(&app, "/shopper/consents").await;
    assert!(html.contains("name=\"consent_daily_digest\" checked"));
    assert!(!html.contains("name=\"consent_share_contact\" checked"));
    let csrf = csrf_field(&html);
    let (status, _, _) = browser
        .post(
            &app,
            "/shopper/consents",
            &[
                ("csrf_token", csrf.as_str()),
                ("consent_share_contact", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = browser.get(&app, "/shopper/consents").await;
    assert!(html.contains("name=\"consent_share_contact\" checked"));
    assert!(!html.contains("name=\"consent_daily_digest\" checked"));
    assert_eq!(
        cells(&html).matches("<tr><td>").count(),
        6,
        "4 at sign-up, 2 changes"
    );
    // The history in words, not stored names.
    let history = cells(&html);
    assert!(
        history.contains("sharing my email and phone") && history.contains("on these pages"),
        "{history}"
    );
    assert!(
        !history.contains("<td>share_contact</td>") && !history.contains("<td>profile</td>"),
        "{history}"
    );

    // With the browser's privacy signal a yes to sharing is refused, as in the API: the page
    // comes back with why and with what was ticked, and nothing of the form is recorded.
    let csrf = csrf_field(&html);
    let (status, html, _) = browser
        .post_with(
            &app,
            "/shopper/consents",
            &[
                ("csrf_token", csrf.as_str()),
                ("consent_share_name_address", "on"),
                ("consent_daily_digest", "on"),
            ],
            &[("Sec-GPC", "1")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("Your choices were not saved"), "{html}");
    assert!(html.contains("Global Privacy Control signal"));
    assert!(html.contains("name=\"consent_share_name_address\" checked"));
    assert!(html.contains("name=\"consent_daily_digest\" checked"));
    // The signal itself is recorded, as on any request: a no to both kinds of sharing, the
    // signal's, which the page names when the browser no longer sends it.
    let (_, html, _) = browser.get(&app, "/shopper/consents").await;
    assert_eq!(
        cells(&html).matches("<tr><td>").count(),
        8,
        "the signal's two noes, nothing of the form"
    );
    assert!(!html.contains("name=\"consent_share_contact\" checked"));
    assert!(!html.contains("name=\"consent_daily_digest\" checked"));
    assert!(cells(&html).contains("privacy signal (GPC)"));
    assert!(html.contains("Global Privacy Control signal on"));

    let (status, html, _) = browser.get(&app, "/shopper/access-log").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Nobody has viewed your data yet."));
    assert!(html.contains("Your data has not been sent to anyone."));
    let (status, body, _) = browser.get(&app, "/shopper/export").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("\"tax_id\": \"on file\"") && body.contains("Grace Hopper"));
    assert!(!body.contains("123-45-6789"), "never the tax ID itself");

    // Staff have no shopper pages.
    let mut admin = signed_in(&app.admin_tokens(&unique_email("admin")).await);
    let (status, _, _) = admin.get(&app, "/shopper/profile").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}

/// The id in a `/staff/{kind}/{id}` redirect.
fn id_in(location: &Option<String>, kind: &str) -> i64 {
    let location = location.as_deref().unwrap_or_default();
    location
        .strip_prefix(&format!("/staff/{kind}/"))
        .unwrap_or_else(|| panic!("{location}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn scheduling_staff_run_the_panel_and_clients_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "staff_pages").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let mut staff = Browser::default();
    staff
        .cookies
        .insert("incognito_access".into(), scheduler.clone());

    // An applicant to review.
    let ada_email = unique_email("ada");
    let ada = access(&app.signed_up_shopper(&ada_email).await);
    let r = app
        .put_json_auth(
            "/api/v1/me/profile",
            &ada,
            &serde_json::json!({"legal_name": "Ada Lovelace", "street": "1 Main St", "city": "New York", "state": "NY", "zip": "10001", "travel_radius_km": 30, "languages": ["es"], "tax_id": "123-45-6789", "accept_agreement": true}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let (status, html, _) = staff.get(&app, "/staff/shoppers?q=lovelace").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Ada Lovelace")
            && html.contains(r#"<span class="badge badge-wait">applicant</span>"#)
            && html.contains("1 shopper."),
        "{html}"
    );
    let start = html.find("/staff/shoppers/").unwrap() + "/staff/shoppers/".len();
    let ada_id: i64 = html[start..].split('"').next().unwrap().parse().unwrap();
    let (_, html, _) = staff.get(&app, &format!("/staff/shoppers/{ada_id}")).await;
    assert!(html.contains("•••-••-6789") && !html.contains("123-45-6789"));
    let csrf = csrf_field(&html);
    let status_path = format!("/staff/shoppers/{ada_id}/status");
    let (status, html, _) = staff
        .post(
            &app,
            &status_path,
            &[
                ("csrf_token", &csrf),
                ("action", "approve"),
                ("reason", " "),
            ],
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a reason is required"
    );
    assert!(
        html.contains(
            r#"<p class="field-error" id="reason-error">Say why, in 1 to 1000 characters.</p>"#
        ) && html.contains("<strong>applicant</strong>"),
        "the record again, the problem beside the reason: {html}"
    );
    // A rating that is not a number, a citation not in the list: both said, the note kept.
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/shoppers/{ada_id}/ratings"),
            &[
                ("csrf_token", &csrf),
                ("score", "nine"),
                ("citation", "hero"),
                ("note", "kept me waiting"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Type a whole number here, not “nine”.")
            && html.contains(r#"value="kept me waiting""#)
            && html.contains(r#"<option value="hero" selected>hero</option>"#),
        "{html}"
    );
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/shoppers/{ada_id}/disqualifications"),
            &[("csrf_token", &csrf), ("client", ""), ("reason", "")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Please correct the 2 fields marked below.")
            && html.contains("Type the client&#39;s name.")
            && html.contains("Say why, in 1 to 1000 characters."),
        "{html}"
    );
    let (status, _, _) = staff
        .post(
            &app,
            &status_path,
            &[
                ("csrf_token", &csrf),
                ("action", "approve"),
                ("reason", "interview done"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    staff
        .post(
            &app,
            &format!("/staff/shoppers/{ada_id}/ratings"),
            &[("csrf_token", &csrf), ("score", "9"), ("citation", "hero")],
        )
        .await;
    let (_, html, _) = staff.get(&app, &format!("/staff/shoppers/{ada_id}")).await;
    assert!(html.contains("<strong>active</strong>") && html.contains("interview done"));
    // The approved applicant is told by mail, with the way to the jobs.
    let welcome = wait_for_mail(&app.mail_folders(), &ada_email, "/shopper/jobs", 1).await;
    assert!(
        welcome[0].contains("You are on the panel"),
        "{}",
        welcome[0]
    );
    assert!(html.contains("(average 9.0)"), "{html}");

    // A client, a competitor, stores by CSV (with a report), a project, jobs by CSV.
    let (_, html, _) = staff.get(&app, "/staff/clients").await;
    let csrf = csrf_field(&html);
    let (status, _, location) = staff
        .post(
            &app,
            "/staff/clients",
            &[("csrf_token", &csrf), ("name", "Burger Barn")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let client = id_in(&location, "clients");
    staff
        .post(
            &app,
            &format!("/staff/clients/{client}/competitors"),
            &[("csrf_token", &csrf), ("name", "Taco Town")],
        )
        .await;
    let csv = "code,name,street,city,state,zip\nS1,Chelsea,1 Broadway,New York,NY,10001\nS2,Bad,2 Road,Nowhere,NY,99999\n";
    let (status, html, _) = staff
        .upload(
            &app,
            &format!("/staff/clients/{client}/locations"),
            &[("csrf_token", &csrf), ("csv", "")],
            Some(("stores.csv", csv)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Imported: 1 new, 0 updated, 1 rows left out."),
        "{html}"
    );
    assert!(
        cells(&html).contains("<td>3</td><td>zip</td>"),
        "line 3 reported: {html}"
    );
    assert!(html.contains("Taco Town") && html.contains("Chelsea"));
    // Without the CSRF token the upload is refused and nothing is imported.
    let (status, _, _) = staff
        .upload(
            &app,
            &format!("/staff/clients/{client}/locations"),
            &[(
                "csv",
                "code,name,street,city,state,zip\nS7,Seven,7 Road,New York,NY,10001\n",
            )],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Pasted CSV (no file chosen) is imported too.
    let (status, html, _) = staff
        .upload(
            &app,
            &format!("/staff/clients/{client}/locations"),
            &[
                ("csrf_token", &csrf),
                (
                    "csv",
                    "code,name,street,city,state,zip\nS3,Soho,3 Prince St,New York,NY,10012\n",
                ),
            ],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Imported: 1 new, 0 updated, 0 rows left out."),
        "{html}"
    );
    assert!(
        !html.contains("Seven"),
        "the refused upload imported nothing"
    );
    // One store by the form; a bad ZIP is named and nothing is added.
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/clients/{client}/locations/new"),
            &[
                ("csrf_token", &csrf),
                ("code", "S4"),
                ("name", "Harlem"),
                ("street", "4 Lenox Ave"),
                ("city", "New York"),
                ("state", "NY"),
                ("zip", "94110"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("94110 is in CA, not in NY"), "{html}");
    // Nothing is added, and what was typed is kept in the form.
    assert!(!html.contains("4 Lenox Ave, New York"), "{html}");
    assert!(html.contains(r#"value="Harlem""#), "{html}");
    let (status, _, location) = staff
        .post(
            &app,
            &format!("/staff/clients/{client}/locations/new"),
            &[
                ("csrf_token", &csrf),
                ("code", "S4"),
                ("name", "Harlem"),
                ("street", "4 Lenox Ave"),
                ("city", "New York"),
                ("state", "NY"),
                ("zip", "10026"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, Some(format!("/staff/clients/{client}")));
    let (_, html, _) = staff.get(&app, &format!("/staff/clients/{client}")).await;
    assert!(html.contains("4 Lenox Ave, New York, NY 10026"), "{html}");
    // The page says so, once.
    assert!(html.contains("Store S4 added."), "{html}");
    let (_, html, _) = staff.get(&app, &format!("/staff/clients/{client}")).await;
    assert!(!html.contains("Store S4 added."), "said twice: {html}");
    // Money is typed in dollars; a bad amount is named in the typist's words, never as cents.
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/clients/{client}/projects"),
            &[
                ("csrf_token", &csrf),
                ("name", "Q1"),
                ("max_km", "40"),
                ("rotation_days", "90"),
                ("fee_dollars", "twenty"),
                ("cap_dollars", "-5"),
            ],
        )
        .await;
    assert!(status.is_client_error(), "{status}");
    assert!(
        html.contains("Enter an amount in dollars, like 25 or 25.50"),
        "{html}"
    );
    assert!(html.contains("Enter an amount of zero or more"), "{html}");
    assert!(!html.contains("fee_cents"), "{html}");
    let (status, _, location) = staff
        .post(
            &app,
            &format!("/staff/clients/{client}/projects"),
            &[
                ("csrf_token", &csrf),
                ("name", "Q1"),
                ("max_km", "40"),
                ("rotation_days", "90"),
                ("fee_dollars", "$1,250.5"),
                ("languages", "es"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let project = id_in(&location, "projects");
    let (_, html, _) = staff.get(&app, &format!("/staff/projects/{project}")).await;
    assert!(html.contains("fee $1,250.50"), "{html}");
    let csv =
        &far_dates("code,location_code,window_start,window_end\nJ1,S1,2036-12-01,2036-12-15\n");
    let (status, html, _) = staff
        .upload(
            &app,
            &format!("/staff/projects/{project}/jobs"),
            &[("csrf_token", &csrf)],
            Some(("jobs.csv", csv)),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Imported: 1 new"), "{html}");
    // One job by the form: the store is found by a search and named by its code; a window
    // closing before it opens is named, and so is a store the client does not have.
    let (_, html, _) = staff
        .get(&app, &format!("/staff/projects/{project}?store_q=chel"))
        .await;
    assert!(
        html.contains(&format!(
            r#"<a href="/staff/projects/{project}?store=S1#new-job">S1 · Chelsea, New York NY</a>"#
        )) && html.contains("the client has 3)"),
        "{html}"
    );
    let (_, html, _) = staff
        .get(&app, &format!("/staff/projects/{project}?store=S1"))
        .await;
    assert!(
        html.contains(r#"name="store" type="text" value="S1""#),
        "the chosen store fills the form: {html}"
    );
    let store = "S1".to_string();
    let new_job = format!("/staff/projects/{project}/jobs/new");
    let (status, html, _) = staff
        .post(
            &app,
            &new_job,
            &[
                ("csrf_token", &csrf),
                ("store", "S9"),
                ("code", "J2"),
                ("window_start", far_dates("2036-12-10").as_str()),
                ("window_end", far_dates("2036-12-20").as_str()),
                ("bonus_dollars", "five"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("No store of this client has the code “S9”; find it with the search above.")
            && html.contains(r#"id="jbonus-error""#)
            && html.contains("Please correct the 2 fields marked below."),
        "both at once: {html}"
    );
    let (status, html, _) = staff
        .post(
            &app,
            &new_job,
            &[
                ("csrf_token", &csrf),
                ("store", &store),
                ("code", "J2"),
                ("window_start", far_dates("2036-12-20").as_str()),
                ("window_end", far_dates("2036-12-10").as_str()),
                ("bonus_dollars", "5"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Named beside the closing day, in words, with what was typed kept.
    assert!(html.contains(r#"id="jend-error""#), "{html}");
    assert!(html.contains(&far_dates(r#"value="2036-12-20""#)) && html.contains(r#"value="J2""#));
    assert!(!html.contains("window_end:"), "{html}");
    assert!(!html.contains(">J2<"));
    let (status, _, location) = staff
        .post(
            &app,
            &new_job,
            &[
                ("csrf_token", &csrf),
                ("store", &store),
                ("code", "J2"),
                ("window_start", far_dates("2036-12-10").as_str()),
                ("window_end", far_dates("2036-12-20").as_str()),
                ("bonus_dollars", "five"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{location:?}");
    let (status, _, location) = staff
        .post(
            &app,
            &new_job,
            &[
                ("csrf_token", &csrf),
                ("store", &store),
                ("code", "J2"),
                ("window_start", far_dates("2036-12-10").as_str()),
                ("window_end", far_dates("2036-12-20").as_str()),
                ("bonus_dollars", "5"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, Some(format!("/staff/projects/{project}")));
    let (_, html, _) = staff.get(&app, &format!("/staff/projects/{project}")).await;
    assert!(
        html.contains(">J2<") && html.contains(&far_dates("2036-12-10 – 2036-12-20")),
        "{html}"
    );
    // Each job with its store and its real state; filtered by state and text.
    assert!(
        cells(&html).contains(r#"<td>S1 Chelsea, New York NY</td>"#)
            && cells(&html).contains(r#"<td><span class="badge badge-wait">open</span></td>"#),
        "{html}"
    );
    let (_, html, _) = staff
        .get(&app, &format!("/staff/projects/{project}?state=held"))
        .await;
    assert!(
        html.contains("No job matches this filter.") && html.contains("0 of 2 jobs"),
        "{html}"
    );
    let (_, html, _) = staff
        .get(&app, &format!("/staff/projects/{project}?q=j2&state=open"))
        .await;
    assert!(
        html.contains("1 of 2 jobs") && html.contains(">J2<") && !html.contains(">J1<"),
        "{html}"
    );
    let start = html.find("/staff/jobs/").unwrap() + "/staff/jobs/".len();
    let job: i64 = html[start..].split('"').next().unwrap().parse().unwrap();
    let (status, html, _) = staff.get(&app, &format!("/staff/jobs/{job}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Ada Lovelace"), "Ada is eligible: {html}");
    assert!(!html.contains("disqualified"));
    // The matching desk: offer the job to Ada from the page.
    assert!(
        html.contains(">Offer</button>") && html.contains(">Assign</button>"),
        "{html}"
    );
    let ada_number = ada_id.to_string();
    let (status, _, location) = staff
        .post(
            &app,
            &format!("/staff/jobs/{job}/offer"),
            &[
                ("csrf_token", &csrf),
                ("shopper_id", &ada_number),
                ("action", "offer"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, Some(format!("/staff/jobs/{job}")));
    let (_, html, _) = staff.get(&app, &format!("/staff/jobs/{job}")).await;
    assert!(
        cells(&html).contains(r#"<td><span class="badge badge-wait">offered</span></td>"#),
        "{html}"
    );
    let (_, list, _) = staff
        .get(&app, &format!("/staff/projects/{project}?state=held"))
        .await;
    assert!(
        list.contains(r#"<span class="badge badge-wait">offered to IMS-"#),
        "the project's list says who holds the job: {list}"
    );
    assert!(
        !html.contains(">Offer</button>"),
        "the job is held: no more offers"
    );
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/jobs/{job}/offer"),
            &[
                ("csrf_token", &csrf),
                ("shopper_id", &ada_number),
                ("action", "assign"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(html.contains("This job is held already"), "{html}");

    // Disqualified from the client on her page: the job page says why she is not eligible.
    // The client is typed by name, in any spelling; an unknown one is named back.
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/shoppers/{ada_id}/disqualifications"),
            &[
                ("csrf_token", &csrf),
                ("client", "Taco Town"),
                ("reason", "knows the manager"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("No client is called “Taco Town”. Check the spelling")
            && html.contains(r#"value="knows the manager""#),
        "{html}"
    );
    let (status, _, location) = staff
        .post(
            &app,
            &format!("/staff/shoppers/{ada_id}/disqualifications"),
            &[
                ("csrf_token", &csrf),
                ("client", "the burger barn llc"),
                ("reason", "knows the manager"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, Some(format!("/staff/shoppers/{ada_id}")));
    let (_, html, _) = staff.get(&app, &format!("/staff/jobs/{job}")).await;
    assert!(html.contains(": knows the manager"), "{html}");

    // Organizations: a friendly mystery-shopping company, de-duplicated by name.
    for name in ["Mystery Co, Inc.", "mystery co"] {
        staff
            .post(
                &app,
                "/staff/organizations",
                &[
                    ("csrf_token", &csrf),
                    ("name", name),
                    ("friendly_competitor", "on"),
                ],
            )
            .await;
    }
    let (_, html, _) = staff.get(&app, "/staff/organizations").await;
    assert_eq!(
        html.matches(r#"<td data-label="Name">Mystery Co"#).count(),
        1,
        "{html}"
    );
    assert!(
        cells(&html).contains(
            r#"<td>Mystery Co, Inc.</td><td><span class="badge badge-ok">yes</span></td>"#
        ) && html.contains("Mystery Co, Inc. is on the list."),
        "{html}"
    );
    // A name that is not one comes back beside its input, the box still ticked.
    let (status, html, _) = staff
        .post(
            &app,
            "/staff/organizations",
            &[
                ("csrf_token", &csrf),
                ("name", "  "),
                ("friendly_competitor", "on"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"id="name-error""#)
            && html.contains(r#"<input type="checkbox" name="friendly_competitor" checked>"#),
        "{html}"
    );

    // Shoppers have none of these pages.
    let mut shopper = signed_in(&serde_json::json!({"access_token": ada}));
    for path in [
        "/staff/shoppers",
        "/staff/clients",
        "/staff/organizations",
        &format!("/staff/jobs/{job}"),
    ] {
        let (status, _, _) = shopper.get(&app, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _, _) = shopper
        .upload(
            &app,
            &format!("/staff/clients/{client}/locations"),
            &[(
                "csv",
                "code,name,street,city,state,zip\nS8,Eight,8 Road,New York,NY,10001\n",
            )],
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}

/// The form mechanism, as a scheduler meets it: a refused form comes back with every bad
/// field's message beside that field and every typed value kept; a form that worked says so
/// once; an error page keeps the signed-in navigation and says what to do next.
#[tokio::test]
async fn a_refused_form_keeps_what_was_typed_and_names_every_bad_field() {
    let Some(app) = spawn_app(Backend::Sqlite, "form_mechanism").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let mut staff = Browser::default();
    staff.cookies.insert("incognito_access".into(), scheduler);
    let (_, html, _) = staff.get(&app, "/staff/clients").await;
    let csrf = csrf_field(&html);
    let (_, _, location) = staff
        .post(
            &app,
            "/staff/clients",
            &[("csrf_token", &csrf), ("name", "Burger Barn")],
        )
        .await;
    let client = id_in(&location, "clients");
    let (_, html, _) = staff.get(&app, &format!("/staff/clients/{client}")).await;
    assert!(html.contains("Client Burger Barn added."), "{html}");

    // Three bad fields at once: no name, a ZIP that is no ZIP, a latitude that is no number.
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/clients/{client}/locations/new"),
            &[
                ("csrf_token", &csrf),
                ("code", "S9"),
                ("name", ""),
                ("street", "9 Lenox Ave"),
                ("city", "New York"),
                ("state", "NY"),
                ("zip", "1002"),
                ("latitude", "north"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Please correct the 3 fields marked below."),
        "{html}"
    );
    for (id, kept) in [
        ("lcode", "S9"),
        ("lstreet", "9 Lenox Ave"),
        ("lzip", "1002"),
        ("llat", "north"),
    ] {
        assert!(
            html.contains(&format!(r#"id="{id}" name="#))
                && html.contains(&format!(r#"value="{kept}""#)),
            "{id} lost what was typed: {html}"
        );
    }
    for id in ["lname", "lzip", "llat"] {
        assert!(
            html.contains(&format!(r#"<p class="field-error" id="{id}-error">"#)),
            "no message beside {id}: {html}"
        );
    }
    assert!(html.contains("Type a number here, not “north”."), "{html}");
    assert!(
        !html.contains(r#"id="lcity-error""#),
        "a good field is not marked"
    );
    // Required inputs are marked as such.
    assert!(html.contains(r#"Street address <span class="req">(required)</span>"#));
    // The page keeps the signed-in navigation, not "Sign in / Sign up".
    assert!(
        html.contains("Sign out") && !html.contains(">Sign up<"),
        "{html}"
    );

    // The project form: every bad field at once, money in dollars, no internal names.
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/clients/{client}/projects"),
            &[
                ("csrf_token", &csrf),
                ("name", "Spring"),
                ("max_km", ""),
                ("rotation_days", "ninety"),
                ("fee_dollars", "twenty"),
                ("min_age", "12"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in ["max_km", "rotation_days", "fee_dollars", "min_age"] {
        assert!(
            html.contains(&format!(r#"id="{id}-error""#)),
            "no message beside {id}: {html}"
        );
    }
    assert!(html.contains(r#"value="Spring""#) && html.contains(r#"value="twenty""#));
    assert!(
        !html.contains("fee_cents") && !html.contains("max_km:"),
        "{html}"
    );

    // An error page of a signed-in user: their navigation, words instead of a status, and a
    // way on.
    let shopper = access(&app.signed_up_shopper(&unique_email("newbie")).await);
    let mut newbie = Browser::default();
    newbie.cookies.insert("incognito_access".into(), shopper);
    let (status, html, _) = newbie.get(&app, "/shopper/jobs/1").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{html}");
    assert!(html.contains("Send your application first"), "{html}");
    assert!(html.contains(r#"href="/shopper/profile""#), "{html}");
    assert!(html.contains(r#"href="/shopper/assignments""#) && html.contains("Sign out"));
    assert!(
        !html.contains(">Sign up<") && !html.contains("Not Found<"),
        "{html}"
    );
    app.stop().await;
}

/// `INCOGNITO_DISTANCE_UNIT`: the pages type and show distances in miles by default, in
/// kilometres when set; the API keeps kilometres either way.
#[tokio::test]
async fn distances_are_shown_in_the_pages_unit_and_kept_in_km_by_the_api() {
    for (unit, reach, typed) in [
        (
            incognito::units::DistanceUnit::Mi,
            "within 19 mi",
            r#"value="18.64""#,
        ),
        (
            incognito::units::DistanceUnit::Km,
            "within 30 km",
            r#"value="30""#,
        ),
    ] {
        let Some(app) = spawn_app_with(Backend::Sqlite, "distance_unit", |s| {
            s.distance_unit = unit;
        })
        .await
        else {
            return;
        };
        let (_, scheduler) = admin_and_scheduler(&app).await;
        let (_, token) = panel_member(&app, &scheduler, "dee", serde_json::json!({}), true).await;
        let profile = get_json(&app, "/api/v1/me/profile", &token).await;
        assert_eq!(profile["travel_radius_km"], 30.0, "{profile}");
        let mut browser = signed_in(&serde_json::json!({"access_token": token}));
        let (_, html, _) = browser.get(&app, "/shopper/jobs").await;
        assert!(html.contains(reach), "{unit:?}: {html}");
        let (_, html, _) = browser.get(&app, "/shopper/profile").await;
        assert!(html.contains(typed), "{unit:?}: {html}");
        assert!(
            html.contains(&format!("How far you will travel ({})", unit.words())),
            "{html}"
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn the_privacy_notice_lists_every_piece_of_personal_data_the_inventory_holds() {
    use incognito::privacy::inventory::{Classification, FILES, INVENTORY};
    let Some(app) = spawn_app(Backend::Sqlite, "privacy_notice").await else {
        return;
    };
    let mut browser = Browser::default();
    let (status, html, _) = browser.get(&app, "/privacy-notice").await;
    assert_eq!(status, StatusCode::OK);
    let personal = INVENTORY
        .iter()
        .filter(|e| matches!(e.classification, Classification::Personal { .. }))
        .count();
    // Every personal column, and every place personal data is kept in files, in the detail.
    let detail = html.split("Every piece of data, in detail").nth(1).unwrap();
    assert_eq!(
        cells(detail).matches("<tr><td>").count(),
        personal + FILES.len()
    );
    // Above it, the notice in words: each category with its source, each right with its form.
    assert!(html.contains("<strong>Identifiers</strong>"), "{html}");
    assert!(
        html.contains("you, in your application and profile"),
        "{html}"
    );
    assert!(
        html.contains("We have not disclosed anyone&#x27;s personal data")
            || html.contains("We have not disclosed anyone's personal data"),
        "{html}"
    );
    for form in [
        "kind=know",
        "kind=access",
        "kind=delete",
        "kind=limit",
        "kind=opt_out",
        "/shopper/export.zip",
    ] {
        assert!(html.contains(form), "the notice links {form}");
    }
    assert!(
        cells(&html).contains(
            "<td>uploads in progress (data directory, uploads/)</td><td>H: sensory data</td>"
        ),
        "{html}"
    );
    assert!(
        cells(&html).contains("<td>shoppers tax id</td><td>B: customer records</td>"),
        "{html}"
    );
    assert!(!html.contains("jobs fee cents"), "not personal data");
    let (_, home, _) = browser.get(&app, "/").await;
    assert!(home.contains("href=\"/privacy-notice\""));
    app.stop().await;
}

#[tokio::test]
async fn the_shopper_sees_where_their_address_was_sent() {
    let (url, _) = loopback_geocoder();
    let Some(app) = spawn_app_with(Backend::Sqlite, "disclosures_page", |s| {
        s.geocoder_url = Some(url::Url::parse(&url).unwrap());
    })
    .await
    else {
        return;
    };
    let tokens = app.signed_up_shopper(&unique_email("sent")).await;
    let application = serde_json::json!({
        "legal_name": "Grace Hopper", "street": "350 5th Ave", "city": "New York",
        "state": "NY", "zip": "10001", "travel_radius_km": 20, "accept_agreement": true
    });
    let r = app
        .put_json_auth("/api/v1/me/profile", &access(&tokens), &application)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let mut browser = signed_in(&tokens);
    let (status, html, _) = browser.get(&app, "/shopper/access-log").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        cells(&html).contains("<td>geocoder at 127.0.0.1</td><td>customer records</td>"),
        "{html}"
    );
    assert!(!html.contains("Your data has not been sent to anyone."));
    app.stop().await;
}

#[tokio::test]
async fn a_shopper_finds_asks_for_and_accepts_a_job_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "job_pages").await else {
        return;
    };
    let (scheduler, client) = scheduler_with_client(&app, "Burger Barn").await;
    let store = app
        .post_json_auth(
            "/api/v1/locations",
            &scheduler,
            &serde_json::json!({"client_id": client, "code": "S1", "name": "Chelsea", "street": "1 Broadway", "city": "New York", "state": "NY", "zip": "10001"}),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .clone();
    let today = chrono::Utc::now().date_naive();
    let later = |days: u64| {
        today
            .checked_add_days(chrono::Days::new(days))
            .unwrap()
            .to_string()
    };
    let mut jobs = Vec::new();
    for vehicle in [false, true] {
        let project = app
            .post_json_auth(
                "/api/v1/projects",
                &scheduler,
                &serde_json::json!({"client_id": client, "name": format!("P{vehicle}"), "max_km": 40, "vehicle": vehicle, "rotation_days": 30, "fee_cents": 1550}),
            )
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap()["id"]
            .clone();
        let job = app
            .post_json_auth(
                "/api/v1/jobs",
                &scheduler,
                &serde_json::json!({"project_id": project, "location_id": store, "window_start": later(1), "window_end": later(10)}),
            )
            .await
            .json::<serde_json::Value>()
            .await
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        jobs.push(job);
    }
    let (open, needs_car) = (jobs[0], jobs[1]);
    let (ana, token) = panel_member(
        &app,
        &scheduler,
        "ana",
        serde_json::json!({"vehicle": false}),
        true,
    )
    .await;
    let mut browser = signed_in(&serde_json::json!({"access_token": token}));

    // The board: a list and a map drawn on the server, with the radius and both jobs.
    let (status, html, _) = browser.get(&app, "/shopper/jobs").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("1 open job you can take within 19 mi"),
        "{html}"
    );
    assert!(
        html.contains("<svg") && html.contains(r#"class="radius""#),
        "{html}"
    );
    assert!(html.contains(&format!(
        r#"<a href="/shopper/jobs/{open}"><circle class="job""#
    )));
    assert!(html.contains(&format!(
        r#"<a href="/shopper/jobs/{needs_car}"><circle class="job""#
    )));
    assert!(html.contains("$15.50") && html.contains("requires a vehicle"));
    assert!(!html.contains("1 Broadway"), "no street on the board");

    // A job she cannot take says why, with nothing to press.
    let (_, html, _) = browser
        .get(&app, &format!("/shopper/jobs/{needs_car}"))
        .await;
    assert!(html.contains("You cannot take this job") && html.contains("requires a vehicle"));
    assert!(!html.contains("Ask for this job"));

    // She asks for the open one; staff offer it; she accepts with a planned day.
    let (_, html, _) = browser.get(&app, &format!("/shopper/jobs/{open}")).await;
    let csrf = csrf_field(&html);
    let (status, _, location) = browser
        .post(
            &app,
            &format!("/shopper/jobs/{open}/request"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/shopper/assignments"));
    let (_, html, _) = browser.get(&app, "/shopper/assignments").await;
    assert!(
        html.contains("requested") && html.contains("Withdraw my request"),
        "{html}"
    );
    let r = app
        .post_json_auth(
            &format!("/api/v1/jobs/{open}/offer"),
            &scheduler,
            &serde_json::json!({"shopper_id": ana}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, html, _) = browser.get(&app, "/shopper/assignments").await;
    assert!(
        html.contains(">Accept</button>") && html.contains("answer by"),
        "{html}"
    );
    let start = html.find("/shopper/assignments/").unwrap() + "/shopper/assignments/".len();
    let id: i64 = html[start..].split('/').next().unwrap().parse().unwrap();
    let (status, html, _) = browser
        .post(
            &app,
            &format!("/shopper/assignments/{id}/accept"),
            &[("csrf_token", &csrf), ("visit_on", "next week")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    // Said in words beside the day, as typed, without the form's internal name.
    assert!(
        html.contains(&format!(
            r#"<p class="field-error" id="visit-{id}-error">Type a date like 2036-12-01, not “next week”.</p>"#
        )) && html.contains(r#"value="next week""#),
        "{html}"
    );
    assert!(!html.contains("visit_on:"), "{html}");
    // A reason too long to keep, on the decline form of the same offer: said there.
    let long = "x".repeat(1001);
    let (status, html, _) = browser
        .post(
            &app,
            &format!("/shopper/assignments/{id}/decline"),
            &[("csrf_token", &csrf), ("reason", &long)],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(&format!(
            r#"id="why-{id}-error">Keep the reason to 1000 characters or fewer."#
        )),
        "{html}"
    );
    let (status, _, _) = browser
        .post(
            &app,
            &format!("/shopper/assignments/{id}/accept"),
            &[("csrf_token", &csrf), ("visit_on", &later(2))],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = browser.get(&app, "/shopper/assignments").await;
    assert!(html.contains("accepted") && html.contains(&format!("visit planned for {}", later(2))));
    assert!(
        html.contains("is yours. Plan the visit within its window."),
        "the move is confirmed: {html}"
    );
    assert!(
        html.contains("Chelsea, 1 Broadway"),
        "the address once the job is hers"
    );
    // The window opens tomorrow: "I made the visit" is not offered yet, and she is told when.
    assert!(
        !html.contains(&format!("/shopper/assignments/{id}/visit")),
        "{html}"
    );
    assert!(
        html.contains(&format!("You can report the visit from {}", later(1))),
        "{html}"
    );
    let (status, ics, _) = browser.get(&app, "/shopper/assignments.ics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        ics.contains("BEGIN:VEVENT") && ics.contains(&later(2).replace('-', "")),
        "{ics}"
    );

    // Staff have none of these pages.
    let mut staff = signed_in(&serde_json::json!({"access_token": scheduler}));
    let (status, _, _) = staff.get(&app, "/shopper/jobs").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn staff_fill_jobs_by_batch_and_raise_a_bonus_on_the_pages() {
    let Some(app) = spawn_app(Backend::Sqlite, "desk_pages").await else {
        return;
    };
    let (scheduler, client) = scheduler_with_client(&app, "Burger Barn").await;
    let store = app
        .post_json_auth(
            "/api/v1/locations",
            &scheduler,
            &serde_json::json!({"client_id": client, "code": "S1", "name": "Chelsea", "street": "1 Broadway", "city": "New York", "state": "NY", "zip": "10001"}),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .clone();
    let project = app
        .post_json_auth(
            "/api/v1/projects",
            &scheduler,
            &serde_json::json!({"client_id": client, "name": "Spring", "max_km": 40, "rotation_days": 30, "fee_cents": 1500}),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let day = |n: u64| {
        chrono::Utc::now()
            .date_naive()
            .checked_add_days(chrono::Days::new(n))
            .unwrap()
            .to_string()
    };
    let r = app
        .post_json_auth(
            "/api/v1/jobs",
            &scheduler,
            &serde_json::json!({"project_id": project, "location_id": store, "window_start": day(1), "window_end": day(9)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, shopper_token) =
        panel_member(&app, &scheduler, "ana", serde_json::json!({}), true).await;
    let mut staff = signed_in(&serde_json::json!({"access_token": scheduler}));

    // The project is found by its name or its client's, and chosen from what was found.
    let (status, html, _) = staff.get(&app, "/staff/batches").await;
    assert_eq!(status, StatusCode::OK);
    let chosen = format!(
        r#"<a href="/staff/batches?project_id={project}#project">Burger Barn · Spring</a>"#
    );
    assert!(
        html.contains("The newest projects:") && html.contains(&chosen),
        "{html}"
    );
    for q in ["burger", "SPRING", "Taco"] {
        let (_, html, _) = staff
            .get(&app, &format!("/staff/batches?project_q={q}"))
            .await;
        assert_eq!(html.contains(&chosen), q != "Taco", "{q}: {html}");
    }
    let (_, html, _) = staff
        .get(&app, &format!("/staff/batches?project_id={project}"))
        .await;
    assert!(
        html.contains("Proposing for <strong>Burger Barn · Spring</strong>")
            && html.contains(&format!(r#"name="project_id" value="{project}""#)),
        "{html}"
    );
    let csrf = csrf_field(&html);
    let (status, _, location) = staff
        .post(
            &app,
            "/staff/batches",
            &[
                ("csrf_token", &csrf),
                ("project_id", &project.to_string()),
                ("from", "soon"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{location:?}");
    // Every bad field at once, beside its input, with what was typed kept.
    let (status, html, _) = staff
        .post(
            &app,
            "/staff/batches",
            &[
                ("csrf_token", &csrf),
                ("project_id", &project.to_string()),
                ("from", "soon"),
                ("state", "New"),
                ("city", "Newark"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains("Please correct the 2 fields marked below.")
            && html.contains("Type a date like 2036-12-01, not “soon”.")
            && html.contains("Type the state&#39;s two letters, e.g. NY.")
            && html.contains(r#"value="Newark""#)
            && html.contains(&format!(r#"name="project_id" value="{project}""#)),
        "{html}"
    );
    // A region: stores in a state (and a city of it); none of the project's jobs are in NJ.
    let project_id = project.to_string();
    for (region, problem) in [
        (
            [("state", "New"), ("city", "")],
            "Type the state&#39;s two letters, e.g. NY.",
        ),
        (
            [("state", ""), ("city", "New York")],
            "Give the state of the city too.",
        ),
        (
            [("state", "nj"), ("city", "")],
            "The project has no open jobs in these days and this region.",
        ),
    ] {
        let mut fields = vec![("csrf_token", csrf.as_str()), ("project_id", &project_id)];
        fields.extend(region);
        let (status, html, _) = staff.post(&app, "/staff/batches", &fields).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{region:?}");
        assert!(html.contains(problem), "{problem}: {html}");
    }
    let (status, _, location) = staff
        .post(
            &app,
            "/staff/batches",
            &[
                ("csrf_token", &csrf),
                ("project_id", &project_id),
                ("state", "ny"),
                ("city", "New York"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let batch_page = location.unwrap();
    let (_, html, _) = staff.get(&app, &batch_page).await;
    assert!(
        html.contains("1 filled, 0 unfilled") && html.contains("ana Tester"),
        "{html}"
    );
    assert!(
        html.contains("Proposed: 1 job filled, 0 unfilled. Review it, then send the offers."),
        "the proposal is confirmed once: {html}"
    );
    assert!(html.contains("Send the offer"));
    let (_, html, _) = staff.get(&app, &batch_page).await;
    assert!(!html.contains("Proposed:"), "said once only");
    let (status, _, _) = staff
        .post(
            &app,
            &format!("{batch_page}/send"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html, _) = staff.get(&app, &batch_page).await;
    assert!(
        cells(&html).contains("<td>offered</td>")
            && html.contains("Offers sent")
            && html.contains("1 offer sent."),
        "{html}"
    );
    assert!(!html.contains("Send the"));

    // Coverage of the jobs still open (the offered one is held), and a bonus raised there.
    let (_, html, _) = staff.get(&app, "/staff/coverage").await;
    assert!(html.contains("No open jobs."), "{html}");
    let job = app
        .post_json_auth(
            "/api/v1/jobs",
            &scheduler,
            &serde_json::json!({"project_id": project, "location_id": store, "window_start": day(2), "window_end": day(9)}),
        )
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, html, _) = staff.get(&app, "/staff/coverage").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Burger Barn · S1 Chelsea"), "{html}");
    let (status, _, _) = staff
        .post(
            &app,
            &format!("/staff/jobs/{job}/bonus"),
            &[("csrf_token", &csrf), ("bonus_dollars", "12.5")],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let r = app
        .get_auth(&format!("/api/v1/jobs?project_id={project}"), &scheduler)
        .await;
    let jobs: serde_json::Value = r.json().await.unwrap();
    let raised = jobs["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["id"] == job)
        .unwrap();
    assert_eq!(raised["bonus_cents"], 1250);
    let (_, html, _) = staff.get(&app, "/staff/coverage").await;
    assert!(html.contains("set to $12.50."), "{html}");
    // A bonus that is not money comes back beside its job, as typed, and changes nothing.
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/jobs/{job}/bonus"),
            &[("csrf_token", &csrf), ("bonus_dollars", "a lot")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        html.contains(r#"value="a lot""#) && html.contains(r#"class="field-error""#),
        "{html}"
    );
    let (status, html, _) = staff
        .post(
            &app,
            &format!("/staff/jobs/{job}/bonus"),
            &[("csrf_token", &csrf), ("bonus_dollars", "20000")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("This must be from $0 to $10,000."), "{html}");

    let mut shopper = signed_in(&serde_json::json!({"access_token": shopper_token}));
    for path in ["/staff/coverage", "/staff/batches", &batch_page] {
        let (status, _, _) = shopper.get(&app, path).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn mail_tells_shoppers_about_offers_confirmations_reminders_and_new_jobs() {
    use crate::assignments::{job, post, setup};
    use serde_json::json;
    let Some(app) = spawn_app(Backend::Sqlite, "assignment_mail").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    let (ana, ana_token) = panel_member(
        &app,
        &scheduler,
        "ana",
        json!({"consents": {"job_offer_emails": true, "daily_digest": true}}),
        true,
    )
    .await;
    let (ben, _) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    let email = |token: String| {
        let app = &app;
        async move {
            get_json(app, "/api/v1/me", &token).await["email"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let ana_email = email(ana_token.clone()).await;
    let folders = app.mail_folders();

    // An offer (Ana asked for offer mail), with the page to answer it and an unsubscribe link.
    let due_tomorrow = job(&app, &scheduler, project, store, 0, 1).await;
    let (status, offered) = post(
        &app,
        &format!("/api/v1/jobs/{due_tomorrow}/offer"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let mail = wait_for_mail(&folders, &ana_email, "A job is offered to you", 1)
        .await
        .pop()
        .unwrap();
    assert!(
        mail.contains("/shopper/assignments") && mail.contains("Please answer by"),
        "{mail}"
    );
    let start = mail.find("unsubscribe?token=").unwrap() + "unsubscribe?token=".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();

    // Accepted: a confirmation. The window ends tomorrow: one reminder, however often swept.
    let id = offered["id"].as_i64().unwrap();
    let (status, _) = post(
        &app,
        &format!("/api/v1/assignments/{id}/accept"),
        &ana_token,
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    wait_for_mail(&folders, &ana_email, "Your assignment is confirmed", 1).await;
    let notifier = app.state.notifier();
    for _ in 0..2 {
        let n = notifier.clone();
        let now = chrono::Utc::now().naive_utc();
        app.state
            .db
            .run(move |conn| incognito::assignments::deadlines::sweep(conn, &n, now))
            .await
            .unwrap();
    }
    app.state.mail.wake();
    wait_for_mail(
        &folders,
        &ana_email,
        "Reminder: your visit is due tomorrow",
        1,
    )
    .await;
    assert_eq!(
        mail_to(&folders, &ana_email)
            .iter()
            .filter(|m| m.contains("Reminder: your visit"))
            .count(),
        1
    );

    // Ben never asked for offer mail: an offer to him sends none (his confirmation, sent
    // after it, shows the sender got that far).
    let ben_email = get_json(&app, &format!("/api/v1/shoppers/{ben}"), &scheduler).await["email"]
        .as_str()
        .unwrap()
        .to_string();
    let other = job(&app, &scheduler, project, store, 1, 9).await;
    post(
        &app,
        &format!("/api/v1/jobs/{other}/offer"),
        &scheduler,
        json!({"shopper_id": ben}),
    )
    .await;
    let third = job(&app, &scheduler, project, store, 2, 9).await;
    post(
        &app,
        &format!("/api/v1/jobs/{third}/assign"),
        &scheduler,
        json!({"shopper_id": ben}),
    )
    .await;
    wait_for_mail(&folders, &ben_email, "Your assignment is confirmed", 1).await;
    assert!(
        !mail_to(&folders, &ben_email)
            .iter()
            .any(|m| m.contains("A job is offered"))
    );

    // The daily digest lists new jobs Ana may take, once a day.
    let fresh = job(&app, &scheduler, project, store, 3, 9).await;
    let digest = |at: chrono::NaiveDateTime| {
        let n = notifier.clone();
        let keys = app.state.auth.keys.clone();
        let db = app.state.db.clone();
        let live = app.state.live.clone();
        async move {
            db.run(move |conn| {
                incognito::assignments::deadlines::digests(conn, &keys, &live, &n, at)
            })
            .await
            .unwrap()
        }
    };
    let now = chrono::Utc::now().naive_utc();
    assert_eq!(digest(now).await, 1);
    assert_eq!(digest(now).await, 0, "once a day");
    app.state.mail.wake();
    let mail = wait_for_mail(&folders, &ana_email, "new job", 1)
        .await
        .pop()
        .unwrap();
    assert!(mail.contains(&format!("/shopper/jobs/{fresh}")), "{mail}");
    assert!(mail.contains("unsubscribe?token="));

    // The unsubscribe link: a page with one button, then the choice is recorded.
    let mut browser = Browser::default();
    let (status, _, _) = browser
        .get(&app, "/unsubscribe?token=1.job_offer_emails.00")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a forged token");
    let (status, html, _) = browser
        .get(&app, &format!("/unsubscribe?token={token}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Email me when a job is offered to me."),
        "{html}"
    );
    let csrf = csrf_field(&html);
    let (status, html, _) = browser
        .post(
            &app,
            "/unsubscribe",
            &[("csrf_token", &csrf), ("token", &token)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let consents = get_json(&app, "/api/v1/me/consents", &ana_token).await;
    let offers = consents["current"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["purpose"] == "job_offer_emails")
        .unwrap()
        .clone();
    assert_eq!(offers["granted"], false, "{consents}");
    assert!(consents.to_string().contains("unsubscribe_link"));
    app.stop().await;
}

/// The page with the phone layout's cell labels (`data-label="…"`) taken out, to compare cells.
fn cells(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(" data-label=\"") {
        out.push_str(&rest[..at]);
        let after = &rest[at + " data-label=\"".len()..];
        rest = after.find('"').map_or("", |end| &after[end + 1..]);
    }
    out.push_str(rest);
    out
}

/// Times are stored in UTC and read in the reader's zone: a shopper in New York reads an
/// offer's deadline in Eastern time (page and mail), staff read theirs in the panel's zone
/// (`INCOGNITO_TIME_ZONE`, here Los Angeles).
#[tokio::test]
async fn times_are_shown_in_the_readers_zone() {
    use crate::assignments::{job, post, setup};
    use serde_json::json;
    let Some(app) = spawn_app_with(Backend::Sqlite, "time_zones", |s| {
        s.time_zone = chrono_tz::America::Los_Angeles;
    })
    .await
    else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    let (ana, ana_token) = panel_member(
        &app,
        &scheduler,
        "ana",
        json!({"consents": {"job_offer_emails": true}}),
        true,
    )
    .await;
    let ana_email = email_of(&app, &ana_token).await;
    // The window ends tomorrow: the offer lapses at the end of tomorrow (a UTC day).
    let due_tomorrow = job(&app, &scheduler, project, store, 0, 1).await;
    let (status, offered) = post(
        &app,
        &format!("/api/v1/jobs/{due_tomorrow}/offer"),
        &scheduler,
        json!({"shopper_id": ana}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{offered}");
    let deadline =
        chrono::DateTime::parse_from_rfc3339(offered["offer_expires_at"].as_str().unwrap())
            .unwrap()
            .naive_utc();
    let tomorrow = chrono::Utc::now().date_naive().succ_opt().unwrap();
    let new_york = chrono_tz::America::New_York;
    assert_eq!(deadline, tomorrow.and_hms_opt(23, 59, 59).unwrap());
    // Said in New York time: 6:59 PM in winter, 7:59 PM in summer.
    let shown = incognito::zones::shown(deadline, new_york);
    assert!(
        shown.ends_with("6:59 PM EST") || shown.ends_with("7:59 PM EDT"),
        "{shown}"
    );

    let mail = wait_for_mail(
        &app.mail_folders(),
        &ana_email,
        "A job is offered to you",
        1,
    )
    .await
    .pop()
    .unwrap();
    assert!(
        mail.contains(&format!("Please answer by {shown}.")),
        "{mail}"
    );
    assert!(!mail.contains("UTC"), "{mail}");

    let mut browser = signed_in(&json!({"access_token": ana_token}));
    let (_, html, _) = browser.get(&app, "/shopper/assignments").await;
    assert!(html.contains(&format!("answer by {shown}")), "{html}");
    assert!(!html.contains("UTC"), "{html}");

    let mut desk = signed_in(&json!({"access_token": scheduler}));
    let (status, html, _) = desk.get(&app, &format!("/staff/jobs/{due_tomorrow}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(" PST") || html.contains(" PDT"), "{html}");
    assert!(!html.contains("UTC"), "{html}");
    app.stop().await;
}
