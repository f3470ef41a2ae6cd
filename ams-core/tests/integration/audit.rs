//! The audit trail: filters, the hash chain and tamper detection.

use ams_core::ErrorCode;
use ams_core::service::audit::AuditQuery;

use crate::fixture::Fixture;

fn all<'a>() -> AuditQuery<'a> {
    AuditQuery { limit: 10_000, ..Default::default() }
}

#[test]
fn filters_by_time_target_actor_and_event() {
    let f = Fixture::new();
    let d1 = f.device("pc1");
    f.clock.advance(time::Duration::hours(2));
    let g = f.ams.group_new("g", None).unwrap();
    f.upload_password(&d1, "Canary-audit").unwrap();
    let by_target = f.ams.audit_query(&AuditQuery { target_id: Some(&d1), ..all() }).unwrap();
    assert!(by_target.iter().all(|r| r.target_id.as_deref() == Some(d1.as_str())));
    assert!(by_target.iter().any(|r| r.event == "password.upload"));
    let groups = f.ams.audit_query(&AuditQuery { event: Some("group"), ..all() }).unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].target_id.as_deref(), Some(g.id.as_str()));
    let late = f.ams.audit_query(&AuditQuery { since: Some("2026-03-01T13:00:00Z"), ..all() }).unwrap();
    assert!(late.iter().all(|r| r.time.as_str() >= "2026-03-01T13:00:00"));
    assert!(late.iter().any(|r| r.event == "group.new"));
    assert!(!late.iter().any(|r| r.event == "instance.init"));
    let early = f.ams.audit_query(&AuditQuery { until: Some("2026-03-01T13:00:00+00:00"), ..all() }).unwrap();
    assert!(early.iter().any(|r| r.event == "instance.init"));
    let actor = f.ams.audit_records(None, 1).unwrap()[0].actor.clone();
    assert_eq!(
        f.ams.audit_query(&AuditQuery { actor: Some(&actor), ..all() }).unwrap().len(),
        f.ams.audit_query(&all()).unwrap().len()
    );
    assert!(f.ams.audit_query(&AuditQuery { actor: Some("local:nobody"), ..all() }).unwrap().is_empty());
    assert_eq!(
        f.ams.audit_query(&AuditQuery { since: Some("yesterday"), ..all() }).unwrap_err().code(),
        ErrorCode::InvalidRequest
    );
}

fn conn(f: &Fixture) -> rusqlite::Connection {
    let c = rusqlite::Connection::open(f.dir.path().join("data/ams.db")).unwrap();
    // A determined attacker with write access drops the append-only triggers first.
    c.execute_batch("DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;").unwrap();
    c
}

fn trail(n: usize) -> Fixture {
    let f = Fixture::new();
    for i in 0..n {
        f.ams.group_new(&format!("g{i}"), None).unwrap();
    }
    f
}

#[test]
fn an_intact_chain_verifies_and_reports_its_head() {
    let f = trail(5);
    let v = f.ams.audit_verify(None).unwrap();
    assert!(v.records >= 6);
    assert_eq!(f.ams.audit_verify(Some(&v.head)).unwrap().records, v.records);
}

#[test]
fn a_changed_record_is_named() {
    let f = trail(5);
    conn(&f).execute("UPDATE audit_log SET actor = 'local:mallory' WHERE seq = 4", []).unwrap();
    let e = f.ams.audit_verify(None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuditChainBroken);
    assert_eq!(e.context().get("seq").map(String::as_str), Some("4"));
    assert!(e.message().contains("changed"));
}

#[test]
fn a_deleted_record_is_named() {
    let f = trail(5);
    conn(&f).execute("DELETE FROM audit_log WHERE seq = 3", []).unwrap();
    let e = f.ams.audit_verify(None).unwrap_err();
    assert_eq!(e.context().get("seq").map(String::as_str), Some("4"), "the record after the gap");
    assert!(e.message().contains("deleted"));
}

#[test]
fn reordered_records_are_named() {
    let f = trail(5);
    let c = conn(&f);
    // Swap the contents of records 3 and 4 (keeping their hashes consistent with themselves).
    c.execute_batch(
        "UPDATE audit_log SET seq = -3 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = 4; UPDATE audit_log SET seq = 4 WHERE seq = -3;",
    )
    .unwrap();
    let e = f.ams.audit_verify(None).unwrap_err();
    assert_eq!(e.code(), ErrorCode::AuditChainBroken);
    assert_eq!(e.context().get("seq").map(String::as_str), Some("3"));
}

#[test]
fn a_cut_off_tail_is_caught_with_a_saved_head() {
    let f = trail(5);
    let head = f.ams.audit_verify(None).unwrap().head;
    let max: i64 = conn(&f).query_row("SELECT MAX(seq) FROM audit_log", [], |r| r.get(0)).unwrap();
    conn(&f).execute("DELETE FROM audit_log WHERE seq = ?1", [max]).unwrap();
    f.ams.audit_verify(None).unwrap();
    assert_eq!(f.ams.audit_verify(Some(&head)).unwrap_err().code(), ErrorCode::AuditChainBroken);
}

#[test]
fn the_database_refuses_to_change_or_delete_audit_records() {
    let f = trail(1);
    let c = rusqlite::Connection::open(f.dir.path().join("data/ams.db")).unwrap();
    let e = c.execute("UPDATE audit_log SET actor = 'x' WHERE seq = 1", []).unwrap_err();
    assert!(e.to_string().contains("cannot be changed"), "{e}");
    let e = c.execute("DELETE FROM audit_log", []).unwrap_err();
    assert!(e.to_string().contains("cannot be deleted"), "{e}");
    f.ams.audit_verify(None).unwrap();
}
