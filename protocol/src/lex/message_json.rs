//! Lex messages read by hand from a `serde_json::Value`: what the widget needs of them, without
//! a derived deserializer in the wasm (each costs it kilobytes). The same rules as the derives:
//! unknown fields ignored, absent or `null` optional fields `None`, any other mistake an error.

use serde_json::{Map, Value};

use super::{Button, ImageResponseCard, Message, MessageContentType};

/// A field that is missing or not what Lex documents, named.
fn wrong(name: &str) -> String {
    format!("`{name}` is missing or of the wrong type")
}

fn object<'a>(json: &'a Value, name: &str) -> Result<&'a Map<String, Value>, String> {
    json.as_object().ok_or_else(|| wrong(name))
}

/// A required string field of `object`.
pub(crate) fn required_string(object: &Map<String, Value>, name: &str) -> Result<String, String> {
    object.get(name).and_then(Value::as_str).map(str::to_owned).ok_or_else(|| wrong(name))
}

/// An optional string field of `object`: absent or `null` is `None`.
fn optional_string(object: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(json) => json.as_str().map(|text| Some(text.to_owned())).ok_or_else(|| wrong(name)),
    }
}

/// A list of `read` items.
fn list<T>(json: &Value, name: &str, read: fn(&Value) -> Result<T, String>) -> Result<Vec<T>, String> {
    json.as_array().ok_or_else(|| wrong(name))?.iter().map(read).collect()
}

impl Message {
    /// Reads a message as its derived `Deserialize` would.
    ///
    /// ```
    /// use lexstream_protocol::lex::{Message, MessageContentType};
    /// let json = serde_json::json!({ "contentType": "PlainText", "content": "Hi" });
    /// assert_eq!(Message::from_json(&json), Ok(Message::text(MessageContentType::PlainText, "Hi")));
    /// ```
    pub fn from_json(json: &Value) -> Result<Self, String> {
        let message = object(json, "message")?;
        let card = match message.get("imageResponseCard") {
            None | Some(Value::Null) => None,
            Some(card) => Some(card_from_json(card)?),
        };
        Ok(Message {
            content_type: MessageContentType::from(required_string(message, "contentType")?.as_str()),
            content: optional_string(message, "content")?,
            image_response_card: card,
        })
    }

    /// Reads a list of messages.
    pub fn list_from_json(json: &Value) -> Result<Vec<Self>, String> {
        list(json, "messages", Self::from_json)
    }
}

fn card_from_json(json: &Value) -> Result<ImageResponseCard, String> {
    let card = object(json, "imageResponseCard")?;
    Ok(ImageResponseCard {
        title: required_string(card, "title")?,
        subtitle: optional_string(card, "subtitle")?,
        image_url: optional_string(card, "imageUrl")?,
        buttons: match card.get("buttons") {
            None | Some(Value::Null) => None,
            Some(buttons) => Some(list(buttons, "buttons", button_from_json)?),
        },
    })
}

fn button_from_json(json: &Value) -> Result<Button, String> {
    let button = object(json, "buttons")?;
    Ok(Button { text: required_string(button, "text")?, value: required_string(button, "value")? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_as_the_derive_reads_them() {
        let accepted = r#"[
            {"contentType": "PlainText", "content": "Hello", "extra": 1},
            {"contentType": "ImageResponseCard", "content": null, "imageResponseCard": {
                "title": "Pick", "subtitle": "one", "imageUrl": "https://x.example/a.png",
                "buttons": [{"text": "Yes", "value": "yes"}]}},
            {"contentType": "ImageResponseCard", "imageResponseCard": {"title": "Bare", "buttons": null}},
            {"contentType": "SomethingNew"}
        ]"#;
        let json: Value = serde_json::from_str(accepted).unwrap();
        assert_eq!(Message::list_from_json(&json), Ok(serde_json::from_value::<Vec<Message>>(json).unwrap()));
        for refused in [
            r#"{}"#,
            r#"[1]"#,
            r#"[{"content": "no type"}]"#,
            r#"[{"contentType": 1}]"#,
            r#"[{"contentType": "PlainText", "content": 1}]"#,
            r#"[{"contentType": "X", "imageResponseCard": {"subtitle": "no title"}}]"#,
            r#"[{"contentType": "X", "imageResponseCard": {"title": "t", "buttons": [{"text": "a"}]}}]"#,
        ] {
            let json: Value = serde_json::from_str(refused).unwrap();
            assert!(Message::list_from_json(&json).is_err(), "{refused}");
            assert!(serde_json::from_value::<Vec<Message>>(json).is_err(), "the derive agrees: {refused}");
        }
    }
}
