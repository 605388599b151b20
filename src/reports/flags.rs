//! Proof of visit: what in a report QA should look at twice, each flag explained in words.
//! None rejects a report by itself; QA decides.
//!
//! - a receipt photo taken outside the job's window, or further than the project's tolerance
//!   from the reported visit (the photo's EXIF time is the camera's local time, compared with
//!   the visit in the store's zone);
//! - a photo taken further than the project's limit from the store (great-circle distance, `geo`);
//! - the same receipt in another assignment: the same bytes, or a perceptual hash within
//!   [`crate::media::likeness::SAME_RECEIPT`] bits;
//! - recordings much shorter than the reported visit (under half of it);
//! - a receipt amount above the reimbursement cap.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::ids::AssignmentId;
use geo::{Distance, Haversine, Point};

use crate::matching::geo::Coordinates;
use crate::money::Money;

/// One thing QA should look at, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Flag {
    /// `receipt_outside_window`, `receipt_far_from_visit`, `photo_far_from_store`,
    /// `duplicate_receipt`, `similar_receipt`, `short_recording`, `receipt_over_cap`.
    pub code: &'static str,
    /// What was found, for QA.
    pub words: String,
    /// The file it is about, if one.
    pub media_id: Option<i64>,
}

/// A photo of the report, as proof.
#[derive(Debug, Clone)]
pub struct Photo {
    pub media_id: i64,
    /// Whether it answers a receipt question.
    pub receipt: bool,
    /// The camera's local time (EXIF).
    pub taken_at: Option<NaiveDateTime>,
    pub position: Option<(f64, f64)>,
}

/// A receipt photo found in another assignment.
#[derive(Debug, Clone)]
pub struct Duplicate {
    pub media_id: i64,
    pub other: AssignmentId,
    /// The same bytes; otherwise the perceptual hashes differ by `bits`.
    pub exact: bool,
    pub bits: u32,
}

/// Everything the flags are read from.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub window: (NaiveDate, NaiveDate),
    /// The store's zone and place.
    pub zone: Tz,
    pub store: (f64, f64),
    pub visit: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub receipt_cents: Option<i64>,
    pub cap_cents: i64,
    pub tolerance_minutes: i64,
    pub distance_limit_m: i64,
    pub photos: Vec<Photo>,
    /// Each recording's length.
    pub recordings_ms: Vec<i64>,
    pub duplicates: Vec<Duplicate>,
}

fn clock(t: NaiveDateTime) -> String {
    t.format("%-I:%M %p on %b %-d, %Y").to_string()
}

fn metres(m: f64) -> String {
    if m >= 10_000.0 {
        format!("{:.0} km", m / 1000.0)
    } else if m >= 1000.0 {
        format!("{:.1} km", m / 1000.0)
    } else {
        format!("{:.0} m", m)
    }
}

/// The flags of a report, in the order QA reads them.
pub fn flags(e: &Evidence) -> Vec<Flag> {
    let mut out = Vec::new();
    let visit_local = e.visit.map(|(start, end)| {
        (
            start.with_timezone(&e.zone).naive_local(),
            end.with_timezone(&e.zone).naive_local(),
        )
    });
    let tolerance = chrono::Duration::minutes(e.tolerance_minutes);
    for photo in e.photos.iter().filter(|p| p.receipt) {
        let Some(taken) = photo.taken_at else {
            continue;
        };
        let (first, last) = e.window;
        if taken.date() < first || taken.date() > last {
            out.push(Flag {
                code: "receipt_outside_window",
                words: format!(
                    "The receipt photo was taken at {}, outside the job's window ({} to {}).",
                    clock(taken),
                    first.format("%b %-d"),
                    last.format("%b %-d, %Y")
                ),
                media_id: Some(photo.media_id),
            });
        } else if let Some((start, end)) = visit_local {
            let off = if taken < start {
                start - taken
            } else if taken > end {
                taken - end
            } else {
                chrono::Duration::zero()
            };
            if off > tolerance {
                out.push(Flag {
                    code: "receipt_far_from_visit",
                    words: format!(
                        "The receipt photo was taken at {}, {} minutes from the visit the shopper reported ({} to {}); the project allows {} minutes.",
                        clock(taken),
                        off.num_minutes(),
                        start.format("%-I:%M %p"),
                        end.format("%-I:%M %p"),
                        e.tolerance_minutes
                    ),
                    media_id: Some(photo.media_id),
                });
            }
        }
    }
    if let Ok(store) = Coordinates::new(e.store.0, e.store.1) {
        for photo in &e.photos {
            let Some(at) = photo
                .position
                .and_then(|(lat, lon)| Coordinates::new(lat, lon).ok())
            else {
                continue;
            };
            // geo's points are (longitude, latitude); Haversine gives metres on the mean Earth.
            let m = Haversine.distance(
                Point::new(store.lon(), store.lat()),
                Point::new(at.lon(), at.lat()),
            );
            if m > e.distance_limit_m as f64 {
                out.push(Flag {
                    code: "photo_far_from_store",
                    words: format!(
                        "A {} was taken {} from the store; the project allows {}.",
                        if photo.receipt {
                            "receipt photo"
                        } else {
                            "photo"
                        },
                        metres(m),
                        metres(e.distance_limit_m as f64)
                    ),
                    media_id: Some(photo.media_id),
                });
            }
        }
    }
    for d in &e.duplicates {
        out.push(if d.exact {
            Flag {
                code: "duplicate_receipt",
                words: format!(
                    "The same receipt image was handed in for assignment {}.",
                    d.other
                ),
                media_id: Some(d.media_id),
            }
        } else {
            Flag {
                code: "similar_receipt",
                words: format!(
                    "The receipt photo looks like one handed in for assignment {} ({} of 256 bits differ): it may be the same receipt.",
                    d.other, d.bits
                ),
                media_id: Some(d.media_id),
            }
        });
    }
    if let Some((start, end)) = e.visit
        && !e.recordings_ms.is_empty()
    {
        let visit_ms = (end - start).num_milliseconds();
        let recorded: i64 = e.recordings_ms.iter().sum();
        if visit_ms >= 120_000 && recorded * 2 < visit_ms {
            out.push(Flag {
                code: "short_recording",
                words: format!(
                    "The recording{} last{} {} of the {} the visit lasted, by the shopper's report.",
                    if e.recordings_ms.len() == 1 { "" } else { "s" },
                    if e.recordings_ms.len() == 1 { "s" } else { "" },
                    minutes(recorded),
                    minutes(visit_ms)
                ),
                media_id: None,
            });
        }
    }
    if let Some(cents) = e.receipt_cents
        && cents > e.cap_cents
    {
        out.push(Flag {
            code: "receipt_over_cap",
            words: format!(
                "The receipt amount, {}, is above the reimbursement cap of {}: at most {} is reimbursed.",
                Money::from_cents(cents),
                Money::from_cents(e.cap_cents),
                Money::from_cents(e.cap_cents)
            ),
            media_id: None,
        });
    }
    out
}

