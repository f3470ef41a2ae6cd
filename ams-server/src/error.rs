//! The one mapping from the core's errors to HTTP statuses. The body is the same coded JSON error
//! document the `ams` command line prints, with context values limited to identifiers the caller
//! already holds, and server-side failures reduced to their code and a generic message.

use ams_core::{Error, ErrorCode, ErrorKind};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Context keys that may leave this host in an error document.
const WIRE_CONTEXT: &[&str] = &["device_id", "thumbprint", "retry_after_seconds"];

/// The HTTP status for an error.
pub fn status_for(e: &Error) -> StatusCode {
    match e.code() {
        ErrorCode::AgentTokenInvalid | ErrorCode::AgentTokenExpired | ErrorCode::AgentTokenReplayed => {
            StatusCode::UNAUTHORIZED
        }
        ErrorCode::AgentBodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::AgentRequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::AgentRateLimited | ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::AgentApiNotFound => StatusCode::NOT_FOUND,
        ErrorCode::RecoveryRequired => StatusCode::SERVICE_UNAVAILABLE,
        // A blob the server cannot open was sent by the agent: its request is wrong.
        ErrorCode::EnvelopeTampered | ErrorCode::EnvelopeUnknownCert => StatusCode::UNPROCESSABLE_ENTITY,
        _ => match e.kind() {
            ErrorKind::InvalidInput | ErrorKind::Usage => StatusCode::BAD_REQUEST,
            ErrorKind::PermissionDenied => StatusCode::FORBIDDEN,
            ErrorKind::NotFound => StatusCode::NOT_FOUND,
            ErrorKind::Conflict => StatusCode::CONFLICT,
            ErrorKind::Unavailable | ErrorKind::SchemaVersion | ErrorKind::Config => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        },
    }
}

/// An error on its way to an agent.
#[derive(Debug)]
pub struct ApiError(pub Error);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        ApiError(e)
    }
}

/// The code of an error response, for the access log (a response extension).
#[derive(Debug, Clone, Copy)]
pub struct ErrorCodeTag(pub &'static str);

/// What the caller may see of an error.
pub fn wire_error(e: &Error) -> Error {
    let status = status_for(e);
    if status.is_server_error() && !matches!(e.code(), ErrorCode::RecoveryRequired | ErrorCode::AgentServerBusy) {
        // Paths, database details and internal causes stay in the server's log.
        let generic = match e.kind() {
            ErrorKind::SchemaVersion => "The server's database is not usable by this server version.",
            ErrorKind::Internal => "The server failed to handle the request.",
            _ => "The server cannot handle the request now.",
        };
        return Error::new(e.code(), generic).hint("Try again later; the server's log has the details.");
    }
    let mut w = Error::new(e.code(), e.message().to_string());
    if let Some(h) = e.hint_text() {
        w = w.hint(h.to_string());
    }
    w.with_context_of(e, WIRE_CONTEXT)
}

trait WithContextOf {
    fn with_context_of(self, from: &Error, keys: &[&str]) -> Self;
}

impl WithContextOf for Error {
    fn with_context_of(mut self, from: &Error, keys: &[&str]) -> Self {
        for (k, v) in from.context() {
            if keys.contains(k) {
                self = self.with(k, v);
            }
        }
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = status_for(&self.0);
        let wire = wire_error(&self.0);
        let mut resp = (status, axum::Json(wire.to_document())).into_response();
        resp.extensions_mut().insert(ErrorCodeTag(self.0.code().as_str()));
        if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_maps_to_a_status_and_server_errors_hide_details() {
        for code in ErrorCode::ALL {
            let e = Error::new(*code, "m").with("path", "/secret/place").with("device_id", "d");
            let s = status_for(&e);
            assert!(s.is_client_error() || s.is_server_error(), "{code:?} -> {s}");
            let w = wire_error(&e);
            assert!(!w.context().contains_key("path"), "{code:?} leaks context");
        }
        let e = Error::new(ErrorCode::DbUnavailable, "sqlite said /var/lib/ams/ams.db").with("detail", "x");
        let w = wire_error(&e);
        assert!(!w.message().contains("/var/lib"));
        assert_eq!(status_for(&Error::new(ErrorCode::AgentTokenReplayed, "m")), StatusCode::UNAUTHORIZED);
        assert_eq!(status_for(&Error::new(ErrorCode::DeviceDisabled, "m")), StatusCode::FORBIDDEN);
        assert_eq!(status_for(&Error::new(ErrorCode::RecoveryRequired, "m")), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(status_for(&Error::new(ErrorCode::AgentBodyTooLarge, "m")), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(status_for(&Error::invalid("m")), StatusCode::BAD_REQUEST);
    }
}
