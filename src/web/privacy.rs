//! The privacy request pages.
//!
//! | page | who |
//! | --- | --- |
//! | `/privacy-requests/new` (and its post), `/privacy-requests/{id}/verify` (and its post) | anyone: the public form and its code |
//! | `/privacy-requests/agent` (and its post, with the signed authorisation) | anyone acting for a person |
//! | `/privacy-requests/{id}/confirm?token=` (and its post) | the person an agent's request is about, by the link mailed to them |
//! | `/privacy/requests/{id}/authorisation` | the privacy officer |
//! | `/privacy/agents` (and its post, and `/privacy/agents/{id}/revoke`), `/privacy/notice-versions` (and its post) | the privacy officer |
//! | `/shopper/privacy-requests` (and its post) | a shopper, their own requests |
//! | `/privacy`, `/privacy/record-of-processing.json`, `/privacy/people?person=`, `/privacy/requests/{id}`, its `extend`, `complete` and `deny` posts | the privacy officer |
//!
//! A refused form comes back with what was typed and each problem beside its field.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, http::header, web};
use askama::Template;
use serde::Deserialize;

use super::form::{self, FormState};
use super::session::{check_csrf, csrf, form_post_in, page_user_in};
use super::{PageError, PageResult, Pager, StaffFrame as Frame};
use crate::auth::{CurrentUser, Role};
use crate::paging::{PageRequest, Paged};
use crate::privacy::requests::{
    self, Clocks, DENIAL_REASONS, FieldCorrection, Kind, NewRequest, OfficerView, QueueFilter,
    RequestView, Requester,
};
use crate::privacy::routes::OFFICERS;
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/privacy-requests/new", public_form)
        .post("/privacy-requests/new", public_submit)
        .get("/privacy-requests/{id}/verify", code_form)
        .post("/privacy-requests/{id}/verify", code_submit)
        .get("/privacy-requests/agent", agent_form)
        .post("/privacy-requests/agent", agent_submit)
        .get("/privacy-requests/{id}/confirm", confirm_page)
        .post("/privacy-requests/{id}/confirm", confirm_submit)
        .get("/shopper/privacy-requests", shopper_page)
        .post("/shopper/privacy-requests", shopper_submit)
        .get("/privacy", queue_page)
        .get("/privacy/record-of-processing.json", record_file)
        .get("/privacy/people", people_page)
        .get("/privacy/requests/{id}", request_page)
        .post("/privacy/requests/{id}/extend", extend)
        .post("/privacy/requests/{id}/complete", complete)
        .post("/privacy/requests/{id}/deny", deny)
        .get("/privacy/requests/{id}/authorisation", authorisation)
        .get("/privacy/agents", agents_page)
        .post("/privacy/agents", register_agent)
        .post("/privacy/agents/{id}/revoke", revoke_agent)
        .get("/privacy/notice-versions", versions_page)
        .post("/privacy/notice-versions", publish_version);
}

/// The kinds as the forms offer them: (value, words).
fn kinds() -> Vec<(&'static str, String)> {
    Kind::ALL
        .into_iter()
        .map(|k| (k.as_str(), crate::text::capitalise(k.words())))
        .collect()
}

/// A request's status in words, and the badge it wears.
pub(crate) fn status_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "open" => ("received", "badge-wait"),
        "in_progress" => ("in progress", "badge-wait"),
        "fulfilled" => ("done", "badge-ok"),
        "denied" => ("denied", "badge-bad"),
        "revoked" => ("withdrawn", "badge-muted"),
        "expired" => ("expired", "badge-muted"),
        _ => ("unknown", "badge-muted"),
    }
}

/// A verification state in words.
/// A request's verification in words; an agent's request is confirmed by the person's answer
/// to the mailed link, not by a code.
pub(crate) fn verification_words(v: &str, channel: &str) -> &'static str {
    let by_agent = matches!(channel, "agent" | "drp");
    match (v, by_agent) {
        ("account", _) => "signed in",
        ("not_needed", _) => "not needed",
        ("pending", false) => "waiting for the code",
        ("pending", true) => "waiting for the person to confirm",
        ("verified", false) => "code confirmed, details matched",
        ("verified", true) => "the person confirmed, details matched",
        ("partial", false) => "code confirmed, too few details matched: categories only",
        ("partial", true) => "the person confirmed, too few details matched: categories only",
        ("failed", _) => "failed",
        _ => "unknown",
    }
}

