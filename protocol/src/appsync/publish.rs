//! The AppSync Events HTTP publish API: `POST https://<http-host>/event`.

use serde::{Deserialize, Serialize};

use crate::limits::{APPSYNC_MAX_EVENT_BYTES, APPSYNC_MAX_EVENTS_PER_PUBLISH};

/// The body of an HTTP publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishRequest {
    /// The channel to publish to (leading `/` optional).
    pub channel: String,
    /// 1 to 5 events, each a JSON document encoded as a string, each at most 240 KB.
    pub events: Vec<String>,
}

impl PublishRequest {
    /// Groups `events` into as few requests as AppSync's limits allow (≤ 5 events each).
    ///
    /// Events larger than 240 KB are returned in the error instead, by index, so a caller
    /// can split or refuse them with a message rather than lose them silently.
    pub fn batches(channel: &str, events: &[String]) -> Result<Vec<PublishRequest>, Vec<usize>> {
        let oversized: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, event)| event.len() > APPSYNC_MAX_EVENT_BYTES)
            .map(|(index, _)| index)
            .collect();
        if !oversized.is_empty() {
            return Err(oversized);
        }
        Ok(events
            .chunks(APPSYNC_MAX_EVENTS_PER_PUBLISH)
            .map(|batch| PublishRequest { channel: channel.to_owned(), events: batch.to_vec() })
            .collect())
    }
}

/// The 200 answer of an HTTP publish (and the body of a WebSocket `publish_success`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishResponse {
    /// Events accepted.
    #[serde(default)]
    pub successful: Vec<PublishedEvent>,
    /// Events rejected.
    #[serde(default)]
    pub failed: Vec<FailedEvent>,
}

/// An accepted event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedEvent {
    /// Server-assigned id.
    pub identifier: String,
    /// Position in the request's `events`.
    pub index: u32,
}

/// A rejected event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedEvent {
    /// Server-assigned id.
    pub identifier: String,
    /// Position in the request's `events`.
    pub index: u32,
    /// An error code.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "errorCode")]
    pub code: Option<i64>,
    /// Why it was rejected.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "errorMessage")]
    pub message: Option<String>,
}
