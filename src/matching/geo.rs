//! Distances on the sphere, and the 3-D points the spatial index stores.
//!
//! Great-circle distance is the haversine formula on a sphere of radius 6371.0088 km (the mean
//! Earth radius, as `geo`'s haversine uses). The index stores each position as a point on the
//! unit sphere in 3-D: the straight-line (chord) distance between two such points grows with
//! their great-circle distance, so an R-tree's nearest-neighbour order in 3-D is exactly the
//! great-circle order, with no distortion near the poles or the date line.

use serde::{Deserialize, Serialize};

/// Mean Earth radius in kilometres.
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

/// A position in degrees. Built only valid: latitude in −90..=90, longitude in −180..=180.
/// The trigonometry of its angles is computed once, when it is built: a job board measures
/// hundreds of distances from one home, and sines and cosines were most of their cost.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "Degrees", try_from = "Degrees")]
pub struct Coordinates {
    lat: f64,
    lon: f64,
    cos_lat: f64,
    /// Sine and cosine of half the latitude and of half the longitude (radians).
    half_lat: (f64, f64),
    half_lon: (f64, f64),
}

/// A position as it is written: latitude and longitude in degrees.
#[derive(Serialize, Deserialize)]
struct Degrees {
    lat: f64,
    lon: f64,
}

impl From<Coordinates> for Degrees {
    fn from(c: Coordinates) -> Self {
        Self {
            lat: c.lat,
            lon: c.lon,
        }
    }
}

impl TryFrom<Degrees> for Coordinates {
    type Error = String;
    fn try_from(d: Degrees) -> Result<Self, String> {
        Self::new(d.lat, d.lon)
    }
}

impl Coordinates {
    pub fn new(lat: f64, lon: f64) -> Result<Self, String> {
        if !lat.is_finite() || !(-90.0..=90.0).contains(&lat) {
            return Err(format!("latitude {lat} is not between -90 and 90"));
        }
        if !lon.is_finite() || !(-180.0..=180.0).contains(&lon) {
            return Err(format!("longitude {lon} is not between -180 and 180"));
        }
        let (lat_r, lon_r) = (lat.to_radians(), lon.to_radians());
        Ok(Self {
            lat,
            lon,
            cos_lat: lat_r.cos(),
            half_lat: (lat_r / 2.0).sin_cos(),
            half_lon: (lon_r / 2.0).sin_cos(),
        })
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    /// The point on the unit sphere.
    pub fn unit_vector(self) -> [f64; 3] {
        let (lat, lon) = (self.lat.to_radians(), self.lon.to_radians());
        [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
    }
}

/// Great-circle distance in kilometres (haversine).
/// The latitude and longitude ranges of a box around `at` holding every point within `km`
/// (with a margin; no wrap around the poles or the antimeridian, which US places never need).
pub fn bounding_box(at: Coordinates, km: f64) -> ((f64, f64), (f64, f64)) {
    let dlat = km / 111.0 + 0.01;
    let dlon = km / (111.32 * at.lat().to_radians().cos().max(0.05)) + 0.01;
    (
        (at.lat() - dlat, at.lat() + dlat),
        (at.lon() - dlon, at.lon() + dlon),
    )
}

pub fn haversine_km(a: Coordinates, b: Coordinates) -> f64 {
    km_of_haversine(haversine(a, b))
}

/// The haversine of the angle between two positions (0 to 1, give or take the rounding): the
/// distance only grows with it, and is [`km_of_haversine`] of it.
pub fn haversine(a: Coordinates, b: Coordinates) -> f64 {
    // sin((x − y)/2) = sin(x/2)·cos(y/2) − cos(x/2)·sin(y/2), from the halves each position
    // holds: no sine to compute here.
    let half_sine = |(sx, cx): (f64, f64), (sy, cy): (f64, f64)| sx * cy - cx * sy;
    let dlat = half_sine(b.half_lat, a.half_lat);
    let dlon = half_sine(b.half_lon, a.half_lon);
    dlat * dlat + a.cos_lat * b.cos_lat * dlon * dlon
}

/// The distance along the surface of a [`haversine`].
pub fn km_of_haversine(h: f64) -> f64 {
    2.0 * EARTH_RADIUS_KM * h.min(1.0).sqrt().asin()
}

/// A distance as bounds on the haversine, so that most points are placed on its near or far
/// side without a square root and an arc sine (a job board walks hundreds of jobs): below
/// `near` a point is surely nearer than `km`, above `far` surely farther; in between (a band of
/// a billionth of the haversine, far wider than the rounding of either side) its distance is
/// worked out. The answers are the distance's, to the last bit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Within {
    km: f64,
    near: f64,
    far: f64,
}

impl Within {
    pub fn km(km: f64) -> Self {
        // Where the haversine would not follow the distance (no distance, a negative one, half
        // the globe or more), every point is measured.
        if km > 0.0 && km < 20_000.0 {
            let s = (km / (2.0 * EARTH_RADIUS_KM)).sin();
            let h = s * s;
            Within {
                km,
                near: h * (1.0 - 1e-9),
                far: h * (1.0 + 1e-9),
            }
        } else {
            Within {
                km,
                near: f64::NEG_INFINITY,
                far: f64::INFINITY,
            }
        }
    }

