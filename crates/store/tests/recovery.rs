//! A process that died in the middle of calls: the next start closes them as interrupted and
//! keeps everything they recorded.

use centralita_audio::WavHeader;
use centralita_domain::{
    CallEvent, CallStatus, Direction, E164, Email, EventKind, Millis, Role, SipUsername,
};
use centralita_store::{NewCall, NewUser, Store, Viewer};

#[tokio::test]
async fn calls_left_in_progress_are_closed_as_interrupted_with_their_audio() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).await.unwrap();
    let admin = NewUser {
        name: "Ana".into(),
        email: Email::parse("email", "ana@acme.example").unwrap(),
        role: Role::Admin,
        password_hash: "x".into(),
        sip_username: SipUsername::parse("sip_username", "ana").unwrap(),
        sip_ha1_md5: "0".repeat(32),
        sip_ha1_sha256: "0".repeat(64),
    };
    let (account, user, _) = store
        .create_account("Acme", centralita_domain::Country::parse("ES").unwrap(), &admin, "hash")
        .await
        .unwrap();
    let number = store
        .create_number(account.id, &E164::parse("+34910000001").unwrap(), "Sales")
        .await
        .unwrap();
    let new_call = |at| NewCall {
        id: None,
        number_id: Some(number.id),
        user_id: None,
        direction: Direction::Inbound,
        from: "+34600111222".into(),
        to: "+34910000001".into(),
        started_at: Millis(at),
    };
    let event = |at, kind| CallEvent { at: Millis(at), reason: None, kind };

    // A call answered at 1 s and recorded from then on: 2.5 s of stereo reached the disk, the
    // last frame torn, the header still "unknown length".
    let talking = store.start_call(account.id, &new_call(0)).await.unwrap();
    store
        .append_event(talking, &event(1_000, EventKind::Answered { user_id: Some(user.id) }))
        .await
        .unwrap();
    store.answer_call(talking, Millis(1_000), Some(user.id)).await.unwrap();
    let recording = store.create_recording(account.id, talking, 2, Millis(1_000)).await.unwrap();
    let mut bytes = WavHeader::pcm16(2, 8000).bytes(WavHeader::UNKNOWN_DATA_LEN).to_vec();
    bytes.resize(44 + 20_000 * 4 + 3, 7);
    std::fs::write(&recording.path, &bytes).unwrap();

    // A caller leaving a voicemail; the process died before its file was even created.
    let leaving = store.start_call(account.id, &new_call(5_000)).await.unwrap();
    let voicemail = store
        .create_voicemail(account.id, leaving, Some(number.id), "+34600111222", Millis(9_000))
        .await
        .unwrap();

    // A call still ringing.
    let ringing = store.start_call(account.id, &new_call(20_000)).await.unwrap();
    store.append_event(ringing, &event(20_500, EventKind::Queued {})).await.unwrap();

    let mut closed = store.close_interrupted_calls().await.unwrap();
    closed.sort();
    let mut expected = vec![talking, leaving, ringing];
    expected.sort();
    assert_eq!(closed, expected);

    let talking = store.get_call(account.id, Viewer::Admin, talking).await.unwrap();
    assert_eq!(talking.status, CallStatus::Answered);
    assert_eq!(talking.answered_by, Some(user.id));
    let ended = talking.events.last().unwrap();
    assert_eq!(ended.reason.as_deref(), Some("interrupted"));
    assert_eq!(ended.at, Millis(3_500), "ends where the recording ends");
    assert!(matches!(ended.kind, EventKind::Ended { duration_ms: 3_500, talk_ms: 2_500, .. }));
    let fixed = std::fs::read(&recording.path).unwrap();
    assert_eq!(fixed.len(), 44 + 80_000, "the torn frame is dropped");
    assert_eq!(&fixed[..44], &WavHeader::pcm16(2, 8000).bytes(80_000));
    let recording = store.get_recording(account.id, Viewer::Admin, recording.id).await.unwrap();
    assert_eq!(recording.duration_ms, Some(2_500));

    let leaving = store.get_call(account.id, Viewer::Admin, leaving).await.unwrap();
    assert_eq!(leaving.status, CallStatus::Voicemail);
    let vm = store.get_voicemail(account.id, Viewer::Admin, user.id, voicemail.id).await.unwrap();
    assert_eq!(vm.duration_ms, Some(0));
    assert_eq!(std::fs::read(&vm.path).unwrap(), WavHeader::pcm16(1, 8000).bytes(0));

    let ringing = store.get_call(account.id, Viewer::Admin, ringing).await.unwrap();
    assert_eq!(ringing.status, CallStatus::Missed);
    assert_eq!(ringing.events.last().unwrap().at, Millis(20_500));

    // Nothing is left to close: a second start changes nothing.
    assert!(store.close_interrupted_calls().await.unwrap().is_empty());
}
