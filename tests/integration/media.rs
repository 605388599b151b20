//! Photos through the API, as a shopper's phone sends them: stored as a web copy and a
//! thumbnail with no metadata, the time taken and the position kept apart; the same photo sent
//! twice is stored once; files refused in the shopper's words leave nothing in storage;
//! fetched whole or by byte range by their shopper and staff, never by another shopper.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::assignments::{assigned, job, setup};
use crate::helpers::*;

/// The project's questionnaire: a receipt (one to three photos) and a recording of the visit.
async fn with_questionnaire(app: &TestApp, scheduler: &str, project: i64) {
    let doc = json!({"title": "Proof of visit", "sections": [{"title": "Proof", "questions": [
        {"name": "receipt", "label": "Photo of the receipt", "kind": "receipt",
         "required": true, "files": {"min": 1, "max": 3}},
        {"name": "recording", "label": "Recording of the visit", "kind": "audio",
         "files": {"min": 0, "max": 10}}]}]});
    crate::reports::published(app, scheduler, project, doc).await;
}

/// Ana, on the panel, given a job by staff (with the project's questionnaire when asked):
/// (the assignment's id, her token).
pub(crate) async fn ana_holds_a_job(app: &TestApp, questionnaire: bool) -> (i64, String) {
    let (scheduler, _, store, project) = setup(app, json!({})).await;
    if questionnaire {
        with_questionnaire(app, &scheduler, project).await;
    }
    let job = job(app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(app, &scheduler, "ana", json!({}), true).await;
    (assigned(app, &scheduler, job, ana).await, ana_token)
}

/// Sends a file for the receipt question.
async fn send(
    app: &TestApp,
    token: &str,
    assignment: i64,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    send_for(app, token, assignment, "receipt", name, bytes).await
}

pub(crate) async fn send_for(
    app: &TestApp,
    token: &str,
    assignment: i64,
    question: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("image/jpeg")
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("question", question.to_string())
        .part("file", part);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{assignment}/media")))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub(crate) async fn objects(app: &TestApp) -> Vec<String> {
    app.state
        .storage
        .list("media")
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect()
}

on_both_backends!(
    a_shopper_sends_photos_and_only_clean_copies_are_kept,
    recordings_of_every_kind_a_phone_makes_are_kept_as_sent,
    staff_see_the_proof_of_visit_flags_and_the_shopper_does_not,
    a_project_that_keeps_originals_gets_them_without_metadata,
);

/// A project that asks for originals gets each photo as sent, its pixels untouched, with no
/// EXIF but its orientation (no time, no position, no camera); served as a download to the
/// shopper and staff.
async fn a_project_that_keeps_originals_gets_them_without_metadata(backend: Backend) {
    let Some(app) = spawn_app(backend, "media originals").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({"keep_photo_originals": true})).await;
    with_questionnaire(&app, &scheduler, project).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;

    let photo = incognito::media::photo::sample_phone_jpeg(1200, 800);
    let (status, sent) = send(&app, &ana_token, id, "IMG_0002.JPG", photo.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    let media = sent["id"].as_i64().unwrap();
    let link = format!("/api/v1/media/{media}?size=original");
    assert!(
        sent["links"].as_array().unwrap().contains(&json!(link)),
        "{sent}"
    );
    assert_eq!(
        objects(&app).await.len(),
        3,
        "web copy, thumbnail and original"
    );
    for token in [&ana_token, &scheduler] {
        let r = app.get_auth(&link, token).await;
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "image/jpeg");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment"),
        );
        let kept = r.bytes().await.unwrap();
        let tags: Vec<exif::Tag> = exif::Reader::new()
            .read_from_container(&mut std::io::Cursor::new(&kept))
            .map(|e| e.fields().map(|f| f.tag).collect())
            .unwrap_or_default();
        assert_eq!(tags, [exif::Tag::Orientation], "only how it was held");
        assert!(
            !kept.windows(10).any(|w| w == b"2026:12:04"),
            "no time taken, in any block"
        );
        let a = image::load_from_memory(&photo).unwrap().into_rgb8();
        let b = image::load_from_memory(&kept).unwrap().into_rgb8();
        assert_eq!(a.as_raw(), b.as_raw(), "the pixels as sent");
    }
    let (_, ben_token) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    assert_eq!(
        app.get_auth(&link, &ben_token).await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

async fn a_shopper_sends_photos_and_only_clean_copies_are_kept(backend: Backend) {
    let Some(app) = spawn_app(backend, "media").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    with_questionnaire(&app, &scheduler, project).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let (_, ben_token) = panel_member(&app, &scheduler, "ben", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;

    let limits = get_json(&app, "/api/v1/media/limits", &ana_token).await;
    assert_eq!(limits["photo_pixels"], 50_000_000, "{limits}");

    // A phone photo: kept upright, without metadata; when and where it was taken kept apart.
    let photo = incognito::media::photo::sample_phone_jpeg(3000, 2000);
    let (status, sent) = send(&app, &ana_token, id, "IMG_0001.JPG", photo.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{sent}");
    assert_eq!(
        (sent["width"].as_i64(), sent["height"].as_i64()),
        (Some(1333), Some(2000))
    );
    assert_eq!(sent["taken_at"], "2026-12-04T14:05:09Z");
    assert_eq!(sent["has_position"], true);
    assert_eq!(sent["question"], "receipt");
    let media = sent["id"].as_i64().unwrap();
    // Sent again (a retry on a weak signal): the same file, stored once.
    let (status, again) = send(&app, &ana_token, id, "copy.jpg", photo).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["id"], media);
    assert_eq!(objects(&app).await.len(), 2, "a web copy and a thumbnail");

    // Every stored object is free of EXIF.
    for key in objects(&app).await {
        use futures_util::StreamExt;
        let mut stream = app.state.storage.get(&key, None).await.unwrap();
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            bytes.extend_from_slice(&chunk.unwrap());
        }
        assert!(
            exif::Reader::new()
                .read_from_container(&mut std::io::Cursor::new(&bytes))
                .is_err(),
            "{key} holds EXIF"
        );
    }

    // Refused in the shopper's words, and nothing of them stays.
    let heic = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic".to_vec();
    let html = b"<!DOCTYPE html><html><body>receipt</body></html>".to_vec();
    let mut huge = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec();
    huge.extend_from_slice(&60000u32.to_be_bytes());
    huge.extend_from_slice(&60000u32.to_be_bytes());
    huge.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let cut = incognito::media::photo::sample_phone_jpeg(800, 600)[..400].to_vec();
    // A picture that is also an archive: a PNG with a ZIP after its end.
    let mut polyglot = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(40, 30, image::Rgb([200, 10, 10]))
        .write_to(&mut polyglot, image::ImageFormat::Png)
        .unwrap();
    let mut polyglot = polyglot.into_inner();
    polyglot.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00payload.exe");
    for (name, bytes, status, words) in [
        (
            "IMG_0002.HEIC",
            heic,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "HEIC",
        ),
        (
            "receipt.jpg",
            html,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "web page",
        ),
        (
            "empty.jpg",
            Vec::new(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "empty",
        ),
        (
            "big.png",
            huge,
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot be read",
        ),
        (
            "cut.jpg",
            cut,
            StatusCode::UNPROCESSABLE_ENTITY,
            "cannot be read",
        ),
        (
            "receipt.png",
            polyglot,
            StatusCode::UNPROCESSABLE_ENTITY,
            "something more after the picture",
        ),
        (
            "../../x",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00".to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "cannot read this kind",
        ),
    ] {
        let (got, problem) = send(&app, &ana_token, id, name, bytes).await;
        assert_eq!(got, status, "{name}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap_or("").contains(words),
            "{name}: {problem}"
        );
    }
    assert_eq!(objects(&app).await.len(), 2, "refused files leave nothing");

    // Fetched by its shopper, whole and by range; a range outside it is 416.
    let link = format!("/api/v1/media/{media}?size=web");
    let r = app.get_auth(&link, &ana_token).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(r.headers()["cache-control"], "private, no-store");
    let whole = r.bytes().await.unwrap();
    assert!(image::load_from_memory(&whole).is_ok());
    let r = app
        .client
        .get(app.url(&link))
        .bearer_auth(&ana_token)
        .header("range", "bytes=0-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 0-1/{}", whole.len()).as_str()
    );
    assert_eq!(&r.bytes().await.unwrap()[..], &whole[..2]);
    let r = app
        .client
        .get(app.url(&link))
        .bearer_auth(&ana_token)
        .header("range", format!("bytes={}-", whole.len() + 10))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes */{}", whole.len()).as_str()
    );
    let r = app
        .get_auth(&format!("/api/v1/media/{media}?size=thumb"), &ana_token)
        .await;
    let thumb = image::load_from_memory(&r.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (213, 320));
    let r = app
        .get_auth(&format!("/api/v1/media/{media}?size=original"), &ana_token)
        .await;
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "the original is not kept"
    );
    let said: Value = r.json().await.unwrap();
    assert!(
        said["detail"]
            .as_str()
            .unwrap()
            .contains("original was not kept"),
        "{said}"
    );

    // Another shopper neither sees nor removes it; staff see it, and the shopper is told.
    let r = app.get_auth(&link, &ben_token).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let (status, _) = send(&app, &ben_token, id, "x.jpg", vec![0xFF, 0xD8, 0xFF]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = app.get_auth(&link, &scheduler).await;
    assert_eq!(r.status(), StatusCode::OK);
    let log = get_items(&app, "/api/v1/me/access-log", &ana_token).await;
    assert!(
        log.as_array().unwrap().iter().any(|r| r["purpose"]
            .as_str()
            .unwrap_or("")
            .contains("a file of a shopper")),
        "{log}"
    );
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/media/{media}")))
        .bearer_auth(&ben_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Removed by its shopper: the row and both objects go.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/media/{media}")))
        .bearer_auth(&ana_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(objects(&app).await.is_empty());
    let r = app.get_auth(&link, &ana_token).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// A photo over the size setting is refused while it arrives, without a Content-Length.
#[tokio::test]
async fn a_photo_over_the_size_limit_is_refused_as_it_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.media.photo_bytes = 100_000;
    let app = start(settings).await;
    let (id, ana_token) = ana_holds_a_job(&app, true).await;
    // A stream of unknown length: no Content-Length to trust.
    let mut first = vec![0xFF, 0xD8, 0xFF, 0xE0];
    first.resize(10_000, 0xFF);
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = std::iter::once(Ok(first))
        .chain((0..40).map(|_| Ok(vec![0xFFu8; 10_000])))
        .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let part = reqwest::multipart::Part::stream(body).file_name("big.jpg");
    let form = reqwest::multipart::Form::new().part("file", part);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{id}/media")))
        .bearer_auth(&ana_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let p: Value = r.json().await.unwrap();
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("the limit is 0.1 MB"),
        "{p}"
    );
    assert!(app.state.storage.list("media").await.unwrap().is_empty());
    let scratch = dir.path().join("tmp");
    let left = std::fs::read_dir(&scratch).map(|d| d.count()).unwrap_or(0);
    assert_eq!(left, 0, "no scratch file is left behind");
    app.stop().await;
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/audio")
            .join(name),
    )
    .unwrap()
}

/// A recording from an iPhone (M4A), from Chrome on Android (WebM without a duration), and the
/// other kinds: kept byte for byte with their length; served as an attachment with ranges
/// (Safari's `bytes=0-1` probe gets its 206); a header claiming 100 hours is refused and leaves
/// nothing behind.
async fn recordings_of_every_kind_a_phone_makes_are_kept_as_sent(backend: Backend) {
    let Some(app) = spawn_app(backend, "recordings").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(&app, json!({})).await;
    with_questionnaire(&app, &scheduler, project).await;
    let job = job(&app, &scheduler, project, store, -1, 5).await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let id = assigned(&app, &scheduler, job, ana).await;
    for (name, kind, content_type) in [
        ("tone.m4a", "m4a", "audio/mp4"),
        ("tone-live.webm", "webm", "audio/webm"),
        ("tone.mp3", "mp3", "audio/mpeg"),
        ("tone.ogg", "ogg", "audio/ogg"),
        ("tone.flac", "flac", "audio/flac"),
    ] {
        let sent = fixture(name);
        // The declared type says photo: only the bytes count.
        let (status, view) = send_for(&app, &ana_token, id, "recording", name, sent.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {view}");
        assert_eq!(view["kind"], kind, "{name}");
        let ms = view["duration_ms"].as_i64().unwrap();
        assert!((2900..=3200).contains(&ms), "{name}: {ms} ms");
        assert_eq!(view["bytes"].as_u64(), Some(sent.len() as u64));
        let link = format!("/api/v1/media/{}?size=original", view["id"]);
        let r = app.get_auth(&link, &ana_token).await;
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        assert_eq!(r.headers()["content-type"], content_type);
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
        assert_eq!(&r.bytes().await.unwrap()[..], &sent[..], "{name}: as sent");
        let r = app
            .client
            .get(app.url(&link))
            .bearer_auth(&ana_token)
            .header("range", "bytes=0-1")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT, "{name}");
        assert_eq!(&r.bytes().await.unwrap()[..], &sent[..2]);
        let r = app
            .get_auth(
                &format!("/api/v1/media/{}?size=web", view["id"]),
                &ana_token,
            )
            .await;
        assert_eq!(
            r.status(),
            StatusCode::NOT_FOUND,
            "a recording has no web copy"
        );
    }
    assert_eq!(objects(&app).await.len(), 5);

    let long = incognito::media::audio::sample_wav(1, Some(100 * 3600));
    let (status, problem) = send_for(&app, &ana_token, id, "recording", "long.wav", long).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        problem["detail"],
        "This recording is 100 hours long; the limit is 3 hours. Send only the visit."
    );
    let mut empty_webm = fixture("tone.webm");
    empty_webm.truncate(60);
    let (status, problem) =
        send_for(&app, &ana_token, id, "recording", "cut.webm", empty_webm).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        objects(&app).await.len(),
        5,
        "refused recordings leave nothing"
    );
    let (status, view) = send_for(
        &app,
        &ana_token,
        id,
        "recording",
        "short.wav",
        incognito::media::audio::sample_wav(2, None),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert_eq!(view["duration_ms"], 2000);
    // A name of 10 KB changes nothing: names are never read or kept.
    let (status, view) = send_for(
        &app,
        &ana_token,
        id,
        "recording",
        &"x".repeat(10_000),
        incognito::media::audio::sample_wav(1, None),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    assert!(!view.to_string().contains("xxxx"), "{view}");

    // A file goes to a question that takes its kind, of this report, with room for it.
    let wav = incognito::media::audio::sample_wav(3, None);
    let (status, problem) = send_for(&app, &ana_token, id, "receipt", "a.wav", wav).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem
            .to_string()
            .contains("this question takes a photo, and this file is a recording"),
        "{problem}"
    );
    let photo = |w| incognito::media::photo::sample_phone_jpeg(w, 300);
    let (status, problem) = send_for(&app, &ana_token, id, "recording", "p.jpg", photo(400)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, problem) = send_for(&app, &ana_token, id, "smile", "p.jpg", photo(400)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem
            .to_string()
            .contains("no photo or recording question called “smile”"),
        "{problem}"
    );
    for w in [400, 401, 402] {
        let (status, view) = send(&app, &ana_token, id, "p.jpg", photo(w)).await;
        assert_eq!(status, StatusCode::CREATED, "{view}");
    }
    let (status, problem) = send(&app, &ana_token, id, "p.jpg", photo(403)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["detail"],
        "“Photo of the receipt” takes at most 3 files; remove one before sending another."
    );
    let (status, _) = send(&app, &ana_token, id, "p.jpg", photo(402)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the same photo again is still the one stored"
    );
    app.stop().await;
}

