//! The audit trail: every change and every read of a secret, in the same transaction as the
//! action. Records are hash-chained: each commits to the one before it. Never holds secrets.
//!
//! Since V0006 the chain is keyed: a record's hash is `k1:` and an HMAC-SHA256 with the audit key
//! derived from the master key (see `service/derived.rs`), so someone who can write the database
//! but has no master key cannot rewrite the chain consistently. A record written while the
//! master key is unavailable (recovery mode) has a plain SHA-256 hash; the next keyed record
//! commits to it. The first keyed record's sequence number is sealed with the derivation root:
//! a chain rewritten with plain hashes from there on is detected.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ams::Ams;
use crate::crypto::seal::{hex, new_id};
use crate::error::{Error, ErrorCode, Result};
use crate::service::derived::{DerivedKeys, KEYED_PREFIX};
use crate::store::{AuditFilter, AuditRow, Tx};

/// The hash the first record chains from.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Outcome of an audited action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It happened.
    Success,
    /// It failed.
    Failure,
    /// It was refused.
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
            Outcome::Denied => "denied",
        }
    }
}

/// An audit event about to be written.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Event name, e.g. `device.approve`.
    pub event: &'a str,
    /// Outcome.
    pub outcome: Outcome,
    /// Kind of target (`device`, `group`, ...).
    pub target_type: Option<&'a str>,
    /// Target id.
    pub target_id: Option<&'a str>,
    /// Details (identifiers and settings only, never secret values).
    pub details: serde_json::Value,
}

impl<'a> Event<'a> {
    /// A successful event about a target.
    pub fn success(event: &'a str, target_type: &'a str, target_id: &'a str) -> Self {
        Event {
            event,
            outcome: Outcome::Success,
            target_type: Some(target_type),
            target_id: Some(target_id),
            details: serde_json::Value::Object(Default::default()),
        }
    }

    /// Adds details.
    #[must_use]
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// What a record's hash covers: the previous hash and the record's fields.
fn hashed_bytes(row: &AuditRow) -> Vec<u8> {
    let body = serde_json::json!([
        row.id,
        row.at,
        row.actor,
        row.event,
        row.outcome,
        row.target_type,
        row.target_id,
        row.details
    ]);
    let mut out = Vec::with_capacity(row.prev_hash.len() + 256);
    out.extend_from_slice(row.prev_hash.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(body.to_string().as_bytes());
    out
}

/// The unkeyed hash of a record: SHA-256 over the previous hash and the record's fields.
pub fn record_hash(row: &AuditRow) -> String {
    hex(&Sha256::digest(hashed_bytes(row)))
}

/// The hash a record gets: keyed when the derived keys are at hand.
fn record_hash_with(row: &AuditRow, keys: Option<&DerivedKeys>) -> String {
    match keys {
        Some(k) => k.audit_mac(&hashed_bytes(row)),
        None => record_hash(row),
    }
}

/// Appends an audit record inside the caller's transaction, keyed when this process can have
/// the master key (see [`Ams::derived_keys_in`]).
pub fn record(ams: &Ams, tx: &Tx<'_>, ev: Event<'_>) -> Result<()> {
    let keys = ams.derived_keys_in(tx);
    record_with(ams, tx, ev, keys.as_ref())
}

/// Appends an audit record keyed with `keys` (or unkeyed with `None`).
pub(crate) fn record_with(ams: &Ams, tx: &Tx<'_>, ev: Event<'_>, keys: Option<&DerivedKeys>) -> Result<()> {
    let prev_hash = tx.last_audit()?.map_or_else(|| GENESIS_HASH.to_string(), |r| r.hash);
    let mut row = AuditRow {
        seq: 0,
        id: new_id()?.to_string(),
        at: ams.now(),
        actor: ams.actor().to_string(),
        event: ev.event.to_string(),
        outcome: ev.outcome.as_str().to_string(),
        target_type: ev.target_type.map(str::to_string),
        target_id: ev.target_id.map(str::to_string),
        details: ev.details.to_string(),
        prev_hash,
        hash: String::new(),
    };
    row.hash = record_hash_with(&row, keys);
    tx.insert_audit(&row)?;
    // Notifications are queued in this same transaction: a message exists exactly when its
    // audit record does (docs/notifications.md).
    crate::service::notifications::enqueue(tx, &row)
}

/// An audit record as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditRecord {
    /// Sequence number.
    pub seq: i64,
    /// Record id.
    pub id: String,
    /// Time.
    pub time: String,
    /// Who acted.
    pub actor: String,
    /// Event.
    pub event: String,
    /// Outcome.
    pub outcome: String,
    /// Target kind.
    pub target_type: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// Details.
    pub details: serde_json::Value,
}

/// What `ams audit verify` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuditVerification {
    /// Records checked.
    pub records: u64,
    /// Hash of the newest record (keep it somewhere else to detect a cut-off tail later).
    pub head: String,
    /// Sequence number of the newest record.
    pub head_seq: i64,
    /// True when the chain is keyed (V0006 and later) and its keyed records were checked with
    /// the audit key; false in recovery mode, where only the unkeyed hashes can be checked.
    pub keyed: bool,
    /// Sequence number of the first keyed record (sealed with the derivation root).
    pub keyed_from_seq: Option<i64>,
    /// Records with a keyed hash.
    pub keyed_records: u64,
    /// Records after the first keyed one with only an unkeyed hash (written in recovery mode).
    pub unkeyed_after_keyed: u64,
    /// Things worth knowing that are not failures.
    pub warnings: Vec<String>,
}

