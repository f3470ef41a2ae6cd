//! Per-host protectors: several hosts, each with its own data directory and its own host key
//! file, share one database (docs/sql-server.md section 5, ADR 0016). On SQLite always (two data
//! directories whose host.toml names one database file); on SQL Server (two data directories on
//! the database of `AMS_TEST_MSSQL_URL`) when that variable is set.
//!
//! What is checked: a second host joining with `key recover` leaves the first one working; a
//! recovery replaces only the recovering host's own protector; revoking a host puts it in
//! recovery mode and leaves the others working; the refusals (own, last, unknown) are coded and
//! change nothing; after a rotation the other host is told it must recover, and recovers; the
//! audit chain verifies on both hosts.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ams_core::clock::FixedClock;
use ams_core::instance::{HOST_KEY_FILE, HostConfig, create_data_dir};
use ams_core::{Ams, ErrorCode, OpenOptions};

use crate::fixture::{RECOVERY, cheap_kdf};

struct TwoHosts {
    dirs: [PathBuf; 2],
    clock: FixedClock,
    _keep: Box<dyn std::any::Any>,
}

impl TwoHosts {
    fn open(&self, i: usize) -> Ams {
        Ams::open(&OpenOptions::new(&self.dirs[i]).clock(Arc::new(self.clock.clone()))).unwrap()
    }
}

fn two_dirs(database: &str, keep: Box<dyn std::any::Any>, tmp: &Path) -> TwoHosts {
    let clock = FixedClock::new(time::macros::datetime!(2026-03-01 12:00 UTC));
    let dirs = [tmp.join("host-a"), tmp.join("host-b")];
    for d in &dirs {
        create_data_dir(d).unwrap();
        HostConfig { database: database.to_string(), ..HostConfig::default() }.save(d).unwrap();
    }
    let opts = OpenOptions::new(&dirs[0]).clock(Arc::new(clock.clone()));
    Ams::init(&opts, RECOVERY, cheap_kdf()).unwrap();
    TwoHosts { dirs, clock, _keep: keep }
}

fn sqlite_hosts() -> TwoHosts {
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", tmp.path().join("shared.db").display());
    let path = tmp.path().to_path_buf();
    two_dirs(&db, Box::new(tmp), &path)
}

#[cfg(feature = "mssql")]
fn mssql_hosts() -> TwoHosts {
    use ams_core::store::{DbUrl, lock_mssql_for_tests, wipe_mssql_for_tests};
    let cs = std::env::var("AMS_TEST_MSSQL_URL").unwrap();
    let url = DbUrl::parse(&cs, Path::new("/")).unwrap();
    let turn = lock_mssql_for_tests(&url).unwrap();
    wipe_mssql_for_tests(&url).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().to_path_buf();
    two_dirs(&cs, Box::new((tmp, turn)), &path)
}

type Make = fn() -> TwoHosts;

fn engines() -> Vec<(&'static str, Make)> {
    #[allow(unused_mut)]
    let mut list: Vec<(&'static str, Make)> = vec![("sqlite", sqlite_hosts)];
    #[cfg(feature = "mssql")]
    if std::env::var_os("AMS_TEST_MSSQL_URL").is_some() {
        list.push(("mssql", mssql_hosts));
    } else {
        eprintln!("host-protectors: SQL Server skipped (AMS_TEST_MSSQL_URL is not set)");
    }
    list
}

/// The host reads every registration key (each one opens a sealed value) and finds `n`.
fn reads_secrets(ams: &Ams, n: usize) {
    let k = ams.unlock().unwrap();
    let keys = ams.reg_keys(&k, None, None, None).unwrap();
    assert_eq!(keys.len(), n);
    assert!(keys.iter().all(|r| !r.key.is_empty()));
}

fn host_key_id(dir: &Path) -> String {
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.join(HOST_KEY_FILE)).unwrap()).unwrap();
    v["host_key_id"].as_str().unwrap().to_string()
}

fn protector_count(ams: &Ams) -> usize {
    ams.store().read(|tx| tx.protectors(&tx.active_master_key()?.unwrap().id)).unwrap().len()
}

