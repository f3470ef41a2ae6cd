//! Sealing under the master key, and wrapping the master key under its protectors.
//!
//! A *sealed value* is AES-256-GCM with this layout (all in one BLOB column):
//!
//! ```text
//! version   u8  = 1
//! algorithm u8  = 1 (AES-256-GCM)
//! key id    [16] the UUID of the master key that sealed it
//! nonce     [12] random
//! ciphertext || tag (16)
//! ```
//!
//! The associated data is the 30 header bytes followed by a binding string naming the table,
//! the column and the row id ([`Binding`]), so a sealed value copied to another row, column or
//! table fails to open.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

const VERSION: u8 = 1;
const ALG_AES256GCM: u8 = 1;
const HEADER_LEN: usize = 2 + 16 + 12;
const TAG_LEN: usize = 16;

/// Fills a buffer from the operating system's random generator.
pub fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| Error::internal("The operating system's random generator failed."))?;
    Ok(out)
}

/// A fresh random (version 4) UUID.
pub fn new_id() -> Result<Uuid> {
    Ok(uuid::Builder::from_random_bytes(random_bytes::<16>()?).into_uuid())
}

/// A 256-bit symmetric key. No Debug of the bytes, no Clone, no Serialize; zeroized on drop.
pub struct SymmetricKey(Zeroizing<[u8; 32]>);

impl SymmetricKey {
    /// A fresh random key.
    pub fn generate() -> Result<Self> {
        Ok(SymmetricKey(Zeroizing::new(random_bytes::<32>()?)))
    }

    /// A key from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] =
            bytes.try_into().map_err(|_| Error::new(ErrorCode::SealedValueFormat, "A key has the wrong length."))?;
        Ok(SymmetricKey(Zeroizing::new(arr)))
    }

    /// The raw bytes, for wrapping under a protector. Only crypto code calls this.
    pub(crate) fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(&(*self.0).into())
    }
}

impl std::fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SymmetricKey(***)")
    }
}

/// The master key: a symmetric key and its id.
pub struct MasterKey {
    id: Uuid,
    key: SymmetricKey,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MasterKey").field("id", &self.id).finish_non_exhaustive()
    }
}

/// Where a sealed value lives: its table, column and row id. Part of the associated data.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    /// Table name.
    pub table: &'a str,
    /// Column name.
    pub column: &'a str,
    /// Row id.
    pub row_id: &'a str,
}

impl Binding<'_> {
    fn aad(&self) -> String {
        format!("ams-sealed/v1/{}/{}/{}", self.table, self.column, self.row_id)
    }
}

impl MasterKey {
    /// A fresh random master key with a new id.
    pub fn generate() -> Result<Self> {
        Ok(MasterKey { id: new_id()?, key: SymmetricKey::generate()? })
    }

    /// A master key from its id and key (after unwrapping).
    pub fn from_parts(id: Uuid, key: SymmetricKey) -> Self {
        MasterKey { id, key }
    }

    /// The key id.
    pub fn id(&self) -> Uuid {
        self.id
    }

    pub(crate) fn key(&self) -> &SymmetricKey {
        &self.key
    }

    /// Seals `plaintext` for the row named by `binding`.
    pub fn seal(&self, binding: &Binding<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut header = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
        header.push(VERSION);
        header.push(ALG_AES256GCM);
        header.extend_from_slice(self.id.as_bytes());
        header.extend_from_slice(&random_bytes::<12>()?);
        let aad = [header.as_slice(), binding.aad().as_bytes()].concat();
        let nonce_bytes: [u8; 12] = header[18..30].try_into().map_err(|_| Error::internal("nonce length"))?;
        let ct = self
            .key
            .cipher()
            .encrypt(&Nonce::from(nonce_bytes), Payload { msg: plaintext, aad: &aad })
            .map_err(|_| Error::internal("Sealing failed."))?;
        header.extend_from_slice(&ct);
        Ok(header)
    }

    /// Opens a value sealed by [`MasterKey::seal`] for the same binding.
    pub fn open(&self, binding: &Binding<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let key_id = sealed_key_id(sealed)?;
        if key_id != self.id {
            return Err(Error::new(
                ErrorCode::MasterKeyMissing,
                "A sealed value names a master key that is not the one in force.",
            )
            .with("key_id", key_id)
            .with("table", binding.table)
            .with("column", binding.column)
            .with("row_id", binding.row_id));
        }
        let (header, body) = sealed.split_at(HEADER_LEN);
        let nonce_bytes: [u8; 12] = header[18..30].try_into().map_err(|_| Error::internal("nonce length"))?;
        let aad = [header, binding.aad().as_bytes()].concat();
        self.key
            .cipher()
            .decrypt(&Nonce::from(nonce_bytes), Payload { msg: body, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| {
                Error::new(
                    ErrorCode::SealedValueTampered,
                    "A sealed value failed its integrity check: it was changed, truncated or moved from another row.",
                )
                .hint("Restore the database from a backup; run `ams db verify` on the backup first.")
                .with("table", binding.table)
                .with("column", binding.column)
                .with("row_id", binding.row_id)
            })
    }
}

/// The master key id a sealed value names, after checking its header.
pub fn sealed_key_id(sealed: &[u8]) -> Result<Uuid> {
    if sealed.len() < HEADER_LEN + TAG_LEN {
        return Err(Error::new(ErrorCode::SealedValueFormat, "A sealed value is truncated."));
    }
    match (sealed.first(), sealed.get(1)) {
        (Some(&VERSION), Some(&ALG_AES256GCM)) => {}
        _ => {
            return Err(Error::new(
                ErrorCode::SealedValueFormat,
                "A sealed value has an unknown format version or algorithm.",
            )
            .hint("A newer ams may have written it; upgrade ams."));
        }
    }
    let id: [u8; 16] = sealed
        .get(2..18)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| Error::new(ErrorCode::SealedValueFormat, "A sealed value is truncated."))?;
    Ok(Uuid::from_bytes(id))
}

