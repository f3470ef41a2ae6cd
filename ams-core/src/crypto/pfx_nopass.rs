//! PFX files protected with the zero-length password.
//!
//! PKCS#12 spells "no password" two ways. The PKCS#12 key derivation takes the password as a
//! BMPString with a two-byte terminator, so the empty password is two zero bytes: OpenSSL's
//! `-passout pass:` and .NET's `Export(Pfx)` with a null password write that, and the
//! `p12-keystore` decoder reads it as `""`. .NET's `Export(Pfx, "")` instead derives its keys
//! from zero bytes, which no `&str` passed to `p12-keystore` can express.
//!
//! [`transcode`] turns such a file into one [`super::pfx::decode`] reads with `""`: it checks the
//! MAC and decrypts every bag with keys derived from zero bytes, then writes the same bags
//! (certificates as they were, private keys as plain key bags, attributes kept) under a fresh
//! HMAC-SHA256 MAC keyed with the two-zero-byte password. The result lives only in memory and
//! goes straight to `decode`, which then applies every check it applies to any import.

use cbc::cipher::{BlockModeDecrypt, KeyIvInit, block_padding::Pkcs7};
use der::asn1::{ContextSpecific, ObjectIdentifier, OctetString};
use der::{Any, Decode, Encode};
use hmac::{KeyInit, Mac};
use pkcs12::cms::content_info::ContentInfo;
use pkcs12::cms::encrypted_data::EncryptedData;
use pkcs12::kdf::{self, Pkcs12KeyType};
use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pkcs12PbeParams};
use pkcs12::pfx::{Pfx, Version};
use pkcs12::safe_bag::SafeContents;
use pkcs12::{DigestInfo, MacData, SafeBag};
use sha1::Sha1;
use sha2::Sha256;
use spki::AlgorithmIdentifierOwned;
use zeroize::Zeroizing;

use crate::error::{Error, ErrorCode, Result};

const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const PBE_SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const PBE_SHA1_RC2_40: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");
const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.1");
const SHROUDED_KEY_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.2");
const CERT_BAG: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.3");

/// The zero-length password.
const NO_BYTES: &[u8] = &[];

fn invalid() -> Error {
    Error::new(ErrorCode::PfxInvalid, "The PFX file is damaged or not a PFX file.")
}

fn wrong_password() -> Error {
    Error::new(ErrorCode::PfxWrongPassword, "The PFX file has a password: it is not a file without one.")
        .hint("Import it without --no-password and give its password.")
}

fn unsupported(what: &str) -> Error {
    Error::new(ErrorCode::PfxUnsupported, format!("The PFX file uses {what}, which ams cannot read."))
}

fn der_err(_: der::Error) -> Error {
    invalid()
}

/// Reads `pfx` with the zero-length password and writes it again as a file that
/// [`super::pfx::decode`] opens with `""`. Fails as a wrong password when the MAC does not
/// check out with the zero-length password (the file has a real password).
pub fn transcode(pfx: &[u8], max_iterations: u32) -> Result<Vec<u8>> {
    let pfx = Pfx::from_der(pfx).map_err(der_err)?;
    if pfx.version != Version::V3 || pfx.auth_safe.content_type != DATA {
        return Err(invalid());
    }
    let content = OctetString::from_der(&pfx.auth_safe.content.to_der().map_err(der_err)?).map_err(der_err)?;
    if let Some(mac) = &pfx.mac_data {
        verify_mac(mac, content.as_bytes(), max_iterations)?;
    }
    let safes: Vec<ContentInfo> = Vec::from_der(content.as_bytes()).map_err(der_err)?;
    let mut bags: SafeContents = Vec::new();
    for safe in &safes {
        let contents = match safe.content_type {
            DATA => Zeroizing::new(
                OctetString::from_der(&safe.content.to_der().map_err(der_err)?)
                    .map_err(der_err)?
                    .into_bytes()
                    .into_vec(),
            ),
            ENCRYPTED_DATA => {
                let enc = EncryptedData::from_der(&safe.content.to_der().map_err(der_err)?).map_err(der_err)?;
                match enc.enc_content_info.encrypted_content.as_ref() {
                    Some(data) => decrypt(&enc.enc_content_info.content_enc_alg, data.as_bytes(), max_iterations)?,
                    None => continue,
                }
            }
            _ => return Err(unsupported("a content type other than data and encrypted data")),
        };
        for bag in SafeContents::from_der(&contents).map_err(|_| wrong_password())? {
            // A decoded bag's value keeps its [0] wrapper, and encoding adds one: unwrap it.
            match bag.bag_id {
                CERT_BAG | KEY_BAG => {
                    let inner: ContextSpecific<Any> = ContextSpecific::from_der(&bag.bag_value).map_err(der_err)?;
                    bags.push(SafeBag {
                        bag_id: bag.bag_id,
                        bag_value: inner.value.to_der().map_err(der_err)?,
                        bag_attributes: bag.bag_attributes.clone(),
                    });
                }
                SHROUDED_KEY_BAG => {
                    let cs: ContextSpecific<EncryptedPrivateKeyInfo> =
                        ContextSpecific::from_der(&bag.bag_value).map_err(der_err)?;
                    let pkcs8 =
                        decrypt(&cs.value.encryption_algorithm, cs.value.encrypted_data.as_bytes(), max_iterations)?;
                    // A well-formed PKCS#8 key, or the password was not the zero-length one.
                    Any::from_der(&pkcs8).map_err(|_| wrong_password())?;
                    bags.push(SafeBag {
                        bag_id: KEY_BAG,
                        bag_value: pkcs8.to_vec(),
                        bag_attributes: bag.bag_attributes.clone(),
                    });
                }
                // CRLs and secrets are not part of a certificate backup.
                _ => {}
            }
        }
    }
    rewrite(&bags)
}

