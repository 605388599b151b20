//! Addresses to coordinates. The default needs no network: the centre of the US ZIP code, from
//! the centroids the `zipcodes` crate embeds (GeoNames data, CC BY 4.0). Coordinates serve
//! matching only; they are never shown to clients.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::matching::Coordinates;

/// A US ZIP code: five digits, optionally followed by `-` and four more (kept as given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zip(String);

impl Zip {
    pub fn parse(raw: &str) -> Result<Zip, String> {
        let value = raw.trim();
        let (five, four) = match value.split_once('-') {
            Some((five, four)) => (five, Some(four)),
            None => (value, None),
        };
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(five, 5) || four.is_some_and(|f| !digits(f, 4)) {
            return Err("must be a US ZIP code: five digits, or ZIP+4 like 10001-1234".into());
        }
        Ok(Zip(value.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn five(&self) -> &str {
        self.0.get(..5).unwrap_or(&self.0)
    }
}

/// Where a ZIP code is: its centre and its state.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub coordinates: Coordinates,
    pub state: String,
}

fn centroids() -> &'static HashMap<String, Place> {
    static TABLE: OnceLock<HashMap<String, Place>> = OnceLock::new();
    TABLE.get_or_init(|| {
        zipcodes::list_all()
            .into_iter()
            .filter_map(|z| {
                let lat = z.lat.parse().ok()?;
                let lon = z.long.parse().ok()?;
                let coordinates = Coordinates::new(lat, lon).ok()?;
                Some((
                    z.zip_code,
                    Place {
                        coordinates,
                        state: z.state,
                    },
                ))
            })
            .collect()
    })
}

/// The centre of a ZIP code, or None for a code that does not exist.
pub fn zip_centroid(zip: &Zip) -> Option<Place> {
    centroids().get(zip.five()).cloned()
}

/// The two-letter codes of the states, the District of Columbia and the territories.
pub const US_STATES: &[&str] = &[
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA", "HI", "ID", "IL", "IN", "IA",
    "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM",
    "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA",
    "WV", "WI", "WY", "PR", "VI", "GU", "AS", "MP",
];

/// A two-letter state code, upper-cased, or the field error that names the problem.
pub fn check_state(
    errors: &mut Vec<crate::error::FieldError>,
    state: Option<String>,
) -> Option<String> {
    let state = state.map(|s| s.to_ascii_uppercase())?;
    if US_STATES.contains(&state.as_str()) {
        Some(state)
    } else {
        errors.push(crate::error::FieldError::new(
            "state",
            "must be a two-letter US state code, like NY",
        ));
        None
    }
}

/// Geocodes a US address to its ZIP code's centre, checking that the ZIP lies in `state`.
/// Errors name the field.
pub fn geocode(state: &str, zip: &Zip) -> Result<Coordinates, (&'static str, String)> {
    let place = zip_centroid(zip)
        .ok_or_else(|| ("zip", format!("{} is not a known US ZIP code", zip.five())))?;
    if !place.state.eq_ignore_ascii_case(state) {
        return Err((
            "zip",
            format!("{} is in {}, not in {state}", zip.five(), place.state),
        ));
    }
    Ok(place.coordinates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_codes_are_checked_and_placed() {
        assert!(Zip::parse("1000").is_err());
        assert!(Zip::parse("1000é").is_err());
        assert!(Zip::parse("10001-12").is_err());
        let zip = Zip::parse(" 10001-1234 ").unwrap();
        assert_eq!(zip.five(), "10001");
        let at = geocode("NY", &zip).unwrap();
        assert!(
            (at.lat() - 40.75).abs() < 0.1 && (at.lon() + 74.0).abs() < 0.1,
            "{at:?}"
        );
        assert_eq!(geocode("CA", &zip).unwrap_err().0, "zip");
        assert!(geocode("NY", &Zip::parse("00000").unwrap()).is_err());
    }
}

/// Where addresses are placed: the ZIP code's centre (offline, the default), or a
/// Nominatim-compatible HTTP geocoder (`INCOGNITO_GEOCODER_URL`), which then receives the
/// street address. The ZIP and state are checked offline either way; when the geocoder is
/// unreachable or fails, the ZIP code's centre is used and a warning logged.
#[derive(Debug, Clone, Default)]
pub enum Geocoder {
    #[default]
    Offline,
    Http(url::Url),
}

/// The ZIP code's centre, checked against the state (None: a part was bad and is reported
/// already, or its problem goes into `errors` under the field at fault). Offline: no address
/// leaves the service here; [`Geocoder::refine`] may place the street address afterwards.
pub fn place(
    errors: &mut Vec<crate::error::FieldError>,
    state: &Option<String>,
    zip: &Option<Zip>,
) -> Option<Coordinates> {
    let (Some(state), Some(zip)) = (state, zip) else {
        return None;
    };
    geocode(state, zip)
        .map_err(|(field, m)| errors.push(crate::error::FieldError::new(field, m)))
        .ok()
}

/// A checked address to place.
pub struct Address<'a> {
    pub street: &'a str,
    pub city: &'a str,
    pub state: &'a str,
    /// Five digits, or ZIP+4.
    pub zip: &'a str,
}

impl Geocoder {
    pub fn from_settings(settings: &crate::config::Settings) -> Self {
        settings
            .geocoder_url
            .clone()
            .map_or(Geocoder::Offline, Geocoder::Http)
    }

