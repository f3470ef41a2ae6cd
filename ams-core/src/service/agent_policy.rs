//! Agent policies: what each device is told to do at check-in (docs/agent-policies.md).
//!
//! Each operating system has one default policy and any number of custom policies in an order.
//! A device follows the first enabled custom policy of its operating system whose targets
//! include it (the device itself, one of its custom groups, or one of its built-in groups); when
//! none does, the default. [`resolve`] is the one place this is computed: the local
//! `ams agent check-in`, the agent server's check-in, uploads and `ams agent-policy resolve` all
//! go through it.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::ams::Ams;
use crate::clock::parse_time;
use crate::crypto::seal::new_id;
use crate::error::{Error, ErrorCode, Result};
use crate::service::agent::{DIGITS, LOWER, OS_TYPES, PasswordPolicy, SYMBOLS, UPPER};
use crate::service::audit::{self, Event};
use crate::service::devices::{DeviceSelector, resolve as resolve_device};
use crate::service::groups::{device_group_sids_in, find_group_in};
use crate::service::settings::{PASSWORD_HISTORY_KEEP_COUNT, PASSWORD_HISTORY_KEEP_DAYS, PASSWORD_MAX_AGE_DAYS};
use crate::service::word_lists::{self, BUILTIN_ID};
use crate::store::{AgentPolicyRow, DeviceRow, PolicyTargetRow, ReadTx, RotationMarkRow, Tx, on_unique};

/// The entropy floor: settings that give fewer bits are refused ([`ErrorCode::PolicyEntropyTooLow`]).
pub const MIN_ENTROPY_BITS: f64 = 64.0;
/// Generated password length when no policy says otherwise.
pub const DEFAULT_PASSWORD_LENGTH: usize = 16;
/// Minutes between check-ins when no policy says otherwise.
pub const DEFAULT_CHECK_IN_MINUTES: i64 = 60;
/// The mark reason set when a change shortens a device's maximum password age.
pub const MARK_MAX_AGE_SHORTENED: &str = "PolicyMaximumAgeShortened";

/// How passwords are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum GenerationMode {
    /// Random characters.
    #[default]
    Password,
    /// Words from a word list.
    Passphrase,
}

/// What goes between passphrase words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Separator {
    /// A space.
    Space,
    /// `-`.
    #[default]
    Hyphen,
    /// `_`.
    Underscore,
}

impl Separator {
    /// The separator text.
    pub fn as_str(self) -> &'static str {
        match self {
            Separator::Space => " ",
            Separator::Hyphen => "-",
            Separator::Underscore => "_",
        }
    }
}

/// Characters appended to a passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Extra {
    /// Nothing.
    #[default]
    None,
    /// Digits.
    Numbers,
    /// Symbols.
    Symbols,
    /// Digits and symbols.
    NumbersAndSymbols,
}

impl Extra {
    /// The alphabet extra characters are drawn from.
    pub fn alphabet(self) -> String {
        match self {
            Extra::None => String::new(),
            Extra::Numbers => DIGITS.into(),
            Extra::Symbols => SYMBOLS.into(),
            Extra::NumbersAndSymbols => format!("{DIGITS}{SYMBOLS}"),
        }
    }
}

/// Random-character password settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct PasswordSettings {
    /// Length, 8 to 256.
    pub length: usize,
    /// a-z (without l, o).
    pub lower_case: bool,
    /// A-Z (without I, O).
    pub upper_case: bool,
    /// 0-9.
    pub digits: bool,
    /// Symbols (`!@#$%^&*-+=<>?,.`).
    pub symbols: bool,
    /// Characters never used (at most 64).
    pub exclude_characters: String,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        PasswordSettings {
            length: DEFAULT_PASSWORD_LENGTH,
            lower_case: true,
            upper_case: true,
            digits: true,
            symbols: false,
            exclude_characters: String::new(),
        }
    }
}

impl PasswordSettings {
    /// The generator for these settings.
    pub fn generator(&self) -> PasswordPolicy {
        PasswordPolicy::Characters {
            length: self.length,
            lower: self.lower_case,
            upper: self.upper_case,
            digits: self.digits,
            symbols: self.symbols,
            exclude: self.exclude_characters.clone(),
        }
    }

    /// The characters a password may contain, per enabled class, exclusions removed.
    pub fn classes(&self) -> Vec<Vec<char>> {
        [(self.lower_case, LOWER), (self.upper_case, UPPER), (self.digits, DIGITS), (self.symbols, SYMBOLS)]
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, s)| s.chars().filter(|c| !self.exclude_characters.contains(*c)).collect())
            .collect()
    }

    /// Bits of entropy: length times log2 of the alphabet size.
    pub fn entropy_bits(&self) -> f64 {
        let n: usize = self.classes().iter().map(Vec::len).sum();
        if n == 0 { 0.0 } else { self.length as f64 * (n as f64).log2() }
    }
}

/// Passphrase settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct PassphraseSettings {
    /// The word list id (`eff-large`, the built-in list, or a custom list's id).
    pub word_list: String,
    /// Number of words, 3 to 20.
    pub word_count: usize,
    /// Between words.
    pub separator: Separator,
    /// Capitalise each word.
    pub capitalize: bool,
    /// Characters appended after the words.
    pub extra: Extra,
    /// How many extra characters, 0 to 10 (at least 1 when `Extra` is not `None`).
    pub extra_count: usize,
    /// Shortest passphrase (0 = any); the agent draws again until it is reached.
    pub minimum_length: usize,
}

impl Default for PassphraseSettings {
    fn default() -> Self {
        PassphraseSettings {
            word_list: BUILTIN_ID.into(),
            word_count: 6,
            separator: Separator::Hyphen,
            capitalize: true,
            extra: Extra::None,
            extra_count: 0,
            minimum_length: 0,
        }
    }
}