fn request_from(sent: &HashMap<String, String>) -> NewRequest {
    let text = |name: &str| {
        sent.get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    NewRequest {
        kind: sent.get("kind").cloned().unwrap_or_default(),
        email: text("email"),
        name: text("name"),
        zip: text("zip"),
        phone: text("phone"),
        street: text("street"),
        declaration: Some(sent.get("declaration").is_some_and(|v| v == "on")),
        details: text("details"),
        agent_name: text("agent_name"),
        agent_email: text("agent_email"),
        corrections: text("correct_value").map(|value| {
            vec![FieldCorrection {
                field: text("correct_field").unwrap_or_default(),
                value,
            }]
        }),
    }
}

/// The fields a correction may name, as the forms offer them.
fn correctable() -> Vec<(&'static str, String)> {
    requests::CORRECTABLE
        .iter()
        .map(|(f, words)| (*f, crate::text::capitalise(words)))
        .collect()
}

/// The API's names of a correction's problems, as the forms name the field.
const CORRECTION_FIELD: [(&str, &str); 2] = [
    ("corrections", "correct_value"),
    ("corrections[0]", "correct_value"),
];

const REQUEST_FIELDS: [&str; 10] = [
    "kind",
    "email",
    "name",
    "zip",
    "phone",
    "street",
    "declaration",
    "details",
    "correct_field",
    "correct_value",
];

// --- The public form ---

#[derive(Template)]
#[template(path = "privacy_request_new.html")]
struct PublicPage {
    csrf: String,
    form: FormState,
    kinds: Vec<(&'static str, String)>,
    fields: Vec<(&'static str, String)>,
}

async fn public_form(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let csrf = csrf(&req, &state);
    let kind = web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .ok()
        .and_then(|q| q.get("kind").cloned())
        .filter(|k| Kind::parse(k).is_some())
        .unwrap_or_default();
    let page = PublicPage {
        csrf: csrf.token.clone(),
        form: FormState::with_value("kind", &kind),
        kinds: kinds(),
        fields: correctable(),
    };
    super::form_page(&page, false, csrf)
}

async fn public_submit(
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
    let request = request_from(&sent);
    // A malformed form comes back at once, before it counts against the network's limit.
    if let Err(e) = requests::validate(&request, true) {
        let csrf = csrf(&req, &state);
        let page = PublicPage {
            csrf: csrf.token.clone(),
            form: FormState::refused(&sent, &e, &REQUEST_FIELDS, &CORRECTION_FIELD, &[]),
            kinds: kinds(),
            fields: correctable(),
        };
        return super::form_page(&page, true, csrf);
    }
    let keys = state.auth.keys.clone();
    let auth = state.auth.clone();
    let address = crate::http::client_address(&req, state.settings.trust_proxy);
    let now = state.clock.naive();
    let done = state
        .db
        .run(move |conn| {
            crate::privacy::routes::admit_public_request(conn, &auth, &address)?;
            requests::submit(conn, &keys, &Requester::Public, &request, now)
        })
        .await;
    state.mail.wake();
    match done {
        Ok(s) if s.verification == "pending" => Ok(HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/privacy-requests/{}/verify", s.id),
            ))
            .finish()),
        Ok(s) => message(&s.message),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::TOO_MANY_REQUESTS => {
            let csrf = csrf(&req, &state);
            let page = PublicPage {
                csrf: csrf.token.clone(),
                form: FormState::refused(&sent, &e, &REQUEST_FIELDS, &CORRECTION_FIELD, &[]),
                kinds: kinds(),
                fields: correctable(),
            };
            super::form_page(&page, true, csrf)
        }
        Err(e) => Err(e.into()),
    }
}

fn message(text: &str) -> PageResult {
    super::pages::message(
        StatusCode::OK,
        "Your privacy request",
        text,
        Some(("/privacy-notice", "Read the privacy notice")),
    )
}

#[derive(Template)]
#[template(path = "privacy_request_code.html")]
struct CodePage {
    csrf: String,
    id: i64,
    form: FormState,
}

async fn code_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    let csrf = csrf(&req, &state);
    let page = CodePage {
        csrf: csrf.token.clone(),
        id: path.into_inner(),
        form: FormState::blank(),
    };
    super::form_page(&page, false, csrf)
}

