//! Server-rendered pages. Forms work without JavaScript; every form post carries a CSRF token.
//! The pages use the same tokens as the API, kept in `HttpOnly; SameSite=Strict` cookies.
//!
//! | page | who |
//! | --- | --- |
//! | `/unsubscribe` (a signed link from a mail) | anyone holding the link |
//! | `/`, `/signup`, `/verify`, `/verify/resend`, `/signin`, `/password/forgot`, `/password/reset`, `/problems/{code}`, `/privacy-notice` | anyone |
//! | `/account/password` | signed in (own account) |
//! | `/admin/staff…` | admin |
//! | `/dashboard` and the role pages `/shopper`, `/staff`, `/client`, `/privacy`, `/admin` | the roles each names |
//! | `/shopper/profile`, `/shopper/consents`, `/shopper/access-log` | shopper (own data) |
//! | `/shopper/jobs`, `/shopper/jobs/{id}`, `/shopper/assignments`, `/shopper/assignments.ics` | shopper (own data) |
//! | `/shopper/export` | signed in (own data) |
//! | `/staff/shoppers…`, `/staff/clients…`, `/staff/projects/{id}`, `/staff/jobs/{id}`, `/staff/batches…`, `/staff/coverage` | scheduler, admin |

mod account;
mod admin;
mod builder;
mod charts;
mod client;
mod desk;
mod disputes;
mod files;
pub mod form;
mod jobs;
mod pages;
mod pay;
mod privacy;
mod qa;
mod questionnaires;
mod report;
mod session;
mod sharing;
mod shopper;
mod staff;
mod upload;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;

pub use session::{ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE};

use crate::auth::Role;
use crate::error::AppError;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    pages::routes(cfg);
    account::routes(cfg);
    admin::routes(cfg);
    shopper::routes(cfg);
    jobs::routes(cfg);
    report::routes(cfg);
    files::routes(cfg);
    questionnaires::routes(cfg);
    builder::routes(cfg);
    qa::routes(cfg);
    client::routes(cfg);
    disputes::routes(cfg);
    pay::routes(cfg);
    crate::privacy::routes::public_routes(cfg);
    privacy::routes(cfg);
    sharing::routes(cfg);
    desk::routes(cfg);
    staff::routes(cfg);
}

/// What the layout of every staff page needs: who is signed in, the form token, the one-time
/// confirmation, and how distances and times are shown (the panel's unit and zone).
pub(crate) struct StaffFrame {
    pub email: String,
    pub csrf: String,
    pub notice: Option<String>,
    pub unit: crate::units::DistanceUnit,
    pub zone: chrono_tz::Tz,
    /// An administrator's navigation adds the staff accounts.
    pub admin: bool,
    /// QA's and an administrator's navigation add the review queue.
    pub reviewer: bool,
    /// Scheduling staff's and an administrator's navigation add the scheduling desk.
    pub scheduling: bool,
    /// The privacy officer's navigation adds the privacy requests.
    pub privacy: bool,
}

impl StaffFrame {
    /// The frame of `user`'s page; `notice` is the confirmation of the form before, if any.
    pub fn new(
        state: &AppState,
        user: &crate::auth::CurrentUser,
        csrf: String,
        notice: Option<String>,
    ) -> Self {
        Self {
            email: user.email.clone(),
            csrf,
            notice,
            admin: user.role == Role::Admin,
            reviewer: matches!(user.role, Role::Qa | Role::Admin),
            scheduling: Role::SCHEDULING.contains(&user.role),
            privacy: user.role == Role::PrivacyOfficer,
            unit: state.settings.distance_unit,
            zone: state.settings.time_zone,
        }
    }

    /// A stored (UTC) time in the panel's zone: `Dec 3, 2026, 4:05 PM EST`.
    pub fn when(&self, at: &chrono::NaiveDateTime) -> String {
        crate::zones::shown(*at, self.zone)
    }

    /// The day of a stored (UTC) time in the panel's zone.
    pub fn day(&self, at: &chrono::NaiveDateTime) -> chrono::NaiveDate {
        crate::zones::day(*at, self.zone)
    }
}

/// What a page handler answers: the page, or an error page.
pub(crate) type PageResult = Result<HttpResponse, PageError>;

/// A page that may show a refused form: 422 when it does, 200 otherwise, with its form token.
pub(crate) fn form_page(page: &impl Template, refused: bool, csrf: session::Csrf) -> PageResult {
    let status = if refused {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(pages::with_csrf(html(status, page)?, csrf))
}

/// [`form_page`] for a page that shows the confirmation of the form before: said once, then
/// forgotten.
pub(crate) fn form_page_shown(
    req: &HttpRequest,
    page: &impl Template,
    refused: bool,
    csrf: session::Csrf,
) -> PageResult {
    Ok(form::shown(req, form_page(page, refused, csrf)?))
}

/// Stored (UTC) times as one person reads them: in their zone (a shopper's is where they live).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Times {
    pub zone: chrono_tz::Tz,
}

