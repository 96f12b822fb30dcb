//! The JSON of `RecognizeText` as the widget writes and reads it, by hand over
//! `serde_json::Value`: a body with session and request attributes, and of the answer only its
//! messages and session attributes (interpretations, intents, slots… are skipped unread). The
//! protocol's `RecognizeTextRequest` and `RecognizeTextResponse` describe the same JSON; their
//! derived serializers and deserializers cost the widget ~25 KB gzip.

use std::collections::BTreeMap;

use lexstream_protocol::lex::{Message, RecognizeTextResponse, SessionState};
use serde_json::{Map, Value};

/// A field that is missing or not what Lex documents.
type Read<T> = Result<T, String>;

/// The body of a `RecognizeText` call: `text`, `sessionState.sessionAttributes` and
/// `requestAttributes`.
pub(super) fn request_body(
    text: &str,
    session_attributes: &BTreeMap<String, String>,
    request_attributes: &BTreeMap<String, String>,
) -> String {
    let mut session_state = Map::new();
    session_state.insert("sessionAttributes".to_owned(), strings(session_attributes));
    let mut body = Map::new();
    body.insert("text".to_owned(), Value::from(text));
    body.insert("sessionState".to_owned(), Value::Object(session_state));
    body.insert("requestAttributes".to_owned(), strings(request_attributes));
    Value::Object(body).to_string()
}

/// Reads an answer's `messages` and `sessionState.sessionAttributes`, as strictly as the
/// protocol's `RecognizeTextResponse` reads them.
pub(super) fn read_answer(text: &str) -> Read<RecognizeTextResponse> {
    let json: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let answer = object(&json, "the answer")?;
    let session_state = optional(answer, "sessionState", |state| {
        let session_attributes = optional(object(state, "sessionState")?, "sessionAttributes", string_map)?;
        Ok(SessionState { session_attributes, ..SessionState::default() })
    })?;
    Ok(RecognizeTextResponse {
        messages: optional(answer, "messages", Message::list_from_json)?,
        session_state,
        ..RecognizeTextResponse::default()
    })
}

/// String attributes as a JSON object, inserted one by one (`collect` would sort them again,
/// with a sort compiled for this one type).
fn strings(map: &BTreeMap<String, String>) -> Value {
    let mut object = Map::new();
    for (key, value) in map {
        object.insert(key.clone(), Value::from(value.as_str()));
    }
    Value::Object(object)
}

fn wrong(name: &str) -> String {
    format!("`{name}` is missing or of the wrong type")
}

fn object<'a>(json: &'a Value, name: &str) -> Read<&'a Map<String, Value>> {
    json.as_object().ok_or_else(|| wrong(name))
}

fn string(json: &Value, name: &str) -> Read<String> {
    json.as_str().map(str::to_owned).ok_or_else(|| wrong(name))
}

/// An optional field: absent or `null` is `None`.
fn optional<T>(object: &Map<String, Value>, name: &str, read: impl Fn(&Value) -> Read<T>) -> Read<Option<T>> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(json) => read(json).map(Some),
    }
}

fn string_map(json: &Value) -> Read<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for (key, value) in object(json, "sessionAttributes")? {
        map.insert(key.clone(), string(value, key)?);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use lexstream_protocol::lex::RecognizeTextRequest;

    use super::*;

    #[test]
    fn the_body_is_the_protocols_request() {
        let session = BTreeMap::from([("tier".to_owned(), "gold \"plus\"".to_owned())]);
        let request = BTreeMap::from([("streamingTurnId".to_owned(), "turn-1-2".to_owned())]);
        let body = request_body("Hi", &session, &request);
        let expected = RecognizeTextRequest {
            text: "Hi".into(),
            session_state: Some(SessionState {
                session_attributes: Some(session),
                ..SessionState::default()
            }),
            request_attributes: Some(request),
        };
        assert_eq!(serde_json::from_str::<RecognizeTextRequest>(&body).unwrap(), expected);
    }

    #[test]
    fn an_answer_reads_as_the_protocol_reads_its_messages_and_session_attributes() {
        let answer = r#"{
            "messages": [
                {"contentType": "PlainText", "content": "Hello"},
                {"contentType": "ImageResponseCard", "content": null, "imageResponseCard": {
                    "title": "Pick", "subtitle": "one", "imageUrl": "https://x.example/a.png",
                    "buttons": [{"text": "Yes", "value": "yes"}, {"text": "No", "value": "no"}]}},
                {"contentType": "ImageResponseCard", "imageResponseCard": {"title": "Bare"}},
                {"contentType": "SomethingNew", "content": "kept"}
            ],
            "sessionState": {
                "sessionAttributes": {"tier": "gold"},
                "intent": {"name": "Order", "slots": {"size": null}, "state": "Fulfilled"},
                "dialogAction": {"type": "Close"}
            },
            "interpretations": [{"intent": {"name": "Order"}, "nluConfidence": {"score": 0.93}}],
            "sessionId": "s-1"
        }"#;
        let full: RecognizeTextResponse = serde_json::from_str(answer).unwrap();
        let read = read_answer(answer).unwrap();
        assert_eq!(read.messages, full.messages);
        assert_eq!(
            read.session_state.unwrap().session_attributes,
            full.session_state.unwrap().session_attributes
        );
        assert_eq!(read_answer("{}").unwrap(), RecognizeTextResponse::default());
    }

    #[test]
    fn what_the_protocol_would_refuse_is_unreadable() {
        for refused in [
            r#"{"messages": {}}"#,
            r#"{"messages": [{"content": "no type"}]}"#,
            r#"{"messages": [{"contentType": "PlainText", "content": 1}]}"#,
            r#"{"messages": [{"contentType": "ImageResponseCard", "imageResponseCard": {"subtitle": "x"}}]}"#,
            r#"{"messages": [{"contentType": "ImageResponseCard", "imageResponseCard": {"title": "t", "buttons": [{"text": "a"}]}}]}"#,
            r#"{"sessionState": "open"}"#,
            r#"{"sessionState": {"sessionAttributes": {"a": 1}}}"#,
        ] {
            assert!(read_answer(refused).is_err(), "{refused}");
            assert!(
                serde_json::from_str::<RecognizeTextResponse>(refused).is_err(),
                "the protocol agrees: {refused}"
            );
        }
    }
}
