//! Turn records and session histories on DynamoDB, in the connection table under keys no
//! session id can take (`#` is not allowed in one):
//!
//! - `turn#<sessionId>#<turnId>`: `boundSessionId` (S), `turnId` (S), `status` (S:
//!   `streaming | done | error | stopped`), `text` (S, omitted while empty), `textSeq` (N, omitted
//!   before the first frame), `nextSeq` (N), `messages` (S, the final Lex messages as JSON,
//!   omitted until known), `updatedAt` (N, epoch seconds), `ttl` (N);
//! - `history#<sessionId>`: `boundSessionId` (S), `history` (S, JSON array of `{role, text}`),
//!   `updatedAt` (N), `ttl` (N).
//!
//! A claim is a conditional `PutItem` (`attribute_not_exists(sessionId)`, or a record past its
//! TTL that DynamoDB has not swept yet); when it fails, the record as it stands is read back
//! with a strongly consistent `GetItem`.

use std::collections::HashMap;

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;
use lexstream_protocol::lex::Message;

use super::dynamodb::{BOUND_SESSION, DynamoDbConnectionStore, KEY, TTL, store_error, string_attribute};
use crate::error::StoreError;
use crate::ports::ChatMessage;
use crate::turns::{TurnClaim, TurnRecord, TurnStatus, TurnStore, history_key, turn_key};

/// A turn record's turn id.
const TURN_ID: &str = "turnId";
/// A turn record's status.
const STATUS: &str = "status";
/// The text streamed so far.
const TEXT: &str = "text";
/// The `seq` of the last frame `text` includes.
const TEXT_SEQ: &str = "textSeq";
/// The `seq` the next frame of the turn takes.
const NEXT_SEQ: &str = "nextSeq";
/// The final Lex messages, as JSON.
const MESSAGES: &str = "messages";
/// When the row was written, epoch seconds.
const UPDATED_AT: &str = "updatedAt";
/// A history row's conversation, as JSON.
const HISTORY: &str = "history";

type Item = HashMap<String, AttributeValue>;

fn number(value: impl std::fmt::Display) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn number_attribute<T: std::str::FromStr>(item: &Item, name: &str) -> Option<T> {
    item.get(name).and_then(|value| value.as_n().ok()).and_then(|n| n.parse().ok())
}

fn turn_item(record: &TurnRecord) -> Result<Item, StoreError> {
    if !record.fits() {
        return Err(StoreError(format!(
            "the record of turn {} is too large for a DynamoDB item (text or messages over {} bytes)",
            record.turn,
            crate::turns::MAX_RECORD_TEXT_BYTES
        )));
    }
    let mut item = Item::from([
        (KEY.to_owned(), AttributeValue::S(turn_key(&record.session_id, &record.turn))),
        (BOUND_SESSION.to_owned(), AttributeValue::S(record.session_id.clone())),
        (TURN_ID.to_owned(), AttributeValue::S(record.turn.clone())),
        (STATUS.to_owned(), AttributeValue::S(record.status.as_str().to_owned())),
        (NEXT_SEQ.to_owned(), number(record.next_seq)),
        (UPDATED_AT.to_owned(), number(record.updated_at)),
        (TTL.to_owned(), number(record.ttl)),
    ]);
    if !record.text.is_empty() {
        item.insert(TEXT.to_owned(), AttributeValue::S(record.text.clone()));
    }
    if let Some(seq) = record.text_seq {
        item.insert(TEXT_SEQ.to_owned(), number(seq));
    }
    if let Some(messages) = &record.messages {
        let json = serde_json::to_string(messages)
            .map_err(|error| StoreError(format!("encoding the messages of turn {}: {error}", record.turn)))?;
        item.insert(MESSAGES.to_owned(), AttributeValue::S(json));
    }
    Ok(item)
}

fn turn_record(session_id: &str, turn: &str, item: &Item) -> Result<TurnRecord, StoreError> {
    let unreadable = |what: &str| StoreError(format!("the record of turn {turn} has {what}"));
    let status = string_attribute(item, STATUS)
        .and_then(|status| TurnStatus::parse(&status))
        .ok_or_else(|| unreadable("no readable status"))?;
    let messages = match string_attribute(item, MESSAGES) {
        None => None,
        Some(json) => {
            Some(serde_json::from_str::<Vec<Message>>(&json).map_err(|_| unreadable("unreadable messages"))?)
        }
    };
    Ok(TurnRecord {
        session_id: session_id.to_owned(),
        turn: turn.to_owned(),
        status,
        text: string_attribute(item, TEXT).unwrap_or_default(),
        text_seq: number_attribute(item, TEXT_SEQ),
        next_seq: number_attribute(item, NEXT_SEQ).unwrap_or(0),
        messages,
        updated_at: number_attribute(item, UPDATED_AT).unwrap_or(0),
        ttl: number_attribute(item, TTL).unwrap_or(0),
    })
}

