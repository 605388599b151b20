//! The client reviewers' portal: the released reports of their own client, and nothing else.
//! A shopper appears to a client only as a code, stable within that client and different
//! between clients (a keyed hash of the two), never by name, contact, address, position, EXIF
//! or any other value of theirs. A report not released, or another client's, is not found
//! (404, so that ids reveal nothing).

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::{CurrentUser, Role};
use crate::db::DbConnection;
use crate::db::schema::{assignments, jobs, locations, projects, reports};
use crate::error::{AppError, AppResult};
use crate::ids::{AssignmentId, ClientId, ShopperId};
use crate::keys::Keys;
use crate::paging::{PageRequest, Paged};
use crate::reports::review::Review;
use crate::reports::{Answer, Answers};

/// Most released reports one client's list or export reads.
pub const MAX_REPORTS: i64 = 5000;

/// The shopper as client `client` sees them: a code stable within that client and different
/// between clients, from which nothing of the shopper can be learnt.
pub fn shopper_code(keys: &Keys, client: ClientId, shopper: ShopperId) -> String {
    let hash = keys.keyed_hash("shopper code for a client", &format!("{client}:{shopper}"));
    format!("S-{}", hash[..10].to_ascii_uppercase())
}

pub(super) fn not_found() -> AppError {
    AppError::not_found("No released report of yours has this id.")
}

/// The reviewer's client; every other role is refused.
pub(super) fn client_of(user: &CurrentUser) -> AppResult<ClientId> {
    user.require(&[Role::ClientReviewer])?;
    user.client_id.ok_or_else(|| {
        AppError::forbidden(
            "forbidden",
            "Your account is not bound to a client: ask an administrator.",
        )
    })
}

/// A released report as the client's list reads it.
#[derive(Debug, Clone, Queryable)]
pub(super) struct Released {
    pub(super) assignment_id: AssignmentId,
    pub(super) shopper_id: ShopperId,
    pub(super) questionnaire_id: crate::ids::QuestionnaireId,
    pub(super) answers: String,
    pub(super) visit_started_at: Option<NaiveDateTime>,
    pub(super) released_at: Option<NaiveDateTime>,
    pub(super) project_name: String,
    pub(super) store_code: String,
    pub(super) store_name: String,
    pub(super) store_city: String,
}

pub(super) fn released_of(
    conn: &mut DbConnection,
    client: ClientId,
    only: Option<AssignmentId>,
) -> QueryResult<Vec<Released>> {
    let mut query = reports::table
        .inner_join(
            assignments::table.inner_join(
                jobs::table
                    .inner_join(projects::table)
                    .inner_join(locations::table),
            ),
        )
        .filter(reports::review.eq(Review::Released))
        .filter(projects::client_id.eq(client))
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(reports::assignment_id.eq(id));
    }
    query
        .order((reports::released_at.desc(), reports::assignment_id.desc()))
        .limit(MAX_REPORTS)
        .select((
            reports::assignment_id,
            assignments::shopper_id,
            reports::questionnaire_id,
            reports::answers,
            reports::visit_started_at,
            reports::released_at,
            projects::name,
            locations::code,
            locations::name,
            locations::city,
        ))
        .load(conn)
}

/// The list's filters.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// The store's code.
    pub store: Option<String>,
    /// Visits on or after this day.
    pub from: Option<NaiveDate>,
    /// Visits on or before this day.
    pub to: Option<NaiveDate>,
    /// A score of at least this percent (0–100).
    pub min_score: Option<f64>,
    /// A score of at most this percent (0–100).
    pub max_score: Option<f64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Store {
    pub code: String,
    pub name: String,
    pub city: String,
}

/// A released report in the client's list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReportSummary {
    pub id: AssignmentId,
    pub project: String,
    pub store: Store,
    /// The visit's day.
    pub visited_on: Option<NaiveDate>,
    pub earned: i64,
    pub possible: i64,
    /// The score in percent (None when nothing is scored).
    pub percent: Option<f64>,
    /// The shopper, as this client sees them.
    pub shopper: String,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub released_at: Option<NaiveDateTime>,
}

fn percent(earned: i64, possible: i64) -> Option<f64> {
    (possible > 0).then(|| (earned as f64 * 1000.0 / possible as f64).round() / 10.0)
}

