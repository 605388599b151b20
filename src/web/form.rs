//! The one form mechanism of the pages. A refused form comes back as the same page with what
//! was typed kept (sealed values excepted) and **every** bad field's message beside that field;
//! what belongs to no field on the form is said at the top. A form that worked redirects, and
//! the next page says so once ("Saved", "Offer sent to S-1042") through a short-lived cookie.

use std::collections::{BTreeMap, HashMap};

use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use crate::error::{AppError, FieldError};
use crate::money::Money;
use crate::state::AppState;
use crate::units::DistanceUnit;

/// A field's message as a sentence beside its input: the service's short forms ("is
/// required", "must be 1 to 500") read as "Fill this in." and "This must be 1 to 500."
fn sentence(message: &str) -> String {
    let message = message.trim();
    let mut text = if message == "is required" || message.starts_with("is required ") {
        format!("Fill this in{}", &message["is required".len()..])
    } else if message.starts_with("must ") || message.starts_with("is ") {
        format!("This {message}")
    } else {
        let mut chars = message.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_uppercase().chain(chars).collect()
        })
    };
    if !text.ends_with(['.', '!', '?', ')']) {
        text.push('.');
    }
    text
}

/// What a field is called on the pages, for a problem said in one line.
fn field_words(field: &str) -> String {
    let known = [
        ("visit_on", "the day of the visit"),
        ("visited_on", "the day of the visit"),
        ("window_start", "the opening day of the window"),
        ("window_end", "the closing day of the window"),
        ("fee_cents", "the fee"),
        ("bonus_cents", "the bonus"),
        ("reimbursement_cap_cents", "the reimbursement cap"),
        ("max_km", "the farthest distance"),
        ("location_id", "the store"),
        ("shopper_id", "the shopper"),
        ("client_id", "the client"),
        ("reason", "the reason"),
    ];
    known.iter().find(|(name, _)| *name == field).map_or_else(
        || field.replace('_', " "),
        |(_, words)| (*words).to_string(),
    )
}

