//! The conversation as the widget shows it: a plain struct with methods, tested without a
//! browser. Streamed frames go through the protocol's assembler; the final Lex messages (from
//! `RecognizeText`, or from a `final` frame when that response cannot reach the tab) replace the
//! streamed text as markup, which the view sanitizes (`crate::sanitize`) when it shows it.
//!
//! A reply is *pending* from the question until its final answer or failure; a pending reply is
//! saved with its text so far, so a reload restores it as pending and the server is asked for the
//! rest (`crate::resume_plan`).

use lexstream_protocol::lex::{Message, MessageContentType};
use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::render::{escape_text, render_markdown};
use lexstream_protocol::{Accepted, Frame, Incoming, StreamAssembler, check_turn_id};

/// Shown when a pending reply can no longer be completed (restored after a reload where the
/// answer cannot be resumed, or the server never answered the resume requests).
#[cfg(test)]
const INTERRUPTED: &str = "The answer was interrupted. Please ask again.";

/// One piece of a final bot answer, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AnswerPart {
    /// Bot markup (rendered Markdown, an HTML answer, or escaped plain text), **not yet
    /// sanitized**: whoever shows it passes it through `crate::sanitize::sanitize_html`.
    Markup(String),
    /// A card with buttons; a click sends the button's value.
    Card {
        /// Title.
        title: String,
        /// Subtitle.
        subtitle: Option<String>,
        /// `(label, value)` of each button.
        buttons: Vec<(String, String)>,
    },
}

/// Where a bot reply stands.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Asked; nothing has arrived yet (the typing indicator shows).
    Waiting,
    /// Text is streaming in.
    Streaming(StreamAssembler),
    /// The final answer.
    Final {
        /// What to show.
        parts: Vec<AnswerPart>,
        /// The v1 text that had streamed when the answer arrived (not legacy raw text): when the
        /// answer is that same Markdown, the view keeps the streamed nodes instead of replacing
        /// them. Not saved.
        streamed: Option<String>,
        /// The answer as the bot wrote it (its messages' contents, a blank line between them),
        /// for the page's `answer` event. Not saved.
        text: String,
    },
    /// The turn failed; what streamed before the failure is kept.
    Failed {
        /// Readable message.
        message: String,
        /// Text streamed before the failure.
        partial: String,
    },
}

/// One line of the conversation.
#[derive(Debug, Clone)]
pub enum Entry {
    /// What the visitor sent.
    Visitor(String),
    /// A bot reply for `turn`.
    Bot {
        /// The turn id (`streamingTurnId`) it answers.
        turn: String,
        /// Its state.
        reply: Reply,
    },
}

/// The whole conversation.
#[derive(Debug, Clone, Default)]
pub struct Transcript {
    entries: Vec<Entry>,
    ignored_frames: u64,
    /// Where images in answers may load from (none unless the site owner lists some).
    image_origins: ImageOrigins,
}

/// What a message changed in the transcript, so the view redraws only that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// Nothing shown changed: a malformed, unknown, duplicate or foreign frame, or one held
    /// until the frames before it arrive.
    Nothing,
    /// What a streaming reply shows changed (text, progress line, stream error): redraw that
    /// reply only.
    Stream,
    /// A reply changed state (the first frame of a waiting reply).
    Reply,
    /// A reply ended (a `final` frame): redraw it, and save the conversation.
    Finished,
}

/// A pending reply as the resume logic sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingTurn {
    /// The turn id.
    pub turn: String,
    /// The `seq` of the last frame applied: the `after` of a resume request.
    pub after: Option<u64>,
    /// Bytes of text received so far; with `after`, what tells that the turn progresses.
    pub received: usize,
}

/// A new turn id, `turn-{counter}-{random digits}` (`random` in 0..1): unique enough within a
/// Lex session, and within the one turn-id rule (`lexstream_protocol::check_turn_id`).
pub fn new_turn_id(counter: u64, random: f64) -> String {
    format!("turn-{counter}-{}", (random.clamp(0.0, 1.0) * 1e9) as u64)
}