async fn code_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let sent = form.into_inner();
    check_csrf(
        &req,
        &state,
        sent.get("csrf_token").map_or("", String::as_str),
    )?;
    let id = path.into_inner();
    let code = sent.get("code").cloned().unwrap_or_default();
    let keys = state.auth.keys.clone();
    let now = state.clock.naive();
    let done = state
        .db
        .run(move |conn| requests::verify(conn, &keys, id, &code, now))
        .await;
    match done {
        Ok(view) => message(&format!(
            "Thank you: it is confirmed. We will answer your request to {} by mail by {} at the latest.",
            view.what.trim_start_matches("A request to "),
            view.due_at.format("%b %-d, %Y")
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let csrf = csrf(&req, &state);
            let page = CodePage {
                csrf: csrf.token.clone(),
                id,
                form: FormState::refused(&sent, &e, &["code"], &[], &["code"]),
            };
            super::form_page(&page, true, csrf)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "privacy_request_agent.html")]
struct AgentPage {
    csrf: String,
    form: FormState,
    kinds: Vec<(&'static str, String)>,
}

const AGENT_FIELDS: [&str; 10] = [
    "kind",
    "email",
    "name",
    "zip",
    "phone",
    "street",
    "details",
    "agent_name",
    "agent_email",
    "authorisation",
];

async fn agent_form(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let csrf = csrf(&req, &state);
    let page = AgentPage {
        csrf: csrf.token.clone(),
        form: FormState::blank(),
        kinds: kinds(),
    };
    super::form_page(&page, false, csrf)
}

/// The agent's form: the request is made (see `privacy::routes::make_agent_request`) and the
/// same words answer whether or not the person is on file; a refused form keeps what was typed
/// (the file must be chosen again).
async fn agent_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    multipart: actix_multipart::Multipart,
) -> PageResult {
    let form = crate::privacy::routes::read_agent_form(multipart).await?;
    check_csrf(
        &req,
        &state,
        form.fields.get("csrf_token").map_or("", String::as_str),
    )?;
    let mut request = request_from(&form.fields);
    request.declaration = Some(true);
    request.corrections = None;
    let done = crate::privacy::routes::make_agent_request(&req, &state, request, form.file).await;
    match done {
        Ok(s) => message(&format!(
            "We received your request (#{}) and mailed you that we did. If the person is on file, we mailed them to confirm that they asked you; nothing is done until they do. We answer them by {} at the latest.",
            s.id,
            s.due_at.format("%b %-d, %Y")
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::TOO_MANY_REQUESTS => {
            let csrf = csrf(&req, &state);
            let page = AgentPage {
                csrf: csrf.token.clone(),
                form: FormState::refused(&form.fields, &e, &AGENT_FIELDS, &[], &[]),
                kinds: kinds(),
            };
            super::form_page(&page, true, csrf)
        }
        Err(e) => Err(e.into()),
    }
}

/// The signed authorisation kept with a request, for the privacy officer.
async fn authorisation(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    page_user_in(&req, &state, OFFICERS).await?;
    Ok(crate::privacy::routes::authorisation_file(&state, path.into_inner()).await?)
}

#[derive(Template)]
#[template(path = "privacy_request_confirm.html")]
struct ConfirmPage {
    csrf: String,
    token: String,
    agent_name: String,
    request: Option<requests::ToConfirm>,
}

#[derive(Debug, Default, Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// The page the person opens from the mail about a request an agent made for them. Without
/// the mailed token it says where to find it; with a wrong one, not found.
async fn confirm_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    query: web::Query<TokenQuery>,
) -> PageResult {
    let csrf = csrf(&req, &state);
    let id = path.into_inner();
    let token = query
        .into_inner()
        .token
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty() && t.len() <= 200);
    let request = match token.clone() {
        None => None,
        Some(token) => {
            let keys = state.auth.keys.clone();
            let now = state.clock.naive();
            Some(
                state
                    .db
                    .run(move |conn| requests::to_confirm(conn, &keys, id, &token, now))
                    .await?,
            )
        }
    };
    let page = ConfirmPage {
        csrf: csrf.token.clone(),
        token: token.unwrap_or_default(),
        agent_name: request
            .as_ref()
            .map_or_else(|| "an agent".to_string(), |r| r.agent_name.clone()),
        request,
    };
    super::form_page(&page, false, csrf)
}

async fn confirm_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let sent = form.into_inner();
    check_csrf(
        &req,
        &state,
        sent.get("csrf_token").map_or("", String::as_str),
    )?;
    let id = path.into_inner();
    let token = sent.get("token").cloned().unwrap_or_default();
    let yes = match sent.get("answer").map(String::as_str) {
        Some("yes") => true,
        Some("no") => false,
        _ => {
            return super::pages::message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Choose an answer",
                "Choose \u{201c}Yes, I asked them\u{201d} or \u{201c}No, I did not\u{201d}: go back to the page from the mail's link.",
                None,
            );
        }
    };
    let keys = state.auth.keys.clone();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| requests::confirm(conn, &keys, id, &token, yes, now))
        .await?;
    state.mail.wake();
    message(&if yes {
        format!(
            "Thank you: it is confirmed. We will answer the request to {} by {} at the latest.",
            view.what.trim_start_matches("A request to "),
            view.due_at.format("%b %-d, %Y")
        )
    } else {
        "Thank you for telling us. We refused the request and nothing was done with your data."
            .to_string()
    })
}