/// A refused request's problem in one line of words: each field's message, the field named in
/// words where the message does not say it on its own ("Choose a day from …" stands alone).
pub fn problem_in_words(e: &AppError) -> String {
    if e.fields.is_empty() {
        return e.detail.clone();
    }
    e.fields
        .iter()
        .map(|f| {
            let message = sentence(&f.message);
            let stands_alone = f.message.starts_with(|c: char| c.is_uppercase());
            if stands_alone {
                message
            } else {
                let mut about = field_words(&f.field);
                if let Some(first) = about.get(..1) {
                    about = first.to_uppercase() + &about[1..];
                }
                let raw = f.message.trim();
                if raw.starts_with("must ") || raw.starts_with("is ") {
                    // "The fee" + "must not be negative" reads as one sentence.
                    sentence(&format!("{about} {raw}"))
                } else {
                    format!("{about}: {message}")
                }
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cookie carrying a one-time confirmation to the page after a redirect.
pub const NOTICE_COOKIE: &str = "incognito_notice";

/// The longest confirmation carried (it is our own text, never the user's).
const MAX_NOTICE: usize = 200;

/// One form on a page: the values to show and the messages beside its fields.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    values: HashMap<String, String>,
    errors: BTreeMap<String, Vec<String>>,
    /// What was wrong that belongs to no field of this form, in words.
    pub other: Vec<String>,
}

impl FormState {
    /// A form not yet sent, empty.
    pub fn blank() -> Self {
        Self::default()
    }

    /// A form not yet sent with one value filled in (a store chosen from a search).
    pub fn with_value(name: &str, value: &str) -> Self {
        Self {
            values: HashMap::from([(name.to_string(), value.to_string())]),
            ..Self::default()
        }
    }

    /// A form filled with stored values, not yet sent.
    pub fn filled(values: HashMap<String, String>) -> Self {
        Self {
            values,
            ..Self::default()
        }
    }

    /// The form as it was sent and refused: every value kept except the `sealed` ones, each
    /// of the error's fields placed beside the input of that name (`renamed` maps the API's
    /// field names to the form's where they differ: `("fee_cents", "fee")`), the rest, or
    /// the detail of an error without fields, said at the top.
    pub fn refused(
        sent: &HashMap<String, String>,
        error: &AppError,
        on_form: &[&str],
        renamed: &[(&str, &str)],
        sealed: &[&str],
    ) -> Self {
        let mut state = Self {
            values: sent
                .iter()
                .filter(|(k, _)| !sealed.contains(&k.as_str()) && *k != "csrf_token")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            ..Self::default()
        };
        if error.fields.is_empty() {
            state.other.push(error.detail.clone());
        }
        for field in &error.fields {
            let name = renamed
                .iter()
                .find(|(api, _)| *api == field.field)
                .map_or(field.field.as_str(), |(_, form)| *form);
            if on_form.contains(&name) {
                state
                    .errors
                    .entry(name.to_string())
                    .or_default()
                    .push(sentence(&field.message));
            } else {
                state.other.push(sentence(&field.message));
            }
        }
        state
    }

    /// The value to show in the input `name`.
    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// Whether the checkbox `name` is ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.values
            .get(name)
            .is_some_and(|v| matches!(v.as_str(), "on" | "true" | "1" | "yes"))
    }

    /// Whether the input `name` has a problem.
    pub fn invalid(&self, name: &str) -> bool {
        self.errors.contains_key(name)
    }

    /// What is wrong with the input `name` (empty when nothing is).
    pub fn error(&self, name: &str) -> String {
        self.errors
            .get(name)
            .map(|m| m.join(" "))
            .unwrap_or_default()
    }

    /// How many inputs have a problem.
    pub fn invalid_count(&self) -> usize {
        self.errors.len()
    }

    /// Whether the form was refused.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty() || !self.other.is_empty()
    }

    /// The line at the top of a refused form.
    pub fn summary(&self) -> String {
        match self.errors.len() {
            0 => self.other.join(" "),
            1 => "Please correct the field marked below.".to_string(),
            n => format!("Please correct the {n} fields marked below."),
        }
    }
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Reads a sent form into typed values at the page's edge, collecting a message in words for
/// every input that cannot be read (a number that is not one, an amount that is not money), so
/// that they are all shown at once with the service's own checks.
pub struct Reader<'a> {
    form: &'a HashMap<String, String>,
    unit: DistanceUnit,
    pub errors: Vec<FieldError>,
}

impl<'a> Reader<'a> {
    pub fn new(form: &'a HashMap<String, String>) -> Self {
        Self {
            form,
            unit: DistanceUnit::default(),
            errors: Vec::new(),
        }
    }

    /// Distances are typed in `unit` (the pages' setting).
    pub fn in_unit(mut self, unit: DistanceUnit) -> Self {
        self.unit = unit;
        self
    }

    /// A distance typed in the pages' unit, within `min_km`–`max_km`, in kilometres; the
    /// message names the range in the unit typed.
    pub fn distance(&mut self, name: &str, min_km: f64, max_km: f64) -> Option<f64> {
        let value = self.number(name)?;
        match self.unit.typed_within(value, min_km, max_km) {
            Ok(km) => Some(km),
            Err(message) => {
                self.errors.push(FieldError::new(name, message));
                None
            }
        }
    }

    /// The input trimmed; `None` when missing or empty.
    pub fn text(&self, name: &str) -> Option<String> {
        self.form
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The input as typed, empty when missing.
    pub fn raw(&self, name: &str) -> String {
        self.form.get(name).cloned().unwrap_or_default()
    }

    /// Whether the checkbox is ticked.
    pub fn ticked(&self, name: &str) -> bool {
        self.form.get(name).is_some_and(|v| v == "on")
    }

    /// A number (`12.5`); a message when it is not one.
    pub fn number(&mut self, name: &str) -> Option<f64> {
        let text = self.text(name)?;
        match text.replace(',', "").parse::<f64>() {
            Ok(n) if n.is_finite() => Some(n),
            _ => {
                self.errors.push(FieldError::new(
                    name,
                    format!("Type a number here, not “{text}”."),
                ));
                None
            }
        }
    }

    /// A whole number (`30`); a message when it is not one.
    pub fn whole(&mut self, name: &str) -> Option<i32> {
        let text = self.text(name)?;
        match text.replace(',', "").parse::<i32>() {
            Ok(n) => Some(n),
            Err(_) => {
                self.errors.push(FieldError::new(
                    name,
                    format!("Type a whole number here, not “{text}”."),
                ));
                None
            }
        }
    }

    /// An amount of money in dollars (`25`, `$25.50`, `1,250`), in cents; `required` is the
    /// message when it is left empty (empty: optional).
    pub fn money(&mut self, name: &str, required: &str) -> Option<i64> {
        match self.text(name) {
            None => {
                if !required.is_empty() {
                    self.errors.push(FieldError::new(name, required));
                }
                None
            }
            Some(v) => match Money::parse(&v) {
                Ok(m) => Some(m.cents()),
                Err(message) => {
                    self.errors.push(FieldError::new(name, message));
                    None
                }
            },
        }
    }

    /// A day (`2036-12-01`, as `<input type="date">` sends it).
    pub fn date(&mut self, name: &str) -> Option<chrono::NaiveDate> {
        let text = self.text(name)?;
        match chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(day) => Some(day),
            Err(_) => {
                self.errors.push(FieldError::new(
                    name,
                    format!("Type a date like 2036-12-01, not “{text}”."),
                ));
                None
            }
        }
    }

    /// The id chosen in a list (a store, a shopper); `message` when it is not one.
    pub fn id<T: From<i64>>(&mut self, name: &str, message: &str) -> Option<T> {
        let text = self.text(name)?;
        match text.parse::<i64>() {
            Ok(id) if id > 0 => Some(T::from(id)),
            _ => {
                self.errors.push(FieldError::new(name, message));
                None
            }
        }
    }

    /// A comma-separated list (`es, en`), without empty entries.
    pub fn list(&self, name: &str) -> Option<Vec<String>> {
        self.text(name).map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
    }
}

/// The problems of a form in one list: what could not be read first, then the service's or
/// the request's own, for the fields not named yet (one message a field).
pub fn merged(unread: Vec<FieldError>, more: Vec<FieldError>) -> Vec<FieldError> {
    let mut all = unread;
    for f in more {
        if !all.iter().any(|seen| seen.field == f.field) {
            all.push(f);
        }
    }
    all
}

/// After a form that worked: to `location`, where the page says `notice` once.
pub fn done(state: &AppState, location: &str, notice: &str) -> HttpResponse {
    let notice: String = notice.chars().take(MAX_NOTICE).collect();
    let cookie = Cookie::build(NOTICE_COOKIE, encode(&notice))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.settings.cookies_secure())
        .max_age(CookieDuration::seconds(120))
        .finish();
    let mut response = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish();
    let _ = response.add_cookie(&cookie);
    response
}

