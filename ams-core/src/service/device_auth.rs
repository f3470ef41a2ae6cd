//! Device authentication for the agent server (docs/server.md, "Device tokens").
//!
//! At registration an agent makes a P-256 key pair and sends the public key; the server keeps only
//! that public key (`device_keys`), so nothing it stores lets anyone sign as the device. Every
//! request then carries a compact JWS (ES256) that the device signs:
//!
//! | part | value |
//! | --- | --- |
//! | header | `alg` = `ES256`, `typ` = `ams-agent+jwt`, `kid` = the device id (absent at registration) |
//! | `aud` | the instance's audience, `urn:ams:instance:<instance id>` (from `GET /agent/v1/info`) |
//! | `iat`, `exp` | Unix seconds; `exp - iat` at most [`MAX_TOKEN_LIFETIME_SECS`]; [`CLOCK_SKEW_SECS`] of skew allowed |
//! | `jti` | 16+ random bytes, base64url; each token is good for one request |
//! | `htm`, `htu` | the request's method and path |
//! | `bh` | base64url SHA-256 of the request body |
//!
//! Binding the method, path and body means a token cannot be moved to another request. The `jti`
//! goes into the `agent_token_ids` table in the database, so a replay is refused on every host that
//! shares the database, until the token has expired anyway. The JOSE parsing and the signature check
//! are `jsonwebtoken`'s (on AWS-LC); the rules are here.
//!
//! Refusals before the signature verifies all give [`ErrorCode::AgentTokenInvalid`] with one
//! message, so a caller learns nothing about which device ids exist. Once the signature verifies,
//! the caller holds the device key, and disabled, pending or rejected devices get their own codes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::ams::Ams;
use crate::crypto::seal::random_bytes;
use crate::error::{Error, ErrorCode, Result};
use crate::service::agent::{Registration, RegistrationResult};
use crate::service::audit::{self, Event, Outcome};
use crate::service::secrets::check_device_may_upload;
use crate::store::{DeviceKeyRow, LookupKind, Tx, migrate};

/// The JWS `typ` of a device token.
pub const TOKEN_TYPE: &str = "ams-agent+jwt";
/// The longest lifetime (`exp - iat`) a token may claim, in seconds.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 300;
/// Clock skew allowed between agent and server, in seconds.
pub const CLOCK_SKEW_SECS: i64 = 60;
/// The longest token accepted, in bytes (a real one is about 600).
pub const MAX_TOKEN_LEN: usize = 4096;
/// Expired token ids removed per request (keeps the replay cache small without a timer).
const PURGE_PER_REQUEST: u32 = 64;

const ALG: &str = "ES256";

/// A device's public key as a JSON Web Key (RFC 7517): `kty` = `EC`, `crv` = `P-256`, and the
/// point's coordinates as base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicJwk {
    /// Always `EC`.
    pub kty: String,
    /// Always `P-256`.
    pub crv: String,
    /// X coordinate, 32 bytes, base64url.
    pub x: String,
    /// Y coordinate, 32 bytes, base64url.
    pub y: String,
}

/// A P-256 public key (an uncompressed SEC1 point).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePublicKey {
    point: Vec<u8>,
}

fn key_invalid(why: &str) -> Error {
    Error::new(ErrorCode::AgentKeyInvalid, format!("The device public key is not valid: {why}."))
        .hint("Send the P-256 public key as a JWK (kty EC, crv P-256, x and y of 32 bytes each).")
}

impl DevicePublicKey {
    /// Reads a JWK. The point itself is checked when a signature is verified with it (the
    /// registration's proof of possession).
    pub fn from_jwk(jwk: &PublicJwk) -> Result<Self> {
        if jwk.kty != "EC" || jwk.crv != "P-256" {
            return Err(key_invalid("only kty EC with crv P-256 is accepted"));
        }
        let x = B64URL.decode(jwk.x.as_bytes()).map_err(|_| key_invalid("x is not base64url"))?;
        let y = B64URL.decode(jwk.y.as_bytes()).map_err(|_| key_invalid("y is not base64url"))?;
        if x.len() != 32 || y.len() != 32 {
            return Err(key_invalid("x and y must be 32 bytes each"));
        }
        let mut point = Vec::with_capacity(65);
        point.push(4);
        point.extend_from_slice(&x);
        point.extend_from_slice(&y);
        Ok(DevicePublicKey { point })
    }