// --- The shopper's page ---

#[derive(Debug, Default, Deserialize)]
struct PageNumber {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "shopper_privacy_requests.html")]
struct ShopperPage {
    email: String,
    csrf: String,
    items: Vec<RequestView>,
    pager: Pager,
    form: FormState,
    kinds: Vec<(&'static str, String)>,
    fields: Vec<(&'static str, String)>,
    notice: Option<String>,
    t: super::Times,
}

impl ShopperPage {
    fn status(&self, r: &RequestView) -> (&'static str, &'static str) {
        status_words(&r.status)
    }
}

async fn shopper_render(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    page: Option<i64>,
    form: Option<FormState>,
) -> PageResult {
    let request = PageRequest::lenient(page, 20);
    let now = state.clock.naive();
    let locale = state.settings.locale();
    let id = user.id;
    let (list, t) = state
        .db
        .run(move |conn| {
            let list = requests::mine(conn, id, request, now)?;
            let t = super::shopper_times(conn, &locale, id.into())?;
            Ok((list, t))
        })
        .await?;
    let csrf = csrf(req, state);
    let refused = form.is_some();
    let view = ShopperPage {
        email: user.email,
        csrf: csrf.token.clone(),
        pager: Pager::of(&list, "/shopper/privacy-requests?", "requests"),
        items: list.items,
        form: form.unwrap_or_else(FormState::blank),
        kinds: kinds(),
        fields: correctable(),
        notice: form::notice(req),
        t,
    };
    super::form_page_shown(req, &view, refused, csrf)
}

async fn shopper_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    let user = page_user_in(&req, &state, &[Role::Shopper]).await?;
    shopper_render(&req, &state, user, query.page, None).await
}

async fn shopper_submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, &[Role::Shopper], form).await?;
    let mut request = request_from(&sent);
    request.email = None;
    let requester = Requester::Account {
        user_id: user.id,
        email: user.email.clone(),
    };
    let keys = state.auth.keys.clone();
    let now = state.clock.naive();
    let done = state
        .db
        .run(move |conn| requests::submit(conn, &keys, &requester, &request, now))
        .await;
    state.mail.wake();
    match done {
        Ok(s) => Ok(form::done(&state, "/shopper/privacy-requests", &s.message)),
        Err(e) if e.status.is_client_error() => {
            let refused = FormState::refused(
                &sent,
                &e,
                &["kind", "details", "correct_field", "correct_value"],
                &CORRECTION_FIELD,
                &[],
            );
            shopper_render(&req, &state, user, None, Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

// --- The privacy officer's pages ---

#[derive(Debug, Default, Deserialize)]
struct QueueQuery {
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "privacy_queue.html")]
struct QueuePage {
    f: Frame,
    clocks: Clocks,
    /// `open`, `overdue` or `closed`.
    showing: &'static str,
    /// The lists to choose from: (value, words).
    tabs: [(&'static str, &'static str); 3],
    items: Vec<OfficerView>,
    pager: Pager,
}

impl QueuePage {
    fn status(&self, r: &OfficerView) -> (&'static str, &'static str) {
        status_words(&r.request.status)
    }

    fn verification(&self, r: &OfficerView) -> &'static str {
        verification_words(&r.request.verification, &r.request.channel)
    }
}

async fn queue_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<QueueQuery>,
) -> PageResult {
    let user = page_user_in(&req, &state, OFFICERS).await?;
    let query = query.into_inner();
    let (filter, showing) = match query.status.as_deref() {
        Some("overdue") => (QueueFilter::Overdue, "overdue"),
        Some("closed") => (QueueFilter::Closed, "closed"),
        _ => (QueueFilter::Open, "open"),
    };
    let request = PageRequest::lenient(query.page, 25);
    let now = state.clock.naive();
    let (clocks, list): (Clocks, Paged<OfficerView>) = state
        .db
        .run(move |conn| {
            Ok((
                requests::clocks(conn, now)?,
                requests::queue(conn, filter, request, now)?,
            ))
        })
        .await?;
    let csrf = csrf(&req, &state);
    let view = QueuePage {
        f: Frame::new(&state, &user, csrf.token.clone(), form::notice(&req)),
        clocks,
        showing,
        tabs: [
            ("open", "Open, soonest due first"),
            ("overdue", "Overdue"),
            ("closed", "Closed"),
        ],
        pager: Pager::of(&list, format!("/privacy?status={showing}&"), "requests"),
        items: list.items,
    };
    super::form_page_shown(&req, &view, false, csrf)
}

