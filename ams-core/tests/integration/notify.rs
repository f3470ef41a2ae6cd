//! Notification channels against real receivers: an HTTPS receiver with real TLS (a test CA made
//! with openssl at test time) that checks the HMAC signature, a real SMTP server (aiosmtpd) with
//! STARTTLS or implicit TLS and AUTH, and a script that gets the event JSON on stdin. Time is the
//! fixture's clock: retries are due when the clock says so, never after a sleep.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use ams_core::ErrorCode;
use ams_core::authz::{AccessType, AceKind};
use ams_core::service::access::{AccessQuery, AccessRequest, DirectoryInfo};
use ams_core::service::devices::DeviceSelector;
use ams_core::service::notifications::{ChannelChanges, ChannelInfo};
use ams_core::service::rules::{ComputerRuleSettings, NewComputerRule, PrincipalChange, TargetSpec};
use hmac::{KeyInit, Mac};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::Value;
use time::Duration;

use crate::fixture::Fixture;

const HMAC_KEY: &[u8] = b"x-Canary-Webhook-Hmac-Key-7f3a9c";
const SMTP_PASSWORD: &str = "x-Canary-Smtp-Password-51d2";

// ---------------------------------------------------------------------------------------------
// A test CA and a server certificate for 127.0.0.1 / localhost, made with openssl.

