//! A 200 MB recording sent through the service to an S3-compatible server, against a direct
//! PUT of the same file to that server, side by side in the same run; and how much the
//! service's resident memory grows meanwhile.
//!
//! `cargo bench --bench upload` starts s3s-fs (`INCOGNITO_BENCH_S3S_FS`, default the CI cache's
//! `~/.cache/incognito-ci/s3s-fs-0.14.1/bin/s3s-fs`, else `s3s-fs` on the PATH) and the built
//! `incognito serve` on a demo panel whose storage is that server, then alternates, 5 times
//! each: the file PUT straight into the bucket (rust-s3's streaming upload, as the service
//! stores objects), and the same file sent by the demo shopper to
//! `POST /api/v1/assignments/{id}/media` (received, hashed, probed, stored). The service's
//! `VmRSS` is sampled every 20 ms.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;
const MB: u64 = 1_000_000;

/// A WAV of CD quality (44.1 kHz, 16 bits, stereo) of about `bytes`: 200 MB is 19 minutes.
fn wav(path: &Path, bytes: u64) {
    use std::io::Write;
    let rate: u32 = 44_100;
    let block: u32 = 4;
    let data = u32::try_from(bytes - 44).unwrap() / block * block;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(b"RIFF").unwrap();
    out.write_all(&(data + 36).to_le_bytes()).unwrap();
    out.write_all(b"WAVEfmt ").unwrap();
    out.write_all(&16u32.to_le_bytes()).unwrap();
    out.write_all(&1u16.to_le_bytes()).unwrap();
    out.write_all(&2u16.to_le_bytes()).unwrap();
    out.write_all(&rate.to_le_bytes()).unwrap();
    out.write_all(&(rate * block).to_le_bytes()).unwrap();
    out.write_all(&(block as u16).to_le_bytes()).unwrap();
    out.write_all(&16u16.to_le_bytes()).unwrap();
    out.write_all(b"data").unwrap();
    out.write_all(&data.to_le_bytes()).unwrap();
    // A different file each time (the service keeps one copy of the same bytes).
    let seed: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut x = seed | 1;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = data as usize;
    while left > 0 {
        for b in chunk.iter_mut() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *b = (x >> 56) as u8;
        }
        let n = left.min(chunk.len());
        out.write_all(&chunk[..n]).unwrap();
        left -= n;
    }
    out.flush().unwrap();
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_port(port: u16) {
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on {port}");
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn s3s_fs() -> PathBuf {
    if let Ok(path) = std::env::var("INCOGNITO_BENCH_S3S_FS") {
        return path.into();
    }
    let cached = PathBuf::from(std::env::var("HOME").unwrap_or_default())
        .join(".cache/incognito-ci/s3s-fs-0.14.1/bin/s3s-fs");
    if cached.exists() {
        cached
    } else {
        "s3s-fs".into()
    }
}

async fn answer(request: reqwest::RequestBuilder) -> serde_json::Value {
    request.send().await.unwrap().json().await.unwrap()
}

fn main() {
    let work = tempfile::tempdir().unwrap();
    let (key, secret) = ("incognito-bench", "bench-secret-0123456789abcdef");
    let s3_port = free_port();
    let s3_dir = work.path().join("s3");
    std::fs::create_dir_all(&s3_dir).unwrap();
    let _s3 = Killed(
        Command::new(s3s_fs())
            .args(["--host", "127.0.0.1", "--port", &s3_port.to_string()])
            .args(["--access-key", key, "--secret-key", secret])
            .arg(&s3_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs (see the header of benches/upload.rs)"),
    );
    wait_port(s3_port);
    let storage_url = format!(
        "s3://incognito-bench?endpoint=http://127.0.0.1:{s3_port}&region=us-east-1&path_style=true"
    );
    let data_dir = work.path().join("data");
    let env = |c: &mut Command| {
        c.env("INCOGNITO_DATA_DIR", &data_dir)
            .env("INCOGNITO_STORAGE_URL", &storage_url)
            .env("AWS_ACCESS_KEY_ID", key)
            .env("AWS_SECRET_ACCESS_KEY", secret);
    };
    let exe = env!("CARGO_BIN_EXE_incognito");
    let mut demo = Command::new(exe);
    demo.arg("demo");
    env(&mut demo);
    let out = demo.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout).to_string();
    let password = printed
        .split_whitespace()
        .find(|w| w.starts_with("demo-"))
        .expect("the demo's password")
        .to_string();
    let shopper = printed
        .lines()
        .find_map(|l| l.trim().strip_prefix("Shopper "))
        .expect("the demo's shopper")
        .trim()
        .to_string();
    let port = free_port();
    let mut serve = Command::new(exe);
    serve
        .arg("serve")
        .env("INCOGNITO_BIND", format!("127.0.0.1:{port}"))
        .env("INCOGNITO_MEDIA_MAX_RECORDING_MB", "300")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    env(&mut serve);
    let server = Killed(serve.spawn().unwrap());
    wait_port(port);
    let pid = server.0.id();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        let login = answer(
            http.post(format!("{base}/api/v1/auth/login"))
                .json(&serde_json::json!({"email": shopper, "password": password})),
        )
        .await;
        let token = login["access_token"].as_str().expect("signed in").to_string();
        let mine = answer(
            http.get(format!("{base}/api/v1/me/assignments?per_page=100"))
                .bearer_auth(&token),
        )
        .await;
        let assignment = mine["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["state"] == "visited" || a["state"] == "accepted")
            .expect("an assignment to send a recording for")["id"]
            .as_i64()
            .unwrap();
        let url = incognito::config::StorageUrl::parse(
            &storage_url,
            Some((key, secret)),
        )
        .unwrap();
        let direct = incognito::storage::Storage::connect(&url).await.unwrap();

        let (mut straight, mut through, mut growth) = (Vec::new(), Vec::new(), 0u64);
        let file = work.path().join("visit.wav");
        for run in 0..RUNS {
            wav(&file, 200 * MB);
            let bytes = std::fs::metadata(&file).unwrap().len();
            let t = Instant::now();
            direct
                .put_file(&format!("bench/direct-{run}"), &file, "audio/wav")
                .await
                .unwrap();
            straight.push(bytes as f64 / t.elapsed().as_secs_f64());

            wav(&file, 200 * MB);
            let before = rss_kb(pid);
            let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
            let peak = {
                let sampling = sampling.clone();
                std::thread::spawn(move || {
                    let mut peak = 0;
                    while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                        peak = peak.max(rss_kb(pid));
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    peak
                })
            };
            let body = tokio::fs::File::open(&file).await.unwrap();
            // The file read in 256 KB pieces, as a phone's browser sends it.
            let stream = futures_util::stream::unfold(body, |mut f| async move {
                use tokio::io::AsyncReadExt;
                let mut buf = vec![0u8; 256 * 1024];
                match f.read(&mut buf).await {
                    Ok(0) => None,
                    Ok(n) => {
                        buf.truncate(n);
                        Some((Ok::<_, std::io::Error>(buf), f))
                    }
                    Err(e) => Some((Err(e), f)),
                }
            });
            let part = reqwest::multipart::Part::stream_with_length(
                reqwest::Body::wrap_stream(stream),
                bytes,
            )
            .file_name("visit.wav");
            let t = Instant::now();
            let r = http
                .post(format!("{base}/api/v1/assignments/{assignment}/media"))
                .bearer_auth(&token)
                .multipart(reqwest::multipart::Form::new().part("file", part))
                .send()
                .await
                .unwrap();
            let status = r.status();
            let answer = r.text().await.unwrap();
            let took = t.elapsed();
            sampling.store(false, std::sync::atomic::Ordering::Relaxed);
            let peak = peak.join().unwrap();
            assert!(status.is_success(), "{status}: {answer}");
            through.push(bytes as f64 / took.as_secs_f64());
            growth = growth.max(peak.saturating_sub(before));
            // Room for the next run: the recording goes (its question takes a few at most).
            let id = serde_json::from_str::<serde_json::Value>(&answer).unwrap()["id"]
                .as_i64()
                .unwrap();
            http.delete(format!("{base}/api/v1/media/{id}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap();
        }
        let median = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let (straight, through) = (median(straight), median(through));
        println!("200 MB, {RUNS} runs each, alternating; s3s-fs 0.14.1 on loopback");
        println!("direct PUT to the bucket:     {:.0} MB/s median", straight / 1e6);
        println!("through the service (upload): {:.0} MB/s median", through / 1e6);
        println!(
            "ratio: {:.2} (target at least 0.70); the service's resident memory grew by {:.1} MB at most (target under 32)",
            through / straight,
            growth as f64 / 1024.0
        );
    });
}
