//! The connection table behind the devstack's WebSocket API, always written through the Lambdas'
//! own DynamoDB adapter: a table of the devstack's own DynamoDB endpoint by default (so any
//! DynamoDB client, such as a Python fulfillment's boto3, reads exactly what `ws-connect`
//! wrote), or of a DynamoDB-compatible server (moto, DynamoDB Local) when
//! `AWS_ENDPOINT_URL_DYNAMODB` is set.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use lexstream_lambda_core::StoreError;
use lexstream_lambda_core::aws::dynamodb::{KEY, TTL};
use lexstream_lambda_core::aws::{DynamoDbClient, DynamoDbConnectionStore, local_sdk_config};
use lexstream_lambda_core::ports::{ChatMessage, ConnectionRecord, ConnectionStore};
use lexstream_lambda_core::turns::{TurnClaim, TurnRecord, TurnStore};
use lexstream_lambda_core::visitor_limits::{HoldOutcome, InFlightHold, VisitorLimitStore};

use crate::dynamodb::{TableDefinition, Tables};

/// The table name used when none is configured.
pub const DEFAULT_TABLE: &str = "lexstream-connections";

/// Which DynamoDB holds the connection table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableLocation {
    /// The devstack's own DynamoDB endpoint (the default).
    Devstack,
    /// The DynamoDB-compatible server at this URL (`AWS_ENDPOINT_URL_DYNAMODB`).
    External(String),
}

/// The connection table: the Lambdas' DynamoDB adapter, pointed at where the table lives.
#[derive(Debug, Clone)]
pub struct ConnectionTable {
    store: DynamoDbConnectionStore,
    location: TableLocation,
}

impl ConnectionTable {
    /// The table `table` in the DynamoDB at `external` (created there if missing), or else in
    /// the devstack's own `tables` (created now, with TTL on `ttl`), reached through the
    /// devstack's endpoint at `devstack_url`. Requests are signed with the devstack's service
    /// credentials either way.
    pub async fn open(
        external: Option<&str>,
        tables: &Tables,
        devstack_url: &str,
        table: &str,
    ) -> Result<Self, StoreError> {
        match external {
            Some(endpoint) => Self::external(endpoint, table).await,
            None => Self::own(tables, devstack_url, table).await,
        }
    }

    /// Where the table lives.
    pub fn location(&self) -> &TableLocation {
        &self.location
    }

    async fn own(tables: &Tables, devstack_url: &str, table: &str) -> Result<Self, StoreError> {
        tables
            .create(TableDefinition::with_string_key(table, KEY))
            .and_then(|()| tables.enable_ttl(table, TTL))
            .map_err(|error| StoreError(format!("creating table {table}: {error}")))?;
        let client = DynamoDbClient::new(&local_sdk_config(devstack_url).await);
        Ok(Self { store: DynamoDbConnectionStore::new(client, table), location: TableLocation::Devstack })
    }

    async fn external(endpoint: &str, table: &str) -> Result<Self, StoreError> {
        let client = DynamoDbClient::new(&local_sdk_config(endpoint).await);
        let created = client
            .create_table()
            .table_name(table)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(KEY)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| StoreError(e.to_string()))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(KEY)
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
        Ok(Self {
            store: DynamoDbConnectionStore::new(client, table),
            location: TableLocation::External(endpoint.to_owned()),
        })
    }
}

impl ConnectionStore for ConnectionTable {
    async fn put(&self, record: &ConnectionRecord) -> Result<(), StoreError> {
        self.store.put(record).await
    }

    async fn get(&self, session_id: &str) -> Result<Option<ConnectionRecord>, StoreError> {
        self.store.get(session_id).await
    }

    async fn session_of(&self, connection_id: &str) -> Result<Option<String>, StoreError> {
        self.store.session_of(connection_id).await
    }

    async fn request_stop_if_current(
        &self,
        session_id: &str,
        connection_id: &str,
        turn: &str,
    ) -> Result<bool, StoreError> {
        self.store.request_stop_if_current(session_id, connection_id, turn).await
    }

    async fn delete_if_current(&self, session_id: &str, connection_id: &str) -> Result<bool, StoreError> {
        self.store.delete_if_current(session_id, connection_id).await
    }
}

impl TurnStore for ConnectionTable {
    async fn claim(&self, record: &TurnRecord) -> Result<TurnClaim, StoreError> {
        self.store.claim(record).await
    }

    async fn save_turn(&self, record: &TurnRecord) -> Result<(), StoreError> {
        self.store.save_turn(record).await
    }

    async fn turn(&self, session_id: &str, turn: &str) -> Result<Option<TurnRecord>, StoreError> {
        self.store.turn(session_id, turn).await
    }

    async fn history(&self, session_id: &str) -> Result<Vec<ChatMessage>, StoreError> {
        self.store.history(session_id).await
    }

    async fn save_history(
        &self,
        session_id: &str,
        messages: &[ChatMessage],
        ttl: i64,
    ) -> Result<(), StoreError> {
        self.store.save_history(session_id, messages, ttl).await
    }
}

impl VisitorLimitStore for ConnectionTable {
    async fn hold_in_flight(
        &self,
        hold: &InFlightHold,
        replaceable: Option<&str>,
        now: i64,
    ) -> Result<HoldOutcome, StoreError> {
        self.store.hold_in_flight(hold, replaceable, now).await
    }

    async fn release_in_flight(&self, session_id: &str, turn: &str) -> Result<(), StoreError> {
        self.store.release_in_flight(session_id, turn).await
    }

    async fn add_hit(&self, key: &str, ttl: i64) -> Result<u64, StoreError> {
        self.store.add_hit(key, ttl).await
    }

    async fn hits(&self, key: &str) -> Result<u64, StoreError> {
        self.store.hits(key).await
    }
}
