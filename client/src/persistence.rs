//! What the widget keeps in the tab's `sessionStorage` so a reload continues the conversation:
//! the finished transcript, the Lex session attributes, and which conversation this is.

use std::collections::BTreeMap;

use crate::transcript::SavedEntry;

const TRANSCRIPT_KEY: &str = "lexstream.transcript";
const ATTRIBUTES_KEY: &str = "lexstream.sessionAttributes";
const CONVERSATION_KEY: &str = "lexstream.conversation";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

fn load<T: serde::de::DeserializeOwned>(key: &str) -> Option<T> {
    serde_json::from_str(&storage()?.get_item(key).ok()??).ok()
}

fn save<T: serde::Serialize>(key: &str, value: &T) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(value)) {
        // A full or disabled storage only costs the reload continuity.
        let _ = storage.set_item(key, &json);
    }
}

/// The saved transcript, if any.
pub(crate) fn load_transcript() -> Option<Vec<SavedEntry>> {
    load(TRANSCRIPT_KEY)
}

/// Saves the finished transcript.
pub(crate) fn save_transcript(entries: &[SavedEntry]) {
    save(TRANSCRIPT_KEY, &entries);
}

/// The Lex session attributes of the last answer.
pub(crate) fn load_session_attributes() -> BTreeMap<String, String> {
    load(ATTRIBUTES_KEY).unwrap_or_default()
}

/// Saves the Lex session attributes.
pub(crate) fn save_session_attributes(attributes: &BTreeMap<String, String>) {
    save(ATTRIBUTES_KEY, attributes);
}

/// Which conversation of this visitor is current (0 for the first).
pub(crate) fn load_conversation() -> u32 {
    load(CONVERSATION_KEY).unwrap_or(0)
}

/// Starts conversation `number`: forgets the transcript and session attributes.
pub(crate) fn start_conversation(number: u32) {
    save(CONVERSATION_KEY, &number);
    if let Some(storage) = storage() {
        let _ = storage.remove_item(TRANSCRIPT_KEY);
        let _ = storage.remove_item(ATTRIBUTES_KEY);
    }
}
