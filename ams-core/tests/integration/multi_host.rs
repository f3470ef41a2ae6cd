//! Two hosts writing one database at once: what SQLite's single writer makes race-free must stay
//! race-free when two ams hosts share a SQL Server database (docs/sql-server.md, "Several hosts
//! on one database"). Each check runs the same work on two handles at once, started together
//! by a barrier, each on its own connection: on SQLite two handles on one data directory (two
//! connections to one file), always; on SQL Server two data directories that share the
//! database of `AMS_TEST_MSSQL_URL` and one host key, when that variable is set.
//!
//! What is checked: registration-key activation counts, exactly one active certificate, the
//! current-password switch, rate-limit counters, JIT removal jobs claimed once, and after each
//! race an audit chain without fork or gap.

use std::sync::{Arc, Barrier, Mutex};

use ams_core::clock::{Clock, FixedClock};
use ams_core::crypto::envelope::OaepHash;
use ams_core::service::agent::Registration;
use ams_core::service::certs::NewCertOptions;
use ams_core::service::keys::Keyring;
use ams_core::service::secrets::Upload;
use ams_core::{Ams, ErrorCode, OpenOptions};

use crate::fixture::{RECOVERY, RemovalDirectory, cheap_kdf, pending_removal};

/// One host: its handle and its unlocked keys.
pub struct Host {
    pub ams: Ams,
    pub keyring: Keyring,
}

/// Two hosts on one database, and whatever keeps it alive.
pub struct Hosts {
    pub hosts: Vec<Host>,
    pub clock: FixedClock,
    _keep: Box<dyn std::any::Any>,
}

fn clock() -> FixedClock {
    FixedClock::new(time::macros::datetime!(2026-03-01 12:00 UTC))
}

fn sqlite_hosts() -> Hosts {
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let opts = OpenOptions::new(dir.path().join("data")).clock(Arc::new(clock.clone()));
    let (a, _) = Ams::init(&opts, RECOVERY, cheap_kdf()).unwrap();
    let b = Ams::open(&opts).unwrap();
    let hosts = [a, b].into_iter().map(|ams| Host { keyring: ams.unlock().unwrap(), ams }).collect();
    Hosts { hosts, clock, _keep: Box::new(dir) }
}

/// Two data directories on the test database, the second with a copy of the first's host key
/// (as docs/sql-server.md tells an operator to do).
#[cfg(feature = "mssql")]
fn mssql_hosts() -> Hosts {
    use ams_core::instance::{HOST_KEY_FILE, HostConfig, create_data_dir};
    use ams_core::store::{DbUrl, lock_mssql_for_tests, wipe_mssql_for_tests};
    let cs = std::env::var("AMS_TEST_MSSQL_URL").unwrap();
    let url = DbUrl::parse(&cs, std::path::Path::new("/")).unwrap();
    let turn = lock_mssql_for_tests(&url).unwrap();
    wipe_mssql_for_tests(&url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clock = clock();
    let dirs = [dir.path().join("a"), dir.path().join("b")];
    for d in &dirs {
        create_data_dir(d).unwrap();
        HostConfig { database: cs.clone(), ..HostConfig::default() }.save(d).unwrap();
    }
    let opts = |d: &std::path::Path| OpenOptions::new(d).clock(Arc::new(clock.clone()));
    let (a, _) = Ams::init(&opts(&dirs[0]), RECOVERY, cheap_kdf()).unwrap();
    let key = std::fs::read(dirs[0].join(HOST_KEY_FILE)).unwrap();
    write_private(&dirs[1].join(HOST_KEY_FILE), &key);
    let b = Ams::open(&opts(&dirs[1])).unwrap();
    let hosts = [a, b].into_iter().map(|ams| Host { keyring: ams.unlock().unwrap(), ams }).collect();
    Hosts { hosts, clock, _keep: Box::new((dir, turn)) }
}

#[cfg(feature = "mssql")]
fn write_private(path: &std::path::Path, bytes: &[u8]) {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path).unwrap().write_all(bytes).unwrap();
}

