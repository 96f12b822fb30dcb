//! The devstack's DynamoDB endpoint through real clients: the Rust SDK (items, conditions,
//! counters, `ReturnValues`, tables, refusals) and boto3 reading the connection row the
//! devstack's `ws-connect` wrote, as a bot developer's Python fulfillment does.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification, TimeToLiveStatus,
};
use lexstream_devstack::connection_table::DEFAULT_TABLE;
use lexstream_devstack::identities::{SERVICE_ACCESS_KEY, SERVICE_SECRET_KEY};
use lexstream_devstack::{AuthMode, DevstackConfig, RunningDevstack};
use lexstream_e2e::{Visitor, venv_python, workspace_root};
use lexstream_lambda_core::aws::{DynamoDbClient, local_sdk_config};
use lexstream_lambda_core::ports::ConnectionStore;

async fn devstack_with(auth: AuthMode) -> RunningDevstack {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        auth,
        dynamodb_endpoint: None,
        ..DevstackConfig::default()
    };
    lexstream_devstack::spawn(config).await.unwrap()
}

async fn client(devstack: &RunningDevstack) -> DynamoDbClient {
    DynamoDbClient::new(&local_sdk_config(&devstack.url()).await)
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_owned())
}

/// The row of `session` in the connection table, read with the SDK.
async fn row(
    dynamodb: &DynamoDbClient,
    session: &str,
) -> Option<std::collections::HashMap<String, AttributeValue>> {
    dynamodb.get_item().table_name(DEFAULT_TABLE).key("sessionId", s(session)).send().await.unwrap().item
}

#[tokio::test]
async fn the_sdk_puts_gets_and_deletes_items_under_conditions() {
    let devstack = devstack_with(AuthMode::SigV4).await;
    let dynamodb = client(&devstack).await;
    dynamodb
        .put_item()
        .table_name(DEFAULT_TABLE)
        .item("sessionId", s("us-east-1:abc"))
        .item("connectionId", s("Conn1="))
        .condition_expression("attribute_not_exists(sessionId)")
        .send()
        .await
        .unwrap();
    assert_eq!(row(&dynamodb, "us-east-1:abc").await.unwrap()["connectionId"], s("Conn1="));

    // The same conditional put again fails, and can return the item it found.
    let refused = dynamodb
        .put_item()
        .table_name(DEFAULT_TABLE)
        .item("sessionId", s("us-east-1:abc"))
        .item("connectionId", s("Conn2="))
        .condition_expression("attribute_not_exists(sessionId)")
        .return_values_on_condition_check_failure(
            aws_sdk_dynamodb::types::ReturnValuesOnConditionCheckFailure::AllOld,
        )
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(refused.is_conditional_check_failed_exception(), "{refused:?}");
    assert_eq!(refused.message(), Some("The conditional request failed"));
    let aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(failure) =
        refused
    else {
        unreachable!()
    };
    assert_eq!(failure.item().unwrap()["connectionId"], s("Conn1="));

    // A delete conditioned on another connection leaves the row; the right one deletes it.
    let delete_if = |connection: &str| {
        dynamodb
            .delete_item()
            .table_name(DEFAULT_TABLE)
            .key("sessionId", s("us-east-1:abc"))
            .condition_expression("#c = :c")
            .expression_attribute_names("#c", "connectionId")
            .expression_attribute_values(":c", s(connection))
            .return_values(ReturnValue::AllOld)
            .send()
    };
    let wrong = delete_if("Conn9=").await.unwrap_err().into_service_error();
    assert!(wrong.is_conditional_check_failed_exception(), "{wrong:?}");
    let deleted = delete_if("Conn1=").await.unwrap();
    assert_eq!(deleted.attributes().unwrap()["connectionId"], s("Conn1="));
    assert_eq!(row(&dynamodb, "us-east-1:abc").await, None);
    devstack.stop();
}

