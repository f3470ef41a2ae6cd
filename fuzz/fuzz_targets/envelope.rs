//! Agent envelope parsing and opening: never panics, whatever the bytes.
#![no_main]
use ams_core::crypto::envelope::{self, EnvelopeContext, SecretKind};
use libfuzzer_sys::fuzz_target;

const KEY: &[u8] = include_bytes!("../../ams-core/tests/fixtures/rsa3072.key.der");

fuzz_target!(|data: &[u8]| {
    let _ = envelope::header(data);
    let ctx = EnvelopeContext { kind: SecretKind::LapsPassword, device_id: "fuzz-device", subject: None };
    let _ = envelope::open(KEY, data, &ctx);
});
