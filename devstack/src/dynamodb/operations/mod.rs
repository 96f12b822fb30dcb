//! The DynamoDB operations the devstack answers, chosen by name, over its in-memory tables:
//! request JSON in, response JSON (or a [`DynamoDbError`]) out.

mod control;
mod items;
mod request;
mod update_item;

use serde_json::Value;

use super::error::DynamoDbError;
use super::tables::Tables;
use request::parse;

/// Runs `operation` (the part of `X-Amz-Target` after `DynamoDB_20120810.`) with `body`.
pub(crate) fn dispatch(tables: &Tables, operation: &str, body: &[u8]) -> Result<Value, DynamoDbError> {
    match operation {
        "CreateTable" => control::create_table(tables, parse(body)?),
        "DescribeTable" => control::describe_table(tables, parse(body)?),
        "ListTables" => control::list_tables(tables, parse(body)?),
        "UpdateTimeToLive" => control::update_time_to_live(tables, parse(body)?),
        "DescribeTimeToLive" => control::describe_time_to_live(tables, parse(body)?),
        "GetItem" => items::get_item(tables, parse(body)?),
        "PutItem" => items::put_item(tables, parse(body)?),
        "DeleteItem" => items::delete_item(tables, parse(body)?),
        "UpdateItem" => update_item::update_item(tables, parse(body)?),
        other => Err(DynamoDbError::UnknownOperation(other.to_owned())),
    }
}

#[cfg(test)]
mod tests;
