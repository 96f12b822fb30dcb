//! `Converse` and `ConverseStream`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::streaming::{Framing, StreamSummary};
use super::{BedrockState, event_stream, request, stream_call, whole_answer};

/// ConverseStream's events: `messageStart`, `contentBlockDelta`…, `contentBlockStop`,
/// `messageStop`, `metadata` (no `contentBlockStart` for text, as Bedrock sends it).
struct ConverseFraming;

impl Framing for ConverseFraming {
    fn start(&self) -> Vec<Bytes> {
        vec![event_stream::event("messageStart", &json!({ "role": "assistant" }))]
    }

    fn token(&self, _index: usize, text: &str) -> Bytes {
        event_stream::event(
            "contentBlockDelta",
            &json!({ "contentBlockIndex": 0, "delta": { "text": text } }),
        )
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        let StreamSummary { output_tokens: tokens, latency_ms, .. } = *summary;
        vec![
            event_stream::event("contentBlockStop", &json!({ "contentBlockIndex": 0 })),
            event_stream::event("messageStop", &json!({ "stopReason": "end_turn" })),
            event_stream::event(
                "metadata",
                &json!({
                    "usage": { "inputTokens": 12, "outputTokens": tokens, "totalTokens": 12 + tokens },
                    "metrics": { "latencyMs": latency_ms }
                }),
            ),
        ]
    }
}

pub(super) async fn converse(
    State(state): State<BedrockState>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Response {
    let answer = match request::conversation(&body) {
        Ok(conversation) => whole_answer(&state, &model_id, &conversation).await,
        Err(refusal) => Err(refusal),
    };
    let text = match answer {
        Ok(text) => text,
        Err(error) => return error.into_response(),
    };
    let tokens = text.split_whitespace().count();
    Json(json!({
        "output": { "message": { "role": "assistant", "content": [{ "text": text }] } },
        "stopReason": "end_turn",
        "usage": { "inputTokens": 12, "outputTokens": tokens, "totalTokens": 12 + tokens },
        "metrics": { "latencyMs": 1 }
    }))
    .into_response()
}

pub(super) async fn converse_stream(
    State(state): State<BedrockState>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Response {
    match request::conversation(&body) {
        Ok(conversation) => stream_call(&state, &model_id, &conversation, ConverseFraming).await,
        Err(refusal) => refusal.into_response(),
    }
}
