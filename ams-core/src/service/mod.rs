//! Domain services: the rules and the crypto, written once over the store.

pub mod access;
pub mod agent;
pub mod agent_policy;
pub mod approvals;
pub mod audit;
pub mod backup;
pub mod certs;
pub mod claims;
pub mod db;
pub(crate) mod derived;
pub mod device_auth;
pub mod devices;
pub mod diagnostics;
pub mod directory_import;
pub mod directory_secrets;
pub mod groups;
pub mod host_config;
pub mod jit;
pub mod keys;
pub mod regkeys;
pub mod rule_import;
pub mod rules;
pub mod secrets;
pub mod service_config;
pub mod settings;
pub mod word_lists;
