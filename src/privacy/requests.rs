//! Privacy requests (CCPA/CPRA, with GDPR's equivalents): to know the categories held, to
//! access the specific pieces (the portable export), to delete, to correct, to limit the use of
//! sensitive personal information, and to opt out of sharing.
//!
//! A request comes from a signed-in person (verified by the account) or through the public
//! form, for people without an account or who cannot sign in: there a code of 6 digits goes to
//! the email on file, valid 10 minutes and for 3 tries, compared in constant time, and the
//! details typed are matched against the record (2 matching data points for categories, 3 and
//! a signed declaration for specific pieces). An opt-out or a limit needs no verification and
//! is carried out at once.
//!
//! Clocks: every request is acknowledged when received (a mail) and is due 45 days later,
//! whatever the state of its verification; the privacy officer may extend it once, to 90 days,
//! with a reason the requester is mailed, before day 45. At most two know or access requests per
//! person in 12 months: a third is recorded and denied (`too_many_requests`). The record of
//! every request is kept 24 months, also after the person is deleted (no foreign key to the
//! account), and used for nothing else.
//!
//! Statuses are the Data Rights Protocol's: `open`, `in_progress`, `fulfilled`, `denied`,
//! `revoked`, `expired`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::consent::{self, Purpose, Source};
use crate::db::schema::{
    privacy_request_agents, privacy_request_events, privacy_requests, shoppers, users,
};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::UserId;
use crate::keys::Keys;
use crate::mail::Outgoing;
use crate::mail::store as outbox;
use crate::paging::{PageRequest, Paged};

/// The answer to a limit, carried out at once.
pub const LIMITED: &str = "Done: your date of birth and the languages you speak are no longer used to match you to jobs. Jobs that ask for an age or a language cannot be offered to you now, and your job board says which; everything else, your pay included, stays the same.";

/// Days the record of a request is kept after it is received (24 months).
pub const RECORD_DAYS: i64 = 730;
/// Days from receipt to the answer.
pub const DUE_DAYS: i64 = 45;
/// Days from receipt to the answer, once extended.
pub const EXTENDED_DAYS: i64 = 90;
/// Days before the due date from which a request counts as nearly due.
pub const NEARLY_DUE_DAYS: i64 = 7;
/// Know and access requests a person may make in 12 months.
pub const KNOW_PER_YEAR: i64 = 2;
/// How long a mailed code works, and how many tries it gets.
pub const CODE_MINUTES: i64 = 10;
pub const CODE_TRIES: i32 = 3;

/// What a person asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The categories of data held, their sources, purposes and recipients.
    Know,
    /// The specific pieces of data (the portable export).
    Access,
    /// Delete the person's data.
    Delete,
    /// Correct an inaccurate piece of data.
    Correct,
    /// Limit the use of sensitive personal information.
    Limit,
    /// Opt out of sharing with other companies.
    OptOut,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Know,
        Kind::Access,
        Kind::Delete,
        Kind::Correct,
        Kind::Limit,
        Kind::OptOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Know => "know",
            Kind::Access => "access",
            Kind::Delete => "delete",
            Kind::Correct => "correct",
            Kind::Limit => "limit",
            Kind::OptOut => "opt_out",
        }
    }

    pub fn parse(value: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == value)
    }

    /// The request in a person's words ("a request to …").
    pub fn words(self) -> &'static str {
        match self {
            Kind::Know => "know what kinds of data we hold about you",
            Kind::Access => "get a copy of your data",
            Kind::Delete => "delete your data",
            Kind::Correct => "correct your data",
            Kind::Limit => "limit the use of your sensitive data",
            Kind::OptOut => "opt out of sharing with other companies",
        }
    }

    /// Whether it needs the person verified before it is carried out.
    pub fn needs_verification(self) -> bool {
        !matches!(self, Kind::Limit | Kind::OptOut)
    }

    /// Matching data points the public form needs for it (the email is one).
    pub fn points_needed(self) -> i32 {
        match self {
            Kind::Access => 3,
            _ => 2,
        }
    }

    /// Counted in the limit of two a year.
    pub fn counted(self) -> bool {
        matches!(self, Kind::Know | Kind::Access)
    }
}

/// Where a request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// A signed-in person: verified by the account.
    Account,
    /// The public form.
    Form,
    /// An authorised agent speaking the Data Rights Protocol (see [`super::drp`]).
    Drp,
    /// An authorised agent through the public form, with the person's signed authorisation.
    Agent,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Account => "account",
            Channel::Form => "form",
            Channel::Drp => "drp",
            Channel::Agent => "agent",
        }
    }
}

/// Who asks: a signed-in person, someone through the public form, or an authorised agent.
#[derive(Debug, Clone)]
pub enum Requester {
    Account { user_id: UserId, email: String },
    Public,
    Agent(AgentOrigin),
}

/// A request an authorised agent made for a person: through the Data Rights Protocol (its
/// signed message was checked, see [`super::drp`]), or through the public form with the
/// person's signed authorisation. Either way the person confirms it directly, by a link mailed
/// to the address on file.
#[derive(Debug, Clone, Default)]
pub struct AgentOrigin {
    /// The agent's id in the protocol's directory (protocol requests only).
    pub agent_id: Option<String>,
    pub agent_name: String,
    /// Where the agent is told of the request (form requests only).
    pub agent_email: Option<String>,
    /// The stored signed authorisation (form requests only).
    pub authorisation_key: Option<String>,
    /// The request's id in the protocol (protocol requests only).
    pub drp_id: Option<String>,
    pub agent_request_id: Option<String>,
    pub status_callback: Option<String>,
    /// The hash of the signed message: a message is used once (protocol requests only).
    pub message_hash: Option<String>,
    /// Where the person's confirmation link points.
    pub public_url: String,
}

impl AgentOrigin {
    fn channel(&self) -> Channel {
        if self.drp_id.is_some() {
            Channel::Drp
        } else {
            Channel::Agent
        }
    }
}

/// Days the person has to confirm a request an agent made for them.
pub const AGENT_CONFIRM_DAYS: i64 = 7;

/// The fields a request to correct may change, with their words.
pub const CORRECTABLE: [(&str, &str); 6] = [
    ("legal_name", "your legal name"),
    ("street", "your street address"),
    ("city", "your city"),
    ("state", "your state"),
    ("zip", "your ZIP code"),
    ("phone", "your phone number"),
];

/// The words of a correctable field ("your street address").
pub fn field_words(field: &str) -> &'static str {
    CORRECTABLE
        .iter()
        .find(|(f, _)| *f == field)
        .map_or("a detail", |(_, w)| w)
}

/// One change a request to correct asks for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldCorrection {
    /// `legal_name`, `street`, `city`, `state`, `zip` or `phone`.
    pub field: String,
    /// What it should say.
    pub value: String,
}

/// A new request. Through the public form `email` is required, and `name`, `zip`, `phone`
/// and `street` are the data points matched against the record.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// `know`, `access`, `delete`, `correct`, `limit` or `opt_out`.
    pub kind: String,
    /// The email address on file (public form only).
    #[serde(default)]
    pub email: Option<String>,
    /// Your full name as on file (public form: a data point matched).
    #[serde(default)]
    pub name: Option<String>,
    /// Your ZIP code (public form: a data point matched).
    #[serde(default)]
    pub zip: Option<String>,
    /// Your phone number (public form: a data point matched).
    #[serde(default)]
    pub phone: Option<String>,
    /// Your street address (public form: a data point matched).
    #[serde(default)]
    pub street: Option<String>,
    /// "I declare under penalty of perjury that I am the person whose data I ask for" (needed
    /// for a copy of the data through the public form).
    #[serde(default)]
    pub declaration: Option<bool>,
    /// For a correction: what is wrong and what it should say. Anything else you want us to know.
    #[serde(default)]
    pub details: Option<String>,
    /// For a correction: each field and what it should say; carried out when the request is
    /// completed, and kept (a later import does not bring the old value back).
    #[serde(default)]
    pub corrections: Option<Vec<FieldCorrection>>,
    /// An agent acting for the person (the agent's form, with the signed authorisation): the
    /// agent's name.
    #[serde(default)]
    pub agent_name: Option<String>,
    /// The agent's email: where they are told the request was received.
    #[serde(default)]
    pub agent_email: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = privacy_requests)]
