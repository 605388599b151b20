//! The data inventory: every column of the schema, classified once.
//!
//! A column holds personal information (a CCPA category A–K, with the purpose it serves and how
//! long it is kept) or it does not. A test compares this list with the live database on both
//! backends and fails on a column that is missing here, so no change adds personal data silently.
//! The privacy notice, exports and deletions read this list.

use serde::Serialize;

/// The CCPA categories of personal information (Cal. Civ. Code §1798.140(v)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Category {
    /// A: identifiers (name, email, account name, IP address).
    A,
    /// B: customer records (address, phone, bank account, SSN).
    B,
    /// C: protected classifications (age, sex, language).
    C,
    /// D: commercial information.
    D,
    /// E: biometric information.
    E,
    /// F: internet or network activity.
    F,
    /// G: geolocation.
    G,
    /// H: sensory data (audio, photos).
    H,
    /// I: professional or employment information.
    I,
    /// J: education information.
    J,
    /// K: inferences and profiles.
    K,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::A,
        Category::B,
        Category::C,
        Category::D,
        Category::E,
        Category::F,
        Category::G,
        Category::H,
        Category::I,
        Category::J,
        Category::K,
    ];

    /// The category in a person's words (the law's names, without the letter).
    pub fn words(self) -> &'static str {
        match self {
            Category::A => "identifiers",
            Category::B => "customer records",
            Category::C => "protected classifications",
            Category::D => "commercial information",
            Category::E => "biometric information",
            Category::F => "internet or network activity",
            Category::G => "geolocation",
            Category::H => "sensory data",
            Category::I => "professional information",
            Category::J => "education information",
            Category::K => "inferences",
        }
    }

    pub fn letter(self) -> char {
        match self {
            Category::A => 'A',
            Category::B => 'B',
            Category::C => 'C',
            Category::D => 'D',
            Category::E => 'E',
            Category::F => 'F',
            Category::G => 'G',
            Category::H => 'H',
            Category::I => 'I',
            Category::J => 'J',
            Category::K => 'K',
        }
    }
}

