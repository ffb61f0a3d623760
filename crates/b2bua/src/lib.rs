//! The call layer of centralita, sans-IO: the registrar that keeps agents' devices, and (to
//! come) the back-to-back user agent that turns routing decisions into SIP legs and media
//! operations.
//!
//! Like the other cores it does no I/O and reads no clock: time comes in as
//! [`centralita_domain::Millis`], and what must be written to the store or sent on the wire
//! comes out as data.

mod registrar;

pub use registrar::{
    Binding, Flow, RegisterOutcome, RegisterRefusal, Registrar, RegistrarConfig, Transport,
};
