//! Health, readiness, metrics, the API description, logs and graceful shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer() {
    let Some(app) = spawn_app(Backend::Sqlite, "health").await else {
        return;
    };
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["database"], "ok");
    assert_eq!(body["data_dir"], "ok");
    app.stop().await;
}

#[tokio::test]
async fn readiness_fails_when_postgresql_goes_away() {
    let Some(app) = spawn_app(Backend::Postgres, "readyz on postgres").await else {
        return;
    };
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Take the database away under the running app: readiness says so with 503, not a hang or 500.
    let incognito::config::DatabaseUrl::Postgres(url) = &app.settings.database_url else {
        unreachable!()
    };
    let name = url.expose().rsplit('/').next().unwrap().to_string();
    let admin = std::env::var("INCOGNITO_TEST_POSTGRES_URL").unwrap();
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&admin).unwrap();
    diesel::RunQueryDsl::execute(
        diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)")),
        &mut conn,
    )
    .unwrap();
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["database"], "unreachable");
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_report_the_outbox() {
    let Some(app) = spawn_app(Backend::Sqlite, "metrics").await else {
        return;
    };
    for _ in 0..3 {
        app.client.get(app.url("/healthz")).send().await.unwrap();
    }
    app.login("nobody@example.com", STRONG_PASSWORD).await;
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains(
            r#"incognito_http_requests_total{method="GET",route="/healthz",status="200"} 3"#
        ),
        "{text}"
    );
    assert!(text.contains(r#"incognito_http_requests_total{method="POST",route="/api/v1/auth/login",status="401"} 1"#), "{text}");
    assert!(
        text.contains("incognito_http_request_duration_seconds_bucket{"),
        "{text}"
    );
    assert!(text.contains("incognito_mail_outbox_backlog "), "{text}");
    assert!(text.contains("incognito_db_pool_connections "), "{text}");
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_describes_every_json_route() {
    let Some(app) = spawn_app(Backend::Sqlite, "openapi").await else {
        return;
    };
    let doc: Value = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for (path, method) in [
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/verify", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/auth/password-reset", "post"),
        ("/api/v1/auth/password-reset/confirm", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me/password", "post"),
        ("/api/v1/users", "post"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(doc["paths"]["/api/v1/me"]["get"]["security"].is_array());

    // One operation per move, each with its own body; no catch-all path.
    let paths = doc["paths"].as_object().unwrap();
    for action in [
        "accept",
        "decline",
        "cancel",
        "reschedule",
        "visit",
        "reassign",
        "location-closed",
    ] {
        let op = &doc["paths"][format!("/api/v1/assignments/{{id}}/{action}")]["post"];
        assert!(op["requestBody"].is_object(), "{action}: {op}");
    }
    for action in ["approve", "suspend", "reinstate"] {
        let op = &doc["paths"][format!("/api/v1/shoppers/{{id}}/{action}")]["post"];
        assert!(op["requestBody"].is_object(), "{action}");
    }
    assert!(
        !paths.keys().any(|p| p.contains("{action}")),
        "a catch-all move path is left"
    );
    let body_of = |name: &str| {
        doc["paths"][format!("/api/v1/assignments/{{id}}/{name}")]["post"]["requestBody"]["content"]
            ["application/json"]["schema"]
            .to_string()
    };
    assert_ne!(body_of("accept"), body_of("cancel"));
    assert!(
        doc["components"]["schemas"]["RequiredReason"]["required"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("reason"))
    );

    // The document is true to the routes: every path parameter declared, no query parameter
    // passed off as one, and every shared answer an operation may give listed (declared once).
    let shared = doc["components"]["responses"].as_object().unwrap();
    for name in [
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Invalid",
    ] {
        assert!(shared.contains_key(name), "{name} is not declared");
    }
    let mut problems = Vec::new();
    for (path, item) in paths {
        let template: std::collections::BTreeSet<String> = path
            .split('/')
            // A parameter is a whole segment (`{id}`) or its start (`{id}.csv`).
            .filter_map(|part| {
                part.strip_prefix('{')?
                    .split_once('}')
                    .map(|(name, _)| name)
            })
            .map(str::to_string)
            .collect();
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let in_path: std::collections::BTreeSet<String> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            if in_path != template {
                problems.push(format!("{method} {path}: path parameters {in_path:?}"));
            }
            let answers = op["responses"].as_object().unwrap();
            let mut expected = vec!["500", "503"];
            if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                expected.extend(["401", "403"]);
            }
            if !template.is_empty() {
                expected.extend(["400", "404"]);
            }
            if op["requestBody"].is_object() {
                expected.extend(["400", "413", "415", "422"]);
            }
            for status in expected {
                if !answers.contains_key(status) {
                    problems.push(format!("{method} {path}: {status} is not documented"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    // Shared answers are referred to, not written out again and again.
    let text = doc.to_string();
    assert!(
        text.matches("#/components/responses/").count() > 100,
        "shared answers are not referred to"
    );
    // A problem answer written out in an operation says something of its own.
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            for (status, answer) in op["responses"].as_object().unwrap() {
                if answer["content"]["application/problem+json"].is_object() {
                    let said = answer["description"].as_str().unwrap_or_default();
                    let generic = said.is_empty()
                        || shared
                            .values()
                            .any(|s| s["description"].as_str() == Some(said));
                    assert!(
                        !generic,
                        "{method} {path} {status}: write it once, refer to it"
                    );
                }
            }
        }
    }
    app.stop().await;
}

#[test]
fn sigterm_stops_the_server_cleanly_and_json_logs_carry_the_request_id() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port) = serve_binary(dir.path());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
            s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .unwrap();
            let mut answer = String::new();
            let _ = s.read_to_string(&mut answer);
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            break;
        }
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A request is in flight (its body half sent) when SIGTERM arrives: it must still be answered.
    let body = br#"{"email":"late@example.com","password":"correct horse battery staple"}"#;
    let mut in_flight = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        in_flight,
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    in_flight.write_all(&body[..10]).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    std::thread::sleep(Duration::from_millis(500));
    in_flight.write_all(&body[10..]).unwrap();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the in-flight request was not answered: {answer:?}"
    );
    let started = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "no exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(exit.success(), "exit status {exit}");

    let lines: Vec<String> = BufReader::new(child.stderr.take().unwrap())
        .lines()
        .map_while(Result::ok)
        .collect();
    assert!(!lines.is_empty());
    for line in &lines {
        let parsed: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(parsed["level"].is_string(), "{line}");
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("request_id") && l.contains("/healthz")),
        "no request line with a request id:\n{}",
        lines.join("\n")
    );
}

/// A role or state in the database that this code does not know (written by another program,
/// or a newer version) is a server error, logged with the value, never read as a default; the
/// answer does not carry the cause.
#[tokio::test]
async fn an_unknown_stored_value_is_a_logged_server_error_not_a_default() {
    let dir = tempfile::tempdir().unwrap();
    let demo = Command::new(env!("CARGO_BIN_EXE_incognito"))
        .args(["demo", "--seed", "5"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("INCOGNITO_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let password = demo_password(&String::from_utf8_lossy(&demo.stdout));
    {
        use diesel::prelude::*;
        let mut conn =
            diesel::SqliteConnection::establish(&dir.path().join("incognito.db").to_string_lossy())
                .unwrap();
        diesel::sql_query("PRAGMA ignore_check_constraints = ON")
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(
            "UPDATE assignments SET state = 'teleported' WHERE id = (SELECT min(id) FROM assignments)",
        )
        .execute(&mut conn)
        .unwrap();
        diesel::sql_query(
            "UPDATE users SET role = 'superuser' WHERE email = 'qa@demo.example.com'",
        )
        .execute(&mut conn)
        .unwrap();
    }
    let job: i64 = {
        use diesel::prelude::*;
        let mut conn =
            diesel::SqliteConnection::establish(&dir.path().join("incognito.db").to_string_lossy())
                .unwrap();
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            job_id: i64,
        }
        diesel::sql_query("SELECT job_id FROM assignments WHERE state = 'teleported'")
            .get_result::<Row>(&mut conn)
            .unwrap()
            .job_id
    };

    let (mut child, port) = serve_binary(dir.path());
    // Read the log as it comes, so that a full pipe never stops the server.
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut logs = String::new();
        let _ = stderr.read_to_string(&mut logs);
        logs
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let login = |email: &'static str| {
        let (client, base, password) = (client.clone(), base.clone(), password.clone());
        async move {
            client
                .post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    let r = login("scheduler@demo.example.com").await;
    assert_eq!(r.status(), StatusCode::OK);
    let token = r.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let r = client
        .get(format!("{base}/api/v1/jobs/{job}/assignments"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = r.text().await.unwrap();
    assert!(
        !body.contains("teleported"),
        "the cause stays in the log: {body}"
    );
    // The account whose role is unknown is not signed in as anything.
    let r = login("qa@demo.example.com").await;
    assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let logs = reader.join().unwrap();
    assert!(
        logs.contains("unknown assignment state stored in the database")
            && logs.contains("teleported"),
        "{logs}"
    );
    assert!(
        logs.contains("unknown role stored in the database"),
        "{logs}"
    );
}

/// Starts `incognito serve` as an operator would, on this data directory, a free port and JSON
/// logs on a piped standard error.
fn serve_binary(data_dir: &std::path::Path) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_incognito"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("INCOGNITO_DATA_DIR", data_dir)
        .env("INCOGNITO_BIND", format!("127.0.0.1:{port}"))
        .env("INCOGNITO_LOG_FORMAT", "json")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    (child, port)
}
