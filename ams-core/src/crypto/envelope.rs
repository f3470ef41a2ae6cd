//! The agent envelope: secrets sealed to an encryption certificate.
//!
//! An agent seals each secret it reports (a LAPS password, a BitLocker recovery password) to the
//! server's active encryption certificate, using only the certificate's RSA public key. The server
//! opens the envelope with the matching private key. The envelope is hybrid: a fresh random
//! AES-256 key encrypts the secret with AES-256-GCM, and RSA-OAEP wraps that key.
//!
//! # Format, version 1
//!
//! All integers are big-endian. Offsets are from the start of the blob; `W` is `wrapped_len`.
//!
//! | Offset        | Size   | Field         | Value                                                        |
//! |---------------|--------|---------------|--------------------------------------------------------------|
//! | 0             | 4      | `magic`       | ASCII `AMSE` (`41 4D 53 45`)                                  |
//! | 4             | 1      | `version`     | `01`                                                         |
//! | 5             | 1      | `oaep`        | `01` = RSA-OAEP SHA-256 / MGF1-SHA-256; `02` = RSA-OAEP SHA-512 / MGF1-SHA-512 |
//! | 6             | 20     | `thumbprint`  | SHA-1 of the recipient certificate's DER encoding            |
//! | 26            | 2      | `wrapped_len` | `W`, the RSA modulus size in bytes: 256..=1024 (RSA-2048..RSA-8192) |
//! | 28            | W      | `wrapped_key` | RSA-OAEP encryption of the 32-byte AES key, empty OAEP label |
//! | 28 + W        | 12     | `nonce`       | random AES-GCM nonce                                         |
//! | 40 + W        | n + 16 | `ciphertext`  | AES-256-GCM ciphertext of the n-byte secret, then the 16-byte tag |
//!
//! The *header* is bytes `0 .. 40 + W` (from `magic` through `nonce`). The AES-GCM associated data
//! is the header followed by the ASCII context string
//!
//! ```text
//! ams-envelope/v1/<kind>/<device_id>
//! ```
//!
//! where `<kind>` is [`SecretKind::as_str`] (`laps-password` or `bitlocker-key`) and
//! `<device_id>` is the device identifier, as UTF-8, not terminated. Because the header is
//! authenticated, changing any byte of the blob makes it fail to open; because the context is
//! authenticated, a blob sealed for one device or one kind of secret cannot be replayed for another.
//!
//! The secret may be empty and is at most [`MAX_PLAINTEXT_LEN`] bytes, so a blob is
//! 56 + W .. 56 + W + 65536 bytes long.
//!
//! # Errors
//!
//! [`header`] and [`open`] report a malformed blob with [`ErrorCode::EnvelopeFormat`]. Once the
//! blob parses, every failure to open it (a wrong key, bad OAEP padding, a bad tag, another
//! context) is [`ErrorCode::EnvelopeTampered`] with one fixed message, and the RSA and AES steps
//! are not distinguishable by error or by an early return: on an OAEP failure `open` continues
//! with a random AES key, so there is no padding oracle.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rsa::PublicKey;
use rsa::traits::PublicKeyParts;
use sha1::{Digest, Sha1};
use sha2::{Sha256, Sha512};
use zeroize::Zeroizing;

use crate::crypto::cert;
use crate::error::{Error, ErrorCode, Result};

/// The four magic bytes at the start of every envelope.
pub const MAGIC: [u8; 4] = *b"AMSE";
/// The envelope format version this code writes and reads.
pub const VERSION: u8 = 1;
/// The smallest wrapped key accepted (RSA-2048).
pub const MIN_WRAPPED_LEN: usize = 256;
/// The largest wrapped key accepted (RSA-8192).
pub const MAX_WRAPPED_LEN: usize = 1024;
/// The largest secret that can be sealed, in bytes.
pub const MAX_PLAINTEXT_LEN: usize = 64 * 1024;

const THUMBPRINT_LEN: usize = 20;
/// magic + version + oaep + thumbprint + wrapped_len.
const FIXED_LEN: usize = 4 + 1 + 1 + THUMBPRINT_LEN + 2;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const AES_KEY_LEN: usize = 32;
const CONTEXT_PREFIX: &str = "ams-envelope/v1/";

