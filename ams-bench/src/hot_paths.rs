//! `ams-hot-paths` (issue 14): every hot path of ams side by side with the command-line tools an
//! admin could script instead (`sqlite3`, `openssl`), in one run, on one instance. Prints each
//! ratio with its goal and whether it is met, then how listing and backup grow with the number
//! of devices. Not a test: run it by hand, on a quiet machine for figures worth recording.
//!
//! ```sh
//! cargo build --release -p ams-cli -p ams-bench
//! target/release/ams-hot-paths                     # 100,000 devices, 1,000,000 history rows
//! target/release/ams-hot-paths --devices 10000     # smoke run, about a minute
//! ```
//!
//! The instance is built by `ams_core::fixtures::populate` (rows inserted straight through the
//! store in one transaction): `--devices` devices with `--history` retired passwords each, sealed
//! to an RSA-4096 certificate (OAEP-SHA-512), an envelope of its own per device (its history rows
//! share it); one device gets `--history-entries` retired passwords, each sealed separately.
//! The baselines read the same rows of the same file: `sqlite3` piped into `openssl pkeyutl
//! -decrypt` with the same private key (exported once into the temporary folder), `sqlite3 -json`,
//! `.backup`, `PRAGMA integrity_check`, `.restore`, and `openssl speed rsa4096` on one core.
//! Needs `sqlite3` and `openssl` on PATH; the PowerShell row needs pwsh (`AMS_BENCH_PWSH`, or
//! `pwsh` on PATH) and is skipped without it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ams_core::crypto::envelope::{self, EnvelopeContext, OaepHash, SecretKind};
use ams_core::crypto::seal::KdfParams;
use ams_core::fixtures::{self, Populate};
use ams_core::service::certs::NewCertOptions;
use ams_core::service::secrets::Upload;
use ams_core::{Ams, OpenOptions};

const REAL_DEVICES: usize = 100;
const RECOVERY: &str = "hot paths benchmark recovery passphrase";

struct Args {
    devices: usize,
    history: usize,
    history_entries: usize,
    reads: usize,
    runs: usize,
    uploads: usize,
    scale: Vec<usize>,
    dir: Option<PathBuf>,
    /// `--only backup`: build the instance, then run only the backup, verify and restore rows.
    only_backup: bool,
}

fn parse_args() -> Args {
    let mut a = Args {
        devices: 100_000,
        history: 10,
        history_entries: 1000,
        reads: 20,
        runs: 3,
        uploads: 200,
        scale: Vec::new(),
        dir: None,
        only_backup: false,
    };
    let mut scale: Option<Vec<usize>> = None;
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| usage());
        let mut num = || value().parse::<usize>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--devices" => a.devices = num().max(REAL_DEVICES),
            "--history" => a.history = num(),
            "--history-entries" => a.history_entries = num().max(1),
            "--reads" => a.reads = num().max(1),
            "--runs" => a.runs = num().max(1),
            "--uploads" => a.uploads = num().max(1),
            "--scale" => {
                let v = value();
                scale = Some(
                    v.split(',').filter(|s| !s.is_empty()).map(|s| s.parse().unwrap_or_else(|_| usage())).collect(),
                )
            }
            "--dir" => a.dir = Some(PathBuf::from(value())),
            "--only" => match value().as_str() {
                "backup" => a.only_backup = true,
                _ => usage(),
            },
            _ => usage(),
        }
    }
    // By default the growth rows are a tenth of the instance, the instance, and ten times it.
    a.scale = scale.unwrap_or_else(|| vec![a.devices / 10, a.devices, a.devices * 10]);
    a
}

fn usage() -> ! {
    eprintln!(
        "usage: ams-hot-paths [--devices N] [--history N] [--history-entries N] [--reads N] [--runs N] [--uploads N] [--scale N,N,...] [--dir DIR] [--only backup]"
    );
    std::process::exit(2)
}

