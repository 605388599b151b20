//! `incognito demo-data`: a realistic synthetic panel in the JSON Lines format, deterministic for
//! a seed. Shoppers live near US ZIP-code centroids (the `zipcodes` crate, GeoNames data under
//! CC BY 4.0), so they cluster where people live; stores sit near other centroids; requirements,
//! affiliations and rotation history appear in plausible shares.

use std::io::Write;
use std::path::Path;

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::jsonl::{JobLine, ShopperLine};

const LANGUAGES: [&str; 7] = ["en", "es", "zh", "vi", "fr", "ko", "ar"];
const CERTS: [&str; 4] = ["mspa-silver", "mspa-gold", "alcohol", "pharmacy"];
const ORGANIZATIONS: u32 = 400;

/// Populated places of the contiguous United States: standard ZIP codes with a centroid.
fn centroids() -> Vec<(f64, f64)> {
    let mut out: Vec<(f64, f64)> = zipcodes::list_all()
        .into_iter()
        .filter(|z| {
            z.zip_code_type == "STANDARD"
                && !["AK", "HI", "PR", "GU", "VI", "AS", "MP"].contains(&z.state.as_str())
        })
        .filter_map(|z| Some((z.lat.parse().ok()?, z.long.parse().ok()?)))
        .collect();
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    out
}

/// A point uniform in a disc of `km` around (lat, lon), rounded to 6 decimals.
fn jitter(rng: &mut ChaCha8Rng, (lat, lon): (f64, f64), km: f64) -> (f64, f64) {
    let r = km * rng.r#gen::<f64>().sqrt();
    let a = rng.r#gen::<f64>() * std::f64::consts::TAU;
    let dlat = r * a.cos() / 111.32;
    let dlon = r * a.sin() / (111.32 * lat.to_radians().cos().max(0.2));
    let round = |x: f64| (x * 1e6).round() / 1e6;
    (
        round((lat + dlat).clamp(-90.0, 90.0)),
        round((lon + dlon).clamp(-180.0, 180.0)),
    )
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// Writes `shoppers.jsonl` and `jobs.jsonl` into `out`. Returns (locations, centroids used).
pub fn write(shoppers: usize, jobs: usize, seed: u64, out: &Path) -> std::io::Result<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let places = centroids();
    if places.is_empty() {
        return Err(std::io::Error::other("no ZIP centroids available"));
    }
    let location_count = (jobs / 3).max(50);
    let locations: Vec<(String, (f64, f64))> = (0..location_count)
        .map(|i| {
            let place = *pick(&mut rng, &places);
            (format!("L{}", i + 1), jitter(&mut rng, place, 3.0))
        })
        .collect();
    std::fs::create_dir_all(out)?;

    let mut file = std::io::BufWriter::new(std::fs::File::create(out.join("shoppers.jsonl"))?);
    for i in 0..shoppers {
        let place = *pick(&mut rng, &places);
        let (lat, lon) = jitter(&mut rng, place, 8.0);
        let mut languages = vec!["en".to_string()];
        if rng.gen_bool(0.25) {
            languages.push(pick(&mut rng, &LANGUAGES[1..]).to_string());
        }
        let orgs = (0..*pick(&mut rng, &[0, 0, 0, 1, 1, 2]))
            .map(|_| format!("O{}", rng.gen_range(1..=ORGANIZATIONS)))
            .collect();
        let recent = (0..*pick(&mut rng, &[0, 0, 1, 2]))
            .map(|_| pick(&mut rng, &locations).0.clone())
            .collect();
        let line = ShopperLine {
            id: format!("S{}", i + 1),
            lat,
            lon,
            radius_km: Some(*pick(&mut rng, &[10.0, 15.0, 25.0, 40.0, 60.0, 100.0])),
            capacity: Some(*pick(&mut rng, &[1, 1, 2, 2, 3, 5])),
            rating: Some((rng.gen_range(4.0..10.0f64) * 10.0).round() / 10.0),
            completed: Some((-15.0 * (1.0 - rng.r#gen::<f64>()).ln()) as u32),
            age: Some(rng.gen_range(18..=80)),
            vehicle: Some(rng.gen_bool(0.8)),
            languages: Some(languages),
            certs: Some(
                CERTS
                    .iter()
                    .filter(|_| rng.gen_bool(0.2))
                    .map(ToString::to_string)
                    .collect(),
            ),
            orgs: Some(orgs),
            recent: Some(recent),
        };
        serde_json::to_writer(&mut file, &line)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;

    let mut file = std::io::BufWriter::new(std::fs::File::create(out.join("jobs.jsonl"))?);
    for i in 0..jobs {
        let (location, (lat, lon)) = pick(&mut rng, &locations).clone();
        let mut blocked: Vec<String> = (0..*pick(&mut rng, &[1, 2, 3, 5]))
            .map(|_| format!("O{}", rng.gen_range(1..=ORGANIZATIONS)))
            .collect();
        blocked.shuffle(&mut rng);
        let line = JobLine {
            id: format!("J{}", i + 1),
            location,
            lat,
            lon,
            max_km: Some(*pick(&mut rng, &[25.0, 40.0, 60.0, 80.0])),
            min_age: *pick(&mut rng, &[None, None, Some(18), Some(21), Some(25)]),
            max_age: *pick(&mut rng, &[None, None, None, Some(60)]),
            vehicle: Some(rng.gen_bool(0.3)),
            languages: Some(if rng.gen_bool(0.05) {
                vec![pick(&mut rng, &LANGUAGES[1..]).to_string()]
            } else {
                vec![]
            }),
            certs: Some(if rng.gen_bool(0.1) {
                vec![pick(&mut rng, &CERTS).to_string()]
            } else {
                vec![]
            }),
            min_rating: Some(*pick(&mut rng, &[0.0, 0.0, 6.0, 7.0, 8.0])),
            min_completed: Some(*pick(&mut rng, &[0, 0, 0, 3, 10])),
            blocked_orgs: Some(blocked),
        };
        serde_json::to_writer(&mut file, &line)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;
    Ok(location_count)
}