impl PassphraseSettings {
    /// Bits of entropy: word count times log2 of the list size, plus the extra characters.
    pub fn entropy_bits(&self, list_size: usize) -> f64 {
        let extra = self.extra.alphabet().chars().count();
        let extra_bits = if extra == 0 { 0.0 } else { self.extra_count as f64 * (extra as f64).log2() };
        self.word_count as f64 * word_lists::bits_per_word(list_size) + extra_bits
    }
}

/// BitLocker key backup (Windows only; ams never turns BitLocker on).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct BitLockerSettings {
    /// Back up the operating system drive's recovery password.
    pub backup_os_drive: bool,
    /// Back up fixed data drives.
    pub backup_fixed_drives: bool,
    /// Back up removable drives.
    pub backup_removable_drives: bool,
}

impl Default for BitLockerSettings {
    fn default() -> Self {
        BitLockerSettings { backup_os_drive: true, backup_fixed_drives: true, backup_removable_drives: false }
    }
}

/// The settings of a policy, as stored (JSON, PascalCase; missing fields take their defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default, deny_unknown_fields)]
pub struct PolicySettings {
    /// Minutes between check-ins, 5 to 10080.
    pub check_in_interval_minutes: i64,
    /// Manage the local account's password at all.
    pub password_management_enabled: bool,
    /// The account to manage; `null` for the built-in one (Administrator, or root).
    pub account_name: Option<String>,
    /// Days a password is valid, 1 to 3650; `null` for the farm-wide PasswordMaximumAgeDays.
    pub password_maximum_age_days: Option<i64>,
    /// Retired passwords kept, 0 to 10000; `null` for the farm-wide value.
    pub history_keep_count: Option<i64>,
    /// Days retired passwords are kept, 0 to 36500; `null` for the farm-wide value.
    pub history_keep_days: Option<i64>,
    /// `Password` (random characters) or `Passphrase`.
    pub generation_mode: GenerationMode,
    /// Random-character settings.
    pub password: PasswordSettings,
    /// Passphrase settings.
    pub passphrase: PassphraseSettings,
    /// Refuse uploaded passwords shorter or simpler than these settings.
    pub refuse_weak_uploads: bool,
    /// BitLocker key backup (Windows).
    pub bit_locker: BitLockerSettings,
}

impl Default for PolicySettings {
    fn default() -> Self {
        PolicySettings {
            check_in_interval_minutes: DEFAULT_CHECK_IN_MINUTES,
            password_management_enabled: true,
            account_name: None,
            password_maximum_age_days: None,
            history_keep_count: None,
            history_keep_days: None,
            generation_mode: GenerationMode::Password,
            password: PasswordSettings::default(),
            passphrase: PassphraseSettings::default(),
            refuse_weak_uploads: true,
            bit_locker: BitLockerSettings::default(),
        }
    }
}

fn bad(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::PolicyInvalid, message)
}

fn in_range(name: &str, v: i64, lo: i64, hi: i64) -> Result<()> {
    if (lo..=hi).contains(&v) {
        Ok(())
    } else {
        Err(bad(format!("{name} must be {lo} to {hi}.")).with("setting", name))
    }
}

impl PolicySettings {
    /// Parses stored settings.
    pub fn parse(json: &str) -> Result<PolicySettings> {
        serde_json::from_str(json).map_err(|e| bad(format!("The policy settings are not valid: {e}.")))
    }

    /// Checks every value; returns the entropy of the mode in force.
    pub(crate) fn validate(&self, tx: &(impl ReadTx + ?Sized)) -> Result<f64> {
        in_range("CheckInIntervalMinutes", self.check_in_interval_minutes, 5, 10_080)?;
        if let Some(a) = &self.account_name {
            let ok = !a.trim().is_empty()
                && a.chars().count() <= 64
                && !a.chars().any(|c| c.is_control() || "\"/\\[]:;|=,+*?<>".contains(c));
            if !ok {
                return Err(bad(
                    "AccountName must be 1 to 64 characters without control characters or \"/\\[]:;|=,+*?<>.",
                ));
            }
        }
        if let Some(d) = self.password_maximum_age_days {
            in_range("PasswordMaximumAgeDays", d, 1, 3650)?;
        }
        if let Some(n) = self.history_keep_count {
            in_range("HistoryKeepCount", n, 0, 10_000)?;
        }
        if let Some(n) = self.history_keep_days {
            in_range("HistoryKeepDays", n, 0, 36_500)?;
        }
        let p = &self.password;
        if !(8..=256).contains(&p.length) {
            return Err(bad("Password.Length must be 8 to 256."));
        }
        if p.exclude_characters.chars().count() > 64 || p.exclude_characters.chars().any(|c| !c.is_ascii_graphic()) {
            return Err(bad("Password.ExcludeCharacters must be at most 64 printable ASCII characters."));
        }
        let classes = p.classes();
        if classes.is_empty() {
            return Err(bad("Password settings need at least one character class."));
        }
        if classes.iter().any(|c| c.len() < 2) {
            return Err(bad(
                "Password.ExcludeCharacters leaves an enabled character class with fewer than 2 characters.",
            ));
        }
        let pp = &self.passphrase;
        if !(3..=20).contains(&pp.word_count) {
            return Err(bad("Passphrase.WordCount must be 3 to 20."));
        }
        if pp.extra_count > 10 {
            return Err(bad("Passphrase.ExtraCount must be 0 to 10."));
        }
        if (pp.extra == Extra::None) != (pp.extra_count == 0) {
            return Err(bad(
                "Passphrase.Extra and Passphrase.ExtraCount go together: both none, or a kind and a count.",
            ));
        }
        let list = word_lists::find_in(tx, &pp.word_list).map_err(|e| {
            if e.code() == ErrorCode::WordListNotFound { bad("Passphrase.WordList names no word list.") } else { e }
        })?;
        let longest = pp.word_count * word_lists::MAX_WORD_LEN + pp.word_count + pp.extra_count;
        if pp.minimum_length > 256 || pp.minimum_length > longest {
            return Err(bad("Passphrase.MinimumLength cannot be reached with these settings."));
        }
        let bits = match self.generation_mode {
            GenerationMode::Password => p.entropy_bits(),
            GenerationMode::Passphrase => pp.entropy_bits(list.word_count),
        };
        if bits < MIN_ENTROPY_BITS {
            let hint = match self.generation_mode {
                GenerationMode::Password => "Make the password longer or enable more character classes.",
                GenerationMode::Passphrase => "Use more words, a larger word list, or extra characters.",
            };
            return Err(Error::new(
                ErrorCode::PolicyEntropyTooLow,
                format!("These settings give {:.1} bits of entropy; at least {MIN_ENTROPY_BITS} are needed.", bits),
            )
            .hint(hint)
            .with("entropy_bits", format!("{bits:.1}")));
        }
        Ok(bits)
    }
}

