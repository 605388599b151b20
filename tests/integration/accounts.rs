//! Registration, verification, sign-in, refresh, sign-out, reset, roles.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

/// Where the verification mail is read from: the default outbox folder, or a real SMTP server.
#[derive(Clone, Copy)]
pub enum Mail {
    OutboxFolder,
    Smtp,
}

async fn full_flow(backend: Backend, mail: Mail) {
    let test = "register_verify_login_refresh_logout";
    let smtp = match mail {
        Mail::OutboxFolder => None,
        Mail::Smtp => {
            let Some(url) = required_var("INCOGNITO_TEST_SMTP_URL", test) else {
                return;
            };
            let Some(_) = required_var("INCOGNITO_TEST_SMTP_MAILDIR", test) else {
                return;
            };
            Some(url)
        }
    };
    let Some(app) = spawn_app_with(backend, test, |s| {
        if let Some(url) = smtp {
            s.mail_url = incognito::config::MailUrl::Smtp(incognito::config::Secret::new(url));
        }
    })
    .await
    else {
        return;
    };
    let email = unique_email("ana");

    // Arrange: register; the confirmation mail arrives in the outbox folder.
    let r = app.register(&email, STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let before_verify = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(before_verify.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(before_verify).await["code"], "email_not_verified");
    let token = app.mailed_token(&email, "/verify").await;

    // Verify, then the link is spent.
    let r = app
        .post_json("/api/v1/auth/verify", &json!({"token": token}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let again = app
        .post_json("/api/v1/auth/verify", &json!({"token": token}))
        .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);

    // Login.
    let r = app.login(&email.to_uppercase(), STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["expires_in"].as_u64().unwrap() > 0);
    let access = tokens["access_token"].as_str().unwrap();
    let me: Value = app
        .get_auth("/api/v1/me", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], email);
    assert_eq!(me["role"], "shopper");
    assert!(me["id"].as_i64().unwrap() > 0);

    // Refresh: a new pair that works.
    let r = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": tokens["refresh_token"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let renewed: Value = r.json().await.unwrap();
    assert_ne!(renewed["refresh_token"], tokens["refresh_token"]);
    let access2 = renewed["access_token"].as_str().unwrap();
    assert_eq!(
        app.get_auth("/api/v1/me", access2).await.status(),
        StatusCode::OK
    );

    // Logout: both access tokens of the session and its refresh token stop working.
    let r = app
        .post_json_auth("/api/v1/auth/logout", access2, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get_auth("/api/v1/me", access2).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_auth("/api/v1/me", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": renewed["refresh_token"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

async fn register_verify_login_refresh_logout(backend: Backend) {
    full_flow(backend, Mail::OutboxFolder).await;
}

async fn register_verify_login_refresh_logout_with_smtp(backend: Backend) {
    full_flow(backend, Mail::Smtp).await;
}

async fn wrong_password_and_unknown_account_are_refused_alike(backend: Backend) {
    let Some(app) = spawn_app(backend, "wrong_password").await else {
        return;
    };
    let email = unique_email("ben");
    app.signed_up_shopper(&email).await;

    let wrong = app.login(&email, OTHER_STRONG_PASSWORD).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let wrong = problem(wrong).await;
    let unknown = problem(app.login(&unique_email("nobody"), STRONG_PASSWORD).await).await;
    assert_eq!(wrong["code"], "invalid_credentials");
    assert_eq!(
        wrong, unknown,
        "an unknown account must look like a wrong password"
    );
    app.stop().await;
}

async fn repeated_failures_lock_the_account_with_retry_after(backend: Backend) {
    let Some(app) = spawn_app(backend, "throttling").await else {
        return;
    };
    let email = unique_email("cara");
    app.signed_up_shopper(&email).await;

    for _ in 0..app.settings.login_max_failures_per_account {
        assert_eq!(
            app.login(&email, OTHER_STRONG_PASSWORD).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked now, even with the right password.
    let r = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        retry > 0 && retry <= app.settings.login_failure_window.as_secs() + 1,
        "Retry-After {retry}"
    );
    assert_eq!(problem(r).await["code"], "too_many_attempts");
    app.stop().await;
}

#[tokio::test]
async fn many_failures_from_one_address_are_throttled_across_accounts() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "address throttling", |s| {
        s.login_max_failures_per_address = 4;
    })
    .await
    else {
        return;
    };
    for i in 0..4 {
        let r = app
            .login(&format!("guess{i}@example.com"), OTHER_STRONG_PASSWORD)
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    let r = app.login("guess9@example.com", OTHER_STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    app.stop().await;
}

#[tokio::test]
async fn an_account_unlocks_when_the_window_has_passed() {
    let Some(app) = spawn_app_with(Backend::Sqlite, "window", |s| {
        s.login_failure_window = std::time::Duration::from_secs(2);
        s.login_max_failures_per_account = 2;
    })
    .await
    else {
        return;
    };
    let email = unique_email("dev");
    app.signed_up_shopper(&email).await;
    for _ in 0..2 {
        app.login(&email, OTHER_STRONG_PASSWORD).await;
    }
    assert_eq!(
        app.login(&email, STRONG_PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    tokio::time::sleep(std::time::Duration::from_millis(2600)).await;
    assert_eq!(
        app.login(&email, STRONG_PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

async fn reusing_a_rotated_refresh_token_revokes_the_family(backend: Backend) {
    let Some(app) = spawn_app(backend, "refresh reuse").await else {
        return;
    };
    let first = app.signed_up_shopper(&unique_email("eve")).await;
    let r = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    let second: Value = r.json().await.unwrap();

    // Within a moment of the rotation, a second use is refused but ends nothing (two tabs).
    let race = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(race.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(race).await["code"], "refresh_token_already_used");
    assert_eq!(
        app.get_auth("/api/v1/me", second["access_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::OK
    );

    // Later, an attacker replays the first refresh token.
    tokio::time::sleep(std::time::Duration::from_millis(2300)).await;
    let replay = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": first["refresh_token"]}),
        )
        .await;
    assert_eq!(replay.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(problem(replay).await["code"], "refresh_token_reused");

    // The whole family is gone: the legitimate newer tokens too.
    let r = app
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": second["refresh_token"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = app
        .get_auth("/api/v1/me", second["access_token"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

async fn roles_guard_the_admin_route(backend: Backend) {
    let Some(app) = spawn_app(backend, "roles").await else {
        return;
    };
    let shopper = app.signed_up_shopper(&unique_email("fay")).await;
    let staff =
        json!({"email": unique_email("staff"), "password": STRONG_PASSWORD, "role": "scheduler"});

    let r = app.post_json("/api/v1/users", &staff).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers().contains_key("www-authenticate"));
    let r = app
        .post_json_auth(
            "/api/v1/users",
            shopper["access_token"].as_str().unwrap(),
            &staff,
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(r).await["code"], "forbidden");

    // An admin (made with the command line) may; the new account can sign in with its role.
    let admin = app.admin_tokens(&unique_email("root")).await;
    let admin_token = admin["access_token"].as_str().unwrap();
    let r = app
        .post_json_auth("/api/v1/users", admin_token, &staff)
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = app
        .login(staff["email"].as_str().unwrap(), STRONG_PASSWORD)
        .await;
    let tokens: Value = r.json().await.unwrap();
    let me: Value = app
        .get_auth("/api/v1/me", tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "scheduler");

    // The same address twice: 409. An unknown role: 422 naming the field.
    let r = app
        .post_json_auth("/api/v1/users", admin_token, &staff)
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let bad = json!({"email": unique_email("x"), "password": STRONG_PASSWORD, "role": "root"});
    let r = app.post_json_auth("/api/v1/users", admin_token, &bad).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "role");
    app.stop().await;
}

async fn password_reset_by_mail(backend: Backend) {
    let Some(app) = spawn_app(backend, "password reset").await else {
        return;
    };
    let email = unique_email("gil");
    let old = app.signed_up_shopper(&email).await;

    let r = app
        .post_json("/api/v1/auth/password-reset", &json!({"email": email}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    // Unknown addresses get the same answer and no mail.
    let r = app
        .post_json(
            "/api/v1/auth/password-reset",
            &json!({"email": unique_email("ghost")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let token = app.mailed_token(&email, "/password/reset").await;

    let weak = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "password123"}),
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": OTHER_STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    // The link is spent, the old password and the old session are gone, the new password works.
    let r = app
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": token, "password": "another fine long passphrase"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.login(&email, STRONG_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get_auth("/api/v1/me", old["access_token"].as_str().unwrap())
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login(&email, OTHER_STRONG_PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn registering_a_taken_address_answers_the_same_and_warns_its_owner() {
    let Some(app) = spawn_app(Backend::Sqlite, "taken address").await else {
        return;
    };
    let email = unique_email("hal");
    app.signed_up_shopper(&email).await;
    let r = app.register(&email, OTHER_STRONG_PASSWORD).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let incognito::config::MailUrl::Folder(outbox) = app.settings.mail_url.clone() else {
        unreachable!()
    };
    wait_for_mail(&[outbox], &email, "already has one", 1).await;
    // Nothing changed: the first password still works, the second does not.
    assert_eq!(
        app.login(&email, STRONG_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login(&email, OTHER_STRONG_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[tokio::test]
async fn changing_the_password_ends_every_session() {
    let Some(app) = spawn_app(Backend::Sqlite, "change password").await else {
        return;
    };
    let email = unique_email("ida");
    let first = app.signed_up_shopper(&email).await;
    let second: Value = app
        .login(&email, STRONG_PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let token = first["access_token"].as_str().unwrap();

    let r = app
        .post_json_auth("/api/v1/me/password", token, &json!({"current_password": OTHER_STRONG_PASSWORD, "new_password": OTHER_STRONG_PASSWORD}))
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem(r).await["errors"][0]["field"], "current_password");
    let r = app
        .post_json_auth(
            "/api/v1/me/password",
            token,
            &json!({"current_password": STRONG_PASSWORD, "new_password": OTHER_STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);

    for session in [&first, &second] {
        let access = session["access_token"].as_str().unwrap();
        assert_eq!(
            app.get_auth("/api/v1/me", access).await.status(),
            StatusCode::UNAUTHORIZED
        );
        let r = app
            .post_json(
                "/api/v1/auth/refresh",
                &json!({"refresh_token": session["refresh_token"]}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        app.login(&email, OTHER_STRONG_PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn ended_sessions_and_their_tokens_are_deleted_after_their_retention() {
    use diesel::RunQueryDsl;
    let Some(app) = spawn_app(Backend::Sqlite, "session retention").await else {
        return;
    };
    let email = unique_email("old");
    let old = app.signed_up_shopper(&email).await;
    app.post_json_auth(
        "/api/v1/auth/logout",
        old["access_token"].as_str().unwrap(),
        &json!({}),
    )
    .await;
    let current = app.login(&email, STRONG_PASSWORD).await;
    assert_eq!(current.status(), StatusCode::OK);
    let current: Value = current.json().await.unwrap();

    let pool = incognito::db::DbPool::connect(
        &app.settings.database_url,
        1,
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    let mut conn = pool.get().unwrap();
    let count = |conn: &mut incognito::db::DbConnection, table: &str| -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
            .get_result::<N>(conn)
            .unwrap()
            .n
    };
    assert_eq!(count(&mut conn, "sessions"), 2);
    // The signed-out session ended 31 days ago.
    diesel::sql_query(
        "UPDATE sessions SET revoked_at = '2000-01-01 00:00:00' WHERE revoked_at IS NOT NULL",
    )
    .execute(&mut conn)
    .unwrap();
    let keys = incognito::keys::Keys::load_or_create(&app.settings.keys_dir()).unwrap();
    let auth = incognito::auth::Auth::new(&app.settings, keys, app.state.clock.clone());
    incognito::auth::service::purge_expired(&mut conn, &auth).unwrap();

    assert_eq!(
        count(&mut conn, "sessions"),
        1,
        "the old session is gone, the open one stays"
    );
    assert_eq!(count(&mut conn, "refresh_tokens"), 1);
    let me = app
        .get_auth("/api/v1/me", current["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    drop(conn);
    app.stop().await;
}

on_both_backends!(
    register_verify_login_refresh_logout,
    register_verify_login_refresh_logout_with_smtp,
    wrong_password_and_unknown_account_are_refused_alike,
    repeated_failures_lock_the_account_with_retry_after,
    reusing_a_rotated_refresh_token_revokes_the_family,
    roles_guard_the_admin_route,
    password_reset_by_mail,
    parallel_guesses_cannot_pass_the_limit,
    parallel_sign_ups_all_succeed,
);

async fn parallel_guesses_cannot_pass_the_limit(backend: Backend) {
    let Some(app) = spawn_app(backend, "parallel guesses").await else {
        return;
    };
    let email = unique_email("race");
    app.signed_up_shopper(&email).await;
    let limit = app.settings.login_max_failures_per_account as usize;
    let guesses = (0..limit * 3).map(|_| app.login(&email, OTHER_STRONG_PASSWORD));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        wrong <= limit,
        "{wrong} guesses were checked, the limit is {limit}: {statuses:?}"
    );
    assert_eq!(wrong + throttled, statuses.len(), "{statuses:?}");
    app.stop().await;
}

async fn parallel_sign_ups_all_succeed(backend: Backend) {
    let Some(app) = spawn_app(backend, "parallel sign-ups").await else {
        return;
    };
    let emails: Vec<String> = (0..12)
        .map(|i| unique_email(&format!("crowd{i}")))
        .collect();
    let responses =
        futures_util::future::join_all(emails.iter().map(|e| app.register(e, STRONG_PASSWORD)))
            .await;
    for r in responses {
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    for e in &emails {
        app.mailed_token(e, "/verify").await;
    }
    app.stop().await;
}

#[tokio::test]
async fn repeated_sign_ups_with_a_taken_address_send_few_notices() {
    let Some(app) = spawn_app(Backend::Sqlite, "notice flood").await else {
        return;
    };
    let email = unique_email("flood");
    app.signed_up_shopper(&email).await;
    for _ in 0..6 {
        assert_eq!(
            app.register(&email, OTHER_STRONG_PASSWORD).await.status(),
            StatusCode::CREATED
        );
    }
    wait_for_mail(&app.mail_folders(), &email, "already has one", 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    let notices = mail_to(&app.mail_folders(), &email)
        .iter()
        .filter(|m| m.contains("already has one"))
        .count();
    assert_eq!(notices, 3);
    app.stop().await;
}

/// The attack run's finding: `ｓｈｏｐａ@example.com` registered as an account apart from
/// `shopa@example.com`. Now it is the same address, and a mixed-script lookalike is refused.
#[tokio::test]
async fn an_address_typed_in_other_forms_is_the_same_account() {
    let Some(app) = spawn_app(Backend::Sqlite, "email forms").await else {
        return;
    };
    let plain = unique_email("shopa");
    app.signed_up_shopper(&plain).await;
    let (local, domain) = plain.split_once('@').unwrap();
    let wide: String = local
        .chars()
        .map(|c| match c {
            'a'..='z' => char::from_u32(c as u32 - 'a' as u32 + 0xFF41).unwrap(),
            other => other,
        })
        .collect();
    let wide = format!("{wide}@{}", domain.to_uppercase());
    assert_eq!(
        app.register(&wide, OTHER_STRONG_PASSWORD).await.status(),
        StatusCode::CREATED,
        "the same answer as for any address"
    );
    wait_for_mail(&app.mail_folders(), &plain, "already has one", 1).await;
    let r = app.login(&wide, STRONG_PASSWORD).await;
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the owner signs in with either form"
    );

    let lookalike = format!("{}\u{43E}{}", &local[..1], &local[1..]);
    let r = app
        .register(&format!("{lookalike}@{domain}"), STRONG_PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(r).await;
    assert_eq!(p["errors"][0]["field"], "email");
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("different alphabets"),
        "{p}"
    );
    app.stop().await;
}
