//! Update expressions: `SET a = v`, `SET a = b + v`, `SET a = b - v` (values may be
//! `if_not_exists(path, v)` or `list_append(x, y)`), `REMOVE a`, `ADD a :v` (numbers and sets)
//! and `DELETE a :set`. Every action reads the item as it was before the update, as DynamoDB's
//! actions do.

use std::collections::BTreeSet;

use super::super::error::DynamoDbError;
use super::super::value::{AttributeValue, Item};
use super::Operand;
use super::cursor::Cursor;
use super::lexer::Token;
use super::placeholders::Placeholders;

/// An operand of `SET`'s right-hand side.
#[derive(Debug, Clone, PartialEq)]
enum SetOperand {
    Plain(Operand),
    IfNotExists(String, Box<SetOperand>),
    ListAppend(Box<SetOperand>, Box<SetOperand>),
}

/// The right-hand side of a `SET` action.
#[derive(Debug, Clone, PartialEq)]
enum SetValue {
    Just(SetOperand),
    Plus(SetOperand, SetOperand),
    Minus(SetOperand, SetOperand),
}

/// One action of an update.
#[derive(Debug, Clone, PartialEq)]
enum Action {
    Set(String, SetValue),
    Remove(String),
    Add(String, AttributeValue),
    Delete(String, AttributeValue),
}

impl Action {
    fn target(&self) -> &str {
        match self {
            Self::Set(name, _) | Self::Remove(name) | Self::Add(name, _) | Self::Delete(name, _) => name,
        }
    }
}

/// A parsed `UpdateExpression`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct UpdatePlan {
    actions: Vec<Action>,
}

fn wrong_type() -> DynamoDbError {
    DynamoDbError::Validation("An operand in the update expression has an incorrect data type".to_owned())
}

fn missing_attribute() -> DynamoDbError {
    DynamoDbError::Validation(
        "The provided expression refers to an attribute that does not exist in the item".to_owned(),
    )
}

impl UpdatePlan {
    /// Parses `text`, resolving its placeholders.
    pub(crate) fn parse(text: &str, placeholders: &mut Placeholders) -> Result<Self, DynamoDbError> {
        let mut cursor = Cursor::new("UpdateExpression", text, placeholders)?;
        let mut actions = Vec::new();
        let mut clauses_seen = BTreeSet::new();
        while let Some(token) = cursor.next() {
            let Token::Word(word) = &token else { return Err(cursor_error(&cursor, &token)) };
            let clause = word.to_ascii_uppercase();
            if !matches!(clause.as_str(), "SET" | "REMOVE" | "ADD" | "DELETE") {
                return Err(cursor_error(&cursor, &token));
            }
            if !clauses_seen.insert(clause.clone()) {
                return Err(DynamoDbError::Validation(format!(
                    "Invalid UpdateExpression: The \"{clause}\" section can only be used once in an update expression;"
                )));
            }
            loop {
                actions.push(action(&mut cursor, &clause)?);
                if !cursor.eat(&Token::Comma) {
                    break;
                }
            }
        }
        let plan = Self { actions };
        plan.check_no_overlap()?;
        Ok(plan)
    }

    /// The attributes the update writes or removes.
    pub(crate) fn targets(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().map(Action::target)
    }

    fn check_no_overlap(&self) -> Result<(), DynamoDbError> {
        let mut seen = BTreeSet::new();
        for target in self.targets() {
            if !seen.insert(target) {
                return Err(DynamoDbError::Validation(format!(
                    "Invalid UpdateExpression: Two document paths overlap with each other; must remove or \
                     rewrite one of these paths; path one: [{target}], path two: [{target}]"
                )));
            }
        }
        Ok(())
    }

