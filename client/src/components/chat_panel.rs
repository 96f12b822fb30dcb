//! The chat panel: header with title and close button, the conversation, the composer.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use super::{Composer, PANEL_ID, TranscriptView};
use crate::transcript::Transcript;

/// The open chat. Focus moves to the message box when it opens; Escape closes it.
#[component]
pub fn ChatPanel(
    /// Title shown in the header and used as the dialog's accessible name.
    title: String,
    /// The conversation.
    transcript: RwSignal<Transcript>,
    /// Sends a message (None when the chat is not configured).
    on_send: Option<Callback<String>>,
    /// Starts a new conversation (None when the chat is not configured).
    on_new_conversation: Option<Callback<()>>,
    /// Called when the visitor closes the panel (button or Escape).
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let input_ref = NodeRef::<html::Textarea>::new();
    let close_ref = NodeRef::<html::Button>::new();
    let enabled = on_send.is_some();
    Effect::new(move |_| {
        if enabled {
            if let Some(input) = input_ref.get() {
                let _ = input.focus();
            }
        } else if let Some(button) = close_ref.get() {
            let _ = button.focus();
        }
    });
    let on_keydown = {
        let on_close = on_close.clone();
        move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                on_close();
            }
        }
    };
    let send = on_send.unwrap_or_else(|| Callback::new(|_: String| {}));
    let dialog_label = title.clone();

    view! {
        <section
            id=PANEL_ID
            class="lxs-panel"
            role="dialog"
            aria-label=dialog_label
            data-testid="panel"
            on:keydown=on_keydown
        >
            <header class="lxs-header">
                <h2 class="lxs-title">{title}</h2>
                {on_new_conversation.map(|start| view! {
                    <button
                        type="button"
                        class="lxs-new"
                        data-testid="new-conversation"
                        aria-label="Start a new conversation"
                        title="New conversation"
                        on:click=move |_| start.run(())
                    >
                        "↺"
                    </button>
                })}
                <button
                    type="button"
                    class="lxs-close"
                    data-testid="close"
                    aria-label="Close chat"
                    node_ref=close_ref
                    on:click=move |_| on_close()
                >
                    "×"
                </button>
            </header>
            <TranscriptView transcript=transcript on_choose=send />
            <Composer on_send=send enabled=enabled node_ref=input_ref />
        </section>
    }
}