pub struct RequestRow {
    pub id: i64,
    pub kind: String,
    pub channel: String,
    pub subject_id: Option<i64>,
    pub requester_email: String,
    pub requester_name: Option<String>,
    pub details: String,
    pub status: String,
    pub verification: String,
    pub matched_points: i32,
    pub declaration: bool,
    pub code_hash: Option<String>,
    pub code_expires_at: Option<NaiveDateTime>,
    pub code_tries: i32,
    pub received_at: NaiveDateTime,
    pub acknowledged_at: Option<NaiveDateTime>,
    pub due_at: NaiveDateTime,
    pub extended_at: Option<NaiveDateTime>,
    pub extension_reason: Option<String>,
    pub closed_at: Option<NaiveDateTime>,
    pub outcome: Option<String>,
    pub denial_reason: Option<String>,
    pub handled_by: Option<i64>,
    pub corrections: Option<String>,
}

/// A request as its requester sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestView {
    pub id: i64,
    /// `know`, `access`, `delete`, `correct`, `limit` or `opt_out`.
    pub kind: String,
    /// The request in words.
    pub what: String,
    /// `account` or `form`.
    pub channel: String,
    /// `open`, `in_progress`, `fulfilled`, `denied`, `revoked` or `expired`.
    pub status: String,
    /// `account`, `not_needed`, `pending` (a code was mailed), `verified`, `partial` (too few
    /// data points matched: categories only) or `failed`.
    pub verification: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub received_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub due_at: NaiveDateTime,
    /// Whole days to the due date (negative once overdue); none once closed.
    pub days_left: Option<i64>,
    /// Why the answer takes longer, when extended.
    pub extension_reason: Option<String>,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub closed_at: Option<NaiveDateTime>,
    /// What was done, in words.
    pub outcome: Option<String>,
    /// Why it was denied: `too_many_requests`, `unverifiable`, `no_data`, `not_authorised`,
    /// `exempt` or `other`.
    pub denial_reason: Option<String>,
    pub details: String,
    /// For a correction: what each field should say.
    pub corrections: Vec<FieldCorrection>,
}

/// A request as the privacy officer sees it: the requester and the history too.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfficerView {
    #[serde(flatten)]
    pub request: RequestView,
    pub requester_email: String,
    pub requester_name: Option<String>,
    /// The account it is about, when one matched.
    pub subject_id: Option<i64>,
    /// Matching data points (the email is one), public form only.
    pub matched_points: i32,
    pub declaration: bool,
    /// `overdue`, `nearly_due` or `on_time`; none once closed.
    pub urgency: Option<String>,
    /// The authorised agent who made it for the person, if one did.
    pub agent: Option<RequestAgent>,
    pub history: Vec<RequestEvent>,
}

/// Who made a request on a person's behalf.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestAgent {
    pub name: String,
    /// The agent's email (an agent through the form).
    pub email: Option<String>,
    /// The agent's id in the Data Rights Protocol's directory (an agent through the protocol).
    pub drp_agent_id: Option<String>,
    /// Whether the person's signed authorisation is kept (`GET /privacy-requests/{id}/authorisation`).
    pub has_authorisation: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RequestEvent {
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub at: NaiveDateTime,
    pub what: String,
}

/// Why a request was denied (the Data Rights Protocol's reasons, where it has one).
pub const DENIAL_REASONS: [(&str, &str); 6] = [
    (
        "too_many_requests",
        "You made two requests of this kind in the last 12 months, the most the law asks of us.",
    ),
    (
        "unverifiable",
        "We could not confirm that you are the person the data is about.",
    ),
    ("no_data", "We hold no data about you."),
    (
        "not_authorised",
        "The person the data is about told us they did not ask for this request.",
    ),
    (
        "exempt",
        "The law allows or requires us to keep this data; the answer says which and why.",
    ),
    ("other", "See the explanation."),
];

fn reason_words(code: &str) -> &'static str {
    DENIAL_REASONS
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("See the explanation.", |(_, w)| w)
}

impl RequestRow {
    /// What a request to correct asks for (none for other kinds).
    pub fn corrections(&self) -> Vec<FieldCorrection> {
        self.corrections
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default()
    }

    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Know)
    }

    fn is_closed(&self) -> bool {
        self.closed_at.is_some()
    }

    pub fn view(&self, now: NaiveDateTime) -> RequestView {
        RequestView {
            id: self.id,
            kind: self.kind.clone(),
            what: format!("A request to {}", self.kind().words()),
            channel: self.channel.clone(),
            status: self.status.clone(),
            verification: self.verification.clone(),
            received_at: self.received_at,
            due_at: self.due_at,
            days_left: (!self.is_closed()).then(|| days_between(now, self.due_at)),
            extension_reason: self.extension_reason.clone(),
            closed_at: self.closed_at,
            outcome: self.outcome.clone(),
            denial_reason: self.denial_reason.clone(),
            details: self.details.clone(),
            corrections: self.corrections(),
        }
    }

    fn urgency(&self, now: NaiveDateTime) -> Option<&'static str> {
        if self.is_closed() {
            return None;
        }
        Some(if self.due_at <= now {
            "overdue"
        } else if self.due_at - now <= Duration::days(NEARLY_DUE_DAYS) {
            "nearly_due"
        } else {
            "on_time"
        })
    }
}

/// Whole days from `now` to `due` (rounded toward the due date; negative once past).
fn days_between(now: NaiveDateTime, due: NaiveDateTime) -> i64 {
    let seconds = (due - now).num_seconds();
    if seconds >= 0 {
        (seconds + 86_399) / 86_400
    } else {
        -((-seconds) / 86_400)
    }
}

fn not_found() -> AppError {
    AppError::not_found("No privacy request has this id.")
}

fn event(
    conn: &mut DbConnection,
    request_id: i64,
    actor: Option<UserId>,
    what: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(privacy_request_events::table)
        .values((
            privacy_request_events::request_id.eq(request_id),
            privacy_request_events::at.eq(now),
            privacy_request_events::actor_id.eq(actor.map(|u| u.0)),
            privacy_request_events::what.eq(what),
        ))
        .execute(conn)?;
    // An agent that gave a status callback is told of every change.
    diesel::update(
        privacy_request_agents::table
            .find(request_id)
            .filter(privacy_request_agents::status_callback.is_not_null()),
    )
    .set((
        privacy_request_agents::callback_due_at.eq(now),
        privacy_request_agents::callback_attempts.eq(0),
    ))
    .execute(conn)
    .map(|_| ())
}

fn load(conn: &mut DbConnection, id: i64) -> AppResult<RequestRow> {
    privacy_requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(not_found)
}

