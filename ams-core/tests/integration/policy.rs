//! Agent policies and word lists (issue 18): resolution order, defaults per OS, a property test
//! against a reference evaluation, generated passwords by every setting, upload checks, the
//! entropy floor, rotation marks and word list validation.

use std::collections::BTreeSet;

use ams_core::ErrorCode;
use ams_core::service::agent::Registration;
use ams_core::service::agent_policy::{AgentPolicyInfo, NewPolicy, PolicyChanges, TargetSpec};
use ams_core::service::word_lists::{BUILTIN_ID, MAX_FILE_BYTES};
use serde_json::json;

use crate::fixture::Fixture;

fn device(f: &Fixture, name: &str, os: &str) -> String {
    let key = f.ams.reg_key_new(&f.keyring, &format!("key-{name}"), true, 0, false).unwrap();
    let reg = Registration { name: name.into(), os: os.into(), dns_name: None, os_version: None, agent_version: None };
    f.ams.agent_register(&key.key, &reg).unwrap().device_id
}

fn policy(f: &Fixture, name: &str, os: &str, targets: Vec<TargetSpec>, settings: serde_json::Value) -> AgentPolicyInfo {
    f.ams
        .agent_policy_new(&NewPolicy {
            name: name.into(),
            description: None,
            os: os.into(),
            disabled: false,
            settings: Some(settings),
            targets,
        })
        .unwrap()
}

fn applied(f: &Fixture, dev: &str) -> String {
    f.ams.agent_policy_resolve(dev).unwrap().policy.policy_name
}

/// Words for a custom list: `n` distinct lower-case words of letters only.
fn words(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let mut x = i + 1;
            let mut w = String::new();
            while x > 0 {
                w.push((b'a' + (x % 26) as u8) as char);
                x /= 26;
            }
            format!("w{w}")
        })
        .collect()
}

