//! The streamed-answer path made ready while the visitor types their first question. V8 compiles
//! each wasm function the first time it is called, on the main thread that calls it: a page's
//! first answer would otherwise pay, in its first frames and paints, for compiling the frame
//! reader, the transcript, the streaming Markdown renderer and the sanitizer (in a 2,000-frame
//! answer, ~350 functions). Once per page, when the chat opens and the page is idle, a sample
//! answer goes through that same code — frames read into a throwaway transcript, painted piece
//! by piece into a detached element, finished on its nodes — and is dropped. Nothing reaches
//! the page, the network or the visitor's saved conversation.

use std::cell::Cell;

use lexstream_protocol::lex::{Message, MessageContentType};
use lexstream_protocol::parse_incoming;
use lexstream_protocol::render::policy::ImageOrigins;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use crate::stream_painter::{Format, StreamPainter};
use crate::transcript::{AnswerPart, Entry, Reply, Transcript};

/// What answers are made of: a heading, emphasis, code, a link, lists, a quote, a table and a
/// fenced block, so the renderer's code for each has run once.
pub const SAMPLE_ANSWER: &str = "## Your order\n\nThanks for asking! Here is **what we found** for \
order `A-1042`, *shipped* on Monday ~~late~~.\n\n- Two items are on their way\n- One is \
[back-ordered](https://example.com/orders)\n\n1. Track it\n2. Change the address\n\n> Delivery \
usually takes 3 days.\n\n| Item | Status |\n| --- | --- |\n| Lamp | shipped |\n\n```\nstatus: \
shipped\n```\n\nAnything else?";

/// Pieces the sample streams in, as frames do.
const SAMPLE_FRAMES: usize = 6;

/// The sample's turn id; it never leaves the throwaway transcript.
const SAMPLE_TURN: &str = "warm-up";

thread_local! {
    static STARTED: Cell<bool> = const { Cell::new(false) };
}

/// Runs the sample answer once per page, when the browser is idle (right away in a browser
/// without `requestIdleCallback`, after the current task).
pub fn when_idle() {
    if STARTED.replace(true) {
        return;
    }
    let Some(window) = web_sys::window() else { return };
    let run = Closure::once_into_js(|| {
        run_sample_answer();
    });
    if window.request_idle_callback(run.unchecked_ref()).is_err() {
        let _ = window.set_timeout_with_callback(run.unchecked_ref());
    }
}

/// Streams [`SAMPLE_ANSWER`] through the transcript and a painter into a detached element, and
/// finishes it as the reply does when Lex's answer is the Markdown that streamed. Returns that
/// element when the answer finished on the streamed nodes, as a real one would.
pub fn run_sample_answer() -> Option<web_sys::Element> {
    let root = web_sys::window()?.document()?.create_element("div").ok()?;
    let mut transcript = Transcript::default();
    transcript.ask("", SAMPLE_TURN);
    let mut painter = StreamPainter::new(root.clone(), ImageOrigins::default());
    let chars: Vec<char> = SAMPLE_ANSWER.chars().collect();
    let cut = |piece: usize| piece * chars.len() / SAMPLE_FRAMES;
    for piece in 0..SAMPLE_FRAMES {
        let text: String = chars[cut(piece)..cut(piece + 1)].iter().collect();
        let text = serde_json::to_string(&text).unwrap_or_default();
        let frame = format!(r#"{{"type":"chunk","turn":"{SAMPLE_TURN}","seq":{piece},"text":{text}}}"#);
        transcript.on_incoming(parse_incoming(&frame));
        if let Some(Entry::Bot { reply: Reply::Streaming(assembler), .. }) = transcript.entries().last() {
            painter.paint(assembler.text(), Format::Markdown);
        }
    }
    transcript.finalize(SAMPLE_TURN, &[Message::text(MessageContentType::CustomPayload, SAMPLE_ANSWER)]);
    let Some(Entry::Bot { reply: Reply::Final { parts, text, .. }, .. }) = transcript.entries().last() else {
        return None;
    };
    let [AnswerPart::Markup(markup)] = parts.as_slice() else { return None };
    painter.finish_as(text, markup).then_some(root)
}