struct TestCa {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out =
        Command::new("openssl").current_dir(dir).args(args).output().expect("openssl (scripts/install-test-deps.sh)");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

impl TestCa {
    fn new() -> TestCa {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "ca.key",
                "-out",
                "ca.pem",
                "-days",
                "2",
                "-subj",
                "/CN=ams notify test CA",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        openssl(
            d,
            &[
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                "leaf.key",
                "-out",
                "leaf.csr",
                "-subj",
                "/CN=localhost",
            ],
        );
        std::fs::write(
            d.join("ext.cnf"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-out",
                "leaf.pem",
                "-days",
                "2",
                "-extfile",
                "ext.cnf",
            ],
        );
        TestCa { ca: d.join("ca.pem"), cert: d.join("leaf.pem"), key: d.join("leaf.key"), _dir: dir }
    }
}

// ---------------------------------------------------------------------------------------------
// A loopback HTTPS receiver.

#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

struct Receiver {
    port: u16,
    status: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn serve_one(conn: rustls::ServerConnection, tcp: TcpStream, status: u16) -> Option<Received> {
    tcp.set_read_timeout(Some(StdDuration::from_secs(10))).ok()?;
    let mut s = rustls::StreamOwned::new(conn, tcp);
    let mut reader = BufReader::new(&mut s);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
    }
    let len: usize = headers.get("content-length")?.parse().ok()?;
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body).ok()?;
    drop(reader);
    let _ = write!(s, "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = s.flush();
    s.conn.send_close_notify();
    let _ = s.flush();
    Some(Received { path, headers, body })
}

impl Receiver {
    fn start(ca: &TestCa, port: u16) -> Receiver {
        let certs: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(&ca.cert).unwrap().collect::<Result<_, _>>().unwrap();
        let key = PrivateKeyDer::from_pem_file(&ca.key).unwrap();
        let config = Arc::new(
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap(),
        );
        let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let status = Arc::new(AtomicU16::new(200));
        let got = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, g, sp) = (status.clone(), got.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for tcp in listener.incoming() {
                if sp.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(tcp) = tcp else { continue };
                let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                if let Some(r) = serve_one(conn, tcp, st.load(Ordering::SeqCst)) {
                    g.lock().unwrap().push(r);
                }
            }
        });
        Receiver { port, status, got, stop, thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}/hooks/ams", self.port)
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What a receiver does to check a delivery: HMAC-SHA256 over `timestamp "." body`, compared
/// with the header (docs/notifications.md, "Verifying a webhook").
fn signature_ok(r: &Received, key: &[u8]) -> bool {
    let ts = &r.headers["x-ams-timestamp"];
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    let want = r.headers["x-ams-signature"].strip_prefix("sha256=").unwrap().to_string();
    let want: Vec<u8> = (0..want.len() / 2).map(|i| u8::from_str_radix(&want[2 * i..2 * i + 2], 16).unwrap()).collect();
    mac.verify_slice(&want).is_ok()
}

fn webhook(name: &str, url: &str, ca: Option<&Path>, events: &[&str]) -> ChannelChanges {
    ChannelChanges {
        name: Some(name.into()),
        kind: Some("webhook".into()),
        url: Some(url.into()),
        ca_file: ca.map(|p| p.display().to_string()),
        route_events: Some(events.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    }
}

/// The channel `hook`: a webhook to the receiver for `group` events, signed with HMAC_KEY.
fn signed_hook(f: &Fixture, rx: &Receiver, ca: &TestCa) -> ChannelInfo {
    f.ams
        .notification_channel_new(
            Some(&f.keyring),
            &webhook("hook", &rx.url(), Some(&ca.ca), &["group"]),
            Some(HMAC_KEY),
        )
        .unwrap()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn webhook_is_signed_sent_over_verified_tls_and_queued_with_the_audit_record() {
    let ca = TestCa::new();
    let rx = Receiver::start(&ca, 0);
    let f = Fixture::bare();
    let ch = signed_hook(&f, &rx, &ca);
    assert!(ch.secret_set);
    let g = f.ams.group_new("lab-group", None).unwrap();

    // Queued in the audit record's transaction: one message, for the group.new record.
    let q = f.ams.notify_queue(Some("pending"), None, 100).unwrap();
    assert_eq!(q.len(), 1);
    let audit = f.ams.audit_records(Some(&g.id), 10).unwrap();
    assert_eq!(q[0].audit_id, audit.last().unwrap().id);
    assert_eq!(q[0].event, "group.new");
    assert!(rx.received().is_empty(), "nothing is sent before a run");

    let rep = f.ams.notify_run_due(Some(&f.keyring), None).unwrap();
    assert_eq!((rep.claimed, rep.delivered), (1, 1));
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let r = &got[0];
    assert_eq!(r.path, "/hooks/ams");
    assert!(signature_ok(r, HMAC_KEY), "the receiver's check of the signature passes");
    assert!(!signature_ok(r, b"another key of the same length!!"), "and fails with another key");
    assert_eq!(r.headers["x-ams-timestamp"], f.ams.now_time().unix_timestamp().to_string());
    assert_eq!(r.headers["x-ams-delivery"], q[0].id);
    assert_eq!(r.headers["x-ams-event"], "group.new");
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["Event"], "group.new");
    assert_eq!(body["Outcome"], "success");
    assert_eq!(body["EventId"], q[0].audit_id);
    assert_eq!(body["Details"]["Name"], "lab-group");
    assert_eq!(body["Channel"], "hook");
    assert!(body["Message"].as_str().unwrap().contains("group.new"));
    // The channel's secret is in no output, queue row or message.
    let key = std::str::from_utf8(HMAC_KEY).unwrap();
    for text in [
        String::from_utf8_lossy(&r.body).to_string(),
        serde_json::to_string(&f.ams.notification_channels(None).unwrap()).unwrap(),
        serde_json::to_string(&f.ams.notify_queue(None, None, 100).unwrap()).unwrap(),
        serde_json::to_string(&f.ams.audit_records(None, 1000).unwrap()).unwrap(),
    ] {
        assert!(!text.contains(key), "the HMAC key leaked");
    }
    let delivered = f.ams.notify_queue(Some("delivered"), Some("hook"), 100).unwrap();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].attempts, 1);
    // Nothing more is due.
    assert_eq!(f.ams.notify_run_due(Some(&f.keyring), None).unwrap().claimed, 0);
    assert_eq!(rx.received().len(), 1);
}