#[test]
fn resolution_order_overlapping_targets_disabled_and_defaults() {
    let f = Fixture::new();
    let win = device(&f, "win1", "windows");
    let win2 = device(&f, "win2", "windows");
    let lin = device(&f, "lin1", "linux");
    let mac = device(&f, "mac1", "macos");
    // Defaults per OS when no custom policy exists.
    assert_eq!(applied(&f, &win), "Default Windows policy");
    assert_eq!(applied(&f, &lin), "Default Linux policy");
    assert_eq!(applied(&f, &mac), "Default macOS policy");
    let r = f.ams.agent_policy_resolve(&lin).unwrap();
    assert_eq!(r.policy.source, "DefaultPolicy");
    assert!(r.reason.contains("No custom Linux policy"), "{}", r.reason);
    assert_eq!(r.policy.account_name, "root");
    assert_eq!(f.ams.agent_policy_resolve(&win).unwrap().policy.account_name, "Administrator");

    // A device in two custom groups, and overlapping policies.
    let ga = f.ams.group_new("Servers", None).unwrap();
    let gb = f.ams.group_new("Finance", None).unwrap();
    f.ams.group_member_add(&ga.id, std::slice::from_ref(&win)).unwrap();
    f.ams.group_member_add(&gb.id, std::slice::from_ref(&win)).unwrap();
    let disabled = policy(&f, "Disabled first", "windows", vec![TargetSpec::Group(ga.id.clone())], json!({}));
    f.ams.agent_policy_set(&disabled.id, &PolicyChanges { enabled: Some(false), ..Default::default() }).unwrap();
    let finance = policy(&f, "Finance", "windows", vec![TargetSpec::Group(gb.id.clone())], json!({}));
    let servers = policy(&f, "Servers", "windows", vec![TargetSpec::Group(ga.sid.clone())], json!({}));
    let all_win = policy(&f, "All Windows", "windows", vec![TargetSpec::Group("S-1-4096-2-4".into())], json!({}));
    // A Linux policy that targets every device never applies to Windows devices.
    policy(&f, "Linux everything", "linux", vec![TargetSpec::Group("S-1-4096-2-1".into())], json!({}));
    assert_eq!((finance.order, servers.order, all_win.order), (2, 3, 4));

    let r = f.ams.agent_policy_resolve(&win).unwrap();
    assert_eq!(r.policy.policy_name, "Finance");
    assert_eq!(r.policy.source, "CustomPolicy");
    let outcomes: Vec<(&str, &str)> = r.steps.iter().map(|s| (s.name.as_str(), s.outcome.as_str())).collect();
    assert_eq!(
        outcomes,
        [
            ("Disabled first", "Disabled"),
            ("Finance", "Applied"),
            ("Servers", "NotReached"),
            ("All Windows", "NotReached"),
            ("Default Windows policy", "NotReached")
        ]
    );
    assert_eq!(r.steps[1].matched_target.as_deref(), Some(gb.sid.as_str()));
    assert!(r.reason.contains("'Finance'"), "{}", r.reason);
    // win2 is only in the built-in groups.
    assert_eq!(applied(&f, &win2), "All Windows");
    assert_eq!(applied(&f, &lin), "Linux everything");
    assert_eq!(applied(&f, &mac), "Default macOS policy");

    // Moving changes the winner; enabling the disabled one makes it first.
    f.ams.agent_policy_move(&servers.id, 1).unwrap();
    assert_eq!(applied(&f, &win), "Servers");
    let orders: Vec<(String, i64)> =
        f.ams.agent_policies(None, Some("windows")).unwrap().into_iter().map(|p| (p.name, p.order)).collect();
    assert_eq!(
        orders,
        [
            ("Default Windows policy".to_string(), 0),
            ("Servers".to_string(), 1),
            ("Disabled first".to_string(), 2),
            ("Finance".to_string(), 3),
            ("All Windows".to_string(), 4)
        ]
    );
    f.ams.agent_policy_move(&disabled.id, 1).unwrap();
    f.ams.agent_policy_set(&disabled.id, &PolicyChanges { enabled: Some(true), ..Default::default() }).unwrap();
    assert_eq!(applied(&f, &win), "Disabled first");
    // A device target.
    let only = policy(&f, "Only win2", "windows", vec![TargetSpec::Device(win2.clone())], json!({}));
    f.ams.agent_policy_move(&only.id, 1).unwrap();
    assert_eq!(applied(&f, &win2), "Only win2");
    assert!(f.ams.agent_policy_resolve(&win2).unwrap().reason.contains("the device itself"));
    // Removing an enabled policy needs force; the rest move up.
    assert_eq!(f.ams.agent_policy_remove(&only.id, false).unwrap_err().code(), ErrorCode::ForceRequired);
    f.ams.agent_policy_remove(&only.id, true).unwrap();
    assert_eq!(applied(&f, &win2), "All Windows");
    let orders: Vec<i64> = f.ams.agent_policies(None, Some("windows")).unwrap().iter().map(|p| p.order).collect();
    assert_eq!(orders, [0, 1, 2, 3, 4]);
    // Check-in returns the resolved policy.
    assert_eq!(f.ams.agent_check_in(&win).unwrap().policy.policy_name, "Disabled first");
}

