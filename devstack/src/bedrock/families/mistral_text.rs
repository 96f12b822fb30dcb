//! Mistral AI text completion (`mistral.*`): the body (`prompt`, usually
//! `<s>[INST] … [/INST]`, with `max_tokens`, `stop`, `temperature`, `top_p`, `top_k`), the
//! response (`outputs[{text, stop_reason}]`), and streamed chunks of the same shape, the last with
//! `stop_reason` and the invocation metrics.

use axum::body::Bytes;
use serde_json::{Value, json};

use super::body_check::{JsonType, Schema};
use super::turns;
use super::{Answer, chunk, with_metrics};
use crate::aws_error::AwsError;
use crate::bedrock::request::Conversation;
use crate::bedrock::streaming::{Framing, StreamSummary};

const SCHEMA: Schema = Schema {
    required: &[("prompt", JsonType::String)],
    optional: &[
        ("max_tokens", JsonType::Integer),
        ("stop", JsonType::Array),
        ("temperature", JsonType::Number),
        ("top_p", JsonType::Number),
        ("top_k", JsonType::Integer),
    ],
};

/// The conversation of a Mistral prompt: its `[INST]` turns, or the whole prompt as question.
pub(super) fn conversation(body: &Value) -> Result<Conversation, AwsError> {
    let object = SCHEMA.check(body)?;
    let prompt = object.get("prompt").and_then(Value::as_str).unwrap_or_default();
    Ok(turns::inst_blocks(prompt))
}

/// The outputs InvokeModel answers.
pub(super) fn response(answer: &Answer<'_>) -> Value {
    json!({ "outputs": [{ "text": answer.text, "stop_reason": "stop" }] })
}

/// One `outputs` chunk per token, then an empty one with `stop_reason` and the metrics.
#[derive(Debug)]
pub(super) struct MistralTextFraming {
    pub(super) input_tokens: usize,
}

impl Framing for MistralTextFraming {
    fn start(&self) -> Vec<Bytes> {
        Vec::new()
    }

    fn token(&self, _index: usize, text: &str) -> Bytes {
        chunk(&json!({ "outputs": [{ "text": text, "stop_reason": null }] }))
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        let last = json!({ "outputs": [{ "text": "", "stop_reason": "stop" }] });
        vec![chunk(&with_metrics(last, self.input_tokens, summary))]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TEST_SUMMARY, decode_chunk};
    use super::*;

    #[test]
    fn the_question_is_read_out_of_the_instruction() {
        let body = json!({ "prompt": "<s>[INST] Why Rust? [/INST]", "max_tokens": 200 });
        assert_eq!(conversation(&body).unwrap().prompt(), "Why Rust?");
        assert_eq!(conversation(&json!({ "prompt": "Why Rust?" })).unwrap().prompt(), "Why Rust?");
    }

    #[test]
    fn a_chat_body_is_refused_on_a_text_model() {
        let refusal =
            conversation(&json!({ "messages": [{ "role": "user", "content": "hi" }] })).unwrap_err();
        assert_eq!(
            refusal.message,
            "Malformed input request: #: required key [prompt] not found#: extraneous key [messages] is not \
             permitted, please reformat your input and try again."
        );
    }

    #[test]
    fn chunks_carry_outputs_and_the_last_one_stops() {
        let framing = MistralTextFraming { input_tokens: 2 };
        assert_eq!(
            decode_chunk(&framing.token(0, "Hi")),
            json!({ "outputs": [{ "text": "Hi", "stop_reason": null }] })
        );
        let last = decode_chunk(&framing.end(&TEST_SUMMARY)[0]);
        assert_eq!(last["outputs"][0]["stop_reason"], "stop");
        assert_eq!(last["amazon-bedrock-invocationMetrics"]["outputTokenCount"], 3);
    }
}
