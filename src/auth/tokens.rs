//! Signed tokens: short-lived access tokens, and the single-use links mailed for email
//! verification and password reset.
//!
//! All are JWTs signed with Ed25519 (`alg` pinned to EdDSA). `exp`, `nbf`, `iss`, `aud` and `sub`
//! are required and checked; the `typ` claim and a separate audience keep a mailed link from ever
//! working as an access token.

use crate::ids::UserId;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::clock::Clock;
use crate::error::AppError;
use crate::keys::Keys;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    VerifyEmail,
    ResetPassword,
}

impl TokenKind {
    pub fn typ(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::VerifyEmail => "verify_email",
            TokenKind::ResetPassword => "reset_password",
        }
    }

    fn audience(self, issuer: &str) -> String {
        match self {
            TokenKind::Access => format!("{issuer}/api"),
            TokenKind::VerifyEmail | TokenKind::ResetPassword => format!("{issuer}/mail-link"),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
    pub typ: String,
    /// The session (refresh-token family) an access token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<i64>,
}

impl Claims {
    pub fn user_id(&self) -> Option<UserId> {
        self.sub.parse().ok()
    }
}

/// Issues and checks tokens for one deployment (one issuer, one key).
#[derive(Clone)]
pub struct TokenService {
    keys: std::sync::Arc<Keys>,
    issuer: String,
    /// Access tokens whose signature and claims were checked: a signature check costs about
    /// 50 µs, more than the rest of a job-board answer. Only the token text is remembered;
    /// time is checked again on every use, and the session behind it is read from the
    /// database or held in memory while the change log says nothing ended it (`sessions`).
    checked:
        std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<Claims>>>>,
    /// Token times are checked against the service's clock, not the library's system time.
    clock: Clock,
    /// How long the service issues access tokens for: a token claiming a longer life is not
    /// one it issued.
    access_ttl: std::time::Duration,
}

/// Checked access tokens remembered at most (then the memory starts again).
const CHECKED_TOKENS: usize = 10_000;

/// Seconds of clock difference allowed on `iat`, `nbf` and `exp`.
const LEEWAY: i64 = 5;

/// How long a confirmation link works.
pub const VERIFY_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(24 * 3600);
/// How long a password-reset link works.
pub const RESET_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

impl TokenService {
    pub fn new(
        keys: std::sync::Arc<Keys>,
        issuer: String,
        clock: Clock,
        access_ttl: std::time::Duration,
    ) -> Self {
        Self {
            keys,
            issuer,
            checked: Default::default(),
            clock,
            access_ttl,
        }
    }

    /// The longest life this service gives a token of `kind`, in seconds.
    fn lifetime(&self, kind: TokenKind) -> i64 {
        let ttl = match kind {
            TokenKind::Access => self.access_ttl,
            TokenKind::VerifyEmail => VERIFY_LINK_TTL,
            TokenKind::ResetPassword => RESET_LINK_TTL,
        };
        i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 4)
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self, kind: TokenKind) -> String {
        kind.audience(&self.issuer)
    }

    pub fn issue(
        &self,
        kind: TokenKind,
        user_id: UserId,
        session_id: Option<i64>,
        jti: String,
        now: DateTime<Utc>,
        ttl: std::time::Duration,
    ) -> anyhow::Result<String> {
        let iat = now.timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: kind.audience(&self.issuer),
            sub: user_id.to_string(),
            iat,
            nbf: iat,
            exp: iat + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 4),
            jti,
            typ: kind.typ().to_string(),
            sid: session_id,
        };
        Ok(encode(
            &Header::new(Algorithm::EdDSA),
            &claims,
            &self.keys.encoding,
        )?)
    }

    /// Checks signature, algorithm, time, issuer, audience and type.
    pub fn verify(&self, token: &str, kind: TokenKind) -> Result<std::sync::Arc<Claims>, AppError> {
        let now = self.clock.now().timestamp();
        // Valid now, not issued in the future, and not living longer than this service
        // issues tokens of this kind for.
        let lifetime = self.lifetime(kind);
        let in_time = |c: &Claims| {
            c.nbf <= now + LEEWAY
                && c.exp >= now - LEEWAY
                && c.iat <= now + LEEWAY
                && c.exp.saturating_sub(c.iat) <= lifetime + LEEWAY
        };
        if kind != TokenKind::Access {
            let claims = self.verify_signed(token, kind)?;
            return if in_time(&claims) {
                Ok(std::sync::Arc::new(claims))
            } else {
                Err(invalid(kind))
            };
        }
        let remembered = self
            .checked
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned();
        if let Some(claims) = remembered {
            return if in_time(&claims) {
                Ok(claims)
            } else {
                Err(invalid(kind))
            };
        }
        let claims = std::sync::Arc::new(self.verify_signed(token, kind)?);
        if !in_time(&claims) {
            return Err(invalid(kind));
        }
        let mut checked = self.checked.lock().unwrap_or_else(|e| e.into_inner());
        if checked.len() >= CHECKED_TOKENS {
            checked.clear();
        }
        checked.insert(token.to_string(), claims.clone());
        Ok(claims)
    }

    fn verify_signed(&self, token: &str, kind: TokenKind) -> Result<Claims, AppError> {
        // The library ignores a header's `crit`; a token that names a critical extension must
        // be refused by a service that knows none (RFC 7515 §4.1.11).
        if names_critical_extensions(token) {
            return Err(invalid(kind));
        }
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[kind.audience(&self.issuer)]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        // Times are checked by the caller against the service's clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        let data = decode::<Claims>(token, &self.keys.decoding, &validation).map_err(|e| {
            tracing::debug!(error = %e, "token refused");
            invalid(kind)
        })?;
        if data.claims.typ != kind.typ() || data.claims.user_id().is_none() {
            return Err(invalid(kind));
        }
        if kind == TokenKind::Access && data.claims.sid.is_none() {
            return Err(invalid(kind));
        }
        Ok(data.claims)
    }
}

/// Whether the token's header has a `crit` member (or cannot be read as a JSON object).
fn names_critical_extensions(token: &str) -> bool {
    use base64::Engine;
    let Some(header) = token.split('.').next() else {
        return true;
    };
    let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header) else {
        return true;
    };
    match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(fields)) => fields.contains_key("crit"),
        _ => true,
    }
}

fn invalid(kind: TokenKind) -> AppError {
    match kind {
        TokenKind::Access => AppError::unauthorized(
            "invalid_token",
            "The access token is missing, expired or not valid. Sign in again.",
        ),
        TokenKind::VerifyEmail | TokenKind::ResetPassword => AppError::bad_request(
            "invalid_link",
            "This link is not valid or has expired. Ask for a new one.",
        ),
    }
}
