//! The AppSync Events flow's `POST /chat`: the prompt goes to the `appsync-chat` Lambda
//! (SigV4-signed for API Gateway, service `execute-api`); the answer streams to the visitor's
//! channel meanwhile and comes back whole in the response.

use lexstream_protocol::appsync::chat::ChatResponse;
use serde_json::{Value, json};

use super::cognito::Visitor;
use super::error::{Service, ServiceError};
use super::fetch::signed_post;
use crate::config::WidgetConfig;

/// Reads the answer's fields by hand from a `serde_json::Value` (the widget parses every
/// JSON document to one, so no derived deserializer is compiled for this type).
fn read_response(text: &str) -> Result<ChatResponse, String> {
    let answer: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let field = |name: &str| answer.get(name).and_then(Value::as_str).map(str::to_owned);
    let required = |name: &str| field(name).ok_or_else(|| format!("missing string field `{name}`"));
    Ok(ChatResponse {
        text: required("text")?,
        turn_id: required("turnId")?,
        stream_problem: field("streamProblem"),
    })
}

/// Sends `prompt` as turn `turn_id` for channel segment `user_id`; a refusal carries the API's
/// own message.
pub async fn ask(
    config: &WidgetConfig,
    chat_endpoint: &str,
    visitor: &Visitor,
    user_id: &str,
    prompt: &str,
    turn_id: &str,
) -> Result<ChatResponse, ServiceError> {
    let service = Service::ChatApi;
    // The protocol's `ChatRequest`, built as a `Value` (its serializer is already in the widget).
    let body = json!({ "userId": user_id, "prompt": prompt, "turnId": turn_id }).to_string();
    let (status, text) = signed_post(chat_endpoint, "execute-api", &config.region, visitor, &body)
        .await
        .map_err(|detail| ServiceError::Unreachable { service, detail })?;
    if status == 200 {
        return read_response(&text).map_err(|detail| ServiceError::Unreadable { service, detail });
    }
    // The API's `ChatError` (`{"message": …}`); another body is shown as it is.
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|error| error.get("message").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or(text);
    Err(ServiceError::Refused { service, status, message })
}
