//! End-to-end tests of certificate backup: `ams cert export/import/status` and
//! `ams device expire-password --unreadable`, with PFX interop checked against the `openssl`
//! command line (CI installs it). In these tests passwords are given to openssl on its argv or in
//! a file; ams itself only ever reads them from stdin.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::*;

const PFX_PW: &str = "otter lamp vault ninety";

impl Instance {
    /// An approved device (the instance must have an active certificate); returns its id.
    fn device(&self, name: &str) -> String {
        let key = self.ok(&["device-registration-key", "new", "--name", &format!("key-{name}")], None);
        let reg =
            self.ok(&["agent", "register", "--name", name, "--os", "windows"], Some(key["Key"].as_str().unwrap()));
        reg["DeviceId"].as_str().unwrap().to_string()
    }

    fn certs(&self) -> Value {
        self.ok(&["cert", "list"], None)
    }

    fn password(&self, name: &str) -> String {
        self.ok(&["local-admin-password", "get", "--computer-name", name], None)["Password"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// What a lost private key looks like: the sealed key is gone from the database (removed
    /// through the store, as the library's own tests do, so on either engine).
    fn lose_private_key(&self, thumbprint: &str) {
        let ams = ams_core::Ams::open(&ams_core::OpenOptions::new(&self.dir)).unwrap();
        assert_eq!(ams.store().write(|tx| tx.delete_cert_private_key(thumbprint)).unwrap(), 1);
    }
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ams-core/tests/fixtures").join(name)
}

/// Runs openssl; panics with its stderr on failure.
fn openssl(args: &[&str]) -> Output {
    let out = Command::new("openssl").args(args).output().unwrap_or_else(|e| {
        panic!("the openssl command line is needed for the PFX interop tests (CI installs it): {e}")
    });
    assert!(out.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `openssl pkcs12 -export` of `inputs` (options such as -legacy, then -inkey/-in/-certfile and
/// their files) into `out`, protected by PFX_PW with `iter` iterations.
fn export_pfx(inputs: &[&str], iter: &str, out: &Path) {
    let pass = format!("pass:{PFX_PW}");
    let mut args = vec!["pkcs12", "-export"];
    args.extend_from_slice(inputs);
    args.extend_from_slice(&["-passout", &pass, "-iter", iter, "-out", p(out)]);
    openssl(&args);
}

/// A new RSA (or EC) key and self-signed certificate made by openssl, as PEM files.
fn openssl_pair(dir: &Path, name: &str, newkey: &[&str]) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.key.pem"));
    let cert = dir.join(format!("{name}.cert.pem"));
    let mut args = vec!["req", "-x509", "-nodes", "-days", "30", "-subj"];
    let subj = format!("/CN={name}");
    args.push(&subj);
    args.extend_from_slice(newkey);
    args.extend_from_slice(&["-keyout", p(&key), "-out", p(&cert)]);
    openssl(&args);
    (key, cert)
}

/// The SHA-1 thumbprint of a PEM certificate, as ams writes it.
fn thumbprint_of(cert_pem: &Path) -> String {
    let out = openssl(&["x509", "-in", p(cert_pem), "-noout", "-fingerprint", "-sha1"]);
    let text = String::from_utf8(out.stdout).unwrap();
    text.trim().rsplit('=').next().unwrap().replace(':', "").to_ascii_uppercase()
}

#[test]
fn export_is_read_by_openssl_and_restores_a_lost_key() {
    let i = Instance::new();
    let made = i.ok(&["cert", "new", "--key-size", "3072"], None);
    let t = made["Thumbprint"].as_str().unwrap().to_string();
    let dev = i.device("pc1");
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some("Canary-Pfx-E2E-1"));
    let dir = i.scratch();

    // The product export: PBES2 + HMAC-SHA256 at 300,000 iterations (.NET's default limits), mode 0600.
    let out = dir.join("backup.pfx");
    let r = i.ok(&["cert", "export", "--thumbprint", &t, "--out", p(&out)], Some(&format!("{PFX_PW}\n")));
    assert_eq!(r["Thumbprint"], t.as_str());
    assert_eq!(r["Iterations"], 300_000);
    assert!(r.get("Warning").is_none());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&out).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let pwfile = dir.join("pw.txt");
    std::fs::write(&pwfile, format!("{PFX_PW}\n")).unwrap();
    let passin = format!("file:{}", p(&pwfile));
    let info = openssl(&["pkcs12", "-in", p(&out), "-passin", &passin, "-info", "-noout"]);
    let info = String::from_utf8_lossy(&info.stderr).into_owned() + &String::from_utf8_lossy(&info.stdout);
    assert!(info.contains("MAC: sha256, Iteration 300000"), "{info}");
    assert!(info.contains("PBES2, PBKDF2, AES-256-CBC, Iteration 300000, PRF hmacWithSHA256"), "{info}");
    assert!(info.contains("Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 300000"), "{info}");
    // openssl gets the same certificate and a key that belongs to it.
    let cert_pem = dir.join("out.cert.pem");
    openssl(&["pkcs12", "-in", p(&out), "-passin", &passin, "-nokeys", "-clcerts", "-out", p(&cert_pem)]);
    assert_eq!(thumbprint_of(&cert_pem), t);
    let key_pem = dir.join("out.key.pem");
    openssl(&["pkcs12", "-in", p(&out), "-passin", &passin, "-nocerts", "-noenc", "-out", p(&key_pem)]);
    let from_key = openssl(&["pkey", "-in", p(&key_pem), "-pubout"]).stdout;
    let from_cert = openssl(&["x509", "-in", p(&cert_pem), "-noout", "-pubkey"]).stdout;
    assert_eq!(from_key, from_cert);
    // A wrong password is refused by openssl too.
    let bad = Command::new("openssl")
        .args(["pkcs12", "-in", p(&out), "-passin", "pass:not the password", "-noout"])
        .output()
        .unwrap();
    assert!(!bad.status.success());

    // Never overwritten; weak passwords refused without echo; no password is a usage error.
    let before = std::fs::read(&out).unwrap();
    let (code, e) = i.err(&["cert", "export", "--thumbprint", &t, "--out", p(&out)], Some(&format!("{PFX_PW}\n")));
    assert_eq!((code, e["code"].as_str().unwrap()), (4, "AMS-GEN-0006"));
    assert_eq!(std::fs::read(&out).unwrap(), before);
    let weak_out = dir.join("weak.pfx");
    for weak in ["Summer2024!", "Password2024!!", "zzzzzzzzzzzzzzzz"] {
        let (code, e) =
            i.err(&["cert", "export", "--thumbprint", &t, "--out", p(&weak_out)], Some(&format!("{weak}\n")));
        assert_eq!((code, e["code"].as_str().unwrap()), (5, "AMS-CERT-0013"));
        assert!(!e.to_string().contains(weak), "{e}");
    }
    let (code, _) = i.err(&["cert", "export", "--thumbprint", &t, "--out", p(&weak_out)], Some(""));
    assert_eq!(code, 2);
    assert!(!weak_out.exists());

    // --legacy: 3DES and SHA-1 with a warning; openssl -legacy reads it.
    let legacy = dir.join("legacy.pfx");
    let r =
        i.ok(&["cert", "export", "--thumbprint", &t, "--out", p(&legacy), "--legacy"], Some(&format!("{PFX_PW}\n")));
    assert!(r["Warning"].as_str().unwrap().contains("3DES"));
    let info = openssl(&["pkcs12", "-legacy", "-in", p(&legacy), "-passin", &passin, "-info", "-noout"]);
    let info = String::from_utf8_lossy(&info.stderr).into_owned();
    assert!(info.contains("MAC: sha1") && info.contains("pbeWithSHA1And3-KeyTripleDES-CBC"), "{info}");

    // The key is lost; reading fails; importing the backup puts it back.
    i.lose_private_key(&t);
    let (_, e) = i.err(&["local-admin-password", "get", "--computer-name", "pc1"], None);
    assert_eq!(e["code"], "AMS-CERT-0003");
    let r = i.ok(&["cert", "import", "--pfx", p(&out)], Some(&format!("{PFX_PW}\n")));
    assert_eq!((r["RestoredPrivateKey"].as_bool(), r["HasPrivateKey"].as_bool()), (Some(true), Some(true)));
    assert_eq!(i.password("pc1"), "Canary-Pfx-E2E-1");

    // And into a brand-new instance: an import never activates by itself (issue 17); with
    // --activate it becomes the active certificate.
    let j = Instance::new();
    let r = j.ok(&["cert", "import", "--pfx", p(&legacy)], Some(&format!("{PFX_PW}\n")));
    assert_eq!((r["Thumbprint"].as_str(), r["State"].as_str()), (Some(t.as_str()), Some("Retained")));
    let k = Instance::new();
    let r = k.ok(&["cert", "import", "--pfx", p(&legacy), "--activate"], Some(&format!("{PFX_PW}\n")));
    assert_eq!((r["Thumbprint"].as_str(), r["State"].as_str()), (Some(t.as_str()), Some("Active")));
}

#[test]
fn openssl_and_windows_style_files_import() {
    let i = Instance::new();
    let dir = i.scratch();
    let pass = format!("pass:{PFX_PW}");
    // (name, extra openssl pkcs12 -export options). -iter keeps the test fast.
    let variants: [(&str, &[&str]); 5] = [
        ("openssl-default", &[]),
        ("openssl-legacy", &["-legacy"]),
        (
            "windows-3des",
            &[
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
                "-CSP",
                "Microsoft Enhanced Cryptographic Provider v1.0",
                "-keyex",
            ],
        ),
        (
            "windows-aes",
            &[
                "-keypbe",
                "AES-256-CBC",
                "-certpbe",
                "AES-256-CBC",
                "-macalg",
                "sha256",
                "-CSP",
                "Microsoft Software Key Storage Provider",
            ],
        ),
        ("openssl-nomac-chain", &["-nomac", "-certfile"]),
    ];
    let mut names = Vec::new();
    for (n, (name, opts)) in variants.iter().enumerate() {
        let (key, cert) = openssl_pair(&dir, name, &["-newkey", "rsa:2048"]);
        let file = dir.join(format!("{name}.pfx"));
        let mut args: Vec<String> =
            ["pkcs12", "-export", "-inkey", p(&key), "-in", p(&cert), "-name", name, "-passout", &pass]
                .map(String::from)
                .to_vec();
        args.extend(opts.iter().map(|o| o.to_string()));
        if opts.last() == Some(&"-certfile") {
            // An unrelated certificate rides along as a chain certificate.
            let (_, extra) = openssl_pair(&dir, "extra-ca", &["-newkey", "rsa:2048"]);
            args.push(p(&extra).to_string());
        }
        args.extend(["-iter", "2048", "-out", p(&file)].map(String::from));
        openssl(&args.iter().map(String::as_str).collect::<Vec<_>>());

        // The first import becomes active; make each new one active so uploads use it.
        let r = i.ok(&["cert", "import", "--pfx", p(&file), "--activate"], Some(&format!("{PFX_PW}\n")));
        assert_eq!(r["Thumbprint"].as_str().unwrap(), thumbprint_of(&cert), "{name}");
        assert_eq!((r["Source"].as_str(), r["State"].as_str()), (Some("Imported"), Some("Active")), "{name}");
        assert_eq!(r["KeySize"], 2048, "{name}");
        if *name == "openssl-nomac-chain" {
            assert_eq!(r["IgnoredCertificates"], 1);
        }
        // The imported key opens what agents seal to the certificate.
        let dev_name = format!("pc{n}");
        let dev = i.device(&dev_name);
        let secret = format!("Canary-{name}");
        i.ok(&["agent", "submit-password", "--device-id", &dev], Some(&secret));
        assert_eq!(i.password(&dev_name), secret, "{name}");
        names.push(name);
    }
    assert_eq!(i.certs().as_array().unwrap().len(), names.len());
}

#[test]
fn import_refusals_are_coded_and_change_nothing() {
    let i = Instance::new();
    let dir = i.scratch();
    let (key, cert) = openssl_pair(&dir, "good", &["-newkey", "rsa:2048"]);
    let good = dir.join("good.pfx");
    export_pfx(&["-inkey", p(&key), "-in", p(&cert)], "2048", &good);
    i.ok(&["cert", "import", "--pfx", p(&good)], Some(&format!("{PFX_PW}\n")));

    // Mismatch: openssl refuses to pair them, but -nocerts with -certfile packs any key with any certificate.
    let (other_key, _) = openssl_pair(&dir, "other", &["-newkey", "rsa:2048"]);
    let (_, other_cert) = openssl_pair(&dir, "third", &["-newkey", "rsa:2048"]);
    let mismatched = dir.join("mismatched.pfx");
    export_pfx(&["-nocerts", "-inkey", p(&other_key), "-certfile", p(&other_cert)], "2048", &mismatched);
    // A genuine EC pair, and the committed EC certificate packed with an RSA key.
    let (ec_key, ec_cert) = openssl_pair(&dir, "ec", &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]);
    let ec = dir.join("ec.pfx");
    export_pfx(&["-inkey", p(&ec_key), "-in", p(&ec_cert)], "2048", &ec);
    let ec_fixture_pem = dir.join("ec-fixture.pem");
    openssl(&["x509", "-inform", "DER", "-in", p(&fixture("ec-p256.cert.der")), "-out", p(&ec_fixture_pem)]);
    let ec2 = dir.join("ec-fixture.pfx");
    export_pfx(&["-nocerts", "-inkey", p(&other_key), "-certfile", p(&ec_fixture_pem)], "2048", &ec2);
    // A short RSA key.
    let (small_key, small_cert) = openssl_pair(&dir, "small", &["-newkey", "rsa:1024"]);
    let small = dir.join("small.pfx");
    export_pfx(&["-inkey", p(&small_key), "-in", p(&small_cert)], "2048", &small);
    // Damaged files.
    let bytes = std::fs::read(&good).unwrap();
    let truncated = dir.join("truncated.pfx");
    std::fs::write(&truncated, &bytes[..bytes.len() - 40]).unwrap();
    let empty = dir.join("empty.pfx");
    std::fs::write(&empty, b"").unwrap();
    let pem = dir.join("cert-as-pfx.pfx");
    std::fs::copy(&cert, &pem).unwrap();
    let big = dir.join("big.pfx");
    std::fs::write(&big, vec![0x30u8; 2 << 20]).unwrap();

    let before = i.certs();
    let cases: [(&str, &Path, &str, &str); 11] = [
        ("wrong password", &good, "a different long password", "AMS-CERT-0008"),
        ("mismatched", &mismatched, PFX_PW, "AMS-CERT-0011"),
        ("EC pair", &ec, PFX_PW, "AMS-CERT-0012"),
        ("EC fixture", &ec2, PFX_PW, "AMS-CERT-0012"),
        ("RSA-1024", &small, PFX_PW, "AMS-CERT-0004"),
        ("duplicate", &good, PFX_PW, "AMS-CERT-0005"),
        ("truncated", &truncated, PFX_PW, "AMS-CERT-0007"),
        ("empty", &empty, PFX_PW, "AMS-CERT-0007"),
        ("PEM, not PFX", &pem, PFX_PW, "AMS-CERT-0007"),
        ("too big", &big, PFX_PW, "AMS-CERT-0007"),
        ("missing file", &dir.join("nope.pfx"), PFX_PW, "AMS-GEN-0005"),
    ];
    for (name, file, password, want) in cases {
        let (code, e) = i.err(&["cert", "import", "--pfx", p(file), "--activate"], Some(&format!("{password}\n")));
        assert_eq!(e["code"], want, "{name}: {e}");
        let kind_exit = match e["kind"].as_str().unwrap() {
            "not_found" => 3,
            "conflict" => 4,
            "invalid_input" => 5,
            "permission_denied" => 6,
            "unavailable" => 7,
            other => panic!("{name}: unexpected kind {other}"),
        };
        assert_eq!(code, kind_exit, "{name}");
        assert!(!e.to_string().contains(password), "{name}: the password is echoed: {e}");
        assert_eq!(i.certs(), before, "{name} changed the certificates");
    }
    // cert export/import cannot run inside a batch (they read the password from stdin).
    let out = i.run(&["batch"], Some("{\"verb\":\"cert import\",\"parameters\":{\"Pfx\":\"x\"}}\n"));
    let line: Value = serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["ok"], false);
}

