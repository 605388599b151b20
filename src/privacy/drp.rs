//! The Data Rights Protocol (DRP 0.9.4): authorised agents that speak it reach the privacy
//! requests of [`super::requests`] through `/drp/v1/`.
//!
//! - The privacy officer registers an agent: its DRP id, name, the Ed25519 key it signs with
//!   (base64) and the address its status callbacks must start with.
//! - The agent sets up a pair-wise token with a signed message (`POST /drp/v1/agent/{id}`) and
//!   presents it as a bearer token from then on.
//! - Every signed message (libsodium's combined mode: the 64-byte signature, then the JSON, all
//!   base64) is checked in the protocol's order: it decodes, the signature verifies against the
//!   agent's registered key, `agent-id` is the token's agent, `business-id` is this service,
//!   `issued-at` is not in the future and `expires-at` not past. A message is used once.
//! - An exercise becomes a privacy request of channel `drp`: the person it names (by the email
//!   on file) confirms it directly, by a link mailed there; an opt-out is carried out at once.
//! - Its status is the protocol's (`open`, `in_progress`, `fulfilled`, `revoked`, `denied`,
//!   `expired`, with reasons); every change is posted to the request's `status_callback`.

use base64::Engine;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use diesel::prelude::*;
use ed25519_dalek::{Signature, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::requests::{self, AgentOrigin, Kind, NewRequest, Requester};
use crate::db::schema::{drp_agents, privacy_request_agents, privacy_requests};
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::ids::UserId;
use crate::keys::Keys;
use crate::paging::{PageRequest, Paged};

/// The protocol version this service speaks.
pub const VERSION: &str = "0.9.4";
/// How far ahead of our clock an agent's `issued-at` may be (clocks drift).
const CLOCK_SKEW_SECONDS: i64 = 60;
/// The longest a signed message may be valid: the protocol recommends minutes.
const LONGEST_MESSAGE_HOURS: i64 = 24;
/// Tries at posting a status callback before giving up, and the wait after the first failure.
pub const CALLBACK_TRIES: i32 = 6;
const CALLBACK_FIRST_WAIT_SECONDS: i64 = 60;

/// An error as the protocol answers it (`code`, `message`, `fatal`), which is also a problem
/// document (`type`, `title`, `status`, `detail`). A refused pair-wise setup answers 403
/// with no body, as the protocol says.
#[derive(Debug)]
pub struct DrpError {
    pub status: u16,
    pub message: String,
    pub fatal: bool,
    pub empty: bool,
}

impl DrpError {
    fn new(status: u16, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            fatal: false,
            empty: false,
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }

    fn bad(message: impl Into<String>) -> Self {
        Self {
            fatal: true,
            ..Self::new(400, message)
        }
    }

    fn silent_forbidden() -> Self {
        Self {
            empty: true,
            ..Self::forbidden("The signed message was refused.")
        }
    }
}

impl std::fmt::Display for DrpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.message)
    }
}

impl From<AppError> for DrpError {
    fn from(e: AppError) -> Self {
        if e.status.is_server_error() {
            tracing::error!(error = ?e, "data rights request failed");
        }
        let mut message = e.detail.clone();
        if !e.fields.is_empty() {
            let fields: Vec<String> = e
                .fields
                .iter()
                .map(|f| format!("{}: {}", claim_name(&f.field), f.message))
                .collect();
            message = fields.join(" ");
        }
        Self {
            fatal: e.status.is_client_error(),
            ..Self::new(e.status.as_u16(), message)
        }
    }
}

impl From<diesel::result::Error> for DrpError {
    fn from(e: diesel::result::Error) -> Self {
        AppError::from(e).into()
    }
}

/// Our field names in the protocol's words.
fn claim_name(field: &str) -> &str {
    match field {
        "kind" => "exercise",
        "phone" => "phone_number",
        "street" => "address.street_address",
        "zip" => "address.postal_code",
        other => other,
    }
}

#[derive(Serialize)]
struct DrpErrorBody<'a> {
    code: String,
    message: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    fatal: bool,
    #[serde(rename = "type")]
    type_: &'static str,
    title: &'static str,
    status: u16,
    detail: &'a str,
}

