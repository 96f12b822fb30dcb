//! Recent turns of the conversation, so follow-up questions work: kept server-side, in the
//! connection table under `history#<sessionId>` ([`crate::turns::TurnStore::history`]), as a JSON
//! array of `{role, text}` bounded in bytes. Never read from the request: a visitor cannot write
//! the assistant's past answers, nor send an unbounded history.

use crate::ports::ChatMessage;

/// The session attribute earlier versions kept the history in. The fulfillment ignores it and
/// drops it from its answers, so a widget that still holds one stops sending it.
pub const HISTORY_ATTRIBUTE: &str = lexstream_protocol::lex::ATTR_LEGACY_HISTORY;

/// Reads a history from its JSON; anything unreadable counts as no history.
pub fn decode(value: Option<&str>) -> Vec<ChatMessage> {
    value.and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default()
}

/// The most recent part of `messages` whose JSON fits in `max_bytes`: the oldest user/assistant
/// pairs go first, and what is kept always starts with a user turn (as Bedrock requires).
pub fn bounded(messages: &[ChatMessage], max_bytes: usize) -> &[ChatMessage] {
    let mut start = 0;
    loop {
        let kept = &messages[start..];
        let fits = serde_json::to_string(kept).is_ok_and(|json| json.len() <= max_bytes);
        if fits || kept.is_empty() {
            return kept;
        }
        start += 1;
        while start < messages.len() && messages[start].role != crate::ports::Role::User {
            start += 1;
        }
    }
}

/// The JSON of [`bounded`]`(messages, max_bytes)`.
pub fn encode_bounded(messages: &[ChatMessage], max_bytes: usize) -> String {
    serde_json::to_string(bounded(messages, max_bytes)).unwrap_or_else(|_| "[]".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::Role;

    fn turn(role: Role, text: &str) -> ChatMessage {
        ChatMessage { role, text: text.to_owned() }
    }

    #[test]
    fn round_trips_and_tolerates_garbage() {
        let messages = vec![turn(Role::User, "hi"), turn(Role::Assistant, "hello")];
        assert_eq!(decode(Some(&encode_bounded(&messages, 10_000))), messages);
        assert!(decode(Some("not json")).is_empty());
        assert!(decode(None).is_empty());
    }

    #[test]
    fn oldest_turns_go_first_and_a_user_turn_leads() {
        let messages: Vec<ChatMessage> = (0..20)
            .flat_map(|i| {
                [turn(Role::User, &format!("question {i}")), turn(Role::Assistant, &"x".repeat(100))]
            })
            .collect();
        let json = encode_bounded(&messages, 600);
        assert!(json.len() <= 600);
        let kept = decode(Some(&json));
        assert!(!kept.is_empty());
        assert_eq!(kept[0].role, Role::User);
        assert_eq!(kept.last(), messages.last());
    }

    #[test]
    fn bounded_keeps_the_same_turns_encode_bounded_writes() {
        let messages: Vec<ChatMessage> =
            (0..6).flat_map(|i| [turn(Role::User, &format!("q{i}")), turn(Role::Assistant, "a")]).collect();
        let kept = bounded(&messages, 120);
        assert_eq!(kept.first().map(|m| m.role), Some(Role::User));
        assert_eq!(serde_json::to_string(kept).unwrap(), encode_bounded(&messages, 120));
        assert_eq!(bounded(&messages, 100_000), messages.as_slice());
    }

    #[test]
    fn a_single_huge_turn_is_dropped_rather_than_overflowing() {
        let messages = vec![turn(Role::User, &"y".repeat(5000))];
        assert_eq!(encode_bounded(&messages, 100), "[]");
    }
}