/// The confirmation waiting for this page, if any. Answer with [`shown`] so that it is said
/// only once.
pub fn notice(req: &HttpRequest) -> Option<String> {
    let raw = req.cookie(NOTICE_COOKIE)?;
    // The value is one form-encoded word: read back as the key of a one-pair form.
    let (text, _) = url::form_urlencoded::parse(raw.value().as_bytes()).next()?;
    let text: String = text.chars().take(MAX_NOTICE).collect();
    (!text.trim().is_empty()).then_some(text)
}

/// Forgets the confirmation once a page has shown it.
pub fn shown(req: &HttpRequest, mut response: HttpResponse) -> HttpResponse {
    if req.cookie(NOTICE_COOKIE).is_some() {
        let mut gone = Cookie::build(NOTICE_COOKIE, "").path("/").finish();
        gone.make_removal();
        let _ = response.add_cookie(&gone);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> HashMap<String, String> {
        [
            ("code", "S-1"),
            ("zip", "1234"),
            ("name", ""),
            ("tax_id", "123-45-6789"),
            ("csrf_token", "t"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn every_bad_field_is_placed_and_every_value_kept_but_sealed_ones() {
        let error = AppError::validation(vec![
            FieldError::new("zip", "Use a 5-digit ZIP code."),
            FieldError::new("name", "Give the store a name."),
            FieldError::new("fee_cents", "Type an amount in dollars."),
            FieldError::new("client_id", "No client has this id."),
        ]);
        let form = FormState::refused(
            &sent(),
            &error,
            &["code", "zip", "name", "fee", "tax_id"],
            &[("fee_cents", "fee")],
            &["tax_id"],
        );
        assert!(form.failed());
        assert_eq!(form.value("code"), "S-1");
        assert_eq!(form.value("zip"), "1234");
        assert_eq!(form.value("tax_id"), "", "a sealed value is not sent back");
        assert_eq!(form.value("csrf_token"), "");
        assert_eq!(form.error("zip"), "Use a 5-digit ZIP code.");
        assert_eq!(form.error("name"), "Give the store a name.");
        assert_eq!(form.error("fee"), "Type an amount in dollars.");
        assert!(!form.invalid("code"));
        // A field that is not on this form is said at the top.
        assert_eq!(form.other, vec!["No client has this id.".to_string()]);
        assert_eq!(form.summary(), "Please correct the 3 fields marked below.");
    }

    #[test]
    fn a_reader_names_every_input_it_cannot_read() {
        let sent: HashMap<String, String> = [
            ("max_km", "thirty"),
            ("min_age", "18.5"),
            ("fee", "$25.50"),
            ("cap", "lots"),
            ("rating", " 7.5 "),
            ("languages", "es, , en"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut read = Reader::new(&sent);
        assert_eq!(read.number("max_km"), None);
        assert_eq!(read.whole("min_age"), None);
        assert_eq!(read.money("fee", "Type the fee."), Some(2550));
        assert_eq!(read.money("cap", ""), None);
        assert_eq!(read.money("bonus", "Type the bonus."), None);
        assert_eq!(read.number("rating"), Some(7.5));
        assert_eq!(read.list("languages"), Some(vec!["es".into(), "en".into()]));
        let named: Vec<&str> = read.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(named, ["max_km", "min_age", "cap", "bonus"]);
        assert!(read.errors[0].message.contains("thirty"));
    }

    #[test]
    fn a_problem_in_one_line_names_no_internal_field() {
        let e = AppError::validation(vec![
            FieldError::new("visit_on", "Choose a day from 2036-06-01 to 2036-06-30."),
            FieldError::new("window_end", "must be on or after the opening day"),
            FieldError::new("fee_cents", "must not be negative"),
        ]);
        let line = problem_in_words(&e);
        assert_eq!(
            line,
            "Choose a day from 2036-06-01 to 2036-06-30. The closing day of the window must be on or after the opening day. The fee must not be negative."
        );
        assert!(!line.contains('_'));
    }

    #[test]
    fn short_messages_read_as_sentences() {
        assert_eq!(sentence("is required"), "Fill this in.");
        assert_eq!(sentence("must be 1 to 500"), "This must be 1 to 500.");
        assert_eq!(
            sentence("94110 is in CA, not in NY"),
            "94110 is in CA, not in NY."
        );
        assert_eq!(sentence("Type a number."), "Type a number.");
    }

    #[test]
    fn a_notice_reads_back_as_written() {
        let text = "Offer sent to S-1042 & saved = done; 100%";
        let encoded = encode(text);
        let (back, _) = url::form_urlencoded::parse(encoded.as_bytes())
            .next()
            .unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn an_error_without_fields_is_said_at_the_top() {
        let error = AppError::conflict("already_exists", "The client has this store already.");
        let form = FormState::refused(&sent(), &error, &["code"], &[], &[]);
        assert!(form.failed());
        assert_eq!(form.summary(), "The client has this store already.");
        assert!(!FormState::blank().failed());
    }
}
