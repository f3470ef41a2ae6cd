//! The e-mail channel: lettre's blocking SMTP client on rustls. The connection is always
//! encrypted: STARTTLS (required, never opportunistic) or implicit TLS; the server's certificate
//! is verified against the platform's roots or only the channel's CA file. With a user set, the
//! client authenticates (PLAIN, only inside TLS).

use std::path::Path;

use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport};

use super::{ATTEMPT_TIMEOUT, DeliveryError, short, tls};
use crate::error::{Error, ErrorCode, Result};

/// How the connection is encrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain connect, then STARTTLS (refused if the server does not offer it); port 587 usually.
    StartTls,
    /// TLS from the first byte; port 465 usually.
    Implicit,
}

impl SmtpSecurity {
    /// Parses `starttls` or `implicit` (any case).
    pub fn parse(s: &str) -> Result<SmtpSecurity> {
        match s.to_ascii_lowercase().as_str() {
            "starttls" => Ok(SmtpSecurity::StartTls),
            "implicit" | "tls" => Ok(SmtpSecurity::Implicit),
            _ => Err(Error::new(ErrorCode::NotificationChannelInvalid, format!("'{s}' is not an SMTP security mode."))
                .hint("Use starttls or implicit; ams never sends mail unencrypted.")),
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SmtpSecurity::StartTls => "StartTls",
            SmtpSecurity::Implicit => "Implicit",
        }
    }
}

/// Checks an e-mail address.
pub fn check_address(a: &str) -> Result<()> {
    a.parse::<Mailbox>().map(|_| ()).map_err(|_| {
        Error::new(ErrorCode::NotificationChannelInvalid, format!("'{a}' is not an e-mail address."))
            .hint("Give addresses like ams@example.com or \"AMS <ams@example.com>\".")
    })
}

/// One e-mail.
pub struct Mail<'a> {
    /// SMTP server host name (also the name its certificate must carry).
    pub host: &'a str,
    /// Port.
    pub port: u16,
    /// Encryption.
    pub security: SmtpSecurity,
    /// CA file for a private CA.
    pub ca_file: Option<&'a Path>,
    /// User name for AUTH, with the password.
    pub auth: Option<(&'a str, &'a str)>,
    /// Sender.
    pub from: &'a str,
    /// Recipients.
    pub to: &'a [String],
    /// Subject.
    pub subject: &'a str,
    /// Text body.
    pub body: &'a str,
    /// Sent as the `X-Ams-Delivery` header (the queue message id).
    pub delivery_id: &'a str,
}

/// The `X-Ams-Delivery` header.
#[derive(Clone)]
struct DeliveryHeader(String);

impl lettre::message::header::Header for DeliveryHeader {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("X-Ams-Delivery")
    }
    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(DeliveryHeader(s.to_string()))
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Sends one e-mail.
pub fn send(m: &Mail<'_>) -> std::result::Result<(), DeliveryError> {
    let mut builder = Message::builder()
        .from(m.from.parse::<Mailbox>().map_err(|_| format!("'{}' is not an e-mail address", m.from))?)
        .subject(m.subject)
        .header(ContentType::TEXT_PLAIN)
        .header(DeliveryHeader(m.delivery_id.to_string()));
    for t in m.to {
        builder = builder.to(t.parse::<Mailbox>().map_err(|_| format!("'{t}' is not an e-mail address"))?);
    }
    let message = builder.body(m.body.to_string()).map_err(|e| short(format!("the message cannot be built: {e}")))?;
    let mut params = TlsParameters::builder(m.host.to_string());
    if let Some(p) = m.ca_file {
        params = params.certificate_store(CertificateStore::None);
        for c in tls::ca_file_certs(p)? {
            params = params.add_root_certificate(
                Certificate::from_der(c.to_vec()).map_err(|e| short(format!("the CA file is not valid: {e}")))?,
            );
        }
    }
    let params = params.build_rustls().map_err(|e| short(format!("TLS setup failed: {e}")))?;
    let tls = match m.security {
        SmtpSecurity::StartTls => Tls::Required(params),
        SmtpSecurity::Implicit => Tls::Wrapper(params),
    };
    let mut transport = SmtpTransport::builder_dangerous(m.host).port(m.port).tls(tls).timeout(Some(ATTEMPT_TIMEOUT));
    if let Some((user, password)) = m.auth {
        transport = transport
            .credentials(Credentials::new(user.to_string(), password.to_string()))
            .authentication(vec![Mechanism::Plain]);
    }
    transport
        .build()
        .send(&message)
        .map(|_| ())
        .map_err(|e| short(format!("the SMTP server {}:{} did not take the message: {e}", m.host, m.port)))
}