fn to_record(r: AuditRow) -> AuditRecord {
    AuditRecord {
        seq: r.seq,
        id: r.id,
        time: r.at,
        actor: r.actor,
        event: r.event,
        outcome: r.outcome,
        target_type: r.target_type,
        target_id: r.target_id,
        details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
    }
}

/// Which audit records a reader asks for (`ams audit get`, Get-AmsAuditRecord).
#[derive(Debug, Clone, Default)]
pub struct AuditQuery<'a> {
    /// At or after this time (RFC 3339).
    pub since: Option<&'a str>,
    /// Before this time (RFC 3339).
    pub until: Option<&'a str>,
    /// About this object id (a device id, group id, ...).
    pub target_id: Option<&'a str>,
    /// By this actor.
    pub actor: Option<&'a str>,
    /// This event, or every event under it (`device` matches `device.approve`).
    pub event: Option<&'a str>,
    /// At most this many (the newest).
    pub limit: u32,
}

impl Ams {
    /// Audit records matching a query, oldest first.
    pub fn audit_query(&self, q: &AuditQuery<'_>) -> Result<Vec<AuditRecord>> {
        // Normalise times to the stored fixed-width form so text comparison is time comparison.
        let since = q.since.map(|t| crate::clock::parse_time(t).map(crate::clock::format_time)).transpose()?;
        let until = q.until.map(|t| crate::clock::parse_time(t).map(crate::clock::format_time)).transpose()?;
        let f = AuditFilter {
            since: since.as_deref(),
            until: until.as_deref(),
            target_id: q.target_id,
            actor: q.actor,
            event: q.event,
            limit: q.limit,
        };
        Ok(self.store.read(|tx| tx.audit_filtered(&f))?.into_iter().map(to_record).collect())
    }