/// Reads the report's answers and its questionnaire version.
pub(super) fn scored(
    conn: &mut DbConnection,
    row: &Released,
) -> AppResult<(crate::reports::Questionnaire, Answers)> {
    let version = crate::reports::store::find_questionnaire(conn, row.questionnaire_id)?
        .ok_or_else(not_found)?;
    let q = crate::reports::service::document(&version)?;
    let answers: Answers = serde_json::from_str(&row.answers).map_err(|e| {
        AppError::internal(anyhow::anyhow!(
            "report {} unreadable: {e}",
            row.assignment_id
        ))
    })?;
    Ok((q, answers))
}

fn summary(
    keys: &Keys,
    client: ClientId,
    row: &Released,
    earned: i64,
    possible: i64,
) -> ReportSummary {
    ReportSummary {
        id: row.assignment_id,
        project: row.project_name.clone(),
        store: Store {
            code: row.store_code.clone(),
            name: row.store_name.clone(),
            city: row.store_city.clone(),
        },
        visited_on: row.visit_started_at.map(|t| t.date()),
        earned,
        possible,
        percent: percent(earned, possible),
        shopper: shopper_code(keys, client, row.shopper_id),
        released_at: row.released_at,
    }
}

/// The client's released reports the filters keep, newest first, each with its score.
fn matching(
    conn: &mut DbConnection,
    client: ClientId,
    query: &ReportQuery,
) -> AppResult<Vec<(Released, crate::reports::Score)>> {
    let mut kept = Vec::new();
    for row in released_of(conn, client, None)? {
        if query
            .store
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case(&row.store_code))
        {
            continue;
        }
        let day = row.visit_started_at.map(|t| t.date());
        if query.from.is_some_and(|f| day.is_none_or(|d| d < f))
            || query.to.is_some_and(|t| day.is_none_or(|d| d > t))
        {
            continue;
        }
        let (q, answers) = scored(conn, &row)?;
        let score = q.score(&answers);
        let pct = percent(score.earned, score.possible);
        if query.min_score.is_some_and(|m| pct.is_none_or(|p| p < m))
            || query.max_score.is_some_and(|m| pct.is_none_or(|p| p > m))
        {
            continue;
        }
        kept.push((row, score));
    }
    Ok(kept)
}

/// The client's released reports, newest first, filtered by store, visit day and score.
pub fn list(
    conn: &mut DbConnection,
    keys: &Keys,
    user: &CurrentUser,
    query: &ReportQuery,
) -> AppResult<Paged<ReportSummary>> {
    let client = client_of(user)?;
    let page = PageRequest::parse(query.page, query.per_page)?;
    let kept = matching(conn, client, query)?;
    let total = kept.len() as i64;
    let items = kept
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(0))
        .take(usize::try_from(page.limit()).unwrap_or(0))
        .map(|(row, score)| summary(keys, client, row, score.earned, score.possible))
        .collect();
    Ok(Paged::new(items, page, total))
}

/// One answer as the client reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientAnswer {
    pub question: String,
    pub label: String,
    /// The answer: words, a number, the choices; a photo or recording question's files.
    #[schema(value_type = Object)]
    pub answer: serde_json::Value,
    /// Points earned and possible, when the question counts in the score.
    pub earned: Option<i64>,
    pub possible: Option<i64>,
    /// A photo or recording question: where to fetch each file (photos as web copies).
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientSection {
    pub title: String,
    pub earned: i64,
    pub possible: i64,
    pub answers: Vec<ClientAnswer>,
}

/// A released report as its client reads it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientReport {
    #[serde(flatten)]
    pub summary: ReportSummary,
    pub title: String,
    pub sections: Vec<ClientSection>,
    /// 1 at release, one more for each correction QA made after it.
    pub version: i32,
    /// Each correction after release: why, and when.
    pub corrections: Vec<Correction>,
    /// The client's dispute of it, and QA's answer once given.
    pub dispute: Option<super::disputes::DisputeView>,
    /// Until when it may be disputed (UTC).
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub dispute_until: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Correction {
    pub reason: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub at: NaiveDateTime,
}

