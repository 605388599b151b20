//! Object storage against what it runs on: a folder, and a real S3-compatible server on
//! loopback (s3s-fs, which checks signatures; `.ci/run` starts it). Each writes an object from a
//! file, reads it back whole and by range, lists and deletes it, and answers a missing one as
//! missing; a bucket that does not exist yet is made at connect.

use futures_util::StreamExt;
use incognito::config::StorageUrl;
use incognito::storage::{Storage, StorageError, new_key};

use crate::helpers::*;

async fn read_all(storage: &Storage, key: &str, range: Option<(u64, u64)>) -> Vec<u8> {
    let mut stream = storage.get(key, range).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    out
}

async fn objects_round_trip(storage: Storage) {
    // 12 MB and a bit: the folder's reads take many chunks, and a bucket takes it in three
    // parts (5, 5 and the rest), a few at a time.
    let content: Vec<u8> = (0..12_000_123u32).map(|i| (i % 251) as u8).collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("upload");
    std::fs::write(&file, &content).unwrap();
    let key = new_key("media");

    assert_eq!(storage.size(&key).await.unwrap(), None);
    assert!(matches!(
        storage.get(&key, None).await.err(),
        Some(StorageError::NotFound)
    ));
    let written = storage
        .put_file(&key, &file, "application/octet-stream")
        .await
        .unwrap();
    assert_eq!(written, content.len() as u64);
    assert_eq!(
        storage.size(&key).await.unwrap(),
        Some(content.len() as u64)
    );
    assert!(read_all(&storage, &key, None).await == content, "whole");
    // Safari's probe, a middle part, the last byte.
    assert_eq!(read_all(&storage, &key, Some((0, 1))).await, content[0..2]);
    assert_eq!(
        read_all(&storage, &key, Some((1_000_000, 1_065_535))).await,
        content[1_000_000..1_065_536]
    );
    let last = content.len() as u64 - 1;
    assert_eq!(
        read_all(&storage, &key, Some((last, last))).await,
        content[content.len() - 1..]
    );
    let listed = storage.list("media").await.unwrap();
    assert!(
        listed
            .iter()
            .any(|o| o.key == key && o.size == content.len() as u64),
        "{listed:?}"
    );
    storage.delete(&key).await.unwrap();
    storage.delete(&key).await.unwrap();
    assert_eq!(storage.size(&key).await.unwrap(), None);
    assert!(
        !storage
            .list("media")
            .await
            .unwrap()
            .iter()
            .any(|o| o.key == key)
    );
    // A key from outside is refused before anything is touched.
    assert!(matches!(
        storage.get("../../etc/passwd", None).await.err(),
        Some(StorageError::BadKey(_))
    ));
}

#[tokio::test]
async fn objects_round_trip_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let url = StorageUrl::Folder(dir.path().join("objects"));
    let storage = Storage::connect(&url).await.unwrap();
    objects_round_trip(storage).await;
}

#[tokio::test]
async fn objects_round_trip_in_an_s3_bucket() {
    let Some(url) = required_var(
        "INCOGNITO_TEST_S3_URL",
        "storage::objects_round_trip_in_an_s3_bucket",
    ) else {
        return;
    };
    let key = std::env::var("AWS_ACCESS_KEY_ID").unwrap_or_default();
    let secret = std::env::var("AWS_SECRET_ACCESS_KEY").unwrap_or_default();
    // A bucket of this test's own, made by the connect.
    let bucket = format!("incognito-{}", &new_key("t")[2..14]);
    let url = url.replacen("s3://incognito-test", &format!("s3://{bucket}"), 1);
    let parsed = StorageUrl::parse(&url, Some((&key, &secret))).unwrap();
    let storage = Storage::connect(&parsed).await.unwrap();
    objects_round_trip(storage).await;
    // Presigned addresses exist for S3, and answer the object's bytes.
    let storage = Storage::connect(&parsed).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small");
    std::fs::write(&file, b"receipt").unwrap();
    let object = new_key("media");
    storage
        .put_file(&object, &file, "image/jpeg")
        .await
        .unwrap();
    let link = storage.presigned(&object, 300).await.unwrap().unwrap();
    let body = reqwest::get(&link).await.unwrap().bytes().await.unwrap();
    assert_eq!(&body[..], b"receipt");
    // Wrong credentials are refused by the server, not taken.
    let wrong = StorageUrl::parse(&url, Some((&key, "not the secret"))).unwrap();
    match Storage::connect(&wrong).await {
        Err(_) => {}
        Ok(s) => assert!(
            s.put_file(&new_key("media"), &file, "image/jpeg")
                .await
                .is_err()
        ),
    }
}
