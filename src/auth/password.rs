//! Password hashing with argon2id (the crate's default parameters: 19 MiB, 2 passes).

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use super::model::Password;

pub fn hash(password: &Password) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.expose().as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password failed: {e}"))
}

/// True when `password` matches `stored`. A stored hash that cannot be parsed never matches.
pub fn verify(password: &Password, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends the time of one verification, so that "no such account" is not faster to learn than
/// "wrong password".
pub fn verify_nothing(password: &Password) {
    const DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$XlGbc9dhbq9c7vIhDDHPuUZdr4+VWBfwuxnsfT6UqQY";
    let _ = verify(password, DUMMY);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let pw = Password::new("correct horse battery staple");
        let stored = hash(&pw).unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&pw, &stored));
        assert!(!verify(
            &Password::new("correct horse battery stapler"),
            &stored
        ));
        assert!(!verify(&pw, "not a hash"));
    }
}
