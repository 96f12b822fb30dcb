//! The streamed-answer path made ready while the visitor types their first question. V8 compiles
//! each wasm function the first time it is called, on the main thread that calls it: a page's
//! first answer would otherwise pay, in its first frames and paints, for compiling the frame
//! reader, the transcript, the streaming Markdown renderer and the sanitizer (in a 2,000-frame
//! answer, ~350 functions) and, before it, for the view's new bubbles and for writing and signing
//! the question's request. Once per page, when the chat opens, a sample answer goes through that
//! same code, one step per idle callback, in a conversation of its own shown by the real
//! `TranscriptView` on a detached element: the question asked and the transcript saved; frames
//! read and painted piece by piece by the reply's own view; a Lex request written and signed, a
//! Lex response read, and the reply finished on its nodes. Then it is dropped. Nothing reaches
//! the page, the network or the visitor's saved conversation.
//!
//! Only where the browser has `requestIdleCallback`: without it (Safari) there is no idle time
//! to use, and its engine does not compile wasm lazily on the main thread as V8 does.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::hint::black_box;

use leptos::prelude::*;
use lexstream_protocol::lex::{ATTR_STREAMING_TURN_ID, RecognizeTextResponse};
use lexstream_protocol::parse_incoming;
use lexstream_protocol::sigv4::Credentials;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{Element, HtmlElement};

use crate::aws::lex::{self, Question};
use crate::components::TranscriptView;
use crate::config::StreamingFormat;
use crate::conversation::Conversation;
use crate::persistence::transcript_text;
use crate::transcript::Transcript;

/// What answers are made of: a heading, emphasis, code, a link, lists, a quote, a table and a
/// fenced block, so the renderer's code for each has run once.
pub const SAMPLE_ANSWER: &str = "## Your order\n\nThanks for asking! Here is **what we found** for \
order `A-1042`, *shipped* on Monday ~~late~~.\n\n- Two items are on their way\n- One is \
[back-ordered](https://example.com/orders)\n\n1. Track it\n2. Change the address\n\n> Delivery \
usually takes 3 days.\n\n| Item | Status |\n| --- | --- |\n| Lamp | shipped |\n\n```\nstatus: \
shipped\n```\n\nAnything else?";

/// The question the sample answers.
const SAMPLE_QUESTION: &str = "Where is my order?";

/// Pieces the sample streams in, as frames do.
const SAMPLE_FRAMES: usize = 6;

/// The sample's turn id (and its rehearsed Lex session id); it never leaves the page.
const SAMPLE_TURN: &str = "warm-up";

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

/// Starts the sample answer, once per page: each of its steps (the question, a frame, the final
/// answer) runs in an idle callback of its own, so none holds the page for long; the view's
/// effects and paints run between them. The sample is made in the first of them, outside any
/// reactive owner: one made where this is called would be disposed with its caller's owner
/// (the widget calls it from an effect that runs again when the panel closes).
pub fn start_when_idle() {
    if !STARTED.replace(true) {
        step_when_idle(None);
    }
}

/// Runs the sample's next step in an idle callback (made first, when there is none yet).
fn step_when_idle(sample: Option<SampleAnswer>) {
    let Some(window) = web_sys::window() else { return };
    let step = Closure::once_into_js(move || {
        if let Some(mut sample) = sample.or_else(SampleAnswer::new)
            && sample.step()
        {
            step_when_idle(Some(sample));
        }
    });
    // Refused where there is no `requestIdleCallback`: then nothing runs (and the sample, if
    // made, is dropped).
    let _ = window.request_idle_callback(step.unchecked_ref());
}

/// Streams [`SAMPLE_ANSWER`] (for tests: [`start_when_idle`] does it in idle time), letting the
/// view paint between steps, and returns the detached element its reply's streamed text was
/// painted in when the reply finished on those nodes, as a real answer whose Markdown is what
/// streamed does.
pub async fn run_sample_answer() -> Option<Element> {
    let mut sample = SampleAnswer::new()?;
    while sample.step() {
        next_screen_frame().await;
        crate::sleep::sleep_ms(0).await;
    }
    let reply = sample.host.query_selector("[data-testid='bot-message'][data-state='final']").ok()??;
    let streamed: HtmlElement = reply.query_selector(".lxs-streamed").ok()??.dyn_into().ok()?;
    (!streamed.hidden()).then(|| streamed.into())
}

