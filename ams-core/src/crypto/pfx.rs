//! PKCS#12 (PFX) files: the backup format of an encryption certificate and its private key.
//!
//! This module is pure: bytes and a password in, certificate DER and PKCS#8 out, and back. It
//! reads and writes through the `p12-keystore` crate.
//!
//! What [`encode`] writes:
//!
//! * [`PfxProfile::Modern`] (the default): certificate and key bags each encrypted with PBES2
//!   (PBKDF2-HMAC-SHA256, AES-256-CBC, a random 32-byte salt per bag), and an HMAC-SHA256 MAC over
//!   the whole file (PKCS#12 key derivation with SHA-256). OpenSSL 3 and Windows Server 2019 and
//!   later read it.
//! * [`PfxProfile::Legacy`]: `pbeWithSHAAnd3-KeyTripleDES-CBC` bags and an HMAC-SHA1 MAC, for
//!   importers that predate PBES2 (Windows Server 2016 and older). Weaker; say so to the user.
//!
//! The same iteration count is used for the bag encryption and for the MAC: a MAC with a low
//! count would let an attacker test password guesses cheaply and skip the expensive derivation.
//!
//! What [`decode`] accepts: PBES2 (PBKDF2 with any SHA-1/SHA-2 HMAC, AES-CBC) and the PKCS#12
//! PBES1 schemes (3DES, 40-bit RC2), MACs with SHA-1 or SHA-2, and files without a MAC. That
//! covers OpenSSL 3's default output, `openssl pkcs12 -legacy`, and what Windows exports in
//! either its "TripleDES-SHA1" or "AES256-SHA256" mode. Iteration counts above 1,000,000 and
//! files over [`MAX_PFX_BYTES`] are refused. The file must hold exactly one private key; its
//! certificate is the one with the same `localKeyId`, or the only certificate. The certificate
//! must carry an RSA key and the private key must belong to it.
//!
//! Errors never quote the password.

use std::fmt;

use der::Decode;
use p12_keystore::{
    EncryptionAlgorithm, KeyStore, KeyStoreEntry, MacAlgorithm, Pkcs12Archive, PrivateKey, PrivateKeyChain,
};
use sha1::{Digest, Sha1};
use zeroize::Zeroizing;

use crate::crypto::cert::{self, RSA_ENCRYPTION_OID};
use crate::error::{Error, ErrorCode, Result};

/// The iteration count the product always uses for exports (PBKDF2 of each bag, and the MAC).
///
/// The highest count that .NET's PKCS#12 loader accepts with its default limits (a MAC or any one
/// key derivation over 300,000 iterations, or over 1,000,000 in all, is refused), so that admins
/// can move the file into Windows and .NET tools: 300,000 for the MAC and for each of the two
/// bags, 900,000 in all. OpenSSL and Windows read it too.
pub const EXPORT_ITERATIONS: u32 = 300_000;

/// The largest iteration count an import accepts (the `p12-keystore` limit).
pub const MAX_IMPORT_ITERATIONS: u32 = 1_000_000;

/// The most key-derivation work an import does: the sum of the iteration counts of the MAC and of
/// every encrypted safe and shrouded key bag in the file (ams's own exports need 1.8 million;
/// Windows and OpenSSL use a few thousand per item). Checked before any key is derived.
pub const MAX_IMPORT_KDF_WORK: u64 = 2_000_000;

/// The most safes and bags an import looks at (one key and its certificate chain need a handful).
pub const MAX_IMPORT_BAGS: usize = 32;

/// The largest PFX file accepted, in bytes. A certificate and an RSA-4096 key take about 5 KiB;
/// Windows exports with a full chain stay well under this.
pub const MAX_PFX_BYTES: usize = 1 << 20;

/// The shortest PFX password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// How an exported PFX file is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PfxProfile {
    /// PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) with an HMAC-SHA256 MAC.
    Modern,
    /// PBES1 3DES with an HMAC-SHA1 MAC, for old Windows Server importers.
    Legacy,
}

