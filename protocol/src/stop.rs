//! The widget's request to stop the answer under way: `{"action":"stop","turn":"<turn id>"}`,
//! sent on the WebSocket (API Gateway routes it by `action` to `ws-connect`).

use serde_json::{Value, json};

/// The message the widget sends to stop `turn`.
///
/// ```
/// let message = lexstream_protocol::stop_request("t-1");
/// assert_eq!(lexstream_protocol::stop_request_turn(&message).as_deref(), Some("t-1"));
/// ```
pub fn stop_request(turn: &str) -> String {
    json!({ "action": "stop", "turn": turn }).to_string()
}

/// The turn a stop request names; `None` for anything else (another action, no turn, a turn
/// id that breaks [`check_turn_id`](crate::check_turn_id)).
pub fn stop_request_turn(message: &str) -> Option<String> {
    let value: Value = serde_json::from_str(message).ok()?;
    if value.get("action")?.as_str()? != "stop" {
        return None;
    }
    let turn = value.get("turn")?.as_str()?;
    crate::check_turn_id(turn).ok().map(|()| turn.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_stop_with_a_turn_is_read() {
        assert_eq!(stop_request_turn(r#"{"action":"stop"}"#), None);
        assert_eq!(stop_request_turn(r#"{"action":"ping","turn":"t"}"#), None);
        assert_eq!(stop_request_turn(r#"{"action":"stop","turn":""}"#), None);
        assert_eq!(stop_request_turn("not json"), None);
        assert_eq!(stop_request_turn(&"x".repeat(10)), None);
        assert_eq!(stop_request_turn(r#"{"action":"stop","turn":"<script>"}"#), None);
    }
}
