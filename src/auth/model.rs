//! Accounts: roles, user rows, and the values that can only be built valid.

use crate::ids::ClientId;
use std::fmt;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::users;
use crate::error::FieldError;

crate::ids::stored_enum! {
    /// Who a person is to the panel. DESIGN.md lists what each may do.
    pub enum Role as "role" {
        Shopper = "shopper",
        Scheduler = "scheduler",
        Qa = "qa",
        ClientReviewer = "client_reviewer",
        PrivacyOfficer = "privacy_officer",
        Admin = "admin",
    }
}

impl Role {
    /// The scheduling staff: who runs clients, stores, jobs and shoppers' assignments.
    pub const SCHEDULING: &'static [Role] = &[Role::Scheduler, Role::Admin];

    /// A person-facing name for pages.
    pub fn label(self) -> &'static str {
        match self {
            Role::Shopper => "Shopper",
            Role::Scheduler => "Scheduling staff",
            Role::Qa => "Quality review",
            Role::ClientReviewer => "Client reviewer",
            Role::PrivacyOfficer => "Privacy officer",
            Role::Admin => "Administrator",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A user's id. Not interchangeable with any other id.
pub use crate::ids::UserId;

/// An email address, trimmed and lower-cased, of a plausible shape.
/// `Debug` masks it: addresses are personal data and stay out of logs.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Checks an address and writes it down as one account's key: NFKC, without invisible
    /// characters, case-folded (see `text`), so that `ｓｈｏｐａ@example.com` is the account
    /// `shopa@example.com`. A part mixing scripts (a Cyrillic "о" among Latin letters) is
    /// refused: it is nobody's real address, only a lookalike of one.
    pub fn parse(raw: &str) -> Result<Email, String> {
        let value = crate::text::fold(raw.trim());
        if value.is_empty() {
            return Err("is required".into());
        }
        if value.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err("must be an address such as name@example.com".into());
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
        if !domain_ok || !local_ok {
            return Err("must be an address such as name@example.com".into());
        }
        if !crate::text::single_script(local) || !crate::text::single_script(domain) {
            return Err(
                "mixes letters of different alphabets (such as a Cyrillic о among Latin letters); type it in one alphabet"
                    .into(),
            );
        }
        // lettre must accept it too, or we could not mail it.
        if value.parse::<lettre::Address>().is_err() {
            return Err("must be an address such as name@example.com".into());
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = self.0.chars().next().unwrap_or('?');
        let domain = self.0.rsplit_once('@').map_or("", |(_, d)| d);
        write!(f, "Email({first}•••@{domain})")
    }
}

/// A password as typed. `Debug` never prints it.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 12;
    pub const MAX_CHARS: usize = 256;

    pub fn new(value: impl Into<String>) -> Self {
        Password(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Length 12–256 characters and not easily guessed (zxcvbn score 3 or more), taking the
    /// person's own email into account.
    pub fn check_strength(&self, field: &str, email: Option<&Email>) -> Result<(), FieldError> {
        let chars = self.0.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        let mut inputs: Vec<&str> = vec!["incognito", "mystery", "shopper"];
        if let Some(email) = email {
            inputs.push(email.as_str());
            if let Some((local, _)) = email.as_str().split_once('@') {
                inputs.push(local);
            }
        }
        let estimate = zxcvbn::zxcvbn(&self.0, &inputs);
        if estimate.score() < zxcvbn::Score::Three {
            let hint = estimate
                .feedback()
                .and_then(|f| f.warning())
                .map(|w| format!(" ({w})"))
                .unwrap_or_default();
            return Err(FieldError::new(
                field,
                format!("is too easy to guess{hint}; a few unrelated words make a strong password"),
            ));
        }
        Ok(())
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(••••)")
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub password_hash: String,
    /// An unknown stored role is an error when read.
    pub role: Role,
    pub email_verified_at: Option<NaiveDateTime>,
    pub disabled_at: Option<NaiveDateTime>,
    pub password_changed_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub client_id: Option<ClientId>,
}

impl User {
    pub fn role(&self) -> Role {
        self.role
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub email_verified_at: Option<NaiveDateTime>,
    pub password_changed_at: NaiveDateTime,
    pub created_at: NaiveDateTime,
    pub client_id: Option<ClientId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ana@Example.COM ").unwrap().as_str(),
            "ana@example.com"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.com",
            "ana@example",
            "a b@example.com",
            "ana@exa mple.com",
            "sh\u{43E}pa@example.com",
            "shopa@ex\u{430}mple.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        // The attack run registered these as accounts apart from shopa@example.com.
        for same in [
            "ｓｈｏｐａ@example.com",
            "SHOPA@EXAMPLE.COM",
            "sho\u{AD}pa@example.com",
        ] {
            assert_eq!(
                Email::parse(same).unwrap().as_str(),
                "shopa@example.com",
                "{same:?}"
            );
        }
        assert_eq!(
            Email::parse("иван@пример.рф").unwrap().as_str(),
            "иван@пример.рф"
        );
    }

    #[test]
    fn email_debug_is_masked() {
        let e = Email::parse("ana.lopez@example.com").unwrap();
        assert!(!format!("{e:?}").contains("lopez"));
    }

    #[test]
    fn weak_and_short_passwords_are_refused() {
        let email = Email::parse("ana.lopez@example.com").unwrap();
        for weak in [
            "short",
            "password1234",
            "qwertyuiop123",
            "aaaaaaaaaaaaaaaa",
            "ana.lopez@example.com",
        ] {
            assert!(
                Password::new(weak)
                    .check_strength("password", Some(&email))
                    .is_err(),
                "{weak}"
            );
        }
        let long = "x".repeat(257);
        assert!(
            Password::new(long)
                .check_strength("password", None)
                .is_err()
        );
        assert!(
            Password::new("correct horse battery staple")
                .check_strength("password", Some(&email))
                .is_ok()
        );
    }

    #[test]
    fn roles_round_trip() {
        for &role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            // The stored name is the JSON name.
            assert_eq!(serde_json::to_value(role).unwrap(), role.as_str());
        }
        assert_eq!(Role::parse("root"), None);
    }
}

/// A staff account as the admin's pages and API show it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffAccount {
    pub id: UserId,
    pub email: String,
    pub role: Role,
    /// The client of a client reviewer.
    pub client_id: Option<ClientId>,
    /// A disabled account cannot sign in.
    pub disabled: bool,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub created_at: NaiveDateTime,
}

/// One page of the staff accounts.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StaffPage {
    pub accounts: Vec<StaffAccount>,
    pub page: i64,
    pub pages: i64,
    pub total: i64,
}

/// A new account made by an admin.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
pub struct CreateUserRequest {
    pub email: String,
    /// The first password, given to the person to change at their first sign-in.
    pub password: String,
    pub role: String,
    /// Required for `client_reviewer` (the one client whose released reports they see);
    /// not allowed for other roles.
    pub client_id: Option<ClientId>,
}
