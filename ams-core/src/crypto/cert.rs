//! Encryption certificates: RSA key pairs and self-signed X.509 certificates.
//!
//! An encryption certificate carries the public key agents seal secrets to (see
//! [`crate::crypto::envelope`]). The server keeps the matching private key. The certificates made
//! here are self-signed X.509 v3 certificates with:
//!
//! * subject and issuer `CN=<subject_cn>,OU=Access Manager,O=ams`;
//! * a random positive 127-bit serial number;
//! * an RSA key of 3072 or 4096 bits (public exponent 65537);
//! * signature `sha256WithRSAEncryption` (PKCS#1 v1.5);
//! * BasicConstraints `CA:FALSE` (critical);
//! * KeyUsage `keyEncipherment` (critical);
//! * ExtendedKeyUsage [`ENCRYPTION_EKU_OID`] ("ams password encryption", critical);
//! * SubjectKeyIdentifier (SHA-1 of the public key bits, RFC 5280 method 1).
//!
//! Private keys are returned as PKCS#8 DER in a [`Zeroizing`] buffer and are never printed.

use std::fmt;
use std::str::FromStr;
use std::time::Duration as StdDuration;

use der::asn1::GeneralizedTime;
use der::referenced::OwnedToRef;
use der::{Decode, Encode};
use rsa::pkcs1v15::{Signature, SigningKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::certificate::TbsCertificate;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectKeyIdentifier};
use x509_cert::ext::{Extension, ToExtension};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

/// The extended key usage that marks an ams encryption certificate ("ams password encryption").
pub const ENCRYPTION_EKU_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.61150.1.1");

/// `rsaEncryption` (PKCS#1).
pub(crate) const RSA_ENCRYPTION_OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The RSA key sizes [`generate`] accepts.
pub const ALLOWED_KEY_BITS: [usize; 2] = [3072, 4096];

/// The longest validity [`generate`] accepts, in days (about 100 years).
pub const MAX_VALIDITY_DAYS: u32 = 36_500;

/// The longest common name accepted (RFC 5280 `ub-common-name`).
pub const MAX_CN_CHARS: usize = 64;

/// The organizational unit of every generated certificate.
const SUBJECT_OU: &str = "Access Manager";
/// The organization of every generated certificate.
const SUBJECT_O: &str = "ams";

/// What to put in a new encryption certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertParams {
    /// The common name; the subject becomes `CN=<subject_cn>,OU=Access Manager,O=ams`.
    pub subject_cn: String,
    /// The RSA key size: 3072 or 4096.
    pub key_bits: usize,
    /// The start of validity (sub-second precision is dropped).
    pub not_before: OffsetDateTime,
    /// The length of validity in days, 1..=36500.
    pub validity_days: u32,
}

/// A new certificate and its private key.
pub struct GeneratedCert {
    /// The self-signed certificate, DER.
    pub certificate_der: Vec<u8>,
    /// The RSA private key, PKCS#8 DER (unencrypted; seal it before storing it).
    pub private_key_pkcs8: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for GeneratedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedCert")
            .field("thumbprint", &thumbprint(&self.certificate_der))
            .field("private_key_pkcs8", &"<redacted>")
            .finish()
    }
}

/// What [`parse`] reads from a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// SHA-1 of the certificate DER, 40 uppercase hex digits.
    pub thumbprint: String,
    /// The subject as an RFC 4514 string, most significant RDN last (e.g. `CN=x,OU=Access Manager,O=ams`).
    pub subject: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// RSA modulus size in bits.
    pub key_bits: usize,
    /// Whether the certificate has the ams encryption extended key usage ([`ENCRYPTION_EKU_OID`]).
    pub has_encryption_eku: bool,
}

