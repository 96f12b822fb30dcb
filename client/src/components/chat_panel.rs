//! The chat panel: header with title, new-conversation, minimize and close buttons, the
//! conversation, the composer.

use leptos::ev::KeyboardEvent;
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::{Composer, DebugView, PANEL_ID, TranscriptView};
use crate::config::StreamingFormat;
use crate::conversation::Conversation;
use crate::debug_log::DebugEntry;
use crate::strings::{Strings, Text};
use crate::transcript::Transcript;

/// The open chat. Focus moves to the message box when it opens; Escape minimizes it.
#[component]
pub fn ChatPanel(
    /// Title shown in the header and used as the dialog's accessible name.
    title: String,
    /// The conversation.
    conversation: Conversation,
    /// How streamed text shows.
    format: StreamingFormat,
    /// Sends a message (None when the chat is not configured).
    on_send: Option<Callback<String>>,
    /// Starts a new conversation (None when the chat is not configured).
    on_new_conversation: Option<Callback<()>>,
    /// Stops the answer under way (None when the transport can't).
    on_stop: Option<Callback<String>>,
    /// The debug view's events, when the config turns it on.
    debug: Option<RwSignal<Vec<DebugEntry>>>,
    /// Hides the panel; the conversation and its stream go on (button or Escape).
    on_minimize: impl Fn() + Clone + Send + Sync + 'static,
    /// Hides the panel and ends the stream; the conversation is kept for the next visit.
    on_close: impl Fn() + Send + Sync + 'static,
    /// The widget's texts (English unless given).
    #[prop(optional)]
    strings: Strings,
) -> impl IntoView {
    let transcript = conversation.transcript;
    let input_ref = NodeRef::<html::Textarea>::new();
    let close_ref = NodeRef::<html::Button>::new();
    let enabled = on_send.is_some();
    Effect::new(move |_| {
        let target: Option<web_sys::HtmlElement> =
            if enabled { input_ref.get().map(Into::into) } else { close_ref.get().map(Into::into) };
        if let Some(target) = target.filter(visitor_reached_for_it) {
            let _ = target.focus();
        }
    });
    let on_keydown = {
        let on_minimize = on_minimize.clone();
        move |event: KeyboardEvent| {
            if event.key() == "Escape" {
                on_minimize();
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
                        aria-label=strings.get(Text::NewConversation)
                        title=strings.get(Text::NewConversationTooltip)
                        on:click=move |_| start.run(())
                    >
                        "↺"
                    </button>
                })}
                <button
                    type="button"
                    class="lxs-close"
                    data-testid="minimize"
                    aria-label=strings.get(Text::Minimize)
                    title=strings.get(Text::MinimizeTooltip)
                    on:click=move |_| on_minimize()
                >
                    "–"
                </button>
                <button
                    type="button"
                    class="lxs-close"
                    data-testid="close"
                    title=strings.get(Text::CloseTooltip)
                    aria-label=strings.get(Text::Close)
                    node_ref=close_ref
                    on:click=move |_| on_close()
                >
                    "×"
                </button>
            </header>
            <TranscriptView conversation=conversation format=format on_choose=send strings=strings />
            {on_stop.map(|stop| {
                let answering = move || transcript.with(Transcript::answering_turn);
                let (label, text) = (strings.get(Text::Stop), strings.get(Text::StopButton));
                view! {
                    <Show when=move || answering().is_some()>
                        <button
                            type="button"
                            class="lxs-stop"
                            data-testid="stop"
                            aria-label=label
                            on:click=move |_| {
                                if let Some(turn) = answering() {
                                    stop.run(turn);
                                }
                                // The button goes with the answer: the focus goes to the message
                                // box rather than drop to the page.
                                if let Some(input) = input_ref.get_untracked() {
                                    let _ = input.focus();
                                }
                            }
                        >
                            {text}
                        </button>
                    </Show>
                }
            })}
            {debug.map(|log| view! { <DebugView log=log /> })}
            <Composer on_send=send enabled=enabled node_ref=input_ref strings=strings />
        </section>
    }
}

/// Whether the panel holding `element` opens because the visitor reached for it — they just
/// clicked or pressed a key (the page's `open()` in their click handler too), or the focus is on
/// the widget (its launcher) — so it takes the focus. Opened by the page on its own (on load,
/// after a reload), it leaves the focus where the visitor has it. Without
/// `navigator.userActivation` (older browsers), it takes the focus.
fn visitor_reached_for_it(element: &web_sys::HtmlElement) -> bool {
    let Some(window) = web_sys::window() else { return true };
    let host = element.get_root_node().dyn_into::<web_sys::ShadowRoot>().ok().map(|root| root.host());
    let focus_on_widget = window.document().and_then(|d| d.active_element()).is_some_and(|a| Some(a) == host);
    let field = |object: &wasm_bindgen::JsValue, name: &str| {
        js_sys::Reflect::get(object, &name.into()).unwrap_or_default()
    };
    let activation = field(&field(&window, "navigator"), "userActivation");
    focus_on_widget || activation.is_undefined() || field(&activation, "isActive").is_truthy()
}
