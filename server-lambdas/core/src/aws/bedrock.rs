//! The model on Amazon Bedrock `ConverseStream`.

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_bedrockruntime::types::error::ConverseStreamOutputError;
use aws_sdk_bedrockruntime::types::{
    ContentBlock, ContentBlockDelta, ConversationRole, ConverseStreamOutput, InferenceConfiguration, Message,
    SystemContentBlock,
};
use aws_smithy_types::event_stream::RawMessage;
use futures_util::stream;

use crate::error::{ModelError, ModelErrorKind};
use crate::ports::{ModelRequest, ModelStream, Role, TextDeltas};

/// A [`ModelStream`] on Bedrock's `ConverseStream`.
#[derive(Debug, Clone)]
pub struct BedrockModel {
    client: Client,
}

impl BedrockModel {
    /// The model on `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

/// Classifies an exception that arrived inside the event stream (these carry no error code in
/// their metadata, so the typed variant decides).
fn stream_error(error: &SdkError<ConverseStreamOutputError, RawMessage>) -> ModelError {
    let kind = match error.as_service_error() {
        Some(ConverseStreamOutputError::ThrottlingException(_)) => ModelErrorKind::Throttled,
        Some(
            ConverseStreamOutputError::ServiceUnavailableException(_)
            | ConverseStreamOutputError::InternalServerException(_),
        ) => ModelErrorKind::Unavailable,
        Some(ConverseStreamOutputError::ValidationException(_)) => ModelErrorKind::Rejected,
        _ => ModelErrorKind::Failed,
    };
    ModelError::new(kind, DisplayErrorContext(error).to_string())
}

/// Classifies a Bedrock error returned before the stream, by its error code.
fn model_error(error: &(impl ProvideErrorMetadata + std::error::Error)) -> ModelError {
    let kind = match error.code() {
        Some("ThrottlingException" | "throttlingException" | "ModelNotReadyException") => {
            ModelErrorKind::Throttled
        }
        Some(
            "ServiceUnavailableException"
            | "serviceUnavailableException"
            | "ModelTimeoutException"
            | "InternalServerException"
            | "internalServerException",
        ) => ModelErrorKind::Unavailable,
        Some(
            "ValidationException"
            | "validationException"
            | "AccessDeniedException"
            | "ResourceNotFoundException"
            | "ModelErrorException",
        ) => ModelErrorKind::Rejected,
        _ => ModelErrorKind::Failed,
    };
    ModelError::new(kind, DisplayErrorContext(error).to_string())
}

impl ModelStream for BedrockModel {
    async fn stream(&self, request: ModelRequest) -> Result<TextDeltas, ModelError> {
        let mut messages = Vec::with_capacity(request.messages.len());
        for message in request.messages {
            let role = match message.role {
                Role::User => ConversationRole::User,
                Role::Assistant => ConversationRole::Assistant,
            };
            let built = Message::builder()
                .role(role)
                .content(ContentBlock::Text(message.text))
                .build()
                .map_err(|e| ModelError::new(ModelErrorKind::Rejected, e.to_string()))?;
            messages.push(built);
        }
        let inference = InferenceConfiguration::builder()
            .max_tokens(i32::try_from(request.max_tokens).unwrap_or(i32::MAX))
            .temperature(request.temperature)
            .build();
        let mut call = self
            .client
            .converse_stream()
            .model_id(request.model_id)
            .set_messages(Some(messages))
            .inference_config(inference);
        if let Some(system) = request.system {
            call = call.system(SystemContentBlock::Text(system));
        }
        let output = call.send().await.map_err(|e| model_error(&e))?;

        let deltas = stream::unfold(Some(output.stream), |receiver| async move {
            let mut receiver = receiver?;
            loop {
                match receiver.recv().await {
                    Ok(Some(ConverseStreamOutput::ContentBlockDelta(event))) => {
                        if let Some(ContentBlockDelta::Text(text)) = event.delta {
                            return Some((Ok(text), Some(receiver)));
                        }
                    }
                    Ok(Some(_other_event)) => {}
                    Ok(None) => return None,
                    Err(error) => return Some((Err(stream_error(&error)), None)),
                }
            }
        });
        Ok(Box::pin(deltas))
    }
}
