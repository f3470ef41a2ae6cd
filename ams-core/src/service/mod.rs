//! Domain services: the rules and the crypto, written once over the store.

pub mod access;
pub mod agent;
pub mod audit;
pub mod certs;
pub mod db;
pub mod devices;
pub mod groups;
pub mod keys;
pub mod regkeys;
pub mod rule_import;
pub mod rules;
pub mod secrets;
pub mod settings;
