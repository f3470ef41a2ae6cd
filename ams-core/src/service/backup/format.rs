//! The backup file formats (docs/adr/0002-backup-format.md, docs/adr/0019-backup-format-2.md,
//! docs/adr/0020-chunked-image-digest.md).
//!
//! Version 3, the one ams writes: the SQLite image first, at offset 0, so SQLite can open the
//! backup file itself (read only, immutable) and nothing is copied out to check it.
//!
//! ```text
//! <ImageBytes bytes>                the SQLite database image ("SQLite format 3\0" ...); its
//!                                   digest is in the manifest
//! AMS-DB-BACKUP/3\n                 magic and format version
//! {"Format":"ams-db-backup",…}\n    the manifest: one line of JSON (FormatVersion 3)
//! seal <base64>\n  or  seal -\n     the manifest's SHA-256 sealed under the master key, if it was unlocked
//! sha256 <hex>\n                    SHA-256 of the three lines above (the header checksum)
//! AMS-DB-BACKUP-END <20 digits>\n   the footer, 39 bytes: where the header starts (= ImageBytes)
//! ```
//!
//! The file ends exactly after the footer. `tail -c 300 FILE` shows what a backup is; the header
//! starts at the offset the footer names. Before SQLite opens the image in place, [`read_header`]
//! has checked, in the image's own SQLite header, that the image is exactly ImageBytes long
//! (page size × page count, a valid in-header size) and not in WAL mode, so SQLite reads only the
//! hashed image, never the header or footer after it.
//!
//! The image digest (`ImageDigest`) is [`CHUNKED_SHA256`]: SHA-256 over the SHA-256s of the
//! image's 4 MiB chunks, so the writer hashes each chunk as it writes it and hashes again only
//! the chunks it changes later, and a reader can hash chunks on several cores. In a shell:
//! `head -c ImageBytes FILE | split -b 4194304 --filter='sha256sum | cut -c1-64 | xxd -r -p' | sha256sum`.
//!
//! Version 2 (still read, never written): the same layout; the manifest holds `ImageSha256`, the
//! SHA-256 of the whole image, instead.
//!
//! Version 1 (still read, never written): the same header at offset 0, then the image; the file
//! ends exactly after the image. Its manifest holds `ImageSha256`.
//!
//! ```text
//! AMS-DB-BACKUP/1\n ... sha256 <hex>\n  <ImageBytes bytes>
//! ```

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
/// The format version this ams writes (it reads [`FORMAT_V1`] and [`FORMAT_V2`] too).
pub const FORMAT_VERSION: u32 = 3;
/// Image first, with a footer; the whole image's SHA-256 in the manifest.
pub const FORMAT_V2: u32 = 2;
/// The image digest of format 3 manifests, the prefix of their `ImageDigest`: SHA-256 over the
/// concatenated SHA-256s of the image's 4 MiB chunks (the last one may be shorter).
pub const CHUNKED_SHA256: &str = "sha256-chunks-4MiB";
/// The first format: header first, then the image.
pub const FORMAT_V1: u32 = 1;
/// The first bytes of a version 2 or 3 footer.
pub const FOOTER_MAGIC: &str = "AMS-DB-BACKUP-END ";
/// Length of a version 2 or 3 footer: the magic, 20 digits and `\n`.
pub const FOOTER_LEN: usize = FOOTER_MAGIC.len() + 20 + 1;
/// The first bytes of every SQLite database file.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
/// The manifest's `Format` value.
pub const FORMAT_NAME: &str = "ams-db-backup";
/// Longest header line accepted (the manifest is a few kilobytes).
const MAX_LINE: usize = 1 << 20;
/// Read and write chunk size, and the chunk of [`CHUNKED_SHA256`].
pub(crate) const CHUNK: usize = 4 << 20;
/// A restore's staged copy is fsynced on another thread each time this much more was written.
const FLUSH_EVERY: u64 = 32 << 20;

/// What a backup holds, in its header. Keys are PascalCase like the CLI's JSON output.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct Manifest {
    /// Always `ams-db-backup`.
    pub format: String,
    /// The layout: 1 (header first), 2 or 3 (image first; 3 with [`CHUNKED_SHA256`]); the same as
    /// in the magic line.
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
    /// SHA-256 of the whole image, hex (formats 1 and 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_sha256: Option<String>,
    /// The image digest, `sha256-chunks-4MiB:<hex>` (format 3, see [`CHUNKED_SHA256`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_digest: Option<String>,
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
    /// Bytes of the header lines.
    pub len: u64,
    /// The format version (1, 2 or 3).
    pub version: u32,
    /// Where the image starts in the file: after the header (1) or at 0 (2).
    pub image_offset: u64,
}

impl Header {
    /// True when SQLite can open the backup file itself (formats 2 and 3: the image is at offset
    /// 0 and [`read_header`] has checked that SQLite reads only the image).
    pub fn image_in_place(&self) -> bool {
        self.version >= FORMAT_V2
    }

    /// The image digest the manifest states, as [`ImageHasher::finish`] writes it.
    fn stated_digest(&self) -> String {
        let m = &self.manifest;
        m.image_digest.clone().or_else(|| m.image_sha256.clone()).unwrap_or_default()
    }
}

