//! The `ams` command line as a library: the binary (`src/main.rs`) is a thin shell over it, and
//! fuzz targets and tests reach the argument and request parsers through it.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

pub mod cli;
pub mod cmdlets;
pub mod commands;
pub mod output;
pub mod progress;
pub mod secret;
