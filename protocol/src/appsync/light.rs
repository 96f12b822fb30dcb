//! What a browser client needs of the realtime protocol, read through `serde_json::Value`
//! instead of [`EventsMessage`]'s derived `Deserialize`: the same messages, a fraction of the
//! wasm (an internally tagged enum's derive costs the widget ~12 KB gzip). Tests check it reads
//! every documented message the way [`EventsMessage`] does.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::AppSyncError;
#[cfg(doc)]
use super::EventsMessage;

/// A server message, as a client acts on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEvent {
    /// `connection_ack`, with `connectionTimeoutMs`.
    Ack {
        /// Close if nothing arrives for this long.
        timeout_ms: u64,
    },
    /// `ka`.
    KeepAlive,
    /// `subscribe_success` for a subscription id.
    Subscribed(String),
    /// `data`: one event (a JSON document as text) for a subscription id.
    Data {
        /// The subscription id.
        id: String,
        /// The event.
        event: String,
    },
    /// `connection_error`, `subscribe_error`, `broadcast_error`, `publish_error`,
    /// `unsubscribe_error` or `error`: the message type and its errors.
    Failure {
        /// The message's `type`.
        kind: String,
        /// Its `errors`.
        errors: Vec<AppSyncError>,
    },
    /// Any other message (`unsubscribe_success`, `publish_success`, types added later).
    Other(String),
}

/// Reads one server message; `Err` only when it is not a JSON object with a `type`.
pub fn read_server_message(text: &str) -> Result<ServerEvent, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let kind = value.get("type").and_then(Value::as_str).ok_or("no type")?.to_owned();
    let text_field = |name: &str| value.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    Ok(match kind.as_str() {
        "connection_ack" => ServerEvent::Ack {
            timeout_ms: value.get("connectionTimeoutMs").and_then(Value::as_u64).unwrap_or(300_000),
        },
        "ka" => ServerEvent::KeepAlive,
        "subscribe_success" => ServerEvent::Subscribed(text_field("id")),
        "data" => {
            let event = match value.get("event") {
                Some(Value::String(event)) => event.clone(),
                Some(Value::Array(events)) => {
                    events.first().and_then(Value::as_str).unwrap_or_default().to_owned()
                }
                _ => String::new(),
            };
            ServerEvent::Data { id: text_field("id"), event }
        }
        "connection_error" | "subscribe_error" | "broadcast_error" | "publish_error"
        | "unsubscribe_error" | "error" => {
            let errors = value
                .get("errors")
                .cloned()
                .map(serde_json::from_value)
                .and_then(Result::ok)
                .unwrap_or_default();
            ServerEvent::Failure { kind, errors }
        }
        _ => ServerEvent::Other(kind),
    })
}

/// `{"type":"connection_init"}`.
pub fn connection_init_json() -> String {
    json!({ "type": "connection_init" }).to_string()
}

/// A `subscribe` message.
pub fn subscribe_json(id: &str, channel: &str, authorization: &BTreeMap<String, String>) -> String {
    json!({ "type": "subscribe", "id": id, "channel": channel, "authorization": authorization }).to_string()
}

/// An `unsubscribe` message.
pub fn unsubscribe_json(id: &str) -> String {
    json!({ "type": "unsubscribe", "id": id }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::appsync::EventsMessage;

    #[test]
    fn outgoing_messages_match_the_full_model() {
        let auth = BTreeMap::from([("x-api-key".to_owned(), "k".to_owned())]);
        let subscribe = EventsMessage::Subscribe {
            id: "s".into(),
            channel: "/chat/a".into(),
            authorization: auth.clone(),
        };
        let as_value = |text: &str| serde_json::from_str::<Value>(text).unwrap_or_default();
        assert_eq!(as_value(&subscribe_json("s", "/chat/a", &auth)), as_value(&subscribe.to_json()));
        assert_eq!(
            as_value(&unsubscribe_json("s")),
            as_value(&EventsMessage::Unsubscribe { id: "s".into() }.to_json())
        );
        assert_eq!(as_value(&connection_init_json()), as_value(&EventsMessage::ConnectionInit.to_json()));
    }
}
