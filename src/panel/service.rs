//! What happens to a shopper's application and profile: sealing the sensitive values, placing
//! the address, recording consents, and the shopper's own export.

use crate::ids::{ShopperId, UserId};
use chrono::NaiveDateTime;
use rand::Rng;
use serde_json::{Value, json};

use super::model::{
    AffiliationView, CITATIONS, CertificationView, Profile, ProfileRequest, ProfileView,
    RatingRequest, RatingView, RevealRequest, SealedChange, ShopperRow, ShopperSummary,
    StaffShopperView, Status, StatusChangeView,
};
use super::store::{self, NewShopper, ShopperChanges};
use crate::auth::store as accounts;
use crate::config::ApprovalRule;
use crate::organizations::store as organizations;
use std::sync::Arc;

use crate::config::Settings;
use crate::db::{DbConnection, DbPool, write_transaction};
use crate::error::{AppError, AppResult, FieldError};
use crate::geocode::Geocoder;
use crate::keys::Keys;
use crate::privacy::consent::{self, NOTICE_VERSION, Source};
use crate::privacy::crypto::{self, SealedField};
use crate::privacy::inventory::Category;
use crate::privacy::{access, disclosure};

/// A pseudonym for clients: `IMS-` and eight letters and digits that are hard to misread.
fn new_code(conn: &mut DbConnection) -> AppResult<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    for _ in 0..10 {
        let code: String = (0..8)
            .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
            .collect();
        let code = format!("IMS-{code}");
        if !store::code_taken(conn, &code)? {
            return Ok(code);
        }
    }
    Err(AppError::internal(anyhow::anyhow!(
        "no free shopper code after 10 tries"
    )))
}

fn sealed_value(
    keys: &Keys,
    user_id: UserId,
    field: SealedField,
    change: &SealedChange,
    stored: Option<&str>,
) -> Option<String> {
    match change {
        SealedChange::Keep => stored.map(str::to_string),
        SealedChange::Remove => None,
        SealedChange::Set(value) => Some(crypto::seal(keys, field, user_id, value)),
    }
}

/// Checks, places and saves an application (the first must accept the agreement) or a profile
/// change. The fields are checked first; only a request valid in every field has its street
/// address sent to a configured geocoder, which runs holding no database connection and is
/// written to the disclosure log (also when the geocoder then cannot find the address).
pub async fn submit_profile(
    db: &DbPool,
    keys: Arc<Keys>,
    settings: &Settings,
    user_id: UserId,
    request: ProfileRequest,
    source: Source,
    now: NaiveDateTime,
) -> AppResult<ProfileView> {
    let applying = db
        .run(move |conn| Ok(store::find_shopper(conn, user_id.into())?.is_none()))
        .await?;
    let mut profile = request.validate(now.date(), applying)?;
    let geocoder = Geocoder::from_settings(settings);
    if let Some(recipient) = geocoder.recipient() {
        db.run(move |conn| {
            Ok(disclosure::record(
                conn,
                user_id,
                &recipient,
                &[Category::B],
                "place your street address on the map, to find jobs near you",
                now,
            )?)
        })
        .await?;
        profile = geocoder
            .run(move |g| profile.refine(g).map(|()| profile))
            .await??;
    }
    let auto_approve = settings.auto_approve.clone();
    db.run(move |conn| {
        apply_or_update(
            conn,
            &keys,
            user_id,
            &profile,
            source,
            auto_approve.as_deref(),
            now,
        )
    })
    .await
}

/// Saves a checked application or profile; an applicant whose application meets the
/// configured rules joins the panel at once.
pub fn apply_or_update(
    conn: &mut DbConnection,
    keys: &Keys,
    user_id: UserId,
    profile: &Profile,
    source: Source,
    auto_approve: Option<&[ApprovalRule]>,
    now: NaiveDateTime,
) -> AppResult<ProfileView> {
    write_transaction(conn, |conn| {
        let view = save_profile(conn, keys, user_id, profile, source, now)?;
        let Some(rules) = auto_approve else {
            return Ok(view);
        };
        if view.status != Status::Applicant || !rules.iter().all(|r| meets(&view, *r, now)) {
            return Ok(view);
        }
        let names: Vec<&str> = rules.iter().map(|r| r.as_str()).collect();
        let reason = if names.is_empty() {
            "approved automatically: complete application".to_string()
        } else {
            format!(
                "approved automatically: application has {}",
                names.join(", ")
            )
        };
        store::set_status(conn, user_id.into(), Status::Active, now)?;
        store::add_status_change(conn, user_id.into(), Status::Active, &reason, None, now)?;
        profile_view(conn, keys, user_id)?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("profile vanished after approval")))
    })
}

