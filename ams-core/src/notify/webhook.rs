//! The webhook channel: one HTTPS POST of the event JSON, signed.
//!
//! Headers: `X-Ams-Timestamp` (Unix seconds), `X-Ams-Signature: sha256=HEX` with HEX the
//! HMAC-SHA256, under the channel's key, of the timestamp, a `.`, and the body bytes;
//! `X-Ams-Delivery` (the queue message id: the same on every retry of one message, so a receiver
//! can drop duplicates of at-least-once delivery) and `X-Ams-Event` (the audit event). A 2xx
//! answer is a delivery; anything else is retried.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;

use hmac::{KeyInit, Mac};
use rustls_pki_types::ServerName;

use super::{ATTEMPT_TIMEOUT, DeliveryError, short, tls};
use crate::error::{Error, ErrorCode, Result};

/// A parsed `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl {
    /// Host name or IP address (without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
    /// Path and query (at least `/`).
    pub path: String,
}

impl WebhookUrl {
    /// Parses an `https://host[:port][/path][?query]` URL; refuses other schemes, user info and
    /// fragments.
    pub fn parse(url: &str) -> Result<WebhookUrl> {
        let bad = |why: &str| {
            Error::new(ErrorCode::NotificationChannelInvalid, format!("The webhook URL is not valid: {why}."))
                .hint("Give an https:// URL, e.g. https://hooks.example.com/ams.")
        };
        let rest = url.strip_prefix("https://").ok_or_else(|| bad("it must start with https://"))?;
        if url.chars().any(|c| c.is_control() || c == ' ') || url.len() > 2000 {
            return Err(bad("it has spaces or control characters, or is too long"));
        }
        if rest.contains('#') {
            return Err(bad("it has a fragment"));
        }
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.contains('@') {
            return Err(bad("it has user information"));
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let end = v6.find(']').ok_or_else(|| bad("an IPv6 address has no closing ']'"))?;
            let port = match &v6[end + 1..] {
                "" => 443,
                p => p.strip_prefix(':').and_then(|p| p.parse().ok()).ok_or_else(|| bad("the port is not a number"))?,
            };
            (v6[..end].to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad("the port is not a number"))?),
                None => (authority.to_string(), 443),
            }
        };
        if host.is_empty() || port == 0 {
            return Err(bad("it has no host or port"));
        }
        Ok(WebhookUrl { host, port, path })
    }
}

/// The signature header's value for a body sent at `timestamp`.
pub fn signature(key: &[u8], timestamp: i64, body: &[u8]) -> std::result::Result<String, DeliveryError> {
    let mut mac =
        hmac::Hmac::<sha2::Sha256>::new_from_slice(key).map_err(|_| "the HMAC key cannot be used".to_string())?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    Ok(format!("sha256={}", crate::crypto::seal::hex(&mac.finalize().into_bytes())))
}

/// One POST.
pub struct WebhookRequest<'a> {
    /// Where.
    pub url: &'a WebhookUrl,
    /// CA file for a private CA (else the platform's roots).
    pub ca_file: Option<&'a Path>,
    /// The HMAC key.
    pub key: &'a [u8],
    /// Unix seconds of the timestamp header.
    pub timestamp: i64,
    /// The queue message id.
    pub delivery_id: &'a str,
    /// The audit event.
    pub event: &'a str,
    /// The JSON body.
    pub body: &'a [u8],
}

/// Sends one POST and reads the status line: `Ok(status)` for a 2xx answer.
pub fn post(r: &WebhookRequest<'_>) -> std::result::Result<u16, DeliveryError> {
    let config = tls::client_config(r.ca_file)?;
    let name = ServerName::try_from(r.url.host.clone()).map_err(|_| format!("'{}' is not a host name", r.url.host))?;
    let addr = (r.url.host.as_str(), r.url.port)
        .to_socket_addrs()
        .map_err(|e| short(format!("{}:{} cannot be resolved: {e}", r.url.host, r.url.port)))?
        .next()
        .ok_or_else(|| format!("{}:{} cannot be resolved", r.url.host, r.url.port))?;
    let tcp = TcpStream::connect_timeout(&addr, ATTEMPT_TIMEOUT)
        .map_err(|e| short(format!("cannot connect to {}:{}: {e}", r.url.host, r.url.port)))?;
    tcp.set_read_timeout(Some(ATTEMPT_TIMEOUT)).map_err(|e| short(e.to_string()))?;
    tcp.set_write_timeout(Some(ATTEMPT_TIMEOUT)).map_err(|e| short(e.to_string()))?;
    let conn = rustls::ClientConnection::new(config, name).map_err(|e| short(format!("TLS setup failed: {e}")))?;
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let host_header = if r.url.host.contains(':') { format!("[{}]", r.url.host) } else { r.url.host.clone() };
    let host_header = if r.url.port == 443 { host_header } else { format!("{host_header}:{}", r.url.port) };
    let head = format!(
        "POST {} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: ams-notify\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nX-Ams-Timestamp: {}\r\nX-Ams-Signature: {}\r\nX-Ams-Delivery: {}\r\n\
         X-Ams-Event: {}\r\nConnection: close\r\n\r\n",
        r.url.path,
        r.body.len(),
        r.timestamp,
        signature(r.key, r.timestamp, r.body)?,
        r.delivery_id,
        r.event,
    );
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(r.body))
        .and_then(|()| stream.flush())
        .map_err(|e| short(format!("sending to {}:{} failed: {e}", r.url.host, r.url.port)))?;
    let mut line = String::new();
    let mut reader = BufReader::new(Read::by_ref(&mut stream).take(8192));
    reader.read_line(&mut line).map_err(|e| short(format!("no answer from {}:{}: {e}", r.url.host, r.url.port)))?;
    let status: u16 = line
        .strip_prefix("HTTP/1.")
        .and_then(|l| l.get(2..5))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("the answer from {}:{} is not HTTP", r.url.host, r.url.port))?;
    if (200..300).contains(&status) { Ok(status) } else { Err(format!("the receiver answered HTTP {status}")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = WebhookUrl::parse("https://hooks.example.com/a/b?x=1").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("hooks.example.com", 443, "/a/b?x=1"));
        let u = WebhookUrl::parse("https://127.0.0.1:8443").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("127.0.0.1", 8443, "/"));
        let u = WebhookUrl::parse("https://[::1]:9/x").unwrap();
        assert_eq!((u.host.as_str(), u.port), ("::1", 9));
        for bad in ["http://x/", "https://u:p@x/", "https://x:abc/", "https://x/#f", "https:///", "https://x /"] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231-style check against an independent computation with the same primitive.
        // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        let s = signature(b"Jefe", 0, b"what do ya want for nothing?").unwrap();
        assert_eq!(s.len(), 7 + 64);
        let direct = {
            let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"Jefe").unwrap();
            m.update(b"0.what do ya want for nothing?");
            crate::crypto::seal::hex(&m.finalize().into_bytes())
        };
        assert_eq!(s, format!("sha256={direct}"));
        assert_ne!(s, signature(b"Jefe", 1, b"what do ya want for nothing?").unwrap());
    }
}
