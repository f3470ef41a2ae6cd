//! What an agent does, done server-side: register with a key, check in, seal a secret to the
//! active certificate with its public key only, and upload it through [`Ams::ingest`].

use base64::Engine;
use serde::Serialize;
use zeroize::{Zeroize, Zeroizing};

use crate::ams::Ams;
use crate::clock::parse_time;
use crate::crypto::envelope::{self, EnvelopeContext, OaepHash};
use crate::crypto::seal::{new_id, random_bytes};
use crate::error::{Error, ErrorCode, Result};
use crate::secret::SecretString;
use crate::service::agent_policy::{self, AgentPolicy};
use crate::service::audit::{self, Event, Outcome};
use crate::service::derived::LookupKind;
use crate::service::devices::{DeviceSelector, resolve};
use crate::service::keys::Keyring;
use crate::service::regkeys::find_by_value;
use crate::service::secrets::{IngestReceipt, Upload};
use crate::store::DeviceRow;

/// Operating systems an agent runs on.
pub const OS_TYPES: [&str; 3] = ["Windows", "Linux", "MacOS"];

/// A registration request.
#[derive(Debug, Clone)]
pub struct Registration {
    /// Computer name.
    pub name: String,
    /// `Windows`, `Linux` or `MacOS` (case-insensitive; `macos` accepted).
    pub os: String,
    /// DNS name.
    pub dns_name: Option<String>,
    /// OS version.
    pub os_version: Option<String>,
    /// Agent version.
    pub agent_version: Option<String>,
}

/// What a registering agent gets back.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegistrationResult {
    /// The new device id.
    pub device_id: String,
    /// `Pending` when the key requires approval, else `Approved`.
    pub approval_state: String,
    /// The device credential, shown once; the server keeps only its SHA-256. Empty (and left
    /// out) when the device registered a public key instead (the agent server).
    #[serde(skip_serializing_if = "SecretString::is_empty")]
    pub device_credential: SecretString,
}

/// What a checking-in agent learns.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CheckIn {
    /// Device id.
    pub device_id: String,
    /// Approval state.
    pub approval_state: String,
    /// Disabled flag.
    pub disabled: bool,
    /// True when the agent must set and upload a new password now.
    pub password_change_required: bool,
    /// Why: `NoPassword`, `Expired`, `PolicyChanged` (a policy change shortened the maximum age) or `None`.
    pub reason: String,
    /// The active certificate (base64 DER) when a change is required.
    pub encryption_certificate: Option<String>,
    /// The policy the device follows (see [`crate::service::agent_policy`]).
    pub policy: AgentPolicy,
}

fn normalize_os(os: &str) -> Result<&'static str> {
    OS_TYPES
        .iter()
        .copied()
        .find(|o| o.eq_ignore_ascii_case(os))
        .ok_or_else(|| Error::invalid(format!("'{os}' is not an operating system (windows, linux, macos).")))
}

fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    let ok = !n.is_empty() && n.len() <= 64 && n.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(n.to_string())
    } else {
        Err(Error::invalid("A computer name must be 1 to 64 letters, digits, '-', '_' or '.'."))
    }
}

/// A device SID: `S-1-4096-` and the device id as four 32-bit numbers.
pub fn device_sid(id: &uuid::Uuid) -> String {
    let b = id.as_bytes();
    let part = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    format!("S-1-4096-{}-{}-{}-{}", part(0), part(4), part(8), part(12))
}

impl Ams {
    /// Registers a device with a registration key: checks the key (exists, enabled, activation
    /// limit) and consumes one activation atomically, creates the device (pending when the key
    /// requires approval), puts it into the key's groups and returns a device credential.
    pub fn agent_register(&self, key_value: &str, reg: &Registration) -> Result<RegistrationResult> {
        self.register_device(key_value, reg, None)
    }