fn sibling(name: &str) -> PathBuf {
    let p = std::env::current_exe().unwrap_or_default().with_file_name(name);
    if !p.exists() {
        eprintln!("{} not found: build it with `cargo build --release -p ams-cli`", p.display());
        std::process::exit(2);
    }
    p
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// What one timed run of a command (or a pipeline) took.
#[derive(Clone, Copy)]
struct Run {
    wall: Duration,
    /// Peak resident set of the (last) process, KiB; 0 if it could not be read.
    peak_kib: u64,
    /// The largest anonymous resident memory (heap, stacks: `RssAnon`) seen, KiB.
    anon_kib: u64,
}

/// A field of a live process's `/proc/<pid>/status`, KiB.
fn status_kib(pid: u32, field: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines().find_map(|l| l.strip_prefix(field)).and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The high-water mark of a live process's resident set (`VmHWM`: code and data), KiB.
fn hwm_kib(pid: u32) -> Option<u64> {
    status_kib(pid, "VmHWM:")
}

/// Waits for `child`, sampling its peak RSS every millisecond (the high-water mark only grows,
/// so the last sample before exit is within a millisecond's growth of the peak). The exit is
/// seen up to a millisecond late and the samples take CPU beside the process: only for the rows
/// that report memory (the listing); every other row waits with [`wait_exact`].
fn wait_sampling(mut child: Child, what: &str) -> (u64, u64) {
    let pid = child.id();
    let (mut peak, mut anon) = (0, 0);
    loop {
        if let Some(k) = hwm_kib(pid) {
            peak = peak.max(k);
        }
        if let Some(k) = status_kib(pid, "RssAnon:") {
            anon = anon.max(k);
        }
        match child.try_wait() {
            Ok(Some(status)) => {
                require_success(&mut child, status, what);
                return (peak, anon);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(1)),
            Err(e) => panic!("{what}: {e}"),
        }
    }
}

/// Waits for `child` to exit, blocking, so the exit is seen when it happens: a cold read takes
/// a few milliseconds, and polling every millisecond added half of one to each side on average.
/// (Its stderr is read only when it fails: the commands timed here write little to it.)
fn wait_exact(mut child: Child, what: &str) {
    match child.wait() {
        Ok(status) => require_success(&mut child, status, what),
        Err(e) => panic!("{what}: {e}"),
    }
}

fn require_success(child: &mut Child, status: std::process::ExitStatus, what: &str) {
    if !status.success() {
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = std::io::Read::read_to_string(&mut e, &mut err);
        }
        panic!("{what} failed ({status}): {err}");
    }
}

/// Runs `cmd` to completion (stdout to /dev/null, `stdin` written to it), timing it exactly
/// ([`wait_exact`]; no memory figures).
fn run(cmd: &mut Command, stdin: Option<&[u8]>) -> Run {
    let (child, what, start) = spawn(cmd, stdin);
    wait_exact(child, &what);
    Run { wall: start.elapsed(), peak_kib: 0, anon_kib: 0 }
}

/// [`run`] with the peak and anonymous memory sampled ([`wait_sampling`]).
fn run_sampled(cmd: &mut Command, stdin: Option<&[u8]>) -> Run {
    let (child, what, start) = spawn(cmd, stdin);
    let (peak_kib, anon_kib) = wait_sampling(child, &what);
    Run { wall: start.elapsed(), peak_kib, anon_kib }
}

fn spawn(cmd: &mut Command, stdin: Option<&[u8]>) -> (Child, String, Instant) {
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let what = format!("{cmd:?}");
    let start = Instant::now();
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(data).unwrap_or_else(|e| panic!("stdin of {what}: {e}"));
    }
    (child, what, start)
}

