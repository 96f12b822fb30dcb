//! The connection table behind the devstack's WebSocket API: embedded in memory by default, or a
//! local DynamoDB-compatible server (moto, DynamoDB Local) through the Lambdas' own adapter when
//! `AWS_ENDPOINT_URL_DYNAMODB` is set.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lexstream_lambda_core::StoreError;
use lexstream_lambda_core::aws::{DynamoDbClient, DynamoDbConnectionStore, local_sdk_config};
use lexstream_lambda_core::memory::MemoryConnectionStore;
use lexstream_lambda_core::ports::{ConnectionRecord, ConnectionStore};

/// The table name used when none is configured.
pub const DEFAULT_TABLE: &str = "lexstream-connections";

/// Where connections are recorded.
#[derive(Debug, Clone)]
pub enum ConnectionTable {
    /// In the devstack's memory (the default).
    Embedded(MemoryConnectionStore),
    /// In a DynamoDB-compatible server.
    DynamoDb(DynamoDbConnectionStore),
}

impl Default for ConnectionTable {
    fn default() -> Self {
        Self::Embedded(MemoryConnectionStore::default())
    }
}

impl ConnectionTable {
    /// DynamoDB at `endpoint` (creating `table` if missing), else embedded. The server is a
    /// local one; requests are signed with the devstack's local credentials.
    pub async fn open(endpoint: Option<&str>, table: &str) -> Result<Self, StoreError> {
        let Some(endpoint) = endpoint else { return Ok(Self::default()) };
        let client = DynamoDbClient::new(&local_sdk_config(endpoint).await);
        let created = client
            .create_table()
            .table_name(table)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name("sessionId")
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| StoreError(e.to_string()))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name("sessionId")
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(|e| StoreError(e.to_string()))?,
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created {
            Ok(_) => tracing::info!(%table, "created the connection table in DynamoDB"),
            Err(error) if error.as_service_error().is_some_and(|e| e.is_resource_in_use_exception()) => {
                tracing::info!(%table, "using the existing DynamoDB connection table");
            }
            Err(error) => {
                return Err(StoreError(format!(
                    "creating table {table}: {}",
                    aws_sdk_dynamodb::error::DisplayErrorContext(error)
                )));
            }
        }
        Ok(Self::DynamoDb(DynamoDbConnectionStore::new(client, table)))
    }
}

impl ConnectionStore for ConnectionTable {
    async fn put(&self, record: &ConnectionRecord) -> Result<(), StoreError> {
        match self {
            Self::Embedded(store) => store.put(record).await,
            Self::DynamoDb(store) => store.put(record).await,
        }
    }

    async fn get(&self, session_id: &str) -> Result<Option<ConnectionRecord>, StoreError> {
        match self {
            Self::Embedded(store) => store.get(session_id).await,
            Self::DynamoDb(store) => store.get(session_id).await,
        }
    }

    async fn session_of(&self, connection_id: &str) -> Result<Option<String>, StoreError> {
        match self {
            Self::Embedded(store) => store.session_of(connection_id).await,
            Self::DynamoDb(store) => store.session_of(connection_id).await,
        }
    }

    async fn delete_if_current(&self, session_id: &str, connection_id: &str) -> Result<bool, StoreError> {
        match self {
            Self::Embedded(store) => store.delete_if_current(session_id, connection_id).await,
            Self::DynamoDb(store) => store.delete_if_current(session_id, connection_id).await,
        }
    }
}
