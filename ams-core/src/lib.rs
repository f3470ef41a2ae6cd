//! `ams-core`: the library behind the Access Manager Service.
//!
//! An instance lives in a data directory (host configuration, host key file, SQLite database).
//! Secrets in the database are sealed under a master key that the host key file and a recovery
//! password protect. Services hold the rules; the store holds rows.
//!
//! ```no_run
//! use ams_core::{Ams, OpenOptions, crypto::seal::KdfParams};
//! # fn main() -> ams_core::Result<()> {
//! let opts = OpenOptions::new("/var/lib/ams");
//! let (ams, report) = Ams::init(&opts, b"a long recovery passphrase", KdfParams::production()?)?;
//! let keyring = ams.unlock()?;            // host protector
//! println!("{} {}", report.instance_id, keyring.master_key_id());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::todo, clippy::unimplemented)
)]

pub mod ams;
pub mod authz;
pub mod clock;
pub mod crypto;
pub mod directory;
pub mod error;
#[cfg(feature = "bench")]
pub mod fixtures;
pub mod instance;
pub mod lock;
pub mod notify;
pub mod secret;
pub mod service;
pub mod store;

pub use ams::{Ams, OpenOptions};
pub use error::{Error, ErrorCode, ErrorKind, Result};
