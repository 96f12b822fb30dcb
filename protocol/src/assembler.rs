//! Putting one turn's frames back together: order, duplicates, gaps, completion — within
//! bounds: it holds at most [`ASSEMBLER_MAX_HELD_FRAMES`] early frames, none further than
//! [`ASSEMBLER_MAX_SEQ_AHEAD`] ahead, and no `seq` makes its arithmetic overflow.

use std::ops::Range;

use crate::Frame;
use crate::limits::{ASSEMBLER_MAX_HELD_FRAMES, ASSEMBLER_MAX_SEQ_AHEAD};

/// What [`StreamAssembler::accept`] did with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The frame was next in order; it and this many held frames after it (0 or more) are applied.
    Applied {
        /// Frames that had arrived early and could be applied now.
        released: usize,
    },
    /// The frame came early (a gap precedes it); it is kept until the gap is filled.
    Held,
    /// A frame with this `seq` was already seen; ignored.
    Duplicate,
    /// The frame belongs to another turn; ignored.
    OtherTurn,
    /// The turn already ended (`done` or `error` was applied); ignored.
    AfterEnd,
    /// The frame is further than [`ASSEMBLER_MAX_SEQ_AHEAD`] past the next expected `seq`, or
    /// its `seq` is `u64::MAX` (no frame could follow it); ignored, not held.
    OutOfWindow,
    /// The frame came early but [`ASSEMBLER_MAX_HELD_FRAMES`] are held already; ignored, not
    /// held.
    HoldFull,
}

/// How the turn's stream ended, once it has.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ending {
    Done,
    Failed(String),
}

/// Rebuilds one turn's streamed answer from frames that may arrive in any order, more than once.
///
/// Frames are applied strictly in `seq` order. A frame that comes early is held until every
/// frame before it has arrived; [`gaps`](Self::gaps) names what is still missing. A `snapshot`
/// is the exception: it carries the whole text so far, so it applies as soon as it arrives
/// (a widget that reconnected, or reloaded, resumes from it) and supersedes what came before. Legacy raw
/// text (from a fulfillment that does not speak v1) has no `seq` and is appended as it comes.
///
/// What it holds is bounded: an early frame too far ahead, or one more than the hold takes, is
/// ignored like a malformed one (the widget's resume then brings a `snapshot`).
#[derive(Debug, Clone)]
pub struct StreamAssembler {
    turn: String,
    next_seq: u64,
    /// Early frames, in `seq` order (a short list: at most [`ASSEMBLER_MAX_HELD_FRAMES`]; a
    /// `Vec` keeps the B-tree's insert and removal code out of the widget).
    held: Vec<Frame>,
    text: String,
    status: Option<String>,
    ending: Option<Ending>,
    ignored: u64,
    final_messages: Option<Vec<crate::lex::Message>>,
    legacy: bool,
}

impl StreamAssembler {
    /// Starts assembling the turn named `turn`.
    pub fn new(turn: impl Into<String>) -> Self {
        Self {
            turn: turn.into(),
            next_seq: 0,
            held: Vec::new(),
            text: String::new(),
            status: None,
            ending: None,
            ignored: 0,
            final_messages: None,
            legacy: false,
        }
    }

    /// The turn this assembler collects.
    pub fn turn(&self) -> &str {
        &self.turn
    }

    /// Takes one frame; applies it (and any held frames it unblocks) if it is next in order.
    pub fn accept(&mut self, frame: Frame) -> Accepted {
        let outcome = self.classify(&frame);
        match outcome {
            Accepted::Applied { .. } => {
                let seq = frame.seq();
                self.held.retain(|held| held.seq() > seq);
                self.apply(frame);
                let released = self.release_held();
                Accepted::Applied { released }
            }
            Accepted::Held => {
                let at = self.held.partition_point(|held| held.seq() < frame.seq());
                self.held.insert(at, frame);
                Accepted::Held
            }
            Accepted::Duplicate
            | Accepted::OtherTurn
            | Accepted::AfterEnd
            | Accepted::OutOfWindow
            | Accepted::HoldFull => {
                self.ignored = self.ignored.saturating_add(1);
                outcome
            }
        }
    }

    /// Appends legacy raw text (a message that was not a v1 frame) to the answer.
    pub fn push_legacy(&mut self, text: &str) {
        if self.ending.is_none() {
            self.text.push_str(text);
            self.legacy = true;
        }
    }

    /// Whether any of the text came as legacy raw text: a fulfillment that does not speak v1
    /// sends plain text, never Markdown meant to be formatted while it streams.
    pub fn has_legacy_text(&self) -> bool {
        self.legacy
    }

    /// The answer text assembled so far, in order.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The latest `progress` status line, until text arrives or the turn ends.
    pub fn status(&self) -> Option<&str> {
        self.status.as_deref()
    }

