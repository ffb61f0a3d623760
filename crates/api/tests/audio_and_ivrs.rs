//! Audio uploads (decoded, resampled, stored normalised) and IVR menus.

mod common;

use centralita_api::ApiConfig;
use common::{Server, receive_settings, tone_wav};
use reqwest::Method;
use serde_json::json;

/// Energy of `freq` in `samples` (Goertzel), normalised by length.
fn energy(samples: &[i16], rate: f64, freq: f64) -> f64 {
    let coeff = 2.0 * (2.0 * std::f64::consts::PI * freq / rate).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    (s1 * s1 + s2 * s2 - coeff * s1 * s2) / samples.len() as f64
}

fn pcm16_mono_8k(wav: &[u8]) -> Vec<i16> {
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    assert_eq!(u16::from_le_bytes([wav[20], wav[21]]), 1, "PCM");
    assert_eq!(u16::from_le_bytes([wav[22], wav[23]]), 1, "mono");
    assert_eq!(u32::from_le_bytes([wav[24], wav[25], wav[26], wav[27]]), 8000, "8 kHz");
    assert_eq!(u16::from_le_bytes([wav[34], wav[35]]), 16, "16-bit");
    wav[44..].chunks_exact(2).map(|b| i16::from_le_bytes([b[0], b[1]])).collect()
}

#[tokio::test]
async fn a_44k_stereo_tone_is_stored_as_8k_mono_of_the_same_length_and_pitch() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let uploaded = server.upload(&acme, "welcome", tone_wav(44100, 2, 1000.0, 1.5)).await.ok(201);
    assert_eq!(uploaded["name"], "welcome");
    assert_eq!(uploaded["duration_ms"], 1500);
    let id = uploaded["id"].as_str().unwrap();

    let wav = server.get(&format!("/v1/audio/{id}"), &acme.admin_token).await;
    assert_eq!(wav.status, 200);
    assert_eq!(wav.headers["content-type"], "audio/wav");
    let samples = pcm16_mono_8k(&wav.bytes);
    assert_eq!(samples.len(), 12_000);
    let middle = &samples[2000..10_000];
    assert!(energy(middle, 8000.0, 1000.0) > 100.0 * energy(middle, 8000.0, 600.0));
    assert!(energy(middle, 8000.0, 1000.0) > 100.0 * energy(middle, 8000.0, 1600.0));

    let info = server.get(&format!("/v1/audio/{id}/info"), &acme.admin_token).await.ok(200);
    assert_eq!(info["duration_ms"], 1500);
    let listed = server.get("/v1/audio", &acme.admin_token).await.ok(200);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // Browsers seek in audio: ranges work.
    let range = server
        .client
        .get(format!("{}/v1/audio/{id}", server.base))
        .bearer_auth(&acme.admin_token)
        .header("range", "bytes=0-43")
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), 206);
    assert_eq!(range.bytes().await.unwrap().len(), 44);
}

#[tokio::test]
async fn what_is_not_audio_is_refused() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let noise: Vec<u8> =
        (0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect();
    server.upload(&acme, "noise", noise.clone()).await.invalid("body");
    let mp3 = server
        .send(
            Method::POST,
            "/v1/audio?name=x",
            Some(&acme.admin_token),
            Some(("audio/mpeg", noise)),
        )
        .await;
    mp3.invalid("body");
    server.upload(&acme, "empty", Vec::new()).await.invalid("body");
    let mut truncated = tone_wav(8000, 1, 440.0, 1.0);
    truncated.truncate(30);
    server.upload(&acme, "truncated", truncated).await.invalid("body");
    let text = server
        .send(
            Method::POST,
            "/v1/audio?name=x",
            Some(&acme.admin_token),
            Some(("text/plain", b"hello".to_vec())),
        )
        .await;
    text.error(415);
    let unnamed = server
        .send(
            Method::POST,
            "/v1/audio",
            Some(&acme.admin_token),
            Some(("audio/wav", tone_wav(8000, 1, 440.0, 0.2))),
        )
        .await;
    unnamed.invalid("name");
    let typo = server
        .send(
            Method::POST,
            "/v1/audio?name=a&nmae=b",
            Some(&acme.admin_token),
            Some(("audio/wav", tone_wav(8000, 1, 440.0, 0.2))),
        )
        .await;
    typo.invalid("nmae");
    assert_eq!(server.get("/v1/audio", &acme.admin_token).await.ok(200), json!([]));
}

