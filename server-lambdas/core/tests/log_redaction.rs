//! Identity ids are bearer secrets (an unauthenticated Cognito identity id alone gets
//! credentials) and are also the Lex session id and the AppSync channel's user segment: the logs
//! of a whole visit — `$connect`, a refused `$connect`, streamed answers with a reconnect, `stop`,
//! `resume`, `$disconnect`, an answer without a connection, and an AppSync chat — carry none of
//! them, only their keyed hash, so the lines still correlate.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use lexstream_lambda_core::appsync_chat::handle_chat;
use lexstream_lambda_core::config::{ChatConfig, ConnectConfig, ModelSettings, PublishAuth, SessionBinding};
use lexstream_lambda_core::connect::handle_websocket_event;
use lexstream_lambda_core::fulfillment::handle_fulfillment;
use lexstream_lambda_core::log_hash::hashed;
use lexstream_lambda_core::ports::{ConnectionRecord, ConnectionStore};
use lexstream_lambda_core::testing::{CapturedLogs, InMemoryBackend, RecordingPusher, ScriptedModel};
use lexstream_protocol::{resume_request, stop_request};

mod common;

use common::{CONNECTION, VISITOR, deployed_config, lex_event};

/// What identifies the visitor, in every form it takes: the identity id (the session id) and its
/// random part (the AppSync channel's user segment).
const VISITOR_RANDOM_PART: &str = "7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";
/// Another visitor, whose session the first one tries to connect to.
const OTHER_VISITOR: &str = "us-east-1:0b6f41aa-1111-2222-3333-444455556666";

fn websocket_event(edit: impl FnOnce(&mut serde_json::Value)) -> ApiGatewayWebsocketProxyRequest {
    let path = format!("{}/tests/fixtures/apigw_ws_connect.json", env!("CARGO_MANIFEST_DIR"));
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

/// A message on `connection` for `route`.
fn route_event(
    route: &'static str,
    connection: &'static str,
    body: String,
) -> ApiGatewayWebsocketProxyRequest {
    websocket_event(move |json| {
        json["requestContext"]["routeKey"] = route.into();
        json["requestContext"]["connectionId"] = connection.into();
        json["body"] = body.into();
    })
}

fn chat_config() -> ChatConfig {
    ChatConfig {
        model: ModelSettings {
            model_id: "m".into(),
            system_prompt: "s".into(),
            max_tokens: 100,
            temperature: 0.5,
            deadline: Duration::from_secs(5),
        },
        publish_endpoint: "http://127.0.0.1:1/event".into(),
        publish_auth: PublishAuth::ApiKey("k".into()),
        namespace: "chat".into(),
        user_binding: SessionBinding::RequireIdentity,
        limits_table: None,
        answers_per_minute: 0,
    }
}

#[tokio::test(start_paused = true)]
async fn a_whole_visit_logs_hashes_of_the_visitor_never_the_identity() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _capturing = tracing::subscriber::set_default(subscriber);

    let backend = InMemoryBackend::default();
    let store = &backend.store;
    let pusher_for = |_endpoint: &str| backend.pusher.clone();
    let connect_config = ConnectConfig {
        table_name: "t".into(),
        session_binding: SessionBinding::RequireIdentity,
        ttl_seconds: 7500,
        connects_per_minute: 0,
    };
    let fulfillment_config = deployed_config(&[]);
    let model = ScriptedModel::chunks(&["Streamed ", "answer."], Duration::from_millis(20));

    // `$connect`, and a `$connect` to another visitor's session (refused, and logged).
    let connected =
        handle_websocket_event(websocket_event(|_| {}), store, &pusher_for, &connect_config).await;
    assert_eq!(connected.status_code, 200);
    let foreign = websocket_event(|json| {
        json["queryStringParameters"]["sessionId"] = OTHER_VISITOR.into();
        json["multiValueQueryStringParameters"]["sessionId"] = serde_json::json!([OTHER_VISITOR]);
    });
    assert_eq!(handle_websocket_event(foreign, store, &pusher_for, &connect_config).await.status_code, 403);

    // A streamed answer.
    handle_fulfillment(lex_event(|_| {}), &model, &backend, &fulfillment_config).await;
    assert!(!backend.pusher.received(CONNECTION).is_empty(), "it streamed");

    // The connection drops during the next answer (its posts meet a 410) and the widget
    // reconnects: the stream moves to the new connection.
    backend.pusher.mark_gone(CONNECTION);
    let reconnect = async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let newer = ConnectionRecord {
            session_id: VISITOR.into(),
            connection_id: "NEWER=".into(),
            ttl: 0,
            stop_turn: None,
        };
        store.put(&newer).await.unwrap();
    };
    let second = lex_event(|json| json["requestAttributes"]["streamingTurnId"] = "turn-000004".into());
    tokio::join!(handle_fulfillment(second, &model, &backend, &fulfillment_config), reconnect);
    assert!(!backend.pusher.received("NEWER=").is_empty(), "the stream moved");

    // `stop`, `resume` and `$disconnect` on the new connection.
    let stop = route_event("stop", "NEWER=", stop_request("turn-000004"));
    assert_eq!(handle_websocket_event(stop, store, &pusher_for, &connect_config).await.status_code, 200);
    let resume = route_event("resume", "NEWER=", resume_request("turn-000003", None));
    assert_eq!(handle_websocket_event(resume, store, &pusher_for, &connect_config).await.status_code, 200);
    let disconnect = route_event("$disconnect", "NEWER=", String::new());
    assert_eq!(
        handle_websocket_event(disconnect, store, &pusher_for, &connect_config).await.status_code,
        200
    );

    // An answer with nobody connected.
    let third = lex_event(|json| json["requestAttributes"]["streamingTurnId"] = "turn-000005".into());
    handle_fulfillment(third, &model, &backend, &fulfillment_config).await;

    // The AppSync flow: the channel holds the identity's random part.
    let publisher = RecordingPusher::default();
    let chat = serde_json::json!({ "userId": VISITOR_RANDOM_PART, "prompt": "hi", "turnId": "chat-1" });
    let answer =
        handle_chat(&chat.to_string(), Some(VISITOR), &model, &publisher, Some(store), &chat_config()).await;
    assert_eq!(answer.status, 200, "{}", answer.body);

    let logs = logs.text();
    for step in [
        "\"connected\"",
        "connection refused",
        "turn answered",
        "widget reconnected; moving the stream",
        "stop requested",
        "\"resumed\"",
        "disconnected; row removed",
        "no connection recorded",
        "chat answered",
    ] {
        assert!(logs.contains(step), "the visit logged {step:?}:\n{logs}");
    }
    for secret in [VISITOR, VISITOR_RANDOM_PART, OTHER_VISITOR, "0b6f41aa-1111-2222-3333-444455556666"] {
        assert!(!logs.contains(secret), "{secret} appears in the logs:\n{logs}");
    }
    let visitor = hashed(VISITOR).to_string();
    let lines_with_the_visitor = logs.lines().filter(|line| line.contains(&visitor)).count();
    assert!(
        lines_with_the_visitor >= 6,
        "the visitor's lines correlate by its hash ({lines_with_the_visitor}):\n{logs}"
    );
    assert!(logs.contains(&hashed(OTHER_VISITOR).to_string()), "the refused session, hashed");
    assert!(
        logs.contains(&hashed(&format!("/chat/{VISITOR_RANDOM_PART}")).to_string()),
        "the channel, hashed"
    );
}