/// Merges a partial settings document into a full one: objects merge key by key, anything
/// else (including `null`) replaces.
fn merge(base: &mut serde_json::Value, patch: &serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (b, p) => *b = p.clone(),
    }
}

/// `base` with the partial settings `patch` (a JSON object) applied.
pub fn apply_patch(base: &PolicySettings, patch: &serde_json::Value) -> Result<PolicySettings> {
    if !patch.is_object() {
        return Err(bad("Policy settings must be a JSON object."));
    }
    let mut v = serde_json::to_value(base).map_err(|_| Error::internal("settings"))?;
    merge(&mut v, patch);
    serde_json::from_value(v).map_err(|e| bad(format!("The policy settings are not valid: {e}.")))
}

/// A policy target as shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetInfo {
    /// `Device` or `Group`.
    pub r#type: String,
    /// Device or group id.
    pub id: String,
    /// SID.
    pub sid: String,
}

/// A target as given: a device or a group, by id (or SID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetSpec {
    /// A device id.
    Device(String),
    /// A group id or SID (custom or built-in).
    Group(String),
}

/// A policy as shown to people.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentPolicyInfo {
    /// Policy id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// `Windows`, `Linux` or `MacOS`.
    pub operating_system: String,
    /// Evaluation order among the custom policies of the OS (1 first); 0 for the default.
    pub order: i64,
    /// Enabled.
    pub enabled: bool,
    /// The OS default.
    pub is_default: bool,
    /// Targets (empty for a default).
    pub targets: Vec<TargetInfo>,
    /// Settings.
    pub settings: PolicySettings,
    /// Bits of entropy of the generation mode in force.
    pub entropy_bits: f64,
    /// Created at.
    pub created: String,
    /// Modified at.
    pub modified: String,
    /// Devices this change marked for rotation at their next check-in (answers to changes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices_marked_for_rotation: Option<usize>,
}

/// Passphrase settings as a device gets them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResolvedPassphrase {
    /// Word list id.
    pub word_list_id: String,
    /// Word list name.
    pub word_list_name: String,
    /// Word list SHA-256 (hex, of the sorted words joined by newlines).
    pub word_list_sha256: String,
    /// Words in the list.
    pub word_list_size: usize,
    /// Number of words.
    pub word_count: usize,
    /// Separator text.
    pub separator: String,
    /// Capitalise each word.
    pub capitalize: bool,
    /// `None`, `Numbers`, `Symbols` or `NumbersAndSymbols`.
    pub extra: Extra,
    /// How many extra characters.
    pub extra_count: usize,
    /// Shortest passphrase.
    pub minimum_length: usize,
    /// The words (only in check-in answers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<String>,
}

/// The policy a device follows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AgentPolicy {
    /// `DefaultPolicy` or `CustomPolicy`.
    pub source: String,
    /// The policy id.
    pub policy_id: String,
    /// The policy name.
    pub policy_name: String,
    /// The operating system it is for.
    pub operating_system: String,
    /// Manage the local account's password at all.
    pub password_management_enabled: bool,
    /// The local account whose password the agent manages.
    pub account_name: String,
    /// Days a password is valid before the agent must rotate it.
    pub password_maximum_age_days: i64,
    /// Retired passwords always kept.
    pub history_keep_count: i64,
    /// Retired passwords younger than this many days are kept.
    pub history_keep_days: i64,
    /// Minutes between check-ins.
    pub check_in_interval_minutes: i64,
    /// `Password` or `Passphrase`.
    pub generation_mode: GenerationMode,
    /// Random-character settings (used in `Password` mode).
    pub password: PasswordSettings,
    /// Passphrase settings (in `Passphrase` mode).
    pub passphrase: Option<ResolvedPassphrase>,
    /// Uploads weaker than the settings are refused.
    pub refuse_weak_uploads: bool,
    /// BitLocker backup (Windows only).
    pub bit_locker: Option<BitLockerSettings>,
    /// Bits of entropy of the generation mode in force.
    pub entropy_bits: f64,
}

impl AgentPolicy {
    /// The generator for this policy. Passphrase mode needs the words (check-in answers carry them).
    pub fn generator(&self) -> Result<PasswordPolicy> {
        match (&self.generation_mode, &self.passphrase) {
            (GenerationMode::Passphrase, Some(p)) => {
                if p.words.is_empty() {
                    return Err(Error::new(ErrorCode::PolicyInvalid, "The policy's word list was not delivered."));
                }
                Ok(PasswordPolicy::Passphrase {
                    words: p.words.clone(),
                    count: p.word_count,
                    separator: p.separator.clone(),
                    capitalize: p.capitalize,
                    extra_alphabet: p.extra.alphabet(),
                    extra_count: p.extra_count,
                    minimum_length: p.minimum_length,
                })
            }
            _ => Ok(self.password.generator()),
        }
    }

