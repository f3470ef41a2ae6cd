//! The router: one handler per agent API operation. Handlers know HTTP and the wire types; every
//! operation is the same `Ams` call the command line makes.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ams_core::service::agent::Registration;
use ams_core::service::device_auth::{self, RequestBinding, RequestOrigin};
use ams_core::service::secrets::Upload;
use ams_core::{Error, ErrorCode};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use http_body_util::BodyExt;
use serde::de::DeserializeOwned;

use crate::engine::Engine;
use crate::error::{ApiError, ErrorCodeTag};
use crate::ratelimit::{Decision, RateLimiter};
use crate::wire;

/// The paths of the API.
pub mod paths {
    /// Liveness and readiness.
    pub const HEALTH: &str = "/health";
    /// The audience and API version.
    pub const INFO: &str = "/agent/v1/info";
    /// This API's OpenAPI document.
    pub const OPENAPI: &str = "/agent/v1/openapi.json";
    /// Registration with a registration key and a device public key.
    pub const REGISTER: &str = "/agent/v1/register";
    /// The legacy credential's upgrade to a device key.
    pub const DEVICE_KEY: &str = "/agent/v1/device-key";
    /// Check-in.
    pub const CHECK_IN: &str = "/agent/v1/check-in";
    /// Password upload.
    pub const PASSWORD: &str = "/agent/v1/password";
    /// BitLocker recovery password upload.
    pub const BITLOCKER: &str = "/agent/v1/bitlocker-key";
}

/// Every route, as (method, path): the router is built from the same constants, and a test checks
/// this list against the OpenAPI document.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", paths::HEALTH),
    ("GET", paths::INFO),
    ("GET", paths::OPENAPI),
    ("POST", paths::REGISTER),
    ("POST", paths::DEVICE_KEY),
    ("POST", paths::CHECK_IN),
    ("POST", paths::PASSWORD),
    ("POST", paths::BITLOCKER),
];

/// Request limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub body_bytes: usize,
    /// Time allowed to receive a request body.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        // An envelope of a 64 KiB secret under RSA-8192 is ~88 KiB in base64.
        Limits { body_bytes: 128 * 1024, body_timeout: Duration::from_secs(20) }
    }
}

/// Most refusal audits waiting for a worker; past that, refusals are only logged.
const MAX_PENDING_AUDITS: usize = 256;

/// The server's shared state.
pub struct App {
    engine: Arc<Engine>,
    limits: Limits,
    register_limiter: RateLimiter,
    pending_audits: AtomicUsize,
    request_seq: AtomicU64,
    boot: u32,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl App {
    /// State over an engine; `register_per_minute` registrations per source address per minute
    /// (0: no limit).
    pub fn new(engine: Arc<Engine>, limits: Limits, register_per_minute: u32) -> Arc<App> {
        let boot = ams_core::crypto::seal::random_bytes::<4>().map(u32::from_le_bytes).unwrap_or(0);
        Arc::new(App {
            engine,
            limits,
            register_limiter: RateLimiter::new(register_per_minute, Duration::from_secs(60)),
            pending_audits: AtomicUsize::new(0),
            request_seq: AtomicU64::new(0),
            boot,
        })
    }

    /// The engine.
    pub fn engine(&self) -> &Arc<Engine> {
        &self.engine
    }

    /// Audits a refusal the server made itself (in the background, bounded).
    fn audit_refusal(self: &Arc<Self>, code: ErrorCode, operation: &'static str, peer: Option<SocketAddr>) {
        if self.pending_audits.fetch_add(1, Ordering::SeqCst) >= MAX_PENDING_AUDITS {
            self.pending_audits.fetch_sub(1, Ordering::SeqCst);
            tracing::warn!(code = code.as_str(), operation, "refusal not audited: too many pending audits");
            return;
        }
        let app = self.clone();
        tokio::spawn(async move {
            let ip = peer.map(|p| p.ip().to_string());
            let _ = app
                .engine
                .run(move |c| {
                    let origin = RequestOrigin { source_address: ip.as_deref(), operation };
                    c.ams().agent_refusal("agent.request", &Error::new(code, ""), &origin, None);
                    Ok(())
                })
                .await;
            app.pending_audits.fetch_sub(1, Ordering::SeqCst);
        });
    }

    fn refuse(self: &Arc<Self>, e: Error, operation: &'static str, peer: Option<SocketAddr>) -> ApiError {
        self.audit_refusal(e.code(), operation, peer);
        ApiError(e)
    }
}

/// The client address of a connection (a request extension set by the server).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// The router over the shared state.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route(paths::HEALTH, get(health))
        .route(paths::INFO, get(info))
        .route(paths::OPENAPI, get(openapi))
        .route(paths::REGISTER, post(register))
        .route(paths::DEVICE_KEY, post(enrol_key))
        .route(paths::CHECK_IN, post(check_in))
        .route(paths::PASSWORD, post(upload_password))
        .route(paths::BITLOCKER, post(upload_bitlocker))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(app)
}

