//! Bedrock runtime emulation: `ConverseStream` and `Converse` for any model id, and
//! `InvokeModelWithResponseStream` and `InvokeModel` in the body format of the model's family
//! (Anthropic text completions and Messages, Amazon Titan Text and Nova, Meta Llama, Mistral text
//! and chat — chosen from the model id as Bedrock does, `families`), answered by the demo model
//! or `--model-proxy` in AWS event-stream framing, with injectable faults. Every call must be
//! SigV4-signed for service `bedrock` unless `--auth off` (`signature`).

mod converse;
mod demo_model;
mod event_stream;
mod families;
mod invoke;
mod model_id;
mod models;
mod request;
mod signature;
mod streaming;

use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;

use crate::auth::AuthMode;
use crate::aws_error::AwsError;
use crate::faults::{Faults, SharedFaults};
use crate::identities::Identities;

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

/// Applies the "throttle before streaming" fault: the faults in force, or Bedrock's refusal.
fn faults_in_force(state: &BedrockState) -> Result<Faults, AwsError> {
    let faults = state.faults.current();
    if faults.bedrock_throttle {
        return Err(throttled());
    }
    Ok(faults)
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

/// The Bedrock runtime routes, answered by `source`; requests must be signed unless `auth` is off.
pub(crate) fn routes(
    faults: SharedFaults,
    source: ModelSource,
    auth: AuthMode,
    identities: Identities,
) -> Router {
    Router::new()
        .route("/model/{model_id}/converse-stream", post(converse::converse_stream))
        .route("/model/{model_id}/converse", post(converse::converse))
        .route("/model/{model_id}/invoke-with-response-stream", post(invoke::invoke_with_response_stream))
        .route("/model/{model_id}/invoke", post(invoke::invoke))
        .with_state(BedrockState { faults, source })
        .route_layer(axum::middleware::from_fn_with_state(
            signature::Signers { auth, identities },
            signature::require_signature,
        ))
}

/// A streaming call (`ConverseStream`, `InvokeModelWithResponseStream`) answering `conversation`,
/// framed by `framing`.
async fn stream_call(
    state: &BedrockState,
    model_id: &str,
    conversation: &request::Conversation,
    framing: impl streaming::Framing,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let faults = match faults_in_force(state) {
        Ok(faults) => faults,
        Err(error) => return error.into_response(),
    };
    match state.source.answer(model_id, conversation).await {
        Ok(tokens) => {
            tracing::info!(%model_id, "streaming answer started");
            streaming::response(tokens, faults, framing)
        }
        Err(message) => unavailable(message).into_response(),
    }
}

/// The whole text of a non-streaming call (`Converse`, `InvokeModel`) answering `conversation`,
/// or Bedrock's error.
async fn whole_answer(
    state: &BedrockState,
    model_id: &str,
    conversation: &request::Conversation,
) -> Result<String, AwsError> {
    faults_in_force(state)?;
    let text = complete_answer(&state.source, model_id, conversation).await?;
    tracing::info!(%model_id, chars = text.len(), "answered");
    Ok(text)
}
