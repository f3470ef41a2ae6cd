//! End-to-end tests of the configuration verbs: `host-config`, `service-config`,
//! `idp-claim-mapping` and `server-diagnostics`, each through the binary with JSON output.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

mod common;
use common::*;

const RECOVERY: &str = "Canary-Recovery-Passphrase-5d1e";

impl Instance {
    fn host_toml(&self) -> Vec<u8> {
        std::fs::read(self.dir.join("host.toml")).unwrap()
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
fn set_mode(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

#[test]
fn host_config_round_trip_keeps_the_file_mode_and_refuses_bad_values() {
    let i = Instance::with_recovery(RECOVERY);
    let cfg = i.ok(&["host-config", "get"], None);
    // The instance's own database (AMS_TEST_ENGINE may put it on SQL Server).
    let own_db = i.server_db.as_ref().map(|d| d.connection_string.clone());
    if own_db.is_some() {
        assert_eq!(cfg["DatabaseEngine"], "mssql");
        assert!(cfg["ConnectionString"].as_str().unwrap().contains("Password=***"), "{cfg}");
    } else {
        assert_eq!(cfg["ConnectionString"], "sqlite://ams.db");
        assert_eq!(cfg["DatabaseEngine"], "sqlite");
    }
    assert_eq!(cfg["AgentAccessEnabled"], false);
    assert_eq!(cfg["WebAppEnabled"], true);
    assert_eq!(cfg["HttpsPort"], 443);
    assert_eq!(cfg["ConfigFileExists"], true);

    #[cfg(unix)]
    set_mode(&i.dir.join("host.toml"), 0o640);
    let log_dir = i.dir.join("logs");
    let set = i.ok(
        &[
            "host-config",
            "set",
            "--agent-access-enabled",
            "true",
            "--web-app-enabled",
            "false",
            "--remote-management-enabled",
            "true",
            "--external-hostname",
            "AMS.Example.test",
            "--https-port",
            "8443",
            "--http-port",
            "8080",
            "--log-path",
            log_dir.to_str().unwrap(),
            "--config-path",
            "/etc/ams",
        ],
        None,
    );
    let got = i.ok(&["host-config", "get"], None);
    assert_eq!(set, got, "set returns what get then shows");
    assert_eq!(got["AgentAccessEnabled"], true);
    assert_eq!(got["WebAppEnabled"], false);
    assert_eq!(got["RemoteManagementEnabled"], true);
    assert_eq!(got["ExternalHostname"], "ams.example.test");
    assert_eq!((got["HttpPort"].as_i64(), got["HttpsPort"].as_i64()), (Some(8080), Some(8443)));
    assert_eq!(got["LogPath"], log_dir.to_str().unwrap());
    assert_eq!(got["ConfigPath"], "/etc/ams");
    #[cfg(unix)]
    assert_eq!(mode(&i.dir.join("host.toml")), 0o640, "the file keeps its permissions");
    // The instance still opens: the connection string was not touched.
    i.ok(&["db", "status"], None);

    // Refused values leave the file byte for byte as it was.
    let before = i.host_toml();
    for (args, code, exit) in [
        (vec!["--https-port", "0"], "AMS-CFG-0009", 5),
        (vec!["--http-port", "8443"], "AMS-CFG-0009", 5),
        (vec!["--log-path", "relative/logs"], "AMS-CFG-0009", 5),
        (vec!["--external-hostname", "not a host"], "AMS-CFG-0009", 5),
        (vec!["--agent-access-enabled", "maybe"], "AMS-GEN-0007", 2),
        (
            vec!["--agent-access-enabled", "false", "--connection-string", "sqlite:///no/such/dir/ams.db"],
            "AMS-CFG-0007",
            5,
        ),
        (vec!["--connection-string", "sqlite://host.toml"], "AMS-CFG-0007", 5),
        (vec!["--connection-string", "postgres://db/ams", "--skip-connection-string-validation"], "AMS-DB-0006", 10),
        (vec!["--connection-string", "Server=db;Database=ams;Password=Canary-Argv-1"], "AMS-CFG-0010", 2),
    ] {
        let mut full = vec!["host-config", "set"];
        full.extend(args.iter().copied());
        let (e, err) = i.err(&full, None);
        assert_eq!((e, err["code"].as_str().unwrap()), (exit, code), "{args:?}: {err}");
        assert!(!err.to_string().contains("Canary-Argv-1"), "the error does not echo the password");
        assert_eq!(i.host_toml(), before, "{args:?} changed the file");
    }
    // A missing database file is refused, with a clear message, unless validation is skipped.
    let (_, err) = i.err(&["host-config", "set", "--connection-string", "sqlite://other.db"], None);
    assert_eq!(err["code"], "AMS-CFG-0007");
    assert!(err["message"].as_str().unwrap().contains("No database file"), "{err}");
    assert!(err["hint"].as_str().unwrap().contains("--skip-connection-string-validation"));

    // SQL Server: validated by connecting (nothing listens on loopback port 1, so the test is
    // refused at once); a password only via stdin; a malformed string is refused even when the
    // connection test is skipped.
    let cs = "Server=tcp:127.0.0.1,1;Database=ams;User Id=ams;Password=Canary-Stdin-2;Connect Timeout=5";
    let (e, err) = i.err(&["host-config", "set", "--connection-string", "-"], Some(cs));
    assert_eq!((e, err["code"].as_str().unwrap()), (7, "AMS-MSSQL-0003"), "{err}");
    assert_eq!(err["context"]["reason"], "network");
    assert!(!err.to_string().contains("Canary-Stdin-2"));
    assert_eq!(i.host_toml(), before);
    let (e, err) = i.err(
        &["host-config", "set", "--connection-string", "-", "--skip-connection-string-validation"],
        Some("Server=db;Database=ams;User Id=ams;Password='Canary-Stdin-2"),
    );
    assert_eq!((e, err["code"].as_str().unwrap()), (5, "AMS-MSSQL-0001"), "{err}");
    assert!(!err.to_string().contains("Canary-Stdin-2"));
    assert_eq!(i.host_toml(), before);
    let set =
        i.ok(&["host-config", "set", "--connection-string", "-", "--skip-connection-string-validation"], Some(cs));
    assert_eq!(set["DatabaseEngine"], "mssql");
    assert_eq!(
        set["ConnectionString"],
        "Server=tcp:127.0.0.1,1;Database=ams;User Id=ams;Password=***;Connect Timeout=5"
    );
    let out = i.run(&["host-config", "get"], None);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Canary-Stdin-2"), "get masks the password");
    assert!(String::from_utf8_lossy(&i.host_toml()).contains("Canary-Stdin-2"), "the file holds it");
    #[cfg(unix)]
    assert_eq!(mode(&i.dir.join("host.toml")), 0o640);
    let (e, err) = i.err(&["device", "get"], None);
    assert_eq!((e, err["code"].as_str().unwrap()), (7, "AMS-MSSQL-0003"), "ams cannot reach the server: {err}");
    assert!(!err.to_string().contains("Canary-Stdin-2"));

    // Back to the database: validated (it is an ams database), and the instance works again.
    let set = match &own_db {
        Some(cs) => {
            let set = i.ok(&["host-config", "set", "--connection-string", "-"], Some(cs));
            assert_eq!(set["DatabaseEngine"], "mssql");
            set
        }
        None => {
            let db = i.dir.join("ams.db");
            let set = i.ok(&["host-config", "set", "--connection-string", &format!("sqlite://{}", db.display())], None);
            assert_eq!(set["DatabaseEngine"], "sqlite");
            set
        }
    };
    assert_eq!(set["DatabaseEngine"], cfg["DatabaseEngine"]);
    i.ok(&["device", "get"], None);
    // Empty values remove the optional settings.
    let cleared = i.ok(&["host-config", "set", "--external-hostname", "", "--log-path", ""], None);
    assert_eq!(cleared["ExternalHostname"], Value::Null);
    assert_eq!(cleared["LogPath"], Value::Null);

    // host-config set reads stdin, so it cannot run inside a batch.
    let out = i.run(&["batch"], Some("{\"verb\":\"host-config set\",\"parameters\":{\"HttpsPort\":444}}\n"));
    assert!(!out.status.success());
    // Unknown keys in the file are refused when it is read.
    std::fs::write(i.dir.join("host.toml"), "version = 1\ndatabase = \"sqlite://ams.db\"\nbogus = true\n").unwrap();
    let (e, err) = i.err(&["host-config", "get"], None);
    assert_eq!((e, err["code"].as_str().unwrap()), (10, "AMS-CFG-0003"));
}

#[test]
fn service_config_round_trip_refuses_unknown_keys_and_changes_all_or_nothing() {
    let i = Instance::with_recovery(RECOVERY);
    let cfg = i.ok(&["service-config", "get"], None);
    assert_eq!(cfg["FarmApiHostName"], Value::Null);
    assert_eq!(cfg["FarmApiPort"], 443);
    assert_eq!(cfg["ForestsToIgnore"], serde_json::json!([]));
    assert_eq!(cfg["PasswordMaximumAgeDays"], 30);
    let settings = cfg["Settings"].as_array().unwrap();
    for name in
        ["FarmApiHostName", "FarmApiPort", "FarmWebAppHostName", "FarmWebAppPort", "ForestsToIgnore", "DomainsToIgnore"]
    {
        assert!(settings.iter().any(|s| s["Name"] == name), "{name} is listed");
    }
    for s in settings {
        assert_eq!(s["IsDefault"], true, "{s}");
        assert_eq!(s["Value"], s["Default"]);
        assert_eq!(cfg[s["Name"].as_str().unwrap()], s["Value"], "each setting is also shown by name");
    }

    let set = i.ok(
        &[
            "service-config",
            "set",
            "--farm-api-host-name",
            "API.example.test",
            "--farm-api-port",
            "8443",
            "--farm-web-app-host-name",
            "app.example.test",
            "--farm-web-app-port",
            "9443",
            "--forests-to-ignore",
            "old.example",
            "--forests-to-ignore",
            "legacy.example,old.example",
            "--domains-to-ignore",
            "dmz.example.test",
            "--setting",
            "passwordmaximumagedays=45",
            "--setting",
            "PasswordHistoryKeepCount=12",
        ],
        None,
    );
    let got = i.ok(&["service-config", "get"], None);
    assert_eq!(set, got);
    assert_eq!(got["FarmApiHostName"], "api.example.test");
    assert_eq!(got["FarmApiPort"], 8443);
    assert_eq!(got["FarmWebAppHostName"], "app.example.test");
    assert_eq!(got["FarmWebAppPort"], 9443);
    assert_eq!(got["ForestsToIgnore"], serde_json::json!(["old.example", "legacy.example"]));
    assert_eq!(got["DomainsToIgnore"], serde_json::json!(["dmz.example.test"]));
    assert_eq!(got["PasswordMaximumAgeDays"], 45);
    assert_eq!(got["PasswordHistoryKeepCount"], 12);
    let port = got["Settings"].as_array().unwrap().iter().find(|s| s["Name"] == "FarmApiPort").unwrap().clone();
    assert_eq!(
        (port["Minimum"].as_i64(), port["Maximum"].as_i64(), port["IsDefault"].as_bool()),
        (Some(1), Some(65535), Some(false))
    );

    // One bad or unknown setting and nothing changes.
    for (args, code) in [
        (vec!["--farm-api-port", "1", "--setting", "NoSuchSetting=1"], "AMS-CFG-0008"),
        (vec!["--farm-api-port", "1", "--setting", "PasswordMaximumAgeDays=0"], "AMS-CFG-0006"),
        (vec!["--farm-api-port", "70000"], "AMS-CFG-0006"),
        (vec!["--farm-api-host-name", "bad name"], "AMS-CFG-0006"),
        (vec!["--forests-to-ignore", "ok.example", "--forests-to-ignore", "bad_name!"], "AMS-CFG-0006"),
        (vec!["--farm-api-port", "1", "--setting", "FarmApiPort=2"], "AMS-CFG-0006"),
        (vec!["--setting", "PasswordMaximumAgeDays"], "AMS-CFG-0006"),
    ] {
        let mut full = vec!["service-config", "set"];
        full.extend(args.iter().copied());
        let (e, err) = i.err(&full, None);
        assert_eq!((e, err["code"].as_str().unwrap()), (5, code), "{args:?}: {err}");
    }
    assert_eq!(i.ok(&["service-config", "get"], None), got, "refused requests changed nothing");

    // Empty values clear: host names fall back, lists empty.
    let cleared = i.ok(
        &[
            "service-config",
            "set",
            "--farm-api-host-name",
            "",
            "--forests-to-ignore",
            "",
            "--setting",
            "FarmWebAppPort=443",
        ],
        None,
    );
    assert_eq!(cleared["FarmApiHostName"], Value::Null);
    assert_eq!(cleared["ForestsToIgnore"], serde_json::json!([]));
    assert_eq!(cleared["DomainsToIgnore"], serde_json::json!(["dmz.example.test"]));
    assert_eq!(cleared["FarmWebAppPort"], 443);

    // Each change is audited with its value.
    let audit = i.ok(&["audit", "get", "--limit", "50"], None);
    let events: Vec<&Value> = audit.as_array().unwrap().iter().filter(|r| r["Event"] == "service_config.set").collect();
    assert!(events.iter().any(|r| r["TargetId"] == "FarmApiPort" && r["Details"]["FarmApiPort"] == 8443), "{audit}");
}

#[test]
fn idp_claim_mappings_add_get_clear() {
    let i = Instance::with_recovery(RECOVERY);
    assert_eq!(i.ok(&["idp-claim-mapping", "get", "--idp-type", "oidc"], None), serde_json::json!([]));
    let m = i.ok(
        &[
            "idp-claim-mapping",
            "add",
            "--idp-type",
            "OIDC",
            "--claim-name",
            "email",
            "--claim-value-type",
            "Custom",
            "--directory-attribute-name",
            "mail",
        ],
        None,
    );
    assert_eq!(m["IdpType"], "oidc");
    assert_eq!(m["ClaimName"], "email");
    assert_eq!(m["ClaimValueType"], "Custom");
    assert_eq!(m["DirectoryAttributeName"], "mail");
    i.ok(
        &["idp-claim-mapping", "add", "--idp-type", "oidc", "--claim-name", "alt_upn", "--claim-value-type", "upn"],
        None,
    );
    i.ok(
        &[
            "idp-claim-mapping",
            "add",
            "--idp-type",
            "wsfed",
            "--claim-name",
            "login_name",
            "--claim-value-type",
            "SamAccountName",
        ],
        None,
    );
    let oidc = i.ok(&["idp-claim-mapping", "get", "--idp-type", "oidc"], None);
    let names: Vec<&str> = oidc.as_array().unwrap().iter().map(|m| m["ClaimName"].as_str().unwrap()).collect();
    assert_eq!(names, ["email", "alt_upn"], "custom mappings only, in the order added");

    for (args, code, exit) in [
        (vec!["--idp-type", "oidc", "--claim-name", "email", "--claim-value-type", "Upn"], "AMS-IDP-0002", 4),
        (vec!["--idp-type", "oidc", "--claim-name", "x", "--claim-value-type", "Custom"], "AMS-IDP-0001", 5),
        (
            vec![
                "--idp-type",
                "oidc",
                "--claim-name",
                "x",
                "--claim-value-type",
                "Sid",
                "--directory-attribute-name",
                "mail",
            ],
            "AMS-IDP-0001",
            5,
        ),
        (vec!["--idp-type", "iwa", "--claim-name", "x", "--claim-value-type", "Upn"], "AMS-GEN-0007", 2),
        (vec!["--idp-type", "oidc", "--claim-name", "x", "--claim-value-type", "Email"], "AMS-GEN-0007", 2),
    ] {
        let mut full = vec!["idp-claim-mapping", "add"];
        full.extend(args.iter().copied());
        let (e, err) = i.err(&full, None);
        assert_eq!((e, err["code"].as_str().unwrap()), (exit, code), "{args:?}: {err}");
    }

    let cleared = i.ok(&["idp-claim-mapping", "clear", "--idp-type", "oidc"], None);
    assert_eq!(cleared["Removed"], 2);
    let defaults: Vec<&str> =
        cleared["InForce"].as_array().unwrap().iter().map(|m| m["ClaimName"].as_str().unwrap()).collect();
    assert_eq!(defaults, ["upn", "sid", "onprem_sid"], "the built-in defaults apply again");
    assert_eq!(i.ok(&["idp-claim-mapping", "get", "--idp-type", "oidc"], None), serde_json::json!([]));
    assert_eq!(i.ok(&["idp-claim-mapping", "get", "--idp-type", "wsfed"], None).as_array().unwrap().len(), 1);
    let audit = i.ok(&["audit", "get", "--limit", "50"], None).to_string();
    assert!(audit.contains("idp_claim_mapping.add") && audit.contains("idp_claim_mapping.clear"));
}

/// Every entry of a ZIP, decompressed.
fn unzip(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut z = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..z.len())
        .map(|n| {
            let mut f = z.by_index(n).unwrap();
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).unwrap();
            (f.name().to_string(), buf)
        })
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn assert_no_canary(entries: &[(String, Vec<u8>)], canaries: &[String]) {
    for (name, bytes) in entries {
        let lower = String::from_utf8_lossy(bytes).to_ascii_lowercase();
        for c in canaries {
            for form in [c.to_ascii_lowercase(), hex(c.as_bytes())] {
                assert!(!lower.contains(&form), "canary {c} found in {name}");
            }
        }
    }
}

#[test]
fn diagnostics_zip_holds_no_secret() {
    let i = Instance::with_recovery(RECOVERY);
    i.ok(&["cert", "new", "--key-size", "3072"], None);
    let key = i.ok(&["device-registration-key", "new", "--name", "canary-key"], None);
    let reg_key = key["Key"].as_str().unwrap().to_string();
    let dev = i.ok(&["agent", "register", "--name", "pc1", "--os", "windows"], Some(&reg_key))["DeviceId"]
        .as_str()
        .unwrap()
        .to_string();
    let pw1 = "Canary-Diag-Password-1";
    let pw2 = "Canary-Diag-Password-2";
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some(pw1));
    i.ok(&["agent", "submit-password", "--device-id", &dev], Some(pw2));
    let bitlocker = "135795-258016-380237-502458-624679-719752-012221-108636";
    i.ok(
        &["agent", "submit-bitlocker-key", "--device-id", &dev, "--key-id", "6f1c4a52-8d3e-4b7a-9c0f-2e5d7a1b3c4d"],
        Some(bitlocker),
    );
    // Reading the secrets back makes sure they are really stored (and audited).
    assert_eq!(i.ok(&["local-admin-password", "get", "--computer-name", "pc1"], None)["Password"], pw2);
    i.ok(&["service-config", "set", "--farm-api-host-name", "api.example.test"], None);
    i.ok(
        &[
            "idp-claim-mapping",
            "add",
            "--idp-type",
            "oidc",
            "--claim-name",
            "email",
            "--claim-value-type",
            "Custom",
            "--directory-attribute-name",
            "mail",
        ],
        None,
    );
    // A log file that (wrongly) holds a connection string with a password.
    let log_dir = i.dir.join("logs");
    std::fs::create_dir(&log_dir).unwrap();
    std::fs::write(
        log_dir.join("ams.log"),
        "2026-03-01 starting\n2026-03-01 connecting with Server=db;Database=ams;Password=Canary-Log-Pw-3;Encrypt=true\nready\n",
    )
    .unwrap();
    i.ok(&["host-config", "set", "--log-path", log_dir.to_str().unwrap()], None);

    let zip_path = i.dir.join("..").join("diag.zip");
    let rep = i.ok(&["server-diagnostics", "export", "--file", zip_path.to_str().unwrap()], None);
    assert_eq!(rep["FailedParts"], serde_json::json!([]), "{rep}");
    #[cfg(unix)]
    assert_eq!(mode(&zip_path), 0o600);
    let entries = unzip(&zip_path);
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    for want in [
        "README.txt",
        "versions.json",
        "host-config.json",
        "service-config.json",
        "db-status.json",
        "key-status.json",
        "certificates.json",
        "counts.json",
        "audit-recent.json",
        "logs/ams.log",
        "errors.json",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    let get =
        |n: &str| -> Value { serde_json::from_slice(&entries.iter().find(|(name, _)| name == n).unwrap().1).unwrap() };
    assert_eq!(get("counts.json")["Devices"], 1);
    assert!(get("counts.json")["Rules"].is_i64());
    assert_eq!(get("certificates.json").as_array().unwrap().len(), 1);
    assert_eq!(get("service-config.json")["FarmApiHostName"], "api.example.test");
    assert_eq!(get("key-status.json")["RecoveryMode"], false);
    let log = String::from_utf8_lossy(&entries.iter().find(|(n, _)| n == "logs/ams.log").unwrap().1).into_owned();
    assert!(log.contains("Password=***") && log.contains("ready"), "{log}");

    let mut canaries: Vec<String> =
        [pw1, pw2, bitlocker, RECOVERY, reg_key.as_str(), "Canary-Log-Pw-3"].iter().map(|s| s.to_string()).collect();
    // The host key file's key material, too.
    let host_key: Value = serde_json::from_slice(&std::fs::read(i.dir.join("host.key")).unwrap()).unwrap();
    canaries.push(host_key["key"].as_str().unwrap().to_string());
    assert_no_canary(&entries, &canaries);

    // A connection string with a password: the instance cannot open (nothing listens on
    // loopback port 1), the rest is still collected, and the password is masked.
    let cs = "Server=tcp:127.0.0.1,1;Database=ams;User Id=ams;Password=Canary-Conn-Pw-4";
    i.ok(&["host-config", "set", "--connection-string", "-", "--skip-connection-string-validation"], Some(cs));
    let rep = i.ok(&["server-diagnostics", "export", "--file", zip_path.to_str().unwrap(), "--force"], None);
    assert_eq!(rep["FailedParts"], serde_json::json!(["instance"]));
    let entries = unzip(&zip_path);
    let host =
        serde_json::from_slice::<Value>(&entries.iter().find(|(n, _)| n == "host-config.json").unwrap().1).unwrap();
    assert_eq!(host["ConnectionString"], "Server=tcp:127.0.0.1,1;Database=ams;User Id=ams;Password=***");
    canaries.push("Canary-Conn-Pw-4".into());
    assert_no_canary(&entries, &canaries);
    // The search itself finds a canary where there is one (the host file holds the password).
    let raw = vec![("host.toml".to_string(), i.host_toml())];
    assert!(std::panic::catch_unwind(|| assert_no_canary(&raw, &canaries)).is_err(), "the canary search works");
}

#[test]
fn diagnostics_never_overwrite_without_force() {
    let i = Instance::with_recovery(RECOVERY);
    let file = i.dir.join("..").join("support.zip");
    std::fs::write(&file, b"keep me").unwrap();
    #[cfg(unix)]
    set_mode(&file, 0o644);
    let (e, err) = i.err(&["server-diagnostics", "export", "--file", file.to_str().unwrap()], None);
    assert_eq!((e, err["code"].as_str().unwrap()), (4, "AMS-GEN-0006"));
    assert!(err["hint"].as_str().unwrap().contains("--force"));
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
    let rep = i.ok(&["server-diagnostics", "export", "--file", file.to_str().unwrap(), "--force"], None);
    assert_eq!(rep["Bytes"].as_u64().unwrap(), std::fs::metadata(&file).unwrap().len());
    #[cfg(unix)]
    assert_eq!(mode(&file), 0o600, "a replaced bundle is private too");
    assert!(unzip(&file).iter().any(|(n, _)| n == "README.txt"));
    let (e, _) = i.err(&["server-diagnostics", "export", "--file", i.dir.to_str().unwrap(), "--force"], None);
    assert_eq!(e, 7, "a folder is not a file name");
}

#[test]
fn config_verbs_are_in_the_catalogue_with_their_cmdlets() {
    let out = Command::new(env!("CARGO_BIN_EXE_ams")).args(["commands", "--json"]).output().unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let cmds = doc["commands"].as_array().unwrap();
    for (verb, cmdlet) in [
        ("host-config get", "Get-AmsHostConfig"),
        ("host-config set", "Set-AmsHostConfig"),
        ("service-config get", "Get-AmsServiceConfig"),
        ("service-config set", "Set-AmsServiceConfig"),
        ("idp-claim-mapping add", "Add-AmsIdpClaimMapping"),
        ("idp-claim-mapping get", "Get-AmsIdpClaimMapping"),
        ("idp-claim-mapping clear", "Clear-AmsIdpClaimMapping"),
        ("server-diagnostics export", "Export-AmsServerDiagnostics"),
    ] {
        let c = cmds.iter().find(|c| c["verb"] == verb).unwrap_or_else(|| panic!("{verb} missing"));
        assert_eq!(c["cmdlet"], cmdlet);
        assert!(!c["about"].as_str().unwrap().is_empty());
    }
    let set = cmds.iter().find(|c| c["verb"] == "service-config set").unwrap();
    let flags: Vec<&str> = set["parameters"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(
        flags,
        [
            "--farm-api-host-name",
            "--farm-api-port",
            "--farm-web-app-host-name",
            "--farm-web-app-port",
            "--forests-to-ignore",
            "--domains-to-ignore",
            "--setting"
        ]
    );
    let host = cmds.iter().find(|c| c["verb"] == "host-config set").unwrap();
    let bools: Vec<&str> = host["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["values"] == serde_json::json!(["true", "false"]))
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(bools, ["--agent-access-enabled", "--web-app-enabled", "--remote-management-enabled"]);
}
