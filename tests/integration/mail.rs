//! Mail through a real SMTP server: delivery, and nothing lost or sent twice when the server
//! or the app goes away and comes back.
#![allow(clippy::zombie_processes)] // SmtpServer kills and waits for its child on stop and drop

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use incognito::config::{MailUrl, Secret};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::*;

async fn mail_goes_out_over_smtp(backend: Backend) {
    let test = "mail over SMTP";
    let Some(smtp_url) = required_var("INCOGNITO_TEST_SMTP_URL", test) else {
        return;
    };
    let Some(maildir) = required_var("INCOGNITO_TEST_SMTP_MAILDIR", test) else {
        return;
    };
    let Some(app) = spawn_app_with(backend, test, |s| {
        s.mail_url = MailUrl::Smtp(Secret::new(smtp_url))
    })
    .await
    else {
        return;
    };
    let email = unique_email("smtp");
    assert_eq!(
        app.register(&email, STRONG_PASSWORD).await.status(),
        StatusCode::CREATED
    );

    let message = wait_for_mail(&[PathBuf::from(maildir)], &email, "/verify?token=", 1)
        .await
        .pop()
        .unwrap();
    assert!(
        message.contains("Subject: Confirm your email address for Incognito"),
        "{message}"
    );
    let token = token_in(&message, "/verify");

    // The mailed link opens a page that confirms the address.
    let page = app
        .client
        .get(app.url(&format!("/verify?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Address confirmed"));
    assert_eq!(
        app.login(&email, STRONG_PASSWORD).await.status(),
        StatusCode::OK
    );
    app.stop().await;
}

#[tokio::test]
async fn mailed_link_over_smtp_opens_the_confirmation_page() {
    mail_goes_out_over_smtp(Backend::Sqlite).await;
}

/// An aiosmtpd server of this test's own, which it can stop and start.
struct SmtpServer {
    child: Child,
}

impl SmtpServer {
    async fn start(command: &str, port: u16, maildir: &Path) -> Self {
        Self::start_with(command, port, maildir, &[]).await
    }

    /// `extra`: aiosmtpd options such as `--tlscert` (STARTTLS) or `--smtpscert` (TLS).
    async fn start_with(command: &str, port: u16, maildir: &Path, extra: &[&str]) -> Self {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let mut words = command.split_whitespace();
        let program = words.next().unwrap();
        let child = Command::new(program)
            .args(words)
            .args(extra)
            .args([
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child };
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("aiosmtpd did not start on port {port}");
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn queued_mail_arrives_exactly_once_after_smtp_and_app_restarts() {
    let test = "SMTP restart";
    let Some(command) = required_var("INCOGNITO_TEST_AIOSMTPD", test) else {
        return;
    };
    let port = free_port();
    let maildir = tempfile::tempdir().unwrap();
    let folders = [maildir.path().to_path_buf()];
    let Some(app) = spawn_app_with(Backend::Sqlite, test, |s| {
        s.mail_url = MailUrl::Smtp(Secret::new(format!("smtp://127.0.0.1:{port}")));
    })
    .await
    else {
        return;
    };

    // The server is down while a message is queued: it waits, retried with backoff.
    let first = unique_email("queued");
    assert_eq!(
        app.register(&first, STRONG_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert!(mail_to(&folders, &first).is_empty());

    // The server comes back: the message arrives, once.
    let server = SmtpServer::start(&command, port, maildir.path()).await;
    wait_for_mail(&folders, &first, "/verify?token=", 1).await;

    // Down again; a second message is queued; the app itself restarts before the server returns.
    server.stop();
    let second = unique_email("restart");
    assert_eq!(
        app.register(&second, STRONG_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    let settings = app.settings.clone();
    let guards = app.stop().await;
    assert!(mail_to(&folders, &second).is_empty());

    let _server = SmtpServer::start(&command, port, maildir.path()).await;
    let app = start(settings).await;
    wait_for_mail(&folders, &second, "/verify?token=", 1).await;

    // Give a duplicate every chance to appear, then count.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        mail_to(&folders, &first).len(),
        1,
        "first message sent more than once"
    );
    assert_eq!(
        mail_to(&folders, &second).len(),
        1,
        "second message sent more than once"
    );
    app.stop().await;
    drop(guards);
}

#[tokio::test]
async fn the_outbox_folder_receives_mail_by_default() {
    let Some(app) = spawn_app(Backend::Sqlite, "outbox folder").await else {
        return;
    };
    let email = unique_email("folder");
    app.post_json(
        "/api/v1/auth/register",
        &json!({"email": email, "password": STRONG_PASSWORD}),
    )
    .await;
    let MailUrl::Folder(outbox) = &app.settings.mail_url else {
        unreachable!()
    };
    assert_eq!(outbox, &app.data_dir.join("outbox"));
    let message = wait_for_mail(std::slice::from_ref(outbox), &email, "/verify?token=", 1)
        .await
        .pop()
        .unwrap();
    assert!(message.contains("Message-ID: <"), "{message}");
    app.stop().await;
}

/// A test CA and a certificate for 127.0.0.1 that it signed, made with openssl:
/// (CA certificate, server certificate, server key).
fn make_certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl is installed");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=Incognito Test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        "server.pem",
        "-extfile",
        "server.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

#[tokio::test]
async fn mail_goes_out_over_starttls_and_tls_with_a_private_ca() {
    let test = "SMTP over STARTTLS and TLS";
    let Some(command) = required_var("INCOGNITO_TEST_AIOSMTPD", test) else {
        return;
    };
    let certs = tempfile::tempdir().unwrap();
    let (ca, cert, key) = make_certificates(certs.path());
    let (cert, key) = (cert.display().to_string(), key.display().to_string());
    let maildir = tempfile::tempdir().unwrap();
    let folders = [maildir.path().to_path_buf()];

    let starttls_port = free_port();
    let _starttls = SmtpServer::start_with(
        &command,
        starttls_port,
        maildir.path(),
        &["--tlscert", &cert, "--tlskey", &key],
    )
    .await;
    let tls_port = free_port();
    let _tls = SmtpServer::start_with(
        &command,
        tls_port,
        maildir.path(),
        &["--smtpscert", &cert, "--smtpskey", &key],
    )
    .await;

    for url in [
        format!("smtp://127.0.0.1:{starttls_port}?tls=required"),
        format!("smtps://127.0.0.1:{tls_port}"),
    ] {
        let ca = ca.clone();
        let Some(app) = spawn_app_with(Backend::Sqlite, test, |s| {
            s.mail_url = MailUrl::Smtp(Secret::new(url.clone()));
            s.mail_ca_file = Some(ca);
        })
        .await
        else {
            return;
        };
        let email = unique_email("tls");
        assert_eq!(
            app.register(&email, STRONG_PASSWORD).await.status(),
            StatusCode::CREATED
        );
        wait_for_mail(&folders, &email, "/verify?token=", 1).await;
        app.stop().await;
    }

    // Without the CA the server's certificate is not trusted: nothing is sent in the clear instead.
    let Some(app) = spawn_app_with(Backend::Sqlite, test, |s| {
        s.mail_url = MailUrl::Smtp(Secret::new(format!("smtps://127.0.0.1:{tls_port}")));
    })
    .await
    else {
        return;
    };
    let email = unique_email("untrusted");
    assert_eq!(
        app.register(&email, STRONG_PASSWORD).await.status(),
        StatusCode::CREATED
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        mail_to(&folders, &email).is_empty(),
        "mail went to a server whose certificate is not trusted"
    );
    app.stop().await;
}
