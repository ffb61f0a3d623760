//! What the test binaries share: real session descriptions from phones, PBXs, carriers and
//! gateways (written out by hand from the public sources named above each one), the RFC 5118
//! files, and small helpers.
//!
//! Each binary uses a different part of this module, hence the `dead_code` allowance.
//!
//! The fixtures keep every line of their source, in its order and spelling, with two changes:
//! IP addresses are moved to the documentation ranges (RFC 5737) and identifiers that looked
//! personal (phone numbers in `cname`, SRTP keys, ICE passwords) are replaced, because
//! addresses and numbers are personal data. They are written with LF here; the tests feed
//! each one both with CRLF (as sent) and LF.

#![allow(dead_code)]

use std::path::PathBuf;

use centralita_sdp::{LocalMedia, SessionDescription};

/// baresip 0.6.3 calling a carrier. Source: baresip/baresip issue #813, "No RTP if domain
/// name in SDP" (INVITE trace, 2019).
pub(crate) const BARESIP: &str = "\
v=0
o=- 1140145081 1649997976 IN IP4 192.0.2.15
s=-
c=IN IP4 192.0.2.15
t=0 0
a=tool:baresip 0.6.3
m=audio 16906 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
a=label:1
a=rtcp-rsize
a=ssrc:1613256890 cname:sip:alice@example.com
a=ptime:20
";

/// baresip's Android app with many codecs, telephone-event on payload type 10 and 101 used
/// for G726-32. Source: baresip/baresip issue #3258, "telephone-event payload type number
/// 10" (2024).
pub(crate) const BARESIP_ANDROID: &str = "\
v=0
o=- 2237437666 647389653 IN IP4 192.0.2.187
s=-
c=IN IP4 192.0.2.187
t=0 0
m=audio 8570 RTP/AVP 96 97 98 9 99 100 101 102 103 18 104 8 0 10
a=rtpmap:96 AMR-WB/16000
a=rtpmap:97 AMR/8000
a=rtpmap:98 opus/48000/2
a=fmtp:98 stereo=0;sprop-stereo=0;maxaveragebitrate=28000;cbr=0;useinbandfec=1
a=rtpmap:9 G722/8000
a=rtpmap:99 G7221/16000
a=fmtp:99 bitrate=32000
a=rtpmap:100 G726-40/8000
a=rtpmap:101 G726-32/8000
a=rtpmap:102 G726-24/8000
a=rtpmap:103 G726-16/8000
a=rtpmap:18 G729/8000
a=rtpmap:104 CODEC2/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:10 telephone-event/8000
a=fmtp:10 0-15
a=sendrecv
a=rtcp-rsize
a=ssrc:3299428848 cname:sip:bob@example.com
a=mid:0
a=minptime:20
a=ptime:20
a=label:1
";

/// Linphone 3.2.1 (eXosip2): rtpmaps with a channel count, events 0-11 only. Source: "SIP
/// INVITE instance reference", topic.alibabacloud.com (a Linphone/3.2.1 INVITE trace).
pub(crate) const LINPHONE_3: &str = "\
v=0
o=from 123456 654321 IN IP4 192.0.2.5
s=A conversation
c=IN IP4 192.0.2.5
t=0 0
m=audio 7078 RTP/AVP 111 110 0 3 8 101
a=rtpmap:111 speex/16000/1
a=rtpmap:110 speex/8000/1
a=rtpmap:0 PCMU/8000/1
a=rtpmap:3 GSM/8000/1
a=rtpmap:8 PCMA/8000/1
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-11
";

/// liblinphone 4.x (an iOS app built on it): ICE and RTCP-XR at session level, Opus first,
/// three telephone-events of which only 100 is at 8000 Hz. Source:
/// BelledonneCommunications/linphone-desktop issue #311, "No own audio on conference" (log of
/// the SDP, 2020); the log does not show the `o=` line, which is written in Linphone's form.
pub(crate) const LINPHONE_4: &str = "\
v=0
o=alice 3296 1054 IN IP4 192.0.2.240
s=Talk
c=IN IP4 192.0.2.240
t=0 0
a=ice-pwd:0123456789abcdef01234567
a=ice-ufrag:76b284cf
a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics
m=audio 7078 RTP/AVP 96 97 98 0 8 101 99 100
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 speex/16000
a=fmtp:97 vbr=on
a=rtpmap:98 speex/8000
a=fmtp:98 vbr=on
a=rtpmap:101 telephone-event/48000
a=rtpmap:99 telephone-event/16000
a=rtpmap:100 telephone-event/8000
a=candidate:1 1 UDP 2130706431 192.0.2.240 7078 typ host
a=candidate:1 2 UDP 2130706430 192.0.2.240 7079 typ host
a=rtcp-fb:* trr-int 1000
a=rtcp-fb:* ccm tmmbr
";

