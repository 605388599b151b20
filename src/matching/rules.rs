//! The eligibility rules, and `explain`, which lists every rule a pair fails.
//!
//! A shopper is eligible for a job when the great-circle distance is within both the shopper's
//! travel radius and the job's maximum distance, every requirement is met, the shopper is
//! affiliated with none of the job's blocked organizations, has not visited the job's location
//! within the rotation period, is active, and has capacity left.

use chrono::NaiveDate;

use super::geo::haversine_km;
#[cfg(test)]
use super::model::Tags;
use super::model::{Job, Names, Shopper, Sym, contains_all, first_common};

/// One unmet rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Unmet {
    TooFar {
        km: f64,
        limit_km: f64,
    },
    TooYoung {
        min_age: u32,
    },
    TooOld {
        max_age: u32,
    },
    AgeUnknown,
    NeedsVehicle,
    MissingLanguage(Sym),
    MissingCertification(Sym),
    RatingTooLow {
        min: f64,
        have: f64,
    },
    TooFewShops {
        min: u32,
        have: u32,
    },
    Conflict {
        organization: Sym,
    },
    VisitedRecently {
        location: Sym,
        on: Option<NaiveDate>,
    },
    NoCapacity,
    Inactive,
}

impl Unmet {
    /// A sentence for staff. (Shoppers get their own wording, which never names a conflict.)
    pub fn describe(&self, symbols: &impl Names) -> String {
        match self {
            Unmet::TooFar { km, limit_km } => {
                format!(
                    "too far by {:.1} km ({km:.1} km, limit {limit_km:.1} km)",
                    km - limit_km
                )
            }
            Unmet::TooYoung { min_age } => format!("younger than {min_age}"),
            Unmet::TooOld { max_age } => format!("older than {max_age}"),
            Unmet::AgeUnknown => "age unknown, and the job has an age limit".into(),
            Unmet::NeedsVehicle => "has no vehicle".into(),
            Unmet::MissingLanguage(l) => format!("missing language {}", symbols.name_of(*l)),
            Unmet::MissingCertification(c) => {
                format!("missing certification {}", symbols.name_of(*c))
            }
            Unmet::RatingTooLow { min, have } => format!("rating {have:.1} below {min:.1}"),
            Unmet::TooFewShops { min, have } => format!("{have} completed shops, fewer than {min}"),
            Unmet::Conflict { organization } => {
                format!(
                    "conflict with organization {}",
                    symbols.name_of(*organization)
                )
            }
            Unmet::VisitedRecently {
                location,
                on: Some(day),
            } => {
                format!("visited location {} on {day}", symbols.name_of(*location))
            }
            Unmet::VisitedRecently { location, on: None } => {
                format!(
                    "visited location {} within the rotation period",
                    symbols.name_of(*location)
                )
            }
            Unmet::NoCapacity => "no capacity left".into(),
            Unmet::Inactive => "not an active panel member".into(),
        }
    }

    /// The symbol the rule names (a language, certification, organization or store), if any.
    pub fn symbol(&self) -> Option<Sym> {
        match self {
            Unmet::MissingLanguage(s) | Unmet::MissingCertification(s) => Some(*s),
            Unmet::Conflict { organization } => Some(*organization),
            Unmet::VisitedRecently { location, .. } => Some(*location),
            _ => None,
        }
    }
}

/// The distance limit of a pair: the smaller of the two radii.
pub fn limit_km(shopper: &Shopper, job: &Job) -> f64 {
    shopper.radius_km.min(job.max_km)
}

/// Every rule but distance, without allocating. The hot path of candidate search.
pub fn meets_all_but_distance(s: &Shopper, j: &Job) -> bool {
    s.active
        && s.capacity > 0
        && j.min_age.is_none_or(|min| s.age.is_some_and(|a| a >= min))
        && j.max_age.is_none_or(|max| s.age.is_some_and(|a| a <= max))
        && (!j.vehicle || s.vehicle)
        && s.rating >= j.min_rating
        && s.completed >= j.min_completed
        && contains_all(s.tags.languages(), &j.languages)
        && contains_all(s.tags.certs(), &j.certs)
        && first_common(s.tags.orgs(), &j.blocked_orgs).is_none()
        && !s.recent.iter().any(|v| v.location == j.location)
}