/// Makes an RSA key pair and a self-signed encryption certificate for it.
///
/// Key generation takes seconds (RSA-4096 notably longer than RSA-3072).
pub fn generate(params: &CertParams) -> Result<GeneratedCert> {
    if !ALLOWED_KEY_BITS.contains(&params.key_bits) {
        return Err(Error::new(ErrorCode::CertInvalid, format!("The key size {} is not supported.", params.key_bits))
            .hint("Use 3072 or 4096 bits."));
    }
    if !(1..=MAX_VALIDITY_DAYS).contains(&params.validity_days) {
        return Err(Error::new(
            ErrorCode::CertInvalid,
            format!("The validity of {} days is out of range.", params.validity_days),
        )
        .hint(format!("Use between 1 and {MAX_VALIDITY_DAYS} days.")));
    }
    check_common_name(&params.subject_cn)?;

    let not_before =
        OffsetDateTime::from_unix_timestamp(params.not_before.unix_timestamp()).map_err(|_| invalid_validity())?;
    let not_after =
        not_before.checked_add(time::Duration::days(i64::from(params.validity_days))).ok_or_else(invalid_validity)?;
    let validity = Validity::new(to_x509_time(not_before)?, to_x509_time(not_after)?);

    let subject =
        Name::from_str(&format!("CN={},OU={SUBJECT_OU},O={SUBJECT_O}", params.subject_cn)).map_err(|_| invalid_cn())?;

    let mut rng = rand::rngs::SysRng;
    let private_key =
        PrivateKey::new(&mut rng, params.key_bits).map_err(|_| Error::internal("RSA key generation failed."))?;
    let private_key_pkcs8 = {
        let doc =
            private_key.to_pkcs8_der().map_err(|_| Error::internal("The new private key could not be encoded."))?;
        Zeroizing::new(doc.as_bytes().to_vec())
    };
    let spki = SubjectPublicKeyInfoOwned::from_key(private_key.as_public_key())
        .map_err(|_| Error::internal("The new public key could not be encoded."))?;

    let builder = CertificateBuilder::new(EncryptionProfile { subject }, random_serial()?, validity, spki)
        .map_err(|e| Error::internal("The certificate could not be built.").source(e))?;
    let signer = SigningKey::<Sha256>::new(private_key);
    let certificate = builder
        .build::<_, Signature>(&signer)
        .map_err(|e| Error::internal("The certificate could not be signed.").source(e))?;
    let certificate_der =
        certificate.to_der().map_err(|e| Error::internal("The certificate could not be encoded.").source(e))?;

    Ok(GeneratedCert { certificate_der, private_key_pkcs8 })
}

/// Reads the facts ams needs from a DER certificate. Refuses anything that is not an X.509
/// certificate with an RSA key.
pub fn parse(der: &[u8]) -> Result<CertInfo> {
    let cert = decode_certificate(der)?;
    let tbs = cert.tbs_certificate();
    let public_key = rsa_public_key(tbs.subject_public_key_info())?;
    let validity = tbs.validity();
    let has_encryption_eku = match tbs.get_extension::<ExtendedKeyUsage>() {
        Ok(Some((_critical, eku))) => eku.0.contains(&ENCRYPTION_EKU_OID),
        Ok(None) => false,
        Err(_) => {
            return Err(Error::new(
                ErrorCode::CertInvalid,
                "The certificate's extended key usage extension is malformed or repeated.",
            ));
        }
    };
    Ok(CertInfo {
        thumbprint: thumbprint(der),
        subject: tbs.subject().to_string(),
        not_before: from_x509_time(validity.not_before)?,
        not_after: from_x509_time(validity.not_after)?,
        key_bits: modulus_bits(&public_key),
        has_encryption_eku,
    })
}

/// The SHA-1 thumbprint of a DER certificate: 40 uppercase hex digits (as Windows shows it).
pub fn thumbprint(der: &[u8]) -> String {
    hex_upper(&Sha1::digest(der))
}

/// Whether a PKCS#8 RSA private key belongs to a certificate (same modulus and public exponent).
pub fn key_matches(cert_der: &[u8], private_key_pkcs8: &[u8]) -> Result<bool> {
    let cert = decode_certificate(cert_der)?;
    let public_key = rsa_public_key(cert.tbs_certificate().subject_public_key_info())?;
    let private_key = decode_private_key(private_key_pkcs8)?;
    Ok(public_key.n() == private_key.n() && public_key.e() == private_key.e())
}

// ---------------------------------------------------------------------------------------------
// Crate-internal helpers (also used by the envelope).

/// Decodes a DER certificate, mapping every failure to `CertInvalid`.
pub(crate) fn decode_certificate(der: &[u8]) -> Result<Certificate> {
    Certificate::from_der(der).map_err(|e| {
        Error::new(ErrorCode::CertInvalid, "The data is not a DER X.509 certificate.")
            .hint("Give the certificate in DER form; convert PEM with `openssl x509 -outform DER`.")
            .with("detail", e)
    })
}

/// The RSA public key of a certificate; `CertInvalid` if it is not RSA or is malformed.
pub(crate) fn rsa_public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKey> {
    if spki.algorithm.oid != RSA_ENCRYPTION_OID {
        return Err(Error::new(
            ErrorCode::CertInvalid,
            "The certificate's key is not an RSA key; ams encryption certificates must use RSA.",
        )
        .with("key_algorithm", spki.algorithm.oid));
    }
    let spki_ref: SubjectPublicKeyInfoRef<'_> = spki.owned_to_ref();
    PublicKey::try_from(spki_ref).map_err(|_| {
        Error::new(ErrorCode::CertInvalid, "The certificate's RSA public key is malformed or out of range.")
    })
}