/// Renders one Lex message to what the widget shows; images in Markdown may load from `images`.
pub fn answer_part(message: &Message, images: &ImageOrigins) -> Option<AnswerPart> {
    let content = message.content.as_deref().unwrap_or("");
    match &message.content_type {
        MessageContentType::PlainText => Some(AnswerPart::Markup(escape_text(content).replace('\n', "<br>"))),
        MessageContentType::CustomPayload => Some(AnswerPart::Markup(if looks_like_html(content) {
            content.to_owned()
        } else {
            render_markdown(content, images)
        })),
        MessageContentType::Ssml => Some(AnswerPart::Markup(escape_text(&strip_tags(content)))),
        MessageContentType::ImageResponseCard => {
            message.image_response_card.as_ref().map(|card| AnswerPart::Card {
                title: card.title.clone(),
                subtitle: card.subtitle.clone(),
                buttons: card.buttons.iter().flatten().map(|b| (b.text.clone(), b.value.clone())).collect(),
            })
        }
        MessageContentType::Other(_) => None,
    }
}

/// The text a reply streamed as v1 frames, if any (legacy raw text is never Markdown).
fn streamed_markdown(assembler: &StreamAssembler) -> Option<String> {
    (!assembler.has_legacy_text() && !assembler.text().is_empty()).then(|| assembler.text().to_owned())
}

/// Renders a Lex answer's messages (those the widget cannot show are left out).
/// The final answer made of `messages`, after `streamed` text.
fn final_reply(messages: &[Message], images: &ImageOrigins, streamed: Option<String>) -> Reply {
    let parts = messages.iter().filter_map(|message| answer_part(message, images)).collect();
    let contents: Vec<&str> = messages.iter().filter_map(|message| message.content.as_deref()).collect();
    Reply::Final { parts, streamed, text: contents.join("\n\n") }
}

/// Whether a custom payload is HTML rather than Markdown (it starts with a tag).
fn looks_like_html(content: &str) -> bool {
    let trimmed = content.trim_start();
    trimmed.starts_with('<') && trimmed[1..].starts_with(|c: char| c.is_ascii_alphabetic())
}

