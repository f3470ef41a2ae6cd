//! The agent envelope: secrets sealed to an encryption certificate.
