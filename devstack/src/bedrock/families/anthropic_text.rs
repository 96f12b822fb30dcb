//! Anthropic Claude's text completions on Bedrock (Claude Instant 1.x, Claude 2.x): the body
//! (`prompt` of `\n\nHuman:`/`\n\nAssistant:` turns, `max_tokens_to_sample`), the response
//! (`completion`, `stop_reason`, `stop`), and the streamed chunks of the same shape, the last one
//! with `stop_reason` and the invocation metrics.

use axum::body::Bytes;
use serde_json::{Value, json};

use super::body_check::{JsonType, Schema, invalid};
use super::turns::{self, Marker};
use super::{Answer, chunk, with_metrics};
use crate::aws_error::AwsError;
use crate::bedrock::request::Conversation;
use crate::bedrock::streaming::{Framing, StreamSummary};

const SCHEMA: Schema = Schema {
    required: &[("prompt", JsonType::String), ("max_tokens_to_sample", JsonType::Integer)],
    optional: &[
        ("temperature", JsonType::Number),
        ("top_p", JsonType::Number),
        ("top_k", JsonType::Integer),
        ("stop_sequences", JsonType::Array),
        ("anthropic_version", JsonType::String),
    ],
};

const HUMAN: &str = "\n\nHuman:";
const ASSISTANT: &str = "\n\nAssistant:";
const MARKERS: [Marker; 2] =
    [Marker { text: HUMAN, role: "user" }, Marker { text: ASSISTANT, role: "assistant" }];

/// The conversation of a text-completion body: the turns of its prompt, the text before the first
/// `\n\nHuman:` as system prompt; refused as Anthropic refuses a prompt not in turns.
pub(super) fn conversation(body: &Value) -> Result<Conversation, AwsError> {
    let object = SCHEMA.check(body)?;
    let prompt = object.get("prompt").and_then(Value::as_str).unwrap_or_default();
    let turns = turns::split(prompt, &MARKERS, &[]);
    if turns.first_role() != Some("user") {
        return Err(invalid(r#"prompt must start with "\n\nHuman:" turn"#));
    }
    if turns.last_role() != Some("assistant") {
        return Err(invalid(r#"prompt must end with "\n\nAssistant:" turn"#));
    }
    Ok(turns.into_conversation())
}

/// The completion InvokeModel answers; the model stopped at its built-in `\n\nHuman:`.
pub(super) fn response(answer: &Answer<'_>) -> Value {
    json!({ "completion": answer.text, "stop_reason": "stop_sequence", "stop": HUMAN })
}

/// Completion chunks: `{completion, stop_reason: null, stop: null}` per token, then an empty
/// completion with the stop reason and the metrics.
#[derive(Debug)]
pub(super) struct TextCompletionFraming {
    pub(super) input_tokens: usize,
}

impl Framing for TextCompletionFraming {
    fn start(&self) -> Vec<Bytes> {
        Vec::new()
    }

    fn token(&self, _index: usize, text: &str) -> Bytes {
        chunk(&json!({ "completion": text, "stop_reason": null, "stop": null }))
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        let last = json!({ "completion": "", "stop_reason": "stop_sequence", "stop": HUMAN });
        vec![chunk(&with_metrics(last, self.input_tokens, summary))]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TEST_SUMMARY, decode_chunk};
    use super::*;

    fn body(prompt: &str) -> Value {
        json!({ "prompt": prompt, "max_tokens_to_sample": 300 })
    }

    #[test]
    fn the_question_is_read_out_of_the_turns() {
        let single = conversation(&body("\n\nHuman: Why Rust?\n\nAssistant:")).unwrap();
        assert_eq!(single.prompt(), "Why Rust?");
        assert_eq!(single.system, None);
        let multi = conversation(&body(
            "You are terse.\n\nHuman: Hi\n\nAssistant: Hello.\n\nHuman: Why Rust?\n\nAssistant:",
        ))
        .unwrap();
        assert_eq!(multi.system.as_deref(), Some("You are terse."));
        assert_eq!(multi.messages.len(), 3);
        assert_eq!(multi.prompt(), "Why Rust?");
        let prefilled = conversation(&body("\n\nHuman: List three.\n\nAssistant: 1.")).unwrap();
        assert_eq!(prefilled.prompt(), "List three.");
    }

    #[test]
    fn prompts_out_of_turns_and_other_bodies_are_refused() {
        let unturned = conversation(&body("Why Rust?")).unwrap_err();
        assert_eq!(unturned.message, r#"prompt must start with "\n\nHuman:" turn"#);
        let unfinished = conversation(&body("\n\nHuman: Why Rust?")).unwrap_err();
        assert_eq!(unfinished.message, r#"prompt must end with "\n\nAssistant:" turn"#);
        let messages = json!({ "messages": [{ "role": "user", "content": "hi" }] });
        assert_eq!(
            conversation(&messages).unwrap_err().message,
            "Malformed input request: #: required key [prompt] not found#: required key [max_tokens_to_sample] not \
             found#: extraneous key [messages] is not permitted, please reformat your input and try again."
        );
    }

    #[test]
    fn chunks_carry_completions_and_the_last_one_the_metrics() {
        let framing = TextCompletionFraming { input_tokens: 4 };
        assert!(framing.start().is_empty());
        assert_eq!(
            decode_chunk(&framing.token(0, "Hi")),
            json!({ "completion": "Hi", "stop_reason": null, "stop": null })
        );
        let last = decode_chunk(&framing.end(&TEST_SUMMARY)[0]);
        assert_eq!(last["stop_reason"], "stop_sequence");
        assert_eq!(last["amazon-bedrock-invocationMetrics"]["outputTokenCount"], 3);
    }
}
