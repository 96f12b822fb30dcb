//! One bot reply through its life: the typing dots, the streamed text (painted by hand, at most
//! once per screen frame however fast frames come, less often when paints are costly), its progress line and stream error, then
//! the final answer — which keeps the streamed nodes when it is the same Markdown, so nothing
//! jumps at the end.

use leptos::html;
use leptos::prelude::*;
use lexstream_protocol::render::policy::ImageOrigins;

use crate::config::StreamingFormat;
use crate::conversation::Conversation;
use crate::paint_budget::PaintBudget;
use crate::sanitize::sanitize_html;
use crate::sleep::sleep_ms;
use crate::stream_painter::{Format, StreamPainter};
use crate::transcript::{AnswerPart, Entry, Reply};

/// Where a reply stands, as far as the view's structure goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Streaming,
    Final,
    Failed,
}

impl Phase {
    fn of(entry: Option<&Entry>) -> Self {
        match entry {
            Some(Entry::Bot { reply: Reply::Waiting, .. }) => Self::Waiting,
            Some(Entry::Bot { reply: Reply::Streaming(_), .. }) => Self::Streaming,
            Some(Entry::Bot { reply: Reply::Failed { .. }, .. }) => Self::Failed,
            _ => Self::Final,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Waiting => "waiting",
            Self::Streaming => "streaming",
            Self::Final => "final",
            Self::Failed => "failed",
        }
    }
}

/// The reply at `index` of the conversation.
#[component]
pub fn BotReply(
    /// Its position in the transcript.
    index: usize,
    /// The conversation.
    conversation: Conversation,
    /// How streamed v1 text shows.
    format: StreamingFormat,
    /// Sends a card button's value.
    on_choose: Callback<String>,
    /// Runs after new streamed text is on screen (the log follows it).
    on_painted: Callback<()>,
    /// What assistive technology hears while the reply is awaited (`ui.strings.typing`).
    typing: &'static str,
) -> impl IntoView {
    let transcript = conversation.transcript;
    let phase = Memo::new(move |_| transcript.with(|t| Phase::of(t.entries().get(index))));
    let stream_ref = NodeRef::<html::Div>::new();
    let painter = StoredValue::new_local(None::<StreamPainter>);
    let progress = RwSignal::new(None::<String>);
    let stream_error = RwSignal::new(None::<String>);

    let paint = move || {
        let Some(root) = stream_ref.get_untracked() else { return };
        let painted = transcript.try_with_untracked(|t| {
            let Some(Entry::Bot { reply: Reply::Streaming(assembler), .. }) = t.entries().get(index) else {
                return false;
            };
            let plain = format == StreamingFormat::Text || assembler.has_legacy_text();
            let format = if plain { Format::Plain } else { Format::Markdown };
            painter.update_value(|painter| {
                painter
                    .get_or_insert_with(|| StreamPainter::new(root.into(), t.image_origins().clone()))
                    .paint(assembler.text(), format);
            });
            set_if_changed(progress, assembler.status());
            set_if_changed(stream_error, assembler.error());
            true
        });
        if painted == Some(true) {
            on_painted.run(());
        }
    };
    // Frames mark the reply dirty; one paint, in a screen frame the paint budget allows, draws
    // whatever arrived. A reply that has finished ignores them (its turn is no longer streaming).
    let paint_scheduled = StoredValue::new(false);
    let budget = StoredValue::new(PaintBudget::default());
    let schedule_paint = move || {
        // Most frames find a paint already scheduled: that check comes first, as it is cheaper.
        if paint_scheduled.try_get_value() != Some(false) {
            return;
        }
        let streaming = transcript
            .try_with_untracked(|t| {
                matches!(t.entries().get(index), Some(Entry::Bot { reply: Reply::Streaming(_), .. }))
            })
            .unwrap_or(false);
        // `None`: the flag was set (the reply is still there).
        if streaming && paint_scheduled.try_set_value(true).is_none() {
            paint_when_due(budget, move || {
                if paint_scheduled.try_update_value(|scheduled| *scheduled = false).is_some() {
                    paint();
                }
            });
        }
    };
    // Only a reply still under way when it is shown can stream; a finished one (the greeting,
    // the saved history) never listens, so a frame costs nothing per reply in the log.
    if matches!(phase.get_untracked(), Phase::Waiting | Phase::Streaming) {
        conversation.on_stream(schedule_paint);
        // A reply restored as streaming (after a reload) paints once at once.
        schedule_paint();
    }
    // The final answer keeps the streamed nodes when, finished, they are exactly its markup. The
    // answer may come before the stream's last frames (Lex answers over HTTP while they are still
    // on the socket): when its Markdown goes on from the blocks shown, the rest is painted onto
    // the nodes on screen rather than the whole answer replacing them.
    let kept_stream = Memo::new(move |_| {
        if phase.get() != Phase::Final {
            return false;
        }
        transcript.with_untracked(|t| match t.entries().get(index) {
            Some(Entry::Bot { reply: Reply::Final { parts, streamed: Some(streamed), text }, .. }) => {
                match parts.as_slice() {
                    // The answer's text first (it may go on from what streamed), then what streamed
                    // (the answer had messages besides this one); a refused try changes nothing.
                    [AnswerPart::Markup(markup)] => painter
                        .try_update_value(|painter| {
                            painter
                                .as_mut()
                                .is_some_and(|p| p.finish_as(text, markup) || p.finish_as(streamed, markup))
                        })
                        .unwrap_or(false),
                    _ => false,
                }
            }
            _ => false,
        })
    });
    let stream_shown = move || phase.get() == Phase::Streaming || kept_stream.get();
    let busy = move || matches!(phase.get(), Phase::Waiting | Phase::Streaming);
    let class = move || match phase.get() {
        Phase::Waiting => "lxs-bubble lxs-bot lxs-typing",
        Phase::Failed => "lxs-bubble lxs-bot lxs-failed",
        Phase::Streaming | Phase::Final => "lxs-bubble lxs-bot",
    };
    let live_line = move |line: RwSignal<Option<String>>, class: &'static str, role: Option<&'static str>| {
        move || {
            (phase.get() == Phase::Streaming)
                .then(|| line.get())
                .flatten()
                .map(|text| view! { <p class=class role=role>{text}</p> })
        }
    };
    let answer = move || {
        match phase.get() {
        Phase::Final if !kept_stream.get() => transcript.with_untracked(|t| match t.entries().get(index) {
            Some(Entry::Bot { reply: Reply::Final { parts, .. }, .. }) => Some(
                parts.iter().map(|part| part_view(part, t.image_origins(), on_choose)).collect_view().into_any(),
            ),
            _ => None,
        }),
        Phase::Failed => transcript.with_untracked(|t| match t.entries().get(index) {
            Some(Entry::Bot { reply: Reply::Failed { message, partial }, .. }) => {
                let (message, partial) = (message.clone(), partial.clone());
                Some(
                    view! {
                        {(!partial.is_empty()).then(|| view! { <p class="lxs-streamed" data-format="text">{partial}</p> })}
                        <p role="alert">{message}</p>
                    }
                    .into_any(),
                )
            }
            _ => None,
        }),
        _ => None,
    }
    };

    view! {
        <div class=class data-testid="bot-message" data-state=move || phase.get().name() aria-busy=move || busy().to_string()>
            <Show when=move || phase.get() == Phase::Waiting>
                <span class="lxs-dot"></span><span class="lxs-dot"></span><span class="lxs-dot"></span>
                <span class="lxs-sr-only">{typing}</span>
            </Show>
            <div class="lxs-streamed lxs-answer" node_ref=stream_ref hidden=move || !stream_shown()></div>
            {live_line(progress, "lxs-progress", None)}
            {live_line(stream_error, "lxs-stream-error", Some("alert"))}
            {answer}
        </div>
    }
}

