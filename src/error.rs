//! One error type for the whole service.
//!
//! Every `AppError` has a stable machine `code` and a human `detail`. The JSON API answers it as
//! `application/problem+json` (RFC 9457); pages render it through `web::PageError`. Unknown errors
//! keep their cause for the log and answer an opaque 500.

use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub type AppResult<T> = Result<T, AppError>;

/// One bad field of a request, named the way the client sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: String,
    pub fields: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    /// The current state of the thing a refused move was asked of (409 on an assignment).
    pub state: Option<&'static str>,
    /// The cause, for the log only: never sent to the client.
    pub source: Option<anyhow::Error>,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            fields: Vec::new(),
            retry_after_secs: None,
            state: None,
            source: None,
        }
    }

    /// 409: `action` does not apply to something in state `current`; the problem carries the
    /// state, so that the caller can show it.
    pub fn illegal_transition(current: &'static str, action: &str) -> Self {
        Self {
            state: Some(current),
            ..Self::conflict(
                "illegal_transition",
                format!("The assignment is {current}: it cannot {action} now."),
            )
        }
    }

    /// 422 naming every bad field.
    pub fn validation(fields: Vec<FieldError>) -> Self {
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        let detail = format!("These fields are not valid: {}.", names.join(", "));
        Self {
            fields,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                detail,
            )
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }

    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }

    /// 429 with Retry-After: `code`, and `what` was refused, followed by how long to wait in
    /// words ("Try again in 4 minutes.").
    pub fn too_many_requests(code: &'static str, what: &str, retry_after_secs: u64) -> Self {
        let secs = retry_after_secs.max(1);
        let wait = if secs < 90 {
            format!("{secs} seconds")
        } else {
            format!("{} minutes", secs.div_ceil(60))
        };
        Self {
            retry_after_secs: Some(secs),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                code,
                format!("{what} Try again in {wait}."),
            )
        }
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", detail)
    }

    /// An unexpected failure: logged with its cause chain, answered as an opaque 500.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self {
            source: Some(cause.into()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Something went wrong on our side. It has been logged; please try again later.",
            )
        }
    }

    pub fn title(&self) -> &'static str {
        self.status.canonical_reason().unwrap_or("Error")
    }

    /// The problem document's `type`: a page on this service that explains the code.
    pub fn type_uri(&self) -> String {
        format!("/problems/{}", self.code)
    }
}

impl fmt::Debug for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)?;
        if let Some(source) = &self.source {
            write!(f, " (cause: {source:#})")?;
        }
        Ok(())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for AppError {}

/// The RFC 9457 body.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// With `illegal_transition`: the assignment's current state.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, error = ?self, "request failed");
        }
        let body = Problem {
            type_: self.type_uri(),
            title: self.title().to_string(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.to_string(),
            errors: self.fields.clone(),
            state: self.state.map(str::to_string),
        };
        let mut response = HttpResponse::build(self.status);
        response.content_type("application/problem+json");
        if let Some(secs) = self.retry_after_secs {
            response.insert_header((header::RETRY_AFTER, secs.to_string()));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"incognito\""),
            ));
        }
        response.json(body)
    }
}

