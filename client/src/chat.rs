//! The conversation's side effects: sign in, open the stream (API Gateway WebSocket or AppSync
//! Events), ask (Lex, or the `/chat` API), feed the transcript, and keep a pending turn going
//! (resume it on every (re)connect, after a reload, and when it goes quiet; save it when the page
//! hides). [`use_chat`] gives the widget's components one [`Chat`] handle to all of it.

use std::collections::BTreeMap;
use std::sync::Arc;

use leptos::prelude::*;
use lexstream_protocol::appsync::{user_channel, user_segment};
use lexstream_protocol::input_bounds::check_question;
use lexstream_protocol::lex::{ATTR_PENDING_TURN, ATTR_STREAMING_TURN_ID, Message, MessageContentType};
use lexstream_protocol::{parse_incoming, resume_request};

use crate::aws::chat_api;
use crate::aws::cognito::{self, Login, Visitor};
use crate::aws::error::ServiceError;
use crate::aws::lex::{self, Question};
use crate::aws::now_epoch_seconds;
use crate::config::{PageChanges, WidgetConfig};
use crate::conversation::Conversation;
use crate::debug_log;
use crate::persistence;
use crate::resume_plan::{ResumeAction, ResumePlan};
use crate::sleep::sleep_ms;
use crate::strings::Text;
use crate::transcript::{Transcript, new_turn_id};
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
    /// The signed-in visitor's login (config `cognito.login`, then the page's `setLogin`); none
    /// for an anonymous visitor.
    login: Option<Login>,
    socket: Option<Stream>,
    /// The Lex session attributes of the last answer.
    session_attributes: BTreeMap<String, String>,
    /// The page's changes through the JS API, for every question from now on.
    page_changes: PageChanges,
    conversation: u32,
    turns: u64,
    /// When to ask for pending turns again.
    resume_plan: ResumePlan,
    /// Turns a `RecognizeText` (or `/chat`) call of this page is still waiting for.
    awaited: Vec<String>,
    /// Whether the pending-turn watch is running.
    watching: bool,
    /// Whether a sign-in and stream opening is under way (when the chat opens, or resuming after
    /// a reload): a question waits for it instead of signing in a second time.
    connecting: bool,
}

impl Session {
    fn new(config: &WidgetConfig) -> Self {
        Self {
            visitor: None,
            login: config.login.clone(),
            socket: None,
            session_attributes: config.storage.load_session_attributes(),
            page_changes: PageChanges::new(),
            conversation: config.storage.load_conversation(),
            turns: 0,
            resume_plan: ResumePlan::default(),
            awaited: Vec::new(),
            watching: false,
            connecting: false,
        }
    }
}

/// The widget's chat: what the visitor can do (send, stop, start over, close) and what keeps a
/// turn going. A `Copy` handle, valid while the widget is mounted.
#[derive(Clone, Copy)]
pub(crate) struct Chat {
    session: StoredValue<Session, LocalStorage>,
    config: StoredValue<Arc<WidgetConfig>>,
    conversation: Conversation,
}

/// The conversation to show when the widget starts: the tab's saved one, or the greeting.
pub(crate) fn initial_transcript(config: &WidgetConfig, greeting: &str) -> Transcript {
    let interrupted = config.strings.get(Text::Interrupted);
    config
        .storage
        .load_transcript()
        .map_or_else(|| Transcript::with_greeting(greeting), |saved| Transcript::restored(saved, interrupted))
}

/// Starts the chat for `conversation` with `config`: keeps a reply under way across a reload
/// (saves the transcript when the page hides, and resumes a reply restored as pending at once —
/// the stream opens without waiting for the visitor to type).
pub(crate) fn use_chat(config: Arc<WidgetConfig>, conversation: Conversation) -> Chat {
    let chat = Chat {
        session: StoredValue::new_local(Session::new(&config)),
        config: StoredValue::new(config),
        conversation,
    };
    let on_hide = window_event_listener_untyped("pagehide", move |_| chat.save_transcript());
    on_cleanup(move || on_hide.remove());
    Effect::new(move |_| chat.resume_restored());
    chat
}

