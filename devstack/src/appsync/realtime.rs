//! The AppSync Events realtime WebSocket at `/event/realtime`: the `aws-appsync-event-ws`
//! subprotocol with auth in a `header-…` subprotocol (or real headers), `connection_init` →
//! `connection_ack`, `ka` keep-alives, `subscribe`/`unsubscribe`/`publish` with their success
//! and error answers, and `data` for each event on a subscribed channel. Errors are answered as
//! messages; only a refused connection is closed (after `connection_error`, code 1000).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use lexstream_protocol::appsync::{
    AUTH_SUBPROTOCOL_PREFIX, AppSyncError, CONNECTION_TIMEOUT_MS, EVENTS_SUBPROTOCOL, EventsMessage,
    SubscriptionPattern, headers_from_subprotocol, signed_body, validate_operation_id,
};
use tokio::sync::mpsc;

use super::AppSyncApi;
use super::authorize::{auth_from_headers, authorize, may_publish, may_subscribe};
use super::publish::publish_events;

/// Subscriptions one connection may hold (AppSync's quota).
const MAX_SUBSCRIPTIONS: usize = 200;

static NEXT_CONNECTION: AtomicU64 = AtomicU64::new(1);

/// `GET /event/realtime` with a WebSocket upgrade.
pub(crate) async fn upgrade(
    State(api): State<AppSyncApi>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let offered: Vec<String> = headers
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(',').map(|p| p.trim().to_owned()))
        .collect();
    if !offered.iter().any(|p| p == EVENTS_SUBPROTOCOL) {
        return (StatusCode::BAD_REQUEST, format!("the {EVENTS_SUBPROTOCOL} subprotocol is required"))
            .into_response();
    }
    // Browsers send auth in the `header-` subprotocol; native clients as real headers.
    let connect_auth = match offered.iter().find(|p| p.starts_with(AUTH_SUBPROTOCOL_PREFIX)) {
        Some(token) => headers_from_subprotocol(token),
        None => Ok(auth_from_headers(&headers)),
    };
    upgrade.protocols([EVENTS_SUBPROTOCOL]).on_upgrade(move |socket| serve(api, socket, connect_auth))
}

async fn send(socket: &mut WebSocket, message: &EventsMessage) -> bool {
    socket.send(Message::Text(message.to_json().into())).await.is_ok()
}

