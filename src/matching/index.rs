//! The panel in memory: shoppers and open jobs in R-trees, kept current by small updates
//! (add, move, remove, status and capacity changes) without a rebuild.

use rstar::RTree;
use rstar::primitives::GeomWithData;

use super::geo::{Coordinates, Within, chord2_for_km, haversine, haversine_km, km_of_haversine};
use super::model::{Job, Shopper, Sym, Symbols};
use super::rules::{Unmet, explain, is_eligible_at, meets_all_but_distance};
use super::slots::{Refused, Slots};

/// Positions in the trees are unit vectors in single precision: half the memory of double, and
/// within a metre and a half of the truth, which `reach` allows for. Distances that decide
/// anything are computed in double precision from the records.
type Point = [f32; 3];
type Entry = GeomWithData<Point, JobLeaf>;
type ShopperEntry = GeomWithData<Point, Prefilter>;

fn point(position: Coordinates) -> Point {
    let [x, y, z] = position.unit_vector();
    [x as f32, y as f32, z as f32]
}

/// A squared chord (between single-precision points) that every point within `km` of the
/// origin is inside: the exact chord widened by the rounding of both points (at most about
/// 1.1e-7 of the unit sphere's radius together) and of the single-precision arithmetic.
fn reach(km: f64) -> f32 {
    let chord = chord2_for_km(km).sqrt() + 2e-7;
    let limit = (chord * chord * (1.0 + 1e-6) + 1e-13) as f32;
    f32::from_bits(limit.to_bits() + 1)
}

/// Wider nodes than rstar's default (6): fewer levels and fewer node visits per range query,
/// which is what candidate search does; inserts stay cheap enough for single updates.
pub struct WideNodes;

impl rstar::RTreeParams for WideNodes {
    const MIN_SIZE: usize = NODE_MIN;
    const MAX_SIZE: usize = NODE_MAX;
    const REINSERTION_COUNT: usize = 4;
    type DefaultInsertionStrategy = rstar::RStarInsertionStrategy;
}

const NODE_MAX: usize = 32;
const NODE_MIN: usize = 12;

/// What the index keeps of a shopper beside the position: enough to rule most shoppers out
/// without reading their record, which would cost a cache miss for every point of a search.
/// It is conservative: values are rounded towards passing, and names are kept as bits of a
/// 32-bit mask (a symbol sets bit `sym % 32`), so it may let an ineligible shopper through to
/// the full check, but never rules out an eligible one. Conflicts and rotation are left to the
/// full check: they rule out few shoppers. 24 bytes, so that a leaf entry takes 36.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prefilter {
    ix: ShopperIx,
    rating: f32,
    /// Saturates at `u16::MAX`, which passes any minimum.
    completed: u16,
    /// 0 when unknown; saturates at 255.
    age: u8,
    flags: u8,
    languages: u32,
    certs: u32,
}

const MATCHABLE: u8 = 1;
const VEHICLE: u8 = 2;

fn mask(syms: impl IntoIterator<Item = Sym>) -> u32 {
    syms.into_iter().fold(0, |m, s| m | (1u32 << (s % 32)))
}

/// `x` as an f32 not below it.
fn up(x: f64) -> f32 {
    let f = x as f32;
    if f64::from(f) < x {
        f32::from_bits(f.to_bits() + 1)
    } else {
        f
    }
}

impl Prefilter {
    fn of(ix: ShopperIx, s: &Shopper) -> Self {
        Prefilter {
            ix,
            rating: up(s.rating),
            completed: u16::try_from(s.completed).unwrap_or(u16::MAX),
            age: s
                .age
                .map_or(0, |a| u8::try_from(a.max(1)).unwrap_or(u8::MAX)),
            flags: if s.active && s.capacity > 0 {
                MATCHABLE
            } else {
                0
            } | if s.vehicle { VEHICLE } else { 0 },
            languages: mask(s.tags.languages().iter().copied()),
            certs: mask(s.tags.certs().iter().copied()),
        }
    }
}

/// A job's requirements in the prefilter's terms.
struct Need {
    min_rating: f64,
    min_completed: u32,
    min_age: Option<u32>,
    max_age: Option<u32>,
    vehicle: bool,
    languages: u32,
    certs: u32,
}

impl Need {
    fn of(j: &Job) -> Self {
        Need {
            min_rating: j.min_rating,
            min_completed: j.min_completed,
            min_age: j.min_age,
            max_age: j.max_age,
            vehicle: j.vehicle,
            languages: mask(j.languages.iter().copied()),
            certs: mask(j.certs.iter().copied()),
        }
    }

