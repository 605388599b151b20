//! `incognito demo`: fills an empty database with a small, realistic panel, so that a newcomer
//! sees the product with data in it: three clients with competitors, stores around five US
//! metros, a project per client with jobs, 500 shoppers with applications (most approved), and
//! assignments in every state the platform reaches today. Everything goes through the domain
//! services (the same checks as the pages), in one transaction; a database that holds accounts
//! is refused. Deterministic for a seed, except the password, which is new every time.

use crate::ids::{ClientId, JobId, UserId};
use crate::money::Money;
use std::collections::BTreeMap;

use chrono::{Days, NaiveDate, NaiveDateTime, TimeDelta};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::assignments::model::{Action, Move, State};
use crate::assignments::notify::Notifier;
use crate::assignments::{candidates, service as assignments};
use crate::auth::{Auth, CurrentUser, Email, Role, store as accounts};
use crate::clients::model::OrganizationRef;
use crate::clients::model::{JobInput, LocationInput, ProjectInput};
use crate::clients::{service as clients, store as client_store};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult};
use crate::panel::model::{ConsentChoices, ProfileRequest};
use crate::panel::service::{self as panel, StatusAction};
use crate::privacy::consent::Source;

/// What `demo` made, and how to sign in.
#[derive(Debug)]
pub struct DemoPanel {
    /// (role, email) for one account of each role; all share the password.
    pub sign_ins: Vec<(Role, String)>,
    pub clients: usize,
    pub stores: usize,
    pub jobs: usize,
    pub shoppers: usize,
    /// Assignments by state.
    pub assignments: BTreeMap<String, usize>,
}

/// Metros with ZIP codes of their neighbourhoods (stores and shoppers are placed at them).
const METROS: &[(&str, &str, &[&str])] = &[
    (
        "New York",
        "NY",
        &[
            "10001", "10002", "10003", "10011", "10012", "10016", "10019", "10025", "10027",
            "10128", "10451", "11201", "11215", "11217", "11101",
        ],
    ),
    (
        "Chicago",
        "IL",
        &[
            "60601", "60602", "60605", "60607", "60610", "60611", "60614", "60618", "60622",
            "60625", "60640", "60647", "60657",
        ],
    ),
    (
        "Los Angeles",
        "CA",
        &[
            "90004", "90005", "90012", "90015", "90017", "90019", "90026", "90028", "90036",
            "90046", "90048", "90064",
        ],
    ),
    (
        "Houston",
        "TX",
        &[
            "77002", "77003", "77004", "77006", "77007", "77008", "77019", "77025", "77027",
            "77030", "77055", "77098",
        ],
    ),
    (
        "Atlanta",
        "GA",
        &[
            "30303", "30305", "30306", "30307", "30308", "30309", "30310", "30312", "30313",
            "30318", "30324", "30327",
        ],
    ),
];

/// (client, its competitors, store name stem, project name, fee in cents, rotation days).
type DemoClient = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    i64,
    i32,
);

const CLIENTS: &[DemoClient] = &[
    (
        "Burger Barn",
        &["Taco Town", "Pizza Palace"],
        "Burger Barn",
        "Drive-thru experience",
        2500,
        90,
    ),
    (
        "Bean There Coffee",
        &["Daily Grind"],
        "Bean There",
        "Morning rush visit",
        1500,
        60,
    ),
    (
        "FreshMart Grocers",
        &["Green Basket", "Corner Market"],
        "FreshMart",
        "Checkout and produce audit",
        3500,
        120,
    ),
];

const FIRST: &[&str] = &[
    "Ana", "Ben", "Chloe", "Diego", "Emma", "Farah", "Grace", "Hiro", "Imani", "Jamal", "Kira",
    "Luis", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe",
];
const LAST: &[&str] = &[
    "Alvarez", "Brooks", "Chen", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
    "Johnson", "Kim", "Lopez", "Miller", "Nguyen", "Okafor", "Patel", "Rossi", "Smith", "Tanaka",
    "Walker",
];
const STREETS: &[&str] = &[
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Park Pl",
    "Cedar Ln",
    "Elm St",
    "Lake View Rd",
    "Washington Blvd",
    "2nd Ave",
    "Hill St",
];