#[tokio::test]
async fn too_big_and_too_long_are_413() {
    let config = ApiConfig {
        max_upload_bytes: 100_000,
        max_audio_duration_ms: 2_000,
        ..ApiConfig::default()
    };
    let server = Server::start_with(config).await;
    let acme = server.new_account("Acme").await;
    let big = tone_wav(44100, 2, 440.0, 1.0);
    assert!(big.len() > 100_000);
    server.upload(&acme, "big", big).await.error(413);
    let long = tone_wav(8000, 1, 440.0, 3.0);
    assert!(long.len() < 100_000);
    server.upload(&acme, "long", long).await.error(413);
    server.upload(&acme, "fine", tone_wav(8000, 1, 440.0, 1.9)).await.ok(201);
    // A JSON body over its own limit is 413 too.
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    server.raw(Method::POST, "/v1/numbers", &acme.admin_token, &huge).await.error(413);
}

#[tokio::test]
async fn audio_in_use_cannot_be_deleted() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (_, bea_token) = server.new_user(&acme, "Bea", "agent").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let greeting = server.new_audio(&acme, "greeting").await;
    let prompt = server.new_audio(&acme, "prompt").await;
    let spare = server.new_audio(&acme, "spare").await;
    let doc =
        receive_settings(&[&acme.admin_id], json!({"action": "voicemail", "audio_id": greeting}));
    server.put(&format!("/v1/numbers/{number}/settings"), &acme.admin_token, &doc).await.ok(200);
    server
        .post("/v1/ivrs", &acme.admin_token, &json!({"name": "M", "prompt_audio_id": prompt}))
        .await
        .ok(201);

    let in_settings =
        server.delete(&format!("/v1/audio/{greeting}"), &acme.admin_token).await.error(409);
    assert!(in_settings["message"].as_str().unwrap().contains("+34910000001"), "{in_settings}");
    server.delete(&format!("/v1/audio/{prompt}"), &acme.admin_token).await.error(409);
    server.delete(&format!("/v1/audio/{spare}"), &bea_token).await.error(403);
    server.delete(&format!("/v1/audio/{spare}"), &acme.admin_token).await.ok(204);
    server.get(&format!("/v1/audio/{spare}"), &acme.admin_token).await.error(404);
    // Agents neither upload nor listen to the library.
    let upload = server
        .send(
            Method::POST,
            "/v1/audio?name=x",
            Some(&bea_token),
            Some(("audio/wav", tone_wav(8000, 1, 440.0, 0.2))),
        )
        .await;
    upload.error(403);
    server.get(&format!("/v1/audio/{greeting}"), &bea_token).await.error(403);
}