/// Runs `first | second` (the first's stdout into the second's stdin), timing both to exit.
fn pipeline(first: &mut Command, second: &mut Command) -> Run {
    let start = Instant::now();
    let mut a = first
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {first:?}: {e}"));
    let out = a.stdout.take().unwrap_or_else(|| panic!("stdout of {first:?}"));
    let b = second
        .stdin(Stdio::from(out))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {second:?}: {e}"));
    wait_exact(b, &format!("{second:?}"));
    wait_exact(a, &format!("{first:?}"));
    Run { wall: start.elapsed(), peak_kib: 0, anon_kib: 0 }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mean_ms(xs: &[Run]) -> f64 {
    xs.iter().map(|r| ms(r.wall)).sum::<f64>() / xs.len() as f64
}

fn min_ms(xs: &[Run]) -> f64 {
    xs.iter().map(|r| ms(r.wall)).fold(f64::INFINITY, f64::min)
}

fn peak_mib(xs: &[Run]) -> f64 {
    xs.iter().map(|r| r.peak_kib).max().unwrap_or(0) as f64 / 1024.0
}

fn anon_mib(xs: &[Run]) -> f64 {
    xs.iter().map(|r| r.anon_kib).max().unwrap_or(0) as f64 / 1024.0
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / 1_048_576.0
}

fn file_mib(paths: &[PathBuf]) -> f64 {
    mib(paths.iter().map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)).sum())
}

/// A new instance in `dir` with an active RSA-4096 certificate and `devices` devices.
fn build(dir: &Path, devices: usize, history: usize, real_envelopes: usize) -> Ams {
    let (ams, _) = Ams::init(&OpenOptions::new(dir), RECOVERY.as_bytes(), KdfParams::production().expect("kdf"))
        .expect("ams init");
    let keyring = ams.unlock().expect("unlock");
    ams.cert_new(
        &keyring,
        &NewCertOptions { subject: "hot paths".into(), key_bits: 4096, validity_days: 365, activate: true },
    )
    .expect("certificate");
    let start = Instant::now();
    let p = Populate { devices, history, real_envelopes, oaep: OaepHash::Sha512 };
    fixtures::populate(&ams, &p).expect("populate");
    eprintln!(
        "  built {devices} devices, {} password rows in {:.1} s ({:.0} MiB)",
        devices * (history + 1),
        start.elapsed().as_secs_f64(),
        file_mib(&[dir.join("ams.db"), dir.join("ams.db-wal")])
    );
    ams
}

/// Copies the WAL into the database file and empties it (the fixture writes everything in one
/// transaction), with the sqlite3 command line.
fn checkpoint(db: &Path) {
    run(Command::new("sqlite3").arg(db).arg("PRAGMA wal_checkpoint(TRUNCATE);"), None);
    // Let the kernel write the fixture back before anything is timed: gigabytes of dirty pages
    // still in flight would slow every fsync of the timed commands (ams fsyncs its audit record,
    // backups and restores; the baselines fsync their backups and restores), a state no admin's
    // steady-state host is in.
    run(&mut Command::new("sync"), None);
}

/// One result line: what, ams, baseline, ratio, goal.
struct Line {
    path: String,
    ams: String,
    baseline: String,
    ratio: f64,
    /// `<=` (ams / baseline at most) or `>=` (at least), and the bound.
    goal: (&'static str, f64),
    note: String,
}

impl Line {
    fn met(&self) -> bool {
        match self.goal.0 {
            "<=" => self.ratio <= self.goal.1,
            _ => self.ratio >= self.goal.1,
        }
    }
}

/// Prints the result lines as a Markdown table.
fn print_lines(lines: &[Line]) {
    println!("| path | ams | baseline (same run) | ams / baseline | goal | |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for l in lines {
        let note = if l.note.is_empty() { String::new() } else { format!(" ({})", l.note) };
        println!(
            "| {}{note} | {} | {} | {:.2}x | {} {} | {} |",
            l.path,
            l.ams,
            l.baseline,
            l.ratio,
            l.goal.0,
            l.goal.1,
            if l.met() { "MET" } else { "NOT MET" }
        );
    }
}

/// The SQL that reads the wrapped AES key (the RSA-OAEP ciphertext) of a password row out of its
/// envelope (from offset 28, the modulus size long: 512 bytes for RSA-4096) and writes it raw to
/// stdout.
fn wrapped_key_sql(where_clause: &str) -> String {
    format!(
        "SELECT writefile('/dev/stdout', substr(p.blob, 29, 512)) \
         FROM device_passwords p JOIN devices d ON d.id = p.device_id WHERE {where_clause}"
    )
}

fn sqlite3_raw(db: &Path, sql: &str) -> Command {
    let mut c = Command::new("sqlite3");
    // Query results go nowhere; writefile() writes the blob itself to the pipe.
    c.args(["-readonly", "-cmd", ".output /dev/null"]).arg(db).arg(sql);
    c
}

fn openssl_decrypt(key: &Path) -> Command {
    let mut c = Command::new("openssl");
    c.args(["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey"]).arg(key).args([
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha512",
        "-pkeyopt",
        "rsa_mgf1_md:sha512",
    ]);
    c
}

/// RSA-4096 private-key operations per second of `openssl speed rsa4096` on one core.
fn openssl_one_core() -> f64 {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "5", "rsa4096"])
        .stderr(Stdio::null())
        .output()
        .expect("openssl speed");
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .rev()
        .filter(|l| l.starts_with("rsa 4096 bits"))
        .find_map(|l| l.split_whitespace().nth(5).and_then(|v| v.parse::<f64>().ok()))
        .expect("openssl speed output")
}

