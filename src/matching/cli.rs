//! The command-line front of the engine: `incognito match candidates|batch`, reading and
//! writing JSON Lines, printing one JSON summary line. Output is written to a temporary file and
//! renamed, so a failure leaves no partial OUT.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use serde_json::json;

use super::index::Engine;
use super::jsonl::{self, LineError};
use super::model::Symbols;
use super::{JobIx, batch_edges, solve};

#[derive(Debug)]
pub enum CliError {
    Line(LineError),
    Input(String),
    Output(String),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Line(e) => write!(f, "{e}"),
            CliError::Input(p) | CliError::Output(p) => f.write_str(p),
        }
    }
}

impl std::error::Error for CliError {}

impl From<LineError> for CliError {
    fn from(e: LineError) -> Self {
        CliError::Line(e)
    }
}

fn ms(since: Instant) -> f64 {
    (since.elapsed().as_secs_f64() * 1e4).round() / 10.0
}

/// Resident memory of this process in MiB (Linux; None elsewhere).
pub fn resident_mib() -> Option<f64> {
    status_mib("VmRSS:")
}

fn status_mib(field: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

/// The most memory this process has held resident so far (`VmHWM`), in MiB.
pub fn peak_mib() -> Option<f64> {
    status_mib("VmHWM:")
}

/// Loads both files and builds the engine: (engine, load_ms, index_ms).
pub fn load(shoppers: &Path, jobs: &Path) -> Result<(Engine, f64, f64), CliError> {
    let started = Instant::now();
    let mut symbols = Symbols::default();
    let shopper_list = jsonl::read_shoppers(shoppers, &mut symbols)?;
    let job_list = jsonl::read_jobs(jobs, &mut symbols)?;
    let load_ms = ms(started);
    let started = Instant::now();
    let engine = Engine::build(symbols, shopper_list, job_list)
        .map_err(|e| CliError::Input(e.to_string()))?;
    Ok((engine, load_ms, ms(started)))
}

/// Writes `lines` to `out` through a temporary file in the same folder.
fn write_atomically(
    out: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), CliError> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let err = |e: std::io::Error| CliError::Output(format!("{}: {e}", out.display()));
    let mut tmp = tempfile::NamedTempFile::new_in(&dir).map_err(err)?;
    {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
        write(&mut buffered).map_err(err)?;
        buffered.flush().map_err(err)?;
    }
    tmp.persist(out).map_err(|e| err(e.error))?;
    Ok(())
}

#[derive(Serialize)]
struct CandidateOut<'a> {
    shopper: &'a str,
    km: f64,
}

fn round6(km: f64) -> f64 {
    (km * 1e6).round() / 1e6
}

/// `incognito match candidates`: the top `k` eligible shoppers of every job.
pub fn candidates(
    shoppers: &Path,
    jobs: &Path,
    k: usize,
    out: &Path,
) -> Result<serde_json::Value, CliError> {
    let (engine, load_ms, index_ms) = load(shoppers, jobs)?;
    let rss_mib = resident_mib();
    let started = Instant::now();
    let mut each_us = Vec::with_capacity(engine.job_count());
    let results: Vec<(JobIx, Vec<super::Hit<super::ShopperIx>>)> = engine
        .jobs()
        .map(|(ix, _)| {
            let one = Instant::now();
            let hits = engine.candidates(ix, Some(k));
            each_us.push(one.elapsed().as_secs_f64() * 1e6);
            (ix, hits)
        })
        .collect();
    let query_ms = ms(started);
    let rss_after_queries = resident_mib();
    each_us.sort_by(f64::total_cmp);
    let percentile = |p: f64| {
        let i = ((each_us.len() as f64 - 1.0) * p).round() as usize;
        each_us.get(i).map_or(0.0, |us| (us * 10.0).round() / 10.0)
    };
    write_atomically(out, |w| {
        for (job, hits) in &results {
            let list: Vec<CandidateOut> = hits
                .iter()
                .map(|h| CandidateOut {
                    shopper: engine.shopper(h.ix).map_or("", |s| &s.id),
                    km: round6(h.km),
                })
                .collect();
            let id = engine.job(*job).map_or("", |j| &j.id);
            serde_json::to_writer(&mut *w, &json!({"job": id, "candidates": list}))?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    Ok(json!({
        "shoppers": engine.shopper_count(),
        "jobs": engine.job_count(),
        "load_ms": load_ms,
        "index_ms": index_ms,
        "query_ms": query_ms,
        "query_median_us": percentile(0.5),
        "query_p99_us": percentile(0.99),
        "rss_mib_after_index": rss_mib,
        "rss_mib_after_queries": rss_after_queries,
        "rss_mib_peak": peak_mib(),
    }))
}

/// `incognito match batch`: the optimal assignment of all jobs.
pub fn batch(shoppers: &Path, jobs: &Path, out: &Path) -> Result<serde_json::Value, CliError> {
    let (engine, load_ms, index_ms) = load(shoppers, jobs)?;
    let started = Instant::now();
    let job_ixs: Vec<JobIx> = engine.jobs().map(|(ix, _)| ix).collect();
    let edges = batch_edges(&engine, &job_ixs);
    let edges_ms = ms(started);
    let started = Instant::now();
    let capacity: Vec<u32> = (0..engine.shopper_slots())
        .map(|ix| engine.shopper(ix).map_or(0, |s| s.capacity))
        .collect();
    let assignment = solve(
        &capacity,
        u32::try_from(job_ixs.len()).unwrap_or(u32::MAX),
        &edges,
    );
    let solve_ms = ms(started);
    write_atomically(out, |w| {
        for pair in &assignment.pairs {
            let job = engine.job(job_ixs[pair.job as usize]).map_or("", |j| &j.id);
            let shopper = engine.shopper(pair.shopper).map_or("", |s| &s.id);
            serde_json::to_writer(
                &mut *w,
                &json!({"job": job, "shopper": shopper, "m": pair.metres}),
            )?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    Ok(json!({
        "shoppers": engine.shopper_count(),
        "jobs": engine.job_count(),
        "load_ms": load_ms,
        "index_ms": index_ms,
        "edges": edges.len(),
        "edges_ms": edges_ms,
        "solve_ms": solve_ms,
        "assigned": assignment.filled(),
        "total_m": assignment.total_metres(),
    }))
}