/// Removes `<…>` tags (for SSML, which is for speech, not for reading).
fn strip_tags(ssml: &str) -> String {
    let mut text = String::with_capacity(ssml.len());
    let mut in_tag = false;
    for c in ssml.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A line of the conversation, as kept across reloads of the tab.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SavedEntry {
    /// What the visitor sent.
    Visitor(String),
    /// A final bot answer.
    Answer(Vec<AnswerPart>),
    /// A failed turn: the message and what had streamed.
    Failed(String, String),
    /// A reply still under way: restored as pending and resumed from the server.
    Pending {
        /// The turn id.
        turn: String,
        /// The text streamed so far.
        text: String,
        /// The `seq` of the last frame that text includes; `None` before the first frame.
        seq: Option<u64>,
    },
}

impl Transcript {
    /// Every entry, for saving; a reply under way is saved with its text so far.
    pub fn saved(&self) -> Vec<SavedEntry> {
        self.entries
            .iter()
            .map(|entry| match entry {
                Entry::Visitor(text) => SavedEntry::Visitor(text.clone()),
                Entry::Bot { reply: Reply::Final { parts, .. }, .. } => SavedEntry::Answer(parts.clone()),
                Entry::Bot { reply: Reply::Failed { message, partial }, .. } => {
                    SavedEntry::Failed(message.clone(), partial.clone())
                }
                Entry::Bot { turn, reply: Reply::Waiting } => {
                    SavedEntry::Pending { turn: turn.clone(), text: String::new(), seq: None }
                }
                Entry::Bot { turn, reply: Reply::Streaming(assembler) } => SavedEntry::Pending {
                    turn: turn.clone(),
                    text: assembler.text().to_owned(),
                    seq: assembler.last_applied_seq(),
                },
            })
            .collect()
    }

    /// A conversation restored from saved entries; a reply that was under way is pending again
    /// (or, if it cannot be resumed, failed with `interrupted`).
    pub fn restored(saved: Vec<SavedEntry>, interrupted: &str) -> Self {
        let mut transcript = Self::default();
        for (index, entry) in saved.into_iter().enumerate() {
            let restored = |reply| Entry::Bot { turn: format!("restored-{index}"), reply };
            let entry = match entry {
                SavedEntry::Visitor(text) => Entry::Visitor(text),
                SavedEntry::Answer(parts) => {
                    restored(Reply::Final { parts, streamed: None, text: String::new() })
                }
                SavedEntry::Failed(message, partial) => restored(Reply::Failed { message, partial }),
                SavedEntry::Pending { turn, text, seq } => {
                    transcript.restore_pending(turn, text, seq, interrupted);
                    continue;
                }
            };
            transcript.entries.push(entry);
        }
        transcript
    }

    /// Restores a reply that was under way: streaming from a snapshot of its text (so the next
    /// frame, or the server's snapshot, continues after `seq`), or waiting if nothing had arrived.
    /// A turn id that breaks the rule cannot be resumed: the reply is shown as interrupted.
    fn restore_pending(&mut self, turn: String, text: String, seq: Option<u64>, interrupted: &str) {
        let reply = if check_turn_id(&turn).is_err() {
            Reply::Failed { message: interrupted.to_owned(), partial: text.clone() }
        } else if seq.is_none() && !text.is_empty() {
            // Raw text from a legacy fulfillment has no `seq`.
            let mut assembler = StreamAssembler::new(turn.clone());
            assembler.push_legacy(&text);
            Reply::Streaming(assembler)
        } else {
            Reply::Waiting
        };
        let waiting = matches!(reply, Reply::Waiting);
        self.entries.push(Entry::Bot { turn: turn.clone(), reply });
        if let (true, Some(seq)) = (waiting, seq) {
            self.on_incoming(Incoming::Frame(Frame::Snapshot { turn, seq, text }));
        }
    }

    /// A conversation that opens with the bot's greeting.
    pub fn with_greeting(greeting: &str) -> Self {
        let part = AnswerPart::Markup(escape_text(greeting));
        Self {
            entries: vec![Entry::Bot {
                turn: "greeting".into(),
                reply: Reply::Final { parts: vec![part], streamed: None, text: greeting.to_owned() },
            }],
            ..Self::default()
        }
    }

    /// The same conversation, with images in answers allowed to load from `origins` (the site
    /// owner's `ui.allowedImageOrigins`). Without this, no image loads.
    pub fn allowing_images_from(self, origins: ImageOrigins) -> Self {
        Self { image_origins: origins, ..self }
    }

    /// Where images in answers may load from: what renders and sanitizes this conversation's
    /// answers, streamed or final, follows it.
    pub fn image_origins(&self) -> &ImageOrigins {
        &self.image_origins
    }

    /// The entries, oldest first.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The turn of the newest reply while it is still under way (waiting or streaming).
    pub fn answering_turn(&self) -> Option<String> {
        match self.entries.last()? {
            Entry::Bot { turn, reply: Reply::Waiting | Reply::Streaming(_) } => Some(turn.clone()),
            _ => None,
        }
    }

    /// The replies under way (asked, neither finalized nor failed), oldest first.
    pub fn pending_turns(&self) -> Vec<PendingTurn> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Bot { turn, reply: Reply::Waiting } => {
                    Some(PendingTurn { turn: turn.clone(), after: None, received: 0 })
                }
                Entry::Bot { turn, reply: Reply::Streaming(assembler) } => Some(PendingTurn {
                    turn: turn.clone(),
                    after: assembler.last_applied_seq(),
                    received: assembler.text().len(),
                }),
                _ => None,
            })
            .collect()
    }

    /// Frames that could not be used (malformed, unknown types, other turns, duplicates, frames
    /// too far ahead or beyond what a reply holds).
    pub fn ignored_frames(&self) -> u64 {
        self.ignored_frames
    }

    /// The visitor asks `text`; the bot's reply for `turn` starts waiting.
    pub fn ask(&mut self, text: &str, turn: &str) {
        self.entries.push(Entry::Visitor(text.to_owned()));
        self.entries.push(Entry::Bot { turn: turn.to_owned(), reply: Reply::Waiting });
    }

    /// The newest reply in `entries` for `turn` (any turn: the newest reply), with its entry's
    /// turn id. (Over the entries alone, so the rest of the transcript stays readable.)
    fn reply_mut<'e>(entries: &'e mut [Entry], turn: Option<&str>) -> Option<(String, &'e mut Reply)> {
        entries.iter_mut().rev().find_map(|entry| match entry {
            Entry::Bot { turn: entry_turn, reply } if turn.is_none_or(|t| t == entry_turn) => {
                Some((entry_turn.clone(), reply))
            }
            _ => None,
        })
    }

    /// Applies one WebSocket message to the reply it belongs to (legacy text: the newest reply)
    /// and says what changed, so the view redraws only that. A `final` frame finalizes a pending
    /// reply exactly as [`finalize`](Self::finalize) does; for a reply already finished it
    /// changes nothing.
    pub fn on_incoming(&mut self, incoming: Incoming) -> Change {
        let (turn, frame, legacy) = match incoming {
            Incoming::Frame(frame) => (Some(frame.turn().to_owned()), Some(frame), None),
            Incoming::Legacy(text) => (None, None, Some(text)),
            // Never shown: a frame type this version does not know is counted like a malformed one.
            Incoming::Malformed(_) | Incoming::Unknown { .. } => {
                self.ignored_frames = self.ignored_frames.saturating_add(1);
                return Change::Nothing;
            }
        };
        let Some((entry_turn, reply)) = Self::reply_mut(&mut self.entries, turn.as_deref()) else {
            self.ignored_frames = self.ignored_frames.saturating_add(1);
            return Change::Nothing;
        };
        let started = matches!(reply, Reply::Waiting);
        if started {
            // Named after its entry, whatever came first: v1 frames after legacy text still fit.
            *reply = Reply::Streaming(StreamAssembler::new(entry_turn));
        }
        let change = match (&mut *reply, frame, legacy) {
            // A final frame carries the whole answer: it ends the pending reply even when `done`
            // or `error` ended the stream before it.
            (Reply::Streaming(assembler), Some(Frame::Final { messages, .. }), _) => {
                let streamed = streamed_markdown(assembler);
                *reply = final_reply(&messages, &self.image_origins, streamed);
                Change::Finished
            }
            (Reply::Streaming(assembler), Some(frame), _) => match assembler.accept(frame) {
                Accepted::Applied { .. } => Change::Stream,
                Accepted::Held => Change::Nothing,
                Accepted::Duplicate
                | Accepted::OtherTurn
                | Accepted::AfterEnd
                | Accepted::OutOfWindow
                | Accepted::HoldFull => {
                    self.ignored_frames = self.ignored_frames.saturating_add(1);
                    Change::Nothing
                }
            },
            (Reply::Streaming(assembler), None, Some(text)) => {
                assembler.push_legacy(&text);
                Change::Stream
            }
            _ => {
                self.ignored_frames = self.ignored_frames.saturating_add(1);
                Change::Nothing
            }
        };
        if started && change != Change::Finished { Change::Reply } else { change }
    }

    /// The final Lex answer for `turn` replaces whatever streamed. A reply already finished (by a
    /// `final` frame, or failed) stays as it is, so the same answer arriving twice changes nothing.
    pub fn finalize(&mut self, turn: &str, messages: &[Message]) {
        if let Some((_, reply @ (Reply::Waiting | Reply::Streaming(_)))) =
            Self::reply_mut(&mut self.entries, Some(turn))
        {
            let streamed = match reply {
                Reply::Streaming(assembler) => streamed_markdown(assembler),
                _ => None,
            };
            *reply = final_reply(messages, &self.image_origins, streamed);
        }
    }

    /// The turn failed (Lex or the network); streamed text stays visible with the message. A
    /// reply already finished stays as it is.
    pub fn fail(&mut self, turn: &str, message: &str) {
        if let Some((_, reply @ (Reply::Waiting | Reply::Streaming(_)))) =
            Self::reply_mut(&mut self.entries, Some(turn))
        {
            let partial = match reply {
                Reply::Streaming(assembler) => assembler.text().to_owned(),
                _ => String::new(),
            };
            *reply = Reply::Failed { message: message.to_owned(), partial };
        }
    }
}

