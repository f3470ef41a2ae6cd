//! The store contract suite: one set of checks that every engine must pass, written against
//! [`Store`] and the contract traits only. It runs on SQLite always (a new database file per
//! check) and on SQL Server when the build has it and `AMS_TEST_MSSQL_URL` is set.
//!
//! What it pins: rows come back exactly as written (text, NULLs, blobs, microsecond times);
//! lookups, filters and orderings; case-insensitive names; uniqueness and reference failures as
//! `AMS-DB-0007` with the engine's [`Violation`]; cascades; upserts; rollback when the closure
//! fails; and the migration state of a new database.

use ams_core::ErrorCode;
use ams_core::error::Violation;
use ams_core::store::migrate;
use ams_core::store::*;

/// A migrated, empty database and whatever keeps it alive.
pub struct Db {
    pub store: Store,
    _keep: Box<dyn std::any::Any>,
}

fn sqlite() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&DbUrl::Sqlite(dir.path().join("contract.db")), true).unwrap();
    migrate::migrate(&store, &t(0)).unwrap();
    Db { store, _keep: Box::new(dir) }
}

/// The SQL Server database named by `AMS_TEST_MSSQL_URL` (an ADO.NET connection string),
/// emptied and migrated. The checks share it, so they take turns: a lock inside this process
/// (cargo test runs checks on threads) and the server's test lock across processes (nextest
/// runs each check in its own).
#[cfg(feature = "mssql")]
fn mssql() -> Db {
    static TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let cs = std::env::var("AMS_TEST_MSSQL_URL").unwrap();
    let url = DbUrl::parse(&cs, std::path::Path::new("/")).unwrap();
    assert_eq!(url.engine(), EngineKind::Mssql, "AMS_TEST_MSSQL_URL must be a SQL Server connection string");
    let server_turn = lock_mssql_for_tests(&url).unwrap();
    wipe_mssql_for_tests(&url).unwrap();
    let store = Store::open(&url, true).unwrap();
    migrate::migrate(&store, &t(0)).unwrap();
    // Dropped in field order: the store's connection closes before the turns end.
    Db { store, _keep: Box::new((server_turn, turn)) }
}

/// Makes a migrated, empty database on one engine.
type MakeDb = fn() -> Db;

/// The engines this run checks, by name: SQLite always, SQL Server when the build has it and
/// `AMS_TEST_MSSQL_URL` is set.
fn engines() -> Vec<(&'static str, MakeDb)> {
    #[allow(unused_mut)]
    let mut list: Vec<(&'static str, MakeDb)> = vec![("sqlite", sqlite)];
    #[cfg(feature = "mssql")]
    if std::env::var_os("AMS_TEST_MSSQL_URL").is_some() {
        list.push(("mssql", mssql));
    } else {
        eprintln!("store contract: SQL Server skipped (AMS_TEST_MSSQL_URL is not set)");
    }
    list
}

macro_rules! contract {
    ($($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                for (engine, make) in engines() {
                    eprintln!("store contract: {} on {engine}", stringify!($check));
                    let db = make();
                    checks::$check(&db.store);
                }
            }
        )*
    };
}

contract!(
    a_new_database_is_migrated_and_empty,
    instance_master_keys_and_protectors,
    settings_are_upserted_and_removed,
    audit_records_keep_their_order_and_filters,
    one_active_certificate,
    devices_round_trip_and_are_found_by_name,
    device_pages_walk_the_listing_in_order,
    groups_members_and_key_groups,
    registration_keys,
    passwords_one_current_and_history,
    bitlocker_keys_are_replaced_by_key_id,
    secrets_by_certificate,
    authorization_rules_and_principals,
    rate_limit_events,
    jit_directory_rules_and_jobs,
    sealed_columns_are_read_and_replaced,
    a_failed_write_changes_nothing,
    agent_policies_targets_word_lists_and_marks,
    keyed_lookups_instance_secrets_and_row_macs,
    approval_requirements_and_requests_move_only_by_conditional_updates,
    notification_channels_queue_and_claims,
);

/// A fixed-width RFC 3339 UTC time with microseconds, `n` microseconds after a base.
pub fn t(n: u32) -> String {
    format!("2026-01-01T00:00:{:02}.{:06}Z", n / 1_000_000, n % 1_000_000)
}

mod checks {
    use super::*;

    fn violation(e: ams_core::Error) -> Option<Violation> {
        assert_eq!(e.code(), ErrorCode::DbConstraint, "{e:?}");
        e.violation()
    }

    fn unique(r: ams_core::Result<()>) {
        assert_eq!(violation(r.unwrap_err()), Some(Violation::Unique));
    }

    pub fn device(id: &str, name: &str) -> DeviceRow {
        DeviceRow {
            id: id.into(),
            name: name.into(),
            dns_name: Some(format!("{name}.example.test")),
            authority_type: "Ams".into(),
            authority_id: "inst-1".into(),
            authority_device_id: id.into(),
            sid: format!("S-1-4096-{id}"),
            os_type: "Windows".into(),
            os_family: Some("Windows".into()),
            os_version: None,
            agent_version: Some("1.0".into()),
            approval_state: "Approved".into(),
            disabled: false,
            registration_key_id: None,
            credential_hash: Some("ab".repeat(32)),
            created_at: t(1),
            modified_at: t(2),
        }
    }

    pub fn password(id: &str, device_id: &str, created: u32, retired: Option<u32>) -> PasswordRow {
        PasswordRow {
            id: id.into(),
            device_id: device_id.into(),
            account_name: "Administrator".into(),
            blob: (0..=255u8).cycle().take(700).collect(),
            cert_thumbprint: "T1".into(),
            created_at: t(created),
            expires_at: Some(t(9_000_000)),
            retired_at: retired.map(t),
            row_mac: Some("k1:test".into()),
        }
    }

    fn cert(thumbprint: &str, created: u32) -> CertRow {
        CertRow {
            thumbprint: thumbprint.into(),
            subject: "CN=ams".into(),
            not_before: t(0),
            not_after: t(50_000_000),
            key_bits: 3072,
            state: "retained".into(),
            der: vec![0x30, 0x82, 0, 1, 2, 3],
            sealed_private_key: Some(vec![9; 40]),
            source: "generated".into(),
            created_at: t(created),
            activated_at: None,
        }
    }

    fn group(id: &str, name: &str) -> GroupRow {
        GroupRow {
            id: id.into(),
            name: name.into(),
            sid: format!("S-1-4096-G-{id}"),
            description: String::new(),
            created_at: t(1),
            modified_at: t(1),
        }
    }

    fn reg_key(id: &str, name: &str) -> RegKeyRow {
        RegKeyRow {
            id: id.into(),
            name: name.into(),
            key_hash: format!("hash-{id}"),
            sealed_key: vec![1, 2, 3],
            activation_limit: 5,
            activation_count: 0,
            enabled: true,
            approval_required: false,
            created_at: t(1),
            modified_at: t(1),
        }
    }

    fn audit(id: &str, at: u32, target: Option<&str>, actor: &str, event: &str) -> AuditRow {
        AuditRow {
            seq: 0,
            id: id.into(),
            at: t(at),
            actor: actor.into(),
            event: event.into(),
            outcome: "success".into(),
            target_type: target.map(|_| "device".into()),
            target_id: target.map(Into::into),
            details: "{}".into(),
            prev_hash: format!("prev-{id}"),
            hash: format!("hash-{id}"),
        }
    }

    fn computer_rule(id: &str, target_id: &str) -> ComputerRuleRow {
        ComputerRuleRow {
            id: id.into(),
            target_type: "AdComputer".into(),
            target_id: target_id.into(),
            target_authority_id: None,
            target_name: Some("PC1".into()),
            authorization_mode: "SecurityDescriptor".into(),
            script: None,
            script_path: None,
            laps_default_seconds: Some(3600),
            laps_max_seconds: Some(7200),
            laps_allow_extension: true,
            jit_group_name: None,
            jit_default_seconds: None,
            jit_max_seconds: None,
            jit_allow_extension: false,
            do_not_use_remote_dc_locator: false,
            site_name: None,
            domain_controller_name: None,
            description: "d".into(),
            notes: String::new(),
            rule_expiry: None,
            disabled: false,
            reason_requirement: "Optional".into(),
            notify_success: "[]".into(),
            notify_failure: "[]".into(),
            created_at: t(1),
            created_by: "local:test".into(),
            modified_at: t(1),
            modified_by: "local:test".into(),
        }
    }

    fn role_rule(id: &str, name: &str) -> RoleRuleRow {
        RoleRuleRow {
            id: id.into(),
            name: name.into(),
            description: String::new(),
            group_name: "CN=Admins".into(),
            default_seconds: None,
            max_seconds: 3600,
            allow_extension: false,
            site_name: None,
            domain_controller_name: Some("dc1".into()),
            notes: "n".into(),
            rule_expiry: Some(t(99)),
            disabled: true,
            reason_requirement: "Required".into(),
            notify_success: "[]".into(),
            notify_failure: "[\"x\"]".into(),
            created_at: t(1),
            created_by: "a".into(),
            modified_at: t(2),
            modified_by: "b".into(),
        }
    }

    fn principal(rule_id: &str, access: &str, ace: &str, sid: &str) -> RulePrincipalRow {
        RulePrincipalRow {
            rule_id: rule_id.into(),
            access_type: access.into(),
            ace: ace.into(),
            sid: sid.into(),
            display_name: None,
            added_at: t(3),
        }
    }

