//! The round button in the page corner that opens and closes the chat.

use leptos::html;
use leptos::prelude::*;

use super::PANEL_ID;
use crate::strings::{Strings, Text};

/// Toggles the chat panel; tells assistive technology whether the panel is expanded.
#[component]
pub fn Launcher(
    /// Whether the panel is open; the launcher flips it.
    open: RwSignal<bool>,
    /// Whether a reply finished while the panel was hidden.
    #[prop(into)]
    unread: Signal<bool>,
    /// Lets the widget move focus back here when the panel closes.
    node_ref: NodeRef<html::Button>,
    /// The widget's texts (English unless given).
    #[prop(optional)]
    strings: Strings,
) -> impl IntoView {
    let label = move || match (open.get(), unread.get()) {
        (true, _) => strings.get(Text::HideChat),
        (false, true) => strings.get(Text::OpenChatNewReply),
        (false, false) => strings.get(Text::OpenChat),
    };
    view! {
        <button
            type="button"
            class="lxs-launcher"
            data-testid="launcher"
            node_ref=node_ref
            aria-label=label
            aria-controls=PANEL_ID
            aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|is_open| *is_open = !*is_open)
        >
            <span class="lxs-launcher-icon" aria-hidden="true">
                {move || if open.get() { "×" } else { "💬" }}
            </span>
            <Show when=move || unread.get()>
                <span class="lxs-unread" data-testid="unread" aria-hidden="true"></span>
            </Show>
        </button>
    }
}
