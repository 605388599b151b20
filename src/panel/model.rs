//! A shopper's application and profile: what the form sends, checked once into values that can
//! only be valid, and what the shopper sees back.

use crate::ids::ShopperId;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::schema::shoppers;
use crate::error::{AppError, FieldError};
use crate::geocode::{Geocoder, Zip, check_state, place};
use crate::matching::Coordinates;
use crate::privacy::consent::Purpose;
use crate::privacy::crypto::SealedField;

/// What a shopper without an application hears where the application is needed first.
pub fn no_application() -> crate::error::AppError {
    crate::error::AppError::new(
        actix_web::http::StatusCode::NOT_FOUND,
        "no_application",
        "Send your application first: the board lists jobs near your address.",
    )
}

crate::ids::stored_enum! {
    /// A shopper's place in the panel.
    pub enum Status as "shopper status" {
        /// Registered and applied; not yet approved.
        Applicant = "applicant",
        /// On the panel: sees and takes jobs.
        Active = "active",
        Suspended = "suspended",
    }
}

impl Status {
    /// The badge class a page shows the status with.
    pub fn badge(self) -> &'static str {
        match self {
            Status::Applicant => "badge-wait",
            Status::Active => "badge-ok",
            Status::Suspended => "badge-bad",
        }
    }

    /// The status a change leads to, or `None` where it does not apply: approve an
    /// applicant, suspend an applicant or a member, reinstate a suspended shopper.
    pub fn after(self, action: StatusAction) -> Option<Status> {
        match (action, self) {
            (StatusAction::Approve, Status::Applicant)
            | (StatusAction::Reinstate, Status::Suspended) => Some(Status::Active),
            (StatusAction::Suspend, Status::Applicant | Status::Active) => Some(Status::Suspended),
            _ => None,
        }
    }
}

/// What staff do to a shopper's place in the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAction {
    /// applicant → active
    Approve,
    /// applicant or active → suspended
    Suspend,
    /// suspended → active
    Reinstate,
}

