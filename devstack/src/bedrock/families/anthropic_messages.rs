//! Anthropic Claude's Messages API on Bedrock: the body (`anthropic_version`, `max_tokens`,
//! `messages` of `{role, content}` with content a string or `[{type: text, text}]`, optional
//! `system`), the `message` response, and the streamed events (`message_start`,
//! `content_block_start`, `content_block_delta`…, `content_block_stop`, `message_delta`,
//! `message_stop` with the invocation metrics).

use axum::body::Bytes;
use serde_json::{Value, json};

use super::body_check::{JsonType, Schema, invalid, item_violations, malformed};
use super::{Answer, chunk, with_metrics};
use crate::aws_error::AwsError;
use crate::bedrock::request::{Conversation, text_of};
use crate::bedrock::streaming::{Framing, StreamSummary};

const SCHEMA: Schema = Schema {
    required: &[
        ("anthropic_version", JsonType::String),
        ("max_tokens", JsonType::Integer),
        ("messages", JsonType::Array),
    ],
    optional: &[
        ("system", JsonType::StringOrArray),
        ("temperature", JsonType::Number),
        ("top_p", JsonType::Number),
        ("top_k", JsonType::Integer),
        ("stop_sequences", JsonType::Array),
        ("tools", JsonType::Array),
        ("tool_choice", JsonType::Object),
        ("anthropic_beta", JsonType::Array),
        ("metadata", JsonType::Object),
        ("thinking", JsonType::Object),
    ],
};

/// The conversation of a Messages body.
pub(super) fn conversation(body: &Value) -> Result<Conversation, AwsError> {
    let object = SCHEMA.check(body)?;
    let messages = object.get("messages").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let violations = item_violations(
        "#/messages",
        messages,
        &[("role", JsonType::String), ("content", JsonType::StringOrArray)],
    );
    if !violations.is_empty() {
        return Err(malformed(&violations));
    }
    if messages.is_empty() {
        return Err(invalid("messages: at least one message is required"));
    }
    let system = object.get("system").map(text_of).filter(|text| !text.is_empty());
    let messages = messages
        .iter()
        .map(|message| (message["role"].as_str().unwrap_or("user").to_owned(), text_of(&message["content"])))
        .collect();
    Ok(Conversation { system, messages })
}

fn message_id() -> String {
    format!("msg_bdrk_devstack_{}", uuid::Uuid::new_v4().simple())
}

/// The `message` InvokeModel answers.
pub(super) fn response(answer: &Answer<'_>) -> Value {
    json!({
        "id": message_id(),
        "type": "message",
        "role": "assistant",
        "model": answer.model.base_name(),
        "content": [{ "type": "text", "text": answer.text }],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": { "input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens }
    })
}

/// Anthropic's streaming events, each in a Bedrock `chunk`.
#[derive(Debug)]
pub(super) struct MessagesFraming {
    /// The model's own name, e.g. `claude-3-haiku-20240307`.
    pub(super) model: String,
    pub(super) input_tokens: usize,
}

impl Framing for MessagesFraming {
    fn start(&self) -> Vec<Bytes> {
        vec![
            chunk(&json!({
                "type": "message_start",
                "message": {
                    "id": message_id(), "type": "message", "role": "assistant", "model": self.model,
                    "content": [], "stop_reason": null, "stop_sequence": null,
                    "usage": { "input_tokens": self.input_tokens, "output_tokens": 1 }
                }
            })),
            chunk(
                &json!({ "type": "content_block_start", "index": 0, "content_block": { "type": "text", "text": "" } }),
            ),
        ]
    }

    fn token(&self, _index: usize, text: &str) -> Bytes {
        chunk(
            &json!({ "type": "content_block_delta", "index": 0, "delta": { "type": "text_delta", "text": text } }),
        )
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        vec![
            chunk(&json!({ "type": "content_block_stop", "index": 0 })),
            chunk(&json!({
                "type": "message_delta",
                "delta": { "stop_reason": "end_turn", "stop_sequence": null },
                "usage": { "output_tokens": summary.output_tokens }
            })),
            chunk(&with_metrics(json!({ "type": "message_stop" }), self.input_tokens, summary)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TEST_SUMMARY, decode_chunk};
    use super::*;

    #[test]
    fn both_content_shapes_and_the_system_prompt_are_read() {
        let body = json!({
            "anthropic_version": "bedrock-2023-05-31", "max_tokens": 300,
            "system": [{ "type": "text", "text": "Be brief." }],
            "messages": [
                { "role": "user", "content": "Hi" },
                { "role": "assistant", "content": "Hello!" },
                { "role": "user", "content": [{ "type": "text", "text": "Why Rust?" }] }
            ]
        });
        let conversation = conversation(&body).unwrap();
        assert_eq!(conversation.system.as_deref(), Some("Be brief."));
        assert_eq!(conversation.messages.len(), 3);
        assert_eq!(conversation.prompt(), "Why Rust?");
    }

    #[test]
    fn bodies_of_other_families_are_refused() {
        let text_completion = json!({ "prompt": "\n\nHuman: hi\n\nAssistant:", "max_tokens_to_sample": 300 });
        let refusal = conversation(&text_completion).unwrap_err();
        assert_eq!(refusal.error_type, "ValidationException");
        assert!(
            refusal
                .message
                .starts_with("Malformed input request: #: required key [anthropic_version] not found")
        );
        assert!(
            refusal.message.contains("#: extraneous key [prompt] is not permitted"),
            "{}",
            refusal.message
        );
        let empty = json!({ "anthropic_version": "bedrock-2023-05-31", "max_tokens": 1, "messages": [] });
        assert_eq!(conversation(&empty).unwrap_err().message, "messages: at least one message is required");
        let roleless = json!({ "anthropic_version": "bedrock-2023-05-31", "max_tokens": 1, "messages": [{ "content": "x" }] });
        assert!(
            conversation(&roleless)
                .unwrap_err()
                .message
                .contains("#/messages/0: required key [role] not found")
        );
    }

    #[test]
    fn the_stream_ends_with_message_stop_and_the_metrics() {
        let framing = MessagesFraming { model: "claude-3-haiku-20240307".into(), input_tokens: 7 };
        let start = decode_chunk(&framing.start()[0]);
        assert_eq!(start["message"]["model"], "claude-3-haiku-20240307");
        assert_eq!(decode_chunk(&framing.token(0, "Hi"))["delta"]["text"], "Hi");
        let end: Vec<Value> = framing.end(&TEST_SUMMARY).iter().map(decode_chunk).collect();
        assert_eq!(end[1]["usage"]["output_tokens"], 3);
        assert_eq!(end[2]["type"], "message_stop");
        assert_eq!(
            end[2]["amazon-bedrock-invocationMetrics"],
            json!({ "inputTokenCount": 7, "outputTokenCount": 3, "invocationLatency": 40, "firstByteLatency": 5 })
        );
    }
}
