//! `ams agent ... --server URL`: the reference agent against a remote `ams server`. The device key
//! lives in the agent state directory (0600); the server never sees it.

use std::path::PathBuf;

use ams_core::crypto::envelope::OaepHash;
use ams_core::service::secrets::Upload;
use ams_core::{Error, ErrorCode, Result};
use ams_server::client::{self, Agent, AgentClient, RegisterInput, Setter};
use serde_json::Value;

use super::agent::{
    AgentCommand, RemoteArgs, check_recovery_password, os_name, password_secret, read_registration_key,
};
use super::to_json;
use crate::secret::read_secret;

struct Remote {
    url: String,
    client: AgentClient,
    state_dir: PathBuf,
}

fn remote(r: &RemoteArgs) -> Result<Remote> {
    let url = r.server.clone().ok_or_else(|| {
        Error::new(ErrorCode::UsageError, "This verb needs --server URL.")
            .hint("Pass --server https://ams.example.com.")
    })?;
    let state_dir = r.state_dir.clone().ok_or_else(|| {
        Error::new(ErrorCode::UsageError, "--server needs --state-dir DIR (or AMS_AGENT_STATE_DIR).")
            .hint("The state directory keeps the device key between runs.")
    })?;
    let client = AgentClient::new(&url, r.ca_file.as_deref())?;
    Ok(Remote { url, client, state_dir })
}

pub fn run(c: AgentCommand) -> Result<Value> {
    match c {
        AgentCommand::Register(a) => {
            let r = remote(&a.remote)?;
            let key = read_registration_key(&a)?;
            let input = RegisterInput {
                name: a.name.clone(),
                operating_system: os_name(a.os).into(),
                dns_name: a.dns_name.clone(),
                os_version: a.os_version.clone(),
                agent_version: a.agent_version.clone(),
            };
            let (resp, _) = client::block_on(client::register(&r.client, &r.url, Some(&r.state_dir), &key, &input))??;
            Ok(serde_json::json!({
                "DeviceId": resp.device_id,
                "ApprovalState": resp.approval_state,
                "StateDirectory": r.state_dir.display().to_string(),
            }))
        }
        AgentCommand::CheckIn(a) => {
            let r = remote(&a.remote)?;
            let agent = Agent::load(&r.state_dir)?;
            let ci = client::block_on(async {
                let mut conn = r.client.connect().await?;
                client::check_in(&mut conn, &agent).await
            })??;
            to_json(&ci)
        }
        AgentCommand::SubmitPassword(a) => {
            let r = remote(&a.remote)?;
            let agent = Agent::load(&r.state_dir)?;
            // Read a typed password before connecting; a generated one follows the check-in's policy.
            let typed = if a.generate { None } else { Some(read_secret("password", false)?) };
            let oaep: OaepHash = a.oaep.into();
            let receipt = client::block_on(async {
                let mut conn = r.client.connect().await?;
                let ci = client::check_in(&mut conn, &agent).await?;
                let secret = match typed {
                    Some(t) => t,
                    None => password_secret(&a, || ci.policy.generator())?,
                };
                let account = a.account.clone().unwrap_or_else(|| ci.policy.account_name.clone());
                let up = Upload::Password { account_name: account };
                client::upload(&mut conn, &agent, client::certificate(&ci)?, &up, &secret, oaep).await
            })??;
            to_json(&receipt)
        }
        AgentCommand::SubmitBitlockerKey(a) => {
            let r = remote(&a.remote)?;
            let agent = Agent::load(&r.state_dir)?;
            let secret = read_secret("BitLocker recovery password", false)?;
            check_recovery_password(&secret)?;
            let up = Upload::BitLocker {
                key_id: a.key_id.clone(),
                volume_id: a.volume_id.clone(),
                volume_type: a.volume_type.clone(),
            };
            let oaep: OaepHash = a.oaep.into();
            let receipt = client::block_on(async {
                let mut conn = r.client.connect().await?;
                let ci = client::check_in(&mut conn, &agent).await?;
                client::upload(&mut conn, &agent, client::certificate(&ci)?, &up, &secret, oaep).await
            })??;
            to_json(&receipt)
        }
        AgentCommand::Rotate(a) => {
            let r = remote(&a.remote)?;
            let agent = Agent::load(&r.state_dir)?;
            let setter = Setter { program: a.setter.clone(), args: a.setter_args.clone() };
            let report = client::block_on(client::rotate(&r.client, &agent, &setter, a.account.as_deref()))??;
            to_json(&report)
        }
    }
}
