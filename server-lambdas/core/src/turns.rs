//! Durable turns: an answer is a server-owned record, not a Lambda's memory.
//!
//! Each turn a fulfillment answers has one record in the connection table, keyed
//! `turn#<sessionId>#<turnId>` (no session id can take that form: `#` is not allowed in one).
//! It holds the turn's status, the text streamed so far with the `seq` of the last frame that
//! text includes, the final Lex messages once known, and a TTL. The fulfillment *claims* the
//! turn with a conditional write, so a retried invocation never starts a second generation; the
//! relay checkpoints the record, coalesced, while it streams; `ws-connect` answers a widget's
//! `resume` from it. A session's recent conversation is kept beside it (`history#<sessionId>`),
//! so the model's history never comes from the request.

use std::future::Future;

use lexstream_protocol::lex::Message;

use crate::error::StoreError;
use crate::ports::ChatMessage;
use crate::relay::{Checkpoint, GenerationEnd, Progress};

/// Most bytes of answer text a record keeps in `text`, and again in its messages' JSON: with both
/// full an item is about 330 KB, well under DynamoDB's 400 KB item limit.
pub const MAX_RECORD_TEXT_BYTES: usize = 160 * 1024;

/// How long turn records and session histories are kept when `TURN_TTL_SECONDS` is not set: a
/// day (a resume, a retry or a follow-up question comes long before that).
pub const DEFAULT_TURN_TTL_SECONDS: i64 = 24 * 60 * 60;

/// How a turn stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnStatus {
    /// Claimed; the answer is being generated and streamed.
    Streaming,
    /// The answer is complete.
    Done,
    /// Generation failed (or ran out of time); `text` has what was generated, `messages` the
    /// readable answer.
    Error,
    /// The visitor stopped it; `text` has what was generated until then.
    Stopped,
}

impl TurnStatus {
    /// The value stored in the record's `status` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Streaming => "streaming",
            Self::Done => "done",
            Self::Error => "error",
            Self::Stopped => "stopped",
        }
    }

    /// Reads a stored `status`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "streaming" => Some(Self::Streaming),
            "done" => Some(Self::Done),
            "error" => Some(Self::Error),
            "stopped" => Some(Self::Stopped),
            _ => None,
        }
    }

    /// Whether the turn has ended (its final messages are known).
    pub fn is_finished(self) -> bool {
        self != Self::Streaming
    }

    /// How a turn whose generation ended this way stands.
    pub fn after(end: &GenerationEnd) -> Self {
        match end {
            GenerationEnd::Complete => Self::Done,
            GenerationEnd::ModelFailed(_) | GenerationEnd::DeadlineReached => Self::Error,
            GenerationEnd::StoppedByVisitor => Self::Stopped,
        }
    }
}

/// One turn's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRecord {
    /// The Lex session the turn belongs to.
    pub session_id: String,
    /// The turn id (`streamingTurnId`, checked with `protocol::check_turn_id`).
    pub turn: String,
    /// How it stands.
    pub status: TurnStatus,
    /// The answer text streamed so far (all of it once finished).
    pub text: String,
    /// The `seq` of the last frame whose text `text` includes; `None` before the first.
    pub text_seq: Option<u64>,
    /// The next `seq` the stream will use: a finished turn's `done`/`final` frames take it.
    pub next_seq: u64,
    /// The final Lex messages, once the turn is finished.
    pub messages: Option<Vec<Message>>,
    /// When the record was last written, epoch seconds.
    pub updated_at: i64,
    /// When the record expires (DynamoDB TTL), epoch seconds.
    pub ttl: i64,
}

impl TurnRecord {
    /// A freshly claimed turn: streaming, nothing generated yet.
    pub fn claimed(session_id: &str, turn: &str, now: i64, ttl: i64) -> Self {
        Self {
            session_id: session_id.to_owned(),
            turn: turn.to_owned(),
            status: TurnStatus::Streaming,
            text: String::new(),
            text_seq: None,
            next_seq: 0,
            messages: None,
            updated_at: now,
            ttl,
        }
    }

    /// Whether the record fits in the table: `text`, and the JSON of `messages`, each at most
    /// [`MAX_RECORD_TEXT_BYTES`].
    pub fn fits(&self) -> bool {
        self.text.len() <= MAX_RECORD_TEXT_BYTES
            && messages_json_len(self.messages.as_deref()) <= MAX_RECORD_TEXT_BYTES
    }

    /// The record made to fit (for the final write of a very long answer): a `text` over the cap
    /// is left out (`text` empty, `text_seq` none — a resume then shows the final messages), and
    /// messages over the cap are cut, with a note saying so.
    pub fn fitted(mut self) -> Self {
        if self.text.len() > MAX_RECORD_TEXT_BYTES {
            self.text = String::new();
            self.text_seq = None;
        }
        if let Some(messages) = self.messages.as_mut() {
            // Each message gets an equal share; JSON escaping can double a text, so halve it.
            let share = MAX_RECORD_TEXT_BYTES / 2 / messages.len().max(1);
            for message in messages.iter_mut() {
                if let Some(content) = message.content.as_mut().filter(|content| content.len() > share) {
                    let note = "\n\n_(The rest of this answer was too long to keep.)_";
                    let cut = floor_char_boundary(content, share.saturating_sub(note.len()));
                    content.truncate(cut);
                    content.push_str(note);
                }
            }
            if messages_json_len(Some(messages)) > MAX_RECORD_TEXT_BYTES {
                // Cards or escaping beyond any share: keep no messages rather than a record that
                // cannot be written.
                self.messages = Some(Vec::new());
            }
        }
        self
    }
}