/// Wraps a master key under a key-encryption key (a protector's key). `context` names the
/// protector and goes into the associated data.
pub fn wrap_key(kek: &SymmetricKey, context: &str, key: &SymmetricKey) -> Result<Vec<u8>> {
    let nonce = random_bytes::<12>()?;
    let mut out = nonce.to_vec();
    let ct = kek
        .cipher()
        .encrypt(&Nonce::from(nonce), Payload { msg: key.expose(), aad: context.as_bytes() })
        .map_err(|_| Error::internal("Key wrapping failed."))?;
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Unwraps a key wrapped by [`wrap_key`]. Returns `None` when the key-encryption key or the
/// context is wrong (or the wrapped bytes were changed): callers turn that into the right error.
pub fn unwrap_key(kek: &SymmetricKey, context: &str, wrapped: &[u8]) -> Option<SymmetricKey> {
    if wrapped.len() != 12 + 32 + TAG_LEN {
        return None;
    }
    let (nonce, ct) = wrapped.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    let pt =
        Zeroizing::new(kek.cipher().decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: context.as_bytes() }).ok()?);
    SymmetricKey::from_slice(&pt).ok()
}

/// Argon2id parameters of the recovery-password protector, stored beside the wrapped key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    /// Always "argon2id".
    pub algorithm: String,
    /// Memory cost in KiB.
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
    /// Salt, hex.
    pub salt: String,
}

/// The production Argon2id cost: 64 MiB, 3 passes, 1 lane.
pub const PRODUCTION_KDF_MEMORY_KIB: u32 = 64 * 1024;

/// The most memory a stored Argon2id parameter set may ask for: 256 MiB (4x production). The
/// parameters come from the database, and from a backup before it is authenticated (its seal can
/// only be checked after the recovery password has derived the key), so they are capped: a
/// hostile file cannot make a restore allocate gigabytes.
pub const MAX_KDF_MEMORY_KIB: u32 = 256 * 1024;
/// The most passes a stored parameter set may ask for.
pub const MAX_KDF_ITERATIONS: u32 = 16;
/// The most memory x passes (KiB): 1 GiB of work, about 5x production (64 MiB x 3).
pub const MAX_KDF_WORK_KIB: u64 = 1024 * 1024;
/// The most lanes.
pub const MAX_KDF_PARALLELISM: u32 = 8;

impl KdfParams {
    /// Production parameters (64 MiB, t=3, p=1) with a fresh salt.
    pub fn production() -> Result<Self> {
        Self::with_cost(PRODUCTION_KDF_MEMORY_KIB, 3, 1)
    }

    /// Parameters with a chosen cost and a fresh salt. Library callers (tests) may lower the
    /// cost here; the CLI always uses [`KdfParams::production`].
    pub fn with_cost(memory_kib: u32, iterations: u32, parallelism: u32) -> Result<Self> {
        let p = KdfParams {
            algorithm: "argon2id".into(),
            memory_kib,
            iterations,
            parallelism,
            salt: hex(&random_bytes::<16>()?),
        };
        p.check()?;
        Ok(p)
    }

    fn check(&self) -> Result<()> {
        let ok = self.algorithm == "argon2id"
            && (8..=MAX_KDF_MEMORY_KIB).contains(&self.memory_kib)
            && (1..=MAX_KDF_ITERATIONS).contains(&self.iterations)
            && u64::from(self.memory_kib) * u64::from(self.iterations) <= MAX_KDF_WORK_KIB
            && (1..=MAX_KDF_PARALLELISM).contains(&self.parallelism)
            && self.salt.len() >= 16;
        if ok {
            Ok(())
        } else {
            Err(Error::new(ErrorCode::KdfParams, "The key derivation parameters are out of range.")
                .hint("Stored Argon2id parameters may ask for at most 256 MiB, 16 passes, 1 GiB of memory x passes and 8 lanes; a file asking for more was not written by ams.")
                .with("memory_kib", self.memory_kib)
                .with("iterations", self.iterations)
                .with("parallelism", self.parallelism))
        }
    }

