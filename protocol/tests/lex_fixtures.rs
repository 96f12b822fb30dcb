//! Lex V2 JSON documents shaped after AWS's documentation round-trip without losing a field.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::lex::{
    CodeHookEvent, CodeHookResponse, DialogActionType, IntentState, InvocationSource, Message,
    MessageContentType, RecognizeTextRequest, RecognizeTextResponse, SlotShape,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// Integers and floats compare as numbers (`1` and `1.0` are the same JSON value to AWS).
fn normalized(value: Value) -> Value {
    match value {
        Value::Number(n) => serde_json::json!(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.into_iter().map(normalized).collect()),
        Value::Object(map) => Value::Object(map.into_iter().map(|(k, v)| (k, normalized(v))).collect()),
        other => other,
    }
}

fn round_trip<T: DeserializeOwned + Serialize>(name: &str) -> T {
    let original = fixture(name);
    let typed: T = serde_json::from_value(original.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again = serde_json::to_value(&typed).unwrap();
    assert_eq!(normalized(again), normalized(original), "{name} lost or changed a field");
    typed
}

#[test]
fn fulfillment_event_for_fallback_intent_round_trips() {
    let event: CodeHookEvent = round_trip("lex_event_fallback.json");
    assert_eq!(event.invocation_source, InvocationSource::FulfillmentCodeHook);
    assert_eq!(event.session_state.attribute("streamingDynamoDbTable"), Some("lex-streaming-responses"));
    assert_eq!(event.request_attribute("streamingTurnId"), Some("turn-000003"));
    let order = &event.interpretations[1].intent;
    let slots = order.slots.as_ref().unwrap();
    assert_eq!(slots["OrderNumber"], None, "an unfilled slot is null");
    assert_eq!(slots["DeliveryCity"].as_ref().unwrap().shape, Some(SlotShape::Scalar));
}

#[test]
fn close_response_round_trips() {
    let response: CodeHookResponse = round_trip("lex_response_close.json");
    let action = response.session_state.dialog_action.as_ref().unwrap();
    assert_eq!(action.action_type, DialogActionType::Close);
    let messages = response.messages.unwrap();
    assert_eq!(messages[0].content_type, MessageContentType::CustomPayload);
    assert_eq!(messages[1].content_type, MessageContentType::PlainText);
}

#[test]
fn elicit_slot_with_image_card_round_trips() {
    let response: CodeHookResponse = round_trip("lex_response_elicit_slot_card.json");
    let card = response.messages.unwrap()[1].image_response_card.clone().unwrap();
    assert_eq!(card.title, "Choose a size");
    assert!(!card.buttons.unwrap().is_empty());
}

#[test]
fn recognize_text_request_and_response_round_trip() {
    let request: RecognizeTextRequest = round_trip("recognize_text_request.json");
    assert!(request.session_state.unwrap().runtime_hints.is_some());
    let response: RecognizeTextResponse = round_trip("recognize_text_response.json");
    let top = &response.interpretations.unwrap()[0];
    assert_eq!(top.nlu_confidence.unwrap().score, 0.94);
}

#[test]
fn unknown_fields_and_enum_values_do_not_break_parsing() {
    let mut event = fixture("lex_event_fallback.json");
    event["brandNewField"] = serde_json::json!({"nested": [1, 2]});
    event["inputMode"] = "Telepathy".into();
    event["sessionState"]["intent"]["state"] = "Pondering".into();
    event["interpretations"][0]["interpretationSource"] = "SomethingNew".into();
    let parsed: CodeHookEvent = serde_json::from_value(event).unwrap();
    assert_eq!(parsed.input_mode.as_str(), "Telepathy");
    let state = parsed.session_state.intent.unwrap().state.unwrap();
    assert_eq!(state, IntentState::Other("Pondering".into()));
    // Unknown enum values are written back exactly as received.
    assert_eq!(serde_json::to_value(&state).unwrap(), "Pondering");
}

#[test]
fn close_keeps_session_attributes_intent_and_request_attributes() {
    let event: CodeHookEvent = serde_json::from_value(fixture("lex_event_fallback.json")).unwrap();
    let response = CodeHookResponse::close(
        &event,
        IntentState::Fulfilled,
        vec![Message::text(MessageContentType::CustomPayload, "**Hello**")],
    );
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json["sessionState"]["dialogAction"], serde_json::json!({"type": "Close"}));
    assert_eq!(json["sessionState"]["intent"]["name"], "FallbackIntent");
    assert_eq!(json["sessionState"]["intent"]["state"], "Fulfilled");
    assert_eq!(
        json["sessionState"]["sessionAttributes"]["streamingEndpoint"],
        event.session_state.attribute("streamingEndpoint").unwrap()
    );
    assert_eq!(json["requestAttributes"]["streamingTurnId"], "turn-000003");
    assert_eq!(
        json["messages"][0],
        serde_json::json!({"contentType": "CustomPayload", "content": "**Hello**"})
    );
}
