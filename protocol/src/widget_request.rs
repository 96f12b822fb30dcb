//! Reading the requests the widget sends on the WebSocket (`stop`, `resume`): one reader for
//! their common part (a JSON object with an `action` and a `turn` that passes
//! [`check_turn_id`]), and one error type saying what was wrong, which the route answers with.

use serde_json::{Map, Value};

use crate::{TurnIdError, check_turn_id};

/// Why a widget request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WidgetRequestError {
    /// The message is not a JSON object.
    #[error("the message is not a JSON object")]
    NotAnObject,
    /// The message asks for another action.
    #[error("the message's action is not \"{expected}\"")]
    WrongAction {
        /// The action the reader expected.
        expected: &'static str,
    },
    /// No `turn` string.
    #[error("the message has no \"turn\" string")]
    MissingTurn,
    /// The turn id breaks the rule.
    #[error("the turn id was refused: {0}")]
    BadTurn(#[from] TurnIdError),
    /// A resume request's `after` is neither a whole number nor `null`.
    #[error("\"after\" must be a whole number or null")]
    BadAfter,
}

/// The fields of a request for `action`, and its turn id once checked.
pub(crate) fn read_request(
    message: &str,
    action: &'static str,
) -> Result<(Map<String, Value>, String), WidgetRequestError> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(message) else {
        return Err(WidgetRequestError::NotAnObject);
    };
    if fields.get("action").and_then(Value::as_str) != Some(action) {
        return Err(WidgetRequestError::WrongAction { expected: action });
    }
    let turn = fields.get("turn").and_then(Value::as_str).ok_or(WidgetRequestError::MissingTurn)?;
    check_turn_id(turn)?;
    let turn = turn.to_owned();
    Ok((fields, turn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_refusal_says_what_was_wrong() {
        let read = |message: &str| read_request(message, "stop").map(|(_, turn)| turn);
        assert_eq!(read(r#"{"action":"stop","turn":"t-1"}"#), Ok("t-1".to_owned()));
        assert_eq!(read("not json"), Err(WidgetRequestError::NotAnObject));
        assert_eq!(read(r#""stop""#), Err(WidgetRequestError::NotAnObject));
        assert_eq!(read(r#"{"action":"ping"}"#), Err(WidgetRequestError::WrongAction { expected: "stop" }));
        assert_eq!(read(r#"{"action":"stop","turn":7}"#), Err(WidgetRequestError::MissingTurn));
        assert_eq!(
            read(r#"{"action":"stop","turn":"<script>"}"#),
            Err(WidgetRequestError::BadTurn(TurnIdError::BadCharacter))
        );
        let message = read(r#"{"action":"stop","turn":""}"#).unwrap_err().to_string();
        assert_eq!(message, "the turn id was refused: the turn id is empty");
    }
}
