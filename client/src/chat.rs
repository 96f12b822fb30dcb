//! The conversation's side effects: sign in, open the stream (API Gateway WebSocket or AppSync
//! Events), ask (Lex, or the `/chat` API), feed the transcript, and keep a pending turn going
//! (resume it on every (re)connect, after a reload, and when it goes quiet; save it when the page
//! hides). The browser is single-threaded, so the session (credentials, socket) lives in a
//! thread-local.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use lexstream_protocol::appsync::{user_channel, user_segment};
use lexstream_protocol::lex::{ATTR_PENDING_TURN, ATTR_STREAMING_TURN_ID, Message, MessageContentType};
use lexstream_protocol::{parse_incoming, resume_request};

use crate::aws::chat_api;
use crate::aws::cognito::{self, Visitor};
use crate::aws::lex::{self, Question};
use crate::aws::now_epoch_seconds;
use crate::config::WidgetConfig;
use crate::debug_log;
use crate::persistence;
use crate::resume_plan::{ResumeAction, ResumePlan};
use crate::transcript::{INTERRUPTED, Transcript, new_turn_id};
use crate::transport::appsync_events::{self, EventsSocket};
use crate::transport::websocket::{self, StreamSocket};

/// The open stream of answers, whichever transport carries it.
#[derive(Debug)]
enum Stream {
    /// API Gateway WebSocket (the Lex flow).
    Lex(StreamSocket),
    /// AppSync Events (the `/chat` flow).
    Events(EventsSocket),
}

impl Stream {
    fn is_open(&self) -> bool {
        match self {
            Self::Lex(socket) => socket.is_open(),
            Self::Events(socket) => socket.is_open(),
        }
    }
}

struct Session {
    visitor: Option<Visitor>,
    socket: Option<Stream>,
    session_attributes: BTreeMap<String, String>,
    conversation: u32,
    turns: u64,
    /// When to ask for pending turns again.
    resume_plan: ResumePlan,
    /// Turns a `RecognizeText` (or `/chat`) call of this page is still waiting for.
    awaited: Vec<String>,
    /// Whether the pending-turn watch is running.
    watching: bool,
}

thread_local! {
    static SESSION: RefCell<Session> = RefCell::new(Session {
        visitor: None,
        socket: None,
        session_attributes: persistence::load_session_attributes(),
        conversation: persistence::load_conversation(),
        turns: 0,
        resume_plan: ResumePlan::default(),
        awaited: Vec::new(),
        watching: false,
    });
}

/// How often the pending-turn watch looks at the pending turns, in milliseconds.
const WATCH_INTERVAL_MS: u32 = 1_000;

/// The Lex session id: the visitor's identity id for the first conversation, then
/// `identity.N` (the form `ws-connect` accepts as the same visitor's).
fn session_id(visitor: &Visitor) -> String {
    match SESSION.with_borrow(|session| session.conversation) {
        0 => visitor.identity_id.clone(),
        n => format!("{}.{n}", visitor.identity_id),
    }
}

/// The conversation to show when the widget starts: the tab's saved one, or the greeting.
pub(crate) fn initial_transcript(greeting: &str) -> Transcript {
    persistence::load_transcript().map_or_else(|| Transcript::with_greeting(greeting), Transcript::restored)
}

/// Starts a new conversation: a new Lex session, an empty transcript with the greeting.
pub(crate) fn new_conversation(transcript: RwSignal<Transcript>, greeting: &str) {
    let number = SESSION.with_borrow_mut(|session| {
        session.conversation += 1;
        session.socket = None;
        session.session_attributes.clear();
        session.resume_plan = ResumePlan::default();
        session.conversation
    });
    persistence::start_conversation(number);
    transcript.set(Transcript::with_greeting(greeting));
}