fn main() {
    let a = parse_args();
    let ams_bin = sibling(if cfg!(windows) { "ams.exe" } else { "ams" });
    let keep = a.dir.is_some();
    let root =
        a.dir.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("ams-hot-paths-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).expect("bench folder");
    let total = Instant::now();
    let ams_cmd = |dir: &Path| {
        let mut c = Command::new(&ams_bin);
        c.env_remove("AMS_DATA_DIR").arg("--data-dir").arg(dir);
        c
    };
    let mut lines: Vec<Line> = Vec::new();

    eprintln!("building the instance ...");
    let data = root.join("data");
    // Every device gets an envelope of its own: `ams db verify` opens a sample of them.
    let ams = build(&data, a.devices, a.history, usize::MAX);
    let db = data.join("ams.db");
    let deep = fixtures::device_name(REAL_DEVICES / 2);
    let extra = a.history_entries.saturating_sub(a.history);
    let deep_id = fixtures::add_history(&ams, &deep, extra, OaepHash::Sha512).expect("history");
    let key_file = root.join("private-key.der");
    std::fs::write(&key_file, fixtures::active_private_key_der(&ams).expect("private key").as_slice())
        .expect("key file");
    // Every measured process is the only one with the database open, as at an admin's prompt: the
    // benchmark's own handle closes first, and the WAL the fixture wrote is checkpointed away.
    drop(ams);
    checkpoint(&db);
    let db_mib = file_mib(&[db.clone(), data.join("ams.db-wal")]);

    // Warm the page cache and the binaries.
    run(ams_cmd(&data).args(["device", "get", "--name", "PC000000"]), None);
    run(Command::new("sqlite3").arg(&db).arg("SELECT count(*) FROM device_passwords"), None);
    if a.only_backup {
        let lines = backup_rows(&a, &root, &data, &db, db_mib, &ams_cmd);
        println!("\n{} devices, database {db_mib:.0} MiB; backup rows only\n", a.devices);
        print_lines(&lines);
        println!("\ntotal run time {:.0} s", total.elapsed().as_secs_f64());
        if !keep {
            let _ = std::fs::remove_dir_all(&root);
        }
        return;
    }

    // 1. Cold `ams local-admin-password get` against sqlite3 | openssl pkeyutl -decrypt.
    eprintln!("cold reads ...");
    let (mut r_ams, mut r_base) = (Vec::new(), Vec::new());
    for k in 0..a.reads {
        let name = fixtures::device_name((k * 37) % REAL_DEVICES);
        r_ams.push(run(ams_cmd(&data).args(["local-admin-password", "get", "--computer-name", &name]), None));
        let sql = wrapped_key_sql(&format!("d.name = '{name}' AND p.retired_at IS NULL"));
        r_base.push(pipeline(&mut sqlite3_raw(&db, &sql), &mut openssl_decrypt(&key_file)));
    }
    lines.push(Line {
        path: format!("cold `ams local-admin-password get` (with its audit record), mean of {}", a.reads),
        ams: format!("{:.1} ms (min {:.1})", mean_ms(&r_ams), min_ms(&r_ams)),
        baseline: format!(
            "{:.1} ms (min {:.1}): `sqlite3` row \\| `openssl pkeyutl -decrypt`",
            mean_ms(&r_base),
            min_ms(&r_base)
        ),
        ratio: mean_ms(&r_ams) / mean_ms(&r_base),
        goal: ("<=", 0.6),
        note: String::new(),
    });

    // 2. Listing every device as JSON, with peak memory.
    eprintln!("listing ...");
    let (mut l_ams, mut l_base) = (Vec::new(), Vec::new());
    for _ in 0..a.runs {
        l_ams.push(run_sampled(ams_cmd(&data).args(["device", "get"]), None));
        l_base.push(run_sampled(
            Command::new("sqlite3")
                .args(["-readonly", "-json"])
                .arg(&db)
                .arg("SELECT * FROM devices ORDER BY name, id"),
            None,
        ));
    }
    lines.push(Line {
        path: format!("`ams device get`, {} devices as JSON to a pipe, mean of {}", a.devices, a.runs),
        ams: format!("{:.0} ms, peak RSS {:.1} MiB", mean_ms(&l_ams), peak_mib(&l_ams)),
        baseline: format!("{:.0} ms, peak RSS {:.1} MiB: `sqlite3 -json`", mean_ms(&l_base), peak_mib(&l_base)),
        ratio: mean_ms(&l_ams) / mean_ms(&l_base),
        goal: ("<=", 1.0),
        note: String::new(),
    });
    let rss_ratio = peak_mib(&l_ams) / peak_mib(&l_base).max(0.001);
    lines.push(Line {
        path: "`ams device get` peak RSS (code and data)".into(),
        ams: format!("{:.1} MiB", peak_mib(&l_ams)),
        baseline: format!("{:.1} MiB: `sqlite3 -json`", peak_mib(&l_base)),
        ratio: rss_ratio,
        goal: ("<=", 2.0),
        note: String::new(),
    });
    lines.push(Line {
        path: "`ams device get` largest anonymous memory (heap; sampled)".into(),
        ams: format!("{:.1} MiB", anon_mib(&l_ams)),
        baseline: format!("{:.1} MiB: `sqlite3 -json`", anon_mib(&l_base)),
        ratio: anon_mib(&l_ams) / anon_mib(&l_base).max(0.001),
        goal: ("<=", 2.0),
        note: String::new(),
    });

    // 3. Backup, verify, restore against sqlite3's .backup, integrity_check, .restore.
    lines.extend(backup_rows(&a, &root, &data, &db, db_mib, &ams_cmd));

    // 4. Uploads through the library ingest: RSA-4096 OAEP open + one fsynced commit each.
    eprintln!("uploads ...");
    let ams = Ams::open(&OpenOptions::new(&data)).expect("open");
    let cert = ams.active_certificate_der().expect("certificate");
    // Not the device with the long history: an upload applies the retention policy to it.
    let ids: Vec<String> = ams
        .devices(None, None, None)
        .expect("devices")
        .into_iter()
        .filter(|d| d.id != deep_id)
        .take(REAL_DEVICES)
        .map(|d| d.id)
        .collect();
    let blobs: Vec<(String, Vec<u8>)> = (0..a.uploads)
        .map(|i| {
            let id = ids[i % ids.len()].clone();
            let ctx =
                EnvelopeContext { kind: SecretKind::LapsPassword, device_id: &id, subject: Some("Administrator") };
            let b = envelope::seal(&cert, OaepHash::Sha512, &ctx, format!("Upload-{i}-Pw!x").as_bytes()).expect("seal");
            (id, b)
        })
        .collect();
    let up = Upload::Password { account_name: "Administrator".into() };
    let keyring = ams.unlock().expect("unlock");
    let start = Instant::now();
    for (id, b) in &blobs {
        ams.ingest(&keyring, id, &up, b).expect("ingest");
    }
    let serial = a.uploads as f64 / start.elapsed().as_secs_f64();
    // The same uploads from one thread per core, each with its own handle on the instance (as the
    // agent server's workers do): one core opens an envelope while the other commits.
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let start = Instant::now();
    std::thread::scope(|s| {
        for part in blobs.chunks(blobs.len().div_ceil(threads)) {
            let (data, up) = (&data, &up);
            s.spawn(move || {
                let ams = Ams::open(&OpenOptions::new(data)).expect("open");
                let keyring = ams.unlock().expect("unlock");
                for (id, b) in part {
                    ams.ingest(&keyring, id, up, b).expect("ingest");
                }
            });
        }
    });
    let parallel = a.uploads as f64 / start.elapsed().as_secs_f64();
    // The cost of the commit alone: the same transaction shape without the RSA open.
    let start = Instant::now();
    for _ in 0..50 {
        ams.store()
            .write(|tx| {
                ams_core::service::audit::record(
                    &ams,
                    tx,
                    ams_core::service::audit::Event::success("bench.commit", "device", &ids[0]),
                )
            })
            .expect("commit");
    }
    let commit_ms = ms(start.elapsed()) / 50.0;
    let ops = openssl_one_core();
    lines.push(Line {
        path: format!("uploads through `Ams::ingest`, one transaction each, {} on one thread", a.uploads),
        ams: format!("{serial:.1} /s"),
        baseline: format!("{ops:.1} /s: `openssl speed rsa4096` sign, one core"),
        ratio: serial / ops,
        goal: (">=", 0.9),
        note: format!("one fsynced commit alone: {commit_ms:.2} ms"),
    });
    lines.push(Line {
        path: format!("the same uploads from {threads} threads in one process"),
        ams: format!("{parallel:.1} /s"),
        baseline: format!("{ops:.1} /s: same"),
        ratio: parallel / ops,
        goal: (">=", 0.9),
        note: String::new(),
    });

    // 5. A history read of `history_entries` entries against sqlite3 | openssl per entry.
    eprintln!("history ...");
    let entries: Vec<String> = ams
        .store()
        .read(|tx| tx.passwords(&deep_id))
        .expect("history rows")
        .into_iter()
        .filter(|p| p.retired_at.is_some())
        .map(|p| p.id)
        .collect();
    let mut h_ams = Vec::new();
    for _ in 0..a.runs {
        h_ams.push(run(ams_cmd(&data).args(["local-admin-password-history", "get", "--computer-name", &deep]), None));
    }
    let start = Instant::now();
    for id in &entries {
        pipeline(&mut sqlite3_raw(&db, &wrapped_key_sql(&format!("p.id = '{id}'"))), &mut openssl_decrypt(&key_file));
    }
    let h_base = ms(start.elapsed());
    lines.push(Line {
        path: format!("`ams local-admin-password-history get`, {} entries, mean of {}", entries.len(), a.runs),
        ams: format!("{:.0} ms (min {:.0})", mean_ms(&h_ams), min_ms(&h_ams)),
        baseline: format!("{h_base:.0} ms: `sqlite3` \\| `openssl pkeyutl -decrypt` per entry"),
        ratio: mean_ms(&h_ams) / h_base,
        goal: ("<=", 0.3),
        note: String::new(),
    });
    drop(ams);

    // 6. 1,000 objects through the module's pipeline: how many ams processes.
    eprintln!("PowerShell pipeline ...");
    match module_processes(&ams_bin, &root) {
        Some((n, secs)) => lines.push(Line {
            path: "1,000 devices through `Get-AmsDevice | Set-AmsDevice -Disable` (module)".into(),
            ams: format!("{n} `ams` processes, {secs:.2} s"),
            baseline: "goal: at most 2 processes".into(),
            ratio: n as f64,
            goal: ("<=", 2.0),
            note: "ratio column: process count".into(),
        }),
        None => eprintln!("  skipped: no pwsh (set AMS_BENCH_PWSH)"),
    }

    // 7. Growth: listing and backup at each size, each on an instance of its own with one current
    // password per device (no history; the first 100 devices sealed for real, the others carry a
    // copy of the first envelope), built, measured and deleted before the next: at 1,000,000
    // devices the database is about 1.7 GiB, its backup as much again. The main instance is not
    // needed any more and goes first, to keep the disk in use to one growth instance at a time.
    if !keep {
        let _ = std::fs::remove_dir_all(&data);
    }
    let mut growth = Vec::new();
    for &n in a.scale.iter().filter(|&&n| n >= REAL_DEVICES) {
        eprintln!("growth: {n} devices ...");
        let dir = root.join(format!("scale{n}"));
        let started = Instant::now();
        drop(build(&dir, n, 0, REAL_DEVICES));
        checkpoint(&dir.join("ams.db"));
        let built = started.elapsed();
        let db_size = file_mib(&[dir.join("ams.db")]);
        let list = run_sampled(ams_cmd(&dir).args(["device", "get"]), None);
        let list_base = run_sampled(
            Command::new("sqlite3")
                .args(["-readonly", "-json"])
                .arg(dir.join("ams.db"))
                .arg("SELECT * FROM devices ORDER BY name, id"),
            None,
        );
        let out = root.join(format!("scale{n}.amsbak"));
        let backup = run(ams_cmd(&dir).args(["db", "backup", "--out"]).arg(&out), None);
        let size = file_mib(std::slice::from_ref(&out));
        let _ = std::fs::remove_file(&out);
        let _ = std::fs::remove_dir_all(&dir);
        growth.push((n, list, list_base, backup, size, built, db_size));
    }

    println!(
        "\n{} devices, {} password rows ({} in one device's history), database {db_mib:.0} MiB; {} CPUs\n",
        a.devices,
        a.devices * (a.history + 1) + extra,
        entries.len(),
        threads
    );
    print_lines(&lines);
    if !growth.is_empty() {
        println!("\nGrowth (instances of their own: one current password per device, no history; one run each):\n");
        println!(
            "| devices | `ams device get` | per 1,000 devices | `sqlite3 -json` | peak RSS ams / sqlite3 | `ams db backup` | backup file | per MiB | instance built in (database) |"
        );
        println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        for (n, list, base, backup, size, built, db_size) in &growth {
            println!(
                "| {n} | {:.0} ms | {:.2} ms | {:.0} ms | {:.1} / {:.1} MiB | {:.0} ms | {size:.0} MiB | {:.2} ms | {:.0} s ({db_size:.0} MiB) |",
                ms(list.wall),
                ms(list.wall) * 1000.0 / *n as f64,
                ms(base.wall),
                list.peak_kib as f64 / 1024.0,
                base.peak_kib as f64 / 1024.0,
                ms(backup.wall),
                ms(backup.wall) / size.max(0.001),
                built.as_secs_f64()
            );
        }
    }
    println!("\ntotal run time {:.0} s", total.elapsed().as_secs_f64());
    if !keep {
        let _ = std::fs::remove_dir_all(&root);
    }
}

/// The backup, verify and restore rows (issue 14): `ams db backup` against `sqlite3 .backup`,
/// `ams db verify` against `PRAGMA integrity_check`, `ams db restore` into a new data directory
/// against `sqlite3 .restore`. Both sides fsync what they write (`sqlite3` fdatasyncs the
/// destination when its backup transaction commits; strace shows it), and neither side fsyncs
/// for a verify.
fn backup_rows(
    a: &Args,
    root: &Path,
    data: &Path,
    db: &Path,
    db_mib: f64,
    ams_cmd: &dyn Fn(&Path) -> Command,
) -> Vec<Line> {
    eprintln!("backup, verify, restore ...");
    let mut lines = Vec::new();
    let (mut b_ams, mut b_base, mut v_ams, mut v_base, mut rs_ams, mut rs_skip, mut rs_base) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for n in 0..a.runs {
        let f_ams = root.join(format!("run{n}.amsbak"));
        let f_sql = root.join(format!("run{n}.sqlite3-backup"));
        b_ams.push(run(ams_cmd(data).args(["db", "backup", "--out"]).arg(&f_ams), None));
        b_base.push(run(
            Command::new("sqlite3").arg("-readonly").arg(db).arg(format!(".backup '{}'", f_sql.display())),
            None,
        ));
        // This host holds the backup's master key: the seal is checked with it.
        v_ams.push(run(ams_cmd(data).args(["db", "verify"]).arg(&f_ams), None));
        v_base.push(run(Command::new("sqlite3").arg(&f_sql).arg("PRAGMA integrity_check;"), None));
        let fresh = root.join(format!("fresh{n}"));
        let target = root.join(format!("restored{n}.db"));
        // A new data directory has no host key: the recovery password (Argon2id, 64 MiB) opens the
        // image's master key, which checks the seal. The same restore without that step is timed too.
        rs_ams.push(run(
            ams_cmd(&fresh).args(["db", "restore", "--recovery-password-stdin"]).arg(&f_ams),
            Some(RECOVERY.as_bytes()),
        ));
        let _ = std::fs::remove_dir_all(&fresh);
        rs_skip.push(run(ams_cmd(&fresh).args(["db", "restore", "--insecure-skip-authentication"]).arg(&f_ams), None));
        rs_base.push(run(Command::new("sqlite3").arg(&target).arg(format!(".restore '{}'", f_sql.display())), None));
        let _ = std::fs::remove_dir_all(&fresh);
        for p in [&f_ams, &f_sql, &target] {
            let _ = std::fs::remove_file(p);
        }
    }
    for (what, x, y, base, goal) in [
        ("`ams db backup`", &b_ams, &b_base, "`sqlite3 .backup`", 1.2),
        ("`ams db verify`", &v_ams, &v_base, "`PRAGMA integrity_check`", 1.1),
        (
            "`ams db restore` into a new data directory (recovery password)",
            &rs_ams,
            &rs_base,
            "`sqlite3 .restore`",
            1.2,
        ),
        (
            "the same restore without authentication (`--insecure-skip-authentication`)",
            &rs_skip,
            &rs_base,
            "`sqlite3 .restore`",
            1.2,
        ),
    ] {
        lines.push(Line {
            path: format!("{what}, {db_mib:.0} MiB database, mean of {}", a.runs),
            ams: format!("{:.0} ms (min {:.0})", mean_ms(x), min_ms(x)),
            baseline: format!("{:.0} ms (min {:.0}): {base}", mean_ms(y), min_ms(y)),
            ratio: mean_ms(x) / mean_ms(y),
            goal: ("<=", goal),
            note: String::new(),
        });
    }
    lines
}

/// Pipes every device of a new 1,000-device instance from `Get-AmsDevice` into `Set-AmsDevice
/// -Disable` inside one pwsh, with `AMS_CLI_PATH` pointing at a wrapper that counts the `ams`
/// processes the module starts. Returns (processes, seconds).
fn module_processes(ams_bin: &Path, root: &Path) -> Option<(usize, f64)> {
    let pwsh = std::env::var_os("AMS_BENCH_PWSH").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("pwsh"));
    Command::new(&pwsh)
        .args(["-NoLogo", "-NoProfile", "-Command", "exit 0"])
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let dir = root.join("module");
    drop(build(&dir, 1000, 0, REAL_DEVICES));
    checkpoint(&dir.join("ams.db"));
    let log = root.join("module-calls.log");
    let wrapper = root.join("ams-counting");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\necho \"$*\" >> '{}'\nexec '{}' \"$@\"\n", log.display(), ams_bin.display()),
    )
    .ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).ok()?;
    }
    let manifest = repo_root().join("ps-module/AccessManager/AccessManager.psd1");
    let script = format!(
        "$ErrorActionPreference = 'Stop'; Import-Module '{}'; \
         $t = Measure-Command {{ $script:n = @(Get-AmsDevice | Set-AmsDevice -Disable).Count }}; \
         if ($script:n -ne 1000) {{ throw \"changed $script:n of 1000\" }}; \
         [Console]::Out.WriteLine($t.TotalSeconds.ToString([cultureinfo]::InvariantCulture))",
        manifest.display()
    );
    let out = Command::new(pwsh)
        .args(["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", &script])
        .env("AMS_CLI_PATH", &wrapper)
        .env("AMS_DATA_DIR", &dir)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("  pwsh run failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let secs = String::from_utf8_lossy(&out.stdout).lines().last()?.trim().parse().ok()?;
    let calls = std::fs::read_to_string(&log).ok()?.lines().count();
    Some((calls, secs))
}