impl PfxProfile {
    /// A short name for reports: `Pbes2-Aes256Cbc-HmacSha256` or `Pbe-Sha1-3Des-HmacSha1`.
    pub fn as_str(self) -> &'static str {
        match self {
            PfxProfile::Modern => "Pbes2-Pbkdf2HmacSha256-Aes256Cbc-HmacSha256",
            PfxProfile::Legacy => "Pbe-Sha1-3Des-HmacSha1",
        }
    }
}

/// What a PFX file holds once opened.
pub struct PfxContents {
    /// The certificate, DER.
    pub certificate_der: Vec<u8>,
    /// Its RSA private key, PKCS#8 DER (unencrypted; seal it before storing it).
    pub private_key_pkcs8: Zeroizing<Vec<u8>>,
    /// How many other certificates (a chain) the file held; they are ignored.
    pub extra_certificates: usize,
}

impl fmt::Debug for PfxContents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PfxContents")
            .field("thumbprint", &cert::thumbprint(&self.certificate_der))
            .field("private_key_pkcs8", &"<redacted>")
            .field("extra_certificates", &self.extra_certificates)
            .finish()
    }
}

/// Writes a PFX file holding one certificate and its private key.
///
/// The caller checks that the key belongs to the certificate (see [`cert::key_matches`]); this
/// function does not, so tests can build mismatched files. `iterations` must be at least 1; the
/// product passes [`EXPORT_ITERATIONS`].
pub fn encode(
    certificate_der: &[u8],
    private_key_pkcs8: &[u8],
    password: &str,
    profile: PfxProfile,
    iterations: u32,
) -> Result<Vec<u8>> {
    if iterations == 0 || iterations > MAX_IMPORT_ITERATIONS {
        return Err(Error::invalid(format!(
            "The PFX iteration count must be between 1 and {MAX_IMPORT_ITERATIONS} so that importers accept it."
        )));
    }
    check_password_encoding(password)?;
    let certificate = p12_keystore::Certificate::from_der(certificate_der)
        .map_err(|_| Error::new(ErrorCode::CertInvalid, "The certificate could not be read for the PFX export."))?;
    let key = PrivateKey::from_der(private_key_pkcs8)
        .map_err(|_| Error::new(ErrorCode::CertInvalid, "The private key is not a valid PKCS#8 key."))?;
    // OpenSSL and Windows use the SHA-1 of the certificate as the localKeyId that ties the key
    // bag to the certificate bag.
    let local_key_id = Sha1::digest(certificate_der).to_vec();
    let alias = cert::thumbprint(certificate_der);
    let mut store = KeyStore::new();
    store.add_entry(&alias, KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(local_key_id, key, [certificate])));
    let (encryption, mac) = match profile {
        PfxProfile::Modern => (EncryptionAlgorithm::PbeWithHmacSha256AndAes256, MacAlgorithm::HmacSha256),
        PfxProfile::Legacy => (EncryptionAlgorithm::PbeWithShaAnd3KeyTripleDesCbc, MacAlgorithm::HmacSha1),
    };
    store
        .writer(password)
        .encryption_algorithm(encryption)
        .encryption_iterations(iterations)
        .mac_algorithm(mac)
        .mac_iterations(iterations)
        .write()
        .map_err(|_| Error::internal("The PFX file could not be written."))
}

/// Opens a PFX file that has no password, in either encoding of "no password" (the empty
/// BMPString that OpenSSL and .NET's null password give, or the zero-length password of .NET's
/// empty string; see `pfx_nopass`). Only for an explicit request: a file with a real password
/// fails as a wrong password.
pub fn decode_without_password(pfx: &[u8]) -> Result<PfxContents> {
    match decode(pfx, "") {
        Err(e) if e.code() == ErrorCode::PfxWrongPassword => {
            if pfx.len() > MAX_PFX_BYTES {
                return Err(e);
            }
            decode(&crate::crypto::pfx_nopass::transcode(pfx, MAX_IMPORT_ITERATIONS)?, "")
        }
        other => other,
    }
}

