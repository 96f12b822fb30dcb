//! The chat panel: header with title and close button, and the conversation log.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;

use super::PANEL_ID;

/// The open chat. Focus moves to its close button when it opens; Escape closes it.
#[component]
pub fn ChatPanel(
    /// Title shown in the header and used as the dialog's accessible name.
    title: String,
    /// Greeting shown while the conversation is empty.
    greeting: String,
    /// Called when the visitor closes the panel (button or Escape).
    on_close: impl Fn() + Clone + Send + Sync + 'static,
) -> impl IntoView {
    let close_ref = NodeRef::<html::Button>::new();
    let dialog_label = title.clone();
    Effect::new(move |_| {
        if let Some(button) = close_ref.get() {
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
            <div class="lxs-log" role="log" aria-live="polite" data-testid="transcript">
                <p class="lxs-bubble lxs-bot">{greeting}</p>
            </div>
        </section>
    }
}