    /// From the stored uncompressed point.
    pub fn from_point(point: &[u8]) -> Result<Self> {
        if point.len() != 65 || point.first() != Some(&4) {
            return Err(key_invalid("the stored point is not an uncompressed P-256 point"));
        }
        Ok(DevicePublicKey { point: point.to_vec() })
    }

    /// The uncompressed point (65 bytes).
    pub fn point(&self) -> &[u8] {
        &self.point
    }

    /// As a JWK.
    pub fn jwk(&self) -> PublicJwk {
        let x = self.point.get(1..33).unwrap_or_default();
        let y = self.point.get(33..65).unwrap_or_default();
        PublicJwk { kty: "EC".into(), crv: "P-256".into(), x: B64URL.encode(x), y: B64URL.encode(y) }
    }

    /// The RFC 7638 thumbprint: base64url SHA-256 of the canonical JWK members.
    pub fn thumbprint(&self) -> String {
        let j = self.jwk();
        let canonical = format!(r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#, j.crv, j.kty, j.x, j.y);
        B64URL.encode(Sha256::digest(canonical.as_bytes()))
    }

    fn decoding_key(&self) -> Result<jsonwebtoken::DecodingKey> {
        let j = self.jwk();
        jsonwebtoken::DecodingKey::from_ec_components(&j.x, &j.y).map_err(|_| key_invalid("the point does not decode"))
    }
}

/// The claims of a device token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Claims {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sub: Option<String>,
    aud: String,
    iat: i64,
    exp: i64,
    jti: String,
    htm: String,
    htu: String,
    bh: String,
}

/// The request a token is made for, or presented with.
#[derive(Debug, Clone, Copy)]
pub struct RequestBinding<'a> {
    /// HTTP method, upper case.
    pub method: &'a str,
    /// Path, e.g. `/agent/v1/check-in`.
    pub path: &'a str,
    /// The body bytes exactly as sent.
    pub body: &'a [u8],
}

impl RequestBinding<'_> {
    fn body_hash(&self) -> String {
        B64URL.encode(Sha256::digest(self.body))
    }
}

/// The agent side: a device's private key. It lives only on the device (the reference agent keeps
/// it 0600 in its state directory). No `Debug` of the key, no `Clone`, zeroized on drop.
pub struct DeviceKey {
    pkcs8: Zeroizing<Vec<u8>>,
    public: DevicePublicKey,
}

impl std::fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceKey").field("thumbprint", &self.public.thumbprint()).finish_non_exhaustive()
    }
}

fn crypto_failure() -> Error {
    Error::internal("The device key operation failed.")
}

