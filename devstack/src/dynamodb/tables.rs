//! The devstack's DynamoDB tables, in memory: each with its key schema (a hash key and an
//! optional range key, typed `S`, `N` or `B`), its TTL setting, and its items by primary key.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Value, json};

use super::error::DynamoDbError;
use super::number::Number;
use super::value::{AttributeValue, Item};

/// The type of a key attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// String (`S`).
    S,
    /// Number (`N`).
    N,
    /// Binary (`B`).
    B,
}

impl KeyType {
    /// Reads `S`, `N` or `B`.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "S" => Some(Self::S),
            "N" => Some(Self::N),
            "B" => Some(Self::B),
            _ => None,
        }
    }

    /// `S`, `N` or `B`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::S => "S",
            Self::N => "N",
            Self::B => "B",
        }
    }
}

/// A key attribute: its name and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyAttribute {
    /// The attribute name.
    pub name: String,
    /// Its type.
    pub key_type: KeyType,
}

/// What `CreateTable` defines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDefinition {
    /// The table name.
    pub name: String,
    /// The partition (hash) key.
    pub hash_key: KeyAttribute,
    /// The sort (range) key, if any.
    pub range_key: Option<KeyAttribute>,
    /// `PAY_PER_REQUEST` (true) or `PROVISIONED`.
    pub on_demand: bool,
}

impl TableDefinition {
    /// A table keyed by one string attribute, billed per request (like the connection table).
    pub fn with_string_key(name: &str, hash_key: &str) -> Self {
        Self {
            name: name.to_owned(),
            hash_key: KeyAttribute { name: hash_key.to_owned(), key_type: KeyType::S },
            range_key: None,
            on_demand: true,
        }
    }

    fn key_attributes(&self) -> impl Iterator<Item = &KeyAttribute> {
        std::iter::once(&self.hash_key).chain(&self.range_key)
    }
}

/// An item's primary key in canonical form (numbers normalized), for lookup.
type PrimaryKey = (String, Option<String>);

/// One table.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) definition: TableDefinition,
    created_at: f64,
    table_id: String,
    ttl_attribute: Option<String>,
    items: BTreeMap<PrimaryKey, Item>,
}

fn key_mismatch() -> DynamoDbError {
    DynamoDbError::Validation("The provided key element does not match the schema".to_owned())
}

/// The canonical text of a key value of type `key_type`, if `value` is of that type.
fn key_text(key_type: KeyType, value: &AttributeValue) -> Option<String> {
    match (key_type, value) {
        (KeyType::S, AttributeValue::S(text)) | (KeyType::B, AttributeValue::B(text)) => Some(text.clone()),
        (KeyType::N, AttributeValue::N(text)) => Number::parse(text).ok().map(|n| n.to_string()),
        _ => None,
    }
}

impl Table {
    /// The primary key of a `Key` parameter, which must hold exactly the key attributes.
    pub(crate) fn key_of(&self, key: &Item) -> Result<PrimaryKey, DynamoDbError> {
        if key.len() != self.definition.key_attributes().count() {
            return Err(key_mismatch());
        }
        self.primary_key(key, |_| key_mismatch())
    }

    /// The primary key of an item to store, which must hold the key attributes.
    pub(crate) fn key_of_item(&self, item: &Item) -> Result<PrimaryKey, DynamoDbError> {
        self.primary_key(item, |attribute| {
            let message = match item.get(&attribute.name) {
                None => format!("Missing the key {} in the item", attribute.name),
                Some(value) => format!(
                    "Type mismatch for key {} expected: {} actual: {}",
                    attribute.name,
                    attribute.key_type.as_str(),
                    value.type_name()
                ),
            };
            DynamoDbError::Validation(format!("One or more parameter values were invalid: {message}"))
        })
    }

    fn primary_key(
        &self,
        item: &Item,
        error: impl Fn(&KeyAttribute) -> DynamoDbError,
    ) -> Result<PrimaryKey, DynamoDbError> {
        let part = |attribute: &KeyAttribute| -> Result<String, DynamoDbError> {
            let text = item
                .get(&attribute.name)
                .and_then(|value| key_text(attribute.key_type, value))
                .ok_or_else(|| error(attribute))?;
            if text.is_empty() {
                return Err(DynamoDbError::Validation(format!(
                    "One or more parameter values are not valid. The AttributeValue for a key attribute \
                     cannot contain an empty {} value. Key: {}",
                    if attribute.key_type == KeyType::S { "string" } else { "binary" },
                    attribute.name
                )));
            }
            Ok(text)
        };
        Ok((part(&self.definition.hash_key)?, self.definition.range_key.as_ref().map(part).transpose()?))
    }

    /// Whether `name` is a key attribute.
    pub(crate) fn is_key_attribute(&self, name: &str) -> bool {
        self.definition.key_attributes().any(|attribute| attribute.name == name)
    }

    /// The item with `key`.
    pub(crate) fn get(&self, key: &PrimaryKey) -> Option<&Item> {
        self.items.get(key)
    }

    /// Stores `item` under `key`; returns the item it replaced.
    pub(crate) fn put(&mut self, key: PrimaryKey, item: Item) -> Option<Item> {
        self.items.insert(key, item)
    }

    /// Deletes the item with `key`; returns it.
    pub(crate) fn delete(&mut self, key: &PrimaryKey) -> Option<Item> {
        self.items.remove(key)
    }

    /// Turns TTL on (for `attribute`) or off.
    pub(crate) fn set_ttl(&mut self, attribute: Option<String>) {
        self.ttl_attribute = attribute;
    }

