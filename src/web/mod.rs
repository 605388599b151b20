//! Server-rendered pages. Forms work without JavaScript; every form post carries a CSRF token.
//! The pages use the same tokens as the API, kept in `HttpOnly; SameSite=Strict` cookies.
//!
//! | page | who |
//! | --- | --- |
//! | `/unsubscribe` (a signed link from a mail) | anyone holding the link |
//! | `/`, `/signup`, `/verify`, `/signin`, `/password/forgot`, `/password/reset`, `/problems/{code}`, `/privacy-notice` | anyone |
//! | `/dashboard` and the role pages `/shopper`, `/staff`, `/client`, `/privacy`, `/admin` | the roles each names |
//! | `/shopper/profile`, `/shopper/consents`, `/shopper/access-log` | shopper (own data) |
//! | `/shopper/jobs`, `/shopper/jobs/{id}`, `/shopper/assignments`, `/shopper/assignments.ics` | shopper (own data) |
//! | `/shopper/export` | signed in (own data) |
//! | `/staff/shoppers…`, `/staff/clients…`, `/staff/projects/{id}`, `/staff/jobs/{id}`, `/staff/batches…`, `/staff/coverage` | scheduler, admin |

mod desk;
mod jobs;
mod pages;
mod session;
mod shopper;
mod staff;
mod upload;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;

pub use session::{ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE};

use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    pages::routes(cfg);
    shopper::routes(cfg);
    jobs::routes(cfg);
    desk::routes(cfg);
    staff::routes(cfg);
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    detail: &'a str,
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
    },
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
        Self::shown(
            StatusCode::FORBIDDEN,
            "Not for your role",
            "Your account does not have access to this page.",
        )
    }

    pub fn shown(status: StatusCode, title: &str, detail: &str) -> Self {
        Self::Shown {
            status,
            title: title.to_string(),
            detail: detail.to_string(),
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
        Self::Shown {
            status: e.status,
            title: e.title().to_string(),
            detail: e.detail,
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
            } => {
                let body = ErrorPage { title, detail }
                    .render()
                    .unwrap_or_else(|_| format!("{title}\n\n{detail}\n"));
                HttpResponse::build(*status)
                    .content_type("text/html; charset=utf-8")
                    .body(body)
            }
        }
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
