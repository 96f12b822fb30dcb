//! Amazon Lex V2 types: the Lambda code-hook event and response, and the runtime
//! `RecognizeText` call, shaped after AWS's documentation.
//!
//! AWS adds fields and enum values without changing `messageVersion`, so every struct ignores
//! fields it does not know and every enum keeps values it does not know
//! (as an `Other(String)` variant) instead of failing.

mod event;
mod message_json;
mod open_enum;
mod response;
mod runtime;
mod session;
mod stage_endpoint;
mod streaming_endpoint;

pub use event::{
    Bot, CodeHookEvent, InputMode, Interpretation, InterpretationSource, InvocationSource, PromptAttempt,
    ProposedDialogAction, ProposedNextState, ResolvedContext, Sentiment, SentimentResponse, SentimentScore,
    Transcription,
};
pub(crate) use message_json::required_string;
pub use response::CodeHookResponse;
pub use runtime::{
    ConfidenceScore, LexRuntimeErrorCode, RecognizeTextRequest, RecognizeTextResponse, RecognizedBotMember,
    RuntimeInterpretation, recognize_text_path,
};
pub use session::{
    ActiveContext, Button, ConfirmationState, DialogAction, DialogActionType, ElicitSubSlot,
    ImageResponseCard, Intent, IntentState, Message, MessageContentType, RuntimeHintDetails,
    RuntimeHintValue, RuntimeHints, SessionState, Slot, SlotElicitationStyle, SlotShape, SlotValue,
    TimeToLive,
};
pub use stage_endpoint::{StageEndpoint, StageEndpointError};
pub use streaming_endpoint::{same_stage, streaming_endpoint};

/// Session attribute naming the DynamoDB table that maps a sessionId to a WebSocket connection
/// (the Lex Web UI's name, kept so existing backends work unchanged).
pub const ATTR_STREAMING_TABLE: &str = "streamingDynamoDbTable";
/// Session attribute naming the https URL of the WebSocket API stage to post frames to (see
/// [`streaming_endpoint`]).
pub const ATTR_STREAMING_ENDPOINT: &str = "streamingEndpoint";
/// Request attribute carrying the widget's id for the current turn.
pub const ATTR_STREAMING_TURN_ID: &str = "streamingTurnId";
/// Session attribute of a Lex answer that is only a placeholder: it names the turn whose answer
/// follows on the stream (a worker generates it past Lex's code-hook limit), so the widget keeps
/// that turn open instead of showing the placeholder.
pub const ATTR_PENDING_TURN: &str = "lexstreamPendingTurn";
/// Session attribute earlier versions kept the conversation's history in. The history is
/// server-side now: the widget never sends it and the fulfillment never reads it.
pub const ATTR_LEGACY_HISTORY: &str = "lexstreamHistory";
