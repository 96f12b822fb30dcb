//! The Lambdas' AWS adapters on the real AWS SDK clients, against real servers: DynamoDB on
//! moto and on the devstack's DynamoDB endpoint (the same test body on both), Bedrock
//! `ConverseStream` and API Gateway `@connections` on the devstack.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::StreamExt;
use lexstream_devstack::{DevstackConfig, Faults, RunningDevstack};
use lexstream_e2e::{MotoServer, create_connection_table};
use lexstream_lambda_core::aws::{
    ApiGatewayPusher, AwsStreamingBackend, BedrockClient, BedrockModel, DynamoDbClient,
    DynamoDbConnectionStore, local_sdk_config,
};
use lexstream_lambda_core::config::{ConnectConfig, FulfillmentConfig, SessionBinding};
use lexstream_lambda_core::connect::handle_websocket_event;
use lexstream_lambda_core::fulfillment::handle_fulfillment;
use lexstream_lambda_core::ports::TextDeltas;
use lexstream_lambda_core::ports::{
    ChatMessage, ConnectionPusher, ConnectionRecord, ConnectionStore, ModelRequest, ModelStream, Role,
};
use lexstream_lambda_core::turns::{MAX_RECORD_TEXT_BYTES, TurnClaim, TurnRecord, TurnStatus, TurnStore};
use lexstream_lambda_core::{ModelError, ModelErrorKind, PushError};
use lexstream_protocol::lex::{CodeHookEvent, IntentState, Message, MessageContentType};
use lexstream_protocol::{Incoming, StreamAssembler, parse_incoming};

/// Drains a model stream: the text, and the error that ended it if any.
async fn collect_text(mut deltas: TextDeltas) -> (String, Option<ModelError>) {
    let mut text = String::new();
    while let Some(item) = deltas.next().await {
        match item {
            Ok(delta) => text.push_str(&delta),
            Err(error) => return (text, Some(error)),
        }
    }
    (text, None)
}

const TABLE: &str = "lexstream-connections";

async fn devstack() -> RunningDevstack {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        model: lexstream_devstack::bedrock::DemoModelSettings { token_interval: Duration::from_millis(2) },
        ..DevstackConfig::default()
    };
    lexstream_devstack::spawn(config).await.unwrap()
}

/// A moto server with the connection table created as the template creates it.
async fn dynamodb() -> (MotoServer, DynamoDbClient) {
    let moto = MotoServer::start().await.unwrap();
    let client = DynamoDbClient::new(&local_sdk_config(&moto.url).await);
    create_connection_table(&client, TABLE).await.unwrap();
    (moto, client)
}

/// A devstack with the connection table created through its own DynamoDB endpoint, as the
/// template creates it (the devstack's own table gets another name, so `TABLE` is free).
async fn devstack_dynamodb() -> (RunningDevstack, DynamoDbClient) {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        table_name: "devstack-own-connections".into(),
        dynamodb_endpoint: None,
        ..DevstackConfig::default()
    };
    let devstack = lexstream_devstack::spawn(config).await.unwrap();
    let client = DynamoDbClient::new(&local_sdk_config(&devstack.url()).await);
    create_connection_table(&client, TABLE).await.unwrap();
    (devstack, client)
}

fn model_request(question: &str) -> ModelRequest {
    ModelRequest {
        model_id: "anthropic.claude-3-haiku-20240307-v1:0".into(),
        system: Some("be brief".into()),
        messages: vec![ChatMessage { role: Role::User, text: question.into() }],
        max_tokens: 256,
        temperature: 0.2,
    }
}

#[tokio::test]
async fn dynamodb_store_keeps_the_lex_web_ui_table_shape_and_deletes_conditionally_on_moto() {
    let (_moto, client) = dynamodb().await;
    store_keeps_the_lex_web_ui_table_shape_and_deletes_conditionally(client).await;
}

#[tokio::test]
async fn dynamodb_store_keeps_the_lex_web_ui_table_shape_and_deletes_conditionally_on_the_devstack() {
    let (devstack, client) = devstack_dynamodb().await;
    store_keeps_the_lex_web_ui_table_shape_and_deletes_conditionally(client).await;
    devstack.stop();
}

