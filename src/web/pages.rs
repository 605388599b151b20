//! Page handlers: home, sign-up, verification, sign-in and out, password reset, role pages.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::session::{
    self, Csrf, check_csrf, cleared_cookies, csrf, page_user, safe_next, token_cookies,
};
use super::{PageError, html};
use crate::auth::model::{Password, Role};
use crate::auth::service;
use crate::error::{AppError, FieldError};
use crate::http::client_address;
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/", home)
        .get("/static/style.css", stylesheet)
        .get("/static/report.js", report_script)
        .get("/static/conditions.js", conditions_script)
        .get("/signup", signup_form)
        .post("/signup", signup)
        .get("/verify", verify)
        .get("/signin", signin_form)
        .post("/signin", signin)
        .get("/session/renew", renew)
        .post("/session/signout", signout)
        .get("/password/forgot", forgot_form)
        .post("/password/forgot", forgot)
        .get("/password/reset", reset_form)
        .post("/password/reset", reset)
        .get("/problems/{code}", problem)
        .get("/privacy-notice", privacy_notice)
        .get("/dashboard", dashboard)
        .get("/shopper", shopper_page)
        .get("/staff", staff_page)
        .get("/client", client_page)
        .get("/admin", admin_page);
}

use super::PageResult;

/// Adds the CSRF cookie to a rendered form page when the browser had none.
pub(super) fn with_csrf(mut response: HttpResponse, csrf: Csrf) -> HttpResponse {
    if let Some(cookie) = csrf.new_cookie {
        let _ = response.add_cookie(&cookie);
    }
    response
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage;

async fn home() -> PageResult {
    html(StatusCode::OK, &HomePage)
}

/// One row of the privacy notice: a piece of personal data, from the data inventory.
struct NoticeRow {
    what: String,
    category: String,
    purpose: &'static str,
    retention: &'static str,
}

#[derive(Template)]
#[template(path = "privacy_notice.html")]
struct PrivacyNoticePage {
    version: &'static str,
    /// Versions published after the first, newest first (at most 20).
    versions: Vec<crate::privacy::versions::VersionView>,
    /// What we collect, by category, with sources, purposes and retention.
    collected: Vec<crate::privacy::notice::Collected>,
    /// Who received data in the last 12 months, by kind of recipient.
    disclosed: Vec<crate::privacy::notice::Disclosed>,
    inactive_days: u32,
    media_days: u32,
    access_days: u32,
    rows: Vec<NoticeRow>,
}

/// The privacy notice, generated: what we collect by category (sources, purposes), who
/// received data in the last 12 months by kind of recipient, retention per category, each right
/// with its button or form; then every piece of personal data the inventory holds.
async fn privacy_notice(state: web::Data<AppState>) -> PageResult {
    use crate::privacy::inventory::{Category, Classification, FILES, INVENTORY};
    let label = |c: Category| format!("{}: {}", c.letter(), c.words());
    let rows = INVENTORY
        .iter()
        .filter_map(|e| match e.classification {
            Classification::Personal {
                category,
                purpose,
                retention,
            } => Some(NoticeRow {
                what: format!(
                    "{} {}",
                    e.table.replace('_', " "),
                    e.column.replace('_', " ")
                ),
                category: label(category).to_string(),
                purpose,
                retention,
            }),
            Classification::NotPersonal => None,
        })
        .chain(FILES.iter().map(|f| NoticeRow {
            what: f.place.to_string(),
            category: label(f.category),
            purpose: f.purpose,
            retention: f.retention,
        }))
        .collect();
    let now = state.clock.naive();
    let (disclosed, versions) = state
        .db
        .run(move |conn| {
            let versions = crate::privacy::versions::list(
                conn,
                crate::paging::PageRequest::parse(Some(1), Some(20))?,
            )?;
            Ok((
                crate::privacy::notice::disclosed(conn, now)?,
                versions.items,
            ))
        })
        .await?;
    let days = state.settings.retention;
    html(
        StatusCode::OK,
        &PrivacyNoticePage {
            version: crate::privacy::consent::NOTICE_VERSION,
            versions,
            collected: crate::privacy::notice::collected(),
            disclosed,
            inactive_days: days.inactive_shopper,
            media_days: days.media,
            access_days: days.access_log,
            rows,
        },
    )
}

/// The report page's script: uploads with a progress bar that go on after a lost connection.
async fn report_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../web/static/report.js"))
}

