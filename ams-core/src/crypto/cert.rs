//! Encryption certificates: RSA key pairs and self-signed X.509 certificates.