/// The adapter's behaviour on whichever DynamoDB `client` talks to (with `TABLE` created).
async fn store_keeps_the_lex_web_ui_table_shape_and_deletes_conditionally(client: DynamoDbClient) {
    let store = DynamoDbConnectionStore::new(client.clone(), TABLE);
    let record = ConnectionRecord {
        session_id: "us-east-1:abc".into(),
        connection_id: "Conn1=".into(),
        ttl: 1_900_000_000,
        stop_turn: None,
    };
    store.put(&record).await.unwrap();

    // The row is exactly what an existing Lex Web UI fulfillment reads.
    let item = client
        .get_item()
        .table_name(TABLE)
        .key("sessionId", AttributeValue::S("us-east-1:abc".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["connectionId"], AttributeValue::S("Conn1=".into()));
    assert_eq!(item["ttl"], AttributeValue::N("1900000000".into()));

    assert_eq!(store.get("us-east-1:abc").await.unwrap(), Some(record.clone()));
    assert_eq!(store.session_of("Conn1=").await.unwrap().as_deref(), Some("us-east-1:abc"));
    assert_eq!(store.get("nobody").await.unwrap(), None);

    // A stop request from the row's connection is kept on the row and read back.
    assert!(store.request_stop_if_current("us-east-1:abc", "Conn1=", "turn-7").await.unwrap());
    let stopping = store.get("us-east-1:abc").await.unwrap().unwrap();
    assert_eq!(stopping, ConnectionRecord { stop_turn: Some("turn-7".into()), ..record.clone() });

    // A newer tab takes the session; the old connection's stop and delete leave it alone.
    let newer = ConnectionRecord { connection_id: "Conn2=".into(), ..record };
    store.put(&newer).await.unwrap();
    assert!(!store.request_stop_if_current("us-east-1:abc", "Conn1=", "turn-8").await.unwrap());
    assert_eq!(store.get("us-east-1:abc").await.unwrap(), Some(newer.clone()), "untouched");
    assert!(!store.delete_if_current("us-east-1:abc", "Conn1=").await.unwrap());
    assert_eq!(store.get("us-east-1:abc").await.unwrap().unwrap().connection_id, "Conn2=");
    assert!(store.delete_if_current("us-east-1:abc", "Conn2=").await.unwrap());
    assert_eq!(store.get("us-east-1:abc").await.unwrap(), None);
    // A stop after the row is gone does not bring it back.
    assert!(!store.request_stop_if_current("us-east-1:abc", "Conn2=", "turn-9").await.unwrap());
    assert_eq!(store.get("us-east-1:abc").await.unwrap(), None);
}

#[tokio::test]
async fn dynamodb_turn_records_claim_once_and_keep_the_answer_on_moto() {
    let (_moto, client) = dynamodb().await;
    turn_records_claim_once_and_keep_the_answer(client).await;
}

#[tokio::test]
async fn dynamodb_turn_records_claim_once_and_keep_the_answer_on_the_devstack() {
    let (devstack, client) = devstack_dynamodb().await;
    turn_records_claim_once_and_keep_the_answer(client).await;
    devstack.stop();
}

/// The turn store's behaviour on whichever DynamoDB `client` talks to (with `TABLE` created).
async fn turn_records_claim_once_and_keep_the_answer(client: DynamoDbClient) {
    let store = DynamoDbConnectionStore::new(client.clone(), TABLE);
    let session = "us-east-1:abc";
    let now = 1_900_000_000;
    let claimed = TurnRecord::claimed(session, "turn-7", now, now + 86_400);

    // One claim wins; the next finds the record as it stands.
    assert_eq!(store.claim(&claimed).await.unwrap(), TurnClaim::Claimed);
    assert_eq!(store.claim(&claimed).await.unwrap(), TurnClaim::Taken(claimed.clone()));

    // A checkpoint, then the finished record with the Lex messages.
    let checkpoint =
        TurnRecord { text: "Hello, wor".into(), text_seq: Some(3), next_seq: 4, ..claimed.clone() };
    store.save_turn(&checkpoint).await.unwrap();
    assert_eq!(store.turn(session, "turn-7").await.unwrap(), Some(checkpoint.clone()));
    let finished = TurnRecord {
        status: TurnStatus::Done,
        text: "Hello, world — \"quoted\" & done".into(),
        text_seq: Some(5),
        next_seq: 7,
        messages: Some(vec![Message::text(MessageContentType::CustomPayload, "Hello, **world**")]),
        updated_at: now + 3,
        ..claimed.clone()
    };
    store.save_turn(&finished).await.unwrap();
    assert_eq!(store.turn(session, "turn-7").await.unwrap(), Some(finished.clone()));
    assert_eq!(store.claim(&claimed).await.unwrap(), TurnClaim::Taken(finished));
    assert_eq!(store.turn(session, "turn-8").await.unwrap(), None);
    assert_eq!(store.turn("us-east-1:other", "turn-7").await.unwrap(), None, "turns are per session");

    // The row: a key no session id can take, with a TTL; the session's own row is untouched.
    let item = client
        .get_item()
        .table_name(TABLE)
        .key("sessionId", AttributeValue::S("turn#us-east-1:abc#turn-7".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["ttl"], AttributeValue::N((now + 86_400).to_string()));
    assert_eq!(item["status"], AttributeValue::S("done".into()));
    assert_eq!(store.get(session).await.unwrap(), None, "no connection row appears");

    // A record past its TTL that DynamoDB has not swept yet can be claimed again.
    let stale = TurnRecord::claimed(session, "turn-old", now - 90_000, now - 3_600);
    store.save_turn(&stale).await.unwrap();
    let fresh = TurnRecord::claimed(session, "turn-old", now, now + 86_400);
    assert_eq!(store.claim(&fresh).await.unwrap(), TurnClaim::Claimed);

    // A record too large for an item is refused with a reason, not sent.
    let huge = TurnRecord { text: "x".repeat(MAX_RECORD_TEXT_BYTES + 1), ..claimed };
    assert!(store.save_turn(&huge).await.unwrap_err().to_string().contains("too large"));

    // The session's history.
    assert!(store.history(session).await.unwrap().is_empty());
    let history = vec![
        ChatMessage { role: Role::User, text: "Capital of France?".into() },
        ChatMessage { role: Role::Assistant, text: "Paris.".into() },
    ];
    let far_future = 4_000_000_000;
    store.save_history(session, &history, far_future).await.unwrap();
    assert_eq!(store.history(session).await.unwrap(), history);
    assert!(store.history("us-east-1:other").await.unwrap().is_empty());
    // An expired history (not swept yet) is no history.
    store.save_history(session, &history, 1_000).await.unwrap();
    assert!(store.history(session).await.unwrap().is_empty());
}

#[tokio::test]
async fn dynamodb_store_reports_a_missing_table_clearly_on_moto() {
    let (_moto, client) = dynamodb().await;
    store_reports_a_missing_table_clearly(client).await;
}

#[tokio::test]
async fn dynamodb_store_reports_a_missing_table_clearly_on_the_devstack() {
    let (devstack, client) = devstack_dynamodb().await;
    store_reports_a_missing_table_clearly(client).await;
    devstack.stop();
}

async fn store_reports_a_missing_table_clearly(client: DynamoDbClient) {
    let store = DynamoDbConnectionStore::new(client, "no-such-table");
    let error = store.get("s1").await.unwrap_err();
    assert!(error.to_string().contains("no-such-table"), "{error}");
    assert!(error.to_string().contains("ResourceNotFoundException"), "{error}");
}

#[tokio::test]
async fn ws_connect_handler_writes_through_the_real_dynamodb_adapter() {
    let (_moto, client) = dynamodb().await;
    let store = DynamoDbConnectionStore::new(client, TABLE);
    let config = ConnectConfig {
        table_name: TABLE.into(),
        session_binding: SessionBinding::RequireIdentity,
        ttl_seconds: 7500,
        connects_per_minute: lexstream_protocol::limits::DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE,
    };
    let fixture =
        format!("{}/../server-lambdas/core/tests/fixtures/apigw_ws_connect.json", env!("CARGO_MANIFEST_DIR"));
    let event = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let no_posts = |_: &str| lexstream_lambda_core::testing::RecordingPusher::default();
    let response = handle_websocket_event(event, &store, &no_posts, &config).await;
    assert_eq!(response.status_code, 200);
    let row = store.get("us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37").await.unwrap().unwrap();
    assert_eq!(row.connection_id, "CgL1NeL1IAMCK5Q=");
}

#[tokio::test]
async fn pusher_posts_through_the_management_api_and_sees_gone_and_too_large() {
    let devstack = devstack().await;
    let mut inbox = devstack.state.connections.register("L0SM9cOFvHcCIhw=", "127.0.0.1", "test");
    let pusher = ApiGatewayPusher::new(&local_sdk_config(&devstack.url()).await, &devstack.stage_url());

    pusher.push("L0SM9cOFvHcCIhw=", br#"{"type":"chunk","turn":"t","seq":0,"text":"hi"}"#).await.unwrap();
    assert_eq!(inbox.recv().await.unwrap(), r#"{"type":"chunk","turn":"t","seq":0,"text":"hi"}"#);

    assert_eq!(pusher.push("never-connected", b"x").await, Err(PushError::Gone("never-connected".into())));
    let too_large = pusher.push("L0SM9cOFvHcCIhw=", &vec![b'x'; 129 * 1024]).await;
    assert!(matches!(too_large, Err(PushError::TooLarge(_))), "{too_large:?}");

    devstack.state.faults.set(Faults { gone_on_post: true, ..Faults::default() });
    assert!(matches!(pusher.push("L0SM9cOFvHcCIhw=", b"x").await, Err(PushError::Gone(_))));
    devstack.stop();
}

#[tokio::test]
async fn bedrock_model_streams_the_demo_answer_through_the_real_sdk() {
    let devstack = devstack().await;
    let model = BedrockModel::new(BedrockClient::new(&local_sdk_config(&devstack.url()).await));
    let (text, error) = collect_text(model.stream(model_request("What is Lexstream?")).await.unwrap()).await;
    assert_eq!(error, None);
    assert!(text.starts_with("You asked: *What is Lexstream?*"), "{text}");
    assert!(text.contains("```rust"), "{text}");
    devstack.stop();
}

#[tokio::test]
async fn bedrock_errors_mid_stream_and_before_it_are_classified() {
    let devstack = devstack().await;
    let model = BedrockModel::new(BedrockClient::new(&local_sdk_config(&devstack.url()).await));

    devstack.state.faults.set(Faults { bedrock_throttle_after_chunks: Some(5), ..Faults::default() });
    let (text, error) = collect_text(model.stream(model_request("q")).await.unwrap()).await;
    assert!(!text.is_empty(), "five chunks arrived first");
    let error = error.unwrap();
    assert_eq!(error.kind, ModelErrorKind::Throttled, "{error:?}");

    devstack.state.faults.set(Faults { bedrock_fail_after_chunks: Some(2), ..Faults::default() });
    let (_, error) = collect_text(model.stream(model_request("q")).await.unwrap()).await;
    assert_eq!(error.unwrap().kind, ModelErrorKind::Failed);

    devstack.state.faults.set(Faults { bedrock_throttle: true, ..Faults::default() });
    let refused = model.stream(model_request("q")).await.err().unwrap();
    assert_eq!(refused.kind, ModelErrorKind::Throttled, "{refused:?}");
    devstack.stop();
}

#[tokio::test]
async fn fulfillment_streams_from_bedrock_to_the_connection_over_real_clients() {
    let devstack = devstack().await;
    let (_moto, dynamodb) = dynamodb().await;
    let connection_id = "Stream1=";
    let session_id = "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";
    let store = DynamoDbConnectionStore::new(dynamodb.clone(), TABLE);
    store
        .put(&ConnectionRecord {
            session_id: session_id.into(),
            connection_id: connection_id.into(),
            ttl: 1_900_000_000,
            stop_turn: None,
        })
        .await
        .unwrap();
    let mut inbox = devstack.state.connections.register(connection_id, "127.0.0.1", "test");

    let sdk_config = local_sdk_config(&devstack.url()).await;
    let model = BedrockModel::new(BedrockClient::new(&sdk_config));
    let backend = AwsStreamingBackend::with_dynamodb(&sdk_config, dynamodb);
    let config = FulfillmentConfig::from_lookup(|name: &str| match name {
        "BEDROCK_MODEL_ID" => Some("anthropic.claude-3-haiku-20240307-v1:0".to_owned()),
        "STREAMING_TABLE" => Some(TABLE.to_owned()),
        "STREAMING_ENDPOINT" => Some(devstack.stage_url()),
        _ => None,
    })
    .unwrap();

    let fixture =
        format!("{}/../protocol/tests/fixtures/lex_event_fallback.json", env!("CARGO_MANIFEST_DIR"));
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    json["sessionId"] = session_id.into();
    json["sessionState"]["sessionAttributes"]["streamingDynamoDbTable"] = TABLE.into();
    json["sessionState"]["sessionAttributes"]["streamingEndpoint"] =
        devstack.stage_url().replace("http://", "ws://").into();
    let event: CodeHookEvent = serde_json::from_value(json).unwrap();

    let response = handle_fulfillment(event, &model, &backend, &config).await;
    assert_eq!(response.session_state.intent.as_ref().unwrap().state, Some(IntentState::Fulfilled));
    // The turn's record and the session's history are in the table, through the real adapter.
    let record = store.turn(session_id, "turn-000003").await.unwrap().unwrap();
    assert_eq!(record.status, TurnStatus::Done);
    assert_eq!(record.messages, response.messages);
    assert_eq!(store.history(session_id).await.unwrap().len(), 2);
    let answer = response.messages.unwrap()[0].content.clone().unwrap();
    assert!(answer.contains("devstack demo model"), "{answer}");

    let mut turn = StreamAssembler::new("turn-000003");
    while let Ok(message) = inbox.try_recv() {
        match parse_incoming(&message) {
            Incoming::Frame(frame) => {
                turn.accept(frame);
            }
            other => panic!("not a frame: {other:?}"),
        }
    }
    assert!(turn.is_complete(), "the stream ended with done");
    assert_eq!(turn.text(), answer, "the widget saw exactly the final answer, streamed");
    devstack.stop();
}
