//! How a process holds an instance: an advisory lock on `DATA_DIR/ams.lock`.
//!
//! Every process that opens an instance ([`crate::Ams::open`], `ams init`, backups) keeps a
//! *shared* lock on the lock file for as long as it has the instance open. `ams db restore` needs
//! the *exclusive* lock: it gets it only when no other process has the instance open, and while it
//! holds it no process can open the instance, so nobody sees the database file being swapped.
//! The operating system drops the lock when a process exits, crashed or not, so a lock is never
//! stale. The lock file itself is empty and never deleted. See docs/backup-and-restore.md.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorCode, Result};

/// File name of the lock file in the data directory.
pub const LOCK_FILE: &str = "ams.lock";

/// How long opening an instance waits for a running restore to finish.
pub const SHARED_WAIT: Duration = crate::store::WRITE_WAIT;

/// How long a restore waits for other processes to let go of the instance.
pub const EXCLUSIVE_WAIT: Duration = Duration::from_secs(3);

const POLL: Duration = Duration::from_millis(20);

/// A held lock on an instance; dropping it releases the lock.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    exclusive: bool,
}

/// Why a lock could not be taken.
enum Outcome {
    Held(InstanceLock),
    Busy,
    NoLockFile,
}

impl InstanceLock {
    /// True for the lock a restore holds.
    pub fn is_exclusive(&self) -> bool {
        self.exclusive
    }

    /// Takes a shared lock, waiting up to [`SHARED_WAIT`] while a restore holds the exclusive one.
    /// Returns `None` when the lock file cannot be created (a read-only data directory): such a
    /// process goes on unlocked, as it cannot write the database either.
    pub fn shared(data_dir: &Path) -> Result<Option<InstanceLock>> {
        match take(data_dir, false, SHARED_WAIT)? {
            Outcome::Held(l) => Ok(Some(l)),
            Outcome::NoLockFile => Ok(None),
            Outcome::Busy => Err(Error::new(
                ErrorCode::InstanceBusy,
                "A restore of this instance is running; the instance cannot be opened until it ends.",
            )
            .hint("Wait for `ams db restore` to finish, then run the command again.")
            .with("lock_file", lock_path(data_dir).display())),
        }
    }

    /// Takes the exclusive lock, waiting up to `wait` for other processes to let go. `Ok(None)`
    /// means another process still holds the instance.
    pub fn exclusive(data_dir: &Path, wait: Duration) -> Result<Option<InstanceLock>> {
        match take(data_dir, true, wait)? {
            Outcome::Held(l) => Ok(Some(l)),
            Outcome::Busy => Ok(None),
            Outcome::NoLockFile => {
                Err(Error::new(ErrorCode::FileIo, "The instance lock file cannot be created in the data directory.")
                    .hint("Run the restore as the user that owns the data directory.")
                    .with("path", lock_path(data_dir).display()))
            }
        }
    }
}

/// The lock file's path.
pub fn lock_path(data_dir: &Path) -> PathBuf {
    data_dir.join(LOCK_FILE)
}

fn take(data_dir: &Path, exclusive: bool, wait: Duration) -> Result<Outcome> {
    let path = lock_path(data_dir);
    let mut opts = OpenOptions::new();
    opts.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let file = match opts.open(&path) {
        Ok(f) => f,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem) => {
            return Ok(Outcome::NoLockFile);
        }
        Err(e) => return Err(Error::from(e).with("path", path.display())),
    };
    let start = Instant::now();
    loop {
        // Called through the trait: std's own `File::try_lock*` is newer than our minimum Rust.
        let r = if exclusive { fs4::FileExt::try_lock(&file) } else { fs4::FileExt::try_lock_shared(&file) };
        match r {
            Ok(()) => return Ok(Outcome::Held(InstanceLock { _file: file, exclusive })),
            Err(fs4::TryLockError::WouldBlock) => {
                if start.elapsed() >= wait {
                    return Ok(Outcome::Busy);
                }
                std::thread::sleep(POLL);
            }
            Err(fs4::TryLockError::Error(e)) => return Err(Error::from(e).with("path", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_locks_coexist_and_exclude_the_exclusive_one() {
        let d = tempfile::tempdir().unwrap();
        let a = InstanceLock::shared(d.path()).unwrap().unwrap();
        let b = InstanceLock::shared(d.path()).unwrap().unwrap();
        assert!(!a.is_exclusive());
        assert!(InstanceLock::exclusive(d.path(), Duration::ZERO).unwrap().is_none());
        drop((a, b));
        let x = InstanceLock::exclusive(d.path(), Duration::ZERO).unwrap().unwrap();
        assert!(x.is_exclusive());
        assert!(InstanceLock::exclusive(d.path(), Duration::from_millis(50)).unwrap().is_none());
    }
}
