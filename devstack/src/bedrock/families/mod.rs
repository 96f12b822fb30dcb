//! InvokeModel's model families: each reads its own body format into the conversation the model
//! answers, frames the whole answer (`InvokeModel`) and the streamed chunks
//! (`InvokeModelWithResponseStream`, each a `chunk` event whose `bytes` are the family's JSON, the
//! last one carrying `amazon-bedrock-invocationMetrics` as Bedrock adds it). Which family a
//! request belongs to is decided from the model id as Bedrock does ([`choice`]).

mod anthropic_messages;
mod anthropic_text;
mod body_check;
mod choice;
mod llama;
mod mistral_chat;
mod mistral_text;
mod nova;
mod titan;
mod turns;

use axum::body::Bytes;
use base64::Engine;
use serde_json::{Value, json};

use super::event_stream;
use super::model_id::ModelId;
use super::request::Conversation;
use super::streaming::{Framing, StreamSummary};
use crate::aws_error::AwsError;

/// A body format of InvokeModel and the responses that go with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Family {
    /// Claude's text completions: `prompt` with `\n\nHuman:`/`\n\nAssistant:` turns.
    AnthropicText,
    /// Claude's Messages API: `anthropic_version`, `max_tokens`, `messages`.
    AnthropicMessages,
    /// Amazon Titan Text: `inputText`, `textGenerationConfig`.
    TitanText,
    /// Amazon Nova: the `messages-v1` schema, `messages[].content[].text`.
    Nova,
    /// Meta Llama: `prompt`, `max_gen_len`.
    Llama,
    /// Mistral text completion: `prompt` (`<s>[INST] … [/INST]`), `max_tokens`.
    MistralText,
    /// Mistral chat completion (Mistral Large): `messages` of `{role, content}`.
    MistralChat,
}

/// A whole answer for a family to frame.
#[derive(Debug, Clone, Copy)]
pub(super) struct Answer<'a> {
    /// The model that answered.
    pub(super) model: ModelId<'a>,
    /// The answer.
    pub(super) text: &'a str,
    /// Tokens of the prompt.
    pub(super) input_tokens: usize,
    /// Tokens of the answer.
    pub(super) output_tokens: usize,
}

/// An InvokeModel request as the model sees it.
#[derive(Debug, Clone)]
pub(super) struct InvokeRequest<'a> {
    /// The model id, read.
    pub(super) model: ModelId<'a>,
    /// The body format.
    pub(super) family: Family,
    /// What the model answers.
    pub(super) conversation: Conversation,
}

impl<'a> InvokeRequest<'a> {
    /// Reads the body of an InvokeModel call to `model_id`, or answers Bedrock's refusal.
    pub(super) fn read(model_id: &'a str, body: &[u8]) -> Result<Self, AwsError> {
        let model = choice::model_of(model_id)?;
        let body = body_check::parse_json(body)?;
        let family = choice::family_of(model, model_id, &body)?;
        let conversation = family.conversation(&body)?;
        Ok(Self { model, family, conversation })
    }
}

impl Family {
    /// The conversation in `body`, or Bedrock's refusal of a body that does not fit.
    fn conversation(self, body: &Value) -> Result<Conversation, AwsError> {
        match self {
            Self::AnthropicText => anthropic_text::conversation(body),
            Self::AnthropicMessages => anthropic_messages::conversation(body),
            Self::TitanText => titan::conversation(body),
            Self::Nova => nova::conversation(body),
            Self::Llama => llama::conversation(body),
            Self::MistralText => mistral_text::conversation(body),
            Self::MistralChat => mistral_chat::conversation(body),
        }
    }

    /// The InvokeModel response body for `answer`.
    pub(super) fn response(self, answer: &Answer<'_>) -> Value {
        match self {
            Self::AnthropicText => anthropic_text::response(answer),
            Self::AnthropicMessages => anthropic_messages::response(answer),
            Self::TitanText => titan::response(answer),
            Self::Nova => nova::response(answer),
            Self::Llama => llama::response(answer),
            Self::MistralText => mistral_text::response(answer),
            Self::MistralChat => mistral_chat::response(answer),
        }
    }

    /// How InvokeModelWithResponseStream frames an answer of `model` to a prompt of
    /// `input_tokens`.
    pub(super) fn framing(self, model: ModelId<'_>, input_tokens: usize) -> Box<dyn Framing> {
        match self {
            Self::AnthropicText => Box::new(anthropic_text::TextCompletionFraming { input_tokens }),
            Self::AnthropicMessages => Box::new(anthropic_messages::MessagesFraming {
                model: model.base_name().to_owned(),
                input_tokens,
            }),
            Self::TitanText => Box::new(titan::TitanFraming { input_tokens }),
            Self::Nova => Box::new(nova::NovaFraming { input_tokens }),
            Self::Llama => Box::new(llama::LlamaFraming { input_tokens }),
            Self::MistralText => Box::new(mistral_text::MistralTextFraming { input_tokens }),
            Self::MistralChat => Box::new(mistral_chat::MistralChatFraming {
                model: model.base_name().to_owned(),
                input_tokens,
            }),
        }
    }
}

/// A streamed `chunk` event carrying `payload` as Bedrock does: `{"bytes": base64(JSON)}`.
fn chunk(payload: &Value) -> Bytes {
    let bytes = base64::engine::general_purpose::STANDARD.encode(payload.to_string());
    event_stream::event("chunk", &json!({ "bytes": bytes }))
}

/// The `amazon-bedrock-invocationMetrics` Bedrock adds to the last chunk of every stream.
fn invocation_metrics(input_tokens: usize, summary: &StreamSummary) -> Value {
    json!({
        "inputTokenCount": input_tokens,
        "outputTokenCount": summary.output_tokens,
        "invocationLatency": summary.latency_ms,
        "firstByteLatency": summary.first_byte_ms,
    })
}

/// `payload` (an object) with the invocation metrics added, as the last chunk of a stream.
fn with_metrics(mut payload: Value, input_tokens: usize, summary: &StreamSummary) -> Value {
    if let Some(object) = payload.as_object_mut() {
        object
            .insert("amazon-bedrock-invocationMetrics".to_owned(), invocation_metrics(input_tokens, summary));
    }
    payload
}

/// Decodes a chunk frame back into its JSON payload (for tests of the framings).
#[cfg(test)]
fn decode_chunk(frame: &Bytes) -> Value {
    use aws_smithy_eventstream::frame::read_message_from;
    let message = read_message_from(&mut frame.clone()).unwrap();
    let envelope: Value = serde_json::from_slice(message.payload()).unwrap();
    let bytes =
        base64::engine::general_purpose::STANDARD.decode(envelope["bytes"].as_str().unwrap()).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// A summary for tests of the framings' last chunks.
#[cfg(test)]
const TEST_SUMMARY: StreamSummary = StreamSummary { output_tokens: 3, latency_ms: 40, first_byte_ms: 5 };
