//! The widget's request to resume a turn's stream after a reconnect or a reload:
//! `{"action":"resume","turn":"<turn id>","after":<last seq applied>}` on the WebSocket
//! (API Gateway routes it by `action` to `ws-connect`, which answers from the turn's record with
//! a `snapshot`, and `done` plus `final` once the turn is finished).

use serde_json::{Value, json};

use crate::widget_request::{WidgetRequestError, read_request};

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
/// assert_eq!(ResumeRequest::parse(&message), Ok(ResumeRequest { turn: "t-1".into(), after: Some(4) }));
/// ```
pub fn resume_request(turn: &str, after: Option<u64>) -> String {
    json!({ "action": "resume", "turn": turn, "after": after }).to_string()
}

impl ResumeRequest {
    /// Reads a resume request, or says why the message is not one (another action, a turn id
    /// that breaks the rule, an `after` that is not a whole number).
    pub fn parse(message: &str) -> Result<Self, WidgetRequestError> {
        let (fields, turn) = read_request(message, "resume")?;
        let after = match fields.get("after") {
            None | Some(Value::Null) => None,
            Some(after) => Some(after.as_u64().ok_or(WidgetRequestError::BadAfter)?),
        };
        Ok(Self { turn, after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TurnIdError;

    #[test]
    fn only_a_resume_with_a_valid_turn_is_read() {
        assert_eq!(
            ResumeRequest::parse(r#"{"action":"resume","turn":"t"}"#),
            Ok(ResumeRequest { turn: "t".into(), after: None })
        );
        assert_eq!(
            ResumeRequest::parse(r#"{"action":"stop","turn":"t"}"#),
            Err(WidgetRequestError::WrongAction { expected: "resume" })
        );
        assert_eq!(
            ResumeRequest::parse(r#"{"action":"resume","turn":"a#b"}"#),
            Err(WidgetRequestError::BadTurn(TurnIdError::BadCharacter))
        );
        let bad_after = Err(WidgetRequestError::BadAfter);
        assert_eq!(ResumeRequest::parse(r#"{"action":"resume","turn":"t","after":-1}"#), bad_after);
        assert_eq!(ResumeRequest::parse(r#"{"action":"resume","turn":"t","after":"3"}"#), bad_after);
        assert_eq!(ResumeRequest::parse("nope"), Err(WidgetRequestError::NotAnObject));
    }
}
