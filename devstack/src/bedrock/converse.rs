//! `Converse` and `ConverseStream`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::streaming::{self, Framing};
use super::{BedrockState, complete_answer, event_stream, request, throttled, unavailable};

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

    fn end(&self, tokens: usize, latency_ms: u64) -> Vec<Bytes> {
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
    let conversation = match request::conversation(&body) {
        Ok(conversation) => conversation,
        Err(error) => return error.into_response(),
    };
    if state.faults.current().bedrock_throttle {
        return throttled().into_response();
    }
    let text = match complete_answer(&state.source, &model_id, &conversation).await {
        Ok(text) => text,
        Err(error) => return error.into_response(),
    };
    let tokens = text.split_whitespace().count();
    tracing::info!(%model_id, tokens, "Converse answered");
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
    let conversation = match request::conversation(&body) {
        Ok(conversation) => conversation,
        Err(error) => return error.into_response(),
    };
    let faults = state.faults.current();
    if faults.bedrock_throttle {
        return throttled().into_response();
    }
    let tokens = match state.source.answer(&model_id, &conversation).await {
        Ok(tokens) => tokens,
        Err(message) => return unavailable(message).into_response(),
    };
    tracing::info!(%model_id, "ConverseStream started");
    streaming::response(tokens, faults, ConverseFraming)
}
