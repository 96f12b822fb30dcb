//! What the widget keeps in the tab's `sessionStorage` so a reload continues the conversation:
//! the transcript (a reply under way with its text so far), the Lex session attributes, which
//! conversation this is, the visitor's identity and whether the panel is open. (The page's
//! changes to the session attributes are the loader's to keep: it hands them over when the
//! widget mounts.)

mod json;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::transcript::SavedEntry;

/// Names of what is kept, after the widget's key prefix ([`TabStorage`]).
const TRANSCRIPT: &str = "transcript";
const ATTRIBUTES: &str = "sessionAttributes";
const CONVERSATION: &str = "conversation";
const IDENTITY: &str = "identityId";
const TAB: &str = "tab";
const OPEN: &str = "open";

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

/// A transcript as it is saved (what [`TabStorage::save_transcript`] writes).
pub(crate) fn transcript_text(entries: &[SavedEntry]) -> String {
    json::transcript_to_json(entries).to_string()
}

/// One widget's corner of the tab's `sessionStorage`: its keys start `lexstream.`, then the
/// widget's `id` and a dot when the page names it (two widgets on one page keep their own
/// conversations). The loader (`client/loader/lexstream.js`) reads `open` and `transcript` under
/// the same rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TabStorage {
    prefix: &'static str,
}

impl Default for TabStorage {
    fn default() -> Self {
        Self { prefix: "lexstream." }
    }
}

impl TabStorage {
    /// The storage of the widget called `id` (`None`: the page's only or first widget).
    pub fn for_widget(id: Option<&str>) -> Self {
        id.map_or_else(Self::default, |id| Self { prefix: format!("lexstream.{id}.").leak() })
    }

    /// The full key of `name`.
    pub fn key(self, name: &str) -> String {
        format!("{}{name}", self.prefix)
    }

    fn read(self, name: &str) -> Option<String> {
        storage()?.get_item(&self.key(name)).ok()?
    }

    fn write(self, name: &str, value: &str) {
        if let Some(storage) = storage() {
            // A full or disabled storage only costs the reload continuity.
            let _ = storage.set_item(&self.key(name), value);
        }
    }

    fn forget(self, name: &str) {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(&self.key(name));
        }
    }

    /// The JSON saved under `name`, if any and readable.
    fn load(self, name: &str) -> Option<Value> {
        serde_json::from_str(&self.read(name)?).ok()
    }

    fn save(self, name: &str, json: &Value) {
        self.write(name, &json.to_string());
    }

    /// The saved transcript, if any.
    pub(crate) fn load_transcript(self) -> Option<Vec<SavedEntry>> {
        json::transcript_from_json(&self.load(TRANSCRIPT)?)
    }

    /// Saves the transcript.
    pub(crate) fn save_transcript(self, entries: &[SavedEntry]) {
        self.write(TRANSCRIPT, &transcript_text(entries));
    }

    /// The Lex session attributes of the last answer (without server-owned ones an older version
    /// of the widget may have saved).
    pub(crate) fn load_session_attributes(self) -> BTreeMap<String, String> {
        without_server_owned(
            self.load(ATTRIBUTES).and_then(|json| json::attributes_from_json(&json)).unwrap_or_default(),
        )
    }

    /// Saves the Lex session attributes, without server-owned ones.
    pub(crate) fn save_session_attributes(self, attributes: &BTreeMap<String, String>) {
        self.save(ATTRIBUTES, &json::attributes_to_json(&without_server_owned(attributes.clone())));
    }

    /// Which conversation of this visitor is current (0 for the first).
    pub(crate) fn load_conversation(self) -> u32 {
        self.load(CONVERSATION).and_then(|json| u32::try_from(json.as_u64()?).ok()).unwrap_or(0)
    }

    /// Starts conversation `number`: forgets the transcript and session attributes.
    pub(crate) fn start_conversation(self, number: u32) {
        self.save(CONVERSATION, &Value::from(number));
        self.forget(TRANSCRIPT);
        self.forget(ATTRIBUTES);
    }

    /// The visitor's Cognito identity, so a reload continues the same Lex session.
    pub(crate) fn identity(self) -> Option<String> {
        self.read(IDENTITY)
    }

    /// Remembers the visitor's identity (`None` forgets one the pool no longer knows).
    pub(crate) fn keep_identity(self, identity_id: Option<&str>) {
        match identity_id {
            Some(identity_id) => self.write(IDENTITY, identity_id),
            None => self.forget(IDENTITY),
        }
    }

    /// This tab's own token (made by `new` the first time): a signed-in person's Lex sessions
    /// carry it, so their tabs and devices, sharing one identity, never share a session.
    pub(crate) fn tab_token(self, new: impl FnOnce() -> String) -> String {
        self.read(TAB).unwrap_or_else(|| {
            let token = new();
            self.write(TAB, &token);
            token
        })
    }

    /// Remembers whether the panel is open: a reload with the panel open makes the loader load
    /// the widget at once and open it again.
    pub(crate) fn remember_open(self, open: bool) {
        if open { self.write(OPEN, "true") } else { self.forget(OPEN) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_named_widget_keeps_its_own_keys() {
        assert_eq!(TabStorage::default().key("transcript"), "lexstream.transcript");
        assert_eq!(TabStorage::for_widget(None), TabStorage::default());
        assert_eq!(TabStorage::for_widget(Some("sales")).key("open"), "lexstream.sales.open");
    }

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
