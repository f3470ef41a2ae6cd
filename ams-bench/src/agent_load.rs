//! `ams-agent-load`: N simulated agents uploading passwords to `ams server run` over HTTPS at once,
//! measured side by side with `openssl speed -multi 2 rsa4096` in the same run; then the server's
//! memory with many idle keep-alive connections. Not a test: run it by hand.
//!
//! ```sh
//! cargo build --release -p ams-cli -p ams-bench
//! target/release/ams-agent-load [--agents 32] [--uploads 20] [--idle 10000]
//! ```
//!
//! The agents' envelopes are sealed and their tokens signed before the clock starts (that work
//! happens on the devices, not on the server); the timed part is the HTTPS request, the server's
//! token check (ES256 verify plus the replay-cache insert), the RSA-4096 open of every envelope and
//! its commit. Afterwards every upload is counted in the database.

mod shared;
use shared::openssl_multi2;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ams_core::crypto::envelope::OaepHash;
use ams_core::crypto::seal::KdfParams;
use ams_core::service::certs::NewCertOptions;
use ams_core::service::secrets::Upload;
use ams_core::{Ams, OpenOptions};
use ams_server::client::{self, AgentClient, RegisterInput};
use bytes::Bytes;

struct Args {
    agents: usize,
    uploads: usize,
    idle: usize,
}

fn parse_args() -> Args {
    let mut a = Args { agents: 32, uploads: 20, idle: 10_000 };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let v = it.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or_else(|| usage());
        match flag.as_str() {
            "--agents" => a.agents = v.max(1),
            "--uploads" => a.uploads = v.max(1),
            "--idle" => a.idle = v,
            _ => usage(),
        }
    }
    a
}

