//! Media rows: which objects in storage belong to which assignment.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::media;
use crate::ids::AssignmentId;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct MediaRow {
    pub id: i64,
    pub assignment_id: AssignmentId,
    pub question: Option<String>,
    pub kind: String,
    pub content_hash: String,
    pub web_key: Option<String>,
    pub thumb_key: Option<String>,
    pub original_key: Option<String>,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub taken_at: Option<NaiveDateTime>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub created_at: NaiveDateTime,
    /// Hex.
    pub perceptual_hash: Option<String>,
}

impl MediaRow {
    /// Every object this row names.
    pub fn keys(&self) -> Vec<&str> {
        [&self.web_key, &self.thumb_key, &self.original_key]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect()
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<MediaRow>> {
    media::table
        .find(id)
        .select(MediaRow::as_select())
        .first(conn)
        .optional()
}

/// The file of this content already stored for the assignment, if any.
pub fn by_hash(
    conn: &mut DbConnection,
    assignment_id: AssignmentId,
    hash: &str,
) -> QueryResult<Option<MediaRow>> {
    media::table
        .filter(media::assignment_id.eq(assignment_id))
        .filter(media::content_hash.eq(hash))
        .select(MediaRow::as_select())
        .first(conn)
        .optional()
}

/// The files of an assignment, oldest first.
pub fn of_assignment(conn: &mut DbConnection, id: AssignmentId) -> QueryResult<Vec<MediaRow>> {
    media::table
        .filter(media::assignment_id.eq(id))
        .order(media::id.asc())
        .select(MediaRow::as_select())
        .load(conn)
}

/// Every photo of the other assignments: (assignment, content hash, perceptual hash), for
/// finding a receipt handed in twice.
pub fn photos_elsewhere(
    conn: &mut DbConnection,
    id: AssignmentId,
) -> QueryResult<Vec<(AssignmentId, String, Option<String>)>> {
    media::table
        .filter(media::assignment_id.ne(id))
        .filter(media::web_key.is_not_null())
        .select((
            media::assignment_id,
            media::content_hash,
            media::perceptual_hash,
        ))
        .load(conn)
}

/// What an upload stores.
pub struct NewMedia<'a> {
    pub assignment_id: AssignmentId,
    pub question: Option<&'a str>,
    pub kind: &'a str,
    pub content_hash: &'a str,
    pub web_key: Option<&'a str>,
    pub thumb_key: Option<&'a str>,
    pub original_key: Option<&'a str>,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub taken_at: Option<NaiveDateTime>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub perceptual_hash: Option<&'a str>,
}

pub fn insert(conn: &mut DbConnection, m: &NewMedia<'_>, now: NaiveDateTime) -> QueryResult<i64> {
    diesel::insert_into(media::table)
        .values((
            (
                media::assignment_id.eq(m.assignment_id),
                media::question.eq(m.question),
                media::kind.eq(m.kind),
                media::content_hash.eq(m.content_hash),
                media::web_key.eq(m.web_key),
                media::thumb_key.eq(m.thumb_key),
                media::original_key.eq(m.original_key),
                media::bytes.eq(m.bytes),
            ),
            (
                media::width.eq(m.width),
                media::height.eq(m.height),
                media::duration_ms.eq(m.duration_ms),
                media::taken_at.eq(m.taken_at),
                media::latitude.eq(m.latitude),
                media::longitude.eq(m.longitude),
                media::created_at.eq(now),
                media::perceptual_hash.eq(m.perceptual_hash),
            ),
        ))
        .returning(media::id)
        .get_result(conn)
}

pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    diesel::delete(media::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
}

/// Every key the rows name, for the sweep.
pub fn all_keys(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let rows: Vec<(Option<String>, Option<String>, Option<String>)> = media::table
        .select((media::web_key, media::thumb_key, media::original_key))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .flat_map(|(a, b, c)| [a, b, c])
        .flatten()
        .collect())
}