#[test]
fn fuzzed_pfx_files_never_crash_the_binary() {
    let i = Instance::new();
    let dir = i.scratch();
    let (key, cert) = openssl_pair(&dir, "fuzz", &["-newkey", "rsa:2048"]);
    let good = dir.join("good.pfx");
    export_pfx(&["-legacy", "-inkey", p(&key), "-in", p(&cert)], "16", &good);
    let bytes = std::fs::read(&good).unwrap();
    let mut state = 0x9e37_79b9_u32;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        state as usize
    };
    let file = dir.join("fuzz.pfx");
    let mut codes = BTreeSet::new();
    let mut refused = 0;
    for round in 0..24 {
        let mut b = bytes.clone();
        match round % 3 {
            0 => b.truncate(next() % b.len()),
            1 => {
                for _ in 0..4 {
                    let at = next() % b.len();
                    b[at] ^= (next() % 255 + 1) as u8;
                }
            }
            _ => {
                let at = next() % b.len();
                b.splice(at..at, (0..(next() % 64)).map(|_| next() as u8));
            }
        }
        std::fs::remove_file(&file).ok();
        std::fs::write(&file, &b).unwrap();
        let out = i.run(&["cert", "import", "--pfx", p(&file)], Some(&format!("{PFX_PW}\n")));
        let code = out.status.code().expect("exited, not killed by a signal");
        if code == 0 {
            // A change that misses every checked byte (e.g. trailing data) may still import.
            continue;
        }
        assert!(matches!(code, 3..=7 | 9), "round {round}: exit {code}: {}", String::from_utf8_lossy(&out.stderr));
        let doc: Value = serde_json::from_slice(&out.stderr).expect("one JSON error document");
        let c = doc["error"]["code"].as_str().unwrap().to_string();
        assert!(c.starts_with("AMS-CERT-"), "round {round}: {c}");
        codes.insert(c);
        refused += 1;
    }
    assert!(refused >= 20, "only {refused} of 24 damaged files were refused: {codes:?}");
}