    /// True once a `done` or `error` frame has been applied (all frames before it arrived).
    pub fn is_complete(&self) -> bool {
        self.ending.is_some()
    }

    /// The Lex messages of a `final` frame that ended the turn, if one did: the answer to show
    /// when Lex's own response did not reach the widget.
    pub fn final_messages(&self) -> Option<&[crate::lex::Message]> {
        self.final_messages.as_deref()
    }

    /// The `seq` of the last frame applied (what a `resume` request names as `after`); `None`
    /// before the first.
    pub fn last_applied_seq(&self) -> Option<u64> {
        self.next_seq.checked_sub(1)
    }

    /// The message of the `error` frame that ended the turn, if it ended that way.
    pub fn error(&self) -> Option<&str> {
        match &self.ending {
            Some(Ending::Failed(message)) => Some(message),
            _ => None,
        }
    }

    /// Ranges of `seq` still missing before the frames being held. Empty when nothing is held.
    pub fn gaps(&self) -> Vec<Range<u64>> {
        let mut gaps = Vec::new();
        let mut expected = self.next_seq;
        for seq in self.held.iter().map(Frame::seq) {
            if seq > expected {
                gaps.push(expected..seq);
            }
            expected = seq.saturating_add(1);
        }
        gaps
    }

    /// How many early frames are held, waiting for a gap to fill (at most
    /// [`ASSEMBLER_MAX_HELD_FRAMES`]).
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// How many frames were ignored (duplicates, other turns, after the end, too far ahead, or
    /// with the hold full).
    pub fn ignored(&self) -> u64 {
        self.ignored
    }

    fn classify(&self, frame: &Frame) -> Accepted {
        let seq = frame.seq();
        let applies_at_once = matches!(frame, Frame::Snapshot { .. } | Frame::Final { .. });
        if frame.turn() != self.turn {
            Accepted::OtherTurn
        } else if seq == u64::MAX {
            // Applying it would leave no `seq` for the next frame.
            Accepted::OutOfWindow
        } else if self.ending.is_some() {
            // A stream that ended with `done` may still get its final answer (a worker that
            // outlived Lex posts `final` last); nothing else counts after the end.
            if matches!(frame, Frame::Final { .. }) && self.final_messages.is_none() && self.error().is_none()
            {
                Accepted::Applied { released: 0 }
            } else {
                Accepted::AfterEnd
            }
        } else if seq < self.next_seq || self.held.iter().any(|held| held.seq() == seq) {
            Accepted::Duplicate
        } else if seq == self.next_seq || applies_at_once {
            // A snapshot or a final answer carries everything before it, so it need not wait for
            // a gap to fill (`seq` is past `next_seq` here: earlier ones are duplicates).
            Accepted::Applied { released: 0 }
        } else if seq - self.next_seq > ASSEMBLER_MAX_SEQ_AHEAD {
            Accepted::OutOfWindow
        } else if self.held.len() >= ASSEMBLER_MAX_HELD_FRAMES {
            Accepted::HoldFull
        } else {
            Accepted::Held
        }
    }

    fn release_held(&mut self) -> usize {
        let mut released = 0_usize;
        while self.ending.is_none() {
            if self.held.first().map(Frame::seq) != Some(self.next_seq) {
                break;
            }
            let frame = self.held.remove(0);
            self.apply(frame);
            released = released.saturating_add(1);
        }
        if self.ending.is_some() {
            self.held.clear();
        }
        released
    }