/// Whether a saved profile meets an approval rule.
fn meets(view: &ProfileView, rule: ApprovalRule, now: NaiveDateTime) -> bool {
    let today = now.date();
    match rule {
        ApprovalRule::DateOfBirth => view.date_of_birth.is_some(),
        ApprovalRule::TaxId => view.tax_id.is_some(),
        ApprovalRule::BankAccount => view.bank_account.is_some(),
        ApprovalRule::Certification => view
            .certifications
            .iter()
            .any(|c| c.expires_on.is_none_or(|d| d >= today)),
        ApprovalRule::Vehicle => view.vehicle,
    }
}

/// Saves the application (first time) or the profile; every write in one transaction.
pub fn save_profile(
    conn: &mut DbConnection,
    keys: &Keys,
    user_id: UserId,
    profile: &Profile,
    source: Source,
    now: NaiveDateTime,
) -> AppResult<ProfileView> {
    write_transaction(conn, |conn| {
        let existing = store::find_shopper(conn, user_id.into())?;
        if existing.is_none() && !profile.accept_agreement {
            return Err(AppError::field(
                "accept_agreement",
                "accept the shopper agreement and the privacy notice to apply",
            ));
        }
        let sealed = |field: SealedField, change: &SealedChange| {
            let stored = existing.as_ref().and_then(|row| row.sealed(field));
            sealed_value(keys, user_id, field, change, stored)
        };
        let date_of_birth = sealed(SealedField::DateOfBirth, &profile.date_of_birth);
        let tax_id = sealed(SealedField::TaxId, &profile.tax_id);
        let bank_account = sealed(SealedField::BankAccount, &profile.bank_account);
        let languages = serde_json::to_string(&profile.languages).unwrap_or_else(|_| "[]".into());
        let values = ShopperChanges {
            legal_name: &profile.legal_name,
            street: &profile.street,
            city: &profile.city,
            state: &profile.state,
            zip: &profile.zip,
            phone: profile.phone.as_deref(),
            date_of_birth: date_of_birth.as_deref(),
            tax_id: tax_id.as_deref(),
            bank_account: bank_account.as_deref(),
            latitude: profile.coordinates.lat(),
            longitude: profile.coordinates.lon(),
            travel_radius_km: profile.travel_radius_km,
            languages: &languages,
            vehicle: profile.vehicle,
            updated_at: now,
        };
        let source = if existing.is_none() {
            let code = new_code(conn)?;
            store::insert_shopper(
                conn,
                &NewShopper {
                    user_id: user_id.into(),
                    code: &code,
                    status: Status::Applicant,
                    agreement_version: NOTICE_VERSION,
                    privacy_notice_version: NOTICE_VERSION,
                    agreed_at: now,
                    status_changed_at: now,
                    created_at: now,
                },
                &values,
            )?;
            store::add_status_change(
                conn,
                user_id.into(),
                Status::Applicant,
                "application submitted",
                None,
                now,
            )?;
            // Every purpose starts as an explicit no unless the applicant said yes.
            for purpose in consent::Purpose::ALL {
                let granted = profile
                    .consents
                    .given()
                    .iter()
                    .find(|(p, _)| *p == purpose)
                    .is_some_and(|(_, g)| *g);
                consent::record(conn, user_id, purpose, granted, Source::SignUp, now)?;
            }
            None
        } else {
            store::update_shopper(conn, user_id.into(), &values)?;
            Some(source)
        };
        if let Some(source) = source {
            for (purpose, granted) in profile.consents.given() {
                consent::record(conn, user_id, purpose, granted, source, now)?;
            }
        }
        let certifications: Vec<store::CertificationTuple> = profile
            .certifications
            .iter()
            .map(|c| {
                (
                    c.name.clone(),
                    c.issuer.clone(),
                    c.number.clone(),
                    c.expires_on,
                )
            })
            .collect();
        store::replace_certifications(conn, user_id.into(), &certifications)?;
        let mut ties = Vec::with_capacity(profile.affiliations.len());
        for a in &profile.affiliations {
            let organization =
                organizations::find_or_create_organization(conn, &a.organization, now)?;
            ties.push((organization.0.id, a.relation.as_str(), a.ended_on));
        }
        store::replace_affiliations(conn, user_id.into(), &ties)?;
        profile_view(conn, keys, user_id)?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("profile vanished after saving")))
    })
}

