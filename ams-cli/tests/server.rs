//! `ams server run` as a real process over loopback TLS, driven by the reference agent
//! (`ams agent ... --server`): canary secrets never reach the server's log file, its stderr or any
//! response they do not belong to; other `ams` processes (restore, migrate, key rotate) have their
//! defined behaviour while it runs; SIGTERM drains and loses no acknowledged upload.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Instance, err_in, ok_in, run_in};

const PASSWORD: &str = "Canary-Server-LAPS-41ae";
const BITLOCKER: &str = "000011-000022-000033-000044-000055-000066-000077-000099";

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A CA and a server certificate for 127.0.0.1.
fn tls(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.crt",
            "-days",
            "2",
            "-subj",
            "/CN=ams test CA",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
    );
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.crt",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    (dir.join("ca.crt"), dir.join("server.crt"), dir.join("server.key"))
}

struct Running {
    child: Child,
    url: String,
    stderr: PathBuf,
}

fn start(i: &Instance, cert: &Path, key: &Path, extra: &[&str]) -> Running {
    let addr_file = i.path("addr.txt");
    let _ = std::fs::remove_file(&addr_file);
    let stderr = i.path("server.stderr");
    let mut c = common::ams_cmd(&i.dir);
    c.args(["server", "run", "--verbose", "--listen", "127.0.0.1:0", "--workers", "3"])
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .arg("--address-file")
        .arg(&addr_file)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr).unwrap());
    let child = c.spawn().unwrap();
    let start = Instant::now();
    while !addr_file.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "server did not start: {}",
            std::fs::read_to_string(&stderr).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("https://{}", std::fs::read_to_string(&addr_file).unwrap());
    Running { child, url, stderr }
}