    /// Walks the whole hash chain. The first record that was changed, deleted or moved is named in
    /// the error ([`ErrorCode::AuditChainBroken`]); `expect_head` (a head hash saved earlier)
    /// also detects records cut off the end.
    ///
    /// Keyed records are checked with the audit key when this host's key opens the master key;
    /// the record the sealed derivation root names as the first keyed one must be keyed.
    pub fn audit_verify(&self, expect_head: Option<&str>) -> Result<AuditVerification> {
        let mut prev = GENESIS_HASH.to_string();
        let mut prev_seq = 0i64;
        let mut count = 0u64;
        let mut keyed_records = 0u64;
        let mut unkeyed_after_keyed = 0u64;
        let mut unchecked = 0u64;
        let mut seen_expected = expect_head.is_none();
        let (keys, has_root) = self.store.read(|tx| {
            Ok((self.derived_keys_in(tx), tx.instance_secret(crate::service::derived::ROOT_PURPOSE)?.is_some()))
        })?;
        let keyed_from = keys.as_ref().map(|k| k.audit_keyed_from);
        self.store.read(|tx| {
            tx.for_each_audit(&mut |row| {
                let broken = |why: &str| {
                    Err(Error::new(
                        ErrorCode::AuditChainBroken,
                        format!("The audit trail is broken at record {}: {why}.", row.seq),
                    )
                    .hint(
                        "Restore the database from a backup and compare; the records after this one cannot be trusted.",
                    )
                    .with("seq", row.seq)
                    .with("id", &row.id))
                };
                if row.prev_hash != prev {
                    return broken(if row.seq != prev_seq + 1 {
                        "a record before it was deleted or the records were reordered"
                    } else {
                        "it does not chain to the record before it (reordered or replaced)"
                    });
                }
                if row.hash.starts_with(KEYED_PREFIX) {
                    match &keys {
                        Some(k) if k.audit_mac(&hashed_bytes(&row)) != row.hash => {
                            return broken("its content was changed after it was written");
                        }
                        Some(_) => {}
                        None => unchecked += 1,
                    }
                    keyed_records += 1;
                } else {
                    if record_hash(&row) != row.hash {
                        return broken("its content was changed after it was written");
                    }
                    if keyed_from == Some(row.seq) {
                        return broken(
                            "it is the first keyed record but has an unkeyed hash: the chain was rewritten without the audit key",
                        );
                    }
                    if keyed_from.is_some_and(|k| row.seq > k) {
                        unkeyed_after_keyed += 1;
                    }
                }
                if expect_head.is_some_and(|h| h.eq_ignore_ascii_case(&row.hash)) {
                    seen_expected = true;
                }
                prev = row.hash;
                prev_seq = row.seq;
                count += 1;
                Ok(())
            })
        })?;
        if !seen_expected {
            return Err(Error::new(
                ErrorCode::AuditChainBroken,
                "The audit trail no longer contains the head record you saved: records were cut off the end.",
            )
            .hint("Restore the database from a backup and compare.")
            .with("records", count));
        }
        if let Some(k) = keyed_from
            && prev_seq < k
        {
            return Err(Error::new(
                ErrorCode::AuditChainBroken,
                "The audit trail ends before its first keyed record: records were cut off the end.",
            )
            .hint("Restore the database from a backup and compare.")
            .with("records", count)
            .with("keyed_from_seq", k));
        }
        let mut warnings = Vec::new();
        if keys.is_none() && has_root {
            warnings.push(
                "The chain is keyed, but the master key is not available here (recovery mode): it was checked with the unkeyed hashes only, so a chain rewritten without the audit key would not be noticed. Run `ams key recover`, then verify again."
                    .to_string(),
            );
        }
        if unchecked > 0 {
            warnings.push(format!(
                "{unchecked} keyed records could not be checked: the master key is not available here (recovery mode). Run `ams key recover`, then verify again."
            ));
        }
        if unkeyed_after_keyed > 0 {
            warnings.push(format!(
                "{unkeyed_after_keyed} records after the first keyed one have only an unkeyed hash (written while the master key was unavailable); each is protected once a keyed record follows it."
            ));
        }
        Ok(AuditVerification {
            records: count,
            head: prev,
            head_seq: prev_seq,
            keyed: keys.is_some() && unchecked == 0,
            keyed_from_seq: keyed_from,
            keyed_records,
            unkeyed_after_keyed,
            warnings,
        })
    }

    /// Audit records, newest last, optionally about one target.
    pub fn audit_records(&self, target_id: Option<&str>, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = self.store.read(|tx| tx.audit(target_id, limit))?;
        Ok(rows.into_iter().map(to_record).collect())
    }
}
