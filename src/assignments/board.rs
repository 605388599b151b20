//! The shopper's job board: the open jobs near them put through the matching engine, the ones
//! they may take (nearest or soonest first) and the ones they may not, each with why in their
//! own words.
//! The board itself comes from the live index ([`super::live`]); one job's page loads its
//! engine by [`super::snapshot`].

use crate::ids::{ClientId, JobId, LocationId, ProjectId, ShopperId};
use crate::money::Money;
use crate::units::DistanceUnit;
use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::candidates::shopper_words;
use super::snapshot::{self, JobParts};
use crate::clients::model::JobStatus;
use crate::clients::store as clients;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::matching::{Coordinates, Engine, JobIx, ShopperIx, Within, explain, km_of_haversine};
use crate::panel::model::Status;

/// Jobs a page of the board lists.
pub const PAGE_SIZE: usize = 20;

/// A day as `YYYY-MM-DD`, as chrono writes it, without its formatter: a board page writes
/// forty of them.
fn iso_date<S: serde::Serializer>(day: &NaiveDate, to: S) -> Result<S::Ok, S::Error> {
    use chrono::Datelike;
    let (year, month, date) = (day.year(), day.month(), day.day());
    let Ok(year) = u32::try_from(year) else {
        return to.collect_str(day);
    };
    if year > 9999 {
        return to.collect_str(day);
    }
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let text = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(date / 10),
        digit(date),
    ];
    to.serialize_str(std::str::from_utf8(&text).unwrap_or_default())
}

/// A job as a shopper sees it on the board: the area, never the street; the client's name
/// only where the project shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JobCard {
    pub id: JobId,
    pub code: String,
    /// City and state of the store.
    pub area: String,
    #[serde(serialize_with = "iso_date")]
    pub window_start: NaiveDate,
    #[serde(serialize_with = "iso_date")]
    pub window_end: NaiveDate,
    pub fee_cents: Money,
    pub bonus_cents: Money,
    pub reimbursement_cap_cents: Money,
    pub client_name: Option<String>,
    /// From the shopper's home, km, to the half kilometre.
    pub distance_km: f64,
    /// What the job pays for the shopper's time, after the round trip from their home.
    pub pay: PayEstimate,
    /// Offset of the store from the shopper's home, km east and north (for the map; never
    /// absolute coordinates).
    #[serde(skip)]
    pub east_km: f64,
    #[serde(skip)]
    pub north_km: f64,
}

/// The pay of a job for the shopper's time: fee and bonus, less the round trip from home at
/// a cost per mile, over the time of the trip (at an average speed) and the visit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, ToSchema)]
pub struct PayEstimate {
    /// There and back, km (twice the distance shown).
    pub round_trip_km: f64,
    /// The round trip at the service's cost per mile.
    pub travel_cost_cents: Money,
    /// Minutes of driving there and back, and of the visit (the project's).
    pub minutes: i64,
    /// Fee and bonus less the travel cost (below zero when the trip costs more).
    pub net_cents: Money,
    /// The net per hour of those minutes.
    pub per_hour_cents: Money,
}

/// Kilometres in a mile.
const KM_PER_MILE: f64 = 1.609_344;

impl PayEstimate {
    /// The estimate for a job paying `fee` and `bonus`, `distance_km` from home, its visit
    /// taking `visit_minutes`.
    pub fn of(
        fee: Money,
        bonus: Money,
        distance_km: f64,
        visit_minutes: i32,
        travel: crate::config::TravelCosts,
    ) -> PayEstimate {
        let round_trip_km = distance_km * 2.0;
        let miles = round_trip_km / KM_PER_MILE;
        // Whole cents, rounded; a distance is at most a few hundred km, so this fits.
        #[allow(clippy::cast_possible_truncation)]
        let travel_cost = (miles * travel.mile_cents as f64).round() as i64;
        #[allow(clippy::cast_possible_truncation)]
        let driving = (miles / travel.mph.max(1.0) * 60.0).round() as i64;
        let minutes = (driving + i64::from(visit_minutes)).max(1);
        let net = fee.cents() + bonus.cents() - travel_cost;
        PayEstimate {
            round_trip_km,
            travel_cost_cents: Money::from_cents(travel_cost),
            minutes,
            net_cents: Money::from_cents(net),
            per_hour_cents: Money::from_cents(net * 60 / minutes),
        }
    }