    /// Derives a key-encryption key from a password.
    pub fn derive(&self, password: &[u8]) -> Result<SymmetricKey> {
        self.check()?;
        let salt = unhex(&self.salt).ok_or_else(|| Error::new(ErrorCode::KdfParams, "The stored salt is not hex."))?;
        let params = argon2::Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|_| Error::new(ErrorCode::KdfParams, "The key derivation parameters are out of range."))?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut out = Zeroizing::new([0u8; 32]);
        argon
            .hash_password_into(password, &salt, out.as_mut())
            .map_err(|_| Error::new(ErrorCode::KdfParams, "Key derivation failed."))?;
        SymmetricKey::from_slice(out.as_ref())
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Parses hex (either case).
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| s.get(i..i + 2).and_then(|p| u8::from_str_radix(p, 16).ok())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(row: &str) -> Binding<'_> {
        Binding { table: "t", column: "c", row_id: row }
    }

    #[test]
    fn seal_open_round_trip() {
        let mk = MasterKey::generate().unwrap();
        let sealed = mk.seal(&b("1"), b"canary-secret").unwrap();
        assert_eq!(sealed_key_id(&sealed).unwrap(), mk.id());
        assert_eq!(mk.open(&b("1"), &sealed).unwrap().as_slice(), b"canary-secret");
        assert!(!sealed.windows(6).any(|w| w == b"canary"));
    }

    #[test]
    fn aad_prevents_moving_a_value_to_another_row_or_column() {
        let mk = MasterKey::generate().unwrap();
        let sealed = mk.seal(&b("1"), b"secret").unwrap();
        let e = mk.open(&b("2"), &sealed).unwrap_err();
        assert_eq!(e.code(), ErrorCode::SealedValueTampered);
        let other_col = Binding { table: "t", column: "d", row_id: "1" };
        assert_eq!(mk.open(&other_col, &sealed).unwrap_err().code(), ErrorCode::SealedValueTampered);
    }

    #[test]
    fn every_flipped_byte_is_detected() {
        let mk = MasterKey::generate().unwrap();
        let sealed = mk.seal(&b("1"), b"secret").unwrap();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert!(mk.open(&b("1"), &bad).is_err(), "flip at {i} not detected");
        }
        for n in 0..sealed.len() {
            assert!(mk.open(&b("1"), &sealed[..n]).is_err());
        }
    }

    #[test]
    fn another_master_key_is_refused_by_id() {
        let a = MasterKey::generate().unwrap();
        let c = MasterKey::generate().unwrap();
        let sealed = a.seal(&b("1"), b"x").unwrap();
        assert_eq!(c.open(&b("1"), &sealed).unwrap_err().code(), ErrorCode::MasterKeyMissing);
    }

    #[test]
    fn wrap_unwrap_and_wrong_kek() {
        let kek = SymmetricKey::generate().unwrap();
        let key = SymmetricKey::generate().unwrap();
        let w = wrap_key(&kek, "ctx", &key).unwrap();
        assert_eq!(unwrap_key(&kek, "ctx", &w).unwrap().expose(), key.expose());
        assert!(unwrap_key(&kek, "other", &w).is_none());
        assert!(unwrap_key(&SymmetricKey::generate().unwrap(), "ctx", &w).is_none());
    }

    #[test]
    fn kdf_is_deterministic_per_salt_and_rejects_bad_params() {
        let p = KdfParams::with_cost(64, 1, 1).unwrap();
        let k1 = p.derive(b"pw").unwrap();
        let k2 = p.derive(b"pw").unwrap();
        assert_eq!(k1.expose(), k2.expose());
        assert_ne!(p.derive(b"pw2").unwrap().expose(), k1.expose());
        assert_eq!(KdfParams::with_cost(1, 1, 1).unwrap_err().code(), ErrorCode::KdfParams);
    }

    #[test]
    fn hostile_kdf_costs_are_refused_before_any_memory_is_taken() {
        KdfParams::production().unwrap();
        KdfParams::with_cost(MAX_KDF_MEMORY_KIB, 4, 1).unwrap();
        for (m, t, p) in [
            (4 * 1024 * 1024, 1, 1),
            (MAX_KDF_MEMORY_KIB + 1, 1, 1),
            (64, 17, 1),
            (MAX_KDF_MEMORY_KIB, 5, 1),
            (64, 1, 9),
        ] {
            assert_eq!(KdfParams::with_cost(m, t, p).unwrap_err().code(), ErrorCode::KdfParams, "{m} {t} {p}");
        }
        // Parameters read back from a file are checked the same way before deriving.
        let mut stored = KdfParams::with_cost(64, 1, 1).unwrap();
        stored.memory_kib = 4 * 1024 * 1024;
        assert_eq!(stored.derive(b"pw").unwrap_err().code(), ErrorCode::KdfParams);
    }

    #[test]
    fn hex_round_trip() {
        assert_eq!(unhex(&hex(&[0, 1, 255])).unwrap(), vec![0, 1, 255]);
        assert!(unhex("zz").is_none());
        assert!(unhex("abc").is_none());
    }

    #[test]
    fn debug_never_shows_key_bytes() {
        let mk = MasterKey::generate().unwrap();
        let dbg = format!("{mk:?}");
        assert!(dbg.contains(&mk.id().to_string()));
        assert!(!dbg.contains(&hex(mk.key().expose())));
    }
}
