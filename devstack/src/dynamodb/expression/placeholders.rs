//! A request's `ExpressionAttributeNames` and `ExpressionAttributeValues`: looked up while its
//! expressions are parsed, and checked afterwards for entries no expression used (DynamoDB
//! refuses those).

use std::collections::{BTreeSet, HashMap};

use super::super::error::DynamoDbError;
use super::super::value::AttributeValue;

/// The placeholders of one request, and which of them its expressions used.
#[derive(Debug, Default)]
pub(crate) struct Placeholders {
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

fn invalid(message: String) -> DynamoDbError {
    DynamoDbError::Validation(message)
}

impl Placeholders {
    /// The request's maps (absent maps are empty; present ones must not be, as in DynamoDB).
    pub(crate) fn new(
        names: Option<HashMap<String, String>>,
        values: Option<HashMap<String, AttributeValue>>,
    ) -> Result<Self, DynamoDbError> {
        if names.as_ref().is_some_and(HashMap::is_empty) {
            return Err(invalid("ExpressionAttributeNames must not be empty".to_owned()));
        }
        if values.as_ref().is_some_and(HashMap::is_empty) {
            return Err(invalid("ExpressionAttributeValues must not be empty".to_owned()));
        }
        let values = values.unwrap_or_default();
        for value in values.values() {
            value.validate()?;
        }
        Ok(Self { names: names.unwrap_or_default(), values, ..Self::default() })
    }

    /// The attribute name `placeholder` (`#n`) stands for, in an expression of kind `kind`.
    pub(crate) fn name(&mut self, kind: &str, placeholder: &str) -> Result<String, DynamoDbError> {
        let name = self.names.get(placeholder).cloned().ok_or_else(|| {
            invalid(format!(
                "Invalid {kind}: An expression attribute name used in the document path is not defined; \
                 attribute name: {placeholder}"
            ))
        })?;
        self.used_names.insert(placeholder.to_owned());
        Ok(name)
    }

    /// The value `placeholder` (`:v`) stands for, in an expression of kind `kind`.
    pub(crate) fn value(&mut self, kind: &str, placeholder: &str) -> Result<AttributeValue, DynamoDbError> {
        let value = self.values.get(placeholder).cloned().ok_or_else(|| {
            invalid(format!(
                "Invalid {kind}: An expression attribute value used in expression is not defined; \
                 attribute value: {placeholder}"
            ))
        })?;
        self.used_values.insert(placeholder.to_owned());
        Ok(value)
    }

    /// Refuses names or values that no expression of the request used.
    pub(crate) fn check_all_used(&self) -> Result<(), DynamoDbError> {
        let unused = |given: Vec<&String>, used: &BTreeSet<String>| -> Option<String> {
            let mut unused: Vec<&str> =
                given.into_iter().filter(|key| !used.contains(*key)).map(String::as_str).collect();
            unused.sort_unstable();
            (!unused.is_empty()).then(|| unused.join(", "))
        };
        if let Some(keys) = unused(self.names.keys().collect(), &self.used_names) {
            return Err(invalid(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{keys}}}"
            )));
        }
        if let Some(keys) = unused(self.values.keys().collect(), &self.used_values) {
            return Err(invalid(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{keys}}}"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders() -> Placeholders {
        Placeholders::new(
            Some(HashMap::from([("#c".to_owned(), "connectionId".to_owned())])),
            Some(HashMap::from([(":v".to_owned(), AttributeValue::S("x".into()))])),
        )
        .unwrap()
    }

    #[test]
    fn placeholders_resolve_and_unknown_ones_are_named() {
        let mut placeholders = placeholders();
        assert_eq!(placeholders.name("ConditionExpression", "#c").unwrap(), "connectionId");
        assert_eq!(placeholders.value("ConditionExpression", ":v").unwrap(), AttributeValue::S("x".into()));
        let error = placeholders.value("ConditionExpression", ":w").unwrap_err().to_string();
        assert!(error.ends_with("attribute value: :w"), "{error}");
        assert!(placeholders.check_all_used().is_ok());
    }

    #[test]
    fn unused_placeholders_are_refused() {
        let mut placeholders = placeholders();
        placeholders.name("ConditionExpression", "#c").unwrap();
        assert_eq!(
            placeholders.check_all_used().unwrap_err().to_string(),
            "Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
        );
        assert!(Placeholders::new(Some(HashMap::new()), None).is_err());
        let bad_number = HashMap::from([(":n".to_owned(), AttributeValue::N("x".into()))]);
        assert!(Placeholders::new(None, Some(bad_number)).is_err());
    }
}