impl Times {
    /// `Dec 3, 2026, 4:05 PM EST`.
    pub fn when(&self, at: &chrono::NaiveDateTime) -> String {
        crate::zones::shown(*at, self.zone)
    }
}

/// The zone of the shopper `id`: where they live, or the panel's before they have applied.
pub(crate) fn shopper_times(
    conn: &mut crate::db::DbConnection,
    state_locale: &crate::zones::Locale,
    id: crate::ids::ShopperId,
) -> crate::error::AppResult<Times> {
    Ok(Times {
        zone: crate::panel::store::zone_of(conn, id, state_locale)?,
    })
}

/// Who the error page is drawn for: their navigation, or sign-in links when nobody is.
#[derive(Default)]
struct NavFrame {
    email: String,
    csrf: String,
    /// An administrator's navigation adds the staff accounts.
    admin: bool,
    /// QA's and an administrator's navigation add the review queue.
    reviewer: bool,
    /// Scheduling staff's and an administrator's navigation add the scheduling desk.
    scheduling: bool,
    /// The privacy officer's navigation adds the privacy requests.
    privacy: bool,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    detail: &'a str,
    /// What to do next: (address, words).
    next: Option<(&'a str, &'a str)>,
    /// `shopper`, `staff`, `admin`, `qa`, `privacy`, `other` (another signed-in role) or empty
    /// (nobody signed in).
    kind: &'static str,
    email: String,
    csrf: String,
    f: NavFrame,
}

/// An error page's words, kept on the response so that [`signed_in_errors`] can draw the
/// page again with the navigation of the user who is signed in.
#[derive(Debug, Clone)]
struct ShownError {
    title: String,
    detail: String,
    next: Option<(&'static str, &'static str)>,
}

impl ShownError {
    fn body(&self, kind: &'static str, email: String, csrf: String) -> String {
        let page = ErrorPage {
            title: &self.title,
            detail: &self.detail,
            next: self.next,
            kind,
            email: email.clone(),
            csrf: csrf.clone(),
            f: NavFrame {
                email,
                csrf,
                admin: kind == "admin",
                reviewer: kind == "admin" || kind == "qa",
                scheduling: kind == "admin" || kind == "staff",
                privacy: kind == "privacy",
            },
        };
        page.render()
            .unwrap_or_else(|_| format!("{}\n\n{}\n", self.title, self.detail))
    }
}

/// An error on a page: a friendly page, or a redirect to sign in.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: go to `location` (sign-in, or renew the session first).
    SignIn { location: String },
    Shown {
        status: StatusCode,
        title: String,
        detail: String,
        /// A link to what to do next: (address, words).
        next: Option<(&'static str, &'static str)>,
    },
}

/// A page's title for an error, in words (not "Unprocessable Entity").
fn title_for(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "This could not be read",
        401 => "Please sign in",
        403 => "Not for your role",
        404 => "Not found",
        409 => "That cannot be done now",
        413 => "That is too large",
        422 => "Please check what you sent",
        429 => "Too many tries",
        s if s >= 500 => "Something went wrong on our side",
        _ => "That did not work",
    }
}

/// Where a problem of this code sends the user next.
fn next_for(code: &str) -> Option<(&'static str, &'static str)> {
    match code {
        "no_application" => Some(("/shopper/profile", "Fill in your application")),
        "forbidden" => Some(("/dashboard", "Go to your home page")),
        _ => None,
    }
}

impl PageError {
    pub fn not_found(_req: &HttpRequest) -> Self {
        Self::shown(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address.",
        )
    }

    pub fn bad_form(_req: &HttpRequest, problem: &str) -> Self {
        Self::shown(
            StatusCode::BAD_REQUEST,
            "This form could not be read",
            &format!("Please go back and fill it in again. ({problem})"),
        )
    }

    pub fn forbidden() -> Self {
        Self::Shown {
            status: StatusCode::FORBIDDEN,
            title: "Not for your role".into(),
            detail: "Your account does not have access to this page.".into(),
            next: next_for("forbidden"),
        }
    }