    /// Writes the estimate as serde does (a test holds the two together), its keys copied
    /// rather than escaped: a board page writes twenty.
    fn write_json(&self, out: &mut Vec<u8>) -> AppResult<()> {
        out.extend_from_slice(b"{\"round_trip_km\":");
        serde_json::to_writer(&mut *out, &self.round_trip_km).map_err(AppError::internal)?;
        for (key, value) in [
            (
                &b",\"travel_cost_cents\":"[..],
                self.travel_cost_cents.cents(),
            ),
            (b",\"minutes\":", self.minutes),
            (b",\"net_cents\":", self.net_cents.cents()),
            (b",\"per_hour_cents\":", self.per_hour_cents.cents()),
        ] {
            out.extend_from_slice(key);
            serde_json::to_writer(&mut *out, &value).map_err(AppError::internal)?;
        }
        out.push(b'}');
        Ok(())
    }

    /// Whether the trip costs more than the job pays.
    pub fn loses_money(&self) -> bool {
        self.net_cents.cents() <= 0
    }
}

/// A job the shopper may not take, and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Unavailable {
    #[serde(flatten)]
    pub job: JobCard,
    pub why_not: Vec<String>,
}

/// The board of one shopper.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Board {
    /// The shopper's travel radius, km.
    pub radius_km: f64,
    /// Jobs the shopper may take, nearest first.
    pub eligible: Vec<JobCard>,
    /// Jobs within the radius the shopper may not take.
    pub unavailable: Vec<Unavailable>,
}

/// How a board is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    Distance,
    Date,
}

/// What orders jobs: (distance shown, window start, id).
pub type Order = (f64, NaiveDate, JobId);

impl Sort {
    /// The order of two jobs.
    pub fn compare(self, a: Order, b: Order) -> std::cmp::Ordering {
        match self {
            Sort::Distance => a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)),
            Sort::Date => a.1.cmp(&b.1).then(a.0.total_cmp(&b.0)).then(a.2.cmp(&b.2)),
        }
    }

    /// A job's place in this order as a number and the job's id: compared as a pair, they
    /// order jobs as [`Sort::compare`] does (a test holds the two together), for a distance
    /// shown (a whole number of half kilometres, see [`shown_km`]).
    fn key(self, (km, day, id): Order) -> (u64, JobId) {
        // A distance shown is a few thousand half kilometres at most.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let halves = (km * 2.0) as u32;
        let day = day_number(day);
        let (first, second) = match self {
            Sort::Distance => (halves, day),
            Sort::Date => (day, halves),
        };
        ((u64::from(first) << 32) | u64::from(second), id)
    }

    /// Whether a job at haversine `h` (see [`crate::matching::geo::haversine`]: its distance
    /// exactly, before it is shown to the half kilometre) starting on `day` comes after every
    /// job whose [`Sort::key`] is `key`, by the key's first part: the half kilometres it shows,
    /// or its first day. `bound` keeps the distance's bound for the last key's first part asked
    /// about, which a page's walk asks about again and again.
    fn comes_after(
        self,
        h: f64,
        day: NaiveDate,
        key: (u64, JobId),
        bound: &mut Option<(u64, Within)>,
    ) -> bool {
        let first = key.0 >> 32;
        match self {
            // Shown as at least `first + 1` halves once twice the distance is `first + ½`.
            Sort::Distance => {
                let within = match *bound {
                    Some((of, within)) if of == first => within,
                    _ => {
                        #[allow(clippy::cast_precision_loss)]
                        let within = Within::km((first as f64 + 0.5) / 2.0);
                        *bound = Some((first, within));
                        within
                    }
                };
                within.reached(h)
            }
            Sort::Date => u64::from(day_number(day)) > first,
        }
    }
}

