//! The scheduling staff's pages for lists made for friendly competitors.
//!
//! | page | who |
//! | --- | --- |
//! | `/staff/shares` (the shares made, and the form for a new one), its post | scheduling staff, admins |
//! | `/staff/shares/{id}`, `/staff/shares/{id}/list.csv` | scheduling staff, admins |
//!
//! A refused form comes back with what was typed and each problem beside its field.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::form::{self, FormState};
use super::session::{csrf, form_post_in, page_user_in};
use super::{PageResult, Pager, StaffFrame as Frame};
use crate::paging::PageRequest;
use crate::privacy::routes::SHARERS;
use crate::privacy::sharing::{self, Area, ShareRequest, ShareView};
use crate::routing::Routes;
use crate::state::AppState;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/staff/shares", list_page)
        .post("/staff/shares", create)
        .get("/staff/shares/{id}", share_page)
        .get("/staff/shares/{id}/list.csv", list_csv);
}

#[derive(Template)]
#[template(path = "staff_shares.html")]
struct SharesPage {
    f: Frame,
    items: Vec<ShareView>,
    pager: Pager,
    companies: Vec<(String, String)>,
    form: FormState,
}

impl SharesPage {
    fn area(&self, s: &ShareView) -> String {
        area_words(&s.area)
    }
}

/// An area in words: "NY, NJ" or "40 km around 40.75, -73.99".
fn area_words(area: &Area) -> String {
    match (&area.states, area.latitude, area.longitude, area.radius_km) {
        (Some(states), ..) => states.join(", "),
        (None, Some(lat), Some(lon), Some(km)) => format!("{km} km around {lat:.3}, {lon:.3}"),
        _ => "–".into(),
    }
}

#[derive(Debug, Default, Deserialize)]
struct PageNumber {
    page: Option<i64>,
}

async fn render(
    req: &HttpRequest,
    state: &AppState,
    user: crate::auth::CurrentUser,
    page: Option<i64>,
    form: Option<FormState>,
) -> PageResult {
    let request = PageRequest::lenient(page, 20);
    let (list, companies) = state
        .db
        .run(move |conn| {
            Ok((
                sharing::list(conn, request)?,
                sharing::friendly_competitors(conn)?,
            ))
        })
        .await?;
    let csrf = csrf(req, state);
    let refused = form.is_some();
    let view = SharesPage {
        f: Frame::new(state, &user, csrf.token.clone(), form::notice(req)),
        pager: Pager::of(&list, "/staff/shares?", "shares"),
        items: list.items,
        companies: companies
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        form: form.unwrap_or_else(FormState::blank),
    };
    super::form_page_shown(req, &view, refused, csrf)
}

async fn list_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<PageNumber>,
) -> PageResult {
    let user = page_user_in(&req, &state, SHARERS).await?;
    render(&req, &state, user, query.into_inner().page, None).await
}

/// The form's fields as the API's request: the area is states ("NY, NJ") or a ZIP code and a
/// radius.
fn request_from(sent: &HashMap<String, String>) -> Result<ShareRequest, crate::error::AppError> {
    let text = |name: &str| {
        sent.get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let organization_id = text("organization_id")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let states = text("states").map(|s| {
        s.split([',', ' '])
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    });
    let mut area = Area {
        states,
        ..Area::default()
    };
    if area.states.is_none()
        && let Some(zip) = text("zip")
    {
        let place = crate::geocode::Zip::parse(&zip)
            .ok()
            .and_then(|z| crate::geocode::zip_centroid(&z))
            .ok_or_else(|| {
                crate::error::AppError::field("zip", "Type a known 5-digit ZIP code, like 10001.")
            })?;
        area.latitude = Some(place.coordinates.lat());
        area.longitude = Some(place.coordinates.lon());
        area.radius_km = Some(
            text("radius_km")
                .and_then(|r| r.parse::<f64>().ok())
                .unwrap_or(0.0),
        );
    }
    Ok(ShareRequest {
        organization_id,
        purpose: text("purpose").unwrap_or_default(),
        area,
        recipient_email: text("recipient_email"),
    })
}

async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let (user, sent) = form_post_in(&req, &state, SHARERS, form).await?;
    let fields = [
        "organization_id",
        "purpose",
        "states",
        "zip",
        "radius_km",
        "recipient_email",
    ];
    let renamed = [
        ("area", "states"),
        ("area.states", "states"),
        ("area.radius_km", "radius_km"),
    ];
    let made = match request_from(&sent) {
        Ok(request) => {
            let keys = state.auth.keys.clone();
            let url = state.auth.public_url.clone();
            let now = state.clock.naive();
            let by = user.id;
            state
                .db
                .run(move |conn| sharing::create(conn, &keys, &url, by, &request, now))
                .await
        }
        Err(e) => Err(e),
    };
    state.mail.wake();
    match made {
        Ok(view) => Ok(form::done(
            &state,
            &format!("/staff/shares/{}", view.id),
            &format!(
                "The list is made: {} who said yes to sharing.{}",
                if view.people == 1 {
                    "1 shopper".to_string()
                } else {
                    format!("{} shoppers", view.people)
                },
                if view.recipient_email.is_some() {
                    " The link was mailed to the recipient."
                } else {
                    ""
                }
            ),
        )),
        Err(e) if e.status.is_client_error() => {
            let refused = FormState::refused(&sent, &e, &fields, &renamed, &[]);
            render(&req, &state, user, None, Some(refused)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "staff_share.html")]
struct SharePage {
    f: Frame,
    s: ShareView,
    area: String,
}

async fn share_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    let user = page_user_in(&req, &state, SHARERS).await?;
    let id = path.into_inner();
    let s = state.db.run(move |conn| sharing::find(conn, id)).await?;
    let csrf = csrf(&req, &state);
    let view = SharePage {
        f: Frame::new(&state, &user, csrf.token.clone(), form::notice(&req)),
        area: area_words(&s.area),
        s,
    };
    super::form_page_shown(&req, &view, false, csrf)
}

/// The list itself; each row read is an access record on that shopper's log.
async fn list_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> PageResult {
    let user = page_user_in(&req, &state, SHARERS).await?;
    let id = path.into_inner();
    let now = state.clock.naive();
    let by = user.id;
    let csv = state
        .db
        .run(move |conn| sharing::staff_csv(conn, by, id, now))
        .await?;
    let response: HttpResponse = crate::http::csv_attachment(&format!("share-{id}.csv"), csv);
    Ok(response)
}
