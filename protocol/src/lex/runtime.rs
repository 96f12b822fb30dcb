//! The Lex V2 runtime `RecognizeText` call: path, request, response and error codes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::{InterpretationSource, SentimentResponse};
use super::open_enum::open_enum;
use super::session::{Intent, Message, SessionState};

/// The request path of `RecognizeText` (`POST`), before URI encoding.
///
/// ```
/// assert_eq!(
///     lexstream_protocol::lex::recognize_text_path("BOT", "ALIAS", "en_US", "s-1"),
///     "/bots/BOT/botAliases/ALIAS/botLocales/en_US/sessions/s-1/text"
/// );
/// ```
pub fn recognize_text_path(bot_id: &str, bot_alias_id: &str, locale_id: &str, session_id: &str) -> String {
    format!("/bots/{bot_id}/botAliases/{bot_alias_id}/botLocales/{locale_id}/sessions/{session_id}/text")
}

/// The JSON body of `RecognizeText`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecognizeTextRequest {
    /// What the user typed.
    pub text: String,
    /// The session state to apply before recognizing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_state: Option<SessionState>,
    /// Attributes for this request only (the `x-amz-lex:` prefix is reserved).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_attributes: Option<BTreeMap<String, String>>,
}

/// The JSON body `RecognizeText` answers with.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecognizeTextResponse {
    /// Messages for the user, in order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// The session's state after this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_state: Option<SessionState>,
    /// The intents Lex considered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretations: Option<Vec<RuntimeInterpretation>>,
    /// The request attributes of this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_attributes: Option<BTreeMap<String, String>>,
    /// The session's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<String>,
    /// The bot of a bot network that answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognized_bot_member: Option<RecognizedBotMember>,
}

/// One intent Lex considered, as the runtime API reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeInterpretation {
    /// The intent.
    pub intent: Intent,
    /// Confidence (an object here, unlike the Lambda event's bare number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nlu_confidence: Option<ConfidenceScore>,
    /// Sentiment, when enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_response: Option<SentimentResponse>,
    /// What produced this interpretation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretation_source: Option<InterpretationSource>,
}

/// A confidence score from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ConfidenceScore {
    /// The score.
    pub score: f64,
}

/// The member bot of a bot network that recognized the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecognizedBotMember {
    /// The bot's id.
    pub bot_id: String,
    /// The bot's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot_name: Option<String>,
}

open_enum!(
    /// The error types `RecognizeText` answers with (in `x-amzn-ErrorType`).
    LexRuntimeErrorCode {
        /// Credentials missing, invalid, expired or not allowed.
        AccessDenied = "AccessDeniedException",
        /// A downstream service answered badly.
        BadGateway = "BadGatewayException",
        /// Two clients use the same session at once.
        Conflict = "ConflictException",
        /// A dependency (such as the Lambda code hook) failed or timed out.
        DependencyFailed = "DependencyFailedException",
        /// Lex failed.
        InternalServer = "InternalServerException",
        /// The bot, alias or locale does not exist.
        ResourceNotFound = "ResourceNotFoundException",
        /// Too many requests.
        Throttling = "ThrottlingException",
        /// The input is invalid.
        Validation = "ValidationException",
    }
);

impl LexRuntimeErrorCode {
    /// The HTTP status Lex answers this error with.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::AccessDenied => 403,
            Self::BadGateway => 502,
            Self::Conflict => 409,
            Self::DependencyFailed => 424,
            Self::InternalServer | Self::Other(_) => 500,
            Self::ResourceNotFound => 404,
            Self::Throttling => 429,
            Self::Validation => 400,
        }
    }

    /// Whether a client should retry (with backoff) after this error.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Throttling | Self::InternalServer | Self::BadGateway)
    }
}
