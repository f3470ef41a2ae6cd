//! Core integration tests: one binary, one module per area.

mod approvals;
mod audit;
mod authz;
mod backup;
mod cert_backup;
mod config;
mod data_plane;
mod directory;
mod fixture;
mod fuzz_regressions;
mod host_protectors;
mod jit;
mod keys;
mod multi_host;
mod notify;
mod policy;
mod security;
mod slapd;
mod store_contract;
