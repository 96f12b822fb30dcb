//! Mistral AI chat completion (Mistral Large): the body (`messages` of `{role, content}` with
//! roles `system`, `user`, `assistant`, `tool`; `max_tokens`, `temperature`, `top_p`, `tools`,
//! `tool_choice`), the response (`choices[{index, message{role, content}, stop_reason}]`), and the
//! streamed chunks (`choices[{index, message{role, content}, stop_reason}]`), the last with
//! `stop_reason`, `usage` and the invocation metrics.

use axum::body::Bytes;
use serde_json::{Value, json};

use super::body_check::{JsonType, Schema, item_violations, malformed};
use super::{Answer, chunk, with_metrics};
use crate::aws_error::AwsError;
use crate::bedrock::request::{Conversation, text_of};
use crate::bedrock::streaming::{Framing, StreamSummary};

const SCHEMA: Schema = Schema {
    required: &[("messages", JsonType::Array)],
    optional: &[
        ("max_tokens", JsonType::Integer),
        ("temperature", JsonType::Number),
        ("top_p", JsonType::Number),
        ("tools", JsonType::Array),
        ("tool_choice", JsonType::String),
    ],
};

/// The conversation of a chat body; `system` messages become the system prompt.
pub(super) fn conversation(body: &Value) -> Result<Conversation, AwsError> {
    let object = SCHEMA.check(body)?;
    let messages = object.get("messages").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let violations = item_violations("#/messages", messages, &[("role", JsonType::String)]);
    if !violations.is_empty() {
        return Err(malformed(&violations));
    }
    let (system, turns): (Vec<&Value>, Vec<&Value>) =
        messages.iter().partition(|message| message["role"].as_str() == Some("system"));
    let system = system.iter().map(|message| text_of(&message["content"])).collect::<Vec<_>>().join("\n");
    let messages = turns
        .iter()
        .map(|m| (m["role"].as_str().unwrap_or("user").to_owned(), text_of(&m["content"])))
        .collect();
    Ok(Conversation { system: Some(system).filter(|text| !text.is_empty()), messages })
}

/// The choices InvokeModel answers.
pub(super) fn response(answer: &Answer<'_>) -> Value {
    json!({
        "choices": [{
            "index": 0,
            "message": { "role": "assistant", "content": answer.text },
            "stop_reason": "stop"
        }]
    })
}

/// One `choices` chunk per token (the role in the first), then one with `stop_reason`, `usage` and
/// the metrics.
#[derive(Debug)]
pub(super) struct MistralChatFraming {
    /// The model's own name, e.g. `mistral-large-2407`.
    pub(super) model: String,
    pub(super) input_tokens: usize,
}

impl MistralChatFraming {
    fn chunk_of(&self, role: Option<&str>, content: &str, stop_reason: Option<&str>) -> Value {
        json!({
            "object": "chat.completion.chunk",
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": { "role": role, "content": content },
                "stop_reason": stop_reason
            }]
        })
    }
}

impl Framing for MistralChatFraming {
    fn start(&self) -> Vec<Bytes> {
        Vec::new()
    }

    fn token(&self, index: usize, text: &str) -> Bytes {
        chunk(&self.chunk_of((index == 0).then_some("assistant"), text, None))
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        let mut last = self.chunk_of(None, "", Some("stop"));
        last["usage"] = json!({
            "prompt_tokens": self.input_tokens,
            "completion_tokens": summary.output_tokens,
            "total_tokens": self.input_tokens + summary.output_tokens
        });
        vec![chunk(&with_metrics(last, self.input_tokens, summary))]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TEST_SUMMARY, decode_chunk};
    use super::*;

    #[test]
    fn system_and_turns_are_read() {
        let body = json!({
            "messages": [
                { "role": "system", "content": "Be brief." },
                { "role": "user", "content": "Hi" },
                { "role": "assistant", "content": "Hello!" },
                { "role": "user", "content": "Why Rust?" }
            ],
            "max_tokens": 200
        });
        let conversation = conversation(&body).unwrap();
        assert_eq!(conversation.system.as_deref(), Some("Be brief."));
        assert_eq!(conversation.messages.len(), 3);
        assert_eq!(conversation.prompt(), "Why Rust?");
    }

    #[test]
    fn a_text_body_or_roleless_messages_are_refused() {
        let prompt = conversation(&json!({ "prompt": "<s>[INST] hi [/INST]" })).unwrap_err();
        assert!(prompt.message.contains("#: required key [messages] not found#: extraneous key [prompt]"));
        let roleless = conversation(&json!({ "messages": [{ "content": "hi" }] })).unwrap_err();
        assert!(roleless.message.contains("#/messages/0: required key [role] not found"));
    }

    #[test]
    fn chunks_carry_message_content_and_the_last_one_usage() {
        let framing = MistralChatFraming { model: "mistral-large-2407".into(), input_tokens: 4 };
        let first = decode_chunk(&framing.token(0, "Hi"));
        assert_eq!(first["choices"][0]["message"], json!({ "role": "assistant", "content": "Hi" }));
        assert_eq!(decode_chunk(&framing.token(1, "!"))["choices"][0]["message"]["role"], Value::Null);
        let last = decode_chunk(&framing.end(&TEST_SUMMARY)[0]);
        assert_eq!(last["choices"][0]["stop_reason"], "stop");
        assert_eq!(last["usage"]["total_tokens"], 7);
        assert_eq!(last["amazon-bedrock-invocationMetrics"]["inputTokenCount"], 4);
    }
}