/// The report page's conditions: questions shown and hidden as the shopper answers.
async fn conditions_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../web/static/conditions.js"))
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../web/static/style.css"))
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    heading: &'a str,
    text: &'a str,
    link: Option<(&'a str, &'a str)>,
}

pub(super) fn message(
    status: StatusCode,
    heading: &str,
    text: &str,
    link: Option<(&str, &str)>,
) -> PageResult {
    html(
        status,
        &MessagePage {
            heading,
            text,
            link,
        },
    )
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    csrf: String,
    email: String,
    errors: Vec<FieldError>,
    /// A refusal that is no field's fault (too many sign-ups from this network).
    problem: Option<String>,
}

async fn signup_form(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let csrf = csrf(&req, &state);
    let page = html(
        StatusCode::OK,
        &SignUpPage {
            csrf: csrf.token.clone(),
            email: String::new(),
            errors: vec![],
            problem: None,
        },
    )?;
    Ok(with_csrf(page, csrf))
}

#[derive(Deserialize)]
struct SignUpForm {
    email: String,
    password: String,
    csrf_token: String,
}

async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignUpForm>,
) -> PageResult {
    let form = form.into_inner();
    check_csrf(&req, &state, &form.csrf_token)?;
    let address = client_address(&req, state.settings.trust_proxy);
    match service::sign_up(
        &state.db,
        &state.auth,
        &form.email,
        &form.password,
        &address,
    )
    .await
    {
        Ok(_) => {}
        Err(e) if e.status.is_client_error() => {
            let token = csrf(&req, &state).token;
            let problem = e.fields.is_empty().then(|| e.detail.clone());
            let mut response = html(
                e.status,
                &SignUpPage {
                    csrf: token,
                    email: form.email,
                    errors: e.fields.clone(),
                    problem,
                },
            )?;
            with_retry_after(&mut response, &e);
            return Ok(response);
        }
        Err(e) => return Err(e.into()),
    }
    state.mail.wake();
    message(
        StatusCode::OK,
        "Check your mail",
        "We mailed a confirmation link to the address you gave. Follow it to finish signing up; it works once, for 24 hours. Nothing arrived after a few minutes? Look in the spam folder, or ask for a new link.",
        Some(("/verify/resend", "Mail me a new link")),
    )
}

#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The mailed link lands here and confirms the address, as `POST /api/v1/auth/verify` does.
async fn verify(state: web::Data<AppState>, query: web::Query<TokenQuery>) -> PageResult {
    let Some(token) = query.into_inner().token.filter(|t| !t.is_empty()) else {
        return message(
            StatusCode::BAD_REQUEST,
            "Link incomplete",
            "This link has no token. Open the link from the mail as it is.",
            None,
        );
    };
    let auth = state.auth.clone();
    match state
        .db
        .run(move |conn| service::verify_email(conn, &auth, &token))
        .await
    {
        Ok(()) => message(
            StatusCode::OK,
            "Address confirmed",
            "Thank you. You can sign in now.",
            Some(("/signin", "Sign in")),
        ),
        Err(e) if e.status.is_client_error() => message(
            e.status,
            "This link does not work",
            &format!(
                "{} If your address is not confirmed yet, ask for a new link.",
                e.detail
            ),
            Some(("/verify/resend", "Mail me a new link")),
        ),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SignInPage {
    csrf: String,
    email: String,
    next: String,
    error: Option<String>,
    /// The confirmation of what was done just before (a changed password).
    notice: Option<String>,
    /// The account waits for its address to be confirmed: offer a new link.
    unconfirmed: bool,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn signin_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> PageResult {
    if page_user(&req, &state).await.is_ok() {
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, safe_next(query.next.as_deref())))
            .finish());
    }
    let csrf = csrf(&req, &state);
    let page = SignInPage {
        csrf: csrf.token.clone(),
        email: String::new(),
        next: safe_next(query.next.as_deref()),
        error: None,
        notice: super::form::notice(&req),
        unconfirmed: false,
    };
    Ok(super::form::shown(
        &req,
        with_csrf(html(StatusCode::OK, &page)?, csrf),
    ))
}