/// Days in signed order as unsigned numbers in the same order.
fn day_number(day: NaiveDate) -> u32 {
    use chrono::Datelike;
    #[allow(clippy::cast_sign_loss)]
    let number = (day.num_days_from_ce() as u32) ^ (1 << 31);
    number
}

impl JobCard {
    fn order(&self) -> Order {
        (self.distance_km, self.window_start, self.id)
    }
}

impl Board {
    /// The eligible jobs in this order.
    pub fn sorted(&mut self, sort: Sort) {
        self.eligible
            .sort_by(|a, b| sort.compare(a.order(), b.order()));
    }
}

/// A distance as the shopper sees it: to the half kilometre, enough to choose, too coarse to
/// find the store.
pub fn shown_km(km: f64) -> f64 {
    half_up(km * 2.0) / 2.0
}

/// `x.round()` (halves away from zero), without the library call `round` is on a processor
/// without SSE4.1: a board rounds the distance of every job around the shopper.
fn half_up(x: f64) -> f64 {
    if !(0.0..4.0e15).contains(&x) {
        return x.round();
    }
    let whole = x as i64 as f64;
    if x - whole >= 0.5 { whole + 1.0 } else { whole }
}

/// One page of the jobs a shopper may take.
#[derive(Debug, Clone)]
pub struct Page {
    pub radius_km: f64,
    /// Jobs open to the shopper in all.
    pub total: usize,
    /// The page's cards as the API writes them: a JSON array of [`JobCard`]s (see
    /// [`write_cards`]).
    pub jobs_json: Vec<u8>,
}

/// Where the map puts a store, km (east, north) of the shopper's home, on a 2 km grid: near
/// enough to see where the work is, too coarse to find the store (its address is the
/// shopper's only once the job is theirs).
pub const MAP_GRID_KM: f64 = 2.0;

fn offset_km(from: Coordinates, to: Coordinates) -> (f64, f64) {
    let north = (to.lat() - from.lat()) * 111.195;
    let east = (to.lon() - from.lon()) * 111.195 * from.lat().to_radians().cos();
    let snap = |v: f64| (v / MAP_GRID_KM).round() * MAP_GRID_KM;
    (snap(east), snap(north))
}

/// An open job as a board shows it, with the ids a change to it names: a few hundred bytes
/// with the card's fixed part written out, where the job's, store's and project's rows take a
/// kilobyte (the live index holds one for every open job).
#[derive(Debug, Clone)]
pub struct Posting {
    pub id: JobId,
    pub code: Box<str>,
    /// City and state of the store.
    pub area: Box<str>,
    pub latitude: f64,
    pub longitude: f64,
    pub window_start: NaiveDate,
    pub window_end: NaiveDate,
    pub fee_cents: Money,
    pub bonus_cents: Money,
    pub reimbursement_cap_cents: Money,
    /// Minutes the project gives a visit.
    pub visit_minutes: i32,
    /// Days the project keeps a shopper from visiting the store again.
    pub rotation_days: i32,
    /// Where the project shows it.
    pub client_name: Option<Box<str>>,
    pub location_id: LocationId,
    pub project_id: ProjectId,
    pub client_id: ClientId,
    /// The card's fields that are the same for every shopper, as the API writes them: `{` and
    /// the fields from `id` to `client_name`, without the closing `}`. A board page copies it
    /// (see [`write_cards`]) instead of writing and escaping them again for every request.
    pub fixed_json: Box<str>,
}

