//! The handlers called with events shaped as API Gateway and Lex send them.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::encodings::Body;
use lexstream_lambda_core::config::{ConnectConfig, FulfillmentConfig, SessionBinding};
use lexstream_lambda_core::connect::handle_websocket_event;
use lexstream_lambda_core::fulfillment::handle_fulfillment;
use lexstream_lambda_core::history::{self, HISTORY_ATTRIBUTE};
use lexstream_lambda_core::memory::MemoryConnectionStore;
use lexstream_lambda_core::ports::{ConnectionRecord, ConnectionStore, Role};
use lexstream_lambda_core::testing::{InMemoryBackend, ScriptedModel};
use lexstream_lambda_core::{ModelError, ModelErrorKind};
use lexstream_protocol::StreamAssembler;
use lexstream_protocol::lex::{CodeHookEvent, DialogActionType, IntentState, MessageContentType};

const VISITOR: &str = "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";
const CONNECTION: &str = "CgL1NeL1IAMCK5Q=";

fn fixture(path: &str) -> serde_json::Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))).unwrap()
}

fn websocket_event(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> ApiGatewayWebsocketProxyRequest {
    let mut json = fixture(&format!("tests/fixtures/{name}"));
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

fn connect_config(binding: SessionBinding) -> ConnectConfig {
    ConnectConfig { table_name: "t".into(), session_binding: binding, ttl_seconds: 7500 }
}

fn body_text(body: Option<Body>) -> String {
    match body {
        Some(Body::Text(text)) => text,
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn connect_records_the_session_bound_to_the_callers_identity() {
    let store = MemoryConnectionStore::default();
    let event = websocket_event("apigw_ws_connect.json", |_| {});
    let response =
        handle_websocket_event(event, &store, &connect_config(SessionBinding::RequireIdentity)).await;
    assert_eq!(response.status_code, 200);
    let record = store.get(VISITOR).await.unwrap().unwrap();
    assert_eq!(record.connection_id, CONNECTION);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now + 7400..=now + 7600).contains(&record.ttl), "ttl {} is ~2 h from now", record.ttl);
}

#[tokio::test]
async fn another_visitors_session_id_is_refused() {
    let store = MemoryConnectionStore::default();
    let event = websocket_event("apigw_ws_connect.json", |json| {
        json["queryStringParameters"]["sessionId"] = "us-east-1:someone-else".into();
    });
    let response = handle_websocket_event(event, &store, &connect_config(SessionBinding::WhenPresent)).await;
    assert_eq!(response.status_code, 403);
    assert!(body_text(response.body).contains("does not belong"));
    assert_eq!(store.get("us-east-1:someone-else").await.unwrap(), None, "nothing recorded");
}

#[tokio::test]
async fn identity_binding_modes_treat_anonymous_callers_as_documented() {
    let anonymous = || {
        websocket_event("apigw_ws_connect.json", |json| {
            json["requestContext"]["identity"] = serde_json::json!({"sourceIp": "203.0.113.7"});
            json["queryStringParameters"]["sessionId"] = "anon-session-1".into();
        })
    };
    let store = MemoryConnectionStore::default();
    let required =
        handle_websocket_event(anonymous(), &store, &connect_config(SessionBinding::RequireIdentity)).await;
    assert_eq!(required.status_code, 403);
    let optional =
        handle_websocket_event(anonymous(), &store, &connect_config(SessionBinding::WhenPresent)).await;
    assert_eq!(optional.status_code, 200);
    let off = handle_websocket_event(
        websocket_event("apigw_ws_connect.json", |json| {
            json["queryStringParameters"]["sessionId"] = "any-1".into();
        }),
        &store,
        &connect_config(SessionBinding::Off),
    )
    .await;
    assert_eq!(off.status_code, 200);
}

#[tokio::test]
async fn malformed_or_missing_session_ids_get_400_with_the_reason() {
    let store = MemoryConnectionStore::default();
    let config = connect_config(SessionBinding::Off);
    let bad = websocket_event("apigw_ws_connect.json", |json| {
        json["queryStringParameters"]["sessionId"] = "a b".into();
    });
    let response = handle_websocket_event(bad, &store, &config).await;
    assert_eq!(response.status_code, 400);
    assert!(body_text(response.body).contains("may only contain"));
    let missing = websocket_event("apigw_ws_connect.json", |json| {
        json["queryStringParameters"] = serde_json::json!({});
        json["multiValueQueryStringParameters"] = serde_json::json!({});
    });
    let response = handle_websocket_event(missing, &store, &config).await;
    assert_eq!(response.status_code, 400);
    assert!(body_text(response.body).contains("missing sessionId"));
}

#[tokio::test]
async fn disconnect_removes_the_row_unless_a_newer_tab_took_the_session() {
    let store = MemoryConnectionStore::default();
    let config = connect_config(SessionBinding::RequireIdentity);
    handle_websocket_event(websocket_event("apigw_ws_connect.json", |_| {}), &store, &config).await;
    // A second tab connects for the same session.
    let newer = websocket_event("apigw_ws_connect.json", |json| {
        json["requestContext"]["connectionId"] = "NEWER=".into();
    });
    handle_websocket_event(newer, &store, &config).await;
    // The first tab's connection closes: the newer tab keeps its row.
    let response =
        handle_websocket_event(websocket_event("apigw_ws_disconnect.json", |_| {}), &store, &config).await;
    assert_eq!(response.status_code, 200);
    assert_eq!(store.get(VISITOR).await.unwrap().unwrap().connection_id, "NEWER=");
    // The newer tab closes: the row goes.
    let closing = websocket_event("apigw_ws_disconnect.json", |json| {
        json["requestContext"]["connectionId"] = "NEWER=".into();
    });
    handle_websocket_event(closing, &store, &config).await;
    assert_eq!(store.get(VISITOR).await.unwrap(), None);
}

#[tokio::test]
async fn ping_is_answered() {
    let store = MemoryConnectionStore::default();
    let ping =
        websocket_event("apigw_ws_connect.json", |json| json["requestContext"]["routeKey"] = "ping".into());
    assert_eq!(
        handle_websocket_event(ping, &store, &connect_config(SessionBinding::Off)).await.status_code,
        200
    );
}

#[tokio::test]
async fn stop_marks_the_turn_on_the_connections_own_session_only() {
    let store = MemoryConnectionStore::default();
    let config = connect_config(SessionBinding::RequireIdentity);
    handle_websocket_event(websocket_event("apigw_ws_connect.json", |_| {}), &store, &config).await;
    let stop = |connection: &'static str, body: &'static str| {
        websocket_event("apigw_ws_connect.json", move |json| {
            json["requestContext"]["routeKey"] = "stop".into();
            json["requestContext"]["connectionId"] = connection.into();
            json["body"] = body.into();
        })
    };
    let answer =
        handle_websocket_event(stop("NEWER=", r#"{"action":"stop","turn":"t-9"}"#), &store, &config).await;
    assert_eq!(answer.status_code, 404, "a connection with no session stops nothing");
    assert_eq!(store.get(VISITOR).await.unwrap().unwrap().stop_turn, None);

    let connection = store.get(VISITOR).await.unwrap().unwrap().connection_id;
    let connection: &'static str = Box::leak(connection.into_boxed_str());
    let bad = handle_websocket_event(stop(connection, r#"{"action":"stop"}"#), &store, &config).await;
    assert_eq!(bad.status_code, 400);
    let answer =
        handle_websocket_event(stop(connection, r#"{"action":"stop","turn":"t-9"}"#), &store, &config).await;
    assert_eq!(answer.status_code, 200, "{}", body_text(answer.body));
    assert_eq!(store.get(VISITOR).await.unwrap().unwrap().stop_turn.as_deref(), Some("t-9"));
}

// ---- fulfillment ----

fn lex_event(edit: impl FnOnce(&mut serde_json::Value)) -> CodeHookEvent {
    let mut json = fixture("../../protocol/tests/fixtures/lex_event_fallback.json");
    json["sessionId"] = VISITOR.into();
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

fn fulfillment_config() -> FulfillmentConfig {
    FulfillmentConfig::from_lookup(|name: &str| (name == "BEDROCK_MODEL_ID").then(|| "test-model".to_owned()))
        .unwrap()
}

async fn backend_with_connection() -> InMemoryBackend {
    let backend = InMemoryBackend::default();
    let record = ConnectionRecord {
        session_id: VISITOR.into(),
        connection_id: CONNECTION.into(),
        ttl: 0,
        stop_turn: None,
    };
    backend.store.put(&record).await.unwrap();
    backend
}

#[tokio::test(start_paused = true)]
async fn fulfillment_streams_the_answer_and_closes_with_the_whole_markdown() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["**Streaming** ", "works ", "fine."], Duration::from_millis(30));
    let response = handle_fulfillment(lex_event(|_| {}), &model, &backend, &fulfillment_config()).await;

    let state = &response.session_state;
    assert_eq!(state.dialog_action.as_ref().unwrap().action_type, DialogActionType::Close);
    assert_eq!(state.intent.as_ref().unwrap().state, Some(IntentState::Fulfilled));
    let message = &response.messages.as_ref().unwrap()[0];
    assert_eq!(message.content_type, MessageContentType::CustomPayload);
    assert_eq!(message.content.as_deref(), Some("**Streaming** works fine."));
    // Lex expects the session attributes back; streaming ones are kept.
    assert!(state.attribute("streamingEndpoint").is_some());

    let mut turn = StreamAssembler::new("turn-000003");
    for raw in backend.pusher.received(CONNECTION) {
        if let lexstream_protocol::Incoming::Frame(frame) = lexstream_protocol::parse_incoming(&raw) {
            turn.accept(frame);
        }
    }
    assert_eq!(turn.text(), "**Streaming** works fine.", "frames carry the request's streamingTurnId");
    assert!(turn.is_complete());

    let requests = model.requests();
    assert_eq!(requests[0].model_id, "test-model");
    assert_eq!(
        requests[0].messages.last().unwrap().text,
        "what's the best way to stream a long answer back to me?"
    );
}

#[tokio::test(start_paused = true)]
async fn the_conversation_history_carries_into_the_next_turn() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["Paris."], Duration::from_millis(1));
    let config = fulfillment_config();
    let first = handle_fulfillment(
        lex_event(|json| json["inputTranscript"] = "Capital of France?".into()),
        &model,
        &backend,
        &config,
    )
    .await;
    let carried = first.session_state.attribute(HISTORY_ATTRIBUTE).unwrap().to_owned();
    handle_fulfillment(
        lex_event(|json| {
            json["inputTranscript"] = "And its population?".into();
            json["sessionState"]["sessionAttributes"][HISTORY_ATTRIBUTE] = carried.clone().into();
        }),
        &model,
        &backend,
        &config,
    )
    .await;
    let second_request = &model.requests()[1];
    let texts: Vec<(Role, &str)> =
        second_request.messages.iter().map(|m| (m.role, m.text.as_str())).collect();
    assert_eq!(
        texts,
        vec![
            (Role::User, "Capital of France?"),
            (Role::Assistant, "Paris."),
            (Role::User, "And its population?")
        ]
    );
    assert!(history::decode(Some(&carried)).len() == 2);
}

#[tokio::test(start_paused = true)]
async fn without_streaming_attributes_the_same_answer_comes_back_unstreamed() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["Same ", "answer."], Duration::from_millis(5));
    let event = lex_event(|json| json["sessionState"]["sessionAttributes"] = serde_json::json!({}));
    let response = handle_fulfillment(event, &model, &backend, &fulfillment_config()).await;
    assert_eq!(response.messages.unwrap()[0].content.as_deref(), Some("Same answer."));
    assert!(backend.pusher.received(CONNECTION).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_throttled_model_yields_a_readable_failed_answer_and_an_error_frame() {
    let backend = backend_with_connection().await;
    let mut model = ScriptedModel::chunks(&[], Duration::ZERO);
    model.refuse = Some(ModelError::new(ModelErrorKind::Throttled, "ThrottlingException: slow down"));
    let response = handle_fulfillment(lex_event(|_| {}), &model, &backend, &fulfillment_config()).await;
    assert_eq!(response.session_state.intent.as_ref().unwrap().state, Some(IntentState::Failed));
    let answer = response.messages.unwrap()[0].content.clone().unwrap();
    assert!(answer.contains("busy"), "{answer}");
    let frames = backend.pusher.received(CONNECTION);
    assert_eq!(frames.len(), 1);
    assert!(frames[0].contains("\"type\":\"error\""), "{}", frames[0]);
}

#[tokio::test(start_paused = true)]
async fn streaming_targets_outside_the_configured_ones_are_not_used() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["ok"], Duration::from_millis(1));
    let mut config = fulfillment_config();
    config.allowed_table = Some("the-real-table".into());
    let response = handle_fulfillment(lex_event(|_| {}), &model, &backend, &config).await;
    assert_eq!(response.messages.unwrap()[0].content.as_deref(), Some("ok"));
    assert!(backend.pusher.received(CONNECTION).is_empty(), "a client-chosen table is not trusted");
}