fn stop(r: Running) -> (i32, String) {
    let pid = r.child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let out = r.child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn leaks(hay: &str, canaries: &[&str]) -> Option<String> {
    canaries.iter().find(|c| hay.contains(*c)).map(|c| c.to_string())
}

#[test]
fn server_process_keeps_secrets_out_of_logs_and_answers_and_drains_on_sigterm() {
    let i = Instance::new();
    ok_in(&i.dir, &["cert", "new", "--key-size", "3072"], None);
    let regkey =
        ok_in(&i.dir, &["device-registration-key", "new", "--name", "srv"], None)["Key"].as_str().unwrap().to_string();
    let logs = i.path("logs");
    std::fs::create_dir_all(&logs).unwrap();
    // Refused until the host serves agents.
    let (cert_dir, _) = (i.scratch(), ());
    let (ca, cert, key) = tls(&cert_dir);
    let (exit, e) = err_in(
        &i.dir,
        &["server", "run", "--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()],
        None,
    );
    assert_eq!((exit, e["code"].as_str().unwrap()), (10, "AMS-SRV-0001"));
    ok_in(
        &i.dir,
        &["host-config", "set", "--agent-access-enabled", "true", "--log-path", logs.to_str().unwrap()],
        None,
    );
    // Plain HTTP is for loopback only.
    let out = run_in(&i.dir, &["server", "run", "--insecure-loopback", "--listen", "0.0.0.0:0"], None);
    let last = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_string();
    let (exit, e): (i32, serde_json::Value) = (out.status.code().unwrap(), serde_json::from_str(&last).unwrap());
    assert_eq!((exit, e["error"]["code"].as_str().unwrap()), (10, "AMS-SRV-0003"));

    let srv = start(&i, &cert, &key, &[]);
    let state = i.path("agent-state");
    let keyfile = i.path("regkey.txt");
    std::fs::write(&keyfile, &regkey).unwrap();
    let remote = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        v.extend([
            "--server".into(),
            srv.url.clone(),
            "--ca-file".into(),
            ca.display().to_string(),
            "--state-dir".into(),
            state.display().to_string(),
        ]);
        v
    };
    let answers = std::cell::RefCell::new(String::new());
    let call = |args: Vec<String>, stdin: Option<&str>| -> serde_json::Value {
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run_in(&i.dir, &a, stdin);
        answers.borrow_mut().push_str(&String::from_utf8_lossy(&out.stdout));
        answers.borrow_mut().push_str(&String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "ams {a:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let reg = call(
        remote(&["agent", "register", "--name", "srv1", "--os", "linux", "--key-file", keyfile.to_str().unwrap()]),
        None,
    );
    let device = reg["DeviceId"].as_str().unwrap().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(state.join("device.key")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(std::fs::metadata(&state).unwrap().permissions().mode() & 0o777, 0o700);
    }
    let ci = call(remote(&["agent", "check-in"]), None);
    assert_eq!(ci["PasswordChangeRequired"], true);
    call(remote(&["agent", "submit-password"]), Some(PASSWORD));
    call(
        remote(&["agent", "submit-bitlocker-key", "--key-id", "3f2504e0-4f89-11d3-9a0c-0305e82c3301"]),
        Some(BITLOCKER),
    );
    let pw = ok_in(&i.dir, &["local-admin-password", "get", "--computer-name", "srv1"], None);
    assert_eq!(pw["Password"], PASSWORD);

    // Garbage carrying a canary gets a coded answer that does not echo it.
    let garbage = format!("{{\"RegistrationKey\": \"{regkey}\", \"Name\": [\"{PASSWORD}\"");
    let client = ams_server::client::AgentClient::new(&srv.url, Some(&ca)).unwrap();
    let (status, body) = ams_server::client::block_on(async {
        let mut c = client.connect().await.unwrap();
        c.send(
            hyper::Method::POST,
            "/agent/v1/register",
            bytes::Bytes::from(garbage.clone()),
            Some("eyJhbGciOiJFUzI1NiJ9.e30.c2ln"),
        )
        .await
        .unwrap()
    })
    .unwrap();
    let body = String::from_utf8_lossy(&body).into_owned();
    assert_eq!(status, 400, "{body}");
    answers.borrow_mut().push_str(&body);

    // Rotation with a fake setter; the generated password is a canary too.
    let seen = i.path("set.txt");
    let setter = i.path("setter.sh");
    std::fs::write(&setter, format!("#!/bin/sh\nread pw\nprintf '%s' \"$pw\" > {}\n", seen.display())).unwrap();
    ok_in(&i.dir, &["device", "set", "--id", &device, "--expire-password"], None);
    let rot = call(remote(&["agent", "rotate", "--setter", "/bin/sh", "--setter-arg", setter.to_str().unwrap()]), None);
    assert_eq!(rot["Rotated"], true);
    let rotated = std::fs::read_to_string(&seen).unwrap();
    assert_eq!(
        ok_in(&i.dir, &["local-admin-password", "get", "--computer-name", "srv1"], None)["Password"],
        rotated.as_str()
    );

    // Other ams processes while the server runs.
    let backup = i.path("srv.amsbak");
    ok_in(&i.dir, &["db", "backup", "--out", backup.to_str().unwrap()], None);
    let (exit, e) = err_in(&i.dir, &["db", "restore", backup.to_str().unwrap()], None);
    assert_eq!((exit, e["code"].as_str().unwrap()), (4, "AMS-BAK-0006"), "restore is refused while serving");
    let m = ok_in(&i.dir, &["db", "migrate"], None);
    assert!(
        m.to_string().contains("[]") || m["Applied"].as_array().is_some_and(|a| a.is_empty()),
        "nothing to migrate: {m}"
    );
    ok_in(&i.dir, &["key", "rotate"], Some(&format!("{}\n", common::DEFAULT_RECOVERY)));
    call(remote(&["agent", "submit-password"]), Some("Canary-After-Rotate-77"));
    assert_eq!(
        ok_in(&i.dir, &["local-admin-password", "get", "--computer-name", "srv1"], None)["Password"],
        "Canary-After-Rotate-77"
    );

    // SIGTERM while uploads are in flight: the server drains and exits 0; every acknowledged
    // upload is in the database.
    let uploads: Vec<std::thread::JoinHandle<Option<String>>> = (0..4)
        .map(|n| {
            let (dir, args) = (i.dir.clone(), remote(&["agent", "submit-password"]));
            std::thread::spawn(move || {
                let a: Vec<&str> = args.iter().map(String::as_str).collect();
                let pw = format!("Canary-Drain-{n}");
                let out = run_in(&dir, &a, Some(&pw));
                out.status.success().then_some(pw)
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(150));
    let stderr_path = srv.stderr.clone();
    let (code, stdout) = stop(srv);
    assert_eq!(code, 0, "clean exit after SIGTERM: {stdout}");
    assert!(stdout.contains("\"Stopped\": true"), "{stdout}");
    let acked: Vec<String> = uploads.into_iter().filter_map(|t| t.join().unwrap()).collect();
    let hist = ok_in(&i.dir, &["local-admin-password-history", "get", "--computer-name", "srv1"], None).to_string()
        + &ok_in(&i.dir, &["local-admin-password", "get", "--computer-name", "srv1"], None).to_string();
    for pw in &acked {
        assert!(hist.contains(pw.as_str()), "acknowledged upload {pw} lost");
    }

    // The canaries: registration key, passwords, BitLocker key, tokens.
    let stderr = std::fs::read_to_string(&stderr_path).unwrap();
    let log = std::fs::read_to_string(logs.join("ams-server.log")).unwrap();
    assert!(log.lines().any(|l| l.contains("\"route\":\"/agent/v1/password\"")), "access lines in the log file");
    assert!(stderr.contains("route=\"/agent/v1/check-in\""), "access lines on stderr");
    let mut canaries =
        vec![PASSWORD, BITLOCKER, regkey.as_str(), rotated.as_str(), "Canary-After-Rotate", "Canary-Drain", "eyJ"];
    canaries.push("Bearer");
    for (name, text) in [("server stderr", &stderr), ("log file", &log)] {
        assert_eq!(leaks(text, &canaries), None, "secret in the {name}");
    }
    assert_eq!(
        leaks(&answers.borrow(), &[PASSWORD, BITLOCKER, regkey.as_str(), rotated.as_str()]),
        None,
        "secret in a server answer"
    );
}

/// `ams server run` delivers queued notifications in the background: a message queued before the
/// server started (nothing ran `ams notify run-due`) and one queued while it runs both reach the
/// script receiver, and the queue shows them delivered.
#[test]
fn the_server_delivers_notifications_in_the_background() {
    let i = Instance::new();
    ok_in(&i.dir, &["host-config", "set", "--agent-access-enabled", "true"], None);
    let got = i.scratch().join("got");
    std::fs::create_dir_all(&got).unwrap();
    let hook = i.scratch().join("hook.sh");
    std::fs::write(
        &hook,
        format!("#!/bin/sh\ncat > {0}/$AMS_NOTIFICATION_ID.tmp && mv {0}/$AMS_NOTIFICATION_ID.tmp {0}/$AMS_NOTIFICATION_ID.json\n", got.display()),
    )
    .unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    ok_in(
        &i.dir,
        &[
            "notification-channel",
            "new",
            "--name",
            "hook",
            "--kind",
            "script",
            "--command",
            hook.to_str().unwrap(),
            "--route-event",
            "group",
        ],
        None,
    );
    ok_in(&i.dir, &["group", "new", "--name", "before"], None);
    let (_, cert, key) = tls(&i.scratch());
    let srv = start(&i, &cert, &key, &["--notify-interval-seconds", "1"]);
    ok_in(&i.dir, &["group", "new", "--name", "during"], None);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let delivered = ok_in(&i.dir, &["notify", "queue", "get", "--state", "delivered"], None);
        if delivered.as_array().unwrap().len() == 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered: {}",
            std::fs::read_to_string(&srv.stderr).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, _) = stop(srv);
    assert_eq!(code, 0);
    let names: Vec<String> = std::fs::read_dir(&got)
        .unwrap()
        .map(|e| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap();
            v["Details"]["Name"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"before".to_string()) && names.contains(&"during".to_string()));
}