#[derive(Deserialize)]
struct SignInForm {
    email: String,
    password: String,
    csrf_token: String,
    next: Option<String>,
}

async fn signin(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<SignInForm>,
) -> PageResult {
    let form = form.into_inner();
    check_csrf(&req, &state, &form.csrf_token)?;
    let address = client_address(&req, state.settings.trust_proxy);
    let device = req
        .cookie(session::DEVICE_COOKIE)
        .map(|c| c.value().to_string());
    let outcome = service::login(
        &state.db,
        &state.auth,
        &form.email,
        Password::new(form.password),
        &address,
        device.as_deref(),
    )
    .await;
    match outcome {
        Ok((_, pair)) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, safe_next(form.next.as_deref())))
                .finish();
            for c in token_cookies(&state, &pair) {
                let _ = response.add_cookie(&c);
            }
            if let Some(c) = session::device_cookie(&state, &pair) {
                let _ = response.add_cookie(&c);
            }
            Ok(response)
        }
        Err(e) if e.status.is_client_error() => {
            let mut response = html(
                e.status,
                &SignInPage {
                    csrf: csrf(&req, &state).token,
                    email: form.email,
                    next: safe_next(form.next.as_deref()),
                    error: Some(sign_in_problem(&e)),
                    notice: None,
                    unconfirmed: e.code == "email_not_verified",
                },
            )?;
            with_retry_after(&mut response, &e);
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

/// The `Retry-After` of a 429 on the page that shows it.
pub(super) fn with_retry_after(response: &mut HttpResponse, e: &AppError) {
    if let Some(secs) = e.retry_after_secs
        && let Ok(v) = header::HeaderValue::from_str(&secs.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
}

fn sign_in_problem(e: &AppError) -> String {
    if e.fields.is_empty() {
        e.detail.clone()
    } else {
        e.fields
            .iter()
            .map(|f| format!("{} {}", crate::text::capitalise(&f.field), f.message))
            .collect::<Vec<_>>()
            .join(". ")
    }
}

/// Trades the refresh cookie for fresh tokens and returns to the page asked for.
async fn renew(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<NextQuery>,
) -> PageResult {
    let next = safe_next(query.next.as_deref());
    let token = req
        .cookie(session::REFRESH_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| !v.is_empty());
    let auth = state.auth.clone();
    let renewed = match token {
        Some(t) => state
            .db
            .run(move |conn| service::refresh(conn, &auth, &t))
            .await
            .ok(),
        None => None,
    };
    let mut response = match &renewed {
        Some(_) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, next))
            .finish(),
        None => {
            let encoded: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/signin?next={encoded}")))
                .finish()
        }
    };
    // On failure the cookies stay: a link followed from another site arrives without them
    // (SameSite=Strict), and another tab may just have renewed them.
    if let Some((_, pair)) = &renewed {
        for c in token_cookies(&state, pair) {
            let _ = response.add_cookie(&c);
        }
    }
    Ok(response)
}

#[derive(Deserialize)]
struct CsrfOnly {
    csrf_token: String,
}

async fn signout(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CsrfOnly>,
) -> PageResult {
    let now = state.clock.naive();
    check_csrf(&req, &state, &form.csrf_token)?;
    let access = req
        .cookie(session::ACCESS_COOKIE)
        .map(|c| c.value().to_string());
    let refresh = req
        .cookie(session::REFRESH_COOKIE)
        .map(|c| c.value().to_string());
    let auth = state.auth.clone();
    state
        .db
        .run(move |conn| {
            if let Some(user) = access.and_then(|t| service::authenticate(conn, &auth, &t).ok()) {
                service::logout(conn, &user, now)?;
            }
            if let Some(t) = refresh {
                service::logout_by_refresh_token(conn, &t, now)?;
            }
            Ok(())
        })
        .await?;
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/"))
        .finish();
    for c in cleared_cookies(&state) {
        let _ = response.add_cookie(&c);
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "forgot.html")]
struct ForgotPage {
    csrf: String,
    email: String,
    error: Option<String>,
}

async fn forgot_form(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let csrf = csrf(&req, &state);
    let page = ForgotPage {
        csrf: csrf.token.clone(),
        email: String::new(),
        error: None,
    };
    Ok(with_csrf(html(StatusCode::OK, &page)?, csrf))
}