impl StatusAction {
    pub fn as_str(self) -> &'static str {
        match self {
            StatusAction::Approve => "approve",
            StatusAction::Suspend => "suspend",
            StatusAction::Reinstate => "reinstate",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct CertificationInput {
    /// e.g. `MSPA Silver`.
    pub name: Option<String>,
    /// e.g. `MSPA Americas`.
    pub issuer: Option<String>,
    pub number: Option<String>,
    /// `YYYY-MM-DD`.
    pub expires_on: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct AffiliationInput {
    /// The company's name.
    pub organization: Option<String>,
    /// `self` (you work or worked there) or `household` (someone you live with).
    pub relation: Option<String>,
    /// `YYYY-MM-DD` when the tie ended; empty while it lasts.
    pub ended_on: Option<String>,
}

/// Consent choices sent with the application or the profile; a missing one is left as it is
/// (no, for a new applicant).
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentChoices {
    pub share_name_address: Option<bool>,
    pub share_contact: Option<bool>,
    pub job_offer_emails: Option<bool>,
    pub daily_digest: Option<bool>,
}

impl ConsentChoices {
    pub fn given(&self) -> Vec<(Purpose, bool)> {
        [
            (Purpose::ShareNameAddress, self.share_name_address),
            (Purpose::ShareContact, self.share_contact),
            (Purpose::JobOfferEmails, self.job_offer_emails),
            (Purpose::DailyDigest, self.daily_digest),
        ]
        .into_iter()
        .filter_map(|(p, v)| v.map(|v| (p, v)))
        .collect()
    }
}

/// The application, and later the profile. Every field is optional in the JSON so that a
/// missing required one is reported by name with the others, not as a parse error.
/// The sealed values (`date_of_birth`, `tax_id`, `bank_account`): missing or still masked
/// (as GET shows them) keeps the stored value; an empty string removes it.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    pub legal_name: Option<String>,
    pub street: Option<String>,
    pub city: Option<String>,
    /// Two-letter state code, e.g. `NY`.
    pub state: Option<String>,
    pub zip: Option<String>,
    pub phone: Option<String>,
    /// `YYYY-MM-DD`; you must be 18 or older.
    pub date_of_birth: Option<String>,
    /// SSN or ITIN, `123-45-6789`.
    pub tax_id: Option<String>,
    pub bank_account: Option<String>,
    /// 1–500 km.
    pub travel_radius_km: Option<f64>,
    /// ISO 639-1 codes, e.g. `["en", "es"]`.
    pub languages: Option<Vec<String>>,
    pub vehicle: Option<bool>,
    pub certifications: Option<Vec<CertificationInput>>,
    pub affiliations: Option<Vec<AffiliationInput>>,
    /// Required `true` on the first application: you are 18 or older (the panel is for adults),
    /// accept the shopper agreement and have read the privacy notice (their version is recorded).
    pub accept_agreement: Option<bool>,
    pub consents: Option<ConsentChoices>,
}

/// A change to a sealed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SealedChange {
    Keep,
    Remove,
    Set(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Certification {
    pub name: String,
    pub issuer: String,
    pub number: Option<String>,
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    #[serde(rename = "self")]
    Own,
    Household,
}

impl Relation {
    pub fn as_str(self) -> &'static str {
        match self {
            Relation::Own => "self",
            Relation::Household => "household",
        }
    }

    pub fn parse(value: &str) -> Option<Relation> {
        match value {
            "self" => Some(Relation::Own),
            "household" => Some(Relation::Household),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Affiliation {
    pub organization: String,
    pub relation: Relation,
    pub ended_on: Option<NaiveDate>,
}

/// A checked profile: every value valid, the address placed.
#[derive(Debug, Clone)]
pub struct Profile {
    pub legal_name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub coordinates: Coordinates,
    pub phone: Option<String>,
    pub date_of_birth: SealedChange,
    pub tax_id: SealedChange,
    pub bank_account: SealedChange,
    pub travel_radius_km: f64,
    pub languages: Vec<String>,
    pub vehicle: bool,
    pub certifications: Vec<Certification>,
    pub affiliations: Vec<Affiliation>,
    pub accept_agreement: bool,
    pub consents: ConsentChoices,
}

impl Profile {
    /// Places the street address with the geocoder (offline: stays at the ZIP code's centre).
    pub fn refine(&mut self, geocoder: &Geocoder) -> Result<(), AppError> {
        let address = crate::geocode::Address {
            street: &self.street,
            city: &self.city,
            state: &self.state,
            zip: &self.zip,
        };
        self.coordinates = geocoder
            .refine(&address, self.coordinates)
            .map_err(|e| AppError::validation(vec![e]))?;
        Ok(())
    }
}

const MAX_LIST: usize = 20;

fn text(
    errors: &mut Vec<FieldError>,
    field: &str,
    value: Option<&String>,
    (min, max): (usize, usize),
) -> Option<String> {
    let value = value.map(|v| v.trim()).filter(|v| !v.is_empty());
    let Some(value) = value else {
        if min > 0 {
            errors.push(FieldError::new(field, "is required"));
        }
        return None;
    };
    let chars = value.chars().count();
    if chars < min || chars > max {
        errors.push(FieldError::new(
            field,
            format!("must be {min} to {max} characters"),
        ));
        return None;
    }
    if value.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "must not hold control characters"));
        return None;
    }
    Some(value.to_string())
}

fn date(errors: &mut Vec<FieldError>, field: &str, value: Option<&String>) -> Option<NaiveDate> {
    let value = value.map(|v| v.trim()).filter(|v| !v.is_empty())?;
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(field, "must be a date, YYYY-MM-DD"));
            None
        }
    }
}

/// Whole years between `born` and `today`.
pub fn age_on(born: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - born.year();
    if (today.month(), today.day()) < (born.month(), born.day()) {
        age -= 1;
    }
    age
}

