//! The conversation log: visitor bubbles and bot replies ([`BotReply`]), the scroll that follows
//! new text, and a polite status line for screen readers.

use std::hash::{DefaultHasher, Hash, Hasher};

use leptos::html;
use leptos::prelude::*;

use super::BotReply;
use crate::config::StreamingFormat;
use crate::conversation::Conversation;
use crate::strings::{Strings, Text};
use crate::transcript::{Entry, Reply};

/// Shows the conversation; a card button sends its value through `on_choose`. Only a reply's
/// change of state re-runs the log; streamed text wakes its own reply.
#[component]
pub fn TranscriptView(
    /// The conversation.
    conversation: Conversation,
    /// How streamed text shows.
    format: StreamingFormat,
    /// Sends a card button's value as the visitor's next message.
    on_choose: Callback<String>,
    /// The widget's texts (English unless given).
    #[prop(optional)]
    strings: Strings,
) -> impl IntoView {
    let transcript = conversation.transcript;
    let status = move || {
        transcript.with(|t| match t.entries().last() {
            Some(Entry::Bot { reply: Reply::Final { .. }, .. }) if t.entries().len() > 1 => {
                strings.get(Text::AnswerComplete)
            }
            Some(Entry::Bot { reply: Reply::Failed { .. }, .. }) => strings.get(Text::AnswerFailed),
            Some(Entry::Bot { reply: Reply::Waiting | Reply::Streaming(_), .. }) => {
                strings.get(Text::Answering)
            }
            _ => "",
        })
    };
    // Follow new text while the visitor is at the bottom; stop when they scroll up to read,
    // and follow again once they send something.
    let log_ref = NodeRef::<html::Div>::new();
    let follow = StoredValue::new(true);
    let entries_seen = StoredValue::new(0_usize);
    // Where our own last scroll left the log: the scroll event it fires is not the visitor's.
    let our_scroll_top = StoredValue::new(-1_i32);
    // It runs in a screen frame: the view may have gone by then (the panel closed).
    let scroll_to_end = move || {
        if let Some(log) = log_ref.try_get_untracked().flatten()
            && follow.try_get_value() == Some(true)
        {
            log.set_scroll_top(log.scroll_height());
            our_scroll_top.set_value(log.scroll_top());
        }
    };
    Effect::new(move |_| {
        let sent_since = transcript.with(|t| {
            let entries = t.entries();
            let new = entries.get(entries_seen.get_value()..).unwrap_or_default();
            entries_seen.set_value(entries.len());
            new.iter().any(|entry| matches!(entry, Entry::Visitor(_)))
        });
        if sent_since {
            follow.set_value(true);
        }
        // After this update reaches the DOM, so the new height counts.
        request_animation_frame(scroll_to_end);
    });
    // Streamed text is painted in an animation frame already: follow it at once.
    let on_painted = Callback::new(move |()| scroll_to_end());
    let on_scroll = move |_| {
        if let Some(log) = log_ref.get_untracked()
            && (log.scroll_top() - our_scroll_top.get_value()).abs() > 1
        {
            follow.set_value(log.scroll_height() - log.scroll_top() - log.client_height() < 40);
        }
    };
    view! {
        <div class="lxs-log" role="log" aria-live="off" data-testid="transcript" node_ref=log_ref on:scroll=on_scroll>
            <For
                each=move || transcript.with(|t| t.entries().iter().map(identity).enumerate().collect::<Vec<_>>())
                key=|keyed| *keyed
                children=move |(index, _)| {
                    let visitor_text = transcript.with_untracked(|t| match t.entries().get(index) {
                        Some(Entry::Visitor(text)) => Some(text.clone()),
                        _ => None,
                    });
                    match visitor_text {
                        Some(text) => view! {
                            <p class="lxs-bubble lxs-visitor" data-testid="visitor-message">{text}</p>
                        }
                        .into_any(),
                        None => view! {
                            <BotReply index=index conversation=conversation format=format on_choose=on_choose on_painted=on_painted typing=strings.get(Text::Typing) />
                        }
                        .into_any(),
                    }
                }
            />
        </div>
        <p class="lxs-sr-only" role="status" aria-live="polite" data-testid="status">{status}</p>
    }
}

/// What identifies an entry's view: a visitor's text, or a reply's turn. A reply keeps its view
/// through all its states ([`BotReply`] follows them), so the streamed nodes can survive into
/// the final answer.
fn identity(entry: &Entry) -> u64 {
    let mut hasher = DefaultHasher::new();
    match entry {
        Entry::Visitor(text) => (0_u8, text).hash(&mut hasher),
        Entry::Bot { turn, .. } => (1_u8, turn).hash(&mut hasher),
    }
    hasher.finish()
}
