//! Accounts, users, tokens and presence over HTTP, including every refusal.

mod common;

use common::Server;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn operator_creates_an_account_whose_admin_token_works() {
    let server = Server::start().await;
    let body = json!({"name": "Acme", "admin": {"name": "Ana", "email": "Ana@Acme.example", "password": "s3cret pass"}});
    let created = server.post("/v1/accounts", &server.operator, &body).await.ok(201);
    let token = created["token"].as_str().unwrap();
    assert!(token.starts_with("cnt_"));
    assert_eq!(created["admin"]["email"], "ana@acme.example");
    assert_eq!(created["admin"]["role"], "admin");
    // SIP credentials were generated, and the password is shown this once.
    assert!(created["admin"]["sip_username"].as_str().unwrap().starts_with("ana-"));
    assert!(created["admin"]["sip_password"].as_str().unwrap().len() >= 20);

    let me = server
        .get(&format!("/v1/users/{}", created["admin_user_id"].as_str().unwrap()), token)
        .await
        .ok(200);
    assert_eq!(me["name"], "Ana");
    assert_eq!(me["online"], false);
    assert_eq!(me["available"], false);
    assert_eq!(me["devices"], json!([]));
    assert!(me.get("sip_password").is_none());
    assert!(me.get("password").is_none());

    let account = server.get("/v1/account", token).await.ok(200);
    assert_eq!(account["id"], created["id"]);
    let listed = server.get("/v1/accounts", &server.operator).await.ok(200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let one = server
        .get(&format!("/v1/accounts/{}", created["id"].as_str().unwrap()), &server.operator)
        .await
        .ok(200);
    assert_eq!(one["name"], "Acme");
}

#[tokio::test]
async fn only_the_operator_manages_accounts() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let body = json!({"name": "Evil", "admin": {"name": "E", "email": "e@e.example", "password": "password1"}});
    server.post("/v1/accounts", &account.admin_token, &body).await.error(403);
    server.get("/v1/accounts", &account.admin_token).await.error(403);
    let no_token = server.send(Method::POST, "/v1/accounts", None, None).await;
    no_token.error(401);
    assert_eq!(no_token.headers["www-authenticate"], "Bearer");
    server.post("/v1/accounts", "cnt_not-a-real-token", &body).await.error(401);
    let basic = server
        .client
        .get(format!("{}/v1/accounts", server.base))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    // The operator token is not a user of any account.
    server.get("/v1/numbers", &server.operator).await.error(403);
    server.get(&format!("/v1/accounts/{}", uuid_like()), &server.operator).await.error(404);
    server.get("/v1/accounts/not-an-id", &server.operator).await.error(404);
}

fn uuid_like() -> &'static str {
    "0190f3a0-0000-7000-8000-000000000000"
}

#[tokio::test]
async fn account_creation_refuses_bad_documents_and_creates_nothing() {
    let server = Server::start().await;
    let op = server.operator.clone();
    server.raw(Method::POST, "/v1/accounts", &op, "{\"name\": \"Acme\", ").await.error(400);
    server.raw(Method::POST, "/v1/accounts", &op, "").await.error(400);
    server.post("/v1/accounts", &op, &json!({"name": "Acme"})).await.invalid("admin");
    let cases = [
        (
            json!({"name": "", "admin": {"name": "A", "email": "a@a.example", "password": "password1"}}),
            "name",
        ),
        (
            json!({"name": 7, "admin": {"name": "A", "email": "a@a.example", "password": "password1"}}),
            "name",
        ),
        (
            json!({"name": "A", "admin": {"name": "A", "email": "not-an-email", "password": "password1"}}),
            "admin.email",
        ),
        (
            json!({"name": "A", "admin": {"name": "A", "email": "a@a.example", "password": "short"}}),
            "admin.password",
        ),
        (
            json!({"name": "A", "admin": {"name": "A", "email": "a@a.example", "password": "password1", "sip_username": "has space"}}),
            "admin.sip_username",
        ),
        (
            json!({"name": "A", "admin": {"name": "A", "email": "a@a.example", "password": "password1", "role": "agent"}}),
            "admin.role",
        ),
        (
            json!({"name": "A", "plan": "gold", "admin": {"name": "A", "email": "a@a.example", "password": "password1"}}),
            "plan",
        ),
    ];
    for (body, field) in cases {
        let error = server.post("/v1/accounts", &op, &body).await.error(422);
        assert_eq!(error["field"], field, "{body}: {error}");
    }
    let text = server
        .send(Method::POST, "/v1/accounts", Some(&op), Some(("text/plain", b"{}".to_vec())))
        .await;
    text.error(415);
    assert_eq!(server.get("/v1/accounts", &op).await.ok(200), json!([]));
}