/// The fields of [`JobCard`] that do not depend on the shopper, in its order and written as
/// it writes them (a test holds the two together).
#[derive(Serialize)]
struct FixedFields<'a> {
    id: JobId,
    code: &'a str,
    area: &'a str,
    #[serde(serialize_with = "iso_date")]
    window_start: NaiveDate,
    #[serde(serialize_with = "iso_date")]
    window_end: NaiveDate,
    fee_cents: Money,
    bonus_cents: Money,
    reimbursement_cap_cents: Money,
    client_name: Option<&'a str>,
}

impl Posting {
    /// The posting of a job with its store and project; `client_name` where the project shows
    /// it.
    pub fn of((job, location, project): &JobParts, client_name: Option<&str>) -> Posting {
        Posting {
            id: job.id,
            code: job.code.as_str().into(),
            area: format!("{}, {}", location.city, location.state).into(),
            latitude: location.latitude,
            longitude: location.longitude,
            window_start: job.window_start,
            window_end: job.window_end,
            fee_cents: job.fee_cents,
            bonus_cents: job.bonus_cents,
            reimbursement_cap_cents: job.reimbursement_cap_cents,
            visit_minutes: project.visit_minutes,
            rotation_days: project.rotation_days,
            client_name: project
                .show_client_name
                .then_some(client_name)
                .flatten()
                .map(Into::into),
            location_id: location.id,
            project_id: project.id,
            client_id: project.client_id,
            fixed_json: "".into(),
        }
        .with_fixed_json()
    }

    /// The posting with its [`Posting::fixed_json`] written from its fields.
    fn with_fixed_json(mut self) -> Posting {
        let fixed = FixedFields {
            id: self.id,
            code: &self.code,
            area: &self.area,
            window_start: self.window_start,
            window_end: self.window_end,
            fee_cents: self.fee_cents,
            bonus_cents: self.bonus_cents,
            reimbursement_cap_cents: self.reimbursement_cap_cents,
            client_name: self.client_name.as_deref(),
        };
        let mut json = serde_json::to_string(&fixed).unwrap_or_else(|_| "{".into());
        json.pop();
        self.fixed_json = json.into();
        self
    }
}

/// The postings of the live index's open jobs by their engine position, and beside them what
/// puts a board in order (each job's first day and id, 16 bytes): ordering the hundreds of jobs
/// around a shopper reads those, and only the page's postings are read.
#[derive(Debug, Default)]
pub struct Postings {
    all: Vec<Option<Posting>>,
    order: Vec<Option<(NaiveDate, JobId)>>,
}

impl Postings {
    /// The posting of the job at engine position `ix`.
    pub fn get(&self, ix: JobIx) -> Option<&Posting> {
        self.all.get(ix as usize).and_then(Option::as_ref)
    }

    /// The first day and id of the job at engine position `ix`.
    fn order(&self, ix: JobIx) -> Option<(NaiveDate, JobId)> {
        self.order.get(ix as usize).copied().flatten()
    }

    /// Every posting.
    pub fn iter(&self) -> impl Iterator<Item = &Posting> {
        self.all.iter().flatten()
    }

    /// Puts `posting` at engine position `ix` (replacing the one there).
    pub fn put(&mut self, ix: JobIx, posting: Posting) {
        let at = ix as usize;
        if self.all.len() <= at {
            self.all.resize_with(at + 1, || None);
            self.order.resize(at + 1, None);
        }
        self.order[at] = Some((posting.window_start, posting.id));
        self.all[at] = Some(posting);
    }

    /// Takes the posting at engine position `ix` out.
    pub fn take(&mut self, ix: JobIx) -> Option<Posting> {
        let at = ix as usize;
        if let Some(order) = self.order.get_mut(at) {
            *order = None;
        }
        self.all.get_mut(at).and_then(Option::take)
    }
}