/// Checks the MAC with a key derived from the zero-length password.
fn verify_mac(mac: &MacData, content: &[u8], max_iterations: u32) -> Result<()> {
    if mac.iterations < 1 || u32::try_from(mac.iterations).map_or(true, |i| i > max_iterations) {
        return Err(Error::new(ErrorCode::PfxUnsupported, "The PFX file's MAC iteration count is out of range."));
    }
    let salt = mac.mac_salt.as_bytes();
    let expected = mac.mac.digest.as_bytes();
    let ok = match mac.mac.algorithm.oid {
        SHA1 => {
            let key = Zeroizing::new(kdf::derive_key::<Sha1>(NO_BYTES, salt, Pkcs12KeyType::Mac, mac.iterations, 20));
            let mut h = hmac::Hmac::<Sha1>::new_from_slice(&key).map_err(|_| invalid())?;
            h.update(content);
            h.verify_slice(expected).is_ok()
        }
        SHA256 => {
            let key = Zeroizing::new(kdf::derive_key::<Sha256>(NO_BYTES, salt, Pkcs12KeyType::Mac, mac.iterations, 32));
            let mut h = hmac::Hmac::<Sha256>::new_from_slice(&key).map_err(|_| invalid())?;
            h.update(content);
            h.verify_slice(expected).is_ok()
        }
        _ => return Err(unsupported("a MAC digest other than SHA-1 and SHA-256")),
    };
    if ok { Ok(()) } else { Err(wrong_password()) }
}

/// Decrypts a bag or safe encrypted with the zero-length password.
fn decrypt(alg: &AlgorithmIdentifierOwned, data: &[u8], max_iterations: u32) -> Result<Zeroizing<Vec<u8>>> {
    let params = alg.parameters.as_ref().ok_or_else(invalid)?.to_der().map_err(der_err)?;
    match alg.oid {
        PBE_SHA1_3DES | PBE_SHA1_RC2_40 => {
            let p = Pkcs12PbeParams::from_der(&params).map_err(der_err)?;
            if p.iterations < 1 || u32::try_from(p.iterations).map_or(true, |i| i > max_iterations) {
                return Err(Error::new(ErrorCode::PfxUnsupported, "The PFX file's iteration count is out of range."));
            }
            let salt = p.salt.as_bytes();
            let key_len = if alg.oid == PBE_SHA1_3DES { 24 } else { 5 };
            let key = Zeroizing::new(kdf::derive_key::<Sha1>(
                NO_BYTES,
                salt,
                Pkcs12KeyType::EncryptionKey,
                p.iterations,
                key_len,
            ));
            let iv = kdf::derive_key::<Sha1>(NO_BYTES, salt, Pkcs12KeyType::Iv, p.iterations, 8);
            let plain = if alg.oid == PBE_SHA1_3DES {
                cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                    .map_err(|_| invalid())?
                    .decrypt_padded_vec::<Pkcs7>(data)
            } else {
                cbc::Decryptor::<rc2::Rc2>::new_from_slices(&key, &iv)
                    .map_err(|_| invalid())?
                    .decrypt_padded_vec::<Pkcs7>(data)
            };
            // Without a MAC, a wrong password shows up as bad padding.
            plain.map(Zeroizing::new).map_err(|_| wrong_password())
        }
        PBES2 => {
            let p = pkcs5::pbes2::Parameters::from_der(&params).map_err(der_err)?;
            if let pkcs5::pbes2::Kdf::Pbkdf2(k) = &p.kdf
                && k.iteration_count > max_iterations
            {
                return Err(Error::new(ErrorCode::PfxUnsupported, "The PFX file's iteration count is out of range."));
            }
            if matches!(p.kdf, pkcs5::pbes2::Kdf::Scrypt(_)) {
                return Err(unsupported("scrypt"));
            }
            p.decrypt(NO_BYTES, data).map(Zeroizing::new).map_err(|_| wrong_password())
        }
        _ => Err(unsupported("an encryption scheme other than PBES2, 3DES and RC2")),
    }
}

