//! Fuzzes the message parser: any bytes, as a datagram and as a stream. Beyond "never
//! panics", it checks that what parses prints back to a message that parses to the same
//! thing, and that the printed form stays bounded by the input.

#![no_main]

use centralita_sip::{HeaderName, Message, Response, error_response, parse_stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match Message::parse(data) {
        Ok(m) => {
            let h = m.headers();
            let _ = (h.via(), h.top_via(), h.from(), h.to(), h.call_id(), h.cseq(), h.contacts());
            let _ = (h.route(), h.record_route(), h.max_forwards(), h.expires(), h.min_expires());
            let _ = (h.content_type(), h.content_length(), h.allow(), h.supported(), h.require());
            let _ = (h.proxy_require(), h.unsupported(), h.rseq(), h.rack(), h.reason());
            let _ = (h.www_authenticate(), h.authorization(), h.proxy_authenticate());
            let _ = h.proxy_authorization();
            let _ = m.check();
            if let Message::Request(r) = &m {
                let _ = Response::for_request(r, 200, "OK").to_bytes();
                if let Some(u) = r.uri.as_sip() {
                    let _ = u.equivalent(u);
                }
            }
            let wire = m.to_bytes();
            assert!(wire.len() <= data.len() + 64 * (h.len() + 1) + 64);
            let mut again = Message::parse(&wire).expect("a printed message must parse");
            let mut orig = m.clone();
            orig.headers_mut().remove(&HeaderName::CONTENT_LENGTH);
            again.headers_mut().remove(&HeaderName::CONTENT_LENGTH);
            assert_eq!(orig, again);
            assert_eq!(again.to_bytes(), wire);
        }
        Err(e) => {
            let _ = e.reason_phrase();
            if let Some(r) = error_response(data, &e) {
                let _ = r.to_bytes();
            }
        }
    }
    if let Ok(Some((m, n))) = parse_stream(data) {
        assert!(n <= data.len());
        let _ = m.to_bytes();
    }
});
