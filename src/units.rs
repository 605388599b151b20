//! Distances as the panel's people read them: miles for this US panel unless
//! `INCOGNITO_DISTANCE_UNIT=km`. Only pages (and mail) convert; the JSON API, the database
//! and the matching engine keep kilometres.

use std::borrow::Borrow;

/// Kilometres in a statute mile.
pub const KM_PER_MILE: f64 = 1.609_344;

/// The unit distances are typed and shown in on the pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DistanceUnit {
    /// Statute miles (the default).
    #[default]
    Mi,
    /// Kilometres.
    Km,
}

impl DistanceUnit {
    /// `mi` or `km`, as the setting is written.
    pub fn parse(text: &str) -> Option<DistanceUnit> {
        match text.trim().to_ascii_lowercase().as_str() {
            "mi" => Some(DistanceUnit::Mi),
            "km" => Some(DistanceUnit::Km),
            _ => None,
        }
    }

    /// The short name: `mi` or `km`.
    pub fn symbol(self) -> &'static str {
        match self {
            DistanceUnit::Mi => "mi",
            DistanceUnit::Km => "km",
        }
    }

    /// The name in a sentence: `miles` or `km`.
    pub fn words(self) -> &'static str {
        match self {
            DistanceUnit::Mi => "miles",
            DistanceUnit::Km => "km",
        }
    }

    /// A distance in kilometres, in this unit.
    pub fn from_km(self, km: f64) -> f64 {
        match self {
            DistanceUnit::Mi => km / KM_PER_MILE,
            DistanceUnit::Km => km,
        }
    }

    /// A distance typed in this unit, in kilometres.
    pub fn to_km(self, value: f64) -> f64 {
        match self {
            DistanceUnit::Mi => value * KM_PER_MILE,
            DistanceUnit::Km => value,
        }
    }

    /// The number to show for a distance in kilometres: one decimal under 10, whole above
    /// (`3.2`, `19`), no trailing `.0`.
    pub fn number(self, km: f64) -> String {
        let value = self.from_km(km);
        if value.abs() < 10.0 {
            let text = format!("{value:.1}");
            text.strip_suffix(".0").map_or(text.clone(), str::to_string)
        } else {
            format!("{value:.0}")
        }
    }

    /// A distance in kilometres as the value of an input in this unit: two decimals at most
    /// (`18.64`), so that saving a form unchanged keeps the distance (to a few metres).
    pub fn typed(self, km: f64) -> String {
        let text = format!("{:.2}", self.from_km(km));
        let text = text.trim_end_matches('0').trim_end_matches('.');
        text.to_string()
    }

    /// A distance in kilometres, shown with its unit: `3.2 mi` (by value or, from a template,
    /// by reference).
    pub fn show(self, km: impl Borrow<f64>) -> String {
        format!("{} {}", self.number(*km.borrow()), self.symbol())
    }

    /// The same for a distance that may be absent (empty then).
    pub fn show_opt(self, km: impl Borrow<Option<f64>>) -> String {
        km.borrow().map(|k| self.show(k)).unwrap_or_default()
    }

    /// Checks a distance typed in this unit against a range given in kilometres, and gives it
    /// in kilometres. The range is said, and held, in this unit, rounded inwards (1–500 km is
    /// 0.7–310 miles), so that the bounds the message names are themselves accepted.
    pub fn typed_within(self, value: f64, min_km: f64, max_km: f64) -> Result<f64, String> {
        let low = (self.from_km(min_km) * 10.0).ceil() / 10.0;
        let high = self.from_km(max_km).floor().max(low);
        if value.is_finite() && value >= low && value <= high {
            Ok(self.to_km(value).clamp(min_km, max_km))
        } else {
            let plain = |x: f64| {
                let text = format!("{x:.1}");
                text.strip_suffix(".0").map_or(text.clone(), str::to_string)
            };
            Err(format!(
                "Type a distance from {} to {} {}.",
                plain(low),
                plain(high),
                self.words()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn miles_and_kilometres_convert_both_ways() {
        assert_eq!(DistanceUnit::default(), DistanceUnit::Mi);
        assert_eq!(DistanceUnit::parse(" MI "), Some(DistanceUnit::Mi));
        assert_eq!(DistanceUnit::parse("km"), Some(DistanceUnit::Km));
        assert_eq!(DistanceUnit::parse("miles"), None);
        let mi = DistanceUnit::Mi;
        assert!((mi.to_km(10.0) - 16.09344).abs() < 1e-9);
        assert!((mi.from_km(mi.to_km(26.2)) - 26.2).abs() < 1e-9);
        assert_eq!(mi.show(5.0), "3.1 mi");
        assert_eq!(mi.show(48.28), "30 mi");
        assert_eq!(mi.show(1.609_344), "1 mi");
        assert_eq!(DistanceUnit::Km.show(7.25), "7.2 km");
        assert_eq!(DistanceUnit::Km.show_opt(None), "");
        assert_eq!(mi.typed(30.0), "18.64");
        assert_eq!(DistanceUnit::Km.typed(30.0), "30");
    }

    #[test]
    fn a_typed_distance_is_checked_in_its_own_unit() {
        let mi = DistanceUnit::Mi;
        // 1–500 km is 0.7–310 miles, rounded inwards: both bounds named are accepted.
        assert!((mi.typed_within(30.0, 1.0, 500.0).unwrap() - 48.28032).abs() < 1e-6);
        assert!(mi.typed_within(310.0, 1.0, 500.0).unwrap() <= 500.0);
        assert!(mi.typed_within(0.7, 1.0, 500.0).unwrap() >= 1.0);
        let refused = mi.typed_within(311.0, 1.0, 500.0).unwrap_err();
        assert_eq!(refused, "Type a distance from 0.7 to 310 miles.");
        assert!(mi.typed_within(0.5, 1.0, 500.0).is_err());
        assert!(DistanceUnit::Km.typed_within(500.0, 1.0, 500.0).is_ok());
        assert!(DistanceUnit::Km.typed_within(501.0, 1.0, 500.0).is_err());
        assert!(mi.typed_within(f64::NAN, 1.0, 500.0).is_err());
    }
}