fn sealed(
    errors: &mut Vec<FieldError>,
    field: SealedField,
    value: Option<&String>,
    today: NaiveDate,
) -> SealedChange {
    let Some(raw) = value else {
        return SealedChange::Keep;
    };
    let raw = raw.trim();
    if raw.is_empty() {
        return SealedChange::Remove;
    }
    if raw.contains('•') {
        return SealedChange::Keep;
    }
    let name = field.name();
    let checked: Result<String, &str> = match field {
        SealedField::DateOfBirth => match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
            Err(_) => Err("must be a date, YYYY-MM-DD"),
            Ok(born) if born > today || age_on(born, today) > 120 => {
                Err("must be a real date of birth")
            }
            Ok(born) if age_on(born, today) < 18 => {
                Err("our panel is for adults: you are welcome to apply once you are 18")
            }
            Ok(born) => Ok(born.format("%Y-%m-%d").to_string()),
        },
        SealedField::TaxId => {
            let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
            let only_digits_and_dashes = raw.chars().all(|c| c.is_ascii_digit() || c == '-');
            if !only_digits_and_dashes || digits.len() != 9 {
                Err("must be an SSN or ITIN: nine digits, like 123-45-6789")
            } else if digits.starts_with("000")
                || digits.starts_with("666")
                || &digits[3..5] == "00"
                || &digits[5..] == "0000"
            {
                Err("is not a number the tax authority issues")
            } else {
                Ok(format!(
                    "{}-{}-{}",
                    &digits[..3],
                    &digits[3..5],
                    &digits[5..]
                ))
            }
        }
        SealedField::BankAccount => {
            let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
            if (4..=34).contains(&compact.len())
                && compact.chars().all(|c| c.is_ascii_alphanumeric())
            {
                Ok(compact.to_ascii_uppercase())
            } else {
                Err("must be 4 to 34 letters and digits (an account number or IBAN)")
            }
        }
    };
    match checked {
        Ok(v) => SealedChange::Set(v),
        Err(message) => {
            errors.push(FieldError::new(name, message));
            SealedChange::Keep
        }
    }
}

