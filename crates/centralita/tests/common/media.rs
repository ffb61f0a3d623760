//! Audio on the wire for end-to-end tests: tone files for SIPp, baresip as an agent's
//! softphone, packet captures with tcpdump, and the frequency analysis that proves who heard
//! what.

#![allow(dead_code, unreachable_pub, reason = "each test binary uses a different part")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use centralita_media::Codec;

/// Energy of `freq` in `samples` at `rate` (Goertzel), per sample.
pub fn energy(samples: &[i16], rate: f64, freq: f64) -> f64 {
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * freq / rate).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / samples.len().max(1) as f64
}

/// Asserts `samples` carry `present` and not `absent` (by a wide margin).
pub fn assert_tone(what: &str, samples: &[i16], rate: f64, present: f64, absent: f64) {
    assert!(samples.len() as f64 > rate * 0.5, "{what}: only {} samples", samples.len());
    let yes = energy(samples, rate, present);
    let no = energy(samples, rate, absent);
    assert!(
        yes > 100.0 * no.max(1.0),
        "{what}: {present} Hz energy {yes:.0}, {absent} Hz energy {no:.0}"
    );
}

/// A WAV of a sine tone in G.711 (`codec`), 8 kHz mono: what SIPp's `rtp_stream` plays.
pub fn g711_tone_wav(codec: Codec, freq: f64, seconds: f64) -> Vec<u8> {
    let n = (8000.0 * seconds) as usize;
    let data: Vec<u8> = (0..n)
        .map(|i| {
            let x = (2.0 * std::f64::consts::PI * freq * i as f64 / 8000.0).sin() * 8000.0;
            codec.encode(x as i16)
        })
        .collect();
    let format_tag: u16 = match codec {
        Codec::Pcmu => 7,
        Codec::Pcma => 6,
    };
    let mut wav = Vec::new();
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes());
    wav.extend_from_slice(&format_tag.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&8000u32.to_le_bytes());
    wav.extend_from_slice(&1u16.to_le_bytes());
    wav.extend_from_slice(&8u16.to_le_bytes());
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(data.len() as u32).to_le_bytes());
    wav.extend_from_slice(&data);
    wav
}

/// A 16-bit PCM WAV of a sine tone at `rate`, with the same samples on every channel: an
/// upload as a recording tool would make it.
pub fn pcm_tone_wav(freq: f64, seconds: f64, rate: u32, channels: u16) -> Vec<u8> {
    let frames = (f64::from(rate) * seconds) as usize;
    let mut data = Vec::with_capacity(frames * 2 * usize::from(channels));
    for i in 0..frames {
        let x = ((2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate)).sin() * 10_000.0)
            as i16;
        for _ in 0..channels {
            data.extend_from_slice(&x.to_le_bytes());
        }
    }
    let mut wav =
        centralita_audio::WavHeader::pcm16(channels, rate).bytes(data.len() as u32).to_vec();
    wav.extend_from_slice(&data);
    wav
}

/// For each 20 ms frame of 8 kHz audio, whether `freq` is in it: audible (RMS over about
/// -40 dBm0) and most of the frame's power at that frequency (a pure tone's Goertzel energy is
/// the frame's mean square times half its length).
pub fn tone_frames(samples: &[i16], freq: f64) -> Vec<bool> {
    samples
        .chunks_exact(160)
        .map(|frame| {
            let mean_square =
                frame.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>() / 160.0;
            mean_square > 1.0e4 && energy(frame, 8000.0, freq) > 0.3 * mean_square * 80.0
        })
        .collect()
}

/// How many milliseconds of `freq` are in 8 kHz audio, counted in 20 ms frames.
pub fn tone_ms(samples: &[i16], freq: f64) -> usize {
    tone_frames(samples, freq).iter().filter(|&&on| on).count() * 20
}

/// Reads a 16-bit PCM WAV: (rate, channels, interleaved samples).
pub fn read_wav(bytes: &[u8]) -> (u32, u16, Vec<i16>) {
    let (header, samples) = centralita_audio::parse_pcm16_wav(bytes).expect("a 16-bit PCM WAV");
    (header.sample_rate, header.channels, samples)
}

/// baresip as an agent's softphone: registers, answers every call, sends a sine tone, and
/// dumps what it receives to a WAV file.
pub struct Baresip {
    child: Child,
    pub dir: tempfile::TempDir,
}