/// Reads a PFX file on one open handle: refuses anything but a regular file, and reads at most
/// [`MAX_PFX_BYTES`] + 1 bytes whatever the file grows to meanwhile ([`ErrorCode::PfxInvalid`]).
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| Error::from(e).with("path", path.display()))?;
    let meta = file.metadata().map_err(|e| Error::from(e).with("path", path.display()))?;
    if !meta.is_file() {
        return Err(
            Error::new(ErrorCode::PfxInvalid, "The PFX path is not a regular file.").with("path", path.display())
        );
    }
    let mut bytes = Vec::new();
    file.take(MAX_PFX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::from(e).with("path", path.display()))?;
    if bytes.len() > MAX_PFX_BYTES {
        return Err(Error::new(
            ErrorCode::PfxInvalid,
            "The file is far larger than a certificate backup; it is not a PFX file ams can import.",
        )
        .with("path", path.display()));
    }
    Ok(bytes)
}

/// Reads the structure of a PFX file without deriving any key: requires its integrity MAC, and
/// returns the key-derivation work it asks for (the sum of its iteration counts), refusing more
/// than [`MAX_IMPORT_KDF_WORK`] or more than [`MAX_IMPORT_BAGS`] safes and bags
/// ([`ErrorCode::PfxUnsupported`]). Bags inside an encrypted safe are seen only after it is
/// decrypted: each is still capped at [`MAX_IMPORT_ITERATIONS`] by the decoder, and their
/// number by the file size.
pub fn kdf_work(pfx: &[u8]) -> Result<u64> {
    use der::{Decode, asn1::OctetString};
    use pkcs12::cms::content_info::ContentInfo;
    use pkcs12::cms::encrypted_data::EncryptedData;
    use pkcs12::pbe_params::EncryptedPrivateKeyInfo;
    const ID_DATA: &str = "1.2.840.113549.1.7.1";
    const ID_ENCRYPTED_DATA: &str = "1.2.840.113549.1.7.6";
    const SHROUDED_KEY_BAG: &str = "1.2.840.113549.1.12.10.1.2";
    let malformed = || Error::new(ErrorCode::PfxInvalid, "The file is not a readable PKCS#12 (PFX) file.");
    let too_much = |what: String| {
        Error::new(ErrorCode::PfxUnsupported, format!("The PFX file asks for too much work: {what}."))
            .hint("Export the certificate again with ordinary settings (one key, its certificate chain, a normal iteration count).")
    };
    let pfx = pkcs12::Pfx::from_der(pfx).map_err(|_| malformed())?;
    let mac = pfx.mac_data.as_ref().ok_or_else(|| {
        Error::new(
            ErrorCode::PfxUnsupported,
            "The PFX file has no integrity MAC, so a change to it would go unnoticed.",
        )
        .hint("Export the certificate again with a password-based MAC (every usual exporter adds one).")
    })?;
    let mut work = u64::try_from(mac.iterations).map_err(|_| malformed())?.max(1);
    if pfx.auth_safe.content_type.to_string() != ID_DATA {
        return Err(Error::new(ErrorCode::PfxUnsupported, "The PFX file is not password-integrity protected."));
    }
    let data = pfx.auth_safe.content.decode_as::<OctetString>().map_err(|_| malformed())?;
    let safes = Vec::<ContentInfo>::from_der(data.as_bytes()).map_err(|_| malformed())?;
    let mut items = safes.len();
    for safe in &safes {
        match safe.content_type.to_string().as_str() {
            ID_DATA => {
                let inner = safe.content.decode_as::<OctetString>().map_err(|_| malformed())?;
                let bags = pkcs12::safe_bag::SafeContents::from_der(inner.as_bytes()).map_err(|_| malformed())?;
                items += bags.len();
                for bag in bags.iter().filter(|b| b.bag_id.to_string() == SHROUDED_KEY_BAG) {
                    let wrapped = der::Any::from_der(&bag.bag_value).map_err(|_| malformed())?;
                    let epki = EncryptedPrivateKeyInfo::from_der(wrapped.value()).map_err(|_| malformed())?;
                    work = work.saturating_add(iterations_of(&epki.encryption_algorithm)?);
                }
            }
            ID_ENCRYPTED_DATA => {
                let ed = safe.content.decode_as::<EncryptedData>().map_err(|_| malformed())?;
                work = work.saturating_add(iterations_of(&ed.enc_content_info.content_enc_alg)?);
            }
            _ => return Err(Error::new(ErrorCode::PfxUnsupported, "The PFX file holds a safe ams cannot read.")),
        }
        if items > MAX_IMPORT_BAGS {
            return Err(too_much(format!("more than {MAX_IMPORT_BAGS} safes and bags")));
        }
    }
    if work > MAX_IMPORT_KDF_WORK {
        return Err(too_much(format!(
            "{work} key-derivation iterations in all (MAC, safes and key bags), more than {MAX_IMPORT_KDF_WORK}"
        )));
    }
    Ok(work)
}