pub const SHOPPERS: usize = 500;
pub const STORES: usize = 200;

/// Fills an empty database. `password_hash` is the hash of the one password every demo
/// account gets.
pub fn fill(
    conn: &mut DbConnection,
    auth: &Auth,
    password_hash: &str,
    seed: u64,
    now: NaiveDateTime,
) -> AppResult<DemoPanel> {
    write_transaction(conn, |conn| {
        if accounts::count_users(conn)? > 0 {
            return Err(AppError::conflict(
                "not_empty",
                "This database holds accounts already: the demo fills only an empty one. \
                 Point INCOGNITO_DATA_DIR or INCOGNITO_DATABASE_URL at a new database.",
            ));
        }
        Demo {
            conn,
            auth,
            hash: password_hash,
            rng: ChaCha8Rng::seed_from_u64(seed),
            now,
        }
        .run()
    })
}

struct Demo<'a> {
    conn: &'a mut DbConnection,
    auth: &'a Auth,
    hash: &'a str,
    rng: ChaCha8Rng,
    now: NaiveDateTime,
}

impl Demo<'_> {
    fn today(&self) -> NaiveDate {
        self.now.date()
    }

    fn day(&self, offset: i64) -> NaiveDate {
        let today = self.today();
        if offset >= 0 {
            today.checked_add_days(Days::new(offset.unsigned_abs()))
        } else {
            today.checked_sub_days(Days::new(offset.unsigned_abs()))
        }
        .unwrap_or(today)
    }

    /// A street address: a house number in `numbers` on one of the demo streets.
    fn street(&mut self, numbers: std::ops::Range<u32>) -> String {
        let number = self.rng.gen_range(numbers);
        let street = STREETS.choose(&mut self.rng).unwrap_or(&"Main St");
        format!("{number} {street}")
    }

    fn account(
        &mut self,
        email: &str,
        role: Role,
        client_id: Option<ClientId>,
    ) -> AppResult<UserId> {
        let email = Email::parse(email).map_err(|m| AppError::field("email", m))?;
        let user = crate::auth::service::create_account(
            self.conn, self.auth, &email, self.hash, role, client_id,
        )?;
        Ok(user.id)
    }

    fn run(mut self) -> AppResult<DemoPanel> {
        let now = self.now;
        self.account("admin@demo.example.com", Role::Admin, None)?;
        let scheduler = self.account("scheduler@demo.example.com", Role::Scheduler, None)?;
        self.account("qa@demo.example.com", Role::Qa, None)?;
        self.account("privacy@demo.example.com", Role::PrivacyOfficer, None)?;

        // Clients, their competitors and a project each.
        let mut client_ids = Vec::new();
        let mut projects = Vec::new();
        for (name, competitors, _, project, fee, rotation) in CLIENTS {
            let (client, _) = clients::create_client(self.conn, &named(name), now)?;
            for competitor in *competitors {
                clients::add_competitor(self.conn, client.id, &named(competitor), now)?;
            }
            let input = ProjectInput {
                client_id: client.id,
                name: (*project).to_string(),
                max_km: Some(25.0),
                min_age: None,
                max_age: None,
                vehicle: None,
                languages: None,
                certifications: None,
                min_rating: None,
                min_completed: None,
                rotation_days: *rotation,
                fee_cents: *fee,
                reimbursement_cap_cents: 1200,
                show_client_name: false,
                offer_hours: Some(48),
                self_assign_min_rating: None,
                report_grace_days: None,
                photo_time_tolerance_minutes: None,
                photo_distance_limit_m: None,
                keep_photo_originals: false,
                review_limit_hours: None,
                auto_approve: false,
                revision_hours: None,
                release_on_approval: None,
                dispute_days: None,
                visit_minutes: None,
                alert_below_percent: None,
                alert_question: None,
                alert_answers: None,
            };
            let project = clients::create_project(self.conn, &input, Money::MAX_TYPED, now)?.id;
            // Each project's questionnaire, published, so that reports can be filled in.
            let staff = user(scheduler, Role::Scheduler);
            let version = crate::reports::service::create_questionnaire(
                self.conn,
                &staff,
                project,
                demo_questionnaire(format!("{}: visit report", input.name)),
                now,
            )?;
            crate::reports::service::publish(self.conn, version.id, now)?;
            projects.push(project);
            client_ids.push(client.id);
        }
        let reviewer_client = client_ids.first().copied();
        self.account(
            "reviewer@demo.example.com",
            Role::ClientReviewer,
            reviewer_client,
        )?;

        // Stores: spread over the metros and clients, each at a neighbourhood's ZIP.
        let mut stores = Vec::new(); // (store id, client index)
        for n in 0..STORES {
            let (city, state, zips) = METROS[n % METROS.len()];
            let c = n % CLIENTS.len();
            let zip = zips[(n / METROS.len()) % zips.len()];
            let input = LocationInput {
                client_id: Some(client_ids[c]),
                code: Some(format!(
                    "{}-{:03}",
                    &CLIENTS[c].2[..2].to_uppercase(),
                    n + 1
                )),
                name: Some(format!("{} {} #{}", CLIENTS[c].2, city, n + 1)),
                street: Some(self.street(10..2000)),
                city: Some(city.to_string()),
                state: Some(state.to_string()),
                zip: Some(zip.to_string()),
                latitude: None,
                longitude: None,
            };
            // A ZIP the offline table lacks is skipped, not fatal.
            let Ok(checked) = input.validate() else {
                continue;
            };
            let (id, _) = client_store::upsert_location(self.conn, client_ids[c], &checked, now)?;
            stores.push((id, c));
        }

        // One job a store: most open now, some later in the month.
        let mut jobs = Vec::new();
        for (k, (store, c)) in stores.iter().enumerate() {
            let (start, end) = if k % 4 == 3 {
                (self.day(10), self.day(30))
            } else {
                (self.day(-3), self.day(14 + (k % 3) as i64 * 7))
            };
            let input = JobInput {
                project_id: Some(projects[*c]),
                location_id: Some(*store),
                code: Some(format!("J-{:04}", k + 1)),
                window_start: Some(start),
                window_end: Some(end),
                bonus_cents: (k % 10 == 0).then_some(500),
                ..JobInput::default()
            };
            jobs.push(clients::create_job(self.conn, &input, Money::MAX_TYPED, now)?.id);
        }

        // Shoppers: applications at the metros' ZIPs; nine in ten approved, a few suspended.
        let mut shoppers = Vec::new();
        for n in 0..SHOPPERS {
            let (city, state, zips) = METROS[n % METROS.len()];
            let zip = *zips.choose(&mut self.rng).unwrap_or(&zips[0]);
            let first = FIRST[n % FIRST.len()];
            let last = LAST[(n / FIRST.len() + n) % LAST.len()];
            let email = format!(
                "{}.{}.{:03}@demo.example.com",
                first.to_lowercase(),
                last.to_lowercase(),
                n + 1
            );
            let user = self.account(&email, Role::Shopper, None)?;
            let request = ProfileRequest {
                legal_name: Some(format!("{first} {last}")),
                street: Some(self.street(1..900)),
                city: Some(city.to_string()),
                state: Some(state.to_string()),
                zip: Some(zip.to_string()),
                travel_radius_km: Some(f64::from(self.rng.gen_range(10..=40))),
                languages: Some(if n % 3 == 0 {
                    vec!["en".into(), "es".into()]
                } else {
                    vec!["en".into()]
                }),
                vehicle: Some(self.rng.gen_bool(0.6)),
                accept_agreement: Some(true),
                consents: Some(ConsentChoices {
                    share_name_address: Some(self.rng.gen_bool(0.4)),
                    share_contact: Some(self.rng.gen_bool(0.2)),
                    job_offer_emails: Some(self.rng.gen_bool(0.7)),
                    daily_digest: Some(self.rng.gen_bool(0.3)),
                }),
                ..ProfileRequest::default()
            };
            let Ok(profile) = request.validate(self.today(), true) else {
                continue;
            };
            panel::apply_or_update(
                self.conn,
                &self.auth.keys,
                user,
                &profile,
                Source::SignUp,
                None,
                now,
            )?;
            if n % 10 != 9 {
                panel::change_status(
                    self.conn,
                    scheduler,
                    user.into(),
                    StatusAction::Approve,
                    Some("demo panel: complete application"),
                    now,
                )?;
                if n % 50 == 48 {
                    assignments::change_shopper_status(
                        self.conn,
                        &Notifier::new(self.auth, crate::zones::Locale::default()),
                        scheduler,
                        user.into(),
                        StatusAction::Suspend,
                        Some("demo panel: a missed visit under review"),
                        now,
                    )?;
                }
            }
            shoppers.push(user);
        }

        let (counts, visited) = self.assignments(scheduler, &jobs)?;
        let shown = visited.map_or(shoppers[0], UserId::from);
        let first_shopper = accounts::find_user(self.conn, shown)?.email;
        Ok(DemoPanel {
            sign_ins: vec![
                (Role::Admin, "admin@demo.example.com".into()),
                (Role::Scheduler, "scheduler@demo.example.com".into()),
                (Role::Qa, "qa@demo.example.com".into()),
                (Role::PrivacyOfficer, "privacy@demo.example.com".into()),
                (Role::ClientReviewer, "reviewer@demo.example.com".into()),
                (Role::Shopper, first_shopper),
            ],
            clients: client_ids.len(),
            stores: stores.len(),
            jobs: jobs.len(),
            shoppers: shoppers.len(),
            assignments: counts,
        })
    }

    /// Assignments in every state reachable today: each state on a few of the open jobs, with
    /// the nearest eligible shopper, moved there through the same service calls as the pages.
    fn assignments(
        &mut self,
        scheduler: UserId,
        jobs: &[JobId],
    ) -> AppResult<(BTreeMap<String, usize>, Option<crate::ids::ShopperId>)> {
        const STATES: [State; 8] = [
            State::Requested,
            State::Offered,
            State::Accepted,
            State::Visited,
            State::Declined,
            State::Expired,
            State::Cancelled,
            State::Reassigned,
        ];
        let notifier = Notifier::new(self.auth, crate::zones::Locale::default());
        let staff = user(scheduler, Role::Scheduler);
        let now = self.now;
        let mut counts = BTreeMap::new();
        let mut used = std::collections::HashSet::new();
        // The first shopper with a visited job: the demo's shopper, with a report to fill in.
        let mut visited = None;
        // The demo's own live index, as the server's would answer staff.
        let live = crate::assignments::live::Live::new();
        // Jobs open now (every fourth job opens later in the month), six for each state.
        let open_now = jobs.iter().enumerate().filter(|(k, _)| k % 4 != 3);
        for ((_, job), state) in open_now.zip(STATES.iter().cycle()).take(STATES.len() * 6) {
            let asked = candidates::Asked {
                job_id: *job,
                limit: 20,
                unit: crate::units::DistanceUnit::default(),
            };
            let view =
                candidates::candidates(self.conn, &self.auth.keys, &live, scheduler, asked, now)?;
            let Some(shopper) = view
                .eligible
                .iter()
                .map(|c| c.shopper_id)
                .find(|id| !used.contains(id))
            else {
                continue;
            };
            used.insert(shopper);
            if *state == State::Requested {
                assignments::request(self.conn, &self.auth.keys, &notifier, shopper, *job, now)?;
            } else {
                // Offered (and then answered or let lapse), or assigned (and then moved on).
                let (action, at) = match state {
                    State::Offered | State::Declined => (Action::Offer, now),
                    // Offered three days ago: the 48-hour offer has lapsed.
                    State::Expired => (Action::Offer, now - TimeDelta::days(3)),
                    _ => (Action::Assign, now),
                };
                let a = assignments::offer_or_assign(
                    self.conn, &notifier, scheduler, *job, shopper, action, at,
                )?;
                let me = user(shopper.into(), Role::Shopper);
                let reason = |r: &str| r.to_string();
                let then = match state {
                    State::Declined => Some((
                        &me,
                        Move::Decline {
                            reason: Some(reason("I am away that week")),
                        },
                    )),
                    State::Visited => Some((&me, Move::Visit { visited_on: None })),
                    State::Cancelled => Some((
                        &me,
                        Move::Cancel {
                            reason: reason("My car broke down"),
                        },
                    )),
                    State::Reassigned => Some((
                        &staff,
                        Move::Reassign {
                            reason: reason("Moved to a shopper nearer the store"),
                        },
                    )),
                    _ => None,
                };
                if *state == State::Expired {
                    assignments::expire_if_lapsed(self.conn, &notifier, a.id, now)?;
                }
                if let Some((who, mv)) = then {
                    assignments::act(self.conn, &notifier, who, a.id, &mv, now)?;
                }
            }
            if *state == State::Visited {
                visited.get_or_insert(shopper);
            }
            *counts.entry(state.as_str().to_string()).or_insert(0) += 1;
        }
        Ok((counts, visited))
    }
}

