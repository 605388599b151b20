//! The data inventory: every column of the schema, classified once.
//!
//! A column holds personal information (a CCPA category A–K, with the purpose it serves and how
//! long it is kept) or it does not. A test compares this list with the live database on both
//! backends and fails on a column that is missing here, so no change adds personal data silently.
//! The privacy notice, exports and deletions read this list.

use serde::Serialize;

/// The CCPA categories of personal information (Cal. Civ. Code §1798.140(v)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Category {
    /// A: identifiers (name, email, account name, IP address).
    A,
    /// B: customer records (address, phone, bank account, SSN).
    B,
    /// C: protected classifications (age, sex, language).
    C,
    /// D: commercial information.
    D,
    /// E: biometric information.
    E,
    /// F: internet or network activity.
    F,
    /// G: geolocation.
    G,
    /// H: sensory data (audio, photos).
    H,
    /// I: professional or employment information.
    I,
    /// J: education information.
    J,
    /// K: inferences and profiles.
    K,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Classification {
    Personal {
        category: Category,
        purpose: &'static str,
        retention: &'static str,
    },
    /// Keys, timestamps, states: nothing about a person on its own.
    NotPersonal,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ColumnEntry {
    pub table: &'static str,
    pub column: &'static str,
    pub classification: Classification,
}

const fn personal(
    table: &'static str,
    column: &'static str,
    category: Category,
    purpose: &'static str,
    retention: &'static str,
) -> ColumnEntry {
    ColumnEntry {
        table,
        column,
        classification: Classification::Personal {
            category,
            purpose,
            retention,
        },
    }
}

const fn plain(table: &'static str, column: &'static str) -> ColumnEntry {
    ColumnEntry {
        table,
        column,
        classification: Classification::NotPersonal,
    }
}

const ACCOUNT_LIFETIME: &str = "while the account exists; deleted with it";

pub const INVENTORY: &[ColumnEntry] = &[
    // users
    plain("users", "id"),
    personal(
        "users",
        "email",
        Category::A,
        "sign-in, and mail the person asked for or must receive (verification, reset, offers)",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "users",
        "password_hash",
        Category::A,
        "check the password at sign-in (an argon2id hash: account credentials; the password itself is never stored)",
        ACCOUNT_LIFETIME,
    ),
    plain("users", "role"),
    personal(
        "users",
        "email_verified_at",
        Category::F,
        "know that the address was confirmed by its owner",
        ACCOUNT_LIFETIME,
    ),
    plain("users", "disabled_at"),
    personal(
        "users",
        "password_changed_at",
        Category::F,
        "close sessions opened before a password change",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "users",
        "created_at",
        Category::F,
        "account history shown to the person",
        ACCOUNT_LIFETIME,
    ),
    // sessions
    plain("sessions", "id"),
    plain("sessions", "user_id"),
    personal(
        "sessions",
        "created_at",
        Category::F,
        "show the person their open sessions; security",
        "until 30 days after the session ends",
    ),
    plain("sessions", "expires_at"),
    personal(
        "sessions",
        "last_refreshed_at",
        Category::F,
        "expire idle sessions; security",
        "until 30 days after the session ends",
    ),
    plain("sessions", "revoked_at"),
    plain("sessions", "revoked_reason"),
    // refresh_tokens
    plain("refresh_tokens", "id"),
    plain("refresh_tokens", "session_id"),
    personal(
        "refresh_tokens",
        "token_hash",
        Category::A,
        "recognise a refresh token (its SHA-256; the token itself is never stored)",
        "until 30 days after the session ends",
    ),
    plain("refresh_tokens", "created_at"),
    plain("refresh_tokens", "used_at"),
    // one_time_tokens
    plain("one_time_tokens", "jti"),
    plain("one_time_tokens", "user_id"),
    plain("one_time_tokens", "purpose"),
    plain("one_time_tokens", "created_at"),
    plain("one_time_tokens", "expires_at"),
    plain("one_time_tokens", "used_at"),
    // login_failures
    plain("login_failures", "id"),
    personal(
        "login_failures",
        "subject",
        Category::F,
        "slow down password guessing per account and per client address (a keyed hash of the email or the network address; neither is stored whole)",
        "deleted within 5 minutes after the throttling window (15 minutes by default) has passed",
    ),
    plain("login_failures", "failed_at"),
    // mail_outbox
    plain("mail_outbox", "id"),
    personal(
        "mail_outbox",
        "recipient",
        Category::A,
        "deliver the message",
        "deleted 30 days after the message was sent or given up",
    ),
    plain("mail_outbox", "subject"),
    personal(
        "mail_outbox",
        "body_text",
        Category::A,
        "deliver the message (may hold a single-use link)",
        "deleted 30 days after the message was sent or given up",
    ),
    plain("mail_outbox", "message_id"),
    plain("mail_outbox", "created_at"),
    plain("mail_outbox", "attempts"),
    plain("mail_outbox", "next_attempt_at"),
    plain("mail_outbox", "claimed_until"),
    plain("mail_outbox", "sent_at"),
    plain("mail_outbox", "failed_at"),
    personal(
        "mail_outbox",
        "last_error",
        Category::A,
        "find out why a message was not delivered (a server's answer may repeat the address)",
        "deleted 30 days after the message was sent or given up",
    ),
];

pub fn lookup(table: &str, column: &str) -> Option<&'static ColumnEntry> {
    INVENTORY
        .iter()
        .find(|e| e.table == table && e.column == column)
}

/// Columns the database has that the inventory does not classify, and entries for columns
/// the database does not have. Both lists must be empty.
pub fn compare(columns: &[(String, String)]) -> (Vec<String>, Vec<String>) {
    let unclassified = columns
        .iter()
        .filter(|(t, c)| lookup(t, c).is_none())
        .map(|(t, c)| format!("{t}.{c}"))
        .collect();
    let stale = INVENTORY
        .iter()
        .filter(|e| !columns.iter().any(|(t, c)| t == e.table && c == e.column))
        .map(|e| format!("{}.{}", e.table, e.column))
        .collect();
    (unclassified, stale)
}