/// Digits only, for comparing phone numbers and ZIP codes as typed.
fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Letters and digits only, lower case, for comparing names and streets as typed.
fn plain_text(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The data points of the public form that match the record (the email, found, is one).
fn matched_points(
    conn: &mut DbConnection,
    user_id: UserId,
    request: &NewRequest,
) -> QueryResult<i32> {
    let record: Option<(String, String, String, Option<String>)> = shoppers::table
        .find(user_id)
        .select((
            shoppers::legal_name,
            shoppers::street,
            shoppers::zip,
            shoppers::phone,
        ))
        .first(conn)
        .optional()?;
    let mut points = 1;
    let Some((name, street, zip, phone)) = record else {
        return Ok(points);
    };
    let same = |typed: &Option<String>, on_file: &str, norm: fn(&str) -> String| {
        typed
            .as_deref()
            .map(norm)
            .is_some_and(|t| !t.is_empty() && t == norm(on_file))
    };
    for matched in [
        same(&request.name, &name, plain_text),
        same(&request.street, &street, plain_text),
        same(&request.zip, &zip, |z| digits(z).chars().take(5).collect()),
        same(&request.phone, phone.as_deref().unwrap_or(""), |p| {
            let d = digits(p);
            d[d.len().saturating_sub(10)..].to_string()
        }),
    ] {
        points += i32::from(matched);
    }
    Ok(points)
}

/// Checks one correction: a field we hold and a value it may take. Answers the value as it
/// will be stored.
pub fn check_correction(c: &FieldCorrection) -> Result<String, String> {
    let value = c.value.trim();
    let words = field_words(&c.field);
    if !CORRECTABLE.iter().any(|(f, _)| *f == c.field) {
        return Err(
            "Choose a field to correct: legal_name, street, city, state, zip or phone.".into(),
        );
    }
    if value.is_empty() || value.chars().count() > 200 {
        return Err(format!(
            "Type what {words} should say (up to 200 characters)."
        ));
    }
    match c.field.as_str() {
        "state" if value.len() != 2 || !value.chars().all(|ch| ch.is_ascii_alphabetic()) => {
            Err("Type the state's two-letter code, like NY.".into())
        }
        "state" => Ok(value.to_ascii_uppercase()),
        "zip" => crate::geocode::Zip::parse(value)
            .map(|z| z.five().to_string())
            .map_err(|_| "Type a 5-digit ZIP code, like 10001.".into()),
        "phone" => {
            let d = digits(value);
            if (7..=15).contains(&d.len()) {
                Ok(value.to_string())
            } else {
                Err("Type a phone number with 7 to 15 digits.".into())
            }
        }
        _ => Ok(value.to_string()),
    }
}

/// Most bytes a signed authorisation may have.
pub const AUTHORISATION_MAX_BYTES: usize = 5 * 1024 * 1024;

/// The kind of a signed authorisation, by its first bytes: (extension, content type) of a PDF,
/// a JPEG or a PNG; None for anything else.
pub fn authorisation_kind(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    if bytes.starts_with(b"%PDF-") {
        Some(("pdf", "application/pdf"))
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(("jpg", "image/jpeg"))
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G']) {
        Some(("png", "image/png"))
    } else {
        None
    }
}

/// The content type of a stored authorisation, by its key's extension.
pub fn authorisation_type(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        _ => "image/jpeg",
    }
}

/// Checks a new request as [`submit`] will, so that a caller may refuse a malformed one before
/// counting it against a network's hourly limit.
pub fn validate(request: &NewRequest, public: bool) -> AppResult<()> {
    checked(request, public).map(|_| ())
}

fn checked(request: &NewRequest, public: bool) -> Result<(Kind, Option<String>), AppError> {
    let mut errors = Vec::new();
    let kind = Kind::parse(request.kind.trim());
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "Choose what you ask for: know, access, delete, correct, limit or opt_out.",
        ));
    }
    let email = request
        .email
        .as_deref()
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty());
    if public {
        match &email {
            None => errors.push(FieldError::new(
                "email",
                "Type the email address you use with us: we send the code and the answer there.",
            )),
            Some(e) if e.len() > 254 || !e.contains('@') || e.contains(char::is_whitespace) => {
                errors.push(FieldError::new(
                    "email",
                    "Type an email address like name@example.com.",
                ));
            }
            Some(_) => {}
        }
    }
    for (field, value, max) in [
        ("name", &request.name, 200),
        ("zip", &request.zip, 20),
        ("phone", &request.phone, 40),
        ("street", &request.street, 200),
        ("details", &request.details, 2000),
    ] {
        if value.as_deref().is_some_and(|v| v.chars().count() > max) {
            errors.push(FieldError::new(
                field,
                format!("Keep this to {max} characters or fewer."),
            ));
        }
    }
    if request.agent_name.is_some() || request.agent_email.is_some() {
        if !public {
            errors.push(FieldError::new(
                "agent_name",
                "You are signed in: a request made here is about your own account. Sign out to make one for someone else.",
            ));
        }
        let name = request.agent_name.as_deref().map(str::trim).unwrap_or("");
        if !(2..=200).contains(&name.chars().count()) {
            errors.push(FieldError::new(
                "agent_name",
                "Type your name or your company's, as the authorisation names you.",
            ));
        }
        let email = request.agent_email.as_deref().map(str::trim).unwrap_or("");
        if email.len() > 254 || !email.contains('@') || email.contains(char::is_whitespace) {
            errors.push(FieldError::new(
                "agent_email",
                "Type your email address, like agent@example.com: we tell you there that the request was received.",
            ));
        }
    }
    let corrections = request.corrections.as_deref().unwrap_or_default();
    if kind == Some(Kind::Correct)
        && corrections.is_empty()
        && request
            .details
            .as_deref()
            .is_none_or(|d| d.trim().chars().count() < 3)
    {
        errors.push(FieldError::new(
            "corrections",
            "Choose what is wrong and type what it should say, so we can correct it.",
        ));
    }
    if kind.is_some_and(|k| k != Kind::Correct) && !corrections.is_empty() {
        errors.push(FieldError::new(
            "corrections",
            "Corrections go with a request to correct (kind correct).",
        ));
    }
    if corrections.len() > CORRECTABLE.len() {
        errors.push(FieldError::new(
            "corrections",
            "Name each field at most once.",
        ));
    }
    for (i, c) in corrections.iter().enumerate() {
        if let Err(message) = check_correction(c) {
            errors.push(FieldError::new(format!("corrections[{i}]"), message));
        } else if corrections[..i].iter().any(|d| d.field == c.field) {
            errors.push(FieldError::new(
                format!("corrections[{i}]"),
                format!(
                    "{} is named twice: name each field once.",
                    crate::text::capitalise(field_words(&c.field))
                ),
            ));
        }
    }
    match kind {
        Some(kind) if errors.is_empty() => Ok((kind, email)),
        _ => Err(AppError::validation(errors)),
    }
}

/// What the requester is told when the request is made.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Submitted {
    pub id: i64,
    /// `open`, `in_progress`, `fulfilled` or `denied`.
    pub status: String,
    /// `account`, `not_needed` or `pending` (a code was mailed).
    pub verification: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub due_at: NaiveDateTime,
    /// What happens next, in words.
    pub message: String,
    /// Whether an agent's signed authorisation was kept (only for a person on file).
    #[serde(skip)]
    pub kept_authorisation: bool,
}