    fn job(id: &str, due: u32, state: &str) -> JitJobRow {
        JitJobRow {
            id: id.into(),
            job_type: "ActiveDirectoryGroupRemoval".into(),
            user_sid: "S-1-5-21-1".into(),
            member_dn: "CN=u".into(),
            group_dn: "CN=g".into(),
            group_name: "g".into(),
            device_id: None,
            computer_name: Some("PC1".into()),
            rule_id: None,
            due_at: t(due),
            attempts: 0,
            last_attempt_at: None,
            last_error: None,
            state: state.into(),
            created_at: t(1),
            completed_at: None,
        }
    }

    pub fn a_new_database_is_migrated_and_empty(s: &Store) {
        let st = migrate::status(s).unwrap();
        assert_eq!(st.schema_version, migrate::target_version());
        assert!(st.pending.is_empty());
        let counts = s.read(|tx| tx.table_counts()).unwrap();
        let names: Vec<&str> = counts.iter().map(|(n, _)| n.as_str()).collect();
        let expected = [
            "audit_log",
            "bitlocker_keys",
            "certificates",
            "agent_policies",
            "access_requests",
            "agent_policy_targets",
            "computer_authorization_rules",
            "computer_rule_principals",
            "device_rotation_marks",
            "device_group_members",
            "device_groups",
            "device_passwords",
            "devices",
            "instance",
            "jit_directory",
            "jit_group_creation_rules",
            "jit_scheduler_jobs",
            "key_protectors",
            "master_keys",
            "rate_limit_events",
            "registration_key_groups",
            "registration_keys",
            "role_authorization_rules",
            "role_rule_principals",
            "rule_approval_policies",
            "schema_migrations",
            "service_settings",
            "word_list_words",
            "word_lists",
        ];
        for e in expected {
            assert!(names.contains(&e), "table_counts lacks {e}: {names:?}");
        }
        assert!(names.windows(2).all(|w| w[0] < w[1]), "table_counts is ordered by name: {names:?}");
        for (n, c) in &counts {
            let applied = i64::try_from(migrate::SQLITE_MIGRATIONS.len()).unwrap();
            // V0008 seeds the three default agent policies (Windows, Linux, macOS).
            let want = match n.as_str() {
                "schema_migrations" => applied,
                "agent_policies" => 3,
                _ => 0,
            };
            assert_eq!(*c, want, "{n}");
        }
        assert!(s.read(|tx| tx.instance()).unwrap().is_none());
    }

    pub fn instance_master_keys_and_protectors(s: &Store) {
        let inst = InstanceRow { id: "11111111-2222-4333-8444-555555555555".into(), created_at: t(7) };
        s.write(|tx| tx.insert_instance(&inst)).unwrap();
        assert_eq!(s.read(|tx| tx.instance()).unwrap(), Some(inst));
        let old =
            MasterKeyRow { id: "mk-old".into(), state: "retired".into(), created_at: t(1), retired_at: Some(t(2)) };
        let new = MasterKeyRow { id: "mk-new".into(), state: "active".into(), created_at: t(3), retired_at: None };
        s.write(|tx| {
            tx.insert_master_key(&old)?;
            tx.insert_master_key(&new)
        })
        .unwrap();
        unique(s.write(|tx| {
            tx.insert_master_key(&MasterKeyRow { id: "mk-2".into(), state: "active".into(), ..new.clone() })
        }));
        assert_eq!(s.read(|tx| tx.active_master_key()).unwrap(), Some(new.clone()));
        assert_eq!(s.read(|tx| tx.master_keys()).unwrap(), vec![new.clone(), old.clone()], "newest first");
        let p = |id: &str, kind: &str, at: u32| ProtectorRow {
            id: id.into(),
            master_key_id: "mk-new".into(),
            kind: kind.into(),
            params: "{\"k\":1}".into(),
            wrapped_key: vec![0, 1, 2, 255],
            created_at: t(at),
        };
        s.write(|tx| {
            tx.insert_protector(&p("p-host-2", "host", 5))?;
            tx.insert_protector(&p("p-host-1", "host", 4))?;
            tx.insert_protector(&p("p-rec", "recovery", 6))
        })
        .unwrap();
        unique(s.write(|tx| tx.insert_protector(&p("p-rec-2", "recovery", 7))));
        let got = s.read(|tx| tx.protectors("mk-new")).unwrap();
        assert_eq!(got, vec![p("p-host-1", "host", 4), p("p-host-2", "host", 5), p("p-rec", "recovery", 6)]);
        // A protector of a key that does not exist is a reference violation.
        let e = s.write(|tx| tx.insert_protector(&ProtectorRow { master_key_id: "nope".into(), ..p("x", "host", 1) }));
        assert_eq!(violation(e.unwrap_err()), Some(Violation::ForeignKey));
        // One protector by id (per-host protectors); an empty wrapped key (a row awaiting recovery)
        // round-trips.
        s.write(|tx| tx.insert_protector(&ProtectorRow { wrapped_key: Vec::new(), ..p("p-host-3", "host", 8) }))
            .unwrap();
        assert_eq!(s.write(|tx| tx.delete_protector("p-host-2")).unwrap(), 1);
        assert_eq!(s.write(|tx| tx.delete_protector("p-host-2")).unwrap(), 0, "already gone");
        let got = s.read(|tx| tx.protectors("mk-new")).unwrap();
        assert_eq!(
            got,
            vec![
                p("p-host-1", "host", 4),
                ProtectorRow { wrapped_key: Vec::new(), ..p("p-host-3", "host", 8) },
                p("p-rec", "recovery", 6)
            ]
        );
        assert_eq!(s.write(|tx| tx.delete_protectors("mk-new", "host")).unwrap(), 2);
        s.write(|tx| tx.retire_master_key("mk-new", &t(9))).unwrap();
        assert!(s.read(|tx| tx.protectors("mk-new")).unwrap().is_empty(), "retiring deletes the protectors");
        assert!(s.read(|tx| tx.active_master_key()).unwrap().is_none());
        let retired = s.read(|tx| tx.master_keys()).unwrap();
        assert_eq!(retired[0].state, "retired");
        assert_eq!(retired[0].retired_at.as_deref(), Some(t(9).as_str()));
    }

    pub fn settings_are_upserted_and_removed(s: &Store) {
        s.write(|tx| {
            tx.put_setting("B", "\"two\"", &t(1))?;
            tx.put_setting("A", "1", &t(1))?;
            tx.put_setting("B", "\"zwei ünd drei\"", &t(2))
        })
        .unwrap();
        assert_eq!(s.read(|tx| tx.setting("B")).unwrap().as_deref(), Some("\"zwei ünd drei\""));
        assert_eq!(s.read(|tx| tx.setting("C")).unwrap(), None);
        assert_eq!(
            s.read(|tx| tx.settings()).unwrap(),
            vec![("A".to_string(), "1".to_string()), ("B".to_string(), "\"zwei ünd drei\"".to_string())]
        );
        assert!(s.write(|tx| tx.delete_setting("A")).unwrap());
        assert!(!s.write(|tx| tx.delete_setting("A")).unwrap());
        assert_eq!(s.read(|tx| tx.settings()).unwrap().len(), 1);
    }

    pub fn audit_records_keep_their_order_and_filters(s: &Store) {
        assert!(s.read(|tx| tx.last_audit()).unwrap().is_none());
        let rows = [
            audit("a1", 10, Some("d1"), "local:alice", "device.approve"),
            audit("a2", 20, Some("d2"), "local:bob", "device.delete"),
            audit("a3", 30, None, "local:alice", "devices.export"),
            audit("a4", 40, Some("d1"), "local:bob", "key.rotate"),
            audit("a5", 50, Some("d1"), "local:alice", "device"),
        ];
        for r in &rows {
            s.write(|tx| tx.insert_audit(r)).unwrap();
        }
        unique(s.write(|tx| tx.insert_audit(&audit("a1", 60, None, "x", "y"))));
        let all = s.read(|tx| tx.audit(None, 100)).unwrap();
        assert_eq!(all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["a1", "a2", "a3", "a4", "a5"]);
        assert!(all.windows(2).all(|w| w[0].seq < w[1].seq), "seq increases");
        for (got, want) in all.iter().zip(&rows) {
            assert_eq!(AuditRow { seq: 0, ..got.clone() }, *want, "round trip");
        }
        assert_eq!(s.read(|tx| tx.last_audit()).unwrap().map(|r| r.id), Some("a5".into()));
        let ids = |v: Vec<AuditRow>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
        assert_eq!(ids(s.read(|tx| tx.audit(Some("d1"), 2)).unwrap()), ["a4", "a5"], "the newest, oldest first");
        let f = |since, until, target, actor, event, limit| AuditFilter {
            since,
            until,
            target_id: target,
            actor,
            event,
            limit,
        };
        let (since, until) = (t(20), t(50));
        let q = |f: AuditFilter<'_>| ids(s.read(|tx| tx.audit_filtered(&f)).unwrap());
        assert_eq!(q(f(Some(&since), Some(&until), None, None, None, 100)), ["a2", "a3", "a4"]);
        assert_eq!(q(f(None, None, Some("d1"), None, None, 100)), ["a1", "a4", "a5"]);
        assert_eq!(q(f(None, None, None, Some("local:alice"), None, 2)), ["a3", "a5"]);
        assert_eq!(q(f(None, None, None, None, Some("device"), 100)), ["a1", "a2", "a5"], "an event and its children");
        let mut seen = Vec::new();
        s.read(|tx| {
            tx.for_each_audit(&mut |r| {
                seen.push(r.id);
                Ok(())
            })
        })
        .unwrap();
        assert_eq!(seen, ["a1", "a2", "a3", "a4", "a5"]);
        let mut n = 0;
        let e = s
            .read(|tx| {
                tx.for_each_audit(&mut |_| {
                    n += 1;
                    if n == 2 { Err(ams_core::Error::invalid("stop")) } else { Ok(()) }
                })
            })
            .unwrap_err();
        assert_eq!((e.code(), n), (ErrorCode::InvalidRequest, 2), "the first error stops the walk");
    }

