//! The agent side of the API: an HTTPS client (hyper on rustls) and the reference agent's
//! operations (register, check-in, uploads, rotation) with its state directory. The `ams agent`
//! verbs use it with `--server`; the load generator in ams-bench uses [`Connection`] directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ams_core::clock::{Clock, SystemClock};
use ams_core::crypto::envelope::OaepHash;
use ams_core::service::agent::seal_upload;
use ams_core::service::device_auth::{DeviceKey, RequestBinding};
use ams_core::service::secrets::Upload;
use ams_core::{Error, ErrorCode, Result};
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::http::{Method, Request, header};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::routes::paths;
use crate::wire;

/// Lifetime of the tokens the reference agent signs, in seconds.
pub const TOKEN_LIFETIME_SECS: i64 = 120;

fn unreachable(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::AgentServerUnreachable, message)
        .hint("Check the server URL, that `ams server run` is up, and the CA file (--ca-file).")
}

/// Where the server is.
#[derive(Debug, Clone)]
pub struct Target {
    https: bool,
    host: String,
    port: u16,
    authority: String,
}

impl Target {
    /// Parses `https://host[:port]` (or `http://` for a loopback test server).
    pub fn parse(url: &str) -> Result<Target> {
        let bad = || {
            Error::invalid("The server URL must look like https://ams.example.com or https://ams.example.com:8443.")
                .with("url", url.chars().take(200).collect::<String>())
        };
        let uri: hyper::Uri = url.trim().trim_end_matches('/').parse().map_err(|_| bad())?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(bad()),
        };
        if uri.path() != "/" && !uri.path().is_empty() || uri.query().is_some() {
            return Err(bad());
        }
        let host = uri.host().ok_or_else(bad)?.trim_matches(['[', ']']).to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let authority = uri.authority().map(|a| a.to_string()).ok_or_else(bad)?;
        Ok(Target { https, host, port, authority })
    }
}

/// An HTTPS client for one server.
#[derive(Clone)]
pub struct AgentClient {
    target: Target,
    tls: Option<(tokio_rustls::TlsConnector, rustls_pki_types::ServerName<'static>)>,
}

impl std::fmt::Debug for AgentClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentClient").field("target", &self.target).finish_non_exhaustive()
    }
}

impl AgentClient {
    /// A client for `url`, trusting the certificates in `ca_file` (else the system's roots).
    /// Plain `http://` is allowed only to a loopback address.
    pub fn new(url: &str, ca_file: Option<&Path>) -> Result<AgentClient> {
        let target = Target::parse(url)?;
        let tls = if target.https {
            let cfg = crate::tls::client_config(ca_file)?;
            let name = rustls_pki_types::ServerName::try_from(target.host.clone())
                .map_err(|_| Error::invalid("The server URL's host name is not valid."))?;
            Some((tokio_rustls::TlsConnector::from(cfg), name))
        } else {
            let loopback =
                target.host == "localhost" || target.host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback());
            if !loopback {
                return Err(Error::invalid("Plain http:// is only allowed to a loopback address; use https://."));
            }
            None
        };
        Ok(AgentClient { target, tls })
    }

    /// Opens a keep-alive connection.
    pub async fn connect(&self) -> Result<Connection> {
        let tcp = tokio::net::TcpStream::connect((self.target.host.as_str(), self.target.port))
            .await
            .map_err(|e| unreachable(format!("The server cannot be reached: {}.", e.kind())))?;
        let _ = tcp.set_nodelay(true);
        let sender = match &self.tls {
            Some((conn, name)) => {
                let tls = conn.connect(name.clone(), tcp).await.map_err(|e| {
                    Error::new(
                        ErrorCode::AgentServerUnreachable,
                        format!("The TLS handshake with the server failed: {e}."),
                    )
                    .hint("Pass the server's certificate or CA with --ca-file.")
                })?;
                handshake(TokioIo::new(tls)).await?
            }
            None => handshake(TokioIo::new(tcp)).await?,
        };
        Ok(Connection { sender, authority: self.target.authority.clone() })
    }
}

async fn handshake<T>(io: T) -> Result<hyper::client::conn::http1::SendRequest<Full<Bytes>>>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|_| unreachable("The HTTP handshake with the server failed."))?;
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}

/// One keep-alive connection to the server.
pub struct Connection {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    authority: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("authority", &self.authority).finish_non_exhaustive()
    }
}

