//! Fixed test-only keys and certificates (see `ams-core/tests/fixtures/README.md`).
//!
//! Tests must not generate RSA keys (it takes seconds); they use these instead. These keys are
//! public and protect nothing.

use crate::crypto::envelope::SecretKind;

/// RSA-3072 private key, PKCS#8 DER.
pub(crate) const RSA3072_KEY: &[u8] = include_bytes!("../../tests/fixtures/rsa3072.key.der");
/// Self-signed certificate for [`RSA3072_KEY`], DER, with the ams encryption EKU.
pub(crate) const RSA3072_CERT: &[u8] = include_bytes!("../../tests/fixtures/rsa3072.cert.der");
/// RSA-4096 private key, PKCS#8 DER.
pub(crate) const RSA4096_KEY: &[u8] = include_bytes!("../../tests/fixtures/rsa4096.key.der");
/// Self-signed certificate for [`RSA4096_KEY`], DER, with the ams encryption EKU.
pub(crate) const RSA4096_CERT: &[u8] = include_bytes!("../../tests/fixtures/rsa4096.cert.der");
/// A certificate for [`RSA3072_KEY`] without the ams encryption EKU.
pub(crate) const RSA3072_NOEKU_CERT: &[u8] = include_bytes!("../../tests/fixtures/rsa3072-noeku.cert.der");
/// Another RSA-3072 private key, matching no certificate.
pub(crate) const RSA3072_OTHER_KEY: &[u8] = include_bytes!("../../tests/fixtures/rsa3072-other.key.der");
/// A self-signed P-256 certificate (not RSA).
pub(crate) const EC_P256_CERT: &[u8] = include_bytes!("../../tests/fixtures/ec-p256.cert.der");

const KAT: &str = include_str!("../../tests/fixtures/envelope-v1-kat.txt");

/// The known-answer envelope.
pub(crate) struct Kat {
    pub kind: SecretKind,
    pub device_id: String,
    pub plaintext: String,
    pub blob: Vec<u8>,
}

impl Kat {
    pub(crate) fn load() -> Kat {
        let field = |name: &str| -> String {
            KAT.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}: ")))
                .unwrap_or_else(|| panic!("KAT field {name} missing"))
                .to_string()
        };
        let kind = match field("kind").as_str() {
            "laps-password" => SecretKind::LapsPassword,
            "bitlocker-key" => SecretKind::BitLockerKey,
            other => panic!("unknown kind {other}"),
        };
        let hex = field("blob_hex");
        let blob = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
        Kat { kind, device_id: field("device_id"), plaintext: field("plaintext"), blob }
    }
}

/// Whether the `openssl` command line tool can be run.
pub(crate) fn openssl_available() -> bool {
    std::process::Command::new("openssl").arg("version").output().map(|o| o.status.success()).unwrap_or(false)
}
