//! QA's page of clients' disputes: the open ones, oldest first, each with the client's reason
//! and a form to answer (upheld or dismissed, why, and whether the shopper's pay is withheld);
//! a refused answer comes back with what was typed. QA and admins.

use std::collections::HashMap;

use actix_web::{HttpRequest, web};
use askama::Template;
use serde::Deserialize;

use super::form::{self, FormState};
use super::session::{csrf, form_post_in, page_user_in};
use super::{PageResult, Pager, StaffFrame as Frame};
use crate::auth::CurrentUser;
use crate::ids::AssignmentId;
use crate::paging::PageRequest;
use crate::portal::disputes::{self, ANSWERERS, AnswerRequest, DisputeItem, Outcome};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/qa/disputes", list_page)
        .post("/qa/disputes/{id}/answer", answer);
}

#[derive(Debug, Default, Deserialize)]
struct PageNumber {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "qa_disputes.html")]
struct DisputesPage {
    f: Frame,
    items: Vec<DisputeItem>,
    pager: Pager,
    /// A refused answer: its dispute and the form as sent.
    refused: Option<(AssignmentId, FormState)>,
}

impl DisputesPage {
    /// The form of dispute `id`: as sent when it was refused, else blank.
    fn form_of(&self, id: &AssignmentId) -> FormState {
        match &self.refused {
            Some((r, form)) if r == id => form.clone(),
            _ => FormState::blank(),
        }
    }
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    page: Option<i64>,
    refused: Option<(AssignmentId, FormState)>,
) -> PageResult {
    let request = PageRequest::lenient(page, 20);
    let who = user.clone();
    let list = state
        .db
        .run(move |conn| disputes::list(conn, &who, false, request))
        .await?;
    let csrf = csrf(req, state);
    let shown_refused = refused.is_some();
    let view = DisputesPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        pager: Pager::of(&list, "/qa/disputes?", "disputes"),
        items: list.items,
        refused,
    };
    super::form_page_shown(req, &view, shown_refused, csrf)
}

async fn list_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    let user = page_user_in(&req, &state, ANSWERERS).await?;
    render(&req, &state, user, query.page, None).await
}

async fn answer(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<AssignmentId>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, ANSWERERS, form).await?;
    let id = path.into_inner();
    let outcome = match sent.get("outcome").map(String::as_str) {
        Some("upheld") => Some(Outcome::Upheld),
        Some("dismissed") => Some(Outcome::Dismissed),
        _ => None,
    };
    let Some(outcome) = outcome else {
        let why = crate::error::AppError::field("outcome", "Choose whether the client is right.");
        let refused = FormState::refused(
            &sent,
            &why,
            &["outcome", "answer", "withhold_pay"],
            &[],
            &[],
        );
        return render(&req, &state, user, None, Some((id, refused))).await;
    };
    let request = AnswerRequest {
        outcome,
        answer: sent.get("answer").cloned().unwrap_or_default(),
        withhold_pay: sent.get("withhold_pay").is_some_and(|v| v == "on"),
    };
    let now = state.clock.naive();
    let who = user.clone();
    let done = state
        .db
        .run(move |conn| crate::pay::service::answer_dispute(conn, &who, id, &request, now))
        .await;
    match done {
        Ok(d) => Ok(form::done(
            &state,
            "/qa/disputes",
            &format!(
                "Dispute of report {id} {}: the client and the shopper see your answer.",
                if d.outcome == Some(Outcome::Upheld) {
                    "upheld"
                } else {
                    "dismissed"
                }
            ),
        )),
        Err(e) if e.status.is_client_error() && e.status.as_u16() != 404 => {
            let refused =
                FormState::refused(&sent, &e, &["outcome", "answer", "withhold_pay"], &[], &[]);
            render(&req, &state, user, None, Some((id, refused))).await
        }
        Err(e) => Err(e.into()),
    }
}