    /// Refuses a password shorter or simpler than the policy when it asks for that: in password
    /// mode, fewer characters than the length or a missing enabled class; in passphrase mode,
    /// fewer separated parts than words, or shorter than the minimum length.
    pub fn check_upload(&self, password: &str) -> Result<()> {
        if !self.refuse_weak_uploads {
            return Ok(());
        }
        let weak = |why: &str| {
            Error::new(
                ErrorCode::PolicyPasswordWeak,
                format!("The password is weaker than the device's agent policy: {why}."),
            )
            .hint("Generate it by the policy the check-in returns (`ams agent submit-password --generate`).")
            .with("policy_id", &self.policy_id)
        };
        let len = password.chars().count();
        match (&self.generation_mode, &self.passphrase) {
            (GenerationMode::Passphrase, Some(p)) => {
                let parts = password.split(p.separator.as_str()).filter(|s| !s.is_empty()).count();
                if parts < p.word_count {
                    return Err(weak("fewer words than the policy asks for"));
                }
                if len < p.minimum_length {
                    return Err(weak("shorter than the minimum length"));
                }
            }
            _ => {
                let s = &self.password;
                if len < s.length {
                    return Err(weak("shorter than the policy's length"));
                }
                let checks: [(bool, CharTest, &str); 4] = [
                    (s.lower_case, char::is_ascii_lowercase, "no lower-case letter"),
                    (s.upper_case, char::is_ascii_uppercase, "no upper-case letter"),
                    (s.digits, char::is_ascii_digit, "no digit"),
                    (s.symbols, |c: &char| !c.is_alphanumeric() && !c.is_whitespace(), "no symbol"),
                ];
                for (on, has, why) in checks {
                    if on && !password.chars().any(|c| has(&c)) {
                        return Err(weak(why));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A test on one character (a character class).
type CharTest = fn(&char) -> bool;

/// Why a policy did or did not apply, one line per policy considered.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PolicyStep {
    /// Policy id.
    pub policy_id: String,
    /// Name.
    pub name: String,
    /// Order (0 for the default).
    pub order: i64,
    /// `Applied`, `Disabled`, `NoMatchingTarget` or `NotReached`.
    pub outcome: String,
    /// The target SID that matched, when one did.
    pub matched_target: Option<String>,
}

/// The answer to `ams agent-policy resolve`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resolution {
    /// Device id.
    pub device_id: String,
    /// The device's SIDs considered (its own and its groups').
    pub device_sids: Vec<String>,
    /// The policy that applies.
    pub policy: AgentPolicy,
    /// One sentence saying why.
    pub reason: String,
    /// Every policy of the OS in evaluation order, with its outcome.
    pub steps: Vec<PolicyStep>,
    /// True when the device is marked to rotate at its next check-in.
    pub rotation_marked: bool,
}

/// The first enabled custom policy (in the given order) with a target among `sids`: its index
/// and the matching SID. The rule in one place, used by [`resolve`].
pub fn first_match<'a>(custom: &'a [(bool, Vec<String>)], sids: &BTreeSet<String>) -> Option<(usize, &'a String)> {
    custom
        .iter()
        .enumerate()
        .filter(|(_, (enabled, _))| *enabled)
        .find_map(|(i, (_, targets))| targets.iter().find(|t| sids.contains(&t.to_ascii_uppercase())).map(|t| (i, t)))
}

fn device_sids(tx: &(impl ReadTx + ?Sized), d: &DeviceRow) -> Result<BTreeSet<String>> {
    let mut s: BTreeSet<String> = device_group_sids_in(tx, d)?.into_iter().map(|x| x.to_ascii_uppercase()).collect();
    s.insert(d.sid.to_ascii_uppercase());
    Ok(s)
}

fn default_account(os: &str) -> &'static str {
    if os == "Windows" { "Administrator" } else { "root" }
}

/// Resolves the policy of a device, with the explanation.
pub(crate) fn resolve_explained(tx: &(impl ReadTx + ?Sized), d: &DeviceRow) -> Result<Resolution> {
    let rows = tx.agent_policies(Some(&d.os_type))?;
    let sids = device_sids(tx, d)?;
    let (defaults, custom): (Vec<&AgentPolicyRow>, Vec<&AgentPolicyRow>) = rows.iter().partition(|r| r.is_default);
    let mut spec = Vec::with_capacity(custom.len());
    for r in &custom {
        let t = tx.agent_policy_targets(&r.id)?.into_iter().map(|t| t.target_sid).collect();
        spec.push((r.enabled, t));
    }
    let hit = first_match(&spec, &sids);
    let mut steps = Vec::new();
    for (i, r) in custom.iter().enumerate() {
        let outcome = match hit {
            Some((h, _)) if h == i => "Applied",
            Some((h, _)) if i > h => "NotReached",
            _ if !r.enabled => "Disabled",
            _ => "NoMatchingTarget",
        };
        steps.push(PolicyStep {
            policy_id: r.id.clone(),
            name: r.name.clone(),
            order: r.position,
            outcome: outcome.into(),
            matched_target: hit.filter(|(h, _)| *h == i).map(|(_, s)| s.clone()),
        });
    }
    let (row, reason) = match hit {
        Some((i, sid)) => {
            let r = custom.get(i).copied().ok_or_else(|| Error::internal("policy index"))?;
            let what =
                if sid.eq_ignore_ascii_case(&d.sid) { "the device itself".to_string() } else { format!("group {sid}") };
            (
                r,
                format!(
                    "Custom policy '{}' (order {}) is the first enabled {} policy whose targets include the device: it targets {what}.",
                    r.name, r.position, d.os_type
                ),
            )
        }
        None => {
            let r = defaults.first().copied().ok_or_else(|| {
                Error::new(ErrorCode::PolicyNotFound, "The operating system has no default agent policy.")
                    .with("operating_system", &d.os_type)
            })?;
            let why = if custom.is_empty() {
                format!("No custom {} policy exists, so the default applies.", d.os_type)
            } else {
                format!(
                    "No enabled custom {} policy targets the device or its groups, so the default applies.",
                    d.os_type
                )
            };
            (r, why)
        }
    };
    if let Some(dflt) = defaults.first() {
        steps.push(PolicyStep {
            policy_id: dflt.id.clone(),
            name: dflt.name.clone(),
            order: 0,
            outcome: if row.is_default { "Applied".into() } else { "NotReached".into() },
            matched_target: None,
        });
    }
    let policy = effective(tx, row, &d.os_type)?;
    Ok(Resolution {
        device_id: d.id.clone(),
        device_sids: sids.into_iter().collect(),
        policy,
        reason,
        steps,
        rotation_marked: tx.rotation_mark(&d.id)?.is_some(),
    })
}

/// The policy for a device: the one place it is computed.
pub(crate) fn resolve(tx: &(impl ReadTx + ?Sized), device: &DeviceRow) -> Result<AgentPolicy> {
    Ok(resolve_explained(tx, device)?.policy)
}

/// A policy row made concrete: farm-wide values filled in, the word list looked up.
fn effective(tx: &(impl ReadTx + ?Sized), row: &AgentPolicyRow, os: &str) -> Result<AgentPolicy> {
    let s = PolicySettings::parse(&row.settings)?;
    let passphrase = if s.generation_mode == GenerationMode::Passphrase {
        let l = word_lists::find_in(tx, &s.passphrase.word_list)?;
        Some(ResolvedPassphrase {
            word_list_id: l.id,
            word_list_name: l.name,
            word_list_sha256: l.sha256,
            word_list_size: l.word_count,
            word_count: s.passphrase.word_count,
            separator: s.passphrase.separator.as_str().into(),
            capitalize: s.passphrase.capitalize,
            extra: s.passphrase.extra,
            extra_count: s.passphrase.extra_count,
            minimum_length: s.passphrase.minimum_length,
            words: Vec::new(),
        })
    } else {
        None
    };
    let entropy_bits = match &passphrase {
        Some(p) => s.passphrase.entropy_bits(p.word_list_size),
        None => s.password.entropy_bits(),
    };
    Ok(AgentPolicy {
        source: if row.is_default { "DefaultPolicy".into() } else { "CustomPolicy".into() },
        policy_id: row.id.clone(),
        policy_name: row.name.clone(),
        operating_system: os.into(),
        password_management_enabled: s.password_management_enabled,
        account_name: s.account_name.clone().unwrap_or_else(|| default_account(os).into()),
        password_maximum_age_days: match s.password_maximum_age_days {
            Some(d) => d,
            None => PASSWORD_MAX_AGE_DAYS.get(tx)?,
        },
        history_keep_count: match s.history_keep_count {
            Some(d) => d,
            None => PASSWORD_HISTORY_KEEP_COUNT.get(tx)?,
        },
        history_keep_days: match s.history_keep_days {
            Some(d) => d,
            None => PASSWORD_HISTORY_KEEP_DAYS.get(tx)?,
        },
        check_in_interval_minutes: s.check_in_interval_minutes,
        generation_mode: s.generation_mode,
        password: s.password.clone(),
        passphrase,
        refuse_weak_uploads: s.refuse_weak_uploads,
        bit_locker: (os == "Windows").then(|| s.bit_locker.clone()),
        entropy_bits: round1(entropy_bits),
    })
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Fills in the words of a passphrase policy (for check-in answers).
pub(crate) fn with_words(tx: &(impl ReadTx + ?Sized), mut p: AgentPolicy) -> Result<AgentPolicy> {
    if let Some(pp) = p.passphrase.as_mut() {
        pp.words = word_lists::words_in(tx, &pp.word_list_id)?;
    }
    Ok(p)
}

/// Ids of the policies whose passphrase settings name this word list (in any mode).
pub(crate) fn policies_using_list(tx: &(impl ReadTx + ?Sized), list_id: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for r in tx.agent_policies(None)? {
        if PolicySettings::parse(&r.settings)?.passphrase.word_list.eq_ignore_ascii_case(list_id) {
            out.push(r.id);
        }
    }
    Ok(out)
}

fn not_found(id: &str) -> Error {
    Error::new(ErrorCode::PolicyNotFound, "No agent policy has that id or name.")
        .hint("List them with `ams agent-policy get`.")
        .with("policy", id)
}

fn require(tx: &(impl ReadTx + ?Sized), id: &str) -> Result<AgentPolicyRow> {
    tx.agent_policy(id)?.ok_or_else(|| not_found(id))
}

fn fixed_default(what: &str) -> Error {
    Error::new(ErrorCode::PolicyDefaultFixed, format!("A default policy's {what} cannot be changed."))
        .hint("Change its settings, or create a custom policy with targets.")
}

fn normalize_os(os: &str) -> Result<&'static str> {
    OS_TYPES
        .iter()
        .copied()
        .find(|o| o.eq_ignore_ascii_case(os))
        .ok_or_else(|| bad(format!("'{os}' is not an operating system (windows, linux, macos).")))
}

fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 128 || n.chars().any(char::is_control) {
        return Err(bad("A policy name must be 1 to 128 characters."));
    }
    Ok(n.to_string())
}

fn resolve_targets(
    tx: &(impl ReadTx + ?Sized),
    policy_id: &str,
    targets: &[TargetSpec],
) -> Result<Vec<PolicyTargetRow>> {
    let mut out: Vec<PolicyTargetRow> = Vec::new();
    for t in targets {
        let row = match t {
            TargetSpec::Device(id) => {
                let d = resolve_device(tx, &DeviceSelector::Id(id.clone())).map_err(|_| {
                    Error::new(ErrorCode::PolicyTargetInvalid, "A target device does not exist.").with("device", id)
                })?;
                PolicyTargetRow {
                    policy_id: policy_id.into(),
                    target_type: "Device".into(),
                    target_sid: d.sid.to_ascii_uppercase(),
                    target_id: d.id,
                }
            }
            TargetSpec::Group(id) => {
                let g = find_group_in(tx, id)?.ok_or_else(|| {
                    Error::new(ErrorCode::PolicyTargetInvalid, "A target group does not exist.").with("group", id)
                })?;
                PolicyTargetRow {
                    policy_id: policy_id.into(),
                    target_type: "Group".into(),
                    target_sid: g.sid.to_ascii_uppercase(),
                    target_id: g.id,
                }
            }
        };
        if !out.iter().any(|o| o.target_sid == row.target_sid) {
            out.push(row);
        }
    }
    Ok(out)
}

fn info_of(tx: &(impl ReadTx + ?Sized), r: &AgentPolicyRow) -> Result<AgentPolicyInfo> {
    let settings = PolicySettings::parse(&r.settings)?;
    let bits = match settings.generation_mode {
        GenerationMode::Password => settings.password.entropy_bits(),
        GenerationMode::Passphrase => {
            let n = word_lists::find_in(tx, &settings.passphrase.word_list).map(|l| l.word_count).unwrap_or(0);
            settings.passphrase.entropy_bits(n)
        }
    };
    Ok(AgentPolicyInfo {
        id: r.id.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        operating_system: r.os_type.clone(),
        order: r.position,
        enabled: r.enabled,
        is_default: r.is_default,
        targets: tx
            .agent_policy_targets(&r.id)?
            .into_iter()
            .map(|t| TargetInfo { r#type: t.target_type, id: t.target_id, sid: t.target_sid })
            .collect(),
        settings,
        entropy_bits: round1(bits),
        created: r.created_at.clone(),
        modified: r.modified_at.clone(),
        devices_marked_for_rotation: None,
    })
}

/// Each device of an OS and its effective maximum password age.
fn max_ages(tx: &(impl ReadTx + ?Sized), os: &str) -> Result<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for d in tx.devices(None, None, None)?.into_iter().filter(|d| d.os_type == os) {
        out.insert(d.id.clone(), resolve(tx, &d)?.password_maximum_age_days);
    }
    Ok(out)
}

/// After a change: marks each device whose maximum age got shorter and whose current password
/// would now outlive it. Returns how many were marked.
fn mark_shortened(ams: &Ams, tx: &Tx<'_>, os: &str, before: &HashMap<String, i64>) -> Result<usize> {
    let at = ams.now();
    let mut n = 0;
    for (id, new_age) in max_ages(tx, os)? {
        let Some(old) = before.get(&id) else { continue };
        if new_age >= *old {
            continue;
        }
        let Some(pw) = tx.current_password(&id)? else { continue };
        let created = parse_time(&pw.created_at)?;
        let expires = pw.expires_at.as_deref().map(parse_time).transpose()?;
        let limit = created + time::Duration::days(new_age);
        if expires.is_none_or(|e| e > limit) && tx.rotation_mark(&id)?.is_none() {
            tx.mark_rotation(&RotationMarkRow {
                device_id: id.clone(),
                reason: MARK_MAX_AGE_SHORTENED.into(),
                marked_at: at.clone(),
            })?;
            n += 1;
        }
    }
    Ok(n)
}

/// A new custom policy.
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    /// Name, unique per OS.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// `windows`, `linux` or `macos`.
    pub os: String,
    /// Create disabled.
    pub disabled: bool,
    /// Partial settings (a JSON object) over the defaults.
    pub settings: Option<serde_json::Value>,
    /// Targets.
    pub targets: Vec<TargetSpec>,
}

/// Changes to a policy; `None` keeps a value.
#[derive(Debug, Clone, Default)]
pub struct PolicyChanges {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// Enable or disable.
    pub enabled: Option<bool>,
    /// Partial settings (a JSON object) over the current ones.
    pub settings: Option<serde_json::Value>,
    /// Replace the targets.
    pub targets: Option<Vec<TargetSpec>>,
}

fn exists(name: &str) -> Error {
    Error::new(ErrorCode::PolicyExists, "An agent policy with that name already exists for the operating system.")
        .with("name", name)
}

impl Ams {
    /// Creates a custom policy, last in its OS's order.
    pub fn agent_policy_new(&self, p: &NewPolicy) -> Result<AgentPolicyInfo> {
        let name = check_name(&p.name)?;
        let os = normalize_os(&p.os)?;
        let settings = match &p.settings {
            Some(patch) => apply_patch(&PolicySettings::default(), patch)?,
            None => PolicySettings::default(),
        };
        let id = new_id()?.to_string();
        let now = self.now();
        self.store.write(|tx| {
            settings.validate(tx)?;
            let before = max_ages(tx, os)?;
            let position = tx.agent_policies(Some(os))?.iter().map(|r| r.position).max().unwrap_or(0) + 1;
            let row = AgentPolicyRow {
                id: id.clone(),
                name: name.clone(),
                description: p.description.clone().filter(|d| !d.trim().is_empty()),
                os_type: os.into(),
                position,
                enabled: !p.disabled,
                is_default: false,
                settings: serde_json::to_string(&settings).map_err(|_| Error::internal("settings"))?,
                created_at: now.clone(),
                modified_at: now.clone(),
            };
            tx.insert_agent_policy(&row).map_err(|e| on_unique(e, || exists(&name)))?;
            tx.set_agent_policy_targets(&id, &resolve_targets(tx, &id, &p.targets)?)?;
            let marked = mark_shortened(self, tx, os, &before)?;
            audit::record(
                self,
                tx,
                Event::success("agent_policy.new", "agent_policy", &id).details(serde_json::json!({
                    "Name": name, "OperatingSystem": os, "Order": position, "DevicesMarkedForRotation": marked
                })),
            )?;
            let mut out = info_of(tx, &row)?;
            out.devices_marked_for_rotation = Some(marked);
            Ok(out)
        })
    }

