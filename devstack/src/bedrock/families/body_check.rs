//! Bedrock's refusals of a body that does not fit the model's family, worded as Bedrock words them
//! (`Malformed input request: #: required key [prompt] not found, please reformat your input and
//! try again.`): required keys and their JSON types are checked; a body that fails also has its
//! unknown keys listed (`#: extraneous key [messages] is not permitted`), but unknown keys alone
//! are let through, so the devstack never refuses a body Bedrock might take.

use axum::http::StatusCode;
use serde_json::{Map, Value};

use crate::aws_error::AwsError;

/// A JSON type as Bedrock's validator names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JsonType {
    String,
    Integer,
    Number,
    Array,
    Object,
    /// A string or an array of content blocks (Anthropic's `content` and `system`).
    StringOrArray,
}

impl JsonType {
    fn name(self) -> &'static str {
        match self {
            Self::String => "String",
            Self::Integer => "Integer",
            Self::Number => "Number",
            Self::Array => "JSONArray",
            Self::Object => "JSONObject",
            Self::StringOrArray => "String or JSONArray",
        }
    }

    fn matches(self, value: &Value) -> bool {
        match self {
            Self::String => value.is_string(),
            Self::Integer => value.is_i64() || value.is_u64(),
            Self::Number => value.is_number(),
            Self::Array => value.is_array(),
            Self::Object => value.is_object(),
            Self::StringOrArray => value.is_string() || value.is_array(),
        }
    }
}

/// How Bedrock's validator names the type a value has.
fn found_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "Boolean",
        Value::Number(number) if number.is_f64() => "BigDecimal",
        Value::Number(_) => "Integer",
        Value::String(_) => "String",
        Value::Array(_) => "JSONArray",
        Value::Object(_) => "JSONObject",
    }
}

/// One key of a body and its type.
pub(super) type Field = (&'static str, JsonType);

/// The keys a family's body has.
#[derive(Debug, Clone, Copy)]
pub(super) struct Schema {
    /// Keys that must be there.
    pub(super) required: &'static [Field],
    /// Documented keys that may be there (type-checked when present).
    pub(super) optional: &'static [Field],
}

impl Schema {
    /// The body as an object when it fits, or Bedrock's refusal naming what does not.
    pub(super) fn check<'b>(&self, body: &'b Value) -> Result<&'b Map<String, Value>, AwsError> {
        let Some(object) = body.as_object() else {
            return Err(malformed(&[type_violation("#", JsonType::Object, body)]));
        };
        let mut violations = Vec::new();
        for &(key, expected) in self.required {
            match object.get(key) {
                None => violations.push(format!("#: required key [{key}] not found")),
                Some(value) if !expected.matches(value) => {
                    violations.push(type_violation(&format!("#/{key}"), expected, value));
                }
                Some(_) => {}
            }
        }
        for &(key, expected) in self.optional {
            if let Some(value) = object.get(key).filter(|value| !expected.matches(value)) {
                violations.push(type_violation(&format!("#/{key}"), expected, value));
            }
        }
        if violations.is_empty() {
            return Ok(object);
        }
        let known = |key: &str| self.required.iter().chain(self.optional).any(|(name, _)| *name == key);
        let mut unknown: Vec<&String> = object.keys().filter(|key| !known(key)).collect();
        unknown.sort();
        violations.extend(unknown.iter().map(|key| format!("#: extraneous key [{key}] is not permitted")));
        Err(malformed(&violations))
    }
}

/// The violations of `items` (an array at `path`, e.g. `#/messages`) whose entries must be objects
/// with `fields`.
pub(super) fn item_violations(path: &str, items: &[Value], fields: &[Field]) -> Vec<String> {
    let mut violations = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let item_path = format!("{path}/{index}");
        let Some(object) = item.as_object() else {
            violations.push(type_violation(&item_path, JsonType::Object, item));
            continue;
        };
        for &(key, expected) in fields {
            match object.get(key) {
                None => violations.push(format!("{item_path}: required key [{key}] not found")),
                Some(value) if !expected.matches(value) => {
                    violations.push(type_violation(&format!("{item_path}/{key}"), expected, value));
                }
                Some(_) => {}
            }
        }
    }
    violations
}

/// `#/path: expected type: X, found: Y`.
pub(super) fn type_violation(path: &str, expected: JsonType, found: &Value) -> String {
    format!("{path}: expected type: {}, found: {}", expected.name(), found_name(found))
}

/// Bedrock's refusal listing schema violations.
pub(super) fn malformed(violations: &[String]) -> AwsError {
    invalid(format!(
        "Malformed input request: {}, please reformat your input and try again.",
        violations.concat()
    ))
}

/// A `ValidationException` (400) with `message`.
pub(super) fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, "ValidationException", message)
}

/// The body as JSON, or Bedrock's refusal of a body that is not.
pub(super) fn parse_json(body: &[u8]) -> Result<Value, AwsError> {
    serde_json::from_slice(body).map_err(|error| {
        invalid(format!(
            "Malformed input request: the body is not JSON ({error}), please reformat your input and try again."
        ))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const PROMPT_ONLY: Schema =
        Schema { required: &[("prompt", JsonType::String)], optional: &[("max_gen_len", JsonType::Integer)] };

    #[test]
    fn a_fitting_body_passes_even_with_unknown_keys() {
        let body = json!({ "prompt": "hi", "max_gen_len": 10, "something_new": true });
        assert_eq!(PROMPT_ONLY.check(&body).unwrap().len(), 3);
    }

    #[test]
    fn refusals_read_like_bedrocks() {
        let refusal = PROMPT_ONLY.check(&json!({ "messages": [] })).unwrap_err();
        assert_eq!(refusal.status, StatusCode::BAD_REQUEST);
        assert_eq!(refusal.error_type, "ValidationException");
        assert_eq!(
            refusal.message,
            "Malformed input request: #: required key [prompt] not found#: extraneous key [messages] is not \
             permitted, please reformat your input and try again."
        );
        let wrong_types = PROMPT_ONLY.check(&json!({ "prompt": ["hi"], "max_gen_len": 0.5 })).unwrap_err();
        assert_eq!(
            wrong_types.message,
            "Malformed input request: #/prompt: expected type: String, found: JSONArray#/max_gen_len: expected \
             type: Integer, found: BigDecimal, please reformat your input and try again."
        );
        assert!(PROMPT_ONLY.check(&json!([1])).unwrap_err().message.contains("#: expected type: JSONObject"));
        let items = [json!({ "role": "user", "content": "hi" }), json!({ "content": ["x"] }), json!(3)];
        assert_eq!(
            item_violations(
                "#/messages",
                &items,
                &[("role", JsonType::String), ("content", JsonType::String)]
            ),
            [
                "#/messages/1: required key [role] not found",
                "#/messages/1/content: expected type: String, found: JSONArray",
                "#/messages/2: expected type: JSONObject, found: Integer",
            ]
        );
        assert!(parse_json(b"{oops").unwrap_err().message.starts_with("Malformed input request"));
    }
}
