-- Data plane: encryption certificates, devices, groups, registration keys, passwords, BitLocker keys.

CREATE TABLE certificates (
    thumbprint          TEXT PRIMARY KEY NOT NULL,          -- SHA-1 of the DER, upper-case hex
    subject             TEXT NOT NULL,
    not_before          TEXT NOT NULL,
    not_after           TEXT NOT NULL,
    key_bits            INTEGER NOT NULL,
    state               TEXT NOT NULL CHECK (state IN ('active', 'retained', 'revoked')),
    der                 BLOB NOT NULL,
    sealed_private_key  BLOB,                                -- PKCS#8, sealed under the master key
    source              TEXT NOT NULL CHECK (source IN ('generated', 'imported')),
    created_at          TEXT NOT NULL,
    activated_at        TEXT
) STRICT;
CREATE UNIQUE INDEX certificates_one_active ON certificates (state) WHERE state = 'active';

CREATE TABLE registration_keys (
    id                 TEXT PRIMARY KEY NOT NULL,
    name               TEXT NOT NULL COLLATE NOCASE UNIQUE,
    key_hash           TEXT NOT NULL UNIQUE,               -- SHA-256 of the key value, hex
    sealed_key         BLOB NOT NULL,                      -- the key value, sealed under the master key
    activation_limit   INTEGER NOT NULL DEFAULT 0 CHECK (activation_limit >= 0),
    activation_count   INTEGER NOT NULL DEFAULT 0 CHECK (activation_count >= 0),
    enabled            INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    approval_required  INTEGER NOT NULL DEFAULT 0 CHECK (approval_required IN (0, 1)),
    created_at         TEXT NOT NULL,
    modified_at        TEXT NOT NULL
) STRICT;

CREATE TABLE device_groups (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL COLLATE NOCASE UNIQUE,
    sid          TEXT NOT NULL UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    modified_at  TEXT NOT NULL
) STRICT;

CREATE TABLE registration_key_groups (
    registration_key_id  TEXT NOT NULL REFERENCES registration_keys (id) ON DELETE CASCADE,
    group_id             TEXT NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (registration_key_id, group_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX registration_key_groups_group ON registration_key_groups (group_id);

CREATE TABLE devices (
    id                   TEXT PRIMARY KEY NOT NULL,
    name                 TEXT NOT NULL COLLATE NOCASE,
    dns_name             TEXT COLLATE NOCASE,
    authority_type       TEXT NOT NULL CHECK (authority_type IN ('Ams', 'ActiveDirectory', 'AzureActiveDirectory')),
    authority_id         TEXT NOT NULL,
    authority_device_id  TEXT NOT NULL,
    sid                  TEXT NOT NULL,
    os_type              TEXT NOT NULL CHECK (os_type IN ('Unknown', 'Windows', 'Linux', 'MacOS')),
    os_family            TEXT,
    os_version           TEXT,
    agent_version        TEXT,
    approval_state       TEXT NOT NULL CHECK (approval_state IN ('Pending', 'Approved', 'Rejected')),
    disabled             INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    registration_key_id  TEXT REFERENCES registration_keys (id) ON DELETE SET NULL,
    credential_hash      TEXT,                              -- SHA-256 of the device credential, hex
    created_at           TEXT NOT NULL,
    modified_at          TEXT NOT NULL
) STRICT;
CREATE INDEX devices_name ON devices (name);
CREATE INDEX devices_dns_name ON devices (dns_name);
CREATE UNIQUE INDEX devices_authority ON devices (authority_type, authority_id, authority_device_id);

CREATE TABLE device_group_members (
    group_id   TEXT NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
    device_id  TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    added_at   TEXT NOT NULL,
    PRIMARY KEY (group_id, device_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX device_group_members_device ON device_group_members (device_id);

-- Local administrator passwords. The current one has retired_at NULL.
-- blob: the agent envelope, sealed to the certificate named by cert_thumbprint.
CREATE TABLE device_passwords (
    id               TEXT PRIMARY KEY NOT NULL,
    device_id        TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    account_name     TEXT NOT NULL,
    blob             BLOB NOT NULL,
    cert_thumbprint  TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT,
    retired_at       TEXT
) STRICT;
CREATE UNIQUE INDEX device_passwords_one_current ON device_passwords (device_id) WHERE retired_at IS NULL;
CREATE INDEX device_passwords_history ON device_passwords (device_id, created_at);
CREATE INDEX device_passwords_cert ON device_passwords (cert_thumbprint);

CREATE TABLE bitlocker_keys (
    id               TEXT PRIMARY KEY NOT NULL,
    device_id        TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key_id           TEXT NOT NULL,                         -- recovery password id (GUID)
    volume_id        TEXT,
    volume_type      TEXT,
    blob             BLOB NOT NULL,
    cert_thumbprint  TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    UNIQUE (device_id, key_id)
) STRICT;
CREATE INDEX bitlocker_keys_cert ON bitlocker_keys (cert_thumbprint);
