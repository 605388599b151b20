//! Benchmarks of the matching engine on a `demo-data` panel.
//!
//! `cargo bench --bench matching` uses 100,000 shoppers and 10,000 jobs; set
//! `INCOGNITO_BENCH_SHOPPERS=1000000` for the README's figures. The batch benchmark solves
//! 2,000 jobs among 20,000 shoppers (the command line measures the 20,000 × 200,000 case).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::path::Path;

/// The same allocator as the `incognito` binary, so the figures match the command line's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use incognito::matching::{Engine, JobIx, Symbols, batch_edges, cli, demo, jsonl, solve};

fn panel(
    dir: &Path,
    shoppers: usize,
    jobs: usize,
) -> (
    Symbols,
    Vec<incognito::matching::Shopper>,
    Vec<incognito::matching::Job>,
) {
    demo::write(shoppers, jobs, 42, dir).unwrap();
    let mut symbols = Symbols::default();
    let s = jsonl::read_shoppers(&dir.join("shoppers.jsonl"), &mut symbols).unwrap();
    let j = jsonl::read_jobs(&dir.join("jobs.jsonl"), &mut symbols).unwrap();
    (symbols, s, j)
}

fn shoppers_wanted() -> usize {
    std::env::var("INCOGNITO_BENCH_SHOPPERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000)
}

fn index_and_candidates(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let n = shoppers_wanted();
    let (symbols, shoppers, jobs) = panel(dir.path(), n, 10_000);

    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    group.bench_function(format!("build {n} shoppers"), |b| {
        b.iter_batched(
            || (symbols.clone(), shoppers.clone(), jobs.clone()),
            |(sy, s, j)| Engine::build(sy, s, j).unwrap(),
            BatchSize::PerIteration,
        )
    });
    group.finish();

    let engine = Engine::build(symbols, shoppers, jobs).unwrap();
    let ids: Vec<JobIx> = engine.jobs().map(|(ix, _)| ix).collect();
    let mut next = 0usize;
    c.bench_function(&format!("candidates top 50 among {n} shoppers"), |b| {
        b.iter(|| {
            next = (next + 1) % ids.len();
            black_box(engine.candidates(ids[next], Some(50)))
        })
    });
}

fn batch(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    demo::write(20_000, 2_000, 7, dir.path()).unwrap();
    let (engine, _, _) = cli::load(
        &dir.path().join("shoppers.jsonl"),
        &dir.path().join("jobs.jsonl"),
    )
    .unwrap();
    let jobs: Vec<JobIx> = engine.jobs().map(|(ix, _)| ix).collect();
    let edges = batch_edges(&engine, &jobs);
    let capacity: Vec<u32> = (0..engine.shopper_slots())
        .map(|ix| engine.shopper(ix).map_or(0, |s| s.capacity))
        .collect();
    let mut group = c.benchmark_group("batch");
    group.sample_size(20);
    group.bench_function("edges 2000 jobs x 20000 shoppers", |b| {
        b.iter(|| black_box(batch_edges(&engine, &jobs)))
    });
    group.bench_function("solve 2000 jobs x 20000 shoppers", |b| {
        b.iter(|| black_box(solve(&capacity, jobs.len() as u32, &edges)))
    });
    group.finish();
}

criterion_group!(benches, index_and_candidates, batch);
criterion_main!(benches);