    /// Policies, by OS then order; or those with this id or name, or of this OS.
    pub fn agent_policies(&self, id_or_name: Option<&str>, os: Option<&str>) -> Result<Vec<AgentPolicyInfo>> {
        let os = os.map(normalize_os).transpose()?;
        self.store.read(|tx| {
            let rows: Vec<AgentPolicyRow> = tx
                .agent_policies(os)?
                .into_iter()
                .filter(|r| id_or_name.is_none_or(|k| r.id.eq_ignore_ascii_case(k) || r.name.eq_ignore_ascii_case(k)))
                .collect();
            if let (Some(k), true) = (id_or_name, rows.is_empty()) {
                return Err(not_found(k));
            }
            rows.iter().map(|r| info_of(tx, r)).collect()
        })
    }

    /// Changes a policy. A default policy takes settings and description only.
    pub fn agent_policy_set(&self, id: &str, ch: &PolicyChanges) -> Result<AgentPolicyInfo> {
        let now = self.now();
        self.store.write(|tx| {
            let mut row = require(tx, id)?;
            if row.is_default {
                if ch.name.is_some() {
                    return Err(fixed_default("name"));
                }
                if ch.enabled.is_some() {
                    return Err(fixed_default("enabled state"));
                }
                if ch.targets.is_some() {
                    return Err(fixed_default("targets"));
                }
            }
            let before = max_ages(tx, &row.os_type)?;
            if let Some(n) = &ch.name {
                row.name = check_name(n)?;
            }
            if let Some(d) = &ch.description {
                row.description = Some(d.clone()).filter(|d| !d.trim().is_empty());
            }
            if let Some(e) = ch.enabled {
                row.enabled = e;
            }
            if let Some(patch) = &ch.settings {
                let s = apply_patch(&PolicySettings::parse(&row.settings)?, patch)?;
                s.validate(tx)?;
                row.settings = serde_json::to_string(&s).map_err(|_| Error::internal("settings"))?;
            }
            row.modified_at = now.clone();
            tx.update_agent_policy(&row).map_err(|e| on_unique(e, || exists(&row.name)))?;
            if let Some(t) = &ch.targets {
                tx.set_agent_policy_targets(&row.id, &resolve_targets(tx, &row.id, t)?)?;
            }
            let marked = mark_shortened(self, tx, &row.os_type, &before)?;
            audit::record(
                self,
                tx,
                Event::success("agent_policy.set", "agent_policy", &row.id).details(serde_json::json!({
                    "Name": row.name, "SettingsChanged": ch.settings.is_some(), "TargetsChanged": ch.targets.is_some(),
                    "Enabled": row.enabled, "DevicesMarkedForRotation": marked
                })),
            )?;
            let mut out = info_of(tx, &row)?;
            out.devices_marked_for_rotation = Some(marked);
            Ok(out)
        })
    }

