//! What the fulfillment tests share: the Lex fixture event, a deployment's settings, and an
//! in-memory backend with the visitor's connection recorded.
#![allow(dead_code, clippy::unwrap_used)] // each test file uses a part; a panic is the failure report

use lexstream_lambda_core::config::FulfillmentConfig;
use lexstream_lambda_core::ports::{ConnectionRecord, ConnectionStore};
use lexstream_lambda_core::testing::InMemoryBackend;
use lexstream_protocol::lex::CodeHookEvent;

/// The visitor (Cognito identity id and Lex session id) of the fixtures.
pub(crate) const VISITOR: &str = "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";
/// The visitor's WebSocket connection.
pub(crate) const CONNECTION: &str = "CgL1NeL1IAMCK5Q=";
/// The table the fixture event names in `streamingDynamoDbTable`.
pub(crate) const TABLE: &str = "lex-streaming-responses";

/// The Lex V2 FallbackIntent fixture for [`VISITOR`], changed by `edit`.
pub(crate) fn lex_event(edit: impl FnOnce(&mut serde_json::Value)) -> CodeHookEvent {
    let path =
        format!("{}/../../protocol/tests/fixtures/lex_event_fallback.json", env!("CARGO_MANIFEST_DIR"));
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["sessionId"] = VISITOR.into();
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

/// The stage the fixture event names in `streamingEndpoint` (its `https://` form), as the
/// template configures it (`wss://`).
pub(crate) const STAGE: &str = "wss://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod";

/// A deployment's settings: a model, [`TABLE`] as `STREAMING_TABLE` and [`STAGE`] as
/// `STREAMING_ENDPOINT` (the only table and stage a turn may stream through), and `extra`
/// variables.
pub(crate) fn deployed_config(extra: &[(&str, &str)]) -> FulfillmentConfig {
    FulfillmentConfig::from_lookup(|name: &str| match name {
        "BEDROCK_MODEL_ID" => Some("test-model".to_owned()),
        "STREAMING_TABLE" => Some(TABLE.to_owned()),
        "STREAMING_ENDPOINT" => Some(STAGE.to_owned()),
        _ => extra.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned()),
    })
    .unwrap()
}

/// An in-memory backend where [`VISITOR`]'s session is connected as [`CONNECTION`].
pub(crate) async fn backend_with_connection() -> InMemoryBackend {
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
