//! Condition expressions: comparisons (`= <> < <= > >=`), `BETWEEN`, `IN`,
//! `attribute_exists`, `attribute_not_exists`, `begins_with`, joined by `NOT`, `AND`, `OR`
//! (in that order of precedence) and parentheses.

use std::cmp::Ordering;

use super::super::error::DynamoDbError;
use super::super::value::{AttributeValue, Item};
use super::Operand;
use super::cursor::Cursor;
use super::lexer::{Comparator, Token};
use super::placeholders::Placeholders;

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    /// `a <comparator> b`
    Compare(Operand, Comparator, Operand),
    /// `a BETWEEN low AND high`
    Between(Operand, Operand, Operand),
    /// `a IN (b, c, …)`
    In(Operand, Vec<Operand>),
    /// `attribute_exists(path)`
    Exists(String),
    /// `attribute_not_exists(path)`
    NotExists(String),
    /// `begins_with(a, prefix)`
    BeginsWith(Operand, Operand),
    /// `NOT c`
    Not(Box<Condition>),
    /// `a AND b`
    And(Box<Condition>, Box<Condition>),
    /// `a OR b`
    Or(Box<Condition>, Box<Condition>),
}

/// Functions DynamoDB has that the devstack does not evaluate (refused, never guessed).
const NOT_EMULATED_FUNCTIONS: [&str; 3] = ["attribute_type", "contains", "size"];

impl Condition {
    /// Parses `text` (a `ConditionExpression`), resolving its placeholders.
    pub(crate) fn parse(text: &str, placeholders: &mut Placeholders) -> Result<Self, DynamoDbError> {
        let mut cursor = Cursor::new("ConditionExpression", text, placeholders)?;
        let condition = or(&mut cursor)?;
        cursor.finish()?;
        Ok(condition)
    }

    /// Whether the condition holds for `item` (an absent item has no attributes).
    pub(crate) fn holds(&self, item: &Item) -> bool {
        match self {
            Self::Compare(left, comparator, right) => {
                compare(left.resolve(item), *comparator, right.resolve(item))
            }
            Self::Between(value, low, high) => {
                match (value.resolve(item), low.resolve(item), high.resolve(item)) {
                    (Some(value), Some(low), Some(high)) => {
                        matches!(low.compare(value), Some(Ordering::Less | Ordering::Equal))
                            && matches!(value.compare(high), Some(Ordering::Less | Ordering::Equal))
                    }
                    _ => false,
                }
            }
            Self::In(value, list) => value.resolve(item).is_some_and(|value| {
                list.iter().filter_map(|candidate| candidate.resolve(item)).any(|c| value.same_as(c))
            }),
            Self::Exists(name) => item.contains_key(name),
            Self::NotExists(name) => !item.contains_key(name),
            Self::BeginsWith(value, prefix) => match (value.resolve(item), prefix.resolve(item)) {
                (Some(AttributeValue::S(value)), Some(AttributeValue::S(prefix))) => {
                    value.starts_with(prefix.as_str())
                }
                (Some(AttributeValue::B(value)), Some(AttributeValue::B(prefix))) => decoded(value)
                    .zip(decoded(prefix))
                    .is_some_and(|(value, prefix)| value.starts_with(&prefix)),
                _ => false,
            },
            Self::Not(inner) => !inner.holds(item),
            Self::And(left, right) => left.holds(item) && right.holds(item),
            Self::Or(left, right) => left.holds(item) || right.holds(item),
        }
    }
}

fn decoded(base64_text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(base64_text).ok()
}

