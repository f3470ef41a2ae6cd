//! Pieces the benchmark binaries share.

use std::process::{Command, Stdio};

/// RSA-4096 private-key operations per second of `openssl speed -multi 2 rsa4096` (both cores),
/// the baseline the agent-server and batch-read figures are compared with.
pub fn openssl_multi2() -> f64 {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "5", "-multi", "2", "rsa4096"])
        .stderr(Stdio::null())
        .output()
        .expect("openssl speed");
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 4096 bits 0.007888s 0.000119s    126.8   8381.0": sign/s is the third number.
    text.lines()
        .rev()
        .filter(|l| l.starts_with("rsa 4096 bits"))
        .find_map(|l| l.split_whitespace().nth(5).and_then(|v| v.parse::<f64>().ok()))
        .expect("openssl speed output")
}
