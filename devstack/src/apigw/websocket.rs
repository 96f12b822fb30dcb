//! API Gateway WebSocket emulation: the upgrade at `/{stage}?sessionId=…` (SigV4-presigned),
//! `$connect` / `$disconnect` and routes chosen by `$request.body.action`, each calling the
//! `ws-connect` handler with the event API Gateway would send (its `resume` route posting back
//! through this devstack's own `@connections`); AWS's limits on messages, idle time and
//! connection age.

use std::net::SocketAddr;
use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::encodings::Body;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use lexstream_lambda_core::aws::ApiGatewayPusher;
use lexstream_lambda_core::config::ConnectConfig;
use lexstream_lambda_core::connect::{handle_websocket_event, routes};
use lexstream_protocol::sigv4::query_decode;
use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::connections::Connections;
use crate::auth::{self, AuthMode, Caller, Incoming};
use crate::aws_error::AwsError;
use crate::clock::{epoch_millis, epoch_seconds};
use crate::connection_table::ConnectionTable;
use crate::faults::SharedFaults;
use crate::identities::{Identities, new_connection_id};

/// How many bytes each read from a client's socket asks for. tungstenite zeroes this much of its
/// read buffer every time the connection is polled for a client message (after every frame
/// delivered): its default of 128 KiB made that the devstack's largest cost per frame. Clients
/// send small messages (`ping`, `stop`, `resume`); larger ones, up to the 128 KB limit, simply take
/// more reads.
const READ_BUFFER_BYTES: usize = 4 * 1024;

/// The WebSocket API's limits (AWS's by default; tests shrink them).
#[derive(Debug, Clone, Copy)]
pub struct WebSocketLimits {
    /// Largest client message (128 KB).
    pub max_message_bytes: usize,
    /// Largest client frame (32 KB).
    pub max_frame_bytes: usize,
    /// Idle connections close after this (10 minutes).
    pub idle_timeout: Duration,
    /// No connection lives longer than this (2 hours).
    pub max_connection_age: Duration,
}

impl Default for WebSocketLimits {
    fn default() -> Self {
        use lexstream_protocol::limits::*;
        Self {
            max_message_bytes: APIGW_MAX_MESSAGE_BYTES,
            max_frame_bytes: APIGW_MAX_FRAME_BYTES,
            idle_timeout: Duration::from_secs(APIGW_IDLE_TIMEOUT_SECS),
            max_connection_age: Duration::from_secs(APIGW_MAX_CONNECTION_SECS),
        }
    }
}

/// Everything a WebSocket connection needs.
#[derive(Clone)]
pub(crate) struct WebSocketApi {
    pub(crate) stage: String,
    pub(crate) auth: AuthMode,
    pub(crate) identities: Identities,
    pub(crate) connections: Connections,
    pub(crate) table: ConnectionTable,
    pub(crate) connect_config: ConnectConfig,
    /// How `ws-connect` posts back (`resume`): the management API of this devstack's stage, with
    /// its service credentials, like the Lambda's role in AWS.
    pub(crate) pusher: ApiGatewayPusher,
    pub(crate) faults: SharedFaults,
    pub(crate) limits: WebSocketLimits,
}

/// The facts about a connection that go into every event API Gateway sends for it.
#[derive(Debug, Clone)]
struct ConnectionFacts {
    connection_id: String,
    connected_at: i64,
    source_ip: String,
    user_agent: String,
    host: String,
    caller: Option<Caller>,
}