impl actix_web::ResponseError for DrpError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST)
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        let status = self.status_code();
        if self.empty {
            return actix_web::HttpResponse::build(status).finish();
        }
        actix_web::HttpResponse::build(status).json(DrpErrorBody {
            code: self.status.to_string(),
            message: &self.message,
            fatal: self.fatal,
            type_: "/problems/data_rights_protocol",
            title: status.canonical_reason().unwrap_or("Error"),
            status: self.status,
            detail: &self.message,
        })
    }
}

// --- The agents ---

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = drp_agents)]
pub struct AgentRow {
    pub id: String,
    pub name: String,
    pub verify_key: String,
    pub callback_base: Option<String>,
    pub technical_contact: String,
    pub token_issued_at: Option<NaiveDateTime>,
    pub registered_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// The keyed hash of the last pairing message's signature (a message pairs once).
    pub last_pairing: Option<String>,
}

/// An agent to register.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    /// The agent's id in the Data Rights Protocol's directory: capitals, digits and `_`.
    pub id: String,
    /// Its name, as people know it.
    pub name: String,
    /// The Ed25519 public key it signs with, base64 (32 bytes).
    pub verify_key: String,
    /// Where its status callbacks may go: every `status_callback` must start with this
    /// (`https://`, or `http://` on this machine). None: no callbacks.
    #[serde(default)]
    pub callback_base: Option<String>,
    /// An email address for the technical contact at the agent.
    pub technical_contact: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AgentView {
    pub id: String,
    pub name: String,
    pub verify_key: String,
    pub callback_base: Option<String>,
    pub technical_contact: String,
    /// Whether it has set up its pair-wise token.
    pub paired: bool,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub registered_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::option::serialize")]
    pub revoked_at: Option<NaiveDateTime>,
}

impl From<AgentRow> for AgentView {
    fn from(r: AgentRow) -> Self {
        Self {
            paired: r.token_issued_at.is_some(),
            id: r.id,
            name: r.name,
            verify_key: r.verify_key,
            callback_base: r.callback_base,
            technical_contact: r.technical_contact,
            registered_at: r.registered_at,
            revoked_at: r.revoked_at,
        }
    }
}

fn decode_key(key: &str) -> Option<VerifyingKey> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.trim())
        .ok()?;
    VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
}

/// Whether `url` may receive callbacks: https, or http to this machine.
fn callback_url_ok(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    match parsed.scheme() {
        "https" => parsed.host_str().is_some(),
        "http" => matches!(
            parsed.host(),
            Some(url::Host::Domain("localhost"))
                | Some(url::Host::Ipv4(std::net::Ipv4Addr::LOCALHOST))
                | Some(url::Host::Ipv6(std::net::Ipv6Addr::LOCALHOST))
        ),
        _ => false,
    }
}

/// Whether `url` is under `base`: the same scheme, host and port, no user name or password,
/// and a path at or below the base's (a base `…/drp` covers `…/drp/status`, not `…/drpx`).
fn under_base(url: &str, base: &str) -> bool {
    let (Ok(u), Ok(b)) = (url::Url::parse(url), url::Url::parse(base)) else {
        return false;
    };
    let mut prefix = b.path().to_string();
    if !prefix.ends_with('/') {
        prefix.push('/');
    }
    callback_url_ok(url)
        && u.username().is_empty()
        && u.password().is_none()
        && u.scheme() == b.scheme()
        && u.host_str() == b.host_str()
        && u.port_or_known_default() == b.port_or_known_default()
        && (u.path() == b.path() || u.path().starts_with(&prefix))
}

