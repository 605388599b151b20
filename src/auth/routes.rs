//! JSON API of accounts and sign-in, under `/api/v1`.
//!
//! | route | who |
//! | --- | --- |
//! | `POST /auth/register`, `/auth/verify`, `/auth/verify/resend`, `/auth/login`, `/auth/refresh`, `/auth/password-reset`, `/auth/password-reset/confirm` | anyone |
//! | `POST /auth/logout`, `GET /me`, `POST /me/password` | any signed-in user, on their own account |
//! | `GET /users`, `POST /users`, `POST /users/{id}/disable`, `/enable` | admin (staff accounts; not their own to disable) |

use crate::ids::UserId;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use futures_util::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::{Password, Role};
use super::service::{self, CurrentUser, TokenPair};
use crate::error::{AppError, AppResult, Problem};
use crate::http::{ApiJson, bearer_token, client_address};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "/api/v1")
        .post("/auth/register", register)
        .post("/auth/verify", verify)
        .post("/auth/login", login)
        .post("/auth/refresh", refresh)
        .post("/auth/logout", logout)
        .post("/auth/password-reset", password_reset)
        .post("/auth/password-reset/confirm", password_reset_confirm)
        .get("/me", me)
        .post("/me/password", change_password)
        .post("/auth/verify/resend", resend_verification)
        .get("/users", list_users)
        .post("/users", create_user)
        .post("/users/{id}/disable", disable_user)
        .post("/users/{id}/enable", enable_user);
}

/// The signed-in user of an API request, from `Authorization: Bearer`. 401 without a valid one.
impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req);
        let gpc = crate::http::gpc(req);
        // The version of the client's last change (see `sessions::VERSION_HEADER`).
        let carried = req
            .headers()
            .get(super::sessions::VERSION_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v >= 0);
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no app state")))?;
            let token = token.ok_or_else(|| {
                AppError::unauthorized(
                    "missing_token",
                    "Sign in and send the access token as Authorization: Bearer.",
                )
            })?;
            if let Some(user) = service::authenticate_from_memory(&state.auth, &token, gpc, carried)
            {
                return Ok(user);
            }
            let auth = state.auth.clone();
            state
                .db
                .run(move |conn| service::authenticate_request(conn, &auth, &token, gpc))
                .await
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Your email address; a confirmation link is mailed to it.
    pub email: String,
    /// 12–256 characters, not easy to guess.
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct RegisterResponse {
    pub email: String,
    pub message: String,
}