    /// [`Ams::agent_register`], or with a device public key instead of a bearer credential.
    pub(crate) fn register_device(
        &self,
        key_value: &str,
        reg: &Registration,
        device_key: Option<&crate::service::device_auth::DevicePublicKey>,
    ) -> Result<RegistrationResult> {
        let name = check_name(&reg.name)?;
        let os = normalize_os(&reg.os)?;
        let id = new_id()?;
        let credential = Zeroizing::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?));
        let now = self.now();
        let result = (|| {
            // Lookup hashes are keyed with a key derived from the master key: registration needs it.
            let keys = self.derived_keys(&self.unlock()?)?;
            let cred_hash = keys.lookup_hash(LookupKind::DeviceCredential, credential.as_bytes());
            self.store.write(|tx| {
            let Some(mut key) = find_by_value(tx, &keys, key_value)? else {
                return Err(Error::new(ErrorCode::RegKeyInvalid, "The registration key is not valid."));
            };
            if !key.enabled {
                return Err(Error::new(ErrorCode::RegKeyDisabled, "The registration key is disabled.").with("key_id", &key.id));
            }
            if key.activation_limit > 0 && key.activation_count >= key.activation_limit {
                return Err(Error::new(ErrorCode::RegKeyExhausted, "The registration key has reached its activation limit.")
                    .hint("Raise the limit or reset the count with `ams device-registration-key set`.")
                    .with("key_id", &key.id));
            }
            key.activation_count += 1;
            key.modified_at = now.clone();
            tx.update_reg_key(&key)?;
            let instance = tx.instance()?.map(|i| i.id).unwrap_or_default();
            let state = if key.approval_required { "Pending" } else { "Approved" };
            let device = DeviceRow {
                id: id.to_string(),
                name: name.clone(),
                dns_name: reg.dns_name.clone().filter(|s| !s.is_empty()),
                authority_type: "Ams".into(),
                authority_id: instance,
                authority_device_id: id.to_string(),
                sid: device_sid(&id),
                os_type: os.into(),
                os_family: Some(os.into()),
                os_version: reg.os_version.clone(),
                agent_version: reg.agent_version.clone(),
                approval_state: state.into(),
                disabled: false,
                registration_key_id: Some(key.id.clone()),
                credential_hash: device_key.is_none().then(|| cred_hash.clone()),
                created_at: now.clone(),
                modified_at: now.clone(),
            };
            tx.insert_device(&device)?;
            if let Some(k) = device_key {
                crate::service::device_auth::store_key(tx, &device.id, k, &now)?;
            }
            for g in tx.reg_key_group_ids(&key.id)? {
                tx.add_group_member(&g, &device.id, &now)?;
            }
            audit::record(
                self,
                tx,
                Event::success("agent.register", "device", &device.id)
                    .details(serde_json::json!({"Name": name, "RegistrationKeyId": key.id, "ApprovalState": state, "OperatingSystem": os})),
            )?;
            Ok(RegistrationResult {
                device_id: device.id,
                approval_state: state.into(),
                device_credential: SecretString::default(),
            })
            })
        })();
        match result {
            Ok(mut r) => {
                if device_key.is_none() {
                    r.device_credential = SecretString::new(credential.to_string());
                }
                Ok(r)
            }
            Err(e) => {
                let _ = self.store.write(|tx| {
                    audit::record(
                        self,
                        tx,
                        Event {
                            event: "agent.register",
                            outcome: Outcome::Denied,
                            target_type: None,
                            target_id: None,
                            details: serde_json::json!({"Name": name, "Error": e.code().as_str()}),
                        },
                    )
                });
                Err(e)
            }
        }
    }

    /// The agent's check-in: its state, and whether it must rotate its password now.
    pub fn agent_check_in(&self, device_id: &str) -> Result<CheckIn> {
        let now = self.now_time();
        let (d, current, cert, policy, marked) = self.store.read(|tx| {
            let d = resolve(tx, &DeviceSelector::Id(device_id.to_string()))?;
            let policy = agent_policy::with_words(tx, agent_policy::resolve(tx, &d)?)?;
            let marked = tx.rotation_mark(&d.id)?.is_some();
            Ok((d.clone(), tx.current_password(&d.id)?, tx.active_cert()?, policy, marked))
        })?;
        let reason = match &current {
            None => "NoPassword",
            Some(p) if p.expires_at.as_deref().and_then(|e| parse_time(e).ok()).is_some_and(|e| e <= now) => "Expired",
            Some(_) if marked => "PolicyChanged",
            Some(_) => "None",
        };
        // A policy that turns password management off never asks for a rotation.
        let required =
            reason != "None" && d.approval_state == "Approved" && !d.disabled && policy.password_management_enabled;
        Ok(CheckIn {
            device_id: d.id,
            approval_state: d.approval_state,
            disabled: d.disabled,
            password_change_required: required,
            reason: reason.into(),
            encryption_certificate: if required {
                cert.map(|c| base64::engine::general_purpose::STANDARD.encode(c.der))
            } else {
                None
            },
            policy,
        })
    }

    /// Agent side then server side: seals `secret` to the active certificate using only its
    /// public key, exactly as an agent would, and hands the blob to [`Ams::ingest`].
    pub fn agent_upload(
        &self,
        keyring: &Keyring,
        device_id: &str,
        upload: &Upload,
        secret: &[u8],
        oaep: OaepHash,
    ) -> Result<IngestReceipt> {
        let cert = self.active_certificate_der()?;
        let blob = seal_upload(&cert, device_id, upload, secret, oaep)?;
        self.ingest(keyring, device_id, upload, &blob)
    }
}

