//! The store contract for certificate backup and lost-private-key recovery.

use crate::error::Result;
use crate::store::rows::*;

/// Reads: certificate backup and lost-private-key recovery.
pub trait CertRecoveryRead {
    /// Per certificate thumbprint named by any stored secret: current and retired passwords and
    /// BitLocker keys. Ordered by thumbprint.
    fn sealed_secret_counts(&self) -> Result<Vec<SealedCountRow>>;

    /// Passwords (current and history) sealed to a certificate, by computer name then age.
    fn passwords_sealed_to(&self, thumbprint: &str) -> Result<Vec<SealedSecretRef>>;

    /// BitLocker keys sealed to a certificate, by computer name then age.
    fn bitlocker_keys_sealed_to(&self, thumbprint: &str) -> Result<Vec<SealedSecretRef>>;
}

/// Changes: certificate backup and lost-private-key recovery.
pub trait CertRecoveryWrite: CertRecoveryRead {
    /// Puts a (sealed) private key back on a certificate that lost it; returns rows changed.
    fn set_cert_private_key(&self, thumbprint: &str, sealed: &[u8]) -> Result<usize>;
}