impl DeviceKey {
    /// Makes a new P-256 key pair.
    pub fn generate() -> Result<Self> {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &aws_lc_rs::rand::SystemRandom::new())
            .map_err(|_| crypto_failure())?;
        DeviceKey::from_pkcs8(doc.as_ref())
    }

    /// Reads a PKCS#8 (DER) P-256 private key.
    pub fn from_pkcs8(der: &[u8]) -> Result<Self> {
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(|_| {
            Error::new(ErrorCode::AgentStateInvalid, "The device key file is not a P-256 PKCS#8 private key.")
                .hint("Register the device again with a new state directory.")
        })?;
        let public = DevicePublicKey::from_point(pair.public_key().as_ref())?;
        Ok(DeviceKey { pkcs8: Zeroizing::new(der.to_vec()), public })
    }

    /// The PKCS#8 encoding, for the agent's 0600 key file.
    pub fn pkcs8(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key.
    pub fn public_key(&self) -> &DevicePublicKey {
        &self.public
    }

    /// Signs a token for one request. `device_id` is `None` only for the registration itself.
    pub fn sign(
        &self,
        device_id: Option<&str>,
        audience: &str,
        binding: &RequestBinding<'_>,
        issued_at: time::OffsetDateTime,
        lifetime_secs: i64,
    ) -> Result<String> {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.typ = Some(TOKEN_TYPE.into());
        header.kid = device_id.map(str::to_string);
        let iat = issued_at.unix_timestamp();
        let claims = Claims {
            sub: device_id.map(str::to_string),
            aud: audience.to_string(),
            iat,
            exp: iat + lifetime_secs,
            jti: B64URL.encode(random_bytes::<18>()?),
            htm: binding.method.to_string(),
            htu: binding.path.to_string(),
            bh: binding.body_hash(),
        };
        let key = jsonwebtoken::EncodingKey::from_ec_der(&self.pkcs8);
        jsonwebtoken::encode(&header, &claims, &key).map_err(|_| crypto_failure())
    }
}

/// A device that proved it holds its key and may use the agent API.
#[derive(Debug, Clone)]
pub struct AuthenticatedDevice {
    /// Device id.
    pub device_id: String,
}

fn token_invalid() -> Error {
    Error::new(
        ErrorCode::AgentTokenInvalid,
        "The device token is not valid for this server and request, or the device is not registered here.",
    )
    .hint("Sign a new token for this request with the device key; if the device was removed, register it again.")
}

fn token_expired() -> Error {
    Error::new(ErrorCode::AgentTokenExpired, "The device token has expired or is not yet valid.")
        .hint("Check the device clock, and sign a new token (at most 5 minutes long) for each request.")
}

/// Checks the parts of a token that need no key: size, header, then (after the signature) the
/// claims against the request and the clock.
fn parse_header(token: &str, want_kid: bool) -> Result<Option<String>> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(token_invalid());
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| token_invalid())?;
    if header.alg != jsonwebtoken::Algorithm::ES256 || header.typ.as_deref() != Some(TOKEN_TYPE) {
        return Err(token_invalid());
    }
    match (want_kid, header.kid) {
        (true, Some(kid)) if uuid::Uuid::parse_str(&kid).is_ok() => Ok(Some(kid)),
        (false, None) => Ok(None),
        _ => Err(token_invalid()),
    }
}

fn verify(token: &str, key: &DevicePublicKey, audience: &str) -> Result<Claims> {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    // Time is checked below against the instance's clock, not the library's.
    v.validate_exp = false;
    v.validate_nbf = false;
    v.required_spec_claims.clear();
    v.set_audience(&[audience]);
    v.leeway = 0;
    let data = jsonwebtoken::decode::<Claims>(token, &key.decoding_key()?, &v).map_err(|_| token_invalid())?;
    Ok(data.claims)
}

fn check_claims(c: &Claims, binding: &RequestBinding<'_>, device_id: Option<&str>, now: i64) -> Result<()> {
    let same = |a: &str, b: &str| bool::from(a.as_bytes().ct_eq(b.as_bytes()));
    if c.htm != binding.method
        || c.htu != binding.path
        || !same(&c.bh, &binding.body_hash())
        || c.sub.as_deref() != device_id
        || c.jti.len() < 22
        || c.jti.len() > 128
        || !c.jti.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(token_invalid());
    }
    if c.exp <= c.iat || c.exp - c.iat > MAX_TOKEN_LIFETIME_SECS {
        return Err(token_expired());
    }
    if c.iat > now + CLOCK_SKEW_SECS || c.exp + CLOCK_SKEW_SECS <= now {
        return Err(token_expired());
    }
    Ok(())
}

fn unix_to_time(secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs)
        .map(crate::clock::format_time)
        .unwrap_or_else(|_| "9999-12-31T23:59:59.000000Z".into())
}

