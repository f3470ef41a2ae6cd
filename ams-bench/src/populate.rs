//! `ams-populate`: creates an instance with many devices in a data directory, for timing `ams`
//! verbs by hand on either engine. When the directory already holds a `host.toml` that points at
//! SQL Server (`ams host-config set --connection-string -`), the instance is made there.
//!
//! ```sh
//! cargo build --release -p ams-cli -p ams-bench
//! target/release/ams-populate --dir DIR [--devices 10000] [--history 0]
//! time target/release/ams --data-dir DIR local-admin-password get --computer-name PC000042
//! time target/release/ams --data-dir DIR device get > /dev/null
//! ```
//!
//! Devices are named `PC000000`, `PC000001`, ...; the first 100 carry envelopes of their own
//! (`ams_core::fixtures::populate`).

use std::path::PathBuf;
use std::time::Instant;

use ams_core::crypto::envelope::OaepHash;
use ams_core::crypto::seal::KdfParams;
use ams_core::fixtures::{self, Populate};
use ams_core::service::certs::NewCertOptions;
use ams_core::{Ams, OpenOptions};

fn usage() -> ! {
    eprintln!("usage: ams-populate --dir DIR [--devices N] [--history N]");
    std::process::exit(2)
}

fn main() {
    let (mut dir, mut devices, mut history) = (None::<PathBuf>, 10_000usize, 0usize);
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--dir" => dir = it.next().map(PathBuf::from),
            "--devices" => devices = it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            "--history" => history = it.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| usage()),
            _ => usage(),
        }
    }
    let dir = dir.unwrap_or_else(|| usage());
    let opts = OpenOptions::new(&dir);
    let kdf = KdfParams::production().unwrap_or_else(|e| panic!("{e}"));
    let (ams, _) = Ams::init(&opts, b"benchmark recovery passphrase", kdf).unwrap_or_else(|e| panic!("{e}"));
    let keyring = ams.unlock().unwrap_or_else(|e| panic!("{e}"));
    ams.cert_new(
        &keyring,
        &NewCertOptions { subject: "bench".into(), key_bits: 4096, validity_days: 365, activate: true },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let start = Instant::now();
    let p = Populate { devices, history, real_envelopes: 100, oaep: OaepHash::Sha512 };
    let rows = fixtures::populate(&ams, &p).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{{\"Engine\": \"{}\", \"Devices\": {devices}, \"PasswordRows\": {rows}, \"Seconds\": {:.1}}}",
        ams.store().engine_kind(),
        start.elapsed().as_secs_f64()
    );
}
