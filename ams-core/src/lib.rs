//! `ams-core`: the library behind the Access Manager Service.
#![forbid(unsafe_code)]

pub mod crypto;
pub mod error;

pub use error::{Error, ErrorCode, ErrorKind, Result};
