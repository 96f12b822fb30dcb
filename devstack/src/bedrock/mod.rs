//! Bedrock runtime emulation: `ConverseStream` and `Converse` (`POST /model/{modelId}/…`),
//! answered by the built-in demo model in AWS event-stream framing, with injectable faults.

mod demo_model;
mod event_stream;

use std::convert::Infallible;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use tokio::sync::mpsc;

use crate::aws_error::AwsError;
use crate::faults::{Faults, SharedFaults};

/// Settings of the demo model.
#[derive(Debug, Clone, Copy)]
pub struct DemoModelSettings {
    /// Time between two streamed tokens.
    pub token_interval: Duration,
}

impl Default for DemoModelSettings {
    fn default() -> Self {
        Self { token_interval: Duration::from_millis(35) }
    }
}

#[derive(Clone)]
struct BedrockState {
    faults: SharedFaults,
    model: DemoModelSettings,
}

/// The Converse request fields the demo model reads; everything else is accepted and ignored.
#[derive(Debug, Deserialize)]
struct ConverseRequest {
    messages: Vec<RequestMessage>,
}

#[derive(Debug, Deserialize)]
struct RequestMessage {
    role: String,
    #[serde(default)]
    content: Vec<serde_json::Value>,
}

impl ConverseRequest {
    /// The text of the last user message.
    fn prompt(&self) -> String {
        self.messages
            .iter()
            .rev()
            .find(|message| message.role == "user")
            .map(|message| {
                message
                    .content
                    .iter()
                    .filter_map(|block| block["text"].as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default()
    }
}

fn parse_request(body: &Bytes) -> Result<ConverseRequest, AwsError> {
    let request: ConverseRequest = serde_json::from_slice(body).map_err(|e| {
        AwsError::new(StatusCode::BAD_REQUEST, "ValidationException", format!("Malformed input request: {e}"))
    })?;
    if request.messages.is_empty() {
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "messages must not be empty",
        ));
    }
    Ok(request)
}

fn throttled() -> AwsError {
    AwsError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "ThrottlingException",
        "Too many requests, please wait before trying again.",
    )
}

/// The Bedrock runtime routes.
pub(crate) fn routes(faults: SharedFaults, model: DemoModelSettings) -> Router {
    Router::new()
        .route("/model/{model_id}/converse-stream", post(converse_stream))
        .route("/model/{model_id}/converse", post(converse))
        .with_state(BedrockState { faults, model })
}

async fn converse(State(state): State<BedrockState>, Path(model_id): Path<String>, body: Bytes) -> Response {
    let request = match parse_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    if state.faults.current().bedrock_throttle {
        return throttled().into_response();
    }
    let text = demo_model::answer(&request.prompt());
    tracing::info!(%model_id, chars = text.len(), "Converse answered");
    Json(serde_json::json!({
        "output": { "message": { "role": "assistant", "content": [{ "text": text }] } },
        "stopReason": "end_turn",
        "usage": { "inputTokens": 12, "outputTokens": demo_model::tokens(&text).len(), "totalTokens": 12 + demo_model::tokens(&text).len() },
        "metrics": { "latencyMs": 1 }
    }))
    .into_response()
}

async fn converse_stream(
    State(state): State<BedrockState>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Response {
    let request = match parse_request(&body) {
        Ok(request) => request,
        Err(error) => return error.into_response(),
    };
    let faults = state.faults.current();
    if faults.bedrock_throttle {
        return throttled().into_response();
    }
    let tokens = demo_model::tokens(&demo_model::answer(&request.prompt()));
    tracing::info!(%model_id, tokens = tokens.len(), "ConverseStream started");

    let (sender, receiver) = mpsc::channel::<Result<Bytes, Infallible>>(16);
    tokio::spawn(stream_answer(tokens, faults, state.model, sender));
    let body = Body::from_stream(tokio_stream_from(receiver));
    let mut response = Response::new(body);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.amazon.eventstream"));
    response
}

/// Adapts an mpsc receiver to a `Stream` without another dependency.
fn tokio_stream_from<T: Send + 'static>(
    receiver: mpsc::Receiver<T>,
) -> impl futures_core::Stream<Item = T> + Send + 'static {
    futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    })
}

/// Sends the frames of one streamed answer; stops early when the client goes away.
async fn stream_answer(
    tokens: Vec<String>,
    faults: Faults,
    model: DemoModelSettings,
    sender: mpsc::Sender<Result<Bytes, Infallible>>,
) {
    let started = Instant::now();
    let send = |frame: Bytes| {
        let sender = sender.clone();
        async move { sender.send(Ok(frame)).await.is_ok() }
    };
    if !send(event_stream::event("messageStart", &serde_json::json!({ "role": "assistant" }))).await {
        return;
    }
    for (index, token) in tokens.iter().enumerate() {
        let sent = u32::try_from(index).unwrap_or(u32::MAX);
        if faults.bedrock_throttle_after_chunks == Some(sent) {
            send(event_stream::exception(
                "throttlingException",
                "Too many tokens, please wait before trying again.",
            ))
            .await;
            return;
        }
        if faults.bedrock_fail_after_chunks == Some(sent) {
            send(event_stream::exception("modelStreamErrorException", "The model stopped unexpectedly."))
                .await;
            return;
        }
        if faults.bedrock_stall_after_chunks == Some(sent) {
            // Keep the connection open without sending anything, as a hung model would.
            sender.closed().await;
            return;
        }
        tokio::time::sleep(model.token_interval).await;
        let delta = serde_json::json!({ "contentBlockIndex": 0, "delta": { "text": token } });
        if !send(event_stream::event("contentBlockDelta", &delta)).await {
            tracing::info!(sent, "ConverseStream client went away");
            return;
        }
    }
    let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let closing = [
        event_stream::event("contentBlockStop", &serde_json::json!({ "contentBlockIndex": 0 })),
        event_stream::event("messageStop", &serde_json::json!({ "stopReason": "end_turn" })),
        event_stream::event(
            "metadata",
            &serde_json::json!({
                "usage": { "inputTokens": 12, "outputTokens": tokens.len(), "totalTokens": 12 + tokens.len() },
                "metrics": { "latencyMs": latency }
            }),
        ),
    ];
    for frame in closing {
        if !send(frame).await {
            return;
        }
    }
}