/// Registers an agent (or replaces a revoked one's registration).
pub fn register(
    conn: &mut DbConnection,
    by: UserId,
    agent: &NewAgent,
    now: NaiveDateTime,
) -> AppResult<AgentView> {
    let mut errors = Vec::new();
    let id = agent.id.trim();
    if id.is_empty()
        || id.len() > 64
        || !id
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
    {
        errors.push(FieldError::new(
            "id",
            "Type the agent's id from the protocol's directory: capital letters, digits and _ (up to 64).",
        ));
    }
    let name = agent.name.trim();
    if !(2..=200).contains(&name.chars().count()) {
        errors.push(FieldError::new(
            "name",
            "Type the agent's name (2 to 200 characters).",
        ));
    }
    if decode_key(&agent.verify_key).is_none() {
        errors.push(FieldError::new(
            "verify_key",
            "Paste the agent's Ed25519 verify key, base64 encoded (32 bytes).",
        ));
    }
    let base = agent
        .callback_base
        .as_deref()
        .map(str::trim)
        .filter(|b| !b.is_empty());
    let plain_base = |b: &str| {
        url::Url::parse(b)
            .is_ok_and(|u| u.username().is_empty() && u.password().is_none() && u.query().is_none())
    };
    if base.is_some_and(|b| !callback_url_ok(b) || !plain_base(b) || b.len() > 500) {
        errors.push(FieldError::new(
            "callback_base",
            "Type an https:// address (http:// only to this machine) that the agent's callbacks start with.",
        ));
    }
    let contact = agent.technical_contact.trim();
    if contact.len() > 254 || !contact.contains('@') || contact.contains(char::is_whitespace) {
        errors.push(FieldError::new(
            "technical_contact",
            "Type an email address like tech@agent.example.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    write_transaction(conn, |conn| {
        let existing: Option<Option<NaiveDateTime>> = drp_agents::table
            .find(id)
            .select(drp_agents::revoked_at)
            .first(conn)
            .optional()?;
        if existing.is_some_and(|revoked| revoked.is_none()) {
            return Err(AppError::conflict(
                "agent_registered",
                "An agent with this id is registered already: revoke it first to replace its key.",
            ));
        }
        diesel::delete(drp_agents::table.find(id)).execute(conn)?;
        diesel::insert_into(drp_agents::table)
            .values((
                drp_agents::id.eq(id),
                drp_agents::name.eq(name),
                drp_agents::verify_key.eq(agent.verify_key.trim()),
                drp_agents::callback_base.eq(base),
                drp_agents::technical_contact.eq(contact),
                drp_agents::registered_by.eq(by.0),
                drp_agents::registered_at.eq(now),
            ))
            .execute(conn)?;
        Ok(load_agent(conn, id)?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("agent vanished")))?
            .into())
    })
}

fn load_agent(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AgentRow>> {
    drp_agents::table
        .find(id)
        .select(AgentRow::as_select())
        .first(conn)
        .optional()
}

/// The registered agents, by id.
pub fn agents(conn: &mut DbConnection, page: PageRequest) -> AppResult<Paged<AgentView>> {
    let total: i64 = drp_agents::table.count().get_result(conn)?;
    let rows: Vec<AgentRow> = drp_agents::table
        .order(drp_agents::id.asc())
        .offset(page.offset())
        .limit(page.limit())
        .select(AgentRow::as_select())
        .load(conn)?;
    Ok(Paged::new(
        rows.into_iter().map(AgentView::from).collect(),
        page,
        total,
    ))
}

/// Revokes an agent: its token stops working at once; its requests go on.
pub fn revoke_agent(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> AppResult<AgentView> {
    write_transaction(conn, |conn| {
        let Some(row) = load_agent(conn, id)? else {
            return Err(AppError::not_found("No agent is registered with this id."));
        };
        if row.revoked_at.is_none() {
            diesel::update(drp_agents::table.find(id))
                .set((
                    drp_agents::revoked_at.eq(now),
                    drp_agents::token_hash.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        Ok(load_agent(conn, id)?.unwrap_or(row).into())
    })
}

// --- Signed messages ---

/// A signed message opened: its JSON object, and its signature (hex), which names the message
/// however it was encoded (Ed25519 signatures checked strictly cannot be altered).
struct Opened {
    claims: Map<String, Value>,
    signature: String,
}

/// Opens a signed message: base64, then the 64-byte signature and the JSON it signs, checked
/// against `key`.
fn open(key: &str, body: &[u8]) -> Result<Opened, DrpError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| DrpError::forbidden("The message is not base64 text."))?;
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&compact)
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&compact))
        .map_err(|_| DrpError::forbidden("The message is not base64 text."))?;
    if raw.len() <= 64 {
        return Err(DrpError::forbidden(
            "The message is too short to hold a signature and a JSON document.",
        ));
    }
    let (signature_bytes, message) = raw.split_at(64);
    let signature = Signature::from_slice(signature_bytes)
        .map_err(|_| DrpError::forbidden("The signature is not an Ed25519 signature."))?;
    let key =
        decode_key(key).ok_or_else(|| DrpError::forbidden("The agent's key is not usable."))?;
    key.verify_strict(message, &signature).map_err(|_| {
        DrpError::forbidden("The signature does not verify against the agent's registered key.")
    })?;
    match serde_json::from_slice::<Value>(message) {
        Ok(Value::Object(claims)) => Ok(Opened {
            claims,
            signature: crate::keys::hex(signature_bytes),
        }),
        _ => Err(DrpError::bad("The signed message is not a JSON object.")),
    }
}