#[tokio::test]
async fn ivrs_fill_in_defaults_and_keep_every_option_kind() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (bea, _) = server.new_user(&acme, "Bea", "agent").await;
    let prompt = server.new_audio(&acme, "prompt").await;
    let sub = server
        .post("/v1/ivrs", &acme.admin_token, &json!({"name": "Sales", "prompt_audio_id": prompt}))
        .await
        .ok(201);
    assert_eq!(sub["timeout_s"], 5);
    assert_eq!(sub["repeats"], 3);
    assert_eq!(sub["options"], json!({}));
    assert_eq!(sub["on_no_input"], json!({"action": "agents"}));
    assert_eq!(sub["on_invalid"], json!({"action": "agents"}));
    let sub_id = sub["id"].as_str().unwrap();
    let document = json!({
        "name": "Main menu", "prompt_audio_id": prompt, "timeout_s": 7, "repeats": 2,
        "options": {
            "1": {"action": "agents"},
            "2": {"action": "voicemail", "audio_id": prompt},
            "3": {"action": "forward", "to": "+34600000000"},
            "4": {"action": "message", "audio_id": prompt},
            "5": {"action": "menu", "ivr_id": sub_id},
            "8": {"action": "agents", "user_ids": [bea]},
            "9": {"action": "repeat"},
            "0": {"action": "hangup"},
            "*": {"action": "voicemail", "audio_id": null},
            "#": {"action": "hangup"}
        },
        "on_no_input": {"action": "voicemail", "audio_id": prompt},
        "on_invalid": {"action": "hangup"}
    });
    let created = server.post("/v1/ivrs", &acme.admin_token, &document).await.ok(201);
    let id = created["id"].as_str().unwrap();
    let fetched = server.get(&format!("/v1/ivrs/{id}"), &acme.admin_token).await.ok(200);
    for key in
        ["name", "prompt_audio_id", "timeout_s", "repeats", "options", "on_no_input", "on_invalid"]
    {
        assert_eq!(fetched[key], document[key], "{key}");
    }
    let mut changed = document.clone();
    changed["name"] = json!("Renamed");
    changed["options"].as_object_mut().unwrap().remove("9");
    let put = server.put(&format!("/v1/ivrs/{id}"), &acme.admin_token, &changed).await.ok(200);
    assert_eq!(put["name"], "Renamed");
    assert!(put["options"].get("9").is_none());
    assert_eq!(
        server.get("/v1/ivrs", &acme.admin_token).await.ok(200).as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn ivr_cycles_foreign_ids_and_bad_keys_are_refused() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    let prompt = server.new_audio(&acme, "prompt").await;
    let foreign = server.new_audio(&other, "theirs").await;
    let (foreign_user, _) = server.new_user(&other, "Zed", "agent").await;
    let a = server
        .post("/v1/ivrs", &acme.admin_token, &json!({"name": "A", "prompt_audio_id": prompt}))
        .await
        .ok(201);
    let a_id = a["id"].as_str().unwrap().to_owned();
    let b = server
        .post(
            "/v1/ivrs",
            &acme.admin_token,
            &json!({"name": "B", "prompt_audio_id": prompt,
            "options": {"1": {"action": "menu", "ivr_id": a_id}}}),
        )
        .await
        .ok(201);
    let b_id = b["id"].as_str().unwrap().to_owned();
    // A -> B -> A is a cycle; so is A -> A.
    let cycle = json!({"name": "A", "prompt_audio_id": prompt, "options": {"7": {"action": "menu", "ivr_id": b_id}}});
    server
        .put(&format!("/v1/ivrs/{a_id}"), &acme.admin_token, &cycle)
        .await
        .invalid("options.7.ivr_id");
    let own = json!({"name": "A", "prompt_audio_id": prompt, "on_invalid": {"action": "menu", "ivr_id": a_id}});
    server
        .put(&format!("/v1/ivrs/{a_id}"), &acme.admin_token, &own)
        .await
        .invalid("on_invalid.ivr_id");
    let unchanged = server.get(&format!("/v1/ivrs/{a_id}"), &acme.admin_token).await.ok(200);
    assert_eq!(unchanged["options"], json!({}));

    let base = json!({"name": "C", "prompt_audio_id": prompt});
    let with = |key: &str, value: serde_json::Value| {
        let mut doc = base.clone();
        doc[key] = value;
        doc
    };
    let cases = vec![
        (with("prompt_audio_id", json!(foreign)), "prompt_audio_id"),
        (
            with("options", json!({"1": {"action": "message", "audio_id": foreign}})),
            "options.1.audio_id",
        ),
        (
            with("options", json!({"1": {"action": "agents", "user_ids": [foreign_user]}})),
            "options.1.user_ids[0]",
        ),
        (with("options", json!({"a": {"action": "hangup"}})), "options.a"),
        (with("options", json!({"12": {"action": "hangup"}})), "options.12"),
        (with("options", json!({"1": {"action": "forward", "to": "0034600"}})), "options.1.to"),
        (
            with(
                "options",
                json!({"1": {"action": "menu", "ivr_id": "0190f3a0-0000-7000-8000-000000000000"}}),
            ),
            "options.1.ivr_id",
        ),
        (with("on_no_input", json!({"action": "repeat"})), "on_no_input.action"),
        (with("timeout_s", json!(0)), "timeout_s"),
        (with("timeout_s", json!("5")), "timeout_s"),
        (with("repeats", json!(99)), "repeats"),
        (with("greeting", json!("hi")), "greeting"),
    ];
    for (document, field) in cases {
        server.post("/v1/ivrs", &acme.admin_token, &document).await.invalid(field);
    }
    assert_eq!(
        server.get("/v1/ivrs", &acme.admin_token).await.ok(200).as_array().unwrap().len(),
        2
    );
}

