//! `ams-batch-reads`: 1,000 password reads through one `ams batch`, and through the PowerShell
//! module end to end, against the time `openssl speed -multi 2 rsa4096` needs for 1,000 RSA-4096
//! private-key operations on the same machine in the same run. Not a test: run it by hand.
//!
//! ```sh
//! cargo build --release -p ams-cli -p ams-bench
//! target/release/ams-batch-reads [--reads 1000] [--devices 250]
//! ```
//!
//! Every read opens a real envelope (RSA-4096, OAEP-SHA-512) sealed to the instance's active
//! certificate and writes its audit record; the records of one batch commit together before the
//! results are printed. The module run pipes computer names into `Get-AmsLocalAdminPassword
//! -AsPlainText` inside one pwsh (module import and pwsh start-up are not counted).

mod shared;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use ams_core::crypto::envelope::OaepHash;
use ams_core::crypto::seal::KdfParams;
use ams_core::fixtures::{self, Populate};
use ams_core::service::certs::NewCertOptions;
use ams_core::{Ams, OpenOptions};

fn arg(name: &str, default: usize) -> usize {
    let argv: Vec<String> = std::env::args().collect();
    argv.iter().position(|a| a == name).and_then(|i| argv.get(i + 1)).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn sibling(name: &str) -> PathBuf {
    std::env::current_exe().unwrap_or_default().with_file_name(name)
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Seconds for one `ams batch` of `reads` requests over `devices` devices (round robin).
fn batch_seconds(ams_bin: &Path, dir: &Path, reads: usize, devices: usize) -> f64 {
    let input: String = (0..reads)
        .map(|n| {
            format!(
                "{{\"verb\":\"local-admin-password get\",\"parameters\":{{\"ComputerName\":\"{}\"}}}}\n",
                fixtures::device_name(n % devices)
            )
        })
        .collect();
    let start = Instant::now();
    let mut child = Command::new(ams_bin)
        .args(["--data-dir"])
        .arg(dir)
        .arg("batch")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn ams batch");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("ams batch");
    let took = start.elapsed().as_secs_f64();
    let _ = writer.join();
    assert!(out.status.success(), "ams batch failed: {}", String::from_utf8_lossy(&out.stderr));
    let ok = String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("\"ok\":true")).count();
    assert_eq!(ok, reads, "every read succeeded");
    took
}

/// Seconds for the module to read `reads` passwords piped as names, measured inside pwsh.
fn module_seconds(ams_bin: &Path, dir: &Path, reads: usize, devices: usize) -> Option<f64> {
    let pwsh = std::env::var_os("AMS_BENCH_PWSH").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("pwsh"));
    let manifest = repo_root().join("ps-module/AccessManager/AccessManager.psd1");
    let script = format!(
        "$ErrorActionPreference = 'Stop'; Import-Module '{}'; \
         $names = 0..{} | ForEach-Object {{ 'PC{{0:D6}}' -f ($_ % {devices}) }}; \
         $n = 0; $t = Measure-Command {{ $names | Get-AmsLocalAdminPassword -AsPlainText | ForEach-Object {{ $n++ }} }}; \
         if ($n -ne {reads}) {{ throw \"read $n of {reads}\" }}; [Console]::Out.WriteLine($t.TotalSeconds.ToString([cultureinfo]::InvariantCulture))",
        manifest.display(),
        reads - 1
    );
    let out = Command::new(pwsh)
        .args(["-NoLogo", "-NoProfile", "-NonInteractive", "-Command", &script])
        .env("AMS_CLI_PATH", ams_bin)
        .env("AMS_DATA_DIR", dir)
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("pwsh run failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8_lossy(&out.stdout).lines().last()?.trim().parse().ok()
}

fn main() {
    let reads = arg("--reads", 1000);
    let devices = arg("--devices", 250).max(1);
    let ams_bin = sibling(if cfg!(windows) { "ams.exe" } else { "ams" });
    assert!(ams_bin.exists(), "{} not found: cargo build --release -p ams-cli", ams_bin.display());
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("data");
    {
        let (ams, _) =
            Ams::init(&OpenOptions::new(&dir), b"batch bench recovery passphrase", KdfParams::production().unwrap())
                .expect("init");
        let keyring = ams.unlock().expect("unlock");
        ams.cert_new(
            &keyring,
            &NewCertOptions { subject: "bench".into(), key_bits: 4096, validity_days: 365, activate: true },
        )
        .expect("cert");
        fixtures::populate(&ams, &Populate { devices, history: 0, real_envelopes: usize::MAX, oaep: OaepHash::Sha512 })
            .expect("populate");
    }
    eprintln!("{devices} devices with real envelopes; {reads} reads per run");

    // Warm the page cache and the binary once, then take the best of three of each.
    batch_seconds(&ams_bin, &dir, devices.min(reads), devices);
    let batch = (0..3).map(|_| batch_seconds(&ams_bin, &dir, reads, devices)).fold(f64::MAX, f64::min);
    let module = module_seconds(&ams_bin, &dir, reads, devices);
    eprintln!("measuring openssl speed -multi 2 rsa4096 ...");
    let ops = shared::openssl_multi2();
    let baseline = reads as f64 / ops;

    println!("| measure | ams | baseline (same run) | ratio |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| {reads} password reads through one `ams batch` (each RSA-4096 open + audit record) | {batch:.2} s ({:.0} reads/s) | {reads} RSA-4096 private-key ops at `openssl speed -multi 2`: {baseline:.2} s ({ops:.1} ops/s) | {:.2}x (goal <= 1.3x: {}) |",
        reads as f64 / batch,
        batch / baseline,
        if batch / baseline <= 1.3 { "met" } else { "not met" }
    );
    match module {
        Some(m) => println!(
            "| {reads} names piped into `Get-AmsLocalAdminPassword -AsPlainText` (module, end to end) | {m:.2} s | same | {:.2}x (goal <= 2x: {}) |",
            m / baseline,
            if m / baseline <= 2.0 { "met" } else { "not met" }
        ),
        None => println!("| module end to end | n/a (no pwsh; set AMS_BENCH_PWSH) | | |"),
    }
}