/// The RSA-OAEP variant that wraps the AES key. The MGF1 hash is always the same as the OAEP hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OaepHash {
    /// RSA-OAEP with SHA-256 and MGF1-SHA-256 (format byte `1`).
    Sha256,
    /// RSA-OAEP with SHA-512 and MGF1-SHA-512 (format byte `2`).
    Sha512,
}

impl OaepHash {
    /// The format byte.
    pub fn id(self) -> u8 {
        match self {
            OaepHash::Sha256 => 1,
            OaepHash::Sha512 => 2,
        }
    }

    /// The variant for a format byte.
    pub fn from_id(id: u8) -> Option<OaepHash> {
        match id {
            1 => Some(OaepHash::Sha256),
            2 => Some(OaepHash::Sha512),
            _ => None,
        }
    }
}

/// The kind of secret an envelope holds. It is bound into the envelope's associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretKind {
    /// A local administrator (LAPS) password.
    LapsPassword,
    /// A BitLocker recovery password.
    BitLockerKey,
}

impl SecretKind {
    /// The name used in the context string.
    pub fn as_str(self) -> &'static str {
        match self {
            SecretKind::LapsPassword => "laps-password",
            SecretKind::BitLockerKey => "bitlocker-key",
        }
    }
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an envelope is for: the kind of secret, the device it belongs to, and what on the device
/// it is (the account of a password, the recovery key id of a BitLocker key). Both agent and
/// server must give the same context, or the envelope does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnvelopeContext<'a> {
    /// The kind of secret.
    pub kind: SecretKind,
    /// The device the secret belongs to.
    pub device_id: &'a str,
    /// The account (passwords) or recovery key id (BitLocker keys, lower case without braces).
    /// `None` only for envelopes of older agents, which bound the kind and the device alone.
    pub subject: Option<&'a str>,
}

impl EnvelopeContext<'_> {
    /// The context string: `ams-envelope/v2/<kind>/<device_id>/<subject>`, or
    /// `ams-envelope/v1/<kind>/<device_id>` without a subject (older agents).
    pub fn context_string(&self) -> String {
        match self.subject {
            Some(s) => format!("ams-envelope/v2/{}/{}/{s}", self.kind.as_str(), self.device_id),
            None => format!("{CONTEXT_PREFIX}{}/{}", self.kind.as_str(), self.device_id),
        }
    }

    /// The same context without the subject (how older agents sealed).
    #[must_use]
    pub fn legacy(&self) -> Self {
        EnvelopeContext { subject: None, ..*self }
    }
}

/// The public part of an envelope, readable without a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeHeader {
    /// The format version (always 1 today).
    pub version: u8,
    /// The RSA-OAEP variant.
    pub oaep: OaepHash,
    /// The recipient certificate's SHA-1 thumbprint, 40 uppercase hex digits.
    pub thumbprint: String,
}

