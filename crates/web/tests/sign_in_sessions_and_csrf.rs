//! Sign-in, sign-out, session expiry and CSRF, over real HTTP, as a browser without JavaScript.

mod common;

use centralita_web::WebConfig;
use common::{ADMIN_PASSWORD, Browser, Server};

#[tokio::test]
async fn sign_in_sets_a_hardened_cookie_and_sign_out_ends_the_session() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let mut browser = Browser::new(&server.base);
    let first = browser.get("/settings").await;
    assert_eq!(first.status, 303);
    assert_eq!(first.location(), "/login?next=%2Fsettings");
    let login = browser.get("/login?next=%2Fsettings").await;
    assert_eq!(login.status, 200);
    let pre = login.set_cookies().join("\n");
    assert!(pre.contains("centralita_pre=") && pre.contains("HttpOnly"), "{pre}");
    let csrf = login.csrf();
    let answer = browser
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
    assert_eq!(answer.status, 303, "{}", answer.text);
    assert_eq!(answer.location(), "/settings");
    let cookie =
        answer.set_cookies().into_iter().find(|c| c.starts_with("centralita_session=")).unwrap();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    let secret = browser.cookies["centralita_session"].clone();
    assert_eq!(secret.len(), 43, "256 bits, base64url");
    // Only the hash is stored.
    let hash = centralita_web::session::session_hash(&secret);
    let session =
        server.store.web_session(&hash, server.clock.now(), i64::MAX, i64::MAX).await.unwrap();
    assert_eq!(session.unwrap().user.email.as_str(), acme.admin_email);

    let settings = browser.get("/settings").await;
    assert_eq!(settings.status, 200);
    assert!(settings.text.contains("<h1>Settings</h1>"));

    let csrf = settings.csrf();
    let out = browser.post("/logout", &[("_csrf", &csrf)]).await;
    assert_eq!(out.status, 303);
    assert_eq!(out.location(), "/login");
    assert!(!browser.cookies.contains_key("centralita_session"));
    assert!(
        server
            .store
            .web_session(&hash, server.clock.now(), i64::MAX, i64::MAX)
            .await
            .unwrap()
            .is_none()
    );
    // The old cookie, replayed, signs in nobody.
    browser.cookies.insert("centralita_session".into(), secret);
    assert_eq!(browser.get("/settings").await.status, 303);
}

#[tokio::test]
async fn wrong_passwords_and_unknown_emails_are_refused_alike() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    for (email, password) in
        [(acme.admin_email.as_str(), "wrong password"), ("nobody@example.com", ADMIN_PASSWORD)]
    {
        let mut browser = Browser::new(&server.base);
        let csrf = browser.get("/login").await.csrf();
        let answer = browser
            .post("/login", &[("_csrf", &csrf), ("email", email), ("password", password)])
            .await;
        assert_eq!(answer.status, 401);
        assert_eq!(Some("Wrong email or password.".to_owned()), answer_error(&answer.text));
        assert!(answer.text.contains(&format!("value=\"{email}\"")), "the email is kept");
        assert!(!browser.cookies.contains_key("centralita_session"));
    }
}

fn answer_error(html: &str) -> Option<String> {
    common::Page { status: 0, headers: Default::default(), text: html.to_owned() }
        .by_id("login-error")
}

