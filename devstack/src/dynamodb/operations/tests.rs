//! The operations end to end on request JSON, as a client sends it.

use serde_json::{Value, json};

use super::dispatch;
use crate::dynamodb::error::DynamoDbError;
use crate::dynamodb::tables::{TableDefinition, Tables};

fn call(tables: &Tables, operation: &str, request: &Value) -> Result<Value, DynamoDbError> {
    dispatch(tables, operation, request.to_string().as_bytes())
}

fn connections() -> Tables {
    let tables = Tables::default();
    tables.create(TableDefinition::with_string_key("connections", "sessionId")).unwrap();
    tables
}

fn put_row(tables: &Tables, session: &str, connection: &str) {
    call(
        tables,
        "PutItem",
        &json!({
            "TableName": "connections",
            "Item": { "sessionId": { "S": session }, "connectionId": { "S": connection }, "ttl": { "N": "1900000000" } },
        }),
    )
    .unwrap();
}

fn get_row(tables: &Tables, session: &str) -> Value {
    call(tables, "GetItem", &json!({ "TableName": "connections", "Key": { "sessionId": { "S": session } } }))
        .unwrap()
}

#[test]
fn put_then_get_returns_the_item_and_a_projection() {
    let tables = connections();
    put_row(&tables, "s1", "c1");
    assert_eq!(get_row(&tables, "s1")["Item"]["connectionId"], json!({ "S": "c1" }));
    assert_eq!(get_row(&tables, "nobody"), json!({}), "a missing item has no Item element");
    let projected = call(
        &tables,
        "GetItem",
        &json!({
            "TableName": "connections",
            "Key": { "sessionId": { "S": "s1" } },
            "ProjectionExpression": "#t",
            "ExpressionAttributeNames": { "#t": "ttl" },
            "ConsistentRead": true,
        }),
    )
    .unwrap();
    assert_eq!(projected, json!({ "Item": { "ttl": { "N": "1900000000" } } }));
}