    /// The distance.
    pub fn limit(self) -> f64 {
        self.km
    }

    /// `km_of_haversine(h) <= km`.
    pub fn holds(self, h: f64) -> bool {
        if h < self.near {
            true
        } else if h > self.far {
            false
        } else {
            km_of_haversine(h) <= self.km
        }
    }

    /// `km_of_haversine(h) >= km`.
    pub fn reached(self, h: f64) -> bool {
        if h < self.near {
            false
        } else if h > self.far {
            true
        } else {
            km_of_haversine(h) >= self.km
        }
    }
}

/// The squared chord length (on the unit sphere) that corresponds to `km` along the surface:
/// a bound for R-tree queries. Slightly enlarged so that rounding never excludes a point the
/// haversine check would admit; the exact check is always done with `haversine_km`.
pub fn chord2_for_km(km: f64) -> f64 {
    let angle = (km / EARTH_RADIUS_KM).clamp(0.0, std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord * (1.0 + 1e-9) + 1e-15
}

/// Whole metres, as the batch objective counts them.
pub fn metres(km: f64) -> u64 {
    (km * 1000.0).round().max(0.0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(lat: f64, lon: f64) -> Coordinates {
        Coordinates::new(lat, lon).unwrap()
    }

    #[test]
    fn a_position_is_written_in_degrees_and_read_back_checked() {
        let nyc = at(40.7128, -74.006);
        let text = serde_json::to_string(&nyc).unwrap();
        assert_eq!(text, r#"{"lat":40.7128,"lon":-74.006}"#);
        let back: Coordinates = serde_json::from_str(&text).unwrap();
        assert_eq!(back, nyc);
        let bad = serde_json::from_str::<Coordinates>(r#"{"lat":91,"lon":0}"#).unwrap_err();
        assert!(bad.to_string().contains("latitude 91"), "{bad}");
    }

    #[test]
    fn the_held_halves_give_the_haversine_of_the_formula() {
        let formula = |a: Coordinates, b: Coordinates| {
            let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
            let h = ((p2 - p1) / 2.0).sin().powi(2)
                + p1.cos() * p2.cos() * ((b.lon - a.lon).to_radians() / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_KM * h.min(1.0).sqrt().asin()
        };
        let places = [
            at(40.7128, -74.006),
            at(40.7129, -74.006),
            at(34.0522, -118.2437),
            at(61.2181, -149.9003),
            at(21.3069, -157.8583),
            at(-33.8688, 151.2093),
            at(0.0, 179.9),
            at(0.0, -179.9),
        ];
        for a in places {
            for b in places {
                let (ours, theirs) = (haversine_km(a, b), formula(a, b));
                // A micrometre, where the distances the rules compare differ by metres.
                assert!((ours - theirs).abs() < 1e-9, "{a:?} {b:?}: {ours} {theirs}");
                assert_eq!(haversine_km(a, b), haversine_km(b, a));
            }
            assert_eq!(haversine_km(a, a), 0.0);
        }
    }

    #[test]
    fn known_distances() {
        // New York to Los Angeles, about 3936 km on this sphere.
        let d = haversine_km(at(40.7128, -74.006), at(34.0522, -118.2437));
        assert!((d - 3935.75).abs() < 1.0, "{d}");
        assert_eq!(haversine_km(at(10.0, 10.0), at(10.0, 10.0)), 0.0);
        // Across the date line: one degree of longitude on the equator.
        let d = haversine_km(at(0.0, 179.5), at(0.0, -179.5));
        assert!((d - 111.195).abs() < 0.01, "{d}");
    }

    /// The matching engine's own haversine (kept for its index's speed) gives what the `geo`
    /// crate's gives, which proof of visit uses: one distance for both.
    #[test]
    fn the_engine_and_geo_agree() {
        use geo::{Distance, Haversine, Point};
        for (a, b) in [
            (at(40.7128, -74.006), at(34.0522, -118.2437)),
            (at(0.0, 179.5), at(0.0, -179.5)),
            (at(40.7506, -73.9935), at(40.7510, -73.9940)),
            (at(-33.86, 151.21), at(51.5074, -0.1278)),
        ] {
            let ours = haversine_km(a, b) * 1000.0;
            let theirs =
                Haversine.distance(Point::new(a.lon(), a.lat()), Point::new(b.lon(), b.lat()));
            assert!(
                (ours - theirs).abs() < 1e-6 * theirs.max(1.0),
                "{ours} {theirs}"
            );
        }
    }

    #[test]
    fn chord_order_is_great_circle_order() {
        let origin = at(40.0, -74.0);
        let o = origin.unit_vector();
        let mut last = (0.0, 0.0);
        for step in 1..200 {
            let p = at(40.0 + step as f64 * 0.7 % 50.0, -74.0 + step as f64 * 0.9);
            let v = p.unit_vector();
            let chord2: f64 = (0..3).map(|i| (v[i] - o[i]).powi(2)).sum();
            let km = haversine_km(origin, p);
            assert!(chord2 <= chord2_for_km(km), "{km}");
            if km > last.0 {
                assert!(chord2 >= last.1);
            }
            last = (km, chord2);
        }
    }

    #[test]
    fn invalid_coordinates_are_refused() {
        assert!(Coordinates::new(91.0, 0.0).is_err());
        assert!(Coordinates::new(0.0, 181.0).is_err());
        assert!(Coordinates::new(f64::NAN, 0.0).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
        /// The bounds answer as the distance does: for distances at random, and for the
        /// distance between the two points itself and the floats on either side of it.
        #[test]
        fn within_answers_as_the_distance_does(
            lat in -90.0f64..=90.0, lon in -180.0f64..=180.0,
            dlat in proptest::prop_oneof![-1e-6f64..1e-6, -0.5f64..0.5, -90.0f64..90.0],
            dlon in proptest::prop_oneof![-1e-6f64..1e-6, -0.5f64..0.5, -180.0f64..180.0],
            other in proptest::prop_oneof![0.0f64..100.0, 0.0f64..25_000.0, -1.0f64..1.0],
            step in -3i64..=3,
        ) {
            let a = at(lat, lon);
            let b = at((lat + dlat).clamp(-90.0, 90.0), ((lon + dlon + 540.0) % 360.0) - 180.0);
            let h = haversine(a, b);
            let km = haversine_km(a, b);
            let near = f64::from_bits(km.to_bits().saturating_add_signed(step));
            for limit in [km, near, other, f64::NAN, f64::INFINITY] {
                let within = Within::km(limit);
                proptest::prop_assert_eq!(within.holds(h), km <= limit, "{} {}", km, limit);
                proptest::prop_assert_eq!(within.reached(h), km >= limit, "{} {}", km, limit);
            }
        }
    }
}