    /// The item after the update; every action reads `old`.
    pub(crate) fn apply(&self, old: &Item) -> Result<Item, DynamoDbError> {
        let mut changes: Vec<(&str, Option<AttributeValue>)> = Vec::with_capacity(self.actions.len());
        for action in &self.actions {
            let change = match action {
                Action::Set(_, value) => Some(evaluate_set(value, old)?),
                Action::Remove(_) => None,
                Action::Add(name, value) => Some(add(old.get(name), value)?),
                Action::Delete(name, value) => delete(old.get(name), value)?,
            };
            changes.push((action.target(), change));
        }
        let mut new = old.clone();
        for (name, change) in changes {
            match change {
                Some(value) => new.insert(name.to_owned(), value),
                None => new.remove(name),
            };
        }
        Ok(new)
    }
}

fn cursor_error(cursor: &Cursor<'_>, token: &Token) -> DynamoDbError {
    super::lexer::syntax_error(cursor.kind, &token.text())
}

fn action(cursor: &mut Cursor<'_>, clause: &str) -> Result<Action, DynamoDbError> {
    let target = cursor.path()?;
    match clause {
        "SET" => {
            cursor.expect(&Token::Compare(super::lexer::Comparator::Equal))?;
            let first = set_operand(cursor)?;
            let value = if cursor.eat(&Token::Plus) {
                SetValue::Plus(first, set_operand(cursor)?)
            } else if cursor.eat(&Token::Minus) {
                SetValue::Minus(first, set_operand(cursor)?)
            } else {
                SetValue::Just(first)
            };
            Ok(Action::Set(target, value))
        }
        "REMOVE" => Ok(Action::Remove(target)),
        _ => {
            let Some(Operand::Value(value)) = cursor.value()? else { return Err(cursor.unexpected()) };
            Ok(if clause == "ADD" { Action::Add(target, value) } else { Action::Delete(target, value) })
        }
    }
}

fn set_operand(cursor: &mut Cursor<'_>) -> Result<SetOperand, DynamoDbError> {
    if let (Some(Token::Word(name)), Some(Token::Open)) = (cursor.peek(), cursor.peek_second()) {
        let name = name.clone();
        cursor.next();
        cursor.next();
        let operand = match name.as_str() {
            "if_not_exists" => {
                let path = cursor.path()?;
                cursor.expect(&Token::Comma)?;
                SetOperand::IfNotExists(path, Box::new(set_operand(cursor)?))
            }
            "list_append" => {
                let first = set_operand(cursor)?;
                cursor.expect(&Token::Comma)?;
                SetOperand::ListAppend(Box::new(first), Box::new(set_operand(cursor)?))
            }
            other => {
                return Err(DynamoDbError::Validation(format!(
                    "Invalid UpdateExpression: Invalid function name; function: {other}"
                )));
            }
        };
        cursor.expect(&Token::Close)?;
        return Ok(operand);
    }
    cursor.operand().map(SetOperand::Plain)
}

fn evaluate_operand(operand: &SetOperand, old: &Item) -> Result<AttributeValue, DynamoDbError> {
    match operand {
        SetOperand::Plain(plain) => plain.resolve(old).cloned().ok_or_else(missing_attribute),
        SetOperand::IfNotExists(path, fallback) => match old.get(path) {
            Some(existing) => Ok(existing.clone()),
            None => evaluate_operand(fallback, old),
        },
        SetOperand::ListAppend(first, second) => {
            match (evaluate_operand(first, old)?, evaluate_operand(second, old)?) {
                (AttributeValue::L(mut first), AttributeValue::L(second)) => {
                    first.extend(second);
                    Ok(AttributeValue::L(first))
                }
                _ => Err(wrong_type()),
            }
        }
    }
}

fn evaluate_set(value: &SetValue, old: &Item) -> Result<AttributeValue, DynamoDbError> {
    let arithmetic = |left: &SetOperand, right: &SetOperand, subtract: bool| {
        let left = evaluate_operand(left, old)?.number().ok_or_else(wrong_type)?;
        let right = evaluate_operand(right, old)?.number().ok_or_else(wrong_type)?;
        let result = left.add(if subtract { right.negated() } else { right })?;
        Ok(AttributeValue::N(result.to_string()))
    };
    match value {
        SetValue::Just(operand) => evaluate_operand(operand, old),
        SetValue::Plus(left, right) => arithmetic(left, right, false),
        SetValue::Minus(left, right) => arithmetic(left, right, true),
    }
}