fn minutes(ms: i64) -> String {
    let m = (ms + 30_000) / 60_000;
    if m == 1 {
        "1 minute".into()
    } else if m == 0 {
        format!("{} seconds", ms / 1000)
    } else {
        format!("{m} minutes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 3)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("a time")
    }

    /// A visit from 12:10 to 12:40 in Chicago (UTC−6), at a store in Chicago's Loop.
    fn evidence() -> Evidence {
        Evidence {
            window: (
                NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
                NaiveDate::from_ymd_opt(2026, 12, 5).expect("date"),
            ),
            zone: chrono_tz::America::Chicago,
            store: (41.8781, -87.6298),
            visit: Some((
                Utc.with_ymd_and_hms(2026, 12, 3, 18, 10, 0).unwrap(),
                Utc.with_ymd_and_hms(2026, 12, 3, 18, 40, 0).unwrap(),
            )),
            receipt_cents: Some(1250),
            cap_cents: 1500,
            tolerance_minutes: 60,
            distance_limit_m: 500,
            photos: vec![Photo {
                media_id: 1,
                receipt: true,
                taken_at: Some(at(12, 38)),
                position: Some((41.8785, -87.6300)),
            }],
            recordings_ms: vec![29 * 60_000],
            duplicates: vec![],
        }
    }

    #[test]
    fn an_honest_visit_raises_nothing() {
        assert_eq!(flags(&evidence()), vec![]);
    }

    #[test]
    fn each_doubt_is_flagged_in_words() {
        // Taken at 14:20 local: 100 minutes after the visit ended at 12:40, the tolerance 60.
        let mut e = evidence();
        e.photos[0].taken_at = Some(at(14, 20));
        let f = flags(&e);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].code, "receipt_far_from_visit");
        assert_eq!(
            f[0].words,
            "The receipt photo was taken at 2:20 PM on Dec 3, 2026, 100 minutes from the visit the shopper reported (12:10 PM to 12:40 PM); the project allows 60 minutes."
        );
        // A day before the window opened.
        e.photos[0].taken_at =
            NaiveDate::from_ymd_opt(2026, 11, 30).and_then(|d| d.and_hms_opt(9, 0, 0));
        assert_eq!(flags(&e)[0].code, "receipt_outside_window");
        // Taken at O'Hare, 24.5 km from the Loop (worked out with the haversine formula).
        let mut e = evidence();
        e.photos[0].position = Some((41.9742, -87.9073));
        let f = flags(&e);
        assert_eq!(f[0].code, "photo_far_from_store");
        assert_eq!(
            f[0].words,
            "A receipt photo was taken 25 km from the store; the project allows 500 m."
        );
        // 600 m north: over a 500 m limit (0.0054° of latitude is 600 m).
        e.photos[0].position = Some((41.8781 + 0.0054, -87.6298));
        assert!(flags(&e)[0].words.contains("600 m from the store"));
        // A 10-minute recording of a 30-minute visit.
        let mut e = evidence();
        e.recordings_ms = vec![6 * 60_000, 4 * 60_000];
        let f = flags(&e);
        assert_eq!(f[0].code, "short_recording");
        assert_eq!(
            f[0].words,
            "The recordings last 10 minutes of the 30 minutes the visit lasted, by the shopper's report."
        );
        // Half the visit exactly is not short.
        e.recordings_ms = vec![15 * 60_000];
        assert_eq!(flags(&e), vec![]);
        // $18.40 on a $15.00 cap.
        let mut e = evidence();
        e.receipt_cents = Some(1840);
        assert_eq!(
            flags(&e)[0].words,
            "The receipt amount, $18.40, is above the reimbursement cap of $15.00: at most $15.00 is reimbursed."
        );
        // Seen in other assignments.
        let mut e = evidence();
        e.duplicates = vec![
            Duplicate {
                media_id: 1,
                other: AssignmentId::from(77),
                exact: true,
                bits: 0,
            },
            Duplicate {
                media_id: 1,
                other: AssignmentId::from(78),
                exact: false,
                bits: 9,
            },
        ];
        let codes: Vec<&str> = flags(&e).iter().map(|f| f.code).collect();
        assert_eq!(codes, ["duplicate_receipt", "similar_receipt"]);
    }

    #[test]
    fn a_photo_without_a_time_or_place_says_nothing_either_way() {
        let mut e = evidence();
        e.photos[0].taken_at = None;
        e.photos[0].position = None;
        e.visit = None;
        assert_eq!(flags(&e), vec![]);
    }
}
