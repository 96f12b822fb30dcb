//! DynamoDB's JSON protocol (`POST /`, `X-Amz-Target: DynamoDB_20120810.<Operation>`,
//! `application/x-amz-json-1.0`) over in-memory tables, so any DynamoDB client — the Rust SDK,
//! boto3 in a bot developer's fulfillment — reads and writes the devstack's connection table.
//!
//! It answers `CreateTable`, `DescribeTable`, `ListTables`, `GetItem` (with
//! `ProjectionExpression`), `PutItem`, `DeleteItem`, `UpdateItem`, `UpdateTimeToLive` and
//! `DescribeTimeToLive`, with condition and update expressions (`expression`) and
//! `ReturnValues`. Anything else is an `UnknownOperationException`, never a silent success.
//! Requests must be SigV4-signed (service `dynamodb`) by credentials the devstack knows, unless
//! `--auth off`. Expired items are kept, as DynamoDB keeps them until its TTL sweep.

mod error;
mod expression;
mod number;
mod operations;
mod tables;
mod value;

use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};

pub use error::DynamoDbError;
pub use tables::{KeyAttribute, KeyType, TableDefinition, Tables};
pub use value::{AttributeValue, Item};

use crate::auth::{self, AuthMode, Incoming};
use crate::identities::Identities;

/// The `X-Amz-Target` prefix of DynamoDB operations.
const TARGET_PREFIX: &str = "DynamoDB_20120810.";

/// The content type of DynamoDB requests and responses.
const CONTENT_TYPE: &str = "application/x-amz-json-1.0";

/// The operations the devstack answers.
const OPERATIONS: [&str; 9] = [
    "CreateTable",
    "DescribeTable",
    "ListTables",
    "GetItem",
    "PutItem",
    "DeleteItem",
    "UpdateItem",
    "UpdateTimeToLive",
    "DescribeTimeToLive",
];

/// What the DynamoDB endpoint needs: who may call, and the tables.
#[derive(Debug, Clone)]
pub(crate) struct DynamoDbApi {
    pub(crate) auth: AuthMode,
    pub(crate) identities: Identities,
    pub(crate) tables: Tables,
}

impl DynamoDbApi {
    /// Answers a DynamoDB call if `X-Amz-Target` names one; `None` otherwise.
    pub(crate) fn handle(&self, uri: &Uri, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
        let target = headers.get("x-amz-target")?.to_str().ok()?;
        let operation = target.strip_prefix(TARGET_PREFIX)?;
        let request = Incoming::new("POST", uri, headers, body);
        // The deployed visitor role may not touch the table: a visitor could otherwise point
        // another visitor's row at their own connection.
        let action = format!("dynamodb:{operation}");
        let answer = auth::verify_service_call(self.auth, &self.identities, request, "dynamodb", &action)
            .map_err(DynamoDbError::from)
            .and_then(|()| operations::dispatch(&self.tables, operation, body));
        Some(match answer {
            Ok(output) => {
                tracing::debug!(%operation, "DynamoDB call answered");
                let mut response = output.to_string().into_response();
                response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
                response
            }
            Err(error) => {
                tracing::debug!(%operation, %error, "DynamoDB call refused");
                error.into_response()
            }
        })
    }
}