    pub fn one_active_certificate(s: &Store) {
        s.write(|tx| {
            tx.insert_cert(&cert("AA", 1))?;
            tx.insert_cert(&cert("BB", 2))
        })
        .unwrap();
        unique(s.write(|tx| tx.insert_cert(&cert("AA", 3))));
        assert_eq!(s.read(|tx| tx.cert("AA")).unwrap(), Some(cert("AA", 1)));
        assert_eq!(
            s.read(|tx| tx.certs()).unwrap().iter().map(|c| c.thumbprint.as_str()).collect::<Vec<_>>(),
            ["BB", "AA"]
        );
        assert!(s.read(|tx| tx.active_cert()).unwrap().is_none());
        s.write(|tx| tx.activate_cert("AA", &t(5))).unwrap();
        s.write(|tx| tx.activate_cert("BB", &t(6))).unwrap();
        let active = s.read(|tx| tx.active_cert()).unwrap().unwrap();
        assert_eq!((active.thumbprint.as_str(), active.activated_at.as_deref()), ("BB", Some(t(6).as_str())));
        assert_eq!(s.read(|tx| tx.cert("AA")).unwrap().unwrap().state, "retained");
        // The database itself keeps a second active certificate out.
        unique(s.write(|tx| tx.insert_cert(&CertRow { state: "active".into(), ..cert("CC", 7) })));
        unique(s.write(|tx| tx.set_cert_state("AA", "active")));
        s.write(|tx| tx.set_cert_state("AA", "revoked")).unwrap();
        assert_eq!(s.read(|tx| tx.cert("AA")).unwrap().unwrap().state, "revoked");
        // Revocation is final in the SQL itself: no activation, no other state, nothing changed.
        assert_eq!(s.write(|tx| tx.activate_cert("AA", &t(8))).unwrap_err().code(), ErrorCode::CertNotUsable);
        assert_eq!(s.write(|tx| tx.activate_cert("ZZ", &t(8))).unwrap_err().code(), ErrorCode::CertNotUsable);
        s.write(|tx| tx.set_cert_state("AA", "retained")).unwrap();
        assert_eq!(s.read(|tx| tx.cert("AA")).unwrap().unwrap().state, "revoked");
        assert_eq!(s.read(|tx| tx.active_cert()).unwrap().unwrap().thumbprint, "BB");
        assert_eq!(s.write(|tx| tx.delete_cert_private_key("AA")).unwrap(), 1);
        assert_eq!(s.read(|tx| tx.cert("AA")).unwrap().unwrap().sealed_private_key, None);
        assert_eq!(s.write(|tx| tx.set_cert_private_key("AA", &[7; 3])).unwrap(), 1);
        assert_eq!(s.write(|tx| tx.set_cert_private_key("ZZ", &[7; 3])).unwrap(), 0);
        assert_eq!(s.read(|tx| tx.cert("AA")).unwrap().unwrap().sealed_private_key, Some(vec![7; 3]));
    }

    pub fn devices_round_trip_and_are_found_by_name(s: &Store) {
        let mut d1 = device("d1", "Ünïcødé-ПК");
        d1.dns_name = None;
        d1.os_family = None;
        let d2 = device("d2", "pc2");
        let d3 = DeviceRow {
            approval_state: "Pending".into(),
            dns_name: Some("PC2.other.test".into()),
            ..device("d3", "alpha")
        };
        s.write(|tx| {
            tx.insert_device(&d1)?;
            tx.insert_device(&d2)?;
            tx.insert_device(&d3)
        })
        .unwrap();
        assert_eq!(s.read(|tx| tx.device("d1")).unwrap(), Some(d1.clone()));
        assert_eq!(s.read(|tx| tx.device("nope")).unwrap(), None);
        let names = |v: Vec<DeviceRow>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(names(s.read(|tx| tx.devices(None, None, None)).unwrap()), ["d3", "d2", "d1"], "by name");
        assert_eq!(names(s.read(|tx| tx.devices(None, Some("PC2"), None)).unwrap()), ["d2"], "name, any case");
        assert_eq!(names(s.read(|tx| tx.devices(None, Some("pc2.other.TEST"), None)).unwrap()), ["d3"], "DNS name");
        assert_eq!(names(s.read(|tx| tx.devices(None, None, Some("pending"))).unwrap()), ["d3"]);
        assert_eq!(names(s.read(|tx| tx.devices(Some("d2"), Some("PC2"), None)).unwrap()), ["d2"]);
        assert!(s.read(|tx| tx.devices(Some("d2"), Some("alpha"), None)).unwrap().is_empty());
        let by_auth = s.read(|tx| tx.device_by_authority("Ams", "INST-1", "D2")).unwrap();
        assert_eq!(by_auth.map(|d| d.id).as_deref(), Some("d2"), "authority ids match in any case");
        unique(s.write(|tx| {
            tx.insert_device(&DeviceRow { id: "d4".into(), authority_device_id: "d2".into(), ..d2.clone() })
        }));
        s.write(|tx| tx.update_device_state("d2", "Rejected", true, &t(8))).unwrap();
        let d = s.read(|tx| tx.device("d2")).unwrap().unwrap();
        assert_eq!((d.approval_state.as_str(), d.disabled, d.modified_at.as_str()), ("Rejected", true, t(8).as_str()));
        // Deleting a device takes its passwords, BitLocker keys and memberships with it.
        s.write(|tx| {
            tx.insert_password(&password("p1", "d2", 1, None))?;
            tx.upsert_bitlocker_key(&bitlocker("b1", "d2", "k1", 1))?;
            tx.insert_group(&group("g1", "Lab"))?;
            tx.add_group_member("g1", "d2", &t(1)).map(|_| ())
        })
        .unwrap();
        assert_eq!(s.read(|tx| tx.device_secret_counts("d2")).unwrap(), (1, 1));
        assert_eq!(s.write(|tx| tx.delete_device("d2")).unwrap(), 1);
        assert_eq!(s.write(|tx| tx.delete_device("d2")).unwrap(), 0);
        assert_eq!(s.read(|tx| tx.device_secret_counts("d2")).unwrap(), (0, 0));
        assert_eq!(s.read(|tx| tx.group_usage("g1")).unwrap(), (0, 0));
    }

    /// Pages (ADR 0014) give the unfiltered listing's devices in its order, each once, whatever
    /// the page size: names equal in any case are ordered by id across a page boundary.
    pub fn device_pages_walk_the_listing_in_order(s: &Store) {
        let rows = [
            device("d5", "pc1"),
            device("d2", "PC1"),
            device("d9", "Pc1"),
            device("d1", "alpha"),
            device("d7", "Zulu"),
            device("d3", "beta"),
            device("d4", "BETA"),
            device("d8", "Ünïcødé-ПК"),
        ];
        s.write(|tx| rows.iter().try_for_each(|d| tx.insert_device(d))).unwrap();
        let ids = |v: &[DeviceRow]| v.iter().map(|d| d.id.clone()).collect::<Vec<_>>();
        let all = s.read(|tx| tx.devices(None, None, None)).unwrap();
        assert_eq!(ids(&all)[..7], ["d1", "d3", "d4", "d2", "d5", "d9", "d7"], "the listing's order");
        for limit in [1, 2, 3, 7, 8, 100] {
            let paged = s
                .read(|tx| {
                    let mut out: Vec<DeviceRow> = Vec::new();
                    loop {
                        let after = out.last().map(|d| (d.name.clone(), d.id.clone()));
                        let page = tx.devices_page(after.as_ref().map(|(n, i)| (n.as_str(), i.as_str())), limit)?;
                        assert!(page.len() <= limit, "a page holds at most its limit");
                        let done = page.len() < limit;
                        out.extend(page);
                        if done {
                            return Ok(out);
                        }
                    }
                })
                .unwrap();
            assert_eq!(paged, all, "pages of {limit}");
        }
        let last = all.last().unwrap();
        assert!(s.read(|tx| tx.devices_page(Some((&last.name, &last.id)), 10)).unwrap().is_empty(), "past the end");
    }

    fn bitlocker(id: &str, device_id: &str, key_id: &str, at: u32) -> BitLockerRow {
        BitLockerRow {
            id: id.into(),
            device_id: device_id.into(),
            key_id: key_id.into(),
            volume_id: Some("vol".into()),
            volume_type: None,
            blob: vec![at as u8; 300],
            cert_thumbprint: "T1".into(),
            created_at: t(at),
            row_mac: Some(format!("k1:{at}")),
        }
    }

