//! Domain services: the rules and the crypto, written once over the store.

pub mod audit;
pub mod db;
pub mod keys;