type MakeHosts = fn() -> Hosts;

fn engines() -> Vec<(&'static str, MakeHosts)> {
    #[allow(unused_mut)]
    let mut list: Vec<(&'static str, MakeHosts)> = vec![("sqlite", sqlite_hosts)];
    #[cfg(feature = "mssql")]
    if std::env::var_os("AMS_TEST_MSSQL_URL").is_some() {
        list.push(("mssql", mssql_hosts));
    } else {
        eprintln!("multi-host: SQL Server skipped (AMS_TEST_MSSQL_URL is not set)");
    }
    list
}

impl Hosts {
    /// Runs `work(host, index)` on both hosts at once (each on its own thread, released
    /// together), and returns what each returned.
    fn race<R: Send>(&mut self, work: impl Fn(&Host, usize) -> R + Sync) -> Vec<R> {
        let start = Barrier::new(self.hosts.len());
        let (work, start) = (&work, &start);
        std::thread::scope(|s| {
            let running: Vec<_> = self
                .hosts
                .iter_mut()
                .enumerate()
                .map(|(i, h)| {
                    s.spawn(move || {
                        start.wait();
                        work(h, i)
                    })
                })
                .collect();
            running.into_iter().map(|t| t.join().unwrap()).collect()
        })
    }

    fn a(&self) -> &Host {
        &self.hosts[0]
    }

    /// The audit chain verifies (no fork: every record chains onto the one before; no gap: seq
    /// runs 1, 2, 3, ...), read from both hosts.
    fn audit_chain_is_whole(&self) {
        let mut heads = Vec::new();
        for h in &self.hosts {
            let v = h.ams.audit_verify(None).unwrap();
            let seqs: Vec<i64> = {
                let mut all = Vec::new();
                h.ams
                    .store()
                    .read(|tx| {
                        tx.for_each_audit(&mut |r| {
                            all.push(r.seq);
                            Ok(())
                        })
                    })
                    .unwrap();
                all
            };
            let want: Vec<i64> = (1..=i64::try_from(seqs.len()).unwrap()).collect();
            assert_eq!(seqs, want, "audit seq has no gap");
            assert_eq!(v.records, seqs.len() as u64);
            heads.push((v.head, v.head_seq));
        }
        assert!(heads.windows(2).all(|w| w[0] == w[1]), "both hosts see one chain: {heads:?}");
    }
}

macro_rules! multi_host {
    ($($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                for (engine, make) in engines() {
                    eprintln!("multi-host: {} on {engine}", stringify!($check));
                    let mut hosts = make();
                    checks::$check(&mut hosts);
                    hosts.audit_chain_is_whole();
                }
            }
        )*
    };
}

multi_host!(
    two_hosts_never_exceed_a_registration_key_limit,
    two_hosts_activating_certificates_leave_one_active,
    two_hosts_uploading_passwords_leave_one_current,
    two_hosts_share_the_rate_limit_counters,
    two_hosts_running_due_jit_jobs_process_each_once,
);

fn registration(name: &str) -> Registration {
    Registration {
        name: name.into(),
        os: "windows".into(),
        dns_name: Some(format!("{name}.example.test")),
        os_version: None,
        agent_version: None,
    }
}

mod checks {
    use super::*;