impl ProfileRequest {
    /// Checks every field and places the address at its ZIP code's centre (offline); errors
    /// name every bad field at once. `applying`: the first application, which must accept the
    /// agreement.
    pub fn validate(&self, today: NaiveDate, applying: bool) -> Result<Profile, AppError> {
        let mut errors = Vec::new();
        let e = &mut errors;
        let legal_name = text(e, "legal_name", self.legal_name.as_ref(), (2, 200));
        let street = text(e, "street", self.street.as_ref(), (3, 200));
        let city = text(e, "city", self.city.as_ref(), (1, 100));
        let state = text(e, "state", self.state.as_ref(), (2, 2));
        let state = check_state(e, state);
        let zip = match self.zip.as_deref().map(str::trim).filter(|z| !z.is_empty()) {
            None => {
                e.push(FieldError::new("zip", "is required"));
                None
            }
            Some(raw) => Zip::parse(raw)
                .map_err(|m| e.push(FieldError::new("zip", m)))
                .ok(),
        };
        let coordinates = place(e, &state, &zip);
        let phone = text(e, "phone", self.phone.as_ref(), (0, 30)).filter(|p| {
            let digits = p.chars().filter(char::is_ascii_digit).count();
            let shape = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            let ok = shape && (7..=15).contains(&digits);
            if !ok {
                e.push(FieldError::new(
                    "phone",
                    "must be a phone number: 7 to 15 digits, with + - ( ) . or spaces",
                ));
            }
            ok
        });
        let date_of_birth = sealed(
            e,
            SealedField::DateOfBirth,
            self.date_of_birth.as_ref(),
            today,
        );
        let tax_id = sealed(e, SealedField::TaxId, self.tax_id.as_ref(), today);
        let bank_account = sealed(
            e,
            SealedField::BankAccount,
            self.bank_account.as_ref(),
            today,
        );
        let travel_radius_km = match self.travel_radius_km {
            None => {
                e.push(FieldError::new("travel_radius_km", "is required"));
                None
            }
            Some(r) if r.is_finite() && (1.0..=500.0).contains(&r) => Some(r),
            Some(_) => {
                e.push(FieldError::new(
                    "travel_radius_km",
                    "must be between 1 and 500 km",
                ));
                None
            }
        };
        let mut languages: Vec<String> = Vec::new();
        let given = self.languages.as_deref().unwrap_or_default();
        if given.len() > MAX_LIST {
            e.push(FieldError::new("languages", "at most 20"));
        }
        for (i, l) in given.iter().enumerate().take(MAX_LIST) {
            let code = l.trim().to_ascii_lowercase();
            if code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()) {
                languages.push(code);
            } else {
                e.push(FieldError::new(
                    format!("languages[{i}]"),
                    "must be a two-letter ISO 639-1 code, like en or es",
                ));
            }
        }
        languages.sort();
        languages.dedup();
        let mut certifications = Vec::new();
        let given = self.certifications.as_deref().unwrap_or_default();
        if given.len() > MAX_LIST {
            e.push(FieldError::new("certifications", "at most 20"));
        }
        for (i, c) in given.iter().enumerate().take(MAX_LIST) {
            let f = |name: &str| format!("certifications[{i}].{name}");
            let name = text(e, &f("name"), c.name.as_ref(), (1, 100));
            let issuer = text(e, &f("issuer"), c.issuer.as_ref(), (1, 100));
            let number = text(e, &f("number"), c.number.as_ref(), (0, 50));
            let expires_on = date(e, &f("expires_on"), c.expires_on.as_ref());
            if let (Some(name), Some(issuer)) = (name, issuer) {
                certifications.push(Certification {
                    name,
                    issuer,
                    number,
                    expires_on,
                });
            }
        }
        let mut affiliations = Vec::new();
        let given = self.affiliations.as_deref().unwrap_or_default();
        if given.len() > MAX_LIST {
            e.push(FieldError::new("affiliations", "at most 20"));
        }
        for (i, a) in given.iter().enumerate().take(MAX_LIST) {
            let f = |name: &str| format!("affiliations[{i}].{name}");
            let organization = text(e, &f("organization"), a.organization.as_ref(), (1, 200));
            let relation = match a.relation.as_deref().map(str::trim) {
                Some(r) => Relation::parse(r).or_else(|| {
                    e.push(FieldError::new(f("relation"), "must be self or household"));
                    None
                }),
                None => {
                    e.push(FieldError::new(f("relation"), "is required"));
                    None
                }
            };
            let ended_on = date(e, &f("ended_on"), a.ended_on.as_ref());
            if ended_on.is_some_and(|d| d > today) {
                e.push(FieldError::new(f("ended_on"), "must not be in the future"));
            }
            if let (Some(organization), Some(relation)) = (organization, relation) {
                affiliations.push(Affiliation {
                    organization,
                    relation,
                    ended_on,
                });
            }
        }
        if applying && self.accept_agreement != Some(true) {
            e.push(FieldError::new(
                "accept_agreement",
                "confirm that you are 18 or older and accept the shopper agreement and the privacy notice to apply",
            ));
        }
        match (
            legal_name,
            street,
            city,
            state,
            zip,
            coordinates,
            travel_radius_km,
        ) {
            (
                Some(legal_name),
                Some(street),
                Some(city),
                Some(state),
                Some(zip),
                Some(coordinates),
                Some(travel_radius_km),
            ) if errors.is_empty() => Ok(Profile {
                legal_name,
                street,
                city,
                state,
                zip: zip.as_str().to_string(),
                coordinates,
                phone,
                date_of_birth,
                tax_id,
                bank_account,
                travel_radius_km,
                languages,
                vehicle: self.vehicle.unwrap_or(false),
                certifications,
                affiliations,
                accept_agreement: self.accept_agreement.unwrap_or(false),
                consents: self.consents.clone().unwrap_or_default(),
            }),
            _ => Err(AppError::validation(errors)),
        }
    }
}

