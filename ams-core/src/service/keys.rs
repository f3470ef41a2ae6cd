//! The master key: creating an instance, unlocking, recovery, recovery-password change, rotation.
//!
//! Key hierarchy:
//!
//! ```text
//! host.key (0600) ──wraps──┐
//!                          ├── master key (AES-256) ──seals── every secret column in the database
//! recovery password ──Argon2id──┘
//! ```
//!
//! Each wrapping is a row in `key_protectors`. The master key exists nowhere else.
//!
//! Several hosts may share one database (SQL Server): each has its own host key file and its own
//! host protector row, named by the key's id. Recovery on a host replaces only that host's row; a
//! rotation wraps the new master key for the rotating host only and leaves every other host's row
//! "awaiting recovery" (no key inside) until that host runs `ams key recover` (ADR 0016).

use serde::Serialize;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::ams::{Ams, OpenOptions};
use crate::crypto::seal::{self, Binding, KdfParams, MasterKey, SymmetricKey};
use crate::error::{Error, ErrorCode, Result};
use crate::instance::{HostKey, HostKeyProblem};
use crate::service::audit::{self, Event};
use crate::store::{InstanceRow, MasterKeyRow, ProtectorRow, ReadTx, SealedColumn, Tx};

/// The associated data of a value sealed in a column: the column's table and name, and the row.
pub(crate) fn sealed_binding(col: SealedColumn, row_id: &str) -> Binding<'_> {
    Binding { table: col.table(), column: col.column(), row_id }
}

/// The unlocked master key. Only [`Ams::unlock`] and [`Ams::recover`] make one, so code that
/// opens secrets cannot run without the key being available.
pub struct Keyring {
    master: MasterKey,
    host_key: HostKey,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("master_key_id", &self.master.id()).finish_non_exhaustive()
    }
}

impl Keyring {
    /// The master key id.
    pub fn master_key_id(&self) -> Uuid {
        self.master.id()
    }

    /// Seals a value for a row.
    pub fn seal(&self, binding: &Binding<'_>, plaintext: &[u8]) -> Result<Vec<u8>> {
        self.master.seal(binding, plaintext)
    }

    /// Opens a value sealed for a row.
    pub fn open(&self, binding: &Binding<'_>, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.master.open(binding, sealed)
    }

    /// The master key (for backups: sealing a manifest, re-adding a host protector on restore).
    pub(crate) fn master(&self) -> &MasterKey {
        &self.master
    }

    /// The host key this keyring was unlocked with.
    pub(crate) fn host_key(&self) -> &HostKey {
        &self.host_key
    }
}

/// Minimum length of a recovery password chosen by a person.
pub const MIN_RECOVERY_PASSWORD_LEN: usize = 12;

/// Checks a recovery password chosen by a person.
pub fn check_recovery_password(pw: &[u8]) -> Result<()> {
    let weak = |why: &str| {
        Err(Error::new(ErrorCode::WeakPassword, format!("The recovery password is too weak: {why}."))
            .hint("Use at least 12 characters, or pass --generate-recovery-password."))
    };
    let Ok(s) = std::str::from_utf8(pw) else {
        return weak("it is not valid UTF-8");
    };
    if s.chars().count() < MIN_RECOVERY_PASSWORD_LEN {
        return weak("it is shorter than 12 characters");
    }
    let distinct: std::collections::HashSet<char> = s.chars().collect();
    if distinct.len() < 5 {
        return weak("it repeats too few different characters");
    }
    Ok(())
}

/// Generates a recovery password: 8 groups of 5 characters from a 32-letter alphabet without
/// look-alikes (200 bits).
pub fn generate_recovery_password() -> Result<Zeroizing<String>> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789#";
    let bytes = Zeroizing::new(seal::random_bytes::<40>()?);
    let mut out = Zeroizing::new(String::with_capacity(47));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            out.push('-');
        }
        out.push(char::from(ALPHABET[usize::from(b & 31)]));
    }
    // '#' reads badly when spoken; swap for a letter that is not otherwise used.
    Ok(Zeroizing::new(out.replace('#', "L")))
}

fn host_context(instance_id: &str, host_key_id: &str, master_key_id: &str) -> String {
    format!("ams-protector/v1/host/{instance_id}/{host_key_id}/{master_key_id}")
}

/// Opens the master key with a host key, when one of the master key's host protectors is its.
fn open_with_host_key(
    instance_id: &str,
    mk: &MasterKeyRow,
    protectors: &[ProtectorRow],
    host_key: HostKey,
) -> std::result::Result<Keyring, HostKeyProblem> {
    if host_key.instance_id != instance_id {
        return Err(HostKeyProblem::OtherInstance);
    }
    let ctx = host_context(instance_id, &host_key.host_key_id, &mk.id);
    let mine: Vec<(&ProtectorRow, HostParams)> =
        host_protectors(protectors).filter(|(_, hp)| hp.host_key_id == host_key.host_key_id).collect();
    let key = mine
        .iter()
        .filter(|(_, hp)| !hp.awaiting_recovery)
        .find_map(|(p, _)| seal::unwrap_key(&host_key.key, &ctx, &p.wrapped_key));
    let key = match key {
        Some(k) => k,
        None if mine.iter().any(|(_, hp)| hp.awaiting_recovery) => return Err(HostKeyProblem::Rotated),
        None => return Err(HostKeyProblem::Mismatch),
    };
    let id = Uuid::parse_str(&mk.id).map_err(|_| HostKeyProblem::Corrupt)?;
    Ok(Keyring { master: MasterKey::from_parts(id, key), host_key })
}