/// Zoiper 5: Opus, G722, telephone-event at 48000 (98) and 8000 (101), static payload types
/// without rtpmap, rtcp-mux. Source: the `o=Z 0 525320674` offer kept as a test fixture in a
/// public WebRTC/SIP client repository (found by its `s=Z` signature).
pub(crate) const ZOIPER_5: &str = "\
v=0
o=Z 0 525320674 IN IP4 192.0.2.10
s=Z
c=IN IP4 192.0.2.10
t=0 0
m=audio 54141 RTP/AVP 106 9 98 101 0 8 3
a=rtpmap:106 opus/48000/2
a=fmtp:106 sprop-maxcapturerate=16000; minptime=20; useinbandfec=1
a=rtpmap:98 telephone-event/48000
a=fmtp:98 0-16
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv
a=rtcp-mux
";

/// Zoiper 2.10: GSM first, PCMA and PCMU as bare static payload types. Source: an INVITE
/// with `User-Agent: Zoiper v2.10.19.5` kept as a test constant in a public Rust SIP project.
pub(crate) const ZOIPER_2: &str = "\
v=0
o=Z 0 199267607 IN IP4 192.0.2.155
s=Z
c=IN IP4 192.0.2.155
t=0 0
m=audio 61265 RTP/AVP 3 101 110 97 8 0
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=rtpmap:110 speex/8000
a=rtpmap:97 iLBC/8000
a=fmtp:97 mode=20
a=sendrecv
a=rtcp-mux
";

/// Yealink SIP-T27G (firmware 69.86.0.15) desk phone: `s=SDP data`, G722 first, rtpmap for
/// telephone-event after the direction. Source: an INVITE with that User-Agent kept in a
/// public SIP load-test script.
pub(crate) const YEALINK_T27G: &str = "\
v=0
o=- 20211 20211 IN IP4 192.0.2.146
s=SDP data
c=IN IP4 192.0.2.146
t=0 0
m=audio 11808 RTP/AVP 9 0 8 18 101
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=ptime:20
a=sendrecv
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
";

/// Polycom SoundPoint IP 335 (UA 4.0.14): session-level `a=sendrecv`, telephone-event on
/// 127, vendor attributes. Source: the `variable_switch_r_sdp` of a FreeSWITCH channel dump
/// from a `PolycomSoundPointIP-SPIP_335-UA/4.0.14.1388` phone, in a public repository.
pub(crate) const POLYCOM_335: &str = "\
v=0
o=- 1553686678 1553686678 IN IP4 192.0.2.25
s=Polycom IP Phone
c=IN IP4 192.0.2.25
t=0 0
a=sendrecv
m=audio 2230 RTP/AVP 9 0 8 18 127
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:127 telephone-event/8000
a=oldoip:192.0.2.46
a=oldcip:192.0.2.46
";

/// A Polycom phone putting the call on hold with a session-level `a=sendonly`. Source: the
/// Polycom sample in the SDP test strings of a public Java SIP project (next to a Cisco
/// `a=sendonly` one).
pub(crate) const POLYCOM_HOLD: &str = "\
v=0
o=- 1167770389 1167770390 IN IP4 192.0.2.242
s=Polycom IP Phone
c=IN IP4 192.0.2.242
t=0 0
a=sendonly
m=audio 2222 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
";

/// Cisco 79xx (Cisco-SIPUA): no session-level `c=`, the `c=` comes after `m=`. Source:
/// sipcapture/captagent issue #4, "Cisco phone INVITE - Bad SDP" (2015).
pub(crate) const CISCO_SIPUA: &str = "\
v=0
o=Cisco-SIPUA 7221 0 IN IP4 192.0.2.10
s=SIP Call
t=0 0
m=audio 20096 RTP/AVP 0 8 18 9 116 101
c=IN IP4 192.0.2.10
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:18 G729/8000
a=fmtp:18 annexb=no
a=rtpmap:9 G722/8000
a=rtpmap:116 iLBC/8000
a=fmtp:116 mode=20
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
";

