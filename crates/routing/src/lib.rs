//! The routing engine: given a number's settings snapshot, the agents' state and what happens
//! on the call's legs, it decides what happens next and when its next timer fires.
//!
//! It is sans-IO, like quinn-proto: no database, no socket, no clock, no entropy. The driver
//! (the binary) feeds it `handle_*` inputs with `now` (milliseconds since the epoch, kept
//! monotonic by the driver), carries out the [`Command`]s it drains with
//! [`Engine::poll_command`], stores the history it drains with [`Engine::poll_event`], and calls
//! [`Engine::handle_timeout`] at [`Engine::poll_timeout`]. One [`Engine`] serves one account,
//! because an agent's availability is account-wide. [`simulate`] runs the same engine in
//! simulated time to explain what a call would do (the dry run of `POST
//! /v1/numbers/{id}/simulate`).
//!
//! # The rules, where product.md leaves them open
//!
//! Who can be rung, and when:
//! - The eligible agents of a call are the number's `assigned_user_ids`, intersected with an
//!   IVR `agents` option's `user_ids` when the caller came through one. *Online* is the user's
//!   switch AND at least one device; *available* is online AND not ringing or talking for any
//!   call of the account AND not busy elsewhere ([`Engine::handle_agent_busy_elsewhere`]).
//! - Whether agents are online is decided when the call reaches the agent stage (after the
//!   IVR, if any). No eligible agent online → the number's `when_offline` action, with the
//!   reason. Reject mode applies its action at once and forward mode forwards at once (both
//!   after the IVR, if any).
//! - The welcome message plays only in receive mode with an eligible agent online, as early
//!   media (in-call after an IVR), before anybody is offered the call; its `welcome_played`
//!   event is emitted when it starts. If every agent went offline while it played, the offline
//!   action follows it. Then ringback until an agent answers.
//! - Distributions (ring timeout from the number, else [`EngineConfig::ring_timeout_s`]):
//!   *random* offers one available agent at random, untried agents first, any available one
//!   again once all were tried; *longest idle* offers the available agent with the oldest last
//!   answer (never = oldest; ties by creation order, then id), the next untried one on no
//!   answer, then starts over; *simultaneous* rings every available agent, adds agents who
//!   become available while the call rings or waits, and cancels the others at once when one
//!   answers. Each offer rings at most the ring timeout (`no_answer`, `CancelOffer`).
//! - A decline or a device failure ends the offer at once (`rejected`) and the call moves on
//!   without waiting; that agent is not offered the same call again before the ring timeout
//!   of the cut-short offer would have ended. So a decline is "no answer, sooner", and a
//!   device that fails instantly cannot make the engine re-offer it in a tight loop.
//! - After a ring timeout the agent is available again at once and may be offered the same
//!   call again (a sole agent keeps being rung, one ring timeout at a time, until max wait).
//! - The queue: a call waits (one `queued` event) when eligible agents are online but none is
//!   available. When an agent becomes available (hung up, stopped ringing, came online, no
//!   longer busy elsewhere), the waiting calls that agent may take are considered oldest
//!   first. Max wait (the number's, else [`EngineConfig::max_wait_s`]) counts from the start
//!   of the agent stage (after the IVR and the welcome message); when it passes, ringing stops
//!   and `when_offline` applies ("waited N s (max wait)"). When every eligible agent is offline
//!   while nobody rings the call, `when_offline` applies at once.
//! - An agent who goes offline or is busy elsewhere while ringing stops ringing (`no_answer`
//!   with the reason); a conversation in progress is never touched.
//! - An answer: `Connect`, the call's other offers cancelled, `StartRecording` if the number
//!   records, `answered`; the agent talks until the call ends, and their last answer is now.
//!   An answer the engine no longer expects gives [`Command::DropLateAnswer`].
//!
//! Offline actions (also reject mode and IVR options): ringback → early media ringback, 480
//! after [`EngineConfig::offline_ringback_s`]; busy → early media busy tone, 486 after
//! [`EngineConfig::offline_busy_s`]; disconnect → 603 at once; message → answer, play, hang up;
//! voicemail → answer, greeting (if any), beep, record (max 300 s, 10 s of silence), hang up;
//! transfer → forward over the trunk. On a call already answered (after an IVR) the tones play
//! in-call and the call is hung up after the same time: there is no status to send after 200.
//!
//! Forwards and transfers: `Forward` (the driver sends it to the trunk's `outbound_uri` with
//! the E.164 destination as Request-URI user part), ringback while it rings, `answered` without
//! user and `StartRecording` if the number records when it answers. A failure before any answer
//! is passed to the caller as 486 (for 486/600), 603 (for 603) or 480 (anything else: a 5xx
//! could make the carrier retry the call elsewhere); after an IVR answered the call, it is a
//! hang-up.
//!
//! IVR: the call is answered first (DTMF is reliable only then) and digit collection turned on;
//! a digit during the prompt stops it (barge-in); after the prompt, `timeout_s` for a digit;
//! nothing → the prompt again, `repeats` plays in all, then `on_no_input` (whose reason is
//! carried to the next event, as "no input after 3 prompts; …"). A key with no option →
//! `on_invalid`. `repeat` restarts the count; `menu` enters the sub-menu; at most
//! 16 menus per call, then the agents. Digits outside an IVR are ignored.
//!
//! The end: every call ends with exactly one `ended` event, whose reason is an [`EndReason`],
//! then [`Command::Ended`]; the engine forgets the call and every timer of it. `hangup_by` is
//! the caller when they hung up, the callee when the agent or target hung up (or the forward
//! target refused), and the system otherwise. `duration_ms` runs from arrival, `talk_ms` from
//! the answer of an agent or target.
//!
//! Inputs that do not fit (an unknown call, an event for a stage the call has left) are
//! ignored: in telephony they are races, not errors.

mod call;
mod command;
mod config;
mod engine;
mod input;
mod rng;
pub mod simulate;
mod timers;

pub use command::{Command, EndReason, ForwardKind, Tone, VOICEDROP_CODE, describe_event};
pub use config::{EngineConfig, OutboundPolicy};
pub use engine::Engine;
pub use input::{
    Agent, ForwardOutcome, MediaEvent, NumberSnapshot, OfferOutcome, Party, VoicemailEnd,
};