/// A shopper row as stored (sealed values still sealed).
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = shoppers, primary_key(user_id))]
pub struct ShopperRow {
    pub user_id: ShopperId,
    pub code: String,
    /// Read through `Status::try_from`: an unknown stored status is an error.
    pub status: Status,
    pub legal_name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: Option<String>,
    pub date_of_birth: Option<String>,
    pub tax_id: Option<String>,
    pub bank_account: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub travel_radius_km: f64,
    pub languages: String,
    pub vehicle: bool,
    pub agreement_version: String,
    pub privacy_notice_version: String,
    pub agreed_at: NaiveDateTime,
    pub status_changed_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When the shopper limited the use of their sensitive data (date of birth, languages):
    /// matching no longer reads them.
    pub sensitive_limited_at: Option<NaiveDateTime>,
}

/// The languages of a shopper's stored list (a JSON list; none if it does not read).
pub fn languages_in(stored: &str) -> Vec<String> {
    serde_json::from_str(stored).unwrap_or_default()
}

impl ShopperRow {
    pub fn status(&self) -> Status {
        self.status
    }

    pub fn languages(&self) -> Vec<String> {
        languages_in(&self.languages)
    }

    pub fn sealed(&self, field: SealedField) -> Option<&str> {
        match field {
            SealedField::DateOfBirth => self.date_of_birth.as_deref(),
            SealedField::TaxId => self.tax_id.as_deref(),
            SealedField::BankAccount => self.bank_account.as_deref(),
        }
    }
}

/// What matching reads of a shopper: where they live and how far and how they travel, the
/// languages they speak, their status and their (sealed) date of birth; never their name,
/// address, contact or payment details. The live index loads a million of these.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = shoppers)]
pub struct MatchRow {
    pub user_id: ShopperId,
    pub status: Status,
    pub date_of_birth: Option<String>,
    pub latitude: f64,
    pub longitude: f64,
    pub travel_radius_km: f64,
    pub languages: String,
    pub vehicle: bool,
    pub sensitive_limited_at: Option<NaiveDateTime>,
}