#[derive(Template)]
#[template(path = "privacy_request.html")]
struct RequestPage {
    f: Frame,
    r: OfficerView,
    /// The form refused, by its name (`extend`, `complete`, `deny`).
    refused: Option<(&'static str, FormState)>,
    /// The denial reasons the form offers: (value, words).
    reasons: Vec<(&'static str, String)>,
}

impl RequestPage {
    fn form_of(&self, name: &str) -> FormState {
        match &self.refused {
            Some((n, form)) if *n == name => form.clone(),
            _ => FormState::blank(),
        }
    }

    fn status(&self) -> (&'static str, &'static str) {
        status_words(&self.r.request.status)
    }

    fn verification(&self) -> &'static str {
        verification_words(&self.r.request.verification, &self.r.request.channel)
    }

    fn is_open(&self) -> bool {
        self.r.request.closed_at.is_none()
    }
}

async fn request_render(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    id: i64,
    refused: Option<(&'static str, FormState)>,
) -> PageResult {
    let now = state.clock.naive();
    let r = state
        .db
        .run(move |conn| requests::find(conn, id, now))
        .await?;
    let csrf = csrf(req, state);
    let shown_refused = refused.is_some();
    let view = RequestPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        r,
        refused,
        reasons: DENIAL_REASONS
            .iter()
            .map(|(code, _)| (*code, crate::text::capitalise(&code.replace('_', " "))))
            .collect(),
    };
    super::form_page_shown(req, &view, shown_refused, csrf)
}

async fn request_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    let user = page_user_in(&req, &state, OFFICERS).await?;
    request_render(&req, &state, user, path.into_inner(), None).await
}

/// One of the officer's actions on request `id`, its answer or the page with the form refused.
async fn act(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
    action: &'static str,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, OFFICERS, form).await?;
    let id = path.into_inner();
    let text = |name: &str| sent.get(name).cloned().unwrap_or_default();
    let (first, second) = match action {
        "extend" => (text("reason"), String::new()),
        "complete" => (text("note"), String::new()),
        _ => (text("reason"), text("explanation")),
    };
    let now = state.clock.naive();
    let by = user.id;
    let done = if action == "complete" {
        crate::rights::complete(
            &state.db,
            &state.storage,
            &state.settings.data_dir,
            by,
            id,
            &first,
            now,
        )
        .await
    } else {
        state
            .db
            .run(move |conn| match action {
                "extend" => requests::extend(conn, by, id, &first, now),
                _ => requests::deny(conn, by, id, &first, &second, now),
            })
            .await
    };
    state.mail.wake();
    match done {
        Ok(_) => Ok(form::done(
            &state,
            &format!("/privacy/requests/{id}"),
            match action {
                "extend" => "Extended: the requester was mailed the new date and why.",
                "complete" => "Completed: the requester was mailed your note.",
                _ => "Denied: the requester was mailed the reason.",
            },
        )),
        Err(e) if e.status.is_client_error() && e.status != StatusCode::NOT_FOUND => {
            let fields = ["reason", "note", "explanation"];
            let refused = FormState::refused(&sent, &e, &fields, &[], &[]);
            request_render(&req, &state, user, id, Some((action, refused))).await
        }
        Err(e) => Err(PageError::from(e)),
    }
}