#[test]
fn lost_key_recovery_through_the_cli() {
    let i = Instance::new();
    let lost = i.ok(&["cert", "new", "--key-size", "3072"], None)["Thumbprint"].as_str().unwrap().to_string();
    let pc1 = i.device("pc1");
    let pc2 = i.device("pc2");
    let pc3 = i.device("pc3");
    i.ok(&["agent", "submit-password", "--device-id", &pc1], Some("pc1-first"));
    i.ok(&["agent", "submit-password", "--device-id", &pc1], Some("pc1-second"));
    i.ok(&["agent", "submit-password", "--device-id", &pc2], Some("pc2-first"));

    // The private key of the certificate is lost; a new one is published; pc3 uploads to it.
    i.lose_private_key(&lost);
    let (code, e) = i.err(&["device", "expire-password", "--unreadable"], None);
    assert_eq!((code, e["code"].as_str().unwrap()), (4, "AMS-CERT-0014"), "refused while the lost one is active");
    let fresh =
        i.ok(&["cert", "new", "--key-size", "3072", "--activate"], None)["Thumbprint"].as_str().unwrap().to_string();
    i.ok(&["agent", "submit-password", "--device-id", &pc3], Some("pc3-first"));

    let st = i.ok(&["cert", "status"], None);
    let row = |t: &str| st["Certificates"].as_array().unwrap().iter().find(|c| c["Thumbprint"] == t).unwrap().clone();
    let l = row(&lost);
    assert_eq!((l["CurrentPasswords"].as_i64(), l["HistoricalPasswords"].as_i64()), (Some(2), Some(1)));
    assert_eq!((l["SecretsReadable"].as_bool(), l["Problem"].as_str()), (Some(false), Some("PrivateKeyMissing")));
    assert_eq!(row(&fresh)["SecretsReadable"], true);
    assert_eq!(st["UnreadableCurrentPasswords"], 2);
    assert_eq!(st["ActiveCertificateUsable"], true);

    let r = i.ok(&["device", "expire-password", "--unreadable"], None);
    let expired: BTreeSet<&str> =
        r["Expired"].as_array().unwrap().iter().map(|e| e["DeviceId"].as_str().unwrap()).collect();
    assert_eq!(expired, BTreeSet::from([pc1.as_str(), pc2.as_str()]));
    assert_eq!(r["UnrecoverableHistory"].as_array().unwrap().len(), 1);
    assert_eq!(r["UnrecoverableHistory"][0]["Name"], "pc1");
    assert_eq!(r["ActiveCertificate"], fresh.as_str());
    for (dev, required) in [(&pc1, true), (&pc2, true), (&pc3, false)] {
        let c = i.ok(&["agent", "check-in", "--device-id", dev], None);
        assert_eq!(c["PasswordChangeRequired"], required, "{dev}");
        if required {
            assert!(c["EncryptionCertificate"].is_string());
        }
    }
    i.ok(&["agent", "submit-password", "--device-id", &pc1], Some("pc1-new"));
    i.ok(&["agent", "submit-password", "--device-id", &pc2], Some("pc2-new"));
    assert_eq!(
        (i.password("pc1"), i.password("pc2"), i.password("pc3")),
        ("pc1-new".into(), "pc2-new".into(), "pc3-first".into())
    );
    let st = i.ok(&["cert", "status"], None);
    assert_eq!(st["UnreadableCurrentPasswords"], 0);
    // `--unreadable` is the only selector and is required.
    let (code, _) = i.err(&["device", "expire-password"], None);
    assert_eq!(code, 2);
}

