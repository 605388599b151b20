//! The one clock every domain decision reads. Production runs on the system clock; tests use a
//! test clock that runs with the system clock but can be moved forward (an offer's deadline,
//! an overdue visit, a token's expiry), so time-dependent rules are tested without sleeping.
//! Domain functions take the instant as an argument; handlers and background tasks read it
//! here.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};

#[derive(Clone, Default)]
pub struct Clock {
    /// `None` for the system clock; the test clock's offset from it otherwise.
    offset: Option<Arc<Mutex<TimeDelta>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self { offset: None }
    }

    /// A clock that starts at the system time and moves forward with `advance`.
    pub fn test() -> Self {
        Self {
            offset: Some(Arc::new(Mutex::new(TimeDelta::zero()))),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let offset = match &self.offset {
            None => TimeDelta::zero(),
            Some(o) => *o.lock().unwrap_or_else(|e| e.into_inner()),
        };
        Utc::now() + offset
    }

    /// Now as stored in the database (UTC, without an offset).
    pub fn naive(&self) -> NaiveDateTime {
        self.now().naive_utc()
    }

    /// Today in UTC.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// Moves a test clock forward (or back, with a negative span). The system clock refuses:
    /// production time is never moved.
    pub fn advance(&self, by: TimeDelta) -> Result<(), &'static str> {
        match &self.offset {
            None => Err("the system clock cannot be moved"),
            Some(o) => {
                let mut offset = o.lock().unwrap_or_else(|e| e.into_inner());
                *offset += by;
                Ok(())
            }
        }
    }

    pub fn is_test(&self) -> bool {
        self.offset.is_some()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.is_test() {
            "Clock(test)"
        } else {
            "Clock(system)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_moves_and_the_system_clock_does_not() {
        let clock = Clock::test();
        let before = clock.now();
        assert!(clock.advance(TimeDelta::days(3)).is_ok());
        let moved = clock.now() - before;
        assert!(moved >= TimeDelta::days(3) && moved < TimeDelta::days(3) + TimeDelta::minutes(1));
        // Clones share the clock: the state and every task see the same time.
        let shared = clock.clone();
        assert!(shared.advance(TimeDelta::hours(1)).is_ok());
        assert!(clock.now() - before >= TimeDelta::days(3) + TimeDelta::hours(1));
        assert!(Clock::system().advance(TimeDelta::days(1)).is_err());
    }

    #[test]
    fn api_times_carry_their_offset() {
        use chrono::Timelike;
        #[derive(serde::Serialize)]
        struct At {
            #[serde(serialize_with = "rfc3339::serialize")]
            at: NaiveDateTime,
            #[serde(serialize_with = "rfc3339::option::serialize")]
            maybe: Option<NaiveDateTime>,
        }
        let at = chrono::NaiveDate::from_ymd_opt(2026, 12, 1)
            .unwrap()
            .and_hms_micro_opt(20, 3, 24, 841_321)
            .unwrap();
        let json = serde_json::to_value(At { at, maybe: None }).unwrap();
        assert_eq!(json["at"], "2026-12-01T20:03:24.841321Z");
        assert!(json["maybe"].is_null());
        let whole = At {
            at: at.with_nanosecond(0).unwrap(),
            maybe: Some(at),
        };
        let json = serde_json::to_value(whole).unwrap();
        assert_eq!(json["at"], "2026-12-01T20:03:24Z");
        assert_eq!(json["maybe"], "2026-12-01T20:03:24.841321Z");
        // What is written reads back as RFC 3339.
        assert!(chrono::DateTime::parse_from_rfc3339(json["maybe"].as_str().unwrap()).is_ok());
    }
}

/// Times in the JSON API, which are UTC, written as RFC 3339 with their offset
/// (`2026-12-01T20:03:24.841321Z`), as the OpenAPI `date-time` format requires; use with
/// `#[serde(serialize_with = "crate::clock::rfc3339::serialize")]`.
pub mod rfc3339 {
    use chrono::{NaiveDateTime, SecondsFormat};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&at.and_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true))
    }

    /// The same for a time that may be absent (`null`).
    pub mod option {
        use chrono::NaiveDateTime;
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            at: &Option<NaiveDateTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => super::serialize(at, s),
                None => s.serialize_none(),
            }
        }
    }
}