fn parse_time(value: Option<&Value>, claim: &str) -> Result<NaiveDateTime, DrpError> {
    let text = value
        .and_then(Value::as_str)
        .ok_or_else(|| DrpError::bad(format!("The message has no {claim} time.")))?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc).naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f"))
        .map_err(|_| DrpError::bad(format!("{claim} is not an ISO 8601 time: {text}")))
}

/// The protocol's checks of a signed message's envelope, in its order, after the signature.
fn check_envelope(
    message: &Map<String, Value>,
    agent_id: &str,
    business_id: &str,
    now: NaiveDateTime,
) -> Result<(), DrpError> {
    let claim = |name: &str| message.get(name).and_then(Value::as_str);
    if claim("agent-id") != Some(agent_id) {
        return Err(DrpError::forbidden(
            "The message's agent-id is not the agent this token or address belongs to.",
        ));
    }
    if claim("business-id") != Some(business_id) {
        return Err(DrpError::forbidden(format!(
            "The message's business-id is not this business ({business_id})."
        )));
    }
    let issued = parse_time(message.get("issued-at"), "issued-at")?;
    let expires = parse_time(message.get("expires-at"), "expires-at")?;
    if issued > now + Duration::seconds(CLOCK_SKEW_SECONDS) {
        return Err(DrpError::bad(
            "The message's issued-at is in the future: check the agent's clock.",
        ));
    }
    if expires <= now {
        return Err(DrpError::bad(
            "The message has expired (its expires-at has passed): sign a new one.",
        ));
    }
    if expires - issued > Duration::hours(LONGEST_MESSAGE_HOURS) {
        return Err(DrpError::bad(
            "The message is valid for too long: keep expires-at within 24 hours of issued-at.",
        ));
    }
    if let Some(version) = message
        .get("drp.version")
        .filter(|v| !v.as_str().is_some_and(|v| v.starts_with("0.9")))
    {
        return Err(DrpError::bad(format!(
            "This service speaks the Data Rights Protocol {VERSION}; the message says {version}."
        )));
    }
    Ok(())
}

fn token_hash(keys: &Keys, token: &str) -> String {
    keys.keyed_hash("drp agent token", token)
}

