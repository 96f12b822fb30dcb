//! AppSync Events messages shaped after AWS's documentation round-trip; channels validate.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::appsync::{
    ChannelError, ChannelPath, EventsMessage, PublishRequest, PublishResponse, SubscriptionPattern,
    validate_operation_id,
};
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))).unwrap()
}

const MESSAGE_FIXTURES: &[(&str, &str)] = &[
    ("appsync_connection_init.json", "connection_init"),
    ("appsync_connection_ack.json", "connection_ack"),
    ("appsync_connection_error.json", "connection_error"),
    ("appsync_ka.json", "ka"),
    ("appsync_subscribe.json", "subscribe"),
    ("appsync_subscribe_wildcard.json", "subscribe"),
    ("appsync_subscribe_success.json", "subscribe_success"),
    ("appsync_subscribe_error.json", "subscribe_error"),
    ("appsync_data.json", "data"),
    ("appsync_broadcast_error.json", "broadcast_error"),
    ("appsync_unsubscribe.json", "unsubscribe"),
    ("appsync_unsubscribe_success.json", "unsubscribe_success"),
    ("appsync_unsubscribe_error.json", "unsubscribe_error"),
    ("appsync_publish.json", "publish"),
    ("appsync_publish_success.json", "publish_success"),
    ("appsync_publish_success_partial.json", "publish_success"),
    ("appsync_publish_error.json", "publish_error"),
    ("appsync_error.json", "error"),
];

#[test]
fn every_message_type_round_trips() {
    for (name, wire_type) in MESSAGE_FIXTURES {
        let original = fixture(name);
        let message: EventsMessage =
            serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again: Value = serde_json::from_str(&message.to_json()).unwrap();
        assert_eq!(again, original, "{name}");
        assert_eq!(again["type"], *wire_type);
    }
}

#[test]
fn data_event_is_a_json_string_inside_the_json() {
    let EventsMessage::Data { event, .. } = serde_json::from_value(fixture("appsync_data.json")).unwrap()
    else {
        panic!("not data");
    };
    let inner: Value = serde_json::from_str(&event).unwrap();
    assert_eq!(inner["msg"], "Hello World!");
}

#[test]
fn data_event_as_in_the_docs_array_example_is_accepted() {
    let message: EventsMessage =
        serde_json::from_value(fixture("appsync_data_doc_array_variant.json")).unwrap();
    assert!(matches!(message, EventsMessage::Data { ref event, .. } if event == "\"my event content\""));
}

#[test]
fn error_messages_expose_their_errors() {
    let message: EventsMessage = serde_json::from_value(fixture("appsync_subscribe_error.json")).unwrap();
    assert_eq!(message.errors()[0].error_type.as_deref(), Some("SubscriptionProcessingError"));
    let ack: EventsMessage = serde_json::from_value(fixture("appsync_connection_ack.json")).unwrap();
    assert!(ack.errors().is_empty());
}

#[test]
fn http_publish_bodies_round_trip() {
    let request: PublishRequest =
        serde_json::from_value(fixture("appsync_http_publish_request.json")).unwrap();
    assert_eq!(serde_json::to_value(&request).unwrap(), fixture("appsync_http_publish_request.json"));
    for name in ["appsync_http_publish_response.json", "appsync_http_publish_response_partial.json"] {
        let response: PublishResponse = serde_json::from_value(fixture(name)).unwrap();
        assert_eq!(serde_json::to_value(&response).unwrap(), fixture(name), "{name}");
    }
}

#[test]
fn publish_batches_respect_five_events_and_refuse_oversized_ones() {
    let events: Vec<String> = (0..12).map(|i| format!("{{\"n\":{i}}}")).collect();
    let batches = PublishRequest::batches("/chat/u1", &events).unwrap();
    assert_eq!(batches.iter().map(|b| b.events.len()).collect::<Vec<_>>(), vec![5, 5, 2]);
    let huge = format!("\"{}\"", "x".repeat(240 * 1024));
    assert_eq!(PublishRequest::batches("/chat/u1", &["1".to_owned(), huge]), Err(vec![1]));
}

