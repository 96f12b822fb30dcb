//! Recent turns of the conversation, kept in a Lex session attribute so follow-up questions work.

use crate::ports::ChatMessage;

/// The session attribute holding the history (JSON array of `{role, text}`).
pub const HISTORY_ATTRIBUTE: &str = "lexstreamHistory";

/// Reads the history from the attribute's value; anything unreadable counts as no history.
pub fn decode(value: Option<&str>) -> Vec<ChatMessage> {
    value.and_then(|json| serde_json::from_str(json).ok()).unwrap_or_default()
}

/// Encodes `messages` for the attribute, dropping the oldest user/assistant pairs until the JSON
/// fits in `max_bytes`. The result always starts with a user turn (as Bedrock requires).
pub fn encode_bounded(messages: &[ChatMessage], max_bytes: usize) -> String {
    let mut start = 0;
    loop {
        let kept = &messages[start..];
        let json = serde_json::to_string(kept).unwrap_or_else(|_| "[]".to_owned());
        if json.len() <= max_bytes || kept.is_empty() {
            return json;
        }
        start += 1;
        while start < messages.len() && messages[start].role != crate::ports::Role::User {
            start += 1;
        }
    }
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
    fn a_single_huge_turn_is_dropped_rather_than_overflowing() {
        let messages = vec![turn(Role::User, &"y".repeat(5000))];
        assert_eq!(encode_bounded(&messages, 100), "[]");
    }
}