#[test]
fn the_server_certificate_is_verified() {
    let ca = TestCa::new();
    let rx = Receiver::start(&ca, 0);
    let f = Fixture::bare();
    // Without the CA file the platform's roots are used: the test CA is not among them.
    f.ams
        .notification_channel_new(Some(&f.keyring), &webhook("hook", &rx.url(), None, &["group"]), Some(HMAC_KEY))
        .unwrap();
    f.ams.group_new("g", None).unwrap();
    let rep = f.ams.notify_run_due(Some(&f.keyring), None).unwrap();
    assert_eq!((rep.delivered, rep.retrying), (0, 1));
    let err = rep.messages[0].error.clone().unwrap();
    assert!(err.to_lowercase().contains("certificate") || err.contains("UnknownIssuer"), "{err}");
    assert!(rx.received().is_empty());
    // A test through the same channel fails with a coded error.
    let e = f.ams.notification_channel_test(Some(&f.keyring), "hook").unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotificationDeliveryFailed);
}

#[test]
fn a_receiver_that_is_down_then_up_gets_the_message_once_retries_run() {
    let ca = TestCa::new();
    let port = free_port();
    let f = Fixture::bare();
    let mut ch = webhook("hook", &format!("https://127.0.0.1:{port}/x"), Some(&ca.ca), &["group"]);
    ch.retry_seconds = Some(30);
    f.ams.notification_channel_new(Some(&f.keyring), &ch, Some(HMAC_KEY)).unwrap();
    f.ams.group_new("g", None).unwrap();

    let first = f.ams.notify_run_due(Some(&f.keyring), None).unwrap();
    assert_eq!((first.claimed, first.retrying), (1, 1));
    let due = first.messages[0].next_due_time.clone().unwrap();
    assert_eq!(due, ams_core::clock::format_time(f.ams.now_time() + Duration::seconds(30)));
    // Not due again before the backoff ends.
    f.clock.advance(Duration::seconds(29));
    assert_eq!(f.ams.notify_run_due(Some(&f.keyring), None).unwrap().claimed, 0);

    let rx = Receiver::start(&ca, port);
    f.clock.advance(Duration::seconds(1));
    let second = f.ams.notify_run_due(Some(&f.keyring), None).unwrap();
    assert_eq!((second.claimed, second.delivered), (1, 1));
    assert_eq!(second.messages[0].attempts, 2);
    f.clock.advance(Duration::hours(1));
    assert_eq!(f.ams.notify_run_due(Some(&f.keyring), None).unwrap().claimed, 0);
    assert_eq!(rx.received().len(), 1, "delivered exactly once");
    assert!(signature_ok(&rx.received()[0], HMAC_KEY));
}

#[test]
fn a_message_is_dead_lettered_after_the_configured_attempts() {
    let ca = TestCa::new();
    let rx = Receiver::start(&ca, 0);
    rx.status.store(500, Ordering::SeqCst);
    let f = Fixture::bare();
    let mut ch = webhook("hook", &rx.url(), Some(&ca.ca), &["group"]);
    ch.max_attempts = Some(3);
    ch.retry_seconds = Some(10);
    f.ams.notification_channel_new(Some(&f.keyring), &ch, Some(HMAC_KEY)).unwrap();
    f.ams.group_new("g", None).unwrap();
    let mut outcomes = Vec::new();
    for wait in [0, 10, 20] {
        f.clock.advance(Duration::seconds(wait));
        let rep = f.ams.notify_run_due(Some(&f.keyring), None).unwrap();
        assert_eq!(rep.claimed, 1);
        outcomes.push(rep.messages[0].outcome.clone());
        assert_eq!(rep.messages[0].error.as_deref(), Some("the receiver answered HTTP 500"));
    }
    assert_eq!(outcomes, ["Retry", "Retry", "DeadLetter"]);
    assert_eq!(rx.received().len(), 3);
    f.clock.advance(Duration::days(1));
    assert_eq!(f.ams.notify_run_due(Some(&f.keyring), None).unwrap().claimed, 0);
    let dead = f.ams.notify_queue(Some("dead-letter"), None, 10).unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].attempts, 3);
    // Audited, and that record is not routed (no loop).
    let audit = f.ams.audit_records(None, 100).unwrap();
    assert!(audit.iter().any(|a| a.event == "notification.dead_letter" && a.target_id.as_deref() == Some(&dead[0].id)));
    assert_eq!(f.ams.notify_queue(None, None, 100).unwrap().len(), 1);
}