async fn extend(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    act(req, state, path, form, "extend").await
}

async fn complete(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    act(req, state, path, form, "complete").await
}

async fn deny(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    act(req, state, path, form, "deny").await
}

/// The record of processing (GDPR Art. 30) as a JSON file, for the officer's pages.
async fn record_file(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    page_user_in(&req, &state, OFFICERS).await?;
    let now = state.clock.naive();
    let controller = state.settings.controller_name();
    let record = state
        .db
        .run(move |conn| Ok(crate::privacy::record::record(conn, &controller, now)?))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"record-of-processing.json\"",
        ))
        .json(record))
}

#[derive(Debug, Default, Deserialize)]
struct PeopleQuery {
    person: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "privacy_people.html")]
struct PeoplePage {
    f: Frame,
    /// What was searched for.
    person: String,
    /// The logs found, or why none.
    found: Result<crate::privacy::logs::PersonLogs, String>,
    pager: Option<Pager>,
}

impl PeoplePage {
    fn words(&self, categories: &str) -> String {
        crate::privacy::inventory::categories_in_words(categories)
    }

    fn role(&self, stored: &str) -> String {
        Role::parse(stored).map_or_else(|| stored.to_string(), |r| r.label().to_string())
    }
}

/// The officer's search of one person's access and disclosure logs.
async fn people_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PeopleQuery>,
) -> PageResult {
    let user = page_user_in(&req, &state, OFFICERS).await?;
    let query = query.into_inner();
    let person = query.person.unwrap_or_default().trim().to_string();
    let (found, pager) = if person.is_empty() {
        (Err(String::new()), None)
    } else {
        let page = PageRequest::lenient(query.page, 50);
        let who = person.clone();
        let officer = user.id;
        let now = state.clock.naive();
        match state
            .db
            .run(move |conn| crate::privacy::logs::of_person(conn, officer, &who, page, now))
            .await
        {
            Ok(logs) => {
                let encoded: String =
                    url::form_urlencoded::byte_serialize(person.as_bytes()).collect();
                // One pager for both lists: the longer decides the number of pages.
                let longer = if logs.access.total >= logs.disclosures.total {
                    Pager::of(
                        &logs.access,
                        format!("/privacy/people?person={encoded}&"),
                        "records",
                    )
                } else {
                    Pager::of(
                        &logs.disclosures,
                        format!("/privacy/people?person={encoded}&"),
                        "records",
                    )
                };
                (Ok(logs), Some(longer))
            }
            Err(e) if e.status.is_client_error() => (Err(e.detail.clone()), None),
            Err(e) => return Err(e.into()),
        }
    };
    let csrf = csrf(&req, &state);
    let view = PeoplePage {
        f: Frame::new(&state, &user, csrf.token.clone(), None),
        person,
        found,
        pager,
    };
    super::form_page(&view, false, csrf)
}

// --- Authorised agents of the Data Rights Protocol ---

#[derive(Template)]
#[template(path = "privacy_agents.html")]
struct AgentsPage {
    f: Frame,
    items: Vec<crate::privacy::drp::AgentView>,
    pager: Pager,
    form: FormState,
    business_id: String,
}

async fn agents_render(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    page: Option<i64>,
    form: Option<FormState>,
) -> PageResult {
    let request = PageRequest::lenient(page, 25);
    let list = state
        .db
        .run(move |conn| crate::privacy::drp::agents(conn, request))
        .await?;
    let csrf = csrf(req, state);
    let refused = form.is_some();
    let view = AgentsPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        pager: Pager::of(&list, "/privacy/agents?", "agents"),
        items: list.items,
        form: form.unwrap_or_else(FormState::blank),
        business_id: state.settings.drp_business_id.clone(),
    };
    super::form_page_shown(req, &view, refused, csrf)
}

