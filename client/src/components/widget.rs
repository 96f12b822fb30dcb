//! The whole widget: the launcher and, while open, the chat panel.

use std::sync::Arc;

use leptos::html;
use leptos::prelude::*;

use super::{ChatPanel, Launcher};
use crate::chat::{initial_transcript, use_chat};
use crate::config::WidgetConfig;
use crate::conversation::Conversation;
use crate::strings::Text;
use crate::transcript::{Entry, Reply, Transcript};

/// The widget root. Owns the open/closed state and the conversation, and returns focus to the
/// launcher when the panel hides. Minimizing keeps the stream open (an answer under way goes on,
/// and the launcher shows a badge when it completes); closing also ends the stream. The
/// conversation survives both, and a reload: an answer under way then resumes at once.
#[allow(clippy::needless_pass_by_value)] // component props are owned values
#[component]
pub fn Widget(
    /// Title shown in the panel header.
    #[prop(into)]
    title: String,
    /// Greeting shown in an empty conversation.
    #[prop(into)]
    greeting: String,
    /// Where to chat; `None` shows the panel without a way to send.
    config: Option<Arc<WidgetConfig>>,
    /// Whether the panel starts open.
    #[prop(optional)]
    open: bool,
) -> impl IntoView {
    let open = RwSignal::new(open);
    let strings = config.as_ref().map(|config| config.strings).unwrap_or_default();
    let conversation = Conversation::new(match &config {
        Some(config) => initial_transcript(&greeting, strings.get(Text::Interrupted))
            .allowing_images_from(config.image_origins.clone()),
        None => Transcript::with_greeting(&greeting),
    });
    let transcript = conversation.transcript;
    let format = config.as_ref().map(|config| config.streaming_format).unwrap_or_default();
    let chat = config.as_ref().map(|config| use_chat(Arc::clone(config), conversation));
    let launcher_ref = NodeRef::<html::Button>::new();
    let minimize = move || {
        open.set(false);
        if let Some(launcher) = launcher_ref.get_untracked() {
            let _ = launcher.focus();
        }
    };
    let close = move || {
        if let Some(chat) = chat {
            chat.end_stream();
        }
        minimize();
    };
    let unread = unread_replies(open, transcript);
    let debug = config.as_ref().filter(|config| config.debug).map(|_| crate::debug_log::enable());
    let on_new_conversation = chat.map(|chat| {
        let greeting = greeting.clone();
        Callback::new(move |()| chat.new_conversation(&greeting))
    });
    // Stopping needs the WebSocket flow (the AppSync flow has no stop route).
    let on_stop = chat
        .filter(|_| config.as_ref().is_some_and(|config| config.appsync.is_none() && config.streaming))
        .map(|chat| Callback::new(move |turn: String| chat.stop(&turn)));
    let on_send =
        chat.map(|chat| Callback::new(move |text: String| leptos::task::spawn_local(chat.send(text))));
    Effect::new(move |_| {
        let is_open = open.get();
        // Remembered for a reload: the loader then loads the widget at once and it opens again.
        crate::open_state::remember(is_open);
        // The visitor is about to ask: sign in and open the stream now, not after Enter.
        if let (true, Some(chat)) = (is_open, chat) {
            leptos::task::spawn_local(chat.prepare());
        }
    });

    view! {
        <div class="lxs-root">
            <Show when=move || open.get()>
                <ChatPanel
                    title=title.clone()
                    conversation=conversation
                    format=format
                    on_send=on_send
                    on_new_conversation=on_new_conversation
                    debug=debug
                    on_stop=on_stop
                    on_minimize=minimize
                    on_close=close
                    strings=strings
                />
            </Show>
            <Launcher open=open unread=unread node_ref=launcher_ref strings=strings />
        </div>
    }
}

/// Whether a reply finished while the panel was hidden (cleared when it opens).
fn unread_replies(open: RwSignal<bool>, transcript: RwSignal<Transcript>) -> Signal<bool> {
    let finished = Memo::new(move |_| {
        transcript.with(|t| {
            t.entries()
                .iter()
                .filter(|entry| {
                    matches!(entry, Entry::Bot { reply: Reply::Final { .. } | Reply::Failed { .. }, .. })
                })
                .count()
        })
    });
    let seen = RwSignal::new(finished.get_untracked());
    Effect::new(move |_| {
        if open.get() {
            seen.set(finished.get());
        }
    });
    Signal::derive(move || !open.get() && finished.get() > seen.get())
}