/// The iteration count of a password-based encryption algorithm (PBES2 with PBKDF2, or a PKCS#12
/// PBE); scrypt counts as [`MAX_IMPORT_ITERATIONS`].
fn iterations_of(alg: &spki::AlgorithmIdentifierOwned) -> Result<u64> {
    use pkcs12::pbe_params::{Pbes2Params, Pbkdf2Params, Pkcs12PbeParams};
    const PBES2: &str = "1.2.840.113549.1.5.13";
    const PBKDF2: &str = "1.2.840.113549.1.5.12";
    const PKCS12_PBE: &str = "1.2.840.113549.1.12.1.";
    let malformed = || Error::new(ErrorCode::PfxInvalid, "The file is not a readable PKCS#12 (PFX) file.");
    let params = alg.parameters.as_ref().ok_or_else(malformed)?;
    let oid = alg.oid.to_string();
    if oid == PBES2 {
        let p = params.decode_as::<Pbes2Params>().map_err(|_| malformed())?;
        if p.kdf.oid.to_string() == PBKDF2 {
            let k = p
                .kdf
                .parameters
                .as_ref()
                .ok_or_else(malformed)?
                .decode_as::<Pbkdf2Params>()
                .map_err(|_| malformed())?;
            return Ok(u64::from(k.iteration_count.max(1)));
        }
        return Ok(u64::from(MAX_IMPORT_ITERATIONS));
    }
    if oid.starts_with(PKCS12_PBE) {
        let p = params.decode_as::<Pkcs12PbeParams>().map_err(|_| malformed())?;
        return Ok(u64::try_from(p.iterations).map_err(|_| malformed())?.max(1));
    }
    Err(Error::new(ErrorCode::PfxUnsupported, "The PFX file uses an encryption ams does not accept.")
        .with("algorithm", oid))
}

