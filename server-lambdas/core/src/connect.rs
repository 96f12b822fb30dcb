//! The `ws-connect` Lambda: WebSocket `$connect`, `$disconnect`, `ping`, `stop` and `resume`
//! routes.
//!
//! `$connect` checks the `sessionId` query parameter (the Lex Web UI's name), ties it to the
//! caller's Cognito identity when the API uses IAM auth, and records
//! `{sessionId, connectionId, ttl}`. `$disconnect` removes the row only if it still names this
//! connection, so a newer tab of the same session keeps its stream. `stop` and `resume` act on
//! the connection's own session only; `resume` posts the turn's stored text and final answer
//! back to the caller ([`crate::resume`]).
//!
//! Limits: an identity (or, without one, a source IP) gets `CONNECTS_PER_IDENTITY_PER_MINUTE`
//! `$connect`s a minute ([`crate::visitor_limits::rate`]); more are answered 429, so API Gateway
//! refuses the upgrade. A message from the widget over
//! [`MAX_WIDGET_MESSAGE_BYTES`](lexstream_protocol::limits::MAX_WIDGET_MESSAGE_BYTES) is answered
//! 413 without being read.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use aws_lambda_events::encodings::Body;
use lexstream_protocol::input_bounds::check_widget_message;

use crate::config::{ConnectConfig, SessionBinding};
use crate::log_hash::hashed;
use crate::ports::{ConnectionPusher, ConnectionRecord, ConnectionStore};
use crate::resume::handle_resume;
use crate::session_id;
use crate::turns::TurnStore;
use crate::visitor_limits::{RateKind, VisitorLimitStore, admit_rate};

/// Route keys of the WebSocket API this Lambda serves.
pub mod routes {
    /// Connection opened.
    pub const CONNECT: &str = "$connect";
    /// Connection closed.
    pub const DISCONNECT: &str = "$disconnect";
    /// Keep-alive from the widget (`{"action":"ping"}`).
    pub const PING: &str = "ping";
    /// Stop the answer under way (`{"action":"stop","turn":"…"}`).
    pub const STOP: &str = "stop";
    /// Catch up on a turn after a reconnect or a reload
    /// (`{"action":"resume","turn":"…","after":<seq or null>}`).
    pub const RESUME: &str = "resume";
    /// Every route above (the deployment template must route exactly these here).
    pub const ALL: &[&str] = &[CONNECT, DISCONNECT, PING, STOP, RESUME];
}

/// A response for API Gateway: status and a short text body.
pub(crate) fn respond(status: i64, body: &str) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = status;
    response.body = Some(Body::Text(body.to_owned()));
    response
}

/// A JSON `{"message":…}` answer, like API Gateway's own errors.
pub(crate) fn respond_message(status: i64, message: &str) -> ApiGatewayProxyResponse {
    respond(status, &serde_json::json!({ "message": message }).to_string())
}

/// Seconds since the epoch (for TTLs and signing times).
pub(crate) fn now_epoch_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

/// The management API endpoint (`https://{domainName}/{stage}`) of the WebSocket API stage an
/// event came through: where posts to its connections go. `None` if the event lacks either.
pub fn management_endpoint_of(event: &ApiGatewayWebsocketProxyRequest) -> Option<String> {
    let context = &event.request_context;
    let domain = context.domain_name.as_deref().filter(|domain| !domain.is_empty())?;
    let stage = context.stage.as_deref().filter(|stage| !stage.is_empty())?;
    Some(format!("https://{domain}/{stage}"))
}

/// Handles one WebSocket route event. `pusher_for` builds a pusher for a stage's management
/// endpoint ([`management_endpoint_of`] the event); only the `resume` route posts.
pub async fn handle_websocket_event<S, P, F>(
    event: ApiGatewayWebsocketProxyRequest,
    store: &S,
    pusher_for: &F,
    config: &ConnectConfig,
) -> ApiGatewayProxyResponse
where
    S: ConnectionStore + TurnStore + VisitorLimitStore,
    P: ConnectionPusher,
    F: Fn(&str) -> P + Sync,
{
    let context = &event.request_context;
    let Some(connection_id) = context.connection_id.clone() else {
        return respond(400, "the event has no connectionId");
    };
    if let Some(too_large) = event.body.as_deref().and_then(|body| check_widget_message(body).err()) {
        tracing::info!(%too_large, "message refused unread");
        return respond(413, &too_large.to_string());
    }
    match context.route_key.as_deref() {
        Some(routes::CONNECT) => handle_connect(&event, connection_id, store, config).await,
        Some(routes::DISCONNECT) => handle_disconnect(&connection_id, store).await,
        Some(routes::PING) => respond(200, "pong"),
        Some(routes::STOP) => handle_stop(&connection_id, event.body.as_deref(), store).await,
        Some(routes::RESUME) => {
            let Some(endpoint) = management_endpoint_of(&event) else {
                return respond(400, "the event has no domainName or stage to answer through");
            };
            handle_resume(&connection_id, event.body.as_deref(), store, || pusher_for(&endpoint)).await
        }
        other => respond(400, &format!("unsupported route {}", other.unwrap_or("(none)"))),
    }
}

/// Answer to a `$connect` over the identity's limit (429: API Gateway refuses the upgrade).
pub const TOO_MANY_CONNECTS: &str =
    "too many connections from this visitor in the last minute; please try again in a minute";

