//! AppSync Events HTTP publish (`POST /event`) and the checks every publish passes, over HTTP
//! or the WebSocket: a concrete channel in a defined namespace, 1–5 events, each a JSON document
//! of at most 240 KB.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use lexstream_protocol::appsync::{
    AppSyncError, ChannelPath, PublishRequest, PublishResponse, PublishedEvent,
};
use lexstream_protocol::limits::{APPSYNC_MAX_EVENT_BYTES, APPSYNC_MAX_EVENTS_PER_PUBLISH};

use super::AppSyncApi;
use super::authorize::{auth_from_headers, authorize, may_publish};
use crate::identities::new_connection_id;

/// Publishes `events` to `channel` if they pass AppSync's checks.
pub(crate) fn publish_events(
    api: &AppSyncApi,
    channel: &str,
    events: &[String],
) -> Result<PublishResponse, Vec<AppSyncError>> {
    let invalid = |message: String| vec![AppSyncError::new("BadRequestException", message)];
    let path = ChannelPath::parse(channel).map_err(|error| invalid(error.to_string()))?;
    if path.namespace() != api.namespace {
        return Err(vec![AppSyncError::new(
            "ResourceNotFound",
            format!("namespace {} is not defined (this API has {})", path.namespace(), api.namespace),
        )]);
    }
    if events.is_empty() || events.len() > APPSYNC_MAX_EVENTS_PER_PUBLISH {
        return Err(invalid(format!(
            "a publish carries 1 to {APPSYNC_MAX_EVENTS_PER_PUBLISH} events, not {}",
            events.len()
        )));
    }
    for (index, event) in events.iter().enumerate() {
        if event.len() > APPSYNC_MAX_EVENT_BYTES {
            return Err(invalid(format!(
                "event {index} is {} bytes; the limit is {APPSYNC_MAX_EVENT_BYTES}",
                event.len()
            )));
        }
        if serde_json::from_str::<serde_json::Value>(event).is_err() {
            return Err(invalid(format!("event {index} is not a JSON document encoded as a string")));
        }
    }
    api.broker.publish(&path, events);
    let successful = (0..events.len())
        .map(|index| PublishedEvent {
            identifier: new_connection_id(),
            index: u32::try_from(index).unwrap_or(0),
        })
        .collect();
    Ok(PublishResponse { successful, failed: Vec::new() })
}

/// `POST /event`.
pub(crate) async fn http_publish(State(api): State<AppSyncApi>, headers: HeaderMap, body: Bytes) -> Response {
    let auth = auth_from_headers(&headers);
    if let Err(error) = authorize(&api, &auth, &body).and_then(|principal| may_publish(&principal)) {
        return refusal(StatusCode::UNAUTHORIZED, &[error]);
    }
    let latency = api.faults.current().post_latency_ms;
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    let request: PublishRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => {
            let errors = vec![AppSyncError::new(
                "BadRequestException",
                format!("the body is not {{channel, events}}: {error}"),
            )];
            return refusal(StatusCode::BAD_REQUEST, &errors);
        }
    };
    match publish_events(&api, &request.channel, &request.events) {
        Ok(response) => Json(response).into_response(),
        Err(errors) => refusal(StatusCode::BAD_REQUEST, &errors),
    }
}

fn refusal(status: StatusCode, errors: &[AppSyncError]) -> Response {
    (status, Json(serde_json::json!({ "errors": errors }))).into_response()
}
