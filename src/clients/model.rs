//! Organizations and the key that makes "ACME, Inc." and "Acme Inc" one company.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::organizations;

/// Legal-form words that do not tell companies apart.
const LEGAL_FORMS: &[&str] = &[
    "inc",
    "incorporated",
    "llc",
    "ltd",
    "limited",
    "corp",
    "corporation",
    "co",
    "company",
    "plc",
    "gmbh",
    "lp",
    "llp",
];

/// The de-duplication key of an organization's name: lower case, `&` as `and`, punctuation
/// dropped, a leading "the" and trailing legal forms removed, spaces collapsed.
pub fn name_key(name: &str) -> String {
    let cleaned: String = name
        .to_lowercase()
        .replace('&', " and ")
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = cleaned.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| LEGAL_FORMS.contains(w)) {
        words.pop();
    }
    if words.len() > 1 && words.first() == Some(&"the") {
        words.remove(0);
    }
    words.join(" ")
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = organizations)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    #[serde(skip)]
    pub name_key: String,
    pub friendly_competitor: bool,
    pub created_at: NaiveDateTime,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_company_share_a_key() {
        assert_eq!(name_key("ACME, Inc."), "acme");
        assert_eq!(name_key("  Acme   inc"), "acme");
        assert_eq!(name_key("The Burger Barn LLC"), "burger barn");
        assert_eq!(name_key("Smith & Sons Co."), "smith and sons");
        assert_eq!(name_key("Smith and Sons"), "smith and sons");
        assert_ne!(name_key("Acme Foods"), name_key("Acme"));
        assert_eq!(name_key("Inc"), "inc");
    }
}

/// A client with its organization's name and its named competitors.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientView {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub competitors: Vec<Organization>,
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
