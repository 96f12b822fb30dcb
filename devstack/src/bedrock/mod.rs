//! Bedrock runtime emulation: `ConverseStream`, `Converse`, `InvokeModelWithResponseStream` and
//! `InvokeModel` (Anthropic messages bodies), answered by the built-in demo model in AWS
//! event-stream framing, with injectable faults.

mod converse;
mod demo_model;
mod event_stream;
mod invoke;
mod models;
mod request;
mod streaming;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;

use crate::aws_error::AwsError;
use crate::faults::SharedFaults;

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

pub use models::ModelSource;

#[derive(Clone)]
struct BedrockState {
    faults: SharedFaults,
    source: ModelSource,
}

/// The whole answer of a non-streaming call, or the error Bedrock would give.
async fn complete_answer(
    source: &ModelSource,
    model_id: &str,
    conversation: &request::Conversation,
) -> Result<String, AwsError> {
    use futures_util::StreamExt;
    let mut tokens = source.answer(model_id, conversation).await.map_err(unavailable)?;
    let mut text = String::new();
    while let Some(token) = tokens.next().await {
        text.push_str(&token.map_err(|message| {
            AwsError::new(StatusCode::FAILED_DEPENDENCY, "ModelErrorException", message)
        })?);
    }
    Ok(text)
}

/// Reads a request and applies the "throttle before streaming" fault: the conversation and the
/// faults in force, or the error response Bedrock would give.
fn prepare(
    state: &BedrockState,
    body: &axum::body::Bytes,
) -> Result<(request::Conversation, crate::faults::Faults), AwsError> {
    let conversation = request::conversation(body)?;
    let faults = state.faults.current();
    if faults.bedrock_throttle {
        return Err(throttled());
    }
    Ok((conversation, faults))
}

/// The error for a model that could not start answering (e.g. an unreachable `--model-proxy`).
fn unavailable(message: String) -> AwsError {
    AwsError::new(StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailableException", message)
}

fn throttled() -> AwsError {
    AwsError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "ThrottlingException",
        "Too many requests, please wait before trying again.",
    )
}

/// The Bedrock runtime routes.
pub(crate) fn routes(faults: SharedFaults, source: ModelSource) -> Router {
    Router::new()
        .route("/model/{model_id}/converse-stream", post(converse::converse_stream))
        .route("/model/{model_id}/converse", post(converse::converse))
        .route("/model/{model_id}/invoke-with-response-stream", post(invoke::invoke_with_response_stream))
        .route("/model/{model_id}/invoke", post(invoke::invoke))
        .with_state(BedrockState { faults, source })
}

/// A streaming call (`ConverseStream`, `InvokeModelWithResponseStream`) framed by `framing`.
async fn stream_call(
    state: &BedrockState,
    model_id: &str,
    body: &axum::body::Bytes,
    framing: impl streaming::Framing,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (conversation, faults) = match prepare(state, body) {
        Ok(prepared) => prepared,
        Err(error) => return error.into_response(),
    };
    match state.source.answer(model_id, &conversation).await {
        Ok(tokens) => {
            tracing::info!(%model_id, "streaming answer started");
            streaming::response(tokens, faults, framing)
        }
        Err(message) => unavailable(message).into_response(),
    }
}

/// The whole text of a non-streaming call (`Converse`, `InvokeModel`), or Bedrock's error.
async fn whole_answer(
    state: &BedrockState,
    model_id: &str,
    body: &axum::body::Bytes,
) -> Result<String, AwsError> {
    let (conversation, _) = prepare(state, body)?;
    let text = complete_answer(&state.source, model_id, &conversation).await?;
    tracing::info!(%model_id, chars = text.len(), "answered");
    Ok(text)
}