impl Connection {
    /// Sends a request; returns the status and body.
    pub async fn send(&mut self, method: Method, path: &str, body: Bytes, token: Option<&str>) -> Result<(u16, Bytes)> {
        self.sender.ready().await.map_err(|_| unreachable("The server closed the connection."))?;
        let mut b = Request::builder().method(method).uri(path).header(header::HOST, &self.authority);
        if !body.is_empty() {
            b = b.header(header::CONTENT_TYPE, "application/json");
        }
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = b.body(Full::new(body)).map_err(|_| Error::internal("Could not build the request."))?;
        let resp = self.sender.send_request(req).await.map_err(|_| unreachable("The server did not answer."))?;
        let status = resp.status().as_u16();
        let body =
            resp.into_body().collect().await.map_err(|_| unreachable("The server's answer was cut off."))?.to_bytes();
        Ok((status, body))
    }

    /// Sends a request and reads a JSON answer; an error answer becomes the server's coded error.
    pub async fn call<T: for<'de> Deserialize<'de>>(
        &mut self,
        method: Method,
        path: &str,
        body: Bytes,
        token: Option<&str>,
    ) -> Result<T> {
        let (status, bytes) = self.send(method, path, body, token).await?;
        if (200..300).contains(&status) {
            return serde_json::from_slice(&bytes)
                .map_err(|_| unreachable("The server's answer is not an agent API answer."));
        }
        Err(server_error(status, &bytes))
    }
}

/// The server's error document as an error with the server's code.
pub fn server_error(status: u16, body: &[u8]) -> Error {
    match serde_json::from_slice::<wire::ErrorDocument>(body) {
        Ok(doc) => match ErrorCode::parse(&doc.error.code) {
            Some(code) => {
                let mut e = Error::new(code, doc.error.message).with("http_status", status);
                if let Some(h) = doc.error.hint {
                    e = e.hint(h);
                }
                e
            }
            None => unreachable(format!("The server answered with an unknown error code (HTTP {status}).")),
        },
        Err(_) => unreachable(format!("The server answered HTTP {status} without an agent API error.")),
    }
}

/// The reference agent's state: which server, which device, and the device key.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields)]
pub struct AgentState {
    /// File format version: 1.
    pub version: u32,
    /// The server URL it registered with.
    pub server_url: String,
    /// The token audience (the instance).
    pub audience: String,
    /// The device id.
    pub device_id: String,
    /// The device key's thumbprint.
    pub key_thumbprint: String,
}

/// State file name in the state directory.
pub const STATE_FILE: &str = "agent.json";
/// Device key file name (PKCS#8 DER, 0600).
pub const KEY_FILE: &str = "device.key";

fn state_error(message: &str, dir: &Path) -> Error {
    Error::new(ErrorCode::AgentStateInvalid, message.to_string())
        .hint("Register with `ams agent register --server URL --state-dir DIR` first.")
        .with("state_dir", dir.display())
}

/// The state directory's contents.
pub struct Agent {
    /// State.
    pub state: AgentState,
    key: DeviceKey,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").field("state", &self.state).finish_non_exhaustive()
    }
}

impl Agent {
    /// Loads a state directory; refuses key files that other users can read.
    pub fn load(dir: &Path) -> Result<Agent> {
        let text = std::fs::read_to_string(dir.join(STATE_FILE))
            .map_err(|_| state_error("The agent state directory holds no registration.", dir))?;
        let state: AgentState =
            serde_json::from_str(&text).map_err(|_| state_error("The agent state file is damaged.", dir))?;
        let key_path = dir.join(KEY_FILE);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&key_path).map(|m| m.permissions().mode()).unwrap_or(0);
            if mode & 0o077 != 0 {
                return Err(Error::new(
                    ErrorCode::LoosePermissions,
                    "The device key file can be read by other users; the agent refuses to use it.",
                )
                .hint("Run `chmod 600` on device.key in the agent state directory.")
                .with("path", key_path.display()));
            }
        }
        let der = Zeroizing::new(
            std::fs::read(&key_path).map_err(|_| state_error("The agent state directory holds no device key.", dir))?,
        );
        let key = DeviceKey::from_pkcs8(&der)?;
        if key.public_key().thumbprint() != state.key_thumbprint {
            return Err(state_error("The device key does not match the agent state file.", dir));
        }
        Ok(Agent { state, key, clock: Arc::new(SystemClock) })
    }

    /// Uses another clock for the tokens it signs (tests move time).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Agent {
        self.clock = clock;
        self
    }

    /// The device key.
    pub fn key(&self) -> &DeviceKey {
        &self.key
    }

    /// Signs a token for one request.
    pub fn token(&self, path: &str, body: &[u8]) -> Result<String> {
        self.key.sign(
            Some(&self.state.device_id),
            &self.state.audience,
            &RequestBinding { method: "POST", path, body },
            self.clock.now(),
            TOKEN_LIFETIME_SECS,
        )
    }
}

fn body_of<T: Serialize>(v: &T) -> Result<Bytes> {
    serde_json::to_vec(v).map(Bytes::from).map_err(|_| Error::internal("Could not serialise the request."))
}

