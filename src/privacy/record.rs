//! The record of processing activities (GDPR Art. 30), generated from the data inventory and
//! the disclosure log, so that it cannot drift from the code: one activity per table or place
//! holding personal data, with its data subjects, categories, purposes, retention and
//! recipients, and the measures that protect it.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::inventory::{Category, Classification, FILES, INVENTORY};
use crate::db::DbConnection;
use crate::db::schema::disclosures;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Record {
    pub controller: String,
    #[serde(serialize_with = "crate::clock::rfc3339::serialize")]
    pub generated_at: NaiveDateTime,
    /// One processing activity per table or place that holds personal data.
    pub activities: Vec<Activity>,
    /// Everyone outside the company that received personal data, from the disclosure log.
    pub recipients: Vec<String>,
    /// Service providers that process data for us (processors, Art. 28).
    pub processors: Vec<&'static str>,
    /// Transfers outside the country the service runs in.
    pub transfers: &'static str,
    /// The technical and organisational measures (Art. 32).
    pub security: Vec<&'static str>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Activity {
    /// The table or place, as the code names it.
    pub name: String,
    pub data_subjects: &'static str,
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Item {
    pub data: String,
    /// The CCPA category letter (A–K).
    pub category: char,
    pub category_words: &'static str,
    pub purpose: &'static str,
    pub retention: &'static str,
}

/// Whose data a table holds, in words.
fn subjects_of(table: &str) -> &'static str {
    match table {
        "users" | "sessions" | "refresh_tokens" | "one_time_tokens" | "attempts" => {
            "everyone with an account: shoppers, staff and client reviewers"
        }
        "mail_outbox" => "everyone we mail",
        "privacy_requests" | "privacy_request_events" => "people who make a privacy request",
        "shares" => "contacts at friendly competitor companies",
        "access_records" => "shoppers (whose data was read) and staff (who read it)",
        _ => "shoppers",
    }
}

fn item(data: String, category: Category, purpose: &'static str, retention: &'static str) -> Item {
    Item {
        data,
        category: category.letter(),
        category_words: category.words(),
        purpose,
        retention,
    }
}

/// The record, now.
pub fn record(
    conn: &mut DbConnection,
    controller: &str,
    now: NaiveDateTime,
) -> QueryResult<Record> {
    let mut by_table: BTreeMap<&str, Vec<Item>> = BTreeMap::new();
    for entry in INVENTORY {
        if let Classification::Personal {
            category,
            purpose,
            retention,
        } = entry.classification
        {
            by_table.entry(entry.table).or_default().push(item(
                entry.column.replace('_', " "),
                category,
                purpose,
                retention,
            ));
        }
    }
    let mut activities: Vec<Activity> = by_table
        .into_iter()
        .map(|(table, items)| Activity {
            name: table.to_string(),
            data_subjects: subjects_of(table),
            items,
        })
        .collect();
    for file in FILES {
        activities.push(Activity {
            name: file.place.to_string(),
            data_subjects: "shoppers",
            items: vec![item(
                file.place.to_string(),
                file.category,
                file.purpose,
                file.retention,
            )],
        });
    }
    let recipients: Vec<String> = disclosures::table
        .select(disclosures::recipient)
        .distinct()
        .order(disclosures::recipient)
        .load(conn)?;
    Ok(Record {
        controller: controller.to_string(),
        generated_at: now,
        activities,
        recipients,
        processors: vec![
            "the mail provider (SMTP relay) that delivers our mail",
            "the object store (S3-compatible) that keeps photos and recordings, when configured",
            "the geocoder that turns a street address into coordinates, when configured",
        ],
        transfers: "none outside the country the service is run in, unless a processor configured above is elsewhere",
        security: vec![
            "tax ID, bank account and date of birth sealed with AES-256-GCM under rotating keys; staff see them masked, an administrator reveals one only with a reason, recorded",
            "every read of a shopper's personal data by staff is an access record the shopper can see",
            "every disclosure outside the company is a disclosure record the shopper can see",
            "roles: each route states who may use it and whose data it touches; a test walks every route with every role",
            "sign-in throttling that a stranger cannot turn against an account's owner; sessions revocable at once",
            "client reviewers see shoppers only under a code, never their identity",
            "personal data is deleted or de-identified when a person asks, and as the retention schedule says",
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_personal_column_is_in_one_activity() {
        let personal = INVENTORY
            .iter()
            .filter(|e| matches!(e.classification, Classification::Personal { .. }))
            .count();
        let mut by_table: BTreeMap<&str, usize> = BTreeMap::new();
        for e in INVENTORY {
            if matches!(e.classification, Classification::Personal { .. }) {
                *by_table.entry(e.table).or_default() += 1;
            }
        }
        assert_eq!(by_table.values().sum::<usize>(), personal);
        assert_eq!(
            subjects_of("privacy_requests"),
            "people who make a privacy request"
        );
        assert_eq!(subjects_of("shoppers"), "shoppers");
    }
}
