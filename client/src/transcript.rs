//! The conversation as the widget shows it: a plain struct with methods, tested without a
//! browser. Streamed frames go through the protocol's assembler; the final Lex messages replace
//! the streamed text as markup, which the view sanitizes (`crate::sanitize`) when it shows it.

use lexstream_protocol::lex::{Message, MessageContentType};
use lexstream_protocol::render::{escape_text, render_markdown};
use lexstream_protocol::{Incoming, StreamAssembler};

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
    Final(Vec<AnswerPart>),
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
}

/// Renders one Lex message to what the widget shows.
pub fn answer_part(message: &Message) -> Option<AnswerPart> {
    let content = message.content.as_deref().unwrap_or("");
    match &message.content_type {
        MessageContentType::PlainText => Some(AnswerPart::Markup(escape_text(content).replace('\n', "<br>"))),
        MessageContentType::CustomPayload => Some(AnswerPart::Markup(if looks_like_html(content) {
            content.to_owned()
        } else {
            render_markdown(content)
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

/// A finished line of the conversation, as kept across reloads of the tab.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SavedEntry {
    /// What the visitor sent.
    Visitor(String),
    /// A final bot answer.
    Answer(Vec<AnswerPart>),
    /// A failed turn: the message and what had streamed.
    Failed(String, String),
}

impl Transcript {
    /// The finished entries, for saving (replies still under way are left out).
    pub fn saved(&self) -> Vec<SavedEntry> {
        self.entries
            .iter()
            .filter_map(|entry| match entry {
                Entry::Visitor(text) => Some(SavedEntry::Visitor(text.clone())),
                Entry::Bot { reply: Reply::Final(parts), .. } => Some(SavedEntry::Answer(parts.clone())),
                Entry::Bot { reply: Reply::Failed { message, partial }, .. } => {
                    Some(SavedEntry::Failed(message.clone(), partial.clone()))
                }
                Entry::Bot { .. } => None,
            })
            .collect()
    }

    /// A conversation restored from saved entries.
    pub fn restored(saved: Vec<SavedEntry>) -> Self {
        let entries = saved
            .into_iter()
            .enumerate()
            .map(|(index, entry)| match entry {
                SavedEntry::Visitor(text) => Entry::Visitor(text),
                SavedEntry::Answer(parts) => {
                    Entry::Bot { turn: format!("restored-{index}"), reply: Reply::Final(parts) }
                }
                SavedEntry::Failed(message, partial) => Entry::Bot {
                    turn: format!("restored-{index}"),
                    reply: Reply::Failed { message, partial },
                },
            })
            .collect();
        Self { entries, ignored_frames: 0 }
    }

    /// A conversation that opens with the bot's greeting.
    pub fn with_greeting(greeting: &str) -> Self {
        let part = AnswerPart::Markup(escape_text(greeting));
        Self {
            entries: vec![Entry::Bot { turn: "greeting".into(), reply: Reply::Final(vec![part]) }],
            ignored_frames: 0,
        }
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

    /// Frames that could not be used (malformed, other turns, duplicates).
    pub fn ignored_frames(&self) -> u64 {
        self.ignored_frames
    }

    /// The visitor asks `text`; the bot's reply for `turn` starts waiting.
    pub fn ask(&mut self, text: &str, turn: &str) {
        self.entries.push(Entry::Visitor(text.to_owned()));
        self.entries.push(Entry::Bot { turn: turn.to_owned(), reply: Reply::Waiting });
    }

    fn reply_mut(&mut self, turn: Option<&str>) -> Option<&mut Reply> {
        self.entries.iter_mut().rev().find_map(|entry| match entry {
            Entry::Bot { turn: entry_turn, reply } if turn.is_none_or(|t| t == entry_turn) => Some(reply),
            _ => None,
        })
    }

    /// Applies one WebSocket message to the reply it belongs to (legacy text: the newest reply).
    pub fn on_incoming(&mut self, incoming: Incoming) {
        let (turn, frame, legacy) = match incoming {
            Incoming::Frame(frame) => (Some(frame.turn().to_owned()), Some(frame), None),
            Incoming::Legacy(text) => (None, None, Some(text)),
            Incoming::Malformed(_) => {
                self.ignored_frames += 1;
                return;
            }
        };
        let mut ignored = false;
        if let Some(reply) = self.reply_mut(turn.as_deref()) {
            if let Reply::Waiting = reply {
                let assembler_turn = turn.clone().unwrap_or_else(|| "legacy".to_owned());
                *reply = Reply::Streaming(StreamAssembler::new(assembler_turn));
            }
            match (reply, frame, legacy) {
                (Reply::Streaming(assembler), Some(frame), _) => {
                    let outcome = assembler.accept(frame);
                    ignored = !matches!(
                        outcome,
                        lexstream_protocol::Accepted::Applied { .. } | lexstream_protocol::Accepted::Held
                    );
                }
                (Reply::Streaming(assembler), None, Some(text)) => assembler.push_legacy(&text),
                _ => ignored = true,
            }
        } else {
            ignored = true;
        }
        if ignored {
            self.ignored_frames += 1;
        }
    }

    /// The final Lex answer for `turn` replaces whatever streamed.
    pub fn finalize(&mut self, turn: &str, messages: &[Message]) {
        let parts: Vec<AnswerPart> = messages.iter().filter_map(answer_part).collect();
        if let Some(reply) = self.reply_mut(Some(turn)) {
            *reply = Reply::Final(parts);
        }
    }

    /// The turn failed (Lex or the network); streamed text stays visible with the message.
    pub fn fail(&mut self, turn: &str, message: &str) {
        if let Some(reply) = self.reply_mut(Some(turn)) {
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
        Incoming::Frame(Frame::Chunk { turn: turn.into(), seq, text: text.into() })
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
            Some(Entry::Bot { reply: Reply::Final(parts), .. }) => {
                assert_eq!(parts, &[AnswerPart::Markup("<p>Hello <strong>world</strong></p>\n".into())]);
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

    #[test]
    fn finished_entries_survive_a_save_and_restore() {
        let mut transcript = Transcript::with_greeting("Hi");
        transcript.ask("q1", "t1");
        transcript.finalize("t1", &[Message::text(MessageContentType::PlainText, "a1")]);
        transcript.ask("q2", "t2");
        transcript.on_incoming(chunk("t2", 0, "still streaming"));
        let saved = transcript.saved();
        assert_eq!(saved.len(), 4, "greeting, q1, a1, q2: the reply under way is not saved");
        let json = serde_json::to_string(&saved).unwrap();
        let restored = Transcript::restored(serde_json::from_str(&json).unwrap());
        assert_eq!(restored.saved(), saved);
    }

    #[test]
    fn every_message_kind_becomes_markup_with_text_escaped() {
        let plain =
            answer_part(&Message::text(MessageContentType::PlainText, "<script>x</script>\nline")).unwrap();
        assert_eq!(plain, AnswerPart::Markup("&lt;script&gt;x&lt;/script&gt;<br>line".into()));
        let html =
            answer_part(&Message::text(MessageContentType::CustomPayload, "<p onclick=\"x()\">ok</p>"))
                .unwrap();
        assert_eq!(html, AnswerPart::Markup("<p onclick=\"x()\">ok</p>".into()), "sanitized by the view");
        let ssml =
            answer_part(&Message::text(MessageContentType::Ssml, "<speak>Hello <break/> there</speak>"))
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
            answer_part(&card),
            Some(AnswerPart::Card {
                title: "Pick".into(),
                subtitle: None,
                buttons: vec![("Yes".into(), "yes".into())]
            })
        );
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
