//! `UpdateItem`: an `UpdateExpression` applied to the item (created from its key when absent),
//! under an optional `ConditionExpression`, returning what `ReturnValues` asks for.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::Value;

use super::request::{
    ReturnValues, attributes_response, check_condition, check_item_size, refuse_legacy, required,
    return_item_on_failure, table_name,
};
use crate::dynamodb::error::DynamoDbError;
use crate::dynamodb::expression::{Condition, Placeholders, UpdatePlan};
use crate::dynamodb::tables::Tables;
use crate::dynamodb::value::{AttributeValue, Item};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct UpdateItemRequest {
    table_name: Option<String>,
    key: Option<Item>,
    update_expression: Option<String>,
    condition_expression: Option<String>,
    expression_attribute_names: Option<HashMap<String, String>>,
    expression_attribute_values: Option<HashMap<String, AttributeValue>>,
    return_values: Option<String>,
    return_values_on_condition_check_failure: Option<String>,
    attribute_updates: Option<Value>,
    expected: Option<Value>,
    conditional_operator: Option<Value>,
}

/// The attributes of `item` that `plan` touches.
fn touched(plan: Option<&UpdatePlan>, item: &Item) -> Item {
    let Some(plan) = plan else { return Item::new() };
    plan.targets().filter_map(|name| Some((name.to_owned(), item.get(name)?.clone()))).collect()
}

pub(crate) fn update_item(tables: &Tables, request: UpdateItemRequest) -> Result<Value, DynamoDbError> {
    let name = table_name(request.table_name)?;
    let key_item = required(request.key, "key")?;
    refuse_legacy(request.attribute_updates.is_some(), "AttributeUpdates", "UpdateExpression")?;
    refuse_legacy(request.expected.is_some(), "Expected", "ConditionExpression")?;
    refuse_legacy(request.conditional_operator.is_some(), "ConditionalOperator", "ConditionExpression")?;
    let return_values = ReturnValues::parse(
        request.return_values.as_deref(),
        "UpdateItem",
        &[
            ReturnValues::None,
            ReturnValues::AllOld,
            ReturnValues::UpdatedOld,
            ReturnValues::AllNew,
            ReturnValues::UpdatedNew,
        ],
    )?;
    let return_item = return_item_on_failure(request.return_values_on_condition_check_failure.as_deref())?;
    let mut placeholders =
        Placeholders::new(request.expression_attribute_names, request.expression_attribute_values)?;
    let plan = request
        .update_expression
        .as_deref()
        .map(|text| UpdatePlan::parse(text, &mut placeholders))
        .transpose()?;
    let condition = request
        .condition_expression
        .as_deref()
        .map(|text| Condition::parse(text, &mut placeholders))
        .transpose()?;
    placeholders.check_all_used()?;

    let (old, new) = tables.with_table(&name, |table| {
        let key = table.key_of(&key_item)?;
        if let Some(target) = plan.iter().flat_map(UpdatePlan::targets).find(|t| table.is_key_attribute(t)) {
            return Err(DynamoDbError::Validation(format!(
                "One or more parameter values were invalid: Cannot update attribute {target}. This attribute \
                 is part of the key"
            )));
        }
        let old = table.get(&key).cloned();
        check_condition(condition.as_ref(), old.as_ref(), return_item)?;
        let base = old.clone().unwrap_or_else(|| key_item.clone());
        let new = match &plan {
            Some(plan) => plan.apply(&base)?,
            None => base,
        };
        check_item_size(&new)?;
        table.put(key, new.clone());
        Ok((old, new))
    })?;
    Ok(attributes_response(match return_values {
        ReturnValues::None => None,
        ReturnValues::AllOld => old,
        ReturnValues::AllNew => Some(new),
        ReturnValues::UpdatedOld => old.map(|old| touched(plan.as_ref(), &old)),
        ReturnValues::UpdatedNew => Some(touched(plan.as_ref(), &new)),
    }))
}
