//! What happens to a shopper's application and profile: sealing the sensitive values, placing
//! the address, recording consents, and the shopper's own export.

use chrono::{NaiveDateTime, Utc};
use rand::Rng;
use serde_json::{Value, json};

use super::model::{
    AffiliationView, CertificationView, Profile, ProfileView, SealedChange, ShopperRow, Status,
};
use super::store::{self, NewShopper, ShopperChanges};
use crate::auth::store as accounts;
use crate::clients::store as organizations;
use crate::db::{DbConnection, write_transaction};
use crate::error::{AppError, AppResult};
use crate::keys::Keys;
use crate::privacy::access;
use crate::privacy::consent::{self, NOTICE_VERSION, Source};
use crate::privacy::crypto::{self, SealedField};

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

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
    user_id: i64,
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

/// Saves the application (first time) or the profile; every write in one transaction.
pub fn save_profile(
    conn: &mut DbConnection,
    keys: &Keys,
    user_id: i64,
    profile: &Profile,
    source: Source,
) -> AppResult<ProfileView> {
    let now = now();
    write_transaction(conn, |conn| {
        let existing = store::find_shopper(conn, user_id)?;
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
                    user_id,
                    code: &code,
                    status: Status::Applicant.as_str(),
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
                user_id,
                Status::Applicant.as_str(),
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
            store::update_shopper(conn, user_id, &values)?;
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
        store::replace_certifications(conn, user_id, &certifications)?;
        let mut ties = Vec::with_capacity(profile.affiliations.len());
        for a in &profile.affiliations {
            let organization =
                organizations::find_or_create_organization(conn, &a.organization, now)?;
            ties.push((organization.id, a.relation.as_str(), a.ended_on));
        }
        store::replace_affiliations(conn, user_id, &ties)?;
        profile_view(conn, keys, user_id)?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("profile vanished after saving")))
    })
}

fn masked(keys: &Keys, row: &ShopperRow, field: SealedField) -> AppResult<Option<String>> {
    row.sealed(field)
        .map(|stored| {
            crypto::open(keys, field, row.user_id, stored)
                .map(|plain| field.mask(&plain))
                .map_err(AppError::internal)
        })
        .transpose()
}

/// The profile as its owner sees it (sealed values masked); None before the application.
pub fn profile_view(
    conn: &mut DbConnection,
    keys: &Keys,
    user_id: i64,
) -> AppResult<Option<ProfileView>> {
    let Some(row) = store::find_shopper(conn, user_id)? else {
        return Ok(None);
    };
    let certifications = store::certifications_of(conn, user_id)?
        .into_iter()
        .map(|(name, issuer, number, expires_on)| CertificationView {
            name,
            issuer,
            number,
            expires_on,
        })
        .collect();
    let affiliations = store::affiliations_of(conn, user_id)?
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

/// Everything the platform holds about the person, in the clear (it is their own), as JSON:
/// the right to know and to data portability.
pub fn export(conn: &mut DbConnection, keys: &Keys, user_id: i64) -> AppResult<Value> {
    let user = accounts::find_user(conn, user_id)?;
    let shopper = match store::find_shopper(conn, user_id)? {
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
                "tax_id": open(SealedField::TaxId)?,
                "bank_account": open(SealedField::BankAccount)?,
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
                "certifications": store::certifications_of(conn, user_id)?
                    .into_iter()
                    .map(|(name, issuer, number, expires_on)| json!({
                        "name": name, "issuer": issuer, "number": number, "expires_on": expires_on,
                    }))
                    .collect::<Vec<_>>(),
                "affiliations": store::affiliations_of(conn, user_id)?
                    .into_iter()
                    .map(|(_, organization, relation, ended_on)| json!({
                        "organization": organization, "relation": relation, "ended_on": ended_on,
                    }))
                    .collect::<Vec<_>>(),
                "status_history": store::status_history(conn, user_id)?
                    .into_iter()
                    .map(|(status, reason, at)| json!({"status": status, "reason": reason, "at": at}))
                    .collect::<Vec<_>>(),
            })
        }
    };
    Ok(json!({
        "exported_at": now(),
        "account": {
            "email": user.email,
            "role": user.role,
            "email_verified_at": user.email_verified_at,
            "created_at": user.created_at,
        },
        "shopper": shopper,
        "consents": consent::history(conn, user_id)?,
        "access_log": access::list_for(conn, user_id)?,
    }))
}

/// Seals every sealed value again under the newest data key (after `incognito keys rotate`
/// added one), a batch of rows per transaction; values already under it are left alone.
/// Returns how many values were sealed again.
pub fn reseal_all(conn: &mut DbConnection, keys: &Keys) -> AppResult<usize> {
    use crate::db::schema::shoppers;
    use diesel::prelude::*;

    let (current, _) = keys.current_data_key();
    let mut after = i64::MIN;
    let mut resealed = 0;
    loop {
        type Sealed = (i64, Option<String>, Option<String>, Option<String>);
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
