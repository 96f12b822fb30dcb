//! `InvokeModel` and `InvokeModelWithResponseStream`: reads the body in the format of the model's
//! family (`families`), answers its conversation from the model source, and frames the whole
//! answer or the streamed `chunk` events as that family does.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};

use super::families::{Answer, InvokeRequest};
use super::{BedrockState, stream_call, whole_answer};

pub(super) async fn invoke(
    State(state): State<BedrockState>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Response {
    let request = match InvokeRequest::read(&model_id, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let text = match whole_answer(&state, &model_id, &request.conversation).await {
        Ok(text) => text,
        Err(error) => return error.into_response(),
    };
    let answer = Answer {
        model: request.model,
        text: &text,
        input_tokens: request.conversation.input_tokens(),
        output_tokens: text.split_whitespace().count(),
    };
    Json(request.family.response(&answer)).into_response()
}

pub(super) async fn invoke_with_response_stream(
    State(state): State<BedrockState>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Response {
    let request = match InvokeRequest::read(&model_id, &body) {
        Ok(request) => request,
        Err(refusal) => return refusal.into_response(),
    };
    let framing = request.family.framing(request.model, request.conversation.input_tokens());
    stream_call(&state, &model_id, &request.conversation, framing).await
}
