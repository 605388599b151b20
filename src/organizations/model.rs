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
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
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