    /// False only when the shopper surely fails a rule other than distance, conflict and
    /// rotation (those need the full record; masks only say "maybe").
    fn may_pass(&self, p: &Prefilter) -> bool {
        p.flags & MATCHABLE != 0
            && f64::from(p.rating) >= self.min_rating
            && (p.completed == u16::MAX || u32::from(p.completed) >= self.min_completed)
            // Age 0 is unknown, which fails any age limit; 255 means "255 or more".
            && self.min_age.is_none_or(|min| p.age != 0 && (p.age == u8::MAX || u32::from(p.age) >= min))
            && self.max_age.is_none_or(|max| p.age != 0 && (p.age == u8::MAX || u32::from(p.age) <= max))
            && (!self.vehicle || p.flags & VEHICLE != 0)
            && self.languages & !p.languages == 0
            && self.certs & !p.certs == 0
    }
}

/// What the job tree keeps of a job beside its point, so that a shopper's walk over the jobs
/// near them decides most jobs without reading their records (a cache miss a job): the exact
/// position and limit (as haversine bounds, see [`Within`]), the store (rotation), the least
/// rating, whether the job asks nothing else of a shopper (no age, vehicle, experience,
/// language or certificate: `plain`), and the client and its competitors as bits of a 64-bit
/// mask (a symbol sets bit `sym % 64`, as [`Prefilter`]'s masks do at 32), which proves "no
/// conflict" when the shopper's mask shares no bit with it. Anything else is decided on the
/// record, so the walk's answers are exactly the rules'.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobLeaf {
    ix: JobIx,
    location: Sym,
    position: Coordinates,
    max_km: Within,
    min_rating: f64,
    orgs: u64,
    plain: bool,
}

fn mask64(syms: &[Sym]) -> u64 {
    syms.iter().fold(0, |m, s| m | (1u64 << (s % 64)))
}

impl JobLeaf {
    fn of(ix: JobIx, j: &Job) -> Self {
        JobLeaf {
            ix,
            location: j.location,
            position: j.position,
            max_km: Within::km(j.max_km),
            min_rating: j.min_rating,
            orgs: mask64(&j.blocked_orgs),
            plain: j.min_age.is_none()
                && j.max_age.is_none()
                && !j.vehicle
                && j.min_completed == 0
                && j.languages.is_empty()
                && j.certs.is_empty(),
        }
    }
}

/// The first circle searched for a job's nearest candidates; it doubles until enough are found.
const FIRST_RING_KM: f64 = 4.0;

/// The next circle to search when one of `radius` held `found` of the `k` wanted: scaled by
/// area to what should hold them all, with a margin; doubled when nothing was found.
fn next_ring(radius: f64, found: usize, k: usize) -> f64 {
    if found == 0 {
        return radius * 2.0;
    }
    let scale = (k as f64 / found as f64).sqrt() * 1.2;
    radius * scale.clamp(1.25, 4.0)
}

/// A shopper's position in the engine's arrays.
pub type ShopperIx = u32;
/// A job's position in the engine's arrays.
pub type JobIx = u32;