/// The Lex session id of `conversation` (0 for a tab's first) for the Cognito identity
/// `identity`. An anonymous visitor's identity is the tab's own: the identity id, then
/// `identity.N`. A signed-in person's is the same in every tab and on every device, so each tab
/// adds its own token (`identity.tab.N`): two tabs never share a session, nor its socket. Both
/// are forms `ws-connect` accepts as that identity's.
fn lex_session_id(identity: &str, tab: Option<&str>, conversation: u32) -> String {
    match (tab, conversation) {
        (None, 0) => identity.to_owned(),
        (None, n) => format!("{identity}.{n}"),
        (Some(tab), n) => format!("{identity}.{tab}.{n}"),
    }
}

/// How long a question waits for a sign-in already under way before signing in itself, and how
/// often it looks, in milliseconds.
const CONNECT_WAIT_MS: u32 = 10_000;
const CONNECT_POLL_MS: u32 = 20;

/// How often the pending-turn watch looks at the pending turns, in milliseconds.
const WATCH_INTERVAL_MS: u32 = 1_000;

/// Whether this configuration can resume a turn: only the API Gateway WebSocket has the
/// `resume` route (the AppSync flow has none; without streaming there is nothing to resume).
fn can_resume(config: &WidgetConfig) -> bool {
    config.streaming && config.appsync.is_none() && config.websocket_url.is_some()
}

impl Chat {
    fn config(self) -> Arc<WidgetConfig> {
        self.config.get_value()
    }

    fn transcript(self) -> RwSignal<Transcript> {
        self.conversation.transcript
    }

    /// Reads the session; `default` once the widget is gone.
    fn with_session<T>(self, default: T, read: impl FnOnce(&Session) -> T) -> T {
        self.session.try_with_value(read).unwrap_or(default)
    }

    /// Changes the session; `default` once the widget is gone.
    fn update_session<T>(self, default: T, change: impl FnOnce(&mut Session) -> T) -> T {
        self.session.try_update_value(change).unwrap_or(default)
    }

    /// The Lex session id of the current conversation ([`lex_session_id`]).
    fn session_id(self, visitor: &Visitor) -> String {
        let (conversation, signed_in) =
            self.with_session((0, false), |session| (session.conversation, session.login.is_some()));
        let tab = signed_in.then(|| {
            self.config()
                .storage
                .tab_token(|| format!("{:08x}", (js_sys::Math::random() * 4_294_967_296.0) as u32))
        });
        lex_session_id(&visitor.identity_id, tab.as_deref(), conversation)
    }

    /// Starts a new conversation: a new Lex session, an empty transcript with the greeting.
    pub(crate) fn new_conversation(self, greeting: &str) {
        let number = self.update_session(0, |session| {
            session.conversation += 1;
            session.socket = None;
            session.session_attributes.clear();
            session.resume_plan = ResumePlan::default();
            session.conversation
        });
        self.config().storage.start_conversation(number);
        let images = self.config().image_origins.clone();
        self.transcript().set(Transcript::with_greeting(greeting).allowing_images_from(images));
    }

    /// Asks the fulfillment to stop generating `turn` (Lex flow: `{"action":"stop"}` on the
    /// WebSocket). The answer then arrives as usual, with what was generated so far.
    pub(crate) fn stop(self, turn: &str) {
        let sent = self.with_session(false, |session| match &session.socket {
            Some(Stream::Lex(socket)) => socket.send(&lexstream_protocol::stop_request(turn)),
            _ => false,
        });
        debug_log::record(
            "connection",
            if sent { format!("stop {turn}") } else { format!("stop {turn}: no stream") },
        );
    }

    /// The page's context changes (the JS API's `setSessionAttributes`): each named attribute is
    /// set, or removed when `None`, for every question from the next on, in this conversation
    /// and new ones, over the bot's values. (The loader keeps them across a reload and hands them
    /// over when the widget mounts.)
    pub(crate) fn set_page_attributes(self, changes: Vec<(String, Option<String>)>) {
        self.update_session((), |session| {
            for (name, value) in changes {
                match session.page_changes.iter_mut().find(|(changed, _)| *changed == name) {
                    Some(change) => change.1 = value,
                    None => session.page_changes.push((name, value)),
                }
            }
        });
    }