impl WebSocketApi {
    /// The `ApiGatewayWebsocketProxyRequest` API Gateway builds for `route_key`.
    fn event(
        &self,
        facts: &ConnectionFacts,
        route_key: &str,
        extra: Map<String, Value>,
        context_extra: Map<String, Value>,
    ) -> ApiGatewayWebsocketProxyRequest {
        let event_type = match route_key {
            "$connect" => "CONNECT",
            "$disconnect" => "DISCONNECT",
            _ => "MESSAGE",
        };
        let mut identity = json!({ "sourceIp": facts.source_ip, "userAgent": facts.user_agent });
        if let Some(caller) = &facts.caller {
            identity["accessKey"] = caller.access_key_id.clone().into();
            if let Some(identity_id) = &caller.identity_id {
                // A signed-in visitor's identity is an authenticated one (Logins at sign-in).
                let signed_in = self.identities.login_of(identity_id).is_some();
                identity["cognitoIdentityId"] = identity_id.clone().into();
                identity["cognitoAuthenticationType"] =
                    if signed_in { "authenticated" } else { "unauthenticated" }.into();
            }
        }
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut event = json!({
            "requestContext": {
                "routeKey": route_key,
                "eventType": event_type,
                "messageDirection": "IN",
                "stage": self.stage,
                "connectedAt": facts.connected_at,
                "requestTimeEpoch": epoch_millis(),
                "requestId": request_id,
                "extendedRequestId": request_id,
                "identity": identity,
                "domainName": facts.host,
                "connectionId": facts.connection_id,
                "apiId": "devstack",
            },
            "isBase64Encoded": false,
        });
        if let Value::Object(context) = &mut event["requestContext"] {
            context.extend(context_extra);
        }
        if let Value::Object(object) = &mut event {
            object.extend(extra);
        }
        // The event is built from valid JSON of the documented shape; a failure here is a bug.
        serde_json::from_value(event).expect("devstack builds well-formed WebSocket events")
    }

    async fn invoke(
        &self,
        facts: &ConnectionFacts,
        route_key: &str,
        extra: Map<String, Value>,
        context_extra: Map<String, Value>,
    ) -> (i64, String) {
        let event = self.event(facts, route_key, extra, context_extra);
        // The handler asks for `https://{domainName}/{stage}` as in AWS; here that is this
        // devstack's own stage, served over plain http.
        let pusher_for = |_endpoint: &str| self.pusher.clone();
        let response = handle_websocket_event(event, &self.table, &pusher_for, &self.connect_config).await;
        let body = match response.body {
            Some(Body::Text(text)) => text,
            Some(Body::Binary(bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            _ => String::new(),
        };
        (response.status_code, body)
    }
}

fn query_objects(query: &str) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let (name, value) = (query_decode(name), query_decode(value));
        single.insert(name.clone(), value.clone().into());
        match multi.entry(name).or_insert_with(|| Value::Array(Vec::new())) {
            Value::Array(values) => values.push(value.into()),
            other => *other = Value::Array(vec![value.into()]),
        }
    }
    (single, multi)
}

fn header_objects(headers: &HeaderMap) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (name, value) in headers {
        let Ok(value) = value.to_str() else { continue };
        single.insert(name.as_str().to_owned(), value.into());
        if let Value::Array(values) =
            multi.entry(name.as_str().to_owned()).or_insert_with(|| Value::Array(Vec::new()))
        {
            values.push(value.into());
        }
    }
    (single, multi)
}

/// `GET /{stage}` with a WebSocket upgrade.
pub(crate) async fn upgrade(
    State(api): State<WebSocketApi>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let query = uri.query().unwrap_or("");
    let now = epoch_seconds();
    let incoming = Incoming::new("GET", &uri, &headers, &[]);
    let caller = match auth::verify_presigned(api.auth, &api.identities, incoming, "execute-api", now) {
        Ok(caller) => caller,
        Err(refused) => {
            tracing::info!(reason = %refused.message, "WebSocket connection refused");
            return refused.into_response();
        }
    };
    let facts = ConnectionFacts {
        connection_id: new_connection_id(),
        connected_at: epoch_millis(),
        source_ip: peer.ip().to_string(),
        user_agent: headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned(),
        host: headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned(),
        caller,
    };
    let (query_single, query_multi) = query_objects(query);
    let (header_single, header_multi) = header_objects(&headers);
    let mut extra = Map::new();
    extra.insert("queryStringParameters".into(), Value::Object(query_single));
    extra.insert("multiValueQueryStringParameters".into(), Value::Object(query_multi));
    extra.insert("headers".into(), Value::Object(header_single));
    extra.insert("multiValueHeaders".into(), Value::Object(header_multi));
    let (status, body) = api.invoke(&facts, "$connect", extra, Map::new()).await;
    if status != 200 {
        let status = StatusCode::from_u16(u16::try_from(status).unwrap_or(500))
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        tracing::info!(%status, %body, "$connect refused the connection");
        return AwsError::new(status, "ConnectRefused", body).into_response();
    }
    // Register before the upgrade completes: a post may arrive as soon as $connect returned.
    let inbox = api.connections.register(&facts.connection_id, &facts.source_ip, &facts.user_agent);
    tracing::info!(connection_id = %facts.connection_id, "WebSocket connected");
    let limits = api.limits;
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .max_message_size(limits.max_message_bytes)
        .max_frame_size(limits.max_frame_bytes)
        .on_upgrade(move |socket| serve_connection(api, facts, socket, inbox))
}

