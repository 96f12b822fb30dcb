//! What the item and table operations share: reading the request body, DynamoDB's messages for
//! missing or invalid parameters, `ReturnValues`, and evaluating a `ConditionExpression`.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::dynamodb::error::DynamoDbError;
use crate::dynamodb::expression::Condition;
use crate::dynamodb::value::Item;

/// Reads the request body: broken JSON is a `SerializationException`, JSON of the wrong shape a
/// `ValidationException` saying where.
pub(crate) fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, DynamoDbError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|error| match error.classify() {
        serde_json::error::Category::Data => DynamoDbError::Validation(format!("Invalid request: {error}")),
        _ => DynamoDbError::Serialization(format!("The request body is not valid JSON: {error}")),
    })
}

/// A required parameter, or DynamoDB's message for its absence (`member` in camelCase).
pub(crate) fn required<T>(value: Option<T>, member: &str) -> Result<T, DynamoDbError> {
    value.ok_or_else(|| {
        DynamoDbError::Validation(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: \
             Member must not be null"
        ))
    })
}

/// The `TableName` parameter: present, 3–255 characters of `[a-zA-Z0-9_.-]`.
pub(crate) fn table_name(value: Option<String>) -> Result<String, DynamoDbError> {
    let name = required(value, "tableName")?;
    let constraint = if name.len() < 3 {
        Some("Member must have length greater than or equal to 3")
    } else if name.len() > 255 {
        Some("Member must have length less than or equal to 255")
    } else if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')) {
        Some("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
    } else {
        None
    };
    match constraint {
        Some(constraint) => Err(DynamoDbError::Validation(format!(
            "1 validation error detected: Value '{name}' at 'tableName' failed to satisfy constraint: {constraint}"
        ))),
        None => Ok(name),
    }
}

/// Refuses a legacy parameter (`Expected`, `AttributesToGet`, …) the devstack does not emulate.
pub(crate) fn refuse_legacy(present: bool, legacy: &str, instead: &str) -> Result<(), DynamoDbError> {
    if present {
        return Err(DynamoDbError::Validation(format!(
            "the devstack does not emulate the legacy parameter {legacy}; use {instead}"
        )));
    }
    Ok(())
}

/// What a write returns (`ReturnValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReturnValues {
    /// Nothing (the default).
    None,
    /// The whole item before.
    AllOld,
    /// The updated attributes before.
    UpdatedOld,
    /// The whole item after.
    AllNew,
    /// The updated attributes after.
    UpdatedNew,
}

impl ReturnValues {
    /// Reads `ReturnValues` for `operation`, which takes the values in `allowed`.
    pub(crate) fn parse(
        text: Option<&str>,
        operation: &str,
        allowed: &[Self],
    ) -> Result<Self, DynamoDbError> {
        let value = match text.unwrap_or("NONE") {
            "NONE" => Self::None,
            "ALL_OLD" => Self::AllOld,
            "UPDATED_OLD" => Self::UpdatedOld,
            "ALL_NEW" => Self::AllNew,
            "UPDATED_NEW" => Self::UpdatedNew,
            other => {
                return Err(DynamoDbError::Validation(format!(
                    "1 validation error detected: Value '{other}' at 'returnValues' failed to satisfy \
                     constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, \
                     UPDATED_NEW]"
                )));
            }
        };
        if !allowed.contains(&value) {
            return Err(DynamoDbError::Validation(format!(
                "Return values set to invalid value: {operation} takes ReturnValues NONE or ALL_OLD, not {}",
                text.unwrap_or_default()
            )));
        }
        Ok(value)
    }
}

/// Whether a failed condition returns the item (`ReturnValuesOnConditionCheckFailure`).
pub(crate) fn return_item_on_failure(text: Option<&str>) -> Result<bool, DynamoDbError> {
    match text.unwrap_or("NONE") {
        "NONE" => Ok(false),
        "ALL_OLD" => Ok(true),
        other => Err(DynamoDbError::Validation(format!(
            "1 validation error detected: Value '{other}' at 'returnValuesOnConditionCheckFailure' failed \
             to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]"
        ))),
    }
}

/// Checks `condition` against the current item (`None`: no item), failing as DynamoDB does.
pub(crate) fn check_condition(
    condition: Option<&Condition>,
    current: Option<&Item>,
    return_item: bool,
) -> Result<(), DynamoDbError> {
    let Some(condition) = condition else { return Ok(()) };
    if condition.holds(current.unwrap_or(&Item::new())) {
        return Ok(());
    }
    Err(DynamoDbError::ConditionalCheckFailed { item: current.filter(|_| return_item).cloned() })
}

/// A write's response: `{"Attributes": …}` when there are attributes to return, else `{}`.
pub(crate) fn attributes_response(attributes: Option<Item>) -> Value {
    match attributes {
        Some(attributes) if !attributes.is_empty() => json!({ "Attributes": attributes }),
        _ => json!({}),
    }
}

/// Largest item DynamoDB stores (400 KB).
const MAX_ITEM_BYTES: usize = 400 * 1024;

/// Refuses an item larger than DynamoDB's limit (measured as its JSON, near enough).
pub(crate) fn check_item_size(item: &Item) -> Result<(), DynamoDbError> {
    let size = serde_json::to_vec(item).map_or(0, |bytes| bytes.len());
    if size > MAX_ITEM_BYTES {
        return Err(DynamoDbError::Validation("Item size has exceeded the maximum allowed size".to_owned()));
    }
    Ok(())
}