fn recovery_context(instance_id: &str, master_key_id: &str) -> String {
    format!("ams-protector/v1/recovery/{instance_id}/{master_key_id}")
}

/// The params of a host protector row. Rows from before per-host protectors carry only the id.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct HostParams {
    host_key_id: String,
    /// The computer that created the row (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    host_name: Option<String>,
    /// Left by a rotation on another host: the row holds no key (its `wrapped_key` is empty) and
    /// names the host that must run `ams key recover`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    awaiting_recovery: bool,
}

/// The host protector rows among `protectors`, with their params (rows whose params cannot be
/// read are skipped: they open nothing).
fn host_protectors(protectors: &[ProtectorRow]) -> impl Iterator<Item = (&ProtectorRow, HostParams)> {
    protectors
        .iter()
        .filter(|p| p.kind == "host")
        .filter_map(|p| serde_json::from_str::<HostParams>(&p.params).ok().map(|hp| (p, hp)))
}

/// This host's key id: the one in its host key file, when the file belongs to this instance.
fn this_host_key_id(data_dir: &std::path::Path, instance_id: &str) -> Option<String> {
    HostKey::load(data_dir).ok().filter(|k| k.instance_id == instance_id).map(|k| k.host_key_id)
}

fn host_protector_info(p: &ProtectorRow, hp: HostParams, this_host: Option<&str>) -> HostProtectorInfo {
    HostProtectorInfo {
        protector_id: p.id.clone(),
        this_host: this_host == Some(hp.host_key_id.as_str()),
        host_key_id: hp.host_key_id,
        host_name: hp.host_name,
        created: p.created_at.clone(),
        awaiting_recovery: hp.awaiting_recovery,
    }
}

/// One host's protector of the active master key, without key material.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HostProtectorInfo {
    /// The protector row's id.
    pub protector_id: String,
    /// The id of the host key (in that host's `host.key`) that opens it.
    pub host_key_id: String,
    /// The computer that created it (none on rows made before this was recorded).
    pub host_name: Option<String>,
    /// When it was made.
    pub created: String,
    /// True when it is this host's (its key id is the one in this data directory's `host.key`).
    pub this_host: bool,
    /// True when a rotation on another host left it without a key: that host must run
    /// `ams key recover`.
    pub awaiting_recovery: bool,
}

/// Which protectors exist and whether the host protector works.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeyStatus {
    /// Instance id.
    pub instance_id: String,
    /// Active master key id.
    pub master_key_id: String,
    /// When the master key was made.
    pub master_key_created: String,
    /// Whole days since then.
    pub master_key_age_days: i64,
    /// True when the host protector unlocks the master key.
    pub host_protector_ok: bool,
    /// What is wrong with the host protector, if anything.
    pub host_protector_problem: Option<String>,
    /// True when secrets are unavailable until `ams key recover`.
    pub recovery_mode: bool,
    /// The protectors of the active master key.
    pub protectors: Vec<ProtectorInfo>,
    /// The host key id in this data directory's `host.key` (none when the file is missing or
    /// belongs to another instance).
    pub this_host_key_id: Option<String>,
    /// One entry per host protector: which host it is, and whether it waits for `ams key recover`.
    pub host_protectors: Vec<HostProtectorInfo>,
    /// Files in the data directory that other users can read or write (the directory should be
    /// 0700 and the files 0600). A loose host.key is refused outright; the others are warned about.
    pub permission_warnings: Vec<String>,
    /// Files a restore, a recovery or a rotation kept (`ams.db.replaced-*`, `host.key.replaced-*`),
    /// oldest first. An old host key opens only master keys that are no longer in force, and an
    /// old database holds old secrets: remove them with `ams key prune-replaced` once not needed.
    pub replaced_files: Vec<ReplacedFile>,
    /// False until the derivation root exists (V0006; `ams db migrate` or `ams key recover` with the
    /// master key at hand creates it).
    pub derivation_root: bool,
    /// Lookup hashes from before V0006 never re-keyed (a migration done in recovery mode): those
    /// registration keys and device credentials no longer match; make new ones.
    pub unkeyed_lookup_hashes: i64,
    /// Stored passwords and BitLocker keys without a row MAC (same cause): they no longer open;
    /// the devices upload new ones at their next rotation.
    pub secret_rows_without_mac: i64,
}

/// A file a restore, a recovery or a rotation kept beside the one it replaced.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ReplacedFile {
    /// The file.
    pub path: String,
    /// `database`, `host-key` or `staged-host-key` (left by a rotation that did not commit).
    pub kind: String,
    /// Size in bytes (0 for a link, which is never followed).
    pub bytes: u64,
    /// False when the entry is not a plain file (a link someone planted): it is listed, never read.
    pub regular_file: bool,
}

/// What `ams key prune-replaced` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PruneReport {
    /// The files removed.
    pub removed: Vec<String>,
    /// The files kept (younger than `--older-than-days`).
    pub kept: Vec<String>,
}