/// The life of one connection: deliver posts, route client messages, enforce limits, then
/// `$disconnect`.
async fn serve_connection(
    api: WebSocketApi,
    facts: ConnectionFacts,
    mut socket: WebSocket,
    mut inbox: tokio::sync::mpsc::UnboundedReceiver<String>,
) {
    let limits = api.limits;
    let opened = Instant::now();
    let mut last_activity = opened;
    let mut delivered: u32 = 0;
    // Two timers for the connection's life, not two per message: activity only moves
    // `last_activity`, and the idle timer, when it fires early, is set again from it.
    let idle = tokio::time::sleep_until(opened + limits.idle_timeout);
    let age = tokio::time::sleep_until(opened + limits.max_connection_age);
    tokio::pin!(idle, age);
    let (code, reason) = loop {
        tokio::select! {
            posted = inbox.recv() => {
                let Some(message) = posted else { break (1000, "closed by DeleteConnection") };
                if api.faults.current().drop_websocket_after_frames.is_some_and(|limit| delivered >= limit) {
                    tracing::warn!(connection_id = %facts.connection_id, "fault: dropping the connection");
                    break (1006, "dropped by fault injection");
                }
                if socket.send(Message::Text(message.into())).await.is_err() {
                    break (1006, "the client went away");
                }
                delivered += 1;
                last_activity = Instant::now();
            }
            received = socket.recv() => {
                match received {
                    Some(Ok(Message::Text(text))) => {
                        last_activity = Instant::now();
                        route_message(&api, &facts, &mut socket, text.as_str()).await;
                    }
                    Some(Ok(Message::Binary(_))) => last_activity = Instant::now(),
                    Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                    Some(Ok(Message::Close(_))) | None => break (1000, "closed by the client"),
                    Some(Err(error)) => {
                        tracing::info!(%error, "WebSocket error");
                        break (1009, "message too big or malformed");
                    }
                }
            }
            () = &mut idle => {
                let idle_deadline = last_activity + limits.idle_timeout;
                if idle_deadline <= Instant::now() {
                    break (1001, "Going away: idle timeout");
                }
                idle.as_mut().reset(idle_deadline);
            }
            () = &mut age => break (1001, "Going away: maximum connection duration"),
        }
    };
    api.connections.remove(&facts.connection_id);
    let _ = socket.send(Message::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
    let mut context = Map::new();
    context.insert("disconnectStatusCode".into(), code.into());
    context.insert("disconnectReason".into(), reason.into());
    api.invoke(&facts, "$disconnect", Map::new(), context).await;
    tracing::info!(connection_id = %facts.connection_id, code, reason, "WebSocket disconnected");
}

/// Routes a client message by `$request.body.action`, as the stage's route selection does.
async fn route_message(api: &WebSocketApi, facts: &ConnectionFacts, socket: &mut WebSocket, text: &str) {
    let action = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|value| value.get("action").and_then(Value::as_str).map(str::to_owned));
    match action.as_deref() {
        // The routes the deployment template gives ws-connect (besides $connect/$disconnect).
        Some(route @ (routes::PING | routes::STOP | routes::RESUME)) => {
            let mut extra = Map::new();
            extra.insert("body".into(), text.into());
            api.invoke(facts, route, extra, Map::new()).await;
        }
        _ => {
            // No route and no $default: API Gateway answers the client with this message.
            let answer = json!({
                "message": "Forbidden",
                "connectionId": facts.connection_id,
                "requestId": uuid::Uuid::new_v4().to_string(),
            });
            let _ = socket.send(Message::Text(answer.to_string().into())).await;
        }
    }
}