/// The image digest of a format, being computed.
pub(crate) enum ImageHasher {
    /// Formats 1 and 2: SHA-256 of the whole image.
    Whole(Sha256),
    /// Format 3: [`CHUNKED_SHA256`].
    Chunks(ChunkList),
}

impl ImageHasher {
    /// The digest format `version` uses.
    pub(crate) fn for_version(version: u32) -> ImageHasher {
        if version >= FORMAT_VERSION {
            ImageHasher::Chunks(ChunkList::default())
        } else {
            ImageHasher::Whole(Sha256::new())
        }
    }

    /// Hashes the next bytes of the image.
    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            ImageHasher::Whole(h) => h.update(data),
            ImageHasher::Chunks(c) => c.update(data),
        }
    }

    /// The digest as a manifest states it: hex (formats 1 and 2), `sha256-chunks-4MiB:<hex>` (3).
    pub(crate) fn finish(self) -> String {
        match self {
            ImageHasher::Whole(h) => hex(&h.finalize()),
            ImageHasher::Chunks(c) => chunked_digest(&c.finish()),
        }
    }
}

/// The SHA-256s of an image's chunks of [`CHUNK`] bytes, hashed as its bytes arrive in order.
#[derive(Default)]
pub(crate) struct ChunkList {
    done: Vec<[u8; 32]>,
    current: Sha256,
    filled: usize,
}

impl ChunkList {
    /// Hashes the next bytes of the image.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let (now, rest) = data.split_at((CHUNK - self.filled).min(data.len()));
            self.current.update(now);
            self.filled += now.len();
            data = rest;
            if self.filled == CHUNK {
                self.done.push(std::mem::take(&mut self.current).finalize().into());
                self.filled = 0;
            }
        }
    }

    /// The chunks' SHA-256s, the last (shorter) one included.
    pub(crate) fn finish(mut self) -> Vec<[u8; 32]> {
        if self.filled > 0 {
            self.done.push(self.current.finalize().into());
        }
        self.done
    }
}

/// A format 3 `ImageDigest` from the SHA-256s of the image's chunks, in order.
pub(crate) fn chunked_digest(chunks: &[[u8; 32]]) -> String {
    let mut list = Sha256::new();
    for c in chunks {
        list.update(c);
    }
    format!("{CHUNKED_SHA256}:{}", hex(&list.finalize()))
}

/// Where the seal of a backup is bound: no table row has this binding.
pub(crate) fn seal_binding(backup_id: &str) -> Binding<'_> {
    Binding { table: "backup_files", column: "manifest", row_id: backup_id }
}

/// The digest that the seal covers.
pub(crate) fn manifest_digest(manifest_line: &[u8]) -> [u8; 32] {
    Sha256::digest(manifest_line).into()
}

