//! Cryptography. This module is the only place that sees plaintext key material.

pub mod cert;
pub mod envelope;
pub mod pfx;
pub(crate) mod pfx_nopass;
pub mod seal;

#[cfg(test)]
pub(crate) mod testkeys;
