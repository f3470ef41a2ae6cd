//! Farm-wide service settings kept in the database, each with a default and a valid range.

use crate::ams::Ams;
use crate::error::{Error, ErrorCode, Result};
use crate::store::ReadTx;

/// A numeric setting.
#[derive(Debug, Clone, Copy)]
pub struct IntSetting {
    /// Key in the database and in `Get-AmsServiceConfig` output.
    pub key: &'static str,
    /// Value when unset.
    pub default: i64,
    /// Smallest allowed value.
    pub min: i64,
    /// Largest allowed value.
    pub max: i64,
}

/// Days a password is valid before the agent must rotate it.
pub const PASSWORD_MAX_AGE_DAYS: IntSetting =
    IntSetting { key: "PasswordMaximumAgeDays", default: 30, min: 1, max: 3650 };
/// Retired passwords always kept (newest first).
pub const PASSWORD_HISTORY_KEEP_COUNT: IntSetting =
    IntSetting { key: "PasswordHistoryKeepCount", default: 30, min: 0, max: 10_000 };
/// Retired passwords younger than this many days are always kept.
pub const PASSWORD_HISTORY_KEEP_DAYS: IntSetting =
    IntSetting { key: "PasswordHistoryKeepDays", default: 0, min: 0, max: 36_500 };

/// Access requests are rate-limited per source address (1) or not (0).
pub const RATE_LIMIT_PER_IP_ENABLED: IntSetting =
    IntSetting { key: "RateLimitPerIpEnabled", default: 1, min: 0, max: 1 };
/// Access requests one source address may make in a minute.
pub const RATE_LIMIT_PER_IP_PER_MINUTE: IntSetting =
    IntSetting { key: "RateLimitPerIpRequestsPerMinute", default: 10, min: 1, max: 1_000_000 };
/// Access requests one source address may make in an hour.
pub const RATE_LIMIT_PER_IP_PER_HOUR: IntSetting =
    IntSetting { key: "RateLimitPerIpRequestsPerHour", default: 50, min: 1, max: 1_000_000 };
/// Access requests one source address may make in a day.
pub const RATE_LIMIT_PER_IP_PER_DAY: IntSetting =
    IntSetting { key: "RateLimitPerIpRequestsPerDay", default: 100, min: 1, max: 1_000_000 };
/// Access requests are rate-limited per user (1) or not (0).
pub const RATE_LIMIT_PER_USER_ENABLED: IntSetting =
    IntSetting { key: "RateLimitPerUserEnabled", default: 1, min: 0, max: 1 };
/// Access requests one user may make in a minute.
pub const RATE_LIMIT_PER_USER_PER_MINUTE: IntSetting =
    IntSetting { key: "RateLimitPerUserRequestsPerMinute", default: 10, min: 1, max: 1_000_000 };
/// Access requests one user may make in an hour.
pub const RATE_LIMIT_PER_USER_PER_HOUR: IntSetting =
    IntSetting { key: "RateLimitPerUserRequestsPerHour", default: 50, min: 1, max: 1_000_000 };
/// Access requests one user may make in a day.
pub const RATE_LIMIT_PER_USER_PER_DAY: IntSetting =
    IntSetting { key: "RateLimitPerUserRequestsPerDay", default: 100, min: 1, max: 1_000_000 };

/// Scheduled database backups: 1 makes `ams db backup --scheduled` back up when one is due, 0
/// makes it do nothing (the timer can stay in place).
pub const BACKUP_ENABLED: IntSetting = IntSetting { key: "BackupEnabled", default: 1, min: 0, max: 1 };
/// Hours between scheduled backups; 0 backs up on every `ams db backup --scheduled` run, so the
/// timer alone sets the pace.
pub const BACKUP_INTERVAL_HOURS: IntSetting = IntSetting { key: "BackupIntervalHours", default: 24, min: 0, max: 8760 };
/// Scheduled backups kept in the backup folder (older ones are deleted after each new one).
pub const BACKUP_RETENTION_COUNT: IntSetting =
    IntSetting { key: "BackupRetentionCount", default: 14, min: 1, max: 10_000 };
/// Minutes between JIT group creation delta syncs.
pub const JIT_DELTA_SYNC_INTERVAL_MINUTES: IntSetting =
    IntSetting { key: "JitDeltaSyncIntervalMinutes", default: 1, min: 1, max: 10_080 };
/// Minutes between JIT group creation full syncs.
pub const JIT_FULL_SYNC_INTERVAL_MINUTES: IntSetting =
    IntSetting { key: "JitFullSyncIntervalMinutes", default: 60, min: 1, max: 10_080 };