async fn agents_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    let user = page_user_in(&req, &state, OFFICERS).await?;
    agents_render(&req, &state, user, query.into_inner().page, None).await
}

async fn register_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, OFFICERS, form).await?;
    let text = |name: &str| {
        sent.get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let agent = crate::privacy::drp::NewAgent {
        id: text("id"),
        name: text("name"),
        verify_key: text("verify_key"),
        callback_base: Some(text("callback_base")).filter(|c| !c.is_empty()),
        technical_contact: text("technical_contact"),
    };
    let now = state.clock.naive();
    let by = user.id;
    match state
        .db
        .run(move |conn| crate::privacy::drp::register(conn, by, &agent, now))
        .await
    {
        Ok(view) => Ok(form::done(
            &state,
            "/privacy/agents",
            &format!("{} is registered: it may now set up its token.", view.name),
        )),
        Err(e) if e.status.is_client_error() => {
            let fields = [
                "id",
                "name",
                "verify_key",
                "callback_base",
                "technical_contact",
            ];
            let refused = FormState::refused(&sent, &e, &fields, &[], &[]);
            agents_render(&req, &state, user, None, Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn revoke_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    form_post_in(&req, &state, OFFICERS, form).await?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let view = state
        .db
        .run(move |conn| crate::privacy::drp::revoke_agent(conn, &id, now))
        .await?;
    Ok(form::done(
        &state,
        "/privacy/agents",
        &format!(
            "{} is revoked: its token no longer works. The requests it made go on.",
            view.name
        ),
    ))
}

// --- Versions of the privacy notice ---

#[derive(Template)]
#[template(path = "privacy_notice_versions.html")]
struct VersionsPage {
    f: Frame,
    items: Vec<crate::privacy::versions::VersionView>,
    pager: Pager,
    form: FormState,
    purposes: Vec<(&'static str, &'static str)>,
    first: &'static str,
}

impl VersionsPage {
    fn ticked(&self, purpose: &str) -> bool {
        self.form.value(&format!("adds_{purpose}")) == "on"
    }
}

async fn versions_render(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    page: Option<i64>,
    form: Option<FormState>,
) -> PageResult {
    let request = PageRequest::lenient(page, 20);
    let list = state
        .db
        .run(move |conn| crate::privacy::versions::list(conn, request))
        .await?;
    let csrf = csrf(req, state);
    let refused = form.is_some();
    let view = VersionsPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        pager: Pager::of(&list, "/privacy/notice-versions?", "versions"),
        items: list.items,
        form: form.unwrap_or_else(FormState::blank),
        purposes: crate::privacy::consent::Purpose::ALL
            .iter()
            .map(|p| (p.as_str(), p.words()))
            .collect(),
        first: crate::privacy::consent::NOTICE_VERSION,
    };
    super::form_page_shown(req, &view, refused, csrf)
}

async fn versions_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    let user = page_user_in(&req, &state, OFFICERS).await?;
    versions_render(&req, &state, user, query.into_inner().page, None).await
}

async fn publish_version(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, OFFICERS, form).await?;
    let text = |name: &str| {
        sent.get(name)
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let new = crate::privacy::versions::NewVersion {
        version: text("version"),
        effective_on: text("effective_on"),
        changes: text("changes"),
        adds: crate::privacy::consent::Purpose::ALL
            .iter()
            .filter(|p| {
                sent.get(&format!("adds_{}", p.as_str()))
                    .is_some_and(|v| v == "on")
            })
            .map(|p| p.as_str().to_string())
            .collect(),
    };
    let url = state.auth.public_url.as_str().to_string();
    let now = state.clock.naive();
    let by = user.id;
    let done = state
        .db
        .run(move |conn| crate::privacy::versions::publish(conn, by, &new, &url, now))
        .await;
    state.mail.wake();
    match done {
        Ok(p) => Ok(form::done(
            &state,
            "/privacy/notice-versions",
            &format!(
                "Version {} is published; {} people were mailed the changes.",
                p.version.version, p.mailed
            ),
        )),
        Err(e) if e.status.is_client_error() => {
            let fields = ["version", "effective_on", "changes"];
            let refused = FormState::refused(&sent, &e, &fields, &[], &[]);
            versions_render(&req, &state, user, None, Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}
