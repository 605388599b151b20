//! Clients, competitors, stores, projects and jobs: their types, validation and pure rules.

use crate::ids::{ClientId, JobId, LocationId, ProjectId};
use crate::money::Money;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::organizations::{Organization, name_key};

/// A client with its organization's name and its named competitors.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub id: ClientId,
    pub organization_id: i64,
    pub name: String,
    pub competitors: Vec<Organization>,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
}

/// An organization named in a request: by id, or by name (found by its key, or created).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRef {
    pub organization_id: Option<i64>,
    pub name: Option<String>,
}

/// `POST /organizations`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationRequest {
    pub name: String,
    /// Another mystery-shopping company the panel may share shoppers with (with consent).
    #[serde(default)]
    pub friendly_competitor: bool,
}

/// `POST /organizations/{id}/merge`: the organization this one is the same company as.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeOrganizationRequest {
    /// The organization that stays: it takes over the other's client, competitor entries,
    /// shoppers' affiliations and friendly-competitor mark.
    pub into: i64,
}

/// A company name as given: trimmed, 1–200 characters, with letters or digits in it.
pub fn parse_organization_name(raw: &str, field: &str) -> Result<String, crate::error::AppError> {
    let name = raw.trim();
    let chars = name.chars().count();
    if chars == 0 || chars > 200 || name_key(name).is_empty() || name.chars().any(char::is_control)
    {
        return Err(crate::error::AppError::field(
            field,
            "must be a company name: 1 to 200 characters, with letters or digits",
        ));
    }
    Ok(name.to_string())
}

/// A client's store, as given: by JSON (`POST /locations`) or by a CSV row.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// Only in JSON: the client whose store this is (imports take it from the query).
    pub client_id: Option<ClientId>,
    /// The client's own store number or code; unique per client, and what a re-import matches.
    pub code: Option<String>,
    pub name: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    /// Two-letter US state code.
    pub state: Option<String>,
    pub zip: Option<String>,
    /// Exact coordinates, when known; otherwise the ZIP code's centre is used.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A checked location.
#[derive(Debug, Clone)]
pub struct CheckedLocation {
    pub code: String,
    pub name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub coordinates: crate::matching::Coordinates,
    /// The coordinates came with the input; otherwise they are the ZIP code's centre until
    /// [`CheckedLocation::refine`] places the street address.
    pub coordinates_given: bool,
}

impl CheckedLocation {
    /// Places the store's street address with the geocoder, unless coordinates were given.
    pub fn refine(
        &mut self,
        geocoder: &crate::geocode::Geocoder,
    ) -> Result<(), crate::error::FieldError> {
        if !self.coordinates_given {
            let address = crate::geocode::Address {
                street: &self.street,
                city: &self.city,
                state: &self.state,
                zip: &self.zip,
            };
            self.coordinates = geocoder.refine(&address, self.coordinates)?;
        }
        Ok(())
    }
}

fn required_text(
    errors: &mut Vec<crate::error::FieldError>,
    field: &str,
    value: Option<&String>,
    max: usize,
) -> Option<String> {
    match value.map(|v| v.trim()).filter(|v| !v.is_empty()) {
        None => {
            errors.push(crate::error::FieldError::new(field, "is required"));
            None
        }
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => {
            errors.push(crate::error::FieldError::new(
                field,
                format!("must be at most {max} characters, without control characters"),
            ));
            None
        }
        Some(v) => Some(v.to_string()),
    }
}