/// JIT membership removal attempts before a scheduler job is marked failed.
pub const JIT_MAX_REMOVAL_RETRY_ATTEMPTS: IntSetting =
    IntSetting { key: "MaximumJitRemovalRetryAttempts", default: 80, min: 1, max: 100_000 };

/// Every numeric setting.
pub const INT_SETTINGS: &[IntSetting] = &[
    PASSWORD_MAX_AGE_DAYS,
    PASSWORD_HISTORY_KEEP_COUNT,
    PASSWORD_HISTORY_KEEP_DAYS,
    RATE_LIMIT_PER_IP_ENABLED,
    RATE_LIMIT_PER_IP_PER_MINUTE,
    RATE_LIMIT_PER_IP_PER_HOUR,
    RATE_LIMIT_PER_IP_PER_DAY,
    RATE_LIMIT_PER_USER_ENABLED,
    RATE_LIMIT_PER_USER_PER_MINUTE,
    RATE_LIMIT_PER_USER_PER_HOUR,
    RATE_LIMIT_PER_USER_PER_DAY,
    BACKUP_ENABLED,
    BACKUP_INTERVAL_HOURS,
    BACKUP_RETENTION_COUNT,
    JIT_DELTA_SYNC_INTERVAL_MINUTES,
    JIT_FULL_SYNC_INTERVAL_MINUTES,
    JIT_MAX_REMOVAL_RETRY_ATTEMPTS,
];

/// A text setting.
#[derive(Debug, Clone, Copy)]
pub struct TextSetting {
    /// Key in the database and in `Get-AmsServiceConfig` output.
    pub key: &'static str,
    /// Value when unset.
    pub default: &'static str,
    /// Longest allowed value, in characters.
    pub max_len: usize,
}

/// Folder for scheduled backups: empty means `DATA_DIR/backups`; a relative path is relative to
/// the data directory.
pub const BACKUP_FOLDER: TextSetting = TextSetting { key: "BackupFolder", default: "", max_len: 1024 };

/// Every text setting.
pub const TEXT_SETTINGS: &[TextSetting] = &[BACKUP_FOLDER];

impl TextSetting {
    /// Reads the setting (its default when unset or unreadable).
    pub fn get(&self, tx: &(impl ReadTx + ?Sized)) -> Result<String> {
        Ok(tx
            .setting(self.key)?
            .and_then(|v| serde_json::from_str::<String>(&v).ok())
            .filter(|v| self.check(v).is_ok())
            .unwrap_or_else(|| self.default.to_string()))
    }

    /// Checks a value: not too long, no control characters.
    pub fn check<'v>(&self, v: &'v str) -> Result<&'v str> {
        if v.chars().count() <= self.max_len && !v.chars().any(char::is_control) {
            Ok(v)
        } else {
            Err(Error::new(
                ErrorCode::ServiceConfigInvalid,
                format!("{} must be at most {} characters without control characters.", self.key, self.max_len),
            )
            .with("setting", self.key))
        }
    }
}

impl IntSetting {
    /// Reads the setting (its default when unset or unreadable).
    pub fn get(&self, tx: &(impl ReadTx + ?Sized)) -> Result<i64> {
        Ok(tx
            .setting(self.key)?
            .and_then(|v| serde_json::from_str::<i64>(&v).ok())
            .filter(|v| (self.min..=self.max).contains(v))
            .unwrap_or(self.default))
    }

    /// Checks a value against the range.
    pub fn check(&self, v: i64) -> Result<i64> {
        if (self.min..=self.max).contains(&v) {
            Ok(v)
        } else {
            Err(Error::new(
                ErrorCode::ServiceConfigInvalid,
                format!("{} must be between {} and {}.", self.key, self.min, self.max),
            )
            .with("setting", self.key))
        }
    }
}

impl Ams {
    /// Sets a numeric service setting.
    pub fn set_int_setting(&self, s: &IntSetting, value: i64) -> Result<()> {
        let v = s.check(value)?;
        let now = self.now();
        self.store.write(|tx| {
            tx.put_setting(s.key, &v.to_string(), &now)?;
            crate::service::audit::record(
                self,
                tx,
                crate::service::audit::Event::success("service_config.set", "setting", s.key)
                    .details(serde_json::json!({ s.key: v })),
            )
        })
    }

    /// Sets a text service setting.
    pub fn set_text_setting(&self, s: &TextSetting, value: &str) -> Result<()> {
        let v = s.check(value)?;
        let json = serde_json::to_string(v).map_err(|_| Error::internal("Could not serialise a setting."))?;
        let now = self.now();
        self.store.write(|tx| {
            tx.put_setting(s.key, &json, &now)?;
            crate::service::audit::record(
                self,
                tx,
                crate::service::audit::Event::success("service_config.set", "setting", s.key)
                    .details(serde_json::json!({ s.key: v })),
            )
        })
    }
}