/// A comparison; a missing attribute makes every comparison false except `<>`.
fn compare(left: Option<&AttributeValue>, comparator: Comparator, right: Option<&AttributeValue>) -> bool {
    let (Some(left), Some(right)) = (left, right) else { return comparator == Comparator::NotEqual };
    match comparator {
        Comparator::Equal => left.same_as(right),
        Comparator::NotEqual => !left.same_as(right),
        Comparator::Less => left.compare(right) == Some(Ordering::Less),
        Comparator::LessOrEqual => matches!(left.compare(right), Some(Ordering::Less | Ordering::Equal)),
        Comparator::Greater => left.compare(right) == Some(Ordering::Greater),
        Comparator::GreaterOrEqual => {
            matches!(left.compare(right), Some(Ordering::Greater | Ordering::Equal))
        }
    }
}

fn or(cursor: &mut Cursor<'_>) -> Result<Condition, DynamoDbError> {
    let mut condition = and(cursor)?;
    while cursor.eat_keyword("OR") {
        condition = Condition::Or(Box::new(condition), Box::new(and(cursor)?));
    }
    Ok(condition)
}

fn and(cursor: &mut Cursor<'_>) -> Result<Condition, DynamoDbError> {
    let mut condition = not(cursor)?;
    while cursor.eat_keyword("AND") {
        condition = Condition::And(Box::new(condition), Box::new(not(cursor)?));
    }
    Ok(condition)
}

fn not(cursor: &mut Cursor<'_>) -> Result<Condition, DynamoDbError> {
    if cursor.eat_keyword("NOT") {
        return Ok(Condition::Not(Box::new(not(cursor)?)));
    }
    primary(cursor)
}

fn primary(cursor: &mut Cursor<'_>) -> Result<Condition, DynamoDbError> {
    if cursor.eat(&Token::Open) {
        let condition = or(cursor)?;
        cursor.expect(&Token::Close)?;
        return Ok(condition);
    }
    if let (Some(Token::Word(name)), Some(Token::Open)) = (cursor.peek(), cursor.peek_second()) {
        let name = name.clone();
        return function(cursor, &name);
    }
    let left = cursor.operand()?;
    match cursor.next() {
        Some(Token::Compare(comparator)) => Ok(Condition::Compare(left, comparator, cursor.operand()?)),
        Some(token) if token.is_keyword("BETWEEN") => {
            let low = cursor.operand()?;
            if !cursor.eat_keyword("AND") {
                return Err(cursor.unexpected());
            }
            Ok(Condition::Between(left, low, cursor.operand()?))
        }
        Some(token) if token.is_keyword("IN") => {
            cursor.expect(&Token::Open)?;
            let mut list = vec![cursor.operand()?];
            while cursor.eat(&Token::Comma) {
                list.push(cursor.operand()?);
            }
            cursor.expect(&Token::Close)?;
            Ok(Condition::In(left, list))
        }
        _ => Err(cursor.unexpected()),
    }
}