/// Seals `plaintext` to the certificate (agent side: uses the public key only).
///
/// Refuses a certificate that is not X.509 DER, whose key is not RSA, or whose modulus is outside
/// 2048..=8192 bits ([`ErrorCode::CertInvalid`]), and a secret longer than [`MAX_PLAINTEXT_LEN`].
/// The certificate's validity and usages are not checked here.
pub fn seal(certificate_der: &[u8], oaep: OaepHash, ctx: &EnvelopeContext, plaintext: &[u8]) -> Result<Vec<u8>> {
    if plaintext.len() > MAX_PLAINTEXT_LEN {
        return Err(Error::invalid(format!(
            "The secret is too long to seal ({} bytes; the limit is {MAX_PLAINTEXT_LEN}).",
            plaintext.len()
        )));
    }
    let certificate = cert::decode_certificate(certificate_der)?;
    let public_key = cert::rsa_public_key(certificate.tbs_certificate().subject_public_key_info())?;
    let k = public_key.size();
    let wrapped_len = match u16::try_from(k) {
        Ok(w) if (MIN_WRAPPED_LEN..=MAX_WRAPPED_LEN).contains(&k) => w,
        _ => {
            return Err(Error::new(
                ErrorCode::CertInvalid,
                "The certificate's RSA key size is not supported for sealing.",
            )
            .hint("Use an RSA key of 2048 to 8192 bits (ams makes 3072 or 4096).")
            .with("key_bits", cert::modulus_bits(&public_key)));
        }
    };

    let mut aes_key = Zeroizing::new([0u8; AES_KEY_LEN]);
    fill_random(&mut aes_key[..])?;
    let mut nonce = [0u8; NONCE_LEN];
    fill_random(&mut nonce)?;

    let wrapped = wrap_key(&public_key, oaep, &aes_key[..])?;
    if wrapped.len() != k {
        return Err(Error::internal("RSA-OAEP produced a wrapped key of the wrong size."));
    }

    let mut blob = Vec::with_capacity(FIXED_LEN + k + NONCE_LEN + plaintext.len() + TAG_LEN);
    blob.extend_from_slice(&MAGIC);
    blob.push(VERSION);
    blob.push(oaep.id());
    blob.extend_from_slice(&Sha1::digest(certificate_der));
    blob.extend_from_slice(&wrapped_len.to_be_bytes());
    blob.extend_from_slice(&wrapped);
    blob.extend_from_slice(&nonce);

    let aad = associated_data(&blob, ctx);
    let cipher =
        Aes256Gcm::new_from_slice(&aes_key[..]).map_err(|_| Error::internal("The AES key has the wrong length."))?;
    let ciphertext = cipher
        .encrypt(&Nonce::from(nonce), Payload { msg: plaintext, aad: &aad })
        .map_err(|_| Error::internal("AES-GCM encryption failed."))?;
    blob.extend_from_slice(&ciphertext);
    Ok(blob)
}

/// Reads an envelope's header strictly, without a key. Any malformation is
/// [`ErrorCode::EnvelopeFormat`]. The server uses the thumbprint to pick the private key.
pub fn header(blob: &[u8]) -> Result<EnvelopeHeader> {
    Ok(Parsed::parse(blob)?.header)
}

/// Opens an envelope (server side) with the recipient's PKCS#8 RSA private key and the same context
/// the agent sealed it with.
///
/// A malformed blob is [`ErrorCode::EnvelopeFormat`]; a missing key is
/// [`ErrorCode::CertPrivateKeyMissing`]; a key that is not PKCS#8 RSA is
/// [`ErrorCode::CertInvalid`]; anything else that stops the envelope from opening (wrong key, bad
/// padding, a changed byte, another device or kind) is [`ErrorCode::EnvelopeTampered`] with one
/// generic message.
pub fn open(private_key_pkcs8: &[u8], blob: &[u8], ctx: &EnvelopeContext) -> Result<Zeroizing<Vec<u8>>> {
    let parsed = Parsed::parse(blob)?;
    if private_key_pkcs8.is_empty() {
        return Err(Error::new(ErrorCode::CertPrivateKeyMissing, "No private key was given to open the envelope."));
    }
    let private_key = decryption_key(private_key_pkcs8)?;
    if parsed.wrapped_key.len() != private_key.key_size_bytes() {
        // Sealed to a key of another size: certainly the wrong key.
        return Err(tampered());
    }

    // Unwrap the AES key. On any failure carry on with a random key so that an OAEP failure and
    // a tag failure take the same path and produce the same error.
    let mut aes_key = Zeroizing::new([0u8; AES_KEY_LEN]);
    fill_random(&mut aes_key[..])?;
    let unwrapped = unwrap_key(&private_key, parsed.header.oaep, parsed.wrapped_key);
    let unwrap_ok = match unwrapped.as_deref() {
        Some(key) if key.len() == AES_KEY_LEN => {
            for (dst, src) in aes_key.iter_mut().zip(key.iter()) {
                *dst = *src;
            }
            true
        }
        _ => false,
    };
    drop(unwrapped);

    let aad = associated_data(parsed.header_bytes, ctx);
    let cipher =
        Aes256Gcm::new_from_slice(&aes_key[..]).map_err(|_| Error::internal("The AES key has the wrong length."))?;
    let nonce = Nonce::try_from(parsed.nonce).map_err(|_| tampered())?;
    let opened = cipher.decrypt(&nonce, Payload { msg: parsed.ciphertext, aad: &aad }).map(Zeroizing::new);
    match opened {
        Ok(plaintext) if unwrap_ok => Ok(plaintext),
        _ => Err(tampered()),
    }
}