/// Asterisk 18 (FreePBX 16, chan_pjsip): Opus and telephone-event/48000 next to the 8000
/// one. Source: tayler6000/pyVoIP issue #270, "Received calls left unanswered on 2.0.0a5".
pub(crate) const ASTERISK_PJSIP: &str = "\
v=0
o=- 1460456014 1460456014 IN IP4 192.0.2.35
s=Asterisk
c=IN IP4 192.0.2.35
t=0 0
m=audio 13344 RTP/AVP 0 8 107 9 3 111 101 103
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:107 opus/48000/2
a=rtpmap:9 G722/8000
a=rtpmap:3 GSM/8000
a=rtpmap:111 G726-32/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=rtpmap:103 telephone-event/48000
a=fmtp:103 0-16
a=ptime:20
a=maxptime:60
a=sendrecv
";

/// Asterisk chan_sip (2009): `a=silenceSupp`. Source: "SIP INVITE message",
/// piezoelectrics.blogspot.com (an `User-Agent: Asterisk PBX` INVITE, August 2009).
pub(crate) const ASTERISK_CHAN_SIP: &str = "\
v=0
o=root 19191 19191 IN IP4 192.0.2.248
s=session
c=IN IP4 192.0.2.248
t=0 0
m=audio 13354 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=silenceSupp:off - - - -
a=ptime:20
a=sendrecv
";

/// FreeSWITCH 1.6 offering audio and VP8 video, with `b=` on the video. Source:
/// signalwire/freeswitch issue #23 (the "Local SDP" of an outbound leg, 2019).
pub(crate) const FREESWITCH: &str = "\
v=0
o=FreeSWITCH 1569711864 1569711865 IN IP4 192.0.2.221
s=FreeSWITCH
c=IN IP4 192.0.2.221
t=0 0
m=audio 27744 RTP/AVP 9 0 8 101
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=sendrecv
m=video 32594 RTP/AVP 102
b=AS:1024
a=rtpmap:102 VP8/90000
a=rtcp-fb:102 ccm fir
a=rtcp-fb:102 ccm tmmbr
a=rtcp-fb:102 nack
a=rtcp-fb:102 nack pli
";

/// Twilio Elastic SIP Trunking ("Twilio Media Gateway"): `a=maxptime` before the rtpmaps,
/// `a=rtcp` with the port only. Source: an inbound Twilio INVITE kept as a test fixture in
/// jambonz (the `X-Twilio-AccountSid` one, `o=root 81565042`).
pub(crate) const TWILIO: &str = "\
v=0
o=root 81565042 81565042 IN IP4 192.0.2.72
s=Twilio Media Gateway
c=IN IP4 192.0.2.72
t=0 0
m=audio 40150 RTP/AVP 0 8 101
a=maxptime:20
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv
a=rtcp:40151
a=ptime:20
";

/// The same carrier with a blank after every attribute colon. Source: another inbound Twilio
/// INVITE kept as a fixture in jambonz (`o=root 738528152`).
pub(crate) const TWILIO_BLANKS: &str = "\
v=0
o=root 738528152 738528152 IN IP4 192.0.2.254
s=Twilio Media Gateway
c=IN IP4 192.0.2.254
t=0 0
m=audio 47412 RTP/AVP 0 8 101
a=maxptime: 20
a=rtpmap: 0 PCMU/8000
a=rtpmap: 8 PCMA/8000
a=rtpmap: 101 telephone-event/8000
a=fmtp: 101 0-16
a=sendrecv
a=rtcp: 47413
a=ptime: 20
";

/// Twilio over TLS with SDES-SRTP (`RTP/SAVP`), which we do not terminate. Source: an
/// Asterisk `pjsip set logger` trace of a Twilio INVITE in a public repository.
pub(crate) const TWILIO_SRTP: &str = "\
v=0
o=root 1311022221 1311022221 IN IP4 192.0.2.214
s=Twilio Media Gateway
c=IN IP4 192.0.2.121
t=0 0
m=audio 12692 RTP/SAVP 0 8 101
a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=ptime:20
a=maxptime:20
a=sendrecv
";