#[tokio::test]
async fn an_email_of_several_accounts_chooses_one() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    // The same person, with the same password, in both accounts.
    for account in [&acme, &other] {
        let body = serde_json::json!({"name": "Eva", "email": "eva@example.com", "role": "agent", "password": "eva password"});
        server.api_post("/v1/users", &account.admin_token, &body).await;
    }
    let mut browser = Browser::new(&server.base);
    let csrf = browser.get("/login").await.csrf();
    let fields =
        [("_csrf", csrf.as_str()), ("email", "eva@example.com"), ("password", "eva password")];
    let choose = browser.post("/login", &fields).await;
    assert_eq!(choose.status, 200);
    assert!(choose.text.contains("choose one"), "{}", choose.text);
    assert!(choose.text.contains(&format!("value=\"{}\"", other.id)));
    assert!(choose.text.contains("Other") && choose.text.contains("Acme"));
    let mut chosen = fields.to_vec();
    chosen.push(("account_id", &other.id));
    let answer = browser.post("/login", &chosen).await;
    assert_eq!(answer.status, 303, "{}", answer.text);
    let page = browser.get("/history").await;
    assert_eq!(page.status, 200);
    let hash = centralita_web::session::session_hash(&browser.cookies["centralita_session"]);
    let session = server
        .store
        .web_session(&hash, server.clock.now(), i64::MAX, i64::MAX)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.user.account_id.to_string(), other.id);
}

#[tokio::test]
async fn sessions_end_when_idle_and_at_their_absolute_expiry() {
    let config =
        WebConfig { session_idle_ms: 60_000, session_absolute_ms: 300_000, ..WebConfig::default() };
    let server = Server::start_with(config).await;
    let acme = server.new_account("Acme").await;
    let mut browser = server.signed_in(&acme.admin_email, ADMIN_PASSWORD).await;
    // Used every 50 s, the session lives on past the idle timeout...
    for _ in 0..5 {
        server.clock.advance(50_000);
        assert_eq!(browser.get("/settings").await.status, 200);
    }
    // ...until its absolute expiry (300 s after sign-in).
    server.clock.advance(50_000);
    let expired = browser.get("/settings").await;
    assert_eq!(expired.status, 303);
    assert!(expired.location().starts_with("/login"));

    let mut idle = server.signed_in(&acme.admin_email, ADMIN_PASSWORD).await;
    assert_eq!(idle.get("/settings").await.status, 200);
    server.clock.advance(61_000);
    assert_eq!(idle.get("/settings").await.status, 303, "idle for longer than the idle timeout");
}

#[tokio::test]
async fn state_changing_requests_need_the_token_and_this_origin() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let mut browser = server.signed_in(&acme.admin_email, ADMIN_PASSWORD).await;
    let csrf = browser.get("/history").await.csrf();
    let user = || format!("/v1/users/{}", acme.admin_id);

    let missing = browser.post("/presence", &[("online", "true"), ("next", "/")]).await;
    assert_eq!(missing.status, 403);
    assert!(missing.text.contains("Form refused"));
    let wrong = browser.post("/presence", &[("_csrf", "forged"), ("online", "true")]).await;
    assert_eq!(wrong.status, 403);
    browser.origin = Some("http://evil.example".into());
    let foreign = browser.post("/presence", &[("_csrf", &csrf), ("online", "true")]).await;
    assert_eq!(foreign.status, 403, "the right token from another origin");
    assert_eq!(server.api_get(&user(), &acme.admin_token).await["switched_online"], false);

    // Another session's token is not this one's.
    let mut other = server.signed_in(&acme.admin_email, ADMIN_PASSWORD).await;
    let theirs = other.get("/history").await.csrf();
    assert_ne!(theirs, csrf);
    browser.origin = Some(server.base.clone());
    assert_eq!(
        browser.post("/presence", &[("_csrf", &theirs), ("online", "true")]).await.status,
        403
    );

    let ok = browser
        .post("/presence", &[("_csrf", &csrf), ("online", "true"), ("next", "/history")])
        .await;
    assert_eq!(ok.status, 303);
    assert_eq!(ok.location(), "/history");
    assert_eq!(server.api_get(&user(), &acme.admin_token).await["switched_online"], true);

    // Sign-in itself is protected against login CSRF: no pre-session cookie, no sign-in.
    let mut fresh = Browser::new(&server.base);
    let answer = fresh
        .post(
            "/login",
            &[("_csrf", &csrf), ("email", &acme.admin_email), ("password", ADMIN_PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, 403);
}