/// Pair-wise key setup: a message signed by the agent named in the address answers a new
/// bearer token (the previous one stops working). Any failure is a bare 403.
pub fn pair(
    conn: &mut DbConnection,
    keys: &Keys,
    agent_id: &str,
    body: &[u8],
    business_id: &str,
    now: NaiveDateTime,
) -> Result<String, DrpError> {
    let refused = |e: DrpError| {
        tracing::info!(agent = agent_id, reason = %e, "DRP pair-wise setup refused");
        DrpError::silent_forbidden()
    };
    let agent = load_agent(conn, agent_id)?
        .filter(|a| a.revoked_at.is_none())
        .ok_or_else(|| refused(DrpError::forbidden("unknown or revoked agent")))?;
    let opened = open(&agent.verify_key, body).map_err(refused)?;
    check_envelope(&opened.claims, agent_id, business_id, now).map_err(refused)?;
    // A pairing message is used once: sent again, even within its time, it is refused.
    let signature = keys.keyed_hash("drp message", &opened.signature);
    if agent.last_pairing.as_deref() == Some(signature.as_str()) {
        return Err(refused(DrpError::forbidden(
            "a pairing message used already",
        )));
    }
    let token = crate::keys::random_token(32);
    diesel::update(drp_agents::table.find(agent_id))
        .set((
            drp_agents::token_hash.eq(token_hash(keys, &token)),
            drp_agents::token_issued_at.eq(now),
            drp_agents::last_pairing.eq(&signature),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The agent a bearer token belongs to.
pub fn agent_for_token(
    conn: &mut DbConnection,
    keys: &Keys,
    token: Option<&str>,
) -> Result<AgentRow, DrpError> {
    let token = token.filter(|t| !t.is_empty()).ok_or_else(|| {
        DrpError::forbidden(
            "Send the token from POST /drp/v1/agent/{agent-id} as Authorization: Bearer.",
        )
    })?;
    drp_agents::table
        .filter(drp_agents::token_hash.eq(token_hash(keys, token)))
        .filter(drp_agents::revoked_at.is_null())
        .select(AgentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DrpError::forbidden("This token is not one we issued, or it was replaced."))
}

// --- Requests and their status ---

/// The protocol's Exercise Status object.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Status {
    pub request_id: String,
    /// ISO 8601.
    pub received_at: String,
    /// ISO 8601: the answer is due by then.
    pub expected_by: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_request_id: Option<String>,
    /// `open`, `in_progress`, `fulfilled`, `revoked`, `denied` or `expired`.
    pub status: String,
    /// With `in_progress`: `need_user_verification`; with `denied`: `suspected_fraud`,
    /// `insuf_verification`, `no_match`, `claim_not_covered`, `too_many_requests` or `other`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub processing_details: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_verification_url: Option<String>,
    /// ISO 8601: after this the record of the request is no longer kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = privacy_requests)]
struct RequestPart {
    id: i64,
    status: String,
    verification: String,
    received_at: NaiveDateTime,
    due_at: NaiveDateTime,
    extension_reason: Option<String>,
    closed_at: Option<NaiveDateTime>,
    outcome: Option<String>,
    denial_reason: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = privacy_request_agents)]
struct AgentPart {
    agent_id: Option<String>,
    drp_id: Option<String>,
    agent_request_id: Option<String>,
}

/// A request an agent made, as its status needs it.
#[derive(Debug, Clone, Queryable)]
struct DrpRow {
    request: RequestPart,
    agent: AgentPart,
}

fn iso(t: NaiveDateTime) -> String {
    t.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Our denial reasons in the protocol's words.
fn protocol_reason(ours: &str) -> &'static str {
    match ours {
        "too_many_requests" => "too_many_requests",
        "unverifiable" => "insuf_verification",
        "no_data" => "no_match",
        "not_authorised" => "suspected_fraud",
        "exempt" => "claim_not_covered",
        _ => "other",
    }
}

fn status_of(both: &DrpRow, public_url: &str) -> Status {
    let row = &both.request;
    let mut status = row.status.clone();
    let mut reason = None;
    let mut details = row.outcome.clone();
    let mut verification_url = None;
    match row.status.as_str() {
        // The service answers the protocol itself: a request received is in progress.
        "open" | "in_progress" => {
            status = "in_progress".into();
            match row.verification.as_str() {
                "pending" => {
                    reason = Some("need_user_verification".to_string());
                    details = Some("We mailed the person at the address we have on file to confirm that they asked you; the request goes on once they do.".into());
                    verification_url = Some(format!(
                        "{}/privacy-requests/{}/confirm",
                        public_url.trim_end_matches('/'),
                        row.id
                    ));
                }
                "failed" => {
                    details = Some("The person did not confirm the request in time.".into());
                }
                _ => details = row.extension_reason.clone().or(details),
            }
        }
        "denied" => {
            reason = Some(protocol_reason(row.denial_reason.as_deref().unwrap_or("other")).into());
        }
        _ => {}
    }
    Status {
        request_id: both.agent.drp_id.clone().unwrap_or_default(),
        received_at: iso(row.received_at),
        expected_by: iso(row.due_at),
        agent_request_id: both.agent.agent_request_id.clone(),
        status,
        reason,
        processing_details: details,
        user_verification_url: verification_url,
        expires_at: row
            .closed_at
            .map(|_| iso(row.received_at + Duration::days(requests::RECORD_DAYS))),
    }
}

fn load_status_row(conn: &mut DbConnection, drp_id: &str) -> QueryResult<Option<DrpRow>> {
    privacy_request_agents::table
        .inner_join(privacy_requests::table)
        .filter(privacy_request_agents::drp_id.eq(drp_id))
        .select((RequestPart::as_select(), AgentPart::as_select()))
        .first::<(RequestPart, AgentPart)>(conn)
        .optional()
        .map(|found| found.map(|(request, agent)| DrpRow { request, agent }))
}

/// The protocol's rights, as our kinds.
fn kind_for(exercise: &str) -> Option<Kind> {
    match exercise {
        "sale:opt_out" | "sale:opt-out" => Some(Kind::OptOut),
        "deletion" => Some(Kind::Delete),
        "access" | "access:specific" => Some(Kind::Access),
        "access:categories" => Some(Kind::Know),
        _ => None,
    }
}

fn new_drp_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = crate::keys::hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Exercises a right: the signed message is checked, the person's claims become the data
/// points matched against the record, and the request is made (see [`requests::submit`]).
pub fn exercise(
    conn: &mut DbConnection,
    keys: &Keys,
    agent: &AgentRow,
    body: &[u8],
    business_id: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> Result<Status, DrpError> {
    let opened = open(&agent.verify_key, body)?;
    let message = &opened.claims;
    check_envelope(message, &agent.id, business_id, now)?;
    let claim = |name: &str| {
        message
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let exercise = claim("exercise").unwrap_or_default();
    let Some(kind) = kind_for(&exercise) else {
        return Err(DrpError::bad(format!(
            "Unsupported rights action {exercise:?}: this business accepts sale:opt_out, deletion, access, access:specific and access:categories."
        )));
    };
    let Some(email) = claim("email") else {
        return Err(DrpError::bad(
            "The request names no email: this business finds people by the email on file.",
        ));
    };
    let address = message.get("address").and_then(Value::as_object);
    let address_claim = |name: &str| {
        address
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let status_callback = claim("status_callback");
    if let Some(url) = &status_callback {
        let allowed = agent
            .callback_base
            .as_deref()
            .is_some_and(|base| under_base(url, base));
        if !allowed || url.len() > 500 {
            return Err(DrpError::bad(
                "status_callback is not under the callback address registered for this agent.",
            ));
        }
    }
    let agent_request_id = claim("agent-request-id");
    if agent_request_id.as_deref().is_some_and(|r| r.len() > 200) {
        return Err(DrpError::bad(
            "agent-request-id is longer than 200 characters.",
        ));
    }
    let request = NewRequest {
        kind: kind.as_str().to_string(),
        email: Some(email),
        name: claim("name"),
        zip: address_claim("postal_code"),
        phone: claim("phone_number"),
        street: address_claim("street_address"),
        declaration: Some(true),
        details: None,
        corrections: None,
        agent_name: None,
        agent_email: None,
    };
    // A message is used once: the hash of its signature (the same however it is encoded) is
    // kept with the request it made.
    let message_hash = keys.keyed_hash("drp message", &opened.signature);
    let seen: i64 = privacy_request_agents::table
        .filter(privacy_request_agents::message_hash.eq(&message_hash))
        .count()
        .get_result(conn)?;
    if seen > 0 {
        return Err(DrpError::new(
            409,
            "This signed message made a request already: sign a new one for a new request.",
        ));
    }
    let drp_id = new_drp_id();
    let origin = AgentOrigin {
        agent_id: Some(agent.id.clone()),
        agent_name: agent.name.clone(),
        drp_id: Some(drp_id.clone()),
        agent_request_id,
        status_callback,
        message_hash: Some(message_hash),
        public_url: public_url.to_string(),
        ..AgentOrigin::default()
    };
    requests::submit(conn, keys, &Requester::Agent(origin), &request, now)?;
    let row = load_status_row(conn, &drp_id)?
        .ok_or_else(|| DrpError::from(AppError::internal(anyhow::anyhow!("request vanished"))))?;
    Ok(status_of(&row, public_url))
}

/// A request's status, for the agent that made it (another agent's: 403; none: 404).
pub fn status(
    conn: &mut DbConnection,
    agent: &AgentRow,
    drp_id: &str,
    public_url: &str,
) -> Result<Status, DrpError> {
    let row = load_status_row(conn, drp_id)?
        .ok_or_else(|| DrpError::new(404, "No data rights request has this id."))?;
    if row.agent.agent_id.as_deref() != Some(agent.id.as_str()) {
        return Err(DrpError::forbidden(
            "This request was made by another agent.",
        ));
    }
    Ok(status_of(&row, public_url))
}

/// Revokes a request still open or in progress, with the reason the signed message gives.
pub fn revoke(
    conn: &mut DbConnection,
    agent: &AgentRow,
    drp_id: &str,
    body: &[u8],
    business_id: &str,
    public_url: &str,
    now: NaiveDateTime,
) -> Result<Status, DrpError> {
    let opened = open(&agent.verify_key, body)?;
    let message = &opened.claims;
    // Checked like every signed message (who, for whom, when), and, when it names the request,
    // only for that one.
    check_envelope(message, &agent.id, business_id, now)?;
    if message
        .get("request_id")
        .is_some_and(|r| r.as_str() != Some(drp_id))
    {
        return Err(DrpError::bad(
            "The message names another request than the one in the address.",
        ));
    }
    let reason = message
        .get("reason")
        .and_then(Value::as_str)
        .map(|r| r.trim().chars().take(500).collect::<String>())
        .filter(|r| !r.is_empty());
    let row = load_status_row(conn, drp_id)?
        .ok_or_else(|| DrpError::new(404, "No data rights request has this id."))?;
    if row.agent.agent_id.as_deref() != Some(agent.id.as_str()) {
        return Err(DrpError::forbidden(
            "This request was made by another agent.",
        ));
    }
    requests::revoke(conn, row.request.id, &agent.name, reason.as_deref(), now)?;
    let row = load_status_row(conn, drp_id)?
        .ok_or_else(|| DrpError::from(AppError::internal(anyhow::anyhow!("request vanished"))))?;
    Ok(status_of(&row, public_url))
}

// --- Status callbacks ---

/// A callback to post: the request's id (ours), the address and the status now.
#[derive(Debug, Clone)]
pub struct Callback {
    pub request_id: i64,
    pub url: String,
    pub status: Status,
    /// Until when this server holds the post (no other server sends it meanwhile); a change
    /// of the request meanwhile sets a new due time, which the post's outcome leaves alone.
    pub lease: NaiveDateTime,
}

/// How long a server holds a callback it posts.
const CALLBACK_LEASE_SECONDS: i64 = 120;

/// The callbacks due now, at most `limit`, each claimed by this server for a while.
pub fn due_callbacks(
    conn: &mut DbConnection,
    public_url: &str,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Callback>> {
    type Due = (String, NaiveDateTime, RequestPart, AgentPart);
    let rows: Vec<Due> = privacy_request_agents::table
        .inner_join(privacy_requests::table)
        .filter(privacy_request_agents::callback_due_at.le(now))
        .filter(privacy_request_agents::status_callback.is_not_null())
        .order(privacy_request_agents::callback_due_at.asc())
        .limit(limit)
        .select((
            privacy_request_agents::status_callback.assume_not_null(),
            privacy_request_agents::callback_due_at.assume_not_null(),
            RequestPart::as_select(),
            AgentPart::as_select(),
        ))
        .load(conn)?;
    let lease = now + Duration::seconds(CALLBACK_LEASE_SECONDS);
    let mut claimed = Vec::with_capacity(rows.len());
    for (url, due, request, agent) in rows {
        // Only the server whose update finds the due time it read sends it.
        let won = diesel::update(
            privacy_request_agents::table
                .find(request.id)
                .filter(privacy_request_agents::callback_due_at.eq(due)),
        )
        .set(privacy_request_agents::callback_due_at.eq(lease))
        .execute(conn)?;
        if won == 1 {
            let row = DrpRow { request, agent };
            claimed.push(Callback {
                request_id: row.request.id,
                status: status_of(&row, public_url),
                url,
                lease,
            });
        }
    }
    Ok(claimed)
}

/// Records how a callback went: delivered (nothing more is due), or failed (tried again later,
/// waiting twice as long each time, [`CALLBACK_TRIES`] times in all).
pub fn callback_done(
    conn: &mut DbConnection,
    request_id: i64,
    lease: NaiveDateTime,
    delivered: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let attempts: i32 = privacy_request_agents::table
        .find(request_id)
        .select(privacy_request_agents::callback_attempts)
        .first(conn)?;
    let attempts = attempts + 1;
    let next = (!delivered && attempts < CALLBACK_TRIES).then(|| {
        now + Duration::seconds(CALLBACK_FIRST_WAIT_SECONDS << (attempts - 1).clamp(0, 10))
    });
    // A change while it was posted set a new due time (and its tries afresh): that one stays.
    diesel::update(
        privacy_request_agents::table
            .find(request_id)
            .filter(privacy_request_agents::callback_due_at.eq(lease)),
    )
    .set((
        privacy_request_agents::callback_due_at.eq(next),
        privacy_request_agents::callback_attempts.eq(attempts),
    ))
    .execute(conn)
    .map(|_| ())
}

/// Posts one callback (blocking, 10 seconds at most): whether the agent answered 2xx.
pub fn post_callback(callback: &Callback) -> bool {
    let agent = ureq::AgentBuilder::new()
        .timeout(std::time::Duration::from_secs(10))
        .redirects(0)
        .build();
    match agent.post(&callback.url).send_json(&callback.status) {
        Ok(response) => (200..300).contains(&response.status()),
        Err(e) => {
            tracing::info!(request = callback.request_id, error = %e, "DRP status callback failed");
            false
        }
    }
}
