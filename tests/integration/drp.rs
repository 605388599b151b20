//! The Data Rights Protocol (DRP 0.9.4) as an authorised agent speaks it: registered by the
//! privacy officer, it sets up its pair-wise token with a signed message, exercises rights with
//! signed requests, follows their status by polling and by callbacks to a server of its own on
//! loopback, and revokes; the person confirms by the link mailed to them. Forged, expired,
//! replayed, foreign and unsigned messages are refused.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::pages::{Browser, csrf_field};

on_both_backends!(
    an_agent_exercises_rights_and_follows_them_to_the_end,
    forged_expired_replayed_and_foreign_messages_are_refused,
);

/// An agent as the test plays it: its key, id and token.
struct Agent {
    id: String,
    key: SigningKey,
    token: String,
}

fn verify_key(key: &SigningKey) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes())
}

/// libsodium's combined mode: the signature, then the message, all base64.
fn sign(key: &SigningKey, message: &Value) -> String {
    let json = serde_json::to_vec(message).unwrap();
    let mut signed = key.sign(&json).to_bytes().to_vec();
    signed.extend_from_slice(&json);
    base64::engine::general_purpose::STANDARD.encode(signed)
}

fn iso(app: &TestApp, seconds_from_now: i64) -> String {
    (app.state.clock.naive() + chrono::TimeDelta::seconds(seconds_from_now))
        .and_utc()
        .to_rfc3339()
}

fn envelope(app: &TestApp, agent_id: &str) -> Value {
    json!({
        "agent-id": agent_id,
        "business-id": "INCOGNITO",
        "issued-at": iso(app, -5),
        "expires-at": iso(app, 600),
        "drp.version": "0.9.4",
    })
}

/// A signed revoke's message: the envelope and the reason.
fn revoking(app: &TestApp, agent_id: &str, reason: &str) -> Value {
    let mut message = envelope(app, agent_id);
    message["reason"] = json!(reason);
    message
}

/// A status callback server on loopback: every body posted to it, in order.
fn callback_server() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}/drp", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let got = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            // Headers, then as much body as Content-Length says.
            let body = loop {
                let n = stream.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap())
                        })
                        .unwrap_or(0);
                    if buf.len() >= end + 4 + length {
                        break Some(buf[end + 4..end + 4 + length].to_vec());
                    }
                }
            };
            if let Some(v) = body.and_then(|b| serde_json::from_slice::<Value>(&b).ok()) {
                got.lock().unwrap().push(v);
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (base, seen)
}

