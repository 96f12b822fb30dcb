//! The event Lex V2 sends to a Lambda code hook.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;
use super::session::{DialogActionType, Intent, SessionState, Slot};

/// The input of a Lex V2 Lambda code hook (dialog or fulfillment).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeHookEvent {
    /// Always `"1.0"` so far.
    pub message_version: String,
    /// Why the Lambda is called.
    pub invocation_source: InvocationSource,
    /// How the user spoke to the bot.
    pub input_mode: InputMode,
    /// The MIME type the client wants back, e.g. `text/plain; charset=utf-8`.
    pub response_content_type: String,
    /// The session's id (the widget's sessionId).
    pub session_id: String,
    /// The user's text, or the speech transcript.
    #[serde(default)]
    pub input_transcript: String,
    /// The label of the code hook invocation, when the bot sets one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invocation_label: Option<String>,
    /// The bot that called.
    pub bot: Bot,
    /// The intents Lex considered, best first.
    #[serde(default)]
    pub interpretations: Vec<Interpretation>,
    /// What Lex plans to do next (dialog code hooks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_next_state: Option<ProposedNextState>,
    /// Attributes the client sent with this request only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_attributes: Option<BTreeMap<String, String>>,
    /// The session's state.
    pub session_state: SessionState,
    /// Speech transcriptions Lex considered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcriptions: Option<Vec<Transcription>>,
}

impl CodeHookEvent {
    /// A request attribute's value, if sent.
    pub fn request_attribute(&self, name: &str) -> Option<&str> {
        self.request_attributes.as_ref()?.get(name).map(String::as_str)
    }
}

open_enum!(
    /// Why Lex calls the Lambda.
    InvocationSource {
        /// To validate input or steer the dialog.
        DialogCodeHook = "DialogCodeHook",
        /// To fulfill the intent.
        FulfillmentCodeHook = "FulfillmentCodeHook",
    }
);

open_enum!(
    /// How the user gave input.
    InputMode {
        /// Touch-tone keys.
        Dtmf = "DTMF",
        /// Voice.
        Speech = "Speech",
        /// Typed text.
        Text = "Text",
    }
);

/// The bot that sent the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bot {
    /// The bot's id.
    pub id: String,
    /// The bot's name.
    pub name: String,
    /// The alias's id.
    pub alias_id: String,
    /// The alias's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_name: Option<String>,
    /// The locale, e.g. `en_US`.
    pub locale_id: String,
    /// The bot version, e.g. `DRAFT`.
    pub version: String,
}

open_enum!(
    /// What produced an interpretation.
    InterpretationSource {
        /// Amazon Bedrock (generative AI features).
        Bedrock = "Bedrock",
        /// Lex's own NLU.
        Lex = "Lex",
    }
);

/// One intent Lex considered, as the Lambda sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Interpretation {
    /// The intent.
    pub intent: Intent,
    /// Confidence from 0 to 1 (a bare number in the Lambda event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nlu_confidence: Option<f64>,
    /// Sentiment, when enabled on the bot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_response: Option<SentimentResponse>,
    /// What produced this interpretation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interpretation_source: Option<InterpretationSource>,
}

open_enum!(
    /// The overall sentiment of an utterance.
    Sentiment {
        /// Both positive and negative.
        Mixed = "MIXED",
        /// Negative.
        Negative = "NEGATIVE",
        /// Neutral.
        Neutral = "NEUTRAL",
        /// Positive.
        Positive = "POSITIVE",
    }
);

/// The sentiment of the utterance and its scores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SentimentResponse {
    /// The overall sentiment.
    pub sentiment: Sentiment,
    /// Scores per sentiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sentiment_score: Option<SentimentScore>,
}

/// Scores per sentiment, from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SentimentScore {
    /// Mixed.
    pub mixed: f64,
    /// Negative.
    pub negative: f64,
    /// Neutral.
    pub neutral: f64,
    /// Positive.
    pub positive: f64,
}

/// What Lex plans to do next when the dialog code hook returns `Delegate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposedNextState {
    /// The next step.
    pub dialog_action: ProposedDialogAction,
    /// The intent it applies to.
    pub intent: Intent,
    /// Which prompt attempt this is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptAttempt>,
}

/// The dialog action inside a [`ProposedNextState`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposedDialogAction {
    /// The next step.
    #[serde(rename = "type")]
    pub action_type: DialogActionType,
    /// The slot Lex will ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_to_elicit: Option<String>,
}

/// Which attempt of a prompt Lex is at (`Initial`, `Retry1`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptAttempt {
    /// The attempt.
    pub attempt: String,
}

/// A speech transcription Lex considered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transcription {
    /// The transcribed text.
    pub transcription: String,
    /// Confidence from 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcription_confidence: Option<f64>,
    /// The intent the transcription resolved to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_context: Option<ResolvedContext>,
    /// Slots resolved from the transcription.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_slots: Option<BTreeMap<String, Slot>>,
}

/// The intent a transcription resolved to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResolvedContext {
    /// The intent's name.
    pub intent: String,
}
