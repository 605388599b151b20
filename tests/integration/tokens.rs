//! Every kind of bad access token is refused with 401.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

struct Forger {
    private: EncodingKey,
    public_pem: Vec<u8>,
}

impl Forger {
    fn new(app: &TestApp) -> Self {
        let keys = app.data_dir.join("keys");
        let pem = std::fs::read(keys.join("token-signing-ed25519.pem")).unwrap();
        Self {
            private: EncodingKey::from_ed_pem(&pem).unwrap(),
            public_pem: std::fs::read(keys.join("token-signing-ed25519.pub.pem")).unwrap(),
        }
    }

    /// Signs with the service's own key, as the service would.
    fn sign(&self, claims: &Value) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), claims, &self.private).unwrap()
    }
}

async fn status_with(app: &TestApp, token: &str) -> StatusCode {
    app.get_auth("/api/v1/me", token).await.status()
}

#[tokio::test]
async fn forged_and_misused_tokens_are_refused() {
    let Some(app) = spawn_app(Backend::Sqlite, "forged tokens").await else {
        return;
    };
    let email = unique_email("jo");
    let tokens = app.signed_up_shopper(&email).await;
    let real = tokens["access_token"].as_str().unwrap().to_string();
    let claims = claims_of(&real);
    let forger = Forger::new(&app);

    // Control: a token signed with the real key and the real claims is accepted, so every
    // refusal below is due to the one thing changed.
    assert_eq!(
        status_with(&app, &forger.sign(&claims)).await,
        StatusCode::OK
    );

    let with = |change: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        change(&mut c);
        forger.sign(&c)
    };
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            with(&|c| {
                c["iat"] = json!(now() - 3600);
                c["nbf"] = json!(now() - 3600);
                c["exp"] = json!(now() - 120);
            }),
        ),
        ("not yet valid", with(&|c| c["nbf"] = json!(now() + 3600))),
        (
            "missing aud",
            with(&|c| {
                c.as_object_mut().unwrap().remove("aud");
            }),
        ),
        (
            "missing iss",
            with(&|c| {
                c.as_object_mut().unwrap().remove("iss");
            }),
        ),
        (
            "missing exp",
            with(&|c| {
                c.as_object_mut().unwrap().remove("exp");
            }),
        ),
        (
            "other issuer",
            with(&|c| c["iss"] = json!("https://evil.example")),
        ),
        (
            "mail-link audience",
            with(&|c| c["aud"] = json!(format!("{}/mail-link", c["iss"].as_str().unwrap()))),
        ),
        ("reset type", with(&|c| c["typ"] = json!("reset_password"))),
        (
            "no session",
            with(&|c| {
                c.as_object_mut().unwrap().remove("sid");
            }),
        ),
        ("other user", with(&|c| c["sub"] = json!("999999"))),
        // Issued in the future, or living far longer than the service issues them for.
        (
            "issued in the future",
            with(&|c| c["iat"] = json!(now() + 3600)),
        ),
        (
            "lives until 9999",
            with(&|c| c["exp"] = json!(253_402_300_799_i64)),
        ),
    ];
    // A header naming a critical extension the service does not know (RFC 7515 §4.1.11).
    let crit = {
        let header = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(
                &json!({"alg": "EdDSA", "typ": "JWT", "crit": ["exp-v2"], "exp-v2": 1}),
            )
            .unwrap(),
        );
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
        let signing_input = format!("{header}.{payload}");
        let signature =
            jsonwebtoken::crypto::sign(signing_input.as_bytes(), &forger.private, Algorithm::EdDSA)
                .unwrap();
        format!("{signing_input}.{signature}")
    };
    let cases: Vec<(&str, String)> = cases.into_iter().chain([("unknown crit", crit)]).collect();
    for (name, token) in cases {
        assert_eq!(
            status_with(&app, &token).await,
            StatusCode::UNAUTHORIZED,
            "{name}"
        );
    }

    // Tampered: the payload changed under the original signature, and a changed signature.
    let parts: Vec<&str> = real.split('.').collect();
    let mut edited = claims.clone();
    edited["sub"] = json!("1");
    let swapped = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(edited.to_string()),
        parts[2]
    );
    assert_eq!(
        status_with(&app, &swapped).await,
        StatusCode::UNAUTHORIZED,
        "payload swapped"
    );
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[0] ^= 0x01;
    let flipped = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
    assert_eq!(
        status_with(&app, &flipped).await,
        StatusCode::UNAUTHORIZED,
        "signature flipped"
    );

    // alg: none, unsigned.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    assert_eq!(
        status_with(&app, &unsigned).await,
        StatusCode::UNAUTHORIZED,
        "alg none"
    );

    // HS256 "signed" with the public key as the HMAC secret (key-confusion attack).
    let confused = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(&forger.public_pem),
    )
    .unwrap();
    assert_eq!(
        status_with(&app, &confused).await,
        StatusCode::UNAUTHORIZED,
        "HS256 with public key"
    );

    // Garbage, and a non-Bearer scheme.
    assert_eq!(
        status_with(&app, "not.a.token").await,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Basic {real}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn mailed_link_tokens_never_work_as_access_tokens() {
    let Some(app) = spawn_app(Backend::Sqlite, "link tokens").await else {
        return;
    };
    let email = unique_email("kim");
    assert_eq!(
        app.register(&email, STRONG_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    let verify = app.mailed_token(&email, "/verify").await;
    assert_eq!(
        status_with(&app, &verify).await,
        StatusCode::UNAUTHORIZED,
        "verification token"
    );
    app.post_json("/api/v1/auth/verify", &json!({"token": verify}))
        .await;

    app.post_json("/api/v1/auth/password-reset", &json!({"email": email}))
        .await;
    let reset = app.mailed_token(&email, "/password/reset").await;
    assert_eq!(
        status_with(&app, &reset).await,
        StatusCode::UNAUTHORIZED,
        "reset token"
    );
    // Nor does an access token work as a reset link.
    let tokens: Value = app
        .login(&email, STRONG_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": tokens["access_token"], "password": OTHER_STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[tokio::test]
async fn a_token_issued_before_logout_is_refused() {
    let Some(app) = spawn_app(Backend::Sqlite, "token after logout").await else {
        return;
    };
    let tokens = app.signed_up_shopper(&unique_email("lou")).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(status_with(&app, access).await, StatusCode::OK);
    app.post_json_auth("/api/v1/auth/logout", access, &json!({}))
        .await;
    let r = app.get_auth("/api/v1/me", access).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(r).await["code"], "session_ended");
    app.stop().await;
}

/// A token from a header and claims, signed as `alg` with `key` (or unsigned when None):
/// the attacker writes the header, not the library.
fn hand_made(header: &Value, claims: &Value, key: Option<(&EncodingKey, Algorithm)>) -> String {
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap());
    let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap());
    let input = format!("{header}.{payload}");
    let signature = key.map_or_else(String::new, |(key, alg)| {
        jsonwebtoken::crypto::sign(input.as_bytes(), key, alg).unwrap()
    });
    format!("{input}.{signature}")
}

/// The attack run's 78 token attacks, kept: `alg: none` in every spelling, HMAC keyed with the
/// public key, keys the token brings along (`jwk`, `jku`, `x5u`), hostile `kid`s, and tokens
/// of other kinds. Each is a real token's claims, so only the attack differs.
#[tokio::test]
async fn the_token_attack_set_is_refused() {
    use ed25519_dalek::pkcs8::{EncodePrivateKey, EncodePublicKey};
    let Some(app) = spawn_app(Backend::Sqlite, "token attacks").await else {
        return;
    };
    let tokens = app.signed_up_shopper(&unique_email("mo")).await;
    let real = tokens["access_token"].as_str().unwrap().to_string();
    let claims = claims_of(&real);
    let forger = Forger::new(&app);
    assert_eq!(
        status_with(&app, &forger.sign(&claims)).await,
        StatusCode::OK
    );

    // The attacker's own Ed25519 key, and its public half as a JWK.
    let theirs = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    let their_pem = theirs
        .to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .unwrap();
    let their_key = EncodingKey::from_ed_pem(their_pem.as_bytes()).unwrap();
    let their_public = URL_SAFE_NO_PAD.encode(theirs.verifying_key().as_bytes());
    let their_public_pem = theirs
        .verifying_key()
        .to_public_key_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF)
        .unwrap();
    let jwk = json!({"kty": "OKP", "crv": "Ed25519", "x": their_public});
    let signed_by_them =
        |header: Value| hand_made(&header, &claims, Some((&their_key, Algorithm::EdDSA)));

    let mut cases: Vec<(String, String)> = Vec::new();
    for spelling in ["none", "None", "NONE", "nOnE", "none ", ""] {
        let header = json!({"alg": spelling, "typ": "JWT"});
        cases.push((
            format!("alg {spelling:?} unsigned"),
            hand_made(&header, &claims, None),
        ));
        // ... and with the real signature left on.
        let signature = real.rsplit('.').next().unwrap();
        let unsigned = hand_made(&header, &claims, None);
        cases.push((
            format!("alg {spelling:?} with a signature"),
            format!("{unsigned}{signature}"),
        ));
    }
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        for (what, secret) in [
            ("public key PEM", forger.public_pem.clone()),
            (
                "attacker's public PEM",
                their_public_pem.as_bytes().to_vec(),
            ),
            ("empty secret", Vec::new()),
        ] {
            let header = json!({"alg": format!("{alg:?}"), "typ": "JWT"});
            let key = EncodingKey::from_secret(&secret);
            cases.push((
                format!("{alg:?} keyed with the {what}"),
                hand_made(&header, &claims, Some((&key, alg))),
            ));
        }
    }
    cases.push((
        "the attacker's key, no hint".into(),
        signed_by_them(json!({"alg": "EdDSA", "typ": "JWT"})),
    ));
    cases.push((
        "an embedded jwk".into(),
        signed_by_them(json!({"alg": "EdDSA", "typ": "JWT", "jwk": jwk})),
    ));
    cases.push((
        "a jku".into(),
        signed_by_them(
            json!({"alg": "EdDSA", "typ": "JWT", "jku": "https://evil.example/jwks.json"}),
        ),
    ));
    cases.push((
        "an x5u".into(),
        signed_by_them(
            json!({"alg": "EdDSA", "typ": "JWT", "x5u": "https://evil.example/cert.pem"}),
        ),
    ));
    cases.push((
        "an x5c".into(),
        signed_by_them(json!({"alg": "EdDSA", "typ": "JWT", "x5c": ["MIIB"]})),
    ));
    for kid in [
        "../../../../dev/null",
        "/dev/null",
        "' OR '1'='1",
        "token-signing-ed25519.pub.pem",
        "\u{0}",
        "https://evil.example/key",
    ] {
        cases.push((
            format!("kid {kid:?}, the attacker's key"),
            signed_by_them(json!({"alg": "EdDSA", "typ": "JWT", "kid": kid})),
        ));
        let empty = EncodingKey::from_secret(b"");
        cases.push((
            format!("kid {kid:?}, HS256 with an empty secret"),
            hand_made(
                &json!({"alg": "HS256", "typ": "JWT", "kid": kid}),
                &claims,
                Some((&empty, Algorithm::HS256)),
            ),
        ));
    }
    // Another kind of token where an access token is wanted.
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    cases.push(("the refresh token".into(), refresh));
    let device = tokens["device_token"].as_str().unwrap().to_string();
    cases.push(("the device token".into(), device));
    for (name, token) in cases {
        let r = app.get_auth("/api/v1/me", &token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{name}"
        );
    }
    app.stop().await;
}

