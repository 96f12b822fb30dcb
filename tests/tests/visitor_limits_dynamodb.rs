//! The per-visitor limits on the Lambdas' DynamoDB adapter, against real servers — moto and the
//! devstack's DynamoDB endpoint, the same test body on both: in-flight slots taken, renewed,
//! refused, taken over and freed with conditional writes; rate counters that stay exact under
//! concurrent `UpdateItem ADD`s (on the devstack, which serializes writes to an item as DynamoDB
//! does; moto does not — its threaded server lost concurrent adds now and then — so there the
//! adds run one after another); and the handlers (`$connect`, the fulfillment) refusing past
//! their limits with the table behind them.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeSet;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use lexstream_devstack::{DevstackConfig, RunningDevstack};
use lexstream_e2e::{MotoServer, create_connection_table};
use lexstream_lambda_core::answer_admission::Refusal;
use lexstream_lambda_core::aws::{
    AwsStreamingBackend, DynamoDbClient, DynamoDbConnectionStore, local_sdk_config,
};
use lexstream_lambda_core::config::{ConnectConfig, FulfillmentConfig, SessionBinding};
use lexstream_lambda_core::connect::handle_websocket_event;
use lexstream_lambda_core::fulfillment::handle_fulfillment;
use lexstream_lambda_core::testing::{RecordingPusher, ScriptedModel};
use lexstream_lambda_core::visitor_limits::{HoldOutcome, InFlightHold, VisitorLimitStore};
use lexstream_protocol::lex::{CodeHookEvent, CodeHookResponse};

const TABLE: &str = "lexstream-connections";
const VISITOR: &str = "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";

/// A moto server with the connection table.
async fn moto() -> (MotoServer, DynamoDbClient) {
    let moto = MotoServer::start().await.unwrap();
    let client = DynamoDbClient::new(&local_sdk_config(&moto.url).await);
    create_connection_table(&client, TABLE).await.unwrap();
    (moto, client)
}

/// A devstack with the connection table created through its own DynamoDB endpoint.
async fn devstack() -> (RunningDevstack, DynamoDbClient) {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        table_name: "devstack-own-connections".into(),
        ..DevstackConfig::default()
    };
    let devstack = lexstream_devstack::spawn(config).await.unwrap();
    let client = DynamoDbClient::new(&local_sdk_config(&devstack.url()).await);
    create_connection_table(&client, TABLE).await.unwrap();
    (devstack, client)
}

#[tokio::test]
async fn in_flight_slots_and_rate_counters_on_moto() {
    let (_moto, client) = moto().await;
    in_flight_slots_and_rate_counters(client, Adds::OneAfterAnother).await;
}

#[tokio::test]
async fn in_flight_slots_and_rate_counters_on_the_devstack() {
    let (devstack, client) = devstack().await;
    in_flight_slots_and_rate_counters(client, Adds::AllAtOnce).await;
    devstack.stop();
}

/// How the counter test sends its adds: all at once where the server serializes writes to an
/// item as DynamoDB does, one after another where it does not (moto).
#[derive(Clone, Copy)]
enum Adds {
    AllAtOnce,
    OneAfterAnother,
}

