//! Resumable uploads (tus 1.0) as a phone that loses its connection speaks them, and the
//! crash between a file's objects and its row: the server killed there leaves objects no row
//! names, never a row without its object, and the sweep clears them.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, setup};
use crate::helpers::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/audio")
            .join(name),
    )
    .unwrap()
}

fn base64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

async fn create(app: &TestApp, token: &str, assignment: i64, length: usize) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/api/v1/assignments/{assignment}/uploads")))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Length", length.to_string())
        .header(
            "Upload-Metadata",
            format!(
                "question {},filename {}",
                base64("recording"),
                base64("visit.webm")
            ),
        )
        .send()
        .await
        .unwrap()
}

async fn head(app: &TestApp, token: &str, location: &str) -> reqwest::Response {
    app.client
        .head(app.url(location))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap()
}

async fn patch(
    app: &TestApp,
    token: &str,
    location: &str,
    offset: usize,
    body: Vec<u8>,
) -> reqwest::Response {
    app.client
        .patch(app.url(location))
        .bearer_auth(token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .header("Content-Type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await
        .unwrap()
}

fn number(r: &reqwest::Response, name: &str) -> usize {
    r.headers()[name].to_str().unwrap().parse().unwrap()
}

async fn with_recording_question(app: &TestApp, scheduler: &str, project: i64) {
    let doc = json!({"title": "Visit", "sections": [{"title": "Proof", "questions": [
        {"name": "recording", "label": "Recording of the visit", "kind": "audio",
         "files": {"min": 1, "max": 2}}]}]});
    crate::reports::published(app, scheduler, project, doc).await;
}

on_both_backends!(a_recording_resumes_where_the_connection_broke);

async fn a_recording_resumes_where_the_connection_broke(backend: Backend) {
    let Some(app) = spawn_app(backend, "tus").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    with_recording_question(&app, &scheduler, project).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (_, ben_token) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;
    // What Chrome on Android records: WebM with no duration in its header.
    let file = fixture("tone-live.webm");

    // The server says what it speaks.
    let r = app
        .client
        .request(
            reqwest::Method::OPTIONS,
            app.url(&format!("/api/v1/assignments/{id}/uploads")),
        )
        .bearer_auth(&ana_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(r.headers()["tus-version"], "1.0.0");
    assert!(
        r.headers()["tus-extension"]
            .to_str()
            .unwrap()
            .contains("creation")
    );
    assert_eq!(number(&r, "tus-max-size"), 200_000_000);

    // Another version of the protocol is refused, naming the one spoken.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{id}/uploads")))
        .bearer_auth(&ana_token)
        .header("Tus-Resumable", "0.2.2")
        .header("Upload-Length", "100")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");

    let r = create(&app, &ana_token, id, file.len()).await;
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(r.headers()["tus-resumable"], "1.0.0");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/api/v1/uploads/"), "{location}");
    let r = head(&app, &ana_token, &location).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(number(&r, "upload-offset"), 0);
    assert_eq!(number(&r, "upload-length"), file.len());
    // Another shopper does not see it.
    assert_eq!(
        head(&app, &ben_token, &location).await.status(),
        StatusCode::NOT_FOUND
    );

    // The first part arrives whole.
    let r = patch(&app, &ana_token, &location, 0, file[..3000].to_vec()).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(number(&r, "upload-offset"), 3000);

    // The second breaks off: the phone loses its signal halfway through.
    let broken: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(file[3000..5000].to_vec()),
        Err(std::io::Error::other("signal lost")),
    ];
    let sent = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&ana_token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", "3000")
        .header("Content-Type", "application/offset+octet-stream")
        .header("Content-Length", (file.len() - 3000).to_string())
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            broken,
        )))
        .send()
        .await;
    assert!(sent.is_err() || !sent.unwrap().status().is_success());

    // The phone asks where it stands, and goes on from there.
    let r = head(&app, &ana_token, &location).await;
    let offset = number(&r, "upload-offset");
    assert!((3000..=5000).contains(&offset), "{offset}");
    // A part from the wrong place is refused, and changes nothing.
    let r = patch(&app, &ana_token, &location, 0, file.to_vec()).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("go on from byte {offset}")),
        "{problem}"
    );
    // Without the protocol's content type, nothing is taken either.
    let r = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&ana_token)
        .header("Tus-Resumable", "1.0.0")
        .header("Upload-Offset", offset.to_string())
        .body(file[offset..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = patch(&app, &ana_token, &location, offset, file[offset..].to_vec()).await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(number(&r, "upload-offset"), file.len());
    let media = number(&r, "incognito-media-id");
    // Asked again (the answer was lost): the same file.
    let r = head(&app, &ana_token, &location).await;
    assert_eq!(number(&r, "incognito-media-id"), media);

    // Stored byte for byte, its length measured from its packets, answering the question.
    let r = app
        .get_auth(&format!("/api/v1/media/{media}?size=original"), &ana_token)
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(&r.bytes().await.unwrap()[..], &file[..], "the same bytes");
    let report = get_json(
        &app,
        &format!("/api/v1/assignments/{id}/report"),
        &ana_token,
    )
    .await;
    assert_eq!(
        report["answers"]["recording"],
        json!([media.to_string()]),
        "{report}"
    );
    assert!(
        !report["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "recording")
    );

    // Headers that cannot be taken are named.
    for (length, metadata, words) in [
        (
            "lots",
            "",
            "Upload-Length must be the file's size in bytes.",
        ),
        (
            "100",
            "question %%%",
            "Upload-Metadata: the value of `question` is not base64.",
        ),
    ] {
        let r = app
            .client
            .post(app.url(&format!("/api/v1/assignments/{id}/uploads")))
            .bearer_auth(&ana_token)
            .header("Tus-Resumable", "1.0.0")
            .header("Upload-Length", length)
            .header("Upload-Metadata", metadata)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let problem: Value = r.json().await.unwrap();
        assert_eq!(problem["detail"], words);
    }
    // Over the limit from its declared length: refused before a byte is sent.
    let r = create(&app, &ana_token, id, 300_000_000).await;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let problem: Value = r.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("the limit is 200 MB"),
        "{problem}"
    );
    // A web page sent as a recording: refused by its first bytes, and nothing of it stays.
    let page = format!("<!DOCTYPE html><html>{}</html>", "x".repeat(200)).into_bytes();
    let r = create(&app, &ana_token, id, page.len()).await;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let r = patch(&app, &ana_token, &location, 0, page).await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        head(&app, &ana_token, &location).await.status(),
        StatusCode::NOT_FOUND
    );
    // Given up by the phone: gone.
    let r = create(&app, &ana_token, id, file.len()).await;
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let r = app
        .client
        .delete(app.url(&location))
        .bearer_auth(&ana_token)
        .header("Tus-Resumable", "1.0.0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        head(&app, &ana_token, &location).await.status(),
        StatusCode::NOT_FOUND
    );
    let uploads = app.state.settings.data_dir.join("uploads");
    let left: Vec<_> = std::fs::read_dir(&uploads)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".part"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    app.stop().await;
}