/// `name(…)`, with the cursor on `name`.
fn function(cursor: &mut Cursor<'_>, name: &str) -> Result<Condition, DynamoDbError> {
    if NOT_EMULATED_FUNCTIONS.contains(&name) {
        return Err(cursor.not_emulated(&format!("the function {name}")));
    }
    if !matches!(name, "attribute_exists" | "attribute_not_exists" | "begins_with") {
        return Err(DynamoDbError::Validation(format!(
            "Invalid {}: Invalid function name; function: {name}",
            cursor.kind
        )));
    }
    cursor.next();
    cursor.expect(&Token::Open)?;
    let condition = match name {
        "attribute_exists" => Condition::Exists(cursor.path()?),
        "attribute_not_exists" => Condition::NotExists(cursor.path()?),
        _ => {
            let value = cursor.operand()?;
            cursor.expect(&Token::Comma)?;
            Condition::BeginsWith(value, cursor.operand()?)
        }
    };
    cursor.expect(&Token::Close)?;
    Ok(condition)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.into())
    }

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.into())
    }

    fn placeholders() -> Placeholders {
        Placeholders::new(
            Some(HashMap::from([("#c".to_owned(), "connectionId".to_owned())])),
            Some(HashMap::from([
                (":c".to_owned(), s("Conn1=")),
                (":other".to_owned(), s("Conn2=")),
                (":five".to_owned(), n("5")),
                (":ten".to_owned(), n("10.0")),
                (":pre".to_owned(), s("Conn")),
            ])),
        )
        .unwrap()
    }

    fn holds(expression: &str, item: &Item) -> bool {
        Condition::parse(expression, &mut placeholders()).unwrap().holds(item)
    }

    fn row() -> Item {
        Item::from([
            ("sessionId".to_owned(), s("us-east-1:abc")),
            ("connectionId".to_owned(), s("Conn1=")),
            ("count".to_owned(), n("7")),
        ])
    }

    #[test]
    fn hostile_nesting_and_length_are_refused_not_recursed_into() {
        for expression in [
            format!("{}#c = :c{}", "(".repeat(2000), ")".repeat(2000)),
            format!("{}#c = :c", "NOT ".repeat(500)),
            format!("#c = :c{}", " OR #c = :c".repeat(400)),
        ] {
            let error = Condition::parse(&expression, &mut placeholders()).expect_err("refused");
            assert!(matches!(error, DynamoDbError::Validation(_)), "{error:?}");
        }
        let nested_ok = format!("{}#c = :c{}", "(".repeat(10), ")".repeat(10));
        assert!(holds(&nested_ok, &row()));
    }

    #[test]
    fn comparisons_and_functions_evaluate_against_the_item() {
        let row = row();
        for (expression, expected) in [
            ("#c = :c", true),
            ("#c <> :c", false),
            ("#c = :other", false),
            ("count > :five", true),
            ("count >= :ten", false),
            ("count < :ten AND count <= :ten", true),
            ("count BETWEEN :five AND :ten", true),
            ("#c IN (:other, :c)", true),
            ("attribute_exists(#c)", true),
            ("attribute_not_exists(stopTurn)", true),
            ("begins_with(#c, :pre)", true),
            ("#c > :five", false),
        ] {
            assert_eq!(holds(expression, &row), expected, "{expression}");
        }
    }

    #[test]
    fn a_missing_attribute_fails_every_comparison_but_not_equal() {
        let empty = Item::new();
        assert!(!holds("#c = :c", &empty));
        assert!(!holds("count < :five", &empty));
        assert!(holds("#c <> :c", &empty));
        assert!(holds("attribute_not_exists(#c)", &empty));
    }

    #[test]
    fn not_binds_tighter_than_and_which_binds_tighter_than_or() {
        let row = row();
        // a OR b AND c with a, b true and c false is true; (a OR b) AND c is false (AWS's example).
        assert!(holds("#c = :c OR count > :five AND #c = :other", &row));
        assert!(!holds("(#c = :c OR count > :five) AND #c = :other", &row));
        assert!(holds("NOT #c = :other AND #c = :c", &row));
        assert!(!holds("NOT (#c = :c AND count > :five)", &row));
        assert!(holds("not #c = :other and #c = :c", &row), "keywords are case-insensitive");
    }

    #[test]
    fn malformed_conditions_are_validation_errors_that_say_why() {
        for (expression, says) in [
            ("#c = ", "token: \"<EOF>\""),
            ("#c = :c)", "token: \")\""),
            ("(#c = :c", "token: \"<EOF>\""),
            ("#d = :c", "attribute name: #d"),
            ("#c = :nope", "attribute value: :nope"),
            ("size(#c) > :five", "does not emulate the function size"),
            ("exists(#c)", "Invalid function name; function: exists"),
            ("a.b = :c", "nested document paths"),
            ("", "can not be empty"),
        ] {
            let error = Condition::parse(expression, &mut placeholders()).unwrap_err();
            assert!(matches!(error, DynamoDbError::Validation(_)), "{expression}");
            assert!(error.to_string().contains(says), "{expression}: {error}");
        }
    }
}
