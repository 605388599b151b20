//! QA's queries: a report's claim, QA's moves of its review, QA's edits, the queue. Every move is
//! conditional on the state it expects (`from`), so two reviewers cannot both move one report.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{assignments, jobs, locations, projects, report_edits, reports};
use crate::ids::{AssignmentId, ClientId, ProjectId, UserId};
use crate::reports::review::Review;
use crate::reports::store::ReportStatus;

/// Claims the report for `user` until `until`, unless another reviewer holds a live claim;
/// false then.
pub fn claim(
    conn: &mut DbConnection,
    id: AssignmentId,
    user: UserId,
    until: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(
        reports::table.filter(reports::assignment_id.eq(id)).filter(
            reports::claimed_by
                .is_null()
                .or(reports::claimed_by.eq(user))
                .or(reports::claimed_until.le(now)),
        ),
    )
    .set((
        reports::claimed_by.eq(user),
        reports::claimed_until.eq(until),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Moves the review `from` → `to`, the claim let go; `decided_by` names who approved or
/// rejected; `released_at` is set on release. False when it was not `from` (any more).
pub fn decide(
    conn: &mut DbConnection,
    id: AssignmentId,
    from: Review,
    to: Review,
    decided_by: Option<UserId>,
    released_at: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let target = reports::table
        .filter(reports::assignment_id.eq(id))
        .filter(reports::review.eq(from));
    let n = match decided_by {
        Some(who) => diesel::update(target)
            .set((
                reports::review.eq(to),
                reports::decided_by.eq(who),
                reports::claimed_by.eq(None::<UserId>),
                reports::claimed_until.eq(None::<NaiveDateTime>),
                reports::released_at.eq(released_at),
            ))
            .execute(conn)?,
        None => diesel::update(target)
            .set((
                reports::review.eq(to),
                reports::claimed_by.eq(None::<UserId>),
                reports::claimed_until.eq(None::<NaiveDateTime>),
                reports::released_at.eq(released_at),
            ))
            .execute(conn)?,
    };
    Ok(n == 1)
}

/// Sends the report back to its shopper: a draft again, due by `due`, with QA's comments.
pub fn send_back(
    conn: &mut DbConnection,
    id: AssignmentId,
    from: Review,
    due: NaiveDateTime,
    comments: &str,
) -> QueryResult<bool> {
    diesel::update(
        reports::table
            .filter(reports::assignment_id.eq(id))
            .filter(reports::review.eq(from)),
    )
    .set((
        reports::review.eq(Review::Revision),
        reports::status.eq(ReportStatus::Draft),
        reports::revision_due.eq(due),
        reports::revision_comments.eq(comments),
        reports::claimed_by.eq(None::<UserId>),
        reports::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|n| n == 1)
}

/// Closes a report sent back and never handed in again (rejected): no longer a draft.
pub fn close_draft(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<()> {
    diesel::update(reports::table.filter(reports::assignment_id.eq(id)))
        .set(reports::status.eq(ReportStatus::Submitted))
        .execute(conn)
        .map(|_| ())
}

/// Replaces the answers QA edited (the report's review unchanged).
pub fn set_answers(conn: &mut DbConnection, id: AssignmentId, answers: &str) -> QueryResult<()> {
    diesel::update(reports::table.filter(reports::assignment_id.eq(id)))
        .set(reports::answers.eq(answers))
        .execute(conn)
        .map(|_| ())
}

pub struct NewEdit<'a> {
    pub question: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub reason: &'a str,
    pub editor: UserId,
}

pub fn add_edit(
    conn: &mut DbConnection,
    id: AssignmentId,
    edit: &NewEdit<'_>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(report_edits::table)
        .values((
            report_edits::assignment_id.eq(id),
            report_edits::question.eq(edit.question),
            report_edits::before.eq(edit.before),
            report_edits::after.eq(edit.after),
            report_edits::reason.eq(edit.reason),
            report_edits::editor_id.eq(edit.editor),
            report_edits::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// A report waiting in QA's queue, with what the queue shows of it.
#[derive(Debug, Clone, Queryable)]
pub struct QueueRow {
    pub assignment_id: AssignmentId,
    pub review: Option<Review>,
    pub queued_at: Option<NaiveDateTime>,
    pub claimed_by: Option<UserId>,
    pub claimed_until: Option<NaiveDateTime>,
    pub appeal: Option<String>,
    pub project_id: ProjectId,
    pub project_name: String,
    pub client_id: ClientId,
    pub review_limit_hours: i32,
    pub location_code: String,
}

/// The queue, oldest first: every waiting report of the client or project asked for (the
/// flag filter reads each one's evidence, so the whole queue is read; a page is cut after).
pub fn queue(
    conn: &mut DbConnection,
    client: Option<ClientId>,
    project: Option<ProjectId>,
) -> QueryResult<Vec<QueueRow>> {
    let mut query = reports::table
        .inner_join(
            assignments::table.inner_join(
                jobs::table
                    .inner_join(projects::table)
                    .inner_join(locations::table),
            ),
        )
        .filter(reports::review.eq_any(Review::WAITING))
        .into_boxed();
    if let Some(client) = client {
        query = query.filter(projects::client_id.eq(client));
    }
    if let Some(project) = project {
        query = query.filter(projects::id.eq(project));
    }
    query
        .order((reports::queued_at.asc(), reports::assignment_id.asc()))
        .select((
            reports::assignment_id,
            reports::review,
            reports::queued_at,
            reports::claimed_by,
            reports::claimed_until,
            reports::appeal,
            projects::id,
            projects::name,
            projects::client_id,
            projects::review_limit_hours,
            locations::code,
        ))
        .load(conn)
}

/// A queued report of a project that approves by itself: (report, state, queued at, the
/// project's hours, whether it releases at once).
type OverdueRow = (
    AssignmentId,
    Option<Review>,
    Option<NaiveDateTime>,
    i32,
    bool,
);

/// Reports waiting longer than their project's limit whose project approves them by itself:
/// (the report, its state, whether its project releases at once).
pub fn overdue_to_approve(
    conn: &mut DbConnection,
    now: NaiveDateTime,
) -> QueryResult<Vec<(AssignmentId, Review, bool)>> {
    let rows: Vec<OverdueRow> = reports::table
        .inner_join(assignments::table.inner_join(jobs::table.inner_join(projects::table)))
        .filter(reports::review.eq(Review::Queued))
        .filter(projects::auto_approve.eq(true))
        .select((
            reports::assignment_id,
            reports::review,
            reports::queued_at,
            projects::review_limit_hours,
            projects::release_on_approval,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, _, queued, hours, _)| {
            queued.is_some_and(|q| q + chrono::Duration::hours(i64::from(*hours)) <= now)
        })
        .filter_map(|(id, review, _, _, release)| review.map(|r| (id, r, release)))
        .collect())
}

/// The projects with reports waiting, by name (at most 100): the queue page's filter.
pub fn queue_projects(conn: &mut DbConnection) -> QueryResult<Vec<(ProjectId, String)>> {
    reports::table
        .inner_join(assignments::table.inner_join(jobs::table.inner_join(projects::table)))
        .filter(reports::review.eq_any(Review::WAITING))
        .select((projects::id, projects::name))
        .distinct()
        .order(projects::name.asc())
        .limit(100)
        .load(conn)
}

/// The clients with reports waiting, by name (at most 100): the queue page's filter.
pub fn queue_clients(conn: &mut DbConnection) -> QueryResult<Vec<(ClientId, String)>> {
    use crate::db::schema::{clients, organizations};
    let ids: Vec<ClientId> = reports::table
        .inner_join(assignments::table.inner_join(jobs::table.inner_join(projects::table)))
        .filter(reports::review.eq_any(Review::WAITING))
        .select(projects::client_id)
        .distinct()
        .limit(100)
        .load(conn)?;
    clients::table
        .inner_join(organizations::table)
        .filter(clients::id.eq_any(ids))
        .select((clients::id, organizations::name))
        .order(organizations::name.asc())
        .load(conn)
}

/// A rating that follows a review's outcome, naming the report it was for.
pub struct OutcomeRating<'a> {
    pub shopper: crate::ids::ShopperId,
    pub assignment: AssignmentId,
    pub score: i32,
    pub citation: Option<&'a str>,
    pub note: &'a str,
    pub by: UserId,
    pub on: chrono::NaiveDate,
}

pub fn rate(conn: &mut DbConnection, r: &OutcomeRating<'_>) -> QueryResult<()> {
    use crate::db::schema::ratings;
    diesel::insert_into(ratings::table)
        .values((
            ratings::shopper_id.eq(r.shopper),
            ratings::assignment_id.eq(r.assignment),
            ratings::score.eq(r.score),
            ratings::citation.eq(r.citation),
            ratings::note.eq(r.note),
            ratings::rated_by.eq(r.by),
            ratings::rated_on.eq(r.on),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Withdraws the report's ratings citing `citation` (a rejection overturned on appeal).
pub fn withdraw_ratings(
    conn: &mut DbConnection,
    assignment: AssignmentId,
    citation: &str,
) -> QueryResult<usize> {
    use crate::db::schema::ratings;
    diesel::delete(
        ratings::table
            .filter(ratings::assignment_id.eq(assignment))
            .filter(ratings::citation.eq(citation)),
    )
    .execute(conn)
}