#[tokio::test]
async fn the_sdk_counts_with_update_item_and_reads_return_values() {
    let devstack = devstack_with(AuthMode::SigV4).await;
    let dynamodb = client(&devstack).await;
    let count = |return_value: ReturnValue| {
        dynamodb
            .update_item()
            .table_name(DEFAULT_TABLE)
            .key("sessionId", s("counter"))
            .update_expression("ADD visits :one SET seen = if_not_exists(seen, :zero) + :one")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .return_values(return_value)
            .send()
    };
    assert_eq!(count(ReturnValue::None).await.unwrap().attributes, None);
    let updated_new = count(ReturnValue::UpdatedNew).await.unwrap().attributes.unwrap();
    assert_eq!(updated_new.len(), 2, "{updated_new:?}");
    assert_eq!(updated_new["visits"], AttributeValue::N("2".into()));
    assert_eq!(updated_new["seen"], AttributeValue::N("2".into()));
    let updated_old = count(ReturnValue::UpdatedOld).await.unwrap().attributes.unwrap();
    assert_eq!(updated_old["visits"], AttributeValue::N("2".into()));
    let all_new = count(ReturnValue::AllNew).await.unwrap().attributes.unwrap();
    assert_eq!(all_new["sessionId"], s("counter"));
    assert_eq!(all_new["visits"], AttributeValue::N("4".into()));

    // Subtraction, REMOVE, and a condition that fails on the counter's value.
    let lowered = dynamodb
        .update_item()
        .table_name(DEFAULT_TABLE)
        .key("sessionId", s("counter"))
        .update_expression("SET visits = visits - :n REMOVE seen")
        .condition_expression("visits >= :n")
        .expression_attribute_values(":n", AttributeValue::N("3".into()))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap();
    assert_eq!(lowered["visits"], AttributeValue::N("1".into()));
    assert!(!lowered.contains_key("seen"));
    let too_low = dynamodb
        .update_item()
        .table_name(DEFAULT_TABLE)
        .key("sessionId", s("counter"))
        .update_expression("SET visits = visits - :n")
        .condition_expression("visits >= :n")
        .expression_attribute_values(":n", AttributeValue::N("3".into()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(too_low.is_conditional_check_failed_exception(), "{too_low:?}");
    devstack.stop();
}

#[tokio::test]
async fn the_sdk_creates_and_describes_tables_and_hears_about_unknown_ones() {
    let devstack = devstack_with(AuthMode::SigV4).await;
    let dynamodb = client(&devstack).await;
    // The connection table exists from the start, with its TTL.
    let table = dynamodb.describe_table().table_name(DEFAULT_TABLE).send().await.unwrap().table.unwrap();
    assert_eq!(table.table_status, Some(TableStatus::Active));
    assert_eq!(table.key_schema()[0].attribute_name(), "sessionId");
    let ttl = dynamodb.describe_time_to_live().table_name(DEFAULT_TABLE).send().await.unwrap();
    let ttl = ttl.time_to_live_description.unwrap();
    assert_eq!(
        (ttl.attribute_name(), ttl.time_to_live_status()),
        (Some("ttl"), Some(&TimeToLiveStatus::Enabled))
    );

    dynamodb
        .create_table()
        .table_name("notes")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(KeySchemaElement::builder().attribute_name("id").key_type(KeyType::Hash).build().unwrap())
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    dynamodb
        .update_time_to_live()
        .table_name("notes")
        .time_to_live_specification(
            TimeToLiveSpecification::builder().attribute_name("expires").enabled(true).build().unwrap(),
        )
        .send()
        .await
        .unwrap();
    let again = dynamodb
        .create_table()
        .table_name("notes")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("id")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(KeySchemaElement::builder().attribute_name("id").key_type(KeyType::Hash).build().unwrap())
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(again.is_resource_in_use_exception(), "{again:?}");
    let tables = dynamodb.list_tables().send().await.unwrap();
    assert_eq!(tables.table_names(), [DEFAULT_TABLE, "notes"]);

    let missing = dynamodb.get_item().table_name("no-such-table").key("id", s("1")).send().await.unwrap_err();
    let missing = missing.into_service_error();
    assert!(missing.is_resource_not_found_exception(), "{missing:?}");
    assert!(missing.message().unwrap().contains("no-such-table"), "{missing:?}");
    let bad_key = dynamodb.get_item().table_name("notes").key("nope", s("1")).send().await.unwrap_err();
    assert_eq!(bad_key.code(), Some("ValidationException"));
    assert!(bad_key.message().unwrap().contains("does not match the schema"), "{bad_key:?}");
    devstack.stop();
}

#[tokio::test]
async fn operations_the_devstack_does_not_emulate_are_refused_not_faked() {
    let devstack = devstack_with(AuthMode::SigV4).await;
    let dynamodb = client(&devstack).await;
    let scan = dynamodb.scan().table_name(DEFAULT_TABLE).send().await.unwrap_err();
    assert_eq!(scan.code(), Some("UnknownOperationException"), "{scan:?}");
    assert!(scan.message().unwrap().contains("does not emulate Scan"), "{scan:?}");
    devstack.stop();
}

/// Posts a DynamoDB call without a signature; the status line and body.
async fn unsigned_call(devstack: &RunningDevstack, operation: &str, body: &str) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(devstack.addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: {}\r\nX-Amz-Target: DynamoDB_20120810.{operation}\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        devstack.addr,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response.lines().next().unwrap_or_default().to_owned();
    let body = response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn unsigned_calls_and_unknown_keys_are_refused_unless_auth_is_off() {
    let devstack = devstack_with(AuthMode::SigV4).await;
    let get = format!(r#"{{"TableName":"{DEFAULT_TABLE}","Key":{{"sessionId":{{"S":"x"}}}}}}"#);
    let (status, body) = unsigned_call(&devstack, "GetItem", &get).await;
    assert!(status.starts_with("HTTP/1.1 400"), "{status}");
    assert!(
        body.contains(r#""__type":"com.amazon.coral.service#MissingAuthenticationTokenException""#),
        "{body}"
    );

    let stranger = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&local_sdk_config(&devstack.url()).await)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "AKIANOBODYKNOWS",
                "secret",
                None,
                None,
                "test",
            ))
            .build(),
    );
    let refused = stranger.get_item().table_name(DEFAULT_TABLE).key("sessionId", s("x")).send().await;
    let refused = refused.unwrap_err();
    assert_eq!(refused.code(), Some("UnrecognizedClientException"), "{refused:?}");
    let wrong_secret = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&local_sdk_config(&devstack.url()).await)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                SERVICE_ACCESS_KEY,
                format!("not-{SERVICE_SECRET_KEY}"),
                None,
                None,
                "test",
            ))
            .build(),
    );
    let forged = wrong_secret.get_item().table_name(DEFAULT_TABLE).key("sessionId", s("x")).send().await;
    assert_eq!(forged.unwrap_err().code(), Some("InvalidSignatureException"));

    // A visitor's Cognito credentials are known, but their role may not touch the table (as
    // deployed): otherwise a visitor could point another visitor's row at their own socket.
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let as_visitor = aws_sdk_dynamodb::Client::from_conf(
        aws_sdk_dynamodb::config::Builder::from(&local_sdk_config(&devstack.url()).await)
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                &visitor.credentials.access_key_id,
                &visitor.credentials.secret_access_key,
                visitor.credentials.session_token.clone(),
                None,
                "visitor",
            ))
            .build(),
    );
    let hijack = as_visitor
        .put_item()
        .table_name(DEFAULT_TABLE)
        .item("sessionId", s("someone-else"))
        .item("connectionId", s("mine"))
        .send()
        .await;
    assert_eq!(hijack.unwrap_err().code(), Some("AccessDeniedException"));
    assert_eq!(devstack.state.table.get("someone-else").await.unwrap(), None);
    devstack.stop();

    let open = devstack_with(AuthMode::Off).await;
    let (status, body) = unsigned_call(&open, "GetItem", &get).await;
    assert!(status.starts_with("HTTP/1.1 200"), "{status} {body}");
    assert_eq!(body, "{}");
    open.stop();
}

