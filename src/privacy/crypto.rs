//! Field encryption: tax ID, bank account and date of birth are stored sealed with AES-256-GCM
//! under a numbered data key, bound to their column and row (the associated data), so that a
//! value copied into another row or column no longer opens. Old keys stay readable after a
//! rotation; new values are sealed under the newest key.
//!
//! Stored form: `v1:{key id}:{base64 of nonce ‖ ciphertext ‖ tag}`.

use crate::ids::UserId;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use rand::rngs::OsRng;

use crate::keys::Keys;

/// A sealed column: the associated data names it, with the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedField {
    DateOfBirth,
    TaxId,
    BankAccount,
}

impl SealedField {
    pub const ALL: [SealedField; 3] = [
        SealedField::DateOfBirth,
        SealedField::TaxId,
        SealedField::BankAccount,
    ];

    /// `table.column`, as the associated data and in messages.
    pub fn column(self) -> &'static str {
        match self {
            SealedField::DateOfBirth => "shoppers.date_of_birth",
            SealedField::TaxId => "shoppers.tax_id",
            SealedField::BankAccount => "shoppers.bank_account",
        }
    }

    /// The name the API and the pages use.
    pub fn name(self) -> &'static str {
        match self {
            SealedField::DateOfBirth => "date_of_birth",
            SealedField::TaxId => "tax_id",
            SealedField::BankAccount => "bank_account",
        }
    }

    pub fn parse(name: &str) -> Option<SealedField> {
        SealedField::ALL.into_iter().find(|f| f.name() == name)
    }

    /// How the value is shown: all but its last four characters hidden (a date shows its year
    /// hidden too, so it reveals nothing).
    pub fn mask(self, value: &str) -> String {
        match self {
            SealedField::DateOfBirth => "••••-••-••".into(),
            SealedField::TaxId => format!("•••-••-{}", last_four(value)),
            SealedField::BankAccount => format!("••••{}", last_four(value)),
        }
    }
}

fn last_four(value: &str) -> String {
    let digits: Vec<char> = value.chars().filter(char::is_ascii_alphanumeric).collect();
    digits[digits.len().saturating_sub(4)..].iter().collect()
}

/// A sealed value did not open: wrong key, wrong row or column, damaged, or a key missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

impl std::fmt::Display for Unreadable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a sealed value cannot be read: {}", self.0)
    }
}

impl std::error::Error for Unreadable {}

fn associated_data(field: SealedField, row: UserId) -> String {
    format!("{}:{row}", field.column())
}

/// Seals `value` for `field` of `row` under the newest data key.
pub fn seal(keys: &Keys, field: SealedField, row: UserId, value: &str) -> String {
    let (key_id, key) = keys.current_data_key();
    let cipher = Aes256Gcm::new(key.into());
    let mut nonce = [0u8; 12];
    OsRng.fill_bytes(&mut nonce);
    let aad = associated_data(field, row);
    let sealed = cipher.encrypt(
        &Nonce::from(nonce),
        Payload {
            msg: value.as_bytes(),
            aad: aad.as_bytes(),
        },
    );
    // AES-GCM fails only for messages over 64 GiB; values here are short, validated text.
    let sealed = sealed.unwrap_or_default();
    let mut blob = Vec::with_capacity(12 + sealed.len());
    blob.extend_from_slice(&nonce);
    blob.extend_from_slice(&sealed);
    format!("v1:{key_id}:{}", STANDARD.encode(blob))
}

/// The key id a stored value was sealed under.
pub fn key_id_of(stored: &str) -> Option<u32> {
    let mut parts = stored.splitn(3, ':');
    match (parts.next(), parts.next()) {
        (Some("v1"), Some(id)) => id.parse().ok(),
        _ => None,
    }
}

/// Opens a value sealed by `seal` for the same field and row, under any key still held.
pub fn open(
    keys: &Keys,
    field: SealedField,
    row: UserId,
    stored: &str,
) -> Result<String, Unreadable> {
    let mut parts = stored.splitn(3, ':');
    let (Some("v1"), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(Unreadable(format!(
            "{} is not in the sealed form",
            field.column()
        )));
    };
    let key_id: u32 = id
        .parse()
        .map_err(|_| Unreadable(format!("bad key id in {}", field.column())))?;
    let key = keys
        .data_key(key_id)
        .ok_or_else(|| Unreadable(format!("data key {key_id} is not available")))?;
    let blob = STANDARD
        .decode(body)
        .map_err(|_| Unreadable(format!("{} is damaged", field.column())))?;
    if blob.len() < 12 + 16 {
        return Err(Unreadable(format!("{} is damaged", field.column())));
    }
    let (nonce, sealed) = blob.split_at(12);
    let nonce: [u8; 12] = nonce
        .try_into()
        .map_err(|_| Unreadable(format!("{} is damaged", field.column())))?;
    let aad = associated_data(field, row);
    let plain = Aes256Gcm::new(key.into())
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: sealed,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| {
            Unreadable(format!(
                "{} of row {row} does not open under key {key_id}",
                field.column()
            ))
        })?;
    String::from_utf8(plain).map_err(|_| Unreadable(format!("{} is not text", field.column())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(dir: &std::path::Path) -> Keys {
        Keys::load_or_create(dir).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_only_in_its_own_row_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let keys = keys(dir.path());
        let sealed = seal(&keys, SealedField::TaxId, UserId(7), "123-45-6789");
        assert!(!sealed.contains("6789"), "{sealed}");
        assert_eq!(
            open(&keys, SealedField::TaxId, UserId(7), &sealed).unwrap(),
            "123-45-6789"
        );
        assert!(open(&keys, SealedField::TaxId, UserId(8), &sealed).is_err());
        assert!(open(&keys, SealedField::BankAccount, UserId(7), &sealed).is_err());
        // Two seals of one value differ (fresh nonce), and a flipped byte is caught.
        assert_ne!(
            sealed,
            seal(&keys, SealedField::TaxId, UserId(7), "123-45-6789")
        );
        let mut damaged = sealed.clone().into_bytes();
        let last = damaged.len() - 3;
        damaged[last] = if damaged[last] == b'A' { b'B' } else { b'A' };
        let damaged = String::from_utf8(damaged).unwrap();
        assert!(open(&keys, SealedField::TaxId, UserId(7), &damaged).is_err());
    }

    #[test]
    fn old_keys_stay_readable_after_a_new_one_is_added() {
        let dir = tempfile::tempdir().unwrap();
        let before = keys(dir.path());
        let old = seal(
            &before,
            SealedField::BankAccount,
            UserId(1),
            "DE89370400440532013000",
        );
        let new_id = Keys::add_data_key(dir.path()).unwrap();
        let after = keys(dir.path());
        assert_eq!(after.current_data_key().0, new_id);
        assert_eq!(key_id_of(&old), Some(1));
        assert_eq!(
            open(&after, SealedField::BankAccount, UserId(1), &old).unwrap(),
            "DE89370400440532013000"
        );
        let resealed = seal(
            &after,
            SealedField::BankAccount,
            UserId(1),
            "DE89370400440532013000",
        );
        assert_eq!(key_id_of(&resealed), Some(new_id));
    }

    #[test]
    fn masks_show_only_the_last_four() {
        assert_eq!(SealedField::TaxId.mask("123-45-6789"), "•••-••-6789");
        assert_eq!(SealedField::BankAccount.mask("000123456789"), "••••6789");
        assert_eq!(SealedField::DateOfBirth.mask("1990-04-01"), "••••-••-••");
        assert_eq!(SealedField::TaxId.mask("12"), "•••-••-12");
    }
}
