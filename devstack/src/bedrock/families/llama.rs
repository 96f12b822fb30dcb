//! Meta Llama (`meta.llama*`): the body (`prompt` — plain, in Llama 3's
//! `<|begin_of_text|><|start_header_id|>user<|end_header_id|>…<|eot_id|>` template or Llama 2's
//! `<s>[INST] … [/INST]` — with `max_gen_len`, `temperature`, `top_p`), the response
//! (`generation`, `prompt_token_count`, `generation_token_count`, `stop_reason`), and streamed
//! chunks of the same shape, the last with `stop_reason` and the invocation metrics.

use axum::body::Bytes;
use serde_json::{Value, json};

use super::body_check::{JsonType, Schema};
use super::turns::{self, Marker};
use super::{Answer, chunk, with_metrics};
use crate::aws_error::AwsError;
use crate::bedrock::request::Conversation;
use crate::bedrock::streaming::{Framing, StreamSummary};

const SCHEMA: Schema = Schema {
    required: &[("prompt", JsonType::String)],
    optional: &[
        ("max_gen_len", JsonType::Integer),
        ("temperature", JsonType::Number),
        ("top_p", JsonType::Number),
        ("images", JsonType::Array),
    ],
};

/// Llama 3's role headers.
const HEADERS: [Marker; 3] = [
    Marker { text: "<|start_header_id|>system<|end_header_id|>", role: "system" },
    Marker { text: "<|start_header_id|>user<|end_header_id|>", role: "user" },
    Marker { text: "<|start_header_id|>assistant<|end_header_id|>", role: "assistant" },
];

/// Llama 3's template tokens around the turns.
const TEMPLATE_TOKENS: [&str; 3] = ["<|begin_of_text|>", "<|eot_id|>", "<|end_of_text|>"];

/// The conversation of a Llama body: the turns of its template, or the whole prompt as question.
pub(super) fn conversation(body: &Value) -> Result<Conversation, AwsError> {
    let object = SCHEMA.check(body)?;
    let prompt = object.get("prompt").and_then(Value::as_str).unwrap_or_default();
    if prompt.contains("<|start_header_id|>") {
        let mut turns = turns::split(prompt, &HEADERS, &TEMPLATE_TOKENS);
        let system: Vec<String> =
            turns.turns.iter().filter(|(role, _)| role == "system").map(|(_, text)| text.clone()).collect();
        turns.turns.retain(|(role, _)| role != "system");
        turns.preamble = std::iter::once(std::mem::take(&mut turns.preamble))
            .chain(system)
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        return Ok(turns.into_conversation());
    }
    if prompt.contains("[INST]") {
        return Ok(turns::inst_blocks(prompt));
    }
    Ok(Conversation::of_user_text(None, prompt))
}

/// The generation InvokeModel answers.
pub(super) fn response(answer: &Answer<'_>) -> Value {
    json!({
        "generation": answer.text,
        "prompt_token_count": answer.input_tokens,
        "generation_token_count": answer.output_tokens,
        "stop_reason": "stop"
    })
}

/// One chunk per token with the running generation count (the prompt count in the first), then
/// an empty generation with `stop_reason` and the metrics.
#[derive(Debug)]
pub(super) struct LlamaFraming {
    pub(super) input_tokens: usize,
}

impl Framing for LlamaFraming {
    fn start(&self) -> Vec<Bytes> {
        Vec::new()
    }

    fn token(&self, index: usize, text: &str) -> Bytes {
        chunk(&json!({
            "generation": text,
            "prompt_token_count": (index == 0).then_some(self.input_tokens),
            "generation_token_count": index + 1,
            "stop_reason": null
        }))
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        let last = json!({
            "generation": "",
            "prompt_token_count": (summary.output_tokens == 0).then_some(self.input_tokens),
            "generation_token_count": summary.output_tokens,
            "stop_reason": "stop"
        });
        vec![chunk(&with_metrics(last, self.input_tokens, summary))]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TEST_SUMMARY, decode_chunk};
    use super::*;

    fn prompt(prompt: &str) -> Conversation {
        conversation(&json!({ "prompt": prompt, "max_gen_len": 512 })).unwrap()
    }

    #[test]
    fn templates_are_unwrapped_to_the_question() {
        let llama3 = prompt(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>\
             <|start_header_id|>user<|end_header_id|>\n\nWhy Rust?<|eot_id|>\
             <|start_header_id|>assistant<|end_header_id|>\n\n",
        );
        assert_eq!(llama3.system.as_deref(), Some("Be brief."));
        assert_eq!(llama3.messages, [("user".to_owned(), "Why Rust?".to_owned())]);
        let llama2 = prompt("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nWhy Rust? [/INST]");
        assert_eq!((llama2.system.as_deref(), llama2.prompt()), (Some("Be brief."), "Why Rust?"));
        assert_eq!(prompt("Why Rust?").prompt(), "Why Rust?");
    }

    #[test]
    fn bodies_of_other_families_are_refused() {
        let refusal = conversation(&json!({ "inputText": "Why Rust?" })).unwrap_err();
        assert_eq!(refusal.status, axum::http::StatusCode::BAD_REQUEST);
        assert_eq!(
            refusal.message,
            "Malformed input request: #: required key [prompt] not found#: extraneous key [inputText] is not \
             permitted, please reformat your input and try again."
        );
    }

    #[test]
    fn chunks_count_the_generation_and_the_last_one_stops() {
        let framing = LlamaFraming { input_tokens: 9 };
        let first = decode_chunk(&framing.token(0, "Hi"));
        assert_eq!(
            first,
            json!({ "generation": "Hi", "prompt_token_count": 9, "generation_token_count": 1, "stop_reason": null })
        );
        assert_eq!(decode_chunk(&framing.token(1, "!"))["prompt_token_count"], Value::Null);
        let last = decode_chunk(&framing.end(&TEST_SUMMARY)[0]);
        assert_eq!(last["stop_reason"], "stop");
        assert_eq!(last["generation_token_count"], 3);
        assert_eq!(last["amazon-bedrock-invocationMetrics"]["invocationLatency"], 40);
    }
}