/// The agent side of an upload: seals `secret` for `device_id` to a certificate, using only its
/// public key. Local uploads and the reference agent both seal here.
pub fn seal_upload(
    certificate_der: &[u8],
    device_id: &str,
    upload: &Upload,
    secret: &[u8],
    oaep: OaepHash,
) -> Result<Vec<u8>> {
    let subject = upload.subject();
    envelope::seal(
        certificate_der,
        oaep,
        &EnvelopeContext { kind: upload.kind(), device_id, subject: Some(&subject) },
        secret,
    )
}

/// How an agent makes a new password.
#[derive(Debug, Clone)]
pub enum PasswordPolicy {
    /// Random characters.
    Characters {
        /// Length, 8 to 256.
        length: usize,
        /// a-z (without l, o).
        lower: bool,
        /// A-Z (without I, O).
        upper: bool,
        /// 0-9.
        digits: bool,
        /// Symbols.
        symbols: bool,
        /// Characters never used.
        exclude: String,
    },
    /// Words from a list.
    Passphrase {
        /// The word list (at least 2000 words).
        words: Vec<String>,
        /// How many words, 3 to 20.
        count: usize,
        /// Between words.
        separator: String,
        /// Capitalise each word.
        capitalize: bool,
        /// Characters appended after the words (after one more separator); empty for none.
        extra_alphabet: String,
        /// How many extra characters.
        extra_count: usize,
        /// Draw again until the passphrase is at least this long (0 = any length).
        minimum_length: usize,
    },
}

/// Lower-case letters an agent uses (no l, o).
pub const LOWER: &str = "abcdefghijkmnpqrstuvwxyz";
/// Upper-case letters an agent uses (no I, O).
pub const UPPER: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ";
/// Digits.
pub const DIGITS: &str = "0123456789";
/// Symbols.
pub const SYMBOLS: &str = "!@#$%^&*-+=<>?,.";

/// A uniform random index below `n` (rejection sampling; `n` > 0).
fn uniform(n: usize) -> Result<usize> {
    let n32 = u32::try_from(n).map_err(|_| Error::internal("range too large"))?;
    if n32 == 0 {
        return Err(Error::internal("empty range"));
    }
    let zone = u32::MAX - (u32::MAX % n32);
    loop {
        let v = u32::from_le_bytes(random_bytes::<4>()?);
        if v < zone {
            return usize::try_from(v % n32).map_err(|_| Error::internal("index"));
        }
    }
}

fn pick_char(set: &[char]) -> Result<char> {
    set.get(uniform(set.len())?).copied().ok_or_else(|| Error::internal("index"))
}