#[test]
fn defaults_are_fixed_and_bad_input_is_coded() {
    let f = Fixture::new();
    let dflt = f.ams.agent_policies(Some("Default Linux policy"), None).unwrap().remove(0);
    assert!(dflt.is_default && dflt.targets.is_empty());
    for ch in [
        PolicyChanges { name: Some("x".into()), ..Default::default() },
        PolicyChanges { enabled: Some(false), ..Default::default() },
        PolicyChanges { targets: Some(vec![]), ..Default::default() },
    ] {
        assert_eq!(f.ams.agent_policy_set(&dflt.id, &ch).unwrap_err().code(), ErrorCode::PolicyDefaultFixed);
    }
    assert_eq!(f.ams.agent_policy_remove(&dflt.id, true).unwrap_err().code(), ErrorCode::PolicyDefaultFixed);
    assert_eq!(f.ams.agent_policy_move(&dflt.id, 1).unwrap_err().code(), ErrorCode::PolicyDefaultFixed);
    // Settings of a default can change.
    let s = f
        .ams
        .agent_policy_set(
            &dflt.id,
            &PolicyChanges { settings: Some(json!({"CheckInIntervalMinutes": 30})), ..Default::default() },
        )
        .unwrap();
    assert_eq!(s.settings.check_in_interval_minutes, 30);

    let new = |name: &str, os: &str, targets: Vec<TargetSpec>, settings: serde_json::Value| {
        f.ams.agent_policy_new(&NewPolicy {
            name: name.into(),
            description: None,
            os: os.into(),
            disabled: false,
            settings: Some(settings),
            targets,
        })
    };
    let cases: Vec<(&str, &str, Vec<TargetSpec>, serde_json::Value, ErrorCode)> = vec![
        ("a", "beos", vec![], json!({}), ErrorCode::PolicyInvalid),
        ("", "linux", vec![], json!({}), ErrorCode::PolicyInvalid),
        ("b", "linux", vec![], json!({"Nope": 1}), ErrorCode::PolicyInvalid),
        ("c", "linux", vec![], json!({"Password": {"Length": 7}}), ErrorCode::PolicyInvalid),
        ("d", "linux", vec![], json!({"CheckInIntervalMinutes": 1}), ErrorCode::PolicyInvalid),
        ("e", "linux", vec![], json!({"PasswordMaximumAgeDays": 0}), ErrorCode::PolicyInvalid),
        (
            "f",
            "linux",
            vec![],
            json!({"Password": {"LowerCase": false, "UpperCase": false, "Digits": false}}),
            ErrorCode::PolicyInvalid,
        ),
        (
            "g",
            "linux",
            vec![],
            json!({"Password": {"Digits": true, "LowerCase": false, "UpperCase": false, "ExcludeCharacters": "012345678", "Length": 40}}),
            ErrorCode::PolicyInvalid,
        ),
        (
            "h",
            "linux",
            vec![],
            json!({"GenerationMode": "Passphrase", "Passphrase": {"WordList": "missing"}}),
            ErrorCode::PolicyInvalid,
        ),
        (
            "i",
            "linux",
            vec![],
            json!({"GenerationMode": "Passphrase", "Passphrase": {"Extra": "Numbers", "ExtraCount": 0}}),
            ErrorCode::PolicyInvalid,
        ),
        ("j", "linux", vec![TargetSpec::Group("S-1-4096-1-9-9-9-9".into())], json!({}), ErrorCode::PolicyTargetInvalid),
        (
            "k",
            "linux",
            vec![TargetSpec::Device("00000000-0000-0000-0000-000000000000".into())],
            json!({}),
            ErrorCode::PolicyTargetInvalid,
        ),
        // Entropy floor: 4 EFF words are 51.7 bits; 10 random lower-case letters 45.8 bits.
        (
            "l",
            "linux",
            vec![],
            json!({"GenerationMode": "Passphrase", "Passphrase": {"WordCount": 4}}),
            ErrorCode::PolicyEntropyTooLow,
        ),
        (
            "m",
            "linux",
            vec![],
            json!({"Password": {"Length": 10, "UpperCase": false, "Digits": false}}),
            ErrorCode::PolicyEntropyTooLow,
        ),
    ];
    for (name, os, targets, settings, code) in cases {
        let e = new(name, os, targets, settings.clone()).unwrap_err();
        assert_eq!(e.code(), code, "{name}: {settings}");
    }
    // Just above the floor: 5 EFF words (64.6 bits), and 4 words with 4 extra symbols.
    let five =
        new("five", "linux", vec![], json!({"GenerationMode": "Passphrase", "Passphrase": {"WordCount": 5}})).unwrap();
    assert!((five.entropy_bits - 64.6).abs() < 0.1, "{}", five.entropy_bits);
    let extra = new(
        "four+",
        "linux",
        vec![],
        json!({"GenerationMode": "Passphrase", "Passphrase": {"WordCount": 4, "Extra": "Symbols", "ExtraCount": 4}}),
    )
    .unwrap();
    assert!((extra.entropy_bits - (4.0 * 7772f64.log2() + 16.0)).abs() < 0.1);
    // Names are unique per OS, ignoring case; the same name is fine on another OS.
    assert_eq!(new("FIVE", "linux", vec![], json!({})).unwrap_err().code(), ErrorCode::PolicyExists);
    new("five", "windows", vec![], json!({})).unwrap();
    assert_eq!(f.ams.agent_policies(Some("nope"), None).unwrap_err().code(), ErrorCode::PolicyNotFound);
}

