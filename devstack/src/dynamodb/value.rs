//! DynamoDB attribute values in their JSON form (`{"S":"…"}`, `{"N":"42"}`, …): reading them
//! strictly, comparing them as DynamoDB does, and the items they make up.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::error::DynamoDbError;
use super::number::Number;

/// One attribute value, as DynamoDB's JSON protocol writes it. Binary values stay base64 text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AttributeValue {
    /// A string.
    #[serde(rename = "S")]
    S(String),
    /// A number, as decimal text.
    #[serde(rename = "N")]
    N(String),
    /// Binary, base64.
    #[serde(rename = "B")]
    B(String),
    /// A boolean.
    #[serde(rename = "BOOL")]
    Bool(bool),
    /// Null (always `true`).
    #[serde(rename = "NULL")]
    Null(bool),
    /// A list.
    #[serde(rename = "L")]
    L(Vec<AttributeValue>),
    /// A map.
    #[serde(rename = "M")]
    M(BTreeMap<String, AttributeValue>),
    /// A string set.
    #[serde(rename = "SS")]
    Ss(Vec<String>),
    /// A number set.
    #[serde(rename = "NS")]
    Ns(Vec<String>),
    /// A binary set.
    #[serde(rename = "BS")]
    Bs(Vec<String>),
}

/// An item: attribute name → value.
pub type Item = BTreeMap<String, AttributeValue>;

fn invalid(message: impl Into<String>) -> DynamoDbError {
    DynamoDbError::Validation(format!("One or more parameter values were invalid: {}", message.into()))
}

fn check_set<'a>(members: &'a [String], kind: &str) -> Result<(), DynamoDbError> {
    if members.is_empty() {
        return Err(invalid(format!("An {kind} set may not be empty")));
    }
    let mut seen: Vec<&'a String> = members.iter().collect();
    seen.sort();
    seen.dedup();
    if seen.len() != members.len() {
        return Err(invalid(format!("Input collection contains duplicates ({kind} set)")));
    }
    Ok(())
}

impl AttributeValue {
    /// Checks what DynamoDB checks on input: numbers parse, sets are non-empty without
    /// duplicates, `NULL` is `true`.
    pub(crate) fn validate(&self) -> Result<(), DynamoDbError> {
        match self {
            Self::N(text) => Number::parse(text).map(drop),
            Self::Null(false) => Err(invalid("Null attribute value types must have the value of true")),
            Self::L(values) => values.iter().try_for_each(Self::validate),
            Self::M(values) => values.values().try_for_each(Self::validate),
            Self::Ss(members) => check_set(members, "string"),
            Self::Bs(members) => check_set(members, "binary"),
            Self::Ns(members) => {
                check_set(members, "number")?;
                members.iter().try_for_each(|n| Number::parse(n).map(drop))
            }
            Self::S(_) | Self::B(_) | Self::Bool(_) | Self::Null(true) => Ok(()),
        }
    }

    /// The type's name as DynamoDB's messages give it (`S`, `N`, `SS`, …).
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Self::S(_) => "S",
            Self::N(_) => "N",
            Self::B(_) => "B",
            Self::Bool(_) => "BOOL",
            Self::Null(_) => "NULL",
            Self::L(_) => "L",
            Self::M(_) => "M",
            Self::Ss(_) => "SS",
            Self::Ns(_) => "NS",
            Self::Bs(_) => "BS",
        }
    }

    /// The value as a number, if it is one.
    pub(crate) fn number(&self) -> Option<Number> {
        match self {
            Self::N(text) => Number::parse(text).ok(),
            _ => None,
        }
    }

    /// Equality as `=` sees it: numbers by value, sets regardless of order.
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::N(_), Self::N(_)) => self.compare(other) == Some(Ordering::Equal),
            (Self::Ss(a), Self::Ss(b)) | (Self::Bs(a), Self::Bs(b)) => same_members(a, b, |x, y| x == y),
            (Self::Ns(a), Self::Ns(b)) => same_members(a, b, numbers_equal),
            (Self::L(a), Self::L(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_as(y)),
            (Self::M(a), Self::M(b)) => {
                a.len() == b.len() && a.iter().all(|(name, x)| b.get(name).is_some_and(|y| x.same_as(y)))
            }
            _ => self == other,
        }
    }

    /// Order as `<`, `<=`, `>`, `>=` see it: numbers by value, strings and binary by bytes;
    /// `None` for any other pair (which makes those comparisons false).
    pub(crate) fn compare(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::N(a), Self::N(b)) => Some(Number::parse(a).ok()?.compare(Number::parse(b).ok()?)),
            (Self::S(a), Self::S(b)) | (Self::B(a), Self::B(b)) => Some(binary_order(self, a, b)),
            _ => None,
        }
    }
}