    /// Who receives the street addresses [`Geocoder::refine`] places, as the disclosure log
    /// names it; None when they stay in the service.
    pub fn recipient(&self) -> Option<String> {
        match self {
            Geocoder::Offline => None,
            Geocoder::Http(url) => Some(format!(
                "geocoder at {}",
                url.host_str().unwrap_or("the configured address")
            )),
        }
    }

    /// Places a checked address more precisely than its ZIP code's `centre`: offline, the
    /// centre itself; over HTTP, the geocoder's answer (the centre when it fails, with a
    /// warning). An address the geocoder does not know is a `street` field error.
    pub fn refine(
        &self,
        a: &Address<'_>,
        centre: Coordinates,
    ) -> Result<Coordinates, crate::error::FieldError> {
        let Geocoder::Http(url) = self else {
            return Ok(centre);
        };
        match http_lookup(url, a) {
            Ok(Some(found)) => Ok(found),
            Ok(None) => Err(crate::error::FieldError::new(
                "street",
                "the address could not be found; check the street, city and ZIP code",
            )),
            Err(problem) => {
                tracing::warn!(%problem, "geocoder failed; using the ZIP code's centre");
                Ok(centre)
            }
        }
    }

    /// Runs `work`, which may ask the geocoder (a network round trip of up to 5 s an
    /// address), on the blocking pool, where it holds no database connection.
    pub async fn run<T, F>(self, work: F) -> crate::error::AppResult<T>
    where
        F: FnOnce(&Geocoder) -> T + Send + 'static,
        T: Send + 'static,
    {
        let span = tracing::Span::current();
        Ok(tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            work(&self)
        })
        .await?)
    }
}

#[derive(serde::Deserialize)]
struct Hit {
    lat: serde_json::Value,
    lon: serde_json::Value,
}

fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::String(s) => s.parse().ok(),
        other => other.as_f64(),
    }
}

/// Asks a Nominatim-compatible geocoder (`/search` with structured parameters).
fn http_lookup(url: &url::Url, a: &Address<'_>) -> Result<Option<Coordinates>, String> {
    // One agent for the process, so connections to the geocoder are reused.
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    let agent = AGENT.get_or_init(|| {
        ureq::AgentBuilder::new()
            .timeout(std::time::Duration::from_secs(5))
            .user_agent("incognito")
            .build()
    });
    let response = agent
        .get(url.as_str())
        .query("street", a.street)
        .query("city", a.city)
        .query("state", a.state)
        .query("postalcode", a.zip.get(..5).unwrap_or(a.zip))
        .query("countrycodes", "us")
        .query("format", "jsonv2")
        .query("limit", "1")
        .call()
        .map_err(|e| e.to_string())?;
    let hits: Vec<Hit> = response.into_json().map_err(|e| e.to_string())?;
    let Some(hit) = hits.first() else {
        return Ok(None);
    };
    let (Some(lat), Some(lon)) = (number(&hit.lat), number(&hit.lon)) else {
        return Err("the geocoder's answer has no usable lat/lon".into());
    };
    Coordinates::new(lat, lon).map(Some)
}
