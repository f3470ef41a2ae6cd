-- The agent server (docs/server.md): device public keys and the replay cache of device tokens.

-- The public key an agent made at registration (ES256: an uncompressed P-256 point). The server
-- keeps only the public key, so nothing stored here lets anyone sign as the device.
CREATE TABLE device_keys (
    device_id   TEXT PRIMARY KEY NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    algorithm   TEXT NOT NULL CHECK (algorithm IN ('ES256')),
    public_key  BLOB NOT NULL CHECK (length(public_key) = 65),
    thumbprint  TEXT NOT NULL UNIQUE,                  -- RFC 7638 JWK thumbprint, base64url
    created_at  TEXT NOT NULL
) STRICT;

-- Token ids (jti) seen while their token is still valid: a replay is refused on every host that
-- shares this database. Rows past expires_at are purged as new tokens arrive.
CREATE TABLE agent_token_ids (
    jti         TEXT PRIMARY KEY NOT NULL,
    device_id   TEXT NOT NULL,
    expires_at  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX agent_token_ids_expires ON agent_token_ids (expires_at);
