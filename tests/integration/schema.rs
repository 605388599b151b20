//! The schema: identical migration names per backend, and every column in the data inventory.

use std::time::Duration;

use incognito::db::{DbPool, list_columns};
use incognito::privacy::inventory;

use crate::helpers::*;

fn migration_names(backend: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| {
            for file in ["up.sql", "down.sql"] {
                assert!(
                    e.path().join(file).is_file(),
                    "{} lacks {file}",
                    e.path().display()
                );
            }
            e.file_name().to_string_lossy().into_owned()
        })
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, migration_names("postgres"));
}

async fn every_column_is_classified(backend: Backend) {
    let Some(app) = spawn_app(backend, "data inventory").await else {
        return;
    };
    let pool = DbPool::connect(&app.settings.database_url, 1, Duration::from_secs(5)).unwrap();
    let columns = {
        let mut conn = pool.get().unwrap();
        list_columns(&mut conn).unwrap()
    };
    assert!(columns.iter().any(|(t, c)| t == "users" && c == "email"));
    let (unclassified, stale) = inventory::compare(&columns);
    assert!(
        unclassified.is_empty(),
        "columns missing from src/privacy/inventory.rs: {unclassified:?}"
    );
    assert!(
        stale.is_empty(),
        "inventory entries for columns that do not exist: {stale:?}"
    );
    assert!(matches!(
        inventory::lookup("users", "email").unwrap().classification,
        inventory::Classification::Personal {
            category: inventory::Category::A,
            ..
        }
    ));
    drop(pool);
    app.stop().await;
}

#[test]
fn migrate_applies_once_and_then_has_nothing_to_do() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_incognito"))
            .arg("migrate")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("INCOGNITO_DATA_DIR", dir.path())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stdout).contains("up to date"));
    }
    assert!(dir.path().join("incognito.db").is_file());
}

on_both_backends!(every_column_is_classified);
