//! Authorization-rule CSV import (dry run): never panics, whatever the bytes.
#![no_main]
use ams_core::crypto::seal::KdfParams;
use ams_core::service::rule_import::ImportOptions;
use ams_core::{Ams, OpenOptions};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static AMS: Option<Ams> = {
        let dir = std::env::temp_dir().join(format!("ams-fuzz-csv-{}", std::process::id()));
        KdfParams::with_cost(64, 1, 1)
            .ok()
            .and_then(|kdf| Ams::init(&OpenOptions::new(dir), b"fuzzing recovery passphrase", kdf).ok())
            .map(|(a, _)| a)
    };
}

fuzz_target!(|data: &[u8]| {
    AMS.with(|ams| {
        if let Some(ams) = ams {
            let _ = ams.computer_rule_import_csv(data, &ImportOptions::default());
        }
    });
});
