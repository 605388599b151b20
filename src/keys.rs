//! The service's secret keys: the token signing key (Ed25519) and the data-encryption key.
//!
//! Generated on first start into `<data dir>/keys/` with mode 0600 and reused afterwards. An
//! operator may put their own files there instead. Keys never appear in `Debug` output.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::{
    DecodePrivateKey, EncodePrivateKey, EncodePublicKey, spki::der::pem::LineEnding,
};
use hmac::{Hmac, Mac};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::Sha256;

const SIGNING_KEY_FILE: &str = "token-signing-ed25519.pem";
const PUBLIC_KEY_FILE: &str = "token-signing-ed25519.pub.pem";
const FIRST_DATA_KEY_FILE: &str = "data-key-1.b64";

/// `data-key-{id}.b64` → id.
fn data_key_id(file_name: &str) -> Option<u32> {
    file_name
        .strip_prefix("data-key-")?
        .strip_suffix(".b64")?
        .parse()
        .ok()
        .filter(|id| *id > 0)
}

/// Loaded keys. Cloning is cheap enough (a few dozen bytes each).
#[derive(Clone)]
pub struct Keys {
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    /// The signing key's public half as PEM, for anyone who verifies our tokens.
    pub public_pem: String,
    /// Id of the data-encryption key, stored beside every ciphertext.
    /// Data keys by id, ascending; the last one seals new values.
    data_keys: Vec<(u32, [u8; 32])>,
}

impl fmt::Debug for Keys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keys")
            .field("data_key_ids", &self.data_key_ids())
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// Loads the keys from `dir`, creating the folder and any missing key first.
    pub fn load_or_create(dir: &Path) -> Result<Self, String> {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| format!("cannot restrict {}: {e}", dir.display()))?;

        let signing_path = dir.join(SIGNING_KEY_FILE);
        if !signing_path.exists() {
            let key = SigningKey::generate(&mut OsRng);
            let pem = key
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(|e| format!("cannot encode a new signing key: {e}"))?;
            write_private(&signing_path, pem.as_bytes())?;
        }
        let pem = fs::read_to_string(&signing_path)
            .map_err(|e| format!("cannot read {}: {e}", signing_path.display()))?;
        let signing = SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            format!(
                "{} is not an Ed25519 PKCS#8 key: {e}",
                signing_path.display()
            )
        })?;
        let der = signing
            .to_pkcs8_der()
            .map_err(|e| format!("cannot encode the signing key: {e}"))?;
        let verifying = signing.verifying_key();
        let public_pem = verifying
            .to_public_key_pem(LineEnding::LF)
            .map_err(|e| format!("cannot encode the public key: {e}"))?;
        let public_path = dir.join(PUBLIC_KEY_FILE);
        if !public_path.exists() {
            fs::write(&public_path, public_pem.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", public_path.display()))?;
        }

        if data_key_files(dir)?.is_empty() {
            write_new_data_key(&dir.join(FIRST_DATA_KEY_FILE))?;
        }
        let mut data_keys = Vec::new();
        for (id, path) in data_key_files(dir)? {
            let encoded = fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let key: [u8; 32] = STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|v| v.try_into().ok())
                .ok_or_else(|| format!("{} must hold 32 bytes in base64", path.display()))?;
            data_keys.push((id, key));
        }

        Ok(Self {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            decoding: DecodingKey::from_ed_der(verifying.as_bytes()),
            public_pem,
            data_keys,
        })
    }

    /// Writes a new data key, numbered after the newest, into `dir`; later loads seal new
    /// values under it and still open values sealed under the older ones.
    pub fn add_data_key(dir: &Path) -> Result<u32, String> {
        let newest = data_key_files(dir)?.last().map_or(0, |(id, _)| *id);
        let id = newest + 1;
        write_new_data_key(&dir.join(format!("data-key-{id}.b64")))?;
        Ok(id)
    }

    pub fn data_key_ids(&self) -> Vec<u32> {
        self.data_keys.iter().map(|(id, _)| *id).collect()
    }

    /// The newest data key: new values are sealed under it.
    pub fn current_data_key(&self) -> (u32, &[u8; 32]) {
        match self.data_keys.last() {
            Some((id, key)) => (*id, key),
            None => unreachable_no_key(),
        }
    }

    pub fn data_key(&self, id: u32) -> Option<&[u8; 32]> {
        self.data_keys
            .iter()
            .find(|(key_id, _)| *key_id == id)
            .map(|(_, key)| key)
    }

    /// A keyed hash for values we must compare but must not keep (client addresses, emails in
    /// throttling), derived from the data key so that it differs per deployment.
    /// A keyed hash under the first data key (not the newest: a rotation must not change
    /// the hashes already stored).
    pub fn keyed_hash(&self, purpose: &str, value: &str) -> String {
        let key = self.data_keys.first().map_or(&[0u8; 32], |(_, key)| key);
        let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mac) => mac,
            Err(_) => unreachable_hmac(),
        };
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex(&mac.finalize().into_bytes())
    }
}

#[allow(clippy::panic)] // HMAC takes keys of any length; this cannot happen
fn unreachable_hmac() -> ! {
    panic!("HMAC accepts any key length")
}

#[allow(clippy::panic)] // `load_or_create` always loads at least one data key
fn unreachable_no_key() -> ! {
    panic!("Keys always hold a data key")
}

/// The data key files in `dir`, by id ascending.
fn data_key_files(dir: &Path) -> Result<Vec<(u32, std::path::PathBuf)>, String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut files: Vec<(u32, std::path::PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let id = data_key_id(e.file_name().to_str()?)?;
            Some((id, e.path()))
        })
        .collect();
    files.sort_by_key(|(id, _)| *id);
    Ok(files)
}

fn write_new_data_key(path: &Path) -> Result<(), String> {
    let mut key = [0u8; 32];
    OsRng.fill_bytes(&mut key);
    write_private(path, STANDARD.encode(key).as_bytes())
}

fn write_private(path: &Path, contents: &[u8]) -> Result<(), String> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Equality of two secrets in a time that does not depend on where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Random bytes as unpadded base64url, for opaque tokens.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = Keys::load_or_create(dir.path()).unwrap();
        for name in [SIGNING_KEY_FILE, FIRST_DATA_KEY_FILE] {
            let mode = fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
        let second = Keys::load_or_create(dir.path()).unwrap();
        assert_eq!(first.public_pem, second.public_pem);
        assert_eq!(first.keyed_hash("t", "x"), second.keyed_hash("t", "x"));
        assert!(!format!("{first:?}").contains(&STANDARD.encode(first.current_data_key().1)));
    }
}