/// One protector, without key material.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProtectorInfo {
    /// Protector id.
    pub id: String,
    /// `host` or `recovery`.
    pub kind: String,
    /// When it was made.
    pub created: String,
    /// For `recovery`: the Argon2id parameters (no salt secret involved; the salt is public).
    pub kdf: Option<String>,
}

/// What `ams init` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitReport {
    /// Instance id.
    pub instance_id: String,
    /// Data directory.
    pub data_dir: String,
    /// Master key id.
    pub master_key_id: String,
    /// Schema version.
    pub schema_version: u32,
}

impl Ams {
    /// Creates a new instance: data directory, database, master key, host key file and recovery
    /// protector. Refuses a directory that already holds an instance or a host key file.
    pub fn init(opts: &OpenOptions, recovery_password: &[u8], kdf: KdfParams) -> Result<(Ams, InitReport)> {
        let key_path = opts.data_dir.join(crate::instance::HOST_KEY_FILE);
        if key_path.exists() {
            return Err(Error::new(ErrorCode::HostKeyExists, "A host key file already exists in this data directory.")
                .hint("Choose an empty data directory; an existing host.key is never overwritten.")
                .with("path", key_path.display()));
        }
        let ams = Ams::create(opts)?;
        if ams.store.read(|tx| tx.instance())?.is_some() {
            return Err(Error::new(
                ErrorCode::InstanceExists,
                "An ams instance already exists in this data directory.",
            )
            .hint("Use the existing instance, or choose another --data-dir.")
            .with("data_dir", opts.data_dir.display()));
        }
        let instance_id = seal::new_id()?.to_string();
        let master = MasterKey::generate()?;
        let host_key = HostKey::generate(&instance_id)?;
        let recovery_kek = kdf.derive(recovery_password)?;
        let mk_id = master.id().to_string();
        let now = ams.now();
        let keys = ams.store.write(|tx| {
            tx.insert_instance(&InstanceRow { id: instance_id.clone(), created_at: now.clone() })?;
            tx.insert_master_key(&MasterKeyRow {
                id: mk_id.clone(),
                state: "active".into(),
                created_at: now.clone(),
                retired_at: None,
            })?;
            insert_host_protector(tx, &instance_id, &host_key, &master, &now)?;
            insert_recovery_protector(tx, &instance_id, &recovery_kek, &kdf, &master, &now)?;
            audit::record_with(
                &ams,
                tx,
                Event::success("instance.init", "instance", &instance_id)
                    .details(serde_json::json!({"MasterKeyId": mk_id})),
                None,
            )?;
            let (keys, _) = crate::service::derived::ensure(&ams, tx, &master, false)?;
            Ok(keys)
        })?;
        ams.remember_derived(keys);
        // The database commits first: a crash before the key file exists leaves an instance in
        // recovery mode that the recovery password just chosen unlocks.
        host_key.create_file(&opts.data_dir)?;
        let schema_version = crate::store::migrate::target_version();
        let report = InitReport {
            instance_id,
            data_dir: opts.data_dir.display().to_string(),
            master_key_id: mk_id,
            schema_version,
        };
        Ok((ams, report))
    }

    fn instance_id(&self, tx: &(impl ReadTx + ?Sized)) -> Result<String> {
        tx.instance()?.map(|r| r.id).ok_or_else(|| {
            Error::new(ErrorCode::InstanceNotFound, "The database has no instance record.").hint("Run `ams init`.")
        })
    }

    fn active_key_row(tx: &(impl ReadTx + ?Sized)) -> Result<MasterKeyRow> {
        tx.active_master_key()?.ok_or_else(|| {
            Error::new(ErrorCode::MasterKeyMissing, "The database has no active master key.")
                .hint("Restore the database from a backup.")
        })
    }

    /// Tries the host protector. Returns the keyring, or what is wrong with the host key.
    fn try_host_unlock(&self) -> Result<std::result::Result<Keyring, HostKeyProblem>> {
        let (instance_id, mk, protectors) = self.store.read(|tx| {
            let id = self.instance_id(tx)?;
            let mk = Self::active_key_row(tx)?;
            let p = tx.protectors(&mk.id)?;
            Ok((id, mk, p))
        })?;
        let first = match HostKey::load(&self.data_dir) {
            Ok(k) => open_with_host_key(&instance_id, &mk, &protectors, k),
            Err(p) => Err(p),
        };
        match first {
            Err(HostKeyProblem::Mismatch | HostKeyProblem::Missing) => {}
            other => return Ok(other),
        }
        // A rotation commits its new host protector before it installs the new host key file: when
        // it was interrupted in between, its staged `host.key.next-<id>` opens the master key.
        // Finish the install (best effort) and go on with it.
        for (path, k) in HostKey::staged_next(&self.data_dir) {
            if let Ok(keyring) = open_with_host_key(&instance_id, &mk, &protectors, k) {
                let stamp = self.now().replace([':', '.'], "");
                let _ = HostKey::install(&path, &self.data_dir, &stamp);
                return Ok(Ok(keyring));
            }
        }
        Ok(first)
    }

