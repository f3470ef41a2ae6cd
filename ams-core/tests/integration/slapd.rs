//! A throw-away OpenLDAP `slapd` for the directory tests: a temp dir with a minimal slapd.conf
//! (mdb backend, suffix dc=ams,dc=test, core/cosine/nis/inetorgperson schemas), on free loopback
//! ports, stopped when dropped. It speaks TLS with a CA made for the run by the openssl command
//! line (StartTLS on the ldap:// port, and an ldaps:// port); `wrong_ca_file` is another CA that
//! did not issue the server's certificate. The tests fail (never skip) when slapd is missing:
//! CI installs Debian's `slapd` package.

use std::collections::HashSet;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ldap3::{LdapConn, Scope, SearchEntry};

pub const SUFFIX: &str = "dc=ams,dc=test";
pub const ROOT_DN: &str = "cn=admin,dc=ams,dc=test";
/// Test-only password of a throw-away server on loopback.
pub const ROOT_PW: &str = "test-only-root-pw";

fn slapd_binary() -> PathBuf {
    for p in ["/usr/sbin/slapd", "/usr/local/sbin/slapd", "/usr/local/libexec/slapd"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    if let Ok(out) = Command::new("sh").args(["-c", "command -v slapd"]).output() {
        let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !s.is_empty() {
            return PathBuf::from(s);
        }
    }
    panic!(
        "OpenLDAP slapd is not installed: the JIT directory tests need it. \
         Install it with `apt-get install -y slapd ldap-utils` (.ci/run does this)."
    );
}

pub struct Slapd {
    dir: tempfile::TempDir,
    pub port: u16,
    pub ldaps_port: u16,
    child: Option<Child>,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl").current_dir(dir).args(args).output().expect("run openssl");
    assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

/// A test CA (ca.pem), a second unrelated CA (wrong-ca.pem) and a server certificate for
/// 127.0.0.1 and localhost issued by the first (server.pem, server.key).
fn make_test_pki(dir: &Path) {
    for ca in ["ca", "wrong-ca"] {
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{ca}.key"),
                "-out",
                &format!("{ca}.pem"),
                "-days",
                "2",
                "-subj",
                &format!("/CN=ams {ca}"),
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
    }
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "server.ext",
        ],
    );
}