async fn handle_connect<S: ConnectionStore + VisitorLimitStore>(
    event: &ApiGatewayWebsocketProxyRequest,
    connection_id: String,
    store: &S,
    config: &ConnectConfig,
) -> ApiGatewayProxyResponse {
    let session_id = match session_id::validate(event.query_string_parameters.first("sessionId")) {
        Ok(session_id) => session_id.to_owned(),
        Err(reason) => {
            tracing::info!(%reason, "connection refused");
            return respond(400, &reason.to_string());
        }
    };
    let identity = event.request_context.identity.cognito_identity_id.as_deref().filter(|id| !id.is_empty());
    let refusal = match (config.session_binding, identity) {
        (SessionBinding::Off, _) | (SessionBinding::WhenPresent, None) => None,
        (SessionBinding::RequireIdentity, None) => {
            Some("this API requires a Cognito identity (IAM auth on $connect)".to_owned())
        }
        (_, Some(identity)) if session_id::is_bound_to(&session_id, identity) => None,
        (_, Some(_)) => Some("sessionId does not belong to the caller's identity".to_owned()),
    };
    if let Some(reason) = refusal {
        tracing::warn!(session_hash = %hashed(&session_id), %reason, "connection refused");
        return respond(403, &reason);
    }
    if let Some(caller) = connect_caller(event, identity) {
        let per_minute = config.connects_per_minute;
        match admit_rate(store, RateKind::Connects, &caller, per_minute, now_epoch_seconds()).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(
                    per_minute,
                    "connection refused: the caller's connects per minute are used up"
                );
                return respond(429, TOO_MANY_CONNECTS);
            }
            Err(error) => tracing::warn!(%error, "could not count the caller's connects; connecting"),
        }
    }
    let record = ConnectionRecord {
        session_id: session_id.clone(),
        connection_id: connection_id.clone(),
        ttl: now_epoch_seconds() + config.ttl_seconds,
        stop_turn: None,
    };
    match store.put(&record).await {
        Ok(()) => {
            tracing::info!(session_hash = %hashed(&session_id), %connection_id, "connected");
            respond(200, "connected")
        }
        Err(error) => {
            tracing::error!(session_hash = %hashed(&session_id), %error, "could not record the connection");
            respond(500, "could not record the connection")
        }
    }
}

/// Whom a `$connect` counts against: the caller's Cognito identity, or without one (an API
/// without IAM auth) the source IP API Gateway saw.
fn connect_caller(event: &ApiGatewayWebsocketProxyRequest, identity: Option<&str>) -> Option<String> {
    identity.map(str::to_owned).or_else(|| {
        let source_ip = event.request_context.identity.source_ip.as_deref().filter(|ip| !ip.is_empty())?;
        Some(format!("ip:{source_ip}"))
    })
}

/// `{"action":"stop","turn":"…"}`: marks the turn stopped on the row of the connection's own
/// session (a connection can only stop its own session's answers); the relay streaming it ends.
/// The mark is one conditional write naming this connection: if the widget reconnected or this
/// connection's `$disconnect` ran since, the row is left as they wrote it.
async fn handle_stop<S: ConnectionStore>(
    connection_id: &str,
    body: Option<&str>,
    store: &S,
) -> ApiGatewayProxyResponse {
    let turn = match lexstream_protocol::stop_request_turn(body.unwrap_or_default()) {
        Ok(turn) => turn,
        Err(error) => {
            return respond_message(
                400,
                &format!("{error}; expected {{\"action\":\"stop\",\"turn\":\"<turn id>\"}}"),
            );
        }
    };
    let session_id = match store.session_of(connection_id).await {
        Ok(Some(session_id)) => session_id,
        Ok(None) => return respond_message(404, "this connection streams no session"),
        Err(error) => {
            tracing::error!(%error, "could not look up the connection");
            return respond_message(500, "could not look up the connection");
        }
    };
    match store.request_stop_if_current(&session_id, connection_id, &turn).await {
        Ok(true) => {
            tracing::info!(session_hash = %hashed(&session_id), %turn, "stop requested");
            respond_message(200, "stopping")
        }
        Ok(false) => {
            tracing::info!(session_hash = %hashed(&session_id), %turn, "stop of a connection that no longer streams its session; row left alone");
            respond_message(404, "this connection no longer streams its session")
        }
        Err(error) => {
            tracing::error!(%error, "could not record the stop request");
            respond_message(500, "could not record the stop request")
        }
    }
}

async fn handle_disconnect<S: ConnectionStore>(connection_id: &str, store: &S) -> ApiGatewayProxyResponse {
    let session_id = match store.session_of(connection_id).await {
        Ok(Some(session_id)) => session_id,
        Ok(None) => {
            tracing::info!(%connection_id, "disconnected; no row to remove");
            return respond(200, "disconnected");
        }
        Err(error) => {
            tracing::error!(%connection_id, %error, "could not look up the connection; its row expires by TTL");
            return respond(200, "disconnected");
        }
    };
    match store.delete_if_current(&session_id, connection_id).await {
        Ok(true) => {
            tracing::info!(session_hash = %hashed(&session_id), %connection_id, "disconnected; row removed");
        }
        Ok(false) => {
            tracing::info!(
                session_hash = %hashed(&session_id),
                %connection_id,
                "disconnected; a newer connection keeps the row"
            );
        }
        Err(error) => {
            tracing::error!(session_hash = %hashed(&session_id), %error, "could not remove the connection row");
        }
    }
    respond(200, "disconnected")
}
