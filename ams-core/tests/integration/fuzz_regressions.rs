//! Every input kept under `fuzz/regressions/<target>/` runs through the same function as its fuzz
//! target: none may panic (errors are fine).

use std::path::PathBuf;

use ams_core::crypto::envelope::{self, EnvelopeContext, SecretKind};
use ams_core::crypto::pfx;
use ams_core::crypto::seal::{Binding, MasterKey, SymmetricKey, sealed_key_id};

const KEY: &[u8] = include_bytes!("../fixtures/rsa3072.key.der");

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions").join(target);
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .map(|p| {
                    let b = std::fs::read(&p).unwrap();
                    (p, b)
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

#[test]
fn envelope_regressions() {
    let ctx = EnvelopeContext { kind: SecretKind::LapsPassword, device_id: "fuzz-device", subject: None };
    let cases = inputs("envelope");
    assert!(!cases.is_empty());
    for (p, data) in cases {
        let _ = envelope::header(&data);
        assert!(envelope::open(KEY, &data, &ctx).is_err(), "{} opened", p.display());
    }
}

#[test]
fn sealed_regressions() {
    let cases = inputs("sealed");
    assert!(!cases.is_empty());
    for (_, data) in cases {
        let _ = sealed_key_id(&data);
        let mk = MasterKey::from_parts(
            sealed_key_id(&data).unwrap_or_default(),
            SymmetricKey::from_slice(&[7u8; 32]).unwrap(),
        );
        assert!(mk.open(&Binding { table: "t", column: "c", row_id: "r" }, &data).is_err());
    }
}

#[test]
fn pfx_regressions() {
    let cases = inputs("pfx");
    assert!(!cases.is_empty());
    for (p, data) in cases {
        assert!(pfx::decode(&data, "fuzzing password 1").is_err(), "{} decoded", p.display());
    }
}

#[test]
fn backup_regressions() {
    let cases = inputs("backup");
    assert!(!cases.is_empty());
    let dir = tempfile::tempdir().unwrap();
    for (p, data) in cases {
        let path = dir.path().join("input.amsbak");
        std::fs::write(&path, &data).unwrap();
        assert!(ams_core::service::backup::format::read_header(&path).is_err(), "{} parsed", p.display());
    }
}

#[test]
fn csv_import_regressions() {
    let cases = inputs("csv_import");
    assert!(!cases.is_empty());
    let f = crate::fixture::Fixture::bare();
    for (_, data) in cases {
        let opts = ams_core::service::rule_import::ImportOptions::default();
        let _ = f.ams.computer_rule_import_csv(&data, &opts);
    }
}
