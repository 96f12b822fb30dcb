//! What the demo model reads from a request: the last user message, from a Converse body
//! (`content: [{text}]`) or an Anthropic messages body (`content: "…"` or `[{type, text}]`).

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::aws_error::AwsError;

#[derive(Debug, Deserialize)]
struct Body {
    messages: Vec<RequestMessage>,
}

#[derive(Debug, Deserialize)]
struct RequestMessage {
    role: String,
    #[serde(default)]
    content: serde_json::Value,
}

fn text_of(content: &serde_json::Value) -> String {
    match content {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(blocks) => {
            blocks.iter().filter_map(|block| block["text"].as_str()).collect::<Vec<_>>().join(" ")
        }
        _ => String::new(),
    }
}

/// The prompt of a Converse or Anthropic messages request body.
pub(super) fn prompt(body: &Bytes) -> Result<String, AwsError> {
    let request: Body = serde_json::from_slice(body).map_err(|e| {
        AwsError::new(StatusCode::BAD_REQUEST, "ValidationException", format!("Malformed input request: {e}"))
    })?;
    if request.messages.is_empty() {
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "ValidationException",
            "messages must not be empty",
        ));
    }
    Ok(request
        .messages
        .iter()
        .rev()
        .find(|m| m.role == "user")
        .map(|m| text_of(&m.content))
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_body_shapes_give_the_last_user_message() {
        let converse = Bytes::from(
            r#"{"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"b"}]},{"role":"user","content":[{"text":"c"}]}]}"#,
        );
        assert_eq!(prompt(&converse).unwrap(), "c");
        let anthropic = Bytes::from(
            r#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"plain"}]}"#,
        );
        assert_eq!(prompt(&anthropic).unwrap(), "plain");
        let blocks =
            Bytes::from(r#"{"messages":[{"role":"user","content":[{"type":"text","text":"typed"}]}]}"#);
        assert_eq!(prompt(&blocks).unwrap(), "typed");
        assert!(prompt(&Bytes::from("{}")).is_err());
        assert!(prompt(&Bytes::from(r#"{"messages":[]}"#)).is_err());
    }
}
