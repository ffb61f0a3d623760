//! The media engine: RTP sockets and one task per call that drives the call's sans-IO legs.
//!
//! Design (measured with `benches/bridged-calls`, see ARCHITECTURE.md): each call has one task
//! that owns the sockets and `Leg`s of all its legs. A packet received on one leg is forwarded
//! to the bridged leg inside the same task (no channel, no allocation), recording frames are
//! taken from both legs by the same task, so nothing is shared between calls and a call's
//! resources go when its task ends. The switch talks to a call's task through a channel;
//! what legs report comes back through one channel for all calls.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::{Duration, Instant};

use centralita_audio::Normalised;
use centralita_b2bua::{LegId, MediaCommand, MediaEvent, MediaSource, RecordingKind};
use centralita_domain::{AccountId, AudioId, CallId, RecordingId, VoicemailId};
use centralita_media::leg::{Leg, LegConfig, LegEvent, Source};
use centralita_media::{Codec, Recorder, SilenceConfig, ToneKind, TonePlan};
use centralita_routing::VoicemailEnd;
use centralita_store::Store;
use tokio::io::ReadBuf;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// What the media engine reports to the rest of the server.
#[derive(Debug)]
pub(crate) enum MediaReport {
    /// A leg's event, for the switch.
    Leg(LegId, MediaEvent),
    /// A conversation recording was closed.
    RecordingFinished { recording: RecordingId, duration_ms: u64 },
    /// A voicemail was closed (the switch hears `VoicemailEnded` on `leg` right after).
    VoicemailFinished {
        call: CallId,
        voicemail: VoicemailId,
        leg: LegId,
        duration_ms: u64,
        reason: VoicemailEnd,
    },
}

/// A recording the history writer has created a row and a file name for.
#[derive(Debug)]
pub(crate) enum RecordTarget {
    Conversation(RecordingId),
    Voicemail(VoicemailId),
}

/// An order to one call's task.
#[derive(Debug)]
enum CallOp {
    Command(MediaCommand),
    RecordTo {
        left: LegId,
        right: Option<LegId>,
        kind: RecordingKind,
        path: PathBuf,
        target: RecordTarget,
    },
}

/// Loaded audio messages, shared by every call (an IVR prompt plays to many callers).
#[derive(Debug, Default, Clone)]
struct AudioCache {
    loaded: Arc<Mutex<HashMap<AudioId, Arc<Normalised>>>>,
}

