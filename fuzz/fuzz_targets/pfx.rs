//! PFX (PKCS#12) import: never panics, and never runs away on hostile iteration counts.
#![no_main]
use ams_core::crypto::pfx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = pfx::decode(data, "fuzzing password 1");
});
