//! Table operations: `CreateTable`, `DescribeTable`, `ListTables`, `UpdateTimeToLive`,
//! `DescribeTimeToLive`. Tables are `ACTIVE` as soon as they are created.

use serde::Deserialize;
use serde_json::{Value, json};

use super::request::{required, table_name};
use crate::dynamodb::error::DynamoDbError;
use crate::dynamodb::tables::{KeyAttribute, KeyType, TableDefinition, Tables};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AttributeDefinition {
    attribute_name: String,
    attribute_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeySchemaElement {
    attribute_name: String,
    key_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CreateTableRequest {
    table_name: Option<String>,
    attribute_definitions: Option<Vec<AttributeDefinition>>,
    key_schema: Option<Vec<KeySchemaElement>>,
    billing_mode: Option<String>,
    global_secondary_indexes: Option<Value>,
    local_secondary_indexes: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct TableNameRequest {
    table_name: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ListTablesRequest {
    exclusive_start_table_name: Option<String>,
    limit: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TimeToLiveSpecification {
    attribute_name: String,
    enabled: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateTimeToLiveRequest {
    table_name: Option<String>,
    time_to_live_specification: Option<TimeToLiveSpecification>,
}

fn invalid(message: impl Into<String>) -> DynamoDbError {
    DynamoDbError::Validation(message.into())
}

/// The key schema of a `CreateTable` request, checked against its attribute definitions.
fn key_attributes(
    schema: &[KeySchemaElement],
    definitions: &[AttributeDefinition],
) -> Result<(KeyAttribute, Option<KeyAttribute>), DynamoDbError> {
    let typed = |element: &KeySchemaElement| -> Result<KeyAttribute, DynamoDbError> {
        let definition = definitions
            .iter()
            .find(|definition| definition.attribute_name == element.attribute_name)
            .ok_or_else(|| {
                invalid(format!(
                    "One or more parameter values were invalid: Some index key attributes are not defined in \
                     AttributeDefinitions. Keys: [{}]",
                    element.attribute_name
                ))
            })?;
        let key_type = KeyType::parse(&definition.attribute_type).ok_or_else(|| {
            invalid(format!(
                "1 validation error detected: Value '{}' at 'attributeDefinitions.member.attributeType' failed \
                 to satisfy constraint: Member must satisfy enum value set: [B, N, S]",
                definition.attribute_type
            ))
        })?;
        Ok(KeyAttribute { name: element.attribute_name.clone(), key_type })
    };
    let (hash, range) = match schema {
        [hash] => (hash, None),
        [hash, range] => (hash, Some(range)),
        _ => {
            return Err(invalid(format!(
                "1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must \
                 have length between 1 and 2 (it has {})",
                schema.len()
            )));
        }
    };
    if hash.key_type != "HASH" {
        return Err(invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type"));
    }
    if range.is_some_and(|range| range.key_type != "RANGE") {
        return Err(invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type"));
    }
    if definitions.len() != schema.len() {
        return Err(invalid(
            "One or more parameter values were invalid: Number of attributes in KeySchema does not exactly \
             match number of attributes defined in AttributeDefinitions",
        ));
    }
    Ok((typed(hash)?, range.map(typed).transpose()?))
}

pub(crate) fn create_table(tables: &Tables, request: CreateTableRequest) -> Result<Value, DynamoDbError> {
    let name = table_name(request.table_name)?;
    let definitions = required(request.attribute_definitions, "attributeDefinitions")?;
    let schema = required(request.key_schema, "keySchema")?;
    if request.global_secondary_indexes.is_some() || request.local_secondary_indexes.is_some() {
        return Err(invalid("the devstack does not emulate secondary indexes"));
    }
    let on_demand = match request.billing_mode.as_deref() {
        Some("PAY_PER_REQUEST") => true,
        Some("PROVISIONED") | None => false,
        Some(other) => {
            return Err(invalid(format!(
                "1 validation error detected: Value '{other}' at 'billingMode' failed to satisfy constraint: \
                 Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]"
            )));
        }
    };
    let (hash_key, range_key) = key_attributes(&schema, &definitions)?;
    tables.create(TableDefinition { name: name.clone(), hash_key, range_key, on_demand })?;
    tracing::info!(table = %name, "DynamoDB table created");
    let description = tables.with_table(&name, |table| Ok(table.description()))?;
    Ok(json!({ "TableDescription": description }))
}

pub(crate) fn describe_table(tables: &Tables, request: TableNameRequest) -> Result<Value, DynamoDbError> {
    let name = table_name(request.table_name)?;
    let description = tables.with_table(&name, |table| Ok(table.description()))?;
    Ok(json!({ "Table": description }))
}

pub(crate) fn list_tables(tables: &Tables, request: ListTablesRequest) -> Result<Value, DynamoDbError> {
    let limit = request.limit.unwrap_or(100);
    if !(1..=100).contains(&limit) {
        return Err(invalid(format!(
            "1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must \
             have value between 1 and 100"
        )));
    }
    let after = request.exclusive_start_table_name.unwrap_or_default();
    let names: Vec<String> = tables.names().into_iter().filter(|name| *name > after).collect();
    let page: Vec<&String> = names.iter().take(limit).collect();
    let mut response = json!({ "TableNames": page });
    if names.len() > limit {
        response["LastEvaluatedTableName"] = json!(page.last());
    }
    Ok(response)
}

pub(crate) fn update_time_to_live(
    tables: &Tables,
    request: UpdateTimeToLiveRequest,
) -> Result<Value, DynamoDbError> {
    let name = table_name(request.table_name)?;
    let specification = required(request.time_to_live_specification, "timeToLiveSpecification")?;
    tables.with_table(&name, |table| {
        match (table.ttl_attribute().is_some(), specification.enabled) {
            (true, true) => return Err(invalid("TimeToLive is already enabled")),
            (false, false) => return Err(invalid("TimeToLive is already disabled")),
            _ => {}
        }
        table.set_ttl(specification.enabled.then(|| specification.attribute_name.clone()));
        Ok(())
    })?;
    Ok(json!({
        "TimeToLiveSpecification": {
            "AttributeName": specification.attribute_name,
            "Enabled": specification.enabled,
        }
    }))
}

pub(crate) fn describe_time_to_live(
    tables: &Tables,
    request: TableNameRequest,
) -> Result<Value, DynamoDbError> {
    let name = table_name(request.table_name)?;
    let attribute = tables.with_table(&name, |table| Ok(table.ttl_attribute().map(str::to_owned)))?;
    Ok(json!({
        "TimeToLiveDescription": match attribute {
            Some(attribute) => json!({ "AttributeName": attribute, "TimeToLiveStatus": "ENABLED" }),
            None => json!({ "TimeToLiveStatus": "DISABLED" }),
        }
    }))
}