/// A recording over its size setting is refused while it arrives, by its first bytes: a photo's
/// limit does not apply to it, its own does.
#[tokio::test]
async fn a_recording_over_its_size_limit_is_refused_as_it_arrives() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = test_settings(dir.path());
    settings.media.photo_bytes = 100_000;
    settings.media.recording_bytes = 300_000;
    let app = start(settings).await;
    let (id, ana_token) = ana_holds_a_job(&app, true).await;
    // 200 KB of WAV: over the photo limit, under the recording one.
    let (status, view) = send_for(
        &app,
        &ana_token,
        id,
        "recording",
        "a.wav",
        incognito::media::audio::sample_wav(25, None),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{view}");
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        std::iter::once(Ok(incognito::media::audio::sample_wav(1, Some(60))))
            .chain((0..40).map(|_| Ok(vec![0x80u8; 10_000])))
            .collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let part = reqwest::multipart::Part::stream(body).file_name("big.wav");
    let form = reqwest::multipart::Form::new().part("file", part);
    let r = app
        .client
        .post(app.url(&format!("/api/v1/assignments/{id}/media")))
        .bearer_auth(&ana_token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let p: Value = r.json().await.unwrap();
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .starts_with("This recording is over 0.3 MB; the limit is 0.3 MB."),
        "{p}"
    );
    assert_eq!(app.state.storage.list("media").await.unwrap().len(), 1);
    app.stop().await;
}

