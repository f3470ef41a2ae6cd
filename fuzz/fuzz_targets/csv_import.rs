//! Authorization-rule CSV import (dry run): never panics, whatever the bytes.
#![no_main]
use std::sync::OnceLock;

use ams_core::crypto::seal::KdfParams;
use ams_core::service::rule_import::ImportOptions;
use ams_core::{Ams, OpenOptions};
use libfuzzer_sys::fuzz_target;

static AMS: OnceLock<Option<Ams>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let ams = AMS.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ams-fuzz-csv-{}", std::process::id()));
        let kdf = KdfParams::with_cost(64, 1, 1).ok()?;
        Ams::init(&OpenOptions::new(dir), b"fuzzing recovery passphrase", kdf).ok().map(|(a, _)| a)
    });
    if let Some(ams) = ams {
        let _ = ams.computer_rule_import_csv(data, &ImportOptions::default());
    }
});
