//! `ams agent-policy ...` and `ams word-list ...` end to end: JSON in and out, coded errors, and
//! `agent check-in` / `agent submit-password --generate` following the resolved policy.

use serde_json::Value;

mod common;
use common::*;

impl Instance {
    fn linux_device(&self, name: &str) -> String {
        if self.ok(&["cert", "list"], None).as_array().unwrap().is_empty() {
            self.ok(&["cert", "new", "--key-size", "3072"], None);
        }
        let key = self.ok(&["device-registration-key", "new", "--name", &format!("key-{name}")], None);
        let reg = self.ok(&["agent", "register", "--name", name, "--os", "linux"], Some(key["Key"].as_str().unwrap()));
        reg["DeviceId"].as_str().unwrap().to_string()
    }
}

fn code(e: &Value) -> &str {
    e["code"].as_str().unwrap()
}

#[test]
fn agent_policy_verbs_and_the_agent_follow_the_policy() {
    let i = Instance::new();
    let dev = i.linux_device("lin1");
    let all = i.ok(&["agent-policy", "get"], None);
    assert_eq!(all.as_array().unwrap().len(), 3, "three seeded defaults");
    let r = i.ok(&["agent-policy", "resolve", "--device-id", &dev], None);
    assert_eq!(r["Policy"]["PolicyName"], "Default Linux policy");
    assert_eq!(r["Policy"]["Source"], "DefaultPolicy");

    let settings =
        r#"{"PasswordMaximumAgeDays": 5, "Password": {"Length": 20, "Symbols": true, "ExcludeCharacters": "!@"}}"#;
    let p = i.ok(
        &[
            "agent-policy",
            "new",
            "--name",
            "Linux servers",
            "--os",
            "linux",
            "--settings",
            settings,
            "--target-group",
            "S-1-4096-2-5",
            "--description",
            "all Linux",
        ],
        None,
    );
    let id = p["Id"].as_str().unwrap().to_string();
    assert_eq!((p["Order"].as_i64(), p["Enabled"].as_bool()), (Some(1), Some(true)));
    assert_eq!(p["Settings"]["Password"]["Length"], 20);
    assert_eq!(p["Targets"][0]["Sid"], "S-1-4096-2-5");
    assert!(p["EntropyBits"].as_f64().unwrap() > 100.0);
    assert_eq!(i.ok(&["agent-policy", "get", "--name", "linux SERVERS"], None)[0]["Id"], id.as_str());
    assert_eq!(i.ok(&["agent-policy", "get", "--os", "linux"], None).as_array().unwrap().len(), 2);

    // Check-in returns it; --generate follows it; the upload is checked against it.
    let ci = i.ok(&["agent", "check-in", "--device-id", &dev], None);
    assert_eq!(ci["Policy"]["PolicyId"], id.as_str());
    assert_eq!(ci["Policy"]["AccountName"], "root");
    assert_eq!(ci["Policy"]["PasswordMaximumAgeDays"], 5);
    let rec = i.ok(&["agent", "submit-password", "--device-id", &dev, "--generate"], None);
    assert!(rec["Expires"].as_str().is_some());
    let pw = i.ok(&["local-admin-password", "get", "--computer-name", "lin1"], None);
    let text = pw["Password"].as_str().unwrap();
    assert_eq!(text.len(), 20);
    assert!(text.chars().any(|c| !c.is_ascii_alphanumeric()) && !text.contains('!') && !text.contains('@'));
    assert_eq!(pw["AccountName"], "root");
    let (exit, e) = i.err(&["agent", "submit-password", "--device-id", &dev], Some("too-weak"));
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0007"));
    let audit = i.ok(&["audit", "get"], None);
    assert!(audit.to_string().contains("AMS-POL-0007"), "the refusal is audited");
    assert!(!audit.to_string().contains("too-weak"));

    // Passphrase mode through set; entropy shown; below the floor refused with its code.
    let (exit, e) = i.err(
        &[
            "agent-policy",
            "set",
            "--id",
            &id,
            "--settings",
            r#"{"GenerationMode":"Passphrase","Passphrase":{"WordCount":4}}"#,
        ],
        None,
    );
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0004"));
    let s = i.ok(
        &[
            "agent-policy",
            "set",
            "--id",
            &id,
            "--settings",
            r#"{"GenerationMode":"Passphrase","Passphrase":{"WordCount":7,"Separator":"Underscore"}}"#,
        ],
        None,
    );
    assert!((s["EntropyBits"].as_f64().unwrap() - 90.5).abs() < 0.2, "{}", s["EntropyBits"]);
    assert_eq!(s["DevicesMarkedForRotation"], 0);
    i.ok(&["agent", "submit-password", "--device-id", &dev, "--generate"], None);
    let phrase = i.ok(&["local-admin-password", "get", "--computer-name", "lin1"], None)["Password"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(phrase.split('_').count(), 7, "{phrase}");
    // Flags still override the policy for one password, but the upload must satisfy it.
    let (_, e) = i.err(&["agent", "submit-password", "--device-id", &dev, "--generate", "--length", "12"], None);
    assert_eq!(code(&e), "AMS-POL-0007");

    // Shortening the maximum age marks the device; check-in then asks for a rotation.
    let s = i.ok(&["agent-policy", "set", "--id", &id, "--settings", r#"{"PasswordMaximumAgeDays": 1}"#], None);
    assert_eq!(s["DevicesMarkedForRotation"], 1);
    let ci = i.ok(&["agent", "check-in", "--device-id", &dev], None);
    assert_eq!((ci["PasswordChangeRequired"].as_bool(), ci["Reason"].as_str()), (Some(true), Some("PolicyChanged")));

    // move, disable, remove.
    let second = i.ok(&["agent-policy", "new", "--name", "Second", "--os", "linux", "--target-device", &dev], None);
    let sid = second["Id"].as_str().unwrap();
    assert_eq!(i.ok(&["agent-policy", "move", "--id", sid, "--position", "1"], None)["Order"], 1);
    assert_eq!(i.ok(&["agent-policy", "resolve", "--device-id", &dev], None)["Policy"]["PolicyName"], "Second");
    let (exit, e) = i.err(&["agent-policy", "move", "--id", sid, "--position", "3"], None);
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0003"));
    i.ok(&["agent-policy", "set", "--id", sid, "--disable"], None);
    let r = i.ok(&["agent-policy", "resolve", "--device-id", &dev], None);
    assert_eq!(r["Policy"]["PolicyName"], "Linux servers");
    assert_eq!(r["Steps"][0]["Outcome"], "Disabled");
    i.ok(&["agent-policy", "remove", "--id", sid], None);
    let (exit, e) = i.err(&["agent-policy", "remove", "--id", &id], None);
    assert_eq!((exit, code(&e)), (4, "AMS-GEN-0004"));
    i.ok(&["agent-policy", "remove", "--id", &id, "--force"], None);
    let (exit, e) = i.err(&["agent-policy", "get", "--id", &id], None);
    assert_eq!((exit, code(&e)), (3, "AMS-POL-0001"));
    // Bad input is coded.
    let default_id = all[0]["Id"].as_str().unwrap();
    let (exit, e) = i.err(&["agent-policy", "remove", "--id", default_id, "--force"], None);
    assert_eq!((exit, code(&e)), (4, "AMS-POL-0005"));
    let (exit, e) = i.err(&["agent-policy", "new", "--name", "x", "--os", "linux", "--settings", "{nope"], None);
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0003"));
    let (exit, e) =
        i.err(&["agent-policy", "new", "--name", "x", "--os", "linux", "--target-group", "no-such-group"], None);
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0006"));
    let (exit, e) = i.err(&["agent-policy", "resolve", "--device-id", "nope"], None);
    assert_eq!(exit, 3, "{e}");
}

#[test]
fn word_list_verbs() {
    let i = Instance::new();
    let lists = i.ok(&["word-list", "get"], None);
    assert_eq!(lists[0]["Id"], "eff-large");
    assert_eq!(lists[0]["WordCount"], 7772);
    assert_eq!(lists[0]["BuiltIn"], true);
    let file = i.path("words.txt");
    let words: Vec<String> = (0..2100)
        .map(|n| {
            let mut x = n + 1;
            let mut w = String::from("q");
            while x > 0 {
                w.push((b'a' + (x % 26) as u8) as char);
                x /= 26;
            }
            w
        })
        .collect();
    std::fs::write(&file, words.join("\n") + "\n" + &words[0] + "\n").unwrap();
    let f = file.to_str().unwrap();
    let l = i.ok(&["word-list", "new", "--name", "Mine", "--file", f, "--language", "en"], None);
    assert_eq!((l["WordCount"].as_u64(), l["DuplicatesRemoved"].as_u64()), (Some(2100), Some(1)));
    let id = l["Id"].as_str().unwrap().to_string();
    assert_eq!(i.ok(&["word-list", "get", "--name", "mine"], None)[0]["Id"], id.as_str());
    let (exit, e) = i.err(&["word-list", "new", "--name", "Mine", "--file", f], None);
    assert_eq!((exit, code(&e)), (4, "AMS-POL-0009"));
    let short = i.path("short.txt");
    std::fs::write(&short, words[..100].join("\n")).unwrap();
    let (exit, e) = i.err(&["word-list", "new", "--name", "Short", "--file", short.to_str().unwrap()], None);
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0010"));
    let huge = i.path("huge.txt");
    std::fs::write(&huge, vec![b'a'; 2 * 1024 * 1024]).unwrap();
    let (exit, e) = i.err(&["word-list", "new", "--name", "Huge", "--file", huge.to_str().unwrap()], None);
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0010"));
    // A device file that never ends is read only up to the bound.
    let (exit, e) = i.err(&["word-list", "new", "--name", "Zero", "--file", "/dev/zero"], None);
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0010"));
    let (exit, e) =
        i.err(&["agent-policy", "new", "--name", "z", "--os", "linux", "--settings-file", "/dev/zero"], None);
    assert_eq!((exit, code(&e)), (5, "AMS-POL-0003"));
    let (exit, e) = i.err(&["word-list", "remove", "--id", "eff-large"], None);
    assert_eq!((exit, code(&e)), (4, "AMS-POL-0011"));
    // In use by a policy (7 words of 2100 = 77 bits).
    let settings = format!(r#"{{"GenerationMode":"Passphrase","Passphrase":{{"WordList":"{id}","WordCount":7}}}}"#);
    let p = i.ok(&["agent-policy", "new", "--name", "wl", "--os", "windows", "--settings", &settings], None);
    let (exit, e) = i.err(&["word-list", "remove", "--id", &id], None);
    assert_eq!((exit, code(&e)), (4, "AMS-POL-0012"));
    i.ok(&["agent-policy", "remove", "--id", p["Id"].as_str().unwrap(), "--force"], None);
    assert_eq!(i.ok(&["word-list", "remove", "--id", &id], None), serde_json::json!({}));
    let (exit, e) = i.err(&["word-list", "get", "--id", &id], None);
    assert_eq!((exit, code(&e)), (3, "AMS-POL-0008"));
}
