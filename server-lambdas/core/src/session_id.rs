//! Which session ids are acceptable, and which belong to which Cognito identity.

/// Shortest and longest session id Lex V2 accepts.
const LENGTH: std::ops::RangeInclusive<usize> = 2..=100;

/// Why a session id was refused (the text goes back to the client with a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionIdError {
    /// No `sessionId` query parameter.
    #[error("missing sessionId query parameter")]
    Missing,
    /// Wrong length.
    #[error("sessionId must be 2 to 100 characters, got {0}")]
    Length(usize),
    /// A character Lex does not allow.
    #[error("sessionId may only contain letters, digits and . _ : - (found {0:?})")]
    Character(char),
}

/// Checks a session id against Lex V2's rule (`[0-9a-zA-Z._:-]{2,100}`).
pub fn validate(session_id: Option<&str>) -> Result<&str, SessionIdError> {
    let session_id = session_id.ok_or(SessionIdError::Missing)?;
    if let Some(bad) =
        session_id.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Err(SessionIdError::Character(bad));
    }
    if !LENGTH.contains(&session_id.len()) {
        return Err(SessionIdError::Length(session_id.len()));
    }
    Ok(session_id)
}

/// Whether `session_id` belongs to the Cognito identity `identity_id`: it is the identity id
/// itself, or the identity id followed by `.` and a suffix (a new conversation of the same
/// visitor).
pub fn is_bound_to(session_id: &str, identity_id: &str) -> bool {
    session_id == identity_id
        || session_id.strip_prefix(identity_id).is_some_and(|rest| rest.starts_with('.') && rest.len() > 1)
}

/// The identity a session id claims, in the form [`is_bound_to`] accepts: the id up to its first
/// `.` (`us-east-1:abc.2` → `us-east-1:abc`). Per-identity limits of the fulfillment count under
/// it; Lex does not tell a code hook who called, so it is the session's claim, not a proof.
pub fn identity_of(session_id: &str) -> &str {
    session_id.split_once('.').map_or(session_id, |(identity, _)| identity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lex_session_ids_are_accepted() {
        assert_eq!(
            validate(Some("us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37")),
            Ok("us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37")
        );
        assert!(validate(Some("ab")).is_ok());
    }

    #[test]
    fn bad_session_ids_get_a_reason() {
        assert_eq!(validate(None), Err(SessionIdError::Missing));
        assert_eq!(validate(Some("a")), Err(SessionIdError::Length(1)));
        assert_eq!(validate(Some(&"a".repeat(101))), Err(SessionIdError::Length(101)));
        assert_eq!(validate(Some("a b")), Err(SessionIdError::Character(' ')));
        assert_eq!(validate(Some("x/../y")), Err(SessionIdError::Character('/')));
    }

    #[test]
    fn a_session_is_bound_to_its_identity_and_its_suffixes_only() {
        let me = "us-east-1:aaaa";
        assert!(is_bound_to("us-east-1:aaaa", me));
        assert!(is_bound_to("us-east-1:aaaa.2", me));
        assert!(!is_bound_to("us-east-1:aaaa.", me));
        assert!(!is_bound_to("us-east-1:aaaab", me));
        assert!(!is_bound_to("us-east-1:bbbb", me));
    }

    #[test]
    fn a_sessions_identity_is_what_it_is_bound_to() {
        for session in ["us-east-1:aaaa", "us-east-1:aaaa.2", "us-east-1:aaaa.7.x"] {
            assert_eq!(identity_of(session), "us-east-1:aaaa");
            assert!(is_bound_to(session, identity_of(session)));
        }
    }
}
