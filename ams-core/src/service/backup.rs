//! Database backup, verification and restore (embedded SQLite).
//!
//! * [`Ams::db_backup`]: an online, consistent copy taken with SQLite's backup API while other
//!   processes go on writing, written as one self-describing file ([`format`]) that is created
//!   0600 and never overwrites anything. The image carries no host key protector, so a stolen
//!   backup opens nothing without the recovery password.
//! * [`Ams::db_backup_scheduled`]: the same into the backup folder when the schedule in the
//!   service settings says one is due, then deletes the oldest beyond the retention count.
//! * [`db_verify`]: checksums, the image's schema against the migrations, SQLite's integrity
//!   check, the manifest against the image, the seal (which must verify, with this host's key or
//!   the recovery password: [`BackupAuth`]) and a sample of secrets.
//! * [`db_restore`]: authenticates the backup the same way before anything changes; refused while
//!   another process holds the instance (unless forced); the image is checked and migrated in a
//!   temporary file that then replaces the database in one rename; the replaced database is kept
//!   as a dated copy (0600).
//!
//! Design notes: docs/backup-and-restore.md and docs/adr/0002-backup-format.md.

pub mod format;
mod steps;

pub use steps::PROFILE_ENV;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use zeroize::Zeroizing;

use crate::ams::{Ams, OpenOptions};
use crate::clock::{format_time, parse_time};
use crate::crypto::envelope::{self, EnvelopeContext, SecretKind};
use crate::crypto::seal::{MasterKey, hex, new_id, random_bytes};
use crate::error::{Error, ErrorCode, Result};
use crate::instance::{self, HOST_CONFIG_FILE, HostConfig};
use crate::lock::{EXCLUSIVE_WAIT, InstanceLock};
use crate::service::audit::{self, Event};
use crate::service::certs::cert_key_binding;
use crate::service::keys::{insert_host_protector, sealed_binding};
use crate::service::settings::{BACKUP_ENABLED, BACKUP_FOLDER, BACKUP_INTERVAL_HOURS, BACKUP_RETENTION_COUNT};
use crate::store::migrate::{self, MigrationStatus};
use crate::store::{DbUrl, Image, Replaced, SealedColumn, Store, replace_database};

use format::{Header, Manifest};
use steps::Steps;

/// File name extension of backups.
pub const BACKUP_EXTENSION: &str = "amsbak";
/// Default backup folder, inside the data directory.
pub const DEFAULT_BACKUP_FOLDER: &str = "backups";
/// A scheduled backup is due this long before the interval has fully passed, so a timer that
/// fires a little early does not skip a whole period.
pub const SCHEDULE_SLACK_MINUTES: i64 = 5;

/// A stage of a long operation, for progress bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Copying the live database (online backup API).
    Copy,
    /// Computing the image checksum.
    Checksum,
    /// Writing the backup file.
    Write,
    /// Reading and checking a backup file.
    Read,
}

impl Phase {
    /// A short label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Copy => "copying",
            Phase::Checksum => "checksum",
            Phase::Write => "writing",
            Phase::Read => "reading",
        }
    }
}

/// Progress of a long operation: `done` of `total` bytes in `phase`.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// The stage.
    pub phase: Phase,
    /// Bytes done.
    pub done: u64,
    /// Bytes in all.
    pub total: u64,
}

fn reporter(progress: &mut dyn FnMut(Progress), phase: Phase) -> impl FnMut(u64, u64) + '_ {
    move |done, total| progress(Progress { phase, done, total })
}

/// What `ams db backup` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupReport {
    /// The backup file.
    pub file: String,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Id of the backup.
    pub backup_id: String,
    /// The instance.
    pub instance_id: String,
    /// When it was taken.
    pub created_at: String,
    /// Schema version of the image.
    pub schema_version: u32,
    /// The master key in force (the recovery password in force now opens the backup).
    pub master_key_id: String,
    /// The image digest in the manifest (`sha256-chunks-4MiB:<hex>`, see
    /// [`format::CHUNKED_SHA256`]).
    pub image_digest: String,
    /// True when the manifest is sealed under the master key (false in recovery mode).
    pub sealed: bool,
    /// Rows per table.
    pub row_counts: BTreeMap<String, u64>,
}

/// What `ams db backup --scheduled` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduledBackupReport {
    /// True when a backup was written by this run.
    pub backed_up: bool,
    /// Why not, when no backup was written.
    pub skipped_reason: Option<String>,
    /// The backup folder.
    pub folder: String,
    /// The backup written.
    pub backup: Option<BackupReport>,
    /// When the next backup is due (none when every run backs up).
    pub next_due: Option<String>,
    /// Scheduled backups kept.
    pub retention_count: i64,
    /// Old backups deleted by this run.
    pub pruned: Vec<String>,
}

/// What `ams db verify` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VerifyReport {
    /// The backup file.
    pub file: String,
    /// The manifest.
    pub manifest: Manifest,
    /// Both checksums match (always true in a report: a mismatch is an error).
    pub checksums_ok: bool,
    /// SQLite's integrity check result (`ok`).
    pub integrity_check: String,
    /// The schema version this ams works with.
    pub target_version: u32,
    /// True when a restore would migrate the image forward (verify has migrated a throw-away
    /// copy to prove it can).
    pub migration_needed: bool,
    /// True when the recovery password was given and unwrapped the master key.
    pub recovery_password_checked: bool,
    /// True when the seal verified. False only with `--insecure-skip-authentication`.
    pub authenticated: bool,
    /// What checked the seal: `host-key` (this host's instance holds the backup's master key) or
    /// `recovery-password`.
    pub authenticated_by: Option<String>,
    /// Sealed values and agent-sealed secrets opened as a sample (all must open).
    pub secrets_opened: usize,
    /// Things worth knowing that are not failures.
    pub warnings: Vec<String>,
}

/// What `ams db restore` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RestoreReport {
    /// The data directory.
    pub data_dir: String,
    /// The database file restored.
    pub database: String,
    /// True when the data directory was created by this restore.
    pub created_data_dir: bool,
    /// The backup restored.
    pub backup_id: String,
    /// The instance restored.
    pub instance_id: String,
    /// When the backup was taken.
    pub backup_created_at: String,
    /// Schema version of the backup.
    pub backup_schema_version: u32,
    /// Schema version now.
    pub schema_version: u32,
    /// Migrations applied to the restored image.
    pub migrated: Vec<u32>,
    /// Where the replaced database was kept, if there was one.
    pub replaced_database_copy: Option<String>,
    /// True when the restore overrode another process holding the instance.
    pub forced: bool,
    /// The old host key file, kept when the restore wrote a new one.
    pub replaced_host_key: Option<String>,
    /// True when the seal verified. False only with `--insecure-skip-authentication`.
    pub authenticated: bool,
    /// What checked the seal: `host-key` (the live instance held the backup's master key) or
    /// `recovery-password` (which also gave the restored database a new host key).
    pub authenticated_by: Option<String>,
    /// True when the instance needs `ams key recover` (new host, or the master key differs).
    pub recovery_mode: bool,
    /// Things worth knowing that are not failures.
    pub warnings: Vec<String>,
}

