//! The store contract for configuration: removing service settings and row counts for diagnostics.

use crate::error::Result;

/// Reads: configuration.
pub trait ConfigRead {
    /// Row counts of every table of the schema (names from `sqlite_master`, never from input).
    fn table_counts(&self) -> Result<Vec<(String, i64)>>;
}

/// Changes: configuration.
pub trait ConfigWrite: ConfigRead {
    /// Removes a service setting, so its default applies again. Returns whether a row was removed.
    fn delete_setting(&self, key: &str) -> Result<bool>;
}
