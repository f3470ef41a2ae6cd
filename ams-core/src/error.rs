//! The one public error type of `ams-core`.
//!
//! Every failure carries a stable [`ErrorCode`] (`AMS-<AREA>-<NNNN>`, never reused), a small
//! [`ErrorKind`] that decides the CLI exit code, a message for people, an optional hint saying what
//! to do next, and context values that are identifiers only, never secret values.

use std::collections::BTreeMap;
use std::fmt;

/// The broad class of an error. It decides the process exit code (docs/exit-codes.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A bug: something that should never happen.
    Internal,
    /// The command line was wrong.
    Usage,
    /// The named object does not exist.
    NotFound,
    /// The object already exists, or the change conflicts with the current state.
    Conflict,
    /// The input (JSON, flags, files) is not valid.
    InvalidInput,
    /// Locked or refused: the master key is unavailable, a password is wrong, file permissions.
    PermissionDenied,
    /// The database or a file could not be reached.
    Unavailable,
    /// The database schema does not match this binary.
    SchemaVersion,
    /// A checksum, a signature or an authenticated ciphertext did not verify.
    Integrity,
    /// The host configuration is wrong.
    Config,
}

impl ErrorKind {
    /// Every kind, in exit-code order.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Internal,
        ErrorKind::Usage,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::InvalidInput,
        ErrorKind::PermissionDenied,
        ErrorKind::Unavailable,
        ErrorKind::SchemaVersion,
        ErrorKind::Integrity,
        ErrorKind::Config,
    ];

    /// The snake_case name used in JSON error documents.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Internal => "internal",
            ErrorKind::Usage => "usage",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::SchemaVersion => "schema_version",
            ErrorKind::Integrity => "integrity",
            ErrorKind::Config => "config",
        }
    }

    /// The process exit code for this kind (the table in docs/exit-codes.md).
    pub fn exit_code(self) -> u8 {
        match self {
            ErrorKind::Internal => 1,
            ErrorKind::Usage => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Conflict => 4,
            ErrorKind::InvalidInput => 5,
            ErrorKind::PermissionDenied => 6,
            ErrorKind::Unavailable => 7,
            ErrorKind::SchemaVersion => 8,
            ErrorKind::Integrity => 9,
            ErrorKind::Config => 10,
        }
    }
}

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $name:ident = ($code:literal, $kind:ident) ),* $(,)?) => {
        /// A stable, documented error code. Each has a section in docs/errors.md.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $( $(#[$doc])* $name, )*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[ $( ErrorCode::$name, )* ];

            /// The code as printed, e.g. `AMS-DB-0002`.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$name => $code, )* }
            }

            /// The kind, which decides the exit code.
            pub fn kind(self) -> ErrorKind {
                match self { $( ErrorCode::$name => ErrorKind::$kind, )* }
            }
        }
    };
}