#[derive(Deserialize)]
struct ForgotForm {
    email: String,
    csrf_token: String,
}

async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ForgotForm>,
) -> PageResult {
    let form = form.into_inner();
    check_csrf(&req, &state, &form.csrf_token)?;
    let auth = state.auth.clone();
    let email = form.email.clone();
    let address = client_address(&req, state.settings.trust_proxy);
    match state
        .db
        .run(move |conn| service::request_password_reset(conn, &auth, &email, &address))
        .await
    {
        Ok(()) => {
            state.mail.wake();
            message(
                StatusCode::OK,
                "Check your mail",
                "If this address has an account, we mailed it a link to set a new password. The link works once, for one hour.",
                None,
            )
        }
        Err(e) if e.status.is_client_error() => {
            let mut response = html(
                e.status,
                &ForgotPage {
                    csrf: csrf(&req, &state).token,
                    email: form.email,
                    error: Some(sign_in_problem(&e)),
                },
            )?;
            with_retry_after(&mut response, &e);
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    csrf: String,
    token: String,
    error: Option<String>,
}

async fn reset_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TokenQuery>,
) -> PageResult {
    let csrf = csrf(&req, &state);
    let token = query.into_inner().token.unwrap_or_default();
    let page = ResetPage {
        csrf: csrf.token.clone(),
        token,
        error: None,
    };
    Ok(with_csrf(html(StatusCode::OK, &page)?, csrf))
}

#[derive(Deserialize)]
struct ResetForm {
    token: String,
    password: String,
    csrf_token: String,
}

async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ResetForm>,
) -> PageResult {
    let form = form.into_inner();
    check_csrf(&req, &state, &form.csrf_token)?;
    match service::confirm_password_reset(
        &state.db,
        &state.auth,
        &form.token,
        Password::new(form.password),
    )
    .await
    {
        Ok(()) => message(
            StatusCode::OK,
            "Password changed",
            "Your new password is saved and every device was signed out. Sign in with the new password.",
            Some(("/signin", "Sign in")),
        ),
        Err(e) if e.status.is_client_error() => html(
            e.status,
            &ResetPage {
                csrf: csrf(&req, &state).token,
                token: form.token,
                error: Some(sign_in_problem(&e)),
            },
        ),
        Err(e) => Err(e.into()),
    }
}

/// Explains a problem code of the API (the `type` of a problem document points here).
async fn problem(path: web::Path<String>) -> PageResult {
    let code = path.into_inner();
    let Some((_, text)) = crate::error::PROBLEM_CODES.iter().find(|(c, _)| *c == code) else {
        return Err(PageError::shown(
            StatusCode::NOT_FOUND,
            "Unknown problem",
            "There is no problem type with this code.",
        ));
    };
    message(StatusCode::OK, &code, text, None)
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    csrf: String,
    email: String,
    role: Role,
    role_label: &'static str,
}

fn role_path(role: Role) -> &'static str {
    match role {
        Role::Shopper => "/shopper",
        Role::Scheduler | Role::Qa => "/staff",
        Role::ClientReviewer => "/client",
        Role::PrivacyOfficer => "/privacy",
        Role::Admin => "/admin",
    }
}

async fn dashboard(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let user = page_user(&req, &state).await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, role_path(user.role)))
        .finish())
}

async fn role_page(req: HttpRequest, state: web::Data<AppState>, allowed: &[Role]) -> PageResult {
    let user = session::page_user_in(&req, &state, allowed).await?;
    let csrf = csrf(&req, &state);
    let page = DashboardPage {
        csrf: csrf.token.clone(),
        email: user.email,
        role: user.role,
        role_label: user.role.label(),
    };
    Ok(with_csrf(html(StatusCode::OK, &page)?, csrf))
}

async fn shopper_page(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    role_page(req, state, &[Role::Shopper]).await
}

async fn staff_page(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    role_page(req, state, &[Role::Scheduler, Role::Qa, Role::Admin]).await
}

async fn client_page(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    role_page(req, state, &[Role::ClientReviewer]).await
}

async fn admin_page(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    role_page(req, state, &[Role::Admin]).await
}