impl Slapd {
    pub fn start() -> Slapd {
        let bin = slapd_binary();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("db")).unwrap();
        let d = dir.path().display();
        let module_path = ["/usr/lib/ldap", "/usr/lib64/openldap", "/usr/lib/openldap"]
            .into_iter()
            .find(|p| Path::new(p).join("back_mdb.so").exists() || Path::new(p).join("back_mdb.la").exists());
        let modules = match module_path {
            Some(p) => format!("modulepath {p}\nmoduleload back_mdb\n"),
            None => String::new(),
        };
        make_test_pki(dir.path());
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include {d}/ad-test.schema\n\
             pidfile {d}/slapd.pid\n\
             TLSCACertificateFile {d}/ca.pem\n\
             TLSCertificateFile {d}/server.pem\n\
             TLSCertificateKeyFile {d}/server.key\n\
             {modules}\
             database mdb\n\
             maxsize 10485760\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ROOT_DN}\"\n\
             rootpw {ROOT_PW}\n\
             directory {d}/db\n"
        );
        std::fs::write(dir.path().join("slapd.conf"), conf).unwrap();
        std::fs::write(dir.path().join("ad-test.schema"), AD_TEST_SCHEMA).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let ldaps_port = loop {
            let p = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            if p != port {
                break p;
            }
        };
        let mut s = Slapd { dir, port, ldaps_port, child: None };
        s.launch(&bin);
        s.seed();
        s
    }

    fn launch(&mut self, bin: &Path) {
        let conf = self.dir.path().join("slapd.conf");
        let log = std::fs::File::create(self.dir.path().join("slapd.log")).unwrap();
        let child = Command::new(bin)
            .arg("-f")
            .arg(&conf)
            .arg("-h")
            .arg(format!("ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{}/", self.port, self.ldaps_port))
            .args(["-d", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start slapd");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err()
            || TcpStream::connect(("127.0.0.1", self.ldaps_port)).is_err()
        {
            if let Some(c) = self.child.as_mut()
                && let Ok(Some(status)) = c.try_wait()
            {
                let log = std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default();
                panic!("slapd exited with {status}: {log}");
            }
            assert!(start.elapsed() < Duration::from_secs(20), "slapd did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }

    /// The CA that issued the server's certificate (PEM).
    pub fn ca_file(&self) -> String {
        self.dir.path().join("ca.pem").display().to_string()
    }

    /// A CA that did not issue it.
    pub fn wrong_ca_file(&self) -> String {
        self.dir.path().join("wrong-ca.pem").display().to_string()
    }

    /// Stops the server (the database stays for a restart).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts it again on the same port with the same database.
    pub fn restart(&mut self) {
        self.stop();
        self.launch(&slapd_binary());
    }

    pub fn conn(&self) -> LdapConn {
        let mut c = LdapConn::new(&self.url()).unwrap();
        c.simple_bind(ROOT_DN, ROOT_PW).unwrap().success().unwrap();
        c
    }

    pub fn add(&self, dn: &str, attrs: &[(&str, &[&str])]) {
        let attrs: Vec<(String, HashSet<String>)> =
            attrs.iter().map(|(a, vs)| (a.to_string(), vs.iter().map(|v| v.to_string()).collect())).collect();
        self.conn().add(dn, attrs).unwrap().success().unwrap();
    }

    /// Adds an entry whose values may be binary.
    pub fn add_bin(&self, dn: &str, attrs: &[(&str, Vec<Vec<u8>>)]) {
        let attrs: Vec<(Vec<u8>, HashSet<Vec<u8>>)> =
            attrs.iter().map(|(a, vs)| (a.as_bytes().to_vec(), vs.iter().cloned().collect())).collect();
        self.conn().add(dn, attrs).unwrap().success().unwrap();
    }

    /// An AD-shaped tree under `ou=AD` (AD_TEST_SCHEMA): binary SIDs and GUIDs, nested groups
    /// with a cycle, a computer with AD-shaped tokenGroups, and computers holding each kind of
    /// directory secret (see the AD_* constants).
    pub fn seed_ad(&self) {
        let t = |v: &str| vec![v.as_bytes().to_vec()];
        let sid = |s: &str| vec![ams_core::directory::sid_to_bytes(s).unwrap()];
        for ou in [AD_BASE.to_string(), format!("ou=Workstations,{AD_BASE}"), format!("ou=Servers,{AD_BASE}")] {
            let name = ou.split(',').next().unwrap().trim_start_matches("ou=").to_string();
            self.add_bin(
                &ou,
                &[
                    ("objectClass", vec![b"organizationalUnit".to_vec(), b"extensibleObject".to_vec()]),
                    ("ou", t(&name)),
                ],
            );
        }
        self.seed_ad_schema_and_permissions();
        let legacy = format!("cn=PC-LEGACY,ou=Workstations,{AD_BASE}");
        let win = format!("cn=PC-WIN,ou=Workstations,{AD_BASE}");
        let enc = format!("cn=PC-ENC,ou=Servers,{AD_BASE}");
        self.add_bin(
            &legacy,
            &[
                ("objectClass", t("computer")),
                ("cn", t("PC-LEGACY")),
                ("sAMAccountName", t("PC-LEGACY$")),
                ("dNSHostName", t("pc-legacy.ad.ams.test")),
                ("objectSid", sid(AD_LEGACY_SID)),
                ("objectGUID", vec![vec![0x11; 16]]),
                ("ms-Mcs-AdmPwd", t(AD_LEGACY_PW)),
                ("ms-Mcs-AdmPwdExpirationTime", t("133498152000000000")),
            ],
        );
        self.add_bin(
            &format!("cn=2024-01-15T10:00:00-08:00{{6C5B2A40-8F1D-4E2B-9C3A-112233445566}},{legacy}"),
            &[
                ("objectClass", t("msFVE-RecoveryInformation")),
                ("cn", t("2024-01-15T10:00:00-08:00{6C5B2A40-8F1D-4E2B-9C3A-112233445566}")),
                ("msFVE-RecoveryPassword", t(AD_BITLOCKER_PW)),
                (
                    "msFVE-RecoveryGuid",
                    vec![vec![
                        0x40, 0x2a, 0x5b, 0x6c, 0x1d, 0x8f, 0x2b, 0x4e, 0x9c, 0x3a, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
                    ]],
                ),
                ("msFVE-VolumeGuid", vec![vec![0x22; 16]]),
            ],
        );
        let json = format!(r#"{{"n":"LocalAdmin","t":"{:x}","p":"{AD_WINDOWS_PW}"}}"#, AD_WINDOWS_UPDATED_FILETIME);
        let domain_computers = sid(&format!("{AD_DOMAIN_SID}-515")).remove(0);
        let builtin_users = sid("S-1-5-32-545").remove(0);
        self.add_bin(
            &win,
            &[
                ("objectClass", t("computer")),
                ("cn", t("PC-WIN")),
                ("sAMAccountName", t("PC-WIN$")),
                ("dNSHostName", t("pc-win.ad.ams.test")),
                ("objectSid", sid(AD_WIN_SID)),
                ("tokenGroups", vec![domain_computers, builtin_users]),
                ("msLAPS-Password", t(&json)),
                ("msLAPS-PasswordExpirationTime", t("133498152000000000")),
                ("ms-Mcs-AdmPwd", t(AD_STALE_LEGACY_PW)),
            ],
        );
        self.add_bin(
            &enc,
            &[
                ("objectClass", t("computer")),
                ("cn", t("PC-ENC")),
                ("sAMAccountName", t("PC-ENC$")),
                ("objectSid", sid(AD_ENC_SID)),
                ("msLAPS-EncryptedPassword", vec![vec![0x5a; 64]]),
                ("msLAPS-EncryptedPasswordHistory", vec![vec![0x5b; 64], vec![0x5c; 64]]),
                ("msLAPS-PasswordExpirationTime", t("133498152000000000")),
            ],
        );
        let workstations = format!("cn=Workstations,ou=Workstations,{AD_BASE}");
        let all = format!("cn=All Computers,{AD_BASE}");
        self.add_bin(
            &workstations,
            &[
                ("objectClass", t("group")),
                ("cn", t("Workstations")),
                ("sAMAccountName", t("Workstations")),
                ("objectSid", sid(AD_WORKSTATIONS_SID)),
                ("member", vec![legacy.into_bytes()]),
            ],
        );
        self.add_bin(
            &all,
            &[
                ("objectClass", t("group")),
                ("cn", t("All Computers")),
                ("sAMAccountName", t("All Computers")),
                ("objectSid", sid(AD_ALL_COMPUTERS_SID)),
                ("member", vec![workstations.clone().into_bytes()]),
            ],
        );
        // A membership cycle: the walk visits each group once.
        let mut c = self.conn();
        c.modify(&workstations, vec![ldap3::Mod::Add("member".to_string(), HashSet::from([all]))])
            .unwrap()
            .success()
            .unwrap();
    }

    /// A schema container with the LAPS attributes' schemaIDGUIDs (forest-specific test values for
    /// ms-Mcs-AdmPwd and msLAPS-Password; the computer class's fixed one), and OU security
    /// descriptors delegating LAPS reads (AD-shaped: inherit-only object ACEs for computers).
    fn seed_ad_schema_and_permissions(&self) {
        use ams_core::directory::sd::{self, Ace};
        let t = |v: &str| vec![v.as_bytes().to_vec()];
        let guid = |g: &str| vec![uuid::Uuid::parse_str(g).unwrap().to_bytes_le().to_vec()];
        for dn in [format!("cn=Configuration,{SUFFIX}"), AD_SCHEMA_DN.to_string()] {
            let cn = dn.split(',').next().unwrap().trim_start_matches("cn=").to_string();
            self.add_bin(&dn, &[("objectClass", t("applicationProcess")), ("cn", t(&cn))]);
        }
        for (cn, name, class, g) in [
            ("ms-Mcs-AdmPwd", "ms-Mcs-AdmPwd", "attributeSchema", AD_ADMPWD_GUID),
            ("ms-LAPS-Password", "msLAPS-Password", "attributeSchema", AD_MSLAPS_PASSWORD_GUID),
            ("Computer", "computer", "classSchema", AD_COMPUTER_CLASS_GUID),
        ] {
            self.add_bin(
                &format!("cn={cn},{AD_SCHEMA_DN}"),
                &[("objectClass", t(class)), ("cn", t(cn)), ("lDAPDisplayName", t(name)), ("schemaIDGUID", guid(g))],
            );
        }
        let g = |s: &str| uuid::Uuid::parse_str(s).unwrap();
        let rw = sd::ADS_RIGHT_DS_READ_PROP | sd::ADS_RIGHT_DS_CONTROL_ACCESS;
        let ci_io = sd::CONTAINER_INHERIT_ACE | sd::INHERIT_ONLY_ACE;
        let object = |sid: &str, attr: &str| Ace {
            ace_type: sd::ACCESS_ALLOWED_OBJECT_ACE_TYPE,
            flags: ci_io,
            mask: rw,
            object_type: Some(g(attr)),
            inherited_object_type: Some(g(AD_COMPUTER_CLASS_GUID)),
            sid: sid.into(),
        };
        let full = |sid: &str, flags: u8| Ace {
            ace_type: sd::ACCESS_ALLOWED_ACE_TYPE,
            flags,
            mask: 0x000f_01ff,
            object_type: None,
            inherited_object_type: None,
            sid: sid.into(),
        };
        let workstations = sd::build(
            &format!("{AD_DOMAIN_SID}-512"),
            &[
                object(AD_LAPS_READERS_SID, AD_ADMPWD_GUID),
                object(AD_HELPDESK_SID, AD_MSLAPS_PASSWORD_GUID),
                full("S-1-5-18", sd::CONTAINER_INHERIT_ACE),
                full(&format!("{AD_DOMAIN_SID}-519"), sd::CONTAINER_INHERIT_ACE | sd::INHERITED_ACE),
            ],
        )
        .unwrap();
        let servers = sd::build(
            &format!("{AD_DOMAIN_SID}-512"),
            &[
                full(AD_SERVER_ADMINS_SID, sd::CONTAINER_INHERIT_ACE),
                object(AD_LAPS_READERS_SID, AD_ADMPWD_GUID),
                Ace {
                    ace_type: sd::ACCESS_DENIED_OBJECT_ACE_TYPE,
                    flags: ci_io,
                    mask: sd::ADS_RIGHT_DS_CONTROL_ACCESS,
                    object_type: Some(g(AD_ADMPWD_GUID)),
                    inherited_object_type: None,
                    sid: AD_LAPS_READERS_SID.into(),
                },
            ],
        )
        .unwrap();
        let mut c = self.conn();
        for (ou, sdv) in [("Workstations", workstations), ("Servers", servers)] {
            let m = ldap3::Mod::Replace(b"nTSecurityDescriptor".to_vec(), HashSet::from([sdv]));
            c.modify(&format!("ou={ou},{AD_BASE}"), vec![m]).unwrap().success().unwrap();
        }
    }

    /// The member DNs of a group.
    pub fn members(&self, group_dn: &str) -> Vec<String> {
        let mut m = self.attr(group_dn, "member");
        m.sort();
        m
    }

    /// Whether an entry exists.
    pub fn exists(&self, dn: &str) -> bool {
        match self.conn().search(dn, Scope::Base, "(objectClass=*)", vec!["1.1"]).unwrap().success() {
            Ok((e, _)) => !e.is_empty(),
            Err(_) => false,
        }
    }

    /// One attribute's values.
    pub fn attr(&self, dn: &str, attr: &str) -> Vec<String> {
        let (entries, _) =
            self.conn().search(dn, Scope::Base, "(objectClass=*)", vec![attr]).unwrap().success().unwrap();
        SearchEntry::construct(entries.into_iter().next().unwrap()).attrs.remove(attr).unwrap_or_default()
    }

    /// Base entries: OUs, a user with a SID, two computers, a JIT group and a group holding PC1.
    /// SIDs live in `ou` (allowed on inetOrgPerson, device and groupOfNames); groupOfNames needs a
    /// member, so groups start with a placeholder DN.
    fn seed(&self) {
        self.add(SUFFIX, &[("objectClass", &["dcObject", "organization"]), ("o", &["ams"]), ("dc", &["ams"])]);
        for ou in ["People", "Computers", "Groups", "JitGroups"] {
            self.add(&format!("ou={ou},{SUFFIX}"), &[("objectClass", &["organizationalUnit"]), ("ou", &[ou])]);
        }
        self.add(
            &format!("ou=Servers,ou=Computers,{SUFFIX}"),
            &[("objectClass", &["organizationalUnit"]), ("ou", &["Servers"])],
        );
        self.add(
            &format!("uid=alice,ou=People,{SUFFIX}"),
            &[
                ("objectClass", &["inetOrgPerson"]),
                ("uid", &["alice"]),
                ("cn", &["Alice"]),
                ("sn", &["Example"]),
                ("ou", &[ALICE_SID]),
            ],
        );
        self.add(&format!("cn=PC1,ou=Computers,{SUFFIX}"), &[("objectClass", &["device"]), ("cn", &["PC1"])]);
        self.add(
            &format!("cn=SRV1,ou=Servers,ou=Computers,{SUFFIX}"),
            &[("objectClass", &["device"]), ("cn", &["SRV1"])],
        );
        self.add(
            &format!("cn=JIT-PC1,ou=Groups,{SUFFIX}"),
            &[
                ("objectClass", &["groupOfNames"]),
                ("cn", &["JIT-PC1"]),
                ("member", &[PLACEHOLDER]),
                ("ou", &[JIT_GROUP_SID]),
            ],
        );
        let pc1 = format!("cn=PC1,ou=Computers,{SUFFIX}");
        self.add(
            &format!("cn=Desktops,ou=Groups,{SUFFIX}"),
            &[
                ("objectClass", &["groupOfNames"]),
                ("cn", &["Desktops"]),
                ("member", &[pc1.as_str()]),
                ("ou", &[DESKTOPS_SID]),
            ],
        );
    }
}

pub const ALICE_SID: &str = "S-1-5-21-7-7-7-1104";
pub const JIT_GROUP_SID: &str = "S-1-5-21-7-7-7-3001";
pub const DESKTOPS_SID: &str = "S-1-5-21-7-7-7-3002";
pub const PLACEHOLDER: &str = "cn=placeholder,dc=ams,dc=test";

pub const AD_BASE: &str = "ou=AD,dc=ams,dc=test";
pub const AD_DOMAIN_SID: &str = "S-1-5-21-1004336348-1177238915-682003330";
pub const AD_LEGACY_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-2001";
pub const AD_WIN_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-2002";
pub const AD_ENC_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-2003";
pub const AD_WORKSTATIONS_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1101";
pub const AD_ALL_COMPUTERS_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1102";
/// Canary secrets: tests check that they never show up outside the read that returns them.
pub const AD_LEGACY_PW: &str = "LegacyCanary-7f3e-d1r";
pub const AD_STALE_LEGACY_PW: &str = "StaleLegacyCanary-0b2c";
pub const AD_WINDOWS_PW: &str = "WinLapsCanary-91ab-d1r";
pub const AD_BITLOCKER_PW: &str = "111111-222222-333333-444444-555555-666666-111111-222222";
pub const AD_SCHEMA_DN: &str = "cn=Schema,cn=Configuration,dc=ams,dc=test";
pub const AD_ADMPWD_GUID: &str = "4a6b5c3d-1e2f-4a5b-8c9d-0e1f2a3b4c5d";
pub const AD_MSLAPS_PASSWORD_GUID: &str = "7e2d4c1b-9a8f-4e3d-b2c1-a0f9e8d7c6b5";
pub const AD_COMPUTER_CLASS_GUID: &str = "bf967a86-0de6-11d0-a285-00aa003049e2";
pub const AD_LAPS_READERS_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1601";
pub const AD_HELPDESK_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1602";
pub const AD_SERVER_ADMINS_SID: &str = "S-1-5-21-1004336348-1177238915-682003330-1603";
/// 2026-11-01T00:00:00Z as a FILETIME.
pub const AD_WINDOWS_UPDATED_FILETIME: i64 = 134_379_648_000_000_000;

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Active Directory's attributes and classes that the directory providers read, written for
/// this test server from Microsoft's published attribute definitions (OIDs, syntaxes:
/// Unicode String as a directory string, Large Integer as an integer, Octet String and SIDs as
/// octet strings). `tokenGroups` is constructed by AD; here it is stored, so a test can give a
/// computer AD-shaped token groups. `computer` and `group` are structural here (in AD they
/// derive from `user` and `top`).
pub const AD_TEST_SCHEMA: &str = r#"
attributetype ( 1.2.840.113556.1.4.146 NAME 'objectSid'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.2 NAME 'objectGUID'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.221 NAME 'sAMAccountName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.619 NAME 'dNSHostName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.750 NAME 'groupType'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.1301 NAME 'tokenGroups'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )
attributetype ( 1.2.840.113556.1.2.281 NAME 'nTSecurityDescriptor'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.8000.2554.50051.45980.28112.18903.35903.6685103.1224907.2.1
  NAME 'ms-Mcs-AdmPwd' EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.8000.2554.50051.45980.28112.18903.35903.6685103.1224907.2.2
  NAME 'ms-Mcs-AdmPwdExpirationTime' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.6.44.1.1 NAME 'msLAPS-PasswordExpirationTime'
  EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.6.44.1.2 NAME 'msLAPS-Password'
  EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.6.44.1.3 NAME 'msLAPS-EncryptedPassword'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.6.44.1.4 NAME 'msLAPS-EncryptedPasswordHistory'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 )
attributetype ( 1.2.840.113556.1.4.1964 NAME 'msFVE-RecoveryPassword'
  EQUALITY caseExactMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.1965 NAME 'msFVE-RecoveryGuid'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.1998 NAME 'msFVE-VolumeGuid'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.2.460 NAME 'lDAPDisplayName'
  EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.2.840.113556.1.4.148 NAME 'schemaIDGUID'
  EQUALITY octetStringMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.40 SINGLE-VALUE )
objectclass ( 1.2.840.113556.1.3.14 NAME 'attributeSchema' SUP top STRUCTURAL MUST ( cn $ lDAPDisplayName $ schemaIDGUID ) )
objectclass ( 1.2.840.113556.1.3.13 NAME 'classSchema' SUP top STRUCTURAL MUST ( cn $ lDAPDisplayName $ schemaIDGUID ) )
objectclass ( 1.2.840.113556.1.3.30 NAME 'computer' SUP top STRUCTURAL MUST cn
  MAY ( sAMAccountName $ dNSHostName $ objectSid $ objectGUID $ tokenGroups $ description $
        ms-Mcs-AdmPwd $ ms-Mcs-AdmPwdExpirationTime $ msLAPS-Password $ msLAPS-PasswordExpirationTime $
        msLAPS-EncryptedPassword $ msLAPS-EncryptedPasswordHistory ) )
objectclass ( 1.2.840.113556.1.5.8 NAME 'group' SUP top STRUCTURAL MUST cn
  MAY ( sAMAccountName $ objectSid $ objectGUID $ member $ groupType $ description ) )
objectclass ( 1.2.840.113556.1.5.253 NAME 'msFVE-RecoveryInformation' SUP top STRUCTURAL MUST cn
  MAY ( msFVE-RecoveryPassword $ msFVE-RecoveryGuid $ msFVE-VolumeGuid ) )
"#;
