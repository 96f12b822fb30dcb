//! Bedrock runtime emulation: `ConverseStream`, `Converse`, `InvokeModelWithResponseStream` and
//! `InvokeModel` (Anthropic messages bodies), answered by the built-in demo model in AWS
//! event-stream framing, with injectable faults.

mod converse;
mod demo_model;
mod event_stream;
mod invoke;
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

#[derive(Clone)]
struct BedrockState {
    faults: SharedFaults,
    model: DemoModelSettings,
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
        .route("/model/{model_id}/converse-stream", post(converse::converse_stream))
        .route("/model/{model_id}/converse", post(converse::converse))
        .route("/model/{model_id}/invoke-with-response-stream", post(invoke::invoke_with_response_stream))
        .route("/model/{model_id}/invoke", post(invoke::invoke))
        .with_state(BedrockState { faults, model })
}
