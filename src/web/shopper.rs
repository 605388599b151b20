//! The shopper's pages: the application and profile (every field with its notice at
//! collection: category, why, how long), consents, who viewed my data, and my data download.
//! Shoppers only, and only their own data: the id comes from the session cookie.

use std::collections::HashMap;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::session::{csrf, form_post_in, form_text, page_user, page_user_in};
use super::{PageError, html};
use crate::auth::{CurrentUser, Role};
use crate::error::FieldError;
use crate::paging::PageRequest;
use crate::panel::model::{
    AffiliationInput, CertificationInput, ConsentChoices, ProfileRequest, ProfileView,
};
use crate::panel::service;
use crate::privacy::access::AccessView;
use crate::privacy::consent::{self, ConsentRecord, Purpose, Source};
use crate::privacy::inventory::{Classification, lookup};
use crate::routing::Routes;
use crate::state::AppState;
use crate::units::DistanceUnit;

use super::PageResult;

pub fn routes(cfg: &mut web::ServiceConfig) {
    Routes::new(cfg, "")
        .get("/shopper/profile", profile_form)
        .post("/shopper/profile", save_profile)
        .get("/shopper/consents", consents_page)
        .post("/shopper/consents", save_consents)
        .post("/shopper/notice/accept", accept_notice)
        .get("/shopper/access-log", access_page)
        .get("/shopper/export", export)
        .get("/shopper/export.zip", export_zip);
}

async fn shopper(req: &HttpRequest, state: &AppState) -> Result<CurrentUser, PageError> {
    page_user_in(req, state, &[Role::Shopper]).await
}

async fn shopper_form(
    req: &HttpRequest,
    state: &AppState,
    form: web::Form<HashMap<String, String>>,
) -> Result<(CurrentUser, HashMap<String, String>), PageError> {
    form_post_in(req, state, &[Role::Shopper], form).await
}

/// "Category B (customer records) · why · kept …" for a column of the inventory.
fn notice(table: &str, column: &str) -> String {
    match lookup(table, column).map(|e| e.classification) {
        Some(Classification::Personal {
            category,
            purpose,
            retention,
        }) => format!("Category {category:?}. Why we ask: {purpose}. Kept {retention}."),
        _ => String::new(),
    }
}

/// One input of the form, with its notice and its errors.
pub struct Field {
    pub name: String,
    pub label: &'static str,
    /// `text`, `number`, `tel`, `checkbox`, `select-relation`.
    pub kind: &'static str,
    pub value: String,
    pub optional: bool,
    pub notice: String,
    pub errors: Vec<String>,
}

const SLOTS: usize = 3;

