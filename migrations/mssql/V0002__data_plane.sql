-- Data plane: encryption certificates, devices, groups, registration keys, passwords, BitLocker keys.
-- T-SQL twin of migrations/sqlite/V0002__data_plane.sql.

CREATE TABLE certificates (
    thumbprint          nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,  -- SHA-1 of the DER, upper-case hex
    subject             nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    not_before          nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    not_after           nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    key_bits            bigint NOT NULL,
    state               nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (state IN ('active', 'retained', 'revoked')),
    der                 varbinary(max) NOT NULL,
    sealed_private_key  varbinary(max) NULL,                  -- PKCS#8, sealed under the master key
    source              nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (source IN ('generated', 'imported')),
    created_at          nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    activated_at        nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL
);
CREATE UNIQUE INDEX certificates_one_active ON certificates (state) WHERE state = 'active';

CREATE TABLE registration_keys (
    id                 nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    name               nvarchar(256) COLLATE Latin1_General_CI_AS NOT NULL UNIQUE,
    key_hash           nvarchar(128) COLLATE Latin1_General_100_BIN2 NOT NULL UNIQUE,  -- SHA-256 of the key value, hex
    sealed_key         varbinary(max) NOT NULL,                                      -- the key value, sealed under the master key
    activation_limit   bigint NOT NULL DEFAULT 0 CHECK (activation_limit >= 0),
    activation_count   bigint NOT NULL DEFAULT 0 CHECK (activation_count >= 0),
    enabled            bit NOT NULL DEFAULT 1,
    approval_required  bit NOT NULL DEFAULT 0,
    created_at         nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_at        nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

CREATE TABLE device_groups (
    id           nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    name         nvarchar(256) COLLATE Latin1_General_CI_AS NOT NULL UNIQUE,
    sid          nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL UNIQUE,
    description  nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL DEFAULT '',
    created_at   nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_at  nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);

CREATE TABLE registration_key_groups (
    registration_key_id  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES registration_keys (id) ON DELETE CASCADE,
    group_id             nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
    PRIMARY KEY (registration_key_id, group_id)
);
CREATE INDEX registration_key_groups_group ON registration_key_groups (group_id);

CREATE TABLE devices (
    id                   nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    name                 nvarchar(256) COLLATE Latin1_General_CI_AS NOT NULL,
    dns_name             nvarchar(256) COLLATE Latin1_General_CI_AS NULL,
    authority_type       nvarchar(32) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (authority_type IN ('Ams', 'ActiveDirectory', 'AzureActiveDirectory')),
    authority_id         nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    authority_device_id  nvarchar(256) COLLATE Latin1_General_100_BIN2 NOT NULL,
    sid                  nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    os_type              nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (os_type IN ('Unknown', 'Windows', 'Linux', 'MacOS')),
    os_family            nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    os_version           nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    agent_version        nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    approval_state       nvarchar(16) COLLATE Latin1_General_100_BIN2 NOT NULL CHECK (approval_state IN ('Pending', 'Approved', 'Rejected')),
    disabled             bit NOT NULL DEFAULT 0,
    registration_key_id  nvarchar(64) COLLATE Latin1_General_100_BIN2 NULL REFERENCES registration_keys (id) ON DELETE SET NULL,
    credential_hash      nvarchar(128) COLLATE Latin1_General_100_BIN2 NULL,  -- SHA-256 of the device credential, hex
    created_at           nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    modified_at          nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL
);
CREATE INDEX devices_name ON devices (name);
CREATE INDEX devices_dns_name ON devices (dns_name);
CREATE UNIQUE INDEX devices_authority ON devices (authority_type, authority_id, authority_device_id);

CREATE TABLE device_group_members (
    group_id   nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES device_groups (id) ON DELETE CASCADE,
    device_id  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    added_at   nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    PRIMARY KEY (group_id, device_id)
);
CREATE INDEX device_group_members_device ON device_group_members (device_id);

-- Local administrator passwords. The current one has retired_at NULL.
-- blob: the agent envelope, sealed to the certificate named by cert_thumbprint.
CREATE TABLE device_passwords (
    id               nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    device_id        nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    account_name     nvarchar(max) COLLATE Latin1_General_100_BIN2 NOT NULL,
    blob             varbinary(max) NOT NULL,
    cert_thumbprint  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at       nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    expires_at       nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL,
    retired_at       nvarchar(40) COLLATE Latin1_General_100_BIN2 NULL
);
CREATE UNIQUE INDEX device_passwords_one_current ON device_passwords (device_id) WHERE retired_at IS NULL;
CREATE INDEX device_passwords_history ON device_passwords (device_id, created_at);
CREATE INDEX device_passwords_cert ON device_passwords (cert_thumbprint);

CREATE TABLE bitlocker_keys (
    id               nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL PRIMARY KEY,
    device_id        nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    key_id           nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,  -- recovery password id (GUID)
    volume_id        nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    volume_type      nvarchar(max) COLLATE Latin1_General_100_BIN2 NULL,
    blob             varbinary(max) NOT NULL,
    cert_thumbprint  nvarchar(64) COLLATE Latin1_General_100_BIN2 NOT NULL,
    created_at       nvarchar(40) COLLATE Latin1_General_100_BIN2 NOT NULL,
    UNIQUE (device_id, key_id)
);
CREATE INDEX bitlocker_keys_cert ON bitlocker_keys (cert_thumbprint);
