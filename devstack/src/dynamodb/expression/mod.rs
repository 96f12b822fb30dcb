//! DynamoDB's expressions — condition, update and projection — parsed into small trees with
//! their `#name`/`:value` placeholders resolved, then evaluated against an item.
//!
//! Paths are top-level attribute names (`connectionId`, `#c`); nested document paths (`a.b`,
//! `l[0]`) are refused with a `ValidationException` rather than misread.

mod condition;
mod cursor;
mod lexer;
mod placeholders;
mod projection;
mod update;

pub(crate) use condition::Condition;
pub(crate) use placeholders::Placeholders;
pub(crate) use projection::Projection;
pub(crate) use update::UpdatePlan;

use super::value::{AttributeValue, Item};

/// A value in an expression: an attribute of the item, or a `:value`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Operand {
    /// The attribute of this name.
    Path(String),
    /// A literal value.
    Value(AttributeValue),
}

impl Operand {
    /// The operand's value in `item`; `None` when it names an attribute the item lacks.
    pub(crate) fn resolve<'a>(&'a self, item: &'a Item) -> Option<&'a AttributeValue> {
        match self {
            Self::Path(name) => item.get(name),
            Self::Value(value) => Some(value),
        }
    }
}