/// Whether two members of a set are the same (numbers by value).
fn same_member(kind: &AttributeValue, a: &str, b: &str) -> bool {
    match kind {
        AttributeValue::Ns(_) => AttributeValue::N(a.to_owned()).same_as(&AttributeValue::N(b.to_owned())),
        _ => a == b,
    }
}

/// The members of a set value, if it is one.
fn members(value: &AttributeValue) -> Option<&[String]> {
    match value {
        AttributeValue::Ss(members) | AttributeValue::Ns(members) | AttributeValue::Bs(members) => {
            Some(members)
        }
        _ => None,
    }
}

/// A set of `kind`'s type holding `members`.
fn same_kind_set(kind: &AttributeValue, members: Vec<String>) -> AttributeValue {
    match kind {
        AttributeValue::Ns(_) => AttributeValue::Ns(members),
        AttributeValue::Bs(_) => AttributeValue::Bs(members),
        _ => AttributeValue::Ss(members),
    }
}

/// `ADD`: a number is added (to 0 when absent); a set is joined.
fn add(existing: Option<&AttributeValue>, value: &AttributeValue) -> Result<AttributeValue, DynamoDbError> {
    let Some(existing) = existing else {
        return if matches!(value, AttributeValue::N(_)) || members(value).is_some() {
            Ok(value.clone())
        } else {
            Err(wrong_type())
        };
    };
    if let (AttributeValue::N(_), AttributeValue::N(_)) = (existing, value) {
        let old = existing.number().ok_or_else(wrong_type)?;
        let added = value.number().ok_or_else(wrong_type)?;
        return Ok(AttributeValue::N(old.add(added)?.to_string()));
    }
    match (members(existing), members(value)) {
        (Some(old), Some(new)) if existing.type_name() == value.type_name() => {
            let mut joined = old.to_vec();
            for member in new {
                if !joined.iter().any(|kept| same_member(value, kept, member)) {
                    joined.push(member.clone());
                }
            }
            Ok(same_kind_set(value, joined))
        }
        _ => Err(wrong_type()),
    }
}