#[tokio::test]
async fn ivrs_in_use_cannot_be_deleted() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let prompt = server.new_audio(&acme, "prompt").await;
    let number = server.new_number(&acme, "+34910000001").await;
    let sub = server
        .post("/v1/ivrs", &acme.admin_token, &json!({"name": "Sub", "prompt_audio_id": prompt}))
        .await
        .ok(201)["id"]
        .clone();
    let main = server
        .post(
            "/v1/ivrs",
            &acme.admin_token,
            &json!({"name": "Main", "prompt_audio_id": prompt,
            "options": {"1": {"action": "menu", "ivr_id": sub}}}),
        )
        .await
        .ok(201)["id"]
        .clone();
    let mut doc = receive_settings(&[&acme.admin_id], json!({"action": "busy"}));
    doc["ivr_id"] = main.clone();
    server.put(&format!("/v1/numbers/{number}/settings"), &acme.admin_token, &doc).await.ok(200);

    server
        .delete(&format!("/v1/ivrs/{}", main.as_str().unwrap()), &acme.admin_token)
        .await
        .error(409);
    server
        .delete(&format!("/v1/ivrs/{}", sub.as_str().unwrap()), &acme.admin_token)
        .await
        .error(409);
    doc["ivr_id"] = json!(null);
    server.put(&format!("/v1/numbers/{number}/settings"), &acme.admin_token, &doc).await.ok(200);
    server.delete(&format!("/v1/ivrs/{}", main.as_str().unwrap()), &acme.admin_token).await.ok(204);
    server.delete(&format!("/v1/ivrs/{}", sub.as_str().unwrap()), &acme.admin_token).await.ok(204);
}

#[tokio::test]
async fn a_user_named_by_an_ivr_option_cannot_be_deleted() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (bea, _) = server.new_user(&acme, "Bea", "agent").await;
    let prompt = server.new_audio(&acme, "prompt").await;
    let ivr = server
        .post(
            "/v1/ivrs",
            &acme.admin_token,
            &json!({"name": "M", "prompt_audio_id": prompt,
            "options": {"1": {"action": "agents", "user_ids": [bea]}}}),
        )
        .await
        .ok(201);
    let refused = server.delete(&format!("/v1/users/{bea}"), &acme.admin_token).await.error(409);
    assert!(refused["message"].as_str().unwrap().contains("IVR"), "{refused}");
    server
        .delete(&format!("/v1/ivrs/{}", ivr["id"].as_str().unwrap()), &acme.admin_token)
        .await
        .ok(204);
    server.delete(&format!("/v1/users/{bea}"), &acme.admin_token).await.ok(204);
}
