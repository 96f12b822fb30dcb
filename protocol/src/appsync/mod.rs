//! AWS AppSync Events: the realtime WebSocket messages, the HTTP publish body, and channel paths.
//!
//! The realtime endpoint is `wss://<realtime-host>/event/realtime`, opened with the subprotocols
//! `aws-appsync-event-ws` and `header-<base64url auth JSON>`. Every message is a JSON object
//! with a `type`; see [`EventsMessage`].

mod channel;
mod publish;
mod realtime;

pub use channel::{ChannelError, ChannelPath, SubscriptionPattern, validate_segment};
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
