//! Where the visitor types: Enter sends, Shift+Enter makes a new line; a question is at most
//! `MAX_QUESTION_CHARS` long, counted as Lex counts it.

use crate::strings::{Strings, Text};
use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use lexstream_protocol::limits::MAX_QUESTION_CHARS;

/// The message box and its send button.
#[component]
pub fn Composer(
    /// Called with the trimmed text when the visitor sends.
    on_send: Callback<String>,
    /// False when the chat cannot send (no configuration).
    enabled: bool,
    /// Focused when the panel opens.
    node_ref: NodeRef<html::Textarea>,
    /// The widget's texts (English unless given).
    #[prop(optional)]
    strings: Strings,
) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let send = move || {
        let text = draft.get_untracked().trim().to_owned();
        if !text.is_empty() {
            draft.set(String::new());
            on_send.run(text);
            // Sent with the Send button, the focus would drop to the page when the emptied box
            // disables it: it goes back to the message box, ready for the next question.
            if let Some(input) = node_ref.get_untracked() {
                let _ = input.focus();
            }
        }
    };
    let on_keydown = move |event: KeyboardEvent| {
        if event.key() == "Enter" && !event.shift_key() && !event.is_composing() {
            event.prevent_default();
            send();
        }
    };
    let placeholder = if enabled { strings.get(Text::Placeholder) } else { strings.get(Text::NotConfigured) };
    view! {
        <form class="lxs-composer" on:submit=move |event| { event.prevent_default(); send(); }>
            <textarea
                class="lxs-input"
                data-testid="input"
                rows="1"
                maxlength=MAX_QUESTION_CHARS.to_string()
                aria-label=strings.get(Text::Message)
                placeholder=placeholder
                disabled=!enabled
                node_ref=node_ref
                prop:value=move || draft.get()
                on:input=move |event| draft.set(event_target_value(&event))
                on:keydown=on_keydown
            ></textarea>
            <button
                type="submit"
                class="lxs-send"
                data-testid="send"
                aria-label=strings.get(Text::Send)
                disabled=move || !enabled || draft.with(|text| text.trim().is_empty())
            >
                "➤"
            </button>
        </form>
    }
}