fn masked(keys: &Keys, row: &ShopperRow, field: SealedField) -> AppResult<Option<String>> {
    row.sealed(field)
        .map(|stored| {
            crypto::open(keys, field, row.user_id.into(), stored)
                .map(|plain| field.mask(&plain))
                .map_err(AppError::internal)
        })
        .transpose()
}

/// The profile as its owner sees it (sealed values masked); None before the application.
pub fn profile_view(
    conn: &mut DbConnection,
    keys: &Keys,
    user_id: UserId,
) -> AppResult<Option<ProfileView>> {
    let Some(row) = store::find_shopper(conn, user_id.into())? else {
        return Ok(None);
    };
    let certifications = store::certifications_of(conn, user_id.into())?
        .into_iter()
        .map(|(name, issuer, number, expires_on)| CertificationView {
            name,
            issuer,
            number,
            expires_on,
        })
        .collect();
    let affiliations = store::affiliations_of(conn, user_id.into())?
        .into_iter()
        .map(|(_, organization, relation, ended_on)| AffiliationView {
            organization,
            relation,
            ended_on,
        })
        .collect();
    Ok(Some(ProfileView {
        code: row.code.clone(),
        status: row.status(),
        date_of_birth: masked(keys, &row, SealedField::DateOfBirth)?,
        tax_id: masked(keys, &row, SealedField::TaxId)?,
        bank_account: masked(keys, &row, SealedField::BankAccount)?,
        languages: row.languages(),
        legal_name: row.legal_name,
        street: row.street,
        city: row.city,
        state: row.state,
        zip: row.zip,
        phone: row.phone,
        travel_radius_km: row.travel_radius_km,
        vehicle: row.vehicle,
        certifications,
        affiliations,
        agreement_version: row.agreement_version,
        agreed_at: row.agreed_at,
    }))
}

/// The account and profile part of a person's copy of their data, in the clear (it is their
/// own) except a tax ID, a bank account and the password, which it says are on file; the rest
/// of the copy is added by `rights::access::document`.
pub fn export(
    conn: &mut DbConnection,
    keys: &Keys,
    user_id: UserId,
    now: NaiveDateTime,
) -> AppResult<Value> {
    let user = accounts::find_user(conn, user_id)?;
    let shopper = match store::find_shopper(conn, user_id.into())? {
        None => Value::Null,
        Some(row) => {
            let open = |field: SealedField| -> AppResult<Option<String>> {
                row.sealed(field)
                    .map(|s| crypto::open(keys, field, user_id, s).map_err(AppError::internal))
                    .transpose()
            };
            json!({
                "code": row.code,
                "status": row.status,
                "legal_name": row.legal_name,
                "street": row.street,
                "city": row.city,
                "state": row.state,
                "zip": row.zip,
                "phone": row.phone,
                "date_of_birth": open(SealedField::DateOfBirth)?,
                // Never the value in a copy of the data: whether one is on file.
                "tax_id": on_file(row.sealed(SealedField::TaxId).is_some()),
                "bank_account": on_file(row.sealed(SealedField::BankAccount).is_some()),
                "latitude": row.latitude,
                "longitude": row.longitude,
                "travel_radius_km": row.travel_radius_km,
                "languages": row.languages(),
                "vehicle": row.vehicle,
                "agreement_version": row.agreement_version,
                "privacy_notice_version": row.privacy_notice_version,
                "agreed_at": row.agreed_at,
                "created_at": row.created_at,
                "updated_at": row.updated_at,
                "certifications": store::certifications_of(conn, user_id.into())?
                    .into_iter()
                    .map(|(name, issuer, number, expires_on)| json!({
                        "name": name, "issuer": issuer, "number": number, "expires_on": expires_on,
                    }))
                    .collect::<Vec<_>>(),
                "affiliations": store::affiliations_of(conn, user_id.into())?
                    .into_iter()
                    .map(|(_, organization, relation, ended_on)| json!({
                        "organization": organization, "relation": relation, "ended_on": ended_on,
                    }))
                    .collect::<Vec<_>>(),
                "status_history": store::status_history(conn, user_id.into())?
                    .into_iter()
                    .map(|(status, reason, at)| json!({"status": status, "reason": reason, "at": at}))
                    .collect::<Vec<_>>(),
            })
        }
    };
    Ok(json!({
        "exported_at": now,
        "account": {
            "email": user.email,
            "role": user.role,
            "email_verified_at": user.email_verified_at,
            "created_at": user.created_at,
            "password": "on file",
        },
        "shopper": shopper,
        "consents": consent::history(conn, user_id)?,
        "access_log": access::list_for(conn, user_id)?,
        "disclosures": disclosure::list_for(conn, user_id)?,
    }))
}