// ---------------------------------------------------------------------------------------------

/// A blob split into its fields (all borrowed).
struct Parsed<'a> {
    header: EnvelopeHeader,
    /// Bytes from `magic` through `nonce`: the first part of the associated data.
    header_bytes: &'a [u8],
    wrapped_key: &'a [u8],
    nonce: &'a [u8],
    /// Ciphertext followed by the tag.
    ciphertext: &'a [u8],
}

impl<'a> Parsed<'a> {
    fn parse(blob: &'a [u8]) -> Result<Parsed<'a>> {
        let (magic, rest) = take(blob, MAGIC.len())?;
        if magic != MAGIC {
            return Err(format_error("The data is not an ams envelope (wrong magic bytes)."));
        }
        let (version, rest) = take(rest, 1)?;
        if version != [VERSION] {
            return Err(format_error("The envelope has an unknown format version.")
                .with("version", version.first().copied().unwrap_or_default()));
        }
        let (oaep, rest) = take(rest, 1)?;
        let oaep_id = oaep.first().copied().unwrap_or_default();
        let oaep = OaepHash::from_id(oaep_id)
            .ok_or_else(|| format_error("The envelope names an unknown RSA-OAEP variant.").with("oaep", oaep_id))?;
        let (thumbprint, rest) = take(rest, THUMBPRINT_LEN)?;
        let (len_bytes, rest) = take(rest, 2)?;
        let wrapped_len = match len_bytes {
            [hi, lo] => usize::from(u16::from_be_bytes([*hi, *lo])),
            _ => return Err(truncated()),
        };
        if !(MIN_WRAPPED_LEN..=MAX_WRAPPED_LEN).contains(&wrapped_len) {
            return Err(format_error(
                "The envelope's wrapped key length is not an RSA modulus size from 2048 to 8192 bits.",
            )
            .with("wrapped_len", wrapped_len));
        }
        let (wrapped_key, rest) = take(rest, wrapped_len)?;
        let (nonce, ciphertext) = take(rest, NONCE_LEN)?;
        if ciphertext.len() < TAG_LEN {
            return Err(truncated());
        }
        if ciphertext.len() > MAX_PLAINTEXT_LEN + TAG_LEN {
            return Err(format_error("The envelope is too long."));
        }
        let header_len = FIXED_LEN + wrapped_len + NONCE_LEN;
        let header_bytes = blob.get(..header_len).ok_or_else(truncated)?;
        Ok(Parsed {
            header: EnvelopeHeader { version: VERSION, oaep, thumbprint: cert::hex_upper(thumbprint) },
            header_bytes,
            wrapped_key,
            nonce,
            ciphertext,
        })
    }
}

/// Splits `n` bytes off the front, or reports a truncated envelope.
fn take(data: &[u8], n: usize) -> Result<(&[u8], &[u8])> {
    data.split_at_checked(n).ok_or_else(truncated)
}

fn format_error(message: &str) -> Error {
    Error::new(ErrorCode::EnvelopeFormat, message)
}

fn truncated() -> Error {
    format_error("The envelope is truncated.")
}

/// The one error for every failure to open a well-formed envelope.
fn tampered() -> Error {
    Error::new(
        ErrorCode::EnvelopeTampered,
        "The envelope could not be opened: wrong key, wrong device or secret kind, or it was changed.",
    )
}

/// header bytes || `ams-envelope/v1/<kind>/<device_id>`.
fn associated_data(header_bytes: &[u8], ctx: &EnvelopeContext) -> Vec<u8> {
    let context = ctx.context_string();
    let mut aad = Vec::with_capacity(header_bytes.len() + context.len());
    aad.extend_from_slice(header_bytes);
    aad.extend_from_slice(context.as_bytes());
    aad
}

fn fill_random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(|_| Error::internal("The operating system random number generator failed."))
}