#[test]
fn a_failed_condition_leaves_the_item_and_can_return_it() {
    let tables = connections();
    put_row(&tables, "s1", "c1");
    let refused = call(
        &tables,
        "PutItem",
        &json!({
            "TableName": "connections",
            "Item": { "sessionId": { "S": "s1" }, "connectionId": { "S": "c2" } },
            "ConditionExpression": "attribute_not_exists(sessionId)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }),
    )
    .unwrap_err();
    let body = refused.body();
    assert_eq!(body["__type"], "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException");
    assert_eq!(body["Item"]["connectionId"], json!({ "S": "c1" }));
    assert_eq!(get_row(&tables, "s1")["Item"]["connectionId"], json!({ "S": "c1" }));
}

#[test]
fn delete_is_conditional_as_the_adapter_uses_it() {
    let tables = connections();
    put_row(&tables, "s1", "c2");
    let delete_if = |connection: &str| {
        call(
            &tables,
            "DeleteItem",
            &json!({
                "TableName": "connections",
                "Key": { "sessionId": { "S": "s1" } },
                "ConditionExpression": "#connection = :connection",
                "ExpressionAttributeNames": { "#connection": "connectionId" },
                "ExpressionAttributeValues": { ":connection": { "S": connection } },
                "ReturnValues": "ALL_OLD",
            }),
        )
    };
    assert!(matches!(delete_if("c1"), Err(DynamoDbError::ConditionalCheckFailed { item: None })));
    assert_eq!(delete_if("c2").unwrap()["Attributes"]["connectionId"], json!({ "S": "c2" }));
    assert_eq!(get_row(&tables, "s1"), json!({}));
}

#[test]
fn update_counts_and_returns_what_return_values_asks_for() {
    let tables = connections();
    let add = |return_values: &str| {
        call(
            &tables,
            "UpdateItem",
            &json!({
                "TableName": "connections",
                "Key": { "sessionId": { "S": "counter" } },
                "UpdateExpression": "ADD visits :one SET note = :note",
                "ExpressionAttributeValues": { ":one": { "N": "1" }, ":note": { "S": "hi" } },
                "ReturnValues": return_values,
            }),
        )
        .unwrap()
    };
    assert_eq!(add("NONE"), json!({}));
    assert_eq!(
        add("UPDATED_NEW"),
        json!({ "Attributes": { "visits": { "N": "2" }, "note": { "S": "hi" } } })
    );
    assert_eq!(
        add("UPDATED_OLD"),
        json!({ "Attributes": { "visits": { "N": "2" }, "note": { "S": "hi" } } })
    );
    let all_new = add("ALL_NEW");
    assert_eq!(all_new["Attributes"]["visits"], json!({ "N": "4" }));
    assert_eq!(all_new["Attributes"]["sessionId"], json!({ "S": "counter" }));
    assert_eq!(add("ALL_OLD")["Attributes"]["visits"], json!({ "N": "4" }));
    assert_eq!(get_row(&tables, "counter")["Item"]["visits"], json!({ "N": "5" }));
}

#[test]
fn update_refuses_key_changes_and_conditions_see_the_old_item() {
    let tables = connections();
    put_row(&tables, "s1", "c1");
    let key_change = call(
        &tables,
        "UpdateItem",
        &json!({
            "TableName": "connections",
            "Key": { "sessionId": { "S": "s1" } },
            "UpdateExpression": "SET sessionId = :s",
            "ExpressionAttributeValues": { ":s": { "S": "s2" } },
        }),
    )
    .unwrap_err();
    assert!(key_change.to_string().contains("Cannot update attribute sessionId"), "{key_change}");
    let stop = |turn: &str, current: &str| {
        call(
            &tables,
            "UpdateItem",
            &json!({
                "TableName": "connections",
                "Key": { "sessionId": { "S": "s1" } },
                "UpdateExpression": "SET stopTurn = :turn",
                "ConditionExpression": "connectionId = :current",
                "ExpressionAttributeValues": { ":turn": { "S": turn }, ":current": { "S": current } },
                "ReturnValues": "UPDATED_NEW",
            }),
        )
    };
    assert_eq!(stop("t1", "c1").unwrap(), json!({ "Attributes": { "stopTurn": { "S": "t1" } } }));
    assert!(matches!(stop("t2", "c9"), Err(DynamoDbError::ConditionalCheckFailed { .. })));
    assert_eq!(get_row(&tables, "s1")["Item"]["stopTurn"], json!({ "S": "t1" }));
}

#[test]
fn tables_are_created_described_and_given_a_ttl() {
    let tables = Tables::default();
    let created = call(
        &tables,
        "CreateTable",
        &json!({
            "TableName": "events",
            "AttributeDefinitions": [
                { "AttributeName": "id", "AttributeType": "S" },
                { "AttributeName": "at", "AttributeType": "N" },
            ],
            "KeySchema": [{ "AttributeName": "id", "KeyType": "HASH" }, { "AttributeName": "at", "KeyType": "RANGE" }],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    )
    .unwrap();
    assert_eq!(created["TableDescription"]["TableStatus"], "ACTIVE");
    assert_eq!(created["TableDescription"]["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    let again = call(&tables, "CreateTable", &created["TableDescription"]).unwrap_err();
    assert_eq!(again.body()["__type"], "com.amazonaws.dynamodb.v20120810#ResourceInUseException");

    let describe_ttl = || call(&tables, "DescribeTimeToLive", &json!({ "TableName": "events" })).unwrap();
    assert_eq!(describe_ttl(), json!({ "TimeToLiveDescription": { "TimeToLiveStatus": "DISABLED" } }));
    let spec = json!({ "AttributeName": "expires", "Enabled": true });
    let updated =
        call(&tables, "UpdateTimeToLive", &json!({ "TableName": "events", "TimeToLiveSpecification": spec }))
            .unwrap();
    assert_eq!(updated, json!({ "TimeToLiveSpecification": spec }));
    assert_eq!(describe_ttl()["TimeToLiveDescription"]["TimeToLiveStatus"], "ENABLED");

    let item = json!({ "id": { "S": "e1" }, "at": { "N": "5" } });
    call(&tables, "PutItem", &json!({ "TableName": "events", "Item": item })).unwrap();
    let read = call(
        &tables,
        "GetItem",
        &json!({ "TableName": "events", "Key": { "id": { "S": "e1" }, "at": { "N": "5.0" } } }),
    )
    .unwrap();
    assert_eq!(read["Item"], item, "numeric keys match by value");
    let described = call(&tables, "DescribeTable", &json!({ "TableName": "events" })).unwrap();
    assert_eq!(described["Table"]["ItemCount"], 1);
    assert_eq!(call(&tables, "ListTables", &json!({})).unwrap(), json!({ "TableNames": ["events"] }));
}

#[test]
fn unknown_tables_operations_and_bad_input_are_refused_as_dynamodb_does() {
    let tables = connections();
    let missing = call(&tables, "GetItem", &json!({ "TableName": "nope", "Key": { "k": { "S": "1" } } }));
    assert!(matches!(missing, Err(DynamoDbError::TableNotFound(ref t)) if t == "nope"), "{missing:?}");
    let scan = call(&tables, "Scan", &json!({ "TableName": "connections" })).unwrap_err();
    assert_eq!(scan.body()["__type"], "com.amazon.coral.service#UnknownOperationException");
    assert!(scan.to_string().contains("does not emulate Scan"), "{scan}");

    let invalid = |operation: &str, request: Value, says: &str| {
        let error = call(&tables, operation, &request).unwrap_err();
        assert!(matches!(error, DynamoDbError::Validation(_)), "{operation}: {error:?}");
        assert!(error.to_string().contains(says), "{operation}: {error}");
    };
    invalid("GetItem", json!({ "TableName": "connections" }), "Value null at 'key'");
    invalid(
        "GetItem",
        json!({ "TableName": "connections", "Key": { "id": { "S": "x" } } }),
        "does not match the schema",
    );
    invalid(
        "PutItem",
        json!({ "TableName": "connections", "Item": { "connectionId": { "S": "c" } } }),
        "Missing the key sessionId",
    );
    invalid(
        "PutItem",
        json!({ "TableName": "connections", "Item": { "sessionId": { "N": "x" } } }),
        "numeric value",
    );
    invalid(
        "PutItem",
        json!({ "TableName": "connections", "Item": { "sessionId": { "Q": "x" } } }),
        "unknown variant",
    );
    invalid(
        "PutItem",
        json!({ "TableName": "connections", "Item": { "sessionId": { "S": "s" } }, "ReturnValues": "ALL_NEW" }),
        "NONE or ALL_OLD",
    );
    invalid(
        "PutItem",
        json!({ "TableName": "connections", "Item": { "sessionId": { "S": "s" } }, "Expected": {} }),
        "legacy parameter Expected",
    );
    invalid(
        "DeleteItem",
        json!({
            "TableName": "connections",
            "Key": { "sessionId": { "S": "s" } },
            "ExpressionAttributeValues": { ":unused": { "S": "x" } },
        }),
        "unused in expressions: keys: {:unused}",
    );
    invalid("DescribeTable", json!({ "TableName": "x" }), "length greater than or equal to 3");
    let broken = dispatch(&tables, "GetItem", b"{not json").unwrap_err();
    assert_eq!(broken.body()["__type"], "com.amazon.coral.service#SerializationException");
}