#[tokio::test]
async fn admins_create_users_with_hashed_credentials() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let body = json!({"name": "Bea", "email": "bea@acme.example", "role": "agent", "password": "bea password",
                      "sip_username": "bea", "sip_password": "bea sip pass"});
    let user = server.post("/v1/users", &account.admin_token, &body).await.ok(201);
    assert_eq!(user["sip_username"], "bea");
    assert!(user.get("sip_password").is_none(), "a chosen SIP password is never echoed");
    let id = user["id"].as_str().unwrap();

    // Stored as argon2id and as digest HA1s; never in clear.
    let secrets =
        server.store.user_secrets(account.id.parse().unwrap(), id.parse().unwrap()).await.unwrap();
    assert!(secrets.password_hash.starts_with("$argon2id$"));
    let (md5, sha) = centralita_api::sip_ha1("bea", "centralita", "bea sip pass");
    assert_eq!(secrets.sip_ha1_md5, md5);
    assert_eq!(secrets.sip_ha1_sha256, sha);

    // Email unique in the account, SIP username unique on the platform.
    let again = server.post("/v1/users", &account.admin_token, &body).await;
    assert_eq!(again.error(409)["field"], "email");
    let other = server.new_account("Other").await;
    let clash = json!({"name": "B2", "email": "b2@other.example", "role": "agent", "password": "password1", "sip_username": "bea", "sip_password": "password2"});
    assert_eq!(
        server.post("/v1/users", &other.admin_token, &clash).await.error(409)["field"],
        "sip_username"
    );

    let listed = server.get("/v1/users", &account.admin_token).await.ok(200);
    assert_eq!(listed.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn user_documents_are_checked_field_by_field() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let t = &account.admin_token;
    let good = json!({"name": "Bea", "email": "bea@acme.example", "role": "agent", "password": "bea password"});
    let mut cases = Vec::new();
    for (field, value) in [
        ("role", json!("boss")),
        ("email", json!("bea")),
        ("password", json!("x")),
        ("name", json!("")),
        ("name", json!(null)),
        ("sip_password", json!("short")),
        ("sip_username", json!("b@d")),
        ("color", json!("blue")),
        ("role", json!(1)),
    ] {
        let mut body = good.clone();
        body[field] = value;
        cases.push((body, field));
    }
    for (body, field) in cases {
        server.post("/v1/users", t, &body).await.invalid(field);
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("password");
    server.post("/v1/users", t, &missing).await.invalid("password");
    assert_eq!(server.get("/v1/users", t).await.ok(200).as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn agents_see_themselves_and_change_no_one_else() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let (bea, bea_token) = server.new_user(&account, "Bea", "agent").await;
    let (carl, _) = server.new_user(&account, "Carl", "agent").await;

    server.get(&format!("/v1/users/{bea}"), &bea_token).await.ok(200);
    server.get(&format!("/v1/users/{carl}"), &bea_token).await.error(403);
    server.get("/v1/users", &bea_token).await.error(403);
    let body =
        json!({"name": "X", "email": "x@acme.example", "role": "admin", "password": "password1"});
    server.post("/v1/users", &bea_token, &body).await.error(403);
    server
        .patch(&format!("/v1/users/{bea}"), &bea_token, &json!({"role": "admin"}))
        .await
        .error(403);
    server
        .patch(&format!("/v1/users/{carl}"), &bea_token, &json!({"name": "Carlos"}))
        .await
        .error(403);
    server.delete(&format!("/v1/users/{carl}"), &bea_token).await.error(403);
    // ...but change their own name and passwords.
    let renamed = server
        .patch(&format!("/v1/users/{bea}"), &bea_token, &json!({"name": "Beatriz"}))
        .await
        .ok(200);
    assert_eq!(renamed["name"], "Beatriz");
    server
        .patch(&format!("/v1/users/{bea}"), &bea_token, &json!({"sip_username": "beatriz"}))
        .await
        .invalid("sip_password");
    let changed = server
        .patch(
            &format!("/v1/users/{bea}"),
            &bea_token,
            &json!({"sip_username": "beatriz", "sip_password": "new sip pass"}),
        )
        .await
        .ok(200);
    assert_eq!(changed["sip_username"], "beatriz");
    let secrets =
        server.store.user_secrets(account.id.parse().unwrap(), bea.parse().unwrap()).await.unwrap();
    assert_eq!(
        secrets.sip_ha1_md5,
        centralita_api::sip_ha1("beatriz", "centralita", "new sip pass").0
    );
}

#[tokio::test]
async fn the_last_admin_stays() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let admin = &account.admin_id;
    server
        .patch(&format!("/v1/users/{admin}"), &account.admin_token, &json!({"role": "agent"}))
        .await
        .error(409);
    server.delete(&format!("/v1/users/{admin}"), &account.admin_token).await.error(409);
    let (other, _) = server.new_user(&account, "Dora", "admin").await;
    server.delete(&format!("/v1/users/{other}"), &account.admin_token).await.ok(204);
    server.get(&format!("/v1/users/{other}"), &account.admin_token).await.error(404);
}

#[tokio::test]
async fn presence_switch_is_the_users_own_and_online_needs_a_device() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let (bea, bea_token) = server.new_user(&account, "Bea", "agent").await;
    let (carl, _) = server.new_user(&account, "Carl", "agent").await;
    let path = format!("/v1/users/{bea}/presence");
    let user = server.put(&path, &bea_token, &json!({"online": true})).await.ok(200);
    assert_eq!(user["switched_online"], true);
    // No registered device (there is no SIP layer in this server): not online, not available.
    assert_eq!(user["online"], false);
    assert_eq!(user["available"], false);
    server.put(&path, &bea_token, &json!({"online": "yes"})).await.invalid("online");
    server.put(&path, &bea_token, &json!({})).await.error(422);
    server
        .put(&format!("/v1/users/{carl}/presence"), &bea_token, &json!({"online": true}))
        .await
        .error(403);
    let by_admin = server.put(&path, &account.admin_token, &json!({"online": false})).await.ok(200);
    assert_eq!(by_admin["switched_online"], false);
}