/// Records a request, acknowledges it by mail, mails a code when the public form needs one,
/// and carries out an opt-out or a limit at once.
pub fn submit(
    conn: &mut DbConnection,
    keys: &Keys,
    requester: &Requester,
    request: &NewRequest,
    now: NaiveDateTime,
) -> AppResult<Submitted> {
    let public = !matches!(requester, Requester::Account { .. });
    let (kind, typed_email) = checked(request, public)?;
    let agent = match requester {
        Requester::Agent(origin) => Some(origin),
        _ => None,
    };
    write_transaction(conn, |conn| {
        let (channel, subject, email) = match requester {
            Requester::Account { user_id, email } => {
                (Channel::Account, Some(*user_id), email.clone())
            }
            Requester::Public | Requester::Agent(_) => {
                let email = typed_email.clone().unwrap_or_default();
                let found: Option<UserId> = users::table
                    .filter(users::email.eq(&email))
                    .filter(users::erased_at.is_null())
                    .select(users::id)
                    .first(conn)
                    .optional()?;
                let channel = agent.map_or(Channel::Form, AgentOrigin::channel);
                (channel, found, email)
            }
        };
        let points = match (channel, subject) {
            (Channel::Form | Channel::Drp | Channel::Agent, Some(user)) => {
                matched_points(conn, user, request)?
            }
            _ => 0,
        };
        // An agent through the form acts only once the person confirms, whatever the kind: its
        // answer must not tell whether the person is on file.
        let needs_verification = kind.needs_verification() || channel == Channel::Agent;
        let verification = match (channel, needs_verification) {
            (_, false) => "not_needed",
            (Channel::Account, true) => "account",
            (Channel::Form | Channel::Drp | Channel::Agent, true) => "pending",
        };
        // The limit of two a year, counted per account, or per address without one.
        let too_many =
            kind.counted() && earlier_this_year(conn, subject, &email, now)? >= KNOW_PER_YEAR;
        let due = now + Duration::days(DUE_DAYS);
        let id: i64 = diesel::insert_into(privacy_requests::table)
            .values((
                privacy_requests::kind.eq(kind.as_str()),
                privacy_requests::channel.eq(channel.as_str()),
                privacy_requests::subject_id.eq(subject.map(|u| u.0)),
                privacy_requests::requester_email.eq(&email),
                privacy_requests::requester_name.eq(request
                    .name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())),
                privacy_requests::details.eq(request.details.as_deref().unwrap_or("").trim()),
                privacy_requests::corrections.eq(request
                    .corrections
                    .as_ref()
                    .filter(|c| !c.is_empty())
                    .and_then(|c| {
                        let stored: Vec<FieldCorrection> = c
                            .iter()
                            .map(|c| FieldCorrection {
                                field: c.field.clone(),
                                value: check_correction(c).unwrap_or_default(),
                            })
                            .collect();
                        serde_json::to_string(&stored).ok()
                    })),
                privacy_requests::status.eq("open"),
                privacy_requests::verification.eq(verification),
                privacy_requests::matched_points.eq(points),
                // The agent signed that it verified the person and acts for them: that stands
                // for the declaration.
                privacy_requests::declaration
                    .eq(agent.is_some() || request.declaration.unwrap_or(false)),
                privacy_requests::received_at.eq(now),
                privacy_requests::acknowledged_at.eq(now),
                privacy_requests::due_at.eq(due),
            ))
            .returning(privacy_requests::id)
            .get_result(conn)?;
        if let Some(a) = agent {
            diesel::insert_into(privacy_request_agents::table)
                .values((
                    privacy_request_agents::request_id.eq(id),
                    privacy_request_agents::agent_id.eq(&a.agent_id),
                    privacy_request_agents::agent_name.eq(&a.agent_name),
                    privacy_request_agents::agent_email.eq(&a.agent_email),
                    // The authorisation is kept only when it is about someone on file.
                    privacy_request_agents::authorisation_key
                        .eq(a.authorisation_key.as_ref().filter(|_| subject.is_some())),
                    privacy_request_agents::drp_id.eq(&a.drp_id),
                    privacy_request_agents::agent_request_id.eq(&a.agent_request_id),
                    privacy_request_agents::status_callback.eq(&a.status_callback),
                    privacy_request_agents::message_hash.eq(&a.message_hash),
                ))
                .execute(conn)?;
        }
        event(
            conn,
            id,
            subject.filter(|_| channel == Channel::Account),
            &match (channel, agent) {
                (Channel::Drp, Some(a)) => format!(
                    "Received from the authorised agent {} (Data Rights Protocol)",
                    a.agent_name
                ),
                (Channel::Agent, Some(a)) => format!(
                    "Received from the agent {} through the public form, with a signed authorisation",
                    a.agent_name
                ),
                (Channel::Account, _) => "Received (signed in) and acknowledged by mail".into(),
                _ => "Received (public form) and acknowledged by mail".into(),
            },
            now,
        )?;
        if channel == Channel::Drp && subject.is_none() {
            // An agent is told at once that nobody here has this address; nobody is mailed.
            close(
                conn,
                id,
                None,
                "denied",
                Some("No account has this email address."),
                Some("no_data"),
                now,
            )?;
            event(
                conn,
                id,
                None,
                "Denied: no account has this email address",
                now,
            )?;
            let row = load(conn, id)?;
            return Ok(Submitted {
                id,
                status: row.status,
                verification: row.verification,
                due_at: row.due_at,
                message: "No account has this email address.".into(),
                kept_authorisation: false,
            });
        }
        let mut message = format!(
            "We received your request to {} on {} and will answer by {} at the latest.",
            kind.words(),
            now.format("%b %-d, %Y"),
            due.format("%b %-d, %Y"),
        );
        let mut code_line = String::new();
        if let Some(a) = agent {
            message = format!(
                "{}, an authorised agent, asked us on your behalf to {}. We received it on {} and will answer by {} at the latest.",
                a.agent_name,
                kind.words(),
                now.format("%b %-d, %Y"),
                due.format("%b %-d, %Y"),
            );
        }
        if too_many {
            close(
                conn,
                id,
                None,
                "denied",
                None,
                Some("too_many_requests"),
                now,
            )?;
            event(
                conn,
                id,
                None,
                "Denied: a third request of this kind in 12 months",
                now,
            )?;
            message = format!(
                "We recorded your request, but cannot answer it: {}",
                reason_words("too_many_requests")
            );
        } else if !needs_verification {
            let outcome = carry_out_unverified(conn, id, kind, subject, now)?;
            message = format!("{outcome} {message}");
        } else if channel == Channel::Agent && subject.is_none() {
            // Nobody to ask: it waits, as one about someone on file would, and lapses alike.
            diesel::update(privacy_requests::table.find(id))
                .set(privacy_requests::code_expires_at.eq(now + Duration::days(AGENT_CONFIRM_DAYS)))
                .execute(conn)?;
        } else if let Some(a) = agent.filter(|_| subject.is_some()) {
            let token = new_confirmation(conn, keys, id, now)?;
            code_line = format!(
                "\n\nNothing is done until you confirm that you asked them to. Open this link within {AGENT_CONFIRM_DAYS} days to say yes or no:\n{}/privacy-requests/{id}/confirm?token={token}\n",
                a.public_url.trim_end_matches('/')
            );
            event(
                conn,
                id,
                None,
                "Confirmation link mailed to the person at the email on file",
                now,
            )?;
        } else if channel == Channel::Form {
            // A code goes to the address on file only; the answer is the same without one, so
            // that the form tells nobody whether an address has an account.
            // Without one a code is made all the same and never mailed, so that the request
            // behaves alike in every way.
            let code = new_code(conn, keys, id, now)?;
            if subject.is_some() {
                code_line = format!(
                    "\n\nTo confirm it is you, type this code on the request page within {CODE_MINUTES} minutes: {code}\n"
                );
                event(conn, id, None, "Code mailed to the email on file", now)?;
            }
            message = format!(
                "{message} If this address is on file, we mailed it a code: type it within {CODE_MINUTES} minutes to confirm it is you."
            );
        }
        // A request an agent made through the form: the agent is told it was received, in the
        // same words whether or not the person is on file; the person only if they are.
        if let Some(agent_email) = agent.and_then(|a| a.agent_email.as_ref()) {
            outbox::enqueue(
                conn,
                &Outgoing {
                    to: agent_email.clone(),
                    subject: format!("The privacy request you made for someone: #{id}"),
                    body: format!(
                        "Hello,\n\nWe received the request you made on behalf of the person at {email}, to {}, with their signed authorisation. If this address is on file, we mailed the person to confirm that they asked you; nothing is done until they do. We answer them by {} at the latest.\n",
                        kind.words(),
                        due.format("%b %-d, %Y"),
                    ),
                },
                now,
            )?;
        }
        if channel != Channel::Agent || subject.is_some() {
            outbox::enqueue(
                conn,
                &Outgoing {
                    to: email.clone(),
                    subject: format!("Your privacy request #{id}"),
                    body: format!(
                        "Hello,\n\n{message}{code_line}\n\nIf you did not make this request, reply to this mail and we will look into it.\n"
                    ),
                },
                now,
            )?;
        }
        let row = load(conn, id)?;
        if channel == Channel::Agent {
            message = format!(
                "We received the request and mailed you that we did. If the person is on file, we mailed them to confirm that they asked you; nothing is done until they do. We answer by {} at the latest.",
                due.format("%b %-d, %Y")
            );
        }
        Ok(Submitted {
            id,
            status: row.status,
            verification: row.verification,
            due_at: row.due_at,
            message,
            kept_authorisation: subject.is_some()
                && agent.is_some_and(|a| a.authorisation_key.is_some()),
        })
    })
}

