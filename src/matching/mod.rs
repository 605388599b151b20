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

pub use batch::{Assignment, Edge, solve};
pub use geo::{Coordinates, EARTH_RADIUS_KM, haversine_km};
pub use index::{Engine, EngineError, Hit, JobIx, ShopperIx};
pub use model::{Job, Shopper, Sym, Symbols, Visit};
pub use rules::{Unmet, explain, is_eligible};

/// The eligible pairs of every job, as batch edges (metres rounded).
pub fn batch_edges(engine: &Engine, jobs: &[JobIx]) -> Vec<Edge> {
    let mut edges = Vec::new();
    for (local, job) in jobs.iter().enumerate() {
        for hit in engine.candidates(*job, None) {
            edges.push(Edge {
                shopper: hit.ix,
                job: u32::try_from(local).unwrap_or(u32::MAX),
                metres: geo::metres(hit.km),
            });
        }
    }
    edges
}
