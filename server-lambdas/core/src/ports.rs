//! The narrow interfaces the handlers need from the outside world.

use std::future::Future;
use std::pin::Pin;

use futures_util::Stream;

use crate::error::{ModelError, PushError, StoreError};

/// One row of the connection table: which WebSocket connection streams a Lex session.
///
/// Stored with the Lex Web UI's names (`sessionId` key, `connectionId`, `ttl`) so an existing
/// table and fulfillment keep working.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionRecord {
    /// The Lex session id (table key).
    pub session_id: String,
    /// The API Gateway connection id.
    pub connection_id: String,
    /// When the row expires, in epoch seconds (DynamoDB TTL).
    pub ttl: i64,
    /// The turn the visitor asked to stop (`{"action":"stop"}`), if any; the relay streaming that
    /// turn ends it early.
    pub stop_turn: Option<String>,
}

/// Where connection ids are kept, keyed by session id.
///
/// `$disconnect` events carry no query string, so a store also remembers which session each
/// connection belongs to (in DynamoDB: a second row keyed `connection#<id>`, which no valid
/// session id can collide with since `#` is not allowed in one).
pub trait ConnectionStore: Send + Sync {
    /// Writes (or replaces) the row of `record.session_id`, and the connection's reverse row.
    fn put(&self, record: &ConnectionRecord) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// Reads the row of `session_id` (strongly consistent).
    fn get(
        &self,
        session_id: &str,
    ) -> impl Future<Output = Result<Option<ConnectionRecord>, StoreError>> + Send;
    /// The session a connection was opened for, if it is still recorded.
    fn session_of(
        &self,
        connection_id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;
    /// Records a stop request for `turn` on the row of `session_id`, only if the row still names
    /// `connection_id` (one conditional write, no read first): a `stop` racing a reconnect or a
    /// `$disconnect` leaves the row as the other wrote it. Returns whether the request was
    /// recorded.
    fn request_stop_if_current(
        &self,
        session_id: &str,
        connection_id: &str,
        turn: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Deletes the row of `session_id` only if it still names `connection_id`, and the
    /// connection's reverse row; returns whether the session row was deleted (a newer connection
    /// of the same session is left alone).
    fn delete_if_current(
        &self,
        session_id: &str,
        connection_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Sends one message to a WebSocket connection.
pub trait ConnectionPusher: Send + Sync {
    /// Posts `payload` as one WebSocket message to `connection_id`.
    fn push(&self, connection_id: &str, payload: &[u8])
    -> impl Future<Output = Result<(), PushError>> + Send;
}

/// Who said a conversation turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The visitor.
    User,
    /// The bot.
    Assistant,
}

/// One turn of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChatMessage {
    /// Who said it.
    pub role: Role,
    /// What was said.
    pub text: String,
}

/// What to ask the model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRequest {
    /// The model id (e.g. `anthropic.claude-3-haiku-20240307-v1:0`).
    pub model_id: String,
    /// The system prompt.
    pub system: Option<String>,
    /// The conversation, oldest first, ending with the visitor's question.
    pub messages: Vec<ChatMessage>,
    /// Most tokens to generate.
    pub max_tokens: u32,
    /// Sampling temperature.
    pub temperature: f32,
}

/// The model's answer as it is generated: text deltas, or an error that ends it.
pub type TextDeltas = Pin<Box<dyn Stream<Item = Result<String, ModelError>> + Send>>;

/// A streaming text model.
pub trait ModelStream: Send + Sync {
    /// Starts generating; errors before the first token come back here.
    fn stream(&self, request: ModelRequest) -> impl Future<Output = Result<TextDeltas, ModelError>> + Send;
}

/// Builds the store and pusher for a turn, for the table and the stage the deployment configured
/// (`STREAMING_TABLE`, `STREAMING_ENDPOINT`); never for names a session attribute chose.
pub trait StreamingBackend: Send + Sync {
    /// The connection table type: connections, and the turns, histories and per-visitor limits
    /// kept beside them.
    type Store: ConnectionStore + crate::turns::TurnStore + crate::visitor_limits::VisitorLimitStore;
    /// The pusher type.
    type Pusher: ConnectionPusher;
    /// The connection store for `table`.
    fn store(&self, table: &str) -> Self::Store;
    /// A pusher posting to the WebSocket API stage at `endpoint` (an https URL).
    fn pusher(&self, endpoint: &str) -> Self::Pusher;
}

/// Hands a turn's answer to another Lambda (the `answer-worker`), which generates and streams it
/// past Lex's code-hook limit.
pub trait AnswerHandover: Send + Sync {
    /// Queues the job; `Ok` once the other Lambda accepted it.
    fn hand_over(&self, job: &crate::worker::AnswerJob) -> impl Future<Output = Result<(), String>> + Send;
}

/// The handover of a fulfillment that answers every turn itself (`ANSWER_MODE=sync`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHandover;

impl AnswerHandover for NoHandover {
    async fn hand_over(&self, _job: &crate::worker::AnswerJob) -> Result<(), String> {
        Err("no answer worker is configured".to_owned())
    }
}