/// Asks the fulfillment to stop generating `turn` (Lex flow: `{"action":"stop"}` on the
/// WebSocket). The answer then arrives as usual, with what was generated so far.
pub(crate) fn stop_answer(turn: &str) {
    let sent = SESSION.with_borrow(|session| match &session.socket {
        Some(Stream::Lex(socket)) => socket.send(&lexstream_protocol::stop_request(turn)),
        _ => false,
    });
    debug_log::record(
        "connection",
        if sent { format!("stop {turn}") } else { format!("stop {turn}: no stream") },
    );
}

/// Whether this configuration can resume a turn: only the API Gateway WebSocket has the
/// `resume` route (the AppSync flow has none; without streaming there is nothing to resume).
fn can_resume(config: &WidgetConfig) -> bool {
    config.streaming && config.appsync.is_none() && config.websocket_url.is_some()
}

/// Keeps a reply under way across a reload: saves the transcript (with the reply's text so far)
/// when the page hides, and resumes a reply restored as pending at once — the stream opens
/// without waiting for the visitor to type, and the server is asked for the rest of the turn.
pub(crate) fn use_durable_turns(config: Arc<WidgetConfig>, transcript: RwSignal<Transcript>) {
    let on_hide = window_event_listener_untyped("pagehide", move |_| save_transcript(transcript));
    on_cleanup(move || on_hide.remove());
    Effect::new(move |_| resume_restored(&config, transcript));
}

fn resume_restored(config: &Arc<WidgetConfig>, transcript: RwSignal<Transcript>) {
    let pending = transcript.with_untracked(Transcript::pending_turns);
    if pending.is_empty() {
        return;
    }
    if !can_resume(config) {
        transcript.update(|t| pending.iter().for_each(|p| t.fail(&p.turn, INTERRUPTED)));
        save_transcript(transcript);
        return;
    }
    debug_log::record("connection", format!("{} turn(s) pending after a reload", pending.len()));
    watch_pending(transcript);
    let config = Arc::clone(config);
    leptos::task::spawn_local(async move {
        match visitor(&config).await {
            Ok(visitor) => {
                // Opening resumes every pending turn; if it fails, the watch gives up in time.
                ensure_stream(&config, &visitor, transcript, None).await;
            }
            Err(error) => debug_log::record("connection", format!("sign-in failed: {error}")),
        }
    });
}

/// Saves the transcript in the tab's storage (if the widget is still mounted).
fn save_transcript(transcript: RwSignal<Transcript>) {
    transcript.try_with_untracked(|t| persistence::save_transcript(&t.saved()));
}

/// Sends `resume_request(turn, after)` on the API Gateway socket; `false` if there is none open.
fn send_resume(turn: &str, after: Option<u64>) -> bool {
    let sent = SESSION.with_borrow(|session| match &session.socket {
        Some(Stream::Lex(socket)) => socket.send(&resume_request(turn, after)),
        _ => false,
    });
    let after = after.map_or_else(|| "-".to_owned(), |seq| seq.to_string());
    debug_log::record(
        "connection",
        if sent { format!("resume {turn} after {after}") } else { format!("resume {turn}: no stream") },
    );
    sent
}

fn run_resume_actions(actions: Vec<ResumeAction>, transcript: RwSignal<Transcript>) {
    let mut gave_up = false;
    for action in actions {
        match action {
            ResumeAction::Resume { turn, after } => {
                send_resume(&turn, after);
            }
            ResumeAction::GiveUp { turn } => {
                debug_log::record("connection", format!("{turn}: no answer; given up"));
                transcript.try_update(|t| t.fail(&turn, INTERRUPTED));
                gave_up = true;
            }
        }
    }
    if gave_up {
        save_transcript(transcript);
    }
}

/// The stream just (re)opened: asks for every pending turn but `fresh` (a question whose
/// `RecognizeText` has not been sent yet, so the server knows nothing of it).
fn resume_on_open(transcript: RwSignal<Transcript>, fresh: Option<&str>) {
    let Some(mut pending) = transcript.try_with_untracked(Transcript::pending_turns) else { return };
    pending.retain(|p| Some(p.turn.as_str()) != fresh);
    let actions =
        SESSION.with_borrow_mut(|session| session.resume_plan.on_open(&pending, js_sys::Date::now()));
    run_resume_actions(actions, transcript);
}