impl TurnStore for DynamoDbConnectionStore {
    async fn claim(&self, record: &TurnRecord) -> Result<TurnClaim, StoreError> {
        let item = turn_item(record)?;
        // A record that vanished between the failed claim and the read (its TTL swept it) is
        // claimed again, once.
        for _ in 0..2 {
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item.clone()))
                .condition_expression("attribute_not_exists(sessionId) OR #ttl < :now")
                .expression_attribute_names("#ttl", TTL)
                .expression_attribute_values(":now", number(record.updated_at))
                .send()
                .await;
            match put {
                Ok(_) => return Ok(TurnClaim::Claimed),
                Err(error) if error.code() == Some("ConditionalCheckFailedException") => {
                    if let Some(existing) = self.turn(&record.session_id, &record.turn).await? {
                        return Ok(TurnClaim::Taken(existing));
                    }
                }
                Err(error) => {
                    return Err(store_error(&format!("PutItem (turn claim) on {}", self.table), error));
                }
            }
        }
        Err(StoreError(format!("turn {} could neither be claimed nor read on {}", record.turn, self.table)))
    }

    async fn save_turn(&self, record: &TurnRecord) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(turn_item(record)?))
            .send()
            .await
            .map_err(|e| store_error(&format!("PutItem (turn record) on {}", self.table), e))?;
        Ok(())
    }

    async fn turn(&self, session_id: &str, turn: &str) -> Result<Option<TurnRecord>, StoreError> {
        match self.read(turn_key(session_id, turn)).await? {
            Some(item) => turn_record(session_id, turn, &item).map(Some),
            None => Ok(None),
        }
    }

    async fn history(&self, session_id: &str) -> Result<Vec<ChatMessage>, StoreError> {
        let Some(item) = self.read(history_key(session_id)).await? else { return Ok(Vec::new()) };
        let expired =
            number_attribute::<i64>(&item, TTL).is_some_and(|ttl| ttl < crate::connect::now_epoch_seconds());
        if expired {
            return Ok(Vec::new());
        }
        Ok(crate::history::decode(string_attribute(&item, HISTORY).as_deref()))
    }

    async fn save_history(
        &self,
        session_id: &str,
        messages: &[ChatMessage],
        ttl: i64,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(messages)
            .map_err(|error| StoreError(format!("encoding the history of {session_id}: {error}")))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item(KEY, AttributeValue::S(history_key(session_id)))
            .item(BOUND_SESSION, AttributeValue::S(session_id.to_owned()))
            .item(HISTORY, AttributeValue::S(json))
            .item(UPDATED_AT, number(crate::connect::now_epoch_seconds()))
            .item(TTL, number(ttl))
            .send()
            .await
            .map_err(|e| store_error(&format!("PutItem (history) on {}", self.table), e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use lexstream_protocol::lex::MessageContentType;

    use super::*;

    #[test]
    fn a_record_round_trips_through_its_item() {
        let mut record = TurnRecord::claimed("us-east-1:abc", "t-1", 1_700_000_000, 1_700_086_400);
        assert_eq!(turn_record("us-east-1:abc", "t-1", &turn_item(&record).unwrap()).unwrap(), record);
        record.status = TurnStatus::Done;
        record.text = "Hello **world**".into();
        record.text_seq = Some(3);
        record.next_seq = 5;
        record.messages = Some(vec![Message::text(MessageContentType::CustomPayload, "Hello **world**")]);
        let item = turn_item(&record).unwrap();
        assert_eq!(item[KEY], AttributeValue::S("turn#us-east-1:abc#t-1".into()));
        assert_eq!(item[TTL], AttributeValue::N("1700086400".into()));
        assert_eq!(turn_record("us-east-1:abc", "t-1", &item).unwrap(), record);
    }

    #[test]
    fn a_record_too_large_for_an_item_is_refused_with_a_reason() {
        let mut record = TurnRecord::claimed("s", "t", 1, 2);
        record.text = "x".repeat(crate::turns::MAX_RECORD_TEXT_BYTES + 1);
        assert!(turn_item(&record).unwrap_err().to_string().contains("too large"));
    }
}
