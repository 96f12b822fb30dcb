//! The `/chat` HTTP API of the AppSync Events flow: the widget posts a prompt, the
//! `appsync-chat` Lambda streams the answer to the visitor's channel and returns the whole text.
//!
//! The prompt is a question like any other: [`check_question`](crate::input_bounds::check_question)
//! bounds it, and the whole body is at most [`MAX_CHAT_REQUEST_BYTES`](crate::limits::MAX_CHAT_REQUEST_BYTES).

use serde::{Deserialize, Serialize};

/// `POST /chat` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRequest {
    /// The visitor's channel segment (`user_segment` of their identity id).
    pub user_id: String,
    /// What the visitor asked.
    pub prompt: String,
    /// The turn id the streamed frames carry (chosen by the widget; generated when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
}

/// `POST /chat` answer (200): the whole answer, as Markdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatResponse {
    /// The answer text.
    pub text: String,
    /// The turn id the frames carried.
    pub turn_id: String,
    /// Whether streaming to the channel stopped early (the text is complete regardless).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stream_problem: Option<String>,
}

/// `POST /chat` refusal (4xx/5xx).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatError {
    /// Why, in words a developer can act on.
    pub message: String,
}