#[test]
fn each_host_has_its_own_protector_through_recovery_revocation_and_rotation() {
    for (engine, make) in engines() {
        eprintln!("host-protectors: on {engine}");
        let h = make();
        let (a, b) = (h.open(0), h.open(1));
        let ka = a.unlock().unwrap();
        a.reg_key_new(&ka, "first", true, 0, false).unwrap();
        let a_id = host_key_id(&h.dirs[0]);

        // B joins: it has no host key file, so it is in recovery mode until `key recover`.
        assert_eq!(b.unlock().unwrap_err().code(), ErrorCode::RecoveryRequired);
        let st = b.recover(RECOVERY).unwrap();
        assert!(st.host_protector_ok && !st.recovery_mode, "{engine}");
        let b_id = host_key_id(&h.dirs[1]);
        assert_ne!(a_id, b_id, "each host has its own key");
        reads_secrets(&b, 1);
        // A keeps working (a fresh handle too: nothing is cached).
        reads_secrets(&a, 1);
        reads_secrets(&h.open(0), 1);
        let st = a.key_status().unwrap();
        assert!(!st.recovery_mode);
        assert_eq!(st.this_host_key_id.as_deref(), Some(a_id.as_str()));
        assert_eq!(st.host_protectors.len(), 2, "{:?}", st.host_protectors);
        let mine: Vec<_> = st.host_protectors.iter().filter(|p| p.this_host).collect();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].host_key_id, a_id);
        let theirs = st.host_protectors.iter().find(|p| !p.this_host).unwrap();
        assert_eq!(theirs.host_key_id, b_id);
        assert_eq!(theirs.host_name, ams_core::instance::host_name(), "the host name is recorded");
        assert!(!theirs.awaiting_recovery);

        // B recovers again (a new key for B): its own protector is replaced, A's is kept.
        b.recover(RECOVERY).unwrap();
        let b_id2 = host_key_id(&h.dirs[1]);
        assert_ne!(b_id, b_id2);
        assert_eq!(protector_count(&a), 3, "two host protectors and the recovery protector");
        reads_secrets(&a, 1);
        reads_secrets(&b, 1);

        // Refusals are coded and change nothing.
        let before = protector_count(&a);
        assert_eq!(a.remove_host_protector(&a_id).unwrap_err().code(), ErrorCode::OwnHostProtector);
        assert_eq!(a.remove_host_protector("no-such-key").unwrap_err().code(), ErrorCode::HostProtectorNotFound);
        assert_eq!(a.remove_host_protector(&b_id).unwrap_err().code(), ErrorCode::HostProtectorNotFound, "replaced");
        assert_eq!(protector_count(&a), before);

        // A revokes B: B is in recovery mode, A keeps working.
        let removed = a.remove_host_protector(&b_id2).unwrap();
        assert_eq!(removed.host_key_id, b_id2);
        assert!(!removed.this_host);
        let e = h.open(1).unlock().unwrap_err();
        assert_eq!(e.code(), ErrorCode::RecoveryRequired);
        assert_eq!(e.context().get("reason").map(String::as_str), Some("mismatch"));
        reads_secrets(&a, 1);
        assert_eq!(a.key_status().unwrap().host_protectors.len(), 1);
        // B may not revoke the last host protector (A's).
        assert_eq!(b.remove_host_protector(&a_id).unwrap_err().code(), ErrorCode::LastHostProtector);
        reads_secrets(&a, 1);

        // B comes back, then A rotates: B's protector waits for recovery, B is told so.
        b.recover(RECOVERY).unwrap();
        reads_secrets(&b, 1);
        let ka = a.unlock().unwrap();
        let ka = a.rotate_master_key(ka, RECOVERY, cheap_kdf()).unwrap();
        a.reg_key_new(&ka, "second", true, 0, false).unwrap();
        reads_secrets(&a, 2);
        let e = h.open(1).unlock().unwrap_err();
        assert_eq!(e.code(), ErrorCode::RecoveryRequired);
        assert_eq!(e.context().get("reason").map(String::as_str), Some("rotated"), "{}", e.message());
        assert!(e.message().contains("rotated on another host"), "{}", e.message());
        let st = a.key_status().unwrap();
        let waiting: Vec<_> = st.host_protectors.iter().filter(|p| p.awaiting_recovery).collect();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].host_key_id, host_key_id(&h.dirs[1]));
        let st = b.key_status().unwrap();
        assert!(st.recovery_mode);
        assert!(st.host_protectors.iter().any(|p| p.this_host && p.awaiting_recovery));
        // Its recovery replaces the waiting row.
        b.recover(RECOVERY).unwrap();
        reads_secrets(&b, 2);
        reads_secrets(&a, 2);
        let st = a.key_status().unwrap();
        assert_eq!(st.host_protectors.len(), 2);
        assert!(st.host_protectors.iter().all(|p| !p.awaiting_recovery));

        // Every step is in one chain, seen alike from both hosts.
        let (va, vb) = (a.audit_verify(None).unwrap(), b.audit_verify(None).unwrap());
        assert_eq!((va.head, va.records), (vb.head, vb.records));
        let events: Vec<String> =
            a.store().read(|tx| Ok(tx.audit(None, 1000)?.into_iter().map(|r| r.event).collect())).unwrap();
        assert!(events.iter().any(|e| e == "key.host_protector.remove"), "{events:?}");
    }
}

/// Hosts set up before per-host protectors were given a copy of the first host's key file: a
/// recovery on one of them must not take the shared protector away from the others.
#[test]
fn a_recovery_keeps_a_shared_protector_that_still_opens() {
    for (engine, make) in engines() {
        eprintln!("host-protectors: shared key on {engine}");
        let h = make();
        let a = h.open(0);
        let ka = a.unlock().unwrap();
        a.reg_key_new(&ka, "first", true, 0, false).unwrap();
        // Make A's protector look like one from before host names were recorded, then give B a
        // copy of A's key file.
        let mk = a.store().read(|tx| Ok(tx.active_master_key()?.unwrap().id)).unwrap();
        let rows = a.store().read(|tx| tx.protectors(&mk)).unwrap();
        let host = rows.iter().find(|p| p.kind == "host").unwrap().clone();
        let a_id = host_key_id(&h.dirs[0]);
        a.store()
            .write(|tx| {
                tx.delete_protector(&host.id)?;
                tx.insert_protector(&ams_core::store::ProtectorRow {
                    params: serde_json::json!({ "host_key_id": a_id }).to_string(),
                    ..host.clone()
                })
            })
            .unwrap();
        std::fs::copy(h.dirs[0].join(HOST_KEY_FILE), h.dirs[1].join(HOST_KEY_FILE)).unwrap();
        let b = h.open(1);
        reads_secrets(&b, 1);
        b.recover(RECOVERY).unwrap();
        reads_secrets(&b, 1);
        reads_secrets(&a, 1);
        let st = a.key_status().unwrap();
        assert_eq!(st.host_protectors.len(), 2, "the shared protector is kept");
        assert!(st.host_protectors.iter().any(|p| p.this_host && p.host_name.is_none()));
    }
}