/// Records a token id in the replay cache (and purges expired ones): a replay is refused.
/// A device token whose signature, claims and binding checked out, not yet consumed.
struct VerifiedToken {
    device_id: String,
    claims: Claims,
}

impl VerifiedToken {
    /// Records the token id inside the caller's write transaction (a replay fails here).
    fn consume(&self, tx: &Tx<'_>, now: &str) -> Result<()> {
        consume(tx, &self.claims, &self.device_id, now)
    }
}

fn consume(tx: &Tx<'_>, c: &Claims, device_id: &str, now: &str) -> Result<()> {
    tx.purge_token_ids(now, PURGE_PER_REQUEST)?;
    if !tx.insert_token_id(&c.jti, device_id, &unix_to_time(c.exp + CLOCK_SKEW_SECS))? {
        return Err(Error::new(ErrorCode::AgentTokenReplayed, "The device token was already used.")
            .hint("Sign a new token for every request."));
    }
    Ok(())
}

pub(crate) fn store_key(tx: &Tx<'_>, device_id: &str, key: &DevicePublicKey, now: &str) -> Result<()> {
    tx.insert_device_key(&DeviceKeyRow {
        device_id: device_id.to_string(),
        algorithm: ALG.into(),
        public_key: key.point().to_vec(),
        thumbprint: key.thumbprint(),
        created_at: now.to_string(),
    })
}

/// Where a refused agent request came from, for the audit record.
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestOrigin<'a> {
    /// The client's IP address.
    pub source_address: Option<&'a str>,
    /// The API operation (route), e.g. `check-in`.
    pub operation: &'a str,
}

impl Ams {
    /// The audience every device token for this instance names: `urn:ams:instance:<id>`. All
    /// hosts sharing the database serve the same instance, so a token is good on any of them
    /// (once: the replay cache is in the database).
    pub fn agent_audience(&self) -> Result<String> {
        let id = self.store.read(|tx| tx.instance())?.map(|i| i.id).ok_or_else(|| {
            Error::new(ErrorCode::InstanceNotFound, "The database has no instance record.").hint("Run `ams init`.")
        })?;
        Ok(format!("urn:ams:instance:{id}"))
    }

    /// Registers a device with a registration key and the device's public key. The token must be
    /// signed with that same key (proof of possession) and bound to this request. No bearer
    /// credential is issued: the server keeps only the public key.
    pub fn agent_register_with_key(
        &self,
        key_value: &str,
        reg: &Registration,
        public_key: &PublicJwk,
        token: &str,
        binding: &RequestBinding<'_>,
        origin: &RequestOrigin<'_>,
    ) -> Result<RegistrationResult> {
        let checked = (|| {
            let key = DevicePublicKey::from_jwk(public_key)?;
            parse_header(token, false)?;
            let audience = self.agent_audience()?;
            let claims = verify(token, &key, &audience).map_err(|_| {
                Error::new(ErrorCode::AgentKeyInvalid, "The registration is not signed with the device key it sends.")
                    .hint("Sign the registration token with the private key of the public key in the request.")
            })?;
            check_claims(&claims, binding, None, self.now_time().unix_timestamp())?;
            self.store.write(|tx| consume(tx, &claims, "registration", &self.now()))?;
            Ok(key)
        })();
        let key = match checked {
            Ok(k) => k,
            Err(e) => {
                self.agent_refusal("agent.register", &e, origin, None);
                return Err(e);
            }
        };
        self.register_device(key_value, reg, Some(&key))
    }

    /// Checks a device token for one request: signature with the device's stored key, audience,
    /// time, binding to the request, one use only; then that the device is approved and enabled.
    /// Every refusal is audited.
    pub fn agent_authenticate(
        &self,
        token: &str,
        binding: &RequestBinding<'_>,
        origin: &RequestOrigin<'_>,
    ) -> Result<AuthenticatedDevice> {
        let mut claimed: Option<String> = None;
        let result = (|| {
            let v = self.agent_verify(token, binding, &mut claimed)?;
            self.store.write(|tx| {
                v.consume(tx, &self.now())?;
                match tx.device(&v.device_id)? {
                    Some(d) => check_device_may_upload(&d),
                    None => Err(token_invalid()),
                }
            })?;
            Ok(AuthenticatedDevice { device_id: v.device_id })
        })();
        if let Err(e) = &result {
            self.agent_refusal("agent.authenticate", e, origin, claimed.as_deref());
        }
        result
    }