    /// The page's `setLogin`: the login (or none, signed out) the next call signs in with; the
    /// credentials in hand served the previous one only (`visitor`).
    pub(crate) fn set_login(self, login: Option<Login>) {
        self.update_session((), |session| session.login = login);
    }

    /// Ends the stream (the visitor closed the chat); the next question opens a new one.
    pub(crate) fn end_stream(self) {
        self.update_session((), |session| session.socket = None);
    }

    fn resume_restored(self) {
        let transcript = self.transcript();
        let pending = transcript.with_untracked(Transcript::pending_turns);
        if pending.is_empty() {
            return;
        }
        let config = self.config();
        if !can_resume(&config) {
            transcript.update(|t| {
                pending.iter().for_each(|p| t.fail(&p.turn, config.strings.get(Text::Interrupted)));
            });
            self.save_transcript();
            return;
        }
        debug_log::record("connection", format!("{} turn(s) pending after a reload", pending.len()));
        self.watch_pending();
        // Opening resumes every pending turn; if it fails, the watch gives up in time.
        leptos::task::spawn_local(self.connect());
    }

    /// Signs in and opens the stream as soon as the chat opens, so the first question waits for
    /// neither. A failure is only recorded: the question tries again and says what went wrong.
    pub(crate) async fn prepare(self) {
        if self.config().streaming {
            self.connect().await;
        }
    }

    /// Signs in and opens the stream (resuming pending turns) unless it is open; one at a time.
    async fn connect(self) {
        self.connected_by_others().await;
        if self.with_session(true, |session| session.socket.as_ref().is_some_and(Stream::is_open)) {
            return;
        }
        let config = self.config();
        self.update_session((), |session| session.connecting = true);
        match self.visitor(&config).await {
            Ok(visitor) => {
                self.ensure_stream(&config, &visitor, None).await;
            }
            Err(error) => debug_log::record("connection", format!("sign-in failed: {error}")),
        }
        self.update_session((), |session| session.connecting = false);
    }

    /// Waits (at most [`CONNECT_WAIT_MS`]) while another task signs in and opens the stream.
    async fn connected_by_others(self) {
        let mut waited = 0;
        while waited < CONNECT_WAIT_MS && self.with_session(false, |session| session.connecting) {
            sleep_ms(CONNECT_POLL_MS).await;
            waited += CONNECT_POLL_MS;
        }
    }

    /// Saves the transcript in the tab's storage (if the widget is still mounted).
    fn save_transcript(self) {
        let storage = self.config().storage;
        self.transcript().try_with_untracked(|t| storage.save_transcript(&t.saved()));
    }

