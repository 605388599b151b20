//! Self-service of an account on the pages: change the password (any signed-in user, their own
//! account), and ask for a new confirmation mail (anyone; the same answer whatever the
//! address).

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, web};
use askama::Template;

use super::form::{self, FormState, Reader};
use super::session::{Csrf, check_csrf, cleared_cookies, csrf, page_user};
use super::{NavFrame, nav_kind};
use crate::auth::Role;
use crate::auth::model::Password;
use crate::auth::service;
use crate::error::{AppError, FieldError};
use crate::routing::Routes;
use crate::state::AppState;

use super::PageResult;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/account/password", password_form)
        .post("/account/password", change_password)
        .get("/verify/resend", resend_form)
        .post("/verify/resend", resend);
}

#[derive(Template)]
#[template(path = "account_password.html")]
struct PasswordPage {
    /// Whose navigation: `shopper`, `staff` or `other`.
    kind: &'static str,
    email: String,
    csrf: String,
    f: NavFrame,
    form: FormState,
}

const PASSWORD_FIELDS: &[&str] = &["current_password", "new_password", "new_password_again"];

async fn password_page(req: &HttpRequest, state: &AppState, form: FormState) -> PageResult {
    let user = page_user(req, state).await?;
    let csrf: Csrf = csrf(req, state);
    let page = PasswordPage {
        kind: nav_kind(user.role),
        email: user.email.clone(),
        csrf: csrf.token.clone(),
        f: NavFrame {
            email: user.email,
            csrf: csrf.token.clone(),
            admin: user.role == Role::Admin,
            reviewer: matches!(user.role, Role::Qa | Role::Admin),
            scheduling: Role::SCHEDULING.contains(&user.role),
            privacy: user.role == Role::PrivacyOfficer,
        },
        form,
    };
    super::form_page(&page, page.form.failed(), csrf)
}

async fn password_form(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    password_page(&req, &state, FormState::blank()).await
}

/// Changes the password: the current one first, the new one twice. Every session ends (this
/// one too), so the next step is signing in with the new password.
async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let user = page_user(&req, &state).await?;
    let sent = form.into_inner();
    check_csrf(
        &req,
        &state,
        sent.get("csrf_token").map_or("", String::as_str),
    )?;
    let read = Reader::new(&sent);
    let current = read.raw("current_password");
    let new = read.raw("new_password");
    let mut errors = Vec::new();
    if current.is_empty() {
        errors.push(FieldError::new(
            "current_password",
            "Type the password you sign in with now.",
        ));
    }
    if new.is_empty() {
        errors.push(FieldError::new("new_password", "Type the new password."));
    } else if new != read.raw("new_password_again") {
        errors.push(FieldError::new(
            "new_password_again",
            "This is not the same as the new password above.",
        ));
    }
    let outcome = if errors.is_empty() {
        service::change_password(
            &state.db,
            &state.auth,
            &user,
            Password::new(current),
            Password::new(new),
        )
        .await
    } else {
        Err(AppError::validation(errors))
    };
    match outcome {
        Ok(()) => {
            let mut response = form::done(
                &state,
                "/signin",
                "Your password is changed, and every device was signed out. Sign in with the new password.",
            );
            for c in cleared_cookies(&state) {
                let _ = response.add_cookie(&c);
            }
            Ok(response)
        }
        Err(e) if e.status.is_client_error() => {
            let mut e = e;
            for f in &mut e.fields {
                if f.field == "current_password" && f.message == "is not right" {
                    f.message = "This is not your current password.".into();
                }
            }
            // No password is ever sent back into a page.
            let form = FormState::refused(&sent, &e, PASSWORD_FIELDS, &[], PASSWORD_FIELDS);
            password_page(&req, &state, form).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "verify_resend.html")]
struct ResendPage {
    csrf: String,
    form: FormState,
}

async fn resend_page(req: &HttpRequest, state: &AppState, form: FormState) -> PageResult {
    let csrf = csrf(req, state);
    let page = ResendPage {
        csrf: csrf.token.clone(),
        form,
    };
    super::form_page(&page, page.form.failed(), csrf)
}

async fn resend_form(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    resend_page(&req, &state, FormState::blank()).await
}

async fn resend(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let sent = form.into_inner();
    check_csrf(
        &req,
        &state,
        sent.get("csrf_token").map_or("", String::as_str),
    )?;
    let email = sent.get("email").cloned().unwrap_or_default();
    let auth = state.auth.clone();
    let address = crate::http::client_address(&req, state.settings.trust_proxy);
    match state
        .db
        .run(move |conn| service::resend_verification(conn, &auth, &email, &address))
        .await
    {
        Ok(()) => {
            state.mail.wake();
            super::pages::message(
                StatusCode::OK,
                "Check your mail",
                "If this address has an account waiting for confirmation, a new link is on its way. It works once, for 24 hours; an older link still works too until it expires.",
                Some(("/signin", "Sign in")),
            )
        }
        Err(e) if e.status.is_client_error() => {
            let form = FormState::refused(&sent, &e, &["email"], &[], &[]);
            let mut response = resend_page(&req, &state, form).await?;
            super::pages::with_retry_after(&mut response, &e);
            Ok(response)
        }
        Err(e) => Err(e.into()),
    }
}
