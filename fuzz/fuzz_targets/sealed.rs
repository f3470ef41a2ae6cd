//! Values sealed under the master key: header parsing and opening never panic.
#![no_main]
use ams_core::crypto::seal::{Binding, MasterKey, SymmetricKey, sealed_key_id};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sealed_key_id(data);
    if let Ok(key) = SymmetricKey::from_slice(&[7u8; 32]) {
        let id = sealed_key_id(data).unwrap_or_default();
        let mk = MasterKey::from_parts(id, key);
        let _ = mk.open(&Binding { table: "t", column: "c", row_id: "r" }, data);
    }
});
