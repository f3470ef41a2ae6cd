//! Farm-wide service settings kept in the database, each with a default and a valid range.

use crate::ams::Ams;
use crate::error::{Error, ErrorCode, Result};
use crate::store::Tx;

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
    JIT_DELTA_SYNC_INTERVAL_MINUTES,
    JIT_FULL_SYNC_INTERVAL_MINUTES,
    JIT_MAX_REMOVAL_RETRY_ATTEMPTS,
];

impl IntSetting {
    /// Reads the setting (its default when unset or unreadable).
    pub fn get(&self, tx: &Tx<'_>) -> Result<i64> {
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

    /// Reads a numeric service setting.
    pub fn int_setting(&self, s: &IntSetting) -> Result<i64> {
        self.store.read(|tx| s.get(tx))
    }
}