/// A job's card for a shopper living at `home`.
pub fn card(
    posting: &Posting,
    home: Coordinates,
    travel: crate::config::TravelCosts,
) -> AppResult<JobCard> {
    let position = Coordinates::new(posting.latitude, posting.longitude)
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let (distance_km, pay) = distance_and_pay(posting, position, home, travel);
    let (east_km, north_km) = offset_km(home, position);
    Ok(JobCard {
        id: posting.id,
        code: posting.code.to_string(),
        area: posting.area.to_string(),
        window_start: posting.window_start,
        window_end: posting.window_end,
        fee_cents: posting.fee_cents,
        bonus_cents: posting.bonus_cents,
        reimbursement_cap_cents: posting.reimbursement_cap_cents,
        client_name: posting.client_name.as_deref().map(str::to_string),
        distance_km,
        pay,
        east_km,
        north_km,
    })
}

/// The distance shown and the pay of the job posted at `position` for the shopper living at
/// `home`.
fn distance_and_pay(
    posting: &Posting,
    position: Coordinates,
    home: Coordinates,
    travel: crate::config::TravelCosts,
) -> (f64, PayEstimate) {
    let distance_km = shown_km(crate::matching::haversine_km(home, position));
    let pay = PayEstimate::of(
        posting.fee_cents,
        posting.bonus_cents,
        distance_km,
        posting.visit_minutes,
        travel,
    );
    (distance_km, pay)
}

/// The cards of `postings` (each with the store's position, as the engine holds it) for the
/// shopper living at `home`, as a JSON array, byte for byte what serde writes for their
/// [`JobCard`]s (a test holds the two together): each posting's fixed part copied, then the
/// shopper's distance and pay.
pub fn write_cards<'a>(
    out: &mut Vec<u8>,
    postings: impl IntoIterator<Item = (&'a Posting, Coordinates)>,
    home: Coordinates,
    travel: crate::config::TravelCosts,
) -> AppResult<()> {
    out.push(b'[');
    for (n, (posting, position)) in postings.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let (distance_km, pay) = distance_and_pay(posting, position, home, travel);
        out.extend_from_slice(posting.fixed_json.as_bytes());
        out.extend_from_slice(b",\"distance_km\":");
        serde_json::to_writer(&mut *out, &distance_km).map_err(AppError::internal)?;
        out.extend_from_slice(b",\"pay\":");
        pay.write_json(out)?;
        out.push(b'}');
    }
    out.push(b']');
    Ok(())
}

/// The board of the engine's shopper `me`: the jobs they may take, and the other jobs within
/// their travel radius with why not. `posting` gives the posting of the engine's job.
pub fn board_of<'a>(
    engine: &Engine,
    me: ShopperIx,
    status: Status,
    limited: bool,
    unit: DistanceUnit,
    travel: crate::config::TravelCosts,
    posting: impl Fn(JobIx) -> Option<&'a Posting>,
) -> AppResult<Board> {
    let shopper = engine
        .shopper(me)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the shopper was not indexed")))?;
    let mut board = Board {
        radius_km: shopper.radius_km,
        eligible: Vec::new(),
        unavailable: Vec::new(),
    };
    for hit in engine.jobs_within_radius(me) {
        let Some(job) = engine.job(hit.ix) else {
            continue;
        };
        let Some(posted) = posting(hit.ix) else {
            continue;
        };
        let card = card(posted, shopper.position, travel)?;
        let unmet = explain(shopper, job);
        if unmet.is_empty() {
            board.eligible.push(card);
        } else {
            let why_not = shopper_words(
                &unmet,
                &engine.symbols,
                Some(status),
                limited,
                i64::from(posted.rotation_days),
                unit,
            );
            board.unavailable.push(Unavailable { job: card, why_not });
        }
    }
    board.sorted(Sort::Distance);
    board.unavailable.sort_by(|a, b| {
        a.job
            .distance_km
            .total_cmp(&b.job.distance_km)
            .then(a.job.id.cmp(&b.job.id))
    });
    Ok(board)
}