/// The error for engines whose backups are made with the database platform's own tools.
pub fn platform_tools_error(engine: &str) -> Error {
    Error::new(
        ErrorCode::BackupUsePlatformTools,
        "This instance's database is not embedded: back it up and restore it with the database platform's own tools.",
    )
    .hint("For SQL Server use BACKUP DATABASE / RESTORE DATABASE (or your platform's backups); see docs/backup-and-restore.md. Keep the recovery password: it opens the master key in any restored copy.")
    .with("engine", engine)
}

/// Refuses `ams db backup` for an engine this build cannot back up: SQL Server in a build without
/// SQL Server support. With it, a SQL Server database's rows are copied into the same SQLite
/// image a SQLite instance's backup holds (`store/mssql/backup.rs`).
pub fn check_backup_engine(data_dir: &Path) -> Result<()> {
    #[cfg(feature = "mssql")]
    {
        let _ = data_dir;
        Ok(())
    }
    #[cfg(not(feature = "mssql"))]
    check_engine_without_mssql(data_dir)
}

/// Refuses connection strings naming SQL Server with the platform-tools explanation, in a build
/// without SQL Server support. With it, a restore loads the image's rows into the SQL Server
/// database (`store/mssql/backup.rs`).
pub fn check_engine(data_dir: &Path) -> Result<()> {
    #[cfg(feature = "mssql")]
    {
        let _ = data_dir;
        Ok(())
    }
    #[cfg(not(feature = "mssql"))]
    check_engine_without_mssql(data_dir)
}

#[cfg(not(feature = "mssql"))]
fn check_engine_without_mssql(data_dir: &Path) -> Result<()> {
    let config = HostConfig::load(data_dir)?;
    if crate::store::EngineKind::detect(&config.database) == Some(crate::store::EngineKind::Mssql) {
        return Err(platform_tools_error(crate::store::EngineKind::Mssql.name()));
    }
    Ok(())
}

/// A file that is deleted when dropped unless kept; with its SQLite side files.
struct TempPath {
    path: PathBuf,
    keep: bool,
}

impl TempPath {
    /// Creates an empty 0600 file named `.<stem>.<what>-<random>` in `dir`.
    fn create(dir: &Path, stem: &str, what: &str) -> Result<TempPath> {
        let path = dir.join(format!(".{stem}.{what}-{}", hex(&random_bytes::<6>()?)));
        instance::write_new_private(&path, b"")?;
        Ok(TempPath { path, keep: false })
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
        for side in ["-journal", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(side);
            let _ = fs::remove_file(PathBuf::from(p));
        }
    }
}

/// A private (0700) temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(what: &str) -> Result<TempDir> {
        let p = std::env::temp_dir().join(format!("ams-{what}-{}", hex(&random_bytes::<8>()?)));
        if p.exists() {
            return Err(Error::internal("A random temporary directory name was taken."));
        }
        instance::create_data_dir(&p)?;
        Ok(TempDir(p))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Puts `tmp` at `dest` without ever replacing an existing file (or following a link planted
/// there): a hard link, or where the file system has none, a copy into a file created
/// exclusively. Never a check followed by a rename.
fn publish_new(tmp: &Path, dest: &Path) -> Result<()> {
    match instance::keep_private_copy(tmp, dest) {
        Ok(()) => {
            let _ = fs::remove_file(tmp);
        }
        Err(e) if e.code() == ErrorCode::FileExists => return Err(file_exists(dest)),
        Err(e) => return Err(e),
    }
    instance::sync_parent(dest);
    Ok(())
}

fn file_exists(path: &Path) -> Error {
    Error::new(ErrorCode::FileExists, "The backup file already exists; backups never overwrite a file.")
        .hint("Choose a new file name.")
        .with("path", path.display())
}

/// `2026-03-01T12:00:00.000000Z` -> `20260301T120000.000000Z` (fixed width, sorts by time).
fn compact_stamp(t: time::OffsetDateTime) -> String {
    format_time(t).chars().filter(|c| *c != '-' && *c != ':').collect()
}

fn parse_compact_stamp(s: &str) -> Option<time::OffsetDateTime> {
    if s.len() != 23 || !s.is_ascii() {
        return None;
    }
    let full = format!(
        "{}-{}-{}T{}:{}:{}{}",
        s.get(0..4)?,
        s.get(4..6)?,
        s.get(6..8)?,
        s.get(9..11)?,
        s.get(11..13)?,
        s.get(13..15)?,
        s.get(15..)?
    );
    parse_time(&full).ok()
}

/// The backup folder a setting value names.
pub fn resolve_backup_folder(data_dir: &Path, setting: &str) -> PathBuf {
    let s = setting.trim();
    if s.is_empty() {
        data_dir.join(DEFAULT_BACKUP_FOLDER)
    } else if Path::new(s).is_absolute() {
        PathBuf::from(s)
    } else {
        data_dir.join(s)
    }
}

/// Scheduled backups of one instance in a folder, oldest first: (stamp, path).
fn scheduled_files(folder: &Path, prefix: &str) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(Error::from(e).with("path", folder.display())),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(stamp) = name.strip_prefix(prefix).and_then(|r| r.strip_suffix(&format!(".{BACKUP_EXTENSION}")))
        else {
            continue;
        };
        if parse_compact_stamp(stamp).is_some() && entry.file_type()?.is_file() {
            out.push((stamp.to_string(), entry.path()));
        }
    }
    out.sort();
    Ok(out)
}

impl Ams {
    /// Backs the database up into `out`, a new file (0600; an existing file is never replaced).
    /// `progress` is called as the copy goes.
    pub fn db_backup(&self, out: &Path, progress: &mut dyn FnMut(Progress)) -> Result<BackupReport> {
        self.backup_to(out, false, progress)
    }

