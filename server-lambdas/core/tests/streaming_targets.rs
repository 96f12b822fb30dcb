//! Streaming fails closed: the fulfillment streams only through the table and the stage the
//! deployment configured, named exactly by the session. A foreign table, a foreign host, plain
//! http to a remote host, or a deployment without the settings: each answer comes back whole,
//! unstreamed, without a post and without reading a table the visitor chose.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use lexstream_lambda_core::config::FulfillmentConfig;
use lexstream_lambda_core::fulfillment::handle_fulfillment;
use lexstream_lambda_core::ports::ChatMessage;
use lexstream_lambda_core::ports::Role;
use lexstream_lambda_core::testing::{InMemoryBackend, ScriptedModel};
use lexstream_lambda_core::turns::TurnStore;
use lexstream_protocol::lex::CodeHookEvent;

mod common;

use common::{CONNECTION, STAGE, TABLE, VISITOR, backend_with_connection, deployed_config, lex_event};

/// The fixture event with `streamingDynamoDbTable` = `table` and `streamingEndpoint` = `endpoint`.
fn asking_to_stream(table: &str, endpoint: &str) -> CodeHookEvent {
    lex_event(|json| {
        json["sessionState"]["sessionAttributes"]["streamingDynamoDbTable"] = table.into();
        json["sessionState"]["sessionAttributes"]["streamingEndpoint"] = endpoint.into();
    })
}

/// Answers `event` with `config`; asserts the answer came back whole and nothing was posted, and
/// returns the tables and endpoints the fulfillment asked the backend for.
async fn answered_without_streaming(
    backend: &InMemoryBackend,
    event: CodeHookEvent,
    config: &FulfillmentConfig,
) -> Vec<String> {
    let model = ScriptedModel::chunks(&["Whole ", "answer."], Duration::from_millis(5));
    let response = handle_fulfillment(event, &model, backend, config).await;
    let answer = response.messages.unwrap()[0].content.clone().unwrap();
    assert_eq!(answer, "Whole answer.");
    assert!(backend.pusher.received(CONNECTION).is_empty(), "nothing was posted");
    backend.requested.lock().unwrap().clone()
}

#[tokio::test(start_paused = true)]
async fn the_configured_table_and_stage_stream_to_the_configured_url() {
    let backend = backend_with_connection().await;
    let event = asking_to_stream(TABLE, "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod");
    let model = ScriptedModel::chunks(&["Streamed."], Duration::from_millis(5));
    handle_fulfillment(event, &model, &backend, &deployed_config(&[])).await;
    assert!(!backend.pusher.received(CONNECTION).is_empty(), "it streamed");
    let requested = backend.requested.lock().unwrap().clone();
    assert!(
        requested.contains(&format!("endpoint:{}", STAGE.replace("wss://", "https://"))),
        "{requested:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_foreign_table_is_neither_read_nor_streamed_through() {
    let backend = backend_with_connection().await;
    let event = asking_to_stream(
        "someone-elses-table",
        "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
    );
    let requested = answered_without_streaming(&backend, event, &deployed_config(&[])).await;
    assert_eq!(requested, [format!("table:{TABLE}")], "only the configured table, for the turn's record");
}

#[tokio::test(start_paused = true)]
async fn a_foreign_host_gets_no_post() {
    let backend = backend_with_connection().await;
    let event = asking_to_stream(TABLE, "https://attacker.example/prod");
    let requested = answered_without_streaming(&backend, event, &deployed_config(&[])).await;
    assert!(requested.iter().all(|name| !name.starts_with("endpoint:")), "{requested:?}");
}

#[tokio::test(start_paused = true)]
async fn plain_http_to_a_remote_host_is_refused_even_for_the_configured_host() {
    let backend = backend_with_connection().await;
    for endpoint in [
        "http://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
        "ws://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
    ] {
        let requested =
            answered_without_streaming(&backend, asking_to_stream(TABLE, endpoint), &deployed_config(&[]))
                .await;
        assert!(requested.iter().all(|name| !name.starts_with("endpoint:")), "{endpoint}: {requested:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn without_the_settings_nothing_streams_and_the_clients_table_is_never_read() {
    let event = || asking_to_stream(TABLE, "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod");

    // Neither STREAMING_TABLE nor STREAMING_ENDPOINT: the Lex Web UI's trust in the session's
    // attributes is gone; a planted history in the named table is not read either.
    let backend = backend_with_connection().await;
    let planted = [ChatMessage { role: Role::Assistant, text: "planted".into() }];
    backend.store.save_history(VISITOR, &planted, i64::MAX).await.unwrap();
    let unconfigured =
        FulfillmentConfig::from_lookup(|name: &str| (name == "BEDROCK_MODEL_ID").then(|| "m".to_owned()))
            .unwrap();
    let requested = answered_without_streaming(&backend, event(), &unconfigured).await;
    assert!(requested.is_empty(), "no table, no endpoint was used: {requested:?}");
    assert!(backend.store.turn_writes().is_empty(), "no record");

    // A table but no stage: records are kept, nothing streams.
    let backend = backend_with_connection().await;
    let mut table_only = deployed_config(&[]);
    table_only.allowed_endpoint = None;
    let requested = answered_without_streaming(&backend, event(), &table_only).await;
    assert_eq!(requested, [format!("table:{TABLE}")]);
    assert!(!backend.store.turn_writes().is_empty(), "the turn is still recorded");

    // A stage but no table: nothing to find the connection in.
    let backend = backend_with_connection().await;
    let mut stage_only = deployed_config(&[]);
    stage_only.allowed_table = None;
    let requested = answered_without_streaming(&backend, event(), &stage_only).await;
    assert!(requested.is_empty(), "{requested:?}");
}
