//! No IP address is stored whole anywhere: requests from an IPv4 and an IPv6 address (behind a
//! trusted proxy) sign up, fail and succeed at signing in, ask for a password reset and make a
//! privacy request; then no column of the database, no file of the data directory and no log
//! line holds either address. The throttle counts them all the same, by keyed hash.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

on_both_backends!(no_client_address_is_stored_whole);

const V4: &str = "198.51.100.23";
const V6: &str = "2001:db8:85a3:1:2:8a2e:370:7334";

/// Every file under `dir`, as text.
fn every_file(dir: &std::path::Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(every_file(&path));
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    out
}

async fn no_client_address_is_stored_whole(backend: Backend) {
    captured_logs();
    let Some(app) = spawn_app_with(backend, "addresses", |s| s.trust_proxy = true).await else {
        return;
    };
    for address in [V4, V6] {
        let email = unique_email("addr");
        let r = app
            .client
            .post(app.url("/api/v1/auth/register"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": STRONG_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{address}");
        for password in ["wrong password 1", STRONG_PASSWORD] {
            app.login_from(address, &email, password, None).await;
        }
        let r = app
            .client
            .post(app.url("/api/v1/auth/password-reset"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{address}: {}", r.status());
        let r = app
            .client
            .post(app.url("/api/v1/privacy-requests"))
            .header("x-forwarded-for", address)
            .json(&json!({"kind": "know", "email": email}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{address}");
        let r = app
            .client
            .get(app.url("/signin"))
            .header("x-forwarded-for", address)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    // The addresses were counted: the network's hourly limit of privacy requests holds.
    let limit = app.settings.requests_per_address_per_hour;
    let mut refused = false;
    for _ in 0..limit {
        let r = app
            .client
            .post(app.url("/api/v1/privacy-requests"))
            .header("x-forwarded-for", V4)
            .json(&json!({"kind": "know", "email": unique_email("again")}))
            .send()
            .await
            .unwrap();
        refused |= r.status() == StatusCode::TOO_MANY_REQUESTS;
    }
    assert!(refused, "the address was counted, by its hash");

    let values = every_value(&app);
    let files = every_file(&app.data_dir);
    let logs = captured_logs();
    assert!(
        logs.contains("/api/v1/auth/login"),
        "the logs were captured"
    );
    let v6_network = "2001:db8:85a3:1";
    for needle in [V4, V6, v6_network] {
        let found = holding(&values, needle);
        assert!(found.is_empty(), "{needle} is stored in {found:?}");
        let file = files.iter().find(|(_, text)| text.contains(needle));
        assert!(
            file.is_none(),
            "{needle} is in the file {:?}",
            file.map(|f| &f.0)
        );
        let line = logs.lines().find(|l| l.contains(needle));
        assert!(line.is_none(), "{needle} is in the log: {line:?}");
    }
    app.stop().await;
}
