//! The OpenAPI document covers the fixed interface, and unknown routes, wrong methods and
//! panics all answer in the JSON error shape.

mod common;

use common::Server;
use reqwest::Method;

#[tokio::test]
async fn openapi_lists_every_path_of_the_interface() {
    let server = Server::start().await;
    let answer = server.send(Method::GET, "/v1/openapi.json", None, None).await;
    let doc = answer.ok(200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let expected = [
        ("/v1/accounts", &["post"][..]),
        ("/v1/users", &["post"]),
        ("/v1/users/{id}/tokens", &["post"]),
        ("/v1/users/{id}/presence", &["put"]),
        ("/v1/users/{id}", &["get"]),
        ("/v1/numbers", &["post", "get"]),
        ("/v1/numbers/{id}", &["get"]),
        ("/v1/numbers/{id}/settings", &["get", "put"]),
        ("/v1/audio", &["post"]),
        ("/v1/audio/{id}", &["get"]),
        ("/v1/ivrs", &["post", "get"]),
        ("/v1/ivrs/{id}", &["get", "put", "delete"]),
        ("/v1/calls", &["get"]),
        ("/v1/calls/{id}", &["get"]),
        ("/v1/recordings/{id}", &["get"]),
        ("/v1/voicemails", &["get"]),
        ("/v1/voicemails/{id}/audio", &["get"]),
        ("/v1/calls/{id}/voicedrop", &["post"]),
        ("/v1/events/stream", &["get"]),
    ];
    for (path, methods) in expected {
        let item =
            paths.get(path).unwrap_or_else(|| panic!("{path} missing from the OpenAPI document"));
        for method in methods {
            assert!(item.get(*method).is_some(), "{method} {path} missing");
        }
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for schema in [
        "NumberSettings",
        "Incoming",
        "OfflineAction",
        "IvrDocument",
        "IvrAction",
        "CallRecord",
        "CallEvent",
    ] {
        assert!(schemas.contains_key(schema), "schema {schema} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let server = Server::start().await;
    let account = server.new_account("Acme").await;
    let missing = server.get("/v1/nothing-here", &account.admin_token).await;
    assert_eq!(missing.error(404)["code"], "not_found");
    let wrong = server.send(Method::DELETE, "/v1/accounts", Some(&server.operator), None).await;
    assert_eq!(wrong.error(405)["code"], "method_not_allowed");
}