impl LocationInput {
    /// Checks every field and places the store at its coordinates or its ZIP code's centre
    /// (offline); errors name every bad field.
    pub fn validate(&self) -> Result<CheckedLocation, Vec<crate::error::FieldError>> {
        use crate::error::FieldError;
        use crate::geocode::{Zip, check_state, place};
        let mut e = Vec::new();
        let code = required_text(&mut e, "code", self.code.as_ref(), 50);
        let name = required_text(&mut e, "name", self.name.as_ref(), 200);
        let street = required_text(&mut e, "street", self.street.as_ref(), 200);
        let city = required_text(&mut e, "city", self.city.as_ref(), 100);
        let state = required_text(&mut e, "state", self.state.as_ref(), 2);
        let state = check_state(&mut e, state);
        let zip = required_text(&mut e, "zip", self.zip.as_ref(), 10).and_then(|z| {
            Zip::parse(&z)
                .map_err(|m| e.push(FieldError::new("zip", m)))
                .ok()
        });
        let coordinates = match (self.latitude, self.longitude) {
            (Some(lat), Some(lon)) => crate::matching::Coordinates::new(lat, lon)
                .map_err(|m| e.push(FieldError::new("latitude", m)))
                .ok(),
            (None, None) => place(&mut e, &state, &zip),
            _ => {
                e.push(FieldError::new(
                    "latitude",
                    "give both latitude and longitude, or neither",
                ));
                None
            }
        };
        match (code, name, street, city, state, zip, coordinates) {
            (
                Some(code),
                Some(name),
                Some(street),
                Some(city),
                Some(state),
                Some(zip),
                Some(coordinates),
            ) if e.is_empty() => Ok(CheckedLocation {
                code,
                name,
                street,
                city,
                state,
                zip: zip.as_str().to_string(),
                coordinates,
                coordinates_given: self.latitude.is_some(),
            }),
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::db::schema::locations)]
pub struct Location {
    pub id: LocationId,
    pub client_id: ClientId,
    pub code: String,
    pub name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub latitude: f64,
    pub longitude: f64,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub updated_at: NaiveDateTime,
}

/// What a shopper must have for a job: a project's rules, or a job's overrides of them.
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize, utoipa::ToSchema)]
pub struct Requirements {
    /// Farthest a shopper may travel, km (1–500).
    pub max_km: Option<f64>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    /// The shopper needs a vehicle.
    pub vehicle: Option<bool>,
    /// ISO 639-1 codes the shopper must all speak.
    pub languages: Option<Vec<String>>,
    /// Certification names the shopper must all hold (unexpired).
    pub certifications: Option<Vec<String>>,
    /// 1–10.
    pub min_rating: Option<f64>,
    pub min_completed: Option<i32>,
}

impl Requirements {
    /// Checks the values that are given; names each bad one.
    pub fn check(&self, errors: &mut Vec<crate::error::FieldError>) {
        use crate::error::FieldError;
        if self
            .max_km
            .is_some_and(|k| !(k.is_finite() && (1.0..=500.0).contains(&k)))
        {
            errors.push(FieldError::new("max_km", "must be 1 to 500"));
        }
        for (field, age) in [("min_age", self.min_age), ("max_age", self.max_age)] {
            if age.is_some_and(|a| !(16..=120).contains(&a)) {
                errors.push(FieldError::new(field, "must be 16 to 120"));
            }
        }
        if let (Some(min), Some(max)) = (self.min_age, self.max_age)
            && min > max
        {
            errors.push(FieldError::new("max_age", "must not be below min_age"));
        }
        for (i, l) in self.languages.iter().flatten().enumerate() {
            if !(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase())) {
                errors.push(FieldError::new(
                    format!("languages[{i}]"),
                    "must be a two-letter ISO 639-1 code in lower case, like es",
                ));
            }
        }
        for (i, c) in self.certifications.iter().flatten().enumerate() {
            if c.trim().is_empty() || c.chars().count() > 100 {
                errors.push(FieldError::new(
                    format!("certifications[{i}]"),
                    "must be a certification name, 1 to 100 characters",
                ));
            }
        }
        if self
            .min_rating
            .is_some_and(|r| !(r.is_finite() && (1.0..=10.0).contains(&r)))
        {
            errors.push(FieldError::new("min_rating", "must be 1 to 10"));
        }
        if self.min_completed.is_some_and(|c| c < 0) {
            errors.push(FieldError::new("min_completed", "must not be negative"));
        }
    }
}

