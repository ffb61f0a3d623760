//! `GET /v1/usage`: what calls cost, per number and per user, summed exactly.

mod common;

use centralita_domain::{CallStatus, Cost, Direction, Millis};
use centralita_store::NewCall;
use common::{Account, Server};

const DAY: i64 = 86_400_000;
const T0: i64 = 1_795_000_000_000;

async fn priced_call(
    server: &Server,
    account: &Account,
    number: &str,
    user: Option<&str>,
    started: i64,
    amount: &str,
) {
    let call = server
        .store
        .start_call(
            account.id.parse().unwrap(),
            &NewCall {
                id: None,
                number_id: Some(number.parse().unwrap()),
                user_id: user.map(|u| u.parse().unwrap()),
                direction: if user.is_some() { Direction::Outbound } else { Direction::Inbound },
                from: "+34910000001".into(),
                to: "+34600111222".into(),
                started_at: Millis(started),
            },
        )
        .await
        .unwrap();
    let cost = Cost { amount: amount.into(), currency: "EUR".into() };
    server
        .store
        .end_call(call, Millis(started + 60_000), CallStatus::Forwarded, Some(&cost))
        .await
        .unwrap();
}

fn date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).unwrap().to_string()
}

#[tokio::test]
async fn usage_sums_exactly_per_number_and_per_user_over_the_period() {
    let server = Server::start().await;
    let acme = server.new_account("Acme").await;
    let other = server.new_account("Other").await;
    let (ana, ana_token) = server.new_user(&acme, "Ana", "agent").await;
    let madrid = server.new_number(&acme, "+34910000001").await;
    let sevilla = server.new_number(&acme, "+34954000001").await;
    let theirs = server.new_number(&other, "+34930000001").await;
    priced_call(&server, &acme, &madrid, None, T0, "0.1000").await;
    priced_call(&server, &acme, &madrid, Some(&ana), T0 + 1000, "0.2000").await;
    priced_call(&server, &acme, &sevilla, Some(&ana), T0 + 2000, "0.0001").await;
    // Outside the period, and another account's.
    priced_call(&server, &acme, &madrid, None, T0 + 2 * DAY, "9.9999").await;
    priced_call(&server, &other, &theirs, None, T0, "5.0000").await;

    let path = format!("/v1/usage?since={}&until={}", date(T0), date(T0 + DAY));
    let usage = server.get(&path, &acme.admin_token).await.ok(200);
    assert_eq!(
        usage["total"],
        serde_json::json!([{"calls": 3, "amount": "0.3001", "currency": "EUR"}])
    );
    let numbers = usage["numbers"].as_array().unwrap();
    assert_eq!(numbers.len(), 2);
    let line = |id: &str| numbers.iter().find(|l| l["number_id"] == id).unwrap().clone();
    assert_eq!(
        (line(&madrid)["calls"].as_u64(), line(&madrid)["amount"].as_str()),
        (Some(2), Some("0.3000"))
    );
    assert_eq!(line(&sevilla)["amount"], "0.0001");
    assert_eq!(
        usage["users"],
        serde_json::json!([{"user_id": ana, "calls": 2, "amount": "0.2001", "currency": "EUR"}])
    );
    // No period: everything of the account.
    let all = server.get("/v1/usage", &acme.admin_token).await.ok(200);
    assert_eq!(all["total"][0]["amount"], "10.3000");

    server.get("/v1/usage", &ana_token).await.error(403);
    server.get("/v1/usage?since=yesterday", &acme.admin_token).await.invalid("since");
    let backwards = format!("/v1/usage?since={}&until={}", date(T0 + DAY), date(T0));
    server.get(&backwards, &acme.admin_token).await.invalid("until");
    server.get("/v1/usage?number=1", &acme.admin_token).await.error(422);
}