/// Register as a shopper. The answer is the same whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "Confirmation link mailed", body = RegisterResponse),
        (status = 422, description = "A field is not valid", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many sign-ups from this client address in the last hour; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<RegisterRequest>,
) -> AppResult<HttpResponse> {
    let RegisterRequest { email, password } = body.into_inner()?;
    let address = client_address(&req, state.settings.trust_proxy);
    let email = service::sign_up(&state.db, &state.auth, &email, &password, &address).await?;
    state.mail.wake();
    Ok(HttpResponse::Created().json(RegisterResponse {
        email: email.as_str().to_string(),
        message: "We mailed a confirmation link to this address. Follow it to finish signing up."
            .into(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenRequest {
    /// The token from the mailed link.
    pub token: String,
}

#[derive(Serialize, ToSchema)]
pub struct VerifyResponse {
    pub verified: bool,
}

/// Confirm an email address with the token of the mailed link (works once).
#[utoipa::path(post, path = "/api/v1/auth/verify", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, body = VerifyResponse),
        (status = 400, description = "Link used, expired or not valid", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify(
    state: web::Data<AppState>,
    body: ApiJson<TokenRequest>,
) -> AppResult<HttpResponse> {
    let token = body.into_inner()?.token;
    let auth = state.auth.clone();
    state
        .db
        .run(move |conn| service::verify_email(conn, &auth, &token))
        .await?;
    Ok(HttpResponse::Ok().json(VerifyResponse { verified: true }))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The `device_token` of this client's last sign-in to the account, if it has one: with
    /// it, strangers' failed guesses never slow this client down.
    #[serde(default)]
    pub device_token: Option<String>,
}

/// Sign in; returns an access token (short-lived) and a refresh token (single use, rotating).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Email not confirmed, or account disabled", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<LoginRequest>,
) -> AppResult<HttpResponse> {
    let LoginRequest {
        email,
        password,
        device_token,
    } = body.into_inner()?;
    let address = client_address(&req, state.settings.trust_proxy);
    let (_, pair) = service::login(
        &state.db,
        &state.auth,
        &email,
        Password::new(password),
        &address,
        device_token.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(pair))
}

#[derive(Deserialize, ToSchema)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Trade a refresh token for a new pair. A refresh token works once; using it twice ends the session.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses(
        (status = 200, body = TokenPair),
        (status = 401, description = "Not valid, or reused (the session is then closed)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let token = body.into_inner()?.refresh_token;
    let auth = state.auth.clone();
    let (_, pair) = state
        .db
        .run(move |conn| service::refresh(conn, &auth, &token))
        .await?;
    Ok(HttpResponse::Ok().json(pair))
}

/// Sign out: the session's access and refresh tokens stop working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
    ),
    security(("bearer" = [])))]
pub async fn logout(state: web::Data<AppState>, user: CurrentUser) -> AppResult<HttpResponse> {
    let now = state.clock.naive();
    state
        .db
        .run(move |conn| service::logout(conn, &user, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    pub email: String,
}

/// Ask for a password-reset link. The answer is the same whether or not the address has an account.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "auth", request_body = ResetRequest,
    responses(
        (status = 202, description = "If the address has an account, a link was mailed"),
        (status = 429, description = "Too many requests from this client address in the last hour; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn password_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<ResetRequest>,
) -> AppResult<HttpResponse> {
    let email = body.into_inner()?.email;
    let address = client_address(&req, state.settings.trust_proxy);
    let auth = state.auth.clone();
    state
        .db
        .run(move |conn| service::request_password_reset(conn, &auth, &email, &address))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Accepted().finish())
}

/// Ask for a new confirmation link. The answer is the same whether or not the address has an
/// account waiting for confirmation; at most three links an hour go to one account.
#[utoipa::path(post, path = "/api/v1/auth/verify/resend", tag = "auth", request_body = ResetRequest,
    responses(
        (status = 202, description = "If the address has an account waiting for confirmation, a link was mailed"),
        (status = 429, description = "Too many requests from this client address in the last hour; see Retry-After", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn resend_verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: ApiJson<ResetRequest>,
) -> AppResult<HttpResponse> {
    let email = body.into_inner()?.email;
    let address = client_address(&req, state.settings.trust_proxy);
    let auth = state.auth.clone();
    state
        .db
        .run(move |conn| service::resend_verification(conn, &auth, &email, &address))
        .await?;
    state.mail.wake();
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct ResetConfirmRequest {
    pub token: String,
    pub password: String,
}

/// Set a new password with the mailed token. Every session of the account is closed.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = ResetConfirmRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "Link used, expired or not valid", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Password too weak", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn password_reset_confirm(
    state: web::Data<AppState>,
    body: ApiJson<ResetConfirmRequest>,
) -> AppResult<HttpResponse> {
    let ResetConfirmRequest { token, password } = body.into_inner()?;
    service::confirm_password_reset(&state.db, &state.auth, &token, Password::new(password))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Serialize, ToSchema)]
pub struct MeResponse {
    pub id: UserId,
    pub email: String,
    pub role: Role,
}

/// Who am I.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts",
    responses(
        (status = 200, body = MeResponse),
    ),
    security(("bearer" = [])))]
pub async fn me(user: CurrentUser) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(MeResponse {
        id: user.id,
        email: user.email,
        role: user.role,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change my password. Every session, this one included, is closed: sign in again.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Password changed; sign in again"),
    ),
    security(("bearer" = [])))]
pub async fn change_password(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<ChangePasswordRequest>,
) -> AppResult<HttpResponse> {
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = body.into_inner()?;
    service::change_password(
        &state.db,
        &state.auth,
        &user,
        Password::new(current_password),
        Password::new(new_password),
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Create a staff (or any) account. Admins only.
#[utoipa::path(post, path = "/api/v1/users", tag = "accounts", request_body = super::model::CreateUserRequest,
    responses(
        (status = 201, body = MeResponse),
        (status = 403, description = "Not an admin", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Email taken", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn create_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    body: ApiJson<super::model::CreateUserRequest>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let created = service::create_staff(&state.db, &state.auth, body.into_inner()?).await?;
    state.mail.wake();
    Ok(HttpResponse::Created().json(MeResponse {
        id: created.id,
        email: created.email.clone(),
        role: created.role(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// 1 and up; 50 accounts a page.
    pub page: Option<i64>,
}

/// The staff accounts (every role but shopper), 50 a page, by email. Admins only.
#[utoipa::path(get, path = "/api/v1/users", tag = "accounts", params(UsersQuery),
    responses((status = 200, body = super::model::StaffPage)),
    security(("bearer" = [])))]
pub async fn list_users(
    state: web::Data<AppState>,
    user: CurrentUser,
    query: web::Query<UsersQuery>,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let page = query.page.unwrap_or(1);
    let found = state
        .db
        .run(move |conn| service::staff_accounts(conn, page))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

async fn set_disabled(
    state: &AppState,
    user: CurrentUser,
    id: UserId,
    disabled: bool,
) -> AppResult<HttpResponse> {
    user.require(&[Role::Admin])?;
    let now = state.clock.naive();
    let account = state
        .db
        .run(move |conn| service::set_account_disabled(conn, &user, id, disabled, now))
        .await?;
    Ok(HttpResponse::Ok().json(account))
}

/// Disable a staff account: its sessions end at once and it cannot sign in. Admins only; not
/// their own account, and not a shopper's (shoppers are suspended on their record).
#[utoipa::path(post, path = "/api/v1/users/{id}/disable", tag = "accounts",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, body = super::model::StaffAccount),
        (status = 409, description = "Your own account, or a shopper's", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn disable_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UserId>,
) -> AppResult<HttpResponse> {
    set_disabled(&state, user, path.into_inner(), true).await
}

/// Enable a disabled staff account again. Admins only.
#[utoipa::path(post, path = "/api/v1/users/{id}/enable", tag = "accounts",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, body = super::model::StaffAccount),
        (status = 409, description = "A shopper's account", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = [])))]
pub async fn enable_user(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<UserId>,
) -> AppResult<HttpResponse> {
    set_disabled(&state, user, path.into_inner(), false).await
}