/// A WebRTC gateway's offer to the SIP side (rtpengine with `RTP/AVP ICE=remove
/// codec-transcode-opus codec-transcode-PCMA codec-transcode-telephone-event`): PCMA, Opus
/// and telephone-event at 48000 and 8000, `c=` at media level only. Source: sipwise/rtpengine
/// issue #2044 ("SDP in INVITE to the client"); the issue shows the media section only, the
/// session lines are rtpengine's.
pub(crate) const WEBRTC_GATEWAY: &str = "\
v=0
o=- 3820000275 3820000275 IN IP4 192.0.2.67
s=-
t=0 0
m=audio 11492 RTP/AVP 8 96 97 101
c=IN IP4 192.0.2.67
a=rtpmap:8 PCMA/8000
a=rtpmap:96 opus/48000/2
a=fmtp:96 useinbandfec=1
a=rtpmap:97 telephone-event/48000
a=fmtp:97 0-15
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-16
a=sendrecv
a=rtcp:11493
a=ptime:20
a=maxptime:140
";

/// A browser's offer passed through unchanged (Chrome, `UDP/TLS/RTP/SAVPF`, thirteen
/// payload types, ICE, DTLS, extmaps). Source: the audio section in ionorg/ion-sdk-js pull
/// request #161 with the session lines of sipwise/rtpengine issue #1128 (both Chrome offers).
pub(crate) const WEBRTC_BROWSER: &str = "\
v=0
o=- 9179752601252826711 2 IN IP4 127.0.0.1
s=-
t=0 0
a=group:BUNDLE 0
a=msid-semantic: WMS h5k1KwvLPkkKCZkdSw0MTUml86SljvbcPuWW
m=audio 9 UDP/TLS/RTP/SAVPF 111 103 104 9 0 8 106 105 13 110 112 113 126
c=IN IP4 0.0.0.0
a=rtcp:9 IN IP4 0.0.0.0
a=ice-ufrag:+Lgl
a=ice-pwd:00000000000000000000000000
a=ice-options:trickle
a=fingerprint:sha-256 FA:26:3E:FD:42:92:A9:07:49:6E:6C:69:92:C5:0F:8E:B1:2D:DA:76:1A:93:6F:DE:79:AF:BD:96:69:32:79:B6
a=setup:actpass
a=mid:0
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01
a=sendrecv
a=msid:d825856d-0f72-416f-9293-2a3ad692eb5c d4497d7d-7504-4d13-92b5-c8b62f16a947
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:103 ISAC/16000
a=rtpmap:104 ISAC/32000
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:106 CN/32000
a=rtpmap:105 CN/16000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:112 telephone-event/32000
a=rtpmap:113 telephone-event/16000
a=rtpmap:126 telephone-event/8000
a=ssrc:2836429728 cname:D+S6Pgkyla
";

/// The browser offer above as a gateway that keeps every codec forwards it: plain `RTP/AVP`
/// at a relay address, thirteen payload types of which PCMU is the first G.711 and
/// telephone-event/8000 is 126. Source: [`WEBRTC_BROWSER`] with the transport rewritten the
/// way rtpengine's `RTP/AVP ICE=remove DTLS=off` does (ICE and DTLS lines removed).
pub(crate) const WEBRTC_GATEWAY_ALL_CODECS: &str = "\
v=0
o=- 9179752601252826711 3 IN IP4 192.0.2.90
s=-
t=0 0
a=msid-semantic: WMS h5k1KwvLPkkKCZkdSw0MTUml86SljvbcPuWW
m=audio 30040 RTP/AVP 111 103 104 9 0 8 106 105 13 110 112 113 126
c=IN IP4 192.0.2.90
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level
a=sendrecv
a=msid:d825856d-0f72-416f-9293-2a3ad692eb5c d4497d7d-7504-4d13-92b5-c8b62f16a947
a=rtcp-mux
a=rtpmap:111 opus/48000/2
a=rtcp-fb:111 transport-cc
a=fmtp:111 minptime=10;useinbandfec=1
a=rtpmap:103 ISAC/16000
a=rtpmap:104 ISAC/32000
a=rtpmap:9 G722/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:106 CN/32000
a=rtpmap:105 CN/16000
a=rtpmap:13 CN/8000
a=rtpmap:110 telephone-event/48000
a=rtpmap:112 telephone-event/32000
a=rtpmap:113 telephone-event/16000
a=rtpmap:126 telephone-event/8000
a=ssrc:2836429728 cname:D+S6Pgkyla
";

/// SIPp's built-in `uac` scenario (`sipp -sn uac`), rendered with `[local_ip]` and
/// `[media_ip]` 192.0.2.1 and `[media_port]` 6000: PCMU only, no telephone-event. Source:
/// the INVITE body of SIPp's default uac scenario (SIPp/sipp, and the many scenarios that copy
/// it); SIPp's default `uas` answers with the same body.
pub(crate) const SIPP_UAC: &str = "\
v=0
o=user1 53655765 2353687637 IN IP4 192.0.2.1
s=-
c=IN IP4 192.0.2.1
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
";