#[test]
fn two_runs_at_once_send_each_message_once() {
    let ca = TestCa::new();
    let rx = Receiver::start(&ca, 0);
    let f = Fixture::bare();
    signed_hook(&f, &rx, &ca);
    for i in 0..12 {
        f.ams.group_new(&format!("g{i}"), None).unwrap();
    }
    let reports: Vec<_> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let ams = f.reopen();
                s.spawn(move || {
                    let k = ams.unlock().unwrap();
                    ams.notify_run_due(Some(&k), None).unwrap()
                })
            })
            .collect();
        runs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let delivered: usize = reports.iter().map(|r| r.delivered).sum();
    assert_eq!(delivered, 12);
    let got = rx.received();
    assert_eq!(got.len(), 12);
    let mut ids: Vec<&String> = got.iter().map(|r| &r.headers["x-ams-delivery"]).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "no message was sent twice");
}

#[test]
fn the_script_gets_the_event_json_on_stdin_and_nothing_reaches_a_shell() {
    let f = Fixture::bare();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("hook.sh");
    std::fs::write(&script, "#!/bin/sh\nprintf '%s\\n' \"$1\" \"$2\" \"$AMS_NOTIFICATION_ID\" > \"$0.args\"\ncat > \"$0.json.tmp\" && mv \"$0.json.tmp\" \"$0.json\"\n").unwrap();
    #[cfg(unix)]
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let marker = dir.path().join("pwned");
    f.ams
        .notification_channel_new(
            None,
            &ChannelChanges {
                name: Some("script".into()),
                kind: Some("script".into()),
                command: Some(script.display().to_string()),
                args: Some(vec!["--fixed".into(), "$(id)".into()]),
                route_events: Some(vec!["group".into()]),
                body_template: Some("{{Event}} on {{TargetType}} by {{Actor}}".into()),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let evil = format!("$(touch {}) `touch {}`; touch {}", marker.display(), marker.display(), marker.display());
    f.ams.group_new(&evil, None).unwrap();
    let rep = f.ams.notify_run_due(None, None).unwrap();
    assert_eq!(rep.delivered, 1, "{:?}", rep.messages);
    let doc: Value = serde_json::from_slice(&std::fs::read(script.with_extension("sh.json")).unwrap()).unwrap();
    assert_eq!(doc["Event"], "group.new");
    assert_eq!(doc["Details"]["Name"], evil.as_str(), "event data arrives verbatim, as JSON");
    assert_eq!(doc["Message"], format!("group.new on group by {}", f.ams.actor()));
    let args = std::fs::read_to_string(script.with_extension("sh.args")).unwrap();
    let q = f.ams.notify_queue(Some("delivered"), None, 10).unwrap();
    assert_eq!(args, format!("--fixed\n$(id)\n{}\n", q[0].id));
    assert!(!marker.exists(), "nothing from the event was run by a shell");

    // A failing script is retried.
    std::fs::write(&script, "#!/bin/sh\nexit 3\n").unwrap();
    f.ams.group_new("second", None).unwrap();
    let rep = f.ams.notify_run_due(None, None).unwrap();
    assert_eq!(rep.retrying, 1);
    assert!(rep.messages[0].error.as_deref().unwrap().contains("exit status: 3"), "{:?}", rep.messages[0].error);
}

#[test]
fn channel_settings_are_checked_and_bad_input_changes_nothing() {
    let f = Fixture::bare();
    let k = Some(&f.keyring);
    let base = webhook("hook", "https://127.0.0.1:9/x", None, &["group"]);
    let bad =
        |ch: ChannelChanges, secret: Option<&[u8]>| f.ams.notification_channel_new(k, &ch, secret).unwrap_err().code();
    assert_eq!(bad(base.clone(), None), ErrorCode::NotificationSecretRequired);
    assert_eq!(bad(base.clone(), Some(b"short")), ErrorCode::NotificationSecretRequired);
    assert_eq!(
        bad(ChannelChanges { url: Some("http://x/".into()), ..base.clone() }, Some(HMAC_KEY)),
        ErrorCode::NotificationChannelInvalid
    );
    assert_eq!(
        bad(ChannelChanges { body_template: Some("{{Password}}".into()), ..base.clone() }, Some(HMAC_KEY)),
        ErrorCode::NotificationChannelInvalid
    );
    assert_eq!(
        bad(ChannelChanges { route_outcomes: Some(vec!["maybe".into()]), ..base.clone() }, Some(HMAC_KEY)),
        ErrorCode::NotificationChannelInvalid
    );
    assert_eq!(
        bad(
            ChannelChanges { route_events: Some(vec!["notification.dead_letter".into()]), ..base.clone() },
            Some(HMAC_KEY)
        ),
        ErrorCode::NotificationChannelInvalid
    );
    assert_eq!(
        bad(
            ChannelChanges {
                kind: Some("script".into()),
                command: Some("relative.sh".into()),
                url: None,
                ..base.clone()
            },
            None
        ),
        ErrorCode::NotificationChannelInvalid
    );
    assert_eq!(
        bad(
            ChannelChanges {
                kind: Some("smtp".into()),
                url: None,
                smtp_host: Some("h".into()),
                from: Some("not an address".into()),
                to: Some(vec!["a@b.c".into()]),
                ..base.clone()
            },
            None
        ),
        ErrorCode::NotificationChannelInvalid
    );
    assert!(f.ams.notification_channels(None).unwrap().is_empty());
    f.ams.notification_channel_new(k, &base, Some(HMAC_KEY)).unwrap();
    assert_eq!(
        bad(ChannelChanges { name: Some("HOOK".into()), ..base.clone() }, Some(HMAC_KEY)),
        ErrorCode::NotificationChannelExists
    );
    // set: a bad change changes nothing; a good one is kept; the secret can be replaced.
    let before = f.ams.notification_channels(Some("hook")).unwrap();
    let e = f.ams.notification_channel_set(
        k,
        "hook",
        &ChannelChanges { url: Some("ftp://x".into()), ..Default::default() },
        None,
    );
    assert_eq!(e.unwrap_err().code(), ErrorCode::NotificationChannelInvalid);
    assert_eq!(
        serde_json::to_value(f.ams.notification_channels(Some("hook")).unwrap()).unwrap(),
        serde_json::to_value(&before).unwrap()
    );
    let after = f
        .ams
        .notification_channel_set(
            k,
            "Hook",
            &ChannelChanges { max_attempts: Some(4), enabled: Some(false), ..Default::default() },
            Some(b"another-key-0123456789"),
        )
        .unwrap();
    assert_eq!((after.max_attempts, after.enabled, after.secret_set), (4, false, true));
    // A disabled channel gets nothing queued.
    f.ams.group_new("g", None).unwrap();
    assert!(f.ams.notify_queue(None, None, 10).unwrap().is_empty());
    assert_eq!(f.ams.notification_channel_remove("hook").unwrap().name, "hook");
    assert_eq!(f.ams.notification_channel_remove("hook").unwrap_err().code(), ErrorCode::NotificationChannelNotFound);
    assert_eq!(f.ams.notify_queue(Some("bogus"), None, 10).unwrap_err().code(), ErrorCode::InvalidRequest);
}

#[test]
fn the_channel_secret_is_resealed_by_a_master_key_rotation() {
    let ca = TestCa::new();
    let rx = Receiver::start(&ca, 0);
    let f = Fixture::bare();
    signed_hook(&f, &rx, &ca);
    let k0 = f.ams.unlock().unwrap();
    f.ams.rotate_master_key(k0, crate::fixture::RECOVERY, crate::fixture::cheap_kdf()).unwrap();
    let ams = f.reopen();
    let k = ams.unlock().unwrap();
    ams.group_new("g", None).unwrap();
    assert_eq!(ams.notify_run_due(Some(&k), None).unwrap().delivered, 1);
    assert!(signature_ok(&rx.received()[0], HMAC_KEY));
}

// ---------------------------------------------------------------------------------------------
// SMTP against aiosmtpd

struct SmtpServer {
    child: Child,
    port: u16,
    out: tempfile::TempDir,
}

fn python_with_aiosmtpd() -> String {
    for p in ["/usr/bin/python3", "python3"] {
        if Command::new(p).args(["-c", "import aiosmtpd"]).status().is_ok_and(|s| s.success()) {
            return p.to_string();
        }
    }
    panic!("aiosmtpd is not installed: run scripts/install-test-deps.sh");
}

impl SmtpServer {
    fn start(ca: &TestCa, mode: &str) -> SmtpServer {
        let out = tempfile::tempdir().unwrap();
        let portfile = out.path().join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/smtp_server.py");
        let mut child = Command::new(python_with_aiosmtpd())
            .arg(script)
            .args([mode, &ca.cert.display().to_string(), &ca.key.display().to_string(), "ams-mailer", SMTP_PASSWORD])
            .arg(out.path())
            .arg(&portfile)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + StdDuration::from_secs(30);
        let port = loop {
            if let Ok(p) = std::fs::read_to_string(&portfile) {
                break p.trim().parse().unwrap();
            }
            if let Ok(Some(st)) = child.try_wait() {
                panic!("the SMTP server exited: {st}");
            }
            assert!(Instant::now() < deadline, "the SMTP server did not start");
            std::thread::sleep(StdDuration::from_millis(50));
        };
        SmtpServer { child, port, out }
    }

    fn messages(&self) -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(self.out.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect();
        v.sort();
        v
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_channel(name: &str, server: &SmtpServer, ca: &TestCa, security: &str) -> ChannelChanges {
    ChannelChanges {
        name: Some(name.into()),
        kind: Some("smtp".into()),
        smtp_host: Some("localhost".into()),
        smtp_port: Some(server.port),
        smtp_security: Some(security.into()),
        smtp_user: Some("ams-mailer".into()),
        from: Some("AMS <ams@example.test>".into()),
        to: Some(vec!["secops@example.test".into(), "oncall@example.test".into()]),
        ca_file: Some(ca.ca.display().to_string()),
        subject_template: Some("{{Outcome}}: {{AccessType}} of {{Computer}} for {{User}}".into()),
        body_template: Some("Reason: {{Reason}}\nRule: {{Rule}}\nEvent: {{EventId}}".into()),
        ..Default::default()
    }
}

const ALICE: &str = "S-1-5-21-1000-2000-3000-1104";

fn laps_rule_notifying(f: &Fixture, device: &str, success: &[&str], failure: &[&str]) -> String {
    let settings = ComputerRuleSettings {
        notify_success: Some(success.iter().map(|s| s.to_string()).collect()),
        notify_failure: Some(failure.iter().map(|s| s.to_string()).collect()),
        ..Default::default()
    };
    f.ams
        .computer_rule_new(&NewComputerRule {
            target: TargetSpec::AmsComputer(device.into()),
            script: None,
            principals: vec![PrincipalChange {
                access_type: AccessType::Laps,
                kind: AceKind::Allow,
                principal: ALICE.into(),
            }],
            settings,
        })
        .unwrap()
        .id
}

fn laps_request(computer: &str, user: &str, reason: &str) -> AccessRequest {
    AccessRequest {
        query: AccessQuery {
            computer: DeviceSelector::ComputerName(computer.into()),
            user_sid: user.into(),
            group_sids: Vec::new(),
            directory: DirectoryInfo::default(),
        },
        access_type: AccessType::Laps,
        reason: Some(reason.into()),
        source_address: None,
        requested_duration: None,
    }
}

#[test]
fn smtp_with_starttls_and_auth_mails_what_a_rule_routes() {
    let ca = TestCa::new();
    let server = SmtpServer::start(&ca, "starttls");
    let f = Fixture::new();
    let dev = f.device("pc1");
    f.upload_password(&dev, "x-Canary-Notify-Password-1").unwrap();
    f.ams
        .notification_channel_new(
            Some(&f.keyring),
            &smtp_channel("mail", &server, &ca, "starttls"),
            Some(SMTP_PASSWORD.as_bytes()),
        )
        .unwrap();
    let rule = laps_rule_notifying(&f, &dev, &["Mail"], &[]);
    let g = f.ams.access_request(Some(&f.keyring), &laps_request("pc1", ALICE, "ticket 42")).unwrap();
    assert_eq!(g.password.unwrap().password, "x-Canary-Notify-Password-1");
    // A denied request is not routed: the rule names no failure channel.
    let other = "S-1-5-21-1000-2000-3000-1999";
    assert!(f.ams.access_request(Some(&f.keyring), &laps_request("pc1", other, "x")).is_err());
    assert_eq!(f.ams.notify_queue(None, None, 10).unwrap().len(), 1);

    let rep = f.ams.notify_run_due(Some(&f.keyring), None).unwrap();
    assert_eq!(rep.delivered, 1, "{:?}", rep.messages);
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    let m = &mails[0];
    assert!(m.contains("X-Envelope-From: ams@example.test"), "{m}");
    assert!(m.contains("X-Envelope-To: secops@example.test,oncall@example.test"), "{m}");
    assert!(m.contains("X-Auth-User: ams-mailer"), "{m}");
    assert!(m.contains("X-Tls: yes"), "{m}");
    assert!(m.contains(&format!("Subject: success: LocalAdminPassword of pc1 for {ALICE}")), "{m}");
    assert!(m.contains("Reason: ticket 42"), "{m}");
    assert!(m.contains(&format!("Rule: {rule}")), "{m}");
    assert!(!m.contains("x-Canary-Notify-Password-1"), "a secret was mailed");
    assert!(!m.contains(SMTP_PASSWORD));
    // A wrong password is refused by the server: retried, not delivered.
    f.ams
        .notification_channel_set(Some(&f.keyring), "mail", &ChannelChanges::default(), Some(b"wrong password"))
        .unwrap();
    f.ams.access_request(Some(&f.keyring), &laps_request("pc1", ALICE, "again")).unwrap();
    let rep = f.ams.notify_run_due(Some(&f.keyring), None).unwrap();
    assert_eq!(rep.retrying, 1);
    assert!(!rep.messages[0].error.as_deref().unwrap().contains("wrong password"));
    assert_eq!(server.messages().len(), 1);
    // Implicit TLS against a STARTTLS port fails the handshake (and says so); nothing is sent.
    let ch = ChannelChanges { smtp_security: Some("implicit".into()), ..Default::default() };
    f.ams.notification_channel_set(Some(&f.keyring), "mail", &ch, Some(SMTP_PASSWORD.as_bytes())).unwrap();
    let e = f.ams.notification_channel_test(Some(&f.keyring), "mail").unwrap_err();
    assert_eq!(e.code(), ErrorCode::NotificationDeliveryFailed);
    assert!(!e.message().contains(SMTP_PASSWORD));
    assert_eq!(server.messages().len(), 1);
}

#[test]
fn smtp_with_implicit_tls_and_the_test_verb() {
    let ca = TestCa::new();
    let server = SmtpServer::start(&ca, "implicit");
    let f = Fixture::bare();
    f.ams
        .notification_channel_new(
            Some(&f.keyring),
            &smtp_channel("mail", &server, &ca, "implicit"),
            Some(SMTP_PASSWORD.as_bytes()),
        )
        .unwrap();
    let rep = f.ams.notification_channel_test(Some(&f.keyring), "mail").unwrap();
    assert!(rep.delivered);
    let mails = server.messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("X-Tls: yes") && mails[0].contains("X-Auth-User: ams-mailer"));
}
