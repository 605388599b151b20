//! A 12-megapixel phone JPEG through the whole photo pipeline (EXIF read, decode, turn
//! upright, 2,000 px web copy and 320 px thumbnail without metadata, perceptual hash), against
//! libvips' `vipsthumbnail` making the same two outputs from the same file, in the same run.
//!
//! `cargo bench --bench photo` (needs `vipsthumbnail`: `apt-get install libvips-tools`). Each
//! side runs as a whole process, 9 times, alternating; the medians are compared. The pipeline's
//! peak resident memory is the child's own `VmHWM`. `INCOGNITO_BENCH_PHOTO` names another
//! JPEG to use (e.g. one made by `../shared/bench/make_receipt.py`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use incognito::media::photo::{self, PhotoLimits};
use incognito::media::sniff::Kind;

const RUNS: usize = 9;

/// The child: processes the photo once, prints its peak resident memory in kB.
fn once(path: &Path) {
    let limits = PhotoLimits {
        max_bytes: 25_000_000,
        max_pixels: 50_000_000,
    };
    let done = photo::process(path, Kind::Jpeg, limits).expect("the photo is processed");
    assert!(done.web.len() > 1000 && done.thumb.len() > 100);
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0);
    println!("{peak} {} {}", done.width, done.height);
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--once") {
        once(Path::new(&args[i + 1]));
        return;
    }
    if Command::new("vipsthumbnail")
        .arg("--vips-version")
        .output()
        .is_err()
    {
        println!(
            "vipsthumbnail is not installed (apt-get install libvips-tools): nothing to compare with"
        );
        std::process::exit(2);
    }
    let dir = tempfile::tempdir().unwrap();
    let input = match std::env::var("INCOGNITO_BENCH_PHOTO") {
        Ok(path) => std::path::PathBuf::from(path),
        Err(_) => {
            let path = dir.path().join("phone.jpg");
            std::fs::write(&path, photo::sample_photo(4000, 3000)).unwrap();
            path
        }
    };
    let bytes = std::fs::metadata(&input).unwrap().len();
    let me = std::env::current_exe().unwrap();
    let vips_version = String::from_utf8_lossy(
        &Command::new("vipsthumbnail")
            .arg("--vips-version")
            .output()
            .unwrap()
            .stdout,
    )
    .trim()
    .to_string();
    println!(
        "input: {} ({:.1} MB); {vips_version}; {RUNS} runs each, alternating",
        input.display(),
        bytes as f64 / 1e6
    );
    let (mut ours, mut theirs, mut peaks) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = Command::new(&me)
            .arg("--once")
            .arg(&input)
            .output()
            .unwrap();
        ours.push(t.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line = String::from_utf8_lossy(&out.stdout).to_string();
        peaks.push(
            line.split_whitespace()
                .next()
                .unwrap()
                .parse::<u64>()
                .unwrap(),
        );
        // The same two outputs: upright (vipsthumbnail turns by the EXIF by default), at
        // most 2,000 and 320 px, quality 85, without metadata.
        let t = Instant::now();
        for (side, name) in [(2000, "web.jpg"), (320, "thumb.jpg")] {
            let status = Command::new("vipsthumbnail")
                .arg(&input)
                .args(["-s", &side.to_string(), "-o"])
                .arg(format!("{}[Q=85,strip]", dir.path().join(name).display()))
                .status()
                .unwrap();
            assert!(status.success());
        }
        theirs.push(t.elapsed());
    }
    let (ours, theirs) = (median(ours), median(theirs));
    let peak_mb = *peaks.iter().max().unwrap() as f64 / 1024.0;
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    println!(
        "incognito pipeline (whole process): {:.0} ms median",
        ours.as_secs_f64() * 1e3
    );
    println!(
        "vipsthumbnail, both outputs:        {:.0} ms median",
        theirs.as_secs_f64() * 1e3
    );
    println!(
        "ratio: {ratio:.2} (target at most 0.75); peak resident memory {peak_mb:.0} MB (target under 100)"
    );
}