fn named(name: &str) -> OrganizationRef {
    OrganizationRef {
        organization_id: None,
        name: Some(name.to_string()),
    }
}

/// A short questionnaire of the kinds a real one has: yes/no with points, a follow-up asked
/// only on "no", a multiple choice, a number with a range, a rating, a comment, a receipt
/// photo and a recording.
fn demo_questionnaire(title: String) -> crate::reports::QuestionnaireDoc {
    use crate::reports::model::{Choice, Question, QuestionKind, Section};
    let question = |name: &str, label: &str, kind: QuestionKind| Question {
        name: name.into(),
        label: label.into(),
        kind,
        required: false,
        help: None,
        relevant: None,
        constraint: None,
        constraint_message: None,
        choices: Vec::new(),
        min: None,
        max: None,
        scale: None,
        points: Default::default(),
        allow_na: false,
        files: None,
    };
    let points =
        |pairs: &[(&str, i64)]| pairs.iter().map(|(k, v)| ((*k).to_string(), *v)).collect();
    crate::reports::QuestionnaireDoc {
        title,
        sections: vec![
            Section {
                title: "Arrival".into(),
                questions: vec![
                    Question {
                        required: true,
                        help: Some("Within 10 seconds of reaching the counter.".into()),
                        points: points(&[("yes", 5), ("no", 0)]),
                        ..question("greeted", "Were you greeted?", QuestionKind::YesNo)
                    },
                    Question {
                        required: true,
                        relevant: Some("${greeted} = 'no'".into()),
                        ..question("why_not", "What happened instead?", QuestionKind::Text)
                    },
                    Question {
                        required: true,
                        min: Some(0.0),
                        max: Some(120.0),
                        ..question(
                            "wait",
                            "Minutes until you were served",
                            QuestionKind::Number,
                        )
                    },
                ],
            },
            Section {
                title: "The order".into(),
                questions: vec![
                    Question {
                        choices: vec![
                            Choice {
                                value: "upsell".into(),
                                label: "Offered something extra".into(),
                                points: Some(2),
                            },
                            Choice {
                                value: "repeat".into(),
                                label: "Repeated the order back".into(),
                                points: Some(3),
                            },
                            Choice {
                                value: "thanks".into(),
                                label: "Thanked you".into(),
                                points: Some(1),
                            },
                        ],
                        ..question(
                            "service",
                            "What did the staff do?",
                            QuestionKind::MultipleChoice,
                        )
                    },
                    Question {
                        scale: Some(5),
                        allow_na: true,
                        points: points(&[("1", 0), ("2", 1), ("3", 2), ("4", 3), ("5", 4)]),
                        ..question("clean", "How clean was the store?", QuestionKind::Rating)
                    },
                    question(
                        "comment",
                        "Anything else the client should know?",
                        QuestionKind::Text,
                    ),
                ],
            },
            Section {
                title: "Proof of visit".into(),
                questions: vec![
                    Question {
                        required: true,
                        help: Some("The whole receipt, flat and readable.".into()),
                        files: Some(crate::reports::model::FileCount { min: 1, max: 2 }),
                        ..question("receipt", "Photo of the receipt", QuestionKind::Receipt)
                    },
                    Question {
                        files: Some(crate::reports::model::FileCount { min: 0, max: 3 }),
                        ..question(
                            "recording",
                            "Recording of the visit, if the project asks for one",
                            QuestionKind::Audio,
                        )
                    },
                ],
            },
        ],
    }
}

fn user(id: UserId, role: Role) -> CurrentUser {
    CurrentUser {
        id,
        email: String::new(),
        role,
        session_id: 0,
        client_id: None,
        index_version: None,
    }
}
