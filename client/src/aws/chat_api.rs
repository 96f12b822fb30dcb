//! The AppSync Events flow's `POST /chat`: the prompt goes to the `appsync-chat` Lambda
//! (SigV4-signed for API Gateway, service `execute-api`); the answer streams to the visitor's
//! channel meanwhile and comes back whole in the response.

use lexstream_protocol::appsync::chat::{ChatError, ChatRequest, ChatResponse};

use super::cognito::Visitor;
use super::error::{Service, ServiceError};
use super::fetch::signed_post;
use crate::config::WidgetConfig;

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
    let request = ChatRequest {
        user_id: user_id.to_owned(),
        prompt: prompt.to_owned(),
        turn_id: Some(turn_id.to_owned()),
    };
    let service = Service::ChatApi;
    let unreadable = |detail: String| ServiceError::Unreadable { service, detail };
    let body = serde_json::to_string(&request).map_err(|e| unreadable(e.to_string()))?;
    let (status, text) = signed_post(chat_endpoint, "execute-api", &config.region, visitor, &body)
        .await
        .map_err(|detail| ServiceError::Unreachable { service, detail })?;
    if status == 200 {
        return serde_json::from_str(&text).map_err(|e| unreadable(e.to_string()));
    }
    let message = serde_json::from_str::<ChatError>(&text).map_or(text, |error| error.message);
    Err(ServiceError::Refused { service, status, message })
}