/// Waits until a callback about `request_id` with `status` arrives.
async fn callback_with(seen: &Arc<Mutex<Vec<Value>>>, request_id: &str, status: &str) -> Value {
    for _ in 0..100 {
        if let Some(v) = seen
            .lock()
            .unwrap()
            .iter()
            .find(|v| v["request_id"] == request_id && v["status"] == status)
        {
            return v.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!(
        "no callback {status} for {request_id}; got {:?}",
        seen.lock().unwrap()
    );
}

async fn register(app: &TestApp, officer: &str, id: &str, seed: u8, callbacks: &str) -> SigningKey {
    let key = SigningKey::from_bytes(&[seed; 32]);
    let r = app
        .post_json_auth(
            "/api/v1/privacy/agents",
            officer,
            &json!({"id": id, "name": format!("Agent {id}"), "verify_key": verify_key(&key),
                    "callback_base": callbacks, "technical_contact": "tech@agent.example"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    key
}

async fn send(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<String>,
) -> (StatusCode, Value) {
    let mut request = app.client.request(method, app.url(path));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some(b) = body {
        request = request.header("content-type", "text/plain").body(b);
    }
    let r = request.send().await.unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A signed message posted to the exercise endpoint with `token`.
async fn post_exercise(app: &TestApp, token: Option<&str>, body: String) -> (StatusCode, Value) {
    send(
        app,
        reqwest::Method::POST,
        "/drp/v1/data-rights-request",
        token,
        Some(body),
    )
    .await
}

async fn pair(app: &TestApp, id: &str, key: SigningKey) -> Agent {
    let (status, body) = send(
        app,
        reqwest::Method::POST,
        &format!("/drp/v1/agent/{id}"),
        None,
        Some(sign(&key, &envelope(app, id))),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["agent-id"], id);
    Agent {
        id: id.to_string(),
        key,
        token: body["token"].as_str().unwrap().to_string(),
    }
}

async fn exercise(app: &TestApp, agent: &Agent, claims: Value) -> (StatusCode, Value) {
    let mut message = envelope(app, &agent.id);
    for (k, v) in claims.as_object().unwrap() {
        message[k] = v.clone();
    }
    send(
        app,
        reqwest::Method::POST,
        "/drp/v1/data-rights-request",
        Some(&agent.token),
        Some(sign(&agent.key, &message)),
    )
    .await
}

async fn status_of(app: &TestApp, agent: &Agent, id: &str) -> (StatusCode, Value) {
    send(
        app,
        reqwest::Method::GET,
        &format!("/drp/v1/data-rights-request/{id}"),
        Some(&agent.token),
        None,
    )
    .await
}

/// The confirmation link of the newest of the `n` mails to `to` about an agent's requests.
pub(crate) async fn confirmation_link(app: &TestApp, to: &str, n: usize) -> String {
    let mails = wait_for_mail(&app.mail_folders(), to, "asked us on your behalf", n).await;
    mails
        .iter()
        .filter_map(|mail| {
            let at = mail.find("/privacy-requests/")?;
            let end = mail[at..]
                .find(char::is_whitespace)
                .map_or(mail.len(), |e| at + e);
            let link = mail[at..end].to_string();
            let id: i64 = link.split('/').nth(2)?.parse().ok()?;
            Some((id, link))
        })
        .max()
        .unwrap_or_else(|| panic!("no confirmation link in {mails:?}"))
        .1
}

pub(crate) async fn answer(app: &TestApp, link: &str, yes: bool) -> String {
    let mut person = Browser::default();
    let (status, html, _) = person.get(app, link).await;
    assert_eq!(status, StatusCode::OK, "{link}: {html}");
    assert!(html.contains("Did you ask "), "{html}");
    let csrf = csrf_field(&html);
    let token = link.split("token=").nth(1).unwrap().to_string();
    let action = link.split('?').next().unwrap();
    let (status, html, _) = person
        .post(
            app,
            action,
            &[
                ("csrf_token", &csrf),
                ("token", &token),
                ("answer", if yes { "yes" } else { "no" }),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    html
}

async fn an_agent_exercises_rights_and_follows_them_to_the_end(backend: Backend) {
    let Some(app) = spawn_app(backend, "drp").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let (callbacks, seen) = callback_server();
    let key = register(&app, &officer, "TEST_AGENT", 7, &callbacks).await;
    let agent = pair(&app, "TEST_AGENT", key).await;
    let (status, info) = send(
        &app,
        reqwest::Method::GET,
        "/drp/v1/agent/TEST_AGENT",
        Some(&agent.token),
        None,
    )
    .await;
    assert_eq!((status, info), (StatusCode::OK, json!({})));

    let (_, token) = panel_member(
        &app,
        &scheduler,
        "dora",
        json!({"consents": {"share_name_address": true}}),
        true,
    )
    .await;
    let email = email_of(&app, &token).await;
    let person = json!({
        "name": "dora Tester", "email": email, "email_verified": true,
        "address": {"street_address": "1 Main St", "postal_code": "10001"},
        "regime": "ccpa", "relationships": [],
    });

    // Access: in progress, waiting for the person, who is mailed a link.
    let mut claims = person.clone();
    claims["exercise"] = json!("access");
    claims["agent-request-id"] = json!("ar-1");
    claims["status_callback"] = json!(format!("{callbacks}/status"));
    let (status, access) = exercise(&app, &agent, claims).await;
    assert_eq!(status, StatusCode::OK, "{access}");
    assert_eq!(access["status"], "in_progress");
    assert_eq!(access["reason"], "need_user_verification");
    assert_eq!(access["agent_request_id"], "ar-1");
    assert!(
        access["user_verification_url"]
            .as_str()
            .unwrap()
            .contains("/confirm")
    );
    let request_id = access["request_id"].as_str().unwrap().to_string();
    assert_eq!(request_id.len(), 36, "a UUID: {request_id}");
    callback_with(&seen, &request_id, "in_progress").await;

    // The person confirms by the mailed link; the agent sees it go on.
    let link = confirmation_link(&app, &email, 1).await;
    let html = answer(&app, &link, true).await;
    assert!(html.contains("it is confirmed"), "{html}");
    let (_, now) = status_of(&app, &agent, &request_id).await;
    assert_eq!(now["status"], "in_progress");
    assert!(now["reason"].is_null(), "{now}");

    // The officer completes it (the copy is made); the agent is told by callback and by status.
    let queue = get_json(&app, "/api/v1/privacy-requests", &officer).await;
    let ours = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["channel"] == "drp" && r["kind"] == "access")
        .unwrap_or_else(|| panic!("{queue}"))["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post_json_auth(
            &format!("/api/v1/privacy-requests/{ours}/complete"),
            &officer,
            &json!({"note": "Your copy is ready."}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (_, done) = status_of(&app, &agent, &request_id).await;
    assert_eq!(done["status"], "fulfilled", "{done}");
    assert!(done["expires_at"].is_string(), "{done}");
    callback_with(&seen, &request_id, "fulfilled").await;

    // Deletion, then revoked by the agent before the person answers: the link stops working.
    let mut claims = person.clone();
    claims["exercise"] = json!("deletion");
    let (_, deletion) = exercise(&app, &agent, claims).await;
    let deletion_id = deletion["request_id"].as_str().unwrap().to_string();
    let link = confirmation_link(&app, &email, 2).await;
    let revoke = sign(&agent.key, &revoking(&app, &agent.id, "I changed my mind"));
    let (status, revoked) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/drp/v1/data-rights-request/{deletion_id}"),
        Some(&agent.token),
        Some(revoke.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["status"], "revoked");
    assert!(
        get_json(&app, "/api/v1/me", &token).await["email"] == email,
        "not deleted"
    );
    let mut person_browser = Browser::default();
    let (status, _, _) = person_browser.get(&app, &link).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "the link no longer works");
    let (status, again) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/drp/v1/data-rights-request/{deletion_id}"),
        Some(&agent.token),
        Some(sign(&agent.key, &revoking(&app, &agent.id, "again"))),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // A person who did not ask says so: denied as suspected fraud.
    let mut claims = person.clone();
    claims["exercise"] = json!("access:categories");
    let (_, know) = exercise(&app, &agent, claims).await;
    let link = confirmation_link(&app, &email, 3).await;
    answer(&app, &link, false).await;
    let (_, refused) = status_of(&app, &agent, know["request_id"].as_str().unwrap()).await;
    assert_eq!(
        (refused["status"].as_str(), refused["reason"].as_str()),
        (Some("denied"), Some("suspected_fraud"))
    );

    // An opt-out is carried out at once: she is out of every later share.
    let mut claims = person.clone();
    claims["exercise"] = json!("sale:opt_out");
    let (_, opt_out) = exercise(&app, &agent, claims).await;
    assert_eq!(opt_out["status"], "fulfilled", "{opt_out}");
    let choices = get_json(&app, "/api/v1/me/consents", &token).await;
    assert!(
        choices.to_string().contains("privacy_request"),
        "the no is recorded as the request's: {choices}"
    );

    // A request the person never answers: after 7 days it is denied as not verified, and
    // the agent is told by its callback.
    let mut claims = person.clone();
    claims["exercise"] = json!("deletion");
    claims["status_callback"] = json!(format!("{callbacks}/status"));
    let (_, unanswered) = exercise(&app, &agent, claims).await;
    let unanswered = unanswered["request_id"].as_str().unwrap().to_string();
    app.state.clock.advance(chrono::TimeDelta::days(8)).unwrap();
    let lapsed = callback_with(&seen, &unanswered, "denied").await;
    assert_eq!(lapsed["reason"], "insuf_verification", "{lapsed}");

    // Nobody here with this address: denied, no_match; nobody mailed.
    let (_, unknown) = exercise(
        &app,
        &agent,
        json!({"exercise": "deletion", "email": "nobody@nowhere.example"}),
    )
    .await;
    assert_eq!(
        (unknown["status"].as_str(), unknown["reason"].as_str()),
        (Some("denied"), Some("no_match"))
    );
    app.stop().await;
}

async fn forged_expired_replayed_and_foreign_messages_are_refused(backend: Backend) {
    let Some(app) = spawn_app(backend, "drp refusals").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (officer, _) = privacy_officer(&app, &admin).await;
    let (callbacks, _) = callback_server();
    let key = register(&app, &officer, "FIRST", 11, &callbacks).await;
    let other_key = register(&app, &officer, "SECOND", 12, &callbacks).await;

    // Registering: every bad field named in words; an id registered twice refused.
    let r = app
        .post_json_auth(
            "/api/v1/privacy/agents",
            &officer,
            &json!({"id": "lower case", "name": "X", "verify_key": "not a key",
                    "callback_base": "ftp://agent.example", "technical_contact": "nobody"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = r.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "id",
            "name",
            "verify_key",
            "callback_base",
            "technical_contact"
        ],
        "{problem}"
    );
    let r = app
        .post_json_auth(
            "/api/v1/privacy/agents",
            &officer,
            &json!({"id": "FIRST", "name": "Again", "verify_key": verify_key(&key),
                    "technical_contact": "tech@agent.example"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // Pairing with a message signed by another key, or for another business: a bare 403.
    let forged = sign(&other_key, &envelope(&app, "FIRST"));
    let r = app
        .client
        .post(app.url("/drp/v1/agent/FIRST"))
        .body(forged)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text().await.unwrap().is_empty(),
        "no body, as the protocol says"
    );
    let mut elsewhere = envelope(&app, "FIRST");
    elsewhere["business-id"] = json!("SOMEONE_ELSE");
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/drp/v1/agent/FIRST",
        None,
        Some(sign(&key, &elsewhere)),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A pairing message works once.
    let pairing = sign(&key, &envelope(&app, "FIRST"));
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/drp/v1/agent/FIRST",
        None,
        Some(pairing.clone()),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(
        &app,
        reqwest::Method::POST,
        "/drp/v1/agent/FIRST",
        None,
        Some(pairing),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a replayed pairing message");
    let first = pair(&app, "FIRST", key).await;
    let second = pair(&app, "SECOND", other_key).await;
    let (_, token) = panel_member(&app, &scheduler, "ella", json!({}), true).await;
    let email = email_of(&app, &token).await;

    // No token, or a person's own token: 403.
    let message = {
        let mut m = envelope(&app, "FIRST");
        m["exercise"] = json!("access");
        m["email"] = json!(email);
        m
    };
    let (status, body) = post_exercise(&app, None, sign(&first.key, &message)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "403");
    let (status, _) = post_exercise(&app, Some(&token), sign(&first.key, &message)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Signed by another key than the token's agent: 403.
    let (status, body) = post_exercise(&app, Some(&first.token), sign(&second.key, &message)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("signature"),
        "{body}"
    );
    // One agent's message sent with another's token: its agent-id is not the token's.
    let (status, _) = post_exercise(&app, Some(&second.token), sign(&second.key, &message)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A byte changed after signing.
    let mut tampered = base64::engine::general_purpose::STANDARD
        .decode(sign(&first.key, &message))
        .unwrap();
    let last = tampered.len() - 3;
    tampered[last] ^= 1;
    let (status, _) = post_exercise(
        &app,
        Some(&first.token),
        base64::engine::general_purpose::STANDARD.encode(tampered),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Not base64 at all.
    let (status, body) = post_exercise(
        &app,
        Some(&first.token),
        "{\"exercise\": \"access\"}".into(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");

    // Expired, or issued in the future: refused, fatal.
    let mut expired = message.clone();
    expired["issued-at"] = json!(iso(&app, -1200));
    expired["expires-at"] = json!(iso(&app, -600));
    let (status, body) = post_exercise(&app, Some(&first.token), sign(&first.key, &expired)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["fatal"], true);
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    let mut future = message.clone();
    future["issued-at"] = json!(iso(&app, 3600));
    future["expires-at"] = json!(iso(&app, 4000));
    let (status, _) = post_exercise(&app, Some(&first.token), sign(&first.key, &future)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A right this business does not take, and a callback outside the registered address.
    let mut opt_in = message.clone();
    opt_in["exercise"] = json!("sale:opt_in");
    let (status, body) = post_exercise(&app, Some(&first.token), sign(&first.key, &opt_in)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(
        body["message"].as_str().unwrap().contains("sale:opt_in"),
        "{body}"
    );
    let mut elsewhere = message.clone();
    elsewhere["status_callback"] = json!("http://127.0.0.1:9/steal");
    let (status, _) = post_exercise(&app, Some(&first.token), sign(&first.key, &elsewhere)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The right message works once; replayed, it is refused.
    let signed = sign(&first.key, &message);
    let (status, made) = post_exercise(&app, Some(&first.token), signed.clone()).await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let (status, _) = post_exercise(&app, Some(&first.token), signed.clone()).await;
    assert_eq!(status, StatusCode::CONFLICT);
    // The same message encoded otherwise is the same message.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(&signed)
        .unwrap();
    let (status, _) = post_exercise(
        &app,
        Some(&first.token),
        base64::engine::general_purpose::URL_SAFE.encode(bytes),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "re-encoded, replayed all the same"
    );
    // Callbacks only under the registered address: not a neighbour of its path, not by way
    // of a user name before another host.
    for outside in [
        format!("{callbacks}x/status"),
        callbacks.replace("http://", "http://agent@10.0.0.5/?"),
        callbacks.replace("http://127.0.0.1", "http://localhost"),
    ] {
        let mut m = message.clone();
        m["status_callback"] = json!(outside);
        m["agent-request-id"] = json!(outside);
        let (status, body) = post_exercise(&app, Some(&first.token), sign(&first.key, &m)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{outside}: {body}");
    }

    // Another agent may not read or revoke it.
    let id = made["request_id"].as_str().unwrap();
    let (status, _) = status_of(&app, &second, id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        &app,
        reqwest::Method::DELETE,
        &format!("/drp/v1/data-rights-request/{id}"),
        Some(&second.token),
        Some(sign(&second.key, &revoking(&app, "SECOND", "x"))),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = status_of(&app, &first, "no-such-request").await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The agent information endpoint: another agent's id with this token is refused.
    let (status, _) = send(
        &app,
        reqwest::Method::GET,
        "/drp/v1/agent/SECOND",
        Some(&first.token),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // A revoked agent's token stops working at once.
    let r = app
        .post_json_auth("/api/v1/privacy/agents/FIRST/revoke", &officer, &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, _) = status_of(&app, &first, id).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.stop().await;
}
