//! The privacy notice's tables, generated from the data inventory and the disclosure log so
//! that they cannot drift from the code: what we collect (by category, in a person's words,
//! with where it comes from and why), who received data in the last 12 months (by kind of
//! recipient, with the categories), and how long each category is kept.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::inventory::{Category, Classification, INVENTORY};
use crate::db::DbConnection;
use crate::db::schema::disclosures;

/// One category of personal data as the notice explains it.
#[derive(Debug, Clone)]
pub struct Collected {
    pub category: String,
    /// Examples of the data, in words ("email", "street", …).
    pub examples: Vec<String>,
    /// Where it comes from.
    pub sources: Vec<&'static str>,
    /// Why we use it (every purpose the inventory gives for it).
    pub purposes: Vec<&'static str>,
    /// How long it is kept (every rule the inventory gives for it).
    pub kept: Vec<&'static str>,
}

/// A kind of recipient, and the categories it received in the last 12 months.
#[derive(Debug, Clone)]
pub struct Disclosed {
    pub recipient: String,
    pub categories: String,
}

/// Where a table's data comes from, in words.
fn source_of(table: &str) -> &'static str {
    match table {
        "users" | "sessions" | "refresh_tokens" | "one_time_tokens" | "attempts" => {
            "you, when you sign up and sign in"
        }
        "shoppers" | "certifications" | "affiliations" => "you, in your application and profile",
        "consents" => "you, when you make a choice (or your browser's privacy signal)",
        "reports" | "media" | "assignments" | "assignment_events" => {
            "you, in your assignments, reports and files"
        }
        "ratings"
        | "citations"
        | "shopper_status_changes"
        | "disqualifications"
        | "review_events"
        | "report_edits" => "our staff, about your work",
        "disputes" => "clients, about a report",
        "ledger_lines" | "payouts" => "us, when we pay you",
        "access_records" | "disclosures" | "batch_items" | "digests" => "our systems, as they work",
        "privacy_requests" | "privacy_request_events" => "you, when you make a privacy request",
        "mail_outbox" => "us, when we mail you",
        _ => "our systems, as they work",
    }
}

/// The notice's table of what we collect, one row per category.
pub fn collected() -> Vec<Collected> {
    let mut by: BTreeMap<char, (Category, Collected)> = BTreeMap::new();
    for entry in INVENTORY {
        let Classification::Personal {
            category,
            purpose,
            retention,
        } = entry.classification
        else {
            continue;
        };
        let row = &mut by
            .entry(category.letter())
            .or_insert_with(|| {
                (
                    category,
                    Collected {
                        category: crate::text::capitalise(category.words()),
                        examples: Vec::new(),
                        sources: Vec::new(),
                        purposes: Vec::new(),
                        kept: Vec::new(),
                    },
                )
            })
            .1;
        let example = entry.column.replace('_', " ");
        if !row.examples.contains(&example) && row.examples.len() < 8 {
            row.examples.push(example);
        }
        for (list, value) in [
            (&mut row.sources, source_of(entry.table)),
            (&mut row.purposes, purpose),
            (&mut row.kept, retention),
        ] {
            if !list.contains(&value) {
                list.push(value);
            }
        }
    }
    by.into_values().map(|(_, row)| row).collect()
}

/// Who received personal data in the 12 months before `now`, by kind of recipient.
pub fn disclosed(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Vec<Disclosed>> {
    let rows: Vec<(String, String, Option<i64>)> = disclosures::table
        .filter(disclosures::disclosed_at.gt(now - Duration::days(365)))
        .select((
            disclosures::recipient,
            disclosures::categories,
            disclosures::share_id,
        ))
        .distinct()
        .load(conn)?;
    let mut kinds: BTreeMap<&'static str, BTreeSet<String>> = BTreeMap::new();
    for (recipient, categories, share) in rows {
        let kind = if share.is_some() {
            "Friendly mystery-shopping companies, only for shoppers who said yes"
        } else if recipient.starts_with("geocoder") {
            "A geocoding service, to place your address on the map"
        } else {
            "Other service providers working for us"
        };
        kinds
            .entry(kind)
            .or_default()
            .extend(categories.split(',').map(str::trim).map(str::to_string));
    }
    Ok(kinds
        .into_iter()
        .map(|(recipient, letters)| Disclosed {
            recipient: recipient.to_string(),
            categories: super::inventory::categories_in_words(
                &letters.into_iter().collect::<Vec<_>>().join(","),
            ),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_category_the_inventory_holds_is_explained_with_its_source() {
        let rows = collected();
        let held: BTreeSet<char> = INVENTORY
            .iter()
            .filter_map(|e| match e.classification {
                Classification::Personal { category, .. } => Some(category.letter()),
                Classification::NotPersonal => None,
            })
            .collect();
        assert_eq!(rows.len(), held.len());
        let identifiers = rows.iter().find(|r| r.category == "Identifiers").unwrap();
        assert!(identifiers.examples.contains(&"email".to_string()));
        assert!(
            identifiers
                .sources
                .contains(&"you, when you sign up and sign in")
        );
        assert!(
            rows.iter()
                .all(|r| !r.purposes.is_empty() && !r.kept.is_empty())
        );
    }
}
