//! `ams server-diagnostics export`: a ZIP for support, with every secret left out or masked.

use std::path::PathBuf;

use ams_core::Result;
use ams_core::service::diagnostics::export_diagnostics;
use clap::{Args, Subcommand};
use serde_json::Value;

use super::{Ctx, to_json};

#[derive(Debug, Subcommand)]
pub enum ServerDiagnosticsCommand {
    /// Write a ZIP (mode 0600) of versions, host and service configuration with secrets masked, db and key status, certificates (public parts), counts, recent audit records and logs.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The ZIP file to write.
    #[arg(long, value_name = "FILE")]
    pub file: PathBuf,
    /// Replace the file if it exists (otherwise an existing file is never overwritten).
    #[arg(long)]
    pub force: bool,
}

pub fn run(ctx: &Ctx, c: ServerDiagnosticsCommand) -> Result<Value> {
    let opts = ctx.options()?;
    match c {
        ServerDiagnosticsCommand::Export(a) => {
            let versions = [("ams-cli", env!("CARGO_PKG_VERSION"))];
            to_json(&export_diagnostics(&opts, &a.file, a.force, &versions)?)
        }
    }
}