/// A small deterministic generator for the property test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn resolution_matches_a_reference_evaluation_over_random_policy_sets() {
    let f = Fixture::new();
    let oses = ["windows", "linux", "macos"];
    let os_name = |o: &str| match o {
        "windows" => "Windows",
        "linux" => "Linux",
        _ => "MacOS",
    };
    // Six devices (two per OS), four groups with random members.
    let devices: Vec<(String, &str)> =
        (0..6).map(|i| (device(&f, &format!("prop{i}"), oses[i % 3]), oses[i % 3])).collect();
    let groups: Vec<_> = (0..4).map(|i| f.ams.group_new(&format!("g{i}"), None).unwrap()).collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut members: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); groups.len()];
    for (gi, g) in groups.iter().enumerate() {
        for (di, (d, _)) in devices.iter().enumerate() {
            if rng.below(2) == 0 {
                f.ams.group_member_add(&g.id, std::slice::from_ref(d)).unwrap();
                members[gi].insert(di);
            }
        }
    }
    let built_in = ["S-1-4096-2-1", "S-1-4096-2-2", "S-1-4096-2-4", "S-1-4096-2-5", "S-1-4096-2-6", "S-1-4096-2-9"];
    let builtin_has = |sid: &str, os: &str| match sid {
        "S-1-4096-2-1" | "S-1-4096-2-2" => true,
        "S-1-4096-2-4" => os == "windows",
        "S-1-4096-2-5" | "S-1-4096-2-9" => os == "linux",
        "S-1-4096-2-6" => os == "macos",
        _ => false,
    };
    #[derive(Clone, Debug)]
    enum T {
        Dev(usize),
        Grp(usize),
        Builtin(&'static str),
    }
    // Reference model: per OS, the custom policies in order (name, enabled, targets).
    let mut model: Vec<(String, &str, bool, Vec<T>, String)> = Vec::new(); // name, os, enabled, targets, id
    for round in 0..40 {
        // A random change: add, toggle, move or remove.
        match rng.below(5) {
            0 | 1 => {
                let os = oses[rng.below(3)];
                let n = rng.below(3);
                let targets: Vec<T> = (0..n)
                    .map(|_| match rng.below(3) {
                        0 => T::Dev(rng.below(devices.len())),
                        1 => T::Grp(rng.below(groups.len())),
                        _ => T::Builtin(built_in[rng.below(built_in.len())]),
                    })
                    .collect();
                let specs = targets
                    .iter()
                    .map(|t| match t {
                        T::Dev(i) => TargetSpec::Device(devices[*i].0.clone()),
                        T::Grp(i) => TargetSpec::Group(groups[*i].id.clone()),
                        T::Builtin(s) => TargetSpec::Group(s.to_string()),
                    })
                    .collect();
                let name = format!("r{round}");
                let p = policy(&f, &name, os, specs, json!({}));
                model.push((name, os, true, targets, p.id));
            }
            2 if !model.is_empty() => {
                let i = rng.below(model.len());
                model[i].2 = !model[i].2;
                let ch = PolicyChanges { enabled: Some(model[i].2), ..Default::default() };
                f.ams.agent_policy_set(&model[i].4, &ch).unwrap();
            }
            3 if !model.is_empty() => {
                let i = rng.below(model.len());
                let os = model[i].1;
                let same: Vec<usize> = (0..model.len()).filter(|j| model[*j].1 == os).collect();
                let to = rng.below(same.len());
                let p = model.remove(i);
                f.ams.agent_policy_move(&p.4, to as i64 + 1).unwrap();
                // Re-insert before the policy now at index `to` among those of the OS.
                let same: Vec<usize> = (0..model.len()).filter(|j| model[*j].1 == os).collect();
                let at = same.get(to).copied().unwrap_or(model.len());
                model.insert(at, p);
            }
            4 if !model.is_empty() => {
                let i = rng.below(model.len());
                let p = model.remove(i);
                f.ams.agent_policy_remove(&p.4, true).unwrap();
            }
            _ => {}
        }
        // Every device resolves as the reference says, and twice the same way.
        for (di, (d, os)) in devices.iter().enumerate() {
            let covers = |t: &T| match t {
                T::Dev(i) => *i == di,
                T::Grp(g) => members[*g].contains(&di),
                T::Builtin(s) => builtin_has(s, os),
            };
            let want = model
                .iter()
                .filter(|p| p.1 == *os)
                .find(|p| p.2 && p.3.iter().any(covers))
                .map(|p| p.0.clone())
                .unwrap_or_else(|| format!("Default {} policy", if *os == "macos" { "macOS" } else { os_name(os) }));
            let got = applied(&f, d);
            assert_eq!(got, want, "round {round}, device {di} ({os})");
            assert_eq!(applied(&f, d), got, "deterministic");
        }
    }
}