/// Decodes a PKCS#8 RSA private key. The error never quotes the input.
pub(crate) fn decode_private_key(pkcs8: &[u8]) -> Result<PrivateKey> {
    PrivateKey::from_pkcs8_der(pkcs8)
        .map_err(|_| Error::new(ErrorCode::CertInvalid, "The private key is not a valid PKCS#8 RSA private key."))
}

/// The modulus size in bits.
pub(crate) fn modulus_bits(key: &PublicKey) -> usize {
    key.n().bit_width_vartime() as usize
}

/// Uppercase hex.
pub(crate) fn hex_upper(bytes: &[u8]) -> String {
    use fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02X}");
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Private helpers.

/// The builder profile: self-signed end-entity encryption certificate.
struct EncryptionProfile {
    subject: Name,
}

impl BuilderProfile for EncryptionProfile {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: SubjectPublicKeyInfoRef<'_>,
        tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let subject = tbs.subject();
        let mut extensions: Vec<Extension> = Vec::new();

        let basic = BasicConstraints { ca: false, path_len_constraint: None };
        extensions.push((true, &basic).to_extension(subject, &extensions)?);

        let key_usage = KeyUsage(KeyUsages::KeyEncipherment.into());
        extensions.push((true, &key_usage).to_extension(subject, &extensions)?);

        let eku = ExtendedKeyUsage(vec![ENCRYPTION_EKU_OID]);
        extensions.push((true, &eku).to_extension(subject, &extensions)?);

        let ski = SubjectKeyIdentifier::try_from(spk)?;
        extensions.push((false, &ski).to_extension(subject, &extensions)?);

        Ok(extensions)
    }
}

fn invalid_cn() -> Error {
    Error::new(ErrorCode::CertInvalid, "The certificate common name is not valid.").hint(format!(
        "Use 1 to {MAX_CN_CHARS} characters without control characters, leading '#', \
         leading or trailing spaces, or any of , + = \" < > ; \\"
    ))
}

fn invalid_validity() -> Error {
    Error::new(
        ErrorCode::CertInvalid,
        "The certificate validity period is out of range (it must lie between 1970 and 9999).",
    )
}

/// Refuses a common name that is empty, too long, or would need escaping in a DN string.
fn check_common_name(cn: &str) -> Result<()> {
    let chars = cn.chars().count();
    let bad_char = cn.chars().any(|c| c.is_control() || matches!(c, ',' | '+' | '=' | '"' | '<' | '>' | ';' | '\\'));
    if chars == 0 || chars > MAX_CN_CHARS || bad_char || cn.starts_with('#') || cn.starts_with(' ') || cn.ends_with(' ')
    {
        return Err(invalid_cn());
    }
    Ok(())
}

/// A random positive serial number of 16 bytes (127 random-ish bits, never a leading zero byte).
fn random_serial() -> Result<SerialNumber> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| Error::internal("The operating system random number generator failed."))?;
    if let Some(first) = bytes.first_mut() {
        *first = (*first & 0x7f) | 0x40;
    }
    SerialNumber::new(&bytes).map_err(|e| Error::internal("The serial number could not be encoded.").source(e))
}

/// `OffsetDateTime` (whole seconds, 1970..=9999) to an X.509 time. The builder turns years up to
/// 2049 into UTCTime as RFC 5280 requires.
fn to_x509_time(t: OffsetDateTime) -> Result<Time> {
    let secs = u64::try_from(t.unix_timestamp()).map_err(|_| invalid_validity())?;
    let dt = der::DateTime::from_unix_duration(StdDuration::from_secs(secs)).map_err(|_| invalid_validity())?;
    Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
}