/// Know or access requests of this person (or address) in the 12 months before `now`, not
/// counting those denied as one too many or unverified.
fn earlier_this_year(
    conn: &mut DbConnection,
    subject: Option<UserId>,
    email: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let base = privacy_requests::table
        .filter(privacy_requests::kind.eq_any([Kind::Know.as_str(), Kind::Access.as_str()]))
        .filter(privacy_requests::received_at.gt(now - Duration::days(365)))
        .filter(
            privacy_requests::denial_reason
                .is_null()
                .or(privacy_requests::denial_reason.ne_all(["too_many_requests", "unverifiable"])),
        )
        .into_boxed();
    match subject {
        Some(user) => base.filter(privacy_requests::subject_id.eq(user.0)),
        None => base.filter(privacy_requests::requester_email.eq(email)),
    }
    .count()
    .get_result(conn)
}

/// An opt-out or a limit, carried out at once. Answers what was done, in words.
fn carry_out_unverified(
    conn: &mut DbConnection,
    id: i64,
    kind: Kind,
    subject: Option<UserId>,
    now: NaiveDateTime,
) -> AppResult<String> {
    let outcome = match (kind, subject) {
        (Kind::OptOut, Some(user)) => {
            for purpose in [Purpose::ShareNameAddress, Purpose::ShareContact] {
                consent::record(conn, user, purpose, false, Source::PrivacyRequest, now)?;
            }
            "Done: nothing about you is shared with other companies from now on, and any company that received your data was told to stop using it and delete it."
        }
        (Kind::Limit, Some(user)) => {
            diesel::update(
                shoppers::table
                    .filter(shoppers::user_id.eq(user))
                    .filter(shoppers::sensitive_limited_at.is_null()),
            )
            .set((
                shoppers::sensitive_limited_at.eq(now),
                shoppers::updated_at.eq(now),
            ))
            .execute(conn)?;
            LIMITED
        }
        (Kind::Limit, None) => {
            "Done: we hold no account for this address, so no sensitive data of it is used."
        }
        _ => "Done: we hold no account for this address, so nothing about it is shared.",
    };
    close(conn, id, None, "fulfilled", Some(outcome), None, now)?;
    event(
        conn,
        id,
        None,
        "Carried out at once (needs no verification)",
        now,
    )?;
    Ok(outcome.to_string())
}

fn close(
    conn: &mut DbConnection,
    id: i64,
    by: Option<UserId>,
    status: &str,
    outcome: Option<&str>,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(privacy_requests::table.find(id))
        .set((
            privacy_requests::status.eq(status),
            privacy_requests::outcome.eq(outcome),
            privacy_requests::denial_reason.eq(reason),
            privacy_requests::closed_at.eq(now),
            privacy_requests::handled_by.eq(by.map(|u| u.0)),
        ))
        .execute(conn)
        .map(|_| ())
}

fn code_hash(keys: &Keys, id: i64, code: &str) -> String {
    keys.keyed_hash("privacy request code", &format!("{id}:{code}"))
}

/// A new link token for the person to confirm an agent's request, stored as a keyed hash in
/// the code's place, valid [`AGENT_CONFIRM_DAYS`].
fn new_confirmation(
    conn: &mut DbConnection,
    keys: &Keys,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let token = crate::keys::random_token(24);
    diesel::update(privacy_requests::table.find(id))
        .set((
            privacy_requests::code_hash.eq(code_hash(keys, id, &token)),
            privacy_requests::code_expires_at.eq(now + Duration::days(AGENT_CONFIRM_DAYS)),
            privacy_requests::code_tries.eq(0),
        ))
        .execute(conn)?;
    Ok(token)
}

/// What the confirmation page shows the person: who asked, for what, and whether it still
/// waits for them.
#[derive(Debug, Clone, Serialize)]
pub struct ToConfirm {
    pub id: i64,
    pub agent_name: String,
    pub what: String,
    pub waiting: bool,
}

/// The request an agent made, for the person holding the mailed link (the token is checked:
/// another's request or a wrong token is not found).
pub fn to_confirm(
    conn: &mut DbConnection,
    keys: &Keys,
    id: i64,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<ToConfirm> {
    let row = load(conn, id)?;
    let agent_name: Option<String> = privacy_request_agents::table
        .find(id)
        .select(privacy_request_agents::agent_name)
        .first(conn)
        .optional()?;
    let right = row.code_hash.as_deref().is_some_and(|stored| {
        crate::keys::constant_time_eq(stored.as_bytes(), code_hash(keys, id, token).as_bytes())
    });
    let Some(agent_name) = agent_name.filter(|_| right) else {
        return Err(AppError::not_found(
            "This link is not one we sent, or it was used already: open the newest mail about the request.",
        ));
    };
    Ok(ToConfirm {
        id,
        agent_name,
        what: row.kind().words().to_string(),
        waiting: row.verification == "pending"
            && !row.is_closed()
            && row.code_expires_at.is_some_and(|t| t > now),
    })
}

/// The person answers an agent's request: yes, they asked (the request goes on, verified as
/// far as the agent's details matched), or no (denied, `not_authorised`).
pub fn confirm(
    conn: &mut DbConnection,
    keys: &Keys,
    id: i64,
    token: &str,
    yes: bool,
    now: NaiveDateTime,
) -> AppResult<RequestView> {
    write_transaction(conn, |conn| {
        let shown = to_confirm(conn, keys, id, token, now)?;
        let row = load(conn, id)?;
        if !shown.waiting {
            return Err(AppError::conflict(
                "not_waiting_for_code",
                if row.code_expires_at.is_some_and(|t| t <= now) && !row.is_closed() {
                    "This link has expired (links work 7 days). Ask the agent to make the request again."
                } else {
                    "This request does not wait for your answer any more: it was confirmed, refused or closed."
                },
            ));
        }
        if yes {
            let kind = row.kind();
            let enough = row.matched_points >= kind.points_needed();
            diesel::update(privacy_requests::table.find(id))
                .set((
                    privacy_requests::verification.eq(if enough { "verified" } else { "partial" }),
                    privacy_requests::status.eq("in_progress"),
                    privacy_requests::code_hash.eq(None::<String>),
                ))
                .execute(conn)?;
            event(
                conn,
                id,
                None,
                &format!(
                    "The person confirmed they asked {}; {} data points matched ({} needed){}",
                    shown.agent_name,
                    row.matched_points,
                    kind.points_needed(),
                    if enough { "" } else { ": categories only" }
                ),
                now,
            )?;
            if !kind.needs_verification() {
                // An opt-out or a limit, now confirmed, is done at once; the person is told.
                let outcome =
                    carry_out_unverified(conn, id, kind, row.subject_id.map(UserId), now)?;
                outbox::enqueue(
                    conn,
                    &Outgoing {
                        to: row.requester_email.clone(),
                        subject: format!("Your privacy request #{id}: done"),
                        body: format!("Hello,\n\n{outcome}\n"),
                    },
                    now,
                )?;
            }
        } else {
            diesel::update(privacy_requests::table.find(id))
                .set(privacy_requests::code_hash.eq(None::<String>))
                .execute(conn)?;
            close(
                conn,
                id,
                None,
                "denied",
                Some("The person told us they did not ask for this request."),
                Some("not_authorised"),
                now,
            )?;
            event(
                conn,
                id,
                None,
                &format!(
                    "The person said they did not ask {}: denied",
                    shown.agent_name
                ),
                now,
            )?;
        }
        Ok(load(conn, id)?.view(now))
    })
}

/// A new 6-digit code for request `id`, stored as a keyed hash, valid 10 minutes, 3 tries.
fn new_code(
    conn: &mut DbConnection,
    keys: &Keys,
    id: i64,
    now: NaiveDateTime,
) -> QueryResult<String> {
    use rand::Rng;
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32));
    diesel::update(privacy_requests::table.find(id))
        .set((
            privacy_requests::code_hash.eq(code_hash(keys, id, &code)),
            privacy_requests::code_expires_at.eq(now + Duration::minutes(CODE_MINUTES)),
            privacy_requests::code_tries.eq(0),
        ))
        .execute(conn)?;
    Ok(code)
}

