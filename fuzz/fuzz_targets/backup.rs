//! Backup files: parsing either layout (format 1: header first; formats 2 and 3: image first,
//! header and footer after it, and the image's own SQLite header checked before SQLite may open the
//! file in place), manifest, the digest its format states, and checksum never panics, whatever the
//! bytes.
#![no_main]
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let dir = DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("ams-fuzz-backup-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&d);
        d
    });
    let path = dir.join("input.amsbak");
    if std::fs::write(&path, data).is_ok() {
        let _ = ams_core::service::backup::format::read_header(&path);
    }
});