async fn in_flight_slots_and_rate_counters(client: DynamoDbClient, adds: Adds) {
    let store = DynamoDbConnectionStore::new(client.clone(), TABLE);
    let now = 1_900_000_000;
    let hold = |turn: &str, expires_at: i64| InFlightHold {
        session_id: "us-east-1:abc".into(),
        turn: turn.into(),
        expires_at,
    };
    assert_eq!(store.hold_in_flight(&hold("t1", now + 55), None, now).await.unwrap(), HoldOutcome::Held);
    assert_eq!(store.hold_in_flight(&hold("t1", now + 60), None, now + 5).await.unwrap(), HoldOutcome::Held);
    assert_eq!(
        store.hold_in_flight(&hold("t2", now + 66), None, now + 6).await.unwrap(),
        HoldOutcome::HeldBy("t1".into())
    );
    // The slot's item: a key no session id can take, the holder and a TTL.
    let item = client
        .get_item()
        .table_name(TABLE)
        .key("sessionId", AttributeValue::S("inflight#us-east-1:abc".into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["turnId"], AttributeValue::S("t1".into()));
    assert_eq!(item["ttl"], AttributeValue::N((now + 60).to_string()));
    assert_eq!(item["boundSessionId"], AttributeValue::S("us-east-1:abc".into()));
    // A holder known to be finished is taken over; an expired hold is free.
    assert_eq!(
        store.hold_in_flight(&hold("t2", now + 66), Some("t1"), now + 6).await.unwrap(),
        HoldOutcome::Held
    );
    assert_eq!(
        store.hold_in_flight(&hold("t3", now + 200), None, now + 67).await.unwrap(),
        HoldOutcome::Held
    );
    // Only the holder frees it.
    store.release_in_flight("us-east-1:abc", "t2").await.unwrap();
    assert_eq!(
        store.hold_in_flight(&hold("t4", now + 200), None, now + 68).await.unwrap(),
        HoldOutcome::HeldBy("t3".into())
    );
    store.release_in_flight("us-east-1:abc", "t3").await.unwrap();
    assert_eq!(
        store.hold_in_flight(&hold("t4", now + 200), None, now + 68).await.unwrap(),
        HoldOutcome::Held
    );

    // Counters: each add gets its own count (atomic under concurrent adds where the server
    // serializes them), absent reads as 0.
    let key = "rate#answer#us-east-1:abc#31666666";
    assert_eq!(store.hits(key).await.unwrap(), 0);
    let mut counts = BTreeSet::new();
    match adds {
        Adds::AllAtOnce => {
            let adds = (0..20).map(|_| store.add_hit(key, now + 120));
            counts.extend(futures_util::future::join_all(adds).await.into_iter().map(Result::unwrap));
        }
        Adds::OneAfterAnother => {
            for _ in 0..20 {
                counts.insert(store.add_hit(key, now + 120).await.unwrap());
            }
        }
    }
    assert_eq!(counts, (1..=20).collect(), "each add got its own count");
    assert_eq!(store.hits(key).await.unwrap(), 20);
    let item = client
        .get_item()
        .table_name(TABLE)
        .key("sessionId", AttributeValue::S(key.into()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(
        (&item["hits"], &item["ttl"]),
        (&AttributeValue::N("20".into()), &AttributeValue::N((now + 120).to_string()))
    );
}

/// The `$connect` fixture (the visitor with their Cognito identity) as `connection`.
fn connect_json(connection: &str) -> serde_json::Value {
    let fixture =
        format!("{}/../server-lambdas/core/tests/fixtures/apigw_ws_connect.json", env!("CARGO_MANIFEST_DIR"));
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    json["requestContext"]["connectionId"] = connection.into();
    json
}

fn question(turn: &str) -> CodeHookEvent {
    let fixture =
        format!("{}/../protocol/tests/fixtures/lex_event_fallback.json", env!("CARGO_MANIFEST_DIR"));
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    json["sessionId"] = VISITOR.into();
    json["requestAttributes"] = serde_json::json!({ "streamingTurnId": turn });
    serde_json::from_value(json).unwrap()
}

fn answer_of(response: &CodeHookResponse) -> String {
    response.messages.as_ref().unwrap()[0].content.clone().unwrap()
}

#[tokio::test]
async fn the_handlers_refuse_past_their_limits_with_the_table_on_moto() {
    let (_moto, client) = moto().await;
    the_handlers_refuse_past_their_limits(client).await;
}

#[tokio::test]
async fn the_handlers_refuse_past_their_limits_with_the_table_on_the_devstack() {
    let (devstack, client) = devstack().await;
    the_handlers_refuse_past_their_limits(client).await;
    devstack.stop();
}

async fn the_handlers_refuse_past_their_limits(client: DynamoDbClient) {
    // `$connect`: two a minute, the third is refused with 429.
    let store = DynamoDbConnectionStore::new(client.clone(), TABLE);
    let config = ConnectConfig {
        table_name: TABLE.into(),
        session_binding: SessionBinding::RequireIdentity,
        ttl_seconds: 7500,
        connects_per_minute: 2,
    };
    let no_posts = |_: &str| RecordingPusher::default();
    let mut statuses = Vec::new();
    for connection in ["c1", "c2", "c3"] {
        let event = serde_json::from_value(connect_json(connection)).unwrap();
        statuses.push(handle_websocket_event(event, &store, &no_posts, &config).await.status_code);
    }
    assert_eq!(statuses, [200, 200, 429]);

    // The fulfillment: a second question while one is generated is refused; then two answers a
    // minute, the third refused.
    let sdk_config = local_sdk_config("http://127.0.0.1:9").await;
    let backend = AwsStreamingBackend::with_dynamodb(&sdk_config, client);
    let config = FulfillmentConfig::from_lookup(|name: &str| match name {
        "BEDROCK_MODEL_ID" => Some("m".to_owned()),
        "STREAMING_TABLE" => Some(TABLE.to_owned()),
        "ANSWERS_PER_IDENTITY_PER_MINUTE" => Some("2".to_owned()),
        _ => None,
    })
    .unwrap();
    let model = ScriptedModel::chunks(&["Slow ", "answer."], Duration::from_millis(400));
    let impatient = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        handle_fulfillment(question("turn-2"), &model, &backend, &config).await
    };
    let (first, second) =
        tokio::join!(handle_fulfillment(question("turn-1"), &model, &backend, &config), impatient);
    assert_eq!(answer_of(&first), "Slow answer.");
    assert_eq!(answer_of(&second), Refusal::Busy.visitor_message());
    let third = handle_fulfillment(question("turn-3"), &model, &backend, &config).await;
    assert_eq!(answer_of(&third), "Slow answer.");
    let fourth = handle_fulfillment(question("turn-4"), &model, &backend, &config).await;
    assert_eq!(answer_of(&fourth), Refusal::TooFrequent.visitor_message());
    assert_eq!(model.requests().len(), 2);
}
