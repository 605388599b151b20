//! Outbox queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::Outgoing;
use crate::db::DbConnection;
use crate::db::schema::mail_outbox;
use crate::keys::random_token;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = mail_outbox)]
pub struct OutboxMessage {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub message_id: String,
    pub attempts: i32,
}

#[derive(Insertable)]
#[diesel(table_name = mail_outbox)]
struct NewOutboxMessage<'a> {
    recipient: &'a str,
    subject: &'a str,
    body_text: &'a str,
    message_id: &'a str,
    created_at: NaiveDateTime,
    attempts: i32,
    next_attempt_at: NaiveDateTime,
    erase_when_sent: bool,
}

/// Queues a message; it leaves when the surrounding transaction commits and the sender runs.
pub fn enqueue(conn: &mut DbConnection, msg: &Outgoing, now: NaiveDateTime) -> QueryResult<i64> {
    insert(conn, msg, now, false)
}

/// Queues a message to a person whose data is being deleted: once sent (or failed for good)
/// the row goes, so that the outbox keeps neither their address nor the words.
pub fn enqueue_then_erase(
    conn: &mut DbConnection,
    msg: &Outgoing,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    insert(conn, msg, now, true)
}

fn insert(
    conn: &mut DbConnection,
    msg: &Outgoing,
    now: NaiveDateTime,
    erase_when_sent: bool,
) -> QueryResult<i64> {
    let message_id = random_token(18);
    diesel::insert_into(mail_outbox::table)
        .values(NewOutboxMessage {
            recipient: &msg.to,
            subject: &msg.subject,
            body_text: &msg.body,
            message_id: &message_id,
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            erase_when_sent,
        })
        .returning(mail_outbox::id)
        .get_result(conn)
}

/// Claims the most overdue message until `lease_until`, so that no other sender takes it
/// meanwhile. The lease value is the claim's token: only its holder can record the outcome.
pub fn claim_next(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<OutboxMessage>> {
    let due = || {
        mail_outbox::table
            .filter(mail_outbox::sent_at.is_null())
            .filter(mail_outbox::failed_at.is_null())
            .filter(mail_outbox::next_attempt_at.le(now))
            .filter(
                mail_outbox::claimed_until
                    .is_null()
                    .or(mail_outbox::claimed_until.lt(now)),
            )
    };
    // A few candidates, in case another sender claims the first between our read and write.
    let candidates: Vec<i64> = due()
        .order((mail_outbox::next_attempt_at, mail_outbox::id))
        .limit(4)
        .select(mail_outbox::id)
        .load(conn)?;
    for id in candidates {
        // The conditional update is the claim: of two senders, one sees 1 row changed.
        let won = diesel::update(due().filter(mail_outbox::id.eq(id)))
            .set(mail_outbox::claimed_until.eq(lease_until))
            .execute(conn)?;
        if won == 1 {
            return mail_outbox::table
                .find(id)
                .select(OutboxMessage::as_select())
                .first(conn)
                .optional();
        }
    }
    Ok(None)
}

/// The claim `lease` on message `id`: the row, if this sender still holds it.
fn held(
    id: i64,
    lease: NaiveDateTime,
) -> diesel::dsl::Filter<
    diesel::dsl::Find<mail_outbox::table, i64>,
    diesel::dsl::Eq<mail_outbox::claimed_until, NaiveDateTime>,
> {
    mail_outbox::table
        .find(id)
        .filter(mail_outbox::claimed_until.eq(lease))
}

/// Records delivery; false when the claim had been lost (another sender took over).
pub fn mark_sent(
    conn: &mut DbConnection,
    id: i64,
    lease: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::update(held(id, lease))
        .set((
            mail_outbox::sent_at.eq(now),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
        .map(|n| n == 1)
        .and_then(|held| erase_if_marked(conn, id).map(|_| held))
}

/// Removes a finished message marked `erase_when_sent`.
fn erase_if_marked(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(
        mail_outbox::table
            .filter(mail_outbox::id.eq(id))
            .filter(mail_outbox::erase_when_sent.eq(true))
            .filter(
                mail_outbox::sent_at
                    .is_not_null()
                    .or(mail_outbox::failed_at.is_not_null()),
            ),
    )
    .execute(conn)
}

pub fn mark_retry(
    conn: &mut DbConnection,
    id: i64,
    lease: NaiveDateTime,
    next_attempt_at: NaiveDateTime,
    error: &str,
) -> QueryResult<bool> {
    diesel::update(held(id, lease))
        .set((
            mail_outbox::next_attempt_at.eq(next_attempt_at),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .map(|n| n == 1)
        .and_then(|held| erase_if_marked(conn, id).map(|_| held))
}

pub fn mark_failed(
    conn: &mut DbConnection,
    id: i64,
    lease: NaiveDateTime,
    now: NaiveDateTime,
    error: &str,
) -> QueryResult<bool> {
    diesel::update(held(id, lease))
        .set((
            mail_outbox::failed_at.eq(now),
            mail_outbox::claimed_until.eq(None::<NaiveDateTime>),
            mail_outbox::attempts.eq(mail_outbox::attempts + 1),
            mail_outbox::last_error.eq(Some(error)),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Messages waiting to leave (not sent, not given up).
pub fn backlog(conn: &mut DbConnection) -> QueryResult<i64> {
    mail_outbox::table
        .filter(mail_outbox::sent_at.is_null())
        .filter(mail_outbox::failed_at.is_null())
        .count()
        .get_result(conn)
}

/// Deletes messages sent or given up before `cutoff`: their bodies hold single-use links and
/// their recipients are personal data (retention in the data inventory).
pub fn purge_finished_before(conn: &mut DbConnection, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        mail_outbox::table.filter(
            mail_outbox::sent_at
                .lt(cutoff)
                .or(mail_outbox::failed_at.lt(cutoff)),
        ),
    )
    .execute(conn)
}