#[cfg(test)]
mod tests {
    use lexstream_protocol::lex::{Button, ImageResponseCard};
    use lexstream_protocol::{Frame, parse_incoming};

    use super::*;

    fn chunk(turn: &str, seq: u64, text: &str) -> Incoming {
        Incoming::Frame(Frame::Chunk { turn: turn.into(), seq, text: text.into(), done: false })
    }

    fn streamed_text(transcript: &Transcript) -> Option<String> {
        match transcript.entries().last()? {
            Entry::Bot { reply: Reply::Streaming(assembler), .. } => Some(assembler.text().to_owned()),
            _ => None,
        }
    }

    #[test]
    fn frames_stream_into_the_waiting_reply_then_the_final_answer_replaces_them() {
        let mut transcript = Transcript::with_greeting("Hi");
        transcript.ask("What is it?", "t1");
        assert!(matches!(transcript.entries().last(), Some(Entry::Bot { reply: Reply::Waiting, .. })));
        transcript.on_incoming(chunk("t1", 1, "**world**"));
        transcript.on_incoming(chunk("t1", 0, "Hello "));
        assert_eq!(streamed_text(&transcript).as_deref(), Some("Hello **world**"));
        transcript.finalize("t1", &[Message::text(MessageContentType::CustomPayload, "Hello **world**")]);
        match transcript.entries().last() {
            Some(Entry::Bot { reply: Reply::Final { parts, streamed, text }, .. }) => {
                assert_eq!(parts, &[AnswerPart::Markup("<p>Hello <strong>world</strong></p>\n".into())]);
                assert_eq!(text, "Hello **world**", "the answer as the bot wrote it, for the page");
                assert_eq!(streamed.as_deref(), Some("Hello **world**"), "kept for the view to compare");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn frames_of_an_older_turn_do_not_leak_into_the_newest_reply() {
        let mut transcript = Transcript::default();
        transcript.ask("one", "t1");
        transcript.ask("two", "t2");
        transcript.on_incoming(chunk("t2", 0, "second"));
        transcript.on_incoming(chunk("t1", 0, "first"));
        transcript.on_incoming(chunk("t9", 0, "nobody's"));
        assert_eq!(streamed_text(&transcript).as_deref(), Some("second"));
        assert_eq!(transcript.ignored_frames(), 1);
    }

    #[test]
    fn legacy_raw_text_streams_as_text_and_malformed_frames_are_counted() {
        let mut transcript = Transcript::default();
        transcript.ask("hi", "t1");
        transcript.on_incoming(parse_incoming("<b>raw</b> "));
        transcript.on_incoming(parse_incoming(r#"{"type":"chunk","turn":"t1"}"#));
        transcript.on_incoming(parse_incoming("text"));
        assert_eq!(streamed_text(&transcript).as_deref(), Some("<b>raw</b> text"));
        assert_eq!(transcript.ignored_frames(), 1);
    }

    #[test]
    fn v1_frames_after_legacy_text_still_belong_to_the_turn() {
        let mut transcript = Transcript::default();
        transcript.ask("hi", "t1");
        assert_eq!(transcript.on_incoming(parse_incoming("raw ")), Change::Reply);
        assert_eq!(transcript.on_incoming(chunk("t1", 0, "then v1")), Change::Stream);
        assert_eq!(streamed_text(&transcript).as_deref(), Some("raw then v1"));
        assert_eq!(transcript.ignored_frames(), 0);
        transcript.finalize("t1", &[Message::text(MessageContentType::CustomPayload, "raw then v1")]);
        assert!(
            matches!(last_reply(&transcript), Reply::Final { streamed: None, .. }),
            "legacy raw text is plain text: never compared with a Markdown answer"
        );
    }

    #[test]
    fn each_message_says_what_it_changed() {
        let mut transcript = Transcript::default();
        transcript.ask("hi", "t1");
        assert_eq!(
            transcript.on_incoming(parse_incoming(r#"{"type":"chunk","turn":"t1"}"#)),
            Change::Nothing
        );
        assert_eq!(
            transcript.on_incoming(chunk("t1", 1, "early")),
            Change::Reply,
            "streaming now, text held"
        );
        assert_eq!(transcript.on_incoming(chunk("t1", 2, "earlier")), Change::Nothing, "held");
        assert_eq!(transcript.on_incoming(chunk("t1", 0, "first")), Change::Stream);
        assert_eq!(transcript.on_incoming(chunk("t1", 0, "first")), Change::Nothing, "duplicate");
        let progress = Frame::Progress { turn: "t1".into(), seq: 3, text: "Searching".into() };
        assert_eq!(transcript.on_incoming(Incoming::Frame(progress)), Change::Stream);
        assert_eq!(transcript.on_incoming(chunk("t9", 4, "elsewhere")), Change::Nothing);
    }

    #[test]
    fn a_failure_keeps_what_streamed() {
        let mut transcript = Transcript::default();
        transcript.ask("hi", "t1");
        transcript.on_incoming(chunk("t1", 0, "partial"));
        transcript.fail("t1", "The bot is unreachable.");
        assert!(matches!(
            transcript.entries().last(),
            Some(Entry::Bot { reply: Reply::Failed { partial, .. }, .. }) if partial == "partial"
        ));
    }

    fn save_and_restore(transcript: &Transcript) -> Transcript {
        let json = serde_json::to_string(&transcript.saved()).unwrap();
        Transcript::restored(serde_json::from_str(&json).unwrap(), INTERRUPTED)
    }

    fn last_reply(transcript: &Transcript) -> &Reply {
        match transcript.entries().last() {
            Some(Entry::Bot { reply, .. }) => reply,
            other => panic!("the last entry is not a reply: {other:?}"),
        }
    }

    fn final_frame(turn: &str, seq: u64, messages: &[Message]) -> Incoming {
        let json = Frame::Final { turn: turn.into(), seq, messages: messages.to_vec() }.to_json();
        parse_incoming(&json)
    }

    #[test]
    fn finished_entries_survive_a_save_and_restore() {
        let mut transcript = Transcript::with_greeting("Hi");
        transcript.ask("q1", "t1");
        transcript.finalize("t1", &[Message::text(MessageContentType::PlainText, "a1")]);
        transcript.ask("q2", "t2");
        transcript.on_incoming(chunk("t2", 0, "still streaming"));
        let saved = transcript.saved();
        assert_eq!(saved.len(), 5, "greeting, q1, a1, q2 and the reply under way");
        assert_eq!(save_and_restore(&transcript).saved(), saved);
    }

    #[test]
    fn a_pending_reply_survives_a_save_and_restore_as_pending_with_its_text() {
        let mut transcript = Transcript::with_greeting("Hi");
        transcript.ask("Tell me", "turn-1-42");
        transcript.on_incoming(chunk("turn-1-42", 0, "Hello, "));
        transcript.on_incoming(chunk("turn-1-42", 1, "wor"));
        transcript.on_incoming(chunk("turn-1-42", 3, "held, not yet shown"));

        let mut restored = save_and_restore(&transcript);
        assert_eq!(streamed_text(&restored).as_deref(), Some("Hello, wor"), "still streaming");
        assert_eq!(
            restored.pending_turns(),
            [PendingTurn { turn: "turn-1-42".into(), after: Some(1), received: 10 }],
            "resumed after the last frame applied before the reload"
        );
        assert_eq!(restored.answering_turn().as_deref(), Some("turn-1-42"), "the stop button still shows");
        // The server's snapshot repeats what the tab had; the stream continues after it.
        restored.on_incoming(Incoming::Frame(Frame::Snapshot {
            turn: "turn-1-42".into(),
            seq: 1,
            text: "Hello, wor".into(),
        }));
        restored.on_incoming(chunk("turn-1-42", 2, "ld"));
        assert_eq!(streamed_text(&restored).as_deref(), Some("Hello, world"));
    }

    #[test]
    fn a_reply_still_waiting_is_restored_waiting() {
        let mut transcript = Transcript::default();
        transcript.ask("q", "turn-2-7");
        let mut restored = save_and_restore(&transcript);
        assert!(matches!(last_reply(&restored), Reply::Waiting));
        assert_eq!(
            restored.pending_turns(),
            [PendingTurn { turn: "turn-2-7".into(), after: None, received: 0 }]
        );
        restored.on_incoming(Incoming::Frame(Frame::Snapshot {
            turn: "turn-2-7".into(),
            seq: 4,
            text: "all so far".into(),
        }));
        assert_eq!(streamed_text(&restored).as_deref(), Some("all so far"));
    }

    #[test]
    fn a_restored_pending_reply_with_a_forged_turn_id_is_shown_interrupted() {
        let saved = vec![
            SavedEntry::Visitor("q".into()),
            SavedEntry::Pending { turn: "a#b".into(), text: "so far".into(), seq: Some(2) },
        ];
        let restored = Transcript::restored(saved, INTERRUPTED);
        assert!(restored.pending_turns().is_empty());
        assert!(matches!(
            last_reply(&restored),
            Reply::Failed { message, partial } if message == INTERRUPTED && partial == "so far"
        ));
    }

    #[test]
    fn a_final_frame_finalizes_a_pending_reply_exactly_as_lex_answer_would() {
        let messages = [
            Message::text(MessageContentType::CustomPayload, "Hello **world**"),
            Message::text(MessageContentType::PlainText, "Anything else?"),
        ];
        let mut by_lex = Transcript::with_greeting("Hi");
        by_lex.ask("q", "turn-1-1");
        by_lex.on_incoming(chunk("turn-1-1", 0, "Hello "));
        by_lex.finalize("turn-1-1", &messages);

        let mut by_frame = Transcript::with_greeting("Hi");
        by_frame.ask("q", "turn-1-1");
        by_frame.on_incoming(chunk("turn-1-1", 0, "Hello "));
        // Frames 1..4 were lost with the page; the final answer needs none of them.
        assert_eq!(by_frame.on_incoming(final_frame("turn-1-1", 5, &messages)), Change::Finished);

        assert!(matches!(last_reply(&by_frame), Reply::Final { .. }));
        assert_eq!(by_frame.saved(), by_lex.saved());
        assert!(by_frame.pending_turns().is_empty());
        assert_eq!(by_frame.ignored_frames(), 0);
    }

    #[test]
    fn a_final_frame_after_done_still_finalizes_the_reply() {
        let messages = [Message::text(MessageContentType::PlainText, "The whole answer")];
        let mut transcript = Transcript::default();
        transcript.ask("q", "t1");
        transcript.on_incoming(chunk("t1", 0, "The whole answer"));
        transcript.on_incoming(Incoming::Frame(Frame::Done { turn: "t1".into(), seq: 1 }));
        assert_eq!(transcript.pending_turns().len(), 1, "done ends the stream, not the reply");
        assert_eq!(transcript.on_incoming(final_frame("t1", 2, &messages)), Change::Finished);
        assert!(matches!(last_reply(&transcript), Reply::Final { parts, .. } if parts.len() == 1));
    }

    #[test]
    fn a_final_frame_for_another_or_a_finished_turn_changes_nothing() {
        let mut transcript = Transcript::with_greeting("Hi");
        transcript.ask("q1", "t1");
        transcript.finalize("t1", &[Message::text(MessageContentType::PlainText, "first")]);
        transcript.ask("q2", "t2");
        transcript.on_incoming(chunk("t2", 0, "streaming"));
        let before = transcript.saved();
        let other = [Message::text(MessageContentType::PlainText, "forged")];
        assert_eq!(transcript.on_incoming(final_frame("t1", 9, &other)), Change::Nothing, "t1 is finished");
        assert_eq!(transcript.on_incoming(final_frame("t9", 0, &other)), Change::Nothing, "no such turn");
        assert_eq!(transcript.saved(), before);
        assert_eq!(transcript.ignored_frames(), 2);
    }

    #[test]
    fn a_later_lex_answer_for_a_reply_finished_by_a_final_frame_changes_nothing() {
        let mut transcript = Transcript::with_greeting("Hi");
        transcript.ask("q", "t1");
        let messages = [Message::text(MessageContentType::CustomPayload, "**Done**")];
        transcript.on_incoming(final_frame("t1", 3, &messages));
        let shown = transcript.saved();
        // Lex's own response for the same turn arrives afterwards (or fails after a retry).
        transcript.finalize("t1", &messages);
        assert_eq!(transcript.saved(), shown);
        transcript.finalize("t1", &[Message::text(MessageContentType::PlainText, "other")]);
        assert_eq!(transcript.saved(), shown);
        transcript.fail("t1", "The bot is unreachable.");
        assert_eq!(transcript.saved(), shown);
    }

    #[test]
    fn an_unknown_frame_type_is_counted_and_never_shown() {
        let mut transcript = Transcript::default();
        transcript.ask("q", "t1");
        let unknown = parse_incoming(r#"{"type":"citation","turn":"t1","seq":0,"text":"secret"}"#);
        assert!(matches!(unknown, Incoming::Unknown { .. }));
        transcript.on_incoming(unknown.clone());
        assert!(matches!(last_reply(&transcript), Reply::Waiting), "nothing arrived that can be shown");
        transcript.on_incoming(chunk("t1", 0, "visible"));
        transcript.on_incoming(unknown);
        assert_eq!(streamed_text(&transcript).as_deref(), Some("visible"));
        assert_eq!(transcript.ignored_frames(), 2);
    }

    #[test]
    fn new_turn_ids_pass_the_turn_id_rule() {
        for (counter, random) in [(1, 0.0), (2, 0.5), (u64::MAX, 0.999_999_999_9), (7, 1.0), (8, f64::NAN)] {
            let turn = new_turn_id(counter, random);
            assert_eq!(check_turn_id(&turn), Ok(()), "{turn}");
        }
        assert_ne!(new_turn_id(1, 0.25), new_turn_id(1, 0.75));
    }

    #[test]
    fn every_message_kind_becomes_markup_with_text_escaped() {
        let none = ImageOrigins::none();
        let plain =
            answer_part(&Message::text(MessageContentType::PlainText, "<script>x</script>\nline"), &none)
                .unwrap();
        assert_eq!(plain, AnswerPart::Markup("&lt;script&gt;x&lt;/script&gt;<br>line".into()));
        let html = answer_part(
            &Message::text(MessageContentType::CustomPayload, "<p onclick=\"x()\">ok</p>"),
            &none,
        )
        .unwrap();
        assert_eq!(html, AnswerPart::Markup("<p onclick=\"x()\">ok</p>".into()), "sanitized by the view");
        let ssml = answer_part(
            &Message::text(MessageContentType::Ssml, "<speak>Hello <break/> there</speak>"),
            &none,
        )
        .unwrap();
        assert_eq!(ssml, AnswerPart::Markup("Hello there".into()));
        let card = Message {
            content_type: MessageContentType::ImageResponseCard,
            content: None,
            image_response_card: Some(ImageResponseCard {
                title: "Pick".into(),
                subtitle: None,
                image_url: None,
                buttons: Some(vec![Button { text: "Yes".into(), value: "yes".into() }]),
            }),
        };
        assert_eq!(
            answer_part(&card, &none),
            Some(AnswerPart::Card {
                title: "Pick".into(),
                subtitle: None,
                buttons: vec![("Yes".into(), "yes".into())]
            })
        );
    }

    #[test]
    fn markdown_answers_load_images_only_from_the_origins_the_transcript_allows() {
        let answer = "![chart](https://cdn.example.com/c.png) ![secret](https://attacker.example/?q=1)";
        let images = ImageOrigins::parse(&["https://cdn.example.com"]).unwrap();
        let mut transcript = Transcript::with_greeting("Hi").allowing_images_from(images.clone());
        assert_eq!(transcript.image_origins(), &images);
        transcript.ask("q", "t1");
        transcript.on_incoming(chunk("t1", 0, answer));
        transcript.finalize("t1", &[Message::text(MessageContentType::CustomPayload, answer)]);
        assert!(matches!(
            last_reply(&transcript),
            Reply::Final { parts, .. }
                if parts == &[AnswerPart::Markup("<p><img src=\"https://cdn.example.com/c.png\" alt=\"chart\" /> secret</p>\n".into())]
        ));
        let mut strict = Transcript::default();
        strict.ask("q", "t1");
        strict.finalize("t1", &[Message::text(MessageContentType::CustomPayload, answer)]);
        assert!(matches!(
            last_reply(&strict),
            Reply::Final { parts, .. } if parts == &[AnswerPart::Markup("<p>chart secret</p>\n".into())]
        ));
    }

    #[test]
    fn only_a_reply_under_way_can_be_stopped() {
        let mut transcript = Transcript::with_greeting("Hi");
        assert_eq!(transcript.answering_turn(), None);
        transcript.ask("q", "t1");
        assert_eq!(transcript.answering_turn().as_deref(), Some("t1"));
        transcript.on_incoming(chunk("t1", 0, "partial"));
        assert_eq!(transcript.answering_turn().as_deref(), Some("t1"));
        transcript.finalize("t1", &[Message::text(MessageContentType::PlainText, "done")]);
        assert_eq!(transcript.answering_turn(), None);
    }
}