    /// Runs a scheduled backup: when enabled and due (see the `Backup*` service settings), writes
    /// a backup into the backup folder and deletes the oldest scheduled backups of this instance
    /// beyond the retention count.
    pub fn db_backup_scheduled(&self, progress: &mut dyn FnMut(Progress)) -> Result<ScheduledBackupReport> {
        let (enabled, interval, keep, folder, instance_id) = self.store.read(|tx| {
            let id = tx
                .instance()?
                .map(|r| r.id)
                .ok_or_else(|| Error::new(ErrorCode::InstanceNotFound, "The database has no instance record."))?;
            Ok((
                BACKUP_ENABLED.get(tx)?,
                BACKUP_INTERVAL_HOURS.get(tx)?,
                BACKUP_RETENTION_COUNT.get(tx)?,
                BACKUP_FOLDER.get(tx)?,
                id,
            ))
        })?;
        let folder = resolve_backup_folder(&self.data_dir, &folder);
        let mut report = ScheduledBackupReport {
            backed_up: false,
            skipped_reason: None,
            folder: folder.display().to_string(),
            backup: None,
            next_due: None,
            retention_count: keep,
            pruned: Vec::new(),
        };
        if enabled == 0 {
            report.skipped_reason = Some("Scheduled backups are disabled (BackupEnabled is 0).".into());
            return Ok(report);
        }
        instance::create_data_dir(&folder)?;
        let short_id: String = instance_id.chars().take(8).collect();
        let prefix = format!("ams-backup-{short_id}-");
        let now = self.now_time();
        let period = time::Duration::hours(interval);
        if interval > 0
            && let Some(last) = scheduled_files(&folder, &prefix)?.last().and_then(|(s, _)| parse_compact_stamp(s))
        {
            let due = last + period - time::Duration::minutes(SCHEDULE_SLACK_MINUTES);
            if now < due {
                report.skipped_reason = Some(format!("The last scheduled backup is younger than {interval} hours."));
                report.next_due = Some(format_time(last + period));
                return Ok(report);
            }
        }
        let file = folder.join(format!("{prefix}{}.{BACKUP_EXTENSION}", compact_stamp(now)));
        let backup = self.backup_to(&file, true, progress)?;
        let all = scheduled_files(&folder, &prefix)?;
        let excess = all.len().saturating_sub(usize::try_from(keep).unwrap_or(usize::MAX));
        for (_, path) in all.iter().take(excess) {
            fs::remove_file(path).map_err(|e| Error::from(e).with("path", path.display()))?;
            report.pruned.push(path.display().to_string());
        }
        report.backed_up = true;
        report.backup = Some(backup);
        report.next_due = (interval > 0).then(|| format_time(now + period));
        Ok(report)
    }

    fn backup_to(&self, out: &Path, scheduled: bool, progress: &mut dyn FnMut(Progress)) -> Result<BackupReport> {
        let mut steps = Steps::new("backup");
        if out.exists() {
            return Err(file_exists(out));
        }
        let name = out
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::invalid("The backup file name is missing.").with("path", out.display()))?;
        let dir = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            return Err(Error::new(ErrorCode::FileIo, "The folder for the backup file does not exist.")
                .hint("Create the folder first, or choose another path.")
                .with("path", dir.display()));
        }
        let status = migrate::status(&self.store)?;
        let instance_id = self.store.read(|tx| {
            let i = tx.instance()?.ok_or_else(|| {
                Error::new(ErrorCode::InstanceNotFound, "The database has no instance record.").hint("Run `ams init`.")
            })?;
            Ok(i.id)
        })?;
        // In recovery mode the backup is still taken, without a seal; any other reason the key
        // cannot be had (a busy database, a host key file others can read) fails the backup
        // rather than writing one that cannot be authenticated.
        let keyring = match self.unlock() {
            Ok(k) => Some(k),
            Err(e) if e.code() == ErrorCode::RecoveryRequired => None,
            Err(e) => return Err(e),
        };
        let backup_id = new_id()?.to_string();
        let created_at = self.now();
        steps.mark("status-and-unlock");

        // Format 2 and 3 (ADR 0019): the image is written straight into the partial file beside
        // the destination, at offset 0, and the header and footer are appended to it: no second
        // copy. Format 3 (ADR 0020): each 4 MiB chunk is hashed on the second core as it is
        // written, and the disk starts writing it meanwhile.
        let partial = TempPath::create(&dir, &name, "partial")?;
        let mut chunks = format::ChunkHasher::start();
        {
            let mut writeback = format::Writeback::start(&fs::File::open(&partial.path)?)?;
            self.store.copy_into_image(&partial.path, &mut reporter(progress, Phase::Copy), &mut |block| {
                writeback.wrote(block.len() as u64);
                chunks.written(block)
            })?;
        }
        let copied_bytes = fs::metadata(&partial.path)?.len();
        steps.mark("online-copy");
        let copy = Image::open(&partial.path)?;
        let stripped = copy.strip_host_protectors()?;
        steps.mark("strip-host-protectors");
        // Nothing changes the image any more. Only the chunks the strip rewrote are hashed again
        // (an engine that wrote no blocks has every chunk hashed here, on two threads), while
        // the disk goes on writing the image.
        let image_bytes = fs::metadata(&partial.path)?.len();
        let syncing = Syncing::start(&partial.path)?;
        let (fed, mut known) = chunks.finish()?;
        if fed != copied_bytes || image_bytes != copied_bytes {
            // Not every byte in the file came through the blocks: trust only whole chunks.
            known.truncate(usize::try_from(fed.min(image_bytes) / format::CHUNK as u64).unwrap_or(0));
        }
        let chunk = format::CHUNK as u64;
        let stale: Vec<u64> = stripped
            .rewritten
            .iter()
            .filter(|r| r.end > r.start)
            .flat_map(|r| r.start / chunk..=(r.end - 1) / chunk)
            .collect();
        let image_digest = format::digest_with_known(&partial.path, image_bytes, known, &stale)?;
        steps.mark("hash-rewritten");
        let row_counts = copy.row_counts()?;
        steps.mark("row-counts");
        // The key and audit head of the image itself (a rotation may have committed since unlock).
        let master_key_id = copy
            .active_master_key_id()?
            .ok_or_else(|| Error::new(ErrorCode::MasterKeyMissing, "The database has no active master key."))?;
        let audit_head = copy.audit_head()?;
        drop(copy);
        if keyring.as_ref().is_some_and(|k| k.master_key_id().to_string() != master_key_id) {
            return Err(Error::new(ErrorCode::MasterKeyMissing, "The master key changed while the backup was taken.")
                .hint("Run the backup again."));
        }
        if fs::metadata(&partial.path)?.len() != image_bytes {
            return Err(Error::internal("The backup image changed while it was written."));
        }
        let manifest = Manifest {
            format: format::FORMAT_NAME.into(),
            format_version: format::FORMAT_VERSION,
            engine: "sqlite".into(),
            backup_id: backup_id.clone(),
            instance_id: instance_id.clone(),
            created_at: created_at.clone(),
            ams_version: env!("CARGO_PKG_VERSION").into(),
            schema_version: status.schema_version,
            master_key_id: master_key_id.clone(),
            scheduled,
            host_key_protector_included: false,
            image_bytes,
            image_sha256: None,
            image_digest: Some(image_digest.clone()),
            row_counts: row_counts.clone(),
            audit_head_seq: audit_head.as_ref().map(|h| h.0),
            audit_head: audit_head.as_ref().map(|h| h.1.clone()),
        };
        let manifest_line =
            serde_json::to_vec(&manifest).map_err(|_| Error::internal("Could not serialise the backup manifest."))?;
        let seal = match &keyring {
            Some(k) => Some(k.seal(&format::seal_binding(&backup_id), &format::manifest_digest(&manifest_line))?),
            None => None,
        };
        let mut tail = format::encode_header(format::FORMAT_VERSION, &manifest_line, seal.as_deref());
        tail.extend_from_slice(&format::encode_footer(image_bytes));
        {
            let mut f = fs::OpenOptions::new().append(true).open(&partial.path)?;
            f.write_all(&tail)?;
        }
        syncing.finish()?;
        steps.mark("header-and-fsync");
        // What a reader checks before SQLite opens the file in place, checked on the way out.
        format::read_header(&partial.path)?;
        publish_new(&partial.path, out)?;
        steps.mark("publish");
        let bytes = fs::metadata(out)?.len();
        self.store.write(|tx| {
            audit::record(
                self,
                tx,
                Event::success("db.backup", "backup", &backup_id).details(serde_json::json!({
                    "File": out.display().to_string(),
                    "Scheduled": scheduled,
                    "SchemaVersion": status.schema_version,
                    "ImageDigest": image_digest,
                    "Sealed": seal.is_some(),
                })),
            )
        })?;
        steps.mark("audit-commit");
        Ok(BackupReport {
            file: out.display().to_string(),
            bytes,
            backup_id,
            instance_id,
            created_at,
            schema_version: status.schema_version,
            master_key_id,
            image_digest,
            sealed: seal.is_some(),
            row_counts,
        })
    }
}

