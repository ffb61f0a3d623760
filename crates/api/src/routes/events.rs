//! `GET /v1/events/stream`: Server-Sent Events of what the user may see, as it happens.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use futures::StreamExt;
use tokio::sync::broadcast::error::RecvError;

use crate::{ApiError, AppState, Member};

/// Live events: `voicemail.created`, `call.offered`, `call.answered`, `call.ended`. Each SSE
/// event's `event:` is the name and `data:` its JSON. A `lagged` event means some were missed
/// (the client should re-read the history).
#[utoipa::path(get, path = "/v1/events/stream", tag = "events",
    responses((status = 200, content_type = "text/event-stream", body = String)))]
pub(crate) async fn stream(
    State(state): State<AppState>,
    member: Member,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let receiver = state.events().subscribe();
    let mut shutdown = state.shutdown();
    let ended = async move {
        // Ends the stream when the server starts shutting down, so draining connections is
        // not held up by clients that never hang up.
        let _ = shutdown.wait_for(|stopping| *stopping).await;
    };
    let events = futures::stream::unfold(receiver, move |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) if event.is_for(member.account, member.id, member.role) => {
                    let sse = Event::default().event(event.name).data(event.data.to_string());
                    return Some((Ok(sse), receiver));
                }
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    let sse =
                        Event::default().event("lagged").data(format!("{{\"missed\":{missed}}}"));
                    return Some((Ok(sse), receiver));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    let opening = futures::stream::once(async { Ok(Event::default().comment("connected")) });
    Ok(Sse::new(opening.chain(events).take_until(ended))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
