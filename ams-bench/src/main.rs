//! `ams-bench`: builds a large instance and measures ams side by side with the `sqlite3` and
//! `openssl` command lines in the same run, printing ratios. Not a test: run it by hand.
//!
//! ```sh
//! cargo build --release -p ams-cli -p ams-bench
//! target/release/ams-bench [--devices 100000] [--history 10] [--reads 30]
//! ```
//!
//! The instance is built quickly by `ams_core::fixtures::populate` (rows written through the
//! store in one transaction). Devices `PC000000`..`PC000099` get real envelopes sealed to the
//! active certificate (so reads decrypt for real); every other row carries a copy of one real
//! envelope of the same size (never opened).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ams_core::crypto::envelope::{self, EnvelopeContext, OaepHash, SecretKind};
use ams_core::crypto::seal::KdfParams;
use ams_core::fixtures::{self, Populate};
use ams_core::service::certs::NewCertOptions;
use ams_core::service::secrets::Upload;
use ams_core::{Ams, OpenOptions};

const REAL_DEVICES: usize = 100;

struct Args {
    devices: usize,
    history: usize,
    reads: usize,
    uploads: usize,
    dir: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut a = Args { devices: 100_000, history: 10, reads: 30, uploads: 200, dir: None };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut it = argv.iter();
    while let Some(flag) = it.next() {
        let mut num = || it.next().and_then(|v| v.parse::<usize>().ok()).unwrap_or_else(|| usage());
        match flag.as_str() {
            "--devices" => a.devices = num(),
            "--history" => a.history = num(),
            "--reads" => a.reads = num(),
            "--uploads" => a.uploads = num(),
            "--dir" => a.dir = it.next().map(PathBuf::from),
            _ => usage(),
        }
    }
    a
}

fn usage() -> ! {
    eprintln!("usage: ams-bench [--devices N] [--history N] [--reads N] [--uploads N] [--dir DIR]");
    std::process::exit(2)
}

fn ams_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let p = exe.with_file_name(if cfg!(windows) { "ams.exe" } else { "ams" });
    if !p.exists() {
        eprintln!("{} not found: build it with `cargo build --release -p ams-cli`", p.display());
        std::process::exit(2);
    }
    p
}

fn time_cmd(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output().unwrap_or_else(|e| panic!("spawn: {e}"));
    let took = start.elapsed();
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    took
}

struct Stats {
    mean: f64,
    p50: f64,
    p95: f64,
}

fn stats(mut xs: Vec<Duration>) -> Stats {
    xs.sort();
    let ms: Vec<f64> = xs.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    let pick = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    Stats { mean: ms.iter().sum::<f64>() / ms.len() as f64, p50: pick(0.5), p95: pick(0.95) }
}

