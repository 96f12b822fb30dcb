//! The widget's request to stop the answer under way: `{"action":"stop","turn":"<turn id>"}`,
//! sent on the WebSocket (API Gateway routes it by `action` to `ws-connect`).

use serde_json::json;

use crate::widget_request::{WidgetRequestError, read_request};

/// The message the widget sends to stop `turn`.
///
/// ```
/// let message = lexstream_protocol::stop_request("t-1");
/// assert_eq!(lexstream_protocol::stop_request_turn(&message).as_deref(), Ok("t-1"));
/// ```
pub fn stop_request(turn: &str) -> String {
    json!({ "action": "stop", "turn": turn }).to_string()
}

/// The turn a stop request names, or why the message is not one (another action, no turn, a
/// turn id that breaks [`check_turn_id`](crate::check_turn_id)).
pub fn stop_request_turn(message: &str) -> Result<String, WidgetRequestError> {
    read_request(message, "stop").map(|(_, turn)| turn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TurnIdError;

    #[test]
    fn only_a_stop_with_a_valid_turn_is_read() {
        assert_eq!(stop_request_turn(r#"{"action":"stop"}"#), Err(WidgetRequestError::MissingTurn));
        assert_eq!(
            stop_request_turn(r#"{"action":"ping","turn":"t"}"#),
            Err(WidgetRequestError::WrongAction { expected: "stop" })
        );
        assert_eq!(
            stop_request_turn(r#"{"action":"stop","turn":""}"#),
            Err(WidgetRequestError::BadTurn(TurnIdError::Empty))
        );
        assert_eq!(stop_request_turn("not json"), Err(WidgetRequestError::NotAnObject));
        assert_eq!(stop_request_turn(&"x".repeat(10)), Err(WidgetRequestError::NotAnObject));
        assert_eq!(
            stop_request_turn(r#"{"action":"stop","turn":"<script>"}"#),
            Err(WidgetRequestError::BadTurn(TurnIdError::BadCharacter))
        );
        let long = stop_request(&"t".repeat(65));
        assert_eq!(stop_request_turn(&long), Err(WidgetRequestError::BadTurn(TurnIdError::TooLong)));
    }
}
