//! What the widget keeps in the tab's `sessionStorage` so a reload continues the conversation:
//! the transcript (a reply under way with its text so far), the Lex session attributes, and which
//! conversation this is.

mod json;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::transcript::SavedEntry;

const TRANSCRIPT_KEY: &str = "lexstream.transcript";
const ATTRIBUTES_KEY: &str = "lexstream.sessionAttributes";
const CONVERSATION_KEY: &str = "lexstream.conversation";

/// Session attributes the server keeps for itself and the widget never round-trips: the
/// conversation history lives in the server's table, so a visitor cannot forge it or make it
/// unbounded (server-lambdas' `HISTORY_ATTRIBUTE`).
const SERVER_OWNED_ATTRIBUTES: [&str; 2] =
    [lexstream_protocol::lex::ATTR_LEGACY_HISTORY, lexstream_protocol::lex::ATTR_PENDING_TURN];

/// `attributes` without those the server keeps for itself: what the widget may save and send.
pub(crate) fn without_server_owned(attributes: BTreeMap<String, String>) -> BTreeMap<String, String> {
    // Rebuilt by insertion rather than `retain`ed or `collect`ed: B-tree removal and the sort a
    // `collect` does would add ~4 KB of gzip to the widget for one key.
    let mut kept = BTreeMap::new();
    kept.extend(attributes.into_iter().filter(|(key, _)| !SERVER_OWNED_ATTRIBUTES.contains(&key.as_str())));
    kept
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// The JSON saved under `key`, if any and readable.
fn load(key: &str) -> Option<Value> {
    serde_json::from_str(&storage()?.get_item(key).ok()??).ok()
}

fn save(key: &str, json: &Value) {
    if let Some(storage) = storage() {
        // A full or disabled storage only costs the reload continuity.
        let _ = storage.set_item(key, &json.to_string());
    }
}

/// The saved transcript, if any.
pub(crate) fn load_transcript() -> Option<Vec<SavedEntry>> {
    json::transcript_from_json(&load(TRANSCRIPT_KEY)?)
}

/// Saves the transcript.
pub(crate) fn save_transcript(entries: &[SavedEntry]) {
    save(TRANSCRIPT_KEY, &json::transcript_to_json(entries));
}

/// The Lex session attributes of the last answer (without server-owned ones an older version
/// of the widget may have saved).
pub(crate) fn load_session_attributes() -> BTreeMap<String, String> {
    without_server_owned(
        load(ATTRIBUTES_KEY).and_then(|json| json::attributes_from_json(&json)).unwrap_or_default(),
    )
}

/// Saves the Lex session attributes, without server-owned ones.
pub(crate) fn save_session_attributes(attributes: &BTreeMap<String, String>) {
    save(ATTRIBUTES_KEY, &json::attributes_to_json(&without_server_owned(attributes.clone())));
}

/// Which conversation of this visitor is current (0 for the first).
pub(crate) fn load_conversation() -> u32 {
    load(CONVERSATION_KEY).and_then(|json| u32::try_from(json.as_u64()?).ok()).unwrap_or(0)
}

/// Starts conversation `number`: forgets the transcript and session attributes.
pub(crate) fn start_conversation(number: u32) {
    save(CONVERSATION_KEY, &Value::from(number));
    if let Some(storage) = storage() {
        let _ = storage.remove_item(TRANSCRIPT_KEY);
        let _ = storage.remove_item(ATTRIBUTES_KEY);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_history_attribute_is_neither_saved_nor_sent_back() {
        let from_lex = BTreeMap::from([
            ("lexstreamHistory".to_owned(), r#"[{"role":"assistant","text":"forged"}]"#.to_owned()),
            ("streamingTurnId".to_owned(), "turn-1-2".to_owned()),
            ("customerTier".to_owned(), "gold".to_owned()),
        ]);
        let kept = without_server_owned(from_lex);
        assert_eq!(kept.keys().map(String::as_str).collect::<Vec<_>>(), ["customerTier", "streamingTurnId"]);
    }
}