/// A token stops working when its session ends: after a password change (here or by a reset
/// link) and when an administrator disables the account.
#[tokio::test]
async fn tokens_end_with_a_password_change_a_reset_and_a_disabled_account() {
    let Some(app) = spawn_app(Backend::Sqlite, "tokens end").await else {
        return;
    };
    let email = unique_email("pat");
    let first = access(&app.signed_up_shopper(&email).await);
    let second = access(
        &app.login(&email, STRONG_PASSWORD)
            .await
            .json()
            .await
            .unwrap(),
    );
    let r = app
        .post_json_auth(
            "/api/v1/me/password",
            &first,
            &json!({"current_password": STRONG_PASSWORD, "new_password": OTHER_STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    for token in [&first, &second] {
        assert_eq!(status_with(&app, token).await, StatusCode::UNAUTHORIZED);
    }

    let third = access(
        &app.login(&email, OTHER_STRONG_PASSWORD)
            .await
            .json()
            .await
            .unwrap(),
    );
    app.post_json("/api/v1/auth/password-reset", &json!({"email": email}))
        .await;
    let link = app.mailed_token(&email, "/password/reset").await;
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": link, "password": "quiet harbour lantern mosaic"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(status_with(&app, &third).await, StatusCode::UNAUTHORIZED);

    let (admin, scheduler) = admin_and_scheduler(&app).await;
    assert_eq!(status_with(&app, &scheduler).await, StatusCode::OK);
    let me = get_json(&app, "/api/v1/me", &scheduler).await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/users/{}/disable", me["id"]),
            &admin,
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        status_with(&app, &scheduler).await,
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}