/// Builds the header bytes of format `version`.
pub(crate) fn encode_header(version: u32, manifest_line: &[u8], seal: Option<&[u8]>) -> Vec<u8> {
    let mut h = Vec::with_capacity(manifest_line.len() + 256);
    h.extend_from_slice(format!("{MAGIC}{version}\n").as_bytes());
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

/// The footer of versions 2 and 3: where the header starts.
pub(crate) fn encode_footer(header_offset: u64) -> Vec<u8> {
    format!("{FOOTER_MAGIC}{header_offset:020}\n").into_bytes()
}

/// The header offset of a well-formed version 2 or 3 footer.
fn parse_footer(tail: &[u8]) -> Option<u64> {
    let digits = tail.strip_prefix(FOOTER_MAGIC.as_bytes())?.strip_suffix(b"\n")?;
    if digits.len() != 20 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
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

/// The header lines of [`parse_lines`].
struct Lines {
    /// The lines as read, with their `\n`.
    raw: Vec<u8>,
    manifest: Manifest,
    manifest_line: Vec<u8>,
    seal: Option<Vec<u8>>,
}

/// The header lines, parsed and checked (magic and `version`, header checksum, manifest, seal).
/// `short` names what a missing line means (truncated, or in a version 2 or 3 header that has its
/// footer, damage).
fn parse_lines(path: &Path, r: &mut impl BufRead, versions: &[u32], short: &dyn Fn(&str) -> Error) -> Result<Lines> {
    let mut raw = Vec::new();
    let magic = line(r, &mut raw)?.ok_or_else(|| short("first line"))?;
    let Some(found) = magic.strip_prefix(MAGIC.as_bytes()) else {
        return Err(not_a_backup(path));
    };
    let Some(version) = versions.iter().copied().find(|v| found == v.to_string().as_bytes()) else {
        return Err(wrong_version(path, found));
    };
    let manifest_line = line(r, &mut raw)?.ok_or_else(|| short("manifest"))?;
    let seal_line = line(r, &mut raw)?.ok_or_else(|| short("seal line"))?;
    let header_sum = hex(&Sha256::digest(&raw));
    let sum_line = line(r, &mut raw)?.ok_or_else(|| short("header checksum"))?;
    let Some(stated) = sum_line.strip_prefix(b"sha256 ") else {
        return Err(corrupt(path, "the header checksum line is malformed"));
    };
    if stated != header_sum.as_bytes() {
        return Err(corrupt(path, "the header checksum does not match the manifest"));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_line)
        .map_err(|_| corrupt(path, "the manifest is not the JSON this ams expects"))?;
    if manifest.format != FORMAT_NAME {
        return Err(not_a_backup(path));
    }
    if manifest.format_version != version {
        return Err(wrong_version(path, manifest.format_version.to_string().as_bytes()));
    }
    // Exactly the image digest of its format (a hex SHA-256 is 64 characters).
    let sha_hex = |d: &str| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit());
    let digest_ok = match (&manifest.image_sha256, &manifest.image_digest) {
        (Some(sha), None) => version < FORMAT_VERSION && sha_hex(sha),
        (None, Some(d)) => {
            version >= FORMAT_VERSION
                && d.strip_prefix(CHUNKED_SHA256).and_then(|r| r.strip_prefix(':')).is_some_and(sha_hex)
        }
        _ => false,
    };
    if !digest_ok {
        return Err(corrupt(path, "the manifest does not state the image digest its format uses"));
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
    Ok(Lines { raw, manifest, manifest_line, seal })
}

/// A format version this layout does not have (a version 2 magic at the start of a file, a
/// version 1 magic after an image), or one this ams does not know.
fn wrong_version(path: &Path, found: &[u8]) -> Error {
    Error::new(ErrorCode::BackupFormat, "The backup file has a format version this ams cannot read.")
        .hint("Use the ams release that wrote the backup, or a newer one.")
        .with("path", path.display())
        .with("format_version", String::from_utf8_lossy(found))
}

/// Reads and checks the header: the layout (versions 2 and 3: image first and a footer; version 1:
/// header first), magic, version, header checksum, manifest, and the file length against the
/// manifest's image size. For versions 2 and 3, also the image's own SQLite header (see the module
/// documentation). Nothing but the header, the footer and the image's first 100 bytes is read.
pub fn read_header(path: &Path) -> Result<Header> {
    let mut file = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    let file_len = file.metadata()?.len();
    let footer_len = FOOTER_LEN as u64;
    if file_len >= footer_len {
        let mut tail = [0u8; FOOTER_LEN];
        file.seek(SeekFrom::Start(file_len - footer_len))?;
        file.read_exact(&mut tail)?;
        if let Some(offset) = parse_footer(&tail) {
            return read_v2(path, &mut file, file_len, offset);
        }
    }
    let mut start = [0u8; 16];
    file.seek(SeekFrom::Start(0))?;
    let n = read_up_to(&mut file, &mut start)?;
    if start.get(..n) == Some(&SQLITE_MAGIC[..]) {
        return Err(without_footer(path, &mut file, file_len));
    }
    file.seek(SeekFrom::Start(0))?;
    read_v1(path, file, file_len)
}

/// Reads into `buf` until it is full or the file ends; the bytes read.
fn read_up_to(f: &mut File, buf: &mut [u8]) -> Result<usize> {
    let mut n = 0;
    while let Some(rest) = buf.get_mut(n..).filter(|r| !r.is_empty()) {
        match f.read(rest)? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn read_v1(path: &Path, file: File, file_len: u64) -> Result<Header> {
    let mut r = BufReader::new(file);
    let short = |what: &str| {
        if what == "first line" {
            // Shorter than one line: a backup cut inside its magic line, or not a backup at all.
            let magic_line = format!("{MAGIC}{FORMAT_V1}\n");
            match raw_prefix(path, file_len) {
                Ok(p) if file_len > 0 && magic_line.as_bytes().starts_with(&p) => {
                    truncated(path, "the file ends inside its first line")
                }
                _ => not_a_backup(path),
            }
        } else {
            truncated(path, &format!("the file ends inside its {what}"))
        }
    };
    let Lines { raw, manifest, manifest_line, seal } = parse_lines(path, &mut r, &[FORMAT_V1], &short)?;
    let len = raw.len() as u64;
    let expected = len.saturating_add(manifest.image_bytes);
    if file_len < expected {
        return Err(truncated(path, &format!("{file_len} bytes, {expected} expected")));
    }
    if file_len > expected {
        return Err(corrupt(path, &format!("{file_len} bytes, {expected} expected: data follows the image")));
    }
    Ok(Header { manifest, manifest_line, seal, len, version: FORMAT_V1, image_offset: len })
}

/// Longest version 2 or 3 header accepted: three lines of at most [`MAX_LINE`] and the checksum line.
const MAX_HEADER: u64 = 3 * (MAX_LINE as u64 + 1) + 128;

fn read_v2(path: &Path, file: &mut File, file_len: u64, offset: u64) -> Result<Header> {
    let header_end = file_len - FOOTER_LEN as u64;
    if offset > header_end {
        return Err(corrupt(path, "the footer points outside the file"));
    }
    let len = header_end - offset;
    if len > MAX_HEADER {
        return Err(corrupt(path, "the footer points too far before it: the header would be too long"));
    }
    let mut bytes = vec![0u8; usize::try_from(len).map_err(|_| corrupt(path, "the header is too long"))?];
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(&mut bytes)?;
    if !bytes.starts_with(MAGIC.as_bytes()) {
        return Err(corrupt(path, "the footer does not point at a header: it points into the image"));
    }
    let short = |what: &str| corrupt(path, &format!("the header ends before its {what}, yet the footer follows"));
    let mut r: &[u8] = &bytes;
    let Lines { raw, manifest, manifest_line, seal } = parse_lines(path, &mut r, &[FORMAT_V2, FORMAT_VERSION], &short)?;
    if !r.is_empty() {
        return Err(corrupt(path, "data lies between the header and the footer"));
    }
    if manifest.image_bytes != offset {
        return Err(corrupt(path, "the footer and the manifest disagree on the image size"));
    }
    let mut first = [0u8; 100];
    file.seek(SeekFrom::Start(0))?;
    if offset < first.len() as u64 || read_up_to(file, &mut first)? < first.len() {
        return Err(corrupt(path, "the database image is shorter than a SQLite header"));
    }
    check_image_header(path, &first, manifest.image_bytes)?;
    let version = manifest.format_version;
    Ok(Header { manifest, manifest_line, seal, len: raw.len() as u64, version, image_offset: 0 })
}

/// The page size, page count and validity of a SQLite header's in-header database size.
struct SqliteHeader {
    page_size: u64,
    page_count: u64,
    size_valid: bool,
    legacy: bool,
}

fn sqlite_header(first: &[u8; 100]) -> Option<SqliteHeader> {
    if first.get(..16) != Some(&SQLITE_MAGIC[..]) {
        return None;
    }
    let be16 = |at: usize| first.get(at..at + 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
    let be32 = |at: usize| first.get(at..at + 4).and_then(|b| <[u8; 4]>::try_from(b).ok()).map(u32::from_be_bytes);
    let page_size = match be16(16)? {
        1 => 65_536,
        n if (512..=32_768).contains(&n) && n.is_power_of_two() => u64::from(n),
        _ => return None,
    };
    Some(SqliteHeader {
        page_size,
        page_count: u64::from(be32(28)?),
        size_valid: be32(24)? == be32(92)?,
        legacy: first.get(18..20) == Some(&[1, 1][..]),
    })
}

/// The safety checks before SQLite may open a version 2 or 3 backup file in place: the image's own
/// header says it is exactly `image_bytes` long (so SQLite never reads the header and footer
/// after it) and that it is in rollback-journal mode (so nothing looks for a `-wal` file).
fn check_image_header(path: &Path, first: &[u8; 100], image_bytes: u64) -> Result<()> {
    let h = sqlite_header(first)
        .ok_or_else(|| corrupt(path, "the database image does not start with a valid SQLite header"))?;
    if !h.legacy {
        return Err(corrupt(path, "the database image is in WAL mode: a backup image never is"));
    }
    if !h.size_valid || h.page_count == 0 {
        return Err(corrupt(path, "the database image's header does not hold a valid size"));
    }
    if h.page_size.saturating_mul(h.page_count) != image_bytes {
        return Err(corrupt(path, "the database image's header and the manifest disagree on its size"));
    }
    Ok(())
}

/// Why a file that starts like a SQLite database but has no footer is not a backup: a version 2 or 3
/// backup cut short (inside its image, header or footer), one with data after its footer, or a
/// plain database.
fn without_footer(path: &Path, file: &mut File, file_len: u64) -> Error {
    let mut first = [0u8; 100];
    let image = match file.seek(SeekFrom::Start(0)).map_err(Error::from).and_then(|_| read_up_to(file, &mut first)) {
        Ok(100) => sqlite_header(&first).filter(|h| h.size_valid && h.legacy && h.page_count > 0),
        _ => None,
    };
    let Some(h) = image else { return not_a_backup(path) };
    let image_bytes = h.page_size.saturating_mul(h.page_count);
    if file_len < image_bytes {
        return truncated(path, "the file ends inside its database image");
    }
    // What follows the image, if anything: a header (the backup was cut after it, or has data
    // after its footer) or nothing a backup has.
    let mut after = vec![0u8; usize::try_from((file_len - image_bytes).min(MAX_HEADER + 4096)).unwrap_or(0)];
    let read = file.seek(SeekFrom::Start(image_bytes)).map_err(Error::from).and_then(|_| read_up_to(file, &mut after));
    let after = after.get(..read.unwrap_or(0)).unwrap_or_default();
    let magic = MAGIC.as_bytes();
    if after.is_empty() || !(after.starts_with(magic) || magic.starts_with(after)) {
        return not_a_backup(path);
    }
    let footer = FOOTER_MAGIC.as_bytes();
    if after.windows(footer.len()).position(|w| w == footer).is_some_and(|at| at + FOOTER_LEN <= after.len()) {
        return corrupt(path, "the footer is damaged, or data follows it");
    }
    truncated(path, "the file ends inside its header or footer")
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
            let sha = hash_range(path, header, progress)?;
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
        PendingHash { hashing: None, sha, expected: header.stated_digest(), path: path.to_path_buf() }
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
        let (path, header) = (path.to_path_buf(), header.clone());
        std::thread::spawn(move || hash_range(&path, &header, &mut |_, _| {}))
    };
    let mut f = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    f.seek(SeekFrom::Start(header.image_offset))?;
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
        expected: header.stated_digest(),
        path: path.to_path_buf(),
    })
}

/// Starts hashing the image on another thread (a version 2 or 3 file is checked in place: nothing is
/// copied); [`PendingHash::check`] waits for it.
pub(crate) fn start_hash(path: &Path, header: &Header) -> PendingHash {
    let (owned, h) = (path.to_path_buf(), header.clone());
    PendingHash {
        hashing: Some(std::thread::spawn(move || hash_range(&owned, &h, &mut |_, _| {}))),
        sha: String::new(),
        expected: header.stated_digest(),
        path: path.to_path_buf(),
    }
}

/// Copies the image into `out` (the file at `staged`) on another thread, in the kernel
/// (copy_file_range), while a third thread hashes the staged file itself as it fills: the checksum
/// covers the bytes that ended up in the staged file, not a second read of the backup. Returns at
/// once: the caller checks the backup file in place meanwhile (a restore's quick check) and must
/// [`PendingHash::check`] before anything in `out` is trusted. Not fsynced (its writeback is
/// started as it is written).
pub(crate) fn copy_image_staged(path: &Path, header: &Header, out: File, staged: &Path) -> PendingHash {
    let (owned, start, len) = (path.to_path_buf(), header.image_offset, header.manifest.image_bytes);
    let (staged, version) = (staged.to_path_buf(), header.version);
    let copying = std::thread::spawn(move || copy_and_hash(&owned, start, len, version, out, &staged));
    PendingHash {
        hashing: Some(copying),
        sha: String::new(),
        expected: header.stated_digest(),
        path: path.to_path_buf(),
    }
}

fn copy_and_hash(path: &Path, start: u64, len: u64, version: u32, mut out: File, staged: &Path) -> Result<String> {
    use std::sync::mpsc::sync_channel;
    let mut f = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    f.seek(SeekFrom::Start(start))?;
    // Reads the staged file through its own handle (its own offset), up to what has been copied.
    let mut written = File::open(staged)?;
    let (copied_to, copied_rx) = sync_channel::<u64>(64);
    let hasher = std::thread::spawn(move || -> Result<(u64, String)> {
        let mut h = ImageHasher::for_version(version);
        let mut buf = vec![0u8; CHUNK];
        let mut hashed = 0u64;
        for upto in copied_rx {
            while hashed < upto {
                let want = usize::try_from((upto - hashed).min(CHUNK as u64)).unwrap_or(CHUNK);
                let chunk = buf.get_mut(..want).ok_or_else(|| Error::internal("chunk size"))?;
                written.read_exact(chunk)?;
                h.update(&*chunk);
                hashed += want as u64;
            }
        }
        Ok((hashed, h.finish()))
    });
    // The disk starts writing the copy as it is made, not only once it is complete: the
    // restore's own fsyncs later find little left to write.
    let mut writeback = Writeback::start(&out)?;
    let mut left = len;
    let copied = (|| -> Result<()> {
        while left > 0 {
            let n = std::io::copy(&mut (&mut f).take(left.min(CHUNK as u64)), &mut out)?;
            if n == 0 {
                return Err(truncated(path, "the image is shorter than its stated size"));
            }
            left -= n;
            writeback.wrote(n);
            copied_to.send(len - left).map_err(|_| Error::internal("The image checksum failed."))?;
        }
        Ok(())
    })();
    drop(copied_to);
    // The rest is written while the checks go on (the caller fsyncs it again before it is put in
    // place).
    drop((writeback, out));
    let hashed = hasher.join().map_err(|_| Error::internal("The image checksum failed."))?;
    copied?;
    let (n, sha) = hashed?;
    if n != len {
        return Err(truncated(path, "the image is shorter than its stated size"));
    }
    Ok(sha)
}

/// The image digest of `header`'s format, of its image in `path`.
fn hash_range(path: &Path, header: &Header, progress: &mut dyn FnMut(u64, u64)) -> Result<String> {
    let (start, len) = (header.image_offset, header.manifest.image_bytes);
    let mut f = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    f.seek(SeekFrom::Start(start))?;
    let mut left = len;
    let mut h = ImageHasher::for_version(header.version);
    let mut buf = vec![0u8; CHUNK];
    while left > 0 {
        let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
        let chunk = buf.get_mut(..want).ok_or_else(|| Error::internal("chunk size"))?;
        f.read_exact(chunk).map_err(|_| truncated(path, "the image is shorter than its stated size"))?;
        h.update(&*chunk);
        left -= want as u64;
        progress(len - left, len);
    }
    Ok(h.finish())
}

/// Starts the disk writing a file as it is written (an fsync on another thread each time
/// [`FLUSH_EVERY`] more bytes were written, skipped while one is running), so the fsync that
/// makes it durable later finds little left to write. Dropping it flushes once more, detached:
/// the caller fsyncs the file itself before relying on it.
pub(crate) struct Writeback {
    flush: Option<std::sync::mpsc::SyncSender<()>>,
    unflushed: u64,
}

impl Writeback {
    pub(crate) fn start(file: &File) -> Result<Writeback> {
        let (flush, flush_rx) = std::sync::mpsc::sync_channel::<()>(1);
        let flusher = file.try_clone()?;
        std::thread::spawn(move || {
            for () in flush_rx {
                if flusher.sync_data().is_err() {
                    break;
                }
            }
        });
        Ok(Writeback { flush: Some(flush), unflushed: 0 })
    }

    /// `n` more bytes were written.
    pub(crate) fn wrote(&mut self, n: u64) {
        self.unflushed += n;
        if self.unflushed >= FLUSH_EVERY {
            self.unflushed = 0;
            if let Some(f) = &self.flush {
                let _ = f.try_send(());
            }
        }
    }
}

impl Drop for Writeback {
    fn drop(&mut self) {
        if let Some(f) = self.flush.take() {
            let _ = f.try_send(());
        }
    }
}

/// Hashes an image's blocks on another thread as they are written (a backup, ADR 0020):
/// [`ChunkHasher::written`] hands a block over and returns an empty buffer for the next one.
pub(crate) struct ChunkHasher {
    blocks: Option<std::sync::mpsc::SyncSender<Vec<u8>>>,
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
    thread: Option<std::thread::JoinHandle<(u64, Vec<[u8; 32]>)>>,
}

impl ChunkHasher {
    pub(crate) fn start() -> ChunkHasher {
        let (blocks, blocks_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        let (spare_tx, spare) = std::sync::mpsc::sync_channel::<Vec<u8>>(4);
        let thread = std::thread::spawn(move || {
            let (mut list, mut bytes) = (ChunkList::default(), 0u64);
            for mut b in blocks_rx {
                list.update(&b);
                bytes += b.len() as u64;
                b.clear();
                let _ = spare_tx.try_send(b);
            }
            (bytes, list.finish())
        });
        ChunkHasher { blocks: Some(blocks), spare, thread: Some(thread) }
    }

    /// The next block of the image, just written after the ones before.
    pub(crate) fn written(&mut self, block: Vec<u8>) -> Vec<u8> {
        if let Some(b) = &self.blocks {
            let _ = b.send(block);
        }
        self.spare.try_recv().unwrap_or_default()
    }

    /// The bytes hashed and the SHA-256 of each chunk of them (the last one may be shorter).
    pub(crate) fn finish(mut self) -> Result<(u64, Vec<[u8; 32]>)> {
        drop(self.blocks.take());
        self.thread
            .take()
            .ok_or_else(|| Error::internal("The image checksum failed."))?
            .join()
            .map_err(|_| Error::internal("The image checksum failed."))
    }
}

/// The format 3 digest of the image file `path` (`len` bytes) from `known`, the SHA-256s of its
/// first chunks as they were written, of which the chunks listed in `stale` have changed since:
/// those, and every chunk beyond `known`, are read from the file and hashed again, on two threads.
pub(crate) fn digest_with_known(path: &Path, len: u64, mut known: Vec<[u8; 32]>, stale: &[u64]) -> Result<String> {
    let chunks = len.div_ceil(CHUNK as u64);
    let mut todo: Vec<u64> = stale.iter().copied().filter(|c| *c < chunks).collect();
    todo.extend(u64::try_from(known.len()).unwrap_or(0)..chunks);
    todo.sort_unstable();
    todo.dedup();
    let hash_some = |list: &[u64]| -> Result<Vec<(u64, [u8; 32])>> {
        let mut f = File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
        let mut buf = vec![0u8; CHUNK];
        list.iter()
            .map(|&c| {
                let want = usize::try_from((len - c * CHUNK as u64).min(CHUNK as u64)).unwrap_or(CHUNK);
                let chunk = buf.get_mut(..want).ok_or_else(|| Error::internal("chunk size"))?;
                f.seek(SeekFrom::Start(c * CHUNK as u64))?;
                f.read_exact(chunk)?;
                Ok((c, Sha256::digest(&*chunk).into()))
            })
            .collect()
    };
    let (first, second) = todo.split_at(todo.len() / 2);
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| hash_some(second));
        (hash_some(first), other.join())
    });
    let b = b.map_err(|_| Error::internal("The image checksum failed."))?;
    known.resize(usize::try_from(chunks).unwrap_or(0), [0; 32]);
    for (c, h) in a?.into_iter().chain(b?) {
        if let Some(slot) = known.get_mut(usize::try_from(c).unwrap_or(usize::MAX)) {
            *slot = h;
        }
    }
    Ok(chunked_digest(&known))
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
            image_sha256: Some(hex(&Sha256::digest(image))),
            image_digest: None,
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
        let mut file = encode_header(1, &line, Some(b"sealed"));
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

    /// A real SQLite image in rollback-journal mode, as a backup holds.
    fn sqlite_image(d: &Path) -> Vec<u8> {
        let p = d.join("image.db");
        let c = rusqlite::Connection::open(&p).unwrap();
        c.execute_batch("PRAGMA journal_mode = DELETE; CREATE TABLE t (x); INSERT INTO t VALUES (randomblob(10000));")
            .unwrap();
        drop(c);
        std::fs::read(&p).unwrap()
    }

    fn v2_file(image: &[u8], m: &Manifest) -> Vec<u8> {
        let line = serde_json::to_vec(m).unwrap();
        let mut file = image.to_vec();
        file.extend_from_slice(&encode_header(m.format_version, &line, Some(b"sealed")));
        file.extend_from_slice(&encode_footer(image.len() as u64));
        file
    }

    #[test]
    fn format_2_round_trips_and_every_damage_is_named() {
        let d = tempfile::tempdir().unwrap();
        let image = sqlite_image(d.path());
        let mut m = manifest(&image);
        m.format_version = 2;
        let file = v2_file(&image, &m);
        assert_eq!(
            file.len() - image.len() - encode_header(2, &serde_json::to_vec(&m).unwrap(), Some(b"sealed")).len(),
            FOOTER_LEN
        );
        assert!(String::from_utf8_lossy(&file[file.len() - FOOTER_LEN..]).starts_with("AMS-DB-BACKUP-END 000"));
        let good = write(d.path(), "good", &file);
        let h = read_header(&good).unwrap();
        assert!(h.image_in_place());
        assert_eq!((h.version, h.image_offset), (2, 0));
        start_hash(&good, &h).check().unwrap();
        let out = d.path().join("staged");
        copy_image_staged(&good, &h, File::create(&out).unwrap(), &out).check().unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), image);

        let code = |bytes: &[u8]| {
            let p = write(d.path(), "x", bytes);
            match read_header(&p) {
                Err(e) => e.code(),
                Ok(h) => start_hash(&p, &h).check().unwrap_err().code(),
            }
        };
        use ErrorCode::{BackupCorrupt as Corrupt, BackupFormat as Format, BackupTruncated as Truncated};
        let n = file.len();
        let il = image.len();
        // Truncated anywhere: inside the image, the header, the footer.
        for cut in [il / 2, il - 1, il, il + 3, il + 20, n - FOOTER_LEN - 1, n - FOOTER_LEN, n - 10, n - 1] {
            assert_eq!(code(&file[..cut]), if cut == il { Format } else { Truncated }, "cut at {cut}");
        }
        // Trailing garbage after the footer.
        assert_eq!(code(&[file.as_slice(), b"x"].concat()), Corrupt);
        assert_eq!(code(&[file.as_slice(), b"\n"].concat()), Corrupt);
        // The footer pointing outside the file, into the image, or at the wrong place.
        let with_footer = |offset: u64| [&file[..n - FOOTER_LEN], &encode_footer(offset)[..]].concat();
        assert_eq!(code(&with_footer(n as u64)), Corrupt);
        assert_eq!(code(&with_footer(u64::MAX / 2)), Corrupt);
        assert_eq!(code(&with_footer(0)), Corrupt);
        assert_eq!(code(&with_footer(il as u64 - 4096)), Corrupt);
        assert_eq!(code(&with_footer(il as u64 + 1)), Corrupt);
        let mut footer_damaged = file.clone();
        footer_damaged[n - 5] = b'x';
        assert_eq!(code(&footer_damaged), Corrupt);
        // Header checksum wrong; the image flipped (in its SQLite header, in a page).
        let mut sum = file.clone();
        sum[n - FOOTER_LEN - 2] ^= 1;
        assert_eq!(code(&sum), Corrupt);
        for at in [0, 16, 18, 19, 24, 28, 92, 100, il - 1] {
            let mut flipped = file.clone();
            flipped[at] ^= 0x40;
            assert_eq!(code(&flipped), Corrupt, "flipped at {at}");
        }
        // A WAL-mode image, with its header checksum and manifest consistent: still refused.
        let mut wal = image.clone();
        wal[18] = 2;
        wal[19] = 2;
        let mut mw = m.clone();
        mw.image_sha256 = Some(hex(&Sha256::digest(&wal)));
        assert_eq!(code(&v2_file(&wal, &mw)), Corrupt);
        // The in-header size not valid (change counter and version-valid-for differ).
        let mut stale = image.clone();
        stale[95] ^= 1;
        let mut ms = m.clone();
        ms.image_sha256 = Some(hex(&Sha256::digest(&stale)));
        assert_eq!(code(&v2_file(&stale, &ms)), Corrupt);
        // The image longer than its SQLite header says (SQLite would not read what was hashed).
        let longer = [image.as_slice(), &[0u8; 512]].concat();
        let ml = manifest(&longer);
        let ml = Manifest { format_version: 2, ..ml };
        assert_eq!(code(&v2_file(&longer, &ml)), Corrupt);
        // A v1 magic with the v2 layout, and the reverse.
        let v1_magic = {
            let line = serde_json::to_vec(&m).unwrap();
            [&image[..], &encode_header(1, &line, None), &encode_footer(il as u64)].concat()
        };
        assert_eq!(code(&v1_magic), Format);
        let m1 = Manifest { format_version: 1, ..m.clone() };
        let v1_manifest = {
            let line = serde_json::to_vec(&m1).unwrap();
            [&image[..], &encode_header(2, &line, None), &encode_footer(il as u64)].concat()
        };
        assert_eq!(code(&v1_manifest), Format);
        let v2_first = [&encode_header(2, &serde_json::to_vec(&m).unwrap(), None)[..], &image[..]].concat();
        assert_eq!(code(&v2_first), Format);
        // A plain SQLite database is not a backup.
        assert_eq!(code(&image), Format);
        // Data between the header and the footer.
        let gap = [&file[..n - FOOTER_LEN], b"x", &encode_footer(il as u64)].concat();
        assert_eq!(code(&gap), Corrupt);
        // The manifest edited and the header checksum recomputed parses: the seal catches it
        // (the caller's check); the image size edited so is refused here.
        let edited = Manifest { image_bytes: m.image_bytes - 1, ..m.clone() };
        assert_eq!(
            code(
                &[
                    &image[..],
                    &encode_header(2, &serde_json::to_vec(&edited).unwrap(), None),
                    &encode_footer(il as u64)
                ]
                .concat()
            ),
            Corrupt
        );
        // Nothing was written beside the file by any of this.
        let names: Vec<_> = std::fs::read_dir(d.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(names.iter().all(|n| !n.to_string_lossy().contains("-wal")), "{names:?}");
    }

    /// The format 3 digest, computed the way the module documentation's shell line does.
    fn shell_digest(image: &[u8]) -> String {
        let mut list = Vec::new();
        for c in image.chunks(CHUNK) {
            list.extend_from_slice(&Sha256::digest(c));
        }
        format!("{CHUNKED_SHA256}:{}", hex(&Sha256::digest(&list)))
    }

    #[test]
    fn the_chunked_digest_is_the_same_however_the_bytes_arrive() {
        let image: Vec<u8> = (0..(2 * CHUNK + 12_345)).map(|i| (i * 7 % 251) as u8).collect();
        let want = shell_digest(&image);
        for step in [1usize << 12, CHUNK, CHUNK + 1, 3 * CHUNK] {
            let mut h = ImageHasher::for_version(FORMAT_VERSION);
            for piece in image.chunks(step) {
                h.update(piece);
            }
            assert_eq!(h.finish(), want, "pieces of {step}");
        }
        // Exactly two chunks: no empty third one.
        let even = image.get(..2 * CHUNK).unwrap();
        let mut h = ImageHasher::for_version(FORMAT_VERSION);
        h.update(even);
        assert_eq!(h.finish(), shell_digest(even));
        // Known chunk hashes with some stale or missing: those are read from the file again.
        let d = tempfile::tempdir().unwrap();
        let p = write(d.path(), "img", &image);
        let mut list = ChunkList::default();
        list.update(&image);
        let known = list.finish();
        assert_eq!(digest_with_known(&p, image.len() as u64, known.clone(), &[]).unwrap(), want);
        let mut wrong = known.clone();
        wrong[1] = [0; 32];
        assert_eq!(digest_with_known(&p, image.len() as u64, wrong.clone(), &[1]).unwrap(), want);
        assert_ne!(digest_with_known(&p, image.len() as u64, wrong, &[0, 2]).unwrap(), want);
        assert_eq!(digest_with_known(&p, image.len() as u64, known[..1].to_vec(), &[]).unwrap(), want);
        assert_eq!(digest_with_known(&p, image.len() as u64, Vec::new(), &[7, 99]).unwrap(), want);
        // The hasher thread of a backup sees the same bytes.
        let mut hasher = ChunkHasher::start();
        for piece in image.chunks(1 << 20) {
            let _ = hasher.written(piece.to_vec());
        }
        let (bytes, hashes) = hasher.finish().unwrap();
        assert_eq!((bytes, chunked_digest(&hashes)), (image.len() as u64, want));
    }

    #[test]
    fn format_3_states_the_chunked_digest_and_nothing_else() {
        let d = tempfile::tempdir().unwrap();
        let image = sqlite_image(d.path());
        let m3 = Manifest {
            format_version: 3,
            image_sha256: None,
            image_digest: Some(shell_digest(&image)),
            ..manifest(&image)
        };
        let good = write(d.path(), "good3", &v2_file(&image, &m3));
        let h = read_header(&good).unwrap();
        assert_eq!((h.version, h.image_offset, h.image_in_place()), (3, 0, true));
        start_hash(&good, &h).check().unwrap();
        copy_image(&good, &h, None, false, &mut |_, _| {}).unwrap();
        let out = d.path().join("staged3");
        copy_image_staged(&good, &h, File::create(&out).unwrap(), &out).check().unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), image);
        // A format 2 file written by the release before still reads (its whole-image SHA-256).
        let m2 = Manifest { format_version: 2, ..manifest(&image) };
        let old = write(d.path(), "good2", &v2_file(&image, &m2));
        let h2 = read_header(&old).unwrap();
        assert_eq!(h2.version, 2);
        start_hash(&old, &h2).check().unwrap();

        let code = |bytes: &[u8]| {
            let p = write(d.path(), "x3", bytes);
            match read_header(&p) {
                Err(e) => e.code(),
                Ok(h) => start_hash(&p, &h).check().unwrap_err().code(),
            }
        };
        use ErrorCode::{BackupCorrupt as Corrupt, BackupFormat as Format};
        // The digest of another format, both, neither, or a malformed one.
        let sha = Some(hex(&Sha256::digest(&image)));
        for bad in [
            Manifest { image_sha256: sha.clone(), image_digest: None, ..m3.clone() },
            Manifest { image_sha256: sha.clone(), ..m3.clone() },
            Manifest { image_digest: None, ..m3.clone() },
            Manifest { image_digest: Some(format!("sha256:{}", sha.clone().unwrap())), ..m3.clone() },
            Manifest { image_digest: Some(format!("{CHUNKED_SHA256}:abc")), ..m3.clone() },
            Manifest { image_digest: m3.image_digest.clone(), ..m2.clone() },
        ] {
            assert_eq!(code(&v2_file(&image, &bad)), Corrupt, "{bad:?}");
        }
        // The image changed in its last byte; a format 3 magic before a format 2 manifest.
        let mut flipped = v2_file(&image, &m3);
        flipped[image.len() - 1] ^= 1;
        assert_eq!(code(&flipped), Corrupt);
        let mixed = [
            &image[..],
            &encode_header(3, &serde_json::to_vec(&m2).unwrap(), None),
            &encode_footer(image.len() as u64),
        ]
        .concat();
        assert_eq!(code(&mixed), Format);
        // A format this ams does not know.
        let m4 = Manifest { format_version: 4, ..m3.clone() };
        assert_eq!(code(&v2_file(&image, &m4)), Format);
    }
}