/// Checks an extracted image against its manifest in two steps. [`check_schema`] opens it
/// defensively (see [`Image::open_untrusted`]) and compares its schema with the one the
/// migrations produce at its version (an extra or changed table, index, trigger or view is
/// refused with [`ErrorCode::BackupSchemaMismatch`] before anything in the file is used; a newer
/// schema or an edited migration is refused with the migration errors). [`check_contents`] then
/// runs SQLite's integrity check (`full`) or quick check and compares the instance id, the row
/// counts, the master key and the newest audit record with the manifest.
///
/// `ams db verify` runs the full check; a restore, whose image has just matched its SHA-256, runs
/// the quick check (the full one costs four times as long on a large database and adds only the
/// index-against-table comparison).
fn check_schema(path: &Path, file: &Path, m: &Manifest, in_place: bool) -> Result<(Image, MigrationStatus)> {
    let bad = |detail: String| format::corrupt(file, &detail);
    let img = open_checked(path, in_place).map_err(|e| bad(e.message().to_string()))?;
    let status = img.migration_status().map_err(|e| match e.code() {
        ErrorCode::SchemaTooNew | ErrorCode::MigrationModified => e,
        _ => bad(e.message().to_string()),
    })?;
    if status.schema_version != m.schema_version {
        return Err(bad("the schema version of the database inside differs from the manifest".into()));
    }
    let differences = img.schema_differences(&status).map_err(|e| bad(e.message().to_string()))?;
    if let Some(first) = differences.first() {
        return Err(Error::new(
            ErrorCode::BackupSchemaMismatch,
            "The database inside the backup has a schema that its version does not define: it was changed after it was written.",
        )
        .hint("Do not restore this file; use another copy of the backup.")
        .with("path", file.display())
        .with("detail", first)
        .with("differences", differences.len()));
    }
    Ok((img, status))
}

/// Opens an image to be checked: an extracted copy (untrusted), or with `in_place` a version 2 or 3
/// backup file itself, read only and immutable.
fn open_checked(path: &Path, in_place: bool) -> Result<Image> {
    if in_place { Image::open_in_place(path) } else { Image::open_untrusted(path) }
}

/// The second step (see [`check_schema`]), on an image whose schema has been checked. The two
/// cores share the work (issue 14): SQLite's check runs on this thread while a second one waits
/// for the image checksum still being computed (`pending`, verify), then compares the manifest
/// with the image on a connection of its own and runs `side` (a restore's Argon2id, a verify's
/// sample of secrets). Errors are reported in the order of the steps whatever finished first:
/// checksum, integrity, manifest, `side`.
#[allow(clippy::too_many_arguments)]
fn check_contents<T: Send>(
    img: &Image,
    path: &Path,
    file: &Path,
    m: &Manifest,
    full: bool,
    in_place: bool,
    pending: Option<format::PendingHash>,
    side: impl FnOnce() -> Result<T> + Send,
    steps: &mut Steps,
) -> Result<T> {
    let bad = |detail: String| format::corrupt(file, &detail);
    let (problems, (hashed, fields, side)) = std::thread::scope(|s| {
        let other = s.spawn(move || {
            let hashed = pending.map_or(Ok(()), format::PendingHash::check);
            if hashed.is_err() {
                return (hashed, Ok(()), None);
            }
            // A connection of its own: SQLite's check goes on on the other one meanwhile.
            let fields = open_checked(path, in_place).and_then(|own| manifest_fields(&own, file, m));
            let side = fields.is_ok().then(side);
            (hashed, fields, side)
        });
        let problems = img.integrity_problems(full);
        (problems, other.join().unwrap_or_else(|_| (Err(Error::internal("A backup check failed.")), Ok(()), None)))
    });
    steps.mark(if full { "integrity-check-and-manifest" } else { "quick-check-and-manifest" });
    hashed?;
    let problems = problems.map_err(|e| bad(e.message().to_string()))?;
    if let Some(first) = problems.first() {
        return Err(bad(format!("SQLite integrity check: {first}")));
    }
    fields?;
    side.ok_or_else(|| Error::internal("A backup check did not run."))?
}

/// The instance id, row counts, master key and newest audit record of an image against its
/// manifest.
fn manifest_fields(img: &Image, file: &Path, m: &Manifest) -> Result<()> {
    let bad = |detail: &str| format::corrupt(file, detail);
    if img.instance_id()?.as_deref() != Some(m.instance_id.as_str()) {
        return Err(bad("the database inside belongs to another instance than the manifest names"));
    }
    if img.row_counts()? != m.row_counts {
        return Err(bad("the row counts of the database inside differ from the manifest"));
    }
    if img.active_master_key_id()?.as_deref() != Some(m.master_key_id.as_str()) {
        return Err(bad("the master key in the database differs from the one the manifest names"));
    }
    if let Some(head) = &m.audit_head {
        let found = img.audit_head()?;
        if found.as_ref().map(|(s, h)| (Some(*s), h)) != Some((m.audit_head_seq, head)) {
            return Err(bad("the newest audit record in the database differs from the manifest"));
        }
    }
    Ok(())
}

/// How a backup is authenticated before it is trusted, by `ams db verify` and `ams db restore`.
///
/// The seal is checked with the backup's master key: this host's when its instance has that key,
/// else the one the recovery password unwraps from the image. A backup without a seal, or whose
/// seal cannot be checked, is refused unless `insecure_skip_authentication` is set.
#[derive(Clone, Copy, Default)]
pub struct BackupAuth<'a> {
    /// The recovery password in force when the backup was taken (read from stdin or a prompt).
    pub recovery_password: Option<&'a [u8]>,
    /// Go on without authenticating a backup that has no seal or whose seal cannot be checked
    /// (`--insecure-skip-authentication`): a deliberate change to the file then goes unnoticed.
    pub insecure_skip_authentication: bool,
}

impl std::fmt::Debug for BackupAuth<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupAuth")
            .field("recovery_password", &self.recovery_password.map(|_| "***"))
            .field("insecure_skip_authentication", &self.insecure_skip_authentication)
            .finish()
    }
}

/// The master key a backup was checked with.
enum BackupKey {
    /// This host's key opens the instance's master key, and it is the backup's.
    Host(crate::service::keys::Keyring),
    /// The recovery password unwrapped the image's master key.
    Recovery(MasterKey),
}

