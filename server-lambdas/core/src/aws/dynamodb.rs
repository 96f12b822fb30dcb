//! The connection table on DynamoDB, in the Lex Web UI's shape: key `sessionId` (S),
//! `connectionId` (S), `ttl` (N, epoch seconds, the table's TTL attribute).

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::StoreError;
use crate::ports::{ConnectionRecord, ConnectionStore};

/// Key attribute of the table.
pub const KEY: &str = "sessionId";
/// Attribute holding the connection id.
pub const CONNECTION_ID: &str = "connectionId";
/// The TTL attribute.
pub const TTL: &str = "ttl";
/// The turn the visitor asked to stop (set by the `stop` route, read by the relay).
pub const STOP_TURN: &str = "stopTurn";
/// On a reverse row (`connection#<id>`), a turn record or a history: the session it belongs to.
pub(super) const BOUND_SESSION: &str = "boundSessionId";

fn reverse_key(connection_id: &str) -> String {
    format!("connection#{connection_id}")
}

pub(super) fn store_error(what: &str, error: impl std::error::Error) -> StoreError {
    StoreError(format!("{what}: {}", DisplayErrorContext(error)))
}

/// A [`ConnectionStore`] on one DynamoDB table.
#[derive(Debug, Clone)]
pub struct DynamoDbConnectionStore {
    pub(super) client: Client,
    pub(super) table: String,
}

impl DynamoDbConnectionStore {
    /// The store on `table`.
    pub fn new(client: Client, table: &str) -> Self {
        Self { client, table: table.to_owned() }
    }

    pub(super) async fn read(
        &self,
        key: String,
    ) -> Result<Option<std::collections::HashMap<String, AttributeValue>>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| store_error(&format!("GetItem on {}", self.table), e))?;
        Ok(output.item)
    }
}

pub(super) fn string_attribute(
    item: &std::collections::HashMap<String, AttributeValue>,
    name: &str,
) -> Option<String> {
    item.get(name).and_then(|value| value.as_s().ok()).cloned()
}

impl ConnectionStore for DynamoDbConnectionStore {
    async fn put(&self, record: &ConnectionRecord) -> Result<(), StoreError> {
        let ttl = AttributeValue::N(record.ttl.to_string());
        self.client
            .put_item()
            .table_name(&self.table)
            .item(KEY, AttributeValue::S(reverse_key(&record.connection_id)))
            .item(BOUND_SESSION, AttributeValue::S(record.session_id.clone()))
            .item(TTL, ttl.clone())
            .send()
            .await
            .map_err(|e| store_error(&format!("PutItem (reverse row) on {}", self.table), e))?;
        let mut session_row = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(KEY, AttributeValue::S(record.session_id.clone()))
            .item(CONNECTION_ID, AttributeValue::S(record.connection_id.clone()))
            .item(TTL, ttl);
        if let Some(turn) = &record.stop_turn {
            session_row = session_row.item(STOP_TURN, AttributeValue::S(turn.clone()));
        }
        session_row.send().await.map_err(|e| store_error(&format!("PutItem on {}", self.table), e))?;
        Ok(())
    }

    async fn get(&self, session_id: &str) -> Result<Option<ConnectionRecord>, StoreError> {
        let Some(item) = self.read(session_id.to_owned()).await? else { return Ok(None) };
        let Some(connection_id) = string_attribute(&item, CONNECTION_ID) else { return Ok(None) };
        let ttl = item.get(TTL).and_then(|v| v.as_n().ok()).and_then(|n| n.parse().ok()).unwrap_or(0);
        let stop_turn = string_attribute(&item, STOP_TURN);
        Ok(Some(ConnectionRecord { session_id: session_id.to_owned(), connection_id, ttl, stop_turn }))
    }

    async fn session_of(&self, connection_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .read(reverse_key(connection_id))
            .await?
            .and_then(|item| string_attribute(&item, BOUND_SESSION)))
    }

    async fn request_stop_if_current(
        &self,
        session_id: &str,
        connection_id: &str,
        turn: &str,
    ) -> Result<bool, StoreError> {
        let updated = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(session_id.to_owned()))
            .update_expression("SET #stop = :turn")
            .condition_expression("#connection = :connection")
            .expression_attribute_names("#stop", STOP_TURN)
            .expression_attribute_names("#connection", CONNECTION_ID)
            .expression_attribute_values(":turn", AttributeValue::S(turn.to_owned()))
            .expression_attribute_values(":connection", AttributeValue::S(connection_id.to_owned()))
            .send()
            .await;
        match updated {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(error) => Err(store_error(&format!("UpdateItem on {}", self.table), error)),
        }
    }

    async fn delete_if_current(&self, session_id: &str, connection_id: &str) -> Result<bool, StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(reverse_key(connection_id)))
            .send()
            .await
            .map_err(|e| store_error(&format!("DeleteItem (reverse row) on {}", self.table), e))?;
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(session_id.to_owned()))
            .condition_expression("#connection = :connection")
            .expression_attribute_names("#connection", CONNECTION_ID)
            .expression_attribute_values(":connection", AttributeValue::S(connection_id.to_owned()))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some("ConditionalCheckFailedException") => Ok(false),
            Err(error) => Err(store_error(&format!("DeleteItem on {}", self.table), error)),
        }
    }
}