error_codes! {
    /// An unexpected internal failure (a bug).
    Internal = ("AMS-GEN-0001", Internal),
    /// A JSON request or parameter value could not be parsed or validated.
    InvalidRequest = ("AMS-GEN-0002", InvalidInput),
    /// A required secret was not supplied on stdin, in a file or at a prompt.
    SecretInputMissing = ("AMS-GEN-0003", Usage),
    /// A destructive change needs `--force`.
    ForceRequired = ("AMS-GEN-0004", Conflict),
    /// A file could not be read or written.
    FileIo = ("AMS-GEN-0005", Unavailable),
    /// An output file exists and is never overwritten.
    FileExists = ("AMS-GEN-0006", Conflict),
    /// The command line is not valid (unknown verb or flag, missing or malformed value).
    UsageError = ("AMS-GEN-0007", Usage),

    /// No instance exists in the data directory.
    InstanceNotFound = ("AMS-CFG-0001", NotFound),
    /// An instance already exists in the data directory.
    InstanceExists = ("AMS-CFG-0002", Conflict),
    /// The host configuration file is not valid.
    HostConfigInvalid = ("AMS-CFG-0003", Config),
    /// A file or folder holding key material has permissions that are too loose.
    LoosePermissions = ("AMS-CFG-0004", PermissionDenied),
    /// No data directory was given and no default could be determined.
    DataDirUnknown = ("AMS-CFG-0005", Config),
    /// A service configuration key or value is not valid.
    ServiceConfigInvalid = ("AMS-CFG-0006", InvalidInput),

    /// The database could not be opened or queried.
    DbUnavailable = ("AMS-DB-0001", Unavailable),
    /// The database schema is newer than this binary.
    SchemaTooNew = ("AMS-DB-0002", SchemaVersion),
    /// A migration already applied to the database differs from the one in this binary.
    MigrationModified = ("AMS-DB-0003", SchemaVersion),
    /// The database needs `ams db migrate` before use.
    MigrationRequired = ("AMS-DB-0004", SchemaVersion),
    /// The database stayed busy longer than the busy timeout.
    DbBusy = ("AMS-DB-0005", Unavailable),
    /// The connection string names an engine this build does not support.
    UnsupportedEngine = ("AMS-DB-0006", Config),
    /// A uniqueness or reference constraint was violated.
    DbConstraint = ("AMS-DB-0007", Conflict),
    /// The database file failed an integrity check.
    DbCorrupt = ("AMS-DB-0008", Integrity),

    // SQL Server engine (store/mssql/, docs/sql-server.md).
    /// The SQL Server connection string is malformed (`context.key` names the key, never a value).
    MssqlConnectionStringInvalid = ("AMS-MSSQL-0001", InvalidInput),
    /// The SQL Server connection string asks for something this build does not support.
    MssqlUnsupported = ("AMS-MSSQL-0002", Config),
    /// SQL Server could not be reached (network, TLS or timeout).
    MssqlConnectFailed = ("AMS-MSSQL-0003", Unavailable),
    /// SQL Server refused the login.
    MssqlLoginFailed = ("AMS-MSSQL-0004", PermissionDenied),
    /// The SQL Server login lacks a permission ams needs.
    MssqlPermissionDenied = ("AMS-MSSQL-0005", PermissionDenied),
    /// The connection string asks for integrated (Windows or Kerberos) authentication, which this
    /// build cannot do.
    MssqlIntegratedAuthUnsupported = ("AMS-MSSQL-0010", Config),

    /// The master key cannot be unlocked by the host protector: the instance is in recovery mode.
    RecoveryRequired = ("AMS-KEY-0001", PermissionDenied),
    /// The recovery password is wrong.
    WrongRecoveryPassword = ("AMS-KEY-0002", PermissionDenied),
    /// The proposed recovery password is too weak.
    WeakPassword = ("AMS-KEY-0003", InvalidInput),
    /// The host key file already exists and is never overwritten.
    HostKeyExists = ("AMS-KEY-0004", Conflict),
    /// A sealed value failed authentication: it was changed, truncated or moved to another row.
    SealedValueTampered = ("AMS-KEY-0005", Integrity),
    /// A sealed value has an unknown format, algorithm or version.
    SealedValueFormat = ("AMS-KEY-0006", Integrity),
    /// The master key a sealed value names is not in the database.
    MasterKeyMissing = ("AMS-KEY-0007", Integrity),
    /// The key derivation parameters are out of range.
    KdfParams = ("AMS-KEY-0008", InvalidInput),
    /// The instance has no derivation root (the keys of lookup hashes and of the audit chain).
    DerivationRootMissing = ("AMS-KEY-0009", Integrity),
    /// No host protector of the active master key has that host key id.
    HostProtectorNotFound = ("AMS-KEY-0010", NotFound),
    /// Removing the host protector would leave no host that can unlock the master key.
    LastHostProtector = ("AMS-KEY-0011", Conflict),
    /// The host protector is this host's own: a host does not revoke itself.
    OwnHostProtector = ("AMS-KEY-0012", Conflict),

    /// No encryption certificate has that thumbprint.
    CertNotFound = ("AMS-CERT-0001", NotFound),
    /// No encryption certificate is active.
    NoActiveCert = ("AMS-CERT-0002", NotFound),
    /// The certificate's private key is not available.
    CertPrivateKeyMissing = ("AMS-CERT-0003", NotFound),
    /// The certificate parameters are not valid (key size, validity, subject).
    CertInvalid = ("AMS-CERT-0004", InvalidInput),
    /// A certificate with that thumbprint already exists.
    CertExists = ("AMS-CERT-0005", Conflict),
    /// The certificate cannot be activated (revoked, expired or without a private key).
    CertNotUsable = ("AMS-CERT-0006", Conflict),

    /// An agent blob could not be parsed.
    EnvelopeFormat = ("AMS-ENV-0001", InvalidInput),
    /// An agent blob failed to open: wrong key, bad padding or tampered.
    EnvelopeTampered = ("AMS-ENV-0002", Integrity),
    /// An agent blob is sealed to a certificate this instance does not know.
    EnvelopeUnknownCert = ("AMS-ENV-0003", Integrity),

    /// No device matches.
    DeviceNotFound = ("AMS-DEV-0001", NotFound),
    /// A computer name matches more than one device.
    DeviceAmbiguous = ("AMS-DEV-0002", Conflict),
    /// The device is disabled.
    DeviceDisabled = ("AMS-DEV-0003", PermissionDenied),
    /// The device is not approved (pending or rejected).
    DeviceNotApproved = ("AMS-DEV-0004", PermissionDenied),
    /// The device state change is not allowed.
    DeviceStateInvalid = ("AMS-DEV-0005", Conflict),

    /// No group matches.
    GroupNotFound = ("AMS-GRP-0001", NotFound),
    /// A group with that name already exists.
    GroupExists = ("AMS-GRP-0002", Conflict),
    /// Built-in groups cannot be changed, deleted or given members.
    GroupBuiltIn = ("AMS-GRP-0003", Conflict),

    /// No registration key matches.
    RegKeyNotFound = ("AMS-REG-0001", NotFound),
    /// A registration key with that name already exists.
    RegKeyExists = ("AMS-REG-0002", Conflict),
    /// The registration key is disabled.
    RegKeyDisabled = ("AMS-REG-0003", PermissionDenied),
    /// The registration key has reached its activation limit.
    RegKeyExhausted = ("AMS-REG-0004", PermissionDenied),
    /// The registration key value is not valid.
    RegKeyInvalid = ("AMS-REG-0005", PermissionDenied),

    /// The device has no current local administrator password.
    NoPassword = ("AMS-PWD-0001", NotFound),
    /// The password policy is not valid.
    PasswordPolicyInvalid = ("AMS-PWD-0002", InvalidInput),
    /// A stored password or BitLocker key does not carry the server MAC of its row: it was moved (a history entry made current, a row copied to another device or key) or planted.
    SecretRowUnbound = ("AMS-PWD-0003", Integrity),
    /// The device has no BitLocker recovery keys.
    NoBitLockerKey = ("AMS-FVE-0001", NotFound),

    // audit
    /// The audit trail's hash chain does not verify: a record was changed, deleted or reordered.
    AuditChainBroken = ("AMS-AUD-0001", Integrity),
    // Certificate backup (PFX) and lost-private-key recovery.
    /// The file is not a readable PKCS#12 (PFX) file: truncated, damaged or not PKCS#12 at all.
    PfxInvalid = ("AMS-CERT-0007", InvalidInput),
    /// The PFX password is wrong (the file's integrity check or decryption failed).
    PfxWrongPassword = ("AMS-CERT-0008", PermissionDenied),
    /// The PFX file uses an algorithm or parameter ams does not accept.
    PfxUnsupported = ("AMS-CERT-0009", InvalidInput),
    /// The PFX file does not hold exactly one private key with its certificate.
    PfxContents = ("AMS-CERT-0010", InvalidInput),
    /// The private key in the PFX file does not belong to its certificate.
    PfxKeyMismatch = ("AMS-CERT-0011", InvalidInput),
    /// The certificate's key is not an RSA key.
    CertNotRsa = ("AMS-CERT-0012", InvalidInput),
    /// The proposed PFX password is too weak.
    PfxPasswordWeak = ("AMS-CERT-0013", InvalidInput),
    /// The active certificate's private key cannot be opened, so agents cannot upload to it.
    ActiveCertUnreadable = ("AMS-CERT-0014", Conflict),

    // Configuration: host configuration, service configuration, claim mappings, diagnostics.
    /// The connection string failed validation (no such database, or not an ams database).
    ConnectionStringInvalid = ("AMS-CFG-0007", InvalidInput),
    /// No service setting has that name.
    ServiceSettingUnknown = ("AMS-CFG-0008", InvalidInput),
    /// A host configuration value is not valid (host name, port, path).
    HostConfigValueInvalid = ("AMS-CFG-0009", InvalidInput),
    /// A connection string holding a password was given on the command line.
    SecretInArguments = ("AMS-CFG-0010", Usage),
    /// An identity-provider claim mapping is not valid.
    ClaimMappingInvalid = ("AMS-IDP-0001", InvalidInput),
    /// A claim mapping for that claim already exists for the identity-provider type.
    ClaimMappingExists = ("AMS-IDP-0002", Conflict),
    // Authorization: rules, evaluation, access requests, rate limits, rule import.
    /// No authorization rule has that id (or name).
    RuleNotFound = ("AMS-AUTHZ-0001", NotFound),
    /// A role authorization rule with that name already exists.
    RuleExists = ("AMS-AUTHZ-0002", Conflict),
    /// A principal or target is not a valid security identifier (SID).
    InvalidSid = ("AMS-AUTHZ-0003", InvalidInput),
    /// A name such as DOMAIN\name was given where a SID is needed: this build has no directory to resolve names.
    NameNeedsDirectory = ("AMS-AUTHZ-0004", InvalidInput),
    /// The access type is not one of laps, laps-history, bitlocker, jit, rapid-laps-login, rapid-laps-elevation.
    UnknownAccessType = ("AMS-AUTHZ-0005", InvalidInput),
    /// A duration could not be parsed, is not positive, or is longer than ten years.
    DurationInvalid = ("AMS-AUTHZ-0006", InvalidInput),
    /// A default access duration is longer than the maximum access duration.
    DefaultAboveMaximum = ("AMS-AUTHZ-0007", InvalidInput),
    /// A rule expiry date is not valid or is in the past.
    ExpiryInvalid = ("AMS-AUTHZ-0008", InvalidInput),
    /// The rule target is not valid: no such device or group, a malformed DN or object id, or not exactly one target.
    TargetInvalid = ("AMS-AUTHZ-0009", InvalidInput),
    /// A setting does not apply to this rule: JIT settings on a non-AD target, principals on a script rule.
    SettingNotApplicable = ("AMS-AUTHZ-0010", InvalidInput),
    /// The authorization script is empty, too large, or does not define Get-AuthorizationResponse.
    ScriptInvalid = ("AMS-AUTHZ-0011", InvalidInput),
    /// The authorization rules do not grant the requested access.
    AccessDenied = ("AMS-AUTHZ-0012", PermissionDenied),
    /// A rate limit (per user or per source address) was reached; the request was refused.
    RateLimited = ("AMS-AUTHZ-0013", PermissionDenied),
    /// The rule that grants access requires a reason and none was given.
    ReasonRequired = ("AMS-AUTHZ-0014", InvalidInput),
    /// A CSV import has bad lines, so nothing was written.
    ImportBadLines = ("AMS-AUTHZ-0015", InvalidInput),
    /// The source address is not an IPv4 or IPv6 address.
    SourceAddressInvalid = ("AMS-AUTHZ-0016", InvalidInput),
    /// The rule that grants JIT access names no JIT group.
    JitGroupNotConfigured = ("AMS-AUTHZ-0017", Config),

    // Database backup and restore.
    /// The file is not an ams database backup, or its format version is unknown to this ams.
    BackupFormat = ("AMS-BAK-0001", InvalidInput),
    /// The backup file ends before the length its manifest states: it was truncated.
    BackupTruncated = ("AMS-BAK-0002", Integrity),
    /// A checksum of the backup file does not match, or the database image inside it is damaged.
    BackupCorrupt = ("AMS-BAK-0003", Integrity),
    /// The backup's seal does not verify under its master key: the file was deliberately changed.
    BackupTampered = ("AMS-BAK-0004", Integrity),
    /// The instance's database engine is backed up with the database platform's own tools.
    BackupUsePlatformTools = ("AMS-BAK-0005", Config),
    /// Another process holds the instance, so it cannot be restored now.
    InstanceBusy = ("AMS-BAK-0006", Conflict),
    /// The backup has no seal, so nothing proves it was not changed (taken in recovery mode, or its seal was removed).
    BackupUnsealed = ("AMS-BAK-0007", Integrity),
    /// The backup's seal cannot be checked here: this host does not hold its master key and no recovery password was given.
    BackupUnauthenticated = ("AMS-BAK-0008", PermissionDenied),
    /// The database inside the backup has tables, triggers, views or indexes that its schema version does not define.
    BackupSchemaMismatch = ("AMS-BAK-0009", Integrity),
    // Just-in-time access: the directory provider, JIT group creation rules, JIT options, scheduler jobs.
    /// No JIT directory is configured.
    JitDirectoryNotConfigured = ("AMS-JIT-0001", Config),
    /// The directory could not be reached or refused the bind.
    DirectoryUnavailable = ("AMS-JIT-0002", Unavailable),
    /// The directory refused an operation (add, remove, create, search).
    DirectoryOperationFailed = ("AMS-JIT-0003", Unavailable),
    /// A user, group or computer was not found in the directory.
    DirectoryObjectNotFound = ("AMS-JIT-0004", NotFound),
    /// No JIT group creation rule has this id.
    JitGroupRuleNotFound = ("AMS-JIT-0005", NotFound),
    /// A JIT group creation rule or directory setting is not valid.
    JitGroupRuleInvalid = ("AMS-JIT-0006", InvalidInput),
    /// No JIT scheduler job has this id.
    JitJobNotFound = ("AMS-JIT-0007", NotFound),
    /// A JIT option value is not valid.
    JitOptionInvalid = ("AMS-JIT-0008", InvalidInput),
    /// Changing the directory URL or bind DN needs the bind password again (it is sealed for one URL and bind DN).
    JitBindPasswordRequired = ("AMS-JIT-0009", InvalidInput),
    /// The stored bind password was sealed for another directory URL or bind DN (or by an older version): it is not sent.
    JitBindPasswordUnbound = ("AMS-JIT-0010", Integrity),
    // The agent server (`ams server`, docs/server.md) and its device tokens.
    /// The device token is missing, malformed, for another server or request, or its signature does not verify with a key this server holds.
    AgentTokenInvalid = ("AMS-AGT-0001", PermissionDenied),
    /// The device token has expired, is not yet valid, or claims a lifetime longer than allowed.
    AgentTokenExpired = ("AMS-AGT-0002", PermissionDenied),
    /// The device token was already used: each token is good for one request.
    AgentTokenReplayed = ("AMS-AGT-0003", PermissionDenied),
    /// The device public key is not a valid P-256 key, or the registration was not signed with it.
    AgentKeyInvalid = ("AMS-AGT-0004", InvalidInput),
    /// The request body is larger than the server accepts.
    AgentBodyTooLarge = ("AMS-AGT-0005", InvalidInput),
    /// The client did not send its request in time.
    AgentRequestTimeout = ("AMS-AGT-0006", InvalidInput),
    /// No agent API operation has that path and method.
    AgentApiNotFound = ("AMS-AGT-0007", NotFound),
    /// Too many requests from this address; the request was refused.
    AgentRateLimited = ("AMS-AGT-0008", PermissionDenied),
    /// The server is shutting down or has no free worker; try again later.
    AgentServerBusy = ("AMS-AGT-0009", Unavailable),
    /// The device already has a device key; the legacy credential cannot replace it.
    AgentKeyExists = ("AMS-AGT-0010", Conflict),
    /// The agent's state directory is missing, damaged, or belongs to another server.
    AgentStateInvalid = ("AMS-AGT-0011", Config),
    /// The server could not be reached, or its answer was not an agent API answer.
    AgentServerUnreachable = ("AMS-AGT-0012", Unavailable),
    /// The password setter command failed, so no password was uploaded.
    AgentSetterFailed = ("AMS-AGT-0013", Unavailable),
    /// This host does not serve the agent API (AgentAccessEnabled is false).
    AgentAccessDisabled = ("AMS-SRV-0001", Config),
    /// The TLS certificate or key could not be read, does not parse, or do not belong together.
    TlsConfigInvalid = ("AMS-SRV-0002", Config),
    /// The server cannot listen on the address (in use, not permitted, or not loopback for plain HTTP).
    ListenFailed = ("AMS-SRV-0003", Config),

    // Agent policies and word lists.
    /// No agent policy has that id or name.
    PolicyNotFound = ("AMS-POL-0001", NotFound),
    /// An agent policy with that name already exists for the operating system.
    PolicyExists = ("AMS-POL-0002", Conflict),
    /// An agent policy setting is not valid (unknown field, value out of range, nothing to generate from).
    PolicyInvalid = ("AMS-POL-0003", InvalidInput),
    /// The passphrase or password settings give fewer bits of entropy than the floor (64 bits).
    PolicyEntropyTooLow = ("AMS-POL-0004", InvalidInput),
    /// A default policy's name, enabled state, targets and order are fixed, and it cannot be removed.
    PolicyDefaultFixed = ("AMS-POL-0005", Conflict),
    /// A policy target is not a known device or group.
    PolicyTargetInvalid = ("AMS-POL-0006", InvalidInput),
    /// The uploaded password is shorter or simpler than the device's agent policy asks for.
    PolicyPasswordWeak = ("AMS-POL-0007", InvalidInput),
    /// No word list has that id or name.
    WordListNotFound = ("AMS-POL-0008", NotFound),
    /// A word list with that name already exists.
    WordListExists = ("AMS-POL-0009", Conflict),
    /// The word list file is not valid: too large, too few distinct words, or a line that is not a plain word.
    WordListInvalid = ("AMS-POL-0010", InvalidInput),
    /// The built-in word list cannot be removed or changed.
    WordListBuiltIn = ("AMS-POL-0011", Conflict),
    /// The word list is used by an agent policy, so it cannot be removed.
    WordListInUse = ("AMS-POL-0012", Conflict),

    // Approvals (docs/approvals.md).
    /// No access request has that id.
    AccessRequestNotFound = ("AMS-APR-0001", NotFound),
    /// The approver is not named as an approver by the rule the request was made under.
    NotAnApprover = ("AMS-APR-0002", PermissionDenied),
    /// The requester cannot approve or deny their own request.
    SelfApproval = ("AMS-APR-0003", PermissionDenied),
    /// The request expired: it waited longer than the rule allows, or its access window closed.
    AccessRequestExpired = ("AMS-APR-0004", Conflict),
    /// The request was denied by an approver.
    AccessRequestDenied = ("AMS-APR-0005", Conflict),
    /// The approved access was already handed out once.
    AccessRequestUsed = ("AMS-APR-0006", Conflict),
    /// The request still waits for an approver.
    AccessRequestPending = ("AMS-APR-0007", Conflict),
    /// The request was already approved or denied.
    AccessRequestDecided = ("AMS-APR-0008", Conflict),
    /// Only the requester can fetch the access an approval gave.
    NotTheRequester = ("AMS-APR-0009", PermissionDenied),
    /// An approval setting is not valid: approval required without approvers, a wait or window out of range.
    ApprovalSettingInvalid = ("AMS-APR-0010", InvalidInput),
    /// The rule requires approval: a request was made and waits for an approver (callers that only take a granted access).
    ApprovalRequired = ("AMS-APR-0011", Conflict),
    /// The rule the request was made under was removed, changed, or no longer grants the access.
    ApprovalRuleChanged = ("AMS-APR-0012", Conflict),
    // Notification channels and delivery (docs/notifications.md).
    /// No notification channel has that name or id.
    NotificationChannelNotFound = ("AMS-NTF-0001", NotFound),
    /// A notification channel with that name already exists.
    NotificationChannelExists = ("AMS-NTF-0002", Conflict),
    /// A notification channel setting is not valid (URL, address, command, route, template, retry policy).
    NotificationChannelInvalid = ("AMS-NTF-0003", InvalidInput),
    /// The channel kind needs a secret on stdin (a webhook's HMAC key), or the secret given is not valid.
    NotificationSecretRequired = ("AMS-NTF-0004", InvalidInput),
    /// A test notification could not be delivered (the receiver is down, refused it, or failed TLS verification).
    NotificationDeliveryFailed = ("AMS-NTF-0005", Unavailable),

    // Directory providers (docs/directory.md): TLS LDAP, LAPS and BitLocker read from the directory, permission import.
    /// The TLS connection to the directory failed: the certificate did not verify against the trusted CAs, or the server does not speak TLS (StartTLS refused).
    DirectoryTlsFailed = ("AMS-DIR-0001", Unavailable),
    /// A simple bind over plain LDAP was refused: the bind password would cross the network in clear. Use StartTLS or ldaps://, or allow it explicitly.
    DirectoryPlainBindRefused = ("AMS-DIR-0002", Config),
    /// The directory's TLS settings are not valid: an unknown TLS mode, a mode that contradicts the URL, or a CA file that cannot be read or holds no certificate.
    DirectoryTlsConfigInvalid = ("AMS-DIR-0003", InvalidInput),
    /// The directory answered with a referral to another server; referrals are not followed. Point the directory URL or base DN at a server that holds the naming context.
    DirectoryReferral = ("AMS-DIR-0004", Unavailable),
    /// The computer's Windows LAPS password is encrypted (msLAPS-EncryptedPassword, DPAPI-NG): it can only be decrypted on a Windows host with DPAPI-NG access as an authorized password decryptor.
    LapsEncryptedPasswordNeedsWindows = ("AMS-DIR-0005", Unavailable),
    /// A LAPS or BitLocker attribute in the directory is not in the documented form (for example msLAPS-Password is not the expected JSON).
    DirectorySecretMalformed = ("AMS-DIR-0006", Integrity),
    /// No computer with that name, DNS name or SID is in the directory, and none in the ams database.
    DirectoryComputerNotFound = ("AMS-DIR-0007", NotFound),
    /// A security descriptor read from the directory is not a valid self-relative security descriptor.
    SecurityDescriptorInvalid = ("AMS-DIR-0008", Integrity),
}

