//! Benchmark: `ams db backup` / `ams db verify` / `ams db restore` against the `sqlite3` command
//! line (`.backup`, `PRAGMA integrity_check`, `.restore`) on the same instance, in the same run.
//!
//! ```sh
//! cargo build --release -p ams-cli
//! cargo run --release -p ams-cli --example bench_backup -- --devices 100000 --history 2 --runs 3
//! ```
//!
//! The instance is built fast: `Ams::init`, one certificate, then devices and password rows
//! written by `ams_core::fixtures::populate` in one transaction (every device gets a real
//! envelope sealed to the certificate, so `ams db verify --recovery-password-stdin` works on the
//! result).
//! Needs `sqlite3` on PATH. Prints a Markdown table for docs/performance.md.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ams_core::crypto::envelope::OaepHash;
use ams_core::crypto::seal::KdfParams;
use ams_core::fixtures::{self, Populate};
use ams_core::service::certs::NewCertOptions;
use ams_core::{Ams, OpenOptions};

const RECOVERY: &str = "benchmark recovery passphrase";

struct Args {
    devices: usize,
    history: usize,
    runs: usize,
    dir: Option<PathBuf>,
}

fn parse_args() -> Args {
    let mut a = Args { devices: 100_000, history: 2, runs: 3, dir: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--devices" => a.devices = value().parse().unwrap_or_else(|_| usage()),
            "--history" => a.history = value().parse().unwrap_or_else(|_| usage()),
            "--runs" => a.runs = value().parse::<usize>().unwrap_or_else(|_| usage()).max(1),
            "--dir" => a.dir = Some(PathBuf::from(value())),
            _ => usage(),
        }
    }
    a
}

fn usage() -> ! {
    eprintln!("usage: bench_backup [--devices N] [--history N] [--runs N] [--dir DIR]");
    std::process::exit(2)
}

fn ams_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    // target/<profile>/examples/bench_backup -> target/<profile>/ams
    let p = exe.parent().and_then(Path::parent).map(|d| d.join(if cfg!(windows) { "ams.exe" } else { "ams" }));
    match p {
        Some(p) if p.exists() => p,
        _ => {
            eprintln!("the ams binary was not found beside the example: run `cargo build --release -p ams-cli` first");
            std::process::exit(2)
        }
    }
}

fn timed(cmd: &mut Command, stdin: Option<&str>) -> Duration {
    use std::io::Write;
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
    if let Some(s) = stdin {
        child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    let took = start.elapsed();
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    took
}

fn build(dir: &Path, a: &Args) {
    let opts = OpenOptions::new(dir);
    let (ams, _) = Ams::init(&opts, RECOVERY.as_bytes(), KdfParams::production().unwrap()).unwrap();
    let keyring = ams.unlock().unwrap();
    ams.cert_new(
        &keyring,
        &NewCertOptions { subject: "bench".into(), key_bits: 3072, validity_days: 365, activate: true },
    )
    .unwrap();
    let start = Instant::now();
    // Every device gets an envelope of its own, so `ams db verify --recovery-password-stdin` opens
    // whichever it samples.
    let p = Populate { devices: a.devices, history: a.history, real_envelopes: usize::MAX, oaep: OaepHash::Sha256 };
    fixtures::populate(&ams, &p).unwrap();
    drop(ams);
    eprintln!(
        "built {} devices, {} password rows in {:.1}s ({:.0} MiB)",
        a.devices,
        a.devices * (a.history + 1),
        start.elapsed().as_secs_f64(),
        mib(["ams.db", "ams.db-wal"]
            .iter()
            .map(|f| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0))
            .sum::<u64>())
    );
}

fn mib(b: u64) -> f64 {
    b as f64 / 1048576.0
}

fn mean_ms(xs: &[Duration]) -> f64 {
    xs.iter().map(|d| d.as_secs_f64() * 1000.0).sum::<f64>() / xs.len() as f64
}

fn min_ms(xs: &[Duration]) -> f64 {
    xs.iter().map(|d| d.as_secs_f64() * 1000.0).fold(f64::INFINITY, f64::min)
}

