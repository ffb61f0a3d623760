//! A rough cost check for the speed goal (1,000 calls/s on one core for the whole path): not a
//! benchmark, and ignored by default; run it in release with
//! `cargo test -p centralita-routing --release --test load -- --ignored --nocapture`.

mod common;

use std::time::Instant;

use centralita_domain::{CallId, Distribution, Millis, OfflineAction};
use centralita_routing::{Agent, Command, Engine, EngineConfig, OfferOutcome, Party};
use common::*;

#[test]
#[ignore = "a measurement, run on demand in release"]
// Printing the rate is the whole point of this on-demand measurement.
#[allow(clippy::print_stderr)]
fn one_minute_of_a_thousand_calls_per_second() {
    const NUMBERS: u128 = 30;
    const PER_NUMBER: u128 = 100;
    const CALLS: u128 = 60_000;
    let mut engine = Engine::new(EngineConfig::default());
    let mut numbers = Vec::new();
    for n in 0..NUMBERS {
        let users: Vec<_> = (0..PER_NUMBER).map(|i| user_id(n * PER_NUMBER + i)).collect();
        let distribution = [Distribution::Random, Distribution::LongestIdle][n as usize % 2];
        numbers.push(snapshot(receive(distribution, &users, OfflineAction::Busy)));
    }
    for u in 0..NUMBERS * PER_NUMBER {
        let agent = Agent {
            user_id: user_id(u),
            online_switch: true,
            devices: vec![format!("sip:{u}@192.0.2.1")],
            last_answered_at: None,
            created_order: u as u64,
        };
        engine.handle_agent(Millis(T0), agent);
    }
    let started = Instant::now();
    let mut inputs = 0u64;
    let mut commands = 0u64;
    // Each call: offered at once, answered 1 s later, hung up 1 s after that (driven in order).
    let mut due: std::collections::BTreeMap<
        (i64, u128),
        (CallId, Option<centralita_domain::UserId>),
    > = Default::default();
    for c in 0..CALLS {
        let now = T0 + (c as i64); // one arrival per millisecond
        while let Some((&(at, k), _)) = due.first_key_value() {
            if at > now {
                break;
            }
            let (call, user) = due.remove(&(at, k)).unwrap();
            match user {
                Some(user) => engine.handle_offer(
                    Millis(at),
                    call,
                    user,
                    OfferOutcome::Answered { device: "sip:x".into() },
                ),
                None => engine.handle_hangup(Millis(at), call, Party::Callee),
            }
            inputs += 1;
        }
        let call = CallId::from_uuid(uuid::Uuid::from_u128(0xf000_0000 + c));
        engine.handle_call(
            Millis(now),
            call,
            numbers[(c % NUMBERS) as usize].clone(),
            "+34600000001".into(),
        );
        inputs += 1;
        while let Some(command) = engine.poll_command() {
            commands += 1;
            match command {
                Command::Offer { call, user, .. } => {
                    due.insert((now + 1000, c * 2), (call, Some(user)));
                }
                Command::Connect { call, .. } => {
                    due.insert((now + 1000, c * 2 + 1), (call, None));
                }
                _ => {}
            }
        }
        while engine.poll_event().is_some() {}
    }
    let elapsed = started.elapsed();
    let per_second = inputs as f64 / elapsed.as_secs_f64();
    eprintln!(
        "{CALLS} calls, {inputs} inputs, {commands} commands in {elapsed:?}: {per_second:.0} inputs/s"
    );
    assert!(engine.call_count() < CALLS as usize);
}