    /// The derived keys (audit chain, lookup hashes), read through `tx` with this host's key and
    /// cached for the life of this handle once found; `None` when the master key or the derivation
    /// root is not available (recovery mode, or before V0006 created the root). `None` is not
    /// cached: a long-running process (the agent server) keys its records again as soon as
    /// `ams key recover` has run elsewhere.
    pub(crate) fn derived_keys_in(&self, tx: &(impl ReadTx + ?Sized)) -> Option<crate::service::derived::DerivedKeys> {
        let mut cache = self.derived.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(known) = &*cache {
            return known.clone();
        }
        let found = (|| {
            let instance_id = tx.instance().ok()??.id;
            let mk = tx.active_master_key().ok()??;
            let protectors = tx.protectors(&mk.id).ok()?;
            let host_key = HostKey::load(&self.data_dir).ok()?;
            let keyring = open_with_host_key(&instance_id, &mk, &protectors, host_key).ok()?;
            crate::service::derived::load(tx, &keyring.master).ok()?
        })();
        if found.is_some() {
            *cache = Some(found.clone());
        }
        found
    }

    /// Remembers derived keys this process has just created (after the commit).
    pub(crate) fn remember_derived(&self, keys: crate::service::derived::DerivedKeys) {
        *self.derived.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Some(keys));
    }

    /// The derived keys, with an unlocked keyring: an error when the instance has no derivation
    /// root (see [`ErrorCode::DerivationRootMissing`]).
    pub(crate) fn derived_keys(&self, keyring: &Keyring) -> Result<crate::service::derived::DerivedKeys> {
        self.store.read(|tx| self.derived_keys_tx(tx, keyring))
    }

    /// [`Ams::derived_keys`] inside the caller's transaction.
    pub(crate) fn derived_keys_tx(
        &self,
        tx: &(impl ReadTx + ?Sized),
        keyring: &Keyring,
    ) -> Result<crate::service::derived::DerivedKeys> {
        if let Some(Some(k)) = &*self.derived.lock().unwrap_or_else(std::sync::PoisonError::into_inner) {
            return Ok(k.clone());
        }
        let keys = crate::service::derived::require(tx, &keyring.master)?;
        self.remember_derived(keys.clone());
        Ok(keys)
    }

    /// Creates the derivation root when the instance has none (after the migration to V0006),
    /// with this host's key; nothing when it exists or the master key is unavailable. Returns
    /// true when it was created now.
    /// With `rekey_credentials` (only the migration that applied V0006 passes it), the device
    /// credential hashes V0006 marked are re-keyed too.
    pub(crate) fn ensure_derivation_root(&self, rekey_credentials: bool) -> Result<bool> {
        let Ok(keyring) = self.unlock() else {
            return Ok(false);
        };
        let (keys, created) =
            self.store.write(|tx| crate::service::derived::ensure(self, tx, &keyring.master, rekey_credentials))?;
        self.remember_derived(keys);
        Ok(created)
    }

    /// Unlocks the master key with the host protector. In recovery mode this fails with
    /// [`ErrorCode::RecoveryRequired`], whose hint says to run `ams key recover`.
    pub fn unlock(&self) -> Result<Keyring> {
        match self.try_host_unlock()? {
            Ok(k) => Ok(k),
            Err(HostKeyProblem::LoosePermissions) => Err(Error::new(
                ErrorCode::LoosePermissions,
                "The host key file can be read by other users; ams refuses to use it.",
            )
            .hint("Run `chmod 600` on the host.key file in the data directory.")
            .with("path", self.data_dir.join(crate::instance::HOST_KEY_FILE).display())),
            Err(problem) => Err(Error::new(
                ErrorCode::RecoveryRequired,
                format!(
                    "The master key is unavailable because {}: the instance is in recovery mode.",
                    problem.describe()
                ),
            )
            .hint("Run `ams key recover` and enter the recovery password.")
            .with(
                "reason",
                serde_json::to_value(problem).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default(),
            )),
        }
    }

    /// Unwraps the master key with the recovery password and writes a new host protector for this
    /// host (a new host key file; an old one is kept as `host.key.replaced-<time>`). Only this
    /// host's previous protector is replaced (the one its previous host key file names, when that
    /// no longer opens the master key, waits for recovery, or records this computer's name); every
    /// other host's protector is kept, so the other hosts sharing the database keep working. A
    /// wrong password changes nothing.
    pub fn recover(&self, recovery_password: &[u8]) -> Result<KeyStatus> {
        let (instance_id, mk, protectors) = self.store.read(|tx| {
            let id = self.instance_id(tx)?;
            let mk = Self::active_key_row(tx)?;
            let p = tx.protectors(&mk.id)?;
            Ok((id, mk, p))
        })?;
        let master = unwrap_with_recovery(&instance_id, &mk, &protectors, recovery_password)?;
        let previous = HostKey::load(&self.data_dir).ok().filter(|k| k.instance_id == instance_id);
        let this_name = crate::instance::host_name();
        let host_key = HostKey::generate(&instance_id)?;
        let staged = host_key.stage_file(&self.data_dir)?;
        let now = self.now();
        let result = self.store.write(|tx| {
            if Self::active_key_row(tx)?.id != mk.id {
                return Err(Error::new(ErrorCode::MasterKeyMissing, "The master key changed while this command ran.")
                    .hint("Run the command again."));
            }
            let mut replaced = Vec::new();
            if let Some(prev) = &previous {
                let ctx = host_context(&instance_id, &prev.host_key_id, &mk.id);
                for (p, hp) in host_protectors(&tx.protectors(&mk.id)?) {
                    if hp.host_key_id != prev.host_key_id {
                        continue;
                    }
                    // A protector the previous key still opens may be shared by hosts that were
                    // given a copy of this host.key (the procedure before per-host protectors):
                    // it is kept unless it records this computer's name. `ams key status` lists
                    // it; `ams key host-protector remove` revokes it.
                    let opens = !hp.awaiting_recovery && seal::unwrap_key(&prev.key, &ctx, &p.wrapped_key).is_some();
                    let named_here = hp.host_name.is_some() && hp.host_name == this_name;
                    if !opens || named_here {
                        tx.delete_protector(&p.id)?;
                        replaced.push(p.id.clone());
                    }
                }
            }
            insert_host_protector(tx, &instance_id, &host_key, &master, &now)?;
            let (keys, _) = crate::service::derived::ensure(self, tx, &master, false)?;
            audit::record_with(
                self,
                tx,
                Event::success("key.recover", "master_key", &mk.id).details(serde_json::json!({
                    "HostKeyId": host_key.id(),
                    "HostName": this_name,
                    "ReplacedProtectors": replaced,
                })),
                Some(&keys),
            )?;
            Ok(keys)
        });
        let keys = match result {
            Ok(k) => k,
            Err(e) => {
                let _ = std::fs::remove_file(&staged);
                return Err(e);
            }
        };
        self.remember_derived(keys);
        let stamp = now.replace([':', '.'], "");
        HostKey::install(&staged, &self.data_dir, &stamp)?;
        self.key_status()
    }

    /// Unwraps the active master key with the recovery password and changes nothing (for
    /// `ams db verify`). A wrong password fails with [`ErrorCode::WrongRecoveryPassword`].
    pub(crate) fn master_key_from_recovery_password(&self, recovery_password: &[u8]) -> Result<MasterKey> {
        self.recovery_unwrap()?.unwrap(recovery_password)
    }

    /// The rows the recovery password unwraps the master key from, read now, so that the key
    /// derivation (Argon2id) can run later on another thread than the database work (a restore
    /// derives the key while SQLite checks the image: issue 14).
    pub(crate) fn recovery_unwrap(&self) -> Result<RecoveryUnwrap> {
        self.store.read(|tx| {
            let instance_id = self.instance_id(tx)?;
            let mk = Self::active_key_row(tx)?;
            let protectors = tx.protectors(&mk.id)?;
            Ok(RecoveryUnwrap { instance_id, mk, protectors })
        })
    }

    /// True when this host's key does not open the master key (the `RecoveryMode` of
    /// [`Ams::key_status`], without its scan for unkeyed rows).
    pub(crate) fn recovery_mode(&self) -> Result<bool> {
        Ok(self.try_host_unlock()?.err().is_some_and(|p| p != HostKeyProblem::LoosePermissions))
    }

    /// Reports the protectors and whether the host protector works. Never fails because of
    /// recovery mode.
    pub fn key_status(&self) -> Result<KeyStatus> {
        let (instance_id, mk, protectors, root, (unkeyed, unmacced)) = self.store.read(|tx| {
            let id = self.instance_id(tx)?;
            let mk = Self::active_key_row(tx)?;
            let p = tx.protectors(&mk.id)?;
            let root = tx.instance_secret(crate::service::derived::ROOT_PURPOSE)?.is_some();
            Ok((id, mk, p, root, tx.unkeyed_rows()?))
        })?;
        let problem = self.try_host_unlock()?.err();
        let created = crate::clock::parse_time(&mk.created_at)?;
        let this_host = this_host_key_id(&self.data_dir, &instance_id);
        let host_protectors =
            host_protectors(&protectors).map(|(p, hp)| host_protector_info(p, hp, this_host.as_deref())).collect();
        Ok(KeyStatus {
            this_host_key_id: this_host,
            host_protectors,
            instance_id,
            master_key_id: mk.id.clone(),
            master_key_created: mk.created_at.clone(),
            master_key_age_days: (self.now_time() - created).whole_days(),
            host_protector_ok: problem.is_none(),
            host_protector_problem: problem.map(|p| p.describe().to_string()),
            recovery_mode: problem.is_some_and(|p| p != HostKeyProblem::LoosePermissions),
            permission_warnings: crate::instance::loose_permissions(&self.data_dir),
            replaced_files: self.replaced_files()?.into_iter().map(|(f, _)| f).collect(),
            derivation_root: root,
            unkeyed_lookup_hashes: unkeyed,
            secret_rows_without_mac: unmacced,
            protectors: protectors
                .iter()
                .map(|p| ProtectorInfo {
                    id: p.id.clone(),
                    kind: p.kind.clone(),
                    created: p.created_at.clone(),
                    kdf: (p.kind == "recovery")
                        .then(|| serde_json::from_str::<KdfParams>(&p.params).ok())
                        .flatten()
                        .map(|k| {
                            format!("{} m={}KiB t={} p={}", k.algorithm, k.memory_kib, k.iterations, k.parallelism)
                        }),
                })
                .collect(),
        })
    }

    /// The replaced files of this instance, oldest first, each with its modification time.
    fn replaced_files(&self) -> Result<Vec<(ReplacedFile, Option<std::time::SystemTime>)>> {
        let mut places = vec![
            (
                self.data_dir.clone(),
                format!("{}{}", crate::instance::HOST_KEY_FILE, crate::instance::REPLACED_INFIX),
                "host-key",
            ),
            // Staged by a rotation that never committed (one that did is installed by the unlock).
            (self.data_dir.clone(), crate::instance::HOST_KEY_NEXT_PREFIX.to_string(), "staged-host-key"),
        ];
        let url = crate::store::DbUrl::parse(&self.config.database, &self.data_dir)?;
        if let Some(db) = url.local_file() {
            let dir = match db.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => self.data_dir.clone(),
            };
            let name = db.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            places.push((dir, format!("{name}{}", crate::instance::REPLACED_INFIX), "database"));
        }
        let mut out = Vec::new();
        for (dir, prefix, kind) in places {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::from(e).with("path", dir.display())),
            };
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with(&prefix) {
                    continue;
                }
                // symlink_metadata: a planted link is described, never followed.
                let meta = std::fs::symlink_metadata(entry.path())?;
                if meta.is_dir() {
                    continue;
                }
                let regular = meta.file_type().is_file();
                out.push((
                    ReplacedFile {
                        path: entry.path().display().to_string(),
                        kind: kind.into(),
                        bytes: if regular { meta.len() } else { 0 },
                        regular_file: regular,
                    },
                    meta.modified().ok(),
                ));
            }
        }
        out.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.path.cmp(&b.0.path)));
        Ok(out)
    }

    /// Removes the files restores, recoveries and rotations kept (see [`KeyStatus::replaced_files`]);
    /// with `older_than_days`, only those last modified longer ago. A link is removed, never
    /// followed. Recorded in the audit trail.
    pub fn prune_replaced(&self, older_than_days: Option<u32>) -> Result<PruneReport> {
        // A staged host key that opens the master key is installed first, never pruned.
        let _ = self.try_host_unlock()?;
        let now = std::time::SystemTime::from(self.now_time());
        let mut report = PruneReport { removed: Vec::new(), kept: Vec::new() };
        for (f, modified) in self.replaced_files()? {
            let young = older_than_days.is_some_and(|days| {
                modified
                    .and_then(|m| now.duration_since(m).ok())
                    .is_none_or(|age| age < std::time::Duration::from_secs(u64::from(days) * 86_400))
            });
            if young {
                report.kept.push(f.path);
                continue;
            }
            match std::fs::remove_file(&f.path) {
                Ok(()) => report.removed.push(f.path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::from(e).with("path", &f.path)),
            }
        }
        if let Some(p) = report.removed.first() {
            crate::instance::sync_parent(std::path::Path::new(p));
        }
        self.store.write(|tx| {
            audit::record(
                self,
                tx,
                Event::success("key.prune_replaced", "instance", &self.instance_id(tx)?)
                    .details(serde_json::json!({"Removed": report.removed, "Kept": report.kept.len()})),
            )
        })?;
        Ok(report)
    }

    /// Revokes one host's protector of the active master key (all rows naming that host key id):
    /// that host is in recovery mode until it runs `ams key recover` with the recovery password.
    /// Refuses this host's own protector ([`ErrorCode::OwnHostProtector`]) and the last one that
    /// holds a key ([`ErrorCode::LastHostProtector`]), and changes nothing then. Recorded in the
    /// audit trail.
    pub fn remove_host_protector(&self, host_key_id: &str) -> Result<HostProtectorInfo> {
        self.store.write(|tx| {
            let instance_id = self.instance_id(tx)?;
            let mk = Self::active_key_row(tx)?;
            let protectors = tx.protectors(&mk.id)?;
            let this_host = this_host_key_id(&self.data_dir, &instance_id);
            let (targets, rest): (Vec<_>, Vec<_>) =
                host_protectors(&protectors).partition(|(_, hp)| hp.host_key_id == host_key_id);
            let Some((first, first_params)) = targets.first() else {
                return Err(Error::new(
                    ErrorCode::HostProtectorNotFound,
                    "No host protector of the master key has that host key id.",
                )
                .hint("`ams key status` lists the host protectors (HostProtectors[].HostKeyId).")
                .with("host_key_id", host_key_id));
            };
            if this_host.as_deref() == Some(host_key_id) {
                return Err(Error::new(
                    ErrorCode::OwnHostProtector,
                    "That host protector is this host's own; a host does not revoke itself. Nothing was changed.",
                )
                .hint("Run the command on another host that shares the database, or give this host a new key with `ams key recover`.")
                .with("host_key_id", host_key_id));
            }
            if !rest.iter().any(|(_, hp)| !hp.awaiting_recovery) {
                return Err(Error::new(
                    ErrorCode::LastHostProtector,
                    "That is the last host protector that unlocks the master key; without it every host would be in recovery mode. Nothing was changed.",
                )
                .hint("Run `ams key recover` on the host that should keep access first, then revoke this one.")
                .with("host_key_id", host_key_id));
            }
            let info = host_protector_info(first, first_params.clone(), this_host.as_deref());
            for (p, _) in &targets {
                tx.delete_protector(&p.id)?;
            }
            audit::record(
                self,
                tx,
                Event::success("key.host_protector.remove", "master_key", &mk.id).details(serde_json::json!({
                    "HostKeyId": host_key_id,
                    "HostName": info.host_name,
                    "Protectors": targets.len(),
                })),
            )?;
            Ok(info)
        })
    }

    /// Replaces the recovery password. The previous one stops working at once.
    pub fn set_recovery_password(&self, keyring: &Keyring, new_password: &[u8], kdf: KdfParams) -> Result<()> {
        check_recovery_password(new_password)?;
        let kek = kdf.derive(new_password)?;
        let now = self.now();
        self.store.write(|tx| {
            let instance_id = self.instance_id(tx)?;
            let mk = Self::active_key_row(tx)?;
            if mk.id != keyring.master.id().to_string() {
                return Err(Error::new(ErrorCode::MasterKeyMissing, "The master key changed while this command ran.")
                    .hint("Run the command again."));
            }
            tx.delete_protectors(&mk.id, "recovery")?;
            insert_recovery_protector(tx, &instance_id, &kek, &kdf, &keyring.master, &now)?;
            audit::record(self, tx, Event::success("key.recovery_password.set", "master_key", &mk.id))
        })
    }

    /// Makes a new master key and re-seals every sealed value under it, in one transaction: a
    /// crash leaves either the old or the new key fully in force. The recovery password (which
    /// wraps the new key too) must be given; the recovery protector keeps it.
    ///
    /// The host key is replaced too: the new master key is wrapped only by a new host key, staged
    /// as `host.key.next-<id>` before the commit and installed as `host.key` after it (the old file is
    /// kept as `host.key.replaced-<time>`, see `ams key prune-replaced`), and the old master key's
    /// host protectors are deleted. A copy of the old host key file, stolen before the rotation,
    /// opens nothing the rotation made. A crash between the commit and the install leaves
    /// `host.key.next-<id>`, which the next unlock installs.
    ///
    /// Other hosts sharing the database: their host keys are symmetric and only they hold them,
    /// so the new master key cannot be wrapped for them. Each gets a protector row "awaiting
    /// recovery" (its host key id and name, no key) under the new master key: its `ams key status`
    /// says it must run `ams key recover`, and [`KeyStatus::host_protectors`] names those hosts.
    pub fn rotate_master_key(&self, keyring: Keyring, recovery_password: &[u8], kdf: KdfParams) -> Result<Keyring> {
        let new_master = MasterKey::generate()?;
        let now = self.now();
        let new_id = new_master.id().to_string();
        let kek = kdf.derive(recovery_password)?;
        let new_host_key = HostKey::generate(&keyring.host_key.instance_id)?;
        let staged = new_host_key.stage_next(&self.data_dir)?;
        let result = self.store.write(|tx| {
            let instance_id = self.instance_id(tx)?;
            let mk = Self::active_key_row(tx)?;
            let old_id = keyring.master.id().to_string();
            if mk.id != old_id {
                return Err(Error::new(ErrorCode::MasterKeyMissing, "The master key changed while this command ran.")
                    .hint("Run the command again."));
            }
            // The recovery password must be the one in force: prove it unwraps the old key.
            let old_protectors = tx.protectors(&mk.id)?;
            unwrap_with_recovery(&instance_id, &mk, &old_protectors, recovery_password)?;
            let mut others: Vec<HostParams> = Vec::new();
            for (_, hp) in host_protectors(&old_protectors) {
                if hp.host_key_id != keyring.host_key.host_key_id
                    && !others.iter().any(|o| o.host_key_id == hp.host_key_id)
                {
                    others.push(hp);
                }
            }
            // The derivation root stays the same across rotations: it is re-sealed below.
            let (keys, _) = crate::service::derived::ensure(self, tx, &keyring.master, false)?;
            let mut count = 0usize;
            for col in SealedColumn::ALL {
                for (row_id, sealed) in tx.sealed_values(col)? {
                    let b = sealed_binding(col, &row_id);
                    let plain = keyring.master.open(&b, &sealed)?;
                    tx.update_sealed(col, &row_id, &new_master.seal(&b, &plain)?)?;
                    count += 1;
                }
            }
            tx.retire_master_key(&old_id, &now)?;
            tx.insert_master_key(&MasterKeyRow {
                id: new_id.clone(),
                state: "active".into(),
                created_at: now.clone(),
                retired_at: None,
            })?;
            tx.delete_protectors(&old_id, "host")?;
            insert_host_protector(tx, &instance_id, &new_host_key, &new_master, &now)?;
            for hp in &others {
                insert_awaiting_host_protector(tx, hp, &new_id, &now)?;
            }
            insert_recovery_protector(tx, &instance_id, &kek, &kdf, &new_master, &now)?;
            audit::record_with(
                self,
                tx,
                Event::success("key.rotate", "master_key", &new_id).details(serde_json::json!({
                    "PreviousMasterKeyId": old_id,
                    "ResealedValues": count,
                    "HostKeyId": new_host_key.id(),
                    "HostsAwaitingRecovery": others.iter().map(|h| h.host_key_id.as_str()).collect::<Vec<_>>(),
                })),
                Some(&keys),
            )?;
            Ok(keys)
        });
        match result {
            Ok(keys) => self.remember_derived(keys),
            Err(e) => {
                let _ = std::fs::remove_file(&staged);
                return Err(e);
            }
        }
        let stamp = now.replace([':', '.'], "");
        HostKey::install(&staged, &self.data_dir, &stamp)?;
        Ok(Keyring { master: new_master, host_key: new_host_key })
    }
}