/// Every problem code this service answers with, and what it means (`/problems/{code}`).
pub const PROBLEM_CODES: &[(&str, &str)] = &[
    (
        "validation_failed",
        "Some fields of the request are not valid; the errors list names each field and what is wrong.",
    ),
    ("malformed_json", "The body is not valid JSON, or is empty."),
    (
        "no_application",
        "There is no shopper application for this account yet: send it first (`PUT /api/v1/me/profile`, or the application page).",
    ),
    (
        "illegal_transition",
        "The assignment's current state (given as `state`) does not allow this move.",
    ),
    (
        "already_sent",
        "This batch was sent already; propose a new one for the jobs still open.",
    ),
    (
        "job_taken",
        "The job is held already: offered to or taken by a shopper.",
    ),
    (
        "no_questionnaire",
        "The project has no published questionnaire yet, so its reports cannot be filled in.",
    ),
    (
        "already_published",
        "A published questionnaire version never changes: send the edited document as a new version.",
    ),
    (
        "report_closed",
        "The report was handed in already, or its assignment has no report to fill in.",
    ),
    (
        "report_late",
        "The report's deadline (the job's window plus the project's grace days) has passed: staff reopen it.",
    ),
    (
        "link_spent",
        "A share's download link works once and for 7 days: this one was used or has expired.",
    ),
    ("bad_link", "The link is incomplete: its token is missing."),
    (
        "disputed_already",
        "The report was disputed once already; QA's answer to it stands.",
    ),
    (
        "dispute_late",
        "The report's dispute days have passed: it can no longer be disputed.",
    ),
    ("answered_already", "The dispute was answered already."),
    (
        "erased",
        "The person's data was deleted at their request: what is left cannot change.",
    ),
    (
        "no_account",
        "No account matched the privacy request, so there is nothing to carry it out on: deny it as no_data.",
    ),
    (
        "staff_record",
        "A staff account's data is an employment record: deny the request as exempt, or disable the account.",
    ),
    (
        "not_waiting_for_code",
        "The privacy request is not waiting for a code: it is verified, its verification failed, or it is closed.",
    ),
    (
        "code_expired",
        "The privacy request's code has expired (codes work 10 minutes): make the request again for a new one.",
    ),
    (
        "code_tries_used",
        "Three wrong codes: the privacy request cannot be verified. Make it again for a new code.",
    ),
    (
        "request_closed",
        "The privacy request is closed already (fulfilled, denied, revoked or expired).",
    ),
    (
        "version_exists",
        "A version of the privacy notice with this name is published already: choose another name.",
    ),
    (
        "agent_registered",
        "An authorised agent with this id is registered already: revoke it before registering a new key.",
    ),
    (
        "extended_already",
        "The privacy request was extended once already; the law allows one extension.",
    ),
    (
        "extension_late",
        "An extension must reach the requester before the 45th day after receipt, which has passed.",
    ),
    (
        "not_verified",
        "The privacy request is not verified yet: wait for the code, or deny it as unverifiable.",
    ),
    (
        "correction_invalid",
        "The correction cannot be made as asked (for example a ZIP code outside the state): deny it with an explanation, or ask for it again.",
    ),
    (
        "not_automated",
        "A request to correct that names no field (only words) is answered by the privacy officer: the service cannot carry it out by itself.",
    ),
    (
        "nothing_to_pay",
        "A payout run found nothing owed: every approved line is in a payout already, and pending lines wait for their reports' dispute days.",
    ),
    (
        "paid_already",
        "The payout was marked paid already; its lines are paid.",
    ),
    (
        "revision_late",
        "The report was sent back for a revision, and the revision's deadline has passed: ask QA to look at it again.",
    ),
    (
        "claimed",
        "Another reviewer opened this report and holds it for a while: it is theirs to decide.",
    ),
    (
        "same_reviewer",
        "The reviewer who rejected the report cannot decide its appeal: a different reviewer does.",
    ),
    (
        "appealed_already",
        "A shopper appeals a rejected report once; the second reviewer's decision stands.",
    ),
    (
        "changed_meanwhile",
        "The report changed while the decision was made: open it again to see where it stands.",
    ),
    (
        "not_visited",
        "The visit has not been reported yet: say that you made the visit, then hand the report in.",
    ),
    (
        "unsupported_file",
        "The file is not a kind a report takes (decided by its bytes, not its name): the detail says what to send.",
    ),
    (
        "file_too_large",
        "The file is larger than the limit (GET /api/v1/media/limits), in bytes or in pixels.",
    ),
    (
        "recording_too_long",
        "The recording is longer than the limit (GET /api/v1/media/limits), read from its container or measured.",
    ),
    (
        "too_many_files",
        "The question already has as many files as it takes: remove one before sending another.",
    ),
    (
        "tus_version",
        "A resumable upload's request names another version of the tus protocol, or none: send Tus-Resumable: 1.0.0.",
    ),
    (
        "malformed_upload",
        "A resumable upload's headers or part cannot be taken (Upload-Length, Upload-Metadata, Upload-Offset, Content-Type): the detail names which.",
    ),
    (
        "upload_offset_mismatch",
        "The part starts elsewhere than where the upload stands: ask HEAD for Upload-Offset and go on from there.",
    ),
    (
        "upload_busy",
        "Another request is sending this upload right now.",
    ),
    (
        "unreadable_file",
        "The file could not be read: it may be damaged or cut short.",
    ),
    (
        "range_not_satisfiable",
        "The byte range asked for lies outside the file; Content-Range gives its size.",
    ),
    (
        "both_clients",
        "The two organizations are both clients, each with its own stores and projects: they are not merged by the API.",
    ),
    (
        "not_available",
        "This job is not available to this shopper; the detail says why.",
    ),
    (
        "malformed_form",
        "A form with a file could not be read: send it again from the page.",
    ),
    (
        "unreadable_body",
        "The body could not be read (the connection broke off).",
    ),
    (
        "unsupported_media_type",
        "The body must be sent as application/json.",
    ),
    ("body_too_large", "The body is larger than the API accepts."),
    ("bad_path", "A part of the address is not valid."),
    ("bad_query", "The query string is not valid."),
    (
        "missing_token",
        "Sign in, and send the access token as Authorization: Bearer.",
    ),
    (
        "invalid_token",
        "The access token is expired or not valid. Sign in again.",
    ),
    (
        "session_ended",
        "The session of this access token has ended (signed out, password changed, or expired).",
    ),
    (
        "invalid_credentials",
        "The email or the password is not right.",
    ),
    (
        "email_not_verified",
        "The account's email address has not been confirmed yet: follow the mailed link.",
    ),
    ("account_disabled", "This account is disabled."),
    (
        "too_many_attempts",
        "Too many failed sign-ins to this account from here: wait the seconds given in Retry-After. A browser or app that signed in to the account before (sending its device token) is not slowed by others' failures.",
    ),
    (
        "too_many_requests",
        "Too many sign-ups, password-reset or confirmation-link requests from this network in the last hour: wait the seconds given in Retry-After.",
    ),
    (
        "method_not_allowed",
        "This address does not answer this method; the Allow header lists the ones it does.",
    ),
    (
        "invalid_refresh_token",
        "The refresh token is not valid any more. Sign in again.",
    ),
    (
        "refresh_token_already_used",
        "The refresh token was used a moment ago by another request: use the tokens that request returned.",
    ),
    (
        "refresh_token_reused",
        "A refresh token was used twice; for safety its session is closed. Sign in again.",
    ),
    (
        "invalid_link",
        "A mailed link was used already, has expired, or is not valid. Ask for a new one.",
    ),
    ("forbidden", "Your role does not allow this."),
    ("not_found", "There is nothing at this address."),
    (
        "email_taken",
        "An account with this email address exists already.",
    ),
    ("already_exists", "This exists already."),
    (
        "own_account",
        "An admin cannot disable their own account; another admin can.",
    ),
    (
        "shopper_account",
        "A shopper's account is not disabled here: staff suspend the shopper on their record.",
    ),
    (
        "not_empty",
        "The demo fills only an empty database; this one holds accounts already.",
    ),
    (
        "malformed_csv",
        "The CSV file could not be read as UTF-8 text; save it as CSV UTF-8.",
    ),
    (
        "status_unchanged",
        "The shopper's place in the panel does not allow this change (approve applies to applicants, reinstate to suspended shoppers).",
    ),
    (
        "unavailable",
        "A part the service needs is busy or unreachable; try again shortly.",
    ),
    (
        "internal_error",
        "Something failed on our side; it was logged.",
    ),
];

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::not_found("There is nothing here."),
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Self::conflict("already_exists", "This already exists.")
            }
            other => Self::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        tracing::warn!(error = %e, "no database connection available");
        Self::unavailable("The database is busy or unreachable. Please try again shortly.")
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(e)
    }
}