impl PasswordPolicy {
    /// Makes a password following the policy.
    pub fn generate(&self) -> Result<Zeroizing<String>> {
        match self {
            PasswordPolicy::Characters { length, lower, upper, digits, symbols, exclude } => {
                if !(8..=256).contains(length) {
                    return Err(Error::new(ErrorCode::PasswordPolicyInvalid, "The password length must be 8 to 256."));
                }
                let classes: Vec<Vec<char>> =
                    [(*lower, LOWER), (*upper, UPPER), (*digits, DIGITS), (*symbols, SYMBOLS)]
                        .iter()
                        .filter(|(on, _)| *on)
                        .map(|(_, s)| s.chars().filter(|c| !exclude.contains(*c)).collect::<Vec<char>>())
                        .collect();
                if classes.is_empty() {
                    return Err(Error::new(
                        ErrorCode::PasswordPolicyInvalid,
                        "At least one character class must be enabled.",
                    ));
                }
                if classes.iter().any(Vec::is_empty) {
                    return Err(Error::new(
                        ErrorCode::PasswordPolicyInvalid,
                        "The excluded characters leave an enabled character class empty.",
                    ));
                }
                if classes.len() > *length {
                    return Err(Error::new(
                        ErrorCode::PasswordPolicyInvalid,
                        "The password is too short for its classes.",
                    ));
                }
                let all: Vec<char> = classes.concat();
                // Draw until every chosen class appears; with length >= 8 this ends quickly.
                loop {
                    let mut pw = Zeroizing::new(String::with_capacity(*length));
                    for _ in 0..*length {
                        pw.push(pick_char(&all)?);
                    }
                    if classes.iter().all(|c| pw.chars().any(|ch| c.contains(&ch))) {
                        return Ok(pw);
                    }
                }
            }
            PasswordPolicy::Passphrase {
                words,
                count,
                separator,
                capitalize,
                extra_alphabet,
                extra_count,
                minimum_length,
            } => {
                if words.len() < 2000 {
                    return Err(Error::new(ErrorCode::PasswordPolicyInvalid, "A word list needs at least 2000 words."));
                }
                if !(3..=20).contains(count) {
                    return Err(Error::new(ErrorCode::PasswordPolicyInvalid, "A passphrase needs 3 to 20 words."));
                }
                let extras: Vec<char> = extra_alphabet.chars().collect();
                if *extra_count > 0 && extras.is_empty() {
                    return Err(Error::new(ErrorCode::PasswordPolicyInvalid, "Extra characters need an alphabet."));
                }
                // A minimum length the words cannot reach is refused when the policy is saved;
                // the bound keeps a bad one from looping here.
                for _ in 0..10_000 {
                    let mut parts: Vec<String> = Vec::with_capacity(*count + 1);
                    for _ in 0..*count {
                        let w = words.get(uniform(words.len())?).ok_or_else(|| Error::internal("index"))?;
                        parts.push(if *capitalize {
                            let mut c = w.chars();
                            c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
                        } else {
                            w.clone()
                        });
                    }
                    if *extra_count > 0 {
                        let mut tail = String::with_capacity(*extra_count);
                        for _ in 0..*extra_count {
                            tail.push(pick_char(&extras)?);
                        }
                        parts.push(tail);
                    }
                    let pw = Zeroizing::new(parts.join(separator));
                    parts.iter_mut().for_each(|p| p.zeroize());
                    if pw.chars().count() >= *minimum_length {
                        return Ok(pw);
                    }
                }
                Err(Error::new(ErrorCode::PasswordPolicyInvalid, "The passphrase minimum length cannot be reached."))
            }
        }
    }
}

/// Reads a word list: one ASCII word per line, blank lines ignored.
pub fn parse_word_list(text: &str) -> Result<Vec<String>> {
    let words: Vec<String> = text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect();
    if let Some(bad) = words.iter().position(|w| !w.chars().all(|c| c.is_ascii_alphabetic())) {
        return Err(Error::new(
            ErrorCode::PasswordPolicyInvalid,
            format!("Word list line {} is not a single ASCII word.", bad + 1),
        ));
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_follow_the_policy() {
        let p = PasswordPolicy::Characters {
            length: 20,
            lower: true,
            upper: true,
            digits: true,
            symbols: false,
            exclude: String::new(),
        };
        for _ in 0..50 {
            let pw = p.generate().unwrap();
            assert_eq!(pw.chars().count(), 20);
            assert!(pw.chars().any(|c| c.is_ascii_lowercase()));
            assert!(pw.chars().any(|c| c.is_ascii_uppercase()));
            assert!(pw.chars().any(|c| c.is_ascii_digit()));
            assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()));
            assert!(!pw.contains('l') && !pw.contains('O'));
        }
        let bad = PasswordPolicy::Characters {
            length: 4,
            lower: true,
            upper: false,
            digits: false,
            symbols: false,
            exclude: String::new(),
        };
        assert_eq!(bad.generate().unwrap_err().code(), ErrorCode::PasswordPolicyInvalid);
        let none = PasswordPolicy::Characters {
            length: 12,
            lower: false,
            upper: false,
            digits: false,
            symbols: false,
            exclude: String::new(),
        };
        assert_eq!(none.generate().unwrap_err().code(), ErrorCode::PasswordPolicyInvalid);
    }

    #[test]
    fn passphrases_use_the_word_list() {
        let words: Vec<String> = (0..2000).map(|i| format!("w{}", "a".repeat(i % 7 + 1))).collect();
        let p = PasswordPolicy::Passphrase {
            words: words.clone(),
            count: 4,
            separator: "-".into(),
            capitalize: true,
            extra_alphabet: String::new(),
            extra_count: 0,
            minimum_length: 0,
        };
        let pw = p.generate().unwrap();
        assert_eq!(pw.split('-').count(), 4);
        assert!(pw.split('-').all(|w| w.starts_with('W')));
        assert!(parse_word_list("alpha\n\nbeta\n").unwrap().len() == 2);
        assert!(parse_word_list("alpha\nbe ta\n").is_err());
    }

    #[test]
    fn uniform_stays_in_range() {
        for n in [1usize, 2, 3, 7, 1000] {
            for _ in 0..100 {
                assert!(uniform(n).unwrap() < n);
            }
        }
    }
}