/// Checks the code of a public request. Right: verified (or `partial` with too few matching
/// data points, which gets categories only); wrong: a try used, the third fails the
/// verification; expired: fails it too.
pub fn verify(
    conn: &mut DbConnection,
    keys: &Keys,
    id: i64,
    code: &str,
    now: NaiveDateTime,
) -> AppResult<RequestView> {
    let code = code.trim();
    if code.len() < 6 || code.len() > 12 || !code.chars().all(|c| c.is_ascii_digit()) {
        return Err(AppError::field(
            "code",
            "Type the 6 digits of the code we mailed.",
        ));
    }
    // A wrong or late code is written (a try used) before it is refused: the refusal comes
    // after the transaction.
    let outcome: Result<RequestView, AppError> = write_transaction(conn, |conn| {
        let row = load(conn, id)?;
        if row.verification != "pending" || row.is_closed() || row.channel != Channel::Form.as_str()
        {
            return Err(AppError::conflict(
                "not_waiting_for_code",
                "This request is not waiting for a code: it is verified, failed or closed.",
            ));
        }
        let expired = row.code_expires_at.is_none_or(|t| t <= now);
        let right = !expired
            && row.code_hash.as_deref().is_some_and(|stored| {
                crate::keys::constant_time_eq(
                    stored.as_bytes(),
                    code_hash(keys, id, code).as_bytes(),
                )
            });
        if right {
            let kind = row.kind();
            let enough = row.matched_points >= kind.points_needed()
                && (kind != Kind::Access || row.declaration);
            let verification = if enough { "verified" } else { "partial" };
            diesel::update(privacy_requests::table.find(id))
                .set((
                    privacy_requests::verification.eq(verification),
                    privacy_requests::status.eq("in_progress"),
                    privacy_requests::code_hash.eq(None::<String>),
                ))
                .execute(conn)?;
            event(
                conn,
                id,
                None,
                &format!(
                    "Code confirmed; {} data points matched ({} needed){}",
                    row.matched_points,
                    kind.points_needed(),
                    if enough { "" } else { ": categories only" }
                ),
                now,
            )?;
            return Ok(Ok(load(conn, id)?.view(now)));
        }
        let tries = row.code_tries + 1;
        let failed = expired || tries >= CODE_TRIES;
        diesel::update(privacy_requests::table.find(id))
            .set((
                privacy_requests::code_tries.eq(tries),
                privacy_requests::verification.eq(if failed { "failed" } else { "pending" }),
            ))
            .execute(conn)?;
        if failed {
            event(
                conn,
                id,
                None,
                if expired {
                    "Verification failed: the code expired"
                } else {
                    "Verification failed: three wrong codes"
                },
                now,
            )?;
            return Ok(Err(AppError::conflict(
                if expired {
                    "code_expired"
                } else {
                    "code_tries_used"
                },
                if expired {
                    "This code has expired (codes work 10 minutes). Make the request again for a new one."
                } else {
                    "That was the third wrong code, so this request cannot be verified. Make it again for a new code."
                },
            )));
        }
        Ok(Err(AppError::field(
            "code",
            format!(
                "This code is not right. {} {} left.",
                CODE_TRIES - tries,
                if CODE_TRIES - tries == 1 {
                    "try"
                } else {
                    "tries"
                }
            ),
        )))
    })?;
    outcome
}

/// The signed-in person's own requests, newest first.
pub fn mine(
    conn: &mut DbConnection,
    user_id: UserId,
    page: PageRequest,
    now: NaiveDateTime,
) -> AppResult<Paged<RequestView>> {
    let total: i64 = privacy_requests::table
        .filter(privacy_requests::subject_id.eq(user_id.0))
        .count()
        .get_result(conn)?;
    let rows: Vec<RequestRow> = privacy_requests::table
        .filter(privacy_requests::subject_id.eq(user_id.0))
        .order(privacy_requests::id.desc())
        .offset(page.offset())
        .limit(page.limit())
        .select(RequestRow::as_select())
        .load(conn)?;
    Ok(Paged::new(
        rows.iter().map(|r| r.view(now)).collect(),
        page,
        total,
    ))
}

/// Which requests the officer's queue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFilter {
    /// Open ones, the soonest due first.
    Open,
    /// Open ones past their due date.
    Overdue,
    /// Closed ones, the latest first.
    Closed,
}

/// The privacy officer's queue.
pub fn queue(
    conn: &mut DbConnection,
    filter: QueueFilter,
    page: PageRequest,
    now: NaiveDateTime,
) -> AppResult<Paged<OfficerView>> {
    let base = || {
        let q = privacy_requests::table.into_boxed();
        match filter {
            QueueFilter::Open => q.filter(privacy_requests::closed_at.is_null()),
            QueueFilter::Overdue => q
                .filter(privacy_requests::closed_at.is_null())
                .filter(privacy_requests::due_at.le(now)),
            QueueFilter::Closed => q.filter(privacy_requests::closed_at.is_not_null()),
        }
    };
    let total: i64 = base().count().get_result(conn)?;
    let ordered = match filter {
        QueueFilter::Closed => base().order(privacy_requests::closed_at.desc()),
        _ => base().order((privacy_requests::due_at.asc(), privacy_requests::id.asc())),
    };
    let rows: Vec<RequestRow> = ordered
        .offset(page.offset())
        .limit(page.limit())
        .select(RequestRow::as_select())
        .load(conn)?;
    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        items.push(officer_view(conn, row, now)?);
    }
    Ok(Paged::new(items, page, total))
}

/// Counts for the officer's dashboard: open, overdue, nearly due.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct Clocks {
    pub open: i64,
    pub overdue: i64,
    pub nearly_due: i64,
}

