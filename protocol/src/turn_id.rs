//! The one rule for turn ids (`streamingTurnId`, the `turn` of frames, stop and resume requests),
//! used by the widget, `ws-connect`, the fulfillment, `appsync-chat` and the devstack alike: short
//! enough that every frame stays small, and made of characters that need no escaping anywhere
//! (JSON, DynamoDB keys, logs).

/// The longest turn id accepted.
pub const MAX_TURN_ID_CHARS: usize = 64;

/// Why a turn id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TurnIdError {
    /// The id is empty.
    #[error("the turn id is empty")]
    Empty,
    /// The id is longer than [`MAX_TURN_ID_CHARS`].
    #[error("the turn id is longer than {MAX_TURN_ID_CHARS} characters")]
    TooLong,
    /// The id has a character outside `A-Z a-z 0-9 . _ : -`.
    #[error("the turn id may only contain letters, digits, '.', '_', ':' and '-'")]
    BadCharacter,
}

/// Checks a turn id against the rule.
///
/// ```
/// use lexstream_protocol::{check_turn_id, TurnIdError};
/// assert_eq!(check_turn_id("turn-3-81273"), Ok(()));
/// assert_eq!(check_turn_id(""), Err(TurnIdError::Empty));
/// assert_eq!(check_turn_id("a#b"), Err(TurnIdError::BadCharacter));
/// assert_eq!(check_turn_id(&"t".repeat(65)), Err(TurnIdError::TooLong));
/// ```
pub fn check_turn_id(turn: &str) -> Result<(), TurnIdError> {
    if turn.is_empty() {
        Err(TurnIdError::Empty)
    } else if turn.len() > MAX_TURN_ID_CHARS {
        Err(TurnIdError::TooLong)
    } else if !turn.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-')) {
        Err(TurnIdError::BadCharacter)
    } else {
        Ok(())
    }
}