    /// Checks a device token without consuming it: its signature by the device's key, its
    /// claims and request binding, and that the device may upload. Reads only; the caller
    /// consumes the token id in the transaction that acts on the request.
    fn agent_verify(
        &self,
        token: &str,
        binding: &RequestBinding<'_>,
        claimed: &mut Option<String>,
    ) -> Result<VerifiedToken> {
        let device_id = parse_header(token, true)?.ok_or_else(token_invalid)?;
        let (key, audience, device) = self.store.read(|tx| {
            let key = tx.device_key(&device_id)?;
            let audience = tx.instance()?.map(|i| format!("urn:ams:instance:{}", i.id));
            Ok((key, audience, tx.device(&device_id)?))
        })?;
        let (Some(key), Some(audience)) = (key, audience) else {
            return Err(token_invalid());
        };
        let key = DevicePublicKey::from_point(&key.public_key)?;
        let claims = verify(token, &key, &audience)?;
        check_claims(&claims, binding, Some(&device_id), self.now_time().unix_timestamp())?;
        *claimed = Some(device_id.clone());
        match device {
            Some(d) => check_device_may_upload(&d)?,
            None => return Err(token_invalid()),
        }
        Ok(VerifiedToken { device_id, claims })
    }

    /// An agent's upload (password or BitLocker key) with one durable commit: the token is
    /// verified first (reads only), the envelope decoded and opened outside any write
    /// transaction, and the token id is consumed in the same transaction that stores the secret
    /// and its audit record. A replayed token, even one racing its first use, is refused there
    /// and nothing is stored; a refused request is audited as before.
    pub fn agent_upload_with_token(
        &self,
        keyring: &crate::service::keys::Keyring,
        token: &str,
        binding: &RequestBinding<'_>,
        origin: &RequestOrigin<'_>,
        upload: &crate::service::secrets::Upload,
        envelope: impl FnOnce() -> Result<Vec<u8>>,
    ) -> Result<crate::service::secrets::IngestReceipt> {
        let mut claimed: Option<String> = None;
        let v = self.agent_verify(token, binding, &mut claimed).inspect_err(|e| {
            self.agent_refusal("agent.authenticate", e, origin, claimed.as_deref());
        })?;
        let blob = envelope().inspect_err(|e| self.agent_refusal("agent.request", e, origin, Some(&v.device_id)))?;
        let now = self.now();
        self.ingest_consuming(keyring, &v.device_id, upload, &blob, &|tx| v.consume(tx, &now)).inspect_err(|e| {
            if e.code() == ErrorCode::AgentTokenReplayed {
                self.agent_refusal("agent.authenticate", e, origin, Some(&v.device_id));
            }
        })
    }