    /// Deletes a custom policy (an enabled one needs `force`); the later ones move up.
    pub fn agent_policy_remove(&self, id: &str, force: bool) -> Result<usize> {
        let now = self.now();
        self.store.write(|tx| {
            let row = require(tx, id)?;
            if row.is_default {
                return Err(Error::new(ErrorCode::PolicyDefaultFixed, "A default policy cannot be removed."));
            }
            if row.enabled && !force {
                return Err(Error::new(ErrorCode::ForceRequired, "The policy is enabled; removing it needs --force.")
                    .with("policy_id", &row.id));
            }
            let before = max_ages(tx, &row.os_type)?;
            tx.delete_agent_policy(&row.id)?;
            renumber(tx, &row.os_type, None, &now)?;
            let marked = mark_shortened(self, tx, &row.os_type, &before)?;
            audit::record(
                self,
                tx,
                Event::success("agent_policy.remove", "agent_policy", &row.id)
                    .details(serde_json::json!({"Name": row.name, "DevicesMarkedForRotation": marked})),
            )?;
            Ok(marked)
        })
    }

    /// Moves a custom policy to `position` (1 = evaluated first) among its OS's custom policies.
    pub fn agent_policy_move(&self, id: &str, position: i64) -> Result<AgentPolicyInfo> {
        let now = self.now();
        self.store.write(|tx| {
            let row = require(tx, id)?;
            if row.is_default {
                return Err(fixed_default("order"));
            }
            let count = tx.agent_policies(Some(&row.os_type))?.iter().filter(|r| !r.is_default).count();
            let count = i64::try_from(count).map_err(|_| Error::internal("count"))?;
            if !(1..=count).contains(&position) {
                return Err(bad(format!("The position must be 1 to {count}.")).with("position", position));
            }
            let before = max_ages(tx, &row.os_type)?;
            renumber(tx, &row.os_type, Some((&row.id, position)), &now)?;
            let marked = mark_shortened(self, tx, &row.os_type, &before)?;
            audit::record(
                self,
                tx,
                Event::success("agent_policy.move", "agent_policy", &row.id).details(serde_json::json!({
                    "Name": row.name, "From": row.position, "To": position, "DevicesMarkedForRotation": marked
                })),
            )?;
            let mut out = info_of(tx, &require(tx, id)?)?;
            out.devices_marked_for_rotation = Some(marked);
            Ok(out)
        })
    }