/// `POST /projects`.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectInput {
    pub client_id: ClientId,
    pub name: String,
    /// Farthest a shopper may travel, km (1–500). Required.
    #[schema(required = true, value_type = f64, minimum = 1, maximum = 500)]
    pub max_km: Option<f64>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    /// The shopper needs a vehicle.
    pub vehicle: Option<bool>,
    /// ISO 639-1 codes the shopper must all speak.
    pub languages: Option<Vec<String>>,
    /// Certification names the shopper must all hold (unexpired).
    pub certifications: Option<Vec<String>>,
    /// 1–10.
    pub min_rating: Option<f64>,
    pub min_completed: Option<i32>,
    /// Days before a shopper may visit the same store again.
    pub rotation_days: i32,
    /// The shopper's fee, in cents.
    pub fee_cents: i64,
    /// Most a shopper is reimbursed for a purchase, in cents.
    #[serde(default)]
    pub reimbursement_cap_cents: i64,
    /// Whether shoppers see the client's name on the job board.
    #[serde(default)]
    pub show_client_name: bool,
    /// Hours a shopper has to accept an offer before it lapses (1–720; 48 when left out).
    pub offer_hours: Option<i32>,
    /// Shoppers rated at least this (1–10) may take a job without asking; nobody when left
    /// out.
    pub self_assign_min_rating: Option<f64>,
    /// Days after a job's window that its report may still be handed in (0–30; 2 when left
    /// out); later, staff reopen it.
    pub report_grace_days: Option<i32>,
    /// Proof of visit: minutes a receipt photo may be taken before or after the reported visit
    /// (5–1,440; 120 when left out).
    pub photo_time_tolerance_minutes: Option<i32>,
    /// Proof of visit: metres a photo may be taken from the store (50–50,000; 500 when left
    /// out).
    pub photo_distance_limit_m: Option<i32>,
    /// Keep each photo's original as sent (its metadata removed: no EXIF, no position) beside
    /// the web copy and thumbnail; false when left out.
    #[serde(default)]
    pub keep_photo_originals: bool,
    /// QA: hours a report may wait in the queue before it stands out (1–720; 48 when left out).
    pub review_limit_hours: Option<i32>,
    /// QA: a report waiting longer than `review_limit_hours` is approved by itself.
    #[serde(default)]
    pub auto_approve: bool,
    /// QA: hours a shopper has to hand in a report sent back (1–168; 24 when left out).
    pub revision_hours: Option<i32>,
    /// QA: an approved report goes to the client at once (true when left out), or when QA
    /// releases it.
    pub release_on_approval: Option<bool>,
    /// Pay: days after release a client may dispute a report (0–90; 7 when left out); its
    /// shopper's pay waits meanwhile.
    pub dispute_days: Option<i32>,
    /// Pay: minutes a visit takes, for the job board's estimated pay per hour (5–480; 30 when
    /// left out).
    pub visit_minutes: Option<i32>,
    /// Alerts: a released report scoring below this percent (0–100) is mailed at once to the
    /// client's reviewers who chose alerts.
    pub alert_below_percent: Option<i32>,
    /// Alerts: a question (by name) whose answer among `alert_answers` alerts too.
    pub alert_question: Option<String>,
    /// Alerts: the answers of `alert_question` that alert (`no`, a choice's value).
    pub alert_answers: Option<Vec<String>>,
}

