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
use crate::matching::{Coordinates, Engine, JobIx, ShopperIx, explain};
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
    pub jobs: Vec<JobCard>,
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

/// An open job as a board shows it, with the ids a change to it names: a hundred-odd bytes,
/// where the job's, store's and project's rows take a kilobyte (the live index holds one for
/// every open job).
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
        }
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
    let (east_km, north_km) = offset_km(home, position);
    let distance_km = shown_km(crate::matching::haversine_km(home, position));
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
        pay: PayEstimate::of(
            posting.fee_cents,
            posting.bonus_cents,
            distance_km,
            posting.visit_minutes,
            travel,
        ),
        east_km,
        north_km,
    })
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
/// `posting` gives the posting of the engine's job.
pub fn page_of<'a>(
    engine: &Engine,
    me: ShopperIx,
    sort: Sort,
    page: usize,
    travel: crate::config::TravelCosts,
    posting: impl Fn(JobIx) -> Option<&'a Posting>,
) -> AppResult<Page> {
    let shopper = engine
        .shopper(me)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("the shopper was not indexed")))?;
    // Every eligible job's place in the order; the cards only of the page's jobs.
    let mut keyed: Vec<(Order, &Posting)> = Vec::with_capacity(512);
    engine.each_eligible_job(me, |ix, km| {
        if let Some(posted) = posting(ix) {
            keyed.push(((shown_km(km), posted.window_start, posted.id), posted));
        }
    });
    let total = keyed.len();
    // Only the jobs up to the page's last are put in order (the order is total: ids differ).
    let skip = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
    let end = skip.saturating_add(PAGE_SIZE).min(total);
    if end < total {
        keyed.select_nth_unstable_by(end, |a, b| sort.compare(a.0, b.0));
        keyed.truncate(end);
    }
    keyed.sort_unstable_by(|a, b| sort.compare(a.0, b.0));
    let jobs = keyed
        .into_iter()
        .skip(skip)
        .map(|(_, posted)| card(posted, shopper.position, travel))
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Page {
        radius_km: shopper.radius_km,
        total,
        jobs,
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
}