#[test]
fn generated_passwords_follow_every_setting() {
    let f = Fixture::new();
    let dev = device(&f, "gen1", "linux");
    let cases = vec![
        json!({"Password": {"Length": 12, "Symbols": true}}),
        json!({"Password": {"Length": 30, "LowerCase": true, "UpperCase": false, "Digits": true, "ExcludeCharacters": "abc0123"}}),
        json!({"Password": {"Length": 20, "LowerCase": false, "UpperCase": true, "Digits": false, "Symbols": true, "ExcludeCharacters": "!@"}}),
        json!({"GenerationMode": "Passphrase", "Passphrase": {"WordCount": 6, "Separator": "Space", "Capitalize": false}}),
        json!({"GenerationMode": "Passphrase", "Passphrase": {"WordCount": 5, "Separator": "Underscore", "Capitalize": true, "Extra": "NumbersAndSymbols", "ExtraCount": 3, "MinimumLength": 40}}),
    ];
    let p = policy(&f, "gen", "linux", vec![TargetSpec::Device(dev.clone())], json!({}));
    let eff: BTreeSet<String> = ams_core::service::word_lists::builtin_words().iter().cloned().collect();
    for settings in cases {
        // Reset to defaults then apply the case.
        let reset = json!({"GenerationMode": "Password", "Password": {"Length": 16, "LowerCase": true, "UpperCase": true, "Digits": true, "Symbols": false, "ExcludeCharacters": ""}, "Passphrase": {"WordCount": 6, "Separator": "Hyphen", "Capitalize": true, "Extra": "None", "ExtraCount": 0, "MinimumLength": 0}});
        f.ams.agent_policy_set(&p.id, &PolicyChanges { settings: Some(reset), ..Default::default() }).unwrap();
        let info = f
            .ams
            .agent_policy_set(&p.id, &PolicyChanges { settings: Some(settings.clone()), ..Default::default() })
            .unwrap();
        let s = info.settings;
        let ci = f.ams.agent_check_in(&dev).unwrap();
        let generator = ci.policy.generator().unwrap();
        let mut seen = BTreeSet::new();
        for _ in 0..300 {
            let pw = generator.generate().unwrap();
            ci.policy.check_upload(&pw).unwrap();
            seen.insert(pw.to_string());
            if s.generation_mode == ams_core::service::agent_policy::GenerationMode::Password {
                let r = &s.password;
                assert_eq!(pw.chars().count(), r.length, "{settings}");
                assert!(!pw.chars().any(|c| r.exclude_characters.contains(c)), "{settings}: {}", *pw);
                assert_eq!(pw.chars().any(|c| c.is_ascii_lowercase()), r.lower_case, "{settings}");
                assert_eq!(pw.chars().any(|c| c.is_ascii_uppercase()), r.upper_case, "{settings}");
                assert_eq!(pw.chars().any(|c| c.is_ascii_digit()), r.digits, "{settings}");
                assert_eq!(pw.chars().any(|c| !c.is_ascii_alphanumeric()), r.symbols, "{settings}");
            } else {
                let pp = &s.passphrase;
                let sep = pp.separator.as_str();
                let parts: Vec<&str> = pw.split(sep).collect();
                let extra = usize::from(pp.extra_count > 0);
                assert_eq!(parts.len(), pp.word_count + extra, "{settings}: {}", *pw);
                for w in &parts[..pp.word_count] {
                    assert!(eff.contains(&w.to_ascii_lowercase()), "{w} is from the list");
                    let first = w.chars().next().unwrap();
                    assert_eq!(first.is_ascii_uppercase(), pp.capitalize, "{settings}");
                }
                if extra == 1 {
                    let tail = parts.last().unwrap();
                    assert_eq!(tail.chars().count(), pp.extra_count);
                    assert!(tail.chars().all(|c| !c.is_ascii_alphabetic()));
                }
                assert!(pw.chars().count() >= pp.minimum_length);
            }
        }
        assert!(seen.len() > 295, "passwords differ: {} distinct of 300", seen.len());
    }
}