/// Strings compare by their UTF-8 bytes; binaries by their decoded bytes.
fn binary_order(kind: &AttributeValue, a: &str, b: &str) -> Ordering {
    use base64::Engine;
    if let AttributeValue::B(_) = kind {
        let decode = |text: &str| base64::engine::general_purpose::STANDARD.decode(text).ok();
        if let (Some(a), Some(b)) = (decode(a), decode(b)) {
            return a.cmp(&b);
        }
    }
    a.as_bytes().cmp(b.as_bytes())
}

fn numbers_equal(a: &str, b: &str) -> bool {
    matches!((Number::parse(a), Number::parse(b)), (Ok(x), Ok(y)) if x.compare(y) == Ordering::Equal)
}

fn same_members(a: &[String], b: &[String], equal: impl Fn(&str, &str) -> bool) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.iter().any(|y| equal(x, y)))
}

/// Checks every value of an item (see [`AttributeValue::validate`]).
pub(crate) fn validate_item(item: &Item) -> Result<(), DynamoDbError> {
    item.values().try_for_each(AttributeValue::validate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(json: &str) -> AttributeValue {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn values_read_and_write_dynamodb_json() {
        let item: Item =
            serde_json::from_str(r#"{"sessionId":{"S":"s1"},"ttl":{"N":"1900000000"},"gone":{"NULL":true}}"#)
                .unwrap();
        assert_eq!(item["sessionId"], AttributeValue::S("s1".into()));
        assert_eq!(
            serde_json::to_string(&item).unwrap(),
            r#"{"gone":{"NULL":true},"sessionId":{"S":"s1"},"ttl":{"N":"1900000000"}}"#
        );
        assert!(serde_json::from_str::<AttributeValue>(r#"{"X":"1"}"#).is_err());
        assert!(serde_json::from_str::<AttributeValue>(r#"{"S":"1","N":"1"}"#).is_err());
    }

    #[test]
    fn invalid_values_are_refused() {
        for json in [r#"{"N":"one"}"#, r#"{"SS":[]}"#, r#"{"NS":["1","1.0x"]}"#, r#"{"NULL":false}"#] {
            assert!(value(json).validate().is_err(), "{json}");
        }
        assert!(value(r#"{"SS":["a","a"]}"#).validate().unwrap_err().to_string().contains("duplicates"));
        assert!(value(r#"{"M":{"a":{"L":[{"N":"1"}]}}}"#).validate().is_ok());
    }

    #[test]
    fn equality_and_order_follow_dynamodb() {
        assert!(value(r#"{"N":"1.0"}"#).same_as(&value(r#"{"N":"1"}"#)));
        assert!(value(r#"{"SS":["a","b"]}"#).same_as(&value(r#"{"SS":["b","a"]}"#)));
        assert!(!value(r#"{"S":"1"}"#).same_as(&value(r#"{"N":"1"}"#)));
        assert_eq!(value(r#"{"N":"9"}"#).compare(&value(r#"{"N":"10"}"#)), Some(Ordering::Less));
        assert_eq!(value(r#"{"S":"9"}"#).compare(&value(r#"{"S":"10"}"#)), Some(Ordering::Greater));
        assert_eq!(value(r#"{"S":"a"}"#).compare(&value(r#"{"N":"1"}"#)), None);
    }
}
