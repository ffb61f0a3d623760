//! Click-to-call: the agent's own phones ring first; when one answers, that leg becomes the
//! call's caller leg and the routing engine dials the lead exactly as for a call placed on the
//! phone (toll-fraud guard, caller ID, recording, voicedrop, cost). Until then the call lives
//! in [`Calls::dialing`], outside any engine.

use super::{
    Call, CallerLeg, Dialing, HistoryOp, LegRef, Origin, OutState, Output, Switch, Voicemail,
};
use crate::media::MediaCommand;
use centralita_domain::{
    AccountId, CallEvent, CallId, CallStatus, Direction, E164, EventKind, HangupBy, Millis, UserId,
};
use centralita_routing::{EndReason, NumberSnapshot};
use centralita_sdp::Negotiated;
use centralita_sip::DialogId;
use std::time::Instant;

/// Why a click-to-call did not start (nothing was rung, nothing was written).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClickToCallError {
    /// The agent has no phone registered.
    #[error("you have no registered phone to ring: sign in to a SIP phone first")]
    NoDevice,
    /// The agent is ringing or talking already.
    #[error("you are already on a call")]
    Busy,
    /// No trunk has an outbound URI.
    #[error("no trunk is configured to place outbound calls")]
    NoTrunk,
    /// The server is shutting down.
    #[error("the server is stopping; try again in a moment")]
    Draining,
    /// None of the agent's phones could be sent an INVITE (no media port left).
    #[error("your phones could not be rung; try again")]
    Unreachable,
}

/// The `arrived` reason of a click-to-call.
const HOW: &str = "click-to-call, answered on the agent's phone";

impl Switch {
    /// `user` of `account` asks to call `to` with `number` as caller ID: every phone of
    /// theirs rings (showing the lead's number), and the lead is dialled when one answers.
    /// The call's history starts now; its id is returned.
    pub fn click_to_call(
        &mut self,
        now: Instant,
        account: AccountId,
        user: UserId,
        number: NumberSnapshot,
        to: E164,
    ) -> Result<CallId, ClickToCallError> {
        if self.draining {
            return Err(ClickToCallError::Draining);
        }
        if self.config.outbound.is_none() {
            return Err(ClickToCallError::NoTrunk);
        }
        if self.is_engaged(user) {
            return Err(ClickToCallError::Busy);
        }
        let bindings = self.registrar.bindings(user).to_vec();
        if bindings.is_empty() {
            return Err(ClickToCallError::NoDevice);
        }
        let call = self.new_call_id(now);
        let lead = to.to_string();
        let mut legs = Vec::new();
        let mut request = None;
        for binding in bindings {
            let device = binding.contact_text();
            let placed =
                self.place_leg(now, call, &lead, Some(user), device, binding.contact, binding.flow);
            if let Some((leg, sent)) = placed {
                let reference = LegRef::Dialing(call, legs.len());
                self.calls.transactions.insert(leg.invite, reference);
                self.calls.legs.insert(leg.media, reference);
                legs.push(leg);
                request.get_or_insert(sent);
            }
        }
        if legs.is_empty() {
            return Err(ClickToCallError::Unreachable);
        }
        let wall = self.wall(now);
        self.push(Output::History(HistoryOp::Started {
            call,
            account,
            number_id: Some(number.number_id),
            from: number.e164.to_string(),
            to: lead,
            at: wall,
            assigned: number.settings.assigned_user_ids.clone(),
            direction: Direction::Outbound,
            user_id: Some(user),
        }));
        self.engage(user, call);
        let ring_ms = i64::from(self.config.routing.ring_timeout_s) * 1000;
        let dialing = Dialing {
            account,
            user,
            number,
            to,
            legs,
            request,
            started: wall,
            deadline: Millis(wall.0 + ring_ms),
        };
        self.calls.dialing.insert(call, dialing);
        Ok(call)
    }

    /// One of the agent's phones answered: the others stop ringing, this leg becomes the
    /// caller leg, and the engine takes the call.
    pub(super) fn dialing_answered(
        &mut self,
        now: Instant,
        call: CallId,
        index: usize,
        negotiated: Negotiated,
        dialog: Option<DialogId>,
    ) {
        let count = self.calls.dialing.get(&call).map_or(0, |d| d.legs.len());
        for other in (0..count).filter(|&i| i != index) {
            self.close_out_leg(now, LegRef::Dialing(call, other));
        }
        let (Some(dialog), Some(request)) =
            (dialog, self.calls.dialing.get_mut(&call).and_then(|d| d.request.take()))
        else {
            return self.end_dialing(now, call, EndReason::ForwardFailed, HangupBy::System);
        };
        let Some(mut dialing) = self.calls.dialing.remove(&call) else { return };
        self.calls.transactions.retain(|_, r| r.call() != call);
        let leg = dialing.legs.swap_remove(index);
        self.calls.dialogs.insert(dialog, LegRef::Caller(call));
        self.calls.legs.insert(leg.media, LegRef::Caller(call));
        let caller = CallerLeg {
            invite: leg.invite,
            request,
            dialog: Some(dialog),
            media: leg.media,
            port: leg.port,
            local: leg.local,
            answer: leg.offer,
            negotiated,
            media_started: true,
            early: true,
            answered: true,
            final_sent: true,
            gone: false,
        };
        let from = dialing.number.e164.to_string();
        let owner = Some(dialing.user);
        let to = Some(dialing.to.clone());
        let record = Call::new(dialing.account, dialing.started, from, caller, to, owner);
        self.calls.calls.insert(call, record);
        let origin = Origin::Device { user: dialing.user, to: dialing.to, how: HOW };
        self.hand_over(now, dialing.account, call, dialing.number, origin);
    }

