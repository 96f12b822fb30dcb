//! The whole widget: the launcher and, while open, the chat panel.

use leptos::html;
use leptos::prelude::*;

use super::{ChatPanel, Launcher};

/// The widget root. Owns the open/closed state and returns focus to the launcher on close.
#[component]
pub fn Widget(
    /// Title shown in the panel header.
    #[prop(into)]
    title: String,
    /// Greeting shown in an empty conversation.
    #[prop(into)]
    greeting: String,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let launcher_ref = NodeRef::<html::Button>::new();
    let close = move || {
        open.set(false);
        if let Some(launcher) = launcher_ref.get_untracked() {
            let _ = launcher.focus();
        }
    };

    view! {
        <div class="lxs-root">
            <Show when=move || open.get()>
                <ChatPanel title=title.clone() greeting=greeting.clone() on_close=close />
            </Show>
            <Launcher open=open node_ref=launcher_ref />
        </div>
    }
}