#[derive(Template)]
#[template(path = "shopper_profile.html")]
struct ProfilePage {
    csrf: String,
    email: String,
    applying: bool,
    status: String,
    code: String,
    fields: Vec<Field>,
    certifications: Vec<Vec<Field>>,
    affiliations: Vec<Vec<Field>>,
    consents: Vec<(String, &'static str, bool)>,
    other_errors: Vec<String>,
    has_errors: bool,
    saved: bool,
}

fn field(
    name: &str,
    label: &'static str,
    kind: &'static str,
    value: Option<String>,
    optional: bool,
    (table, column): (&str, &str),
) -> Field {
    Field {
        name: name.to_string(),
        label,
        kind,
        value: value.unwrap_or_default(),
        optional,
        notice: notice(table, column),
        errors: Vec::new(),
    }
}

/// The form's fields from a saved profile (or empty), and the values a failed post sent back.
fn form_fields(
    view: Option<&ProfileView>,
    sent: Option<&HashMap<String, String>>,
    unit: DistanceUnit,
) -> (Vec<Field>, Vec<Vec<Field>>, Vec<Vec<Field>>) {
    let v = |f: fn(&ProfileView) -> Option<String>| view.and_then(f);
    let s = "shoppers";
    let fields = vec![
        field(
            "legal_name",
            "Legal name",
            "text",
            v(|p| Some(p.legal_name.clone())),
            false,
            (s, "legal_name"),
        ),
        field(
            "street",
            "Street address",
            "text",
            v(|p| Some(p.street.clone())),
            false,
            (s, "street"),
        ),
        field(
            "city",
            "City",
            "text",
            v(|p| Some(p.city.clone())),
            false,
            (s, "city"),
        ),
        field(
            "state",
            "State (two letters)",
            "text",
            v(|p| Some(p.state.clone())),
            false,
            (s, "state"),
        ),
        field(
            "zip",
            "ZIP code",
            "text",
            v(|p| Some(p.zip.clone())),
            false,
            (s, "zip"),
        ),
        field(
            "phone",
            "Phone",
            "tel",
            v(|p| p.phone.clone()),
            true,
            (s, "phone"),
        ),
        field(
            "date_of_birth",
            "Date of birth (YYYY-MM-DD)",
            "text",
            v(|p| p.date_of_birth.clone()),
            true,
            (s, "date_of_birth"),
        ),
        field(
            "tax_id",
            "SSN or ITIN",
            "text",
            v(|p| p.tax_id.clone()),
            true,
            (s, "tax_id"),
        ),
        field(
            "bank_account",
            "Bank account number",
            "text",
            v(|p| p.bank_account.clone()),
            true,
            (s, "bank_account"),
        ),
        field(
            "travel_radius_km",
            match unit {
                DistanceUnit::Mi => "How far you will travel (miles)",
                DistanceUnit::Km => "How far you will travel (km)",
            },
            "number",
            view.map(|p| unit.typed(p.travel_radius_km)),
            false,
            (s, "travel_radius_km"),
        ),
        field(
            "languages",
            "Languages you speak (two-letter codes, comma-separated, e.g. en, es)",
            "text",
            v(|p| Some(p.languages.join(", "))),
            true,
            (s, "languages"),
        ),
        field(
            "vehicle",
            "I have a vehicle I can use for shops",
            "checkbox",
            v(|p| p.vehicle.then(|| "on".to_string())),
            true,
            (s, "vehicle"),
        ),
    ];
    let certs = (0..SLOTS)
        .map(|i| {
            let c = view.and_then(|p| p.certifications.get(i));
            vec![
                field(
                    &format!("cert_name_{i}"),
                    "Certification",
                    "text",
                    c.map(|c| c.name.clone()),
                    true,
                    ("certifications", "name"),
                ),
                field(
                    &format!("cert_issuer_{i}"),
                    "Issued by",
                    "text",
                    c.map(|c| c.issuer.clone()),
                    true,
                    ("certifications", "issuer"),
                ),
                field(
                    &format!("cert_number_{i}"),
                    "Number",
                    "text",
                    c.and_then(|c| c.number.clone()),
                    true,
                    ("certifications", "number"),
                ),
                field(
                    &format!("cert_expires_{i}"),
                    "Expires (YYYY-MM-DD)",
                    "text",
                    c.and_then(|c| c.expires_on.map(|d| d.to_string())),
                    true,
                    ("certifications", "expires_on"),
                ),
            ]
        })
        .collect();
    let ties = (0..SLOTS)
        .map(|i| {
            let a = view.and_then(|p| p.affiliations.get(i));
            vec![
                field(
                    &format!("aff_org_{i}"),
                    "Company",
                    "text",
                    a.map(|a| a.organization.clone()),
                    true,
                    ("affiliations", "organization_id"),
                ),
                field(
                    &format!("aff_relation_{i}"),
                    "Who works there",
                    "select-relation",
                    a.map(|a| a.relation.clone()),
                    true,
                    ("affiliations", "relation"),
                ),
                field(
                    &format!("aff_ended_{i}"),
                    "Ended on (YYYY-MM-DD; empty if it lasts)",
                    "text",
                    a.and_then(|a| a.ended_on.map(|d| d.to_string())),
                    true,
                    ("affiliations", "ended_on"),
                ),
            ]
        })
        .collect();
    let mut all: (Vec<Field>, Vec<Vec<Field>>, Vec<Vec<Field>>) = (fields, certs, ties);
    if let Some(sent) = sent {
        let refill = |f: &mut Field| {
            f.value = sent.get(&f.name).cloned().unwrap_or_default();
        };
        all.0.iter_mut().for_each(refill);
        all.1.iter_mut().flatten().for_each(refill);
        all.2.iter_mut().flatten().for_each(refill);
    }
    all
}

/// The API's field names (`certifications[1].name`) as the form's (`cert_name_1`).
fn form_name(api: &str) -> String {
    let slot = |rest: &str| -> Option<(usize, String)> {
        let (i, name) = rest.split_once("].")?;
        Some((i.parse().ok()?, name.to_string()))
    };
    if let Some((i, name)) = api.strip_prefix("certifications[").and_then(slot) {
        let name = if name == "expires_on" {
            "expires".into()
        } else {
            name
        };
        return format!("cert_{name}_{i}");
    }
    if let Some((i, name)) = api.strip_prefix("affiliations[").and_then(slot) {
        let name = match name.as_str() {
            "organization" => "org".to_string(),
            "ended_on" => "ended".to_string(),
            other => other.to_string(),
        };
        return format!("aff_{name}_{i}");
    }
    if api.starts_with("languages[") {
        return "languages".into();
    }
    api.to_string()
}

/// Puts each error beside its field; the ones without a field on the form are returned.
fn place_errors(
    errors: Vec<FieldError>,
    fields: &mut (Vec<Field>, Vec<Vec<Field>>, Vec<Vec<Field>>),
) -> Vec<String> {
    let mut other = Vec::new();
    for e in errors {
        let name = form_name(&e.field);
        let target = fields
            .0
            .iter_mut()
            .chain(fields.1.iter_mut().flatten())
            .chain(fields.2.iter_mut().flatten())
            .find(|f| f.name == name);
        match target {
            Some(f) => f.errors.push(e.message),
            None => other.push(format!("{}: {}", e.field.replace('_', " "), e.message)),
        }
    }
    other
}

fn consent_boxes(current: &[(Purpose, bool)]) -> Vec<(String, &'static str, bool)> {
    current
        .iter()
        .map(|(p, g)| (p.as_str().to_string(), p.explanation(), *g))
        .collect()
}

async fn profile_form(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let user = shopper(&req, &state).await?;
    let keys = state.auth.keys.clone();
    let id = user.id;
    let (view, current) = state
        .db
        .run(move |conn| {
            Ok((
                service::profile_view(conn, &keys, id)?,
                consent::all_current(conn, id)?,
            ))
        })
        .await?;
    let csrf = csrf(&req, &state);
    let (fields, certifications, affiliations) =
        form_fields(view.as_ref(), None, state.settings.distance_unit);
    let saved = req.query_string().contains("saved=1");
    let page = ProfilePage {
        csrf: csrf.token.clone(),
        email: user.email,
        applying: view.is_none(),
        status: view
            .as_ref()
            .map_or(String::new(), |v| v.status.as_str().to_string()),
        code: view.as_ref().map_or(String::new(), |v| v.code.clone()),
        fields,
        certifications,
        affiliations,
        consents: consent_boxes(&current),
        other_errors: Vec::new(),
        has_errors: false,
        saved,
    };
    Ok(super::pages::with_csrf(html(StatusCode::OK, &page)?, csrf))
}

/// The form as the API's request: empty inputs are "not given", except the sealed values,
/// where an emptied input removes the stored value (as in the API).
fn request_from(
    form: &HashMap<String, String>,
    applying: bool,
    unit: DistanceUnit,
) -> Result<ProfileRequest, FieldError> {
    // Typed in the pages' unit; the service keeps kilometres (1–500).
    let mut read = super::form::Reader::new(form).in_unit(unit);
    let radius = read.distance("travel_radius_km", 1.0, 500.0);
    if let Some(e) = read.errors.pop() {
        return Err(e);
    }
    let sealed = |name: &str| form.get(name).map(|v| v.trim().to_string());
    let languages = form_text(form, "languages").map(|l| {
        l.split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    });
    let certifications = (0..SLOTS)
        .filter(|i| form_text(form, &format!("cert_name_{i}")).is_some())
        .map(|i| CertificationInput {
            name: form_text(form, &format!("cert_name_{i}")),
            issuer: form_text(form, &format!("cert_issuer_{i}")),
            number: form_text(form, &format!("cert_number_{i}")),
            expires_on: form_text(form, &format!("cert_expires_{i}")),
        })
        .collect();
    let affiliations = (0..SLOTS)
        .filter(|i| form_text(form, &format!("aff_org_{i}")).is_some())
        .map(|i| AffiliationInput {
            organization: form_text(form, &format!("aff_org_{i}")),
            relation: form_text(form, &format!("aff_relation_{i}")),
            ended_on: form_text(form, &format!("aff_ended_{i}")),
        })
        .collect();
    let checked = |name: &str| form.get(name).is_some_and(|v| v == "on");
    Ok(ProfileRequest {
        legal_name: form_text(form, "legal_name"),
        street: form_text(form, "street"),
        city: form_text(form, "city"),
        state: form_text(form, "state"),
        zip: form_text(form, "zip"),
        phone: form_text(form, "phone"),
        date_of_birth: sealed("date_of_birth"),
        tax_id: sealed("tax_id"),
        bank_account: sealed("bank_account"),
        travel_radius_km: radius,
        languages,
        vehicle: Some(checked("vehicle")),
        certifications: Some(certifications),
        affiliations: Some(affiliations),
        accept_agreement: Some(checked("accept_agreement")),
        // Consents are chosen on the application; later on the consents page.
        consents: applying.then(|| ConsentChoices {
            share_name_address: Some(checked("consent_share_name_address")),
            share_contact: Some(checked("consent_share_contact")),
            job_offer_emails: Some(checked("consent_job_offer_emails")),
            daily_digest: Some(checked("consent_daily_digest")),
        }),
    })
}

async fn save_profile(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = shopper_form(&req, &state, form).await?;
    let settings = state.settings.clone();
    let keys = state.auth.keys.clone();
    let id = user.id;
    let applying = state
        .db
        .run(move |conn| Ok(crate::panel::store::find_shopper(conn, id.into())?.is_none()))
        .await?;
    let outcome = match request_from(&form, applying, state.settings.distance_unit) {
        Err(e) => Err(crate::error::AppError::validation(vec![e])),
        Ok(request) => {
            service::submit_profile(
                &state.db,
                keys,
                &settings,
                id,
                request,
                Source::Profile,
                now,
            )
            .await
        }
    };
    match outcome {
        Ok(_) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/shopper/profile?saved=1"))
            .finish()),
        Err(e) if !e.fields.is_empty() => {
            let mut fields = form_fields(None, Some(&form), state.settings.distance_unit);
            let other_errors = place_errors(e.fields, &mut fields);
            let current: Vec<(Purpose, bool)> = Purpose::ALL
                .into_iter()
                .map(|p| {
                    (
                        p,
                        form.get(&format!("consent_{}", p.as_str()))
                            .is_some_and(|v| v == "on"),
                    )
                })
                .collect();
            let page = ProfilePage {
                csrf: csrf(&req, &state).token,
                email: user.email,
                applying,
                status: String::new(),
                code: String::new(),
                fields: fields.0,
                certifications: fields.1,
                affiliations: fields.2,
                consents: consent_boxes(&current),
                other_errors,
                has_errors: true,
                saved: false,
            };
            html(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "shopper_consents.html")]
struct ConsentsPage {
    csrf: String,
    email: String,
    consents: Vec<(String, &'static str, bool)>,
    history: Vec<ConsentRecord>,
    gpc: bool,
    /// When the browser's privacy signal was last recorded as a no to sharing.
    gpc_seen: Option<chrono::NaiveDateTime>,
    notice: String,
    /// Why the choices sent could not be saved.
    problem: Option<String>,
    /// The notice's versions, with whether this shopper accepted each.
    versions: crate::privacy::versions::MyNotice,
    t: super::Times,
}

async fn consents_page(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let user = shopper(&req, &state).await?;
    consents_page_with(&req, &state, user, None, None).await
}

/// The choices page: the current choices, or those just sent (`typed`) with why they were not
/// saved.
async fn consents_page_with(
    req: &HttpRequest,
    state: &AppState,
    user: CurrentUser,
    typed: Option<Vec<(Purpose, bool)>>,
    problem: Option<String>,
) -> PageResult {
    let id = user.id;
    let locale = state.settings.locale();
    let (current, history, t, versions) = state
        .db
        .run(move |conn| {
            let history = consent::history(conn, id)?;
            let t = super::shopper_times(conn, &locale, id.into())?;
            let versions = crate::privacy::versions::mine(conn, id)?;
            Ok((consent::current_from(&history), history, t, versions))
        })
        .await?;
    let csrf = csrf(req, state);
    let page = ConsentsPage {
        csrf: csrf.token.clone(),
        email: user.email,
        consents: consent_boxes(typed.as_deref().unwrap_or(&current)),
        gpc_seen: consent::signal_seen(&history),
        history,
        gpc: crate::http::gpc(req),
        notice: notice("consents", "granted"),
        problem,
        versions,
        t,
    };
    super::form_page(&page, page.problem.is_some(), csrf)
}

async fn save_consents(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = shopper_form(&req, &state, form).await?;
    let signal = crate::http::gpc(&req);
    let typed: Vec<(Purpose, bool)> = Purpose::ALL
        .into_iter()
        .map(|p| {
            let yes = form
                .get(&format!("consent_{}", p.as_str()))
                .is_some_and(|v| v == "on");
            (p, yes)
        })
        .collect();
    let choices = match consent::honour_gpc(typed.clone(), signal, Source::Profile) {
        Ok(choices) => choices,
        Err(refused) => {
            // The same page again, with what was ticked and why it cannot be saved.
            let problem = refused.fields.first().map(|f| f.message.clone());
            return consents_page_with(&req, &state, user, Some(typed), problem).await;
        }
    };
    let id = user.id;
    state
        .db
        .run(move |conn| Ok(consent::record_choices(conn, id, &choices, now)?))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/shopper/consents"))
        .finish())
}

/// The shopper accepts a published version of the privacy notice.
async fn accept_notice(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> PageResult {
    let now = state.clock.naive();
    let (user, form) = shopper_form(&req, &state, form).await?;
    let version = form.get("version").cloned().unwrap_or_default();
    let id = user.id;
    state
        .db
        .run(move |conn| crate::privacy::versions::accept(conn, id, &version, now))
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/shopper/consents#notice"))
        .finish())
}

#[derive(Template)]
#[template(path = "shopper_access.html")]
struct AccessPage {
    email: String,
    csrf: String,
    records: Vec<AccessView>,
    records_pager: super::Pager,
    disclosures: Vec<crate::privacy::disclosure::DisclosureView>,
    disclosures_pager: super::Pager,
    t: super::Times,
}

impl AccessPage {
    /// `A,G` as `identifiers, geolocation`.
    fn words(&self, categories: &str) -> String {
        crate::privacy::inventory::categories_in_words(categories)
    }

    /// `scheduler` as `Scheduling staff`.
    fn role(&self, stored: &str) -> String {
        crate::auth::Role::parse(stored)
            .map_or_else(|| stored.to_string(), |r| r.label().to_string())
    }
}

/// Records a page of "Who read my data" lists, of each kind.
const ACCESS_PAGE: i64 = 50;

#[derive(serde::Deserialize)]
struct AccessQuery {
    /// The page of reads.
    page: Option<i64>,
    /// The page of disclosures.
    dpage: Option<i64>,
}

async fn access_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AccessQuery>,
) -> PageResult {
    let user = shopper(&req, &state).await?;
    let id = user.id;
    let locale = state.settings.locale();
    let reads = PageRequest::lenient(query.page, ACCESS_PAGE);
    let sent = PageRequest::lenient(query.dpage, ACCESS_PAGE);
    let (records, disclosures, t) = state
        .db
        .run(move |conn| {
            Ok((
                crate::privacy::access::page_for(conn, id, reads)?,
                crate::privacy::disclosure::page_for(conn, id, sent)?,
                super::shopper_times(conn, &locale, id.into())?,
            ))
        })
        .await?;
    let csrf = csrf(&req, &state);
    let page = AccessPage {
        email: user.email,
        csrf: csrf.token.clone(),
        records_pager: super::Pager::of(
            &records,
            format!("/shopper/access-log?dpage={}&", sent.page),
            "reads",
        ),
        disclosures_pager: super::Pager {
            param: "dpage",
            ..super::Pager::of(
                &disclosures,
                format!("/shopper/access-log?page={}&", reads.page),
                "disclosures",
            )
        },
        records: records.items,
        disclosures: disclosures.items,
        t,
    };
    Ok(super::pages::with_csrf(html(StatusCode::OK, &page)?, csrf))
}

/// The whole copy as a ZIP (data as JSON and CSV, its schema, and the person's files), for
/// the signed-in person (any role).
async fn export_zip(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let now = state.clock.naive();
    let user = page_user(&req, &state).await?;
    let bytes =
        crate::rights::access::archive(&state.db, &state.storage, &state.auth.keys, user.id, now)
            .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/zip")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"incognito-my-data.zip\"",
        ))
        .body(bytes))
}

/// The data download, as the API gives it, for the signed-in person (any role).
async fn export(req: HttpRequest, state: web::Data<AppState>) -> PageResult {
    let now = state.clock.naive();
    let user = page_user(&req, &state).await?;
    let keys = state.auth.keys.clone();
    let document = state
        .db
        .run(move |conn| crate::rights::access::document(conn, &keys, user.id, now))
        .await?;
    let body = serde_json::to_string_pretty(&document)
        .map_err(|e| PageError::from(crate::error::AppError::internal(e)))?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"incognito-my-data.json\"",
        ))
        .body(body))
}
