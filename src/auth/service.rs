//! The account flows: registration, verification, sign-in, refresh, sign-out, password reset and
//! change, and staff accounts. Each takes a connection and decides; handlers only parse and map.

use crate::ids::{ClientId, UserId};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::OptionalExtension;
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;
use url::Url;

use super::model::{Email, NewUser, Password, Role, StaffAccount, StaffPage, User};
use super::password;
use super::store;
use super::throttle;
use super::tokens::{RESET_LINK_TTL, TokenKind, TokenService, VERIFY_LINK_TTL};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{DbConnection, DbPool, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::keys::{Keys, hex, random_token};
use crate::mail::{Outgoing, store as outbox};

/// Reset mails an account may receive per hour, so the form cannot be used to flood a mailbox.
const RESET_MAILS_PER_HOUR: i64 = 3;
/// A rotated refresh token presented again within this time is refused without ending the
/// session (concurrent renewals); after it, the family is revoked as a replay.
const REFRESH_GRACE: TimeDelta = TimeDelta::seconds(2);
/// "Someone tried to sign up with your address" notices an account may receive per hour.
const NOTICES_PER_HOUR: i64 = 3;

/// Most confirmation links one account is sent in an hour (at sign-up and asked again).
const VERIFY_MAILS_PER_HOUR: i64 = 3;

/// Staff accounts listed on one page.
pub const STAFF_PAGE_SIZE: i64 = 50;

/// Everything the flows need besides a connection. Cheap to clone into blocking tasks.
#[derive(Clone)]
pub struct Auth {
    pub tokens: TokenService,
    /// Shared, not copied: cloning `Auth` (once or more per request) copies no key material.
    pub keys: Arc<Keys>,
    pub public_url: Url,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub limits: Limits,
    /// The service's clock (see `clock`): token times and session expiry read it.
    pub clock: Clock,
    /// argon2 takes ~20 MiB and tens of milliseconds: at most this many run at once, and never
    /// while holding a database connection.
    hashing: Arc<Semaphore>,
    /// Sessions this server has seen, followed through the change log (see `sessions`).
    pub sessions: Arc<super::sessions::Sessions>,
}

impl Auth {
    pub fn new(settings: &Settings, keys: Keys, clock: Clock) -> Self {
        let keys = Arc::new(keys);
        Self {
            tokens: TokenService::new(
                keys.clone(),
                settings.token_issuer(),
                clock.clone(),
                settings.access_token_ttl,
            ),
            clock,
            keys,
            public_url: settings.public_url.clone(),
            access_ttl: settings.access_token_ttl,
            refresh_ttl: settings.refresh_token_ttl,
            limits: Limits {
                failures_per_client: settings.login_max_failures_per_account,
                unknown_failures_per_account: settings.login_max_unknown_failures_per_account,
                failures_per_address: settings.login_max_failures_per_address,
                failure_window: settings.login_failure_window,
                requests_per_address_per_hour: settings.requests_per_address_per_hour,
                mails_per_recipient_per_day: settings.mails_per_recipient_per_day,
            },
            hashing: Arc::new(Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            sessions: Arc::default(),
        }
    }

    /// Hashes a new password on the blocking pool.
    pub async fn hash_password(&self, password: Password) -> AppResult<String> {
        let _permit = self.hashing.acquire().await.map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || password::hash(&password))
            .await?
            .map_err(AppError::internal)
    }

    /// Checks a password against a stored hash (or spends the same time when there is none).
    pub async fn verify_password(
        &self,
        password: Password,
        stored: Option<String>,
    ) -> AppResult<bool> {
        let _permit = self.hashing.acquire().await.map_err(AppError::internal)?;
        Ok(tokio::task::spawn_blocking(move || match stored {
            Some(hash) => password::verify(&password, &hash),
            None => {
                password::verify_nothing(&password);
                false
            }
        })
        .await?)
    }

    fn link(&self, path: &str, token: &str) -> String {
        let mut url = self
            .public_url
            .join(path)
            .unwrap_or_else(|_| self.public_url.clone());
        url.query_pairs_mut().append_pair("token", token);
        url.to_string()
    }
}

/// The throttling limits (see `throttle` and the settings of the same names).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Failed sign-ins to one account from one client: a device token, or else one address.
    pub failures_per_client: u32,
    /// Failed sign-ins to one account from every client it does not know.
    pub unknown_failures_per_account: u32,
    /// Failed sign-ins from one address (clients without a device token), over all accounts.
    pub failures_per_address: u32,
    pub failure_window: Duration,
    pub requests_per_address_per_hour: u32,
    pub mails_per_recipient_per_day: u32,
}