#[test]
fn password_less_files_import_only_with_no_password() {
    let i = Instance::new();
    let dir = i.scratch();
    // `-passout pass:` is the empty password; `-legacy` writes what Windows does (RC2-40 or 3DES
    // bags, a SHA-1 MAC).
    for (name, opts) in [("empty-modern", &[][..]), ("empty-legacy", &["-legacy"][..])] {
        let (key, cert) = openssl_pair(&dir, name, &["-newkey", "rsa:2048"]);
        let file = dir.join(format!("{name}.pfx"));
        let mut args: Vec<&str> = vec!["pkcs12", "-export", "-inkey", p(&key), "-in", p(&cert), "-passout", "pass:"];
        args.extend_from_slice(opts);
        args.extend_from_slice(&["-iter", "2048", "-out", p(&file)]);
        openssl(&args);

        // An empty line on stdin is not a way to say "no password".
        let (exit, err) = i.err(&["cert", "import", "--pfx", p(&file)], Some("\n"));
        assert_eq!((exit, err["code"].as_str().unwrap()), (2, "AMS-GEN-0003"), "{name}: {err}");
        assert_eq!(i.certs().as_array().map_or(0, Vec::len), if name == "empty-modern" { 0 } else { 1 });

        let r = i.ok(&["cert", "import", "--pfx", p(&file), "--no-password"], None);
        assert_eq!(r["Thumbprint"].as_str().unwrap(), thumbprint_of(&cert), "{name}");
        assert_eq!(r["HasPrivateKey"], true, "{name}");
    }
    // Both encodings of "no password" that .NET writes: the zero-length password (`Export(Pfx)`
    // with a null password) and the empty BMPString (`Export(Pfx, "")`).
    for name in ["dotnet-nopass-null.pfx", "dotnet-nopass-empty.pfx"] {
        let fresh = Instance::new();
        let file = fixture(name);
        let (_, err) = fresh.err(&["cert", "import", "--pfx", p(&file)], Some("\n"));
        assert_eq!(err["code"], "AMS-GEN-0003", "{name}: an empty line is not 'no password'");
        let r = fresh.ok(&["cert", "import", "--pfx", p(&file), "--no-password"], None);
        assert_eq!(r["Thumbprint"], "FC10A1349A13151ADC93352B1C478E4DD2B8428B", "{name}");
        assert_eq!((r["KeySize"].as_i64(), r["HasPrivateKey"].as_bool()), (Some(3072), Some(true)), "{name}");
    }
    // A file that has a password is not opened by --no-password.
    let (key, cert) = openssl_pair(&dir, "with-password", &["-newkey", "rsa:2048"]);
    let file = dir.join("with-password.pfx");
    export_pfx(&["-inkey", p(&key), "-in", p(&cert)], "2048", &file);
    let (_, err) = i.err(&["cert", "import", "--pfx", p(&file), "--no-password"], None);
    assert_eq!(err["code"], "AMS-CERT-0008");
}
