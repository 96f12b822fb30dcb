//! The per-visitor limits' items on DynamoDB, in the connection table under keys no session id
//! can take:
//!
//! - `inflight#<sessionId>`: `boundSessionId` (S), `turnId` (S, the turn holding the slot), `ttl`
//!   (N). Taken with a conditional `PutItem` (`attribute_not_exists(sessionId) OR #ttl < :now OR
//!   turnId = :turn OR turnId = :replaceable`), freed with a `DeleteItem` conditional on
//!   `turnId = :turn`;
//! - `rate#<kind>#<caller>#<window>`: `hits` (N), `ttl` (N). Counted with `UpdateItem`
//!   `SET #ttl = :ttl ADD hits :one`, `ReturnValues=UPDATED_NEW` (atomic: concurrent requests each
//!   get their own count).

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::dynamodb::{BOUND_SESSION, DynamoDbConnectionStore, KEY, TTL, store_error, string_attribute};
use crate::error::StoreError;
use crate::visitor_limits::{HoldOutcome, InFlightHold, VisitorLimitStore, in_flight_key};

/// The turn holding an in-flight slot.
const HOLDER: &str = "turnId";
/// A rate counter's count.
const HITS: &str = "hits";

fn number(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn is_condition_failure<E: ProvideErrorMetadata>(error: &E) -> bool {
    error.code() == Some("ConditionalCheckFailedException")
}

impl VisitorLimitStore for DynamoDbConnectionStore {
    async fn hold_in_flight(
        &self,
        hold: &InFlightHold,
        replaceable: Option<&str>,
        now: i64,
    ) -> Result<HoldOutcome, StoreError> {
        let key = in_flight_key(&hold.session_id);
        // A slot that vanished between the failed write and the read (expired and swept, or
        // freed) is tried once more.
        for _ in 0..2 {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item(KEY, AttributeValue::S(key.clone()))
                .item(BOUND_SESSION, AttributeValue::S(hold.session_id.clone()))
                .item(HOLDER, AttributeValue::S(hold.turn.clone()))
                .item(TTL, number(hold.expires_at))
                .condition_expression(
                    "attribute_not_exists(sessionId) OR #ttl < :now OR #holder = :turn OR #holder = :replaceable",
                )
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_names("#holder", HOLDER)
                .expression_attribute_values(":now", number(now))
                .expression_attribute_values(":turn", AttributeValue::S(hold.turn.clone()))
                .expression_attribute_values(
                    ":replaceable",
                    AttributeValue::S(replaceable.unwrap_or(&hold.turn).to_owned()),
                )
                .send()
                .await;
            match put {
                Ok(_) => return Ok(HoldOutcome::Held),
                Err(error) if is_condition_failure(&error) => {
                    if let Some(holder) =
                        self.read(key.clone()).await?.and_then(|item| string_attribute(&item, HOLDER))
                    {
                        return Ok(HoldOutcome::HeldBy(holder));
                    }
                }
                Err(error) => {
                    return Err(store_error(&format!("PutItem (in-flight slot) on {}", self.table), error));
                }
            }
        }
        Err(StoreError(format!("the in-flight slot could neither be taken nor read on {}", self.table)))
    }

    async fn release_in_flight(&self, session_id: &str, turn: &str) -> Result<(), StoreError> {
        let deleted = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(in_flight_key(session_id)))
            .condition_expression("#holder = :turn")
            .expression_attribute_names("#holder", HOLDER)
            .expression_attribute_values(":turn", AttributeValue::S(turn.to_owned()))
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            // Another turn holds it now (this hold expired and was taken), or nobody does.
            Err(error) if is_condition_failure(&error) => Ok(()),
            Err(error) => Err(store_error(&format!("DeleteItem (in-flight slot) on {}", self.table), error)),
        }
    }

    async fn add_hit(&self, key: &str, ttl: i64) -> Result<u64, StoreError> {
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(KEY, AttributeValue::S(key.to_owned()))
            .update_expression("SET #ttl = :ttl ADD #hits :one")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_names("#hits", HITS)
            .expression_attribute_values(":ttl", number(ttl))
            .expression_attribute_values(":one", number(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|e| store_error(&format!("UpdateItem (rate counter) on {}", self.table), e))?;
        output
            .attributes
            .as_ref()
            .and_then(|item| item.get(HITS))
            .and_then(|value| value.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                StoreError(format!("UpdateItem (rate counter) on {} returned no count", self.table))
            })
    }

    async fn hits(&self, key: &str) -> Result<u64, StoreError> {
        Ok(self
            .read(key.to_owned())
            .await?
            .and_then(|item| item.get(HITS).and_then(|value| value.as_n().ok()).and_then(|n| n.parse().ok()))
            .unwrap_or(0))
    }
}
