//! Questionnaire and report queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{questionnaires, reports};
use crate::ids::{AssignmentId, ProjectId, QuestionnaireId, UserId};
use crate::paging::{PageRequest, Paged};

crate::ids::stored_enum! {
    /// A questionnaire version: a draft staff may still replace, or published (never changed).
    pub enum QuestionnaireStatus as "questionnaire status" {
        Draft = "draft",
        Published = "published",
    }
}

crate::ids::stored_enum! {
    /// A report: a draft the shopper is filling, or handed in.
    pub enum ReportStatus as "report status" {
        Draft = "draft",
        Submitted = "submitted",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = questionnaires)]
pub struct QuestionnaireRow {
    pub id: QuestionnaireId,
    pub project_id: ProjectId,
    pub version: i32,
    pub status: QuestionnaireStatus,
    pub document: String,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub published_at: Option<NaiveDateTime>,
}

pub fn find_questionnaire(
    conn: &mut DbConnection,
    id: QuestionnaireId,
) -> QueryResult<Option<QuestionnaireRow>> {
    questionnaires::table
        .find(id)
        .select(QuestionnaireRow::as_select())
        .first(conn)
        .optional()
}

/// One page of a project's versions, newest first.
pub fn questionnaires_of(
    conn: &mut DbConnection,
    project_id: ProjectId,
    page: PageRequest,
) -> QueryResult<Paged<QuestionnaireRow>> {
    let total = questionnaires::table
        .filter(questionnaires::project_id.eq(project_id))
        .count()
        .get_result(conn)?;
    let items = questionnaires::table
        .filter(questionnaires::project_id.eq(project_id))
        .order(questionnaires::version.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(QuestionnaireRow::as_select())
        .load(conn)?;
    Ok(Paged::new(items, page, total))
}

/// The project's newest published version: what a new report is started on.
pub fn current_questionnaire(
    conn: &mut DbConnection,
    project_id: ProjectId,
) -> QueryResult<Option<QuestionnaireRow>> {
    questionnaires::table
        .filter(questionnaires::project_id.eq(project_id))
        .filter(questionnaires::status.eq(QuestionnaireStatus::Published))
        .order(questionnaires::version.desc())
        .select(QuestionnaireRow::as_select())
        .first(conn)
        .optional()
}

/// The project's highest version number (0 when it has none).
pub fn last_version(conn: &mut DbConnection, project_id: ProjectId) -> QueryResult<i32> {
    questionnaires::table
        .filter(questionnaires::project_id.eq(project_id))
        .select(diesel::dsl::max(questionnaires::version))
        .first::<Option<i32>>(conn)
        .map(Option::unwrap_or_default)
}

pub fn insert_questionnaire(
    conn: &mut DbConnection,
    project_id: ProjectId,
    version: i32,
    document: &str,
    created_by: UserId,
    now: NaiveDateTime,
) -> QueryResult<QuestionnaireId> {
    diesel::insert_into(questionnaires::table)
        .values((
            questionnaires::project_id.eq(project_id),
            questionnaires::version.eq(version),
            questionnaires::status.eq(QuestionnaireStatus::Draft),
            questionnaires::document.eq(document),
            questionnaires::created_by.eq(created_by),
            questionnaires::created_at.eq(now),
        ))
        .returning(questionnaires::id)
        .get_result(conn)
}

/// Replaces a draft's document; false when it is not a draft (any more).
pub fn update_draft(
    conn: &mut DbConnection,
    id: QuestionnaireId,
    document: &str,
) -> QueryResult<bool> {
    diesel::update(
        questionnaires::table
            .filter(questionnaires::id.eq(id))
            .filter(questionnaires::status.eq(QuestionnaireStatus::Draft)),
    )
    .set(questionnaires::document.eq(document))
    .execute(conn)
    .map(|n| n == 1)
}

/// Publishes a draft; false when it is not a draft (any more).
pub fn publish(
    conn: &mut DbConnection,
    id: QuestionnaireId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        questionnaires::table
            .filter(questionnaires::id.eq(id))
            .filter(questionnaires::status.eq(QuestionnaireStatus::Draft)),
    )
    .set((
        questionnaires::status.eq(QuestionnaireStatus::Published),
        questionnaires::published_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub assignment_id: AssignmentId,
    pub questionnaire_id: QuestionnaireId,
    pub answers: String,
    pub visit_started_at: Option<NaiveDateTime>,
    pub visit_ended_at: Option<NaiveDateTime>,
    pub receipt_cents: Option<i64>,
    pub status: ReportStatus,
    pub reopened_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub submitted_at: Option<NaiveDateTime>,
}

/// The files uploaded for the assignment: (the question each answers, its id), oldest first.
pub fn files_of(
    conn: &mut DbConnection,
    id: AssignmentId,
) -> QueryResult<Vec<(Option<String>, i64)>> {
    use crate::db::schema::media;
    media::table
        .filter(media::assignment_id.eq(id))
        .order(media::id.asc())
        .select((media::question, media::id))
        .load(conn)
}

pub fn find_report(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<Option<ReportRow>> {
    reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()
}

/// What a save writes.
pub struct ReportValues<'a> {
    pub answers: &'a str,
    pub visit_started_at: Option<NaiveDateTime>,
    pub visit_ended_at: Option<NaiveDateTime>,
    pub receipt_cents: Option<i64>,
}

pub fn insert_report(
    conn: &mut DbConnection,
    id: AssignmentId,
    questionnaire_id: QuestionnaireId,
    v: &ReportValues<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(reports::table)
        .values((
            reports::assignment_id.eq(id),
            reports::questionnaire_id.eq(questionnaire_id),
            reports::answers.eq(v.answers),
            reports::visit_started_at.eq(v.visit_started_at),
            reports::visit_ended_at.eq(v.visit_ended_at),
            reports::receipt_cents.eq(v.receipt_cents),
            reports::status.eq(ReportStatus::Draft),
            reports::created_at.eq(now),
            reports::updated_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Saves a draft; false when the report is no longer a draft.
pub fn update_report(
    conn: &mut DbConnection,
    id: AssignmentId,
    v: &ReportValues<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        reports::table
            .filter(reports::assignment_id.eq(id))
            .filter(reports::status.eq(ReportStatus::Draft)),
    )
    .set((
        reports::answers.eq(v.answers),
        reports::visit_started_at.eq(v.visit_started_at),
        reports::visit_ended_at.eq(v.visit_ended_at),
        reports::receipt_cents.eq(v.receipt_cents),
        reports::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Hands a draft in; false when it was not a draft.
pub fn submit(conn: &mut DbConnection, id: AssignmentId, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::update(
        reports::table
            .filter(reports::assignment_id.eq(id))
            .filter(reports::status.eq(ReportStatus::Draft)),
    )
    .set((
        reports::status.eq(ReportStatus::Submitted),
        reports::submitted_at.eq(now),
        reports::updated_at.eq(now),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Lets a late report be handed in until `until`.
pub fn reopen(
    conn: &mut DbConnection,
    id: AssignmentId,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(reports::table.filter(reports::assignment_id.eq(id)))
        .set(reports::reopened_until.eq(until))
        .execute(conn)
        .map(|n| n == 1)
}
