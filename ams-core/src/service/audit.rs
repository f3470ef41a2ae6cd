//! The audit trail: every change and every read of a secret, in the same transaction as the
//! action. Records are hash-chained: each commits to the one before it. Never holds secrets.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ams::Ams;
use crate::crypto::seal::{hex, new_id};
use crate::error::{Error, ErrorCode, Result};
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

/// The hash of a record: SHA-256 over the previous hash and the record's fields.
pub fn record_hash(row: &AuditRow) -> String {
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
    let mut h = Sha256::new();
    h.update(row.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    hex(&h.finalize())
}

/// Appends an audit record inside the caller's transaction.
pub fn record(ams: &Ams, tx: &Tx<'_>, ev: Event<'_>) -> Result<()> {
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
    row.hash = record_hash(&row);
    tx.insert_audit(&row)
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
    pub fn audit_verify(&self, expect_head: Option<&str>) -> Result<AuditVerification> {
        let mut prev = GENESIS_HASH.to_string();
        let mut prev_seq = 0i64;
        let mut count = 0u64;
        let mut seen_expected = expect_head.is_none();
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
                if record_hash(&row) != row.hash {
                    return broken("its content was changed after it was written");
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
        Ok(AuditVerification { records: count, head: prev, head_seq: prev_seq })
    }

    /// Audit records, newest last, optionally about one target.
    pub fn audit_records(&self, target_id: Option<&str>, limit: u32) -> Result<Vec<AuditRecord>> {
        let rows = self.store.read(|tx| tx.audit(target_id, limit))?;
        Ok(rows
            .into_iter()
            .map(|r| AuditRecord {
                seq: r.seq,
                id: r.id,
                time: r.at,
                actor: r.actor,
                event: r.event,
                outcome: r.outcome,
                target_type: r.target_type,
                target_id: r.target_id,
                details: serde_json::from_str(&r.details).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }
}