/// SIPp's built-in `uas` answer, same body as the uac offer at another address.
pub(crate) const SIPP_UAS: &str = "\
v=0
o=user1 53655765 2353687637 IN IP4 192.0.2.2
s=-
c=IN IP4 192.0.2.2
t=0 0
m=audio 6000 RTP/AVP 0
a=rtpmap:0 PCMU/8000
";

/// Mobicents/RestComm media server: lower-case rtpmap names, `c=` at both levels, two
/// telephone-events at 8000, `a=rtcp` with an address. Source: RestComm/media-core issue #61,
/// "MMS SDP offer should offer only 101 telephone-event" (2015).
pub(crate) const MOBICENTS: &str = "\
v=0
o=- 1448892712200 1 IN IP4 192.0.2.1
s=Mobicents Media Server
c=IN IP4 192.0.2.1
t=0 0
m=audio 37402 RTP/AVP 8 0 3 18 97 102 101 126
c=IN IP4 192.0.2.1
a=sendrecv
a=rtcp:37403 IN IP4 192.0.2.1
a=ptime:20
a=rtpmap:102 ilbc/8000
a=rtpmap:0 pcmu/8000
a=rtpmap:101 telephone-event/8000
a=rtpmap:18 g729/8000
a=rtpmap:3 gsm/8000
a=rtpmap:97 l16/8000
a=rtpmap:8 pcma/8000
a=rtpmap:126 telephone-event/8000
a=ssrc:2288651527 cname:mfLS0DTrHQa+uLNF
";

/// doubango (IMSDroid / sipML5's engine): `a=tcap` at session level, `/1` channel counts on
/// every rtpmap, no direction. Source: DoubangoTelecom/doubango issue #208, "response SDP does
/// not contain telephone-event?" (2013).
pub(crate) const DOUBANGO: &str = "\
v=0
o=doubango 1983 678901 IN IP4 192.0.2.84
s=-
c=IN IP4 192.0.2.84
t=0 0
a=tcap:1 RTP/AVPF
m=audio 46052 RTP/AVP 0 8 101
a=ptime:20
a=silenceSupp:off - - - -
a=rtpmap:0 PCMU/8000/1
a=rtpmap:8 PCMA/8000/1
a=rtpmap:101 telephone-event/8000/1
a=fmtp:101 0-16
";

/// pjsua (pjproject, as embedded in the Home Assistant SIP add-on): session `b=AS` and
/// `a=X-nat`, `c=` at media level only, `b=TIAS`, ICE, `a=rtcp` on another port,
/// telephone-event on 121, and a second stream of real-time text. Source:
/// arnonym/ha-plugins issue #205, "recording jitter" (UPDATE trace).
pub(crate) const PJSUA: &str = "\
v=0
o=- 3993637276 3993637277 IN IP4 192.0.2.62
s=pjmedia
b=AS:117
t=0 0
a=X-nat:0
m=audio 4035 RTP/AVP 0 121
c=IN IP4 192.0.2.62
b=TIAS:96000
a=ssrc:1524161090 cname:2faee9694945f47d
a=ice-ufrag:362bee46
a=ice-pwd:00000000
a=rtcp:4020 IN IP4 192.0.2.62
a=candidate:Hc0a8013e 1 UDP 2130706431 192.0.2.62 4035 typ host
a=candidate:Hc0a8013e 2 UDP 2130706430 192.0.2.62 4020 typ host
a=remote-candidates:1 192.0.2.37 7234 2 192.0.2.37 7235
a=rtpmap:0 PCMU/8000
a=rtpmap:121 telephone-event/8000
a=fmtp:121 0-16
a=sendrecv
m=text 4011 RTP/AVP 100 98
c=IN IP4 192.0.2.62
a=ssrc:1817362614 cname:2faee9694945f47d
a=rtcp:4040 IN IP4 192.0.2.62
a=rtpmap:100 red/1000
a=fmtp:100 98/98/98
a=rtpmap:98 t140/1000
a=sendrecv
";