fn build(dir: &Path, a: &Args) -> (Ams, ams_core::service::keys::Keyring) {
    let opts = OpenOptions::new(dir);
    let (ams, _) = Ams::init(&opts, b"benchmark recovery passphrase", KdfParams::production().unwrap()).unwrap();
    let keyring = ams.unlock().unwrap();
    ams.cert_new(
        &keyring,
        &NewCertOptions { subject: "bench".into(), key_bits: 4096, validity_days: 365, activate: true },
    )
    .unwrap();
    let start = Instant::now();
    let p = Populate { devices: a.devices, history: a.history, real_envelopes: REAL_DEVICES, oaep: OaepHash::Sha512 };
    fixtures::populate(&ams, &p).unwrap();
    eprintln!(
        "built {} devices and {} password rows in {:.1}s ({:.0} MiB)",
        a.devices,
        a.devices * (a.history + 1),
        start.elapsed().as_secs_f64(),
        ["ams.db", "ams.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0))
            .sum::<u64>() as f64
            / 1048576.0
    );
    (ams, keyring)
}

fn openssl_rsa4096_private_ops_per_sec() -> Option<f64> {
    let out =
        Command::new("openssl").args(["speed", "-seconds", "3", "rsa4096"]).stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 4096 bits 0.004900s 0.000075s    204.1  13333.3" -> sign/s is the private-key rate.
    let line = text.lines().find(|l| l.trim_start().starts_with("rsa 4096 bits") || l.contains("rsa  4096 bits"))?;
    let nums: Vec<f64> = line.split_whitespace().filter_map(|w| w.parse::<f64>().ok()).collect();
    nums.get(nums.len().checked_sub(2)?).copied()
}

fn main() {
    let a = parse_args();
    let ams_bin = ams_binary();
    let tmp = tempfile::tempdir().unwrap();
    let dir = a.dir.clone().unwrap_or_else(|| tmp.path().join("data"));
    let (ams, keyring) = build(&dir, &a);
    let db = dir.join("ams.db");

    // 1. A cold `ams local-admin-password get` process against sqlite3 reading the same row.
    let mut t_ams = Vec::new();
    let mut t_sql = Vec::new();
    for k in 0..a.reads {
        let name = format!("PC{:06}", (k * 7919) % REAL_DEVICES.min(a.devices));
        t_ams.push(time_cmd(Command::new(&ams_bin).args(["--data-dir"]).arg(&dir).args([
            "local-admin-password",
            "get",
            "--computer-name",
            &name,
        ])));
        let q = format!(
            "SELECT hex(p.blob) FROM device_passwords p JOIN devices d ON d.id = p.device_id WHERE d.name = '{name}' AND p.retired_at IS NULL"
        );
        t_sql.push(time_cmd(Command::new("sqlite3").arg(&db).arg(q)));
    }
    let (r_ams, r_sql) = (stats(t_ams), stats(t_sql));

    // 2. Listing every device as JSON.
    let mut l_ams = Vec::new();
    let mut l_sql = Vec::new();
    for _ in 0..5 {
        l_ams.push(time_cmd(Command::new(&ams_bin).arg("--data-dir").arg(&dir).args(["device", "get"])));
        l_sql.push(time_cmd(
            Command::new("sqlite3").arg("-json").arg(&db).arg("SELECT * FROM devices ORDER BY name, id"),
        ));
    }
    let (la, ls) = (stats(l_ams), stats(l_sql));

    // 3. Uploads per second through the ingest function, each validated and committed on its own.
    let cert = ams.active_certificate_der().unwrap();
    let ids: Vec<String> =
        ams.devices(None, None, None).unwrap().into_iter().take(REAL_DEVICES).map(|d| d.id).collect();
    let blobs: Vec<(String, Vec<u8>)> = (0..a.uploads)
        .map(|i| {
            let id = ids[i % ids.len()].clone();
            let ctx =
                EnvelopeContext { kind: SecretKind::LapsPassword, device_id: &id, subject: Some("Administrator") };
            let b = envelope::seal(&cert, OaepHash::Sha512, &ctx, format!("Upload-{i}-Pw!").as_bytes()).unwrap();
            (id, b)
        })
        .collect();
    let up = Upload::Password { account_name: "Administrator".into() };
    let start = Instant::now();
    for (id, b) in &blobs {
        ams.ingest(&keyring, id, &up, b).unwrap();
    }
    let ingest_per_sec = a.uploads as f64 / start.elapsed().as_secs_f64();
    let openssl = openssl_rsa4096_private_ops_per_sec();

    println!("\n| measurement | ams | baseline | baseline tool | ams / baseline |");
    println!("| --- | --- | --- | --- | --- |");
    println!(
        "| cold read of one current password, mean of {} (p50 / p95) | {:.1} ms ({:.1} / {:.1}) | {:.1} ms ({:.1} / {:.1}) | `sqlite3 DB \"SELECT …\"` | {:.2}x |",
        a.reads,
        r_ams.mean,
        r_ams.p50,
        r_ams.p95,
        r_sql.mean,
        r_sql.p50,
        r_sql.p95,
        r_ams.mean / r_sql.mean
    );
    println!(
        "| list {} devices as JSON, mean of 5 (p50) | {:.0} ms ({:.0}) | {:.0} ms ({:.0}) | `sqlite3 -json` | {:.2}x |",
        a.devices,
        la.mean,
        la.p50,
        ls.mean,
        ls.p50,
        la.mean / ls.mean
    );
    match openssl {
        Some(o) => println!(
            "| uploads through ingest (RSA-4096 OAEP open + commit each) | {ingest_per_sec:.1} /s | {o:.1} /s | `openssl speed rsa4096` (private-key ops) | {:.2}x |",
            ingest_per_sec / o
        ),
        None => println!("| uploads through ingest | {ingest_per_sec:.1} /s | n/a | openssl not found | n/a |"),
    }
}