#[tokio::test]
async fn tokens_are_shown_once_listed_without_secret_and_revocable() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let (bea, bea_token) = server.new_user(&account, "Bea", "agent").await;
    let path = format!("/v1/users/{bea}/tokens");
    let made = server.post(&path, &bea_token, &json!({"label": "CRM"})).await.ok(201);
    let second = made["token"].as_str().unwrap();
    server.get(&format!("/v1/users/{bea}"), second).await.ok(200);
    let listed = server.get(&path, &bea_token).await.ok(200);
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|t| t.get("token").is_none()));
    assert!(listed.iter().any(|t| t["label"] == "CRM"));
    server.post(&path, &bea_token, &json!({"label": 5})).await.invalid("label");
    server
        .post(&format!("/v1/users/{}/tokens", account.admin_id), &bea_token, &json!({}))
        .await
        .error(403);

    let id = made["id"].as_str().unwrap();
    server.delete(&format!("{path}/{id}"), &bea_token).await.ok(204);
    server.get(&format!("/v1/users/{bea}"), second).await.error(401);
    server.delete(&format!("{path}/{id}"), &bea_token).await.error(404);
}

#[tokio::test]
async fn users_sign_in_with_email_and_password_for_a_token() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let (bea, _) = server.new_user(&account, "Bea", "agent").await;
    let email = format!("bea@{}.example", &account.id[..8]);
    let signed = server
        .send(
            Method::POST,
            "/v1/tokens",
            None,
            Some((
                "application/json",
                serde_json::to_vec(
                    &json!({"email": email.to_uppercase(), "password": "user password"}),
                )
                .unwrap(),
            )),
        )
        .await
        .ok(201);
    let token = signed["token"].as_str().unwrap();
    assert_eq!(server.get(&format!("/v1/users/{bea}"), token).await.ok(200)["id"], bea.as_str());
    for body in [
        json!({"email": email, "password": "wrong password"}),
        json!({"email": "nobody@x.example", "password": "user password"}),
    ] {
        let refused = server
            .send(
                Method::POST,
                "/v1/tokens",
                None,
                Some(("application/json", serde_json::to_vec(&body).unwrap())),
            )
            .await;
        assert_eq!(refused.error(401)["message"], "wrong email or password");
    }
}
