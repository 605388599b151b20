//! Pages in a real browser: Debian's headless Chromium driven through WebDriver (chromedriver,
//! `INCOGNITO_TEST_CHROMEDRIVER`), by a small client over the W3C protocol. The harness the
//! journeys of later issues use: sign in as a person would, open pages at a phone's and a desk's
//! width, measure what a person would see, take screenshots.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::*;

/// One browser session behind its own chromedriver.
pub struct Browser {
    driver: Child,
    endpoint: String,
    session: String,
    http: reqwest::Client,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium `width` CSS pixels wide; None (skipped) when
    /// `INCOGNITO_TEST_CHROMEDRIVER` is unset off CI.
    pub async fn start(test: &str, width: u32) -> Option<Browser> {
        let driver_path = required_var("INCOGNITO_TEST_CHROMEDRIVER", test)?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        // In a process group of its own, with the browsers it starts: ending the group ends
        // them all, whatever happened to the test.
        let driver = Command::new(&driver_path)
            .args([format!("--port={port}"), "--allowed-ips=127.0.0.1".into()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {driver_path}: {e}"));
        let endpoint = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(20);
        while http.get(format!("{endpoint}/status")).send().await.is_err() {
            assert!(Instant::now() < deadline, "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let binary = std::env::var("INCOGNITO_TEST_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
        // The machine's network is closed: no background traffic, no first-run, no GPU.
        let args = [
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--hide-scrollbars".into(),
            format!("--user-data-dir={}", profile.path().display()),
            format!("--window-size={width},900"),
        ];
        let created: Value = http
            .post(format!("{endpoint}/session"))
            .json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": binary, "args": args},
            }}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {created}"))
            .to_string();
        let browser = Browser {
            driver,
            endpoint,
            session,
            http,
            _profile: profile,
        };
        // The window size flag sets the outer window; make the page itself `width` wide.
        let inner = browser.eval("return window.innerWidth", json!([])).await;
        let outer = browser.eval("return window.outerWidth", json!([])).await;
        let extra = outer.as_i64().unwrap_or(0) - inner.as_i64().unwrap_or(0);
        browser
            .command(
                "window/rect",
                json!({"width": i64::from(width) + extra.max(0), "height": 900}),
            )
            .await;
        Some(browser)
    }

    async fn command(&self, path: &str, body: Value) -> Value {
        let r: Value = self
            .http
            .post(format!("{}/session/{}/{path}", self.endpoint, self.session))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(
            r["value"].get("error").is_none(),
            "WebDriver {path} failed: {r}"
        );
        r["value"].clone()
    }

    pub async fn open(&self, url: &str) {
        self.command("url", json!({"url": url})).await;
    }

    /// Runs a script in the page (its `return` value comes back).
    pub async fn eval(&self, script: &str, args: Value) -> Value {
        self.command("execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Fills the named fields of the page's form that holds the first of them, and submits it.
    pub async fn submit_form(&self, fields: &[(&str, &str)]) {
        let fields: Vec<Value> = fields.iter().map(|(k, v)| json!([k, v])).collect();
        self.eval(
            "const [fields] = arguments;
             let form = null;
             for (const [name, value] of fields) {
               const input = document.querySelector(`[name=\"${name}\"]`);
               input.value = value;
               form = form || input.form;
             }
             form.requestSubmit();",
            json!([fields]),
        )
        .await;
        // Wait for the next page.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let ready = self.eval("return document.readyState", json!([])).await;
            if ready == "complete" || Instant::now() > deadline {
                break;
            }
        }
    }

    /// Saves a PNG of what the window shows.
    pub async fn screenshot(&self, to: &std::path::Path) {
        let r: Value = self
            .http
            .get(format!(
                "{}/session/{}/screenshot",
                self.endpoint, self.session
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["value"].as_str().unwrap_or_default())
            .unwrap();
        std::fs::write(to, png).unwrap();
    }

    /// Saves a PNG of the whole page, as tall as it is (at most 6,000 px): the window grows to
    /// the page's height for the picture, then is as it was.
    pub async fn screenshot_whole(&self, to: &std::path::Path) {
        let rect_url = format!("{}/session/{}/window/rect", self.endpoint, self.session);
        let rect: Value = self
            .http
            .get(&rect_url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let (width, height) = (
            rect["value"]["width"].clone(),
            rect["value"]["height"].clone(),
        );
        let tall = self
            .eval("return document.documentElement.scrollHeight", json!([]))
            .await
            .as_i64()
            .unwrap_or(800)
            .clamp(400, 6000);
        let extra = height.as_i64().unwrap_or(800)
            - self
                .eval("return window.innerHeight", json!([]))
                .await
                .as_i64()
                .unwrap_or(800);
        self.http
            .post(&rect_url)
            .json(&json!({"width": width, "height": tall + extra.max(0)}))
            .send()
            .await
            .unwrap();
        self.screenshot(to).await;
        self.http
            .post(&rect_url)
            .json(&json!({"width": width, "height": height}))
            .send()
            .await
            .unwrap();
    }

    /// What sticks out sideways: the page wider than the window, or any element that scrolls
    /// sideways or ends past the window's right edge (each named by tag, class and text).
    pub async fn sideways(&self) -> Vec<String> {
        let found = self
            .eval(
                "const width = document.documentElement.clientWidth;
                 const out = [];
                 if (document.documentElement.scrollWidth > width + 1)
                   out.push(`page is ${document.documentElement.scrollWidth}px wide in ${width}px`);
                 // Visually hidden on purpose (clipped to a pixel, for screen readers only).
                 const hidden = (el) => {
                   for (let a = el; a; a = a.parentElement) {
                     const s = getComputedStyle(a);
                     if (a.getBoundingClientRect().width <= 1 && s.overflow === 'hidden') return true;
                   }
                   return false;
                 };
                 for (const el of document.body.querySelectorAll('*')) {
                   if (hidden(el)) continue;
                   const r = el.getBoundingClientRect();
                   const name = `${el.tagName.toLowerCase()}.${el.className} \"${(el.textContent || '').trim().slice(0, 30)}\"`;
                   if (r.width > 0 && r.right > width + 1) out.push(`${name} ends at ${Math.round(r.right)}px`);
                   else if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
                     out.push(`${name} scrolls sideways (${el.scrollWidth}px in ${el.clientWidth}px)`);
                 }
                 return out.slice(0, 20);",
                json!([]),
            )
            .await;
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl Browser {
    /// Chooses `file` in the file input `selector`, as a person picking it would.
    pub async fn choose_file(&self, selector: &str, file: &std::path::Path) {
        let found = self
            .command(
                "element",
                json!({"using": "css selector", "value": selector}),
            )
            .await;
        let element = found
            .as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no {selector}"))
            .to_string();
        self.command(
            &format!("element/{element}/value"),
            json!({"text": file.display().to_string()}),
        )
        .await;
    }

    /// Waits until `script` returns true (at most `seconds`): whether it did.
    pub async fn until(&self, script: &str, seconds: u64) -> bool {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < deadline {
            if self.eval(script, json!([])).await == Value::Bool(true) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        false
    }

    /// Ends the browser session (Chromium quits) and then chromedriver.
    pub async fn close(self) {
        let _ = self
            .http
            .delete(format!("{}/session/{}", self.endpoint, self.session))
            .send()
            .await;
        // Drop ends chromedriver and anything left of its process group.
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // The group chromedriver leads holds the browsers it started: end them all.
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stderr(Stdio::null())
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Where screenshots go: `INCOGNITO_TEST_SCREENSHOTS`, or a folder under the target directory.
fn screenshot_dir() -> PathBuf {
    let dir = std::env::var("INCOGNITO_TEST_SCREENSHOTS").map_or_else(
        |_| PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every page each role reaches from the navigation, at a phone's width (390 px) and a desk's
/// (1366 px), on the demo panel: nothing wider than the screen, nothing scrolling sideways.
#[tokio::test]
async fn every_page_fits_a_phone_and_a_desk() {
    let Some(app) = spawn_app(Backend::Sqlite, "pages in a browser").await else {
        return;
    };
    let password = "demo browser walk 2026";
    let hash = incognito::auth::password::hash(&incognito::auth::Password::new(password)).unwrap();
    let auth = app.state.auth.clone();
    let now = app.state.clock.naive();
    let panel = app
        .database()
        .run(move |conn| incognito::demo::fill(conn, &auth, &hash, 1, now))
        .await
        .unwrap();
    let shopper = panel
        .sign_ins
        .iter()
        .find(|(r, _)| *r == incognito::auth::Role::Shopper)
        .unwrap()
        .1
        .clone();
    // A step is a page, or `follow:` and the start of a link to follow on the page before (a
    // page whose id the demo chose: a client, a project, a job, a shopper, a report).
    let walks: Vec<(String, Vec<&str>)> = vec![
        (
            shopper,
            vec![
                "/dashboard",
                "/shopper/profile",
                "/shopper/jobs",
                "follow:/shopper/jobs/",
                "/shopper/assignments",
                "follow:/shopper/assignments/",
                "/shopper/earnings",
                "/shopper/consents",
                "/shopper/access-log",
                "/account/password",
            ],
        ),
        (
            "scheduler@demo.example.com".into(),
            vec![
                "/dashboard",
                "/staff/shoppers",
                "follow:/staff/shoppers/",
                "/staff/clients",
                "follow:/staff/clients/",
                "follow:/staff/projects/",
                "follow:/staff/jobs/",
                "/staff/organizations",
                "/staff/batches",
                "/staff/coverage",
                "/staff/pay",
            ],
        ),
        (
            "admin@demo.example.com".into(),
            vec!["/admin/staff", "/staff/pay", "/account/password"],
        ),
        (
            "qa@demo.example.com".into(),
            vec!["/qa/queue", "/qa/disputes"],
        ),
        (
            "reviewer@demo.example.com".into(),
            vec!["/client/reports", "/client/dashboard"],
        ),
    ];
    let dir = screenshot_dir();
    let mut problems = Vec::new();
    // What anyone reaches before signing in.
    for width in [390, 1366] {
        let Some(browser) = Browser::start("pages in a browser", width).await else {
            return;
        };
        for page in [
            "/",
            "/signin",
            "/signup",
            "/password/forgot",
            "/verify/resend",
            "/privacy-notice",
        ] {
            browser.open(&app.url(page)).await;
            let name = match page.trim_matches('/') {
                "" => "home".to_string(),
                p => p.replace('/', "-"),
            };
            browser
                .screenshot(&dir.join(format!("public-{name}-{width}.png")))
                .await;
            for p in browser.sideways().await {
                problems.push(format!("{page} at {width}px: {p}"));
            }
        }
        browser.close().await;
    }
    for width in [390, 1366] {
        for (email, pages) in &walks {
            let Some(browser) = Browser::start("pages in a browser", width).await else {
                return;
            };
            browser.open(&app.url("/signin")).await;
            browser
                .submit_form(&[("email", email), ("password", password)])
                .await;
            let mut shown = String::new();
            for step in pages {
                let page = match step.strip_prefix("follow:") {
                    Some(start) => {
                        let href = browser
                            .eval(
                                "const [start] = arguments;
                                 const a = [...document.querySelectorAll('a[href]')]
                                   .find(a => a.getAttribute('href').startsWith(start)
                                     && /\\d/.test(a.getAttribute('href').slice(start.length)));
                                 return a ? a.getAttribute('href') : null;",
                                json!([start]),
                            )
                            .await;
                        let href = href.as_str().unwrap_or_else(|| {
                            panic!("no link to {start}… on {shown} for {email}")
                        });
                        href.to_string()
                    }
                    None => step.to_string(),
                };
                browser.open(&app.url(&page)).await;
                shown = page.clone();
                let page = &page;
                let title = browser.eval("return document.title", json!([])).await;
                let who = email.split('@').next().unwrap_or_default();
                let name = match step.strip_prefix("follow:") {
                    Some(start) => format!(
                        "{who}-{}-one-{width}.png",
                        start.trim_matches('/').replace('/', "-")
                    ),
                    None => format!(
                        "{who}-{}-{width}.png",
                        page.trim_matches('/').replace('/', "-")
                    ),
                };
                browser.screenshot(&dir.join(&name)).await;
                assert!(
                    !title.as_str().unwrap_or_default().contains("Sign in"),
                    "{email} is not signed in at {page}"
                );
                if page == "/shopper/access-log" {
                    // Who read my data, and why, in plain words: no letters, no API paths.
                    let text = browser
                        .eval("return document.body.innerText", json!([]))
                        .await;
                    let text = text.as_str().unwrap_or_default();
                    assert!(text.contains("identifiers, geolocation"), "{text}");
                    assert!(text.contains("Scheduling staff"), "{text}");
                    assert!(
                        text.contains("finding shoppers who can take a store visit"),
                        "{text}"
                    );
                    assert!(!text.contains("/api/v1") && !text.contains("A,G"), "{text}");
                }
                for p in browser.sideways().await {
                    problems.push(format!("{page} at {width}px: {p}"));
                }
            }
            browser.close().await;
        }
    }
    // A refused form on a phone and a desk: every message beside its field, what was typed
    // kept, nothing wider than the screen.
    for width in [390, 1366] {
        let Some(browser) = Browser::start("pages in a browser", width).await else {
            return;
        };
        browser.open(&app.url("/signin")).await;
        browser
            .submit_form(&[
                ("email", "scheduler@demo.example.com"),
                ("password", password),
            ])
            .await;
        browser.open(&app.url("/staff/clients")).await;
        let client = browser
            .eval(
                "return document.querySelector('a[href^=\"/staff/clients/\"]').getAttribute('href')",
                json!([]),
            )
            .await;
        browser.open(&app.url(client.as_str().unwrap())).await;
        browser
            .eval(
                "const form = document.querySelector('form[action$=\"/locations/new\"]');
                 const set = (n, v) => { form.querySelector(`[name=\"${n}\"]`).value = v; };
                 set('code', 'S-NEW'); set('name', ''); set('street', '12 Main St');
                 set('city', 'Springfield'); set('state', 'IL'); set('zip', '6270');
                 set('latitude', 'north');
                 form.requestSubmit();",
                json!([]),
            )
            .await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        for _ in 0..50 {
            let ready = browser.eval("return document.readyState", json!([])).await;
            if ready == "complete" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        browser
            .eval(
                "document.querySelector('form[action$=\"/locations/new\"]').scrollIntoView()",
                json!([]),
            )
            .await;
        browser
            .screenshot(&dir.join(format!("client-store-refused-{width}.png")))
            .await;
        let errors = browser
            .eval(
                "return [...document.querySelectorAll('.field-error')].map(e => e.id)",
                json!([]),
            )
            .await;
        assert_eq!(
            errors,
            json!(["lname-error", "lzip-error", "llat-error"]),
            "at {width}px"
        );
        let kept = browser
            .eval("return document.getElementById('lstreet').value", json!([]))
            .await;
        assert_eq!(kept, "12 Main St", "at {width}px");
        for p in browser.sideways().await {
            problems.push(format!("refused store form at {width}px: {p}"));
        }
        browser.close().await;
    }
    assert!(
        problems.is_empty(),
        "sideways (screenshots in {}):\n{}",
        dir.display(),
        problems.join("\n")
    );
    app.stop().await;
}

/// A shopper on a phone and on a desk sends a receipt photo and a 12 MB recording from the
/// report page: the page's script sends each in parts with a progress bar, both end "sent",
/// and the page opened again shows the receipt's thumbnail and a player for the recording.
#[tokio::test]
async fn a_receipt_and_a_recording_go_up_from_the_report_page() {
    let Some(app) = spawn_app(Backend::Sqlite, "uploads in a browser").await else {
        return;
    };
    let password = "demo browser upload 2026";
    let shopper = demo_shopper(&app, password).await;
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("IMG_2041.JPG");
    std::fs::write(
        &photo,
        incognito::media::photo::sample_phone_jpeg(3000, 2000),
    )
    .unwrap();
    let recording = files.path().join("visit.wav");
    std::fs::write(&recording, incognito::media::audio::sample_wav(1500, None)).unwrap();
    let dir = screenshot_dir();
    for width in [390, 1366] {
        let Some(browser) = Browser::start("uploads in a browser", width).await else {
            return;
        };
        let report = open_report(&browser, &app, &shopper, password).await;
        // With the script, the plain Send buttons give way to sending on choice.
        let plain = browser
            .eval(
                "return [...document.querySelectorAll('[data-without-script]')].every(e => e.hidden)",
                json!([]),
            )
            .await;
        assert_eq!(plain, json!(true), "at {width}px");
        browser.choose_file("#q\\.receipt-file", &photo).await;
        assert!(
            browser
                .until(
                    "return document.querySelectorAll('.progress.done').length === 1",
                    30
                )
                .await,
            "the receipt went up at {width}px: {}",
            browser
                .eval("return document.querySelector('.progress') && document.querySelector('.progress').textContent", json!([]))
                .await
        );
        browser.choose_file("#q\\.recording-file", &recording).await;
        assert!(
            browser
                .until(
                    "return document.querySelectorAll('.progress.done').length === 2",
                    60
                )
                .await,
            "the recording went up at {width}px: {}",
            browser
                .eval("return [...document.querySelectorAll('.progress')].map(p => p.textContent).join(' | ')", json!([]))
                .await
        );
        let said = browser
            .eval(
                "return [...document.querySelectorAll('.progress span')].map(s => s.textContent)",
                json!([]),
            )
            .await;
        assert_eq!(
            said,
            json!(["IMG_2041.JPG: sent.", "visit.wav: sent."]),
            "at {width}px"
        );
        browser
            .eval(
                "document.querySelector('.upload').scrollIntoView()",
                json!([]),
            )
            .await;
        browser
            .screenshot(&dir.join(format!("report-uploaded-{width}.png")))
            .await;
        // An answer typed is saved by itself a moment later.
        browser
            .eval(
                "const t = document.querySelector('#q\\\\.comment-input');
                 t.value = 'Clean tables, slow till ' + arguments[0];
                 t.dispatchEvent(new Event('change', {bubbles: true}));",
                json!([width]),
            )
            .await;
        assert!(
            browser
                .until(
                    "return (document.getElementById('autosave').textContent || '').startsWith('Draft saved at')",
                    10
                )
                .await,
            "the draft saved itself at {width}px: {}",
            browser
                .eval("return document.getElementById('autosave').textContent", json!([]))
                .await
        );
        // Opened again: the answer kept, the receipt's thumbnail, loaded, and a player for the
        // recording.
        browser.open(&app.url(&report)).await;
        let kept = browser
            .eval(
                "return document.querySelector('#q\\\\.comment-input').value",
                json!([]),
            )
            .await;
        assert_eq!(kept, json!(format!("Clean tables, slow till {width}")));
        assert!(
            browser
                .until(
                    "const img = document.querySelector('ul.files img'); return !!img && img.complete && img.naturalWidth > 0",
                    10
                )
                .await,
            "the thumbnail shows at {width}px"
        );
        let players = browser
            .eval(
                "return document.querySelectorAll('ul.files audio').length",
                json!([]),
            )
            .await;
        assert_eq!(players, json!(1), "at {width}px");
        browser
            .eval(
                "document.querySelector('ul.files').scrollIntoView()",
                json!([]),
            )
            .await;
        browser
            .screenshot(&dir.join(format!("report-files-{width}.png")))
            .await;
        assert_eq!(
            browser.sideways().await,
            Vec::<String>::new(),
            "at {width}px"
        );
        browser.close().await;
    }
    app.stop().await;
}

/// A demo panel of one client; the sign-in of its shopper, whose password is `password`.
async fn demo_shopper(app: &TestApp, password: &str) -> String {
    demo_sign_in(app, password, incognito::auth::Role::Shopper).await
}

/// A demo panel of one client; the sign-in of its `role`, whose password is `password`.
async fn demo_sign_in(app: &TestApp, password: &str, role: incognito::auth::Role) -> String {
    let hash = incognito::auth::password::hash(&incognito::auth::Password::new(password)).unwrap();
    let auth = app.state.auth.clone();
    let now = app.state.clock.naive();
    let panel = app
        .database()
        .run(move |conn| incognito::demo::fill(conn, &auth, &hash, 1, now))
        .await
        .unwrap();
    panel
        .sign_ins
        .iter()
        .find(|(r, _)| *r == role)
        .unwrap()
        .1
        .clone()
}

/// Signs the shopper in and opens the report of their first assignment; its address.
async fn open_report(browser: &Browser, app: &TestApp, shopper: &str, password: &str) -> String {
    browser.open(&app.url("/signin")).await;
    browser
        .submit_form(&[("email", shopper), ("password", password)])
        .await;
    browser.open(&app.url("/shopper/assignments")).await;
    let report = browser
        .eval(
            "const a = document.querySelector('a[href$=\"/report\"]'); return a && a.getAttribute('href')",
            json!([]),
        )
        .await;
    let report = report.as_str().expect("a report to fill in").to_string();
    browser.open(&app.url(&report)).await;
    report
}

/// The page's evaluator gives what the service's gives on the hand-worked cases
/// (`tests/fixtures/expr_cases.json`, which the service's unit test runs too), and the report
/// page shows a follow-up question the moment the answer calls for it, with the list of what is
/// still missing, and hides it again (its answer no longer sent) when the answer changes back.
#[actix_web::test]
async fn conditions_are_evaluated_in_the_page_as_on_the_service() {
    let Some(app) = spawn_app(Backend::Sqlite, "conditions in a browser").await else {
        return;
    };
    let password = "demo browser conditions 2026";
    let shopper = demo_shopper(&app, password).await;
    let shared: Value = serde_json::from_str(include_str!("../fixtures/expr_cases.json")).unwrap();
    let cases: Vec<(Value, bool, String)> = shared["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let source = c[0].as_str().unwrap();
            let tree = incognito::reports::expr::Expr::parse(source)
                .unwrap_or_else(|e| panic!("{source}: {e}"))
                .to_json();
            (tree, c[1].as_bool().unwrap(), source.to_string())
        })
        .collect();
    let dir = screenshot_dir();
    for width in [390, 1366] {
        let Some(browser) = Browser::start("conditions in a browser", width).await else {
            return;
        };
        open_report(&browser, &app, &shopper, password).await;
        let trees: Vec<&Value> = cases.iter().map(|c| &c.0).collect();
        let found = browser
            .eval(
                "const [trees, answers] = arguments;
                 const read = name => name in answers ? answers[name] : '';
                 return trees.map(t => window.IncognitoConditions.holds(t, read));",
                json!([trees, shared["answers"]]),
            )
            .await;
        let found = found.as_array().expect("the page's evaluator ran");
        assert_eq!(found.len(), cases.len());
        for ((_, expected, source), got) in cases.iter().zip(found) {
            assert_eq!(got, &json!(expected), "{source} in the page");
        }

        let state = "const q = document.getElementById('q.why_not');
             return [q.hidden, q.querySelector('textarea').disabled,
                     document.getElementById('missing').hidden ? '' : document.getElementById('missing').textContent]";
        let before = browser.eval(state, json!([])).await;
        assert_eq!(before[0], json!(true), "the follow-up waits for its answer");
        browser
            .eval(
                "document.querySelector('input[name=\"q.greeted\"][value=no]').click()",
                json!([]),
            )
            .await;
        let after_no = browser.eval(state, json!([])).await;
        assert_eq!(
            after_no[0],
            json!(false),
            "“No” shows the follow-up at once"
        );
        assert_eq!(after_no[1], json!(false));
        let missing = after_no[2].as_str().unwrap().to_string();
        assert!(
            missing.contains("What happened instead?") && missing.contains("When you went in"),
            "{missing}"
        );
        assert!(!missing.contains("Were you greeted?"), "{missing}");
        browser
            .eval(
                "document.getElementById('q.why_not').scrollIntoView()",
                json!([]),
            )
            .await;
        browser
            .screenshot(&dir.join(format!("report-condition-{width}.png")))
            .await;
        browser
            .eval(
                "document.querySelector('input[name=\"q.greeted\"][value=yes]').click()",
                json!([]),
            )
            .await;
        let after_yes = browser.eval(state, json!([])).await;
        assert_eq!(after_yes[0], json!(true), "“Yes” hides it again");
        assert_eq!(after_yes[1], json!(true), "and its answer is not sent");
        assert!(
            !after_yes[2]
                .as_str()
                .unwrap()
                .contains("What happened instead?"),
            "{}",
            after_yes[2]
        );
        assert_eq!(
            browser.sideways().await,
            Vec::<String>::new(),
            "at {width}px"
        );
        browser.close().await;
    }
    app.stop().await;
}

/// A scheduler changes the demo's questionnaire on the builder page, as on a phone and a desk:
/// from the project to its versions, the published version read, a new draft started from it,
/// a question added through the form, then opened to change; each page fits its width.
#[actix_web::test]
async fn a_scheduler_builds_a_questionnaire_on_the_page() {
    let Some(app) = spawn_app(Backend::Sqlite, "builder in a browser").await else {
        return;
    };
    let password = "demo browser builder 2026";
    let scheduler = demo_sign_in(&app, password, incognito::auth::Role::Scheduler).await;
    let dir = screenshot_dir();
    for width in [390, 1366] {
        let Some(browser) = Browser::start("builder in a browser", width).await else {
            return;
        };
        browser.open(&app.url("/signin")).await;
        browser
            .submit_form(&[("email", scheduler.as_str()), ("password", password)])
            .await;
        browser.open(&app.url("/staff/clients")).await;
        let go = |script: &'static str| {
            let browser = &browser;
            async move {
                let href = browser.eval(script, json!([])).await;
                href.as_str()
                    .unwrap_or_else(|| panic!("no link: {script}"))
                    .to_string()
            }
        };
        let client = go("const a = [...document.querySelectorAll('a[href^=\"/staff/clients/\"]')].find(a => /\\d/.test(a.getAttribute('href'))); return a && a.getAttribute('href')").await;
        browser.open(&app.url(&client)).await;
        let project = go("const a = [...document.querySelectorAll('a[href^=\"/staff/projects/\"]')].find(a => /\\d$/.test(a.getAttribute('href'))); return a && a.getAttribute('href')").await;
        browser
            .open(&app.url(&format!("{project}/questionnaire")))
            .await;
        let read = go("const a = [...document.querySelectorAll('a')].find(a => a.textContent === 'Read'); return a && a.getAttribute('href')").await;
        browser.open(&app.url(&read)).await;
        let text = browser
            .eval("return document.body.innerText", json!([]))
            .await;
        assert!(
            text.as_str()
                .unwrap()
                .contains("is published and never changes"),
            "{text}"
        );
        // A new draft from it: the builder with its form.
        browser
            .eval(
                "[...document.querySelectorAll('button')].find(b => b.textContent.startsWith('Start a new draft')).click()",
                json!([]),
            )
            .await;
        assert!(
            browser
                .until("return !!document.querySelector('#add')", 10)
                .await,
            "the draft's builder opens at {width}px"
        );
        browser
            .screenshot(&dir.join(format!("scheduler-builder-draft-{width}.png")))
            .await;
        browser
            .eval(
                "document.getElementById('kind').value = 'rating';
                 document.getElementById('label').value = 'How friendly was the cashier?';
                 document.getElementById('name').value = 'friendly';
                 document.getElementById('scale').value = '5';
                 document.getElementById('points').value = '1=0 2=1 3=2 4=3 5=4';
                 document.getElementById('add').scrollIntoView();",
                json!([]),
            )
            .await;
        browser
            .screenshot(&dir.join(format!("scheduler-builder-add-{width}.png")))
            .await;
        browser
            .eval(
                "[...document.querySelectorAll('button')].find(b => b.textContent === 'Add the question').click()",
                json!([]),
            )
            .await;
        assert!(
            browser
                .until(
                    "return (document.querySelector('.notice') || {}).textContent === 'Question “How friendly was the cashier?” added to version ' + document.title.match(/version (\\d+)/)[1] + '.'",
                    10
                )
                .await,
            "added at {width}px: {}",
            browser.eval("return document.body.innerText", json!([])).await
        );
        let change = go("const a = [...document.querySelectorAll('a')].find(a => a.getAttribute('href').endsWith('name=friendly')); return a && a.getAttribute('href')").await;
        browser.open(&app.url(&change)).await;
        let label = browser
            .eval("return document.getElementById('label').value", json!([]))
            .await;
        assert_eq!(label, json!("How friendly was the cashier?"));
        browser
            .screenshot(&dir.join(format!("scheduler-builder-question-{width}.png")))
            .await;
        assert_eq!(
            browser.sideways().await,
            Vec::<String>::new(),
            "at {width}px"
        );
        browser.close().await;
    }
    app.stop().await;
}

/// A reviewer works the queue on a phone and at a desk: the queue, a report opened (held for
/// them), sent back with a reason and a comment; the shopper reads why and what to fix on
/// their report. Each page fits its width.
#[actix_web::test]
async fn a_reviewer_sends_a_report_back_and_the_shopper_reads_why() {
    let Some(app) = spawn_app(Backend::Sqlite, "qa in a browser").await else {
        return;
    };
    let dir = screenshot_dir();
    let (_, id, ana_token, _) = crate::qa::handed_in(&app, json!({})).await;
    let ana_email = email_of(&app, &ana_token).await;
    for width in [390, 1366] {
        if width > 390 {
            // Sent back at the first width: handed in again as it was, for the next reviewer.
            let r = app
                .post_json_auth(
                    &format!("/api/v1/assignments/{id}/submit"),
                    &ana_token,
                    &json!({}),
                )
                .await;
            assert_eq!(r.status(), reqwest::StatusCode::OK);
        }
        let (_, qa_email) = crate::qa::reviewer_account(&app).await;
        let Some(browser) = Browser::start("qa in a browser", width).await else {
            return;
        };
        browser.open(&app.url("/signin")).await;
        browser
            .submit_form(&[("email", qa_email.as_str()), ("password", STRONG_PASSWORD)])
            .await;
        browser.open(&app.url("/qa/queue")).await;
        browser
            .screenshot(&dir.join(format!("qa-queue-{width}.png")))
            .await;
        browser.open(&app.url(&format!("/qa/reports/{id}"))).await;
        let text = browser
            .eval("return document.body.innerText", json!([]))
            .await;
        assert!(
            text.as_str()
                .unwrap()
                .contains("It is yours for 30 minutes"),
            "{text}"
        );
        browser
            .screenshot(&dir.join(format!("qa-report-{width}.png")))
            .await;
        browser
            .eval(
                "document.getElementById('reason').value = 'Check the speed rating against the wait.';
                 document.getElementById('comment.speed').value = 'Was it really a 4 with a 4-minute wait?';
                 document.getElementById('reason').scrollIntoView();",
                json!([]),
            )
            .await;
        browser
            .screenshot(&dir.join(format!("qa-decide-{width}.png")))
            .await;
        assert_eq!(
            browser.sideways().await,
            Vec::<String>::new(),
            "the report page at {width}px"
        );
        browser
            .eval(
                "document.querySelector('button[value=revise]').click()",
                json!([]),
            )
            .await;
        assert!(
            browser
                .until(
                    "return location.pathname === '/qa/queue' && document.body.innerText.includes('sent back for a revision')",
                    10
                )
                .await,
            "back at the queue at {width}px: {}",
            browser.eval("return document.body.innerText", json!([])).await
        );
        browser.close().await;

        let Some(browser) = Browser::start("qa in a browser", width).await else {
            return;
        };
        browser.open(&app.url("/signin")).await;
        browser
            .submit_form(&[("email", ana_email.as_str()), ("password", STRONG_PASSWORD)])
            .await;
        browser
            .open(&app.url(&format!("/shopper/assignments/{id}/report")))
            .await;
        let text = browser
            .eval("return document.body.innerText", json!([]))
            .await;
        let text = text.as_str().unwrap();
        assert!(
            text.contains("QA sent it back for you to fix")
                && text.contains("Was it really a 4 with a 4-minute wait?"),
            "{text}"
        );
        browser
            .screenshot(&dir.join(format!("shopper-review-{width}.png")))
            .await;
        assert_eq!(
            browser.sideways().await,
            Vec::<String>::new(),
            "the shopper's report at {width}px"
        );
        browser.close().await;
    }
    app.stop().await;
}

/// A client reviewer reads the released reports on a phone and at a desk: the list and a
/// report, each fitting its width.
#[actix_web::test]
async fn a_client_reviewer_reads_a_released_report() {
    let Some(app) = spawn_app(Backend::Sqlite, "portal in a browser").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let qa = crate::qa::reviewer(&app).await;
    let a = crate::portal::client_with_project(&app, &scheduler, "Burger Barn", "B1").await;
    crate::reports::published(
        &app,
        &scheduler,
        a.2,
        crate::reports::drive_thru("Drive-thru"),
    )
    .await;
    let (ana, ana_token) = panel_member(&app, &scheduler, "ana", json!({}), true).await;
    let answers = json!({"greeted": "no", "why_not": "Nobody at the counter for two minutes", "items": ["fries", "shake"], "wait": 4, "speed": 4});
    let id = crate::portal::reported(
        &app,
        &scheduler,
        (a.2, a.1),
        (ana, &ana_token),
        answers,
        Some(&qa),
    )
    .await;
    let (_, email) = crate::portal::client_reviewer_account(&app, a.0).await;
    let dir = screenshot_dir();
    for width in [390, 1366] {
        let Some(browser) = Browser::start("portal in a browser", width).await else {
            return;
        };
        browser.open(&app.url("/signin")).await;
        browser
            .submit_form(&[("email", email.as_str()), ("password", STRONG_PASSWORD)])
            .await;
        browser.open(&app.url("/client/reports")).await;
        browser
            .screenshot(&dir.join(format!("client-reports-{width}.png")))
            .await;
        browser
            .open(&app.url(&format!("/client/reports/{id}")))
            .await;
        let text = browser
            .eval("return document.body.innerText", json!([]))
            .await;
        assert!(
            text.as_str()
                .unwrap()
                .contains("Nobody at the counter for two minutes"),
            "{text}"
        );
        browser
            .screenshot(&dir.join(format!("client-report-{width}.png")))
            .await;
        assert_eq!(
            browser.sideways().await,
            Vec::<String>::new(),
            "at {width}px"
        );
        browser.close().await;
    }
    app.stop().await;
}

/// Pay, disputes and the dashboard in a browser at a phone's and a desk's width: the shopper's
/// earnings and the board's pay for their time, the admin's pay desk, the client's report with
/// its dispute form and the dashboard's charts, QA's disputes; nothing scrolls sideways.
#[tokio::test]
async fn pay_disputes_and_the_dashboard_fit_a_phone_and_a_desk() {
    let Some(app) = spawn_app(Backend::Sqlite, "pay in a browser").await else {
        return;
    };
    let (_, scheduler) = admin_and_scheduler(&app).await;
    let qa = crate::qa::reviewer(&app).await;
    let (client, store, project) =
        crate::portal::client_with_project(&app, &scheduler, "Burger Barn", "B1").await;
    crate::reports::published(
        &app,
        &scheduler,
        project,
        crate::reports::drive_thru("Drive-thru"),
    )
    .await;
    let mut shoppers = Vec::new();
    let mut ids = Vec::new();
    for (name, greeted) in [("ana", "no"), ("bea", "yes"), ("cat", "yes")] {
        let (id, token) = panel_member(&app, &scheduler, name, json!({}), true).await;
        let answers = json!({"greeted": greeted, "why_not": "Nobody at the counter", "items": ["fries"], "wait": 4, "speed": 4});
        ids.push(
            crate::portal::reported(
                &app,
                &scheduler,
                (project, store),
                (id, &token),
                answers,
                Some(&qa),
            )
            .await,
        );
        let email = email_of(&app, &token).await;
        shoppers.push(email);
    }
    // Open jobs for the board, and a dispute for QA's list.
    crate::assignments::job(&app, &scheduler, project, store, 0, 9).await;
    let (reviewer_token, reviewer_email) =
        crate::portal::client_reviewer_account(&app, client).await;
    let r = app
        .post_json_auth(
            &format!("/api/v1/client/reports/{}/dispute", ids[0]),
            &reviewer_token,
            &json!({"reason": "The store was closed for a staff meeting that afternoon."}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let admin_email = unique_email("paydesk");
    app.admin_tokens(&admin_email).await;
    let qa_email = email_of(&app, &qa).await;
    let walks: [(&str, Vec<String>); 4] = [
        (
            shoppers[0].as_str(),
            vec!["/shopper/earnings".into(), "/shopper/jobs".into()],
        ),
        (admin_email.as_str(), vec!["/staff/pay".into()]),
        (
            reviewer_email.as_str(),
            vec![
                format!("/client/reports/{}", ids[1]),
                "/client/dashboard".into(),
            ],
        ),
        (qa_email.as_str(), vec!["/qa/disputes".into()]),
    ];
    let dir = screenshot_dir();
    for width in [390, 1366] {
        for (email, pages) in &walks {
            let Some(browser) = Browser::start("pay in a browser", width).await else {
                return;
            };
            browser.open(&app.url("/signin")).await;
            browser
                .submit_form(&[("email", email), ("password", STRONG_PASSWORD)])
                .await;
            for page in pages {
                browser.open(&app.url(page)).await;
                let name = page.trim_matches('/').replace('/', "-");
                browser
                    .screenshot_whole(&dir.join(format!("pay-{name}-{width}.png")))
                    .await;
                assert_eq!(
                    browser.sideways().await,
                    Vec::<String>::new(),
                    "{page} at {width}px"
                );
            }
            browser.close().await;
        }
    }
    app.stop().await;
}

/// The privacy request pages at a phone's and a desk's width: the public form and its code
/// page, a shopper's requests and choices, the officer's queue and a request with its forms.
#[tokio::test]
async fn privacy_requests_fit_a_phone_and_a_desk() {
    let Some(app) = spawn_app(Backend::Sqlite, "privacy requests in a browser").await else {
        return;
    };
    let (admin, scheduler) = admin_and_scheduler(&app).await;
    let (_, token) = panel_member(
        &app,
        &scheduler,
        "maya",
        json!({"consents": {"share_name_address": true}}),
        true,
    )
    .await;
    let shopper = email_of(&app, &token).await;
    let mut ids = Vec::new();
    for body in [
        json!({"kind": "know"}),
        json!({"kind": "correct", "details": "My street is 12 Elm St, not 1 Main St."}),
        json!({"kind": "opt_out"}),
    ] {
        let r = app
            .post_json_auth("/api/v1/privacy-requests", &token, &body)
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::CREATED);
        ids.push(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let r = app
        .post_json(
            "/api/v1/privacy-requests",
            &json!({"kind": "delete", "email": shopper, "name": "maya Tester", "zip": "10001"}),
        )
        .await;
    let public = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let officer = unique_email("officer");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            &admin,
            &json!({"email": officer, "password": STRONG_PASSWORD, "role": "privacy_officer"}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let officer_token = access(
        &app.login(&officer, STRONG_PASSWORD)
            .await
            .json()
            .await
            .unwrap(),
    );
    let r = app
        .post_json_auth(
            &format!("/api/v1/privacy-requests/{}/extend", ids[1]),
            &officer_token,
            &json!({"reason": "We are checking the new address with you."}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    // An agent's request for her, with the authorisation she signed; a later notice version;
    // a registered protocol agent; a list for a friendly competitor, made by a scheduler.
    let form = reqwest::multipart::Form::new()
        .text("kind", "access")
        .text("email", shopper.clone())
        .text("name", "maya Tester")
        .text("zip", "10001")
        .text("agent_name", "Rights Helpers LLC")
        .text("agent_email", unique_email("agent"))
        .part(
            "authorisation",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 signed".to_vec()).file_name("a.pdf"),
        );
    let r = app
        .client
        .post(app.url("/api/v1/privacy-requests/by-agent"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let by_agent = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let confirm = crate::drp::confirmation_link(&app, &shopper, 1).await;
    let tomorrow = app.state.clock.naive().date().succ_opt().unwrap();
    let r = app
        .post_json_auth(
            "/api/v1/privacy/notice-versions",
            &officer_token,
            &json!({"version": "2027-02", "effective_on": tomorrow.to_string(),
                    "changes": "We may send you a weekly digest of new jobs near you, if you say yes to it.",
                    "adds": ["daily_digest"]}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let r = app
        .post_json_auth(
            "/api/v1/privacy/agents",
            &officer_token,
            &json!({"id": "CONSUMER_AGENT_APP", "name": "Consumer Agent App",
                    "verify_key": "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=",
                    "callback_base": "https://agent.example/drp/",
                    "technical_contact": "tech@agent.example"}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let sharer = unique_email("sharer");
    let r = app
        .post_json_auth(
            "/api/v1/users",
            &admin,
            &json!({"email": sharer, "password": STRONG_PASSWORD, "role": "scheduler"}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let r = app
        .post_json_auth(
            "/api/v1/organizations",
            &scheduler,
            &json!({"name": "Friendly Shoppers Inc", "friendly_competitor": true}),
        )
        .await;
    let friendly = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let r = app
        .post_json_auth(
            "/api/v1/shares",
            &scheduler,
            &json!({"organization_id": friendly, "purpose": "Recruiting shoppers in New York City",
                    "area": {"states": ["NY", "NJ"]}, "recipient_email": "hiring@friendly.example"}),
        )
        .await;
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    let share = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let walks: [(Option<&str>, Vec<String>); 4] = [
        (
            None,
            vec![
                "/privacy-requests/new".into(),
                format!("/privacy-requests/{public}/verify"),
                "/privacy-requests/agent".into(),
                confirm,
                "/privacy-notice".into(),
            ],
        ),
        (
            Some(shopper.as_str()),
            vec![
                "/shopper/privacy-requests".into(),
                "/shopper/consents".into(),
            ],
        ),
        (
            Some(officer.as_str()),
            vec![
                "/privacy".into(),
                format!("/privacy/requests/{public}"),
                format!("/privacy/requests/{by_agent}"),
                "/privacy/agents".into(),
                "/privacy/notice-versions".into(),
            ],
        ),
        (
            Some(sharer.as_str()),
            vec!["/staff/shares".into(), format!("/staff/shares/{share}")],
        ),
    ];
    let dir = screenshot_dir();
    for width in [390, 1366] {
        for (email, pages) in &walks {
            let Some(browser) = Browser::start("privacy requests in a browser", width).await else {
                return;
            };
            if let Some(email) = email {
                browser.open(&app.url("/signin")).await;
                browser
                    .submit_form(&[("email", email), ("password", STRONG_PASSWORD)])
                    .await;
            }
            for page in pages {
                browser.open(&app.url(page)).await;
                let name = page
                    .split('?')
                    .next()
                    .unwrap_or(page)
                    .trim_matches('/')
                    .replace('/', "-");
                browser
                    .screenshot_whole(&dir.join(format!("privacy-{name}-{width}.png")))
                    .await;
                assert_eq!(
                    browser.sideways().await,
                    Vec::<String>::new(),
                    "{page} at {width}px"
                );
            }
            browser.close().await;
        }
    }
    app.stop().await;
}