fn on_file(present: bool) -> &'static str {
    if present { "on file" } else { "none on file" }
}

/// Seals every sealed value again under the newest data key (after `incognito keys rotate`
/// added one), a batch of rows per transaction; values already under it are left alone.
/// Returns how many values were sealed again.
pub fn reseal_all(conn: &mut DbConnection, keys: &Keys) -> AppResult<usize> {
    use crate::db::schema::shoppers;
    use diesel::prelude::*;

    let (current, _) = keys.current_data_key();
    let mut after = UserId(i64::MIN);
    let mut resealed = 0;
    loop {
        type Sealed = (UserId, Option<String>, Option<String>, Option<String>);
        let batch: Vec<Sealed> = shoppers::table
            .filter(shoppers::user_id.gt(after))
            .order(shoppers::user_id.asc())
            .limit(500)
            .select((
                shoppers::user_id,
                shoppers::date_of_birth,
                shoppers::tax_id,
                shoppers::bank_account,
            ))
            .load(conn)?;
        let Some(last) = batch.last() else {
            return Ok(resealed);
        };
        after = last.0;
        resealed += write_transaction(conn, |conn| {
            let mut count = 0;
            for (user_id, date_of_birth, tax_id, bank_account) in &batch {
                let again =
                    |field: SealedField, stored: &Option<String>| -> AppResult<Option<String>> {
                        match stored {
                            Some(s) if crypto::key_id_of(s) != Some(current) => {
                                let plain = crypto::open(keys, field, *user_id, s)
                                    .map_err(AppError::internal)?;
                                Ok(Some(crypto::seal(keys, field, *user_id, &plain)))
                            }
                            _ => Ok(None),
                        }
                    };
                let changes = [
                    (
                        SealedField::DateOfBirth,
                        again(SealedField::DateOfBirth, date_of_birth)?,
                    ),
                    (SealedField::TaxId, again(SealedField::TaxId, tax_id)?),
                    (
                        SealedField::BankAccount,
                        again(SealedField::BankAccount, bank_account)?,
                    ),
                ];
                for (field, value) in changes {
                    let Some(value) = value else { continue };
                    let row = shoppers::table.find(*user_id);
                    match field {
                        SealedField::DateOfBirth => diesel::update(row)
                            .set(shoppers::date_of_birth.eq(value))
                            .execute(conn)?,
                        SealedField::TaxId => diesel::update(row)
                            .set(shoppers::tax_id.eq(value))
                            .execute(conn)?,
                        SealedField::BankAccount => diesel::update(row)
                            .set(shoppers::bank_account.eq(value))
                            .execute(conn)?,
                    };
                    count += 1;
                }
            }
            Ok::<_, AppError>(count)
        })?;
    }
}