    /// A phone of the agent stopped ringing without answering: when none is left, the
    /// click-to-call ends (declined on a phone, or unanswered).
    pub(super) fn dialing_failed(&mut self, now: Instant, call: CallId) {
        let Some(dialing) = self.calls.dialing.get(&call) else { return };
        let ringing = dialing
            .legs
            .iter()
            .any(|l| matches!(l.state, OutState::Trying | OutState::Ringing | OutState::Answered));
        if ringing {
            return;
        }
        let declined = dialing.legs.iter().any(|l| matches!(l.status, 486 | 600 | 603));
        let reason = if declined { EndReason::Rejected } else { EndReason::NoAnswer };
        self.end_dialing(now, call, reason, HangupBy::Callee);
    }

    /// Click-to-calls whose agent did not answer within the ring timeout.
    pub(super) fn dialing_timeouts(&mut self, now: Instant) {
        let wall = self.wall(now);
        let due: Vec<CallId> = self
            .calls
            .dialing
            .iter()
            .filter(|(_, d)| d.deadline <= wall)
            .map(|(call, _)| *call)
            .collect();
        for call in due {
            self.end_dialing(now, call, EndReason::NoAnswer, HangupBy::System);
        }
    }

    fn end_dialing(&mut self, now: Instant, call: CallId, reason: EndReason, by: HangupBy) {
        let count = self.calls.dialing.get(&call).map_or(0, |d| d.legs.len());
        for index in 0..count {
            self.close_out_leg(now, LegRef::Dialing(call, index));
        }
        let Some(dialing) = self.calls.dialing.remove(&call) else { return };
        self.calls.transactions.retain(|_, r| r.call() != call);
        self.calls.dialogs.retain(|_, r| r.call() != call);
        self.disengage(dialing.user, call);
        self.push(Output::Media(MediaCommand::EndCall { call }));
        self.push_unanswered_end(now, call, dialing.started, reason, by);
    }

    /// An outbound attempt refused before anything was dialled, written to the history so
    /// that the admin sees it.
    pub(crate) fn record_refused(
        &mut self,
        now: Instant,
        account: AccountId,
        user: UserId,
        to: &E164,
        reason: EndReason,
    ) {
        let call = self.new_call_id(now);
        let at = self.wall(now);
        self.push(Output::History(HistoryOp::Started {
            call,
            account,
            number_id: None,
            from: "anonymous".into(),
            to: to.to_string(),
            at,
            assigned: Vec::new(),
            direction: Direction::Outbound,
            user_id: Some(user),
        }));
        self.push_unanswered_end(now, call, at, reason, HangupBy::System);
    }

    /// The `ended` event and the end of a call nobody answered.
    fn push_unanswered_end(
        &mut self,
        now: Instant,
        call: CallId,
        started: Millis,
        reason: EndReason,
        hangup_by: HangupBy,
    ) {
        self.push_ended_event(now, call, started, reason, hangup_by);
        let at = self.wall(now);
        let ended =
            HistoryOp::Ended { call, at, status: CallStatus::Missed, answered: None, cost: None };
        self.push(Output::History(ended));
    }

    /// The `ended` event of a call the engine never had (it ended before routing began).
    pub(super) fn push_ended_event(
        &mut self,
        now: Instant,
        call: CallId,
        started: Millis,
        reason: EndReason,
        hangup_by: HangupBy,
    ) {
        let at = self.wall(now);
        let duration_ms = u64::try_from(at.0 - started.0).unwrap_or(0);
        let event = CallEvent {
            at,
            reason: Some(reason.as_str().to_owned()),
            kind: EventKind::Ended { hangup_by, duration_ms, talk_ms: 0, cost: None },
        };
        self.push(Output::History(HistoryOp::Event { call, event }));
    }
}

impl Call {
    /// A call whose caller leg is up: no agent, forward or voicemail yet.
    pub(super) fn new(
        account: AccountId,
        started: Millis,
        from: String,
        caller: CallerLeg,
        forward_to: Option<E164>,
        owner: Option<UserId>,
    ) -> Self {
        Self {
            account,
            started,
            from,
            caller,
            agents: Vec::new(),
            forward: None,
            connected: None,
            voicemail: Voicemail::None,
            collecting: false,
            answered: None,
            forwarded: false,
            forward_to,
            cost: None,
            voicemail_left: false,
            owner,
        }
    }
}
