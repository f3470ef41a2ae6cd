//! Core integration tests: one binary, one module per area.

mod audit;
mod config;
mod data_plane;
mod fixture;
mod keys;