/// Runs `paint` in the first screen frame `budget` allows, and notes what it cost. Until then it
/// sleeps on a timer rather than asking for a frame: a frame the page asks for costs a commit
/// and a pre-paint even when nothing changed. Nothing runs once the reply is gone.
fn paint_when_due(budget: StoredValue<PaintBudget>, paint: impl Fn() + Clone + 'static) {
    match budget.try_with_value(|budget| budget.wait_ms(js_sys::Date::now())) {
        None => {}
        Some(wait) if wait > 0.0 => leptos::task::spawn_local(async move {
            sleep_ms(wait.ceil() as u32).await;
            paint_when_due(budget, paint);
        }),
        Some(_) => request_animation_frame(move || {
            let started = js_sys::Date::now();
            paint();
            budget.try_update_value(|budget| budget.painted(started, js_sys::Date::now()));
        }),
    }
}

fn set_if_changed(signal: RwSignal<Option<String>>, value: Option<&str>) {
    if signal.with_untracked(|shown| shown.as_deref() != value) {
        signal.set(value.map(str::to_owned));
    }
}

/// One part of a final answer: markup sanitized (images from `images` only), or a card.
fn part_view(part: &AnswerPart, images: &ImageOrigins, on_choose: Callback<String>) -> AnyView {
    match part {
        AnswerPart::Markup(markup) => {
            view! { <div class="lxs-answer" inner_html=sanitize_html(markup, images)></div> }.into_any()
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