impl BackupKey {
    fn master(&self) -> &MasterKey {
        match self {
            BackupKey::Host(k) => k.master(),
            BackupKey::Recovery(m) => m,
        }
    }

    fn by(&self) -> &'static str {
        match self {
            BackupKey::Host(_) => "host-key",
            BackupKey::Recovery(_) => "recovery-password",
        }
    }
}

/// This host's keyring for the instance at `live`, when it opens and its master key is the one
/// the backup names.
fn host_keyring_for(live: &Ams, master_key_id: &str) -> Option<crate::service::keys::Keyring> {
    live.unlock().ok().filter(|k| k.master_key_id().to_string() == master_key_id)
}

fn unsealed(file: &Path) -> Error {
    Error::new(
        ErrorCode::BackupUnsealed,
        "The backup has no seal, so nothing proves it was not changed: it was taken in recovery mode, or its seal was removed.",
    )
    .hint("Use a sealed backup. To use this one anyway, accepting that a deliberate change to it goes unnoticed, pass --insecure-skip-authentication.")
    .with("path", file.display())
}

fn cannot_authenticate(file: &Path) -> Error {
    Error::new(
        ErrorCode::BackupUnauthenticated,
        "The backup's seal cannot be checked here: this host does not hold the backup's master key.",
    )
    .hint("Pass --recovery-password-stdin and enter the recovery password that was in force when the backup was taken.")
    .with("path", file.display())
}

/// Checks the seal with the backup's master key. Returns true when it verified, false when the
/// caller accepted an unauthenticated backup (with a warning pushed).
fn authenticate(
    header: &Header,
    key: Option<&BackupKey>,
    auth: BackupAuth<'_>,
    file: &Path,
    warnings: &mut Vec<String>,
) -> Result<bool> {
    match (key, &header.seal) {
        (Some(k), Some(seal)) => {
            check_seal(header, seal, k.master(), file)?;
            Ok(true)
        }
        (_, None) if auth.insecure_skip_authentication => {
            warnings.push(
                "The backup has no seal and was used without authentication (--insecure-skip-authentication): a deliberate change to it would go unnoticed."
                    .into(),
            );
            Ok(false)
        }
        (_, None) => Err(unsealed(file)),
        (None, Some(_)) if auth.insecure_skip_authentication => {
            warnings.push(
                "The backup's seal was not checked (--insecure-skip-authentication, no key at hand): a deliberate change to it would go unnoticed."
                    .into(),
            );
            Ok(false)
        }
        (None, Some(_)) => Err(cannot_authenticate(file)),
    }
}

/// Verifies the seal with a master key.
fn check_seal(header: &Header, seal: &[u8], master: &MasterKey, file: &Path) -> Result<()> {
    let tampered = || {
        Error::new(
            ErrorCode::BackupTampered,
            "The backup's seal does not verify: the file was changed after it was written.",
        )
        .hint("Do not restore this file; use another copy of the backup.")
        .with("path", file.display())
    };
    let digest = master.open(&format::seal_binding(&header.manifest.backup_id), seal).map_err(|_| tampered())?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        digest.as_slice(),
        &format::manifest_digest(&header.manifest_line)[..],
    )) {
        return Err(tampered());
    }
    Ok(())
}

/// Opens a sample of the secrets in a database with its master key: up to 20 values of every
/// sealed column, and up to 10 current passwords and 10 BitLocker keys with their certificate's
/// private key. Returns how many opened; any failure is an error.
fn open_samples(image: &Image, master: &MasterKey) -> Result<usize> {
    let mut opened = 0;
    for col in SealedColumn::ALL {
        for (id, sealed) in image.sample_sealed(col, 20)? {
            drop(master.open(&sealed_binding(col, &id), &sealed)?);
            opened += 1;
        }
    }
    let (passwords, bitlocker) = image.sample_blobs(10)?;
    let mut keys: HashMap<String, Zeroizing<Vec<u8>>> = HashMap::new();
    for (kind, list) in [(SecretKind::LapsPassword, passwords), (SecretKind::BitLockerKey, bitlocker)] {
        for b in list {
            if !keys.contains_key(&b.cert_thumbprint) {
                let sealed = image.sealed_cert_key(&b.cert_thumbprint)?.ok_or_else(|| {
                    Error::new(
                        ErrorCode::CertPrivateKeyMissing,
                        "A secret is sealed to a certificate whose private key is not in the backup.",
                    )
                    .hint("Import the certificate's PFX backup after restoring; see docs/backup-and-restore.md.")
                    .with("thumbprint", &b.cert_thumbprint)
                })?;
                let key = master.open(&cert_key_binding(&b.cert_thumbprint), &sealed)?;
                keys.insert(b.cert_thumbprint.clone(), key);
            }
            let key = keys.get(&b.cert_thumbprint).ok_or_else(|| Error::internal("certificate key cache"))?;
            let ctx = EnvelopeContext { kind, device_id: &b.device_id, subject: Some(&b.subject) };
            if envelope::open(key, &b.blob, &ctx).is_err() {
                // Uploaded by an older agent, whose context did not bind the account or key id.
                drop(envelope::open(key, &b.blob, &ctx.legacy())?);
            }
            opened += 1;
        }
    }
    Ok(opened)
}

