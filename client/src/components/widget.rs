//! The whole widget: the launcher and, while open, the chat panel.

use std::sync::Arc;

use leptos::html;
use leptos::prelude::*;

use super::{ChatPanel, Launcher};
use crate::chat::{initial_transcript, use_chat};
use crate::config::{StreamingFormat, WidgetConfig};
use crate::conversation::Conversation;
use crate::page_api::{Command, PageLink, follow_turns};
use crate::transcript::Transcript;

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
    /// The page's link to the widget: its JS API's commands, the widget's events.
    #[prop(optional)]
    page: Option<PageLink>,
) -> impl IntoView {
    let open = RwSignal::new(open);
    let strings = config.as_ref().map(|config| config.strings).unwrap_or_default();
    let conversation = Conversation::new(match &config {
        Some(config) => {
            initial_transcript(config, &greeting).allowing_images_from(config.image_origins.clone())
        }
        None => Transcript::with_greeting(&greeting),
    });
    let transcript = conversation.transcript;
    let format = config.as_ref().map(|config| config.streaming_format).unwrap_or_default();
    // Only streamed Markdown runs the code the warm-up compiles.
    let warm_up_streams =
        config.as_ref().is_some_and(|config| config.streaming) && format == StreamingFormat::Markdown;
    let chat = config.as_ref().map(|config| use_chat(Arc::clone(config), conversation));
    let launcher_ref = NodeRef::<html::Button>::new();
    // Focus inside the panel (the visitor's button, or the page's command while they typed)
    // moves to the launcher rather than to the page's top.
    let minimize = move || {
        let launcher = launcher_ref.get_untracked();
        let focus_was_inside = launcher.as_ref().is_some_and(focus_is_inside);
        open.set(false);
        if let (true, Some(launcher)) = (focus_was_inside, launcher) {
            let _ = launcher.focus();
        }
    };
    let close = move || {
        if let Some(chat) = chat {
            chat.end_stream();
        }
        minimize();
    };
    // Whether a reply finished while the panel was hidden (cleared when it opens).
    let unread = RwSignal::new(false);
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
    let storage = config.as_ref().map(|config| config.storage).unwrap_or_default();
    if let Some(page) = &page {
        let greeting = greeting.clone();
        page.listen(move |command| match (command, chat, on_send) {
            (Command::Open, _, _) => open.set(true),
            (Command::Minimize, _, _) => minimize(),
            (Command::Close, _, _) => close(),
            (Command::Toggle, _, _) if open.get_untracked() => minimize(),
            (Command::Toggle, _, _) => open.set(true),
            (Command::Send(text), _, Some(send)) => send.run(text),
            (Command::NewConversation, Some(chat), _) => chat.new_conversation(&greeting),
            (Command::SetSessionAttributes(changes), Some(chat), _) => chat.set_page_attributes(changes),
            (Command::SetLogin(login), Some(chat), _) => chat.set_login(login),
            // Without a config the widget cannot chat; the console said why when it mounted.
            _ => {}
        });
    }
    follow_turns(transcript, page.clone(), move || {
        if !open.get_untracked() {
            unread.set(true);
        }
    });
    let page_for_open = page.clone();
    // Its state lives in the closure: an effect returning `()`, as the others do, adds no code
    // for another effect type (~0.5 KB gzip).
    let mut was_open = false;
    Effect::new(move |_| {
        let is_open = open.get();
        // Remembered for a reload: the loader then loads the widget at once and it opens again.
        storage.remember_open(is_open);
        if let Some(page) = page_for_open.as_ref().filter(|_| was_open != is_open) {
            page.emit(if is_open { "open" } else { "close" }, &serde_json::Value::Null);
        }
        was_open = is_open;
        if is_open {
            unread.set(false);
        }
        // The visitor is about to ask: sign in and open the stream now, not after Enter, and
        // have the streamed answer's code compiled while they type.
        if let (true, Some(chat)) = (is_open, chat) {
            leptos::task::spawn_local(chat.prepare());
            if warm_up_streams {
                crate::warm_up::start_when_idle();
            }
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

/// Whether keyboard focus is inside the widget holding `element` (its shadow root).
fn focus_is_inside(element: &web_sys::HtmlButtonElement) -> bool {
    use wasm_bindgen::JsCast;
    element
        .get_root_node()
        .dyn_into::<web_sys::ShadowRoot>()
        .is_ok_and(|root| root.active_element().is_some())
}
