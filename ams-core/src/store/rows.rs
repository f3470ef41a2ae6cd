//! Row types: what the store reads and writes. Plain data; secrets appear only sealed.

/// The instance row.
#[derive(Debug, Clone)]
pub struct InstanceRow {
    /// Instance id (UUID).
    pub id: String,
    /// Creation time.
    pub created_at: String,
}

/// Master key metadata.
#[derive(Debug, Clone)]
pub struct MasterKeyRow {
    /// Key id (UUID).
    pub id: String,
    /// `active` or `retired`.
    pub state: String,
    /// Creation time.
    pub created_at: String,
    /// When it stopped being active.
    pub retired_at: Option<String>,
}

/// A master key wrapped under one protector.
#[derive(Debug, Clone)]
pub struct ProtectorRow {
    /// Protector id (UUID).
    pub id: String,
    /// The master key it wraps.
    pub master_key_id: String,
    /// `host` or `recovery`.
    pub kind: String,
    /// JSON parameters (KDF parameters for `recovery`; the key file's id for `host`).
    pub params: String,
    /// The wrapped master key.
    pub wrapped_key: Vec<u8>,
    /// Creation time.
    pub created_at: String,
}

/// One audit record.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// Sequence number (assigned by the store, increasing).
    pub seq: i64,
    /// Record id (UUID).
    pub id: String,
    /// Time.
    pub at: String,
    /// Who acted.
    pub actor: String,
    /// What happened, e.g. `device.approve`.
    pub event: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// Kind of the object acted on.
    pub target_type: Option<String>,
    /// Id of the object acted on.
    pub target_id: Option<String>,
    /// JSON details (never secret values).
    pub details: String,
    /// Hash of the previous record.
    pub prev_hash: String,
    /// Hash of this record.
    pub hash: String,
}
