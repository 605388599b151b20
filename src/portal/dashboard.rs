//! The client's dashboard: its released reports' scores over time per store and per section
//! (by the month of the visit), the weakest questions, and the stores compared. Numbers only:
//! the pages draw them as SVG on the server. Read from the client's newest released reports
//! (at most `MAX_REPORTS`), never a shopper's identity.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::service::{MAX_REPORTS, client_of, released_of};
use crate::auth::CurrentUser;
use crate::db::DbConnection;
use crate::error::{AppError, AppResult};
use crate::ids::QuestionnaireId;
use crate::reports::Answers;

/// Months a dashboard shows at most, ending with the newest.
pub const MONTHS: usize = 12;
/// Stores whose lines the "over time" chart draws at most (the most visited).
pub const STORE_LINES: usize = 6;
/// Questions the weakest list names.
pub const WEAKEST: usize = 5;
/// Stores the comparison lists at most (lowest first).
pub const STORES_COMPARED: usize = 30;

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DashboardQuery {
    /// Visits on or after this day.
    pub from: Option<NaiveDate>,
    /// Visits on or before this day.
    pub to: Option<NaiveDate>,
}

/// A percentage in a month (None: no scored report that month).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Series {
    /// A store's code, or a section's title.
    pub name: String,
    /// One value per month of `months`, in percent.
    pub percents: Vec<Option<f64>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ranked {
    /// A question's words, or a store's code and name.
    pub name: String,
    /// Points earned over points possible, in percent.
    pub percent: f64,
    /// Reports it counted in.
    pub reports: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// Released reports counted.
    pub reports: i64,
    /// Their score, in percent (None when nothing was scored).
    pub percent: Option<f64>,
    /// The months shown (`2026-11`), oldest first.
    pub months: Vec<String>,
    /// All stores together, per month.
    pub overall: Series,
    /// The most visited stores, per month.
    pub stores_over_time: Vec<Series>,
    /// Each section, per month.
    pub sections_over_time: Vec<Series>,
    /// The questions scoring lowest.
    pub weakest_questions: Vec<Ranked>,
    /// Stores, lowest score first.
    pub stores: Vec<Ranked>,
}

/// Earned and possible points.
#[derive(Debug, Clone, Copy, Default)]
struct Tally {
    earned: i64,
    possible: i64,
    reports: i64,
}

impl Tally {
    fn add(&mut self, earned: i64, possible: i64) {
        self.earned += earned;
        self.possible += possible;
        self.reports += 1;
    }

    fn percent(self) -> Option<f64> {
        (self.possible > 0)
            .then(|| (self.earned as f64 * 1000.0 / self.possible as f64).round() / 10.0)
    }
}

fn month_of(day: NaiveDate) -> String {
    format!("{:04}-{:02}", day.year(), day.month())
}

/// The client's dashboard.
pub fn dashboard(
    conn: &mut DbConnection,
    user: &CurrentUser,
    query: &DashboardQuery,
) -> AppResult<Dashboard> {
    let client = client_of(user)?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && from > to
    {
        return Err(AppError::field("to", "must be on or after from"));
    }
    let rows = released_of(conn, client, None)?;
    let mut documents: HashMap<QuestionnaireId, crate::reports::Questionnaire> = HashMap::new();
    let mut overall = Tally::default();
    let mut by_month: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_store_month: HashMap<(String, String), Tally> = HashMap::new();
    let mut by_section_month: HashMap<(String, String), Tally> = HashMap::new();
    let mut sections_seen: Vec<String> = Vec::new();
    let mut by_store: HashMap<String, Tally> = HashMap::new();
    let mut by_question: HashMap<String, Tally> = HashMap::new();
    for row in rows
        .iter()
        .take(usize::try_from(MAX_REPORTS).unwrap_or(usize::MAX))
    {
        let Some(day) = row.visit_started_at.or(row.released_at).map(|t| t.date()) else {
            continue;
        };
        if query.from.is_some_and(|f| day < f) || query.to.is_some_and(|t| day > t) {
            continue;
        }
        let q = match documents.entry(row.questionnaire_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let version =
                    crate::reports::store::find_questionnaire(conn, row.questionnaire_id)?
                        .ok_or_else(|| AppError::internal(anyhow::anyhow!("questionnaire gone")))?;
                e.insert(crate::reports::service::document(&version)?)
            }
        };
        let Ok(answers) = serde_json::from_str::<Answers>(&row.answers) else {
            continue;
        };
        let score = q.score(&answers);
        if score.possible == 0 {
            continue;
        }
        let month = month_of(day);
        let store = format!("{} · {}", row.store_code, row.store_name);
        overall.add(score.earned, score.possible);
        by_month
            .entry(month.clone())
            .or_default()
            .add(score.earned, score.possible);
        by_store_month
            .entry((store.clone(), month.clone()))
            .or_default()
            .add(score.earned, score.possible);
        by_store
            .entry(store)
            .or_default()
            .add(score.earned, score.possible);
        for s in &score.sections {
            if s.possible == 0 {
                continue;
            }
            if !sections_seen.contains(&s.title) {
                sections_seen.push(s.title.clone());
            }
            by_section_month
                .entry((s.title.clone(), month.clone()))
                .or_default()
                .add(s.earned, s.possible);
        }
        for (question, counted) in q.question_scores(&answers) {
            if let Some((earned, possible)) = counted
                && possible > 0
            {
                by_question
                    .entry(question.label.clone())
                    .or_default()
                    .add(earned, possible);
            }
        }
    }
    let months: Vec<String> = {
        let all: Vec<String> = by_month.keys().cloned().collect();
        all[all.len().saturating_sub(MONTHS)..].to_vec()
    };
    let series = |name: String, tally: &dyn Fn(&str) -> Option<Tally>| Series {
        percents: months
            .iter()
            .map(|m| tally(m).and_then(Tally::percent))
            .collect(),
        name,
    };
    let mut busiest: Vec<(&String, &Tally)> = by_store.iter().collect();
    busiest.sort_by(|a, b| b.1.reports.cmp(&a.1.reports).then(a.0.cmp(b.0)));
    let stores_over_time = busiest
        .iter()
        .take(STORE_LINES)
        .map(|(store, _)| {
            series((*store).clone(), &|m: &str| {
                by_store_month
                    .get(&((*store).clone(), m.to_string()))
                    .copied()
            })
        })
        .collect();
    let sections_over_time = sections_seen
        .iter()
        .map(|title| {
            series(title.clone(), &|m: &str| {
                by_section_month
                    .get(&(title.clone(), m.to_string()))
                    .copied()
            })
        })
        .collect();
    let ranked = |map: &HashMap<String, Tally>, n: usize| {
        let mut list: Vec<Ranked> = map
            .iter()
            .filter_map(|(name, t)| {
                t.percent().map(|percent| Ranked {
                    name: name.clone(),
                    percent,
                    reports: t.reports,
                })
            })
            .collect();
        list.sort_by(|a, b| a.percent.total_cmp(&b.percent).then(a.name.cmp(&b.name)));
        list.truncate(n);
        list
    };
    Ok(Dashboard {
        reports: overall.reports,
        percent: overall.percent(),
        overall: series("All stores".to_string(), &|m: &str| {
            by_month.get(m).copied()
        }),
        months,
        stores_over_time,
        sections_over_time,
        weakest_questions: ranked(&by_question, WEAKEST),
        stores: ranked(&by_store, STORES_COMPARED),
    })
}