/// The categories a staff read of a whole shopper record touches.
const WHOLE_RECORD: &[Category] = &[
    Category::A,
    Category::B,
    Category::C,
    Category::G,
    Category::I,
    Category::K,
];

fn average(list: &[super::store::RatingTuple]) -> Option<f64> {
    if list.is_empty() {
        return None;
    }
    let sum: i64 = list.iter().map(|r| i64::from(r.0)).sum();
    Some(sum as f64 / list.len() as f64)
}

/// A staff search of the panel: part of a name, email or code, a status, the order and the page.
#[derive(Debug, Clone, Copy)]
pub struct ShopperSearch<'a> {
    pub text: Option<&'a str>,
    pub status: Option<Status>,
    pub sort: store::ShopperSort,
    pub offset: i64,
    pub limit: i64,
}

/// Staff search the panel. Each shopper listed is a read of their name and email: an access
/// record is written for each.
pub fn search_shoppers(
    conn: &mut DbConnection,
    staff_id: UserId,
    search: &ShopperSearch<'_>,
    now: NaiveDateTime,
) -> AppResult<Vec<ShopperSummary>> {
    let ShopperSearch {
        text,
        status,
        sort,
        offset,
        limit,
    } = *search;
    write_transaction(conn, |conn| {
        let rows = store::search(conn, text, status.map(Status::as_str), sort, offset, limit)?;
        let ids: Vec<ShopperId> = rows.iter().map(|(r, _)| r.user_id).collect();
        let ratings = store::average_ratings(conn, crate::db::Whose::Only(&ids))?;
        let mut list = Vec::with_capacity(rows.len());
        for (row, email) in rows {
            access::record(
                conn,
                staff_id,
                row.user_id.into(),
                &[Category::A, Category::B],
                "searching the panel for shoppers",
                now,
            )?;
            list.push(ShopperSummary {
                id: row.user_id,
                status: row.status(),
                rating: ratings
                    .iter()
                    .find(|(id, _)| *id == row.user_id)
                    .map(|r| r.1),
                code: row.code,
                legal_name: row.legal_name,
                email,
                city: row.city,
                state: row.state,
                created_at: row.created_at,
            });
        }
        Ok(list)
    })
}

/// A shopper as staff see one; writes the access record of that read.
pub fn staff_view(
    conn: &mut DbConnection,
    keys: &Keys,
    staff_id: UserId,
    shopper_id: ShopperId,
    purpose: &str,
    now: NaiveDateTime,
) -> AppResult<StaffShopperView> {
    write_transaction(conn, |conn| {
        let profile = profile_view(conn, keys, shopper_id.into())?
            .ok_or_else(|| AppError::not_found("No shopper has this id."))?;
        let email = accounts::find_user(conn, shopper_id.into())?.email;
        let ratings = store::ratings_of(conn, shopper_id)?;
        access::record(
            conn,
            staff_id,
            shopper_id.into(),
            WHOLE_RECORD,
            purpose,
            now,
        )?;
        Ok(StaffShopperView {
            id: shopper_id,
            email,
            profile,
            status_history: store::status_history(conn, shopper_id)?
                .into_iter()
                .map(|(status, reason, changed_at)| StatusChangeView {
                    status,
                    reason,
                    changed_at,
                })
                .collect(),
            rating: average(&ratings),
            ratings: ratings
                .into_iter()
                .map(|(score, citation, note, rated_on)| RatingView {
                    score,
                    citation,
                    note,
                    rated_on,
                })
                .collect(),
        })
    })
}

pub use super::model::StatusAction;