/// Serves one request: the router, plus a request id and one access log line (method, route,
/// status, code, time; never a token, body or query string).
pub async fn handle(app: Arc<App>, router: Router, mut req: Request) -> Response {
    let start = Instant::now();
    let n = app.request_seq.fetch_add(1, Ordering::Relaxed);
    let request_id = format!("{:08x}-{n:x}", app.boot);
    let method = req.method().clone();
    let route = ROUTES.iter().find(|(_, p)| *p == req.uri().path()).map_or("(unknown)", |(_, p)| *p);
    let peer = req.extensions().get::<Peer>().map(|p| p.0);
    req.extensions_mut().insert(RequestId(request_id.clone()));
    let mut resp = match tower::ServiceExt::oneshot(router, req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let code = resp.extensions().get::<ErrorCodeTag>().map_or("", |c| c.0);
    let status = resp.status().as_u16();
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let peer_ip = peer.map(|p| p.ip().to_string()).unwrap_or_default();
    if status >= 500 {
        tracing::warn!(target: "ams::access", request_id, peer = peer_ip, method = %method, route, status, code, ms, "request");
    } else {
        tracing::info!(target: "ams::access", request_id, peer = peer_ip, method = %method, route, status, code, ms, "request");
    }
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// The id of a request (a request extension).
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

fn peer_of(req: &Request) -> Option<SocketAddr> {
    req.extensions().get::<Peer>().map(|p| p.0)
}

async fn read_body(app: &Arc<App>, body: Body, op: &'static str, peer: Option<SocketAddr>) -> Result<Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, app.limits.body_bytes);
    match tokio::time::timeout(app.limits.body_timeout, limited.collect()).await {
        Ok(Ok(c)) => Ok(c.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(app.refuse(
            Error::new(
                ErrorCode::AgentBodyTooLarge,
                format!("The request body is larger than {} bytes.", app.limits.body_bytes),
            ),
            op,
            peer,
        )),
        Ok(Err(_)) => Err(app.refuse(Error::invalid("The request body could not be read."), op, peer)),
        Err(_) => Err(app.refuse(
            Error::new(ErrorCode::AgentRequestTimeout, "The request body did not arrive in time.")
                .hint("Send the whole request at once."),
            op,
            peer,
        )),
    }
}

fn parse<T: DeserializeOwned>(
    app: &Arc<App>,
    bytes: &[u8],
    op: &'static str,
    peer: Option<SocketAddr>,
) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| {
        // serde's message can quote the input (which may hold a key): only say where.
        app.refuse(
            Error::invalid(format!(
                "The request body is not valid JSON for this operation (line {}, column {}).",
                e.line(),
                e.column()
            ))
            .hint("See the agent API's OpenAPI document at /agent/v1/openapi.json."),
            op,
            peer,
        )
    })
}

fn bearer(req: &Request) -> Option<String> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= device_auth::MAX_TOKEN_LEN)
        .map(str::to_string)
}

/// What an authenticated handler needs to run in the core.
struct Authed {
    token: String,
    path: &'static str,
    body: Bytes,
    ip: Option<String>,
}

