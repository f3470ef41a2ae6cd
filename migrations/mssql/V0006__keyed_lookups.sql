-- Keyed lookup hashes and the keyed audit chain (issue 17, docs/adr/0006-keyed-hashes-and-bound-secrets.md).
-- T-SQL twin of migrations/sqlite/V0006__keyed_lookups.sql: the same table, columns and values.

-- Secrets of the instance itself, each sealed under the master key like any sealed column (so a
-- rotation re-seals them). 'derivation-root' holds the root the lookup-hash and audit-chain keys
-- are derived from (HKDF-SHA256), and the sequence number of the first keyed audit record.
CREATE TABLE instance_secrets (
    purpose        nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY CHECK (purpose IN ('derivation-root')),
    sealed_secret  varbinary(max) NOT NULL,
    created_at     nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- Lookup hashes were unkeyed SHA-256: anyone who could write the database could plant a
-- registration key or a device credential of their own. They are marked here; ams re-keys them
-- (HMAC-SHA256 over the old hash) once, when the derivation root is created with the master key
-- at hand. A row still marked 'plain:' never matches. (SQLite's LIKE ignores ASCII case, so the
-- prefix tests here say so with a case-insensitive collation; `+` is T-SQL's `||`.)
UPDATE registration_keys SET key_hash = N'plain:' + key_hash
    WHERE key_hash NOT LIKE N'k1:%' COLLATE Latin1_General_CI_AS;
UPDATE devices SET credential_hash = N'plain:' + credential_hash
    WHERE credential_hash IS NOT NULL AND credential_hash NOT LIKE N'k1:%' COLLATE Latin1_General_CI_AS;

-- Stored secrets carry a server-side MAC (HMAC-SHA256 with a key derived from the master key)
-- over where they belong: a password's row id, device, account, certificate, upload time and
-- envelope; a BitLocker key's device, recovery key id, certificate, upload time and envelope. A
-- history row moved into the current one, or a row planted by a database writer, does not verify.
-- Rows from before are given their MAC once, with the re-keying above. ('k1:' and 64 hex digits.)
ALTER TABLE device_passwords ADD row_mac nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
ALTER TABLE bitlocker_keys ADD row_mac nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL;
