//! The admin's pages for staff accounts: list them (50 a page), create one with its role (and
//! a client reviewer's client), disable one or enable it again. Admins only.

use crate::ids::{ClientId, UserId};
use std::collections::HashMap;

use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use super::form::{self, FormState, Reader};
use super::session::{Csrf, csrf, form_post_in, page_user_in};
use crate::auth::Role;
use crate::auth::model::{CreateUserRequest, StaffPage};
use crate::auth::service;
use crate::error::AppError;
use crate::routing::Routes;
use crate::state::AppState;

use super::PageResult;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/admin/staff", staff_page)
        .post("/admin/staff", create)
        .post("/admin/staff/{id}/disable", disable)
        .post("/admin/staff/{id}/enable", enable);
}

/// The roles a staff account may have, in the order the form offers them.
const STAFF_ROLES: [Role; 5] = [
    Role::Scheduler,
    Role::Qa,
    Role::ClientReviewer,
    Role::PrivacyOfficer,
    Role::Admin,
];

use super::StaffFrame as Frame;

#[derive(Template)]
#[template(path = "admin_staff.html")]
struct StaffAccountsPage {
    f: Frame,
    list: StaffPage,
    /// The id of the admin looking: their own account cannot be disabled.
    me: UserId,
    /// The names of the listed accounts' clients.
    client_names: Vec<(ClientId, String)>,
    /// The client names the form's client field offers as a person types (at most 20: those
    /// that contain what was typed).
    client_choices: Vec<String>,
    roles: Vec<(String, String)>,
    form: FormState,
}

impl StaffAccountsPage {
    fn client_name(&self, id: &Option<ClientId>) -> String {
        id.and_then(|id| {
            self.client_names
                .iter()
                .find(|(c, _)| *c == id)
                .map(|(_, name)| name.clone())
        })
        .unwrap_or_default()
    }
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<i64>,
}

async fn staff_page_with(
    req: &HttpRequest,
    state: &AppState,
    page: i64,
    form: FormState,
) -> PageResult {
    let user = page_user_in(req, state, &[Role::Admin]).await?;
    let csrf: Csrf = csrf(req, state);
    let typed = form.value("client").to_string();
    let (list, client_names, client_choices) = state
        .db
        .run(move |conn| {
            let list = service::staff_accounts(conn, page.max(1))?;
            let ids: Vec<ClientId> = list.accounts.iter().filter_map(|a| a.client_id).collect();
            Ok((
                list,
                crate::clients::store::client_names(conn, &ids)?,
                crate::clients::service::client_suggestions(conn, &typed)?,
            ))
        })
        .await?;
    let refused = form.failed();
    let page = StaffAccountsPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        list,
        me: user.id,
        client_names,
        client_choices,
        roles: STAFF_ROLES
            .iter()
            .map(|r| (r.as_str().to_string(), r.label().to_string()))
            .collect(),
        form,
    };
    super::form_page_shown(req, &page, refused, csrf)
}

async fn staff_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageQuery>,
) -> PageResult {
    staff_page_with(&req, &state, query.page.unwrap_or(1), FormState::blank()).await
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (_, sent) = form_post_in(&req, &state, &[Role::Admin], form).await?;
    let mut read = Reader::new(&sent);
    let client_id = match read.text("client") {
        None => None,
        Some(typed) => {
            let found = state
                .db
                .run(move |conn| super::typed_client(conn, &typed, "client"))
                .await?;
            found.map_err(|e| read.errors.push(e)).ok()
        }
    };
    let mut role = read.raw("role");
    if !STAFF_ROLES.iter().any(|r| r.as_str() == role) {
        // Shoppers sign up themselves; anything else is not a role.
        role.clear();
    }
    let request = CreateUserRequest {
        email: read.raw("email"),
        password: read.raw("password"),
        role,
        client_id,
    };
    // Every problem at once: what could not be read, and what the request gets wrong.
    let errors = form::merged(
        read.errors,
        service::check_new_account(&request)
            .err()
            .unwrap_or_default(),
    );
    let outcome = if errors.is_empty() {
        service::create_staff(&state.db, &state.auth, request).await
    } else {
        Err(AppError::validation(errors))
    };
    match outcome {
        Ok(created) => {
            state.mail.wake();
            Ok(form::done(
                &state,
                "/admin/staff",
                &format!(
                    "Account {} created ({}); it was mailed how to sign in. Give the first password in person or by phone.",
                    created.email,
                    created.role.label()
                ),
            ))
        }
        Err(mut e) if e.status.is_client_error() => {
            for f in &mut e.fields {
                match (f.field.as_str(), f.message.as_str()) {
                    ("client_id", "is required for a client reviewer") => {
                        f.message = "Choose the client whose reports this reviewer sees.".into();
                    }
                    ("client_id", "is only for client reviewers") => {
                        f.message = "Only a client reviewer has a client; leave this empty.".into();
                    }
                    ("client_id", "no client has this id") => {
                        f.message = "Type the client's name.".into();
                    }
                    ("role", _) => f.message = "Choose a role.".into(),
                    _ => {}
                }
            }
            let form = FormState::refused(
                &sent,
                &e,
                &["email", "role", "client", "password"],
                &[("client_id", "client")],
                &["password"],
            );
            staff_page_with(&req, &state, 1, form).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn set_disabled(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    form: web::Form<HashMap<String, String>>,
    disabled: bool,
) -> PageResult {
    let (user, _) = form_post_in(&req, &state, &[Role::Admin], form).await?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let account = state
        .db
        .run(move |conn| service::set_account_disabled(conn, &user, id, disabled, now))
        .await?;
    let words = if disabled {
        format!(
            "{} is disabled: signed out everywhere, and cannot sign in.",
            account.email
        )
    } else {
        format!("{} is enabled again and may sign in.", account.email)
    };
    Ok(form::done(&state, "/admin/staff", &words))
}

async fn disable(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    set_disabled(req, state, path, form, true).await
}

async fn enable(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<UserId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    set_disabled(req, state, path, form, false).await
}