fn messages_json_len(messages: Option<&[Message]>) -> usize {
    messages.map_or(0, |messages| serde_json::to_string(messages).map_or(usize::MAX, |json| json.len()))
}

/// The largest index `<= at` on a character boundary of `text`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    (0..=at.min(text.len())).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0)
}

/// The table key of a turn's record.
pub fn turn_key(session_id: &str, turn: &str) -> String {
    format!("turn#{session_id}#{turn}")
}

/// The table key of a session's server-side history.
pub fn history_key(session_id: &str) -> String {
    format!("history#{session_id}")
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TurnClaim {
    /// The turn was new: this invocation generates its answer.
    Claimed,
    /// Another invocation already claimed it: its record as it stands.
    Taken(TurnRecord),
}

/// Where turn records and session histories are kept (the connection table in production).
pub trait TurnStore: Send + Sync {
    /// Writes `record` only if no record of its turn exists (one generation per turn).
    fn claim(&self, record: &TurnRecord) -> impl Future<Output = Result<TurnClaim, StoreError>> + Send;
    /// Overwrites the record of `record.turn` (checkpoints and the final write).
    fn save_turn(&self, record: &TurnRecord) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Reads a turn's record (strongly consistent).
    fn turn(
        &self,
        session_id: &str,
        turn: &str,
    ) -> impl Future<Output = Result<Option<TurnRecord>, StoreError>> + Send;
    /// The session's recent conversation, oldest first (empty when none is kept).
    fn history(&self, session_id: &str) -> impl Future<Output = Result<Vec<ChatMessage>, StoreError>> + Send;
    /// Replaces the session's recent conversation (already bounded by the caller), expiring at `ttl`.
    fn save_history(
        &self,
        session_id: &str,
        messages: &[ChatMessage],
        ttl: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The relay's checkpoints, written to a claimed turn's record (status `streaming`).
#[derive(Debug)]
pub struct TurnCheckpoint<'a, T> {
    store: &'a T,
    claimed: &'a TurnRecord,
}

impl<'a, T: TurnStore> TurnCheckpoint<'a, T> {
    /// Checkpoints of the turn `claimed` (as written by its claim) into `store`.
    pub fn new(store: &'a T, claimed: &'a TurnRecord) -> Self {
        Self { store, claimed }
    }
}

impl<T: TurnStore> Checkpoint for TurnCheckpoint<'_, T> {
    async fn save(&self, progress: Progress<'_>) -> Result<(), StoreError> {
        if progress.text.len() > MAX_RECORD_TEXT_BYTES {
            // The last checkpoint that fitted stands; the final write keeps the answer.
            return Ok(());
        }
        let record = TurnRecord {
            status: TurnStatus::Streaming,
            text: progress.text.to_owned(),
            text_seq: progress.text_seq,
            next_seq: progress.next_seq,
            messages: None,
            updated_at: crate::connect::now_epoch_seconds(),
            ..self.claimed.clone()
        };
        self.store.save_turn(&record).await
    }
}

#[cfg(test)]
mod tests {
    use lexstream_protocol::lex::MessageContentType;

    use super::*;

    #[test]
    fn statuses_round_trip_and_only_streaming_is_unfinished() {
        for status in [TurnStatus::Streaming, TurnStatus::Done, TurnStatus::Error, TurnStatus::Stopped] {
            assert_eq!(TurnStatus::parse(status.as_str()), Some(status));
            assert_eq!(status.is_finished(), status != TurnStatus::Streaming);
        }
        assert_eq!(TurnStatus::parse("Done"), None);
    }

    #[test]
    fn keys_cannot_collide_with_session_ids() {
        assert_eq!(turn_key("us-east-1:abc", "t-1"), "turn#us-east-1:abc#t-1");
        assert_eq!(history_key("us-east-1:abc"), "history#us-east-1:abc");
        assert!(crate::session_id::validate(Some(&turn_key("s", "t"))).is_err());
    }

    #[test]
    fn a_record_too_long_for_the_table_is_made_to_fit() {
        let long = "é".repeat(MAX_RECORD_TEXT_BYTES);
        let mut record = TurnRecord::claimed("s", "t", 1, 2);
        record.text = long.clone();
        record.text_seq = Some(40);
        record.messages = Some(vec![Message::text(MessageContentType::CustomPayload, long)]);
        assert!(!record.fits());
        let fitted = record.fitted();
        assert!(fitted.fits());
        assert_eq!((fitted.text.as_str(), fitted.text_seq), ("", None));
        let content = fitted.messages.unwrap()[0].content.clone().unwrap();
        assert!(content.starts_with("éé") && content.ends_with("too long to keep.)_"), "{content:.20}");
    }
}