impl Authed {
    fn binding(&self) -> RequestBinding<'_> {
        RequestBinding { method: "POST", path: self.path, body: &self.body }
    }
}

async fn authed<T: DeserializeOwned>(
    app: &Arc<App>,
    req: Request,
    path: &'static str,
    op: &'static str,
) -> Result<(Authed, T), ApiError> {
    let peer = peer_of(&req);
    let token = bearer(&req);
    let body = read_body(app, req.into_body(), op, peer).await?;
    let parsed: T = parse(app, &body, op, peer)?;
    let Some(token) = token else {
        return Err(app.refuse(
            Error::new(ErrorCode::AgentTokenInvalid, "The request carries no device token.")
                .hint("Send `Authorization: Bearer <token>` signed with the device key."),
            op,
            peer,
        ));
    };
    Ok((Authed { token, path, body, ip: peer.map(|p| p.ip().to_string()) }, parsed))
}

fn json<T: serde::Serialize>(v: &T) -> Response {
    axum::Json(v).into_response()
}

async fn health(State(app): State<Arc<App>>) -> Response {
    let probe = app.engine.run(|c| c.keyring().map(|_| ())).await;
    let status = match probe {
        Ok(()) => "ok",
        Err(e) if e.code() == ErrorCode::RecoveryRequired || e.code() == ErrorCode::LoosePermissions => "recovery-mode",
        Err(_) => "unavailable",
    };
    let code = if status == "ok" { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    (code, axum::Json(wire::HealthResponse { status: status.into() })).into_response()
}

async fn info(State(app): State<Arc<App>>) -> Response {
    json(&wire::InfoResponse {
        audience: app.engine.audience().to_string(),
        api_version: "v1".into(),
        max_token_lifetime_seconds: device_auth::MAX_TOKEN_LIFETIME_SECS,
    })
}

async fn openapi() -> Response {
    let mut r = crate::openapi::document_json().into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

async fn not_found(State(app): State<Arc<App>>, req: Request) -> Response {
    let e = Error::new(ErrorCode::AgentApiNotFound, "No agent API operation has this path and method.")
        .hint("See the agent API's OpenAPI document at /agent/v1/openapi.json.");
    let allowed: Vec<&str> = ROUTES.iter().filter(|(_, p)| *p == req.uri().path()).map(|(m, _)| *m).collect();
    let mut resp = app.refuse(e, "unknown", peer_of(&req)).into_response();
    if !allowed.is_empty() && req.method() != Method::HEAD {
        *resp.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        if let Ok(v) = HeaderValue::from_str(&allowed.join(", ")) {
            resp.headers_mut().insert(header::ALLOW, v);
        }
    }
    resp
}

async fn register(State(app): State<Arc<App>>, req: Request) -> Result<Response, ApiError> {
    const OP: &str = "register";
    let peer = peer_of(&req);
    if let Some(p) = peer
        && let Decision::Refuse { first, retry_after } = app.register_limiter.check(p.ip(), Instant::now())
    {
        let e = Error::new(ErrorCode::AgentRateLimited, "Too many registrations from this address.")
            .hint("Wait a minute and register again.")
            .with("retry_after_seconds", retry_after);
        return Err(if first { app.refuse(e, OP, peer) } else { ApiError(e) });
    }
    let (a, body): (Authed, wire::RegisterRequest) = authed(&app, req, paths::REGISTER, OP).await?;
    let r = app
        .engine
        .run(move |c| {
            let reg = Registration {
                name: body.name.clone(),
                os: body.operating_system.clone(),
                dns_name: body.dns_name.clone(),
                os_version: body.os_version.clone(),
                agent_version: body.agent_version.clone(),
            };
            let origin = RequestOrigin { source_address: a.ip.as_deref(), operation: OP };
            let key_value = zeroize::Zeroizing::new(body.registration_key.clone());
            c.ams().agent_register_with_key(
                key_value.trim(),
                &reg,
                &(&body.public_key).into(),
                &a.token,
                &a.binding(),
                &origin,
            )
        })
        .await?;
    Ok(json(&wire::RegisterResponse { device_id: r.device_id, approval_state: r.approval_state }))
}

async fn enrol_key(State(app): State<Arc<App>>, req: Request) -> Result<Response, ApiError> {
    const OP: &str = "device-key";
    let (a, body): (Authed, wire::EnrolKeyRequest) = authed(&app, req, paths::DEVICE_KEY, OP).await?;
    let d = app
        .engine
        .run(move |c| {
            let origin = RequestOrigin { source_address: a.ip.as_deref(), operation: OP };
            let cred = zeroize::Zeroizing::new(body.device_credential.clone());
            c.ams().agent_enrol_key(&body.device_id, &cred, &(&body.public_key).into(), &a.token, &a.binding(), &origin)
        })
        .await?;
    Ok(json(&wire::EnrolKeyResponse { device_id: d.device_id }))
}

async fn check_in(State(app): State<Arc<App>>, req: Request) -> Result<Response, ApiError> {
    const OP: &str = "check-in";
    let (a, _body): (Authed, wire::CheckInRequest) = authed(&app, req, paths::CHECK_IN, OP).await?;
    let r = app
        .engine
        .run(move |c| {
            let origin = RequestOrigin { source_address: a.ip.as_deref(), operation: OP };
            let d = c.ams().agent_authenticate(&a.token, &a.binding(), &origin)?;
            let ci = c.ams().agent_check_in(&d.device_id)?;
            // The certificate is public: always sent, so an agent can upload at any time.
            let cert = match ci.encryption_certificate {
                Some(c) => Some(c),
                None => c
                    .ams()
                    .active_certificate_der()
                    .ok()
                    .map(|der| base64::engine::general_purpose::STANDARD.encode(der)),
            };
            Ok(wire::CheckInResponse {
                device_id: ci.device_id,
                approval_state: ci.approval_state,
                password_change_required: ci.password_change_required,
                reason: ci.reason,
                encryption_certificate: cert,
                policy: ci.policy.into(),
            })
        })
        .await?;
    Ok(json(&r))
}

/// Decodes an upload's envelope. Called only after the token checked out, so an unauthenticated
/// client learns nothing about which bodies would pass (it gets 401 first).
fn envelope(b64: &str) -> ams_core::Result<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| Error::new(ErrorCode::EnvelopeFormat, "The envelope is not valid base64."))
}