fn answer_json(answer: Option<&Answer>) -> serde_json::Value {
    answer
        .and_then(|a| serde_json::to_value(a).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// One released report of the client (404 for any other).
pub fn report(
    conn: &mut DbConnection,
    keys: &Keys,
    user: &CurrentUser,
    id: AssignmentId,
) -> AppResult<ClientReport> {
    let client = client_of(user)?;
    let row = released_of(conn, client, Some(id))?
        .into_iter()
        .next()
        .ok_or_else(not_found)?;
    client_report(conn, keys, client, &row)
}

/// A released report of `client`, whole.
fn client_report(
    conn: &mut DbConnection,
    keys: &Keys,
    client: ClientId,
    row: &Released,
) -> AppResult<ClientReport> {
    let id = row.assignment_id;
    let (q, answers) = scored(conn, row)?;
    let score = q.score(&answers);
    let points: BTreeMap<String, Option<(i64, i64)>> = q
        .question_scores(&answers)
        .into_iter()
        .map(|(question, counted)| (question.name.clone(), counted))
        .collect();
    let files = crate::media::store::of_assignment(conn, id)?;
    let sections = q
        .doc
        .sections
        .iter()
        .zip(score.sections.iter())
        .map(|(s, sc)| ClientSection {
            title: s.title.clone(),
            earned: sc.earned,
            possible: sc.possible,
            answers: s
                .questions
                .iter()
                .filter(|question| points.contains_key(&question.name))
                .map(|question| {
                    let counted = points.get(&question.name).copied().flatten();
                    let links = if question.kind.is_media() {
                        files
                            .iter()
                            .filter(|f| f.question.as_deref() == Some(question.name.as_str()))
                            .map(|f| {
                                let size = if f.web_key.is_some() {
                                    "web"
                                } else {
                                    "original"
                                };
                                format!("/api/v1/media/{}?size={size}", f.id)
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    ClientAnswer {
                        question: question.name.clone(),
                        label: question.label.clone(),
                        answer: if question.kind.is_media() {
                            serde_json::json!(links.len())
                        } else {
                            answer_json(answers.get(&question.name))
                        },
                        earned: counted.map(|c| c.0),
                        possible: counted.map(|c| c.1),
                        files: links,
                    }
                })
                .collect(),
        })
        .collect();
    let corrections: Vec<Correction> = crate::reports::review::events_of(conn, id, 200)?
        .into_iter()
        .filter(|e| e.action == "corrected")
        .map(|e| Correction {
            reason: e.reason.unwrap_or_default(),
            at: e.created_at,
        })
        .collect();
    Ok(ClientReport {
        summary: summary(keys, client, row, score.earned, score.possible),
        title: q.doc.title.clone(),
        sections,
        version: 1 + corrections.len() as i32,
        corrections,
        dispute: super::disputes::find(conn, id)?,
        dispute_until: super::disputes::open_until(conn, id)?,
    })
}

/// The client's scores per report and question, as CSV (the list's filters apply).
pub fn export_csv(
    conn: &mut DbConnection,
    keys: &Keys,
    user: &CurrentUser,
    query: &ReportQuery,
) -> AppResult<String> {
    let client = client_of(user)?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let header = [
        "report",
        "project",
        "store",
        "visited_on",
        "shopper",
        "section",
        "question",
        "answer",
        "earned",
        "possible",
    ];
    out.write_record(header)
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))?;
    for (row, _) in matching(conn, client, query)? {
        let full = client_report(conn, keys, client, &row)?;
        let item = &full.summary;
        for s in &full.sections {
            for a in &s.answers {
                let answer = match &a.answer {
                    serde_json::Value::String(t) => t.clone(),
                    serde_json::Value::Array(v) => v
                        .iter()
                        .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(" "),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                let cells = [
                    item.id.to_string(),
                    item.project.clone(),
                    item.store.code.clone(),
                    item.visited_on.map(|d| d.to_string()).unwrap_or_default(),
                    item.shopper.clone(),
                    s.title.clone(),
                    a.label.clone(),
                    answer,
                    a.earned.map(|e| e.to_string()).unwrap_or_default(),
                    a.possible.map(|p| p.to_string()).unwrap_or_default(),
                ];
                out.write_record(cells.iter().map(|c| crate::text::neutral_cell(c)))
                    .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))?;
            }
        }
    }
    let bytes = out
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| AppError::internal(anyhow::anyhow!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_a_spreadsheet_would_run_is_neutralised() {
        assert_eq!(
            crate::text::neutral_cell("=HYPERLINK(\"x\")"),
            "'=HYPERLINK(\"x\")"
        );
        assert_eq!(crate::text::neutral_cell("+1"), "'+1");
        assert_eq!(crate::text::neutral_cell("-2"), "'-2");
        assert_eq!(crate::text::neutral_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(crate::text::neutral_cell("Fries"), "Fries");
        assert_eq!(crate::text::neutral_cell(""), "");
    }

    #[test]
    fn scores_read_as_percent_with_one_decimal() {
        assert_eq!(percent(10, 14), Some(71.4));
        assert_eq!(percent(0, 0), None);
        assert_eq!(percent(7, 7), Some(100.0));
    }
}