pub(crate) fn insert_host_protector(
    tx: &Tx<'_>,
    instance_id: &str,
    host_key: &HostKey,
    master: &MasterKey,
    now: &str,
) -> Result<()> {
    let mk_id = master.id().to_string();
    let ctx = host_context(instance_id, &host_key.host_key_id, &mk_id);
    let params = serde_json::to_string(&HostParams {
        host_key_id: host_key.host_key_id.clone(),
        host_name: crate::instance::host_name(),
        awaiting_recovery: false,
    })
    .map_err(|_| Error::internal("host params"))?;
    tx.insert_protector(&ProtectorRow {
        id: seal::new_id()?.to_string(),
        master_key_id: mk_id,
        kind: "host".into(),
        params,
        wrapped_key: seal::wrap_key(&host_key.key, &ctx, master.key())?,
        created_at: now.to_string(),
    })
}

/// The row a rotation leaves for another host: its key id and name, no key material.
fn insert_awaiting_host_protector(tx: &Tx<'_>, host: &HostParams, master_key_id: &str, now: &str) -> Result<()> {
    let params = serde_json::to_string(&HostParams { awaiting_recovery: true, ..host.clone() })
        .map_err(|_| Error::internal("host params"))?;
    tx.insert_protector(&ProtectorRow {
        id: seal::new_id()?.to_string(),
        master_key_id: master_key_id.to_string(),
        kind: "host".into(),
        params,
        wrapped_key: Vec::new(),
        created_at: now.to_string(),
    })
}

