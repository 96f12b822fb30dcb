//! The checks of what a visitor sends against the [`limits`](crate::limits) table: the question,
//! the session attributes that travel with it, and the widget's own WebSocket messages. The
//! widget checks before sending, the Lambdas and the devstack again on arrival; each refusal's
//! text says what was too large and what fits, in words a visitor can act on.

use crate::limits::{
    MAX_QUESTION_CHARS, MAX_SESSION_ATTRIBUTES, MAX_SESSION_ATTRIBUTES_BYTES, MAX_WIDGET_MESSAGE_BYTES,
};

/// Why an input was refused; `Display` is the sentence to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The question is empty or only white space.
    #[error("Please type a question first.")]
    EmptyQuestion,
    /// The question is longer than [`MAX_QUESTION_CHARS`].
    #[error(
        "Your question is {chars} characters long; please shorten it to {MAX_QUESTION_CHARS} characters or fewer."
    )]
    QuestionTooLong {
        /// Its length, in UTF-16 code units.
        chars: usize,
    },
    /// More than [`MAX_SESSION_ATTRIBUTES`] session attributes.
    #[error(
        "This conversation carries {count} saved values, more than the {MAX_SESSION_ATTRIBUTES} allowed."
    )]
    TooManySessionAttributes {
        /// How many there are.
        count: usize,
    },
    /// Session attributes over [`MAX_SESSION_ATTRIBUTES_BYTES`] in all.
    #[error(
        "This conversation carries {bytes} bytes of saved values, more than the {MAX_SESSION_ATTRIBUTES_BYTES} allowed."
    )]
    SessionAttributesTooLarge {
        /// Their names and values, in bytes.
        bytes: usize,
    },
    /// A WebSocket message from the widget over [`MAX_WIDGET_MESSAGE_BYTES`].
    #[error(
        "The message is {bytes} bytes; the widget's messages are at most {MAX_WIDGET_MESSAGE_BYTES} bytes."
    )]
    WidgetMessageTooLarge {
        /// Its size.
        bytes: usize,
    },
}

/// The length of `text` as Lex and a browser's `maxlength` count it: UTF-16 code units.
///
/// ```
/// use lexstream_protocol::input_bounds::question_chars;
/// assert_eq!(question_chars("héllo"), 5);
/// assert_eq!(question_chars("🙂"), 2, "outside the BMP: two code units");
/// ```
pub fn question_chars(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Checks a question (a Lex `RecognizeText` text or a `/chat` prompt).
///
/// ```
/// use lexstream_protocol::input_bounds::{InputError, check_question};
/// use lexstream_protocol::limits::MAX_QUESTION_CHARS;
/// assert_eq!(check_question("How do I reset my password?"), Ok(()));
/// assert_eq!(check_question("  \n"), Err(InputError::EmptyQuestion));
/// let long = "a".repeat(MAX_QUESTION_CHARS + 1);
/// assert_eq!(check_question(&long), Err(InputError::QuestionTooLong { chars: MAX_QUESTION_CHARS + 1 }));
/// ```
pub fn check_question(text: &str) -> Result<(), InputError> {
    if text.trim().is_empty() {
        return Err(InputError::EmptyQuestion);
    }
    let chars = question_chars(text);
    if chars > MAX_QUESTION_CHARS { Err(InputError::QuestionTooLong { chars }) } else { Ok(()) }
}

/// Checks the session attributes that travel with a question: at most
/// [`MAX_SESSION_ATTRIBUTES`] of them, names and values at most [`MAX_SESSION_ATTRIBUTES_BYTES`]
/// together.
///
/// ```
/// use lexstream_protocol::input_bounds::{InputError, check_session_attributes};
/// let small = [("streamingDynamoDbTable", "lexstream-connections")];
/// assert_eq!(check_session_attributes(small.iter().map(|(k, v)| (*k, *v))), Ok(()));
/// let big = "x".repeat(13 * 1024);
/// assert!(matches!(
///     check_session_attributes([("notes", big.as_str())]),
///     Err(InputError::SessionAttributesTooLarge { .. })
/// ));
/// ```
pub fn check_session_attributes<'a>(
    attributes: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), InputError> {
    let (count, bytes) = attributes.into_iter().fold((0_usize, 0_usize), |(count, bytes), (name, value)| {
        (count + 1, bytes.saturating_add(name.len()).saturating_add(value.len()))
    });
    if count > MAX_SESSION_ATTRIBUTES {
        Err(InputError::TooManySessionAttributes { count })
    } else if bytes > MAX_SESSION_ATTRIBUTES_BYTES {
        Err(InputError::SessionAttributesTooLarge { bytes })
    } else {
        Ok(())
    }
}

/// Checks a message the widget sent on the WebSocket (before it is parsed).
///
/// ```
/// use lexstream_protocol::input_bounds::check_widget_message;
/// assert!(check_widget_message(&lexstream_protocol::stop_request("t-1")).is_ok());
/// assert!(check_widget_message(&"x".repeat(4096)).is_err());
/// ```
pub fn check_widget_message(message: &str) -> Result<(), InputError> {
    let bytes = message.len();
    if bytes > MAX_WIDGET_MESSAGE_BYTES { Err(InputError::WidgetMessageTooLarge { bytes }) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MAX_TURN_ID_CHARS;

    #[test]
    fn the_widgets_own_messages_fit_with_the_longest_turn_id() {
        let turn = "t".repeat(MAX_TURN_ID_CHARS);
        for message in [
            crate::stop_request(&turn),
            crate::resume_request(&turn, Some(u64::MAX)),
            r#"{"action":"ping"}"#.to_owned(),
        ] {
            assert_eq!(check_widget_message(&message), Ok(()), "{message}");
            assert!(message.len() < 200, "{message}");
        }
    }

    #[test]
    fn a_question_at_the_limit_passes_and_one_more_unit_is_refused() {
        let at_limit = "é".repeat(MAX_QUESTION_CHARS);
        assert_eq!(check_question(&at_limit), Ok(()), "counted in characters, not bytes");
        let astral = "🙂".repeat(MAX_QUESTION_CHARS / 2 + 1);
        assert_eq!(
            check_question(&astral),
            Err(InputError::QuestionTooLong { chars: MAX_QUESTION_CHARS + 2 })
        );
    }

    #[test]
    fn refusals_name_the_size_and_the_limit() {
        let text = InputError::QuestionTooLong { chars: 2000 }.to_string();
        assert!(text.contains("2000") && text.contains("1024"), "{text}");
        let names: Vec<String> = (0..=MAX_SESSION_ATTRIBUTES).map(|i| format!("a{i}")).collect();
        let error = check_session_attributes(names.iter().map(|name| (name.as_str(), ""))).unwrap_err();
        assert_eq!(error, InputError::TooManySessionAttributes { count: MAX_SESSION_ATTRIBUTES + 1 });
        assert!(error.to_string().contains("51") && error.to_string().contains("50"), "{error}");
    }
}
