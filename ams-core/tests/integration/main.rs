//! Core integration tests: one binary, one module per area.

mod authz;
mod data_plane;
mod fixture;
mod keys;
