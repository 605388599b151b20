//! Coverage: for each location with open jobs, how many active shoppers are eligible for at
//! least one of them. Locations below a threshold are "danger" locations, where recruiting or a
//! higher bonus is needed.

use std::collections::{BTreeMap, HashSet};

use super::index::{Engine, ShopperIx};
use super::model::Sym;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocationCoverage {
    pub location: Sym,
    pub open_jobs: usize,
    /// Distinct shoppers eligible for at least one open job there.
    pub eligible_shoppers: usize,
}

/// Every location with open jobs, fewest eligible shoppers first (ties by location name).
pub fn coverage(engine: &Engine) -> Vec<LocationCoverage> {
    let mut by_location: BTreeMap<Sym, (usize, HashSet<ShopperIx>)> = BTreeMap::new();
    for (ix, job) in engine.jobs() {
        let entry = by_location.entry(job.location).or_default();
        entry.0 += 1;
        entry
            .1
            .extend(engine.candidates(ix, None).into_iter().map(|h| h.ix));
    }
    let mut out: Vec<LocationCoverage> = by_location
        .into_iter()
        .map(|(location, (open_jobs, shoppers))| LocationCoverage {
            location,
            open_jobs,
            eligible_shoppers: shoppers.len(),
        })
        .collect();
    out.sort_by(|a, b| {
        a.eligible_shoppers.cmp(&b.eligible_shoppers).then_with(|| {
            engine
                .symbols
                .name(a.location)
                .cmp(engine.symbols.name(b.location))
        })
    });
    out
}

/// The locations with fewer than `threshold` eligible shoppers.
pub fn danger_locations(engine: &Engine, threshold: usize) -> Vec<LocationCoverage> {
    coverage(engine)
        .into_iter()
        .filter(|c| c.eligible_shoppers < threshold)
        .collect()
}