/// Page `page` (from 1) of the jobs the engine's shopper `me` may take, in `sort` order: the
/// board's API, which lists no unavailable jobs, so only the page's cards are made.
pub fn page_of(
    engine: &Engine,
    me: ShopperIx,
    sort: Sort,
    page: usize,
    travel: crate::config::TravelCosts,
    postings: &Postings,
) -> AppResult<Page> {
    let shopper = engine
        .shopper(me)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the shopper was not indexed")))?;
    let skip = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
    let end = skip.saturating_add(PAGE_SIZE);
    // Of every eligible job, only its place in the order is read, and only the jobs up to the
    // page's last are kept, the last of them on top (the order is total: ids differ).
    let mut first: std::collections::BinaryHeap<((u64, JobId), JobIx)> =
        std::collections::BinaryHeap::with_capacity(end.min(1024));
    let mut total = 0;
    let mut bound = None;
    engine.each_eligible_job(me, |ix, h| {
        let Some((day, id)) = postings.order(ix) else {
            return;
        };
        total += 1;
        // Once the page is full, a job that comes after its last at a glance is passed over
        // without its exact place (most of them without their distance worked out).
        if first.len() >= end
            && first
                .peek()
                .is_some_and(|last| sort.comes_after(h, day, last.0, &mut bound))
        {
            return;
        }
        let placed = (sort.key((shown_km(km_of_haversine(h)), day, id)), ix);
        if first.len() < end {
            first.push(placed);
        } else if let Some(mut last) = first.peek_mut()
            && placed < *last
        {
            *last = placed;
        }
    });
    let first = first.into_sorted_vec();
    // A card is about 300 bytes: room for the page at once.
    let mut jobs_json = Vec::with_capacity(400 * PAGE_SIZE);
    write_cards(
        &mut jobs_json,
        first
            .iter()
            .skip(skip)
            .filter_map(|(_, ix)| Some((postings.get(*ix)?, engine.job(*ix)?.position))),
        shopper.position,
        travel,
    )?;
    Ok(Page {
        radius_km: shopper.radius_km,
        total,
        jobs_json,
    })
}