    /// The upgrade path for devices registered before device keys: the agent proves it holds the
    /// legacy bearer credential and sends a new public key, signed with that key. The key is
    /// stored and the credential hash deleted in one transaction, so the bearer credential stops
    /// working at once.
    pub fn agent_enrol_key(
        &self,
        device_id: &str,
        credential: &str,
        public_key: &PublicJwk,
        token: &str,
        binding: &RequestBinding<'_>,
        origin: &RequestOrigin<'_>,
    ) -> Result<AuthenticatedDevice> {
        let result = (|| {
            let key = DevicePublicKey::from_jwk(public_key)?;
            parse_header(token, false)?;
            let audience = self.agent_audience()?;
            let claims = verify(token, &key, &audience).map_err(|_| {
                Error::new(ErrorCode::AgentKeyInvalid, "The key enrolment is not signed with the device key it sends.")
                    .hint("Sign the enrolment token with the private key of the public key in the request.")
            })?;
            check_claims(&claims, binding, None, self.now_time().unix_timestamp())?;
            let now = self.now();
            // Credential hashes are keyed with a key derived from the master key.
            let keys = self.derived_keys(&self.unlock()?)?;
            self.store.write(|tx| {
                let d = tx.device(device_id)?.ok_or_else(token_invalid)?;
                let Some(stored) = d.credential_hash.as_deref() else {
                    return Err(if tx.device_key(&d.id)?.is_some() {
                        Error::new(ErrorCode::AgentKeyExists, "The device already has a device key.")
                            .hint("Use the device key; the legacy credential no longer works.")
                    } else {
                        token_invalid()
                    });
                };
                if !keys.lookup_matches(LookupKind::DeviceCredential, stored, credential.as_bytes()) {
                    return Err(token_invalid());
                }
                consume(tx, &claims, &d.id, &now)?;
                check_device_may_upload(&d)?;
                store_key(tx, &d.id, &key, &now)?;
                tx.clear_device_credential(&d.id, &now)?;
                audit::record(
                    self,
                    tx,
                    Event::success("agent.enrol_key", "device", &d.id)
                        .details(serde_json::json!({"KeyThumbprint": key.thumbprint()})),
                )?;
                Ok(AuthenticatedDevice { device_id: d.id })
            })
        })();
        if let Err(e) = &result {
            self.agent_refusal("agent.enrol_key", e, origin, None);
        }
        result
    }

    /// Audits a refused agent request (the server calls this for refusals of its own: body too
    /// large, bad JSON, rate limits, unknown routes). Best effort: a failure to audit is not
    /// reported to the caller, whose request is refused either way.
    pub fn agent_refusal(&self, event: &str, error: &Error, origin: &RequestOrigin<'_>, device_id: Option<&str>) {
        let mut details = serde_json::json!({"Error": error.code().as_str(), "Operation": origin.operation});
        if let Some(a) = origin.source_address {
            details["SourceAddress"] = serde_json::Value::String(a.to_string());
        }
        let _ = self.store.write(|tx| {
            audit::record(
                self,
                tx,
                Event {
                    event,
                    outcome: Outcome::Denied,
                    target_type: device_id.map(|_| "device"),
                    target_id: device_id,
                    details,
                },
            )
        });
    }

    /// The id of the master key in force (the server compares it with its keyring's to notice a
    /// rotation by another process).
    pub fn active_master_key_id(&self) -> Result<Option<String>> {
        self.store.read(|tx| Ok(tx.active_master_key()?.map(|k| k.id)))
    }

    /// The schema cookie: it changes when any process changes the schema.
    pub fn schema_cookie(&self) -> Result<i64> {
        self.store.read(|tx| tx.schema_cookie())
    }

    /// Fails unless the database schema is exactly this binary's (as [`Ams::open`] checks).
    pub fn check_schema(&self) -> Result<()> {
        migrate::require_current(&self.store).map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwk_round_trips_and_thumbprints_are_stable() {
        let k = DeviceKey::generate().unwrap();
        let jwk = k.public_key().jwk();
        let back = DevicePublicKey::from_jwk(&jwk).unwrap();
        assert_eq!(&back, k.public_key());
        assert_eq!(back.thumbprint(), k.public_key().thumbprint());
        assert_eq!(back.thumbprint().len(), 43);
        let again = DeviceKey::from_pkcs8(k.pkcs8()).unwrap();
        assert_eq!(again.public_key(), k.public_key());
        assert!(!format!("{k:?}").contains(&crate::crypto::seal::hex(k.pkcs8())));
    }

    #[test]
    fn bad_jwks_are_refused() {
        let k = DeviceKey::generate().unwrap();
        let mut j = k.public_key().jwk();
        j.crv = "P-384".into();
        assert_eq!(DevicePublicKey::from_jwk(&j).unwrap_err().code(), ErrorCode::AgentKeyInvalid);
        let mut j = k.public_key().jwk();
        j.x = "AAAA".into();
        assert_eq!(DevicePublicKey::from_jwk(&j).unwrap_err().code(), ErrorCode::AgentKeyInvalid);
        let mut j = k.public_key().jwk();
        j.y = "not base64!".into();
        assert_eq!(DevicePublicKey::from_jwk(&j).unwrap_err().code(), ErrorCode::AgentKeyInvalid);
    }

    fn binding(body: &[u8]) -> RequestBinding<'_> {
        RequestBinding { method: "POST", path: "/agent/v1/check-in", body }
    }