/// The signed-in person making a request, as the database says now (role, not disabled).
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    pub session_id: i64,
    /// The client a client reviewer is bound to; None for every other role.
    pub client_id: Option<ClientId>,
    /// The live index's version in the database when the request was authenticated: answers
    /// from the index must be at least this fresh. None where unknown.
    pub index_version: Option<i64>,
}

impl CurrentUser {
    /// 403 unless the user has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> AppResult<()> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::forbidden(
                "forbidden",
                "Your role does not allow this.",
            ))
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Given at sign-in only: keep it and send it with the next sign-in, so that strangers'
    /// failed guesses never lock this client out of the account (valid a year).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<String>,
}

fn naive(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

fn after(t: DateTime<Utc>, d: Duration) -> NaiveDateTime {
    naive(t) + TimeDelta::from_std(d).unwrap_or(TimeDelta::days(365))
}

pub fn hash_refresh_token(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Parses an email and a new password, naming every bad field.
pub fn parse_credentials(
    email: &str,
    password: &str,
    password_field: &str,
) -> AppResult<(Email, Password)> {
    let mut errors = Vec::new();
    let email = match Email::parse(email) {
        Ok(e) => Some(e),
        Err(m) => {
            errors.push(FieldError::new("email", m));
            None
        }
    };
    let password = Password::new(password);
    if let Err(e) = password.check_strength(password_field, email.as_ref()) {
        errors.push(e);
    }
    match email {
        Some(email) if errors.is_empty() => Ok((email, password)),
        _ => Err(AppError::validation(errors)),
    }
}

/// Signs up from the form or the API: checks the fields, counts the request against the
/// client address's hourly limit (before the costly hashing), then registers. Returns the
/// address as written down.
pub async fn sign_up(
    db: &DbPool,
    auth: &Auth,
    email_raw: &str,
    password_raw: &str,
    client_address: &str,
) -> AppResult<Email> {
    let (email, password) = parse_credentials(email_raw, password_raw, "password")?;
    let (a, address) = (auth.clone(), client_address.to_string());
    db.run(move |conn| admit_request(conn, &a, throttle::Request::SignUp, &address))
        .await?;
    let hash = auth.hash_password(password).await?;
    let (a, e) = (auth.clone(), email.clone());
    db.run(move |conn| register(conn, &a, &e, &hash)).await?;
    Ok(email)
}

/// Registers a shopper and mails a verification link. An address already registered gets a
/// notice instead, and the answer is the same, so nobody learns who has an account.
pub fn register(conn: &mut DbConnection, auth: &Auth, email: &Email, hash: &str) -> AppResult<()> {
    let t = auth.clock.now();
    write_transaction::<_, AppError, _>(conn, |conn| {
        if let Some(user) = store::find_user_by_email(conn, email.as_str())? {
            if within_mail_caps(
                conn,
                user.id,
                "notice",
                NOTICES_PER_HOUR,
                auth.mails_per_day(),
                t,
            )? {
                let jti = random_token(18);
                store::insert_one_time_token(conn, &jti, user.id, "notice", naive(t), naive(t))?;
                outbox::enqueue(conn, &already_registered_mail(auth, email), naive(t))?;
            }
            return Ok(());
        }
        let id = store::insert_user(
            conn,
            &NewUser {
                email: email.as_str(),
                password_hash: hash,
                role: Role::Shopper,
                email_verified_at: None,
                password_changed_at: naive(t),
                created_at: naive(t),
                client_id: None,
            },
        )?;
        send_verification(conn, auth, id, email.as_str(), t)?;
        Ok(())
    })
}

fn send_verification(
    conn: &mut DbConnection,
    auth: &Auth,
    user_id: UserId,
    email: &str,
    t: DateTime<Utc>,
) -> AppResult<()> {
    let jti = random_token(18);
    store::insert_one_time_token(
        conn,
        &jti,
        user_id,
        "verify",
        naive(t),
        after(t, VERIFY_LINK_TTL),
    )?;
    let token = auth
        .tokens
        .issue(
            TokenKind::VerifyEmail,
            user_id,
            None,
            jti,
            t,
            VERIFY_LINK_TTL,
        )
        .map_err(AppError::internal)?;
    let link = auth.link("verify", &token);
    outbox::enqueue(
        conn,
        &Outgoing {
            to: email.to_string(),
            subject: "Confirm your email address for Incognito".into(),
            body: format!(
                "Hello,\n\nPlease confirm this address to finish signing up for Incognito:\n\n{link}\n\n\
                 The link works once and expires in 24 hours. If you did not sign up, ignore this \
                 message: an account is not used until its address is confirmed.\n\n— Incognito\n"
            ),
        },
        naive(t),
    )?;
    Ok(())
}

fn already_registered_mail(auth: &Auth, email: &Email) -> Outgoing {
    let signin = auth
        .public_url
        .join("signin")
        .map(|u| u.to_string())
        .unwrap_or_default();
    let reset = auth
        .public_url
        .join("password/forgot")
        .map(|u| u.to_string())
        .unwrap_or_default();
    Outgoing {
        to: email.as_str().to_string(),
        subject: "Someone tried to sign up with your address".into(),
        body: format!(
            "Hello,\n\nSomeone (perhaps you) tried to create an Incognito account with this address, \
             but it already has one. Sign in at {signin}, or set a new password at {reset}.\n\n\
             If it was not you, nothing has changed and you need not do anything.\n\n— Incognito\n"
        ),
    }
}

/// Confirms an email address with a mailed link; the link works once.
pub fn verify_email(conn: &mut DbConnection, auth: &Auth, token: &str) -> AppResult<()> {
    let claims = auth.tokens.verify(token, TokenKind::VerifyEmail)?;
    let user_id = claims.user_id().unwrap_or(UserId(0));
    let t = auth.clock.naive();
    write_transaction::<_, AppError, _>(conn, |conn| {
        if !store::use_one_time_token(conn, &claims.jti, user_id, "verify", t)? {
            return Err(AppError::bad_request(
                "invalid_link",
                "This link was already used or has expired. Sign in, or ask for a new link.",
            ));
        }
        store::mark_email_verified(conn, user_id, t)?;
        Ok(())
    })
}

fn invalid_credentials() -> AppError {
    AppError::unauthorized(
        "invalid_credentials",
        "The email or the password is not right.",
    )
}

/// Signs in: counts the attempt against throttling (see `throttle`: a valid `device_token` of
/// the account is counted on its own, so strangers cannot lock its owner out), checks the
/// password (off the database connection), the account's state, and opens a session. The
/// answer carries a new device token for the client to keep.
pub async fn login(
    db: &DbPool,
    auth: &Auth,
    email_raw: &str,
    password: Password,
    client_address: &str,
    device_token: Option<&str>,
) -> AppResult<(CurrentUser, TokenPair)> {
    let email = Email::parse(email_raw).map_err(|m| AppError::field("email", m))?;
    if password.expose().is_empty() {
        return Err(AppError::field("password", "is required"));
    }
    let t = auth.clock.now();
    let (a, e) = (auth.clone(), email.clone());
    let (address, device) = (client_address.to_string(), device_token.map(str::to_string));
    let (limits, known, attempt, user) = db
        .run(move |conn| {
            let user = store::find_user_by_email(conn, e.as_str())?;
            let device = user
                .as_ref()
                .zip(device.as_deref())
                .and_then(|(u, d)| throttle::device_subject(&a, u.id, d, t));
            let limits = throttle::sign_in_limits(&a, e.as_str(), &address, device.as_deref());
            let attempt = throttle::admit(conn, &limits, throttle::SIGN_IN_REFUSED, naive(t))?;
            Ok((limits, device.is_some(), attempt, user))
        })
        .await?;
    let matches = auth
        .verify_password(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await?;
    let user = match user {
        Some(user) if matches => user,
        Some(user) => {
            // The attempt stays counted as a failure; strangers' failures are told the owner.
            if !known {
                let a = auth.clone();
                db.run(move |conn| warn_of_failures(conn, &a, &user, t))
                    .await?;
            }
            return Err(invalid_credentials());
        }
        None => return Err(invalid_credentials()),
    };
    let a = auth.clone();
    db.run(move |conn| {
        // The right password: the attempt was no failure, and this client's count starts again.
        store::delete_attempts(conn, &attempt)?;
        if user.disabled_at.is_some() {
            return Err(AppError::forbidden(
                "account_disabled",
                "This account is disabled.",
            ));
        }
        if user.email_verified_at.is_none() {
            return Err(AppError::forbidden(
                "email_not_verified",
                "Confirm your email address first: follow the link we mailed you.",
            ));
        }
        if let Some(first) = limits.first() {
            store::clear_attempts(conn, &first.subject)?;
        }
        let (mut pair, session_id) = write_transaction::<_, AppError, _>(conn, |conn| {
            let session_id =
                store::insert_session(conn, user.id, naive(t), after(t, a.refresh_ttl))?;
            issue_pair(conn, &a, &user, session_id, t)
        })?;
        pair.device_token = Some(throttle::issue_device_token(&a, user.id, t));
        Ok((current_user(&user, session_id), pair))
    })
    .await
}

/// Mails the owner when failed sign-ins from clients the account does not know reach the
/// per-client limit within the window: at most once a day.
fn warn_of_failures(
    conn: &mut DbConnection,
    auth: &Auth,
    user: &User,
    t: DateTime<Utc>,
) -> AppResult<()> {
    let l = &auth.limits;
    let subject = throttle::unknown_clients_of(auth, &user.email);
    let failures = throttle::count(conn, &subject, l.failure_window, naive(t))?;
    if failures < i64::from(l.failures_per_client)
        || !within_mail_caps(conn, user.id, "failures", 1, 1, t)?
    {
        return Ok(());
    }
    let jti = random_token(18);
    store::insert_one_time_token(conn, &jti, user.id, "failures", naive(t), naive(t))?;
    let minutes = l.failure_window.as_secs().div_ceil(60);
    let reset = auth
        .public_url
        .join("password/forgot")
        .map(|u| u.to_string())
        .unwrap_or_default();
    outbox::enqueue(
        conn,
        &Outgoing {
            to: user.email.clone(),
            subject: "Failed sign-ins to your Incognito account".into(),
            body: format!(
                "Hello,\n\nSomeone tried to sign in to your Incognito account with a wrong password \
                 {failures} times in the last {minutes} minutes, from browsers or apps that have \
                 not signed in to it before. Your password kept them out.\n\n\
                 Browsers and apps you have signed in with before still get in as usual. A new \
                 one may have to wait up to {minutes} minutes.\n\n\
                 If it was you, nothing has changed. If it was not, you need not do anything; \
                 to be safe you can choose a new password at {reset}.\n\n— Incognito\n"
            ),
        },
        naive(t),
    )?;
    Ok(())
}

/// Whether `user` may be mailed once more for `purpose`: fewer than `per_hour` in the last
/// hour and fewer than `per_day` in the last day, so no form can flood a mailbox.
fn within_mail_caps(
    conn: &mut DbConnection,
    user: UserId,
    purpose: &str,
    per_hour: i64,
    per_day: i64,
    t: DateTime<Utc>,
) -> AppResult<bool> {
    let since = |d: TimeDelta| naive(t) - d;
    Ok(
        store::count_one_time_tokens_since(conn, user, purpose, since(TimeDelta::hours(1)))?
            < per_hour
            && store::count_one_time_tokens_since(conn, user, purpose, since(TimeDelta::days(1)))?
                < per_day,
    )
}

impl Auth {
    /// Mails of one kind an account may receive in a day (the setting).
    fn mails_per_day(&self) -> i64 {
        i64::from(self.limits.mails_per_recipient_per_day)
    }
}

/// Counts a sign-up, reset or confirmation-link request from `address` against the hourly
/// limit per client address; 429 when it is spent.
pub fn admit_request(
    conn: &mut DbConnection,
    auth: &Auth,
    kind: throttle::Request,
    address: &str,
) -> AppResult<()> {
    let limits = throttle::request_limits(auth, kind, address);
    throttle::admit(conn, &limits, kind.refusal(), auth.clock.naive()).map(|_| ())
}

fn current_user(user: &User, session_id: i64) -> CurrentUser {
    CurrentUser {
        id: user.id,
        email: user.email.clone(),
        role: user.role(),
        session_id,
        client_id: user.client_id,
        index_version: None,
    }
}

fn issue_pair(
    conn: &mut DbConnection,
    auth: &Auth,
    user: &User,
    session_id: i64,
    t: DateTime<Utc>,
) -> AppResult<(TokenPair, i64)> {
    let refresh = random_token(32);
    store::insert_refresh_token(conn, session_id, &hash_refresh_token(&refresh), naive(t))?;
    let access = auth
        .tokens
        .issue(
            TokenKind::Access,
            user.id,
            Some(session_id),
            random_token(12),
            t,
            auth.access_ttl,
        )
        .map_err(AppError::internal)?;
    Ok((
        TokenPair {
            access_token: access,
            refresh_token: refresh,
            token_type: "Bearer",
            expires_in: auth.access_ttl.as_secs(),
            device_token: None,
        },
        session_id,
    ))
}

fn invalid_refresh() -> AppError {
    AppError::unauthorized(
        "invalid_refresh_token",
        "The refresh token is not valid any more. Sign in again.",
    )
}

enum RefreshOutcome {
    Rotated(Box<(CurrentUser, TokenPair)>),
    Reused(i64),
}

/// Rotates a refresh token. Presenting one that was already rotated revokes its whole family.
pub fn refresh(
    conn: &mut DbConnection,
    auth: &Auth,
    refresh_token: &str,
) -> AppResult<(CurrentUser, TokenPair)> {
    let t = auth.clock.now();
    let outcome = write_transaction::<_, AppError, _>(conn, |conn| {
        let token = store::find_refresh_token(conn, &hash_refresh_token(refresh_token))?
            .ok_or_else(invalid_refresh)?;
        let (session, user, _) =
            store::find_session_with_user(conn, token.session_id)?.ok_or_else(invalid_refresh)?;
        if session.revoked_at.is_some()
            || session.expires_at <= naive(t)
            || user.disabled_at.is_some()
        {
            return Err(invalid_refresh());
        }
        if let Some(used_at) = token.used_at {
            // Two tabs renewing at once, or a retry after a lost answer, land here a moment
            // after the rotation: refuse without ending the session. Later, it is a replay.
            if naive(t) - used_at <= REFRESH_GRACE {
                return Err(AppError::unauthorized(
                    "refresh_token_already_used",
                    "This refresh token was just used. Use the tokens that request returned.",
                ));
            }
            return Ok(RefreshOutcome::Reused(session.id));
        }
        if !store::use_refresh_token(conn, token.id, naive(t))? {
            // Another request rotated it between our read and our write: the same race.
            return Err(AppError::unauthorized(
                "refresh_token_already_used",
                "This refresh token was just used. Use the tokens that request returned.",
            ));
        }
        store::extend_session(conn, session.id, naive(t), after(t, auth.refresh_ttl))?;
        let (pair, sid) = issue_pair(conn, auth, &user, session.id, t)?;
        Ok(RefreshOutcome::Rotated(Box::new((
            current_user(&user, sid),
            pair,
        ))))
    })?;
    match outcome {
        RefreshOutcome::Rotated(done) => Ok(*done),
        RefreshOutcome::Reused(session_id) => {
            store::revoke_session(conn, session_id, naive(t), "refresh_token_reused")?;
            // Held here at once, whatever the method of the request that ended it.
            if auth.sessions.catch_up(conn).is_err() {
                auth.sessions.distrust();
            }
            tracing::warn!(
                session_id,
                "a rotated refresh token was presented again; session revoked"
            );
            Err(AppError::unauthorized(
                "refresh_token_reused",
                "This refresh token was already used. For safety the session is closed: sign in again.",
            ))
        }
    }
}

/// Closes the session an access token belongs to; its tokens stop working at once.
pub fn logout(conn: &mut DbConnection, user: &CurrentUser, now: NaiveDateTime) -> AppResult<()> {
    store::revoke_session(conn, user.session_id, now, "logout")?;
    Ok(())
}

/// Closes the session a refresh token belongs to (sign-out when the access token has expired).
pub fn logout_by_refresh_token(
    conn: &mut DbConnection,
    refresh_token: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    if let Some(token) = store::find_refresh_token(conn, &hash_refresh_token(refresh_token))? {
        store::revoke_session(conn, token.session_id, now, "logout")?;
    }
    Ok(())
}

/// Checks an access token and its session; the role comes from the database, not the token.
pub fn authenticate(conn: &mut DbConnection, auth: &Auth, token: &str) -> AppResult<CurrentUser> {
    let claims = auth.tokens.verify(token, TokenKind::Access)?;
    let session_id = claims.sid.unwrap_or_default();
    let refused = || {
        AppError::unauthorized(
            "session_ended",
            "This session has ended (signed out, password changed, or expired). Sign in again.",
        )
    };
    let (session, user, index_version) =
        store::find_session_with_user(conn, session_id)?.ok_or_else(refused)?;
    if session.revoked_at.is_some()
        || session.expires_at <= auth.clock.naive()
        || user.disabled_at.is_some()
        || Some(user.id) != claims.user_id()
    {
        return Err(refused());
    }
    let current = CurrentUser {
        index_version,
        ..current_user(&user, session.id)
    };
    if let Some(read_at) = index_version {
        auth.sessions
            .remember(&current, session.expires_at, read_at);
    }
    Ok(current)
}

/// The signed-in user of an access token from this server's memory, without a database round
/// trip, when memory may answer (see `sessions`); None sends the request to [`authenticate`].
/// `carried` is the change-log version the client brought back from its last change. A
/// shopper's request with a privacy signal always goes to the database, which records it.
pub fn authenticate_from_memory(
    auth: &Auth,
    token: &str,
    gpc: bool,
    carried: Option<i64>,
) -> Option<CurrentUser> {
    let claims = auth.tokens.verify(token, TokenKind::Access).ok()?;
    let user = auth
        .sessions
        .admit(claims.sid?, claims.user_id()?, auth.clock.naive(), carried)?;
    (!(gpc && user.role == Role::Shopper)).then_some(user)
}

/// [`authenticate`], then the Global Privacy Control signal of a shopper's request honoured:
/// `Sec-GPC: 1` on any request records an opt-out of sharing (see
/// [`crate::privacy::consent::honour_signal`]).
pub fn authenticate_request(
    conn: &mut DbConnection,
    auth: &Auth,
    token: &str,
    gpc: bool,
) -> AppResult<CurrentUser> {
    let user = authenticate(conn, auth, token)?;
    if gpc && user.role == Role::Shopper {
        crate::privacy::consent::honour_signal(conn, user.id, auth.clock.naive())?;
    }
    Ok(user)
}

/// Mails a reset link if the address has an account; answers the same either way.
pub fn request_password_reset(
    conn: &mut DbConnection,
    auth: &Auth,
    email_raw: &str,
    client_address: &str,
) -> AppResult<()> {
    let email = Email::parse(email_raw).map_err(|m| AppError::field("email", m))?;
    let t = auth.clock.now();
    write_transaction::<_, AppError, _>(conn, |conn| {
        admit_request(conn, auth, throttle::Request::PasswordReset, client_address)?;
        let Some(user) = store::find_user_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        if user.disabled_at.is_some()
            || !within_mail_caps(
                conn,
                user.id,
                "reset",
                RESET_MAILS_PER_HOUR,
                auth.mails_per_day(),
                t,
            )?
        {
            return Ok(());
        }
        let jti = random_token(18);
        store::insert_one_time_token(
            conn,
            &jti,
            user.id,
            "reset",
            naive(t),
            after(t, RESET_LINK_TTL),
        )?;
        let token = auth
            .tokens
            .issue(
                TokenKind::ResetPassword,
                user.id,
                None,
                jti,
                t,
                RESET_LINK_TTL,
            )
            .map_err(AppError::internal)?;
        let link = auth.link("password/reset", &token);
        outbox::enqueue(
            conn,
            &Outgoing {
                to: user.email.clone(),
                subject: "Set a new password for Incognito".into(),
                body: format!(
                    "Hello,\n\nTo choose a new password for your Incognito account, open:\n\n{link}\n\n\
                     The link works once and expires in one hour. If you did not ask for this, \
                     ignore this message: your password stays as it is.\n\n— Incognito\n"
                ),
            },
            naive(t),
        )?;
        Ok(())
    })
}

/// Sets a new password from a reset link. Every session of the account is closed, and every
/// other reset link is spent.
pub async fn confirm_password_reset(
    db: &DbPool,
    auth: &Auth,
    token: &str,
    new_password: Password,
) -> AppResult<()> {
    let claims = auth.tokens.verify(token, TokenKind::ResetPassword)?;
    let user_id = claims.user_id().unwrap_or(UserId(0));
    let user = db
        .run(move |conn| Ok(store::find_user(conn, user_id).optional()?))
        .await?
        .ok_or_else(|| {
            AppError::bad_request(
                "invalid_link",
                "This link is not valid or has expired. Ask for a new one.",
            )
        })?;
    let email = Email::parse(&user.email).ok();
    new_password
        .check_strength("password", email.as_ref())
        .map_err(|e| AppError::validation(vec![e]))?;
    let hash = auth.hash_password(new_password).await?;
    let t = auth.clock.naive();
    db.run(move |conn| {
        write_transaction::<_, AppError, _>(conn, |conn| {
            if !store::use_one_time_token(conn, &claims.jti, user_id, "reset", t)? {
                return Err(AppError::bad_request(
                    "invalid_link",
                    "This link was already used or has expired. Ask for a new one.",
                ));
            }
            store::spend_all_one_time_tokens(conn, user_id, "reset", t)?;
            store::set_password(conn, user_id, &hash, t)?;
            // Following the mailed link proves the address, too.
            store::mark_email_verified(conn, user_id, t)?;
            store::revoke_all_sessions(conn, user_id, t, "password_reset")?;
            Ok(())
        })
    })
    .await
}

/// Changes the password of a signed-in user who knows the current one. Every session closes,
/// and reset links mailed before stop working.
pub async fn change_password(
    db: &DbPool,
    auth: &Auth,
    user: &CurrentUser,
    current: Password,
    new_password: Password,
) -> AppResult<()> {
    let user_id = user.id;
    let row = db
        .run(move |conn| Ok(store::find_user(conn, user_id)?))
        .await?;
    if !auth
        .verify_password(current, Some(row.password_hash.clone()))
        .await?
    {
        return Err(AppError::field("current_password", "is not right"));
    }
    let email = Email::parse(&row.email).ok();
    new_password
        .check_strength("new_password", email.as_ref())
        .map_err(|e| AppError::validation(vec![e]))?;
    let hash = auth.hash_password(new_password).await?;
    let t = auth.clock.naive();
    db.run(move |conn| {
        write_transaction::<_, AppError, _>(conn, |conn| {
            store::set_password(conn, user_id, &hash, t)?;
            store::spend_all_one_time_tokens(conn, user_id, "reset", t)?;
            store::revoke_all_sessions(conn, user_id, t, "password_changed")?;
            Ok(())
        })
    })
    .await
}

/// Sends a new confirmation link to an account still waiting for one, at most
/// `VERIFY_MAILS_PER_HOUR` an hour; nothing for an address without such an account. The
/// caller answers the same either way, so that nobody learns which addresses have accounts.
pub fn resend_verification(
    conn: &mut DbConnection,
    auth: &Auth,
    email_raw: &str,
    client_address: &str,
) -> AppResult<()> {
    let email = Email::parse(email_raw).map_err(|m| AppError::field("email", m))?;
    let t = auth.clock.now();
    write_transaction::<_, AppError, _>(conn, |conn| {
        admit_request(
            conn,
            auth,
            throttle::Request::ConfirmationLink,
            client_address,
        )?;
        let Some(user) = store::find_user_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        if user.email_verified_at.is_some()
            || user.disabled_at.is_some()
            || !within_mail_caps(
                conn,
                user.id,
                "verify",
                VERIFY_MAILS_PER_HOUR,
                auth.mails_per_day(),
                t,
            )?
        {
            return Ok(());
        }
        send_verification(conn, auth, user.id, &user.email, t)
    })
}

/// One page of the staff accounts, by email (page from 1).
pub fn staff_accounts(conn: &mut DbConnection, page: i64) -> AppResult<StaffPage> {
    if page < 1 {
        return Err(AppError::field("page", "must be 1 or more"));
    }
    let total = store::count_staff(conn)?;
    let pages = ((total + STAFF_PAGE_SIZE - 1) / STAFF_PAGE_SIZE).max(1);
    let accounts = store::list_staff(
        conn,
        (page.min(pages) - 1) * STAFF_PAGE_SIZE,
        STAFF_PAGE_SIZE,
    )?
    .into_iter()
    .map(|u| StaffAccount {
        id: u.id,
        email: u.email,
        role: u.role,
        client_id: u.client_id,
        disabled: u.disabled_at.is_some(),
        created_at: u.created_at,
    })
    .collect();
    Ok(StaffPage {
        accounts,
        page: page.min(pages),
        pages,
        total,
    })
}

/// Disables a staff account (its sessions end at once; it cannot sign in), or enables it
/// again. An admin cannot disable their own account, and shoppers leave the panel by
/// suspension on their record, not here.
pub fn set_account_disabled(
    conn: &mut DbConnection,
    admin: &CurrentUser,
    id: UserId,
    disabled: bool,
    now: NaiveDateTime,
) -> AppResult<StaffAccount> {
    write_transaction::<_, AppError, _>(conn, |conn| {
        let user = store::find_user(conn, id)
            .optional()?
            .ok_or_else(|| AppError::not_found("No account has this id."))?;
        if user.role == Role::Shopper {
            return Err(AppError::conflict(
                "shopper_account",
                "This is a shopper's account: suspend the shopper on their record instead.",
            ));
        }
        if disabled && id == admin.id {
            return Err(AppError::conflict(
                "own_account",
                "You cannot disable your own account; another admin can.",
            ));
        }
        store::set_disabled(conn, id, disabled.then_some(now))?;
        if disabled {
            store::revoke_all_sessions(conn, id, now, "disabled")?;
        }
        Ok(StaffAccount {
            id: user.id,
            email: user.email,
            role: user.role,
            client_id: user.client_id,
            disabled,
            created_at: user.created_at,
        })
    })
}

/// What is wrong with a new account's request that needs no database, every field at once;
/// the parsed address, password and role when nothing is.
pub fn check_new_account(
    request: &super::model::CreateUserRequest,
) -> Result<(Email, Password, Role), Vec<FieldError>> {
    let parsed = parse_credentials(&request.email, &request.password, "password");
    let role = Role::parse(&request.role);
    let mut fields = match &parsed {
        Err(e) => e.fields.clone(),
        Ok(_) => Vec::new(),
    };
    if role.is_none() {
        fields.push(FieldError::new(
            "role",
            "must be one of shopper, scheduler, qa, client_reviewer, privacy_officer, admin",
        ));
    }
    match (role, request.client_id) {
        (Some(Role::ClientReviewer), None) => fields.push(FieldError::new(
            "client_id",
            "is required for a client reviewer",
        )),
        (Some(r), Some(_)) if r != Role::ClientReviewer => {
            fields.push(FieldError::new("client_id", "is only for client reviewers"))
        }
        _ => {}
    }
    match (parsed, role) {
        (Ok((email, password)), Some(role)) if fields.is_empty() => Ok((email, password, role)),
        _ => Err(fields),
    }
}

/// Creates the account an admin asks for, after checking every field at once: the address,
/// the password's strength, the role, and the client of a client reviewer (which must exist).
pub async fn create_staff(
    db: &DbPool,
    auth: &Auth,
    request: super::model::CreateUserRequest,
) -> AppResult<User> {
    let client_id = request.client_id;
    let checked = check_new_account(&request);
    let client_known = match (client_id, &checked) {
        (Some(id), Ok(_)) => {
            db.run(move |conn| {
                use crate::db::schema::clients;
                use diesel::prelude::*;
                Ok(clients::table.find(id).count().get_result::<i64>(conn)? > 0)
            })
            .await?
        }
        _ => true,
    };
    let (email, password, role) = match (checked, client_known) {
        (Ok(ok), true) => ok,
        (Ok(_), false) => return Err(AppError::field("client_id", "no client has this id")),
        (Err(fields), _) => return Err(AppError::validation(fields)),
    };
    let hash = auth.hash_password(password).await?;
    let auth = auth.clone();
    db.run(move |conn| create_account(conn, &auth, &email, &hash, role, client_id))
        .await
}

/// Creates an account with a role, its address taken as verified (staff, or the first admin).
pub fn create_account(
    conn: &mut DbConnection,
    auth: &Auth,
    email: &Email,
    hash: &str,
    role: Role,
    client_id: Option<ClientId>,
) -> AppResult<User> {
    let t = auth.clock.now();
    write_transaction::<_, AppError, _>(conn, |conn| {
        if store::find_user_by_email(conn, email.as_str())?.is_some() {
            return Err(AppError::conflict(
                "email_taken",
                "An account with this email address exists already.",
            ));
        }
        let id = store::insert_user(
            conn,
            &NewUser {
                email: email.as_str(),
                password_hash: hash,
                role,
                email_verified_at: Some(naive(t)),
                password_changed_at: naive(t),
                created_at: naive(t),
                client_id,
            },
        )?;
        let signin = auth
            .public_url
            .join("signin")
            .map(|u| u.to_string())
            .unwrap_or_default();
        outbox::enqueue(
            conn,
            &Outgoing {
                to: email.as_str().to_string(),
                subject: "Your Incognito account".into(),
                body: format!(
                    "Hello,\n\nAn Incognito account ({}) was created for this address. \
                     Sign in at {signin} with the password you were given, then change it.\n\n— Incognito\n",
                    role.label()
                ),
            },
            naive(t),
        )?;
        Ok(store::find_user(conn, id)?)
    })
}

/// How long an ended session stays, so the person can see recent sign-ins (data inventory).
pub const ENDED_SESSION_RETENTION_DAYS: i64 = 30;

/// Applies the retention of the account tables: throttling records older than the window, and
/// sessions and mailed-link tokens ended more than 30 days ago.
pub fn purge_expired(conn: &mut DbConnection, auth: &Auth) -> AppResult<usize> {
    // The longest window an attempt counts in: sign-in failures, or an hour of requests.
    let window = TimeDelta::from_std(auth.limits.failure_window)
        .unwrap_or(TimeDelta::minutes(15))
        .max(TimeDelta::hours(1));
    let t = auth.clock.naive();
    let failures = store::purge_attempts_before(conn, t - window)?;
    let ended = store::purge_ended_before(conn, t - TimeDelta::days(ENDED_SESSION_RETENTION_DAYS))?;
    Ok(failures + ended)
}