/// Checks a backup file: checksums, the image's schema against the migrations, SQLite's integrity
/// check, the manifest against the image, and the seal, which must verify (see [`BackupAuth`]).
/// The seal is checked with the master key the recovery password unwraps from the image, or, when
/// `live` names an instance whose host key opens the backup's master key, with that. Then a sample
/// of secrets is opened. Nothing is changed anywhere.
///
/// A wrong recovery password fails with [`ErrorCode::WrongRecoveryPassword`], a backup without a
/// seal with [`ErrorCode::BackupUnsealed`], one whose seal no key at hand can check with
/// [`ErrorCode::BackupUnauthenticated`] (both unless `insecure_skip_authentication`).
pub fn db_verify(
    file: &Path,
    live: Option<&OpenOptions>,
    auth: BackupAuth<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<VerifyReport> {
    let mut steps = Steps::new("verify");
    let header = format::read_header(file)?;
    let m = &header.manifest;
    if m.engine != "sqlite" {
        return Err(unsupported_engine(file, &m.engine));
    }
    // This host's key first: with it the seal is checked before the image is even read.
    let mut key = live
        .and_then(|o| Ams::open_unchecked(o).ok())
        .and_then(|l| host_keyring_for(&l, &m.master_key_id))
        .map(BackupKey::Host);
    let mut warnings = Vec::new();
    if key.is_some() || header.seal.is_none() || auth.recovery_password.is_none() {
        authenticate(&header, key.as_ref(), auth, file, &mut warnings)?;
    }
    steps.mark("header-and-host-key");
    let tmp = TempDir::new("verify")?;
    // Format 2: SQLite checks the backup file itself, read only and immutable, while the other
    // core hashes its image (read_header has checked that SQLite reads only the image). Format 1:
    // a throw-away copy (no fsync), hashed as it is copied. Either way nothing from the image
    // counts before the checksum matches (check_contents).
    let in_place = header.image_in_place();
    let (image, pending) = if in_place {
        (file.to_path_buf(), format::start_hash(file, &header))
    } else {
        let image = tmp.0.join(instance::DEFAULT_DB_FILE);
        instance::write_new_private(&image, b"")?;
        let mut f = fs::OpenOptions::new().write(true).open(&image)?;
        let pending = format::copy_image_hashing(file, &header, &mut f, &mut reporter(progress, Phase::Read))?;
        (image, pending)
    };
    steps.mark(if in_place { "hash-start" } else { "copy" });
    let (img, status) = match check_schema(&image, file, m, in_place) {
        Ok(x) => x,
        Err(e) => {
            // A damaged file is named as such before what the damage looks like.
            pending.check()?;
            return Err(e);
        }
    };
    steps.mark("schema-check");
    // With this host's key and nothing to migrate, the sample of secrets is opened on the other
    // core during the integrity check (after the checksum and the manifest have matched).
    let early_samples = key.as_ref().filter(|_| status.pending.is_empty()).map(BackupKey::master);
    let opened = check_contents(
        &img,
        &image,
        file,
        m,
        true,
        in_place,
        Some(pending),
        || early_samples.map(|master| open_samples(&open_checked(&image, in_place)?, master)).transpose(),
        &mut steps,
    )?;
    if !in_place {
        img.leave_wal()?;
    }
    drop(img);
    let mut report = VerifyReport {
        file: file.display().to_string(),
        manifest: m.clone(),
        checksums_ok: true,
        integrity_check: "ok".into(),
        target_version: status.target_version,
        migration_needed: !status.pending.is_empty(),
        recovery_password_checked: false,
        authenticated: false,
        authenticated_by: None,
        secrets_opened: 0,
        warnings,
    };
    let image_store = |path: &Path| if in_place { Store::open_image_in_place(path) } else { Store::open_image(path) };
    let ams = Ams::over_store(&OpenOptions::new(&tmp.0), HostConfig::default(), image_store(&image)?, None);
    if let Some(pw) = auth.recovery_password {
        let master = ams.master_key_from_recovery_password(pw)?;
        if master.id().to_string() != m.master_key_id {
            return Err(format::corrupt(
                file,
                "the master key in the database differs from the one the manifest names",
            ));
        }
        report.recovery_password_checked = true;
        if let Some(seal) = &header.seal {
            check_seal(&header, seal, &master, file)?;
        }
        key = key.or(Some(BackupKey::Recovery(master)));
        steps.mark("recovery-password");
    }
    report.authenticated = header.seal.is_some() && key.is_some();
    report.authenticated_by = key.as_ref().filter(|_| report.authenticated).map(|k| k.by().to_string());
    let now = ams.now();
    drop(ams);
    // The image the samples are opened in: migrated forward when it is older, on a throw-away
    // copy (a format 2 or 3 file in place is read only: its image is copied out for this only).
    let mut sample_image = (image.clone(), in_place);
    if report.migration_needed {
        if in_place {
            let copy = tmp.0.join(instance::DEFAULT_DB_FILE);
            instance::write_new_private(&copy, b"")?;
            let mut f = fs::OpenOptions::new().write(true).open(&copy)?;
            format::copy_image(file, &header, Some(&mut f), false, &mut reporter(progress, Phase::Read))?;
            sample_image = (copy, false);
        }
        // Prove that a restore can bring the image forward (on the throw-away copy).
        let store = Store::open_image(&sample_image.0)?;
        migrate::migrate(&store, &now)?;
    }
    report.secrets_opened = match (opened, &key) {
        (Some(n), _) => n,
        (None, Some(k)) => {
            let n = open_samples(&open_checked(&sample_image.0, sample_image.1)?, k.master())?;
            steps.mark("open-samples");
            n
        }
        (None, None) => 0,
    };
    Ok(report)
}

fn unsupported_engine(file: &Path, engine: &str) -> Error {
    Error::new(ErrorCode::BackupFormat, "The backup holds a database engine this ams cannot restore.")
        .with("path", file.display())
        .with("engine", engine)
}

fn busy(data_dir: &Path) -> Error {
    Error::new(ErrorCode::InstanceBusy, "Another process holds the instance, so it cannot be restored now.")
        .hint("Stop the ams service, timers and other ams commands using this data directory, or pass --force (their later writes are lost).")
        .with("data_dir", data_dir.display())
}

/// Files and folders a restore created, removed again unless the restore gets as far as
/// replacing the database: a refused backup leaves no data directory behind.
struct Created {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
    keep: bool,
}

impl Created {
    /// Creates `dir` (0700) and its missing parents, remembering which were made.
    fn dir(&mut self, dir: &Path) -> Result<()> {
        let mut missing = Vec::new();
        let mut p = Some(dir);
        while let Some(d) = p.filter(|d| !d.as_os_str().is_empty() && fs::symlink_metadata(d).is_err()) {
            missing.push(d.to_path_buf());
            p = d.parent();
        }
        instance::create_data_dir(dir)?;
        self.dirs.extend(missing);
        Ok(())
    }
}

impl Drop for Created {
    fn drop(&mut self) {
        if self.keep {
            return;
        }
        for f in &self.files {
            let _ = fs::remove_file(f);
        }
        // Innermost first; remove_dir only removes an empty folder.
        for d in &self.dirs {
            let _ = fs::remove_dir(d);
        }
    }
}

/// Restores the instance's database from a backup file.
///
/// The backup is authenticated before anything changes (see [`BackupAuth`]): with this host's
/// key when the live instance's master key is the backup's, else with the recovery password,
/// which also gives the restored database a new host key (so it opens at once). Refused with
/// [`ErrorCode::InstanceBusy`] while another process holds the instance, unless `force`. The
/// image is written to a temporary file beside the database, checked (schema, integrity,
/// manifest), migrated forward if it is older, and then renamed over the database in one step.
/// The replaced database is kept as `<db>.replaced-<time>` (0600).
/// A data directory that does not exist yet is created (0700) with a default `host.toml`; without
/// the recovery password it gets no host key: the restored instance is then in recovery mode
/// until `ams key recover`. A refused restore removes what it created.
pub fn db_restore(
    opts: &OpenOptions,
    file: &Path,
    force: bool,
    auth: BackupAuth<'_>,
    progress: &mut dyn FnMut(Progress),
) -> Result<RestoreReport> {
    let mut steps = Steps::new("restore");
    let data_dir = &opts.data_dir;
    let header = format::read_header(file)?;
    let m = header.manifest.clone();
    if m.engine != "sqlite" {
        return Err(unsupported_engine(file, &m.engine));
    }
    check_engine(data_dir)?;
    let config_exists = data_dir.join(HOST_CONFIG_FILE).exists();
    let config = HostConfig::load(data_dir)?;
    let url = DbUrl::parse(&config.database, data_dir)?;
    if url.local_file().is_none() {
        // A server database gets the rows, not a file: it must have the schema already
        // (`ams db migrate` creates it in an empty database).
        migrate::require_current(&Store::open(&url, false)?)?;
    }
    let live_exists = !url.is_missing_file();
    let created_data_dir = !data_dir.exists();
    let mut warnings = Vec::new();

    // 1. This host's key, when the live instance's master key is the backup's: the seal is checked
    //    at once, before anything is copied.
    let mut key = None;
    if live_exists {
        let live = Ams::over_store(opts, config.clone(), Store::open(&url, false)?, None);
        let live_instance = live.store.read(|tx| tx.instance())?.map(|r| r.id);
        if live_instance.as_deref().is_some_and(|id| id != m.instance_id) {
            warnings.push(format!(
                "The replaced database belonged to another instance ({}).",
                live_instance.unwrap_or_default()
            ));
        }
        key = host_keyring_for(&live, &m.master_key_id).map(BackupKey::Host);
    }
    if key.is_some() || header.seal.is_none() || auth.recovery_password.is_none() {
        // A seal is required, and without a key at hand nothing can be authenticated: refuse
        // before anything is created. (The recovery password needs the image: step 3.)
        authenticate(&header, key.as_ref(), auth, file, &mut warnings)?;
    }
    // Nothing is created for a damaged backup. A new instance's image is staged beside its data
    // directory (or in it, when it exists and is empty), where it is hashed as it is copied and
    // removed if it does not match, before the directory is created: one pass over the image
    // (issue 14). Where there is no such place, the whole image is checked first.
    steps.mark("header-and-live");
    let in_place = header.image_in_place();
    let beside = if !config_exists && !live_exists {
        let beside = if data_dir.is_dir() { Some(data_dir.clone()) } else { data_dir.parent().map(Path::to_path_buf) };
        let beside = beside
            .filter(|d| d.is_dir() && url.local_file() == Some(data_dir.join(instance::DEFAULT_DB_FILE).as_path()));
        if beside.is_none() {
            format::copy_image(file, &header, None, false, &mut reporter(progress, Phase::Read))?;
        }
        beside
    } else {
        None
    };
    let mut early_stage = None;
    if let (false, Some(dir)) = (in_place, &beside) {
        let staged = TempPath::create(dir, instance::DEFAULT_DB_FILE, "restore")?;
        let mut f = fs::OpenOptions::new().write(true).open(&staged.path)?;
        format::copy_image(file, &header, Some(&mut f), false, &mut reporter(progress, Phase::Read))?;
        let syncing = Syncing::start(&staged.path)?;
        early_stage = Some((staged, syncing));
    }
    steps.mark("stage-copy-hash");
    let mut created = Created { dirs: Vec::new(), files: Vec::new(), keep: false };
    // The image is staged beside a database file (so it can be renamed in), else in the data
    // directory.
    let db_file = url.local_file();
    let db_dir = match db_file.and_then(Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => data_dir.clone(),
    };
    let db_name = db_file
        .and_then(Path::file_name)
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| instance::DEFAULT_DB_FILE.into());
    let make_dirs = |created: &mut Created| -> Result<()> {
        created.dir(data_dir)?;
        if !config_exists {
            config.save(data_dir)?;
            created.files.push(data_dir.join(HOST_CONFIG_FILE));
        }
        created.dir(&db_dir)
    };

    // 2. The image, into a temporary file beside the database, checked again as it is copied,
    //    inspected defensively (schema first). 3. No key of this host: the recovery password
    //    unwraps the image's master key, which must be the one the manifest names, and the seal
    //    is checked with it. Its rows are read once the schema is known to be ams's; the key
    //    derivation (Argon2id) then runs on the other core while SQLite's quick check runs on
    //    this one (issue 14).
    let (mut staged, syncing, status, unwrapped) = if in_place {
        // Format 2 (ADR 0019): the copy into the staged file runs on another thread, and the
        // staged file itself is hashed as it fills, while SQLite checks the backup file in place
        // (read only, immutable); the checksum is reported first, before any schema or integrity
        // finding.
        if beside.is_none() {
            make_dirs(&mut created)?;
        }
        let (stage_dir, stage_name) = match &beside {
            Some(dir) => (dir.as_path(), instance::DEFAULT_DB_FILE),
            None => (db_dir.as_path(), db_name.as_str()),
        };
        let staged = TempPath::create(stage_dir, stage_name, "restore")?;
        let f = fs::OpenOptions::new().write(true).open(&staged.path)?;
        let pending = format::copy_image_staged(file, &header, f, &staged.path);
        steps.mark("stage-start");
        let (img, status) = match check_schema(file, file, &m, true) {
            Ok(x) => x,
            Err(e) => {
                pending.check()?;
                return Err(e);
            }
        };
        steps.mark("schema-check");
        let recovery = match (&key, auth.recovery_password) {
            (None, Some(pw)) => {
                let rows = Store::open_image_in_place(file)
                    .and_then(|s| Ams::over_store(opts, config.clone(), s, None).recovery_unwrap());
                match rows {
                    Ok(r) => Some((r, pw)),
                    Err(e) => {
                        // The checksum first, as everywhere: a damaged image is named as such.
                        pending.check()?;
                        return Err(e);
                    }
                }
            }
            _ => None,
        };
        steps.mark("recovery-rows");
        // Argon2id does not wait for the checksum here: it starts at once, beside the copy and the
        // quick check (its memory and time are bounded by the KDF parameter checks), and its key
        // is used only after the checksum, the quick check and the manifest have matched.
        let unwrapped = std::thread::scope(|s| {
            let deriving = recovery.as_ref().map(|(r, pw)| s.spawn(move || r.unwrap(pw)));
            check_contents(
                &img,
                file,
                file,
                &m,
                false,
                true,
                Some(pending),
                || deriving.map(|h| h.join().map_err(|_| Error::internal("The key derivation failed."))?).transpose(),
                &mut steps,
            )
        })?;
        drop(img);
        let syncing = Syncing::start(&staged.path)?;
        if beside.is_some() {
            make_dirs(&mut created)?;
        }
        (staged, syncing, status, unwrapped)
    } else {
        make_dirs(&mut created)?;
        // The staged copy is fsynced on another thread while it is checked (and Argon2id runs):
        // it is durable before it is put in place (step 6), without the checks waiting for the
        // disk.
        let (staged, syncing) = match early_stage {
            Some(early) => early,
            None => {
                let staged = TempPath::create(&db_dir, &db_name, "restore")?;
                let mut f = fs::OpenOptions::new().write(true).open(&staged.path)?;
                format::copy_image(file, &header, Some(&mut f), false, &mut reporter(progress, Phase::Read))?;
                let syncing = Syncing::start(&staged.path)?;
                (staged, syncing)
            }
        };
        steps.mark("dirs-and-stage");
        let (img, status) = check_schema(&staged.path, file, &m, false)?;
        steps.mark("schema-check");
        let recovery = match (&key, auth.recovery_password) {
            (None, Some(pw)) => {
                let image = Ams::over_store(opts, config.clone(), Store::open_image(&staged.path)?, None);
                Some((image.recovery_unwrap()?, pw))
            }
            _ => None,
        };
        steps.mark("recovery-rows");
        let unwrapped = check_contents(
            &img,
            &staged.path,
            file,
            &m,
            false,
            false,
            None,
            || recovery.as_ref().map(|(r, pw)| r.unwrap(pw)).transpose(),
            &mut steps,
        )?;
        img.leave_wal()?;
        drop(img);
        (staged, syncing, status, unwrapped)
    };
    if let Some(master) = unwrapped {
        if master.id().to_string() != m.master_key_id {
            return Err(format::corrupt(
                file,
                "the master key in the database differs from the one the manifest names",
            ));
        }
        if let Some(seal) = &header.seal {
            check_seal(&header, seal, &master, file)?;
        }
        key = Some(BackupKey::Recovery(master));
    }
    let authenticated = header.seal.is_some() && key.is_some();
    let authenticated_by = key.as_ref().filter(|_| authenticated).map(|k| k.by().to_string());

    // 4. Only now is the instance needed: everything above left it alone.
    let lock = InstanceLock::exclusive(data_dir, EXCLUSIVE_WAIT)?;
    if lock.is_none() && !force {
        return Err(busy(data_dir));
    }

    // 5. Migrate forward, give the restored database a host protector (this host's key, or a new
    //    one after the recovery password), and record the restore in its own audit trail.
    let now = format_time(opts.clock.now());
    let mut new_host_key = None;
    let migrated = {
        let restored = Ams::over_store(opts, config.clone(), Store::open_image(&staged.path)?, None);
        let migrated = migrate::migrate(&restored.store, &now)?;
        steps.mark("lock-open-migrate");
        if let Some(BackupKey::Recovery(_)) = &key {
            let hk = instance::HostKey::generate(&m.instance_id)?;
            let staged_key = hk.stage_file(data_dir)?;
            new_host_key = Some((hk, StagedFile(staged_key)));
        }
        restored.store.write(|tx| {
            match (&key, &new_host_key) {
                (Some(BackupKey::Host(k)), _) => {
                    tx.delete_protectors(&m.master_key_id, "host")?;
                    insert_host_protector(tx, &m.instance_id, k.host_key(), k.master(), &now)?;
                }
                (Some(BackupKey::Recovery(master)), Some((hk, _))) => {
                    tx.delete_protectors(&m.master_key_id, "host")?;
                    insert_host_protector(tx, &m.instance_id, hk, master, &now)?;
                }
                _ => {}
            }
            // An authenticated image from before V0006 gets its derivation root here, with the
            // backup's master key (its lookup hashes are re-keyed); the restore is recorded keyed.
            let keys = match &key {
                Some(k) => Some(crate::service::derived::ensure(&restored, tx, k.master(), migrated.contains(&6))?.0),
                None => None,
            };
            audit::record_with(
                &restored,
                tx,
                Event::success("db.restore", "backup", &m.backup_id).details(serde_json::json!({
                    "File": file.display().to_string(),
                    "BackupCreatedAt": m.created_at,
                    "BackupSchemaVersion": m.schema_version,
                    "Migrated": migrated,
                    "Forced": force && lock.is_none(),
                    "Authenticated": authenticated,
                    "AuthenticatedBy": authenticated_by,
                    "InsecureSkipAuthentication": !authenticated,
                })),
                keys.as_ref(),
            )
        })?;
        steps.mark("protector-and-audit");
        drop(restored);
        // One file, no -wal beside it, so it can be renamed into place.
        Image::open(&staged.path)?.leave_wal()?;
        steps.mark("leave-wal");
        migrated
    };
    syncing.finish()?;
    steps.mark("fsync-wait");
    drop(key);

    // 6. Swap; then the new host key file, if the recovery password was used (a crash in between
    //    leaves an instance in recovery mode that the same password unlocks).
    let stamp = now.replace([':', '.'], "");
    // The old database is kept at a new name; when something is already there, at that name
    // with a random suffix (nothing there is replaced or followed).
    let mut copy = db_dir.join(format!("{db_name}.replaced-{stamp}"));
    if fs::symlink_metadata(&copy).is_ok() {
        copy.set_file_name(format!("{db_name}.replaced-{stamp}-{}", hex(&random_bytes::<4>()?)));
    }
    let (forced, replaced) = match replace_database(&url, &staged.path, &copy, lock.is_some(), force)? {
        Replaced::Installed => (lock.is_none(), None),
        Replaced::Swapped => (false, Some(copy.display().to_string())),
        Replaced::Forced => (true, Some(copy.display().to_string())),
        Replaced::Busy => return Err(busy(data_dir)),
    };
    steps.mark("replace");
    staged.keep = true;
    drop(staged);
    created.keep = true;
    let mut replaced_host_key = None;
    if let Some((_, mut staged_key)) = new_host_key {
        replaced_host_key = instance::HostKey::install(&staged_key.0, data_dir, &stamp)?;
        staged_key.0 = PathBuf::new();
    }

    let restored = Ams::over_store(opts, config, Store::open(&url, false)?, None);
    // Not `key_status`: its scan of every password row for a missing MAC is not needed here.
    let recovery_mode = restored.recovery_mode()?;
    let schema_version = migrate::status(&restored.store)?.schema_version;
    drop(restored);
    drop(lock);
    steps.mark("reopen-and-status");
    Ok(RestoreReport {
        data_dir: data_dir.display().to_string(),
        database: db_file.map_or_else(|| url.masked(), |p| p.display().to_string()),
        created_data_dir,
        backup_id: m.backup_id,
        instance_id: m.instance_id,
        backup_created_at: m.created_at,
        backup_schema_version: status.schema_version,
        schema_version,
        migrated,
        replaced_database_copy: replaced,
        replaced_host_key: replaced_host_key.map(|p| p.display().to_string()),
        forced,
        authenticated,
        authenticated_by,
        recovery_mode,
        warnings,
    })
}

/// A file being made durable on another thread (issue 14): the kernel writes it to disk while
/// the restore checks its staged image, or while the backup's hash finishes. [`Syncing::finish`]
/// waits for that and fsyncs once more (whatever was written since: SQLite's pages, the backup
/// header), so the file is durable before it is put in place.
struct Syncing {
    path: PathBuf,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Syncing {
    fn start(path: &Path) -> Result<Syncing> {
        let f = fs::OpenOptions::new().write(true).open(path)?;
        Ok(Syncing { path: path.to_path_buf(), thread: Some(std::thread::spawn(move || f.sync_all())) })
    }

    fn finish(mut self) -> Result<()> {
        if let Some(t) = self.thread.take() {
            t.join().map_err(|_| Error::internal("The fsync of the restored image failed."))??;
        }
        fs::OpenOptions::new().write(true).open(&self.path)?.sync_all()?;
        Ok(())
    }
}

/// A staged file removed when dropped, unless its path was cleared (it was installed).
struct StagedFile(PathBuf);

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.0.as_os_str().is_empty() {
            let _ = fs::remove_file(&self.0);
        }
    }
}