fn usage() -> ! {
    eprintln!("usage: ams-agent-load [--agents N] [--uploads N] [--idle N]");
    std::process::exit(2)
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn rss_kib(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    let a = parse_args();
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path();
    let data = dir.join("data");
    let opts = OpenOptions::new(&data);
    let (ams, _) = Ams::init(&opts, b"agent load recovery passphrase", KdfParams::with_cost(64, 1, 1).expect("kdf"))
        .expect("init");
    let keyring = ams.unlock().expect("unlock");
    ams.cert_new(
        &keyring,
        &NewCertOptions { subject: "load".into(), key_bits: 4096, validity_days: 30, activate: true },
    )
    .expect("cert");
    let regkey = ams.reg_key_new(&keyring, "load", true, 0, false).expect("reg key").key;
    let mut host = ams.host_config().clone();
    host.agent_access_enabled = true;
    host.save(&data).expect("host config");
    drop(ams);
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "tls.key",
            "-out",
            "tls.crt",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
        ],
    );

    let ams_bin: PathBuf = std::env::current_exe().expect("exe").with_file_name("ams");
    let addr_file = dir.join("addr");
    let mut server = Command::new(&ams_bin)
        .arg("--data-dir")
        .arg(&data)
        .args([
            "server",
            "run",
            "--listen",
            "127.0.0.1:0",
            "--idle-timeout-seconds",
            "600",
            "--max-connections",
            "20000",
            "--register-rate-per-minute",
            "0",
            "--tls-cert",
            "tls.crt",
            "--tls-key",
            "tls.key",
            "--address-file",
        ])
        .arg(&addr_file)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ams server run");
    let start = Instant::now();
    while !addr_file.exists() {
        assert!(start.elapsed() < Duration::from_secs(30), "server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("https://{}", std::fs::read_to_string(&addr_file).expect("addr"));
    let client = AgentClient::new(&url, Some(&dir.join("tls.crt"))).expect("client");
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");

    // Register and check in every agent, then prepare its uploads.
    let prepared: Vec<Vec<(&'static str, Bytes, String)>> = rt.block_on(async {
        let mut out = Vec::new();
        for i in 0..a.agents {
            let input = RegisterInput {
                name: format!("LOAD{i:05}"),
                operating_system: "Windows".into(),
                dns_name: None,
                os_version: None,
                agent_version: None,
            };
            let (_, agent) = client::register(&client, &url, None, &regkey, &input).await.expect("register");
            let mut c = client.connect().await.expect("connect");
            let ci = client::check_in(&mut c, &agent).await.expect("check-in");
            let cert = client::certificate(&ci).expect("cert").to_string();
            let mut reqs = Vec::new();
            for n in 0..a.uploads {
                let pw = format!("Load-Password-{i}-{n}");
                let up = Upload::Password { account_name: "Administrator".into() };
                let (path, body) =
                    client::upload_body(&agent, &cert, &up, pw.as_bytes(), OaepHash::Sha512).expect("seal");
                let token = agent.token(path, &body).expect("token");
                reqs.push((path, body, token));
            }
            out.push(reqs);
        }
        out
    });

    // All agents at once, each on its own keep-alive connection.
    let total = a.agents * a.uploads;
    let (wall, mut latencies) = rt.block_on(async {
        let mut conns = Vec::new();
        for _ in 0..a.agents {
            conns.push(client.connect().await.expect("connect"));
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(a.agents + 1));
        let mut tasks = Vec::new();
        for (mut conn, reqs) in conns.into_iter().zip(prepared) {
            let b = barrier.clone();
            tasks.push(tokio::spawn(async move {
                b.wait().await;
                let mut lat = Vec::with_capacity(reqs.len());
                for (path, body, token) in reqs {
                    let t = Instant::now();
                    let (status, resp) =
                        conn.send(hyper::Method::POST, path, body, Some(&token)).await.expect("upload");
                    assert_eq!(status, 200, "upload refused: {}", String::from_utf8_lossy(&resp));
                    lat.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                lat
            }));
        }
        barrier.wait().await;
        let t = Instant::now();
        let mut all = Vec::new();
        for task in tasks {
            all.extend(task.await.expect("agent task"));
        }
        (t.elapsed(), all)
    });
    let per_sec = total as f64 / wall.as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    let pct =
        |p: f64| latencies[((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1).min(latencies.len() - 1)];
    let db = rusqlite::Connection::open(data.join("ams.db")).expect("db");
    let stored: i64 = db.query_row("SELECT COUNT(*) FROM device_passwords", [], |r| r.get(0)).expect("count");
    drop(db);

    eprintln!("measuring openssl speed -multi 2 rsa4096 ...");
    let openssl_ops = openssl_multi2();

    // Idle keep-alive connections: each makes one request, then stays open.
    let rss_before = rss_kib(server.id());
    let idle_conns = rt.block_on(async {
        let mut conns = Vec::with_capacity(a.idle);
        for _ in 0..a.idle {
            let mut c = client.connect().await.expect("idle connect");
            let (s, _) = c.send(hyper::Method::GET, "/health", Bytes::new(), None).await.expect("health");
            assert_eq!(s, 200);
            conns.push(c);
        }
        conns
    });
    std::thread::sleep(Duration::from_millis(500));
    let rss_idle = rss_kib(server.id());
    drop(idle_conns);

    let _ = Command::new("kill").args(["-TERM", &server.id().to_string()]).status();
    let _ = server.wait();

    println!("| measure | ams server | baseline (same run) | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| uploads over HTTPS, {} agents x {} uploads, every envelope opened (RSA-4096 OAEP-SHA-512) and committed | {per_sec:.1} /s | `openssl speed -multi 2 rsa4096`: {openssl_ops:.1} private-key ops/s | {:.2}x (goal >= 0.80x: {}) |",
        a.agents,
        a.uploads,
        per_sec / openssl_ops,
        if per_sec / openssl_ops >= 0.8 { "met" } else { "not met" }
    );
    println!("| upload latency p50 / p99 / max | {:.1} / {:.1} / {:.1} ms | | |", pct(0.5), pct(0.99), pct(1.0));
    println!("| uploads acknowledged / rows committed | {total} / {stored} | | |");
    println!(
        "| server RSS: after the load / with {} idle keep-alive TLS connections | {:.1} MiB / {:.1} MiB ({:.1} KiB per connection) | | |",
        a.idle,
        rss_before as f64 / 1024.0,
        rss_idle as f64 / 1024.0,
        if a.idle > 0 { (rss_idle.saturating_sub(rss_before)) as f64 / a.idle as f64 } else { 0.0 }
    );
    assert_eq!(stored as usize, total, "every acknowledged upload is committed");
}