/// Approves, suspends or reinstates, with a reason kept in the history; the new status.
/// What a suspension means for open assignments is decided above the panel
/// (`assignments::service::change_shopper_status`).
pub fn change_status(
    conn: &mut DbConnection,
    staff_id: UserId,
    shopper_id: ShopperId,
    action: StatusAction,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<Status> {
    let reason = reason.map(str::trim).unwrap_or_default();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(AppError::field(
            "reason",
            "say why, in 1 to 1000 characters",
        ));
    }
    write_transaction(conn, |conn| {
        let row = store::find_shopper(conn, shopper_id)?
            .ok_or_else(|| AppError::not_found("No shopper has this id."))?;
        let erased: Option<NaiveDateTime> = {
            use diesel::prelude::*;
            crate::db::schema::users::table
                .filter(crate::db::schema::users::id.eq(UserId::from(shopper_id)))
                .select(crate::db::schema::users::erased_at)
                .first(conn)?
        };
        if erased.is_some() {
            return Err(AppError::conflict(
                "erased",
                "This shopper's data was deleted at their request: their place in the panel cannot change.",
            ));
        }
        let from = row.status();
        let Some(to) = from.after(action) else {
            return Err(AppError::conflict(
                "status_unchanged",
                format!(
                    "The shopper is {}: {} does not apply.",
                    from.as_str(),
                    action.as_str()
                ),
            ));
        };
        store::set_status(conn, shopper_id, to, now)?;
        store::add_status_change(conn, shopper_id, to, reason, Some(staff_id), now)?;
        Ok(to)
    })
}

pub fn add_rating(
    conn: &mut DbConnection,
    staff_id: UserId,
    shopper_id: ShopperId,
    request: &RatingRequest,
    now: NaiveDateTime,
) -> AppResult<()> {
    let mut errors = Vec::new();
    if !(1..=10).contains(&request.score) {
        errors.push(FieldError::new("score", "must be 1 to 10"));
    }
    if let Some(c) = &request.citation
        && !CITATIONS.contains(&c.as_str())
    {
        errors.push(FieldError::new(
            "citation",
            format!("must be one of {}", CITATIONS.join(", ")),
        ));
    }
    let note = request
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 2000) {
        errors.push(FieldError::new("note", "at most 2000 characters"));
    }
    let today = now.date();
    let rated_on = request.rated_on.unwrap_or(today);
    if rated_on > today {
        errors.push(FieldError::new("rated_on", "must not be in the future"));
    } else if today
        .checked_sub_months(chrono::Months::new(12))
        .is_some_and(|year_ago| rated_on < year_ago)
    {
        errors.push(FieldError::new(
            "rated_on",
            "must be within the last year: a rating is for a recent visit",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    write_transaction(conn, |conn| {
        store::find_shopper(conn, shopper_id)?
            .ok_or_else(|| AppError::not_found("No shopper has this id."))?;
        store::add_rating(
            conn,
            shopper_id,
            &(
                request.score,
                request.citation.clone(),
                note.map(str::to_string),
                rated_on,
            ),
            staff_id,
        )?;
        Ok(())
    })
}

/// Reveals one sealed value to an admin, for a stated purpose; the access record names the
/// field and the purpose.
pub fn reveal(
    conn: &mut DbConnection,
    keys: &Keys,
    admin_id: UserId,
    shopper_id: ShopperId,
    request: &RevealRequest,
    now: NaiveDateTime,
) -> AppResult<Option<String>> {
    let mut errors = Vec::new();
    let field = SealedField::parse(&request.field);
    if field.is_none() {
        errors.push(FieldError::new(
            "field",
            "must be tax_id, bank_account or date_of_birth",
        ));
    }
    let purpose = request.purpose.trim();
    if !(10..=300).contains(&purpose.chars().count()) {
        errors.push(FieldError::new(
            "purpose",
            "say why you need the value, in 10 to 300 characters",
        ));
    }
    let (Some(field), true) = (field, errors.is_empty()) else {
        return Err(AppError::validation(errors));
    };
    write_transaction(conn, |conn| {
        let row = store::find_shopper(conn, shopper_id)?
            .ok_or_else(|| AppError::not_found("No shopper has this id."))?;
        let value = row
            .sealed(field)
            .map(|s| crypto::open(keys, field, shopper_id.into(), s).map_err(AppError::internal))
            .transpose()?;
        let category = match field {
            SealedField::DateOfBirth => Category::C,
            SealedField::TaxId | SealedField::BankAccount => Category::B,
        };
        access::record(
            conn,
            admin_id,
            shopper_id.into(),
            &[category],
            &format!("revealed {}: {purpose}", field.name()),
            now,
        )?;
        Ok(value)
    })
}
