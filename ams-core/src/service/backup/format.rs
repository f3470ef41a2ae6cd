//! The backup file format, version 1 (docs/adr/0002-backup-format.md).
//!
//! ```text
//! AMS-DB-BACKUP/1\n                 magic and format version
//! {"Format":"ams-db-backup",…}\n    the manifest: one line of JSON
//! seal <base64>\n  or  seal -\n     the manifest's SHA-256 sealed under the master key, if it was unlocked
//! sha256 <hex>\n                    SHA-256 of the three lines above (the header checksum)
//! <ImageBytes bytes>                the SQLite database image; its SHA-256 is in the manifest
//! ```
//!
//! The file ends exactly after the image. The header is plain text so `head -c 2048 FILE` shows
//! what a backup is without any tool.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::crypto::seal::{Binding, hex};
use crate::error::{Error, ErrorCode, Result};

/// The first bytes of every backup file, before the format version.
pub const MAGIC: &str = "AMS-DB-BACKUP/";
/// The format version this ams writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's `Format` value.
pub const FORMAT_NAME: &str = "ams-db-backup";
/// Longest header line accepted (the manifest is a few kilobytes).
const MAX_LINE: usize = 1 << 20;
/// Read and write chunk size.
pub(crate) const CHUNK: usize = 4 << 20;

/// What a backup holds, in its header. Keys are PascalCase like the CLI's JSON output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Manifest {
    /// Always `ams-db-backup`.
    pub format: String,
    /// Always 1 for this layout.
    pub format_version: u32,
    /// The database engine of the image (`sqlite`).
    pub engine: String,
    /// Id of this backup.
    pub backup_id: String,
    /// The instance backed up.
    pub instance_id: String,
    /// When the backup was taken.
    pub created_at: String,
    /// The ams version that wrote it.
    pub ams_version: String,
    /// The schema version of the image.
    pub schema_version: u32,
    /// The master key in force; the image's recovery protector wraps it.
    pub master_key_id: String,
    /// True for scheduled backups.
    pub scheduled: bool,
    /// Always false: the host key protectors are removed from the image, so only the recovery
    /// password opens a backup.
    pub host_key_protector_included: bool,
    /// Size of the image in bytes.
    pub image_bytes: u64,
    /// SHA-256 of the image, hex.
    pub image_sha256: String,
    /// Rows in every table of the image.
    pub row_counts: BTreeMap<String, u64>,
    /// Sequence number of the image's newest audit record (absent in backups from before it was
    /// recorded). With the seal, it pins the audit trail a restore brings back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head_seq: Option<i64>,
    /// Hash of the image's newest audit record (`ams audit verify --expect-head` after a restore).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_head: Option<String>,
}

/// A parsed and checksum-checked header.
#[derive(Debug, Clone)]
pub struct Header {
    /// The manifest.
    pub manifest: Manifest,
    /// The manifest line exactly as stored (the seal covers its SHA-256).
    pub manifest_line: Vec<u8>,
    /// The seal, if the backup has one.
    pub seal: Option<Vec<u8>>,
    /// Bytes before the image.
    pub len: u64,
}

/// Where the seal of a backup is bound: no table row has this binding.
pub(crate) fn seal_binding(backup_id: &str) -> Binding<'_> {
    Binding { table: "backup_files", column: "manifest", row_id: backup_id }
}

/// The digest that the seal covers.
pub(crate) fn manifest_digest(manifest_line: &[u8]) -> [u8; 32] {
    Sha256::digest(manifest_line).into()
}

/// Builds the header bytes.
pub(crate) fn encode_header(manifest_line: &[u8], seal: Option<&[u8]>) -> Vec<u8> {
    let mut h = Vec::with_capacity(manifest_line.len() + 256);
    h.extend_from_slice(format!("{MAGIC}{FORMAT_VERSION}\n").as_bytes());
    h.extend_from_slice(manifest_line);
    h.push(b'\n');
    match seal {
        Some(s) => {
            h.extend_from_slice(format!("seal {}\n", base64::engine::general_purpose::STANDARD.encode(s)).as_bytes())
        }
        None => h.extend_from_slice(b"seal -\n"),
    }
    let sum = hex(&Sha256::digest(&h));
    h.extend_from_slice(format!("sha256 {sum}\n").as_bytes());
    h
}