    /// Each host tries more registrations than the key allows: together they take exactly
    /// the limit, and the count says so.
    pub fn two_hosts_never_exceed_a_registration_key_limit(h: &mut Hosts) {
        const LIMIT: i64 = 5;
        let key = h.a().ams.reg_key_new(&h.a().keyring, "shared", true, LIMIT, false).unwrap();
        let outcomes = h.race(|host, i| {
            (0..LIMIT)
                .map(|n| host.ams.agent_register(&key.key, &registration(&format!("h{i}-pc{n}"))).map(|_| ()))
                .collect::<Vec<_>>()
        });
        let all: Vec<_> = outcomes.into_iter().flatten().collect();
        let ok = all.iter().filter(|r| r.is_ok()).count();
        assert_eq!(ok as i64, LIMIT, "exactly the limit registered: {all:?}");
        for e in all.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(e.code(), ErrorCode::RegKeyExhausted, "{e:?}");
        }
        let info = h.a().ams.store().read(|tx| tx.reg_keys(Some(&key.id), None, None)).unwrap();
        assert_eq!(info[0].activation_count, LIMIT);
        assert_eq!(h.a().ams.store().read(|tx| tx.devices(None, None, None)).unwrap().len() as i64, LIMIT);
    }

    /// Each host makes and activates certificates: one is active at the end, whatever the
    /// interleaving, and every certificate made is there.
    pub fn two_hosts_activating_certificates_leave_one_active(h: &mut Hosts) {
        let outcomes = h.race(|host, i| {
            (0..2)
                .map(|n| {
                    host.ams.cert_new(
                        &host.keyring,
                        &NewCertOptions {
                            subject: format!("host{i}-{n}"),
                            key_bits: 3072,
                            validity_days: 30,
                            activate: true,
                        },
                    )
                })
                .collect::<Vec<_>>()
        });
        for r in outcomes.iter().flatten() {
            assert!(r.is_ok(), "{r:?}");
        }
        let certs = h.a().ams.cert_list().unwrap();
        assert_eq!(certs.len(), 4);
        let rows = h.a().ams.store().read(|tx| tx.certs()).unwrap();
        assert_eq!(rows.iter().filter(|c| c.state == "active").count(), 1, "{rows:?}");
        assert!(h.a().ams.store().read(|tx| tx.active_cert()).unwrap().is_some());
    }

    /// Both hosts upload passwords for one device at once: one current password, every upload
    /// kept in the history.
    pub fn two_hosts_uploading_passwords_leave_one_current(h: &mut Hosts) {
        let a = h.a();
        a.ams
            .cert_new(
                &a.keyring,
                &NewCertOptions { subject: "shared".into(), key_bits: 3072, validity_days: 30, activate: true },
            )
            .unwrap();
        let key = a.ams.reg_key_new(&a.keyring, "pw", true, 0, false).unwrap();
        let device = a.ams.agent_register(&key.key, &registration("pc1")).unwrap().device_id;
        const EACH: usize = 6;
        let outcomes = h.race(|host, i| {
            (0..EACH)
                .map(|n| {
                    host.ams.agent_upload(
                        &host.keyring,
                        &device,
                        &Upload::Password { account_name: "Administrator".into() },
                        format!("Canary-Race-{i}-{n}").as_bytes(),
                        OaepHash::Sha256,
                    )
                })
                .collect::<Vec<_>>()
        });
        for r in outcomes.iter().flatten() {
            assert!(r.is_ok(), "{r:?}");
        }
        let rows = h.a().ams.store().read(|tx| tx.passwords(&device)).unwrap();
        assert_eq!(rows.len(), 2 * EACH);
        assert_eq!(rows.iter().filter(|p| p.retired_at.is_none()).count(), 1, "one current password");
        let current = h.a().ams.store().read(|tx| tx.current_password(&device)).unwrap().unwrap();
        assert!(rows.iter().any(|p| p.id == current.id && p.retired_at.is_none()));
    }

    /// Both hosts ask for the same user at once: the per-user limit holds across them.
    pub fn two_hosts_share_the_rate_limit_counters(h: &mut Hosts) {
        use ams_core::authz::{AccessType, AceKind};
        use ams_core::service::access::{AccessQuery, AccessRequest, DirectoryInfo};
        use ams_core::service::devices::DeviceSelector;
        use ams_core::service::rules::{ComputerRuleSettings, NewComputerRule, PrincipalChange, TargetSpec};
        use ams_core::service::settings::RATE_LIMIT_PER_USER_PER_MINUTE;
        const READERS: &str = "S-1-5-21-1000-2000-3000-2001";
        const ALICE: &str = "S-1-5-21-1000-2000-3000-1104";
        const LIMIT: usize = 4;
        let a = h.a();
        a.ams
            .cert_new(
                &a.keyring,
                &NewCertOptions { subject: "rate".into(), key_bits: 3072, validity_days: 30, activate: true },
            )
            .unwrap();
        let key = a.ams.reg_key_new(&a.keyring, "rate", true, 0, false).unwrap();
        let device = a.ams.agent_register(&key.key, &registration("pc1")).unwrap().device_id;
        a.ams
            .agent_upload(
                &a.keyring,
                &device,
                &Upload::Password { account_name: "Administrator".into() },
                b"Canary-Rate-Race",
                OaepHash::Sha256,
            )
            .unwrap();
        a.ams
            .computer_rule_new(&NewComputerRule {
                target: TargetSpec::AmsComputer(device.clone()),
                script: None,
                principals: vec![PrincipalChange {
                    access_type: AccessType::Laps,
                    kind: AceKind::Allow,
                    principal: READERS.into(),
                }],
                settings: ComputerRuleSettings::default(),
            })
            .unwrap();
        a.ams.set_int_setting(&RATE_LIMIT_PER_USER_PER_MINUTE, LIMIT as i64).unwrap();
        let req = AccessRequest {
            query: AccessQuery {
                computer: DeviceSelector::ComputerName("pc1".into()),
                user_sid: ALICE.into(),
                group_sids: vec![READERS.into()],
                directory: DirectoryInfo::default(),
            },
            access_type: AccessType::Laps,
            reason: Some("ticket 42".into()),
            source_address: None,
            requested_duration: None,
        };
        let outcomes = h.race(|host, _| {
            (0..LIMIT).map(|_| host.ams.access_request(Some(&host.keyring), &req).map(|_| ())).collect::<Vec<_>>()
        });
        let all: Vec<_> = outcomes.into_iter().flatten().collect();
        assert_eq!(all.iter().filter(|r| r.is_ok()).count(), LIMIT, "{all:?}");
        for e in all.iter().filter_map(|r| r.as_ref().err()) {
            assert_eq!(e.code(), ErrorCode::RateLimited, "{e:?}");
        }
    }

    /// Both hosts run the due JIT removal jobs at once: every job is removed once, and each
    /// run reports only the jobs it processed.
    pub fn two_hosts_running_due_jit_jobs_process_each_once(h: &mut Hosts) {
        const JOBS: usize = 8;
        let job = |n: usize| {
            pending_removal(
                &format!("job-{n}"),
                &format!("S-1-5-21-1-2-3-{}", 1000 + n),
                &format!("uid=user{n},ou=People,dc=example,dc=test"),
                "cn=JIT-PC1,ou=Groups,dc=example,dc=test",
            )
        };
        h.a()
            .ams
            .store()
            .write(|tx| {
                for n in 0..JOBS {
                    tx.put_jit_job(&job(n))?;
                }
                Ok(())
            })
            .unwrap();
        let removed = Mutex::new(Vec::new());
        let now = h.clock.now();
        let reports = h.race(|host, _| {
            // Records each removal (the race under test is the database's job claim, not the
            // directory's).
            let mut d =
                RemovalDirectory(|_: &str, member_dn: &str| removed.lock().unwrap().push(member_dn.to_string()));
            host.ams.jit_run_due_with(Some(&mut d), now).unwrap()
        });
        let mut removed = removed.into_inner().unwrap();
        removed.sort();
        let mut want: Vec<String> = (0..JOBS).map(|n| job(n).member_dn).collect();
        want.sort();
        assert_eq!(removed, want, "each membership removed once");
        assert_eq!(reports.iter().map(|r| r.done).sum::<usize>(), JOBS, "{reports:?}");
        for n in 0..JOBS {
            let j = h.a().ams.jit_job(&format!("job-{n}")).unwrap();
            assert_eq!((j.state.as_str(), j.attempts), ("Done", 1), "job-{n}: processed once");
        }
    }
}