/// What a registration sends besides the key.
#[derive(Debug, Clone)]
pub struct RegisterInput {
    /// Computer name.
    pub name: String,
    /// `Windows`, `Linux` or `MacOS`.
    pub operating_system: String,
    /// DNS name.
    pub dns_name: Option<String>,
    /// OS version.
    pub os_version: Option<String>,
    /// Agent version.
    pub agent_version: Option<String>,
}

/// Registers with a server: makes a device key, sends the registration signed with it, and
/// keeps the key (0600) and the device id in `state_dir` (0700). Refuses a directory that already
/// holds a registration.
pub async fn register(
    client: &AgentClient,
    url: &str,
    state_dir: Option<&Path>,
    registration_key: &str,
    input: &RegisterInput,
) -> Result<(wire::RegisterResponse, Agent)> {
    if let Some(dir) = state_dir
        && dir.join(STATE_FILE).exists()
    {
        return Err(Error::new(ErrorCode::FileExists, "The agent state directory already holds a registration.")
            .hint("Use another --state-dir, or remove the old registration's directory first.")
            .with("state_dir", dir.display()));
    }
    let mut conn = client.connect().await?;
    let info: wire::InfoResponse = conn.call(Method::GET, paths::INFO, Bytes::new(), None).await?;
    let key = DeviceKey::generate()?;
    if let Some(dir) = state_dir {
        ams_core::instance::create_data_dir(dir)?;
        // The key first: if the answer is lost, the device id can still be recovered by an admin.
        ams_core::instance::write_new_private(&dir.join(KEY_FILE), key.pkcs8())?;
    }
    let req = wire::RegisterRequest {
        registration_key: registration_key.to_string(),
        name: input.name.clone(),
        operating_system: input.operating_system.clone(),
        dns_name: input.dns_name.clone(),
        os_version: input.os_version.clone(),
        agent_version: input.agent_version.clone(),
        public_key: key.public_key().jwk().into(),
    };
    let body = Zeroizing::new(serde_json::to_vec(&req).map_err(|_| Error::internal("serialise"))?);
    let token = key.sign(
        None,
        &info.audience,
        &RequestBinding { method: "POST", path: paths::REGISTER, body: &body },
        SystemClock.now(),
        TOKEN_LIFETIME_SECS,
    )?;
    let r: Result<wire::RegisterResponse> =
        conn.call(Method::POST, paths::REGISTER, Bytes::copy_from_slice(&body), Some(&token)).await;
    let r = match r {
        Ok(r) => r,
        Err(e) => {
            if let Some(dir) = state_dir {
                let _ = std::fs::remove_file(dir.join(KEY_FILE));
            }
            return Err(e);
        }
    };
    let state = AgentState {
        version: 1,
        server_url: url.to_string(),
        audience: info.audience,
        device_id: r.device_id.clone(),
        key_thumbprint: key.public_key().thumbprint(),
    };
    if let Some(dir) = state_dir {
        let text = serde_json::to_vec_pretty(&state).map_err(|_| Error::internal("serialise"))?;
        ams_core::instance::write_new_private(&dir.join(STATE_FILE), &text)?;
    }
    Ok((r, Agent { state, key, clock: Arc::new(SystemClock) }))
}

/// Checks in.
pub async fn check_in(conn: &mut Connection, agent: &Agent) -> Result<wire::CheckInResponse> {
    let body = body_of(&wire::CheckInRequest {})?;
    let token = agent.token(paths::CHECK_IN, &body)?;
    conn.call(Method::POST, paths::CHECK_IN, body, Some(&token)).await
}

/// The body of an upload: the secret sealed to `cert_b64` for this device.
pub fn upload_body(
    agent: &Agent,
    cert_b64: &str,
    upload: &Upload,
    secret: &[u8],
    oaep: OaepHash,
) -> Result<(&'static str, Bytes)> {
    let cert = base64::engine::general_purpose::STANDARD
        .decode(cert_b64)
        .map_err(|_| unreachable("The server sent a certificate that is not base64."))?;
    let blob = seal_upload(&cert, &agent.state.device_id, upload, secret, oaep)?;
    let envelope = base64::engine::general_purpose::STANDARD.encode(blob);
    match upload {
        Upload::Password { account_name } => {
            Ok((paths::PASSWORD, body_of(&wire::PasswordUpload { account_name: account_name.clone(), envelope })?))
        }
        Upload::BitLocker { key_id, volume_id, volume_type } => Ok((
            paths::BITLOCKER,
            body_of(&wire::BitLockerUpload {
                key_id: key_id.clone(),
                volume_id: volume_id.clone(),
                volume_type: volume_type.clone(),
                envelope,
            })?,
        )),
    }
}

