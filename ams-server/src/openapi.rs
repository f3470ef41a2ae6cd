//! The agent API's OpenAPI document, generated from the wire types. The server serves it at
//! `/agent/v1/openapi.json`; the repository keeps a copy in docs/agent-api.openapi.json, and a test
//! checks that both match each other and the router's routes.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::wire::*;

struct DeviceToken;

impl Modify for DeviceToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "device_token",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(
                            "A compact JWS (ES256, typ ams-agent+jwt) signed with the device key, bound to this \
                             request (htm, htu, bh), one use only. See docs/server.md.",
                        ))
                        .build(),
                ),
            );
        }
    }
}

#[allow(dead_code)]
mod ops {
    use super::*;

    #[utoipa::path(get, path = "/health", tag = "server",
        responses((status = 200, description = "Serving", body = HealthResponse),
                  (status = 503, description = "Recovery mode or database unusable", body = HealthResponse)))]
    pub fn health() {}

    #[utoipa::path(get, path = "/agent/v1/info", tag = "agent",
        responses((status = 200, description = "The token audience and API version", body = InfoResponse)))]
    pub fn info() {}

    #[utoipa::path(get, path = "/agent/v1/openapi.json", tag = "agent",
        responses((status = 200, description = "This document", content_type = "application/json")))]
    pub fn openapi() {}

    #[utoipa::path(post, path = "/agent/v1/register", tag = "agent", request_body = RegisterRequest,
        security(("device_token" = [])),
        responses((status = 200, description = "Registered", body = RegisterResponse),
                  (status = 400, description = "Bad request, key or JSON", body = ErrorDocument),
                  (status = 401, description = "Token not valid, expired or replayed", body = ErrorDocument),
                  (status = 403, description = "Registration key not valid, disabled or exhausted", body = ErrorDocument),
                  (status = 413, description = "Body too large", body = ErrorDocument),
                  (status = 429, description = "Too many registrations from this address", body = ErrorDocument)))]
    pub fn register() {}

    #[utoipa::path(post, path = "/agent/v1/device-key", tag = "agent", request_body = EnrolKeyRequest,
        security(("device_token" = [])),
        responses((status = 200, description = "Key enrolled; the legacy credential no longer works", body = EnrolKeyResponse),
                  (status = 400, description = "Bad request", body = ErrorDocument),
                  (status = 401, description = "Credential or token not valid", body = ErrorDocument),
                  (status = 403, description = "Device disabled or not approved", body = ErrorDocument),
                  (status = 409, description = "The device already has a key", body = ErrorDocument)))]
    pub fn device_key() {}

    #[utoipa::path(post, path = "/agent/v1/check-in", tag = "agent", request_body = CheckInRequest,
        security(("device_token" = [])),
        responses((status = 200, description = "State, rotation due, certificate, policy", body = CheckInResponse),
                  (status = 400, description = "Bad request", body = ErrorDocument),
                  (status = 401, description = "Token not valid, expired or replayed", body = ErrorDocument),
                  (status = 403, description = "Device disabled, pending or rejected", body = ErrorDocument),
                  (status = 503, description = "Server unavailable", body = ErrorDocument)))]
    pub fn check_in() {}

    #[utoipa::path(post, path = "/agent/v1/password", tag = "agent", request_body = PasswordUpload,
        security(("device_token" = [])),
        responses((status = 200, description = "Opened and committed", body = UploadReceipt),
                  (status = 400, description = "Bad request or envelope", body = ErrorDocument),
                  (status = 401, description = "Token not valid, expired or replayed", body = ErrorDocument),
                  (status = 403, description = "Device disabled, pending or rejected", body = ErrorDocument),
                  (status = 413, description = "Body too large", body = ErrorDocument),
                  (status = 422, description = "Envelope does not open or names an unknown certificate", body = ErrorDocument),
                  (status = 503, description = "Recovery mode or server unavailable", body = ErrorDocument)))]
    pub fn password() {}

    #[utoipa::path(post, path = "/agent/v1/bitlocker-key", tag = "agent", request_body = BitLockerUpload,
        security(("device_token" = [])),
        responses((status = 200, description = "Opened and committed", body = UploadReceipt),
                  (status = 400, description = "Bad request or envelope", body = ErrorDocument),
                  (status = 401, description = "Token not valid, expired or replayed", body = ErrorDocument),
                  (status = 403, description = "Device disabled, pending or rejected", body = ErrorDocument),
                  (status = 413, description = "Body too large", body = ErrorDocument),
                  (status = 422, description = "Envelope does not open or names an unknown certificate", body = ErrorDocument),
                  (status = 503, description = "Recovery mode or server unavailable", body = ErrorDocument)))]
    pub fn bitlocker_key() {}
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "ams agent API", version = "v1", description = "What a device's agent asks of an Access Manager Service server. Errors are the coded JSON documents of docs/errors.md.", license(name = "MIT OR Apache-2.0")),
    paths(ops::health, ops::info, ops::openapi, ops::register, ops::device_key, ops::check_in, ops::password, ops::bitlocker_key),
    components(schemas(Jwk, InfoResponse, HealthResponse, RegisterRequest, RegisterResponse, EnrolKeyRequest,
        EnrolKeyResponse, CheckInRequest, CheckInResponse, Policy, PasswordSettings, PassphraseSettings, BitLockerSettings, PasswordUpload, BitLockerUpload,
        UploadReceipt, ErrorDocument, ErrorBody)),
    modifiers(&DeviceToken),
)]
pub struct ApiDoc;

/// The document as pretty JSON (what the server serves and the repository keeps).
pub fn document_json() -> String {
    ApiDoc::openapi().to_pretty_json().unwrap_or_else(|_| "{}".into()) + "\n"
}