async fn serve(
    api: AppSyncApi,
    mut socket: WebSocket,
    connect_auth: Result<BTreeMap<String, String>, String>,
) {
    let authorized = connect_auth
        .map_err(|reason| AppSyncError::new("BadRequestException", reason))
        .and_then(|headers| authorize(&api, &headers, signed_body(None).as_bytes()));
    if let Err(error) = authorized {
        tracing::info!(?error, "AppSync connection refused");
        let _ = send(&mut socket, &EventsMessage::ConnectionError { errors: vec![error] }).await;
        let _ = socket.send(Message::Close(Some(CloseFrame { code: 1000, reason: "".into() }))).await;
        return;
    }
    let connection = NEXT_CONNECTION.fetch_add(1, Ordering::Relaxed);
    let (outbox, mut deliveries) = mpsc::unbounded_channel::<String>();
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + api.keepalive, api.keepalive);
    let dropped = api.broker.dropper(connection);
    loop {
        tokio::select! {
            () = dropped.notified() => {
                let _ = socket.send(Message::Close(Some(CloseFrame { code: 1001, reason: "dropped".into() }))).await;
                break;
            }
            Some(data) = deliveries.recv() => {
                if socket.send(Message::Text(data.into())).await.is_err() { break; }
            }
            _ = keepalive.tick() => {
                if !send(&mut socket, &EventsMessage::Ka).await { break; }
            }
            received = socket.recv() => match received {
                Some(Ok(Message::Text(text))) => {
                    let answer = answer(&api, connection, &outbox, text.as_str());
                    if !send(&mut socket, &answer).await { break; }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    api.broker.disconnect(connection);
}

fn bad_request(message: impl Into<String>) -> Vec<AppSyncError> {
    vec![AppSyncError::new("BadRequestException", message)]
}

/// The answer to one client message.
fn answer(
    api: &AppSyncApi,
    connection: u64,
    outbox: &mpsc::UnboundedSender<String>,
    text: &str,
) -> EventsMessage {
    let message = match serde_json::from_str::<EventsMessage>(text) {
        Ok(message) => message,
        Err(error) => {
            let id = serde_json::from_str::<serde_json::Value>(text)
                .ok()
                .and_then(|value| value.get("id").and_then(|id| id.as_str()).map(str::to_owned));
            return EventsMessage::Error { id, errors: bad_request(format!("unreadable message: {error}")) };
        }
    };
    match message {
        EventsMessage::ConnectionInit => {
            EventsMessage::ConnectionAck { connection_timeout_ms: CONNECTION_TIMEOUT_MS }
        }
        EventsMessage::Subscribe { id, channel, authorization } => {
            match subscribe(api, connection, outbox, &id, &channel, &authorization) {
                Ok(()) => EventsMessage::SubscribeSuccess { id },
                Err(errors) => EventsMessage::SubscribeError { id, errors },
            }
        }
        EventsMessage::Unsubscribe { id } => {
            if api.broker.unsubscribe(connection, &id) {
                EventsMessage::UnsubscribeSuccess { id }
            } else {
                let errors =
                    vec![AppSyncError::new("UnknownOperationError", format!("Unknown operation id {id}"))];
                EventsMessage::UnsubscribeError { id, errors }
            }
        }
        EventsMessage::Publish { id, channel, events, authorization } => {
            let signed = serde_json::json!({ "channel": channel, "events": events }).to_string();
            let result = validate_operation_id(&id)
                .map_err(|error| bad_request(error.to_string()))
                .and_then(|()| {
                    authorize(api, &authorization, signed.as_bytes())
                        .and_then(|principal| may_publish(&principal))
                        .map_err(|error| vec![error])
                })
                .and_then(|_| publish_events(api, &channel, &events));
            match result {
                Ok(response) => EventsMessage::PublishSuccess {
                    id,
                    successful: response.successful,
                    failed: response.failed,
                },
                Err(errors) => EventsMessage::PublishError { id, errors },
            }
        }
        other => EventsMessage::Error {
            id: None,
            errors: vec![AppSyncError::new(
                "UnsupportedOperation",
                format!("a client can't send {}", kind_of(&other)),
            )],
        },
    }
}

fn kind_of(message: &EventsMessage) -> String {
    serde_json::to_value(message)
        .ok()
        .and_then(|value| value.get("type").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

fn subscribe(
    api: &AppSyncApi,
    connection: u64,
    outbox: &mpsc::UnboundedSender<String>,
    id: &str,
    channel: &str,
    authorization: &BTreeMap<String, String>,
) -> Result<(), Vec<AppSyncError>> {
    validate_operation_id(id).map_err(|error| bad_request(error.to_string()))?;
    let pattern = SubscriptionPattern::parse(channel).map_err(|error| bad_request(error.to_string()))?;
    let principal =
        authorize(api, authorization, signed_body(Some(channel)).as_bytes()).map_err(|error| vec![error])?;
    may_subscribe(api, &principal, channel).map_err(|error| vec![error])?;
    if api.broker.count(connection) >= MAX_SUBSCRIPTIONS {
        return Err(vec![AppSyncError::new(
            "MaxSubscriptionsReachedError",
            format!("a connection can hold at most {MAX_SUBSCRIPTIONS} subscriptions"),
        )]);
    }
    if !api.broker.subscribe(connection, id, pattern, outbox.clone()) {
        return Err(bad_request(format!("subscription id {id} is already in use on this connection")));
    }
    Ok(())
}