    pub fn groups_members_and_key_groups(s: &Store) {
        s.write(|tx| {
            tx.insert_device(&device("d1", "b-pc"))?;
            tx.insert_device(&device("d2", "a-pc"))?;
            tx.insert_group(&group("g1", "Lab"))?;
            tx.insert_group(&GroupRow { description: "Second".into(), ..group("g2", "Admins") })?;
            tx.insert_reg_key(&reg_key("k1", "key one"))
        })
        .unwrap();
        unique(s.write(|tx| tx.insert_group(&group("g3", "LAB"))));
        let ids = |v: Vec<GroupRow>| v.into_iter().map(|g| g.id).collect::<Vec<_>>();
        assert_eq!(ids(s.read(|tx| tx.groups(None, None, None)).unwrap()), ["g2", "g1"], "by name");
        assert_eq!(ids(s.read(|tx| tx.groups(None, Some("lab"), None)).unwrap()), ["g1"]);
        assert_eq!(ids(s.read(|tx| tx.groups(None, None, Some("s-1-4096-g-g2"))).unwrap()), ["g2"], "SID, any case");
        assert_eq!(
            s.read(|tx| tx.groups(Some("g2"), None, None)).unwrap(),
            vec![GroupRow { description: "Second".into(), ..group("g2", "Admins") }]
        );
        s.write(|tx| {
            tx.update_group(&GroupRow {
                name: "Lab 2".into(),
                description: "x".into(),
                modified_at: t(9),
                ..group("g1", "")
            })
        })
        .unwrap();
        let g1 = s.read(|tx| tx.groups(Some("g1"), None, None)).unwrap().remove(0);
        assert_eq!((g1.name.as_str(), g1.description.as_str(), g1.modified_at.as_str()), ("Lab 2", "x", t(9).as_str()));
        assert!(s.write(|tx| tx.add_group_member("g1", "d1", &t(1))).unwrap());
        assert!(!s.write(|tx| tx.add_group_member("g1", "d1", &t(2))).unwrap(), "already a member");
        assert!(s.write(|tx| tx.add_group_member("g1", "d2", &t(1))).unwrap());
        assert!(s.write(|tx| tx.add_group_member("g2", "d1", &t(1))).unwrap());
        let members = s.read(|tx| tx.group_members("g1")).unwrap();
        assert_eq!(members.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["d2", "d1"], "by name");
        assert_eq!(members[1], device("d1", "b-pc"));
        assert_eq!(s.read(|tx| tx.device_group_ids("d1")).unwrap(), ["g1", "g2"]);
        assert!(s.write(|tx| tx.add_reg_key_group("k1", "g1")).unwrap());
        assert!(!s.write(|tx| tx.add_reg_key_group("k1", "g1")).unwrap());
        assert_eq!(s.read(|tx| tx.reg_key_group_ids("k1")).unwrap(), ["g1"]);
        assert_eq!(s.read(|tx| tx.group_usage("g1")).unwrap(), (2, 1));
        assert!(s.write(|tx| tx.remove_group_member("g1", "d2")).unwrap());
        assert!(!s.write(|tx| tx.remove_group_member("g1", "d2")).unwrap());
        assert_eq!(s.write(|tx| tx.clear_group_members("g1")).unwrap(), 1);
        assert!(s.write(|tx| tx.remove_reg_key_group("k1", "g1")).unwrap());
        assert!(!s.write(|tx| tx.remove_reg_key_group("k1", "g1")).unwrap());
        let e = s.write(|tx| tx.add_group_member("g1", "nope", &t(1)).map(|_| ())).unwrap_err();
        assert_eq!(violation(e), Some(Violation::ForeignKey));
        s.write(|tx| tx.add_reg_key_group("k1", "g2").map(|_| ())).unwrap();
        assert_eq!(s.write(|tx| tx.delete_group("g2")).unwrap(), 1);
        assert!(s.read(|tx| tx.reg_key_group_ids("k1")).unwrap().is_empty(), "memberships and key groups go with it");
        assert_eq!(s.read(|tx| tx.device_group_ids("d1")).unwrap(), Vec::<String>::new());
    }

    pub fn registration_keys(s: &Store) {
        s.write(|tx| {
            tx.insert_reg_key(&reg_key("k2", "Zeta"))?;
            tx.insert_reg_key(&reg_key("k1", "alpha"))
        })
        .unwrap();
        unique(s.write(|tx| tx.insert_reg_key(&reg_key("k3", "ZETA"))));
        unique(s.write(|tx| tx.insert_reg_key(&RegKeyRow { key_hash: "hash-k1".into(), ..reg_key("k4", "other") })));
        let ids = |v: Vec<RegKeyRow>| v.into_iter().map(|k| k.id).collect::<Vec<_>>();
        assert_eq!(ids(s.read(|tx| tx.reg_keys(None, None, None)).unwrap()), ["k1", "k2"]);
        assert_eq!(ids(s.read(|tx| tx.reg_keys(None, Some("zeta"), None)).unwrap()), ["k2"]);
        assert_eq!(ids(s.read(|tx| tx.reg_keys(None, None, Some("hash-k1"))).unwrap()), ["k1"]);
        assert_eq!(s.read(|tx| tx.reg_keys(Some("k1"), None, None)).unwrap(), vec![reg_key("k1", "alpha")]);
        let changed = RegKeyRow {
            name: "beta".into(),
            activation_limit: 0,
            activation_count: 3,
            enabled: false,
            approval_required: true,
            modified_at: t(5),
            ..reg_key("k1", "")
        };
        s.write(|tx| tx.update_reg_key(&changed)).unwrap();
        assert_eq!(s.read(|tx| tx.reg_keys(Some("k1"), None, None)).unwrap(), vec![changed]);
        // A device keeps existing when its key goes; it just no longer names one.
        s.write(|tx| tx.insert_device(&DeviceRow { registration_key_id: Some("k1".into()), ..device("d1", "pc") }))
            .unwrap();
        assert_eq!(s.write(|tx| tx.delete_reg_key("k1")).unwrap(), 1);
        assert_eq!(s.read(|tx| tx.device("d1")).unwrap().unwrap().registration_key_id, None);
    }

    pub fn passwords_one_current_and_history(s: &Store) {
        s.write(|tx| tx.insert_device(&device("d1", "pc"))).unwrap();
        assert!(s.read(|tx| tx.current_password("d1")).unwrap().is_none());
        let big = PasswordRow {
            blob: (0..65_536u32).map(|i| (i * 7 % 256) as u8).collect(),
            ..password("p1", "d1", 10, None)
        };
        s.write(|tx| tx.insert_password(&big)).unwrap();
        assert_eq!(s.read(|tx| tx.current_password("d1")).unwrap(), Some(big.clone()), "64 KiB blob round trip");
        unique(s.write(|tx| tx.insert_password(&password("p2", "d1", 20, None))));
        s.write(|tx| {
            assert_eq!(tx.retire_current_password("d1", &t(20))?, 1);
            tx.insert_password(&password("p2", "d1", 20, None))?;
            tx.insert_password(&password("p0", "d1", 5, Some(6)))
        })
        .unwrap();
        let ids = s.read(|tx| tx.passwords("d1")).unwrap().into_iter().map(|p| p.id).collect::<Vec<_>>();
        assert_eq!(ids, ["p2", "p1", "p0"], "newest first");
        assert_eq!(s.read(|tx| tx.current_password("d1")).unwrap().map(|p| p.id).as_deref(), Some("p2"));
        assert_eq!(s.write(|tx| tx.set_current_password_expiry("d1", &t(77))).unwrap(), 1);
        assert_eq!(s.read(|tx| tx.current_password("d1")).unwrap().unwrap().expires_at, Some(t(77)));
        assert_eq!(s.write(|tx| tx.set_current_password_expiry("d2", &t(77))).unwrap(), 0);
        assert_eq!(s.write(|tx| tx.delete_passwords(&["p0".into(), "p1".into(), "zz".into()])).unwrap(), 2);
        assert_eq!(s.read(|tx| tx.device_secret_counts("d1")).unwrap(), (1, 0));
        let e = s.write(|tx| tx.insert_password(&password("p9", "nope", 1, None))).unwrap_err();
        assert_eq!(violation(e), Some(Violation::ForeignKey));
    }

    pub fn bitlocker_keys_are_replaced_by_key_id(s: &Store) {
        s.write(|tx| {
            tx.insert_device(&device("d1", "pc"))?;
            tx.upsert_bitlocker_key(&bitlocker("b1", "d1", "k1", 1))?;
            tx.upsert_bitlocker_key(&bitlocker("b2", "d1", "k2", 2))?;
            tx.upsert_bitlocker_key(&BitLockerRow { volume_type: Some("OS".into()), ..bitlocker("b3", "d1", "k1", 3) })
        })
        .unwrap();
        let keys = s.read(|tx| tx.bitlocker_keys("d1")).unwrap();
        assert_eq!(keys.len(), 2, "the same key id replaces the row");
        assert_eq!(
            keys[0],
            BitLockerRow { id: "b1".into(), volume_type: Some("OS".into()), ..bitlocker("b3", "d1", "k1", 3) }
        );
        assert_eq!(keys[1], bitlocker("b2", "d1", "k2", 2));
    }

    pub fn secrets_by_certificate(s: &Store) {
        s.write(|tx| {
            tx.insert_device(&device("d1", "b-pc"))?;
            tx.insert_device(&device("d2", "a-pc"))?;
            tx.insert_password(&password("p1", "d1", 1, Some(2)))?;
            tx.insert_password(&password("p2", "d1", 2, None))?;
            tx.insert_password(&PasswordRow { cert_thumbprint: "T2".into(), ..password("p3", "d2", 3, None) })?;
            tx.upsert_bitlocker_key(&bitlocker("b1", "d2", "k1", 4))
        })
        .unwrap();
        let counts = s.read(|tx| tx.sealed_secret_counts()).unwrap();
        let row = |c: &str, cur, hist, fve| SealedCountRow {
            cert_thumbprint: c.into(),
            current_passwords: cur,
            historical_passwords: hist,
            bitlocker_keys: fve,
        };
        assert_eq!(counts, vec![row("T1", 1, 1, 1), row("T2", 1, 0, 0)]);
        let refs = s.read(|tx| tx.passwords_sealed_to("T1")).unwrap();
        assert_eq!(refs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["p2", "p1"]);
        assert_eq!(
            refs[1],
            SealedSecretRef {
                id: "p1".into(),
                device_id: "d1".into(),
                device_name: "b-pc".into(),
                label: "Administrator".into(),
                cert_thumbprint: "T1".into(),
                created_at: t(1),
                expires_at: Some(t(9_000_000)),
                retired_at: Some(t(2)),
            }
        );
        let fve = s.read(|tx| tx.bitlocker_keys_sealed_to("T1")).unwrap();
        assert_eq!((fve.len(), fve[0].label.as_str(), fve[0].expires_at.clone()), (1, "k1", None));
    }