fn main() {
    let a = parse_args();
    let ams = ams_binary();
    let tmp =
        a.dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("ams-bench-backup-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).unwrap();
    let data = tmp.join("data");
    build(&data, &a);
    let db = data.join("ams.db");
    let db_bytes = std::fs::metadata(&db).unwrap().len();
    let ams_cmd = |dir: &Path| {
        let mut c = Command::new(&ams);
        c.env_remove("AMS_DATA_DIR").arg("--data-dir").arg(dir);
        c
    };

    let (mut b_ams, mut b_sql, mut v_ams, mut v_sql, mut r_ams, mut r_over, mut r_sql) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let mut backup_bytes = 0;
    for run in 0..a.runs {
        // Backup: ams (online backup API + checksum + file) against sqlite3 .backup, same database.
        let f_ams = tmp.join(format!("run{run}.amsbak"));
        let f_sql = tmp.join(format!("run{run}.sqlite3-backup"));
        b_ams.push(timed(ams_cmd(&data).args(["db", "backup", "--out"]).arg(&f_ams), None));
        b_sql.push(timed(Command::new("sqlite3").arg(&db).arg(format!(".backup '{}'", f_sql.display())), None));
        backup_bytes = std::fs::metadata(&f_ams).unwrap().len();

        // Verify: ams db verify (checksums + integrity check) against sqlite3's integrity check.
        v_ams.push(timed(ams_cmd(&tmp.join("nowhere")).args(["db", "verify"]).arg(&f_ams), None));
        v_sql.push(timed(Command::new("sqlite3").arg(&f_sql).arg("PRAGMA integrity_check;"), None));

        // Restore into a new data directory, and over the instance itself.
        let fresh = tmp.join(format!("fresh{run}"));
        r_ams.push(timed(ams_cmd(&fresh).args(["db", "restore"]).arg(&f_ams), None));
        r_over.push(timed(ams_cmd(&data).args(["db", "restore"]).arg(&f_ams), None));
        let target = tmp.join(format!("sqlite-restored{run}.db"));
        r_sql.push(timed(Command::new("sqlite3").arg(&target).arg(format!(".restore '{}'", f_sql.display())), None));

        for p in [&f_sql, &target] {
            let _ = std::fs::remove_file(p);
        }
        let _ = std::fs::remove_dir_all(&fresh);
        for e in std::fs::read_dir(&data).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().unwrap().to_string_lossy().contains(".replaced-") {
                let _ = std::fs::remove_file(p);
            }
        }
        if run + 1 < a.runs {
            let _ = std::fs::remove_file(&f_ams);
        }
    }
    // The backup of a 100,000-device instance opens with the recovery password.
    let last = tmp.join(format!("run{}.amsbak", a.runs - 1));
    let v_pw = timed(
        ams_cmd(&tmp.join("nowhere")).args(["db", "verify", "--recovery-password-stdin"]).arg(&last),
        Some(RECOVERY),
    );

    println!(
        "\n{} devices, {} password rows; database {:.0} MiB, backup file {:.0} MiB; {} runs (mean, min in brackets)\n",
        a.devices,
        a.devices * (a.history + 1),
        mib(db_bytes),
        mib(backup_bytes),
        a.runs
    );
    println!("| operation | ams | sqlite3 baseline | baseline command | ams / baseline |");
    println!("| --- | --- | --- | --- | --- |");
    let row = |what: &str, x: &[Duration], y: &[Duration], base: &str| {
        println!(
            "| {what} | {:.0} ms ({:.0}) | {:.0} ms ({:.0}) | {base} | {:.2}x |",
            mean_ms(x),
            min_ms(x),
            mean_ms(y),
            min_ms(y),
            mean_ms(x) / mean_ms(y)
        );
    };
    row("backup (`ams db backup --out F`)", &b_ams, &b_sql, "`sqlite3 DB \".backup F\"`");
    row("verify (`ams db verify F`)", &v_ams, &v_sql, "`sqlite3 F \"PRAGMA integrity_check\"`");
    row("restore into a new data directory", &r_ams, &r_sql, "`sqlite3 NEW \".restore F\"`");
    row("restore over the instance (dated copy kept)", &r_over, &r_sql, "`sqlite3 NEW \".restore F\"`");
    println!("\n`ams db verify --recovery-password-stdin` (Argon2id + samples): {:.0} ms", v_pw.as_secs_f64() * 1000.0);
    if a.dir.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
