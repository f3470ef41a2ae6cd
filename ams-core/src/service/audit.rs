//! The audit trail: every change and every read of a secret, in the same transaction as the
//! action. Records are hash-chained: each commits to the one before it. Never holds secrets.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::ams::Ams;
use crate::crypto::seal::{hex, new_id};
use crate::error::Result;
use crate::store::{AuditRow, Tx};

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

impl Ams {
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