#[test]
fn uploads_weaker_than_the_policy_are_refused_and_audited() {
    let f = Fixture::new();
    let dev = device(&f, "up1", "windows");
    // The seeded default does not refuse weak uploads (upgrades keep working).
    f.upload_password(&dev, "short").unwrap();
    policy(
        &f,
        "strict",
        "windows",
        vec![TargetSpec::Device(dev.clone())],
        json!({"Password": {"Length": 14, "Symbols": true}}),
    );
    for weak in ["Sh0rt!", "alllowercase12345!", "NoDigitsHereAtAll!", "NoSymbolsHere12345"] {
        let e = f.upload_password(&dev, weak).unwrap_err();
        assert_eq!(e.code(), ErrorCode::PolicyPasswordWeak, "{weak}");
        assert!(!e.to_string().contains(weak), "the password is not in the error");
    }
    f.upload_password(&dev, "Good-Enough-Pass1!").unwrap();
    let audit = f.ams.audit_records(Some(&dev), 1000).unwrap();
    let refused = audit
        .iter()
        .filter(|r| r.event == "password.upload" && r.outcome == "failure" && r.details["Error"] == "AMS-POL-0007")
        .count();
    assert_eq!(refused, 4);
    assert!(audit.iter().all(|r| !r.details.to_string().contains("Sh0rt!")));
    // Passphrase mode: fewer words than asked is refused.
    let lin = device(&f, "up2", "linux");
    policy(
        &f,
        "words",
        "linux",
        vec![TargetSpec::Device(lin.clone())],
        json!({"GenerationMode": "Passphrase", "Passphrase": {"WordCount": 6}}),
    );
    assert_eq!(f.upload_password(&lin, "one-two-three-four-five").unwrap_err().code(), ErrorCode::PolicyPasswordWeak);
    f.upload_password(&lin, "one-two-three-four-five-six").unwrap();
}