/// The same receipt handed in for two assignments, a copy of it re-encoded for a third, and an
/// amount over the cap: staff read each flag in words; the shopper's report has none.
async fn staff_see_the_proof_of_visit_flags_and_the_shopper_does_not(backend: Backend) {
    let Some(app) = spawn_app(backend, "flags").await else {
        return;
    };
    let (scheduler, _, store, project) = setup(
        &app,
        json!({"reimbursement_cap_cents": 1500, "photo_distance_limit_m": 50}),
    )
    .await;
    with_questionnaire(&app, &scheduler, project).await;
    let mut ids = Vec::new();
    for name in ["ana", "ben", "cy"] {
        let job = job(&app, &scheduler, project, store, -1, 5).await;
        let (shopper, token) = panel_member(&app, &scheduler, name, json!({}), true).await;
        ids.push((assigned(&app, &scheduler, job, shopper).await, token));
    }
    let receipt = incognito::media::photo::sample_phone_jpeg(1200, 1600);
    // A copy as another app hands it in: smaller, re-encoded, without its metadata.
    let copy = {
        // Upright, as the phone showed it (its EXIF said: turned a quarter clockwise).
        let image = image::load_from_memory(&receipt).unwrap().rotate90();
        let smaller = image.resize(1000, 1000, image::imageops::FilterType::Triangle);
        let mut out = std::io::Cursor::new(Vec::new());
        smaller
            .to_rgb8()
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new_with_quality(
                &mut out, 60,
            ))
            .unwrap();
        out.into_inner()
    };
    let (status, _) = send(&app, &ids[0].1, ids[0].0, "r.jpg", receipt.clone()).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(&app, &ids[1].1, ids[1].0, "r.jpg", receipt).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = send(&app, &ids[2].1, ids[2].0, "r.jpg", copy).await;
    assert_eq!(status, StatusCode::CREATED);
    let r = app
        .put_json_auth(
            &format!("/api/v1/assignments/{}/report", ids[1].0),
            &ids[1].1,
            &json!({"receipt_cents": 1840}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    let flags = |report: &Value| -> Vec<(String, String)> {
        report["flags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["code"].as_str().unwrap().to_string(),
                    f["words"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let second = get_json(
        &app,
        &format!("/api/v1/assignments/{}/report", ids[1].0),
        &scheduler,
    )
    .await;
    let found = flags(&second);
    let words = |code: &str| {
        found
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, w)| w.clone())
            .unwrap_or_else(|| panic!("no {code} in {found:?}"))
    };
    assert_eq!(
        words("duplicate_receipt"),
        format!(
            "The same receipt image was handed in for assignment {}.",
            ids[0].0
        )
    );
    assert_eq!(
        words("receipt_over_cap"),
        "The receipt amount, $18.40, is above the reimbursement cap of $15.00: at most $15.00 is reimbursed."
    );
    // The photo's EXIF puts it about 1 km from the store's ZIP centre; the project allows 50 m.
    assert!(words("photo_far_from_store").contains("the project allows 50 m"));
    // The re-encoded copy looks like the first two.
    let third = get_json(
        &app,
        &format!("/api/v1/assignments/{}/report", ids[2].0),
        &scheduler,
    )
    .await;
    let similar: Vec<_> = flags(&third)
        .into_iter()
        .filter(|(c, _)| c == "similar_receipt")
        .collect();
    assert_eq!(similar.len(), 2, "{third}");
    // The shopper's own report carries no flags.
    let own = get_json(
        &app,
        &format!("/api/v1/assignments/{}/report", ids[1].0),
        &ids[1].1,
    )
    .await;
    assert!(own.get("flags").is_none(), "{own}");
    app.stop().await;
}
