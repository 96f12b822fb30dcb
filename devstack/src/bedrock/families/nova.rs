//! Amazon Nova (`amazon.nova-*`) through InvokeModel: the `messages-v1` body (`schemaVersion`,
//! `system[{text}]`, `messages[{role, content[{text}]}]`, `inferenceConfig`), the response
//! (`output.message.content[{text}]`, `stopReason`, `usage`), and the streamed chunks in the
//! Converse event shapes (`messageStart`, `contentBlockDelta`…, `contentBlockStop`, `messageStop`,
//! `metadata` with the invocation metrics).

use axum::body::Bytes;
use serde_json::{Value, json};

use super::body_check::{JsonType, Schema, invalid, item_violations, malformed};
use super::{Answer, chunk, with_metrics};
use crate::aws_error::AwsError;
use crate::bedrock::request::{Conversation, text_of};
use crate::bedrock::streaming::{Framing, StreamSummary};

const SCHEMA: Schema = Schema {
    required: &[("messages", JsonType::Array)],
    optional: &[
        ("schemaVersion", JsonType::String),
        ("system", JsonType::Array),
        ("inferenceConfig", JsonType::Object),
        ("toolConfig", JsonType::Object),
    ],
};

/// The conversation of a Nova body.
pub(super) fn conversation(body: &Value) -> Result<Conversation, AwsError> {
    let object = SCHEMA.check(body)?;
    let messages = object.get("messages").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let mut violations =
        item_violations("#/messages", messages, &[("role", JsonType::String), ("content", JsonType::Array)]);
    if let Some(version) = object.get("schemaVersion").and_then(Value::as_str).filter(|v| *v != "messages-v1")
    {
        violations.push(format!("#/schemaVersion: {version} is not a valid enum value"));
    }
    if !violations.is_empty() {
        return Err(malformed(&violations));
    }
    if messages.is_empty() {
        return Err(malformed(&["#/messages: expected minimum item count: 1, found: 0".to_owned()]));
    }
    if messages.first().and_then(|m| m["role"].as_str()) != Some("user") {
        return Err(invalid(
            "A conversation must start with a user message. Try again with a conversation that starts with a \
             user message.",
        ));
    }
    let system = object.get("system").map(text_of).filter(|text| !text.is_empty());
    let messages = messages
        .iter()
        .map(|m| (m["role"].as_str().unwrap_or("user").to_owned(), text_of(&m["content"])))
        .collect();
    Ok(Conversation { system, messages })
}

fn usage(input_tokens: usize, output_tokens: usize) -> Value {
    json!({
        "inputTokens": input_tokens,
        "outputTokens": output_tokens,
        "totalTokens": input_tokens + output_tokens,
        "cacheReadInputTokenCount": 0,
        "cacheWriteInputTokenCount": 0
    })
}

/// The message InvokeModel answers.
pub(super) fn response(answer: &Answer<'_>) -> Value {
    json!({
        "output": { "message": { "role": "assistant", "content": [{ "text": answer.text }] } },
        "stopReason": "end_turn",
        "usage": usage(answer.input_tokens, answer.output_tokens)
    })
}

/// Nova's stream: the Converse events, each a JSON object keyed by its event name.
#[derive(Debug)]
pub(super) struct NovaFraming {
    pub(super) input_tokens: usize,
}

impl Framing for NovaFraming {
    fn start(&self) -> Vec<Bytes> {
        vec![chunk(&json!({ "messageStart": { "role": "assistant" } }))]
    }

    fn token(&self, _index: usize, text: &str) -> Bytes {
        chunk(&json!({ "contentBlockDelta": { "delta": { "text": text }, "contentBlockIndex": 0 } }))
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        let metadata = json!({
            "metadata": {
                "usage": usage(self.input_tokens, summary.output_tokens),
                "metrics": {},
                "trace": {}
            }
        });
        vec![
            chunk(&json!({ "contentBlockStop": { "contentBlockIndex": 0 } })),
            chunk(&json!({ "messageStop": { "stopReason": "end_turn" } })),
            chunk(&with_metrics(metadata, self.input_tokens, summary)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TEST_SUMMARY, decode_chunk};
    use super::*;

    #[test]
    fn the_messages_v1_body_gives_the_conversation() {
        let body = json!({
            "schemaVersion": "messages-v1",
            "system": [{ "text": "Be brief." }],
            "messages": [
                { "role": "user", "content": [{ "text": "Hi" }] },
                { "role": "assistant", "content": [{ "text": "Hello!" }] },
                { "role": "user", "content": [{ "text": "Why Rust?" }] }
            ],
            "inferenceConfig": { "maxTokens": 300, "temperature": 0.7 }
        });
        let conversation = conversation(&body).unwrap();
        assert_eq!(conversation.system.as_deref(), Some("Be brief."));
        assert_eq!(conversation.prompt(), "Why Rust?");
        assert_eq!(conversation.messages.len(), 3);
    }

    #[test]
    fn bodies_that_do_not_fit_are_refused() {
        let anthropic_style = json!({ "messages": [{ "role": "user", "content": "Why Rust?" }] });
        assert_eq!(
            conversation(&anthropic_style).unwrap_err().message,
            "Malformed input request: #/messages/0/content: expected type: JSONArray, found: String, please \
             reformat your input and try again."
        );
        let prompt_only = conversation(&json!({ "prompt": "Why Rust?" })).unwrap_err();
        assert!(
            prompt_only.message.contains("#: required key [messages] not found#: extraneous key [prompt]")
        );
        let version = conversation(&json!({ "schemaVersion": "v9", "messages": [] })).unwrap_err();
        assert!(version.message.contains("v9 is not a valid enum value"));
        let empty = conversation(&json!({ "messages": [] })).unwrap_err();
        assert!(
            empty.message.contains("#/messages: expected minimum item count: 1, found: 0"),
            "{}",
            empty.message
        );
        let assistant_first = json!({ "messages": [{ "role": "assistant", "content": [{ "text": "x" }] }] });
        assert!(
            conversation(&assistant_first).unwrap_err().message.contains("must start with a user message")
        );
    }

    #[test]
    fn the_stream_ends_with_metadata_and_the_metrics() {
        let framing = NovaFraming { input_tokens: 6 };
        assert_eq!(decode_chunk(&framing.start()[0]), json!({ "messageStart": { "role": "assistant" } }));
        assert_eq!(decode_chunk(&framing.token(0, "Hi"))["contentBlockDelta"]["delta"]["text"], "Hi");
        let end: Vec<Value> = framing.end(&TEST_SUMMARY).iter().map(decode_chunk).collect();
        assert_eq!(end[1]["messageStop"]["stopReason"], "end_turn");
        assert_eq!(end[2]["metadata"]["usage"]["outputTokens"], 3);
        assert_eq!(end[2]["amazon-bedrock-invocationMetrics"]["firstByteLatency"], 5);
    }
}
