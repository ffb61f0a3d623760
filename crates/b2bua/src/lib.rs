//! The call layer of centralita, sans-IO: the [`Switch`] that answers every SIP request the
//! server gets (registrations with digest authentication, keep-alives, calls from trunks and
//! devices), the [`Registrar`] that keeps agents' devices, and (to come) the back-to-back user
//! agent that turns routing decisions into SIP legs and media operations.
//!
//! Like the other cores it does no I/O and reads no clock: time comes in as `Instant`, and
//! what must be read from or written to the store, or sent on the wire, comes out as data.

mod calls;
mod media;
mod ports;
mod registrar;
mod switch;

pub use calls::{AgentInfo, ClickToCallError, HistoryOp};
pub use media::{LegId, MediaCommand, MediaEvent, MediaSource, RecordingKind};
pub use ports::PortPool;
pub use registrar::{Binding, RegisterOutcome, RegisterRefusal, Registrar, RegistrarConfig};
pub use switch::{
    BindingChange, Lookup, LookupResult, NumberInfo, OutboundTrunk, Output, Switch, SwitchConfig,
    Trunk, UserCredentials, called_number,
};
