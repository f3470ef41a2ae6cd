-- The agent server (docs/server.md): device public keys and the replay cache of device tokens.
-- T-SQL twin of migrations/sqlite/V0007__agent_server.sql.

-- The public key an agent made at registration (ES256: an uncompressed P-256 point). The server
-- keeps only the public key, so nothing stored here lets anyone sign as the device.
CREATE TABLE device_keys (
    device_id   nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY REFERENCES devices (id) ON DELETE CASCADE,
    algorithm   nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (algorithm IN ('ES256')),
    public_key  varbinary(max) NOT NULL CHECK (DATALENGTH(public_key) = 65),
    thumbprint  nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL UNIQUE,  -- RFC 7638 JWK thumbprint, base64url
    created_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

-- Token ids (jti) seen while their token is still valid: a replay is refused on every host that
-- shares this database. Rows past expires_at are purged as new tokens arrive.
CREATE TABLE agent_token_ids (
    jti         nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    device_id   nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    expires_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE INDEX agent_token_ids_expires ON agent_token_ids (expires_at);
