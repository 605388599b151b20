//! The matching engine: which shoppers may take which jobs, the nearest eligible ones, and the
//! optimal assignment of a whole wave. A pure library: it imports nothing of the web layer, the
//! database or storage, so that the command line, the benchmarks and the service share it.

pub mod batch;
pub mod cli;
pub mod coverage;
pub mod demo;
pub mod geo;
pub mod index;
pub mod jsonl;
pub mod model;
pub mod rules;
pub mod slots;

pub use batch::{Assignment, Edge, solve};
pub use geo::{Coordinates, EARTH_RADIUS_KM, Within, haversine, haversine_km, km_of_haversine};
pub use index::{Engine, EngineError, Hit, JobIx, ShopperIx};
pub use model::{Job, Names, Shopper, Sym, Symbols, Tags, Visit};
pub use rules::{Unmet, explain, is_eligible};

/// The eligible pairs of the given jobs, as batch edges (metres rounded; `job` is the position
/// in `jobs`). Found from the shoppers' side: a shopper's travel radius is a small circle with few
/// jobs in it, while a job's circle holds thousands of shoppers, most of them too far by their
/// own radius.
pub fn batch_edges(engine: &Engine, jobs: &[JobIx]) -> Vec<Edge> {
    let mut local = std::collections::HashMap::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        local.insert(*job, u32::try_from(i).unwrap_or(u32::MAX));
    }
    let shoppers: Vec<ShopperIx> = engine
        .shoppers()
        .filter(|(_, s)| s.active && s.capacity > 0)
        .map(|(ix, _)| ix)
        .collect();
    let edges_of = |chunk: &[ShopperIx]| {
        let mut edges = Vec::new();
        for &s in chunk {
            for hit in engine.eligible_jobs_unsorted(s) {
                if let Some(job) = local.get(&hit.ix) {
                    edges.push(Edge {
                        shopper: s,
                        job: *job,
                        metres: geo::metres(hit.km),
                    });
                }
            }
        }
        edges
    };
    // One chunk per core; joined in order, so the result does not depend on the threads.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .clamp(1, 16);
    let chunk = shoppers.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = shoppers
            .chunks(chunk)
            .map(|c| scope.spawn(move || edges_of(c)))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}
