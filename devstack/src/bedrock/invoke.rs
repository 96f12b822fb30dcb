//! `InvokeModel` and `InvokeModelWithResponseStream` for Anthropic messages bodies: each
//! streamed event is a `chunk` whose payload is `{"bytes": base64(Anthropic event JSON)}`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};

use super::streaming::Framing;
use super::{BedrockState, event_stream, stream_call, whole_answer};

/// Anthropic's streaming events, each wrapped in a Bedrock `chunk`.
struct AnthropicFraming {
    model_id: String,
}

fn chunk(event: &Value) -> Bytes {
    let bytes = base64::engine::general_purpose::STANDARD.encode(event.to_string());
    event_stream::event("chunk", &json!({ "bytes": bytes }))
}

impl Framing for AnthropicFraming {
    fn start(&self) -> Vec<Bytes> {
        vec![
            chunk(&json!({
                "type": "message_start",
                "message": {
                    "id": format!("msg_devstack_{}", uuid::Uuid::new_v4().simple()),
                    "type": "message", "role": "assistant", "model": self.model_id, "content": [],
                    "stop_reason": null, "stop_sequence": null,
                    "usage": { "input_tokens": 12, "output_tokens": 1 }
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

    fn end(&self, tokens: usize, latency_ms: u64) -> Vec<Bytes> {
        vec![
            chunk(&json!({ "type": "content_block_stop", "index": 0 })),
            chunk(&json!({
                "type": "message_delta",
                "delta": { "stop_reason": "end_turn", "stop_sequence": null },
                "usage": { "output_tokens": tokens }
            })),
            chunk(&json!({
                "type": "message_stop",
                "amazon-bedrock-invocationMetrics": {
                    "inputTokenCount": 12, "outputTokenCount": tokens,
                    "invocationLatency": latency_ms, "firstByteLatency": 1
                }
            })),
        ]
    }
}

pub(super) async fn invoke(
    State(state): State<BedrockState>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Response {
    let text = match whole_answer(&state, &model_id, &body).await {
        Ok(text) => text,
        Err(error) => return error.into_response(),
    };
    Json(json!({
        "id": format!("msg_devstack_{}", uuid::Uuid::new_v4().simple()),
        "type": "message",
        "role": "assistant",
        "model": model_id,
        "content": [{ "type": "text", "text": text }],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": { "input_tokens": 12, "output_tokens": text.split_whitespace().count() }
    }))
    .into_response()
}

pub(super) async fn invoke_with_response_stream(
    State(state): State<BedrockState>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Response {
    let framing = AnthropicFraming { model_id: model_id.clone() };
    stream_call(&state, &model_id, &body, framing).await
}