#[test]
fn shortening_the_maximum_age_marks_devices_for_rotation() {
    let f = Fixture::new();
    let a = device(&f, "age1", "windows");
    let b = device(&f, "age2", "windows");
    let c = device(&f, "age3", "windows");
    let none = device(&f, "age4", "windows");
    let g = f.ams.group_new("Rotate", None).unwrap();
    f.ams.group_member_add(&g.id, &[a.clone(), b.clone(), none.clone()]).unwrap();
    for d in [&a, &b, &c] {
        f.upload_password(d, "Initial-Password-1").unwrap();
    }
    let p = policy(&f, "rot", "windows", vec![TargetSpec::Group(g.id.clone())], json!({"PasswordMaximumAgeDays": 30}));
    // The farm default is 30 days: same age, nothing marked.
    assert_eq!(p.devices_marked_for_rotation, Some(0));
    assert_eq!(f.ams.agent_check_in(&a).unwrap().reason, "None");
    // Longer: nothing marked.
    let longer = PolicyChanges { settings: Some(json!({"PasswordMaximumAgeDays": 60})), ..Default::default() };
    assert_eq!(f.ams.agent_policy_set(&p.id, &longer).unwrap().devices_marked_for_rotation, Some(0));
    // Shorter: a and b (in the group, with a password); not c (another policy), not `none` (no password).
    let shorter = PolicyChanges { settings: Some(json!({"PasswordMaximumAgeDays": 7})), ..Default::default() };
    assert_eq!(f.ams.agent_policy_set(&p.id, &shorter).unwrap().devices_marked_for_rotation, Some(2));
    let ci = f.ams.agent_check_in(&a).unwrap();
    assert!(ci.password_change_required);
    assert_eq!(ci.reason, "PolicyChanged");
    assert_eq!(f.ams.agent_check_in(&c).unwrap().reason, "None");
    assert_eq!(f.ams.agent_check_in(&none).unwrap().reason, "NoPassword");
    assert!(f.ams.agent_policy_resolve(&b).unwrap().rotation_marked);
    // The new upload clears the mark and expires by the policy's age.
    let r = f.upload_password(&a, "Second-Password-2").unwrap();
    assert_eq!(r.expires.as_deref(), Some("2026-03-08T12:00:00.000000Z"));
    assert_eq!(f.ams.agent_check_in(&a).unwrap().reason, "None");
    // Setting it again to the same value marks nothing more.
    assert_eq!(f.ams.agent_policy_set(&p.id, &shorter).unwrap().devices_marked_for_rotation, Some(0));
    // Moving c into a shorter policy by targets marks it too.
    let t = PolicyChanges {
        targets: Some(vec![TargetSpec::Group(g.id.clone()), TargetSpec::Device(c.clone())]),
        ..Default::default()
    };
    assert_eq!(f.ams.agent_policy_set(&p.id, &t).unwrap().devices_marked_for_rotation, Some(1));
    let audit = f.ams.audit_records(Some(&p.id), 100).unwrap();
    assert!(audit.iter().any(|r| r.event == "agent_policy.set" && r.details["DevicesMarkedForRotation"] == 1));
}