#[cfg(test)]
mod tests {
    use super::PROBLEM_CODES;

    /// The codes written in the source after the constructors that take one.
    fn codes_in(source: &str) -> Vec<String> {
        let mut codes = Vec::new();
        for opener in [
            "bad_request(",
            "unauthorized(",
            "forbidden(",
            "conflict(",
            "StatusCode::",
        ] {
            for (i, _) in source.match_indices(opener) {
                let rest = &source[i + opener.len()..];
                // Either a constructor taking the code first, or a status and then the code.
                let rest = if opener == "StatusCode::" {
                    let Some(comma) = rest.find(',') else {
                        continue;
                    };
                    if rest[..comma].contains(|c: char| !c.is_ascii_alphanumeric() && c != '_') {
                        continue;
                    }
                    &rest[comma + 1..]
                } else {
                    rest
                };
                let rest = rest.trim_start();
                if let Some(literal) = rest.strip_prefix('"') {
                    let code: String = literal.chars().take_while(|c| *c != '"').collect();
                    if !code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                    {
                        codes.push(code);
                    }
                }
            }
        }
        codes
    }

    fn sources(dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(std::fs::read_to_string(&path).unwrap());
            }
        }
    }

    #[test]
    fn every_problem_code_in_use_is_explained() {
        let mut files = Vec::new();
        sources(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        let used: Vec<String> = files.iter().flat_map(|f| codes_in(f)).collect();
        assert!(
            used.iter().any(|c| c == "invalid_credentials"),
            "the scan finds codes"
        );
        for code in used {
            assert!(
                PROBLEM_CODES.iter().any(|(c, _)| *c == code),
                "`{code}` is not in PROBLEM_CODES"
            );
        }
    }
}