fn not_a_backup(path: &Path) -> Error {
    Error::new(ErrorCode::BackupFormat, "The file is not an ams database backup.")
        .hint("Pass a file written by `ams db backup`.")
        .with("path", path.display())
}

pub(crate) fn truncated(path: &Path, detail: &str) -> Error {
    Error::new(ErrorCode::BackupTruncated, "The backup file is truncated: it ends before its stated length.")
        .hint("Use another copy of the backup; this one cannot be restored.")
        .with("path", path.display())
        .with("detail", detail)
}

pub(crate) fn corrupt(path: &Path, detail: &str) -> Error {
    Error::new(
        ErrorCode::BackupCorrupt,
        "The backup file is damaged: a checksum or the database inside it does not verify.",
    )
    .hint("Use another copy of the backup; this one cannot be restored.")
    .with("path", path.display())
    .with("detail", detail)
}

/// Reads one header line (without its `\n`); `None` at end of file or for an over-long line.
fn line(r: &mut impl BufRead, raw: &mut Vec<u8>) -> std::io::Result<Option<Vec<u8>>> {
    let mut buf = Vec::new();
    let n = r.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
    if n == 0 || buf.last() != Some(&b'\n') {
        return Ok(None);
    }
    raw.extend_from_slice(&buf);
    buf.pop();
    Ok(Some(buf))
}

/// Reads and checks the header: magic, version, header checksum, manifest, and the file length
/// against the manifest's image size. Nothing but the header is read.
pub fn read_header(path: &Path) -> Result<Header> {
    let file = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    let file_len = file.metadata()?.len();
    let mut r = BufReader::new(file);
    let mut raw = Vec::new();
    let magic = line(&mut r, &mut raw)?;
    let Some(magic) = magic else {
        // Shorter than one line: a backup cut inside its magic line, or not a backup at all.
        let magic_line = format!("{MAGIC}{FORMAT_VERSION}\n");
        return Err(if file_len > 0 && magic_line.as_bytes().starts_with(&raw_prefix(path, file_len)?) {
            truncated(path, "the file ends inside its first line")
        } else {
            not_a_backup(path)
        });
    };
    let Some(version) = magic.strip_prefix(MAGIC.as_bytes()) else {
        return Err(not_a_backup(path));
    };
    if version != FORMAT_VERSION.to_string().as_bytes() {
        return Err(Error::new(ErrorCode::BackupFormat, "The backup file has a format version this ams cannot read.")
            .hint("Use the ams release that wrote the backup, or a newer one.")
            .with("path", path.display())
            .with("format_version", String::from_utf8_lossy(version)));
    }
    let short = |what: &str| truncated(path, &format!("the file ends inside its {what}"));
    let manifest_line = line(&mut r, &mut raw)?.ok_or_else(|| short("manifest"))?;
    let seal_line = line(&mut r, &mut raw)?.ok_or_else(|| short("seal line"))?;
    let header_sum = hex(&Sha256::digest(&raw));
    let sum_line = line(&mut r, &mut raw)?.ok_or_else(|| short("header checksum"))?;
    let Some(stated) = sum_line.strip_prefix(b"sha256 ") else {
        return Err(corrupt(path, "the header checksum line is malformed"));
    };
    if stated != header_sum.as_bytes() {
        return Err(corrupt(path, "the header checksum does not match the manifest"));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_line)
        .map_err(|_| corrupt(path, "the manifest is not the JSON this ams expects"))?;
    if manifest.format != FORMAT_NAME || manifest.format_version != FORMAT_VERSION {
        return Err(not_a_backup(path));
    }
    let seal = match seal_line.strip_prefix(b"seal ") {
        Some(b"-") => None,
        Some(b64) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|_| corrupt(path, "the seal line is not base64"))?,
        ),
        None => return Err(corrupt(path, "the seal line is malformed")),
    };
    let len = raw.len() as u64;
    let expected = len.saturating_add(manifest.image_bytes);
    if file_len < expected {
        return Err(truncated(path, &format!("{file_len} bytes, {expected} expected")));
    }
    if file_len > expected {
        return Err(corrupt(path, &format!("{file_len} bytes, {expected} expected: data follows the image")));
    }
    Ok(Header { manifest, manifest_line, seal, len })
}