impl ErrorCode {
    /// The code for its printed form (`AMS-DB-0002`), e.g. from another host's error document.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
    }
}

/// What kind of constraint a change violated, as the engine reports it (its own error code, not
/// the message text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// A unique index, unique constraint or primary key (SQLite `SQLITE_CONSTRAINT_UNIQUE` /
    /// `_PRIMARYKEY`; SQL Server 2627 / 2601).
    Unique,
    /// A foreign key (SQLite `SQLITE_CONSTRAINT_FOREIGNKEY`; SQL Server 547 on a reference).
    ForeignKey,
    /// A NOT NULL column (SQLite `SQLITE_CONSTRAINT_NOTNULL`; SQL Server 515).
    NotNull,
    /// A CHECK constraint or any other.
    Other,
}

/// The error type of every public `ams-core` function.
pub struct Error {
    code: ErrorCode,
    message: String,
    hint: Option<String>,
    context: BTreeMap<&'static str, String>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
    violation: Option<Violation>,
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error with a code and a message for people. The message must not hold secrets.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), hint: None, context: BTreeMap::new(), source: None, violation: None }
    }

    /// Adds a hint: one sentence saying what to do next.
    #[must_use]
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a context value (an identifier, never a secret).
    #[must_use]
    pub fn with(mut self, key: &'static str, value: impl fmt::Display) -> Self {
        self.context.insert(key, value.to_string());
        self
    }

    /// Keeps the underlying cause (for logs; it is not shown in the JSON error).
    #[must_use]
    pub fn source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// An internal error (a bug), with a hint to report it.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::Internal, message)
            .hint("This is a bug in ams; please report it with the command you ran.")
    }

    /// Invalid request input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorCode::InvalidRequest, message)
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The kind (decides the exit code).
    pub fn kind(&self) -> ErrorKind {
        self.code.kind()
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The hint, if any.
    pub fn hint_text(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Context values (identifiers only).
    pub fn context(&self) -> &BTreeMap<&'static str, String> {
        &self.context
    }

    /// For [`ErrorCode::DbConstraint`]: which kind of constraint the engine said was violated.
    pub fn violation(&self) -> Option<Violation> {
        self.violation
    }

    /// Records which kind of constraint was violated (set by the engines from their own codes).
    #[must_use]
    pub(crate) fn violated(mut self, v: Violation) -> Self {
        self.violation = Some(v);
        self
    }
}

