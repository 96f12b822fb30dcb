//! The messages of the AppSync Events realtime WebSocket, in both directions.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use super::publish::{FailedEvent, PublishedEvent};

/// One AppSync Events WebSocket message, client → server or server → client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventsMessage {
    /// Client: optional first message after the socket opens.
    ConnectionInit,
    /// Server: the connection is accepted.
    ConnectionAck {
        /// Close the socket if no `ka` arrives for this long.
        #[serde(rename = "connectionTimeoutMs")]
        connection_timeout_ms: u64,
    },
    /// Server: the connection is refused.
    ConnectionError {
        /// Why.
        #[serde(default)]
        errors: Vec<AppSyncError>,
    },
    /// Server: keep-alive, about every 60 s.
    Ka,
    /// Client: subscribe to a channel (a trailing `/*` matches deeper paths).
    Subscribe {
        /// Client-chosen subscription id.
        id: String,
        /// The channel or pattern.
        channel: String,
        /// Auth headers for the subscription.
        authorization: BTreeMap<String, String>,
    },
    /// Server: the subscription is active.
    SubscribeSuccess {
        /// The subscription id.
        id: String,
    },
    /// Server: the subscription failed.
    SubscribeError {
        /// The subscription id.
        id: String,
        /// Why.
        #[serde(default)]
        errors: Vec<AppSyncError>,
    },
    /// Server: one published event for a subscription.
    Data {
        /// The subscription id.
        id: String,
        /// The event: a JSON document encoded as a string.
        #[serde(deserialize_with = "one_event")]
        event: String,
    },
    /// Server: an event could not be delivered to a subscription.
    BroadcastError {
        /// The subscription id.
        id: String,
        /// Why.
        #[serde(default)]
        errors: Vec<AppSyncError>,
    },
    /// Client: end a subscription.
    Unsubscribe {
        /// The subscription id.
        id: String,
    },
    /// Server: the subscription ended.
    UnsubscribeSuccess {
        /// The subscription id.
        id: String,
    },
    /// Server: the unsubscribe failed.
    UnsubscribeError {
        /// The subscription id.
        id: String,
        /// Why.
        #[serde(default)]
        errors: Vec<AppSyncError>,
    },
    /// Client: publish up to 5 events over the socket.
    Publish {
        /// Client-chosen operation id.
        id: String,
        /// The channel.
        channel: String,
        /// Events, each a JSON document encoded as a string.
        events: Vec<String>,
        /// Auth headers for the publish.
        authorization: BTreeMap<String, String>,
    },
    /// Server: the publish was processed (some events may have failed).
    PublishSuccess {
        /// The operation id.
        id: String,
        /// Events accepted.
        #[serde(default)]
        successful: Vec<PublishedEvent>,
        /// Events rejected.
        #[serde(default)]
        failed: Vec<FailedEvent>,
    },
    /// Server: the publish failed.
    PublishError {
        /// The operation id.
        id: String,
        /// Why.
        #[serde(default)]
        errors: Vec<AppSyncError>,
    },
    /// Server: a generic error (for example an unknown message type).
    Error {
        /// The operation it concerns, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Why.
        #[serde(default)]
        errors: Vec<AppSyncError>,
    },
}

impl EventsMessage {
    /// The message as the JSON text sent on the wire.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("events messages have only string, number and map fields")
    }

    /// The errors carried by an error message, empty for every other message.
    pub fn errors(&self) -> &[AppSyncError] {
        match self {
            Self::ConnectionError { errors }
            | Self::SubscribeError { errors, .. }
            | Self::BroadcastError { errors, .. }
            | Self::UnsubscribeError { errors, .. }
            | Self::PublishError { errors, .. }
            | Self::Error { errors, .. } => errors,
            _ => &[],
        }
    }
}

/// An error as AppSync reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSyncError {
    /// The error type, e.g. `UnauthorizedException`, `SubscriptionProcessingError`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    /// A readable message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// A numeric code, sent by some errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i64>,
}

impl AppSyncError {
    /// An error of `error_type` with `message`.
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self { error_type: Some(error_type.into()), message: Some(message.into()), error_code: None }
    }
}

/// Reads `event` as a string; also accepts the one-element array shown in AWS's docs.
fn one_event<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrList {
        One(String),
        List(Vec<String>),
    }
    match OneOrList::deserialize(deserializer)? {
        OneOrList::One(event) => Ok(event),
        OneOrList::List(mut events) if events.len() == 1 => Ok(events.remove(0)),
        OneOrList::List(events) => Err(serde::de::Error::invalid_length(events.len(), &"one event")),
    }
}

/// Why an operation id is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("operation id {id:?} must be 1-128 characters of letters, digits, '-', '_' or '+'")]
pub struct OperationIdError {
    /// The rejected id.
    pub id: String,
}

/// Checks a subscribe/publish `id` against AppSync's rule (`^[a-zA-Z0-9-_+]{1,128}$`).
pub fn validate_operation_id(id: &str) -> Result<(), OperationIdError> {
    let valid = (1..=128).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+'));
    if valid { Ok(()) } else { Err(OperationIdError { id: id.to_owned() }) }
}