fn raw_prefix(path: &Path, len: u64) -> Result<Vec<u8>> {
    let mut f = File::open(path)?;
    let mut buf = vec![0u8; usize::try_from(len.min(64)).unwrap_or(64)];
    f.read_exact(&mut buf)?;
    Ok(buf)
}

/// Reads the image, hashing it, and optionally writes it to `out` (fsynced when `durable`). Fails
/// with [`ErrorCode::BackupCorrupt`] when the hash differs from the manifest's; `out` must not be
/// used then. With `out`, the image is read once for both (issue 14): it is copied in the kernel
/// (copy_file_range) while a second thread hashes the same bytes from the page cache.
pub(crate) fn copy_image(
    path: &Path,
    header: &Header,
    out: Option<&mut File>,
    durable: bool,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<()> {
    match out {
        None => {
            let sha = hash_range(path, header.len, header.manifest.image_bytes, progress)?;
            PendingHash::done(path, header, sha).check()
        }
        Some(o) => {
            copy_image_hashing(path, header, o, progress)?.check()?;
            if durable {
                o.sync_all()?;
            }
            Ok(())
        }
    }
}

/// The image checksum of [`copy_image_hashing`], still being computed on another thread.
pub(crate) struct PendingHash {
    hashing: Option<std::thread::JoinHandle<Result<String>>>,
    sha: String,
    expected: String,
    path: std::path::PathBuf,
}

impl PendingHash {
    fn done(path: &Path, header: &Header, sha: String) -> PendingHash {
        PendingHash { hashing: None, sha, expected: header.manifest.image_sha256.clone(), path: path.to_path_buf() }
    }

    /// Waits for the checksum. Fails with [`ErrorCode::BackupCorrupt`] when it differs from the
    /// manifest's (or [`ErrorCode::BackupTruncated`] when the image is short).
    pub(crate) fn check(mut self) -> Result<()> {
        if let Some(h) = self.hashing.take() {
            self.sha = h.join().map_err(|_| Error::internal("The image checksum failed."))??;
        }
        if self.sha != self.expected {
            return Err(corrupt(&self.path, "the database image does not match the checksum in the manifest"));
        }
        Ok(())
    }
}

/// Copies the image into `out` in the kernel (copy_file_range) while a second thread hashes the
/// same bytes from the page cache, and returns once the copy is written, with the checksum still
/// being computed: the caller overlaps its next step with it (issue 14) and must
/// [`PendingHash::check`] it before anything in the copy is trusted. Not fsynced.
pub(crate) fn copy_image_hashing(
    path: &Path,
    header: &Header,
    out: &mut File,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PendingHash> {
    let total = header.manifest.image_bytes;
    let hashing = {
        let (path, start) = (path.to_path_buf(), header.len);
        std::thread::spawn(move || hash_range(&path, start, total, &mut |_, _| {}))
    };
    let mut f = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    f.seek(SeekFrom::Start(header.len))?;
    let mut left = total;
    while left > 0 {
        let n = std::io::copy(&mut (&mut f).take(left.min(CHUNK as u64)), out)?;
        if n == 0 {
            return Err(truncated(path, "the image is shorter than its stated size"));
        }
        left -= n;
        progress(total - left, total);
    }
    Ok(PendingHash {
        hashing: Some(hashing),
        sha: String::new(),
        expected: header.manifest.image_sha256.clone(),
        path: path.to_path_buf(),
    })
}

/// SHA-256 (hex) of the `len` bytes of `path` from `start`.
fn hash_range(path: &Path, start: u64, len: u64, progress: &mut dyn FnMut(u64, u64)) -> Result<String> {
    let mut f = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    f.seek(SeekFrom::Start(start))?;
    let mut left = len;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    while left > 0 {
        let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
        let chunk = buf.get_mut(..want).ok_or_else(|| Error::internal("chunk size"))?;
        f.read_exact(chunk).map_err(|_| truncated(path, "the image is shorter than its stated size"))?;
        h.update(&*chunk);
        left -= want as u64;
        progress(len - left, len);
    }
    Ok(hex(&h.finalize()))
}

/// SHA-256 and length of a file.
pub(crate) fn hash_file(path: &Path, progress: &mut dyn FnMut(u64, u64)) -> Result<(u64, String)> {
    let mut f = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    let total = f.metadata()?.len();
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut done = 0u64;
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(buf.get(..n).unwrap_or_default());
        done += n as u64;
        progress(done, total);
    }
    Ok((done, hex(&h.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(image: &[u8]) -> Manifest {
        Manifest {
            format: FORMAT_NAME.into(),
            format_version: 1,
            engine: "sqlite".into(),
            backup_id: "b".into(),
            instance_id: "i".into(),
            created_at: "t".into(),
            ams_version: "0".into(),
            schema_version: 2,
            master_key_id: "m".into(),
            scheduled: false,
            host_key_protector_included: false,
            image_bytes: image.len() as u64,
            image_sha256: hex(&Sha256::digest(image)),
            row_counts: BTreeMap::new(),
            audit_head_seq: None,
            audit_head: None,
        }
    }

    fn write(d: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    }

    #[test]
    fn header_round_trips_and_damage_is_named() {
        let d = tempfile::tempdir().unwrap();
        let image = b"not really sqlite".to_vec();
        let line = serde_json::to_vec(&manifest(&image)).unwrap();
        let mut file = encode_header(&line, Some(b"sealed"));
        file.extend_from_slice(&image);
        let good = write(d.path(), "good", &file);
        let h = read_header(&good).unwrap();
        assert_eq!(h.seal.as_deref(), Some(&b"sealed"[..]));
        assert_eq!(h.manifest_line, line);
        copy_image(&good, &h, None, false, &mut |_, _| {}).unwrap();

        let code = |bytes: &[u8]| {
            let p = write(d.path(), "x", bytes);
            match read_header(&p) {
                Err(e) => e.code(),
                Ok(h) => copy_image(&p, &h, None, false, &mut |_, _| {}).unwrap_err().code(),
            }
        };
        assert_eq!(code(&file[..file.len() - 1]), ErrorCode::BackupTruncated);
        assert_eq!(code(&file[..20]), ErrorCode::BackupTruncated);
        assert_eq!(code(&file[..5]), ErrorCode::BackupTruncated);
        assert_eq!(code(&[file.as_slice(), b"x"].concat()), ErrorCode::BackupCorrupt);
        assert_eq!(code(b"SQLite format 3\0 and more"), ErrorCode::BackupFormat);
        assert_eq!(code(b""), ErrorCode::BackupFormat);
        let mut v2 = file.clone();
        v2[14] = b'2';
        assert_eq!(code(&v2), ErrorCode::BackupFormat);
        let mut flipped = file.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert_eq!(code(&flipped), ErrorCode::BackupCorrupt);
        let text = String::from_utf8_lossy(&file).replace("\"InstanceId\":\"i\"", "\"InstanceId\":\"j\"");
        assert_eq!(code(text.as_bytes()), ErrorCode::BackupCorrupt);
    }
}