impl Error {
    /// The error as the one JSON document every front end prints:
    /// `{"error":{"code","kind","message","hint"?,"context"?}}`.
    pub fn to_document(&self) -> serde_json::Value {
        let mut err = serde_json::json!({
            "code": self.code.as_str(),
            "kind": self.kind().as_str(),
            "message": self.message,
        });
        if let Some(h) = &self.hint {
            err["hint"] = serde_json::Value::String(h.clone());
        }
        if !self.context.is_empty() {
            err["context"] = serde_json::to_value(&self.context).unwrap_or(serde_json::Value::Null);
        }
        serde_json::json!({ "error": err })
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code.as_str())
            .field("message", &self.message)
            .field("hint", &self.hint)
            .field("context", &self.context)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorCode::FileIo, format!("A file operation failed: {}.", e.kind())).with("detail", e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            let parts: Vec<&str> = s.split('-').collect();
            assert_eq!(parts.len(), 3, "{s}");
            assert_eq!(parts[0], "AMS");
            assert!(parts[1].chars().all(|c| c.is_ascii_uppercase()), "{s}");
            assert!(parts[2].len() == 4 && parts[2].chars().all(|c| c.is_ascii_digit()), "{s}");
        }
    }

    #[test]
    fn every_code_has_a_section_in_docs() {
        let docs = include_str!("../../docs/errors.md");
        for code in ErrorCode::ALL {
            let heading = format!("## {}", code.as_str());
            assert!(docs.contains(&heading), "docs/errors.md has no section '{heading}'");
        }
    }

    #[test]
    fn exit_codes_are_distinct() {
        let codes: HashSet<u8> = ErrorKind::ALL.iter().map(|k| k.exit_code()).collect();
        assert_eq!(codes.len(), ErrorKind::ALL.len());
    }
}