async fn next_screen_frame() {
    let frame = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.request_animation_frame(&resolve);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(frame).await;
}

/// The sample answer under way: a conversation of its own, shown on a detached element.
struct SampleAnswer {
    conversation: Conversation,
    host: HtmlElement,
    /// The mounted view (dropping it unmounts it), then the owner of the conversation's signals
    /// (fields drop in order: the replies stop listening before the conversation goes).
    _view: Box<dyn std::any::Any>,
    _owner: Owner,
    chars: Vec<char>,
    next_step: usize,
}

impl SampleAnswer {
    fn new() -> Option<Self> {
        let host: HtmlElement = web_sys::window()?.document()?.create_element("div").ok()?.dyn_into().ok()?;
        let owner = Owner::new();
        let conversation = owner.with(|| Conversation::new(Transcript::default()));
        let view = leptos::mount::mount_to(host.clone(), move || {
            let on_choose = Callback::new(|_: String| {});
            view! { <TranscriptView conversation=conversation format=StreamingFormat::Markdown on_choose=on_choose /> }
        });
        let chars = SAMPLE_ANSWER.chars().collect();
        Some(Self { conversation, host, _view: Box::new(view), _owner: owner, chars, next_step: 0 })
    }

    /// Asks the question and saves the transcript (first step), reads the next frame, or, after
    /// the last, reads the rehearsed Lex answer (the Markdown that streamed) and finishes the
    /// reply with it; one step more lets the view finish. Returns whether a step is left.
    fn step(&mut self) -> bool {
        let step = self.next_step;
        self.next_step += 1;
        let transcript = self.conversation.transcript;
        match step {
            0 => {
                transcript.update(|t| t.ask(SAMPLE_QUESTION, SAMPLE_TURN));
                transcript.with_untracked(|t| black_box(transcript_text(&t.saved())));
            }
            piece @ 1..=SAMPLE_FRAMES => {
                let piece = piece - 1;
                let cut = |piece: usize| piece * self.chars.len() / SAMPLE_FRAMES;
                let text: String = self.chars[cut(piece)..cut(piece + 1)].iter().collect();
                let text = serde_json::to_string(&text).unwrap_or_default();
                let frame =
                    format!(r#"{{"type":"chunk","turn":"{SAMPLE_TURN}","seq":{piece},"text":{text}}}"#);
                self.conversation.receive(parse_incoming(&frame));
            }
            _ if step == SAMPLE_FRAMES + 1 => {
                let messages = rehearse_lex().ok().and_then(|answer| answer.messages).unwrap_or_default();
                transcript.update(|t| t.finalize(SAMPLE_TURN, &messages));
                transcript.with_untracked(|t| black_box(transcript_text(&t.saved())));
            }
            _ => return false,
        }
        true
    }
}

/// Writes and signs the sample question as a Lex request (with made-up credentials: it is never
/// sent) and reads Lex's answer to it, [`SAMPLE_ANSWER`] as a `RecognizeText` response.
fn rehearse_lex() -> Result<RecognizeTextResponse, String> {
    let credentials = Credentials {
        access_key_id: "ASIAWARMUP".into(),
        secret_access_key: "warm-up".into(),
        session_token: Some("warm-up".into()),
    };
    let question = Question {
        session_id: SAMPLE_TURN.into(),
        text: SAMPLE_QUESTION,
        session_attributes: BTreeMap::new(),
        request_attributes: BTreeMap::from([(ATTR_STREAMING_TURN_ID.to_owned(), SAMPLE_TURN.to_owned())]),
    };
    let content = serde_json::to_string(SAMPLE_ANSWER).map_err(|e| e.to_string())?;
    let answer = format!(
        r#"{{"messages":[{{"content":{content},"contentType":"CustomPayload"}}],"sessionState":{{"dialogAction":{{"type":"Close"}},"intent":{{"name":"FallbackIntent","state":"Fulfilled","confirmationState":"None"}},"sessionAttributes":{{}}}},"sessionId":"{SAMPLE_TURN}"}}"#
    );
    lex::rehearse(&question, "us-east-1", &credentials, &answer)
}