/// Stored category letters (`A,G`) in a person's words (`identifiers, geolocation`).
pub fn categories_in_words(stored: &str) -> String {
    stored
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|letter| {
            Category::ALL
                .into_iter()
                .find(|c| c.letter().to_string() == letter)
                .map_or_else(|| letter.to_string(), |c| c.words().to_string())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Classification {
    Personal {
        category: Category,
        purpose: &'static str,
        retention: &'static str,
    },
    /// Keys, timestamps, states: nothing about a person on its own.
    NotPersonal,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ColumnEntry {
    pub table: &'static str,
    pub column: &'static str,
    pub classification: Classification,
}

const fn personal(
    table: &'static str,
    column: &'static str,
    category: Category,
    purpose: &'static str,
    retention: &'static str,
) -> ColumnEntry {
    ColumnEntry {
        table,
        column,
        classification: Classification::Personal {
            category,
            purpose,
            retention,
        },
    }
}

const fn plain(table: &'static str, column: &'static str) -> ColumnEntry {
    ColumnEntry {
        table,
        column,
        classification: Classification::NotPersonal,
    }
}

const ACCOUNT_LIFETIME: &str = "while the account exists; deleted with it";
const REPORT_LIFETIME: &str = "while the shopper is on the panel, and for the client as long as its contract keeps reports (pseudonymous to the client); deleted with the account";
const SHARE_LIST: &str = "until the share's link is used or expires and staff no longer need to download it (30 days after the share); removed at once when the shopper is deleted";
const REQUEST_RECORD: &str = "24 months after the request is received, also after the person is deleted; used only to keep and prove the record of privacy requests";
const PAY_RECORDS: &str = "while the shopper is on the panel, then as long as tax law requires pay records (7 years after the year paid); kept after an account is deleted, and used for nothing else";
const PANEL_LIFETIME: &str =
    "while the shopper is on the panel; deleted with the account (or when the shopper asks)";

pub const INVENTORY: &[ColumnEntry] = &[
    // users
    plain("users", "id"),
    personal(
        "users",
        "email",
        Category::A,
        "sign-in, and mail the person asked for or must receive (verification, reset, offers)",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "users",
        "password_hash",
        Category::A,
        "check the password at sign-in (an argon2id hash: account credentials; the password itself is never stored)",
        ACCOUNT_LIFETIME,
    ),
    plain("users", "role"),
    plain("users", "client_id"),
    plain("users", "erased_at"),
    personal(
        "users",
        "hot_alerts",
        Category::I,
        "mail a client reviewer who chose it at once when a released report crosses its project's alert threshold",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "users",
        "email_verified_at",
        Category::F,
        "know that the address was confirmed by its owner",
        ACCOUNT_LIFETIME,
    ),
    plain("users", "disabled_at"),
    personal(
        "users",
        "password_changed_at",
        Category::F,
        "close sessions opened before a password change",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "users",
        "created_at",
        Category::F,
        "account history shown to the person",
        ACCOUNT_LIFETIME,
    ),
    // sessions
    plain("sessions", "id"),
    plain("sessions", "user_id"),
    personal(
        "sessions",
        "created_at",
        Category::F,
        "show the person their open sessions; security",
        "until 30 days after the session ends",
    ),
    plain("sessions", "expires_at"),
    personal(
        "sessions",
        "last_refreshed_at",
        Category::F,
        "expire idle sessions; security",
        "until 30 days after the session ends",
    ),
    plain("sessions", "revoked_at"),
    plain("sessions", "revoked_reason"),
    // refresh_tokens
    plain("refresh_tokens", "id"),
    plain("refresh_tokens", "session_id"),
    personal(
        "refresh_tokens",
        "token_hash",
        Category::A,
        "recognise a refresh token (its SHA-256; the token itself is never stored)",
        "until 30 days after the session ends",
    ),
    plain("refresh_tokens", "created_at"),
    plain("refresh_tokens", "used_at"),
    // one_time_tokens
    plain("one_time_tokens", "jti"),
    plain("one_time_tokens", "user_id"),
    plain("one_time_tokens", "purpose"),
    plain("one_time_tokens", "created_at"),
    plain("one_time_tokens", "expires_at"),
    plain("one_time_tokens", "used_at"),
    // attempts
    plain("attempts", "id"),
    personal(
        "attempts",
        "subject",
        Category::F,
        "slow down password guessing (per account, per browser that signed in before, per client address) and floods of sign-ups and mailed-link requests per client address (keyed hashes of the email, the device cookie's random part or the network address; none is stored whole)",
        "deleted within 5 minutes after its window has passed: the sign-in window (15 minutes by default), or an hour for sign-up and link requests",
    ),
    plain("attempts", "attempted_at"),
    // mail_outbox
    plain("mail_outbox", "id"),
    personal(
        "mail_outbox",
        "recipient",
        Category::A,
        "deliver the message",
        "deleted 30 days after the message was sent or given up",
    ),
    plain("mail_outbox", "subject"),
    personal(
        "mail_outbox",
        "body_text",
        Category::A,
        "deliver the message (may hold a single-use link)",
        "deleted 30 days after the message was sent or given up",
    ),
    plain("mail_outbox", "message_id"),
    plain("mail_outbox", "erase_when_sent"),
    plain("mail_outbox", "created_at"),
    plain("mail_outbox", "attempts"),
    plain("mail_outbox", "next_attempt_at"),
    plain("mail_outbox", "claimed_until"),
    plain("mail_outbox", "sent_at"),
    plain("mail_outbox", "failed_at"),
    personal(
        "mail_outbox",
        "last_error",
        Category::A,
        "find out why a message was not delivered (a server's answer may repeat the address)",
        "deleted 30 days after the message was sent or given up",
    ),
    // organizations, clients, competitors: companies, not people
    plain("organizations", "id"),
    plain("organizations", "name"),
    plain("organizations", "name_key"),
    plain("organizations", "friendly_competitor"),
    plain("organizations", "created_at"),
    plain("organizations", "same_as"),
    plain("clients", "id"),
    plain("clients", "organization_id"),
    plain("clients", "created_at"),
    plain("client_competitors", "client_id"),
    plain("client_competitors", "organization_id"),
    plain("client_competitors", "created_at"),
    // shoppers
    plain("shoppers", "user_id"),
    personal(
        "shoppers",
        "code",
        Category::A,
        "name the shopper to clients without revealing who they are (a pseudonym)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "status",
        Category::I,
        "know whether the shopper may take jobs (applicant, active, suspended)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "legal_name",
        Category::A,
        "pay the shopper and, with their consent, name them to friendly competitors",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "street",
        Category::B,
        "place the shopper on the map for jobs nearby; with consent, share with friendly competitors",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "city",
        Category::B,
        "place the shopper on the map for jobs nearby",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "state",
        Category::B,
        "place the shopper on the map for jobs nearby, and show them times in their time zone",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "zip",
        Category::B,
        "place the shopper on the map for jobs nearby (geocoded to the ZIP code's centre)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "phone",
        Category::B,
        "reach the shopper about a job they took (optional)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "date_of_birth",
        Category::C,
        "check the age a job requires (encrypted)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "tax_id",
        Category::B,
        "report payments to the tax authority (encrypted; optional until the first payment)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "bank_account",
        Category::B,
        "pay fees and reimbursements (encrypted; optional until the first payment)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "latitude",
        Category::G,
        "find jobs within the shopper's travel radius, and tell the time zone in a state that spans two (from the ZIP code; never shown to clients)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "longitude",
        Category::G,
        "find jobs within the shopper's travel radius, and tell the time zone in a state that spans two (from the ZIP code; never shown to clients)",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "travel_radius_km",
        Category::G,
        "offer only jobs the shopper is willing to travel to",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "languages",
        Category::C,
        "offer jobs that require a language the shopper speaks",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "vehicle",
        Category::I,
        "offer jobs that require a vehicle",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "agreement_version",
        Category::F,
        "prove which shopper agreement the person accepted",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "privacy_notice_version",
        Category::F,
        "prove which privacy notice the person was shown",
        PANEL_LIFETIME,
    ),
    personal(
        "shoppers",
        "agreed_at",
        Category::F,
        "prove when the person accepted the agreement",
        PANEL_LIFETIME,
    ),
    plain("shoppers", "status_changed_at"),
    plain("shoppers", "created_at"),
    plain("shoppers", "updated_at"),
    plain("shoppers", "sensitive_limited_at"),
    // certifications
    plain("certifications", "id"),
    plain("certifications", "shopper_id"),
    personal(
        "certifications",
        "name",
        Category::I,
        "offer jobs that require the certification",
        PANEL_LIFETIME,
    ),
    personal(
        "certifications",
        "issuer",
        Category::I,
        "check the certification with its issuer",
        PANEL_LIFETIME,
    ),
    personal(
        "certifications",
        "number",
        Category::I,
        "check the certification with its issuer (optional)",
        PANEL_LIFETIME,
    ),
    personal(
        "certifications",
        "expires_on",
        Category::I,
        "stop counting a certification once it has expired",
        PANEL_LIFETIME,
    ),
    // affiliations
    plain("affiliations", "id"),
    plain("affiliations", "shopper_id"),
    personal(
        "affiliations",
        "organization_id",
        Category::I,
        "keep shoppers away from jobs of their (or their household's) employer and its competitors",
        PANEL_LIFETIME,
    ),
    personal(
        "affiliations",
        "relation",
        Category::I,
        "tell the shopper's own work from a household member's",
        PANEL_LIFETIME,
    ),
    personal(
        "affiliations",
        "ended_on",
        Category::I,
        "end the conflict 12 months after the tie ended",
        PANEL_LIFETIME,
    ),
    // shopper_status_changes
    plain("shopper_status_changes", "id"),
    plain("shopper_status_changes", "shopper_id"),
    personal(
        "shopper_status_changes",
        "status",
        Category::I,
        "show the shopper and staff the history of the shopper's place in the panel",
        PANEL_LIFETIME,
    ),
    personal(
        "shopper_status_changes",
        "reason",
        Category::K,
        "explain an approval, suspension or reinstatement to the shopper and to staff",
        PANEL_LIFETIME,
    ),
    plain("shopper_status_changes", "changed_by"),
    plain("shopper_status_changes", "changed_at"),
    // ratings
    plain("ratings", "id"),
    plain("ratings", "shopper_id"),
    plain("ratings", "assignment_id"),
    personal(
        "ratings",
        "score",
        Category::K,
        "rank shoppers for jobs that require a minimum rating",
        PANEL_LIFETIME,
    ),
    personal(
        "ratings",
        "citation",
        Category::K,
        "record what a rating was for (late, no show, hero …)",
        PANEL_LIFETIME,
    ),
    personal(
        "ratings",
        "note",
        Category::K,
        "explain a rating",
        PANEL_LIFETIME,
    ),
    plain("ratings", "rated_by"),
    plain("ratings", "rated_on"),
    // consents: the append-only ledger
    plain("consents", "id"),
    plain("consents", "user_id"),
    plain("consents", "purpose"),
    personal(
        "consents",
        "granted",
        Category::F,
        "honour and prove the person's choice",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "consents",
        "source",
        Category::F,
        "prove where the choice was made (sign-up, profile, API, browser privacy signal)",
        ACCOUNT_LIFETIME,
    ),
    plain("consents", "notice_version"),
    personal(
        "consents",
        "recorded_at",
        Category::F,
        "prove when the choice was made",
        ACCOUNT_LIFETIME,
    ),
    // access_records
    plain("access_records", "id"),
    plain("access_records", "staff_id"),
    plain("access_records", "subject_id"),
    personal(
        "access_records",
        "categories",
        Category::F,
        "tell the person which of their data staff read (right to know)",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "access_records",
        "purpose",
        Category::F,
        "tell the person why staff read their data",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "access_records",
        "accessed_at",
        Category::F,
        "tell the person when staff read their data",
        ACCOUNT_LIFETIME,
    ),
    // disclosures: data sent to another party
    plain("disclosures", "id"),
    plain("disclosures", "subject_id"),
    personal(
        "disclosures",
        "recipient",
        Category::F,
        "tell the person who received their data (right to know)",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "disclosures",
        "categories",
        Category::F,
        "tell the person which of their data was sent",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "disclosures",
        "purpose",
        Category::F,
        "tell the person why their data was sent",
        ACCOUNT_LIFETIME,
    ),
    personal(
        "disclosures",
        "disclosed_at",
        Category::F,
        "tell the person when their data was sent",
        ACCOUNT_LIFETIME,
    ),
    plain("disclosures", "share_id"),
    // locations: a client's stores
    plain("locations", "id"),
    plain("locations", "client_id"),
    plain("locations", "code"),
    plain("locations", "name"),
    plain("locations", "name_key"),
    plain("locations", "street"),
    plain("locations", "city"),
    plain("locations", "state"),
    plain("locations", "zip"),
    plain("locations", "latitude"),
    plain("locations", "longitude"),
    plain("locations", "created_at"),
    plain("locations", "updated_at"),
    // disqualifications
    plain("disqualifications", "id"),
    plain("disqualifications", "shopper_id"),
    plain("disqualifications", "client_id"),
    plain("disqualifications", "location_id"),
    personal(
        "disqualifications",
        "reason",
        Category::K,
        "keep a shopper away from a client's or a store's jobs, and say why to staff",
        PANEL_LIFETIME,
    ),
    plain("disqualifications", "created_by"),
    plain("disqualifications", "created_at"),
    // projects and jobs: the clients' work
    plain("projects", "id"),
    plain("projects", "client_id"),
    plain("projects", "name"),
    plain("projects", "max_km"),
    plain("projects", "min_age"),
    plain("projects", "max_age"),
    plain("projects", "vehicle"),
    plain("projects", "languages"),
    plain("projects", "certifications"),
    plain("projects", "min_rating"),
    plain("projects", "min_completed"),
    plain("projects", "rotation_days"),
    plain("projects", "fee_cents"),
    plain("projects", "reimbursement_cap_cents"),
    plain("projects", "show_client_name"),
    plain("projects", "created_at"),
    plain("projects", "offer_hours"),
    plain("projects", "self_assign_min_rating"),
    plain("projects", "report_grace_days"),
    plain("projects", "photo_time_tolerance_minutes"),
    plain("projects", "photo_distance_limit_m"),
    plain("projects", "keep_photo_originals"),
    plain("projects", "review_limit_hours"),
    plain("projects", "auto_approve"),
    plain("projects", "revision_hours"),
    plain("projects", "release_on_approval"),
    plain("projects", "dispute_days"),
    plain("projects", "visit_minutes"),
    plain("projects", "alert_below_percent"),
    plain("projects", "alert_question"),
    plain("projects", "alert_answers"),
    plain("jobs", "id"),
    plain("jobs", "project_id"),
    plain("jobs", "location_id"),
    plain("jobs", "code"),
    plain("jobs", "window_start"),
    plain("jobs", "window_end"),
    plain("jobs", "fee_cents"),
    plain("jobs", "bonus_cents"),
    plain("jobs", "reimbursement_cap_cents"),
    plain("jobs", "max_km"),
    plain("jobs", "min_age"),
    plain("jobs", "max_age"),
    plain("jobs", "vehicle"),
    plain("jobs", "languages"),
    plain("jobs", "certifications"),
    plain("jobs", "min_rating"),
    plain("jobs", "min_completed"),
    plain("jobs", "status"),
    plain("jobs", "created_at"),
    plain("jobs", "updated_at"),
    // questionnaires: a project's forms, written by staff
    plain("questionnaires", "id"),
    plain("questionnaires", "project_id"),
    plain("questionnaires", "version"),
    plain("questionnaires", "status"),
    plain("questionnaires", "document"),
    plain("questionnaires", "created_by"),
    plain("questionnaires", "created_at"),
    plain("questionnaires", "published_at"),
    // reports: what a shopper hands in about a visit
    plain("reports", "assignment_id"),
    plain("reports", "questionnaire_id"),
    personal(
        "reports",
        "answers",
        Category::I,
        "the deliverable the client paid for: the shopper's answers about the visit (free text may say more; QA can redact it before release)",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "visit_started_at",
        Category::I,
        "when the shopper was in the store: the client's report, and proof of the visit",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "visit_ended_at",
        Category::I,
        "when the shopper left the store: the client's report, and proof of the visit",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "receipt_cents",
        Category::D,
        "reimburse what the shopper spent on the visit (up to the job's cap)",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "status",
        Category::I,
        "know whether the shopper handed the report in",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "reopened_until",
        Category::I,
        "let a shopper hand in a late report when staff reopened it",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "created_at",
        Category::I,
        "show when the shopper started the report",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "updated_at",
        Category::I,
        "show when the report was last saved",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "submitted_at",
        Category::I,
        "show when the report was handed in (QA's queue is oldest first)",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "review",
        Category::I,
        "know where the shopper's report stands with QA (queued, sent back, approved, rejected, released), and tell the shopper",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "queued_at",
        Category::I,
        "keep QA's queue oldest first and show how long a report has waited",
        REPORT_LIFETIME,
    ),
    plain("reports", "claimed_by"),
    plain("reports", "claimed_until"),
    plain("reports", "decided_by"),
    personal(
        "reports",
        "revision_due",
        Category::I,
        "tell the shopper by when a report sent back must be handed in again",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "revision_comments",
        Category::I,
        "QA's comments per question on a report sent back, for the shopper to fix it",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "appeal",
        Category::I,
        "the shopper's own words asking for another look at a rejected report, for a second reviewer",
        REPORT_LIFETIME,
    ),
    personal(
        "reports",
        "released_at",
        Category::I,
        "know when the report went to the client (it is locked from then on)",
        REPORT_LIFETIME,
    ),
    // review_events: what happened to a report in review, shown to its shopper
    plain("review_events", "id"),
    plain("review_events", "assignment_id"),
    personal(
        "review_events",
        "action",
        Category::I,
        "show the shopper each outcome of their report's review, in order",
        REPORT_LIFETIME,
    ),
    plain("review_events", "actor_id"),
    personal(
        "review_events",
        "reason",
        Category::I,
        "tell the shopper why their report was sent back, rejected or held",
        REPORT_LIFETIME,
    ),
    personal(
        "review_events",
        "created_at",
        Category::I,
        "show the shopper when each outcome happened",
        REPORT_LIFETIME,
    ),
    // report_edits: every answer QA changed, shown to the shopper
    plain("report_edits", "id"),
    plain("report_edits", "assignment_id"),
    plain("report_edits", "question"),
    personal(
        "report_edits",
        "before",
        Category::I,
        "show the shopper what they had answered before QA changed it",
        REPORT_LIFETIME,
    ),
    personal(
        "report_edits",
        "after",
        Category::I,
        "show the shopper the answer as QA changed it",
        REPORT_LIFETIME,
    ),
    personal(
        "report_edits",
        "reason",
        Category::I,
        "tell the shopper why QA changed their answer",
        REPORT_LIFETIME,
    ),
    plain("report_edits", "editor_id"),
    personal(
        "report_edits",
        "created_at",
        Category::I,
        "show the shopper when QA changed their answer",
        REPORT_LIFETIME,
    ),
    // disputes: a client's dispute of a released report, and QA's answer, shown to the shopper
    plain("disputes", "assignment_id"),
    plain("disputes", "client_id"),
    plain("disputes", "raised_by"),
    personal(
        "disputes",
        "reason",
        Category::I,
        "tell QA and the shopper what the client disputes in the shopper's report",
        REPORT_LIFETIME,
    ),
    personal(
        "disputes",
        "raised_at",
        Category::I,
        "know whether the dispute came within the project's dispute days",
        REPORT_LIFETIME,
    ),
    personal(
        "disputes",
        "outcome",
        Category::I,
        "tell the shopper whether the client's dispute was upheld (and their pay for it withheld)",
        REPORT_LIFETIME,
    ),
    personal(
        "disputes",
        "answer",
        Category::I,
        "tell the client and the shopper why QA upheld or dismissed the dispute",
        REPORT_LIFETIME,
    ),
    plain("disputes", "answered_by"),
    plain("disputes", "answered_at"),
    // shares: lists of shoppers made for a friendly competitor (see share_rows)
    plain("shares", "id"),
    plain("shares", "organization_id"),
    plain("shares", "purpose"),
    plain("shares", "area"),
    personal(
        "shares",
        "recipient_email",
        Category::A,
        "mail the friendly competitor's contact the share's download link, and later notices to stop using and delete data",
        "as long as the share's disclosure records are kept (24 months)",
    ),
    plain("shares", "link_hash"),
    plain("shares", "link_expires_at"),
    plain("shares", "downloaded_at"),
    plain("shares", "people"),
    plain("shares", "created_by"),
    plain("shares", "created_at"),
    // share_rows: the fixed list a share disclosed, only of shoppers whose consent was in force
    plain("share_rows", "share_id"),
    plain("share_rows", "shopper_id"),
    personal(
        "share_rows",
        "legal_name",
        Category::A,
        "give a friendly competitor seeking shoppers in an area the name of a shopper who consented",
        SHARE_LIST,
    ),
    personal(
        "share_rows",
        "street",
        Category::B,
        "give a friendly competitor the street address of a shopper who consented",
        SHARE_LIST,
    ),
    personal(
        "share_rows",
        "city",
        Category::B,
        "give a friendly competitor the city of a shopper who consented",
        SHARE_LIST,
    ),
    personal(
        "share_rows",
        "state",
        Category::B,
        "give a friendly competitor the state of a shopper who consented",
        SHARE_LIST,
    ),
    personal(
        "share_rows",
        "zip",
        Category::B,
        "give a friendly competitor the ZIP code of a shopper who consented",
        SHARE_LIST,
    ),
    personal(
        "share_rows",
        "email",
        Category::A,
        "give a friendly competitor the email of a shopper who gave the separate contact consent",
        SHARE_LIST,
    ),
    personal(
        "share_rows",
        "phone",
        Category::B,
        "give a friendly competitor the phone of a shopper who gave the separate contact consent",
        SHARE_LIST,
    ),
    // privacy_requests: the record of each privacy request (kept 24 months, used for nothing else)
    plain("privacy_requests", "id"),
    plain("privacy_requests", "kind"),
    plain("privacy_requests", "channel"),
    personal(
        "privacy_requests",
        "subject_id",
        Category::A,
        "know whose data a privacy request is about, to answer it and count a person's requests",
        REQUEST_RECORD,
    ),
    personal(
        "privacy_requests",
        "requester_email",
        Category::A,
        "send the requester the acknowledgement, the verification code and the answer",
        REQUEST_RECORD,
    ),
    personal(
        "privacy_requests",
        "requester_name",
        Category::A,
        "match the requester to the data on file, to verify a request without an account",
        REQUEST_RECORD,
    ),
    personal(
        "privacy_requests",
        "details",
        Category::K,
        "what the requester asked for in their own words (for a correction: what is wrong)",
        REQUEST_RECORD,
    ),
    plain("privacy_requests", "status"),
    plain("privacy_requests", "verification"),
    plain("privacy_requests", "matched_points"),
    plain("privacy_requests", "declaration"),
    plain("privacy_requests", "code_hash"),
    plain("privacy_requests", "code_expires_at"),
    plain("privacy_requests", "code_tries"),
    plain("privacy_requests", "received_at"),
    plain("privacy_requests", "acknowledged_at"),
    plain("privacy_requests", "due_at"),
    plain("privacy_requests", "extended_at"),
    plain("privacy_requests", "extension_reason"),
    plain("privacy_requests", "closed_at"),
    plain("privacy_requests", "outcome"),
    plain("privacy_requests", "denial_reason"),
    plain("privacy_requests", "handled_by"),
    personal(
        "privacy_requests",
        "corrections",
        Category::B,
        "what a request to correct asks the data to say (name, address or phone), to carry it out",
        REQUEST_RECORD,
    ),
    // notice_versions: the privacy notice's versions after the first (no person's data)
    plain("notice_versions", "version"),
    plain("notice_versions", "published_at"),
    plain("notice_versions", "effective_at"),
    plain("notice_versions", "changes"),
    plain("notice_versions", "adds"),
    plain("notice_versions", "published_by"),
    // notice_acceptances: who accepted which version of the notice
    plain("notice_acceptances", "user_id"),
    plain("notice_acceptances", "version"),
    personal(
        "notice_acceptances",
        "accepted_at",
        Category::F,
        "prove which terms a person accepted, and use their data only as those terms allow",
        ACCOUNT_LIFETIME,
    ),
    // corrections: which fields a shopper had corrected, so that an import does not undo them
    plain("corrections", "user_id"),
    plain("corrections", "field"),
    plain("corrections", "corrected_at"),
    plain("corrections", "request_id"),
    // privacy_request_agents: who made a request on a person's behalf, and what the protocol needs
    plain("privacy_request_agents", "request_id"),
    plain("privacy_request_agents", "agent_id"),
    personal(
        "privacy_request_agents",
        "agent_name",
        Category::A,
        "know who made a request on a person's behalf, to check their authorisation and tell the person",
        REQUEST_RECORD,
    ),
    personal(
        "privacy_request_agents",
        "agent_email",
        Category::A,
        "tell the agent who made a request on a person's behalf what became of it",
        REQUEST_RECORD,
    ),
    plain("privacy_request_agents", "authorisation_key"),
    plain("privacy_request_agents", "drp_id"),
    plain("privacy_request_agents", "agent_request_id"),
    plain("privacy_request_agents", "status_callback"),
    plain("privacy_request_agents", "message_hash"),
    plain("privacy_request_agents", "callback_due_at"),
    plain("privacy_request_agents", "callback_attempts"),
    // drp_agents: authorised agents that speak the Data Rights Protocol, with their keys
    plain("drp_agents", "id"),
    plain("drp_agents", "name"),
    plain("drp_agents", "verify_key"),
    plain("drp_agents", "callback_base"),
    personal(
        "drp_agents",
        "technical_contact",
        Category::A,
        "reach the person at an authorised agent who looks after its connection to us",
        "while the agent is registered, and 24 months after it is revoked",
    ),
    plain("drp_agents", "token_hash"),
    plain("drp_agents", "token_issued_at"),
    plain("drp_agents", "last_pairing"),
    plain("drp_agents", "registered_by"),
    plain("drp_agents", "registered_at"),
    plain("drp_agents", "revoked_at"),
    // privacy_request_events: what happened to a request, in order
    plain("privacy_request_events", "id"),
    plain("privacy_request_events", "request_id"),
    plain("privacy_request_events", "at"),
    plain("privacy_request_events", "actor_id"),
    plain("privacy_request_events", "what"),
    // hot_alerts: which released reports were alerted (once each), why, to how many reviewers
    plain("hot_alerts", "assignment_id"),
    plain("hot_alerts", "reasons"),
    plain("hot_alerts", "recipients"),
    plain("hot_alerts", "sent_at"),
    // payouts: a run of payments (amounts per shopper are in ledger_lines)
    plain("payouts", "id"),
    plain("payouts", "created_at"),
    plain("payouts", "created_by"),
    plain("payouts", "payees"),
    plain("payouts", "total_cents"),
    plain("payouts", "paid_at"),
    plain("payouts", "paid_by"),
    // ledger_lines: what each assignment earned its shopper
    plain("ledger_lines", "id"),
    plain("ledger_lines", "assignment_id"),
    plain("ledger_lines", "shopper_id"),
    plain("ledger_lines", "client_id"),
    personal(
        "ledger_lines",
        "kind",
        Category::D,
        "pay the shopper each part of what an assignment earned (fee, bonus, reimbursement)",
        PAY_RECORDS,
    ),
    personal(
        "ledger_lines",
        "amount_cents",
        Category::D,
        "pay the shopper, and report a year's pay for tax",
        PAY_RECORDS,
    ),
    personal(
        "ledger_lines",
        "state",
        Category::D,
        "show the shopper whether a line is pending, owed, paid or withheld",
        PAY_RECORDS,
    ),
    personal(
        "ledger_lines",
        "note",
        Category::D,
        "tell the shopper why a line was withheld",
        PAY_RECORDS,
    ),
    personal(
        "ledger_lines",
        "earned_at",
        Category::D,
        "show the shopper when a line was earned, and when it may be paid",
        PAY_RECORDS,
    ),
    personal(
        "ledger_lines",
        "approved_at",
        Category::D,
        "show the shopper when a line became owed",
        PAY_RECORDS,
    ),
    plain("ledger_lines", "payout_id"),
    personal(
        "ledger_lines",
        "paid_at",
        Category::D,
        "show the shopper when they were paid, and total a year's pay for tax",
        PAY_RECORDS,
    ),
    // media: the files a shopper hands in (stored under random keys)
    plain("media", "id"),
    plain("media", "assignment_id"),
    plain("media", "question"),
    plain("media", "kind"),
    plain("media", "content_hash"),
    personal(
        "media",
        "web_key",
        Category::H,
        "the photo (a copy without metadata) the client paid for, shown to QA and the client",
        REPORT_LIFETIME,
    ),
    personal(
        "media",
        "thumb_key",
        Category::H,
        "the photo's thumbnail, shown beside the report",
        REPORT_LIFETIME,
    ),
    personal(
        "media",
        "original_key",
        Category::H,
        "the file as sent: a recording, or a photo's original where the project keeps it",
        REPORT_LIFETIME,
    ),
    plain("media", "bytes"),
    plain("media", "width"),
    plain("media", "height"),
    plain("media", "duration_ms"),
    personal(
        "media",
        "taken_at",
        Category::I,
        "proof of visit: when the photo was taken, compared with the visit (read from the photo's EXIF; nothing else of it is kept)",
        REPORT_LIFETIME,
    ),
    personal(
        "media",
        "latitude",
        Category::G,
        "proof of visit: where the photo was taken, compared with the store's place (from EXIF); never shown to a client",
        REPORT_LIFETIME,
    ),
    personal(
        "media",
        "longitude",
        Category::G,
        "proof of visit: where the photo was taken, compared with the store's place (from EXIF); never shown to a client",
        REPORT_LIFETIME,
    ),
    plain("media", "created_at"),
    personal(
        "media",
        "perceptual_hash",
        Category::H,
        "proof of visit: a fingerprint of the photo, to find the same receipt handed in for two assignments",
        REPORT_LIFETIME,
    ),
    // assignments: a shopper's work history
    plain("assignments", "id"),
    plain("assignments", "job_id"),
    plain("assignments", "shopper_id"),
    personal(
        "assignments",
        "state",
        Category::I,
        "run the shopper's assignment from offer to report, and keep the rotation rule",
        PANEL_LIFETIME,
    ),
    personal(
        "assignments",
        "visit_on",
        Category::I,
        "plan the visit (and put it in the shopper's calendar)",
        PANEL_LIFETIME,
    ),
    personal(
        "assignments",
        "visited_on",
        Category::I,
        "keep the rotation rule: when the shopper last visited a store",
        PANEL_LIFETIME,
    ),
    personal(
        "assignments",
        "offer_expires_at",
        Category::I,
        "let an offer lapse when the shopper does not answer",
        PANEL_LIFETIME,
    ),
    personal(
        "assignments",
        "reason",
        Category::I,
        "say why an assignment was declined or cancelled",
        PANEL_LIFETIME,
    ),
    personal(
        "assignments",
        "created_at",
        Category::I,
        "show when the shopper asked for or was offered the job",
        PANEL_LIFETIME,
    ),
    personal(
        "assignments",
        "updated_at",
        Category::I,
        "show when the assignment last changed",
        PANEL_LIFETIME,
    ),
    // assignment_events: the history of each assignment
    plain("assignment_events", "id"),
    plain("assignment_events", "assignment_id"),
    personal(
        "assignment_events",
        "state",
        Category::I,
        "show the assignment's history to the shopper and staff",
        PANEL_LIFETIME,
    ),
    plain("assignment_events", "actor_id"),
    personal(
        "assignment_events",
        "note",
        Category::I,
        "say why the assignment changed",
        PANEL_LIFETIME,
    ),
    personal(
        "assignment_events",
        "at",
        Category::I,
        "say when the assignment changed",
        PANEL_LIFETIME,
    ),
    // batches: proposed assignments of many jobs at once
    plain("batches", "id"),
    plain("batches", "created_by"),
    plain("batches", "created_at"),
    plain("batches", "sent_at"),
    plain("batch_items", "id"),
    plain("batch_items", "batch_id"),
    plain("batch_items", "job_id"),
    plain("batch_items", "shopper_id"),
    personal(
        "batch_items",
        "metres",
        Category::G,
        "show staff how far the proposed shopper lives from the store",
        PANEL_LIFETIME,
    ),
    plain("batch_items", "reason"),
    personal(
        "batch_items",
        "outcome",
        Category::I,
        "tell staff whether the offer to the proposed shopper went out",
        PANEL_LIFETIME,
    ),
    // the live index's change log: which shopper, job, store, project, client or organization
    // changed (ids only), kept two days for the servers to catch up
    plain("index_version", "id"),
    plain("index_version", "version"),
    plain("index_version", "pruned_through"),
    plain("index_changes", "id"),
    plain("index_changes", "kind"),
    plain("index_changes", "ref_id"),
    plain("index_changes", "version"),
    plain("index_changes", "changed_at"),
    // digests: the daily mail of new jobs
    plain("digests", "user_id"),
    plain("digests", "checked_on"),
    personal(
        "digests",
        "last_sent_at",
        Category::F,
        "list in the next digest only the jobs that are new since the last one",
        ACCOUNT_LIFETIME,
    ),
    // citations: late cancellations and overdue visits
    plain("citations", "id"),
    plain("citations", "shopper_id"),
    plain("citations", "assignment_id"),
    personal(
        "citations",
        "citation",
        Category::K,
        "tell staff about late cancellations and overdue visits when they offer work",
        PANEL_LIFETIME,
    ),
    personal(
        "citations",
        "note",
        Category::K,
        "explain a citation",
        PANEL_LIFETIME,
    ),
    plain("citations", "cited_by"),
    personal(
        "citations",
        "cited_on",
        Category::K,
        "date a citation",
        PANEL_LIFETIME,
    ),
];

/// Personal data kept in files rather than columns: where, and why.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FileEntry {
    /// The place, as the data directory or storage names it.
    pub place: &'static str,
    pub category: Category,
    pub purpose: &'static str,
    pub retention: &'static str,
}

/// Every place outside the database's columns where personal data is kept. Objects in
/// storage are named by `media` columns and classified there.
pub const FILES: &[FileEntry] = &[
    FileEntry {
        place: "uploads in progress (data directory, uploads/)",
        category: Category::H,
        purpose: "a recording or photo a shopper is sending by a resumable upload, until its last byte is in and it is checked",
        retention: "until it is stored or refused; an unfinished one 24 hours after it was started",
    },
    FileEntry {
        place: "authorisations agents send with a request (storage, privacy-authorisations/)",
        category: Category::A,
        purpose: "the signed permission a person gave an agent to make a privacy request for them, checked before the request is carried out",
        retention: REQUEST_RECORD,
    },
    FileEntry {
        place: "files being checked (data directory, tmp/)",
        category: Category::H,
        purpose: "a file as it arrives, while its kind, size and length are checked",
        retention: "the request that sent it; whatever a crash leaves is removed by the hourly sweep",
    },
];

pub fn lookup(table: &str, column: &str) -> Option<&'static ColumnEntry> {
    INVENTORY
        .iter()
        .find(|e| e.table == table && e.column == column)
}

/// Columns the database has that the inventory does not classify, and entries for columns
/// the database does not have. Both lists must be empty.
pub fn compare(columns: &[(String, String)]) -> (Vec<String>, Vec<String>) {
    let unclassified = columns
        .iter()
        .filter(|(t, c)| lookup(t, c).is_none())
        .map(|(t, c)| format!("{t}.{c}"))
        .collect();
    let stale = INVENTORY
        .iter()
        .filter(|e| !columns.iter().any(|(t, c)| t == e.table && c == e.column))
        .map(|e| format!("{}.{}", e.table, e.column))
        .collect();
    (unclassified, stale)
}

#[cfg(test)]
mod words_tests {
    #[test]
    fn category_letters_read_in_plain_words() {
        assert_eq!(
            super::categories_in_words("A,G"),
            "identifiers, geolocation"
        );
        assert_eq!(super::categories_in_words("B"), "customer records");
        assert_eq!(super::categories_in_words(""), "");
    }
}
