//! The streamed-answer path made ready while the visitor types their first question. V8 compiles
//! each wasm function the first time it is called, on the main thread that calls it: a page's
//! first answer would otherwise pay, in its first frames and paints, for compiling the frame
//! reader, the transcript, the streaming Markdown renderer and the sanitizer (in a 2,000-frame
//! answer, ~350 functions) and, before it, for writing and signing the question's request. Once
//! per page, when the chat opens, a sample answer goes through that same code, one step per idle
//! callback: a question written as the transcript is saved; frames read into a throwaway
//! transcript and painted piece by piece into a detached element; a Lex request written and
//! signed, a Lex response read, and the reply finished on its nodes. Then it is dropped. Nothing
//! reaches the page, the network or the visitor's saved conversation.
//!
//! Only where the browser has `requestIdleCallback`: without it (Safari) there is no idle time
//! to use, and its engine does not compile wasm lazily on the main thread as V8 does.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::hint::black_box;

use lexstream_protocol::lex::{ATTR_STREAMING_TURN_ID, RecognizeTextResponse};
use lexstream_protocol::parse_incoming;
use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::sigv4::Credentials;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::Element;

use crate::aws::lex::{self, Question};
use crate::persistence::transcript_text;
use crate::stream_painter::{Format, StreamPainter};
use crate::transcript::{AnswerPart, Entry, Reply, Transcript};

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

/// Starts the sample answer, once per page: each of its steps (a frame and its paint, then the
/// final answer) runs in an idle callback of its own, so none holds the page for long.
pub fn start_when_idle() {
    if STARTED.replace(true) {
        return;
    }
    if let Some(root) =
        web_sys::window().and_then(|w| w.document()).and_then(|d| d.create_element("div").ok())
    {
        step_when_idle(SampleAnswer::new(root));
    }
}

fn step_when_idle(mut sample: SampleAnswer) {
    let Some(window) = web_sys::window() else { return };
    let step = Closure::once_into_js(move || {
        if sample.step() {
            step_when_idle(sample);
        }
    });
    // Refused where there is no `requestIdleCallback`: then the sample is simply dropped.
    let _ = window.request_idle_callback(step.unchecked_ref());
}

/// Streams [`SAMPLE_ANSWER`] at once (for tests: [`start_when_idle`] does it step by step) and
/// returns the detached element it was painted in when it finished on the streamed nodes, as a
/// real answer whose Markdown is what streamed does.
pub fn run_sample_answer() -> Option<Element> {
    let root = web_sys::window()?.document()?.create_element("div").ok()?;
    let mut sample = SampleAnswer::new(root.clone());
    while sample.step() {}
    sample.finished_on_its_nodes.then_some(root)
}

/// The sample answer under way: a throwaway transcript and a painter on a detached element.
struct SampleAnswer {
    transcript: Transcript,
    painter: StreamPainter,
    chars: Vec<char>,
    next_piece: usize,
    finished_on_its_nodes: bool,
}

impl SampleAnswer {
    fn new(root: Element) -> Self {
        let mut transcript = Transcript::default();
        transcript.ask(SAMPLE_QUESTION, SAMPLE_TURN);
        let painter = StreamPainter::new(root, ImageOrigins::default());
        let chars = SAMPLE_ANSWER.chars().collect();
        Self { transcript, painter, chars, next_piece: 0, finished_on_its_nodes: false }
    }

    /// Writes the question as saved (first step), reads and paints the next frame or, after the
    /// last, reads the rehearsed Lex answer (the Markdown that streamed) and finishes the reply
    /// with it as `BotReply` does. Returns whether a step is left.
    fn step(&mut self) -> bool {
        let piece = self.next_piece;
        self.next_piece += 1;
        if piece == 0 {
            black_box(transcript_text(&self.transcript.saved()));
        }
        if piece < SAMPLE_FRAMES {
            let cut = |piece: usize| piece * self.chars.len() / SAMPLE_FRAMES;
            let text: String = self.chars[cut(piece)..cut(piece + 1)].iter().collect();
            let text = serde_json::to_string(&text).unwrap_or_default();
            let frame = format!(r#"{{"type":"chunk","turn":"{SAMPLE_TURN}","seq":{piece},"text":{text}}}"#);
            self.transcript.on_incoming(parse_incoming(&frame));
            if let Some(Entry::Bot { reply: Reply::Streaming(assembler), .. }) =
                self.transcript.entries().last()
            {
                self.painter.paint(assembler.text(), Format::Markdown);
            }
            return true;
        }
        let messages = rehearse_lex().ok().and_then(|answer| answer.messages).unwrap_or_default();
        self.transcript.finalize(SAMPLE_TURN, &messages);
        black_box(transcript_text(&self.transcript.saved()));
        if let Some(Entry::Bot { reply: Reply::Final { parts, text, .. }, .. }) =
            self.transcript.entries().last()
            && let [AnswerPart::Markup(markup)] = parts.as_slice()
        {
            self.finished_on_its_nodes = self.painter.finish_as(text, markup);
        }
        false
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