    /// The TTL attribute, when TTL is on.
    pub(crate) fn ttl_attribute(&self) -> Option<&str> {
        self.ttl_attribute.as_deref()
    }

    /// The `TableDescription` DynamoDB returns.
    pub(crate) fn description(&self) -> Value {
        let definition = &self.definition;
        let attribute_definitions: Vec<Value> = definition
            .key_attributes()
            .map(|a| json!({ "AttributeName": a.name, "AttributeType": a.key_type.as_str() }))
            .collect();
        let mut key_schema = vec![json!({ "AttributeName": definition.hash_key.name, "KeyType": "HASH" })];
        if let Some(range) = &definition.range_key {
            key_schema.push(json!({ "AttributeName": range.name, "KeyType": "RANGE" }));
        }
        let size: usize =
            self.items.values().map(|item| serde_json::to_vec(item).map_or(0, |b| b.len())).sum();
        json!({
            "TableName": definition.name,
            "TableStatus": "ACTIVE",
            "TableId": self.table_id,
            "TableArn": format!("arn:aws:dynamodb:us-east-1:000000000000:table/{}", definition.name),
            "CreationDateTime": self.created_at,
            "AttributeDefinitions": attribute_definitions,
            "KeySchema": key_schema,
            "ItemCount": self.items.len(),
            "TableSizeBytes": size,
            "BillingModeSummary": {
                "BillingMode": if definition.on_demand { "PAY_PER_REQUEST" } else { "PROVISIONED" },
            },
            "ProvisionedThroughput": {
                "NumberOfDecreasesToday": 0,
                "ReadCapacityUnits": 0,
                "WriteCapacityUnits": 0,
            },
            "DeletionProtectionEnabled": false,
        })
    }
}

/// All tables, shared by clones.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    tables: Arc<Mutex<HashMap<String, Table>>>,
}

impl Tables {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Table>> {
        self.tables.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates a table; `ResourceInUseException` if it exists.
    pub fn create(&self, definition: TableDefinition) -> Result<(), DynamoDbError> {
        let mut tables = self.lock();
        if tables.contains_key(&definition.name) {
            return Err(DynamoDbError::TableExists(definition.name));
        }
        let table = Table {
            created_at: crate::clock::epoch_millis() as f64 / 1000.0,
            table_id: uuid::Uuid::new_v4().to_string(),
            ttl_attribute: None,
            items: BTreeMap::new(),
            definition,
        };
        tables.insert(table.definition.name.clone(), table);
        Ok(())
    }

    /// Turns TTL on for `attribute` of `table`.
    pub fn enable_ttl(&self, table: &str, attribute: &str) -> Result<(), DynamoDbError> {
        self.with_table(table, |table| {
            table.set_ttl(Some(attribute.to_owned()));
            Ok(())
        })
    }

    /// The names of all tables, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.lock().keys().cloned().collect();
        names.sort();
        names
    }

    /// Runs `operation` on the table `name` under the lock (so a conditional write is atomic);
    /// `ResourceNotFoundException` if there is no such table.
    pub(crate) fn with_table<T>(
        &self,
        name: &str,
        operation: impl FnOnce(&mut Table) -> Result<T, DynamoDbError>,
    ) -> Result<T, DynamoDbError> {
        let mut tables = self.lock();
        let table = tables.get_mut(name).ok_or_else(|| DynamoDbError::TableNotFound(name.to_owned()))?;
        operation(table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> AttributeValue {
        AttributeValue::S(text.into())
    }

    #[test]
    fn keys_must_match_the_schema() {
        let tables = Tables::default();
        tables
            .create(TableDefinition {
                range_key: Some(KeyAttribute { name: "at".into(), key_type: KeyType::N }),
                ..TableDefinition::with_string_key("events", "id")
            })
            .unwrap();
        tables
            .with_table("events", |table| {
                let key = Item::from([
                    ("id".to_owned(), s("a")),
                    ("at".to_owned(), AttributeValue::N("1.0".into())),
                ]);
                assert_eq!(table.key_of(&key).unwrap(), ("a".to_owned(), Some("1".to_owned())));
                assert!(table.key_of(&Item::from([("id".to_owned(), s("a"))])).is_err());
                let wrong_type = Item::from([("id".to_owned(), s("a")), ("at".to_owned(), s("1"))]);
                assert!(
                    table.key_of(&wrong_type).unwrap_err().to_string().contains("does not match the schema")
                );
                let missing = table.key_of_item(&Item::from([("id".to_owned(), s("a"))])).unwrap_err();
                assert!(missing.to_string().contains("Missing the key at in the item"), "{missing}");
                let empty =
                    Item::from([("id".to_owned(), s("")), ("at".to_owned(), AttributeValue::N("1".into()))]);
                assert!(table.key_of_item(&empty).unwrap_err().to_string().contains("empty string"));
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn tables_are_created_once_and_described() {
        let tables = Tables::default();
        tables.create(TableDefinition::with_string_key("connections", "sessionId")).unwrap();
        let again = tables.create(TableDefinition::with_string_key("connections", "sessionId"));
        assert!(matches!(again, Err(DynamoDbError::TableExists(_))));
        tables.enable_ttl("connections", "ttl").unwrap();
        assert!(matches!(tables.enable_ttl("nope", "ttl"), Err(DynamoDbError::TableNotFound(_))));
        let description = tables.with_table("connections", |table| Ok(table.description())).unwrap();
        assert_eq!(description["KeySchema"], json!([{ "AttributeName": "sessionId", "KeyType": "HASH" }]));
        assert_eq!(description["TableStatus"], "ACTIVE");
        assert_eq!(tables.names(), ["connections"]);
    }
}
