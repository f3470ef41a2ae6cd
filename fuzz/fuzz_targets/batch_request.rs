//! `ams batch` request lines: JSON, then argv, then the clap parser. Never panics; nothing runs.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for line in text.lines() {
        let Ok(req) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if let Ok((_, argv)) = ams_cli::commands::batch::request_argv(&req, None) {
            let _ = ams_cli::cli::parse_quiet(&argv);
        }
    }
});