async fn upload(
    app: Arc<App>,
    a: Authed,
    upload: Upload,
    envelope_b64: String,
    op: &'static str,
) -> Result<Response, ApiError> {
    let r = app
        .engine
        .run(move |c| {
            let origin = RequestOrigin { source_address: a.ip.as_deref(), operation: op };
            let keyring = c.keyring()?;
            // One commit per upload: the token id is consumed in the ingest's own transaction.
            c.ams()
                .agent_upload_with_token(&keyring, &a.token, &a.binding(), &origin, &upload, || envelope(&envelope_b64))
        })
        .await?;
    Ok(json(&wire::UploadReceipt {
        id: r.id,
        device_id: r.device_id,
        certificate_thumbprint: r.certificate_thumbprint,
        expires: r.expires,
    }))
}

async fn upload_password(State(app): State<Arc<App>>, req: Request) -> Result<Response, ApiError> {
    const OP: &str = "password";
    let (a, body): (Authed, wire::PasswordUpload) = authed(&app, req, paths::PASSWORD, OP).await?;
    upload(app, a, Upload::Password { account_name: body.account_name }, body.envelope, OP).await
}

async fn upload_bitlocker(State(app): State<Arc<App>>, req: Request) -> Result<Response, ApiError> {
    const OP: &str = "bitlocker-key";
    let (a, body): (Authed, wire::BitLockerUpload) = authed(&app, req, paths::BITLOCKER, OP).await?;
    let up = Upload::BitLocker { key_id: body.key_id, volume_id: body.volume_id, volume_type: body.volume_type };
    upload(app, a, up, body.envelope, OP).await
}
