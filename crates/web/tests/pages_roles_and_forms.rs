//! Pages: roles and isolation like the API, form refusals by their field, languages, the
//! event stream, assets.

mod common;

use common::{ADMIN_PASSWORD, Browser, Server, USER_PASSWORD, tone_wav};
use futures::StreamExt;
use serde_json::json;

#[tokio::test]
async fn agents_get_403_on_admin_pages_and_everyone_404_on_other_accounts() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    let (_, agent_email) = server.new_user(&acme, "Bea", "agent").await;
    let mine = server.new_number(&acme, "+34910000001", "Madrid").await;
    let theirs = server.new_number(&other, "+34910000002", "Lisboa").await;
    let audio = server.new_audio(&other, "theirs").await;

    let mut agent = server.signed_in(&agent_email, USER_PASSWORD).await;
    let home = agent.get("/").await;
    assert_eq!(home.location(), "/history");
    for path in
        ["/settings", &format!("/settings/{mine}"), "/users", "/audio", "/ivrs", "/ivrs/new"]
    {
        let page = agent.get(path).await;
        assert_eq!(page.status, 403, "{path}");
        assert!(page.text.contains("Not allowed"), "{path}");
    }
    assert!(!agent.get("/history").await.text.contains("href=\"/settings\""), "no admin tabs");
    assert_eq!(agent.get(&format!("/settings/{theirs}")).await.status, 404);

    let mut admin = server.signed_in(&acme.admin_email, ADMIN_PASSWORD).await;
    assert_eq!(admin.get(&format!("/settings/{mine}")).await.status, 200);
    for path in [
        format!("/settings/{theirs}"),
        format!("/audio/{audio}.wav"),
        "/settings/not-an-id".to_owned(),
        "/history/0190f3a0-0000-7000-8000-000000000000".to_owned(),
    ] {
        let page = admin.get(&path).await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.text.contains("Not found"));
    }
    // A POST to another account's number changes nothing there.
    let csrf = admin.get("/history").await.csrf();
    let answer = admin
        .post_multipart(
            &format!("/settings/{theirs}"),
            &[("_csrf", &csrf), ("incoming.mode", "reject")],
            &[],
        )
        .await;
    assert_eq!(answer.status, 404);
}

/// Form fields, the id of the error paragraph expected, and a part of its message.
type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);

