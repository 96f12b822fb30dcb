//! The widget's request to resume a turn's stream after a reconnect or a reload:
//! `{"action":"resume","turn":"<turn id>","after":<last seq applied>}` on the WebSocket
//! (API Gateway routes it by `action` to `ws-connect`, which answers from the turn's record with
//! a `snapshot`, and `done` plus `final` once the turn is finished).

use serde_json::{Value, json};

use crate::check_turn_id;

/// A resume request as `ws-connect` reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResumeRequest {
    /// The turn to resume.
    pub turn: String,
    /// The last `seq` the widget applied, if it applied any.
    pub after: Option<u64>,
}

/// The message the widget sends to resume `turn`, having applied frames up to `after`.
///
/// ```
/// use lexstream_protocol::{ResumeRequest, resume_request};
/// let message = resume_request("t-1", Some(4));
/// assert_eq!(ResumeRequest::parse(&message), Some(ResumeRequest { turn: "t-1".into(), after: Some(4) }));
/// ```
pub fn resume_request(turn: &str, after: Option<u64>) -> String {
    json!({ "action": "resume", "turn": turn, "after": after }).to_string()
}

impl ResumeRequest {
    /// Reads a resume request; `None` for anything else (another action, a turn id that breaks
    /// the rule, an `after` that is not a whole number).
    pub fn parse(message: &str) -> Option<Self> {
        let value: Value = serde_json::from_str(message).ok()?;
        if value.get("action")?.as_str()? != "resume" {
            return None;
        }
        let turn = value.get("turn")?.as_str()?;
        check_turn_id(turn).ok()?;
        let after = match value.get("after") {
            None | Some(Value::Null) => None,
            Some(after) => Some(after.as_u64()?),
        };
        Some(Self { turn: turn.to_owned(), after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_resume_with_a_valid_turn_is_read() {
        assert_eq!(
            ResumeRequest::parse(r#"{"action":"resume","turn":"t"}"#),
            Some(ResumeRequest { turn: "t".into(), after: None })
        );
        assert_eq!(ResumeRequest::parse(r#"{"action":"stop","turn":"t"}"#), None);
        assert_eq!(ResumeRequest::parse(r#"{"action":"resume","turn":"a#b"}"#), None);
        assert_eq!(ResumeRequest::parse(r#"{"action":"resume","turn":"t","after":-1}"#), None);
        assert_eq!(ResumeRequest::parse(r#"{"action":"resume","turn":"t","after":"3"}"#), None);
        assert_eq!(ResumeRequest::parse("nope"), None);
    }
}
