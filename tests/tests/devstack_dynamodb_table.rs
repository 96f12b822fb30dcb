//! The devstack keeps its connection table in a DynamoDB-compatible server (through the Lambdas'
//! own adapter) when one is configured (`AWS_ENDPOINT_URL_DYNAMODB`), and not in its own
//! DynamoDB endpoint.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use aws_sdk_dynamodb::types::AttributeValue;
use lexstream_devstack::DevstackConfig;
use lexstream_devstack::connection_table::TableLocation;
use lexstream_e2e::{MotoServer, Visitor};
use lexstream_lambda_core::aws::{DynamoDbClient, local_sdk_config};

#[tokio::test]
async fn connections_land_in_dynamodb_when_an_endpoint_is_configured() {
    let moto = MotoServer::start().await.unwrap();
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        table_name: "devstack-connections".into(),
        dynamodb_endpoint: Some(moto.url.clone()),
        ..DevstackConfig::default()
    };
    let devstack = lexstream_devstack::spawn(config).await.unwrap();
    assert_eq!(devstack.state.table.location(), &TableLocation::External(moto.url.clone()));

    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let (socket, _) =
        tokio_tungstenite::connect_async(visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id))
            .await
            .unwrap();

    // The row is in DynamoDB, in the Lex Web UI's shape, created by the ws-connect handler.
    let dynamodb = DynamoDbClient::new(&local_sdk_config(&moto.url).await);
    let item = dynamodb
        .get_item()
        .table_name("devstack-connections")
        .key("sessionId", AttributeValue::S(visitor.identity_id.clone()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the connection row");
    assert!(item.contains_key("connectionId") && item.contains_key("ttl"), "{item:?}");
    // The devstack's own DynamoDB endpoint holds no copy of it.
    assert!(devstack.state.dynamodb.names().is_empty(), "{:?}", devstack.state.dynamodb.names());
    drop(socket);
    devstack.stop();
}