    pub fn authorization_rules_and_principals(s: &Store) {
        let r1 = computer_rule("c1", "S-1-5-21-9");
        let r2 = ComputerRuleRow {
            created_at: t(2),
            target_authority_id: Some("tenant".into()),
            ..computer_rule("c2", "S-1-5-21-9")
        };
        s.write(|tx| {
            tx.insert_computer_rule(&r2)?;
            tx.insert_computer_rule(&r1)
        })
        .unwrap();
        assert_eq!(s.read(|tx| tx.computer_rules(None)).unwrap(), vec![r1.clone(), r2.clone()], "oldest first");
        assert_eq!(s.read(|tx| tx.computer_rules(Some("C1"))).unwrap(), vec![r1.clone()], "id in any case");
        let by = |auth: Option<&str>| {
            s.read(|tx| tx.computer_rules_by_target("AdComputer", "s-1-5-21-9", auth))
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(by(None), ["c1"]);
        assert_eq!(by(Some("TENANT")), ["c2"]);
        let changed =
            ComputerRuleRow { description: "changed".into(), disabled: true, modified_at: t(5), ..r1.clone() };
        assert_eq!(s.write(|tx| tx.update_computer_rule(&changed)).unwrap(), 1);
        assert_eq!(s.read(|tx| tx.computer_rules(Some("c1"))).unwrap(), vec![changed]);
        // A check constraint: the default duration may not exceed the maximum.
        let e = s.write(|tx| {
            tx.insert_computer_rule(&ComputerRuleRow { laps_default_seconds: Some(9999), ..computer_rule("c3", "x") })
        });
        assert_eq!(violation(e.unwrap_err()), Some(Violation::Other));

        let rr = role_rule("r1", "Helpdesk");
        s.write(|tx| tx.insert_role_rule(&rr)).unwrap();
        unique(s.write(|tx| tx.insert_role_rule(&role_rule("r2", "HELPDESK"))));
        assert_eq!(s.read(|tx| tx.role_rules(None, Some("helpdesk"))).unwrap(), vec![rr.clone()]);
        assert_eq!(s.read(|tx| tx.role_rules(Some("R1"), None)).unwrap(), vec![rr.clone()]);
        let rr2 = RoleRuleRow { name: "Desk".into(), max_seconds: 60, modified_at: t(9), ..rr.clone() };
        assert_eq!(s.write(|tx| tx.update_role_rule(&rr2)).unwrap(), 1);
        assert_eq!(s.read(|tx| tx.role_rules(None, None)).unwrap(), vec![rr2]);

        let table = PrincipalTable::Computer;
        s.write(|tx| {
            assert!(tx.add_rule_principal(table, &principal("c1", "Laps", "Deny", "S-1-5-21-2"))?);
            assert!(tx.add_rule_principal(table, &principal("c1", "Laps", "Allow", "S-1-5-21-1"))?);
            assert!(tx.add_rule_principal(table, &principal("c2", "BitLocker", "Allow", "S-1-5-21-1"))?);
            assert!(!tx.add_rule_principal(table, &principal("c1", "Laps", "Allow", "S-1-5-21-1"))?, "already there");
            Ok(())
        })
        .unwrap();
        let all = s.read(|tx| tx.rule_principals(table, None)).unwrap();
        assert_eq!(
            all.iter().map(|p| (p.rule_id.as_str(), p.ace.as_str())).collect::<Vec<_>>(),
            [("c1", "Allow"), ("c1", "Deny"), ("c2", "Allow")]
        );
        assert_eq!(all[0], principal("c1", "Laps", "Allow", "S-1-5-21-1"));
        assert!(
            s.write(|tx| tx.remove_rule_principal(table, "c1", "Laps", "Deny", "s-1-5-21-2")).unwrap(),
            "SID in any case"
        );
        assert!(!s.write(|tx| tx.remove_rule_principal(table, "c1", "Laps", "Deny", "S-1-5-21-2")).unwrap());
        assert!(
            s.write(|tx| tx.add_rule_principal(PrincipalTable::Role, &principal("r1", "Jit", "Allow", "S-1-5-21-7")))
                .unwrap()
        );
        assert_eq!(s.read(|tx| tx.rule_principals(PrincipalTable::Role, Some("r1"))).unwrap().len(), 1);
        assert_eq!(s.write(|tx| tx.clear_rule_principals(table, "c1")).unwrap(), 1);
        assert_eq!(s.write(|tx| tx.delete_computer_rule("c2")).unwrap(), 1);
        assert!(s.read(|tx| tx.rule_principals(table, None)).unwrap().is_empty(), "principals go with their rule");
        assert_eq!(s.write(|tx| tx.delete_role_rule("r1")).unwrap(), 1);
        assert!(s.read(|tx| tx.rule_principals(PrincipalTable::Role, None)).unwrap().is_empty());
    }

    fn access_request(id: &str, device: &str, requester: &str, at: u32) -> AccessRequestRow {
        AccessRequestRow {
            id: id.into(),
            rule_id: "rule-1".into(),
            rule_kind: "Computer".into(),
            device_id: device.into(),
            access_type: "Laps".into(),
            requester_sid: requester.into(),
            query: "{\"GroupSids\":[]}".into(),
            reason: Some("ticket ünï 1".into()),
            source_address: None,
            requested_seconds: None,
            state: "Pending".into(),
            requested_at: t(at),
            wait_until: t(at + 100),
            access_window_seconds: 600,
            decided_by: None,
            decided_at: None,
            decision_reason: None,
            access_until: None,
            used_at: None,
        }
    }

    pub fn approval_requirements_and_requests_move_only_by_conditional_updates(s: &Store) {
        let mut p = RuleApprovalRow {
            rule_id: "rule-1".into(),
            rule_kind: "Computer".into(),
            approvers: "[{\"Sid\":\"S-1-5-21-1\",\"Name\":null}]".into(),
            wait_seconds: 3600,
            access_window_seconds: 600,
            modified_at: t(1),
        };
        s.write(|tx| tx.put_rule_approval(&p)).unwrap();
        p.wait_seconds = 7200;
        s.write(|tx| tx.put_rule_approval(&p)).unwrap();
        assert_eq!(s.read(|tx| tx.rule_approval("rule-1")).unwrap(), Some(p.clone()), "upserted");
        assert_eq!(s.read(|tx| tx.rule_approvals()).unwrap(), vec![p.clone()]);
        assert!(s.write(|tx| tx.delete_rule_approval("rule-1")).unwrap());
        assert!(!s.write(|tx| tx.delete_rule_approval("rule-1")).unwrap());
        let bad = RuleApprovalRow { wait_seconds: 0, ..p.clone() };
        assert_eq!(violation(s.write(|tx| tx.put_rule_approval(&bad)).unwrap_err()), Some(Violation::Other));

        s.write(|tx| {
            tx.insert_device(&device("d1", "pc1"))?;
            tx.insert_device(&device("d2", "pc2"))
        })
        .unwrap();
        let a = access_request("r-a", "d1", "S-1-5-21-7", 10);
        s.write(|tx| {
            tx.insert_access_request(&a)?;
            tx.insert_access_request(&access_request("r-b", "d2", "S-1-5-21-7", 20))?;
            tx.insert_access_request(&access_request("r-c", "d1", "S-1-5-21-8", 30))
        })
        .unwrap();
        assert_eq!(s.read(|tx| tx.access_request("r-a")).unwrap(), Some(a.clone()), "round trip");
        unique(s.write(|tx| tx.insert_access_request(&a)));
        let orphan = access_request("r-x", "nope", "S-1-5-21-7", 1);
        assert_eq!(
            violation(s.write(|tx| tx.insert_access_request(&orphan)).unwrap_err()),
            Some(Violation::ForeignKey)
        );
        let ids = |f: AccessRequestFilter| -> Vec<String> {
            s.read(|tx| tx.access_requests(&f)).unwrap().into_iter().map(|r| r.id).collect()
        };
        assert_eq!(ids(AccessRequestFilter::default()), ["r-c", "r-b", "r-a"], "newest first");
        let by = |st: Option<&str>, req: Option<&str>, dev: Option<&str>| AccessRequestFilter {
            state: st.map(Into::into),
            requester_sid: req.map(Into::into),
            device_id: dev.map(Into::into),
        };
        assert_eq!(ids(by(None, Some("S-1-5-21-7"), None)), ["r-b", "r-a"]);
        assert_eq!(ids(by(None, Some("S-1-5-21-7"), Some("d1"))), ["r-a"]);
        assert_eq!(ids(by(Some("Approved"), None, None)), Vec::<String>::new());

        // A decision after the wait changes nothing; one in time wins once.
        let decision = |at: u32| {
            let at = t(at);
            let until = t(500);
            s.write(move |tx| {
                tx.decide_access_request(&AccessDecision {
                    id: "r-a",
                    state: "Approved",
                    decided_by: "S-1-5-21-1",
                    decided_at: &at,
                    reason: None,
                    access_until: Some(&until),
                })
            })
            .unwrap()
        };
        assert_eq!(decision(110), 0, "at the deadline");
        assert_eq!(decision(50), 1);
        assert_eq!(decision(60), 0, "already decided");
        let r = s.read(|tx| tx.access_request("r-a")).unwrap().unwrap();
        assert_eq!((r.state.as_str(), r.decided_at, r.access_until), ("Approved", Some(t(50)), Some(t(500))));
        assert_eq!(ids(by(Some("Approved"), None, None)), ["r-a"]);
        // Used once, only inside the window.
        assert_eq!(s.write(|tx| tx.use_access_request("r-a", &t(500))).unwrap(), 0, "window closed");
        assert_eq!(s.write(|tx| tx.use_access_request("r-b", &t(60))).unwrap(), 0, "not approved");
        assert_eq!(s.write(|tx| tx.use_access_request("r-a", &t(70))).unwrap(), 1);
        assert_eq!(s.write(|tx| tx.use_access_request("r-a", &t(71))).unwrap(), 0, "used once");
        assert_eq!(s.read(|tx| tx.access_request("r-a")).unwrap().unwrap().used_at, Some(t(70)));
        // The request goes with its device.
        s.write(|tx| tx.delete_device("d2").map(|_| ())).unwrap();
        assert!(s.read(|tx| tx.access_request("r-b")).unwrap().is_none());
    }

    pub fn rate_limit_events(s: &Store) {
        s.write(|tx| {
            for at in [10, 20, 30] {
                tx.insert_rate_limit_event("user:S-1", &t(at))?;
            }
            tx.insert_rate_limit_event("ip:::1", &t(25))
        })
        .unwrap();
        assert_eq!(s.read(|tx| tx.rate_limit_count("user:S-1", &t(10))).unwrap(), 2, "strictly newer");
        assert_eq!(s.read(|tx| tx.rate_limit_oldest("user:S-1", &t(10))).unwrap(), Some(t(20)));
        assert_eq!(s.read(|tx| tx.rate_limit_oldest("user:S-1", &t(30))).unwrap(), None);
        assert_eq!(s.write(|tx| tx.purge_rate_limit_events(&t(20))).unwrap(), 2, "at or before");
        assert_eq!(s.read(|tx| tx.rate_limit_count("user:S-1", &t(0))).unwrap(), 1);
        assert_eq!(s.read(|tx| tx.rate_limit_count("ip:::1", &t(0))).unwrap(), 1);
    }

    pub fn jit_directory_rules_and_jobs(s: &Store) {
        assert!(s.read(|tx| tx.jit_directory()).unwrap().is_none());
        let dir = JitDirectoryRow {
            url: "ldaps://dc1".into(),
            bind_dn: "CN=svc".into(),
            base_dn: "DC=x".into(),
            sid_attribute: "objectSid".into(),
            sid_format: "binary".into(),
            member_attribute: "member".into(),
            name_attribute: "cn".into(),
            group_object_class: "group".into(),
            computer_object_class: "computer".into(),
            group_type_attribute: "groupType".into(),
            initial_member_dn: None,
            sealed_bind_password: Some(vec![5; 60]),
            updated_at: t(1),
        };
        s.write(|tx| tx.put_jit_directory(&dir)).unwrap();
        let dir2 = JitDirectoryRow {
            url: "ldap://dc2".into(),
            initial_member_dn: Some("CN=m".into()),
            updated_at: t(2),
            ..dir
        };
        s.write(|tx| tx.put_jit_directory(&dir2)).unwrap();
        assert_eq!(s.read(|tx| tx.jit_directory()).unwrap(), Some(dir2));
        assert!(s.write(|tx| tx.delete_jit_directory()).unwrap());
        assert!(!s.write(|tx| tx.delete_jit_directory()).unwrap());

        let rule = |id: &str, at: u32| JitGroupRuleRow {
            id: id.into(),
            computer_ou: "OU=c".into(),
            subtree: true,
            group_ou: "OU=g".into(),
            group_name_template: "JIT-{computerName}".into(),
            group_description: None,
            group_type: "DomainLocal".into(),
            enable_jit_group_deletion: false,
            create_unix_gid: true,
            unix_gid_attribute_name: "gidNumber".into(),
            unix_gid_start_range: 70_000,
            full_sync_requested_at: None,
            last_sync_at: Some(t(at)),
            created_at: t(at),
            updated_at: t(at),
        };
        s.write(|tx| {
            tx.put_jit_group_rule(&rule("r2", 2))?;
            tx.put_jit_group_rule(&rule("r1", 1))?;
            tx.put_jit_group_rule(&JitGroupRuleRow { group_ou: "OU=h".into(), ..rule("r2", 2) })
        })
        .unwrap();
        let rules = s.read(|tx| tx.jit_group_rules()).unwrap();
        assert_eq!(rules, vec![rule("r1", 1), JitGroupRuleRow { group_ou: "OU=h".into(), ..rule("r2", 2) }]);
        assert_eq!(s.read(|tx| tx.jit_group_rule("r1")).unwrap(), Some(rule("r1", 1)));
        assert!(s.write(|tx| tx.delete_jit_group_rule("r1")).unwrap());
        assert!(!s.write(|tx| tx.delete_jit_group_rule("r1")).unwrap());

        s.write(|tx| {
            tx.put_jit_job(&job("j3", 30, "pending"))?;
            tx.put_jit_job(&job("j1", 10, "pending"))?;
            tx.put_jit_job(&job("j2", 20, "failed"))?;
            tx.put_jit_job(&JitJobRow { created_at: t(0), ..job("j0", 40, "done") })
        })
        .unwrap();
        let ids = |v: Vec<JitJobRow>| v.into_iter().map(|j| j.id).collect::<Vec<_>>();
        assert_eq!(ids(s.read(|tx| tx.due_jit_jobs(&t(30))).unwrap()), ["j1", "j3"], "pending and due, by due time");
        assert_eq!(ids(s.read(|tx| tx.open_jit_jobs(false)).unwrap()), ["j1", "j2", "j3"]);
        assert_eq!(ids(s.read(|tx| tx.open_jit_jobs(true)).unwrap()), ["j2"]);
        assert_eq!(s.read(|tx| tx.pending_jit_job("S-1-5-21-1", "CN=g")).unwrap().map(|j| j.id).as_deref(), Some("j1"));
        let done = JitJobRow {
            attempts: 2,
            last_attempt_at: Some(t(31)),
            last_error: Some("boom".into()),
            state: "done".into(),
            completed_at: Some(t(32)),
            ..job("j1", 10, "pending")
        };
        s.write(|tx| tx.put_jit_job(&done)).unwrap();
        assert_eq!(s.read(|tx| tx.jit_job("j1")).unwrap(), Some(done));
        assert_eq!(ids(s.read(|tx| tx.due_jit_jobs(&t(30))).unwrap()), ["j3"]);
        assert!(s.write(|tx| tx.delete_jit_job("j3")).unwrap());
        assert!(!s.write(|tx| tx.delete_jit_job("j3")).unwrap());
    }

    pub fn sealed_columns_are_read_and_replaced(s: &Store) {
        s.write(|tx| {
            tx.insert_cert(&cert("AA", 1))?;
            tx.insert_cert(&CertRow { sealed_private_key: None, ..cert("BB", 2) })?;
            tx.insert_reg_key(&reg_key("k1", "one"))?;
            tx.put_jit_directory(&JitDirectoryRow {
                url: "ldap://x".into(),
                bind_dn: String::new(),
                base_dn: String::new(),
                sid_attribute: String::new(),
                sid_format: "string".into(),
                member_attribute: String::new(),
                name_attribute: String::new(),
                group_object_class: String::new(),
                computer_object_class: String::new(),
                group_type_attribute: String::new(),
                initial_member_dn: None,
                sealed_bind_password: Some(vec![4, 4]),
                updated_at: t(1),
            })
        })
        .unwrap();
        let read = |c| s.read(|tx| tx.sealed_values(c)).unwrap();
        assert_eq!(read(SealedColumn::CertPrivateKey), vec![("AA".to_string(), vec![9; 40])], "NULLs are skipped");
        assert_eq!(read(SealedColumn::RegistrationKey), vec![("k1".to_string(), vec![1, 2, 3])]);
        assert_eq!(read(SealedColumn::JitBindPassword), vec![("default".to_string(), vec![4, 4])]);
        s.write(|tx| {
            for c in SealedColumn::ALL {
                for (id, _) in tx.sealed_values(c)? {
                    tx.update_sealed(c, &id, &[0xEE; 17])?;
                }
            }
            Ok(())
        })
        .unwrap();
        for c in SealedColumn::ALL {
            assert!(read(c).iter().all(|(_, v)| v == &vec![0xEE; 17]), "{c:?}");
        }
        assert_eq!(s.read(|tx| tx.cert("AA")).unwrap().unwrap().sealed_private_key, Some(vec![0xEE; 17]));
    }

    pub fn a_failed_write_changes_nothing(s: &Store) {
        let e = s
            .write(|tx| {
                tx.insert_device(&device("d1", "pc"))?;
                tx.put_setting("K", "1", &t(1))?;
                Err::<(), _>(ams_core::Error::invalid("no"))
            })
            .unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
        assert!(s.read(|tx| tx.device("d1")).unwrap().is_none());
        assert!(s.read(|tx| tx.setting("K")).unwrap().is_none());
        // A constraint failure part-way rolls back the earlier statements of the same write.
        let e = s
            .write(|tx| {
                tx.insert_device(&device("d1", "pc"))?;
                tx.insert_device(&device("d1", "pc"))
            })
            .unwrap_err();
        assert_eq!(violation(e), Some(Violation::Unique));
        assert!(s.read(|tx| tx.device("d1")).unwrap().is_none());
        // The handle is usable after a failed write.
        s.write(|tx| tx.insert_device(&device("d1", "pc"))).unwrap();
        assert!(s.read(|tx| tx.device("d1")).unwrap().is_some());
    }

    pub fn agent_policies_targets_word_lists_and_marks(s: &Store) {
        // The migration seeds one default per operating system.
        let seeded = s.read(|tx| tx.agent_policies(None)).unwrap();
        assert_eq!(seeded.iter().map(|p| p.os_type.as_str()).collect::<Vec<_>>(), ["Linux", "MacOS", "Windows"]);
        assert!(seeded.iter().all(|p| p.is_default && p.enabled && p.position == 0));
        let p = |id: &str, name: &str, pos: i64| AgentPolicyRow {
            id: id.into(),
            name: name.into(),
            description: None,
            os_type: "Linux".into(),
            position: pos,
            enabled: true,
            is_default: false,
            settings: "{}".into(),
            created_at: t(1),
            modified_at: t(1),
        };
        s.write(|tx| {
            tx.insert_agent_policy(&p("p2", "Second", 2))?;
            tx.insert_agent_policy(&p("p1", "First", 1))
        })
        .unwrap();
        let linux = s.read(|tx| tx.agent_policies(Some("Linux"))).unwrap();
        assert_eq!(
            linux.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
            ["00000000-0000-4000-8000-00000000d002", "p1", "p2"]
        );
        assert_eq!(s.read(|tx| tx.agent_policy("p1")).unwrap(), Some(p("p1", "First", 1)));
        // Names are unique per OS ignoring case; a second default for an OS is refused.
        assert_eq!(
            violation(s.write(|tx| tx.insert_agent_policy(&p("p3", "FIRST", 3))).unwrap_err()),
            Some(Violation::Unique)
        );
        let mut d = p("p4", "Another default", 0);
        d.is_default = true;
        assert_eq!(violation(s.write(|tx| tx.insert_agent_policy(&d)).unwrap_err()), Some(Violation::Unique));
        let mut changed = p("p1", "Renamed", 5);
        changed.enabled = false;
        changed.modified_at = t(9);
        assert_eq!(s.write(|tx| tx.update_agent_policy(&changed)).unwrap(), 1);
        assert_eq!(s.read(|tx| tx.agent_policy("p1")).unwrap(), Some(changed));
        // Targets are replaced as a set and go with their policy.
        let target = |sid: &str| PolicyTargetRow {
            policy_id: "p2".into(),
            target_type: "Group".into(),
            target_sid: sid.into(),
            target_id: sid.into(),
        };
        s.write(|tx| tx.set_agent_policy_targets("p2", &[target("S-1-4096-2-5"), target("S-1-4096-2-1")])).unwrap();
        s.write(|tx| tx.set_agent_policy_targets("p2", &[target("S-1-4096-2-9"), target("S-1-4096-2-1")])).unwrap();
        let got = s.read(|tx| tx.agent_policy_targets("p2")).unwrap();
        assert_eq!(got, vec![target("S-1-4096-2-1"), target("S-1-4096-2-9")]);
        assert_eq!(s.write(|tx| tx.delete_agent_policy("p2")).unwrap(), 1);
        assert!(s.read(|tx| tx.agent_policy_targets("p2")).unwrap().is_empty());
        // Word lists: words come back sorted; a duplicate word is a uniqueness violation; delete cascades.
        let l = WordListRow {
            id: "wl1".into(),
            name: "Custom".into(),
            description: Some("d".into()),
            language: None,
            word_count: 2000,
            sha256: "00".into(),
            created_at: t(2),
        };
        let words: Vec<String> = (0..2000).map(|i| format!("w{i:04}")).rev().collect();
        s.write(|tx| tx.insert_word_list(&l, &words)).unwrap();
        assert_eq!(s.read(|tx| tx.word_lists(None, Some("custom"))).unwrap(), vec![l.clone()]);
        let back = s.read(|tx| tx.word_list_words("wl1")).unwrap();
        assert_eq!(back.len(), 2000);
        assert!(back.windows(2).all(|w| w[0] < w[1]));
        let mut l2 = l.clone();
        l2.id = "wl2".into();
        l2.name = "Other".into();
        let dup = vec!["same".to_string(), "same".to_string()];
        assert_eq!(violation(s.write(|tx| tx.insert_word_list(&l2, &dup)).unwrap_err()), Some(Violation::Unique));
        assert!(s.read(|tx| tx.word_lists(Some("wl2"), None)).unwrap().is_empty(), "rolled back");
        assert_eq!(s.write(|tx| tx.delete_word_list("wl1")).unwrap(), 1);
        assert!(s.read(|tx| tx.word_list_words("wl1")).unwrap().is_empty());
        // Rotation marks: one per device, kept when marked again, cleared by device.
        s.write(|tx| tx.insert_device(&device("d1", "pc"))).unwrap();
        let m = RotationMarkRow { device_id: "d1".into(), reason: "R1".into(), marked_at: t(3) };
        s.write(|tx| tx.mark_rotation(&m)).unwrap();
        s.write(|tx| tx.mark_rotation(&RotationMarkRow { reason: "R2".into(), ..m.clone() })).unwrap();
        assert_eq!(s.read(|tx| tx.rotation_mark("d1")).unwrap(), Some(m));
        assert_eq!(s.write(|tx| tx.clear_rotation_mark("d1")).unwrap(), 1);
        assert_eq!(s.read(|tx| tx.rotation_mark("d1")).unwrap(), None);
    }

    pub fn keyed_lookups_instance_secrets_and_row_macs(s: &Store) {
        const ROOT: &str = "derivation-root";
        // A new database has no derivation root and nothing left unkeyed.
        assert_eq!(s.read(|tx| tx.instance_secret(ROOT)).unwrap(), None);
        assert_eq!(s.read(|tx| tx.unkeyed_rows()).unwrap(), (0, 0));
        s.write(|tx| tx.insert_instance_secret(ROOT, &[5; 48], &t(1))).unwrap();
        unique(s.write(|tx| tx.insert_instance_secret(ROOT, &[6; 48], &t(2))));
        assert!(s.write(|tx| tx.insert_instance_secret("other", &[1], &t(2))).is_err(), "one purpose only");
        assert_eq!(s.read(|tx| tx.instance_secret(ROOT)).unwrap(), Some(vec![5; 48]));
        assert_eq!(s.read(|tx| tx.instance_secret("other")).unwrap(), None);
        assert_eq!(
            s.read(|tx| tx.sealed_values(SealedColumn::InstanceSecret)).unwrap(),
            vec![(ROOT.to_string(), vec![5; 48])]
        );
        s.write(|tx| tx.update_sealed(SealedColumn::InstanceSecret, ROOT, &[7; 50])).unwrap();
        assert_eq!(s.read(|tx| tx.instance_secret(ROOT)).unwrap(), Some(vec![7; 50]));

        let plain = |c: &str| c.repeat(32);
        s.write(|tx| {
            tx.insert_reg_key(&RegKeyRow { key_hash: format!("plain:{}", plain("aa")), ..reg_key("k1", "one") })?;
            tx.insert_reg_key(&RegKeyRow { key_hash: format!("k1:{}", plain("bb")), ..reg_key("k2", "two") })?;
            tx.insert_reg_key(&RegKeyRow { key_hash: format!("plain:{}", plain("cc")), ..reg_key("k3", "three") })?;
            tx.insert_device(&DeviceRow {
                credential_hash: Some(format!("plain:{}", plain("dd"))),
                ..device("d1", "pc1")
            })?;
            tx.insert_device(&DeviceRow { credential_hash: None, ..device("d2", "pc2") })?;
            tx.insert_password(&password("p0", "d1", 1, Some(2)))?;
            tx.insert_password(&PasswordRow { row_mac: None, ..password("p1", "d1", 2, None) })?;
            tx.upsert_bitlocker_key(&BitLockerRow { row_mac: None, ..bitlocker("b1", "d1", "K1", 3) })?;
            tx.upsert_bitlocker_key(&bitlocker("b2", "d2", "K2", 4))
        })
        .unwrap();
        // Two plain registration keys and one plain credential; one password and one BitLocker
        // key without a MAC.
        assert_eq!(s.read(|tx| tx.unkeyed_rows()).unwrap(), (3, 2));
        // Row MACs come back as written.
        assert_eq!(s.read(|tx| tx.passwords("d1")).unwrap()[1].row_mac.as_deref(), Some("k1:test"));
        assert_eq!(s.read(|tx| tx.bitlocker_keys("d2")).unwrap()[0].row_mac.as_deref(), Some("k1:4"));

        // Re-keying sees each plain hash without its mark, in id order, and changes only the rows
        // it gives a new hash for.
        let mut seen = Vec::new();
        let n = s
            .write(|tx| {
                tx.rekey_plain_lookup_hashes(LookupKind::RegistrationKey, &mut |id, h| {
                    seen.push((id.to_string(), h.to_string()));
                    (id == "k1").then(|| format!("k1:{h}"))
                })
            })
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(seen, [("k1".to_string(), plain("aa")), ("k3".to_string(), plain("cc"))]);
        let keys = s.read(|tx| tx.reg_keys(None, None, None)).unwrap();
        let hash = |id: &str| keys.iter().find(|k| k.id == id).unwrap().key_hash.clone();
        assert_eq!(hash("k1"), format!("k1:{}", plain("aa")));
        assert_eq!(hash("k2"), format!("k1:{}", plain("bb")));
        assert_eq!(hash("k3"), format!("plain:{}", plain("cc")));
        let mut seen = Vec::new();
        let n = s
            .write(|tx| {
                tx.rekey_plain_lookup_hashes(LookupKind::DeviceCredential, &mut |id, h| {
                    seen.push((id.to_string(), h.to_string()));
                    Some("k1:new".to_string())
                })
            })
            .unwrap();
        assert_eq!((n, seen), (1, vec![("d1".to_string(), plain("dd"))]));
        assert_eq!(s.read(|tx| tx.device("d1")).unwrap().unwrap().credential_hash.as_deref(), Some("k1:new"));
        assert_eq!(s.read(|tx| tx.device("d2")).unwrap().unwrap().credential_hash, None);
        assert_eq!(s.read(|tx| tx.unkeyed_rows()).unwrap(), (1, 2));

        // Rows without a MAC get the one computed from the whole row; the others keep theirs.
        let (mut pw_seen, mut bl_seen) = (Vec::new(), Vec::new());
        let n = s
            .write(|tx| {
                tx.mac_unmacced_secret_rows(
                    &mut |p| {
                        pw_seen.push(p.clone());
                        format!("k1:mac-{}", p.id)
                    },
                    &mut |k| {
                        bl_seen.push(k.clone());
                        format!("k1:mac-{}", k.id)
                    },
                )
            })
            .unwrap();
        assert_eq!(n, 2);
        assert_eq!(pw_seen, [PasswordRow { row_mac: None, ..password("p1", "d1", 2, None) }]);
        assert_eq!(bl_seen, [BitLockerRow { row_mac: None, ..bitlocker("b1", "d1", "K1", 3) }]);
        let current = s.read(|tx| tx.current_password("d1")).unwrap().unwrap();
        assert_eq!((current.id.as_str(), current.row_mac.as_deref()), ("p1", Some("k1:mac-p1")));
        assert_eq!(s.read(|tx| tx.passwords("d1")).unwrap()[1].row_mac.as_deref(), Some("k1:test"));
        assert_eq!(s.read(|tx| tx.bitlocker_keys("d1")).unwrap()[0].row_mac.as_deref(), Some("k1:mac-b1"));
        assert_eq!(s.read(|tx| tx.bitlocker_keys("d2")).unwrap()[0].row_mac.as_deref(), Some("k1:4"));
        assert_eq!(s.read(|tx| tx.unkeyed_rows()).unwrap(), (1, 0));
        assert_eq!(
            s.write(|tx| tx.mac_unmacced_secret_rows(&mut |_| unreachable!(), &mut |_| unreachable!())).unwrap(),
            0
        );
        // A BitLocker key uploaded again replaces its MAC with the new row's.
        s.write(|tx| {
            tx.upsert_bitlocker_key(&BitLockerRow {
                row_mac: Some("k1:again".into()),
                ..bitlocker("b9", "d1", "K1", 5)
            })
        })
        .unwrap();
        let keys = s.read(|tx| tx.bitlocker_keys("d1")).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!((keys[0].id.as_str(), keys[0].row_mac.as_deref()), ("b1", Some("k1:again")));
    }

    pub fn channel(id: &str, name: &str) -> NotificationChannelRow {
        NotificationChannelRow {
            id: id.into(),
            name: name.into(),
            kind: "Webhook".into(),
            enabled: true,
            settings: r#"{"Url":"https://x/"}"#.into(),
            route_events: r#"["access"]"#.into(),
            route_outcomes: r#"["success"]"#.into(),
            subject_template: None,
            body_template: Some("{{Event}}".into()),
            max_attempts: 3,
            retry_seconds: 60,
            sealed_secret: Some(vec![7; 33]),
            created_at: t(1),
            modified_at: t(2),
        }
    }

    pub fn message(id: &str, channel: &str, audit: &str, due: u32) -> NotificationRow {
        NotificationRow {
            id: id.into(),
            channel_id: channel.into(),
            audit_id: audit.into(),
            event: "access.request".into(),
            payload: r#"{"Event":"access.request"}"#.into(),
            state: "Pending".into(),
            attempts: 0,
            due_at: t(due),
            claim_id: None,
            last_attempt_at: None,
            last_error: None,
            created_at: t(due),
            delivered_at: None,
        }
    }

    pub fn notification_channels_queue_and_claims(s: &Store) {
        assert!(!s.read(|tx| tx.any_notification_channel()).unwrap());
        s.write(|tx| {
            tx.insert_notification_channel(&channel("c1", "SecOps"))?;
            tx.insert_notification_channel(&channel("c2", "Mail"))
        })
        .unwrap();
        unique(s.write(|tx| tx.insert_notification_channel(&channel("c3", "secops"))));
        assert!(s.read(|tx| tx.any_notification_channel()).unwrap());
        let names: Vec<String> = s.read(|tx| tx.notification_channels()).unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["Mail", "SecOps"]);
        assert_eq!(s.read(|tx| tx.notification_channel_by_name("SECOPS")).unwrap().unwrap(), channel("c1", "SecOps"));
        assert_eq!(s.read(|tx| tx.notification_channel("c2")).unwrap().unwrap(), channel("c2", "Mail"));
        let changed = NotificationChannelRow {
            enabled: false,
            sealed_secret: None,
            subject_template: Some("s".into()),
            ..channel("c2", "Mail2")
        };
        assert!(s.write(|tx| tx.update_notification_channel(&changed)).unwrap());
        assert_eq!(s.read(|tx| tx.notification_channel("c2")).unwrap().unwrap(), changed);

        s.write(|tx| {
            tx.insert_notification(&message("m1", "c1", "a1", 5))?;
            tx.insert_notification(&message("m2", "c1", "a2", 3))?;
            tx.insert_notification(&message("m3", "c2", "a1", 9))
        })
        .unwrap();
        unique(s.write(|tx| tx.insert_notification(&message("m4", "c1", "a1", 5))));
        assert_eq!(
            violation(s.write(|tx| tx.insert_notification(&message("m5", "nope", "a9", 1))).unwrap_err()),
            Some(Violation::ForeignKey)
        );
        assert_eq!(s.read(|tx| tx.notification("m1")).unwrap().unwrap(), message("m1", "c1", "a1", 5));
        let due: Vec<String> =
            s.read(|tx| tx.due_notifications(&t(5), 10)).unwrap().into_iter().map(|m| m.id).collect();
        assert_eq!(due, ["m2", "m1"], "due ones, oldest due first");
        assert_eq!(s.read(|tx| tx.due_notifications(&t(9), 1)).unwrap().len(), 1);

        // A claim succeeds once: a second claim from the same read finds the row changed.
        let seen = s.read(|tx| tx.notification("m2")).unwrap().unwrap();
        assert!(s.write(|tx| tx.claim_notification(&seen, "run-a", &t(6), &t(100))).unwrap());
        assert!(!s.write(|tx| tx.claim_notification(&seen, "run-b", &t(6), &t(100))).unwrap());
        let claimed = s.read(|tx| tx.notification("m2")).unwrap().unwrap();
        assert_eq!(
            (claimed.state.as_str(), claimed.attempts, claimed.claim_id.as_deref()),
            ("Sending", 1, Some("run-a"))
        );
        assert_eq!((claimed.due_at.clone(), claimed.last_attempt_at.clone()), (t(100), Some(t(6))));
        assert!(
            !s.read(|tx| tx.due_notifications(&t(99), 10)).unwrap().iter().any(|m| m.id == "m2"),
            "held by its lease"
        );
        // After the lease another run may take it over; the first run's outcome is then ignored.
        let stale = s.read(|tx| tx.due_notifications(&t(100), 10)).unwrap().into_iter().find(|m| m.id == "m2").unwrap();
        assert!(s.write(|tx| tx.claim_notification(&stale, "run-c", &t(101), &t(200))).unwrap());
        let done = NotificationRow { state: "Delivered".into(), delivered_at: Some(t(102)), ..claimed.clone() };
        assert!(!s.write(|tx| tx.finish_notification(&done, "run-a")).unwrap());
        assert!(s.write(|tx| tx.finish_notification(&done, "run-c")).unwrap());
        let m2 = s.read(|tx| tx.notification("m2")).unwrap().unwrap();
        assert_eq!(
            (m2.state.as_str(), m2.attempts, m2.claim_id.clone(), m2.delivered_at.clone()),
            ("Delivered", 2, None, Some(t(102)))
        );
        assert!(
            !s.write(|tx| tx.claim_notification(&m2, "run-d", &t(300), &t(400))).unwrap(),
            "a delivered message is never claimed"
        );

        let f = |state: Option<&'static str>, channel: Option<&'static str>| {
            s.read(|tx| tx.notifications(&NotificationFilter { state, channel_id: channel, audit_id: None, limit: 10 }))
                .unwrap()
                .into_iter()
                .map(|m| m.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(f(Some("Delivered"), None), ["m2"]);
        assert_eq!(f(Some("Pending"), Some("c1")), ["m1"]);
        assert_eq!(f(None, Some("c2")), ["m3"]);
        // Removing a channel removes its messages.
        assert!(s.write(|tx| tx.delete_notification_channel("c1")).unwrap());
        assert!(!s.write(|tx| tx.delete_notification_channel("c1")).unwrap());
        assert_eq!(f(None, None), ["m3"]);
    }
}