impl ProjectInput {
    pub fn requirements(&self) -> Requirements {
        Requirements {
            max_km: self.max_km,
            min_age: self.min_age,
            max_age: self.max_age,
            vehicle: self.vehicle,
            languages: self.languages.clone(),
            certifications: self.certifications.clone(),
            min_rating: self.min_rating,
            min_completed: self.min_completed,
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::db::schema::projects)]
pub struct ProjectRow {
    pub id: ProjectId,
    pub client_id: ClientId,
    pub name: String,
    pub max_km: f64,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub vehicle: bool,
    #[serde(skip)]
    pub languages: String,
    #[serde(skip)]
    pub certifications: String,
    pub min_rating: Option<f64>,
    pub min_completed: i32,
    pub rotation_days: i32,
    pub fee_cents: Money,
    pub reimbursement_cap_cents: Money,
    pub show_client_name: bool,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    pub offer_hours: i32,
    pub self_assign_min_rating: Option<f64>,
    pub report_grace_days: i32,
    pub photo_time_tolerance_minutes: i32,
    pub photo_distance_limit_m: i32,
    pub keep_photo_originals: bool,
    pub review_limit_hours: i32,
    pub auto_approve: bool,
    pub revision_hours: i32,
    pub release_on_approval: bool,
    pub dispute_days: i32,
    pub visit_minutes: i32,
    pub alert_below_percent: Option<i32>,
    pub alert_question: Option<String>,
    /// A JSON list of answers.
    #[serde(skip)]
    pub alert_answers: Option<String>,
}

impl ProjectRow {
    /// The answers of `alert_question` that alert.
    pub fn alert_answers(&self) -> Vec<String> {
        self.alert_answers
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }
}

/// A job as given: by JSON (`POST /jobs`) or by a CSV row.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobInput {
    /// Only in JSON: imports take it from the query.
    pub project_id: Option<ProjectId>,
    /// Only in JSON: imports name the store by `location_code`.
    pub location_id: Option<LocationId>,
    /// Unique in the project, and what a re-import matches; made up when left out.
    pub code: Option<String>,
    /// `YYYY-MM-DD`, first day of the visit window.
    pub window_start: Option<chrono::NaiveDate>,
    /// `YYYY-MM-DD`, last day.
    pub window_end: Option<chrono::NaiveDate>,
    /// The project's fee when left out.
    pub fee_cents: Option<i64>,
    pub bonus_cents: Option<i64>,
    /// The project's cap when left out.
    pub reimbursement_cap_cents: Option<i64>,
    // Overrides of the project's requirements, for this job only.
    /// Farthest a shopper may travel, km (1–500).
    pub max_km: Option<f64>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    /// The shopper needs a vehicle.
    pub vehicle: Option<bool>,
    /// ISO 639-1 codes the shopper must all speak.
    pub languages: Option<Vec<String>>,
    /// Certification names the shopper must all hold (unexpired).
    pub certifications: Option<Vec<String>>,
    /// 1–10.
    pub min_rating: Option<f64>,
    pub min_completed: Option<i32>,
}

impl JobInput {
    pub fn requirements(&self) -> Requirements {
        Requirements {
            max_km: self.max_km,
            min_age: self.min_age,
            max_age: self.max_age,
            vehicle: self.vehicle,
            languages: self.languages.clone(),
            certifications: self.certifications.clone(),
            min_rating: self.min_rating,
            min_completed: self.min_completed,
        }
    }
}

crate::ids::stored_enum! {
    /// Whether a job can still be taken. A job whose window is over is still `open` until staff
    /// or a finished assignment close it; pages say "window over" for it.
    pub enum JobStatus as "job status" {
        Open = "open",
        Closed = "closed",
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = crate::db::schema::jobs)]
pub struct JobRow {
    pub id: JobId,
    pub project_id: ProjectId,
    pub location_id: LocationId,
    pub code: String,
    pub window_start: chrono::NaiveDate,
    pub window_end: chrono::NaiveDate,
    pub fee_cents: Money,
    pub bonus_cents: Money,
    pub reimbursement_cap_cents: Money,
    pub max_km: Option<f64>,
    pub min_age: Option<i32>,
    pub max_age: Option<i32>,
    pub vehicle: Option<bool>,
    #[serde(skip)]
    pub languages: Option<String>,
    #[serde(skip)]
    pub certifications: Option<String>,
    pub min_rating: Option<f64>,
    pub min_completed: Option<i32>,
    pub status: JobStatus,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub updated_at: NaiveDateTime,
}