/// Opens a PFX file: requires and checks its MAC, caps the key-derivation work ([`kdf_work`]), decrypts it, and returns the one certificate and private
/// Opens a PFX file: checks its MAC, decrypts it, and returns the one certificate and private
/// key it holds after checking that the key is RSA and belongs to the certificate.
pub fn decode(pfx: &[u8], password: &str) -> Result<PfxContents> {
    if pfx.len() > MAX_PFX_BYTES {
        return Err(Error::new(
            ErrorCode::PfxInvalid,
            format!(
                "The PFX file is larger than {} KiB; an encryption certificate backup is far smaller.",
                MAX_PFX_BYTES / 1024
            ),
        ));
    }
    if pfx.is_empty() {
        return Err(Error::new(ErrorCode::PfxInvalid, "The PFX file is empty."));
    }
    if password.chars().any(|c| u32::from(c) > 0xFFFF) {
        // PKCS#12 passwords are BMPStrings: no PFX file can have been made with this password.
        return Err(wrong_password());
    }
    kdf_work(pfx)?;
    let archive = Pkcs12Archive::from_pkcs12(pfx, password).map_err(map_read_error)?;
    let Pkcs12Archive { keys, certs, .. } = archive;

    let key_bag = match keys.len() {
        0 => {
            return Err(Error::new(ErrorCode::PfxContents, "The PFX file holds no private key.").hint(
                "Export the certificate again with its private key (in Windows: \"Yes, export the private key\").",
            ));
        }
        1 => keys.into_iter().next().ok_or_else(|| Error::internal("key bag"))?,
        n => {
            return Err(Error::new(
                ErrorCode::PfxContents,
                format!("The PFX file holds {n} private keys; ams imports one certificate at a time."),
            )
            .hint("Export each certificate to its own PFX file."));
        }
    };
    let private_key_pkcs8 = Zeroizing::new(key_bag.key.as_der().to_vec());
    drop(key_bag.key);

    let by_key_id = key_bag
        .local_key_id
        .as_ref()
        .and_then(|id| certs.iter().position(|c| c.local_key_id.as_deref() == Some(id.as_ref())));
    let index = match (by_key_id, certs.len()) {
        (Some(i), _) => i,
        (None, 1) => 0,
        (None, 0) => {
            return Err(Error::new(ErrorCode::PfxContents, "The PFX file holds a private key but no certificate."));
        }
        (None, n) => {
            // Several certificates and no link: pick the one whose public key matches, if any.
            match certs.iter().position(|c| cert::key_matches(c.cert.as_der(), &private_key_pkcs8).unwrap_or(false)) {
                Some(i) => i,
                None => {
                    return Err(Error::new(
                        ErrorCode::PfxKeyMismatch,
                        format!("None of the {n} certificates in the PFX file belongs to its private key."),
                    ));
                }
            }
        }
    };
    let extra_certificates = certs.len().saturating_sub(1);
    let certificate_der =
        certs.get(index).map(|c| c.cert.as_der().to_vec()).ok_or_else(|| Error::internal("cert bag"))?;

    check_rsa(&certificate_der, &private_key_pkcs8)?;
    if !cert::key_matches(&certificate_der, &private_key_pkcs8)? {
        return Err(Error::new(
            ErrorCode::PfxKeyMismatch,
            "The private key in the PFX file does not belong to its certificate.",
        )
        .hint("Export the certificate again together with its own private key.")
        .with("thumbprint", cert::thumbprint(&certificate_der)));
    }
    Ok(PfxContents { certificate_der, private_key_pkcs8, extra_certificates })
}

/// Refuses a certificate or private key that is not RSA, with [`ErrorCode::CertNotRsa`].
fn check_rsa(certificate_der: &[u8], private_key_pkcs8: &[u8]) -> Result<()> {
    let parsed = cert::decode_certificate(certificate_der).map_err(|_| {
        Error::new(ErrorCode::PfxInvalid, "The certificate in the PFX file is not a valid X.509 certificate.")
    })?;
    let cert_alg = parsed.tbs_certificate().subject_public_key_info().algorithm.oid;
    let key_alg = pkcs8::PrivateKeyInfoRef::from_der(private_key_pkcs8)
        .map(|k| k.algorithm.oid)
        .map_err(|_| Error::new(ErrorCode::PfxInvalid, "The private key in the PFX file is not a valid PKCS#8 key."))?;
    if cert_alg != RSA_ENCRYPTION_OID || key_alg != RSA_ENCRYPTION_OID {
        let other = if cert_alg != RSA_ENCRYPTION_OID { cert_alg } else { key_alg };
        return Err(Error::new(
            ErrorCode::CertNotRsa,
            "The certificate in the PFX file does not use an RSA key; ams encryption certificates must use RSA.",
        )
        .hint("Agents seal secrets with RSA-OAEP: make or export an RSA certificate (3072 or 4096 bits).")
        .with("key_algorithm", other));
    }
    Ok(())
}

fn wrong_password() -> Error {
    Error::new(ErrorCode::PfxWrongPassword, "The PFX password is wrong.")
        .hint("Give the password that was set when the file was exported.")
}