/// The server killed after a photo's objects are written and before its row commits: no row
/// names a missing object (the same photo sent again is new), the objects are orphans, and
/// the sweep removes them.
#[tokio::test]
async fn a_crash_between_objects_and_row_leaves_only_orphans_the_sweep_clears() {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path());
    let app = start(settings.clone()).await;
    let (id, ana_token) = crate::media::ana_holds_a_job(&app, false).await;
    app.stop().await;

    // The real server, told to stop dead right after the objects are written.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_incognito"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(settings_env(&settings))
        .env("INCOGNITO_BIND", format!("127.0.0.1:{port}"))
        .env("INCOGNITO_FAILPOINT", "media_after_objects")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..200 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(up, "the server started");
    let photo = incognito::media::photo::sample_phone_jpeg(800, 600);
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(photo.clone()).file_name("receipt.jpg"),
    );
    let sent = client
        .post(format!("{base}/api/v1/assignments/{id}/media"))
        .bearer_auth(&ana_token)
        .multipart(form)
        .send()
        .await;
    assert!(sent.is_err(), "the server died mid-upload: {sent:?}");
    let status = server.wait().unwrap();
    assert!(!status.success(), "stopped by the failpoint: {status}");
    let objects = settings.data_dir.join("objects/media");
    let orphans = std::fs::read_dir(&objects).map(|d| d.count()).unwrap_or(0);
    assert_eq!(orphans, 2, "the web copy and thumbnail were written");

    // The sweep (as the hourly one, told to take any age) removes both.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_incognito"))
        .args(["sweep", "--older-than-minutes", "0"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(settings_env(&settings))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("Swept 2 orphaned objects"), "{stdout}");
    assert_eq!(
        std::fs::read_dir(&objects).map(|d| d.count()).unwrap_or(0),
        0
    );

    // No row was left naming them: the same photo is new to the server, and served.
    let app = start(settings).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(photo).file_name("receipt.jpg"),
    );
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{id}/media")))
        .bearer_auth(&ana_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let view: Value = r.json().await.unwrap();
    let r = app
        .get_auth(
            &format!("/api/v1/media/{}?size=web", view["id"]),
            &ana_token,
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    // A sweep now leaves named objects alone, whatever their age.
    let swept = incognito::media::sweep::sweep(
        &app.state.db,
        &app.state.storage,
        &app.state.settings.data_dir,
        app.state.clock.naive(),
        chrono::Duration::zero(),
    )
    .await
    .unwrap();
    assert_eq!(swept.objects, 0);
    assert_eq!(std::fs::read_dir(&objects).unwrap().count(), 2);
    app.stop().await;
}