impl AudioCache {
    async fn get(
        &self,
        store: &Store,
        account: AccountId,
        audio: AudioId,
    ) -> Option<Arc<Normalised>> {
        if let Some(found) = self.lock().get(&audio) {
            return Some(Arc::clone(found));
        }
        let bytes = store.audio_wav(account, audio).await.ok()?;
        let normalised = Arc::new(Normalised::from_wav(&bytes).ok()?);
        let mut cache = self.lock();
        // Bounded: a busy platform has few messages; beyond this, start over.
        if cache.len() > 512 {
            cache.clear();
        }
        cache.insert(audio, Arc::clone(&normalised));
        Some(normalised)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<AudioId, Arc<Normalised>>> {
        self.loaded.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The engine: where each call's task is.
#[derive(Debug)]
pub(crate) struct MediaEngine {
    calls: HashMap<CallId, mpsc::UnboundedSender<CallOp>>,
    legs: HashMap<LegId, CallId>,
    reports: mpsc::UnboundedSender<MediaReport>,
    store: Store,
    audio: AudioCache,
    plan: TonePlan,
}

impl MediaEngine {
    pub(crate) fn new(
        store: Store,
        plan: TonePlan,
        reports: mpsc::UnboundedSender<MediaReport>,
    ) -> Self {
        Self {
            calls: HashMap::new(),
            legs: HashMap::new(),
            reports,
            store,
            audio: AudioCache::default(),
            plan,
        }
    }

    /// Carries out a command of the switch.
    pub(crate) fn command(&mut self, command: MediaCommand) {
        let call = match &command {
            MediaCommand::CreateLeg { call, leg, .. } => {
                self.legs.insert(*leg, *call);
                let call = *call;
                if !self.calls.contains_key(&call) {
                    let (tx, rx) = mpsc::unbounded_channel();
                    let task = CallTask::new(
                        call,
                        self.plan,
                        self.store.clone(),
                        self.audio.clone(),
                        self.reports.clone(),
                    );
                    tokio::spawn(task.run(rx));
                    self.calls.insert(call, tx);
                }
                Some(call)
            }
            MediaCommand::Negotiated { leg, .. }
            | MediaCommand::SetSource { leg, .. }
            | MediaCommand::CollectDigits { leg, .. } => self.legs.get(leg).copied(),
            MediaCommand::Bridge { a, .. } => self.legs.get(a).copied(),
            MediaCommand::DestroyLeg { leg } => self.legs.remove(leg),
            MediaCommand::Record { call, .. }
            | MediaCommand::StopVoicemail { call }
            | MediaCommand::EndCall { call } => Some(*call),
        };
        let Some(call) = call else { return };
        let end = matches!(command, MediaCommand::EndCall { .. });
        if let Some(task) = self.calls.get(&call) {
            let _ = task.send(CallOp::Command(command));
        }
        if end {
            self.calls.remove(&call);
            self.legs.retain(|_, c| *c != call);
        }
    }

    /// Starts recording into a file the store has named.
    pub(crate) fn record_to(
        &mut self,
        call: CallId,
        left: LegId,
        right: Option<LegId>,
        kind: RecordingKind,
        path: PathBuf,
        target: RecordTarget,
    ) {
        if let Some(task) = self.calls.get(&call) {
            let _ = task.send(CallOp::RecordTo { left, right, kind, path, target });
        }
    }
}

/// One leg's sockets and state.
struct LegSlot {
    rtp: UdpSocket,
    rtcp: UdpSocket,
    leg: Option<Leg>,
    pending_source: Option<Source>,
}

/// A recording being written.
struct Writing {
    file: File,
    recorder: Recorder,
    /// Frames captured on each side, waiting for the other side's frame of the same 20 ms.
    pending: [std::collections::VecDeque<[i16; 160]>; 2],
    left: LegId,
    right: Option<LegId>,
    target: RecordTarget,
    /// For voicemails: when to stop at the latest, and how much silence ends it.
    voicemail: Option<(Instant, u32)>,
    last_header: Instant,
}

struct CallTask {
    call: CallId,
    plan: TonePlan,
    store: Store,
    audio: AudioCache,
    reports: mpsc::UnboundedSender<MediaReport>,
    legs: HashMap<LegId, LegSlot>,
    bridges: Vec<(LegId, LegId)>,
    recording: Option<Writing>,
    voicemail: Option<Writing>,
    buf: Vec<u8>,
}

/// How often a growing recording's header is rewritten: a killed process leaves a file whose
/// header covers all but this much of the audio.
const HEADER_EVERY: Duration = Duration::from_secs(1);
/// Frames one side of a stereo recording may be ahead before the other counts as silent.
const LAG: usize = 5;

fn random_u32() -> u32 {
    rand::random()
}

fn ntp_now() -> u64 {
    // NTP epoch is 1900; Unix is 1970: 2,208,988,800 s apart.
    let ms = jiff::Timestamp::now().as_millisecond();
    let secs = u64::try_from(ms / 1000).unwrap_or(0) + 2_208_988_800;
    let frac = (u64::try_from(ms % 1000).unwrap_or(0) << 32) / 1000;
    (secs << 32) | frac
}

impl CallTask {
    fn new(
        call: CallId,
        plan: TonePlan,
        store: Store,
        audio: AudioCache,
        reports: mpsc::UnboundedSender<MediaReport>,
    ) -> Self {
        Self {
            call,
            plan,
            store,
            audio,
            reports,
            legs: HashMap::new(),
            bridges: Vec::new(),
            recording: None,
            voicemail: None,
            buf: vec![0; 2048],
        }
    }

    async fn run(mut self, mut ops: mpsc::UnboundedReceiver<CallOp>) {
        loop {
            let deadline = self.next_deadline();
            let received = {
                let legs = &self.legs;
                let buf = &mut self.buf;
                let recv = std::future::poll_fn(|cx| poll_any(legs, buf, cx));
                let sleep = async {
                    match deadline {
                        Some(at) => tokio::time::sleep_until(at.into()).await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    op = ops.recv() => Err(op),
                    got = recv => Ok(Some(got)),
                    () = sleep => Ok(None),
                }
            };
            let now = Instant::now();
            match received {
                Err(None) => {
                    self.finish_all(now, VoicemailEnd::HungUp);
                    return;
                }
                Err(Some(op)) => {
                    if self.apply(now, op).await {
                        return;
                    }
                }
                Ok(Some((leg, is_rtcp, len, from))) => {
                    if let Some(slot) = self.legs.get_mut(&leg)
                        && let Some(l) = slot.leg.as_mut()
                    {
                        if is_rtcp {
                            l.handle_rtcp(now, from, &self.buf[..len]);
                        } else {
                            l.handle_rtp(now, from, &self.buf[..len]);
                        }
                    }
                    self.forward(now, leg);
                }
                Ok(None) => {
                    for slot in self.legs.values_mut() {
                        if let Some(l) = slot.leg.as_mut()
                            && l.poll_timeout().is_some_and(|t| t <= now)
                        {
                            l.handle_timeout(now);
                        }
                    }
                }
            }
            self.flush(now);
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        self.legs.values().filter_map(|s| s.leg.as_ref()?.poll_timeout()).min()
    }

    /// Moves what a leg received to the leg bridged with it.
    fn forward(&mut self, now: Instant, from: LegId) {
        let Some(&(a, b)) = self.bridges.iter().find(|(a, b)| *a == from || *b == from) else {
            return;
        };
        let to = if a == from { b } else { a };
        let [Some(source), Some(target)] = self.legs.get_disjoint_mut([&from, &to]) else { return };
        let (Some(source), Some(target)) = (source.leg.as_mut(), target.leg.as_mut()) else {
            return;
        };
        while let Some(packet) = source.take_forward() {
            target.push_forward(now, &packet);
        }
    }

    /// Sends what the legs have to send, hands events on, and feeds recordings.
    fn flush(&mut self, now: Instant) {
        let mut events = Vec::new();
        for (id, slot) in &mut self.legs {
            let Some(leg) = slot.leg.as_mut() else { continue };
            while let Some(t) = leg.poll_transmit(now) {
                let socket = if t.is_rtcp { &slot.rtcp } else { &slot.rtp };
                // A full socket buffer drops the packet, like the network would.
                let _ = socket.try_send_to(t.contents, t.destination);
            }
            while let Some(event) = leg.poll_event() {
                events.push((*id, event));
            }
        }
        for (leg, event) in events {
            let report = match event {
                LegEvent::Dtmf { key, .. } => Some(MediaEvent::Digit(key)),
                LegEvent::PlaybackFinished => Some(MediaEvent::PlaybackFinished),
                LegEvent::ToneFinished => Some(MediaEvent::ToneFinished),
                LegEvent::SilenceFor(ms) => {
                    if let Some(w) = &self.voicemail
                        && w.left == leg
                        && w.voicemail.is_some_and(|(_, silence_ms)| ms >= silence_ms)
                    {
                        self.close_voicemail(now, VoicemailEnd::Silence);
                    }
                    None
                }
                _ => None,
            };
            if let Some(report) = report {
                let _ = self.reports.send(MediaReport::Leg(leg, report));
            }
        }
        self.feed_recordings(now);
    }

    fn feed_recordings(&mut self, now: Instant) {
        for writing in [&mut self.recording, &mut self.voicemail].into_iter().flatten() {
            let sides = [Some(writing.left), writing.right];
            for (side, leg) in sides.into_iter().enumerate() {
                let Some(leg) =
                    leg.and_then(|id| self.legs.get_mut(&id)).and_then(|s| s.leg.as_mut())
                else {
                    continue;
                };
                while let Some(frame) = leg.take_captured_frame() {
                    writing.pending[side].push_back(frame);
                }
            }
            // Each side's frames come every 20 ms; pair them up so the channels stay aligned.
            // A side that sends nothing (a peer that stopped its RTP) is silence once the other
            // is more than LAG ahead.
            loop {
                let stereo = writing.right.is_some();
                let (left, right) = (writing.pending[0].front(), writing.pending[1].front());
                let ready = if !stereo {
                    left.is_some()
                } else {
                    (left.is_some() && right.is_some())
                        || writing.pending[0].len() > LAG
                        || writing.pending[1].len() > LAG
                };
                if !ready {
                    break;
                }
                let left = writing.pending[0].pop_front();
                let right = if stereo { writing.pending[1].pop_front() } else { None };
                let bytes = writing.recorder.push(left.as_ref(), right.as_ref());
                let _ = writing.file.write_all(bytes);
            }
            if now.duration_since(writing.last_header) >= HEADER_EVERY {
                writing.last_header = now;
                write_header(&mut writing.file, &writing.recorder.finish());
            }
        }
        if let Some(w) = &self.voicemail
            && w.voicemail.is_some_and(|(until, _)| now >= until)
        {
            self.close_voicemail(now, VoicemailEnd::MaxLength);
        }
    }

    fn close_voicemail(&mut self, _now: Instant, reason: VoicemailEnd) {
        let Some(mut w) = self.voicemail.take() else { return };
        write_header(&mut w.file, &w.recorder.finish());
        let _ = w.file.sync_all();
        if let Some(slot) = self.legs.get_mut(&w.left)
            && let Some(l) = slot.leg.as_mut()
        {
            l.enable_silence_detection(Instant::now(), None);
        }
        if let RecordTarget::Voicemail(voicemail) = w.target {
            let _ = self.reports.send(MediaReport::VoicemailFinished {
                call: self.call,
                voicemail,
                leg: w.left,
                duration_ms: w.recorder.duration_ms(),
                reason,
            });
        }
    }

    fn close_recording(&mut self) {
        let Some(mut w) = self.recording.take() else { return };
        write_header(&mut w.file, &w.recorder.finish());
        let _ = w.file.sync_all();
        if let RecordTarget::Conversation(recording) = w.target {
            let _ = self.reports.send(MediaReport::RecordingFinished {
                recording,
                duration_ms: w.recorder.duration_ms(),
            });
        }
    }

    fn finish_all(&mut self, now: Instant, reason: VoicemailEnd) {
        self.feed_recordings(now);
        self.close_voicemail(now, reason);
        self.close_recording();
    }

    /// Applies an order; true when the call is over.
    async fn apply(&mut self, now: Instant, op: CallOp) -> bool {
        match op {
            CallOp::Command(command) => match command {
                MediaCommand::CreateLeg { leg, address, port, .. } => {
                    match bind_pair(SocketAddr::new(address, port)) {
                        Ok((rtp, rtcp)) => {
                            self.legs.insert(
                                leg,
                                LegSlot { rtp, rtcp, leg: None, pending_source: None },
                            );
                        }
                        Err(e) => {
                            tracing::error!(error = %e, port, "cannot open RTP sockets");
                            let _ = self.reports.send(MediaReport::Leg(leg, MediaEvent::Failed));
                        }
                    }
                }
                MediaCommand::Negotiated { leg, negotiated } => {
                    let plan = self.plan;
                    if let Some(slot) = self.legs.get_mut(&leg) {
                        match slot.leg.as_mut() {
                            Some(l) => l.set_remote_hint(negotiated.remote),
                            None => {
                                let config = LegConfig {
                                    codec: match negotiated.codec {
                                        centralita_sdp::Codec::Pcmu => Codec::Pcmu,
                                        centralita_sdp::Codec::Pcma => Codec::Pcma,
                                    },
                                    dtmf_payload_type: negotiated.telephone_event,
                                    tone_plan: plan,
                                    ssrc: random_u32(),
                                    initial_seq: random_u32() as u16,
                                    initial_ts: random_u32(),
                                    ntp_at_start: ntp_now(),
                                };
                                let mut l = Leg::new(config, now);
                                l.set_remote_hint(negotiated.remote);
                                if let Some(source) = slot.pending_source.take() {
                                    l.set_source(now, source);
                                }
                                slot.leg = Some(l);
                            }
                        }
                    }
                }
                MediaCommand::SetSource { leg, source } => {
                    let source = match source {
                        MediaSource::Silence => Source::Silence,
                        MediaSource::Ringback => Source::Tone(ToneKind::Ringback),
                        MediaSource::Busy => Source::Tone(ToneKind::Busy),
                        MediaSource::Beep => Source::Tone(ToneKind::Beep),
                        MediaSource::Bridged => Source::Forward,
                        MediaSource::Audio { account, audio } => {
                            match self.audio.get(&self.store, account, audio).await {
                                Some(samples) => Source::Prompt(samples),
                                None => {
                                    // A message that cannot be read must not hang the call: it
                                    // "played" at once.
                                    tracing::error!(%audio, "audio message unreadable");
                                    let _ = self
                                        .reports
                                        .send(MediaReport::Leg(leg, MediaEvent::PlaybackFinished));
                                    Source::Silence
                                }
                            }
                        }
                    };
                    if let Some(slot) = self.legs.get_mut(&leg) {
                        match slot.leg.as_mut() {
                            Some(l) => l.set_source(now, source),
                            None => slot.pending_source = Some(source),
                        }
                    }
                }
                MediaCommand::Bridge { a, b } => {
                    self.bridges.retain(|(x, y)| ![*x, *y].iter().any(|l| *l == a || *l == b));
                    self.bridges.push((a, b));
                    for id in [a, b] {
                        if let Some(slot) = self.legs.get_mut(&id) {
                            match slot.leg.as_mut() {
                                Some(l) => l.set_source(now, Source::Forward),
                                None => slot.pending_source = Some(Source::Forward),
                            }
                        }
                    }
                }
                MediaCommand::CollectDigits { leg, inband } => {
                    if let Some(l) = self.legs.get_mut(&leg).and_then(|s| s.leg.as_mut()) {
                        l.enable_inband_dtmf(now, inband);
                    }
                }
                MediaCommand::Record { .. } => {}
                MediaCommand::StopVoicemail { .. } => {
                    self.feed_recordings(now);
                    self.close_voicemail(now, VoicemailEnd::HungUp);
                }
                MediaCommand::DestroyLeg { leg } => {
                    self.bridges.retain(|(a, b)| *a != leg && *b != leg);
                    self.legs.remove(&leg);
                }
                MediaCommand::EndCall { .. } => {
                    self.finish_all(now, VoicemailEnd::HungUp);
                    return true;
                }
            },
            CallOp::RecordTo { left, right, kind, path, target } => {
                let recorder = if right.is_some() { Recorder::stereo() } else { Recorder::mono() };
                let file = File::create(&path).and_then(|mut f| {
                    f.write_all(&recorder.header_bytes())?;
                    Ok(f)
                });
                let Ok(file) = file else {
                    tracing::error!(path = %path.display(), "cannot create a recording file");
                    return false;
                };
                for id in std::iter::once(left).chain(right) {
                    if let Some(l) = self.legs.get_mut(&id).and_then(|s| s.leg.as_mut()) {
                        l.enable_capture(now, true);
                    }
                }
                let mut writing = Writing {
                    file,
                    recorder,
                    pending: Default::default(),
                    left,
                    right,
                    target,
                    voicemail: None,
                    last_header: now,
                };
                match kind {
                    RecordingKind::Conversation => self.recording = Some(writing),
                    RecordingKind::Voicemail { max_s, silence_s } => {
                        writing.voicemail =
                            Some((now + Duration::from_secs(u64::from(max_s)), silence_s * 1000));
                        if let Some(l) = self.legs.get_mut(&left).and_then(|s| s.leg.as_mut()) {
                            l.enable_silence_detection(
                                now,
                                Some(SilenceConfig {
                                    report_after_ms: silence_s * 1000,
                                    ..SilenceConfig::default()
                                }),
                            );
                        }
                        self.voicemail = Some(writing);
                    }
                }
            }
        }
        false
    }
}

fn write_header(file: &mut File, header: &[u8]) {
    let result = file.stream_position().and_then(|end| {
        file.seek(SeekFrom::Start(0))?;
        file.write_all(header)?;
        file.seek(SeekFrom::Start(end))
    });
    if let Err(e) = result {
        tracing::error!(error = %e, "cannot update a recording's header");
    }
}

fn bind_pair(rtp: SocketAddr) -> std::io::Result<(UdpSocket, UdpSocket)> {
    let rtcp = SocketAddr::new(rtp.ip(), rtp.port() + 1);
    let open = |addr: SocketAddr| -> std::io::Result<UdpSocket> {
        let socket = std::net::UdpSocket::bind(addr)?;
        socket.set_nonblocking(true)?;
        UdpSocket::from_std(socket)
    };
    Ok((open(rtp)?, open(rtcp)?))
}

/// Polls every leg's sockets; the first datagram that is there wins.
fn poll_any(
    legs: &HashMap<LegId, LegSlot>,
    buf: &mut [u8],
    cx: &mut std::task::Context<'_>,
) -> Poll<(LegId, bool, usize, SocketAddr)> {
    for (id, slot) in legs {
        for (socket, is_rtcp) in [(&slot.rtp, false), (&slot.rtcp, true)] {
            let mut read = ReadBuf::new(buf);
            if let Poll::Ready(Ok(from)) = socket.poll_recv_from(cx, &mut read) {
                let len = read.filled().len();
                return Poll::Ready((*id, is_rtcp, len, from));
            }
        }
    }
    Poll::Pending
}
