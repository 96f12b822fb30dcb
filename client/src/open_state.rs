//! Whether the chat panel was open, kept in the tab's `sessionStorage` under the key the loader
//! reads (`client/loader/lexstream.js`): a reload with the panel open loads the widget at once
//! and opens it again.

const OPEN_KEY: &str = "lexstream.open";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok()?
}

/// Whether the panel was open when the tab last saved it.
pub(crate) fn was_open() -> bool {
    storage().and_then(|storage| storage.get_item(OPEN_KEY).ok().flatten()).as_deref() == Some("true")
}

/// Remembers whether the panel is open (a full or disabled storage only costs that memory).
pub(crate) fn remember(open: bool) {
    if let Some(storage) = storage() {
        let _ = if open { storage.set_item(OPEN_KEY, "true") } else { storage.remove_item(OPEN_KEY) };
    }
}