/// `DELETE`: members leave a set; an emptied set disappears.
fn delete(
    existing: Option<&AttributeValue>,
    value: &AttributeValue,
) -> Result<Option<AttributeValue>, DynamoDbError> {
    let gone = members(value).ok_or_else(wrong_type)?;
    let Some(existing) = existing else { return Ok(None) };
    let old =
        members(existing).filter(|_| existing.type_name() == value.type_name()).ok_or_else(wrong_type)?;
    let left: Vec<String> =
        old.iter().filter(|member| !gone.iter().any(|g| same_member(value, member, g))).cloned().collect();
    Ok((!left.is_empty()).then(|| same_kind_set(value, left)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn n(text: &str) -> AttributeValue {
        AttributeValue::N(text.into())
    }

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.into())
    }

    fn placeholders() -> Placeholders {
        Placeholders::new(
            Some(HashMap::from([("#t".to_owned(), "ttl".to_owned())])),
            Some(HashMap::from([
                (":zero".to_owned(), n("0")),
                (":one".to_owned(), n("1")),
                (":half".to_owned(), n("0.5")),
                (":turn".to_owned(), s("t2")),
                (":tags".to_owned(), AttributeValue::Ss(vec!["b".into(), "c".into()])),
                (":list".to_owned(), AttributeValue::L(vec![s("x")])),
            ])),
        )
        .unwrap()
    }

    fn update(expression: &str, old: &Item) -> Result<Item, DynamoDbError> {
        UpdatePlan::parse(expression, &mut placeholders())?.apply(old)
    }

    fn row() -> Item {
        Item::from([
            ("sessionId".to_owned(), s("s1")),
            ("count".to_owned(), n("41")),
            ("ttl".to_owned(), n("100")),
            ("stopTurn".to_owned(), s("t1")),
            ("tags".to_owned(), AttributeValue::Ss(vec!["a".into(), "b".into()])),
        ])
    }

    #[test]
    fn set_assigns_and_does_arithmetic() {
        let new = update("SET stopTurn = :turn, count = count + :one, #t = #t - :half", &row()).unwrap();
        assert_eq!(new["stopTurn"], s("t2"));
        assert_eq!(new["count"], n("42"));
        assert_eq!(new["ttl"], n("99.5"));
        let counted = update("SET visits = if_not_exists(visits, :zero) + :one", &Item::new()).unwrap();
        assert_eq!(counted["visits"], n("1"));
        let again = update("SET visits = if_not_exists(visits, :zero) + :one", &counted).unwrap();
        assert_eq!(again["visits"], n("2"));
        let appended = update("SET l = list_append(if_not_exists(l, :list), :list)", &Item::new()).unwrap();
        assert_eq!(appended["l"], AttributeValue::L(vec![s("x"), s("x")]));
    }

    #[test]
    fn every_action_reads_the_item_as_it_was() {
        let new = update("SET count = :one, copy = count", &row()).unwrap();
        assert_eq!(new["count"], n("1"));
        assert_eq!(new["copy"], n("41"), "copy sees the old count");
    }

    #[test]
    fn remove_add_and_delete_change_attributes_and_sets() {
        let new = update("REMOVE stopTurn ADD count :one, tags :tags, fresh :one", &row()).unwrap();
        assert!(!new.contains_key("stopTurn"));
        assert_eq!(new["count"], n("42"));
        assert_eq!(new["fresh"], n("1"), "ADD starts a missing number at 0");
        assert_eq!(new["tags"], AttributeValue::Ss(vec!["a".into(), "b".into(), "c".into()]));
        let deleted = update("DELETE tags :tags", &row()).unwrap();
        assert_eq!(deleted["tags"], AttributeValue::Ss(vec!["a".into()]));
        let unchanged = update("DELETE tags :tags", &deleted).unwrap();
        assert_eq!(unchanged["tags"], AttributeValue::Ss(vec!["a".into()]));
        let all_gone = Item::from([("tags".to_owned(), AttributeValue::Ss(vec!["b".into()]))]);
        assert!(!update("DELETE tags :tags", &all_gone).unwrap().contains_key("tags"));
    }

    #[test]
    fn wrong_types_and_missing_operands_are_refused() {
        for (expression, says) in [
            ("SET stopTurn = stopTurn + :one", "incorrect data type"),
            ("ADD stopTurn :one", "incorrect data type"),
            ("ADD count :turn", "incorrect data type"),
            ("DELETE tags :one", "incorrect data type"),
            ("SET x = nothing + :one", "does not exist in the item"),
        ] {
            let error = update(expression, &row()).unwrap_err().to_string();
            assert!(error.contains(says), "{expression}: {error}");
        }
    }

    #[test]
    fn malformed_updates_are_refused() {
        for (expression, says) in [
            ("SET a = :one SET b = :one", "\"SET\" section can only be used once"),
            ("SET a = :one, a = :zero", "Two document paths overlap"),
            ("SET a :one", "token: \":one\""),
            ("UPSERT a = :one", "token: \"UPSERT\""),
            ("ADD a b", "token: \"b\""),
            ("SET a = max(a, :one)", "Invalid function name; function: max"),
            ("SET a.b = :one", "nested document paths"),
        ] {
            let error = UpdatePlan::parse(expression, &mut placeholders()).unwrap_err().to_string();
            assert!(error.contains(says), "{expression}: {error}");
        }
    }
}