/// Maps a `p12-keystore` read error to a coded error. The library's messages never contain the
/// password, but they are kept out of the message anyway (only a category goes into context).
fn map_read_error(e: p12_keystore::error::Error) -> Error {
    use p12_keystore::error::Error as E;
    match e {
        E::MacError(_) => wrong_password(),
        // Without a MAC, a wrong password shows up as a decryption failure.
        E::UnpadError | E::Pkcs5Error(_) => Error::new(
            ErrorCode::PfxWrongPassword,
            "The PFX file could not be decrypted: the password is wrong or the file is damaged.",
        )
        .hint("Give the password that was set when the file was exported."),
        E::InvalidParameters => Error::new(
            ErrorCode::PfxUnsupported,
            format!("The PFX file's key derivation parameters are out of range (more than {MAX_IMPORT_ITERATIONS} iterations, or an oversized scrypt cost)."),
        )
        .hint("Export it again with OpenSSL defaults or from Windows."),
        E::UnsupportedEncryptionScheme | E::UnsupportedMacAlgorithm | E::UnsupportedCertificateType => Error::new(
            ErrorCode::PfxUnsupported,
            "The PFX file uses an encryption, MAC or certificate type that ams does not support.",
        )
        .hint("Export it again with AES-256/SHA-256 (OpenSSL 3 default) or TripleDES/SHA-1."),
        E::InvalidPrivateKey => Error::new(ErrorCode::PfxInvalid, "The private key in the PFX file is not a valid PKCS#8 key."),
        other => {
            let category = match other {
                E::DerError(_) => "der",
                E::InvalidVersion => "version",
                E::UnsupportedContentType => "content_type",
                E::X509Error(_) => "x509",
                E::InvalidLength => "length",
                E::InvalidData => "data",
                E::IoError(_) => "io",
                _ => "other",
            };
            Error::new(ErrorCode::PfxInvalid, "The file is not a readable PKCS#12 (PFX) file: it is truncated, damaged or in another format.")
                .hint("Check that the file is the .pfx/.p12 export and was copied completely (binary, not base64 or PEM).")
                .with("problem", category)
        }
    }
}

/// Refuses passwords that cannot be encoded the way PKCS#12 needs (BMPString).
fn check_password_encoding(password: &str) -> Result<()> {
    if password.chars().any(|c| u32::from(c) > 0xFFFF || c.is_control()) {
        return Err(Error::new(
            ErrorCode::PfxPasswordWeak,
            "The PFX password contains control characters or characters outside the Basic Multilingual Plane, which PFX importers cannot handle.",
        ));
    }
    Ok(())
}

/// Common passwords and the stems people decorate with digits and symbols. Compared in lower
/// case, against the whole password and against its stem (leading and trailing digits and
/// symbols removed).
const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "pa$$word",
    "passwort",
    "motdepasse",
    "contrasena",
    "wachtwoord",
    "password123",
    "123456789012",
    "1234567890",
    "12345678910",
    "qwerty",
    "qwertyuiop",
    "qwertyuiop[]",
    "qwertz",
    "qwertzuiop",
    "azerty",
    "azertyuiop",
    "asdfghjkl",
    "asdfghjkl;'",
    "zxcvbnm",
    "1qaz2wsx3edc",
    "1q2w3e4r5t6y",
    "q1w2e3r4t5y6",
    "qazwsxedcrfv",
    "abc123",
    "abcdefghijkl",
    "letmein",
    "letmeinnow",
    "welcome",
    "welcometo",
    "welcomeback",
    "iloveyou",
    "admin",
    "administrator",
    "administrateur",
    "root",
    "toor",
    "changeme",
    "changeit",
    "default",
    "secret",
    "topsecret",
    "supersecret",
    "trustno1",
    "master",
    "masterkey",
    "monkey",
    "dragon",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "soccer",
    "starwars",
    "superman",
    "batman",
    "pokemon",
    "shadow",
    "michael",
    "jennifer",
    "jordan",
    "hunter",
    "freedom",
    "whatever",
    "computer",
    "internet",
    "access",
    "accessmanager",
    "lithnet",
    "certificate",
    "backup",
    "pfxpassword",
    "exportpassword",
    "windows",
    "microsoft",
    "server",
    "company",
    "summer",
    "winter",
    "spring",
    "autumn",
    "january",
    "december",
    "monday",
    "friday",
    "login",
    "logon",
    "helpdesk",
    "support",
    "service",
    "security",
    "test",
    "testing",
    "temp",
    "temporary",
    "qwerty123456",
    "correcthorsebatterystaple",
];

