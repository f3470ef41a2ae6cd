//! What the store asks of an engine besides rows: transactions, the per-engine parts of the
//! migration runner, and a whole-database copy. Row operations are the contract traits in
//! [`crate::store::contract`]; this is the connection-level half, private to the crate.

use std::path::Path;

use crate::error::Result;
use crate::store::contract::{ReadTx, WriteTx};
use crate::store::migrate::{AppliedMigration, Migration};

/// An open connection to one database.
///
/// `Send`, so an [`crate::Ams`] handle can move to a worker thread (a server runs the core on
/// blocking threads); not `Sync`: one handle serves one thread at a time.
pub(crate) trait Engine: Send {
    /// Starts a read transaction: a consistent view of the database for its whole length.
    fn begin_read(&self) -> Result<Box<dyn ReadScope + '_>>;

    /// Starts a read transaction for one pass over many rows, each read once (a streamed
    /// listing): like [`Engine::begin_read`], and the engine may keep less of the database in
    /// memory meanwhile, since no page is read twice.
    fn begin_scan(&self) -> Result<Box<dyn ReadScope + '_>>;

    /// Starts a write transaction that writes many rows at once (benchmark fixtures): like
    /// [`Engine::begin_write`], and the engine may hold more of the database in memory meanwhile.
    fn begin_bulk_write(&self) -> Result<Box<dyn WriteScope + '_>>;

    /// Starts a write transaction. Writers queue for up to [`crate::store::WRITE_WAIT`] rather
    /// than fail, and never hit an upgrade deadlock.
    fn begin_write(&self) -> Result<Box<dyn WriteScope + '_>>;

    /// The migrations embedded for this engine, in version order.
    fn migrations(&self) -> &'static [Migration];

    /// The migrations recorded in the database, by version (empty when it has no version table).
    fn applied_migrations(&self) -> Result<Vec<AppliedMigration>>;

    /// Starts the transaction one migration runs in, with the version table created first if it
    /// does not exist. It excludes other migrators until it ends, so several processes may
    /// migrate at once.
    fn begin_migration(&self) -> Result<Box<dyn MigrationScope + '_>>;

    /// A script that applies `pending` (in order) and records each in the version table, for a
    /// DBA to run by hand (`ams db migrate --print-sql`). `now` is written as the time applied.
    fn migration_script(&self, pending: &[Migration], now: &str) -> String;

    /// Writes a consistent copy of the whole database to a new file at `dest` (SQLite:
    /// `VACUUM INTO`). Returns false when the engine cannot: a server database is copied with
    /// the platform's own backups.
    fn copy_to_file(&self, dest: &Path) -> Result<bool>;

    /// Writes one consistent snapshot of the whole database into `dest` (an existing empty file,
    /// 0600) as a backup image: a SQLite database at the same schema version, whatever this
    /// engine is. Other processes go on writing meanwhile. `progress` gets (done, total) in
    /// engine-defined units. `written` gets each block of the image once it is in the file, in
    /// file order from offset 0, and returns a buffer for the next one, when the engine writes
    /// the image's bytes itself (SQLite); an engine that builds the image through SQLite never
    /// calls it, and the caller reads the finished file instead.
    fn copy_into_image(
        &self,
        dest: &Path,
        progress: &mut dyn FnMut(u64, u64),
        written: &mut dyn FnMut(Vec<u8>) -> Vec<u8>,
    ) -> Result<()>;
}

/// A read transaction in progress. Dropping it ends it.
pub(crate) trait ReadScope {
    /// The rows, read-only.
    fn tx(&self) -> &dyn ReadTx;
    /// Ends the transaction.
    fn end(self: Box<Self>) -> Result<()>;
}

/// A write transaction in progress. Dropping it without [`WriteScope::commit`] rolls it back.
pub(crate) trait WriteScope {
    /// The rows, read and write.
    fn tx(&self) -> &dyn WriteTx;
    /// Commits.
    fn commit(self: Box<Self>) -> Result<()>;
}

/// The transaction of one migration. Dropping it without [`MigrationScope::commit`] rolls back.
pub(crate) trait MigrationScope {
    /// The migrations recorded in the database, read inside this transaction.
    fn applied(&self) -> Result<Vec<AppliedMigration>>;
    /// Runs a migration's script and records it in the version table.
    fn apply(&self, m: &Migration, checksum: &str, now: &str) -> Result<()>;
    /// Commits.
    fn commit(self: Box<Self>) -> Result<()>;
}