/// Eligible at distance `km` (already computed by the caller).
pub fn is_eligible_at(s: &Shopper, j: &Job, km: f64) -> bool {
    km <= limit_km(s, j) && meets_all_but_distance(s, j)
}

pub fn is_eligible(s: &Shopper, j: &Job) -> bool {
    is_eligible_at(s, j, haversine_km(s.position, j.position))
}

/// Every rule the pair fails, in a fixed order; empty when the shopper is eligible.
pub fn explain(s: &Shopper, j: &Job) -> Vec<Unmet> {
    let mut unmet = Vec::new();
    let km = haversine_km(s.position, j.position);
    let limit = limit_km(s, j);
    if km > limit {
        unmet.push(Unmet::TooFar {
            km,
            limit_km: limit,
        });
    }
    if !s.active {
        unmet.push(Unmet::Inactive);
    }
    if s.capacity == 0 {
        unmet.push(Unmet::NoCapacity);
    }
    match s.age {
        None if j.min_age.is_some() || j.max_age.is_some() => unmet.push(Unmet::AgeUnknown),
        Some(age) => {
            if let Some(min_age) = j.min_age.filter(|m| age < *m) {
                unmet.push(Unmet::TooYoung { min_age });
            }
            if let Some(max_age) = j.max_age.filter(|m| age > *m) {
                unmet.push(Unmet::TooOld { max_age });
            }
        }
        None => {}
    }
    if j.vehicle && !s.vehicle {
        unmet.push(Unmet::NeedsVehicle);
    }
    for l in j
        .languages
        .iter()
        .filter(|l| s.tags.languages().binary_search(l).is_err())
    {
        unmet.push(Unmet::MissingLanguage(*l));
    }
    for c in j
        .certs
        .iter()
        .filter(|c| s.tags.certs().binary_search(c).is_err())
    {
        unmet.push(Unmet::MissingCertification(*c));
    }
    if s.rating < j.min_rating {
        unmet.push(Unmet::RatingTooLow {
            min: j.min_rating,
            have: s.rating,
        });
    }
    if s.completed < j.min_completed {
        unmet.push(Unmet::TooFewShops {
            min: j.min_completed,
            have: s.completed,
        });
    }
    for o in j
        .blocked_orgs
        .iter()
        .filter(|o| s.tags.orgs().binary_search(o).is_ok())
    {
        unmet.push(Unmet::Conflict { organization: *o });
    }
    for v in s.recent.iter().filter(|v| v.location == j.location) {
        unmet.push(Unmet::VisitedRecently {
            location: v.location,
            on: v.on,
        });
    }
    unmet
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::matching::geo::Coordinates;
    use crate::matching::model::{Symbols, Visit};

    pub fn shopper(symbols: &mut Symbols) -> Shopper {
        Shopper {
            id: "S1".into(),
            position: Coordinates::new(40.7128, -74.006).unwrap(),
            radius_km: 40.0,
            capacity: 2,
            rating: 8.5,
            completed: 12,
            age: Some(34),
            vehicle: true,
            tags: Tags::new(
                &symbols.intern_all(&["en", "es"]),
                &symbols.intern_all(&["mspa-silver"]),
                &symbols.intern_all(&["O17"]),
            ),
            recent: vec![Visit {
                location: symbols.intern("L42"),
                on: NaiveDate::from_ymd_opt(2026, 5, 12),
            }]
            .into(),
            active: true,
        }
    }

    pub fn job(symbols: &mut Symbols) -> Job {
        Job {
            id: "J1".into(),
            location: symbols.intern("L7"),
            position: Coordinates::new(40.75, -73.99).unwrap(),
            max_km: 50.0,
            min_age: Some(21),
            max_age: None,
            vehicle: false,
            languages: symbols.intern_all(&["es"]),
            certs: Box::new([]),
            min_rating: 7.0,
            min_completed: 0,
            blocked_orgs: symbols.intern_all(&["O23"]),
        }
    }

    #[test]
    fn a_shopper_meeting_every_rule_is_eligible() {
        let mut sy = Symbols::default();
        let (s, j) = (shopper(&mut sy), job(&mut sy));
        assert!(is_eligible(&s, &j));
        assert_eq!(explain(&s, &j), vec![]);
    }

    /// Changes one thing and expects exactly one unmet rule.
    fn only(change: impl FnOnce(&mut Shopper, &mut Job, &mut Symbols)) -> Unmet {
        let mut sy = Symbols::default();
        let (mut s, mut j) = (shopper(&mut sy), job(&mut sy));
        change(&mut s, &mut j, &mut sy);
        let unmet = explain(&s, &j);
        assert_eq!(unmet.len(), 1, "{unmet:?}");
        assert!(!is_eligible(&s, &j), "explain and is_eligible disagree");
        unmet.into_iter().next().unwrap()
    }

    #[test]
    fn each_rule_is_explained() {
        let far = only(|s, _, _| s.radius_km = 2.0);
        let Unmet::TooFar { km, limit_km } = far else {
            panic!("{far:?}")
        };
        assert_eq!(limit_km, 2.0);
        // 4.3506 km, as Python's haversine on the same sphere gives.
        assert!((km - 4.3506).abs() < 0.0005, "{km}");
        assert!(
            matches!(only(|_, j, _| j.max_km = 1.0), Unmet::TooFar { limit_km, .. } if limit_km == 1.0)
        );
        assert_eq!(
            only(|s, _, _| s.age = Some(19)),
            Unmet::TooYoung { min_age: 21 }
        );
        assert_eq!(
            only(|_, j, _| j.max_age = Some(30)),
            Unmet::TooOld { max_age: 30 }
        );
        assert_eq!(only(|s, _, _| s.age = None), Unmet::AgeUnknown);
        assert_eq!(
            only(|s, j, _| {
                s.vehicle = false;
                j.vehicle = true;
            }),
            Unmet::NeedsVehicle
        );
        assert!(matches!(
            only(|_, j, sy| j.languages = sy.intern_all(&["es", "fr"])),
            Unmet::MissingLanguage(_)
        ));
        assert!(matches!(
            only(|_, j, sy| j.certs = sy.intern_all(&["mspa-gold"])),
            Unmet::MissingCertification(_)
        ));
        assert_eq!(
            only(|_, j, _| j.min_rating = 9.0),
            Unmet::RatingTooLow {
                min: 9.0,
                have: 8.5
            }
        );
        assert_eq!(
            only(|_, j, _| j.min_completed = 20),
            Unmet::TooFewShops { min: 20, have: 12 }
        );
        assert!(matches!(
            only(|_, j, sy| j.blocked_orgs = sy.intern_all(&["O17", "O23"])),
            Unmet::Conflict { .. }
        ));
        assert!(matches!(
            only(|_, j, sy| j.location = sy.intern("L42")),
            Unmet::VisitedRecently { on: Some(_), .. }
        ));
        assert_eq!(only(|s, _, _| s.capacity = 0), Unmet::NoCapacity);
        assert_eq!(only(|s, _, _| s.active = false), Unmet::Inactive);
    }

    #[test]
    fn explanations_read_well() {
        let mut sy = Symbols::default();
        let (s, mut j) = (shopper(&mut sy), job(&mut sy));
        j.location = sy.intern("L42");
        j.blocked_orgs = sy.intern_all(&["O17"]);
        j.certs = sy.intern_all(&["mspa-gold"]);
        let text: Vec<String> = explain(&s, &j).iter().map(|u| u.describe(&sy)).collect();
        assert_eq!(
            text,
            [
                "missing certification mspa-gold",
                "conflict with organization O17",
                "visited location L42 on 2026-05-12"
            ]
        );
        let far = Unmet::TooFar {
            km: 52.34,
            limit_km: 40.0,
        }
        .describe(&sy);
        assert_eq!(far, "too far by 12.3 km (52.3 km, limit 40.0 km)");
    }
}
