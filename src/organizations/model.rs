//! Organizations and the key that makes "ACME, Inc." and "Acme Inc" one company.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::organizations;
use crate::text;

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

/// The de-duplication key of an organization's name: folded (NFKC, no invisible characters,
/// case-folded; see `text`), `&` as `and`, punctuation dropped, a leading "the" and trailing
/// legal forms removed, spaces collapsed, and the words' confusable skeleton (UTS #39), so that
/// "Café Royal" typed with a combining accent, in full-width letters, with a soft hyphen or
/// with a Cyrillic "а" is the one company "Café Royal".
pub fn name_key(name: &str) -> String {
    let cleaned: String = text::fold(name)
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
    text::skeleton_of_folded(&words.join(" "))
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
    /// An older organization that the name rules find to be the same company, entered twice:
    /// merge this one into it (`POST /api/v1/organizations/{id}/merge`).
    pub same_as: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_company_share_a_key() {
        assert_eq!(name_key("ACME, Inc."), text::skeleton("acme"));
        assert_eq!(name_key("  Acme   inc"), text::skeleton("acme"));
        assert_eq!(
            name_key("The Burger Barn LLC"),
            text::skeleton("burger barn")
        );
        assert_eq!(
            name_key("Smith & Sons Co."),
            text::skeleton("smith and sons")
        );
        assert_eq!(name_key("Smith and Sons"), text::skeleton("smith and sons"));
        assert_ne!(name_key("Acme Foods"), name_key("Acme"));
        assert_eq!(name_key("Inc"), text::skeleton("inc"));
        for variant in [
            "Cafe\u{301} Royal",
            "Ｃａｆé Ｒｏｙａｌ",
            "Ca\u{AD}fé Royal",
            "C\u{430}fé Royal Ltd.",
        ] {
            assert_eq!(name_key(variant), name_key("Café Royal"), "{variant:?}");
        }
    }
}
