//! One module per noun. Each verb turns validated arguments into a core call and returns JSON.

pub mod audit;
pub mod db;
pub mod instance;
pub mod key;
pub mod meta;

use std::path::PathBuf;

use ams_core::{Ams, OpenOptions, Result};
use serde_json::Value;

use crate::cli::{Command, Parsed};

/// What every verb gets: where the instance is.
pub struct Ctx {
    pub data_dir: Option<PathBuf>,
}

impl Ctx {
    /// Options for the instance's data directory.
    pub fn options(&self) -> Result<OpenOptions> {
        let dir = ams_core::instance::resolve_data_dir(self.data_dir.as_deref())?;
        Ok(OpenOptions::new(dir))
    }

    /// Opens the instance (schema must be current).
    pub fn open(&self) -> Result<Ams> {
        Ams::open(&self.options()?)
    }
}

/// Serialises a result for output.
pub fn to_json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|_| ams_core::Error::internal("Could not serialise the result."))
}

/// Runs a parsed command.
pub fn run(p: Parsed) -> Result<Value> {
    let ctx = Ctx { data_dir: p.data_dir };
    match p.command {
        Command::Init(a) => instance::init(&ctx, a),
        Command::Db(c) => db::run(&ctx, c),
        Command::Key(c) => key::run(&ctx, c),
        Command::Audit(c) => audit::run(&ctx, c),
        Command::Commands(a) => meta::commands(a),
    }
}