fn insert_recovery_protector(
    tx: &Tx<'_>,
    instance_id: &str,
    kek: &SymmetricKey,
    kdf: &KdfParams,
    master: &MasterKey,
    now: &str,
) -> Result<()> {
    let mk_id = master.id().to_string();
    let ctx = recovery_context(instance_id, &mk_id);
    tx.insert_protector(&ProtectorRow {
        id: seal::new_id()?.to_string(),
        master_key_id: mk_id,
        kind: "recovery".into(),
        params: serde_json::to_string(kdf).map_err(|_| Error::internal("kdf params"))?,
        wrapped_key: seal::wrap_key(kek, &ctx, master.key())?,
        created_at: now.to_string(),
    })
}

/// The active master key's row and protectors, read by [`Ams::recovery_unwrap`].
pub(crate) struct RecoveryUnwrap {
    instance_id: String,
    mk: MasterKeyRow,
    protectors: Vec<ProtectorRow>,
}

impl RecoveryUnwrap {
    /// Derives the key-encryption key from the recovery password and unwraps the master key.
    pub(crate) fn unwrap(&self, recovery_password: &[u8]) -> Result<MasterKey> {
        unwrap_with_recovery(&self.instance_id, &self.mk, &self.protectors, recovery_password)
    }
}

fn unwrap_with_recovery(
    instance_id: &str,
    mk: &MasterKeyRow,
    protectors: &[ProtectorRow],
    password: &[u8],
) -> Result<MasterKey> {
    let p = protectors.iter().find(|p| p.kind == "recovery").ok_or_else(|| {
        Error::new(ErrorCode::MasterKeyMissing, "The database has no recovery protector for the master key.")
            .hint("Restore the database from a backup.")
    })?;
    let kdf: KdfParams = serde_json::from_str(&p.params)
        .map_err(|_| Error::new(ErrorCode::KdfParams, "The recovery protector's parameters are damaged."))?;
    let kek = kdf.derive(password)?;
    let key = seal::unwrap_key(&kek, &recovery_context(instance_id, &mk.id), &p.wrapped_key).ok_or_else(|| {
        Error::new(ErrorCode::WrongRecoveryPassword, "The recovery password is wrong. Nothing was changed.")
            .hint("Enter the recovery password that was in force when this database was last backed up.")
    })?;
    let id = Uuid::parse_str(&mk.id).map_err(|_| Error::internal("master key id is not a UUID"))?;
    Ok(MasterKey::from_parts(id, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_recovery_passwords_are_strong_and_distinct() {
        let a = generate_recovery_password().unwrap();
        let b = generate_recovery_password().unwrap();
        assert_ne!(*a, *b);
        assert_eq!(a.len(), 47);
        check_recovery_password(a.as_bytes()).unwrap();
    }

    #[test]
    fn weak_recovery_passwords_are_refused() {
        for pw in ["short", "aaaaaaaaaaaaaaaa", "abababababababab"] {
            assert_eq!(check_recovery_password(pw.as_bytes()).unwrap_err().code(), ErrorCode::WeakPassword, "{pw}");
        }
        check_recovery_password(b"correct horse battery").unwrap();
    }
}