fn wrap_key(public_key: &PublicKey, oaep: OaepHash, key: &[u8]) -> Result<Vec<u8>> {
    let mut rng = rand::rngs::SysRng;
    let wrapped = match oaep {
        OaepHash::Sha256 => public_key.oaep_encrypt_with_rng::<Sha256, _>(&mut rng, key),
        OaepHash::Sha512 => public_key.oaep_encrypt_with_rng::<Sha512, _>(&mut rng, key),
    };
    wrapped.map_err(|_| Error::internal("RSA-OAEP encryption failed."))
}

/// Loads a PKCS#8 RSA private key for OAEP decryption. Decryption uses AWS-LC (constant-time,
/// about 3x faster than the pure-Rust `rsa` crate for RSA-4096); see docs/adr/0004.
fn decryption_key(private_key_pkcs8: &[u8]) -> Result<aws_lc_rs::rsa::OaepPrivateDecryptingKey> {
    let invalid = || Error::new(ErrorCode::CertInvalid, "The private key is not a valid RSA private key (PKCS#8).");
    let key = aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(private_key_pkcs8).map_err(|_| invalid())?;
    aws_lc_rs::rsa::OaepPrivateDecryptingKey::new(key).map_err(|_| invalid())
}

/// The unwrapped key, or `None` on any failure (the cause is deliberately dropped).
fn unwrap_key(
    private_key: &aws_lc_rs::rsa::OaepPrivateDecryptingKey,
    oaep: OaepHash,
    wrapped: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let alg = match oaep {
        OaepHash::Sha256 => &aws_lc_rs::rsa::OAEP_SHA256_MGF1SHA256,
        OaepHash::Sha512 => &aws_lc_rs::rsa::OAEP_SHA512_MGF1SHA512,
    };
    let mut out = Zeroizing::new(vec![0u8; private_key.min_output_size()]);
    let plain = private_key.decrypt(alg, wrapped, &mut out, None).ok()?;
    Some(Zeroizing::new(plain.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::testkeys;

    const LAPS: EnvelopeContext<'static> =
        EnvelopeContext { kind: SecretKind::LapsPassword, device_id: "3f2c9a1e-device", subject: None };

    fn seal3072(plaintext: &[u8]) -> Vec<u8> {
        seal(testkeys::RSA3072_CERT, OaepHash::Sha256, &LAPS, plaintext).unwrap()
    }

    #[test]
    fn round_trips_for_both_hashes_and_key_sizes() {
        let pairs = [
            (testkeys::RSA3072_CERT, testkeys::RSA3072_KEY, 384),
            (testkeys::RSA4096_CERT, testkeys::RSA4096_KEY, 512),
        ];
        for (cert_der, key, k) in pairs {
            for oaep in [OaepHash::Sha256, OaepHash::Sha512] {
                for kind in [SecretKind::LapsPassword, SecretKind::BitLockerKey] {
                    let ctx = EnvelopeContext { kind, device_id: "dev-42", subject: None };
                    for pt in [&b""[..], b"P@ssw0rd!", &[0xA5u8; 1000][..]] {
                        let blob = seal(cert_der, oaep, &ctx, pt).unwrap();
                        assert_eq!(blob.len(), FIXED_LEN + k + NONCE_LEN + pt.len() + TAG_LEN);
                        let h = header(&blob).unwrap();
                        assert_eq!(h.version, 1);
                        assert_eq!(h.oaep, oaep);
                        assert_eq!(h.thumbprint, cert::thumbprint(cert_der));
                        assert_eq!(&open(key, &blob, &ctx).unwrap()[..], pt);
                    }
                }
            }
        }
    }

    #[test]
    fn layout_matches_the_documentation() {
        let blob = seal3072(b"abc");
        assert_eq!(&blob[..4], b"AMSE");
        assert_eq!(blob[4], 1);
        assert_eq!(blob[5], 1);
        assert_eq!(cert::hex_upper(&blob[6..26]), cert::thumbprint(testkeys::RSA3072_CERT));
        assert_eq!(&blob[26..28], &384u16.to_be_bytes());
        assert_eq!(blob.len(), 28 + 384 + 12 + 3 + 16);
        // Two seals of the same secret differ (fresh key, nonce and OAEP seed).
        assert_ne!(seal3072(b"abc"), blob);
    }

    #[test]
    fn max_plaintext() {
        let big = vec![7u8; MAX_PLAINTEXT_LEN];
        let blob = seal3072(&big);
        assert_eq!(&open(testkeys::RSA3072_KEY, &blob, &LAPS).unwrap()[..], &big[..]);
        let e = seal(testkeys::RSA3072_CERT, OaepHash::Sha256, &LAPS, &[0; MAX_PLAINTEXT_LEN + 1]).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
    }

    #[test]
    fn every_flipped_byte_fails() {
        let blob = seal3072(b"hunter2");
        for i in 0..blob.len() {
            for mask in [0x01u8, 0x80] {
                let mut bad = blob.clone();
                bad[i] ^= mask;
                let e = open(testkeys::RSA3072_KEY, &bad, &LAPS).unwrap_err();
                assert!(
                    matches!(e.code(), ErrorCode::EnvelopeTampered | ErrorCode::EnvelopeFormat),
                    "byte {i} mask {mask:#x}: {e}"
                );
                // Only the parsed fields may give a format error; the rest must be "tampered".
                let in_parsed_field = i < 6 || (26..28).contains(&i);
                if !in_parsed_field {
                    assert_eq!(e.code(), ErrorCode::EnvelopeTampered, "byte {i}");
                }
            }
        }
    }

    #[test]
    fn other_context_fails() {
        let blob = seal3072(b"hunter2");
        let others = [
            EnvelopeContext { kind: SecretKind::LapsPassword, device_id: "3f2c9a1e-devicf", subject: None },
            EnvelopeContext { kind: SecretKind::LapsPassword, device_id: "3f2c9a1e-device ", subject: None },
            EnvelopeContext { kind: SecretKind::LapsPassword, device_id: "", subject: None },
            EnvelopeContext { kind: SecretKind::BitLockerKey, device_id: "3f2c9a1e-device", subject: None },
        ];
        for ctx in others {
            let e = open(testkeys::RSA3072_KEY, &blob, &ctx).unwrap_err();
            assert_eq!(e.code(), ErrorCode::EnvelopeTampered, "{ctx:?}");
        }
    }

    #[test]
    fn wrong_key_fails_with_the_generic_message() {
        let blob = seal3072(b"hunter2");
        let wrong_same_size = open(testkeys::RSA3072_OTHER_KEY, &blob, &LAPS).unwrap_err();
        let wrong_size = open(testkeys::RSA4096_KEY, &blob, &LAPS).unwrap_err();
        let mut bad_tag = blob.clone();
        let last = bad_tag.len() - 1;
        bad_tag[last] ^= 1;
        let tag_error = open(testkeys::RSA3072_KEY, &bad_tag, &LAPS).unwrap_err();
        let mut bad_pad = blob.clone();
        bad_pad[28] ^= 1;
        let pad_error = open(testkeys::RSA3072_KEY, &bad_pad, &LAPS).unwrap_err();
        for e in [&wrong_same_size, &wrong_size, &tag_error, &pad_error] {
            assert_eq!(e.code(), ErrorCode::EnvelopeTampered);
            assert_eq!(e.message(), tag_error.message());
            assert!(e.context().is_empty());
            assert!(e.hint_text().is_none());
        }
    }

    #[test]
    fn bad_private_keys() {
        let blob = seal3072(b"x");
        let e = open(b"", &blob, &LAPS).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CertPrivateKeyMissing);
        let e = open(b"garbage", &blob, &LAPS).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CertInvalid);
        assert!(!e.to_string().contains("garbage"));
    }

    #[test]
    fn seal_refuses_non_rsa_and_garbage_certificates() {
        for bad in [testkeys::EC_P256_CERT, b"", b"garbage", testkeys::RSA3072_KEY] {
            let e = seal(bad, OaepHash::Sha256, &LAPS, b"x").unwrap_err();
            assert_eq!(e.code(), ErrorCode::CertInvalid);
        }
    }

    #[test]
    fn every_truncation_fails_cleanly() {
        let blob = seal3072(b"hunter2");
        // Cutting into the ciphertext but leaving >= 16 bytes still parses, then fails the tag.
        let min_len = FIXED_LEN + 384 + NONCE_LEN + TAG_LEN;
        for n in 0..blob.len() {
            let e = open(testkeys::RSA3072_KEY, &blob[..n], &LAPS).unwrap_err();
            if n < min_len {
                assert_eq!(e.code(), ErrorCode::EnvelopeFormat, "open at {n}");
                let e = header(&blob[..n]).unwrap_err();
                assert_eq!(e.code(), ErrorCode::EnvelopeFormat, "header at {n}");
            } else {
                assert_eq!(e.code(), ErrorCode::EnvelopeTampered, "open at {n}");
                assert!(header(&blob[..n]).is_ok(), "header at {n}");
            }
        }
        // Extra bytes at the end are part of the ciphertext and break the tag.
        let mut longer = blob.clone();
        longer.push(0);
        let e = open(testkeys::RSA3072_KEY, &longer, &LAPS).unwrap_err();
        assert_eq!(e.code(), ErrorCode::EnvelopeTampered);
    }

    #[test]
    fn header_is_strict() {
        let blob = seal3072(b"hunter2");
        let with = |i: usize, v: u8| {
            let mut b = blob.clone();
            b[i] = v;
            header(&b).map(|_| ()).unwrap_err().code()
        };
        assert_eq!(with(0, b'X'), ErrorCode::EnvelopeFormat);
        for v in [0u8, 2, 255] {
            assert_eq!(with(4, v), ErrorCode::EnvelopeFormat, "version {v}");
        }
        for v in [0u8, 3, 255] {
            assert_eq!(with(5, v), ErrorCode::EnvelopeFormat, "oaep {v}");
        }
        let with_len = |len: u16| {
            let mut b = blob.clone();
            b[26..28].copy_from_slice(&len.to_be_bytes());
            header(&b).map(|_| ()).unwrap_err().code()
        };
        for len in [0u16, 1, 255, 1025, 4096, u16::MAX] {
            assert_eq!(with_len(len), ErrorCode::EnvelopeFormat, "wrapped_len {len}");
        }
        // A wrapped_len in range but not matching the key: parses, but does not open.
        let mut b = blob.clone();
        b[26..28].copy_from_slice(&256u16.to_be_bytes());
        assert!(header(&b).is_ok());
        let e = open(testkeys::RSA3072_KEY, &b, &LAPS).unwrap_err();
        assert_eq!(e.code(), ErrorCode::EnvelopeTampered);
    }

    /// Never panics on random, truncated or mutated input (a small deterministic fuzz loop).
    #[test]
    fn never_panics_on_junk() {
        // xorshift64*: deterministic, no dependency.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let good = seal3072(b"hunter2");
        for round in 0..3000 {
            let len = (next() % 700) as usize;
            let mut junk: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 3 == 0 && junk.len() >= 28 {
                // Plausible header so the parser gets deeper.
                junk[..4].copy_from_slice(b"AMSE");
                junk[4] = 1;
                junk[5] = 1 + (next() % 2) as u8;
                let w = 256 + (next() % 400) as u16;
                junk[26..28].copy_from_slice(&w.to_be_bytes());
            } else if round % 3 == 1 {
                // Mutate a real blob: a few random bytes (each really changed: XOR with a non-zero
                // value, or a random new value could equal the old one), then a random cut.
                junk = good.clone();
                for _ in 0..(1 + next() % 4) {
                    let i = (next() as usize) % junk.len();
                    junk[i] ^= (next() as u8) | 1;
                }
                let cut = (next() as usize) % (junk.len() + 1);
                junk.truncate(cut);
            }
            if let Ok(h) = header(&junk) {
                assert_eq!(h.thumbprint.len(), 40);
            }
            // Opening is slower (an RSA operation); do it for a share of the rounds.
            if round % 10 == 0 {
                assert!(open(testkeys::RSA3072_KEY, &junk, &LAPS).is_err());
            }
        }
    }

    /// A blob sealed once by this code (see tests/fixtures/envelope-v1-kat.txt) must open forever.
    #[test]
    fn known_answer() {
        let kat = testkeys::Kat::load();
        let ctx = EnvelopeContext { kind: kat.kind, device_id: &kat.device_id, subject: None };
        let h = header(&kat.blob).unwrap();
        assert_eq!(h.version, 1);
        assert_eq!(h.oaep, OaepHash::Sha256);
        assert_eq!(h.thumbprint, cert::thumbprint(testkeys::RSA3072_CERT));
        let pt = open(testkeys::RSA3072_KEY, &kat.blob, &ctx).unwrap();
        assert_eq!(&pt[..], kat.plaintext.as_bytes());
    }

    /// The RSA-OAEP wrapping interoperates with `openssl pkeyutl` in both directions.
    #[test]
    fn oaep_interoperates_with_openssl() {
        if !testkeys::openssl_available() {
            println!("SKIPPED: openssl not on PATH; RSA-OAEP interop not checked");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let key_path = dir.path().join("key.der");
        std::fs::write(&key_path, testkeys::RSA3072_KEY).unwrap();
        let cert_path = dir.path().join("cert.der");
        std::fs::write(&cert_path, testkeys::RSA3072_CERT).unwrap();
        let private_key = decryption_key(testkeys::RSA3072_KEY).unwrap();

        for (oaep, md) in [(OaepHash::Sha256, "sha256"), (OaepHash::Sha512, "sha512")] {
            let oaep_opts = [
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                &format!("rsa_oaep_md:{md}"),
                "-pkeyopt",
                &format!("rsa_mgf1_md:{md}"),
            ]
            .map(String::from);

            // ams wraps (inside a real envelope), openssl unwraps.
            let blob = seal3072_with(oaep);
            let wrapped = &blob[28..28 + 384];
            let wrapped_path = dir.path().join("wrapped.bin");
            std::fs::write(&wrapped_path, wrapped).unwrap();
            let out = std::process::Command::new("openssl")
                .args(["pkeyutl", "-decrypt", "-keyform", "DER", "-inkey"])
                .arg(&key_path)
                .arg("-in")
                .arg(&wrapped_path)
                .args(&oaep_opts)
                .output()
                .unwrap();
            assert!(out.status.success(), "{md}: {}", String::from_utf8_lossy(&out.stderr));
            assert_eq!(out.stdout.len(), AES_KEY_LEN, "{md}");
            assert_eq!(
                unwrap_key(&private_key, oaep, wrapped).as_deref().map(|v| &v[..]),
                Some(&out.stdout[..]),
                "{md}"
            );

            // openssl wraps with the certificate, ams unwraps.
            let secret = b"0123456789abcdef0123456789abcdef";
            let secret_path = dir.path().join("secret.bin");
            std::fs::write(&secret_path, secret).unwrap();
            let out = std::process::Command::new("openssl")
                .args(["pkeyutl", "-encrypt", "-certin", "-keyform", "DER", "-inkey"])
                .arg(&cert_path)
                .arg("-in")
                .arg(&secret_path)
                .args(&oaep_opts)
                .output()
                .unwrap();
            assert!(out.status.success(), "{md}: {}", String::from_utf8_lossy(&out.stderr));
            let unwrapped = unwrap_key(&private_key, oaep, &out.stdout).unwrap();
            assert_eq!(&unwrapped[..], &secret[..], "{md}");
            // And the other hash must not unwrap it.
            let other = if oaep == OaepHash::Sha256 { OaepHash::Sha512 } else { OaepHash::Sha256 };
            assert!(unwrap_key(&private_key, other, &out.stdout).is_none());
        }
    }

    fn seal3072_with(oaep: OaepHash) -> Vec<u8> {
        seal(testkeys::RSA3072_CERT, oaep, &LAPS, b"interop").unwrap()
    }
}
