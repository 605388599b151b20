//! A bad setting ends the process with exit code 2 and one line naming the setting.

use std::process::Command;

fn run_serve(vars: &[(&str, String)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_incognito"))
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("INCOGNITO_DATA_DIR", dir.path())
        .env("INCOGNITO_BIND", "127.0.0.1:0")
        .envs(vars.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_one_line_naming(setting: &str, vars: &[(&str, String)]) {
    let (code, stderr) = run_serve(vars);
    assert_eq!(code, 2, "{setting}: exit code {code}, stderr:\n{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(
        lines.len(),
        1,
        "{setting}: expected one line, got:\n{stderr}"
    );
    assert!(
        lines[0].contains(setting),
        "{setting} not named in: {}",
        lines[0]
    );
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn an_unparsable_database_url_exits_2() {
    assert_one_line_naming(
        "INCOGNITO_DATABASE_URL",
        &[("INCOGNITO_DATABASE_URL", "postgres://[::1".into())],
    );
}

#[test]
fn an_unknown_database_scheme_exits_2() {
    assert_one_line_naming(
        "INCOGNITO_DATABASE_URL",
        &[("INCOGNITO_DATABASE_URL", "mysql://db/incognito".into())],
    );
}

#[test]
fn an_unknown_mail_scheme_exits_2() {
    assert_one_line_naming(
        "INCOGNITO_MAIL_URL",
        &[("INCOGNITO_MAIL_URL", "ftp://mail.example".into())],
    );
}

#[test]
fn an_unreachable_postgresql_exits_2() {
    // Nothing listens on port 1.
    let (code, stderr) = run_serve(&[(
        "INCOGNITO_DATABASE_URL",
        "postgres://incognito:secretpw@127.0.0.1:1/incognito".into(),
    )]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("INCOGNITO_DATABASE_URL") && stderr.contains("cannot connect"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("secretpw"),
        "the password leaked: {stderr}"
    );
}

#[test]
fn an_unwritable_data_directory_exits_2() {
    // A path below a regular file can never be created, even by root.
    let file = tempfile::NamedTempFile::new().unwrap();
    let below = file.path().join("data");
    assert_one_line_naming(
        "INCOGNITO_DATA_DIR",
        &[("INCOGNITO_DATA_DIR", below.display().to_string())],
    );
}

#[test]
fn a_bad_bind_address_exits_2() {
    assert_one_line_naming("INCOGNITO_BIND", &[("INCOGNITO_BIND", "localhost".into())]);
}

#[test]
fn a_bad_log_format_exits_2() {
    assert_one_line_naming(
        "INCOGNITO_LOG_FORMAT",
        &[("INCOGNITO_LOG_FORMAT", "xml".into())],
    );
}

#[test]
fn a_missing_mail_ca_file_exits_2() {
    assert_one_line_naming(
        "INCOGNITO_MAIL_CA_FILE",
        &[
            ("INCOGNITO_MAIL_URL", "smtps://127.0.0.1:1".into()),
            ("INCOGNITO_MAIL_CA_FILE", "/nonexistent/ca.pem".into()),
        ],
    );
}

#[test]
fn a_port_in_use_exits_2() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    assert_one_line_naming("INCOGNITO_BIND", &[("INCOGNITO_BIND", address)]);
}

#[test]
fn a_bad_log_filter_exits_2() {
    assert_one_line_naming("INCOGNITO_LOG", &[("INCOGNITO_LOG", "info,=[[".into())]);
}

#[test]
fn the_data_directory_is_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("data");
    let output = Command::new(env!("CARGO_BIN_EXE_incognito"))
        .arg("migrate")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("INCOGNITO_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "data directory mode {mode:o}");
}