impl Baresip {
    /// Starts baresip for `username` at `sip` (host:port), sending `tone_hz`, offering only
    /// `codec` (`PCMU` or `PCMA`).
    pub fn start(username: &str, password: &str, sip: &str, tone_hz: u32, codec: &str) -> Baresip {
        let dir = tempfile::tempdir().unwrap();
        let dump = dir.path().join("dump");
        std::fs::create_dir_all(&dump).unwrap();
        std::fs::write(
            dir.path().join("config"),
            format!(
                "module_path /usr/lib/baresip/modules\nsip_listen 127.0.0.1:0\nmodule g711.so\n\
                 module ausine.so\nmodule sndfile.so\nmodule account.so\nausrc_srate 48000\n\
                 ausrc_channels 2\naudio_source ausine,{tone_hz}\naudio_player ausine,nil\n\
                 snd_path {}\n",
                dump.display()
            ),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("accounts"),
            format!("<sip:{username}@{sip}>;auth_pass={password};regint=300;answermode=auto;audio_codecs={codec}\n"),
        )
        .unwrap();
        let child = Command::new("baresip")
            .arg("-f")
            .arg(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("baresip is installed (Debian package baresip-core; .ci/run installs it)");
        Baresip { child, dir }
    }

    /// What baresip received (decoded), from its dump.
    pub fn received(&self) -> Vec<i16> {
        let dump = self.dir.path().join("dump");
        let file = std::fs::read_dir(&dump)
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with("-dec.wav"))
            .expect("baresip dumped what it received");
        let (_, channels, samples) = read_wav(&std::fs::read(file).unwrap());
        samples.chunks(usize::from(channels)).map(|c| c[0]).collect()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A packet capture on loopback of the UDP datagrams sent to one port.
pub struct Capture {
    child: Child,
    pub file: PathBuf,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Capture {
    /// Starts tcpdump and waits until it listens (it says so on stderr).
    pub fn start(port: u16) -> Capture {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("capture.pcap");
        let mut child = Command::new("tcpdump")
            .args(["-i", "lo", "-U", "--immediate-mode", "-n", "-w"])
            .arg(&file)
            .args(["udp", "and", "dst", "port", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump is installed (.ci/run installs it)");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("listening on") => break,
                Some(Ok(_)) => {}
                _ => panic!("tcpdump did not start (it needs the right to capture)"),
            }
        }
        Capture { child, file, port, _dir: dir }
    }

    /// The audio captured so far (tcpdump writes each packet as it comes), for waiting until
    /// something has been heard.
    #[allow(dead_code)]
    pub fn audio_so_far(&self) -> Vec<i16> {
        rtp_audio(&std::fs::read(&self.file).unwrap_or_default(), self.port)
    }

    /// Stops the capture and returns the decoded audio of the RTP packets, in arrival order.
    ///
    /// tcpdump hands packets over in batches, so stopping it at once could lose the last ones.
    /// It is stopped only once it has written a marker datagram sent after everything else:
    /// what was sent to the port before this call is then in the file.
    pub fn audio(mut self) -> Vec<i16> {
        const MARKER: &[u8] = b"CAPTURE-END-MARKER";
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut written = false;
        for _ in 0..200 {
            let _ = socket.send_to(MARKER, ("127.0.0.1", self.port));
            std::thread::sleep(Duration::from_millis(50));
            let bytes = std::fs::read(&self.file).unwrap_or_default();
            if bytes.windows(MARKER.len()).any(|w| w == MARKER) {
                written = true;
                break;
            }
        }
        assert!(written, "tcpdump never wrote the end marker");
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
        let bytes = std::fs::read(&self.file).unwrap();
        rtp_audio(&bytes, self.port)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The G.711 audio of the RTP packets to `port` in a pcap file (Ethernet link type, as on lo).
pub fn rtp_audio(pcap: &[u8], port: u16) -> Vec<i16> {
    let mut samples = Vec::new();
    let mut offset = 24;
    while offset + 16 <= pcap.len() {
        let caplen = u32::from_le_bytes(pcap[offset + 8..offset + 12].try_into().unwrap()) as usize;
        let packet = &pcap[offset + 16..(offset + 16 + caplen).min(pcap.len())];
        offset += 16 + caplen;
        if packet.len() < 14 + 20 + 8 + 12 {
            continue;
        }
        let ip = &packet[14..];
        let header = usize::from(ip[0] & 0x0f) * 4;
        let udp = &ip[header..];
        if u16::from_be_bytes([udp[2], udp[3]]) != port {
            continue;
        }
        let rtp = &udp[8..];
        let csrc = usize::from(rtp[0] & 0x0f) * 4;
        let codec = match rtp[1] & 0x7f {
            0 => Codec::Pcmu,
            8 => Codec::Pcma,
            _ => continue,
        };
        samples.extend(rtp[12 + csrc..].iter().map(|&b| codec.decode(b)));
    }
    samples
}

/// Waits for `check` to hold, asking again every 50 ms; the deadline only turns a hang into a
/// failure.
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..1200 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("never happened: {what}");
}

/// Writes `bytes` as `name` in `dir`.
pub fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}
