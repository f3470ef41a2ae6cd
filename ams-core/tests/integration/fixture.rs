//! A throw-away instance with a fixed clock and cheap key derivation.

use std::sync::Arc;

use ams_core::clock::FixedClock;
use ams_core::crypto::envelope::OaepHash;
use ams_core::crypto::seal::KdfParams;
use ams_core::service::agent::Registration;
use ams_core::service::certs::NewCertOptions;
use ams_core::service::keys::Keyring;
use ams_core::service::secrets::Upload;
use ams_core::store::DeviceRow;
use ams_core::{Ams, OpenOptions};

pub const RECOVERY: &[u8] = b"fixture recovery passphrase";

pub fn cheap_kdf() -> KdfParams {
    KdfParams::with_cost(64, 1, 1).unwrap()
}

pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub clock: FixedClock,
    pub ams: Ams,
    pub keyring: Keyring,
}

impl Fixture {
    /// A new instance with one active 3072-bit certificate.
    pub fn new() -> Fixture {
        let f = Fixture::bare();
        f.ams
            .cert_new(
                &f.keyring,
                &NewCertOptions { subject: "fixture".into(), key_bits: 3072, validity_days: 365, activate: true },
            )
            .unwrap();
        f
    }

    /// A new instance without certificates.
    pub fn bare() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let clock = FixedClock::new(time::macros::datetime!(2026-03-01 12:00 UTC));
        let opts = OpenOptions::new(dir.path().join("data")).clock(Arc::new(clock.clone()));
        let (ams, _) = Ams::init(&opts, RECOVERY, cheap_kdf()).unwrap();
        let keyring = ams.unlock().unwrap();
        Fixture { dir, clock, ams, keyring }
    }

    pub fn options(&self) -> OpenOptions {
        OpenOptions::new(self.dir.path().join("data")).clock(Arc::new(self.clock.clone()))
    }

    pub fn reopen(&self) -> Ams {
        Ams::open(&self.options()).unwrap()
    }

    /// Registers an approved device through a fresh key and returns its id.
    pub fn device(&self, name: &str) -> String {
        let key = self.ams.reg_key_new(&self.keyring, &format!("key-{name}"), true, 0, false).unwrap();
        let reg = Registration {
            name: name.into(),
            os: "windows".into(),
            dns_name: Some(format!("{name}.example.test")),
            os_version: None,
            agent_version: None,
        };
        self.ams.agent_register(&key.key, &reg).unwrap().device_id
    }

    /// Inserts an approved AD-joined device directly (the agent registers ams devices only) and
    /// returns its id.
    pub fn ad_device(&self, name: &str, sid: &str, authority_id: &str, dns_name: Option<String>) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let now = self.ams.now();
        let row = DeviceRow {
            id: id.clone(),
            name: name.into(),
            dns_name,
            authority_type: "ActiveDirectory".into(),
            authority_id: authority_id.into(),
            authority_device_id: sid.into(),
            sid: sid.into(),
            os_type: "Windows".into(),
            os_family: None,
            os_version: None,
            agent_version: None,
            approval_state: "Approved".into(),
            disabled: false,
            registration_key_id: None,
            credential_hash: None,
            created_at: now.clone(),
            modified_at: now,
        };
        self.ams.store().write(|tx| tx.insert_device(&row)).unwrap();
        id
    }

    pub fn upload_password(
        &self,
        device: &str,
        pw: &str,
    ) -> ams_core::Result<ams_core::service::secrets::IngestReceipt> {
        self.ams.agent_upload(
            &self.keyring,
            device,
            &Upload::Password { account_name: "Administrator".into() },
            pw.as_bytes(),
            OaepHash::Sha512,
        )
    }

    pub fn db_bytes(&self) -> Vec<u8> {
        // Checkpoint so the WAL content is in the main file too; read both anyway.
        let dir = self.dir.path().join("data");
        let mut all = std::fs::read(dir.join("ams.db")).unwrap();
        if let Ok(w) = std::fs::read(dir.join("ams.db-wal")) {
            all.extend(w);
        }
        all
    }
}

pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A pending JIT removal job for the scheduler tests: `member_dn` (the user `user_sid`) leaves
/// the group JIT-PC1 at `group_dn`, due 2026-03-01 11:00 UTC (an hour before the fixed clock).
pub fn pending_removal(id: &str, user_sid: &str, member_dn: &str, group_dn: &str) -> ams_core::store::JitJobRow {
    ams_core::store::JitJobRow {
        id: id.into(),
        job_type: "ActiveDirectoryGroupRemoval".into(),
        user_sid: user_sid.into(),
        member_dn: member_dn.into(),
        group_dn: group_dn.into(),
        group_name: "JIT-PC1".into(),
        device_id: None,
        computer_name: Some("PC1".into()),
        rule_id: None,
        due_at: "2026-03-01T11:00:00.000000Z".into(),
        attempts: 0,
        last_attempt_at: None,
        last_error: None,
        state: "pending".into(),
        created_at: "2026-03-01T10:00:00.000000Z".into(),
        completed_at: None,
    }
}

/// A directory for the JIT scheduler tests, which only removes members: each removal is handed
/// to the closure (group DN, member DN) and succeeds; nothing else is looked up or changed.
pub struct RemovalDirectory<F>(pub F);

impl<F: FnMut(&str, &str)> ams_core::directory::Directory for RemovalDirectory<F> {
    fn user_dn(&mut self, _: &str) -> ams_core::Result<String> {
        Err(ams_core::Error::invalid("not used"))
    }
    fn group(&mut self, _: &str) -> ams_core::Result<Option<ams_core::directory::Entry>> {
        Ok(None)
    }
    fn add_member(&mut self, _: &str, _: &str) -> ams_core::Result<bool> {
        Err(ams_core::Error::invalid("not used"))
    }
    fn remove_member(&mut self, group_dn: &str, member_dn: &str) -> ams_core::Result<bool> {
        (self.0)(group_dn, member_dn);
        Ok(true)
    }
    fn is_member(&mut self, _: &str, _: &str) -> ams_core::Result<bool> {
        Ok(true)
    }
    fn computer(&mut self, _: &str) -> ams_core::Result<Option<ams_core::directory::ComputerInfo>> {
        Ok(None)
    }
    fn computers_in(&mut self, _: &str, _: bool) -> ams_core::Result<Vec<ams_core::directory::Entry>> {
        Ok(Vec::new())
    }
    fn groups_in(&mut self, _: &str) -> ams_core::Result<Vec<ams_core::directory::Entry>> {
        Ok(Vec::new())
    }
    fn create_group(&mut self, _: &ams_core::directory::NewGroup) -> ams_core::Result<String> {
        Err(ams_core::Error::invalid("not used"))
    }
    fn delete(&mut self, _: &str) -> ams_core::Result<()> {
        Err(ams_core::Error::invalid("not used"))
    }
    fn sid_of(&mut self, _: &str) -> ams_core::Result<Option<String>> {
        Ok(None)
    }
    fn set_attribute(&mut self, _: &str, _: &str, _: &[String]) -> ams_core::Result<()> {
        Err(ams_core::Error::invalid("not used"))
    }
    fn attribute(&mut self, _: &str, _: &str) -> ams_core::Result<Vec<String>> {
        Ok(Vec::new())
    }
}