    /// Sends `resume_request(turn, after)` on the API Gateway socket; `false` if there is none.
    fn send_resume(self, turn: &str, after: Option<u64>) -> bool {
        let sent = self.with_session(false, |session| match &session.socket {
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

    fn run_resume_actions(self, actions: Vec<ResumeAction>) {
        let mut gave_up = false;
        for action in actions {
            match action {
                ResumeAction::Resume { turn, after } => {
                    self.send_resume(&turn, after);
                }
                ResumeAction::GiveUp { turn } => {
                    debug_log::record("connection", format!("{turn}: no answer; given up"));
                    let interrupted = self.config().strings.get(Text::Interrupted);
                    self.transcript().try_update(|t| t.fail(&turn, interrupted));
                    gave_up = true;
                }
            }
        }
        if gave_up {
            self.save_transcript();
        }
    }

    /// The stream just (re)opened: asks for every pending turn but `fresh` (a question whose
    /// `RecognizeText` has not been sent yet, so the server knows nothing of it).
    fn resume_on_open(self, fresh: Option<&str>) {
        let Some(mut pending) = self.transcript().try_with_untracked(Transcript::pending_turns) else {
            return;
        };
        pending.retain(|p| Some(p.turn.as_str()) != fresh);
        let actions = self
            .update_session(Vec::new(), |session| session.resume_plan.on_open(&pending, js_sys::Date::now()));
        self.run_resume_actions(actions);
    }

    /// Runs while a turn is pending: once a second, asks the resume plan whether a quiet turn
    /// needs a resume (a lost `done`, a frame lost with a connection) or must be given up. One
    /// at a time.
    fn watch_pending(self) {
        if self.update_session(true, |session| std::mem::replace(&mut session.watching, true)) {
            return;
        }
        leptos::task::spawn_local(async move {
            loop {
                sleep_ms(WATCH_INTERVAL_MS).await;
                let pending =
                    self.transcript().try_with_untracked(Transcript::pending_turns).unwrap_or_default();
                if pending.is_empty() {
                    break;
                }
                let actions = self.update_session(Vec::new(), |session| {
                    session.resume_plan.tick(&pending, &session.awaited, js_sys::Date::now())
                });
                self.run_resume_actions(actions);
            }
            self.update_session((), |session| session.watching = false);
        });
    }

    /// Credentials for the current login (or anonymous visitor) valid for at least another
    /// minute, signing in again when needed — also after `setLogin`, a new token of the same
    /// person included.
    async fn visitor(self, config: &WidgetConfig) -> Result<Visitor, ServiceError> {
        let (cached, login) = self.with_session((None, None), |session| {
            let current = |v: &&Visitor| v.login == session.login && v.expires_at > now_epoch_seconds() + 60;
            (session.visitor.as_ref().filter(current).cloned(), session.login.clone())
        });
        if let Some(visitor) = cached {
            return Ok(visitor);
        }
        let visitor = cognito::sign_in(config, login.as_ref()).await?;
        // Kept only if nobody signed in or out meanwhile: another person's credentials must not
        // outlive the change.
        self.update_session((), |session| {
            if session.login == login {
                session.visitor = Some(visitor.clone());
            }
        });
        Ok(visitor)
    }

    /// Opens the stream unless it is open; failures only mean no streaming (the answer still
    /// comes). A stream that opens resumes the pending turns but `fresh` (the question about to
    /// be asked). Returns whether the stream is open.
    async fn ensure_stream(self, config: &Arc<WidgetConfig>, visitor: &Visitor, fresh: Option<&str>) -> bool {
        if !config.streaming {
            return false;
        }
        if self.with_session(false, |session| session.socket.as_ref().is_some_and(Stream::is_open)) {
            return true;
        }
        let on_message = move |message: String| {
            debug_log::record("data", message.as_str());
            // A `final` frame ends a turn no `RecognizeText` response will: keep it across reloads.
            if self.conversation.receive(parse_incoming(&message)) == Some(true) {
                self.save_transcript();
            }
        };
        let on_close = move || {
            debug_log::record("connection", "closed; reconnecting");
            self.update_session((), |session| session.socket = None);
            leptos::task::spawn_local(self.reconnect());
        };
        let conversation = self.with_session(0, |session| session.conversation);
        let opened = match (&config.appsync, config.websocket_url.as_deref()) {
            (Some(appsync), _) => {
                let channel = user_channel(&appsync.namespace, user_segment(&visitor.identity_id));
                appsync_events::open(appsync, &config.region, visitor, &channel, on_message, on_close)
                    .await
                    .map(Stream::Events)
            }
            (None, Some(stage_url)) => {
                let url =
                    websocket::presigned_url(stage_url, &config.region, visitor, &self.session_id(visitor));
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
                // A stream opened for a conversation (and a person) that ended meanwhile closes.
                let kept = self.update_session(false, |session| {
                    let current = session.conversation == conversation;
                    if current {
                        session.socket = Some(stream);
                    }
                    current
                });
                if !kept {
                    return false;
                }
                if resumable {
                    self.resume_on_open(fresh);
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

    /// After an unexpected close: reopen with growing, jittered delays, so an answer under way
    /// can resume on the new connection (the relay moves to it with a snapshot).
    async fn reconnect(self) {
        let config = self.config();
        for attempt in 0..8 {
            sleep_ms(websocket::reconnect_delay_ms(attempt, js_sys::Math::random())).await;
            if self.session.try_with_value(|session| session.socket.is_some()).unwrap_or(true) {
                return;
            }
            let Ok(visitor) = self.visitor(&config).await else { continue };
            if self.ensure_stream(&config, &visitor, None).await {
                return;
            }
        }
        web_sys::console::warn_1(
            &"Lexstream: the streaming connection could not be restored; the next question retries".into(),
        );
    }

    /// Sends what the visitor typed and fills in the answer.
    pub(crate) async fn send(self, text: String) {
        let config = self.config();
        let transcript = self.transcript();
        let turn = self.update_session(String::new(), |session| {
            session.turns += 1;
            let turn = new_turn_id(session.turns, js_sys::Math::random());
            session.awaited.push(turn.clone());
            turn
        });
        if turn.is_empty() {
            return;
        }
        transcript.update(|t| t.ask(&text, &turn));
        // A question Lex (or `/chat`) would refuse is refused here, saying what fits.
        if let Err(refusal) = check_question(&text) {
            self.update_session((), |session| session.awaited.retain(|awaited| *awaited != turn));
            transcript.update(|t| t.fail(&turn, &config.strings.input_refusal(&refusal)));
            self.save_transcript();
            return;
        }
        // Saved at once, so a reload before the answer restores the question with its reply pending.
        self.save_transcript();
        if can_resume(&config) {
            self.watch_pending();
        }
        let result = self.ask(&config, &text, &turn).await;
        self.update_session((), |session| session.awaited.retain(|awaited| *awaited != turn));
        match result {
            Ok((messages, attributes)) => {
                // A placeholder naming this turn: the answer worker streams the real answer,
                // which a `final` frame (or a resume from the turn's record) ends.
                let follows_on_stream = attributes
                    .as_ref()
                    .and_then(|attributes| attributes.get(ATTR_PENDING_TURN))
                    .is_some_and(|pending| *pending == turn);
                if let Some(attributes) = attributes {
                    let attributes = persistence::without_server_owned(attributes);
                    config.storage.save_session_attributes(&attributes);
                    self.update_session((), |session| session.session_attributes = attributes);
                }
                if !follows_on_stream {
                    transcript.try_update(|t| t.finalize(&turn, &messages));
                }
            }
            Err(error) => {
                web_sys::console::error_1(&format!("Lexstream: {error}").into());
                transcript.try_update(|t| t.fail(&turn, &error.visitor_message(config.strings)));
            }
        }
        self.save_transcript();
    }

    /// Asks Lex (or `/chat`) `text` as `turn`: the answer's messages and session attributes.
    async fn ask(
        self,
        config: &Arc<WidgetConfig>,
        text: &str,
        turn: &str,
    ) -> Result<(Vec<Message>, Option<BTreeMap<String, String>>), ServiceError> {
        self.connected_by_others().await;
        let visitor = self.visitor(config).await?;
        self.ensure_stream(config, &visitor, Some(turn)).await;
        if let Some(appsync) = &config.appsync {
            let user = user_segment(&visitor.identity_id);
            let answer = chat_api::ask(config, &appsync.chat_endpoint, &visitor, user, text, turn).await?;
            return Ok((Vec::from([Message::text(MessageContentType::CustomPayload, answer.text)]), None));
        }
        let (saved, changes) = self.with_session(Default::default(), |session| {
            (session.session_attributes.clone(), session.page_changes.clone())
        });
        let session_attributes =
            persistence::without_server_owned(config.question_attributes(&saved, &changes));
        let request_attributes = BTreeMap::from([(ATTR_STREAMING_TURN_ID.to_owned(), turn.to_owned())]);
        let question =
            Question { session_id: self.session_id(&visitor), text, session_attributes, request_attributes };
        let answer = lex::recognize_text(config, &visitor, &question).await?;
        let attributes = answer.session_state.and_then(|state| state.session_attributes);
        Ok((answer.messages.unwrap_or_default(), attributes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_anonymous_tab_has_its_identitys_sessions_and_a_signed_in_one_adds_its_own_token() {
        let identity = "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";
        assert_eq!(lex_session_id(identity, None, 0), identity);
        assert_eq!(lex_session_id(identity, None, 2), format!("{identity}.2"));
        assert_eq!(lex_session_id(identity, Some("0a1b2c3d"), 0), format!("{identity}.0a1b2c3d.0"));
        assert_ne!(
            lex_session_id(identity, Some("0a1b2c3d"), 1),
            lex_session_id(identity, Some("ffff0000"), 1),
            "two tabs of one person"
        );
        // Lex's limit: 100 characters of [0-9a-zA-Z._:-].
        assert!(lex_session_id(identity, Some("ffffffff"), u32::MAX).len() <= 100);
    }
}