/// One job for the shopper: its card, and whether they may take it (and if not, why).
pub fn job_for(
    conn: &mut DbConnection,
    keys: &Keys,
    shopper_id: ShopperId,
    job_id: JobId,
    today: NaiveDate,
    unit: DistanceUnit,
    travel: crate::config::TravelCosts,
) -> AppResult<(JobCard, Vec<String>)> {
    let row = crate::panel::store::find_shopper(conn, shopper_id)?
        .ok_or_else(crate::panel::model::no_application)?;
    let home = Coordinates::new(row.latitude, row.longitude)
        .map_err(|e| AppError::internal(anyhow::anyhow!(e)))?;
    let job = clients::find_job(conn, job_id)
        .optional()?
        .ok_or_else(|| AppError::not_found("No job has this id."))?;
    let location = clients::find_location(conn, job.location_id)?;
    let project = clients::find_project(conn, job.project_id)?;
    let mut why_not = Vec::new();
    if job.status != JobStatus::Open || job.window_end < today {
        why_not.push("this job is closed".to_string());
    } else if super::store::holder(conn, job_id)?.is_some_and(|h| h.shopper_id != shopper_id) {
        why_not.push("another shopper has taken this job".to_string());
    }
    let snap = snapshot::load(
        conn,
        keys,
        vec![row.clone()],
        vec![(job, location, project)],
        today,
    )?;
    let parts = snap
        .jobs
        .get(&job_id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the job was not loaded")))?;
    let client_name = snap.client_names.get(&parts.2.client_id);
    let card = card(
        &Posting::of(parts, client_name.map(String::as_str)),
        home,
        travel,
    )?;
    let engine = &snap.engine;
    if let (Some(s), Some(j)) = (
        snap.shopper_ix(shopper_id)
            .and_then(|ix| engine.shopper(ix)),
        snap.job_ix(job_id).and_then(|ix| engine.job(ix)),
    ) {
        why_not.extend(shopper_words(
            &explain(s, j),
            &engine.symbols,
            Some(row.status()),
            row.sensitive_limited_at.is_some(),
            i64::from(parts.2.rotation_days),
            unit,
        ));
    }
    Ok((card, why_not))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_round_as_round_does() {
        for x in [
            0.0,
            0.25,
            0.5,
            0.74,
            0.75,
            1.0,
            2.5,
            3.4999999999999996,
            12.25,
            12.75,
            19_999.9,
        ] {
            assert_eq!(half_up(x).to_bits(), x.round().to_bits(), "{x}");
        }
        let mut x = 0.0_f64;
        while x < 200.0 {
            assert_eq!(half_up(x).to_bits(), x.round().to_bits(), "{x}");
            x += 0.013;
        }
        assert_eq!(half_up(-2.5), -3.0);
        assert_eq!(shown_km(12.26), 12.5);
        assert_eq!(shown_km(12.24), 12.0);
    }

    #[test]
    fn days_are_written_as_chrono_writes_them() {
        for (y, m, d) in [
            (2026, 12, 5),
            (1, 1, 1),
            (999, 10, 31),
            (9999, 12, 31),
            (0, 2, 29),
        ] {
            let day = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let mut ours = serde_json::Serializer::new(Vec::new());
            iso_date(&day, &mut ours).unwrap();
            assert_eq!(
                ours.into_inner(),
                serde_json::to_vec(&day).unwrap(),
                "{day}"
            );
        }
        let far = NaiveDate::from_ymd_opt(12026, 1, 1).unwrap();
        let mut ours = serde_json::Serializer::new(Vec::new());
        iso_date(&far, &mut ours).unwrap();
        assert_eq!(ours.into_inner(), serde_json::to_vec(&far).unwrap());
    }
    use crate::config::TravelCosts;

    #[test]
    fn the_pay_estimate_counts_the_round_trip_and_the_visit() {
        // Hand-worked: $20.00 fee and $5.00 bonus, 10 miles away: 20 miles there and back at
        // 70 cents is $14.00, 40 minutes at 30 mph plus a 30-minute visit is 70 minutes, so
        // $11.00 for 70 minutes: $9.42 an hour (cents rounded down).
        let ten_miles_km = 10.0 * 1.609_344;
        let e = PayEstimate::of(
            Money::from_cents(2000),
            Money::from_cents(500),
            ten_miles_km,
            30,
            TravelCosts {
                mile_cents: 70,
                mph: 30.0,
            },
        );
        assert_eq!(e.travel_cost_cents, Money::from_cents(1400));
        assert_eq!(e.minutes, 70);
        assert_eq!(e.net_cents, Money::from_cents(1100));
        assert_eq!(e.per_hour_cents, Money::from_cents(942));
        assert!(!e.loses_money());
        // A $10.00 job 20 miles away costs more to reach than it pays.
        let far = PayEstimate::of(
            Money::from_cents(1000),
            Money::from_cents(0),
            2.0 * ten_miles_km,
            30,
            TravelCosts::default(),
        );
        assert_eq!(far.net_cents, Money::from_cents(1000 - 2800));
        assert!(far.loses_money());
    }

    /// A posting with `code`, `area` and `client_name` as given, the rest varied by `n`.
    fn posting(n: i64, code: &str, area: &str, client_name: Option<&str>) -> Posting {
        let day =
            |d: i64| NaiveDate::from_ymd_opt(2026, 12, 1).unwrap() + chrono::Days::new(d as u64);
        Posting {
            id: JobId(n * 7919),
            code: code.into(),
            area: area.into(),
            latitude: 40.0 + n as f64 * 0.013,
            longitude: -74.0 - n as f64 * 0.021,
            window_start: day(n % 40),
            window_end: day(n % 40 + n % 9),
            fee_cents: Money::from_cents(1500 + n * 37),
            bonus_cents: Money::from_cents(n % 3 * 250),
            reimbursement_cap_cents: Money::from_cents(n % 5 * 999),
            visit_minutes: 20 + (n % 4) as i32 * 15,
            rotation_days: 30,
            client_name: client_name.map(Into::into),
            location_id: LocationId(n),
            project_id: ProjectId(n),
            client_id: ClientId(n),
            fixed_json: "".into(),
        }
        .with_fixed_json()
    }

    #[test]
    fn written_cards_are_what_serde_writes_for_the_cards() {
        let names: [Option<&str>; 4] = [
            None,
            Some("Acme \"Groceries\" & Sons"),
            Some("Café Ünïcode ☕ \\ tab\there"),
            Some("control \u{1} \n new line"),
        ];
        let postings: Vec<Posting> = (0..60)
            .map(|n| {
                posting(
                    n,
                    &format!("J-{n}\"<x>"),
                    &format!("Springfield {n}, IL"),
                    names[n as usize % names.len()],
                )
            })
            .collect();
        let home = Coordinates::new(40.3, -74.4).unwrap();
        for travel in [
            crate::config::TravelCosts::default(),
            crate::config::TravelCosts {
                mile_cents: 3,
                mph: 71.5,
            },
        ] {
            for page in [&postings[..0], &postings[..1], &postings[..]] {
                let cards = page
                    .iter()
                    .map(|p| card(p, home, travel))
                    .collect::<AppResult<Vec<_>>>()
                    .unwrap();
                let mut written = Vec::new();
                let placed = page
                    .iter()
                    .map(|p| (p, Coordinates::new(p.latitude, p.longitude).unwrap()));
                write_cards(&mut written, placed, home, travel).unwrap();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    serde_json::to_string(&cards).unwrap()
                );
            }
        }
    }

    #[test]
    fn a_sort_key_orders_jobs_as_the_sort_does() {
        let base = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        let days = [
            NaiveDate::MIN,
            NaiveDate::from_ymd_opt(-5, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
            base,
            base + chrono::Days::new(1),
            base + chrono::Days::new(400),
            NaiveDate::MAX,
        ];
        let orders: Vec<Order> = (0..400i64)
            .map(|n| {
                let km = shown_km((n * 7919 % 173) as f64 * 0.37);
                (km, days[(n * 31 % 7) as usize], JobId(n * 613 % 97 - 40))
            })
            .collect();
        for sort in [Sort::Distance, Sort::Date] {
            for a in &orders {
                for b in &orders {
                    assert_eq!(
                        sort.key(*a).cmp(&sort.key(*b)),
                        sort.compare(*a, *b),
                        "{sort:?} {a:?} {b:?}"
                    );
                }
            }
        }
        // A job passed over at a glance comes after every job of that key's first part; one
        // not passed over may come before some.
        let raw: Vec<(f64, NaiveDate)> = (0..300i64)
            .map(|n| {
                (
                    (n * 7919 % 211) as f64 * 0.0625 + (n % 3) as f64 * 1e-9,
                    days[(n * 13 % 7) as usize],
                )
            })
            .collect();
        let mut bound = None;
        for sort in [Sort::Distance, Sort::Date] {
            for &(km, day) in &raw {
                // The haversine of about that distance, and its distance exactly.
                let h = (km / (2.0 * crate::matching::geo::EARTH_RADIUS_KM))
                    .sin()
                    .powi(2);
                let km = km_of_haversine(h);
                for last in &orders {
                    let key = sort.key(*last);
                    let mine = sort.key((shown_km(km), day, JobId(i64::MIN)));
                    assert_eq!(
                        sort.comes_after(h, day, key, &mut bound),
                        mine.0 >> 32 > key.0 >> 32,
                        "{sort:?} {km} {day} {last:?}"
                    );
                }
            }
        }
    }
}