#[tokio::test]
async fn refused_settings_show_the_error_by_the_field_and_keep_the_typed_values() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let number = server.new_number(&acme, "+34910000001", "Madrid").await;
    let before = server.api_get(&format!("/v1/numbers/{number}/settings"), &acme.admin_token).await;
    let mut admin = server.signed_in(&acme.admin_email, ADMIN_PASSWORD).await;
    let csrf = admin.get(&format!("/settings/{number}")).await.csrf();

    let cases: [Case<'_>; 4] = [
        (
            &[("incoming.mode", "forward"), ("incoming.forward_to", "600 000 000")],
            "err-incoming-forward_to",
            "must start with '+'",
        ),
        (
            &[
                ("incoming.mode", "receive"),
                ("incoming.distribution", "random"),
                ("incoming.when_offline.action", "message"),
            ],
            "err-incoming-when_offline-audio_id",
            "the message to play is required",
        ),
        (
            &[
                ("incoming.mode", "receive"),
                ("incoming.distribution", "random"),
                ("incoming.when_offline.action", "busy"),
                ("incoming.ring_timeout_s", "2"),
            ],
            "err-incoming-ring_timeout_s",
            "must be between 5 and 300",
        ),
        (
            &[
                ("incoming.mode", "reject"),
                ("incoming.action.action", "busy"),
                ("assigned_user_ids", "0190f3a0-0000-7000-8000-000000000000"),
            ],
            "err-assigned_user_ids",
            "no user with id",
        ),
    ];
    for (fields, error_id, message) in cases {
        let mut all = vec![("_csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        let page = admin.post_multipart(&format!("/settings/{number}"), &all, &[]).await;
        assert_eq!(page.status, 422, "{error_id}");
        let error =
            page.by_id(error_id).unwrap_or_else(|| panic!("no {error_id} in {}", page.text));
        assert!(error.contains(message), "{error}");
        for (name, value) in fields {
            if *name != "assigned_user_ids"
                && !name.ends_with(".action")
                && *name != "incoming.mode"
                && *name != "incoming.distribution"
            {
                assert!(page.text.contains(&format!("value=\"{value}\"")), "{name} keeps {value}");
            }
        }
    }
    // A file that is not audio, as the welcome message.
    let page = admin
        .post_multipart(
            &format!("/settings/{number}"),
            &[("_csrf", &csrf), ("incoming.mode", "reject"), ("incoming.action.action", "busy")],
            &[("welcome_upload", "x.wav", "audio/wav", b"nothing".to_vec())],
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.by_id("err-welcome_upload").unwrap().contains("not usable audio"));
    let after = server.api_get(&format!("/v1/numbers/{number}/settings"), &acme.admin_token).await;
    assert_eq!(after, before, "no refused document changed anything");

    // And one that is accepted, with a new welcome message uploaded in the same form.
    let page = admin
        .post_multipart(
            &format!("/settings/{number}"),
            &[
                ("_csrf", &csrf),
                ("record_calls", "true"),
                ("incoming.mode", "receive"),
                ("incoming.distribution", "simultaneous"),
                ("incoming.when_offline.action", "transfer"),
                ("incoming.when_offline.to", "+34600000000"),
                ("incoming.when_offline.audio_id", ""),
                ("incoming.max_wait_s", "120"),
                ("assigned_user_ids", &acme.admin_id),
            ],
            &[("welcome_upload", "hello.wav", "audio/wav", tone_wav(8000, 1, 0.4))],
        )
        .await;
    assert_eq!(page.status, 303, "{}", page.text);
    let saved = server.api_get(&format!("/v1/numbers/{number}/settings"), &acme.admin_token).await;
    assert_eq!(saved["record_calls"], true);
    assert_eq!(
        saved["incoming"],
        json!({"mode": "receive", "distribution": "simultaneous", "max_wait_s": 120,
               "when_offline": {"action": "transfer", "to": "+34600000000"}})
    );
    let welcome = saved["welcome_audio_id"].as_str().unwrap();
    let info = server.api_get(&format!("/v1/audio/{welcome}/info"), &acme.admin_token).await;
    assert_eq!(info["name"], "hello");
    let shown = admin.get(&format!("/settings/{number}")).await;
    assert!(shown.text.contains("Saved"));
    assert!(shown.text.contains("Nobody can take the call: transfer"), "the dry run follows");
}

#[tokio::test]
async fn the_language_comes_from_the_browser_or_the_switch() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let mut browser = Browser::new(&server.base);
    browser.accept_language = Some("es-ES,es;q=0.9,en;q=0.5".into());
    let login = browser.get("/login").await;
    assert!(login.text.contains("<html lang=\"es\">"));
    assert!(login.text.contains("Iniciar sesión"));
    browser.accept_language = Some("en-GB,en;q=0.9".into());
    assert!(browser.get("/login").await.text.contains("<html lang=\"en\">"));
    // The switch works before sign-in, and wins over the browser afterwards.
    let csrf = browser.get("/login").await.csrf();
    let switched =
        browser.post("/lang", &[("_csrf", &csrf), ("lang", "es"), ("next", "/login")]).await;
    assert_eq!(switched.status, 303);
    assert!(switched.set_cookies().iter().any(|c| c.starts_with("centralita_lang=es")));
    let csrf = browser.get("/login").await.csrf();
    browser
        .post(
            "/login",
            &[
                ("_csrf", &csrf),
                ("email", &acme.admin_email),
                ("password", ADMIN_PASSWORD),
                ("next", "/settings"),
            ],
        )
        .await;
    let page = browser.get("/settings").await;
    assert!(page.text.contains("<h1>Ajustes</h1>"), "{}", page.text);
    assert!(page.text.contains("Buzón de voz"));
    assert_eq!(browser.post("/lang", &[("_csrf", "forged"), ("lang", "en")]).await.status, 403);
}

#[tokio::test]
async fn the_event_stream_of_the_session_carries_only_what_the_user_may_see() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let (bea, bea_email) = server.new_user(&acme, "Bea", "agent").await;
    let (carl, _) = server.new_user(&acme, "Carl", "agent").await;
    let browser = server.signed_in(&bea_email, USER_PASSWORD).await;
    let anonymous =
        reqwest::Client::new().get(format!("{}/events", server.base)).send().await.unwrap();
    assert!(anonymous.url().path().starts_with("/login"), "no session, no stream");
    let response = reqwest::Client::new()
        .get(format!("{}/events", server.base))
        .header("cookie", format!("centralita_session={}", browser.cookies["centralita_session"]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.bytes_stream();
    let first = body.next().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains(": connected"));
    let account = acme.id.parse().unwrap();
    for (user, marker) in [(&carl, "for carl"), (&bea, "for bea")] {
        server.events.publish(centralita_api::StreamEvent {
            account,
            name: "voicemail.created",
            data: json!({"marker": marker}),
            audience: centralita_api::Audience::Users(vec![user.parse().unwrap()]),
        });
    }
    let mut text = String::new();
    while !text.contains("\n\n") {
        text.push_str(&String::from_utf8_lossy(&body.next().await.unwrap().unwrap()));
    }
    assert!(
        text.starts_with("event: voicemail.created\ndata: {\"marker\":\"for bea\"}"),
        "{text:?}"
    );
}

#[tokio::test]
async fn assets_are_cached_by_content_hash() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let mut browser = server.signed_in(&acme.admin_email, ADMIN_PASSWORD).await;
    let page = browser.get("/history").await;
    let start = page.text.find("/assets/app.").unwrap();
    let url: String = page.text[start..].split('"').next().unwrap().to_owned();
    let client = reqwest::Client::new();
    let asset = client.get(format!("{}{url}", server.base)).send().await.unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = asset.headers()["etag"].clone();
    let again = client
        .get(format!("{}{url}", server.base))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    assert_eq!(
        client.get(format!("{}/assets/app.0000.css", server.base)).send().await.unwrap().status(),
        404
    );
    assert!(
        page.headers["content-security-policy"].to_str().unwrap().contains("script-src 'self'")
    );
}