#[test]
fn word_lists_are_validated_and_the_builtin_is_fixed() {
    let f = Fixture::new();
    let all = f.ams.word_lists(None).unwrap();
    assert_eq!(all.len(), 1);
    assert!(all[0].built_in && all[0].word_count == 7772 && all[0].id == BUILTIN_ID);
    let text = |w: &[String]| w.join("\n").into_bytes();
    let ok = words(2500);
    // Too short (after duplicates are removed), non-words, too large, not UTF-8.
    let mut dup: Vec<String> = words(1999);
    dup.extend(words(1999));
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("too short", text(&words(1999))),
        ("duplicates", text(&dup)),
        ("digits", [text(&ok), b"\nabc1".to_vec()].concat()),
        ("two words", [text(&ok), b"\nice cream".to_vec()].concat()),
        ("punctuation", [text(&ok), b"\nt-shirt".to_vec()].concat()),
        ("non-ascii", [text(&ok), "\ncaf\u{e9}".as_bytes().to_vec()].concat()),
        ("too long word", [text(&ok), b"\n".to_vec(), vec![b'a'; 33]].concat()),
        ("huge", vec![b'a'; MAX_FILE_BYTES + 1]),
        ("binary", vec![0xff, 0xfe, 0x00]),
    ];
    for (name, bytes) in cases {
        assert_eq!(
            f.ams.word_list_new(name, None, None, &bytes).unwrap_err().code(),
            ErrorCode::WordListInvalid,
            "{name}"
        );
    }
    // Normalised: case folded, dice numbers and comments dropped, duplicates removed.
    let mut file = String::from("# my list\n");
    for (i, w) in ok.iter().enumerate() {
        file.push_str(&format!("{}\t{}\n", 10000 + i, w.to_ascii_uppercase()));
    }
    file.push_str(&ok[0]);
    file.push('\n');
    let l = f.ams.word_list_new("Custom", Some("mine"), Some("en"), file.as_bytes()).unwrap();
    assert_eq!((l.word_count, l.duplicates_removed, l.built_in), (2500, Some(1), false));
    assert_eq!(f.ams.word_list_new("custom", None, None, &text(&ok)).unwrap_err().code(), ErrorCode::WordListExists);
    assert_eq!(
        f.ams.word_list_new("EFF large wordlist", None, None, &text(&ok)).unwrap_err().code(),
        ErrorCode::WordListExists
    );
    assert_eq!(f.ams.word_lists(Some("Custom")).unwrap()[0].id, l.id);
    assert_eq!(f.ams.word_lists(None).unwrap().len(), 2);
    // A policy on the custom list: 2500 words are 11.3 bits each, so 6 words pass and 5 do not.
    let dev = device(&f, "wl1", "linux");
    let five = json!({"GenerationMode": "Passphrase", "Passphrase": {"WordList": l.id, "WordCount": 5}});
    let e = f
        .ams
        .agent_policy_new(&NewPolicy {
            name: "wl".into(),
            os: "linux".into(),
            settings: Some(five),
            ..Default::default()
        })
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::PolicyEntropyTooLow);
    let six = json!({"GenerationMode": "Passphrase", "Passphrase": {"WordList": l.id, "WordCount": 6}});
    let p = policy(&f, "wl", "linux", vec![TargetSpec::Device(dev.clone())], six);
    let ci = f.ams.agent_check_in(&dev).unwrap();
    let pp = ci.policy.passphrase.clone().unwrap();
    assert_eq!((pp.word_list_id.as_str(), pp.words.len()), (l.id.as_str(), 2500));
    let pw = ci.policy.generator().unwrap().generate().unwrap();
    assert!(pw.split('-').all(|w| ok.contains(&w.to_ascii_lowercase())));
    // In use: cannot be removed; the built-in never.
    assert_eq!(f.ams.word_list_remove(&l.id).unwrap_err().code(), ErrorCode::WordListInUse);
    assert_eq!(f.ams.word_list_remove(BUILTIN_ID).unwrap_err().code(), ErrorCode::WordListBuiltIn);
    f.ams.agent_policy_remove(&p.id, true).unwrap();
    f.ams.word_list_remove(&l.id).unwrap();
    assert_eq!(f.ams.word_list_remove(&l.id).unwrap_err().code(), ErrorCode::WordListNotFound);
    assert_eq!(f.ams.word_lists(None).unwrap().len(), 1);
}

#[test]
fn password_management_off_never_asks_for_a_rotation() {
    let f = Fixture::new();
    let dev = device(&f, "off1", "macos");
    assert!(f.ams.agent_check_in(&dev).unwrap().password_change_required, "no password yet");
    policy(&f, "off", "macos", vec![TargetSpec::Device(dev.clone())], json!({"PasswordManagementEnabled": false}));
    let ci = f.ams.agent_check_in(&dev).unwrap();
    assert_eq!(ci.reason, "NoPassword");
    assert!(!ci.password_change_required);
    assert!(!ci.policy.password_management_enabled);
    assert!(ci.policy.bit_locker.is_none(), "BitLocker settings are for Windows only");
}
