//! `GetItem` (with `ProjectionExpression`), `PutItem` and `DeleteItem` (with
//! `ConditionExpression` and `ReturnValues` `NONE`/`ALL_OLD`).

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::request::{
    ReturnValues, attributes_response, check_condition, check_item_size, refuse_legacy, required,
    return_item_on_failure, table_name,
};
use crate::dynamodb::error::DynamoDbError;
use crate::dynamodb::expression::{Condition, Placeholders, Projection};
use crate::dynamodb::tables::Tables;
use crate::dynamodb::value::{AttributeValue, Item, validate_item};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct GetItemRequest {
    table_name: Option<String>,
    key: Option<Item>,
    projection_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
    attributes_to_get: Option<Value>,
}

/// The parameters `PutItem` and `DeleteItem` share.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct WriteRequest {
    table_name: Option<String>,
    /// `PutItem`'s item.
    item: Option<Item>,
    /// `DeleteItem`'s key.
    key: Option<Item>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
    return_values: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    expected: Option<Value>,
    conditional_operator: Option<Value>,
}

pub(crate) fn get_item(tables: &Tables, request: GetItemRequest) -> Result<Value, DynamoDbError> {
    let name = table_name(request.table_name)?;
    let key = required(request.key, "key")?;
    refuse_legacy(request.attributes_to_get.is_some(), "AttributesToGet", "ProjectionExpression")?;
    let mut placeholders =
        Placeholders::new(request.expression_attribute_names, request.expression_attribute_values)?;
    let projection =
        request.projection_expression.map(|text| Projection::parse(&text, &mut placeholders)).transpose()?;
    placeholders.check_all_used()?;
    let item = tables.with_table(&name, |table| {
        let key = table.key_of(&key)?;
        Ok(table.get(&key).cloned())
    })?;
    Ok(match item {
        Some(item) => json!({ "Item": projection.map_or(item.clone(), |p| p.apply(&item)) }),
        None => json!({}),
    })
}

/// The parsed expressions and options of a write.
struct WriteOptions {
    condition: Option<Condition>,
    return_values: ReturnValues,
    return_item_on_failure: bool,
}

fn write_options(request: &mut WriteRequest, operation: &str) -> Result<WriteOptions, DynamoDbError> {
    refuse_legacy(request.expected.is_some(), "Expected", "ConditionExpression")?;
    refuse_legacy(request.conditional_operator.is_some(), "ConditionalOperator", "ConditionExpression")?;
    let return_values = ReturnValues::parse(
        request.return_values.as_deref(),
        operation,
        &[ReturnValues::None, ReturnValues::AllOld],
    )?;
    let return_item_on_failure =
        return_item_on_failure(request.return_values_on_condition_check_failure.as_deref())?;
    let mut placeholders = Placeholders::new(
        request.expression_attribute_names.take(),
        request.expression_attribute_values.take(),
    )?;
    let condition = request
        .condition_expression
        .as_deref()
        .map(|text| Condition::parse(text, &mut placeholders))
        .transpose()?;
    placeholders.check_all_used()?;
    Ok(WriteOptions { condition, return_values, return_item_on_failure })
}

pub(crate) fn put_item(tables: &Tables, mut request: WriteRequest) -> Result<Value, DynamoDbError> {
    let name = table_name(request.table_name.take())?;
    let item = required(request.item.take(), "item")?;
    validate_item(&item)?;
    check_item_size(&item)?;
    let options = write_options(&mut request, "PutItem")?;
    let replaced = tables.with_table(&name, |table| {
        let key = table.key_of_item(&item)?;
        check_condition(options.condition.as_ref(), table.get(&key), options.return_item_on_failure)?;
        Ok(table.put(key, item))
    })?;
    Ok(attributes_response(replaced.filter(|_| options.return_values == ReturnValues::AllOld)))
}

pub(crate) fn delete_item(tables: &Tables, mut request: WriteRequest) -> Result<Value, DynamoDbError> {
    let name = table_name(request.table_name.take())?;
    let key = required(request.key.take(), "key")?;
    let options = write_options(&mut request, "DeleteItem")?;
    let deleted = tables.with_table(&name, |table| {
        let key = table.key_of(&key)?;
        check_condition(options.condition.as_ref(), table.get(&key), options.return_item_on_failure)?;
        Ok(table.delete(&key))
    })?;
    Ok(attributes_response(deleted.filter(|_| options.return_values == ReturnValues::AllOld)))
}
