//! `ams`: the Access Manager Service command line. One JSON document out on success (stdout),
//! one JSON error document on failure (stderr), and an exit code from docs/exit-codes.md.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use ams_cli::{cli, commands, output};

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let parsed = match cli::parse(&args) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let format = parsed.output;
    let verb = output::verb_of(&args);
    let streams = commands::streams(&parsed);
    match commands::run_top(parsed, streams) {
        // A batch has already written its NDJSON results, a streamed listing its JSON array.
        Ok(_) if streams => ExitCode::SUCCESS,
        Ok(value) => output::print_success(&value, format, &verb),
        Err(e) => output::print_error(&e, format),
    }
}