/// Runs while a turn is pending: once a second, asks the resume plan whether a quiet turn needs
/// a resume (a lost `done`, a frame lost with a connection) or must be given up. One at a time.
fn watch_pending(transcript: RwSignal<Transcript>) {
    if SESSION.with_borrow_mut(|session| std::mem::replace(&mut session.watching, true)) {
        return;
    }
    leptos::task::spawn_local(async move {
        loop {
            sleep_ms(WATCH_INTERVAL_MS).await;
            let pending = transcript.try_with_untracked(Transcript::pending_turns).unwrap_or_default();
            if pending.is_empty() {
                break;
            }
            let actions = SESSION.with_borrow_mut(|session| {
                session.resume_plan.tick(&pending, &session.awaited, js_sys::Date::now())
            });
            run_resume_actions(actions, transcript);
        }
        SESSION.with_borrow_mut(|session| session.watching = false);
    });
}

/// Ends the stream (the visitor closed the chat); the next question opens a new one.
pub(crate) fn end_stream() {
    SESSION.with_borrow_mut(|session| session.socket = None);
}

/// Credentials valid for at least another minute, signing in again when needed.
async fn visitor(config: &WidgetConfig) -> Result<Visitor, String> {
    let cached = SESSION.with_borrow(|session| session.visitor.clone());
    if let Some(visitor) = cached.filter(|v| v.expires_at > now_epoch_seconds() + 60) {
        return Ok(visitor);
    }
    let visitor = cognito::sign_in(config).await?;
    SESSION.with_borrow_mut(|session| session.visitor = Some(visitor.clone()));
    Ok(visitor)
}

/// Opens the stream unless it is open; failures only mean no streaming (the answer still comes).
/// A stream that opens resumes the pending turns but `fresh` (the question about to be asked).
/// Returns whether the stream is open.
async fn ensure_stream(
    config: &Arc<WidgetConfig>,
    visitor: &Visitor,
    transcript: RwSignal<Transcript>,
    fresh: Option<&str>,
) -> bool {
    if !config.streaming {
        return false;
    }
    if SESSION.with_borrow(|session| session.socket.as_ref().is_some_and(Stream::is_open)) {
        return true;
    }
    let on_message = move |message: String| {
        debug_log::record("data", message.as_str());
        // A `final` frame ends a turn no `RecognizeText` response will: keep it across reloads.
        if transcript.try_update(|t| t.on_incoming(parse_incoming(&message))) == Some(true) {
            save_transcript(transcript);
        }
    };
    let reconnect_config = Arc::clone(config);
    let on_close = move || {
        debug_log::record("connection", "closed; reconnecting");
        SESSION.with_borrow_mut(|session| session.socket = None);
        leptos::task::spawn_local(reconnect(Arc::clone(&reconnect_config), transcript));
    };
    let opened = match (&config.appsync, config.websocket_url.as_deref()) {
        (Some(appsync), _) => {
            let channel = user_channel(&appsync.namespace, user_segment(&visitor.identity_id));
            appsync_events::open(appsync, &config.region, visitor, &channel, on_message, on_close)
                .await
                .map(Stream::Events)
        }
        (None, Some(stage_url)) => {
            let url = websocket::presigned_url(stage_url, &config.region, visitor, &session_id(visitor));
            websocket::open(&url, on_message, on_close).await.map(Stream::Lex)
        }
        (None, None) => return false,
    };
    match opened {
        Ok(stream) => {
            debug_log::record(
                "connection",
                format!(
                    "open ({})",
                    if config.appsync.is_some() { "AppSync Events" } else { "API Gateway WebSocket" }
                ),
            );
            let resumable = matches!(stream, Stream::Lex(_));
            SESSION.with_borrow_mut(|session| session.socket = Some(stream));
            if resumable {
                resume_on_open(transcript, fresh);
            }
            true
        }
        Err(error) => {
            debug_log::record("connection", format!("failed: {error}"));
            web_sys::console::warn_1(
                &format!("Lexstream: {error}; answers will arrive without streaming").into(),
            );
            false
        }
    }
}