#[tokio::test]
async fn the_connection_row_is_what_the_sdk_and_boto3_read() {
    let devstack = devstack_with(AuthMode::SigV4).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let (socket, _) =
        tokio_tungstenite::connect_async(visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id))
            .await
            .unwrap();
    let record =
        devstack.state.table.get(&visitor.identity_id).await.unwrap().expect("row written by $connect");
    let item = row(&client(&devstack).await, &visitor.identity_id).await.unwrap();
    assert_eq!(item["connectionId"], s(&record.connection_id));

    // boto3, as a Python fulfillment reads it; run without blocking the devstack's runtime.
    let script = workspace_root().join("tests/python/devstack_dynamodb.py");
    let python = venv_python();
    let output = tokio::process::Command::new(&python)
        .arg(&script)
        .args([devstack.url().as_str(), DEFAULT_TABLE, visitor.identity_id.as_str()])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_DYNAMODB")
        .output()
        .await
        .unwrap_or_else(|e| panic!("{} (run `cargo xtask setup`): {e}", python.display()));
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["connectionId"], record.connection_id.as_str(), "{seen}");
    assert_eq!(seen["ttl"], record.ttl, "{seen}");
    assert_eq!(seen["conditionalPut"], "ConditionalCheckFailedException", "{seen}");
    assert_eq!(seen["connectionIdAfter"], record.connection_id.as_str(), "the failed put changed nothing");
    assert_eq!(seen["visits"], "1", "{seen}");
    assert_eq!(seen["unknownKey"], "UnrecognizedClientException", "{seen}");
    assert_eq!(seen["tableStatus"], "ACTIVE", "{seen}");
    assert_eq!(seen["ttlStatus"], "ENABLED", "{seen}");

    // The Rust side still reads the same row after Python's failed write.
    assert_eq!(devstack.state.table.get(&visitor.identity_id).await.unwrap(), Some(record));
    drop(socket);
    devstack.stop();
}