    pub fn shown(status: StatusCode, title: &str, detail: &str) -> Self {
        Self::Shown {
            status,
            title: title.to_string(),
            detail: detail.to_string(),
            next: None,
        }
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::SignIn { location } => write!(f, "sign in first ({location})"),
            Self::Shown { title, .. } => f.write_str(title),
        }
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        if e.status.is_server_error() {
            tracing::error!(error = ?e, "page failed");
        }
        let detail = if e.status.is_server_error() {
            "Please try again in a moment. If it keeps happening, tell us what you were doing."
                .to_string()
        } else if e.fields.is_empty() {
            e.detail.clone()
        } else {
            e.fields
                .iter()
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        };
        Self::Shown {
            status: e.status,
            title: title_for(e.status).to_string(),
            detail,
            next: next_for(e.code),
        }
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::SignIn { .. } => StatusCode::SEE_OTHER,
            Self::Shown { status, .. } => *status,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::SignIn { location } => HttpResponse::SeeOther()
                .insert_header((header::LOCATION, location.as_str()))
                .finish(),
            Self::Shown {
                status,
                title,
                detail,
                next,
            } => {
                let shown = ShownError {
                    title: title.clone(),
                    detail: detail.clone(),
                    next: *next,
                };
                let mut response = HttpResponse::build(*status)
                    .content_type("text/html; charset=utf-8")
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .body(shown.body("", String::new(), String::new()));
                response.extensions_mut().insert(shown);
                response
            }
        }
    }
}

/// Error pages keep the navigation of the user who is signed in (not "Sign in / Sign up"):
/// an error page drawn for a request with a valid access cookie is drawn again with it.
pub async fn signed_in_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let Some(shown) = res.response().extensions().get::<ShownError>().cloned() else {
        return Ok(res.map_into_boxed_body());
    };
    let token = res
        .request()
        .cookie(ACCESS_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|t| !t.is_empty());
    let state = res.request().app_data::<web::Data<AppState>>().cloned();
    let (Some(token), Some(state)) = (token, state) else {
        return Ok(res.map_into_boxed_body());
    };
    let auth = state.auth.clone();
    let Ok(user) = state
        .db
        .run(move |conn| crate::auth::service::authenticate(conn, &auth, &token))
        .await
    else {
        return Ok(res.map_into_boxed_body());
    };
    let kind = nav_kind(user.role);
    let request = res.request().clone();
    let csrf = session::csrf(&request, &state);
    let status = res.status();
    let body = shown.body(kind, user.email, csrf.token.clone());
    let mut response = HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body);
    // Cookies the handler set (a renewed session, a new CSRF secret) are kept.
    for cookie in res.response().cookies() {
        let _ = response.add_cookie(&cookie);
    }
    let response = pages::with_csrf(response, csrf);
    Ok(ServiceResponse::new(request, response))
}

/// Which navigation a signed-in user's pages show: `shopper`, `staff` (scheduling roles),
/// `admin` (the staff's, with the staff accounts) or `other` (a home link and sign-out).
fn nav_kind(role: Role) -> &'static str {
    if role == Role::Shopper {
        "shopper"
    } else if role == Role::Admin {
        "admin"
    } else if Role::SCHEDULING.contains(&role) {
        "staff"
    } else if role == Role::Qa {
        "qa"
    } else if role == Role::PrivacyOfficer {
        "privacy"
    } else {
        "other"
    }
}

/// Renders a template as an HTML response.
pub fn html(status: StatusCode, page: &impl Template) -> Result<HttpResponse, PageError> {
    let body = page
        .render()
        .map_err(|e| PageError::from(AppError::internal(e)))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The "Previous · Page 2 of 9 (412 stores) · Next" line of a paginated page
/// (`pager.html`). `href` is the page's address with its other query parameters, ending in
/// `?` or `&`, to which `page=N` is added.
pub struct Pager {
    pub href: String,
    /// The query parameter of the page number (`page`, or another where a page has two lists).
    pub param: &'static str,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
    pub noun: &'static str,
}

impl Pager {
    pub fn of<T>(
        list: &crate::paging::Paged<T>,
        href: impl Into<String>,
        noun: &'static str,
    ) -> Self {
        Self {
            href: href.into(),
            param: "page",
            page: list.page,
            pages: list.pages,
            total: list.total,
            noun,
        }
    }

    pub fn link(&self, page: i64) -> String {
        format!("{}{}={page}", self.href, self.param)
    }
}

/// A form's client field, typed by name: the client it names, or the field's error in words,
/// naming what was typed and offering the clients whose names contain it.
pub(crate) fn typed_client(
    conn: &mut crate::db::DbConnection,
    typed: &str,
    field: &str,
) -> crate::error::AppResult<Result<crate::ids::ClientId, crate::error::FieldError>> {
    use crate::clients::service::{ClientNamed, client_named};
    Ok(match client_named(conn, typed)? {
        ClientNamed::Found(id) => Ok(id),
        ClientNamed::Unknown(near) => {
            let typed = typed.trim();
            let hint = match near.as_slice() {
                [] => "Check the spelling, or add the client on the clients page first.".into(),
                [one] => format!("Did you mean {one}?"),
                [few @ .., last] if near.len() <= 5 => {
                    format!("Did you mean {} or {last}?", few.join(", "))
                }
                _ => "Choose one of the names offered as you type.".into(),
            };
            Err(crate::error::FieldError::new(
                field,
                format!("No client is called “{typed}”. {hint}"),
            ))
        }
    })
}