/// After an unexpected close: reopen with growing, jittered delays, so an answer under way can
/// resume on the new connection (the relay moves to it with a snapshot).
async fn reconnect(config: Arc<WidgetConfig>, transcript: RwSignal<Transcript>) {
    for attempt in 0..8 {
        sleep_ms(websocket::reconnect_delay_ms(attempt, js_sys::Math::random())).await;
        if SESSION.with_borrow(|session| session.socket.is_some()) {
            return;
        }
        let Ok(visitor) = visitor(&config).await else { continue };
        if ensure_stream(&config, &visitor, transcript, None).await {
            return;
        }
    }
    web_sys::console::warn_1(
        &"Lexstream: the streaming connection could not be restored; the next question retries".into(),
    );
}

async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let delay = i32::try_from(ms).unwrap_or(i32::MAX);
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, delay);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Sends what the visitor typed and fills in the answer.
pub(crate) async fn send(config: Arc<WidgetConfig>, transcript: RwSignal<Transcript>, text: String) {
    let turn = SESSION.with_borrow_mut(|session| {
        session.turns += 1;
        let turn = new_turn_id(session.turns, js_sys::Math::random());
        session.awaited.push(turn.clone());
        turn
    });
    transcript.update(|t| t.ask(&text, &turn));
    // Saved at once, so a reload before the answer restores the question with its reply pending.
    save_transcript(transcript);
    if can_resume(&config) {
        watch_pending(transcript);
    }
    let result = async {
        let visitor = visitor(&config).await?;
        ensure_stream(&config, &visitor, transcript, Some(&turn)).await;
        if let Some(appsync) = &config.appsync {
            let user = user_segment(&visitor.identity_id);
            let answer = chat_api::ask(&config, &appsync.chat_endpoint, &visitor, user, &text, &turn).await?;
            return Ok((Vec::from([Message::text(MessageContentType::CustomPayload, answer.text)]), None));
        }
        let mut session_attributes = SESSION.with_borrow(|session| session.session_attributes.clone());
        session_attributes.extend(config.streaming_session_attributes());
        let session_attributes = persistence::without_server_owned(session_attributes);
        let request_attributes = BTreeMap::from([(ATTR_STREAMING_TURN_ID.to_owned(), turn.clone())]);
        let question = Question {
            session_id: session_id(&visitor),
            text: &text,
            session_attributes,
            request_attributes,
        };
        let answer = lex::recognize_text(&config, &visitor, &question).await?;
        let attributes = answer.session_state.and_then(|state| state.session_attributes);
        Ok::<_, String>((answer.messages.unwrap_or_default(), attributes))
    }
    .await;
    SESSION.with_borrow_mut(|session| session.awaited.retain(|awaited| *awaited != turn));
    match result {
        Ok((messages, attributes)) => {
            // A placeholder naming this turn: the answer worker streams the real answer, which
            // a `final` frame (or a resume from the turn's record) ends.
            let follows_on_stream = attributes
                .as_ref()
                .and_then(|attributes| attributes.get(ATTR_PENDING_TURN))
                .is_some_and(|pending| *pending == turn);
            if let Some(attributes) = attributes {
                let attributes = persistence::without_server_owned(attributes);
                persistence::save_session_attributes(&attributes);
                SESSION.with_borrow_mut(|session| session.session_attributes = attributes);
            }
            if !follows_on_stream {
                transcript.update(|t| t.finalize(&turn, &messages));
            }
        }
        Err(error) => {
            web_sys::console::error_1(&format!("Lexstream: {error}").into());
            transcript
                .update(|t| t.fail(&turn, "Sorry — the assistant could not be reached. Please try again."));
        }
    }
    save_transcript(transcript);
}
