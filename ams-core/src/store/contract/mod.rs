//! The store contract: the row operations every database engine implements.
//!
//! It is split by area, one file per area, each with a `…Read` trait (what a read transaction
//! may do) and a `…Write` trait (the changes, only in a write transaction). [`ReadTx`] and
//! [`WriteTx`] gather the areas; an engine implements the area traits on its transaction type
//! and gets [`ReadTx`] and [`WriteTx`] for free. A missing method is a compile error that names
//! it. See docs/adr/0005-store-contract.md.
//!
//! [`Store::read`](crate::store::Store::read) hands the closure a `&dyn ReadTx`, which has no
//! write methods; [`Store::write`](crate::store::Store::write) hands it a [`&Tx`](Tx), which has
//! both. A helper that only reads and is called from both takes `&(impl ReadTx + ?Sized)`.

mod agent_server;
mod approval;
mod authz;
mod cert_recovery;
mod config;
mod data_plane;
mod foundation;
mod jit;
mod policy;

pub use agent_server::{AgentServerRead, AgentServerWrite};
pub use approval::{ApprovalRead, ApprovalWrite};
pub use authz::{AuthzRead, AuthzWrite};
pub use cert_recovery::{CertRecoveryRead, CertRecoveryWrite};
pub use config::{ConfigRead, ConfigWrite};
pub use data_plane::{DataPlaneRead, DataPlaneWrite};
pub use foundation::{FoundationRead, FoundationWrite};
pub use jit::{JitRead, JitWrite};
pub use policy::{PolicyRead, PolicyWrite};

/// Everything a read transaction can do: every area's reads.
pub trait ReadTx:
    FoundationRead
    + DataPlaneRead
    + AuthzRead
    + JitRead
    + CertRecoveryRead
    + ConfigRead
    + AgentServerRead
    + PolicyRead
    + ApprovalRead
{
}

impl<
    T: FoundationRead
        + DataPlaneRead
        + AuthzRead
        + JitRead
        + CertRecoveryRead
        + ConfigRead
        + AgentServerRead
        + PolicyRead
        + ApprovalRead,
> ReadTx for T
{
}

/// Everything a write transaction can do: every area's reads and changes.
pub trait WriteTx:
    ReadTx
    + FoundationWrite
    + DataPlaneWrite
    + AuthzWrite
    + JitWrite
    + CertRecoveryWrite
    + ConfigWrite
    + AgentServerWrite
    + PolicyWrite
    + ApprovalWrite
{
}

impl<
    T: ReadTx
        + FoundationWrite
        + DataPlaneWrite
        + AuthzWrite
        + JitWrite
        + CertRecoveryWrite
        + ConfigWrite
        + AgentServerWrite
        + PolicyWrite
        + ApprovalWrite,
> WriteTx for T
{
}

/// A write transaction as services see it.
pub type Tx<'a> = dyn WriteTx + 'a;
