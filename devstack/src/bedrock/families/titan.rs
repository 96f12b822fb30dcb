//! Amazon Titan Text (`amazon.titan-text-*`): the body (`inputText`, optionally in the
//! `User: …\nBot:` chat convention, and `textGenerationConfig`), the response (`inputTextTokenCount`,
//! `results[{tokenCount, outputText, completionReason}]`), and the streamed chunks (`outputText`,
//! `index`, `totalOutputTextTokenCount`, `completionReason`, `inputTextTokenCount`). The completion
//! reason is `FINISH`, as Titan sends it (its guide spells it `FINISHED`).

use axum::body::Bytes;
use serde_json::{Value, json};

use super::body_check::{JsonType, Schema};
use super::turns::{self, Marker};
use super::{Answer, chunk, with_metrics};
use crate::aws_error::AwsError;
use crate::bedrock::request::Conversation;
use crate::bedrock::streaming::{Framing, StreamSummary};

const SCHEMA: Schema = Schema {
    required: &[("inputText", JsonType::String)],
    optional: &[("textGenerationConfig", JsonType::Object)],
};

const MARKERS: [Marker; 2] =
    [Marker { text: "\nUser:", role: "user" }, Marker { text: "\nBot:", role: "assistant" }];

/// Why Titan stopped: the whole answer was generated.
const FINISHED: &str = "FINISH";

/// The conversation of a Titan body: `User:`/`Bot:` turns when the input uses them, else the whole
/// input as the question.
pub(super) fn conversation(body: &Value) -> Result<Conversation, AwsError> {
    let object = SCHEMA.check(body)?;
    let input = object.get("inputText").and_then(Value::as_str).unwrap_or_default();
    Ok(turns::split(&format!("\n{input}"), &MARKERS, &[]).into_conversation())
}

/// The results InvokeModel answers.
pub(super) fn response(answer: &Answer<'_>) -> Value {
    json!({
        "inputTextTokenCount": answer.input_tokens,
        "results": [{
            "tokenCount": answer.output_tokens,
            "outputText": answer.text,
            "completionReason": FINISHED
        }]
    })
}

/// One chunk per token with the running output count (the input count in the first), then an
/// empty one with the completion reason and the metrics.
#[derive(Debug)]
pub(super) struct TitanFraming {
    pub(super) input_tokens: usize,
}

impl Framing for TitanFraming {
    fn start(&self) -> Vec<Bytes> {
        Vec::new()
    }

    fn token(&self, index: usize, text: &str) -> Bytes {
        chunk(&json!({
            "outputText": text,
            "index": 0,
            "totalOutputTextTokenCount": index + 1,
            "completionReason": null,
            "inputTextTokenCount": (index == 0).then_some(self.input_tokens),
        }))
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        let last = json!({
            "outputText": "",
            "index": 0,
            "totalOutputTextTokenCount": summary.output_tokens,
            "completionReason": FINISHED,
            "inputTextTokenCount": (summary.output_tokens == 0).then_some(self.input_tokens),
        });
        vec![chunk(&with_metrics(last, self.input_tokens, summary))]
    }
}

#[cfg(test)]
mod tests {
    use super::super::{TEST_SUMMARY, decode_chunk};
    use super::*;

    #[test]
    fn plain_and_chat_style_inputs_give_the_question() {
        let plain = conversation(&json!({ "inputText": "Why Rust?" })).unwrap();
        assert_eq!(plain.prompt(), "Why Rust?");
        let chat = conversation(&json!({
            "inputText": "User: Hi\nBot: Hello!\nUser: Why Rust?\nBot:",
            "textGenerationConfig": { "maxTokenCount": 512, "temperature": 0.5 }
        }))
        .unwrap();
        assert_eq!(chat.messages.len(), 3);
        assert_eq!(chat.prompt(), "Why Rust?");
    }

    #[test]
    fn bodies_of_other_families_are_refused() {
        let refusal = conversation(&json!({ "prompt": "Why Rust?", "max_gen_len": 10 })).unwrap_err();
        assert_eq!(
            refusal.message,
            "Malformed input request: #: required key [inputText] not found#: extraneous key [max_gen_len] is not \
             permitted#: extraneous key [prompt] is not permitted, please reformat your input and try again."
        );
        let wrong = conversation(&json!({ "inputText": "x", "textGenerationConfig": [] })).unwrap_err();
        assert!(
            wrong.message.contains("#/textGenerationConfig: expected type: JSONObject, found: JSONArray")
        );
    }

    #[test]
    fn chunks_count_the_output_and_the_last_one_finishes() {
        let framing = TitanFraming { input_tokens: 5 };
        let first = decode_chunk(&framing.token(0, "Hi"));
        assert_eq!(first["outputText"], "Hi");
        assert_eq!(first["inputTextTokenCount"], 5);
        assert_eq!(first["totalOutputTextTokenCount"], 1);
        let second = decode_chunk(&framing.token(1, " there"));
        assert_eq!(second["inputTextTokenCount"], Value::Null);
        assert_eq!(second["totalOutputTextTokenCount"], 2);
        let last = decode_chunk(&framing.end(&TEST_SUMMARY)[0]);
        assert_eq!(last["completionReason"], "FINISH");
        assert_eq!(last["amazon-bedrock-invocationMetrics"]["inputTokenCount"], 5);
    }
}
