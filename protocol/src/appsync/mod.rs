//! AWS AppSync Events: the realtime WebSocket messages, the HTTP publish body, channel paths,
//! the handshake's auth subprotocol, the per-user channel rule and the `/chat` API.
//!
//! The realtime endpoint is `wss://<realtime-host>/event/realtime`, opened with the subprotocols
//! `aws-appsync-event-ws` and `header-<base64url auth JSON>`. Every message is a JSON object
//! with a `type`; see [`EventsMessage`].

mod auth;
mod base64url;
mod channel;
pub mod chat;
#[cfg(feature = "sigv4")]
mod iam;
mod light;
mod publish;
mod realtime;

pub use auth::{
    ChannelRefusal, auth_subprotocol, check_own_channel, headers_from_subprotocol, signed_body, user_channel,
    user_segment,
};
pub use channel::{ChannelError, ChannelPath, SubscriptionPattern, validate_segment};
#[cfg(feature = "sigv4")]
pub use iam::iam_authorization;
pub use light::{ServerEvent, connection_init_json, read_server_message, subscribe_json, unsubscribe_json};
pub use publish::{FailedEvent, PublishRequest, PublishResponse, PublishedEvent};
pub use realtime::{AppSyncError, EventsMessage, OperationIdError, validate_operation_id};

/// The WebSocket subprotocol AppSync Events requires.
pub const EVENTS_SUBPROTOCOL: &str = "aws-appsync-event-ws";
/// Prefix of the subprotocol that carries the base64url-encoded auth JSON.
pub const AUTH_SUBPROTOCOL_PREFIX: &str = "header-";
/// Path of the realtime WebSocket endpoint.
pub const REALTIME_PATH: &str = "/event/realtime";
/// Path of the HTTP publish endpoint.
pub const PUBLISH_PATH: &str = "/event";
/// `connectionTimeoutMs` AppSync sends in `connection_ack` (a `ka` comes every 60 s).
pub const CONNECTION_TIMEOUT_MS: u64 = 300_000;
/// Header keys of an IAM-signed realtime operation, besides `host`, `x-amz-date`,
/// `x-amz-security-token` and `authorization` (values as AWS's clients send them).
pub const IAM_SIGNED_HEADERS: [(&str, &str); 3] = [
    ("accept", "application/json, text/javascript"),
    ("content-encoding", "amz-1.0"),
    ("content-type", "application/json; charset=UTF-8"),
];