/// A shopper found for a job, or a job found for a shopper, with the distance.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<I> {
    pub ix: I,
    pub km: f64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EngineError {
    DuplicateId(String),
    UnknownId(String),
    /// More entries than positions (`u32`).
    Full,
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::DuplicateId(id) => write!(f, "the id {id} appears twice"),
            EngineError::UnknownId(id) => write!(f, "no entry has the id {id}"),
            EngineError::Full => write!(f, "more entries than the engine can hold"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Shoppers and open jobs with their spatial indexes. Removed entries leave a hole so that
/// the positions of the others never change.
#[derive(Default)]
pub struct Engine {
    pub symbols: Symbols,
    shoppers: Slots<Shopper>,
    shopper_tree: RTree<ShopperEntry, WideNodes>,
    jobs: Slots<Job>,
    job_tree: RTree<Entry, WideNodes>,
}

fn job_entry(ix: JobIx, j: &Job) -> Entry {
    GeomWithData::new(point(j.position), JobLeaf::of(ix, j))
}

fn shopper_entry(ix: ShopperIx, s: &Shopper) -> ShopperEntry {
    GeomWithData::new(point(s.position), Prefilter::of(ix, s))
}

impl From<Refused> for EngineError {
    fn from(refused: Refused) -> Self {
        match refused {
            Refused::Duplicate(id) => EngineError::DuplicateId(id),
            Refused::Full => EngineError::Full,
        }
    }
}

impl Engine {
    /// Builds the engine from whole lists at once (bulk-loaded trees: much faster than inserts).
    pub fn build(
        symbols: Symbols,
        shoppers: Vec<Shopper>,
        jobs: Vec<Job>,
    ) -> Result<Self, EngineError> {
        // The slots keep the lists' order: a record's position is its index in its list.
        if u32::try_from(shoppers.len().max(jobs.len())).is_err() {
            return Err(EngineError::Full);
        }
        let shopper_entries: Vec<ShopperEntry> = (0..)
            .zip(&shoppers)
            .map(|(ix, s)| shopper_entry(ix, s))
            .collect();
        let job_entries: Vec<Entry> = (0..).zip(&jobs).map(|(ix, j)| job_entry(ix, j)).collect();
        // The shoppers' tree (the largest part) is loaded on a thread of its own meanwhile.
        let (shopper_tree, rest) = std::thread::scope(|scope| {
            let tree = scope.spawn(|| RTree::bulk_load_with_params(shopper_entries));
            let rest = Slots::from_vec(shoppers).and_then(|shoppers| {
                Ok((
                    shoppers,
                    Slots::from_vec(jobs)?,
                    RTree::bulk_load_with_params(job_entries),
                ))
            });
            (tree.join(), rest)
        });
        let shopper_tree = shopper_tree.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let (shoppers, jobs, job_tree) = rest?;
        Ok(Engine {
            symbols,
            shoppers,
            shopper_tree,
            jobs,
            job_tree,
        })
    }

    pub fn shopper(&self, ix: ShopperIx) -> Option<&Shopper> {
        self.shoppers.get(ix)
    }

    pub fn job(&self, ix: JobIx) -> Option<&Job> {
        self.jobs.get(ix)
    }

    pub fn shopper_by_id(&self, id: &str) -> Option<ShopperIx> {
        self.shoppers.position(id)
    }

    pub fn job_by_id(&self, id: &str) -> Option<JobIx> {
        self.jobs.position(id)
    }

    /// Positions handed out so far (removed shoppers leave holes): the bound of `ShopperIx`.
    pub fn shopper_slots(&self) -> ShopperIx {
        ShopperIx::try_from(self.shoppers.slots()).unwrap_or(ShopperIx::MAX)
    }

    /// Shoppers in the engine (removed ones not counted).
    pub fn shopper_count(&self) -> usize {
        self.shoppers.len()
    }

    pub fn job_count(&self) -> usize {
        self.jobs.len()
    }

    pub fn shoppers(&self) -> impl Iterator<Item = (ShopperIx, &Shopper)> {
        self.shoppers.iter()
    }

    pub fn jobs(&self) -> impl Iterator<Item = (JobIx, &Job)> {
        self.jobs.iter()
    }

    pub fn add_shopper(&mut self, s: Shopper) -> Result<ShopperIx, EngineError> {
        let next = ShopperIx::try_from(self.shoppers.slots()).map_err(|_| Refused::Full)?;
        let entry = shopper_entry(next, &s);
        let ix = self.shoppers.push(s)?;
        debug_assert_eq!(ix, next);
        self.shopper_tree.insert(entry);
        Ok(ix)
    }

    pub fn move_shopper(&mut self, ix: ShopperIx, to: Coordinates) -> Result<(), EngineError> {
        self.update_shopper(ix, |s| s.position = to)
    }

    pub fn remove_shopper(&mut self, ix: ShopperIx) -> Result<Shopper, EngineError> {
        let s = self
            .shoppers
            .take(ix)
            .ok_or_else(|| EngineError::UnknownId(ix.to_string()))?;
        self.shopper_tree.remove(&shopper_entry(ix, &s));
        Ok(s)
    }

    /// Moves, suspension, reinstatement, capacity and profile changes (not the id).
    pub fn update_shopper(
        &mut self,
        ix: ShopperIx,
        change: impl FnOnce(&mut Shopper),
    ) -> Result<(), EngineError> {
        let s = self
            .shoppers
            .get_mut(ix)
            .ok_or_else(|| EngineError::UnknownId(ix.to_string()))?;
        let id = s.id.clone();
        let before = shopper_entry(ix, s);
        change(s);
        s.id = id;
        let after = shopper_entry(ix, s);
        if before != after {
            self.shopper_tree.remove(&before);
            self.shopper_tree.insert(after);
        }
        Ok(())
    }

    pub fn add_job(&mut self, j: Job) -> Result<JobIx, EngineError> {
        let next = JobIx::try_from(self.jobs.slots()).map_err(|_| Refused::Full)?;
        let entry = job_entry(next, &j);
        let ix = self.jobs.push(j)?;
        debug_assert_eq!(ix, next);
        self.job_tree.insert(entry);
        Ok(ix)
    }

    /// A job's terms changed (window, fee, rules, store): in place, keeping its position in the
    /// engine.
    pub fn update_job(
        &mut self,
        ix: JobIx,
        change: impl FnOnce(&mut Job),
    ) -> Result<(), EngineError> {
        let j = self
            .jobs
            .get_mut(ix)
            .ok_or_else(|| EngineError::UnknownId(ix.to_string()))?;
        let id = j.id.clone();
        let before = job_entry(ix, j);
        change(j);
        j.id = id;
        let after = job_entry(ix, j);
        if before != after {
            self.job_tree.remove(&before);
            self.job_tree.insert(after);
        }
        Ok(())
    }

    /// A job filled or closed leaves the board.
    pub fn remove_job(&mut self, ix: JobIx) -> Result<Job, EngineError> {
        let j = self
            .jobs
            .take(ix)
            .ok_or_else(|| EngineError::UnknownId(ix.to_string()))?;
        self.job_tree.remove(&job_entry(ix, &j));
        Ok(j)
    }

    /// The `k` nearest eligible shoppers for a job (all of them when `k` is None), nearest
    /// first, ties by shopper id.
    pub fn candidates(&self, job: JobIx, k: Option<usize>) -> Vec<Hit<ShopperIx>> {
        let Some(j) = self.job(job) else {
            return Vec::new();
        };
        let reach = reach(j.max_km);
        let origin = point(j.position);
        let need = Need::of(j);
        let eligible = |e: &ShopperEntry| {
            if !need.may_pass(&e.data) {
                return None;
            }
            let s = self.shopper(e.data.ix)?;
            let km = haversine_km(s.position, j.position);
            is_eligible_at(s, j, km).then_some(Hit { ix: e.data.ix, km })
        };
        let mut hits: Vec<Hit<ShopperIx>> = match k {
            // All of them: a range query is cheaper than walking neighbours in order.
            None => self
                .shopper_tree
                .locate_within_distance(origin, reach)
                .filter_map(eligible)
                .collect(),
            // The k nearest: range queries on growing circles (cheaper per point than walking
            // neighbours in order), until the k-th eligible one lies inside the circle, which
            // then holds every better one.
            Some(k) => {
                let mut radius = FIRST_RING_KM.min(j.max_km);
                loop {
                    let mut hits: Vec<Hit<ShopperIx>> = self
                        .shopper_tree
                        .locate_within_distance(origin, self::reach(radius))
                        .filter_map(eligible)
                        .collect();
                    if radius >= j.max_km {
                        break hits;
                    }
                    if hits.len() >= k {
                        hits.select_nth_unstable_by(k - 1, |a, b| a.km.total_cmp(&b.km));
                        if hits[k - 1].km <= radius {
                            break hits;
                        }
                    }
                    radius = next_ring(radius, hits.len(), k).min(j.max_km);
                }
            }
        };
        self.sort_by_distance_then_id(&mut hits, |ix| self.shopper(ix).map_or("", |s| &s.id));
        if let Some(k) = k {
            hits.truncate(k);
        }
        hits
    }

    /// The open jobs a shopper is eligible for, nearest first, ties by job id.
    pub fn jobs_for(&self, shopper: ShopperIx) -> Vec<Hit<JobIx>> {
        let mut hits = self.eligible_jobs_unsorted(shopper);
        self.sort_by_distance_then_id(&mut hits, |ix| self.job(ix).map_or("", |j| &j.id));
        hits
    }

    /// The open jobs a shopper is eligible for, in no particular (but a fixed) order.
    pub fn eligible_jobs_unsorted(&self, shopper: ShopperIx) -> Vec<Hit<JobIx>> {
        let mut hits = Vec::new();
        self.each_eligible_job(shopper, |ix, h| {
            hits.push(Hit {
                ix,
                km: km_of_haversine(h),
            });
        });
        hits
    }

    /// Calls `found` with each open job the shopper is eligible for and the haversine of its
    /// distance ([`km_of_haversine`] is the distance), in no particular (but a fixed) order,
    /// without collecting them.
    pub fn each_eligible_job(&self, shopper: ShopperIx, mut found: impl FnMut(JobIx, f64)) {
        let Some(s) = self.shopper(shopper) else {
            return;
        };
        // The rules of the shopper alone, once.
        if !s.active || s.capacity == 0 {
            return;
        }
        let orgs = mask64(s.tags.orgs());
        let radius = Within::km(s.radius_km);
        for e in self
            .job_tree
            .locate_within_distance(point(s.position), reach(s.radius_km))
        {
            let leaf = &e.data;
            // The rules but distance first (no trigonometry), from the leaf where it can tell
            // (see `JobLeaf`), else from the record; then the distance.
            let meets = if leaf.plain && leaf.orgs & orgs == 0 {
                s.rating >= leaf.min_rating && !s.recent.iter().any(|v| v.location == leaf.location)
            } else {
                self.job(leaf.ix)
                    .is_some_and(|j| meets_all_but_distance(s, j))
            };
            if !meets {
                continue;
            }
            // `rules::limit_km`: the lesser of the two limits, as `f64::min` picks it.
            let limit = if leaf.max_km.limit() < s.radius_km || s.radius_km.is_nan() {
                leaf.max_km
            } else {
                radius
            };
            let h = haversine(s.position, leaf.position);
            if limit.holds(h) {
                found(leaf.ix, h);
            }
        }
    }

    /// Every job within the shopper's own travel radius, eligible or not, in no particular
    /// order: what the board shows on the map.
    pub fn jobs_within_radius(&self, shopper: ShopperIx) -> Vec<Hit<JobIx>> {
        let Some(s) = self.shopper(shopper) else {
            return Vec::new();
        };
        self.job_tree
            .locate_within_distance(point(s.position), reach(s.radius_km))
            .filter_map(|e| {
                let km = haversine_km(s.position, e.data.position);
                (km <= s.radius_km).then_some(Hit { ix: e.data.ix, km })
            })
            .collect()
    }

    /// The nearest shoppers within the job's reach that are not eligible, with every reason:
    /// what the matching desk shows below the candidates.
    pub fn nearby_ineligible(&self, job: JobIx, limit: usize) -> Vec<(Hit<ShopperIx>, Vec<Unmet>)> {
        let Some(j) = self.job(job) else {
            return Vec::new();
        };
        let origin = point(j.position);
        let reach = reach(j.max_km);
        let mut out = Vec::new();
        for (e, d2) in self
            .shopper_tree
            .nearest_neighbor_iter_with_distance_2(&origin)
        {
            if d2 > reach || out.len() == limit {
                break;
            }
            let Some(s) = self.shopper(e.data.ix) else {
                continue;
            };
            let unmet = explain(s, j);
            if !unmet.is_empty() {
                out.push((
                    Hit {
                        ix: e.data.ix,
                        km: haversine_km(s.position, j.position),
                    },
                    unmet,
                ));
            }
        }
        out
    }

    fn sort_by_distance_then_id<'a, I: Copy>(
        &'a self,
        hits: &mut [Hit<I>],
        id: impl Fn(I) -> &'a str,
    ) {
        hits.sort_by(|a, b| a.km.total_cmp(&b.km).then_with(|| id(a.ix).cmp(id(b.ix))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matching::model::Visit;
    use proptest::prelude::*;

    fn point(lat: f64, lon: f64) -> Coordinates {
        Coordinates::new(lat, lon).unwrap()
    }

    fn linear_candidates(engine: &Engine, job: JobIx, k: usize) -> Vec<(String, f64)> {
        let j = engine.job(job).unwrap();
        let mut all: Vec<(String, f64)> = engine
            .shoppers()
            .filter(|(_, s)| crate::matching::rules::is_eligible(s, j))
            .map(|(_, s)| (s.id.to_string(), haversine_km(s.position, j.position)))
            .collect();
        all.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        all.truncate(k);
        all
    }

    fn named(engine: &Engine, hits: &[Hit<ShopperIx>]) -> Vec<(String, f64)> {
        hits.iter()
            .map(|h| (engine.shopper(h.ix).unwrap().id.to_string(), h.km))
            .collect()
    }

    /// (lat, lon, radius km, capacity, organization, vehicle)
    /// The last number picks rating, completed shops, age, languages and certifications.
    type ShopperSpec = (f64, f64, f64, u32, u8, bool, u8);
    /// (lat, lon, max km, blocked organization, needs vehicle, requirements)
    type JobSpec = (f64, f64, f64, u8, bool, u8);

    /// Shoppers and jobs in a small region with coarse values, so ties and edge cases are common.
    fn panel() -> impl Strategy<Value = (Vec<ShopperSpec>, Vec<JobSpec>)> {
        let coord = || {
            (40.0f64..40.6, -74.3f64..-73.7)
                .prop_map(|(a, b)| ((a * 100.0).round() / 100.0, (b * 100.0).round() / 100.0))
        };
        let shoppers = proptest::collection::vec(
            (
                coord(),
                prop_oneof![Just(5.0), Just(15.0), Just(40.0)],
                0u32..3,
                0u8..4,
                any::<bool>(),
                any::<u8>(),
            )
                .prop_map(|((lat, lon), r, cap, org, veh, mix)| (lat, lon, r, cap, org, veh, mix)),
            0..60,
        );
        let jobs = proptest::collection::vec(
            (
                coord(),
                prop_oneof![Just(10.0), Just(30.0)],
                0u8..4,
                any::<bool>(),
                any::<u8>(),
            )
                .prop_map(|((lat, lon), m, org, veh, mix)| (lat, lon, m, org, veh, mix)),
            1..8,
        );
        (shoppers, jobs)
    }

    fn build(shoppers: &[ShopperSpec], jobs: &[JobSpec]) -> Engine {
        let mut sy = Symbols::default();
        let list: Vec<Shopper> = shoppers
            .iter()
            .enumerate()
            .map(|(i, (lat, lon, r, cap, org, veh, mix))| Shopper {
                id: format!("S{i:03}").into(),
                position: point(*lat, *lon),
                radius_km: *r,
                capacity: *cap,
                rating: [4.0, 6.99, 7.0, 9.2][usize::from(mix % 4)],
                completed: [0, 3, 12][usize::from(mix / 4 % 3)],
                age: [None, Some(19), Some(30), Some(70)][usize::from(mix / 12 % 4)],
                vehicle: *veh,
                tags: {
                    let languages = sy.intern_all(
                        [&["en"][..], &["en", "es"], &["fr"]][usize::from(mix / 48 % 3)],
                    );
                    let certs = sy.intern_all(
                        [&[][..], &["gold"], &["gold", "alcohol"]][usize::from(mix % 3)],
                    );
                    // Organization 3 stands for none.
                    let orgs = sy.intern_all(&[format!("O{org}")][..usize::from(*org < 3)]);
                    crate::matching::model::Tags::new(&languages, &certs, &orgs)
                },
                recent: vec![Visit {
                    location: sy.intern(&format!("L{}", i % 5)),
                    on: None,
                }]
                .into(),
                active: true,
            })
            .collect();
        let jl: Vec<Job> = jobs
            .iter()
            .enumerate()
            .map(|(i, (lat, lon, m, org, veh, mix))| Job {
                id: format!("J{i}").into(),
                location: sy.intern(&format!("L{i}")),
                position: point(*lat, *lon),
                max_km: *m,
                min_age: [None, Some(21)][usize::from(mix % 2)],
                max_age: [None, Some(60)][usize::from(mix / 2 % 2)],
                vehicle: *veh,
                languages: sy.intern_all([&[][..], &["es"]][usize::from(mix / 4 % 2)]),
                certs: sy.intern_all([&[][..], &["gold"]][usize::from(mix / 8 % 2)]),
                min_rating: [0.0, 7.0][usize::from(mix / 16 % 2)],
                min_completed: [0, 3][usize::from(mix / 32 % 2)],
                blocked_orgs: sy.intern_all(&[format!("O{org}")]),
            })
            .collect();
        Engine::build(sy, list, jl).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// The single-precision tree never loses a point that is within reach: the squared
        /// chord rstar computes stays inside `reach` of the true distance, near and far.
        #[test]
        fn reach_covers_single_precision_rounding(
            lat in -90.0f64..=90.0, lon in -180.0f64..=180.0,
            dlat in prop_oneof![-1e-5f64..1e-5, -0.5f64..0.5, -90.0f64..90.0],
            dlon in prop_oneof![-1e-5f64..1e-5, -0.5f64..0.5, -180.0f64..180.0],
        ) {
            let a = point(lat, lon);
            let b = point((lat + dlat).clamp(-90.0, 90.0), ((lon + dlon + 540.0) % 360.0) - 180.0);
            let (pa, pb) = (super::point(a), super::point(b));
            let d2: f32 = (0..3).map(|i| (pa[i] - pb[i]) * (pa[i] - pb[i])).sum();
            prop_assert!(d2 <= reach(haversine_km(a, b)), "{a:?} {b:?}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        #[test]
        fn candidates_equal_a_linear_scan((shoppers, jobs) in panel(), k in 1usize..12) {
            let engine = build(&shoppers, &jobs);
            for (ix, _) in engine.jobs() {
                prop_assert_eq!(named(&engine, &engine.candidates(ix, Some(k))), linear_candidates(&engine, ix, k));
                prop_assert_eq!(named(&engine, &engine.candidates(ix, None)), linear_candidates(&engine, ix, usize::MAX));
            }
        }

        #[test]
        fn jobs_for_a_shopper_are_those_they_are_a_candidate_for((shoppers, jobs) in panel()) {
            let engine = build(&shoppers, &jobs);
            for (s, _) in engine.shoppers() {
                let mine: Vec<JobIx> = engine.jobs_for(s).iter().map(|h| h.ix).collect();
                let mut expected: Vec<JobIx> = engine
                    .jobs()
                    .filter(|(j, _)| engine.candidates(*j, None).iter().any(|h| h.ix == s))
                    .map(|(j, _)| j)
                    .collect();
                let km = |j: JobIx| haversine_km(engine.shopper(s).unwrap().position, engine.job(j).unwrap().position);
                expected.sort_by(|a, b| km(*a).total_cmp(&km(*b)).then_with(|| engine.job(*a).unwrap().id.cmp(&engine.job(*b).unwrap().id)));
                prop_assert_eq!(mine, expected);
            }
        }

        #[test]
        fn each_eligible_job_is_every_job_the_rules_admit(
            (shoppers, jobs) in panel(),
            plain in proptest::collection::vec(any::<bool>(), 8),
        ) {
            // Some jobs asking nothing but distance, rating, no conflict and rotation, which the
            // tree's leaves decide without the record; the others are decided on it.
            let jobs: Vec<JobSpec> = jobs
                .iter()
                .zip(&plain)
                .map(|(j, p)| if *p { (j.0, j.1, j.2, j.3, false, j.5 & 16) } else { *j })
                .collect();
            let engine = build(&shoppers, &jobs);
            for (s, shopper) in engine.shoppers() {
                let mut found = Vec::new();
                engine.each_eligible_job(s, |ix, h| found.push((ix, km_of_haversine(h))));
                found.sort_by_key(|f| f.0);
                let expected: Vec<(JobIx, f64)> = engine
                    .jobs()
                    .filter(|(_, j)| crate::matching::rules::is_eligible(shopper, j))
                    .map(|(ix, j)| (ix, haversine_km(shopper.position, j.position)))
                    .collect();
                prop_assert_eq!(found, expected);
            }
        }

        #[test]
        fn jobs_within_radius_are_every_job_that_near((shoppers, jobs) in panel()) {
            let engine = build(&shoppers, &jobs);
            for (s, shopper) in engine.shoppers() {
                let mut found: Vec<JobIx> = engine.jobs_within_radius(s).iter().map(|h| h.ix).collect();
                found.sort_unstable();
                let expected: Vec<JobIx> = engine
                    .jobs()
                    .filter(|(_, j)| haversine_km(shopper.position, j.position) <= shopper.radius_km)
                    .map(|(j, _)| j)
                    .collect();
                prop_assert_eq!(found, expected);
            }
        }
    }

    #[test]
    fn a_job_updated_in_place_is_found_where_it_now_is() {
        let mut engine = build(
            &[(40.0, -74.0, 40.0, 1, 0, true, 2)],
            &[(40.01, -74.0, 30.0, 9, false, 0)],
        );
        let s = engine.shopper_by_id("S000").unwrap();
        engine
            .update_shopper(s, |s| s.recent = Box::new([]))
            .unwrap();
        let job = engine.job_by_id("J0").unwrap();
        assert_eq!(engine.jobs_for(s).len(), 1);
        // Moved 100 km north: out of reach, still in the engine under its position.
        engine
            .update_job(job, |j| j.position = point(40.9, -74.0))
            .unwrap();
        assert!(engine.jobs_for(s).is_empty());
        assert!(engine.jobs_within_radius(s).is_empty());
        assert!(engine.candidates(job, None).is_empty());
        // Back, and now needing a vehicle the shopper has: the same slot, eligible again.
        engine
            .update_job(job, |j| {
                j.position = point(40.01, -74.0);
                j.vehicle = true;
            })
            .unwrap();
        assert_eq!(engine.job_by_id("J0"), Some(job));
        assert_eq!(engine.jobs_for(s).len(), 1);
        assert!(engine.update_job(job + 1, |_| {}).is_err(), "no such job");
    }

    #[test]
    fn updates_need_no_rebuild() {
        let mut engine = build(
            &[
                (40.0, -74.0, 40.0, 1, 0, true, 2),
                (40.5, -74.0, 40.0, 1, 0, true, 2),
            ],
            &[(40.01, -74.0, 30.0, 9, false, 0)],
        );
        let job = engine.job_by_id("J0").unwrap();
        for s in 0..engine.shopper_slots() {
            engine
                .update_shopper(s, |s| s.recent = Box::new([]))
                .unwrap();
        }
        let ids = |e: &Engine| -> Vec<String> {
            e.candidates(job, None)
                .iter()
                .map(|h| e.shopper(h.ix).unwrap().id.to_string())
                .collect()
        };
        assert_eq!(ids(&engine), ["S000"]);
        // S001 moves next to the job, S000 is suspended, then a new shopper joins.
        let s1 = engine.shopper_by_id("S001").unwrap();
        engine.move_shopper(s1, point(40.02, -74.0)).unwrap();
        let s0 = engine.shopper_by_id("S000").unwrap();
        engine.update_shopper(s0, |s| s.active = false).unwrap();
        assert_eq!(ids(&engine), ["S001"]);
        let mut newcomer = engine.shopper(s1).unwrap().clone();
        newcomer.id = "S100".into();
        newcomer.position = point(40.011, -74.0);
        engine.add_shopper(newcomer).unwrap();
        assert_eq!(ids(&engine), ["S100", "S001"]);
        engine.remove_shopper(s1).unwrap();
        assert_eq!(ids(&engine), ["S100"]);
        // The job is filled: it leaves the board.
        let s100 = engine.shopper_by_id("S100").unwrap();
        assert_eq!(engine.jobs_for(s100).len(), 1);
        engine.remove_job(job).unwrap();
        assert!(engine.jobs_for(s100).is_empty());
        assert!(
            engine
                .add_shopper(engine.shopper(s100).unwrap().clone())
                .is_err(),
            "duplicate id"
        );
    }

    /// One shopper and one job 5.6 km apart, the job asking nothing of the shopper but no
    /// conflict; `names` interned first, in their order.
    fn pair(names: &[String], shopper_orgs: &[&str], job_orgs: &[&str]) -> Engine {
        let mut sy = Symbols::default();
        for name in names {
            sy.intern(name);
        }
        let orgs = sy.intern_all(shopper_orgs);
        let blocked = sy.intern_all(job_orgs);
        let shopper = Shopper {
            id: "S".into(),
            position: point(40.0, -74.0),
            radius_km: 20.0,
            capacity: 1,
            rating: 5.0,
            completed: 0,
            age: None,
            vehicle: false,
            tags: crate::matching::model::Tags::new(&[], &[], &orgs),
            recent: Box::new([]),
            active: true,
        };
        let job = Job {
            id: "J".into(),
            location: sy.intern("store"),
            position: point(40.05, -74.0),
            max_km: 30.0,
            min_age: None,
            max_age: None,
            vehicle: false,
            languages: Box::new([]),
            certs: Box::new([]),
            min_rating: 0.0,
            min_completed: 0,
            blocked_orgs: blocked,
        };
        Engine::build(sy, vec![shopper], vec![job]).unwrap()
    }

    fn eligible_jobs(engine: &Engine) -> usize {
        let mut n = 0;
        engine.each_eligible_job(0, |_, _| n += 1);
        n
    }

    #[test]
    fn organizations_sharing_a_bit_of_the_mask_are_told_apart_on_the_record() {
        // "client" is symbol 0 and "employer" 64: the same bit of the leaves' masks.
        let mut names = vec!["client".to_string()];
        names.extend((1..64).map(|i| format!("filler {i}")));
        names.push("employer".into());
        let engine = pair(&names, &["employer"], &["client"]);
        assert_eq!(engine.symbols.get("employer"), Some(64));
        assert_eq!(
            eligible_jobs(&engine),
            1,
            "no conflict: different organizations"
        );
        let engine = pair(&names, &["client"], &["client"]);
        assert_eq!(eligible_jobs(&engine), 0, "a conflict");
        let engine = pair(&names, &["filler 1"], &["client"]);
        assert_eq!(eligible_jobs(&engine), 1, "no shared bit");
    }

    #[test]
    fn a_job_whose_requirements_change_is_decided_by_the_new_ones() {
        let mut engine = pair(&[], &[], &["client"]);
        assert_eq!(eligible_jobs(&engine), 1);
        engine.update_job(0, |j| j.vehicle = true).unwrap();
        assert_eq!(eligible_jobs(&engine), 0, "the shopper has no vehicle");
        engine.update_job(0, |j| j.vehicle = false).unwrap();
        assert_eq!(eligible_jobs(&engine), 1);
        engine.update_job(0, |j| j.min_rating = 6.0).unwrap();
        assert_eq!(eligible_jobs(&engine), 0, "the shopper's rating is 5");
        engine.update_job(0, |j| j.min_rating = 0.0).unwrap();
        engine.update_job(0, |j| j.max_km = 5.0).unwrap();
        assert_eq!(eligible_jobs(&engine), 0, "the job is 5.6 km away");
    }
}