pub fn clocks(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Clocks> {
    let open = || privacy_requests::table.filter(privacy_requests::closed_at.is_null());
    Ok(Clocks {
        open: open().count().get_result(conn)?,
        overdue: open()
            .filter(privacy_requests::due_at.le(now))
            .count()
            .get_result(conn)?,
        nearly_due: open()
            .filter(privacy_requests::due_at.gt(now))
            .filter(privacy_requests::due_at.le(now + Duration::days(NEARLY_DUE_DAYS)))
            .count()
            .get_result(conn)?,
    })
}

fn officer_view(
    conn: &mut DbConnection,
    row: RequestRow,
    now: NaiveDateTime,
) -> AppResult<OfficerView> {
    let history = privacy_request_events::table
        .filter(privacy_request_events::request_id.eq(row.id))
        .order(privacy_request_events::id.asc())
        .select((privacy_request_events::at, privacy_request_events::what))
        .load::<(NaiveDateTime, String)>(conn)?
        .into_iter()
        .map(|(at, what)| RequestEvent { at, what })
        .collect();
    let agent = privacy_request_agents::table
        .find(row.id)
        .select((
            privacy_request_agents::agent_name,
            privacy_request_agents::agent_email,
            privacy_request_agents::agent_id,
            privacy_request_agents::authorisation_key,
        ))
        .first::<(String, Option<String>, Option<String>, Option<String>)>(conn)
        .optional()?
        .map(|(name, email, drp_agent_id, key)| RequestAgent {
            name,
            email,
            drp_agent_id,
            has_authorisation: key.is_some(),
        });
    Ok(OfficerView {
        agent,
        request: row.view(now),
        urgency: row.urgency(now).map(str::to_string),
        requester_email: row.requester_email,
        requester_name: row.requester_name,
        subject_id: row.subject_id,
        matched_points: row.matched_points,
        declaration: row.declaration,
        history,
    })
}

/// One request, for the privacy officer.
pub fn find(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> AppResult<OfficerView> {
    let row = load(conn, id)?;
    officer_view(conn, row, now)
}

fn still_open(row: &RequestRow) -> AppResult<()> {
    if row.is_closed() {
        return Err(AppError::conflict(
            "request_closed",
            format!("This request is {} already.", row.status.replace('_', " ")),
        ));
    }
    Ok(())
}

fn text_field(field: &str, value: &str, what: &str) -> AppResult<String> {
    let value = value.trim();
    if !(3..=2000).contains(&value.chars().count()) {
        return Err(AppError::field(
            field,
            format!("Say {what} (3 to 2000 characters)."),
        ));
    }
    Ok(value.to_string())
}

/// Extends a request once, to 90 days after receipt, with a reason mailed to the requester;
/// only before the first due date (day 45).
pub fn extend(
    conn: &mut DbConnection,
    by: UserId,
    id: i64,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<OfficerView> {
    let reason = text_field("reason", reason, "why the answer needs more time")?;
    write_transaction(conn, |conn| {
        let row = load(conn, id)?;
        still_open(&row)?;
        if row.extended_at.is_some() {
            return Err(AppError::conflict(
                "extended_already",
                "This request was extended once already; the law allows one extension.",
            ));
        }
        if row.due_at <= now {
            return Err(AppError::conflict(
                "extension_late",
                "An extension must reach the requester before the 45th day, which has passed: answer now.",
            ));
        }
        let due = row.received_at + Duration::days(EXTENDED_DAYS);
        diesel::update(privacy_requests::table.find(id))
            .set((
                privacy_requests::due_at.eq(due),
                privacy_requests::extended_at.eq(now),
                privacy_requests::extension_reason.eq(&reason),
            ))
            .execute(conn)?;
        event(
            conn,
            id,
            Some(by),
            "Extended to 90 days; the requester was told why",
            now,
        )?;
        outbox::enqueue(
            conn,
            &Outgoing {
                to: row.requester_email.clone(),
                subject: format!("Your privacy request #{id}: more time needed"),
                body: format!(
                    "Hello,\n\nWe need more time to answer your request to {}. We will answer by {} at the latest.\n\nWhy: {reason}\n",
                    row.kind().words(),
                    due.format("%b %-d, %Y"),
                ),
            },
            now,
        )?;
        find(conn, id, now)
    })
}

/// Denies a request with a reason and an explanation the requester is mailed.
pub fn deny(
    conn: &mut DbConnection,
    by: UserId,
    id: i64,
    reason: &str,
    explanation: &str,
    now: NaiveDateTime,
) -> AppResult<OfficerView> {
    let Some((reason, words)) = DENIAL_REASONS
        .iter()
        .find(|(code, _)| *code == reason.trim())
        .copied()
    else {
        return Err(AppError::field(
            "reason",
            "Choose a reason: too_many_requests, unverifiable, no_data, not_authorised, exempt or other.",
        ));
    };
    let explanation = text_field("explanation", explanation, "why, in the requester's words")?;
    write_transaction(conn, |conn| {
        let row = load(conn, id)?;
        still_open(&row)?;
        close(
            conn,
            id,
            Some(by),
            "denied",
            Some(&explanation),
            Some(reason),
            now,
        )?;
        event(conn, id, Some(by), &format!("Denied ({reason})"), now)?;
        outbox::enqueue(
            conn,
            &Outgoing {
                to: row.requester_email.clone(),
                subject: format!("Your privacy request #{id}: our answer"),
                body: format!(
                    "Hello,\n\nWe cannot carry out your request to {}. {words}\n\n{explanation}\n\nYou may ask again, or complain to your state's attorney general or data protection authority.\n",
                    row.kind().words(),
                ),
            },
            now,
        )?;
        find(conn, id, now)
    })
}

/// Completes a request with a note of what was done, mailed to the requester. A request still
/// waiting for its code cannot be completed (deny it as unverifiable instead).
pub fn complete(
    conn: &mut DbConnection,
    by: UserId,
    id: i64,
    note: &str,
    now: NaiveDateTime,
) -> AppResult<OfficerView> {
    let note = text_field("note", note, "what was done, in the requester's words")?;
    write_transaction(conn, |conn| {
        let row = load(conn, id)?;
        still_open(&row)?;
        if matches!(row.verification.as_str(), "pending" | "failed") {
            return Err(AppError::conflict(
                "not_verified",
                "This request is not verified: wait for the code, or deny it as unverifiable.",
            ));
        }
        let kind = row.kind();
        if kind == Kind::Correct {
            return Err(AppError::conflict(
                "not_automated",
                "Requests to correct data are carried out by the service, which does not do it yet: keep it open.",
            ));
        }
        if matches!(kind, Kind::Delete | Kind::Know | Kind::Access) {
            return Err(AppError::internal(anyhow::anyhow!(
                "a {} request is completed by rights::complete, not here",
                kind.as_str()
            )));
        }
        close(conn, id, Some(by), "fulfilled", Some(&note), None, now)?;
        event(conn, id, Some(by), "Completed", now)?;
        outbox::enqueue(
            conn,
            &Outgoing {
                to: row.requester_email.clone(),
                subject: format!("Your privacy request #{id}: done"),
                body: format!(
                    "Hello,\n\nYour request to {} is done.\n\n{note}\n",
                    kind.words()
                ),
            },
            now,
        )?;
        find(conn, id, now)
    })
}

/// A request about to be carried out by the service: open, and verified (or needing no
/// verification). The caller does the work, then [`fulfil`]s it in the same transaction.
pub fn for_completion(conn: &mut DbConnection, id: i64) -> AppResult<RequestRow> {
    let row = load(conn, id)?;
    still_open(&row)?;
    if matches!(row.verification.as_str(), "pending" | "failed" | "partial")
        && row.kind().needs_verification()
        && !(row.kind() == Kind::Know && row.verification == "partial")
    {
        return Err(AppError::conflict(
            "not_verified",
            "This request is not verified: wait for the code, or deny it as unverifiable.",
        ));
    }
    Ok(row)
}

/// Closes a request carried out, with what was done; the answer is mailed to the requester,
/// and the mail leaves the outbox once sent when the requester's data is being deleted.
pub fn fulfil(
    conn: &mut DbConnection,
    by: UserId,
    row: &RequestRow,
    outcome: &str,
    erase_mail: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    close(
        conn,
        row.id,
        Some(by),
        "fulfilled",
        Some(outcome),
        None,
        now,
    )?;
    event(conn, row.id, Some(by), "Completed", now)?;
    let mail = Outgoing {
        to: row.requester_email.clone(),
        subject: format!("Your privacy request #{}: done", row.id),
        body: format!(
            "Hello,\n\nYour request to {} is done.\n\n{outcome}\n",
            row.kind().words()
        ),
    };
    if erase_mail {
        outbox::enqueue_then_erase(conn, &mail, now)?;
    } else {
        outbox::enqueue(conn, &mail, now)?;
    }
    Ok(())
}

/// Requests an agent made whose person did not confirm within [`AGENT_CONFIRM_DAYS`]: denied
/// as unverifiable (the protocol's `insuf_verification`), the agent told by its callback or by
/// mail. Answers how many.
pub fn lapse_confirmations(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<usize> {
    let lapsed: Vec<i64> = privacy_requests::table
        .filter(privacy_requests::closed_at.is_null())
        .filter(privacy_requests::verification.eq("pending"))
        .filter(privacy_requests::channel.eq_any([Channel::Drp.as_str(), Channel::Agent.as_str()]))
        .filter(privacy_requests::code_expires_at.le(now))
        .select(privacy_requests::id)
        .limit(500)
        .load(conn)?;
    for id in &lapsed {
        write_transaction(conn, |conn| -> AppResult<()> {
            let row = load(conn, *id)?;
            if row.is_closed() || row.verification != "pending" {
                return Ok(());
            }
            diesel::update(privacy_requests::table.find(*id))
                .set((
                    privacy_requests::verification.eq("failed"),
                    privacy_requests::code_hash.eq(None::<String>),
                ))
                .execute(conn)?;
            close(
                conn,
                *id,
                None,
                "denied",
                Some("The person did not confirm the request within 7 days."),
                Some("unverifiable"),
                now,
            )?;
            event(
                conn,
                *id,
                None,
                "Denied: the person did not confirm within 7 days",
                now,
            )?;
            let agent_email: Option<String> = privacy_request_agents::table
                .find(*id)
                .select(privacy_request_agents::agent_email)
                .first::<Option<String>>(conn)
                .optional()?
                .flatten();
            if let Some(to) = agent_email {
                outbox::enqueue(
                    conn,
                    &Outgoing {
                        to,
                        subject: format!("The privacy request you made for someone: #{id}"),
                        body: "Hello,\n\nThe person did not confirm within 7 days that they asked you to make this request, so we closed it without doing anything. You may make it again with them.\n".into(),
                    },
                    now,
                )?;
            }
            Ok(())
        })?;
    }
    Ok(lapsed.len())
}

/// The agent that made a request withdraws it while it is open or in progress; the person, if
/// one matched, is told.
pub fn revoke(
    conn: &mut DbConnection,
    id: i64,
    agent_name: &str,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<()> {
    write_transaction(conn, |conn| {
        let row = load(conn, id)?;
        still_open(&row)?;
        diesel::update(privacy_requests::table.find(id))
            .set(privacy_requests::code_hash.eq(None::<String>))
            .execute(conn)?;
        let outcome = match reason {
            Some(r) => format!("Withdrawn by {agent_name}: {r}"),
            None => format!("Withdrawn by {agent_name}."),
        };
        close(conn, id, None, "revoked", Some(&outcome), None, now)?;
        event(
            conn,
            id,
            None,
            &format!("Revoked by the agent {agent_name}"),
            now,
        )?;
        if row.subject_id.is_some() && row.requester_email != "erased" {
            outbox::enqueue(
                conn,
                &Outgoing {
                    to: row.requester_email.clone(),
                    subject: format!("Your privacy request #{id}: withdrawn"),
                    body: format!(
                        "Hello,\n\n{agent_name} withdrew the request they made for you to {}. Nothing more will be done about it; a link we mailed you for it no longer works.\n",
                        row.kind().words()
                    ),
                },
                now,
            )?;
        }
        Ok(())
    })
}

/// The key of the signed authorisation kept with request `id`, if any.
pub fn authorisation_key(conn: &mut DbConnection, id: i64) -> AppResult<Option<String>> {
    Ok(privacy_request_agents::table
        .find(id)
        .select(privacy_request_agents::authorisation_key)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// The person is deleted: their requests keep their record (kind, dates, outcome) but not
/// the address, name or words they were made with.
pub fn forget_requester(conn: &mut DbConnection, subject: UserId) -> QueryResult<Vec<String>> {
    // The signed authorisations an agent sent for them go too: their keys, to delete the files.
    let ids: Vec<i64> = privacy_requests::table
        .filter(privacy_requests::subject_id.eq(subject.0))
        .select(privacy_requests::id)
        .load(conn)?;
    let mut files = Vec::new();
    for chunk in ids.chunks(500) {
        let keys: Vec<Option<String>> = privacy_request_agents::table
            .filter(privacy_request_agents::request_id.eq_any(chunk))
            .select(privacy_request_agents::authorisation_key)
            .load(conn)?;
        files.extend(keys.into_iter().flatten());
        diesel::update(
            privacy_request_agents::table.filter(privacy_request_agents::request_id.eq_any(chunk)),
        )
        .set(privacy_request_agents::authorisation_key.eq(None::<String>))
        .execute(conn)?;
    }
    diesel::update(privacy_requests::table.filter(privacy_requests::subject_id.eq(subject.0)))
        .set((
            privacy_requests::requester_email.eq("erased"),
            privacy_requests::requester_name.eq(None::<String>),
            privacy_requests::details.eq(""),
            privacy_requests::corrections.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(files)
}

/// Whether the person has a deletion request still open (a share leaves them out).
pub fn deletion_pending(conn: &mut DbConnection, ids: &[UserId]) -> QueryResult<Vec<UserId>> {
    let mut pending = Vec::new();
    for chunk in ids.chunks(500) {
        let raw: Vec<i64> = chunk.iter().map(|u| u.0).collect();
        let rows: Vec<Option<i64>> = privacy_requests::table
            .filter(privacy_requests::kind.eq(Kind::Delete.as_str()))
            .filter(privacy_requests::closed_at.is_null())
            .filter(privacy_requests::subject_id.eq_any(raw))
            .select(privacy_requests::subject_id)
            .load(conn)?;
        pending.extend(rows.into_iter().flatten().map(UserId::from));
    }
    Ok(pending)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, hour: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day)
            .unwrap()
            .and_hms_opt(hour, 0, 0)
            .unwrap()
    }

    #[test]
    fn days_left_count_a_started_day_and_go_negative_when_overdue() {
        assert_eq!(days_between(at(1, 12), at(3, 12)), 2);
        assert_eq!(days_between(at(1, 12), at(3, 13)), 3);
        assert_eq!(days_between(at(3, 12), at(3, 12)), 0);
        assert_eq!(days_between(at(5, 13), at(3, 12)), -2);
    }

    #[test]
    fn typed_data_points_compare_as_people_type_them() {
        assert_eq!(plain_text("Ana  O'Neil"), plain_text("ana oneil"));
        assert_eq!(digits("+1 (212) 555-0142"), "12125550142");
        assert_ne!(plain_text("12 Main St"), plain_text("21 Main St"));
    }

    #[test]
    fn a_correction_needs_its_details_and_the_form_an_email() {
        let refused = checked(
            &NewRequest {
                kind: "correct".into(),
                ..NewRequest::default()
            },
            true,
        )
        .unwrap_err();
        let fields: Vec<&str> = refused.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, ["email", "corrections"]);
        assert!(
            checked(
                &NewRequest {
                    kind: "sell".into(),
                    ..NewRequest::default()
                },
                false
            )
            .is_err()
        );
        assert!(
            checked(
                &NewRequest {
                    kind: "opt_out".into(),
                    ..NewRequest::default()
                },
                false
            )
            .is_ok()
        );
    }
}