/// Checks a PFX password chosen by a person. The error never quotes the password.
///
/// Refused: not UTF-8; control characters or characters outside the BMP; shorter than
/// [`MIN_PASSWORD_CHARS`]; fewer than 5 different characters; digits only; one short unit
/// repeated (`abcabcabcabc`); a straight run (`abcdefghijkl`, `987654321098`); a common password
/// or a common password decorated with leading/trailing digits and symbols (`Password2024!`).
pub fn check_password_strength(password: &[u8]) -> Result<()> {
    let weak = |why: &str| {
        Err(Error::new(ErrorCode::PfxPasswordWeak, format!("The PFX password is too weak: {why}."))
            .hint("Use at least 12 characters that are not a common password, e.g. four or five random words."))
    };
    let Ok(s) = std::str::from_utf8(password) else {
        return weak("it is not valid UTF-8");
    };
    check_password_encoding(s)?;
    let chars: Vec<char> = s.chars().collect();
    if chars.len() < MIN_PASSWORD_CHARS {
        return weak("it is shorter than 12 characters");
    }
    let distinct: std::collections::HashSet<char> = chars.iter().copied().collect();
    if distinct.len() < 5 {
        return weak("it uses fewer than 5 different characters");
    }
    if chars.iter().all(char::is_ascii_digit) {
        return weak("it is digits only");
    }
    let repeats = |unit: usize| {
        let first = chars.get(..unit).unwrap_or_default();
        chars.len().is_multiple_of(unit) && chars.chunks(unit).all(|c| c == first)
    };
    if (1..=chars.len() / 2).any(repeats) {
        return weak("it is one short sequence repeated");
    }
    let steps: Vec<i64> = chars.windows(2).map(|w| i64::from(u32::from(w[1])) - i64::from(u32::from(w[0]))).collect();
    if steps.iter().all(|&d| d == 1) || steps.iter().all(|&d| d == -1) {
        return weak("it is a straight run of characters");
    }
    let lower = s.to_lowercase();
    let stem = lower.trim_matches(|c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c.is_whitespace());
    if COMMON_PASSWORDS.iter().any(|c| *c == lower || *c == stem) {
        return weak("it is a common password");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testkeys;

    const PW: &str = "correct staple battery horse";

    #[test]
    fn modern_and_legacy_round_trip() {
        let (cert_der, key) = (testkeys::RSA3072_CERT, testkeys::RSA3072_KEY);
        for profile in [PfxProfile::Modern, PfxProfile::Legacy] {
            let pfx = encode(cert_der, key, PW, profile, 2048).unwrap();
            let back = decode(&pfx, PW).unwrap();
            assert_eq!(back.certificate_der, cert_der, "{profile:?}");
            assert_eq!(back.private_key_pkcs8.as_slice(), key, "{profile:?}");
            assert_eq!(back.extra_certificates, 0);
            let e = decode(&pfx, "another long password").unwrap_err();
            assert_eq!(e.code(), ErrorCode::PfxWrongPassword, "{profile:?}");
            assert!(!e.message().contains("another"));
        }
    }

    #[test]
    fn contents_debug_redacts_the_key() {
        let pfx = encode(testkeys::RSA3072_CERT, testkeys::RSA3072_KEY, PW, PfxProfile::Modern, 16).unwrap();
        let shown = format!("{:?}", decode(&pfx, PW).unwrap());
        assert!(shown.contains("redacted") && shown.contains(&cert::thumbprint(testkeys::RSA3072_CERT)));
    }

    #[test]
    fn mismatched_key_and_non_rsa_are_refused() {
        let mismatched =
            encode(testkeys::RSA3072_CERT, testkeys::RSA3072_OTHER_KEY, PW, PfxProfile::Modern, 16).unwrap();
        assert_eq!(decode(&mismatched, PW).unwrap_err().code(), ErrorCode::PfxKeyMismatch);
        let ec = encode(testkeys::EC_P256_CERT, testkeys::RSA3072_KEY, PW, PfxProfile::Modern, 16).unwrap();
        assert_eq!(decode(&ec, PW).unwrap_err().code(), ErrorCode::CertNotRsa);
    }

    #[test]
    fn iteration_count_is_bounded() {
        for n in [0, MAX_IMPORT_ITERATIONS + 1] {
            assert!(encode(testkeys::RSA3072_CERT, testkeys::RSA3072_KEY, PW, PfxProfile::Modern, n).is_err());
        }
    }

    #[test]
    fn garbage_and_truncation_give_coded_errors() {
        let pfx = encode(testkeys::RSA3072_CERT, testkeys::RSA3072_KEY, PW, PfxProfile::Modern, 8).unwrap();
        let mut cases: Vec<Vec<u8>> =
            vec![Vec::new(), vec![0x30], vec![0x30, 0x80], b"-----BEGIN PKCS12-----".to_vec()];
        for len in (0..pfx.len()).step_by(7) {
            cases.push(pfx[..len].to_vec());
        }
        // Flip bytes all over the file.
        let mut state = 0x1234_5678_u32;
        for _ in 0..300 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let mut c = pfx.clone();
            let i = (state as usize >> 3) % c.len();
            c[i] ^= 1 << (state % 8);
            cases.push(c);
        }
        for (n, c) in cases.iter().enumerate() {
            match decode(c, PW) {
                Ok(_) => panic!("case {n} decoded"),
                Err(e) => assert!(
                    matches!(
                        e.code(),
                        ErrorCode::PfxInvalid
                            | ErrorCode::PfxWrongPassword
                            | ErrorCode::PfxUnsupported
                            | ErrorCode::PfxContents
                            | ErrorCode::PfxKeyMismatch
                            | ErrorCode::CertNotRsa
                    ),
                    "case {n}: {e:?}"
                ),
            }
        }
        let big = vec![0x30; MAX_PFX_BYTES + 1];
        assert_eq!(decode(&big, PW).unwrap_err().code(), ErrorCode::PfxInvalid);
    }

    #[test]
    fn weak_passwords_are_refused_without_echo() {
        for pw in [
            "Sh0rt!x",
            "elevenchars",
            "aaaaaaaaaaaaaaaa",
            "abababababababab",
            "abcabcabcabcabc",
            "123456789012345",
            "993847561029",
            "abcdefghijklmnop",
            "Password2024!",
            "P@ssw0rd123456",
            "!!Qwertyuiop!!",
            "correcthorsebatterystaple",
            "AccessManager2026",
        ] {
            let e = check_password_strength(pw.as_bytes()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::PfxPasswordWeak, "{pw}");
            assert!(!e.message().contains(pw) && !e.hint_text().unwrap_or("").contains(pw), "{pw}");
        }
        assert_eq!(
            check_password_strength(b"\xff\xfe not utf8 at all").unwrap_err().code(),
            ErrorCode::PfxPasswordWeak
        );
        assert_eq!(
            check_password_strength("tab\tinside the password".as_bytes()).unwrap_err().code(),
            ErrorCode::PfxPasswordWeak
        );
        for pw in ["correct staple battery horse", "Tr0ub4dor&3-extra", "vault-otter-lamp-92", "ünïcödé pässwörd"]
        {
            check_password_strength(pw.as_bytes()).unwrap();
        }
        assert!(COMMON_PASSWORDS.len() >= 90 && COMMON_PASSWORDS.len() <= 120);
        assert!(COMMON_PASSWORDS.iter().all(|p| *p == p.to_lowercase()));
    }
}