    /// Applies a frame `classify` accepted (its `seq` is below `u64::MAX`).
    fn apply(&mut self, frame: Frame) {
        self.next_seq = frame.seq().saturating_add(1);
        match frame {
            Frame::Chunk { text, done, .. } => {
                self.status = None;
                self.text.push_str(&text);
                if done {
                    self.ending = Some(Ending::Done);
                }
            }
            Frame::Progress { text, .. } => self.status = Some(text),
            Frame::Snapshot { text, .. } => {
                self.status = None;
                self.text = text;
            }
            Frame::Done { .. } => {
                self.status = None;
                self.ending = Some(Ending::Done);
            }
            Frame::Error { message, .. } => {
                self.status = None;
                self.ending = Some(Ending::Failed(message));
            }
            Frame::Final { messages, .. } => {
                self.status = None;
                self.ending = Some(Ending::Done);
                self.final_messages = Some(messages);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(seq: u64, text: &str) -> Frame {
        Frame::Chunk { turn: "t".into(), seq, text: text.into(), done: false }
    }

    #[test]
    fn early_frame_is_held_until_the_gap_fills() {
        let mut turn = StreamAssembler::new("t");
        assert_eq!(turn.accept(chunk(2, "c")), Accepted::Held);
        assert_eq!(turn.gaps(), vec![0..2]);
        assert_eq!(turn.text(), "");
        assert_eq!(turn.accept(chunk(0, "a")), Accepted::Applied { released: 0 });
        assert_eq!(turn.gaps(), vec![1..2]);
        assert_eq!(turn.accept(chunk(1, "b")), Accepted::Applied { released: 1 });
        assert_eq!(turn.text(), "abc");
        assert!(turn.gaps().is_empty());
    }

    #[test]
    fn progress_is_replaced_and_cleared_by_text() {
        let mut turn = StreamAssembler::new("t");
        turn.accept(Frame::Progress { turn: "t".into(), seq: 0, text: "Searching…".into() });
        turn.accept(Frame::Progress { turn: "t".into(), seq: 1, text: "Reading…".into() });
        assert_eq!(turn.status(), Some("Reading…"));
        turn.accept(chunk(2, "Found it"));
        assert_eq!(turn.status(), None);
        assert_eq!(turn.text(), "Found it");
    }

    #[test]
    fn snapshot_replaces_the_text_so_far() {
        let mut turn = StreamAssembler::new("t");
        turn.accept(chunk(0, "Hel"));
        turn.accept(Frame::Snapshot { turn: "t".into(), seq: 1, text: "Hello wor".into() });
        turn.accept(chunk(2, "ld"));
        assert_eq!(turn.text(), "Hello world");
    }

    #[test]
    fn a_final_frame_ends_the_turn_at_once_with_the_lex_messages() {
        use crate::lex::{Message, MessageContentType};
        let mut turn = StreamAssembler::new("t");
        turn.accept(chunk(0, "Hel"));
        let messages = vec![Message::text(MessageContentType::CustomPayload, "Hello **world**")];
        // Frames 1..5 were lost; the final answer needs none of them.
        let last = Frame::Final { turn: "t".into(), seq: 6, messages: messages.clone() };
        assert_eq!(turn.accept(last), Accepted::Applied { released: 0 });
        assert!(turn.is_complete());
        assert_eq!(turn.final_messages(), Some(messages.as_slice()));
        assert_eq!(turn.accept(chunk(7, "late")), Accepted::AfterEnd);
        let again = Frame::Final { turn: "t".into(), seq: 8, messages: messages.clone() };
        assert_eq!(turn.accept(again), Accepted::AfterEnd, "one final answer per turn");
    }

    #[test]
    fn a_final_frame_after_done_still_brings_the_final_answer() {
        use crate::lex::{Message, MessageContentType};
        let mut turn = StreamAssembler::new("t");
        turn.accept(chunk(0, "Hello"));
        turn.accept(Frame::Done { turn: "t".into(), seq: 1 });
        assert!(turn.is_complete());
        assert_eq!(turn.final_messages(), None);
        let messages = vec![Message::text(MessageContentType::CustomPayload, "Hello")];
        let last = Frame::Final { turn: "t".into(), seq: 2, messages: messages.clone() };
        assert_eq!(turn.accept(last), Accepted::Applied { released: 0 });
        assert_eq!(turn.final_messages(), Some(messages.as_slice()));
        assert_eq!(turn.text(), "Hello");
    }

    #[test]
    fn a_snapshot_after_a_gap_applies_at_once_and_later_chunks_follow_it() {
        let mut turn = StreamAssembler::new("t");
        turn.accept(chunk(0, "Hel"));
        // seq 1 was lost with the old connection; the snapshot on the new one is seq 1 or later.
        turn.accept(chunk(4, "!"));
        let snapshot = Frame::Snapshot { turn: "t".into(), seq: 3, text: "Hello world".into() };
        assert_eq!(turn.accept(snapshot), Accepted::Applied { released: 1 });
        assert_eq!(turn.text(), "Hello world!");
        assert!(turn.gaps().is_empty());
        // A stale frame from before the snapshot is a duplicate now.
        assert_eq!(turn.accept(chunk(2, "lo")), Accepted::Duplicate);
    }

    #[test]
    fn a_fresh_widget_resumes_a_turn_from_its_snapshot() {
        let mut turn = StreamAssembler::new("t");
        turn.accept(Frame::Snapshot { turn: "t".into(), seq: 13, text: "so far".into() });
        turn.accept(chunk(14, ", and more"));
        turn.accept(Frame::Done { turn: "t".into(), seq: 15 });
        assert_eq!(turn.text(), "so far, and more");
        assert!(turn.is_complete());
    }

    #[test]
    fn a_chunk_marked_done_ends_the_turn_once_everything_before_it_arrived() {
        let mut turn = StreamAssembler::new("t");
        let last = Frame::Chunk { turn: "t".into(), seq: 1, text: " world".into(), done: true };
        assert_eq!(turn.accept(last), Accepted::Held);
        assert!(!turn.is_complete());
        assert_eq!(turn.accept(chunk(0, "Hello")), Accepted::Applied { released: 1 });
        assert_eq!(turn.text(), "Hello world");
        assert!(turn.is_complete());
        assert_eq!(turn.accept(chunk(2, "more")), Accepted::AfterEnd);
    }

    #[test]
    fn error_ends_the_turn_and_keeps_the_text() {
        let mut turn = StreamAssembler::new("t");
        turn.accept(chunk(0, "partial"));
        turn.accept(Frame::Error { turn: "t".into(), seq: 1, message: "throttled".into() });
        assert!(turn.is_complete());
        assert_eq!(turn.error(), Some("throttled"));
        assert_eq!(turn.text(), "partial");
        assert_eq!(turn.accept(chunk(2, "late")), Accepted::AfterEnd);
        assert_eq!(turn.text(), "partial");
    }

    #[test]
    fn done_that_arrives_early_does_not_complete_the_turn() {
        let mut turn = StreamAssembler::new("t");
        assert_eq!(turn.accept(Frame::Done { turn: "t".into(), seq: 1 }), Accepted::Held);
        assert!(!turn.is_complete());
        turn.accept(chunk(0, "x"));
        assert!(turn.is_complete());
        assert_eq!(turn.error(), None);
    }

    #[test]
    fn frames_of_other_turns_and_duplicates_are_ignored_and_counted() {
        let mut turn = StreamAssembler::new("t");
        turn.accept(chunk(0, "a"));
        assert_eq!(turn.accept(chunk(0, "a")), Accepted::Duplicate);
        assert_eq!(turn.accept(chunk(3, "d")), Accepted::Held);
        assert_eq!(turn.accept(chunk(3, "d")), Accepted::Duplicate);
        let other = Frame::Chunk { turn: "u".into(), seq: 1, text: "zzz".into(), done: false };
        assert_eq!(turn.accept(other), Accepted::OtherTurn);
        assert_eq!(turn.text(), "a");
        assert_eq!(turn.ignored(), 3);
    }

    #[test]
    fn a_frame_too_far_ahead_is_ignored_not_held() {
        let mut turn = StreamAssembler::new("t");
        turn.accept(chunk(0, "a"));
        assert_eq!(turn.accept(chunk(1 + ASSEMBLER_MAX_SEQ_AHEAD, "edge")), Accepted::Held);
        assert_eq!(turn.accept(chunk(2 + ASSEMBLER_MAX_SEQ_AHEAD, "beyond")), Accepted::OutOfWindow);
        assert_eq!(turn.accept(chunk(u64::MAX - 1, "far")), Accepted::OutOfWindow);
        assert_eq!(turn.held(), 1);
        assert_eq!(turn.ignored(), 2);
        assert_eq!(turn.gaps(), vec![1..1 + ASSEMBLER_MAX_SEQ_AHEAD]);
    }

    #[test]
    fn the_hold_takes_only_so_many_frames() {
        let mut turn = StreamAssembler::new("t");
        let limit = ASSEMBLER_MAX_HELD_FRAMES as u64;
        for seq in 1..=limit {
            assert_eq!(turn.accept(chunk(seq, "x")), Accepted::Held);
        }
        assert_eq!(turn.accept(chunk(limit + 1, "y")), Accepted::HoldFull);
        assert_eq!(turn.held(), ASSEMBLER_MAX_HELD_FRAMES);
        assert_eq!(turn.accept(chunk(0, "x")), Accepted::Applied { released: ASSEMBLER_MAX_HELD_FRAMES });
        assert_eq!(turn.text(), "x".repeat(ASSEMBLER_MAX_HELD_FRAMES + 1));
        assert_eq!(turn.held(), 0);
    }

    #[test]
    fn a_snapshot_far_ahead_still_applies_but_the_last_seq_never_does() {
        let mut turn = StreamAssembler::new("t");
        let snapshot = |seq| Frame::Snapshot { turn: "t".into(), seq, text: "so far".into() };
        assert_eq!(turn.accept(snapshot(u64::MAX)), Accepted::OutOfWindow);
        assert_eq!(turn.accept(snapshot(u64::MAX - 1)), Accepted::Applied { released: 0 });
        assert_eq!(turn.last_applied_seq(), Some(u64::MAX - 1));
        assert_eq!(turn.accept(chunk(u64::MAX, "!")), Accepted::OutOfWindow);
        assert_eq!(turn.accept(Frame::Done { turn: "t".into(), seq: u64::MAX }), Accepted::OutOfWindow);
        assert_eq!(turn.text(), "so far");
        assert!(turn.gaps().is_empty());
    }

    #[test]
    fn legacy_text_is_appended_verbatim() {
        let mut turn = StreamAssembler::new("t");
        turn.push_legacy("<b>raw</b> ");
        turn.push_legacy("/stop/");
        assert_eq!(turn.text(), "<b>raw</b> /stop/");
    }
}