    /// Which policy a device follows, and why.
    pub fn agent_policy_resolve(&self, device_id: &str) -> Result<Resolution> {
        self.store.read(|tx| {
            let d = resolve_device(tx, &DeviceSelector::Id(device_id.to_string()))?;
            resolve_explained(tx, &d)
        })
    }
}

/// Gives the custom policies of an OS positions 1..n in their current order, with `moving`
/// (id, new position) placed first.
fn renumber(tx: &Tx<'_>, os: &str, moving: Option<(&str, i64)>, now: &str) -> Result<()> {
    let mut custom: Vec<AgentPolicyRow> = tx.agent_policies(Some(os))?.into_iter().filter(|r| !r.is_default).collect();
    if let Some((id, pos)) = moving
        && let Some(i) = custom.iter().position(|r| r.id == id)
    {
        let r = custom.remove(i);
        let at = usize::try_from(pos - 1).unwrap_or(0).min(custom.len());
        custom.insert(at, r);
    }
    for (i, mut r) in custom.into_iter().enumerate() {
        let want = i64::try_from(i + 1).map_err(|_| Error::internal("position"))?;
        if r.position != want {
            r.position = want;
            r.modified_at = now.into();
            tx.update_agent_policy(&r)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_is_words_times_log2_plus_extras() {
        let p = PassphraseSettings { word_count: 5, ..Default::default() };
        assert!((p.entropy_bits(7776) - 5.0 * 7776f64.log2()).abs() < 1e-9);
        let e = PassphraseSettings { word_count: 4, extra: Extra::Numbers, extra_count: 3, ..Default::default() };
        assert!((e.entropy_bits(4096) - (48.0 + 3.0 * 10f64.log2())).abs() < 1e-9);
        let r = PasswordSettings { length: 10, ..Default::default() };
        // 24 + 24 + 10 characters.
        assert!((r.entropy_bits() - 10.0 * 58f64.log2()).abs() < 1e-9);
    }

    #[test]
    fn patches_merge_objects_and_refuse_unknown_fields() {
        let base = PolicySettings::default();
        let s =
            apply_patch(&base, &serde_json::json!({"Password": {"Length": 24}, "AccountName": "lapsadmin"})).unwrap();
        assert_eq!(s.password.length, 24);
        assert!(s.password.lower_case, "other password fields kept");
        assert_eq!(s.account_name.as_deref(), Some("lapsadmin"));
        let back = apply_patch(&s, &serde_json::json!({"AccountName": null})).unwrap();
        assert_eq!(back.account_name, None);
        assert_eq!(apply_patch(&base, &serde_json::json!({"Lenght": 3})).unwrap_err().code(), ErrorCode::PolicyInvalid);
        assert_eq!(apply_patch(&base, &serde_json::json!([1])).unwrap_err().code(), ErrorCode::PolicyInvalid);
        assert_eq!(PolicySettings::parse("{}").unwrap(), base);
    }

    #[test]
    fn first_match_skips_disabled_and_takes_the_first() {
        let sids: BTreeSet<String> = ["S-1-A".to_string(), "S-1-B".to_string()].into();
        let spec = vec![
            (false, vec!["S-1-A".to_string()]),
            (true, vec!["S-1-C".to_string()]),
            (true, vec!["S-1-B".to_string()]),
            (true, vec!["S-1-A".to_string()]),
        ];
        assert_eq!(first_match(&spec, &sids).map(|(i, _)| i), Some(2));
        assert_eq!(first_match(&spec[..2], &sids), None);
    }

    #[test]
    fn upload_checks_follow_the_mode() {
        let mut p = AgentPolicy {
            source: "CustomPolicy".into(),
            policy_id: "p".into(),
            policy_name: "p".into(),
            operating_system: "Linux".into(),
            password_management_enabled: true,
            account_name: "root".into(),
            password_maximum_age_days: 7,
            history_keep_count: 1,
            history_keep_days: 0,
            check_in_interval_minutes: 60,
            generation_mode: GenerationMode::Password,
            password: PasswordSettings { length: 12, symbols: true, ..Default::default() },
            passphrase: None,
            refuse_weak_uploads: true,
            bit_locker: None,
            entropy_bits: 80.0,
        };
        p.check_upload("Abcdefgh12#x").unwrap();
        for weak in ["Abcdefgh12#", "abcdefgh12#x", "ABCDEFGH12#X", "Abcdefghij#x", "Abcdefgh12xx"] {
            assert_eq!(p.check_upload(weak).unwrap_err().code(), ErrorCode::PolicyPasswordWeak, "{weak}");
        }
        p.refuse_weak_uploads = false;
        p.check_upload("x").unwrap();
        p.refuse_weak_uploads = true;
        p.generation_mode = GenerationMode::Passphrase;
        p.passphrase = Some(ResolvedPassphrase {
            word_list_id: BUILTIN_ID.into(),
            word_list_name: "x".into(),
            word_list_sha256: String::new(),
            word_list_size: 7772,
            word_count: 5,
            separator: "-".into(),
            capitalize: true,
            extra: Extra::None,
            extra_count: 0,
            minimum_length: 25,
            words: Vec::new(),
        });
        p.check_upload("Alpha-Bravo-Charlie-Delta-Echo").unwrap();
        assert!(p.check_upload("Alpha-Bravo-Charlie-Delta").is_err(), "four words");
        assert!(p.check_upload("Ab-Bc-Cd-De-Ef").is_err(), "too short");
    }
}
