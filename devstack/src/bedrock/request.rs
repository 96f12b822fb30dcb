//! What the models read from a request: the conversation (system prompt and messages). Converse
//! bodies (`content: [{text}]`, also accepting Anthropic-style `content: "…"`) are read here; each
//! InvokeModel family reads its own body into the same [`Conversation`] (`families`).

use axum::body::Bytes;
use axum::http::StatusCode;
use serde::Deserialize;

use crate::aws_error::AwsError;

#[derive(Debug, Deserialize)]
struct Body {
    messages: Vec<RequestMessage>,
    #[serde(default)]
    system: serde_json::Value,
}

#[derive(Debug, Deserialize)]
struct RequestMessage {
    role: String,
    #[serde(default)]
    content: serde_json::Value,
}

/// A conversation as the models see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Conversation {
    /// The system prompt, if any.
    pub(super) system: Option<String>,
    /// `(role, text)`, oldest first.
    pub(super) messages: Vec<(String, String)>,
}

impl Conversation {
    /// A conversation of one user message.
    pub(super) fn of_user_text(system: Option<String>, text: &str) -> Self {
        Self { system, messages: vec![("user".to_owned(), text.trim().to_owned())] }
    }

    /// A rough count of the prompt's tokens (its words), as the usage fields report it.
    pub(super) fn input_tokens(&self) -> usize {
        let system = self.system.as_deref().map_or(0, |text| text.split_whitespace().count());
        let messages: usize = self.messages.iter().map(|(_, text)| text.split_whitespace().count()).sum();
        (system + messages).max(1)
    }

    /// The last user message.
    pub(super) fn prompt(&self) -> &str {
        self.messages.iter().rev().find(|(role, _)| role == "user").map_or("", |(_, text)| text.as_str())
    }
}

/// The text of a message's `content`: a string, or the `text` of each block joined by spaces.
pub(super) fn text_of(content: &serde_json::Value) -> String {
    match content {
        serde_json::Value::String(text) => text.clone(),
        serde_json::Value::Array(blocks) => {
            blocks.iter().filter_map(|block| block["text"].as_str()).collect::<Vec<_>>().join(" ")
        }
        _ => String::new(),
    }
}

/// The conversation of a Converse or Anthropic messages request body.
pub(super) fn conversation(body: &Bytes) -> Result<Conversation, AwsError> {
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
    let system = Some(text_of(&request.system)).filter(|text| !text.is_empty());
    let messages = request.messages.iter().map(|m| (m.role.clone(), text_of(&m.content))).collect();
    Ok(Conversation { system, messages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_body_shapes_give_the_conversation() {
        let converse = Bytes::from(
            r#"{"system":[{"text":"be brief"}],"messages":[{"role":"user","content":[{"text":"a"}]},{"role":"assistant","content":[{"text":"b"}]},{"role":"user","content":[{"text":"c"}]}]}"#,
        );
        let parsed = conversation(&converse).unwrap();
        assert_eq!(parsed.prompt(), "c");
        assert_eq!(parsed.system.as_deref(), Some("be brief"));
        assert_eq!(parsed.messages.len(), 3);
        let anthropic = Bytes::from(
            r#"{"anthropic_version":"bedrock-2023-05-31","system":"sys","max_tokens":50,"messages":[{"role":"user","content":"plain"}]}"#,
        );
        let parsed = conversation(&anthropic).unwrap();
        assert_eq!(parsed.prompt(), "plain");
        assert_eq!(parsed.system.as_deref(), Some("sys"));
        assert!(conversation(&Bytes::from("{}")).is_err());
        assert!(conversation(&Bytes::from(r#"{"messages":[]}"#)).is_err());
    }
}
