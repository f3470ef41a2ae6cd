//! A throw-away OpenLDAP `slapd` for the JIT directory tests: a temp dir with a minimal
//! slapd.conf (mdb backend, suffix dc=ams,dc=test, core/cosine/nis/inetorgperson schemas), on a
//! free loopback port, stopped when dropped. The tests fail (never skip) when slapd is missing:
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
    child: Option<Child>,
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
        let conf = format!(
            "include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             pidfile {d}/slapd.pid\n\
             {modules}\
             database mdb\n\
             maxsize 10485760\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ROOT_DN}\"\n\
             rootpw {ROOT_PW}\n\
             directory {d}/db\n"
        );
        std::fs::write(dir.path().join("slapd.conf"), conf).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let mut s = Slapd { dir, port, child: None };
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
            .arg(format!("ldap://127.0.0.1:{}/", self.port))
            .args(["-d", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start slapd");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
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

    /// The member DNs of a group.
    pub fn members(&self, group_dn: &str) -> Vec<String> {
        let (entries, _) =
            self.conn().search(group_dn, Scope::Base, "(objectClass=*)", vec!["member"]).unwrap().success().unwrap();
        let mut e = SearchEntry::construct(entries.into_iter().next().unwrap());
        let mut m = e.attrs.remove("member").unwrap_or_default();
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

impl Drop for Slapd {
    fn drop(&mut self) {
        self.stop();
    }
}
