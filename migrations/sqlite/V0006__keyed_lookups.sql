-- Keyed lookup hashes and the keyed audit chain (issue 17, docs/adr/0006-keyed-hashes-and-bound-secrets.md).

-- Secrets of the instance itself, each sealed under the master key like any sealed column (so a
-- rotation re-seals them). 'derivation-root' holds the root the lookup-hash and audit-chain keys
-- are derived from (HKDF-SHA256), and the sequence number of the first keyed audit record.
CREATE TABLE instance_secrets (
    purpose        TEXT PRIMARY KEY NOT NULL CHECK (purpose IN ('derivation-root')),
    sealed_secret  BLOB NOT NULL,
    created_at     TEXT NOT NULL
) STRICT;

-- Lookup hashes were unkeyed SHA-256: anyone who could write the database could plant a
-- registration key or a device credential of their own. They are marked here; ams re-keys them
-- (HMAC-SHA256 over the old hash) once, when the derivation root is created with the master key
-- at hand. A row still marked 'plain:' never matches.
UPDATE registration_keys SET key_hash = 'plain:' || key_hash WHERE key_hash NOT LIKE 'k1:%';
UPDATE devices SET credential_hash = 'plain:' || credential_hash WHERE credential_hash IS NOT NULL AND credential_hash NOT LIKE 'k1:%';

-- Stored secrets carry a server-side MAC (HMAC-SHA256 with a key derived from the master key)
-- over where they belong: a password's row id, device, account, certificate, upload time and
-- envelope; a BitLocker key's device, recovery key id, certificate, upload time and envelope. A
-- history row moved into the current one, or a row planted by a database writer, does not verify.
-- Rows from before are given their MAC once, with the re-keying above.
ALTER TABLE device_passwords ADD COLUMN row_mac TEXT;
ALTER TABLE bitlocker_keys ADD COLUMN row_mac TEXT;