impl From<&ShopperRow> for MatchRow {
    fn from(row: &ShopperRow) -> Self {
        MatchRow {
            user_id: row.user_id,
            status: row.status,
            date_of_birth: row.date_of_birth.clone(),
            latitude: row.latitude,
            longitude: row.longitude,
            travel_radius_km: row.travel_radius_km,
            languages: row.languages.clone(),
            vehicle: row.vehicle,
            sensitive_limited_at: row.sensitive_limited_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CertificationView {
    pub name: String,
    pub issuer: String,
    pub number: Option<String>,
    pub expires_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AffiliationView {
    pub organization: String,
    /// `self` or `household`.
    pub relation: String,
    pub ended_on: Option<NaiveDate>,
}

/// The profile as its owner sees it: sealed values masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProfileView {
    /// The pseudonym clients know you by.
    pub code: String,
    pub status: Status,
    pub legal_name: String,
    pub street: String,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub phone: Option<String>,
    /// Masked; send it again to change it, or an empty string to remove it.
    pub date_of_birth: Option<String>,
    pub tax_id: Option<String>,
    pub bank_account: Option<String>,
    pub travel_radius_km: f64,
    pub languages: Vec<String>,
    pub vehicle: bool,
    pub certifications: Vec<CertificationView>,
    pub affiliations: Vec<AffiliationView>,
    pub agreement_version: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub agreed_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn complete() -> ProfileRequest {
        ProfileRequest {
            legal_name: Some("Ada Lovelace".into()),
            street: Some("12 Main Street".into()),
            city: Some("New York".into()),
            state: Some("ny".into()),
            zip: Some("10001".into()),
            travel_radius_km: Some(25.0),
            accept_agreement: Some(true),
            ..ProfileRequest::default()
        }
    }

    #[test]
    fn status_changes_and_the_ones_refused() {
        use Status as S;
        use StatusAction as A;
        let allowed = [
            (S::Applicant, A::Approve, S::Active),
            (S::Applicant, A::Suspend, S::Suspended),
            (S::Active, A::Suspend, S::Suspended),
            (S::Suspended, A::Reinstate, S::Active),
        ];
        for from in [S::Applicant, S::Active, S::Suspended] {
            for action in [A::Approve, A::Suspend, A::Reinstate] {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                assert_eq!(from.after(action), expected, "{from:?} {action:?}");
            }
        }
    }

    #[test]
    fn a_complete_application_is_placed_on_the_map() {
        let profile = complete().validate(today(), true).unwrap();
        assert_eq!(profile.state, "NY");
        assert!((profile.coordinates.lat() - 40.75).abs() < 0.1);
        assert_eq!(profile.tax_id, SealedChange::Keep);
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let request = ProfileRequest {
            legal_name: None,
            zip: Some("99999".into()),
            phone: Some("call me".into()),
            date_of_birth: Some("2015-01-01".into()),
            tax_id: Some("000-12-3456".into()),
            travel_radius_km: Some(0.0),
            languages: Some(vec!["english".into()]),
            affiliations: Some(vec![AffiliationInput {
                organization: Some("Acme".into()),
                relation: Some("cousin".into()),
                ended_on: None,
            }]),
            ..complete()
        };
        let error = request.validate(today(), true).unwrap_err();
        let fields: Vec<&str> = error.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "legal_name",
                "zip",
                "phone",
                "date_of_birth",
                "tax_id",
                "travel_radius_km",
                "languages[0]",
                "affiliations[0].relation"
            ]
        );
        // A child is told kindly that the panel is for adults.
        let born = error
            .fields
            .iter()
            .find(|f| f.field == "date_of_birth")
            .unwrap();
        assert!(born.message.contains("once you are 18"), "{}", born.message);
    }

    #[test]
    fn masked_values_sent_back_are_kept_and_empty_ones_removed() {
        let request = ProfileRequest {
            tax_id: Some("•••-••-6789".into()),
            bank_account: Some(String::new()),
            date_of_birth: Some("1990-04-01".into()),
            ..complete()
        };
        let profile = request.validate(today(), true).unwrap();
        assert_eq!(profile.tax_id, SealedChange::Keep);
        assert_eq!(profile.bank_account, SealedChange::Remove);
        assert_eq!(
            profile.date_of_birth,
            SealedChange::Set("1990-04-01".into())
        );
    }

    #[test]
    fn ages_count_whole_years() {
        let born = NaiveDate::from_ymd_opt(2008, 11, 24).unwrap();
        assert_eq!(age_on(born, today()), 17);
        assert_eq!(
            age_on(born, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()),
            18
        );
    }
}

/// What a rating may cite.
pub const CITATIONS: &[&str] = &[
    "flake",
    "late",
    "no_show",
    "hero",
    "excellent_report",
    "incomplete_report",
    "rejected_report",
];

/// A shopper in the staff's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShopperSummary {
    pub id: ShopperId,
    pub code: String,
    pub legal_name: String,
    pub email: String,
    pub status: Status,
    pub city: String,
    pub state: String,
    /// The average of the ratings, 1–10; None before the first.
    pub rating: Option<f64>,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StatusChangeView {
    pub status: String,
    pub reason: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub changed_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RatingView {
    pub score: i32,
    pub citation: Option<String>,
    pub note: Option<String>,
    pub rated_on: NaiveDate,
}

/// A shopper as staff see one: the profile with sealed values masked, history and ratings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StaffShopperView {
    pub id: ShopperId,
    pub email: String,
    pub profile: ProfileView,
    pub status_history: Vec<StatusChangeView>,
    pub ratings: Vec<RatingView>,
    pub rating: Option<f64>,
}

/// `POST /shoppers/{id}/approve|suspend|reinstate`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    /// Why: shown to staff and in the shopper's data download.
    pub reason: Option<String>,
}

/// `POST /shoppers/{id}/ratings`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    /// 1–10.
    pub score: i32,
    /// One of flake, late, no_show, hero, excellent_report, incomplete_report.
    pub citation: Option<String>,
    pub note: Option<String>,
    /// `YYYY-MM-DD`; today when left out.
    pub rated_on: Option<NaiveDate>,
}

/// `POST /shoppers/{id}/reveal`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// `tax_id`, `bank_account` or `date_of_birth`.
    pub field: String,
    /// Why the value is needed (kept in the access record the shopper sees), 10–300 characters.
    pub purpose: String,
}