/// Seals and uploads a secret to the certificate the server names at check-in. Success means the
/// server opened the envelope and committed it.
pub async fn upload(
    conn: &mut Connection,
    agent: &Agent,
    cert_b64: &str,
    upload: &Upload,
    secret: &[u8],
    oaep: OaepHash,
) -> Result<wire::UploadReceipt> {
    let (path, body) = upload_body(agent, cert_b64, upload, secret, oaep)?;
    let token = agent.token(path, &body)?;
    conn.call(Method::POST, path, body, Some(&token)).await
}

/// The certificate from a check-in, or the error an upload would hit.
pub fn certificate(ci: &wire::CheckInResponse) -> Result<&str> {
    ci.encryption_certificate.as_deref().ok_or_else(|| {
        Error::new(ErrorCode::NoActiveCert, "The server has no active encryption certificate.")
            .hint("An administrator must run `ams cert new` on the server.")
    })
}

/// A setter command: the program and its arguments; the password goes to its stdin.
#[derive(Debug, Clone)]
pub struct Setter {
    /// Program.
    pub program: PathBuf,
    /// Arguments (never the password).
    pub args: Vec<String>,
}

impl Setter {
    /// Runs the setter with `account` in `AMS_ACCOUNT_NAME` and the password on stdin.
    pub fn set(&self, account: &str, password: &str) -> Result<()> {
        use std::io::Write;
        let failed = |m: String| {
            Error::new(ErrorCode::AgentSetterFailed, m)
                .hint("The local password was not changed by ams; fix the setter command and run `ams agent rotate` again.")
                .with("program", self.program.display())
        };
        let mut child = std::process::Command::new(&self.program)
            .args(&self.args)
            .env("AMS_ACCOUNT_NAME", account)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| failed(format!("The password setter could not be started: {}.", e.kind())))?;
        if let Some(mut stdin) = child.stdin.take() {
            let mut line = Zeroizing::new(password.as_bytes().to_vec());
            line.push(b'\n');
            stdin.write_all(&line).map_err(|_| failed("The password setter did not read the password.".into()))?;
        }
        let status = child.wait().map_err(|_| failed("The password setter did not finish.".into()))?;
        if !status.success() {
            return Err(failed(format!("The password setter failed ({status}).")));
        }
        Ok(())
    }
}

/// What `ams agent rotate` reports.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateReport {
    /// Device id.
    pub device_id: String,
    /// True when a new password was set and accepted by the server.
    pub rotated: bool,
    /// The check-in's reason: `NoPassword`, `Expired` or `None`.
    pub reason: String,
    /// The server's receipt when rotated.
    pub receipt: Option<wire::UploadReceipt>,
}

/// Uploads attempted after the setter changed the password before giving up.
pub const ROTATE_UPLOAD_ATTEMPTS: usize = 3;

/// Check in; when rotation is due, generate a password by the policy, set it with the setter,
/// then upload it. Success is reported only for a password the server accepted. If every upload
/// attempt fails, the error says the local password changed without being escrowed (the next
/// check-in still asks for a rotation, so the next run repairs it).
pub async fn rotate(
    client: &AgentClient,
    agent: &Agent,
    setter: &Setter,
    account: Option<&str>,
) -> Result<RotateReport> {
    let mut conn = client.connect().await?;
    let ci = check_in(&mut conn, agent).await?;
    if !ci.password_change_required {
        return Ok(RotateReport { device_id: ci.device_id, rotated: false, reason: ci.reason, receipt: None });
    }
    let cert = certificate(&ci)?.to_string();
    let account = account.unwrap_or(&ci.policy.account_name).to_string();
    let password = ci.policy.generator()?.generate()?;
    setter.set(&account, &password)?;
    let up = Upload::Password { account_name: account };
    let mut last = None;
    for _ in 0..ROTATE_UPLOAD_ATTEMPTS {
        let attempt = match client.connect().await {
            Ok(mut c) => upload(&mut c, agent, &cert, &up, password.as_bytes(), OaepHash::Sha512).await,
            Err(e) => Err(e),
        };
        match attempt {
            Ok(r) => {
                return Ok(RotateReport {
                    device_id: ci.device_id,
                    rotated: true,
                    reason: ci.reason,
                    receipt: Some(r),
                });
            }
            // The server refused this password for good: retrying sends the same refusal.
            Err(e) if e.code() != ErrorCode::AgentServerUnreachable && e.code() != ErrorCode::AgentServerBusy => {
                last = Some(e);
                break;
            }
            Err(e) => last = Some(e),
        }
    }
    let e = last.unwrap_or_else(|| unreachable("The upload was not attempted."));
    Err(Error::new(
        e.code(),
        format!("The local password was changed, but the server did not accept it: {}", e.message()),
    )
    .hint("Run `ams agent rotate` again: the server still asks this device for a new password."))
}

/// A runtime for one blocking call of the command line.
pub fn block_on<F: std::future::Future>(f: F) -> Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|_| Error::internal("Could not start the async runtime."))?;
    Ok(rt.block_on(f))
}