#[test]
fn channel_rules_follow_the_documentation() {
    assert!(ChannelPath::parse("default/channel").is_ok());
    assert!(ChannelPath::parse("/a/b/c/d/e").is_ok());
    assert!(matches!(ChannelPath::parse("/a/b/c/d/e/f"), Err(ChannelError::TooManySegments(_))));
    assert!(matches!(ChannelPath::parse("/"), Err(ChannelError::Empty(_))));
    for bad in ["/chat/-x", "/chat/x-", "/chat/a_b", "/chat//x", "/chat/ü", "/chat/*"] {
        assert!(ChannelPath::parse(bad).is_err(), "{bad} accepted");
    }
    assert!(ChannelPath::parse(&format!("/chat/{}", "a".repeat(50))).is_ok());
    assert!(ChannelPath::parse(&format!("/chat/{}", "a".repeat(51))).is_err());
}

#[test]
fn wildcard_subscriptions_match_deeper_channels_only_in_their_namespace() {
    let pattern = SubscriptionPattern::parse("/default/*").unwrap();
    assert!(pattern.matches(&ChannelPath::parse("/default/greetings/tutorial").unwrap()));
    assert!(!pattern.matches(&ChannelPath::parse("/default").unwrap()));
    let exact = SubscriptionPattern::parse("/chat/user-1").unwrap();
    assert!(exact.matches(&ChannelPath::parse("chat/user-1").unwrap()));
    assert!(!exact.matches(&ChannelPath::parse("/chat/user-2").unwrap()));
}

#[test]
fn operation_ids_follow_the_documented_pattern() {
    assert!(validate_operation_id("ee849ef0-cf23-4cb8-9fcb-152ae4fd1e69").is_ok());
    assert!(validate_operation_id("a+b_c").is_ok());
    assert!(validate_operation_id("").is_err());
    assert!(validate_operation_id("has space").is_err());
    assert!(validate_operation_id(&"x".repeat(129)).is_err());
}

#[test]
fn the_light_reader_agrees_with_the_full_model_on_every_server_message() {
    use lexstream_protocol::appsync::{ServerEvent, read_server_message};
    for (name, _) in MESSAGE_FIXTURES {
        let text = fixture(name).to_string();
        let full: EventsMessage = serde_json::from_str(&text).unwrap();
        let light = read_server_message(&text).unwrap();
        let agrees = match (&full, &light) {
            (EventsMessage::ConnectionAck { connection_timeout_ms }, ServerEvent::Ack { timeout_ms }) => {
                connection_timeout_ms == timeout_ms
            }
            (EventsMessage::Ka, ServerEvent::KeepAlive) => true,
            (EventsMessage::SubscribeSuccess { id }, ServerEvent::Subscribed(light_id)) => id == light_id,
            (EventsMessage::Data { id, event }, ServerEvent::Data { id: light_id, event: light_event }) => {
                id == light_id && event == light_event
            }
            (_, ServerEvent::Failure { errors, .. }) => {
                !full.errors().is_empty() && full.errors() == errors.as_slice()
            }
            (_, ServerEvent::Other(_)) => !matches!(
                full,
                EventsMessage::ConnectionAck { .. }
                    | EventsMessage::Ka
                    | EventsMessage::SubscribeSuccess { .. }
                    | EventsMessage::Data { .. }
            ),
            _ => false,
        };
        assert!(agrees, "{name}: full {full:?}, light {light:?}");
    }
    let array_variant = fixture("appsync_data_doc_array_variant.json").to_string();
    assert!(
        matches!(read_server_message(&array_variant).unwrap(), ServerEvent::Data { event, .. } if !event.is_empty())
    );
}