fn from_x509_time(t: Time) -> Result<OffsetDateTime> {
    let secs = i64::try_from(t.to_unix_duration().as_secs())
        .map_err(|_| Error::new(ErrorCode::CertInvalid, "The certificate validity time is out of range."))?;
    OffsetDateTime::from_unix_timestamp(secs)
        .map_err(|_| Error::new(ErrorCode::CertInvalid, "The certificate validity time is out of range."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testkeys;
    use time::macros::datetime;

    fn params(bits: usize) -> CertParams {
        CertParams {
            subject_cn: "ams test".into(),
            key_bits: bits,
            not_before: datetime!(2026-01-02 03:04:05.678 UTC),
            validity_days: 365,
        }
    }

    #[test]
    fn rejects_bad_params_without_generating() {
        for bits in [0, 1024, 2048, 3071, 8192] {
            let e = generate(&params(bits)).unwrap_err();
            assert_eq!(e.code(), ErrorCode::CertInvalid, "{bits}");
        }
        for days in [0, MAX_VALIDITY_DAYS + 1] {
            let p = CertParams { validity_days: days, ..params(3072) };
            assert_eq!(generate(&p).unwrap_err().code(), ErrorCode::CertInvalid, "{days}");
        }
        for cn in [
            "", " lead", "trail ", "#hash", "a,b", "a+b", "a=b", "a\"b", "a<b", "a>b", "a;b", "a\\b", "a\nb",
            "a\u{7f}b", "a\u{0}b",
        ] {
            let p = CertParams { subject_cn: cn.into(), ..params(3072) };
            assert_eq!(generate(&p).unwrap_err().code(), ErrorCode::CertInvalid, "{cn:?}");
        }
        let p = CertParams { subject_cn: "x".repeat(MAX_CN_CHARS + 1), ..params(3072) };
        assert_eq!(generate(&p).unwrap_err().code(), ErrorCode::CertInvalid);
        let p = CertParams { not_before: datetime!(1969-12-31 23:59:59 UTC), ..params(3072) };
        assert_eq!(generate(&p).unwrap_err().code(), ErrorCode::CertInvalid);
    }

    #[test]
    fn common_name_checks() {
        assert!(check_common_name("Access Manager encryption 2026").is_ok());
        assert!(check_common_name("ämś-ünïcødé #1 (test)").is_ok());
        assert!(check_common_name(&"x".repeat(MAX_CN_CHARS)).is_ok());
    }

    #[test]
    fn thumbprint_is_uppercase_sha1() {
        assert_eq!(thumbprint(b""), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
        let t = thumbprint(testkeys::RSA3072_CERT);
        assert_eq!(t.len(), 40);
        assert!(t.chars().all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)));
    }

    #[test]
    fn parses_fixture_certificates() {
        let info = parse(testkeys::RSA3072_CERT).unwrap();
        assert_eq!(info.key_bits, 3072);
        assert!(info.has_encryption_eku);
        assert_eq!(info.subject, "CN=ams test 3072,OU=Access Manager,O=ams");
        assert_eq!(info.thumbprint, thumbprint(testkeys::RSA3072_CERT));
        assert!(info.not_before < info.not_after);

        let info = parse(testkeys::RSA4096_CERT).unwrap();
        assert_eq!(info.key_bits, 4096);
        assert!(info.has_encryption_eku);

        let info = parse(testkeys::RSA3072_NOEKU_CERT).unwrap();
        assert!(!info.has_encryption_eku);
        assert_eq!(info.subject, "CN=ams test no eku");
        assert!(key_matches(testkeys::RSA3072_NOEKU_CERT, testkeys::RSA3072_KEY).unwrap());
    }

    #[test]
    fn refuses_non_rsa_and_garbage() {
        let e = parse(testkeys::EC_P256_CERT).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CertInvalid);
        assert!(e.message().contains("not an RSA key"), "{}", e.message());
        for bad in [&b""[..], b"garbage", &testkeys::RSA3072_CERT[..100], testkeys::RSA3072_KEY] {
            assert_eq!(parse(bad).unwrap_err().code(), ErrorCode::CertInvalid);
        }
        let mut trailing = testkeys::RSA3072_CERT.to_vec();
        trailing.push(0);
        assert_eq!(parse(&trailing).unwrap_err().code(), ErrorCode::CertInvalid);
    }

    #[test]
    fn key_matches_fixtures() {
        assert!(key_matches(testkeys::RSA3072_CERT, testkeys::RSA3072_KEY).unwrap());
        assert!(key_matches(testkeys::RSA4096_CERT, testkeys::RSA4096_KEY).unwrap());
        assert!(!key_matches(testkeys::RSA3072_CERT, testkeys::RSA3072_OTHER_KEY).unwrap());
        assert!(!key_matches(testkeys::RSA3072_CERT, testkeys::RSA4096_KEY).unwrap());
        let e = key_matches(testkeys::RSA3072_CERT, b"not a key").unwrap_err();
        assert_eq!(e.code(), ErrorCode::CertInvalid);
        let e = key_matches(testkeys::EC_P256_CERT, testkeys::RSA3072_KEY).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CertInvalid);
    }

    #[test]
    fn debug_hides_the_key() {
        let g = GeneratedCert {
            certificate_der: testkeys::RSA3072_CERT.to_vec(),
            private_key_pkcs8: Zeroizing::new(testkeys::RSA3072_KEY.to_vec()),
        };
        let s = format!("{g:?}");
        assert!(s.contains("redacted") && s.contains(&thumbprint(testkeys::RSA3072_CERT)));
        assert!(s.len() < 200);
    }

    /// Generates one real RSA-3072 certificate (a few seconds) and checks everything about it.
    #[test]
    fn generates_a_real_certificate() {
        let p = CertParams { subject_cn: "ams encryption test".into(), ..params(3072) };
        let g = generate(&p).unwrap();

        let info = parse(&g.certificate_der).unwrap();
        assert_eq!(info.key_bits, 3072);
        assert!(info.has_encryption_eku);
        assert_eq!(info.subject, "CN=ams encryption test,OU=Access Manager,O=ams");
        assert_eq!(info.not_before, datetime!(2026-01-02 03:04:05 UTC));
        assert_eq!(info.not_after, datetime!(2027-01-02 03:04:05 UTC));
        assert_eq!(info.thumbprint, thumbprint(&g.certificate_der));
        assert!(key_matches(&g.certificate_der, &g.private_key_pkcs8).unwrap());
        assert!(!key_matches(&g.certificate_der, testkeys::RSA3072_KEY).unwrap());

        // Structure: v3, self-issued, serial positive, extensions with the right criticality.
        let cert = Certificate::from_der(&g.certificate_der).unwrap();
        let tbs = cert.tbs_certificate();
        assert_eq!(tbs.version(), x509_cert::certificate::Version::V3);
        assert_eq!(tbs.issuer(), tbs.subject());
        let serial = tbs.serial_number().as_bytes();
        assert!(!serial.is_empty() && serial.len() <= 20 && serial[0] & 0x80 == 0);
        assert_eq!(cert.signature_algorithm().oid, ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"));
        let (crit, bc) = tbs.get_extension::<BasicConstraints>().unwrap().unwrap();
        assert!(crit && !bc.ca);
        let (crit, ku) = tbs.get_extension::<KeyUsage>().unwrap().unwrap();
        assert!(crit && ku.key_encipherment() && !ku.digital_signature() && !ku.key_cert_sign());
        let (crit, eku) = tbs.get_extension::<ExtendedKeyUsage>().unwrap().unwrap();
        assert!(crit);
        assert_eq!(eku.0, vec![ENCRYPTION_EKU_OID]);
        let (crit, ski) = tbs.get_extension::<SubjectKeyIdentifier>().unwrap().unwrap();
        assert!(!crit && ski.0.as_bytes().len() == 20);

        // The self-signature verifies with the certificate's own key.
        let public = rsa_public_key(tbs.subject_public_key_info()).unwrap();
        let tbs_der = tbs.to_der().unwrap();
        let sig = cert.signature().raw_bytes();
        public.pkcs1v15_verify::<Sha256>(&tbs_der, sig).unwrap();

        // The private key is PKCS#8 and decodes back.
        let key = decode_private_key(&g.private_key_pkcs8).unwrap();
        assert_eq!(modulus_bits(key.as_public_key()), 3072);

        // A sealed envelope round-trips through the new pair.
        use crate::crypto::envelope::{self, EnvelopeContext, OaepHash, SecretKind};
        let ctx = EnvelopeContext { kind: SecretKind::LapsPassword, device_id: "dev-1", subject: None };
        let blob = envelope::seal(&g.certificate_der, OaepHash::Sha256, &ctx, b"pw").unwrap();
        assert_eq!(&envelope::open(&g.private_key_pkcs8, &blob, &ctx).unwrap()[..], b"pw");

        // openssl can read it.
        match testkeys::openssl_available() {
            false => println!("SKIPPED: openssl not on PATH; generated certificate not checked"),
            true => {
                let dir = tempfile::tempdir().unwrap();
                let path = dir.path().join("cert.der");
                std::fs::write(&path, &g.certificate_der).unwrap();
                let out = std::process::Command::new("openssl")
                    .args(["x509", "-inform", "DER", "-noout", "-text", "-in"])
                    .arg(&path)
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
                let text = String::from_utf8_lossy(&out.stdout);
                assert!(text.contains("sha256WithRSAEncryption"), "{text}");
                assert!(text.contains("3072 bit"), "{text}");
                assert!(text.contains("CN = ams encryption test"), "{text}");
                assert!(text.contains("CA:FALSE"), "{text}");
                assert!(text.contains("Key Encipherment"), "{text}");
                assert!(text.contains("1.3.6.1.4.1.61150.1.1"), "{text}");
                assert!(text.contains("Subject Key Identifier"), "{text}");
            }
        }
    }
}
