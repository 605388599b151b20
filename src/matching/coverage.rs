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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::geo::Coordinates;
    use crate::matching::model::{Job, Shopper, Symbols};

    fn shopper(sy: &mut Symbols, id: &str, lat: f64, lon: f64) -> Shopper {
        Shopper {
            id: id.into(),
            position: Coordinates::new(lat, lon).unwrap(),
            radius_km: 30.0,
            capacity: 1,
            rating: 8.0,
            completed: 5,
            age: Some(30),
            vehicle: false,
            tags: crate::matching::model::Tags::new(&sy.intern_all(&["en"]), &[], &[]),
            recent: Box::new([]),
            active: true,
        }
    }

    fn job(sy: &mut Symbols, id: &str, location: &str, lat: f64, lon: f64) -> Job {
        Job {
            id: id.into(),
            location: sy.intern(location),
            position: Coordinates::new(lat, lon).unwrap(),
            max_km: 30.0,
            min_age: None,
            max_age: None,
            vehicle: false,
            languages: Box::new([]),
            certs: Box::new([]),
            min_rating: 0.0,
            min_completed: 0,
            blocked_orgs: Box::new([]),
        }
    }

    #[test]
    fn thinly_covered_locations_are_reported_first() {
        let mut sy = Symbols::default();
        // Three shoppers in New York, one in Denver; an inactive one in Denver does not count.
        let mut shoppers = vec![
            shopper(&mut sy, "S1", 40.71, -74.00),
            shopper(&mut sy, "S2", 40.73, -73.99),
            shopper(&mut sy, "S3", 40.75, -73.98),
            shopper(&mut sy, "S4", 39.74, -104.99),
            shopper(&mut sy, "S5", 39.75, -104.98),
        ];
        shoppers[4].active = false;
        let jobs = vec![
            job(&mut sy, "J1", "NYC-1", 40.72, -74.0),
            job(&mut sy, "J2", "NYC-1", 40.72, -74.0),
            job(&mut sy, "J3", "DEN-1", 39.74, -104.99),
            job(&mut sy, "J4", "RENO-1", 39.53, -119.81),
        ];
        let engine = Engine::build(sy, shoppers, jobs).unwrap();
        let report: Vec<(String, usize, usize)> = coverage(&engine)
            .iter()
            .map(|c| {
                (
                    engine.symbols.name(c.location).to_string(),
                    c.open_jobs,
                    c.eligible_shoppers,
                )
            })
            .collect();
        assert_eq!(
            report,
            [
                ("RENO-1".to_string(), 1, 0),
                ("DEN-1".to_string(), 1, 1),
                ("NYC-1".to_string(), 2, 3)
            ]
        );
        let danger: Vec<String> = danger_locations(&engine, 2)
            .iter()
            .map(|c| engine.symbols.name(c.location).to_string())
            .collect();
        assert_eq!(danger, ["RENO-1", "DEN-1"]);
    }

    #[test]
    fn the_desk_sees_nearby_ineligible_shoppers_with_reasons() {
        let mut sy = Symbols::default();
        let mut far_radius = shopper(&mut sy, "S2", 40.90, -74.00);
        far_radius.radius_km = 5.0;
        let shoppers = vec![shopper(&mut sy, "S1", 40.71, -74.00), far_radius];
        let jobs = vec![job(&mut sy, "J1", "NYC-1", 40.72, -74.0)];
        let engine = Engine::build(sy, shoppers, jobs).unwrap();
        let j = engine.job_by_id("J1").unwrap();
        let nearby = engine.nearby_ineligible(j, 10);
        assert_eq!(nearby.len(), 1);
        assert_eq!(&*engine.shopper(nearby[0].0.ix).unwrap().id, "S2");
        assert!(matches!(
            nearby[0].1[0],
            crate::matching::Unmet::TooFar { .. }
        ));
    }
}