    #[test]
    fn tokens_verify_only_for_their_request_key_audience_and_time() {
        let k = DeviceKey::generate().unwrap();
        let id = "6f9619ff-8b86-4011-b42d-00c04fc964ff";
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let t = k.sign(Some(id), "urn:ams:instance:x", &binding(b"{}"), now, 120).unwrap();
        assert_eq!(parse_header(&t, true).unwrap().as_deref(), Some(id));
        let c = verify(&t, k.public_key(), "urn:ams:instance:x").unwrap();
        check_claims(&c, &binding(b"{}"), Some(id), now.unix_timestamp()).unwrap();
        // another body, path, device, audience, key
        assert_eq!(
            check_claims(&c, &binding(b"{ }"), Some(id), now.unix_timestamp()).unwrap_err().code(),
            ErrorCode::AgentTokenInvalid
        );
        let other_path = RequestBinding { path: "/agent/v1/password", ..binding(b"{}") };
        assert!(check_claims(&c, &other_path, Some(id), now.unix_timestamp()).is_err());
        assert!(check_claims(&c, &binding(b"{}"), Some("x"), now.unix_timestamp()).is_err());
        assert_eq!(verify(&t, k.public_key(), "urn:ams:instance:y").unwrap_err().code(), ErrorCode::AgentTokenInvalid);
        let other = DeviceKey::generate().unwrap();
        assert_eq!(
            verify(&t, other.public_key(), "urn:ams:instance:x").unwrap_err().code(),
            ErrorCode::AgentTokenInvalid
        );
        // time: expired, from the future, too long
        let late = now.unix_timestamp() + 120 + CLOCK_SKEW_SECS;
        assert_eq!(check_claims(&c, &binding(b"{}"), Some(id), late).unwrap_err().code(), ErrorCode::AgentTokenExpired);
        let early = now.unix_timestamp() - CLOCK_SKEW_SECS - 1;
        assert_eq!(
            check_claims(&c, &binding(b"{}"), Some(id), early).unwrap_err().code(),
            ErrorCode::AgentTokenExpired
        );
        let long = k.sign(Some(id), "a", &binding(b"{}"), now, MAX_TOKEN_LIFETIME_SECS + 1).unwrap();
        let c = verify(&long, k.public_key(), "a").unwrap();
        assert_eq!(
            check_claims(&c, &binding(b"{}"), Some(id), now.unix_timestamp()).unwrap_err().code(),
            ErrorCode::AgentTokenExpired
        );
    }

    #[test]
    fn malformed_tokens_are_one_refusal() {
        for t in ["", "a.b.c", "...", &"x".repeat(MAX_TOKEN_LEN + 1), "eyJhbGciOiJub25lIn0.e30."] {
            assert_eq!(parse_header(t, true).unwrap_err().code(), ErrorCode::AgentTokenInvalid, "{t}");
        }
        // a registration token (no kid) is not a device token, and the reverse
        let k = DeviceKey::generate().unwrap();
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let reg = k.sign(None, "a", &binding(b""), now, 60).unwrap();
        assert!(parse_header(&reg, true).is_err());
        let dev = k.sign(Some("6f9619ff-8b86-4011-b42d-00c04fc964ff"), "a", &binding(b""), now, 60).unwrap();
        assert!(parse_header(&dev, false).is_err());
    }
}