/// A fax machine's switch to T.38: a re-INVITE with only `m=image ... udptl t38`. Source:
/// the T.38 attributes of ITU-T T.38 Annex D / RFC 3362 as gateways send them (Asterisk
/// and FreeSWITCH re-INVITEs have this shape); there is no audio left to answer.
pub(crate) const T38_REINVITE: &str = "\
v=0
o=- 1553686678 1553686679 IN IP4 192.0.2.25
s=-
c=IN IP4 192.0.2.25
t=0 0
m=image 4002 udptl t38
a=T38FaxVersion:0
a=T38MaxBitRate:14400
a=T38FaxRateManagement:transferredTCF
a=T38FaxMaxBuffer:262
a=T38FaxMaxDatagram:176
a=T38FaxUdpEC:t38UDPRedundancy
";

/// An answer from a soft phone (MicroSIP/Zoiper, per the reporter) that takes PCMA and
/// answers telephone-event/8000 on 97, a payload type the offer used for 48000. Source:
/// sipwise/rtpengine issue #2044 ("Client's answer"); the issue shows it from `c=` on.
pub(crate) const SOFTPHONE_ANSWER: &str = "\
v=0
o=- 3820000276 3820000276 IN IP4 192.0.2.99
s=-
c=IN IP4 192.0.2.99
t=0 0
m=audio 58085 RTP/AVP 8 0 97
a=rtpmap:97 telephone-event/8000
a=fmtp:97 0-16
a=sendrecv
a=rtcp-mux
";

/// Every fixture, by name, for the tests that run over all of them.
pub(crate) fn all() -> Vec<(&'static str, &'static str)> {
    vec![
        ("baresip", BARESIP),
        ("baresip-android", BARESIP_ANDROID),
        ("linphone-3", LINPHONE_3),
        ("linphone-4", LINPHONE_4),
        ("zoiper-5", ZOIPER_5),
        ("zoiper-2", ZOIPER_2),
        ("yealink-t27g", YEALINK_T27G),
        ("polycom-335", POLYCOM_335),
        ("polycom-hold", POLYCOM_HOLD),
        ("cisco-sipua", CISCO_SIPUA),
        ("asterisk-pjsip", ASTERISK_PJSIP),
        ("asterisk-chan-sip", ASTERISK_CHAN_SIP),
        ("freeswitch", FREESWITCH),
        ("twilio", TWILIO),
        ("twilio-blanks", TWILIO_BLANKS),
        ("twilio-srtp", TWILIO_SRTP),
        ("webrtc-gateway", WEBRTC_GATEWAY),
        ("webrtc-browser", WEBRTC_BROWSER),
        ("webrtc-gateway-all-codecs", WEBRTC_GATEWAY_ALL_CODECS),
        ("sipp-uac", SIPP_UAC),
        ("sipp-uas", SIPP_UAS),
        ("mobicents", MOBICENTS),
        ("doubango", DOUBANGO),
        ("pjsua", PJSUA),
        ("t38-reinvite", T38_REINVITE),
        ("softphone-answer", SOFTPHONE_ANSWER),
    ]
}

/// LF line ends to CRLF, as the fixtures travel.
pub(crate) fn crlf(sdp: &str) -> String {
    sdp.replace('\n', "\r\n")
}

/// Parses a fixture, or fails the test naming it.
pub(crate) fn parse(name: &str, sdp: &str) -> SessionDescription {
    SessionDescription::parse(sdp).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

/// The bytes of `tests/data/<file>` (the RFC 5118 messages, byte-exact).
pub(crate) fn data(file: &str) -> Vec<u8> {
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "data", file].iter().collect();
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The SDP body of a SIP message file: what follows the first empty line. The RFC 5118 files
/// use bare LF and some have a Content-Length that does not match, so this does not frame by
/// Content-Length; the SIP crate tests that part.
pub(crate) fn body(message: &[u8]) -> &[u8] {
    let at = message.windows(2).position(|w| w == b"\n\n").map_or(message.len(), |i| i + 2);
    &message[at..]
}

/// The RFC 5118 messages that carry SDP, with their bodies.
pub(crate) fn rfc5118_bodies() -> Vec<(&'static str, Vec<u8>)> {
    ["ipv6-in-sdp.dat", "mult-ip-in-sdp.dat", "ipv4-mapped-ipv6.dat"]
        .into_iter()
        .map(|f| (f, body(&data(f)).to_vec()))
        .collect()
}

/// Our media for the tests: a public IPv4 address from the documentation range.
pub(crate) fn local() -> LocalMedia {
    LocalMedia::new("198.51.100.7".parse().unwrap(), 30000, 4242)
}
