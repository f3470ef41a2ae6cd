//! Master key: unlock, recovery mode, recovery, rotation, recovery password.

use ams_core::ErrorCode;
use ams_core::service::devices::DeviceSelector;

use crate::fixture::{Fixture, RECOVERY, cheap_kdf, contains};

#[test]
fn missing_key_file_puts_the_instance_in_recovery_mode() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "Canary-recovery-1").unwrap();
    std::fs::remove_file(f.dir.path().join("data/host.key")).unwrap();
    let ams = f.reopen();
    let e = ams.unlock().unwrap_err();
    assert_eq!(e.code(), ErrorCode::RecoveryRequired);
    assert!(e.hint_text().unwrap().contains("ams key recover"));
    let st = ams.key_status().unwrap();
    assert!(st.recovery_mode && !st.host_protector_ok);

    // A wrong password changes nothing.
    let before = f.db_bytes();
    assert_eq!(ams.recover(b"wrong password here").unwrap_err().code(), ErrorCode::WrongRecoveryPassword);
    assert!(!f.dir.path().join("data/host.key").exists());
    assert_eq!(ams.unlock().unwrap_err().code(), ErrorCode::RecoveryRequired);
    assert_eq!(before.len(), f.db_bytes().len());

    let st = ams.recover(RECOVERY).unwrap();
    assert!(st.host_protector_ok && !st.recovery_mode);
    let k = ams.unlock().unwrap();
    let pw = ams.password_current(&k, &DeviceSelector::Id(dev)).unwrap();
    assert_eq!(pw.password, "Canary-recovery-1");
}

#[test]
fn corrupt_or_foreign_key_file_is_recovery_mode_and_is_kept_aside() {
    let f = Fixture::new();
    let other = Fixture::bare();
    std::fs::copy(other.dir.path().join("data/host.key"), f.dir.path().join("data/host.key.other")).unwrap();
    std::fs::remove_file(f.dir.path().join("data/host.key")).unwrap();
    std::fs::rename(f.dir.path().join("data/host.key.other"), f.dir.path().join("data/host.key")).unwrap();
    let ams = f.reopen();
    let e = ams.unlock().unwrap_err();
    assert_eq!(e.code(), ErrorCode::RecoveryRequired);
    assert!(e.message().contains("another instance"), "{}", e.message());
    ams.recover(RECOVERY).unwrap();
    ams.unlock().unwrap();
    let kept = std::fs::read_dir(f.dir.path().join("data"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("host.key.replaced-"))
        .count();
    assert_eq!(kept, 1, "the replaced key file is kept");
}

#[test]
fn rotation_reseals_every_secret_and_keeps_them_readable() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "Canary-rotate-1").unwrap();
    let keys_before = f.ams.reg_keys(&f.keyring, None, None, None).unwrap();
    let old_id = f.keyring.master_key_id();
    let ams = f.reopen();
    let k = ams.unlock().unwrap();
    // The recovery password must be the one in force.
    let k = match ams.rotate_master_key(k, b"not the recovery password", cheap_kdf()) {
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::WrongRecoveryPassword);
            ams.unlock().unwrap()
        }
        Ok(_) => panic!("rotation with a wrong recovery password must fail"),
    };
    assert_eq!(k.master_key_id(), old_id, "a failed rotation changes nothing");
    let k2 = ams.rotate_master_key(k, RECOVERY, cheap_kdf()).unwrap();
    assert_ne!(k2.master_key_id(), old_id);
    // A fresh unlock from the key file finds the new key; every secret opens.
    let ams = f.reopen();
    let k3 = ams.unlock().unwrap();
    assert_eq!(k3.master_key_id(), k2.master_key_id());
    assert_eq!(ams.password_current(&k3, &DeviceSelector::Id(dev)).unwrap().password, "Canary-rotate-1");
    let keys_after = ams.reg_keys(&k3, None, None, None).unwrap();
    assert_eq!(
        keys_before.iter().map(|k| &k.key).collect::<Vec<_>>(),
        keys_after.iter().map(|k| &k.key).collect::<Vec<_>>()
    );
    // Recovery still works with the same password after rotation.
    std::fs::remove_file(f.dir.path().join("data/host.key")).unwrap();
    ams.recover(RECOVERY).unwrap();
    assert_eq!(ams.unlock().unwrap().master_key_id(), k2.master_key_id());
}

#[test]
fn every_sealed_column_is_rotated() {
    // Every BLOB column whose name starts with sealed_ must be a SealedColumn.
    let f = Fixture::bare();
    let conn = rusqlite_conn(&f);
    let mut stmt = conn
        .prepare("SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND p.name LIKE 'sealed%'")
        .unwrap();
    let cols: Vec<(String, String)> =
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
    assert!(!cols.is_empty());
    for (t, c) in cols {
        assert!(
            ams_core::store::SealedColumn::ALL.iter().any(|s| s.table() == t && s.column() == c),
            "{t}.{c} is sealed but not re-sealed on rotation"
        );
    }
}

fn rusqlite_conn(f: &Fixture) -> rusqlite::Connection {
    rusqlite::Connection::open(f.dir.path().join("data/ams.db")).unwrap()
}

#[test]
fn recovery_password_change_invalidates_the_old_one() {
    let f = Fixture::new();
    let weak = f.ams.set_recovery_password(&f.keyring, b"short", cheap_kdf()).unwrap_err();
    assert_eq!(weak.code(), ErrorCode::WeakPassword);
    f.ams.set_recovery_password(&f.keyring, b"a brand new recovery passphrase", cheap_kdf()).unwrap();
    std::fs::remove_file(f.dir.path().join("data/host.key")).unwrap();
    let ams = f.reopen();
    assert_eq!(ams.recover(RECOVERY).unwrap_err().code(), ErrorCode::WrongRecoveryPassword);
    ams.recover(b"a brand new recovery passphrase").unwrap();
}

#[test]
fn init_refuses_an_existing_instance_or_key_file() {
    let f = Fixture::bare();
    let e = ams_core::Ams::init(&f.options(), RECOVERY, cheap_kdf()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::HostKeyExists);
    std::fs::remove_file(f.dir.path().join("data/host.key")).unwrap();
    let e = ams_core::Ams::init(&f.options(), RECOVERY, cheap_kdf()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InstanceExists);
}

#[test]
fn no_plaintext_secret_reaches_the_database_file() {
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "Canary-Zq8-plaintext-search").unwrap();
    let rk = f.ams.reg_key_new(&f.keyring, "canary key", true, 0, false).unwrap();
    let bytes = f.db_bytes();
    assert!(!contains(&bytes, b"Canary-Zq8"));
    assert!(!contains(&bytes, rk.key.as_bytes()), "registration key values are sealed");
    assert!(!contains(&bytes, RECOVERY));
    assert!(!contains(&bytes, b"-----BEGIN"), "no PEM private key");
}
