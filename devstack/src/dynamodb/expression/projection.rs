//! Projection expressions: the attributes a read returns (`connectionId, #t`).

use super::super::error::DynamoDbError;
use super::super::value::Item;
use super::cursor::Cursor;
use super::lexer::Token;
use super::placeholders::Placeholders;

/// A parsed `ProjectionExpression`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Projection {
    names: Vec<String>,
}

impl Projection {
    /// Parses `text`, resolving its `#name` placeholders.
    pub(crate) fn parse(text: &str, placeholders: &mut Placeholders) -> Result<Self, DynamoDbError> {
        let mut cursor = Cursor::new("ProjectionExpression", text, placeholders)?;
        let mut names = vec![cursor.path()?];
        while cursor.eat(&Token::Comma) {
            names.push(cursor.path()?);
        }
        cursor.finish()?;
        Ok(Self { names })
    }

    /// The projected attributes `item` has.
    pub(crate) fn apply(&self, item: &Item) -> Item {
        item.iter()
            .filter(|(name, _)| self.names.contains(name))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::dynamodb::value::AttributeValue;

    #[test]
    fn a_projection_keeps_only_the_named_attributes_present() {
        let mut placeholders =
            Placeholders::new(Some(HashMap::from([("#t".to_owned(), "ttl".to_owned())])), None).unwrap();
        let projection = Projection::parse("connectionId, #t, missing", &mut placeholders).unwrap();
        let item = Item::from([
            ("sessionId".to_owned(), AttributeValue::S("s1".into())),
            ("connectionId".to_owned(), AttributeValue::S("c1".into())),
            ("ttl".to_owned(), AttributeValue::N("5".into())),
        ]);
        let projected = projection.apply(&item);
        assert_eq!(projected.keys().collect::<Vec<_>>(), ["connectionId", "ttl"]);
        assert!(placeholders.check_all_used().is_ok());
    }

    #[test]
    fn malformed_projections_are_refused() {
        for text in ["a,", "a b", ":v", "a[0]"] {
            assert!(Projection::parse(text, &mut Placeholders::default()).is_err(), "{text}");
        }
    }
}
