//! The conversation log: visitor and bot bubbles, the typing indicator, streamed text, final
//! answers (sanitized HTML), cards with buttons, and a polite status line for screen readers.

use std::hash::{DefaultHasher, Hash, Hasher};

use leptos::html;
use leptos::prelude::*;

use crate::sanitize::sanitize_html;
use crate::transcript::{AnswerPart, Entry, Reply, Transcript};

/// Shows the transcript; a card button sends its value through `on_choose`.
#[component]
pub fn TranscriptView(
    /// The conversation.
    transcript: RwSignal<Transcript>,
    /// Sends a card button's value as the visitor's next message.
    on_choose: Callback<String>,
) -> impl IntoView {
    let status = move || {
        transcript.with(|t| match t.entries().last() {
            Some(Entry::Bot { reply: Reply::Final(_), .. }) if t.entries().len() > 1 => {
                "The answer is complete."
            }
            Some(Entry::Bot { reply: Reply::Failed { .. }, .. }) => "The answer failed.",
            Some(Entry::Bot { reply: Reply::Waiting | Reply::Streaming(_), .. }) => {
                "The assistant is answering…"
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
        request_animation_frame(move || {
            if let Some(log) = log_ref.get_untracked()
                && follow.get_value()
            {
                log.set_scroll_top(log.scroll_height());
                our_scroll_top.set_value(log.scroll_top());
            }
        });
    });
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
                each=move || transcript.with(|t| t.entries().iter().map(fingerprint).enumerate().collect::<Vec<_>>())
                key=|keyed| *keyed
                children=move |(index, _)| {
                    transcript.with_untracked(|t| t.entries().get(index).map(|entry| entry_view(entry, on_choose)))
                }
            />
        </div>
        <p class="lxs-sr-only" role="status" aria-live="polite" data-testid="status">{status}</p>
    }
}

/// What identifies how an entry looks: a bubble is rebuilt only when this changes, so a streamed
/// frame touches one bubble, not the whole log (and answers aren't re-sanitized). Cheap per
/// frame: a turn id is unique to its reply, a final or failed reply never changes afterwards, and
/// streamed text only grows, so its length (with the status line) says when it changed.
fn fingerprint(entry: &Entry) -> u64 {
    let mut hasher = DefaultHasher::new();
    match entry {
        Entry::Visitor(text) => (0_u8, text).hash(&mut hasher),
        Entry::Bot { turn, reply } => {
            turn.hash(&mut hasher);
            match reply {
                Reply::Waiting => 1_u8.hash(&mut hasher),
                Reply::Streaming(assembler) => {
                    (2_u8, assembler.text().len(), assembler.status()).hash(&mut hasher);
                }
                Reply::Final(_) => 3_u8.hash(&mut hasher),
                Reply::Failed { .. } => 4_u8.hash(&mut hasher),
            }
        }
    }
    hasher.finish()
}

fn entry_view(entry: &Entry, on_choose: Callback<String>) -> AnyView {
    match entry {
        Entry::Visitor(text) => {
            view! { <p class="lxs-bubble lxs-visitor" data-testid="visitor-message">{text.clone()}</p> }.into_any()
        }
        Entry::Bot { reply: Reply::Waiting, .. } => view! {
            <p class="lxs-bubble lxs-bot lxs-typing" data-testid="bot-message" data-state="waiting" aria-busy="true">
                <span class="lxs-dot"></span><span class="lxs-dot"></span><span class="lxs-dot"></span>
                <span class="lxs-sr-only">"The assistant is typing"</span>
            </p>
        }
        .into_any(),
        Entry::Bot { reply: Reply::Streaming(assembler), .. } => {
            let status = assembler.status().map(str::to_owned);
            view! {
                <div class="lxs-bubble lxs-bot" data-testid="bot-message" data-state="streaming" aria-busy="true">
                    <p class="lxs-streamed">{assembler.text().to_owned()}</p>
                    {status.map(|line| view! { <p class="lxs-progress">{line}</p> })}
                </div>
            }
            .into_any()
        }
        Entry::Bot { reply: Reply::Final(parts), .. } => {
            let parts = parts.iter().map(|part| part_view(part, on_choose)).collect_view();
            view! { <div class="lxs-bubble lxs-bot" data-testid="bot-message" data-state="final">{parts}</div> }.into_any()
        }
        Entry::Bot { reply: Reply::Failed { message, partial }, .. } => view! {
            <div class="lxs-bubble lxs-bot lxs-failed" data-testid="bot-message" data-state="failed">
                {(!partial.is_empty()).then(|| view! { <p class="lxs-streamed">{partial.clone()}</p> })}
                <p role="alert">{message.clone()}</p>
            </div>
        }
        .into_any(),
    }
}

fn part_view(part: &AnswerPart, on_choose: Callback<String>) -> AnyView {
    match part {
        AnswerPart::Markup(markup) => {
            view! { <div class="lxs-answer" inner_html=sanitize_html(markup)></div> }.into_any()
        }
        AnswerPart::Card { title, subtitle, buttons } => {
            let buttons = buttons
                .iter()
                .map(|(label, value)| {
                    let value = value.clone();
                    view! {
                        <button type="button" class="lxs-card-button" on:click=move |_| on_choose.run(value.clone())>
                            {label.clone()}
                        </button>
                    }
                })
                .collect_view();
            view! {
                <div class="lxs-card" data-testid="card">
                    <p class="lxs-card-title">{title.clone()}</p>
                    {subtitle.clone().map(|s| view! { <p class="lxs-card-subtitle">{s}</p> })}
                    <div class="lxs-card-buttons">{buttons}</div>
                </div>
            }
            .into_any()
        }
    }
}