/// Writes the bags, unencrypted, under an HMAC-SHA256 MAC keyed with the two-zero-byte
/// password (what `decode(_, "")` checks). One iteration: the file never leaves memory.
fn rewrite(bags: &SafeContents) -> Result<Vec<u8>> {
    let safe_contents = Zeroizing::new(bags.to_der().map_err(der_err)?);
    let data_info = ContentInfo {
        content_type: DATA,
        content: Any::encode_from(&OctetString::new(safe_contents.as_slice()).map_err(der_err)?).map_err(der_err)?,
    };
    let auth_safe = Zeroizing::new(vec![data_info].to_der().map_err(der_err)?);
    let salt = crate::crypto::seal::random_bytes::<16>()?;
    let key = Zeroizing::new(kdf::derive_key_utf8::<Sha256>("", &salt, Pkcs12KeyType::Mac, 1, 32).map_err(der_err)?);
    let mut h = hmac::Hmac::<Sha256>::new_from_slice(&key).map_err(|_| Error::internal("HMAC key"))?;
    h.update(&auth_safe);
    let digest = h.finalize().into_bytes();
    let pfx = Pfx {
        version: Version::V3,
        auth_safe: ContentInfo {
            content_type: DATA,
            content: Any::encode_from(&OctetString::new(auth_safe.as_slice()).map_err(der_err)?).map_err(der_err)?,
        },
        mac_data: Some(MacData {
            mac: DigestInfo {
                algorithm: AlgorithmIdentifierOwned { oid: SHA256, parameters: None },
                digest: OctetString::new(digest.as_slice()).map_err(der_err)?,
            },
            mac_salt: OctetString::new(salt.as_slice()).map_err(der_err)?,
            iterations: 1,
        }),
    };
    pfx.to_der().map_err(der_err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::pfx::{self, PfxProfile};

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)).unwrap()
    }

    #[test]
    fn the_zero_length_password_file_opens_and_the_empty_one_needs_no_transcoding() {
        let zero = fixture("dotnet-nopass-null.pfx");
        assert_eq!(pfx::decode(&zero, "").unwrap_err().code(), ErrorCode::PfxWrongPassword);
        let a = pfx::decode(&transcode(&zero, 1_000_000).unwrap(), "").unwrap();
        let b = pfx::decode(&fixture("dotnet-nopass-empty.pfx"), "").unwrap();
        assert_eq!(a.certificate_der, b.certificate_der);
        assert_eq!(*a.private_key_pkcs8, *b.private_key_pkcs8);
        assert_eq!(pfx::decode_without_password(&zero).unwrap().certificate_der, b.certificate_der);
    }

    #[test]
    fn a_file_with_a_password_or_garbage_is_refused_with_a_code() {
        let cert = fixture("rsa3072.cert.der");
        let key = fixture("rsa3072.key.der");
        for profile in [PfxProfile::Modern, PfxProfile::Legacy] {
            let protected = pfx::encode(&cert, &key, "a real password here", profile, 16).unwrap();
            assert_eq!(transcode(&protected, 1_000_000).unwrap_err().code(), ErrorCode::PfxWrongPassword);
            assert_eq!(pfx::decode_without_password(&protected).unwrap_err().code(), ErrorCode::PfxWrongPassword);
        }
        let zero = fixture("dotnet-nopass-null.pfx");
        assert_eq!(transcode(&zero, 1_000).unwrap_err().code(), ErrorCode::PfxUnsupported, "iteration cap");
        for bad in [&b""[..], b"not a pfx", &zero[..zero.len() / 2]] {
            assert_eq!(transcode(bad, 1_000_000).unwrap_err().code(), ErrorCode::PfxInvalid);
        }
        // Every single flipped byte fails cleanly (a code, never a panic).
        for i in (0..zero.len()).step_by(7) {
            let mut z = zero.clone();
            z[i] ^= 0x5a;
            if let Err(e) = transcode(&z, 1_000_000) {
                assert!(
                    matches!(e.code(), ErrorCode::PfxInvalid | ErrorCode::PfxWrongPassword | ErrorCode::PfxUnsupported),
                    "byte {i}: {e:?}"
                );
            }
        }
    }
}
