//! Time zones: times are stored in UTC and shown in the zone of the person or the store they
//! concern. A shopper's zone and a store's come from where they are (the US state, with the
//! few states that span two zones split by longitude or latitude); staff see the panel's zone
//! (`INCOGNITO_TIME_ZONE`, `America/New_York` unless set).

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// The panel's zone unless a setting says otherwise.
pub const DEFAULT: Tz = chrono_tz::America::New_York;

/// How the panel's people read distances and times: the unit of the pages and mail, and the
/// panel's zone (staff's, and anyone's whose place is unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Locale {
    pub unit: crate::units::DistanceUnit,
    pub zone: Tz,
}

impl Default for Locale {
    fn default() -> Self {
        Self {
            unit: crate::units::DistanceUnit::default(),
            zone: DEFAULT,
        }
    }
}

impl Locale {
    /// The zone of a place (a store, a shopper's home), this panel's when the state is unknown.
    pub fn zone_of(&self, state: &str, latitude: f64, longitude: f64) -> Tz {
        of_place(state, latitude, longitude, self.zone)
    }
}

/// An IANA zone name as a setting is written (`America/Chicago`).
pub fn parse(text: &str) -> Option<Tz> {
    text.trim().parse().ok()
}

/// The zone of a place in the United States from its state (two-letter code) and coordinates;
/// the panel's `fallback` for a state it does not know.
pub fn of_place(state: &str, latitude: f64, longitude: f64, fallback: Tz) -> Tz {
    use chrono_tz::America::{
        Anchorage, Boise, Chicago, Denver, Detroit, Indiana, Los_Angeles, New_York, Phoenix,
        Puerto_Rico, St_Thomas,
    };
    use chrono_tz::Pacific::{Guam, Honolulu};
    let state = state.trim().to_ascii_uppercase();
    match state.as_str() {
        "CT" | "DE" | "DC" | "GA" | "ME" | "MD" | "MA" | "NH" | "NJ" | "NY" | "NC" | "OH"
        | "PA" | "RI" | "SC" | "VT" | "VA" | "WV" => New_York,
        "AL" | "AR" | "IL" | "IA" | "LA" | "MN" | "MS" | "MO" | "OK" | "WI" => Chicago,
        "CO" | "MT" | "NM" | "UT" | "WY" => Denver,
        "CA" | "NV" | "WA" => Los_Angeles,
        "AZ" => Phoenix,
        "HI" => Honolulu,
        "AK" if longitude < -169.5 => chrono_tz::America::Adak,
        "AK" => Anchorage,
        // The panhandle west of the Apalachicola is Central.
        "FL" if longitude < -85.0 && latitude > 29.6 => Chicago,
        "FL" => New_York,
        // The north of the state keeps Pacific time.
        "ID" if latitude > 45.5 => Los_Angeles,
        "ID" => Boise,
        // The north-west and south-west corners are Central.
        "IN" if longitude < -87.0 => Chicago,
        "IN" => Indiana::Indianapolis,
        "KS" if longitude < -101.5 => Denver,
        "KS" => Chicago,
        "KY" if longitude < -86.0 => Chicago,
        "KY" => New_York,
        "MI" if longitude < -87.6 => Chicago,
        "MI" => Detroit,
        "NE" | "ND" if longitude < -101.3 => Denver,
        "NE" | "ND" => Chicago,
        "SD" if longitude < -100.5 => Denver,
        "SD" => Chicago,
        "OR" if longitude > -117.7 => Boise,
        "OR" => Los_Angeles,
        "TN" if longitude > -85.4 => New_York,
        "TN" => Chicago,
        "TX" if longitude < -104.5 => Denver,
        "TX" => Chicago,
        "PR" => Puerto_Rico,
        "VI" => St_Thomas,
        "GU" => Guam,
        _ => fallback,
    }
}

/// A UTC time as a person reads it in `zone`: `Dec 3, 2026, 4:05 PM EST`.
pub fn shown(at_utc: NaiveDateTime, zone: Tz) -> String {
    zone.from_utc_datetime(&at_utc)
        .format("%b %-d, %Y, %-I:%M %p %Z")
        .to_string()
}

/// The day a UTC time falls on in `zone`.
pub fn day(at_utc: NaiveDateTime, zone: Tz) -> NaiveDate {
    zone.from_utc_datetime(&at_utc).date_naive()
}

/// The last second of `day` in `zone`, in UTC: when a window ending that day closes there.
pub fn end_of_day_utc(day: NaiveDate, zone: Tz) -> NaiveDateTime {
    let last = day.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or(NaiveTime::MIN));
    zone.from_local_datetime(&last)
        .latest()
        .map_or(last, |t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn places_get_their_states_zone_and_split_states_are_split() {
        let f = DEFAULT;
        assert_eq!(
            of_place("IL", 41.88, -87.63, f),
            chrono_tz::America::Chicago
        );
        assert_eq!(
            of_place("ca", 34.05, -118.24, f),
            chrono_tz::America::Los_Angeles
        );
        // El Paso keeps Mountain time, Austin Central.
        assert_eq!(
            of_place("TX", 31.76, -106.49, f),
            chrono_tz::America::Denver
        );
        assert_eq!(
            of_place("TX", 30.27, -97.74, f),
            chrono_tz::America::Chicago
        );
        // Knoxville is Eastern, Nashville Central.
        assert_eq!(
            of_place("TN", 35.96, -83.92, f),
            chrono_tz::America::New_York
        );
        assert_eq!(
            of_place("TN", 36.16, -86.78, f),
            chrono_tz::America::Chicago
        );
        // Pensacola is Central, Miami Eastern.
        assert_eq!(
            of_place("FL", 30.42, -87.22, f),
            chrono_tz::America::Chicago
        );
        assert_eq!(
            of_place("FL", 25.76, -80.19, f),
            chrono_tz::America::New_York
        );
        assert_eq!(
            of_place("AZ", 33.45, -112.07, f),
            chrono_tz::America::Phoenix
        );
        assert_eq!(of_place("ZZ", 0.0, 0.0, f), f);
    }

    #[test]
    fn times_are_shown_in_the_zone_with_its_name() {
        let t = at("2026-12-03 21:05");
        assert_eq!(
            shown(t, chrono_tz::America::New_York),
            "Dec 3, 2026, 4:05 PM EST"
        );
        assert_eq!(
            shown(t, chrono_tz::America::Los_Angeles),
            "Dec 3, 2026, 1:05 PM PST"
        );
        // Summer time is named as such.
        assert_eq!(
            shown(at("2026-07-01 16:00"), chrono_tz::America::Chicago),
            "Jul 1, 2026, 11:00 AM CDT"
        );
        // Late in the evening in UTC is still the day before in Los Angeles.
        assert_eq!(
            day(at("2026-12-04 03:00"), chrono_tz::America::Los_Angeles),
            NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
        );
    }

    #[test]
    fn a_day_ends_at_midnight_of_the_zone() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(
            end_of_day_utc(d, chrono_tz::America::Chicago),
            at("2026-12-04 05:59") + chrono::Duration::seconds(59)
        );
        assert!(parse("America/Chicago").is_some());
        assert!(parse("Mars/Olympus").is_none());
    }
}
