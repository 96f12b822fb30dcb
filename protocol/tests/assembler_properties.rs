//! Property tests: any delivery order, with duplicates, rebuilds exactly the sent answer; and
//! hostile frames (any type, turn and `seq`, `u64::MAX` included) never make the assembler hold
//! more than its limits, overflow, or disturb an honest stream they are mixed into.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::limits::{ASSEMBLER_MAX_HELD_FRAMES, ASSEMBLER_MAX_SEQ_AHEAD};
use lexstream_protocol::{Accepted, Frame, StreamAssembler, chunk_frames};
use proptest::prelude::*;

/// The frames a server sends for one turn: text chunks, then `done`.
fn sent_frames(chunks: &[String]) -> Vec<Frame> {
    let mut frames: Vec<Frame> = chunks
        .iter()
        .enumerate()
        .map(|(seq, text)| Frame::Chunk {
            turn: "turn".into(),
            seq: seq as u64,
            text: text.clone(),
            done: false,
        })
        .collect();
    frames.push(Frame::Done { turn: "turn".into(), seq: chunks.len() as u64 });
    frames
}

/// A delivery: the frames shuffled, some delivered two or three times.
fn delivery(chunks: Vec<String>) -> impl Strategy<Value = (Vec<String>, Vec<Frame>)> {
    let frames = sent_frames(&chunks);
    let n = frames.len();
    (proptest::collection::vec(1usize..=3, n), Just(frames))
        .prop_flat_map(|(copies, frames)| {
            let delivered: Vec<Frame> = frames
                .iter()
                .zip(&copies)
                .flat_map(|(frame, &count)| std::iter::repeat_n(frame.clone(), count))
                .collect();
            Just(delivered).prop_shuffle()
        })
        .prop_map(move |delivered| (chunks.clone(), delivered))
}

fn chunks() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec("(?s).{0,12}", 0..24)
}

proptest! {
    #[test]
    fn shuffled_and_duplicated_frames_rebuild_the_answer((chunks, delivered) in chunks().prop_flat_map(delivery)) {
        let mut turn = StreamAssembler::new("turn");
        for frame in delivered {
            turn.accept(frame);
        }
        prop_assert_eq!(turn.text(), chunks.concat());
        prop_assert!(turn.is_complete());
        prop_assert!(turn.gaps().is_empty());
        prop_assert_eq!(turn.error(), None);
    }

    #[test]
    fn a_lost_frame_is_reported_as_the_only_gap(
        (chunks, delivered) in proptest::collection::vec("[a-z]{1,6}", 2..20).prop_flat_map(delivery),
        lost_pick in any::<proptest::sample::Index>(),
    ) {
        let lost = lost_pick.index(chunks.len()) as u64;
        let mut turn = StreamAssembler::new("turn");
        for frame in delivered.into_iter().filter(|f| f.seq() != lost) {
            turn.accept(frame);
        }
        prop_assert_eq!(turn.text(), chunks[..lost as usize].concat());
        prop_assert!(!turn.is_complete());
        prop_assert_eq!(turn.gaps(), vec![lost..lost + 1]);
    }

    #[test]
    fn split_frames_survive_reordering(text in "(?s).{0,300}", seed in any::<u64>()) {
        let mut frames = chunk_frames("turn", 0, &text, 80).unwrap();
        let done_seq = frames.len() as u64;
        frames.push(Frame::Done { turn: "turn".into(), seq: done_seq });
        // A deterministic rotation per seed stands in for network reordering.
        let len = frames.len();
        frames.rotate_left((seed as usize) % len);
        let mut turn = StreamAssembler::new("turn");
        for frame in frames {
            turn.accept(frame);
        }
        prop_assert_eq!(turn.text(), text.as_str());
        prop_assert!(turn.is_complete());
    }
}

/// A `seq` a hostile sender might pick: near the start, just past the window, near `u64::MAX`,
/// or anything.
fn hostile_seq() -> impl Strategy<Value = u64> {
    prop_oneof![0..2 * ASSEMBLER_MAX_SEQ_AHEAD, (0..4u64).prop_map(|back| u64::MAX - back), any::<u64>(),]
}

/// A frame of kind `kind` (0 chunk, 1 progress, 2 done, 3 error, 4 snapshot, 5 final).
fn frame(kind: u8, turn: &str, seq: u64, text: String) -> Frame {
    let turn = turn.to_owned();
    match kind {
        0 => Frame::Chunk { turn, seq, text, done: false },
        1 => Frame::Progress { turn, seq, text },
        2 => Frame::Done { turn, seq },
        3 => Frame::Error { turn, seq, message: text },
        4 => Frame::Snapshot { turn, seq, text },
        _ => Frame::Final { turn, seq, messages: Vec::new() },
    }
}

/// Any frame of any type, for this turn or another.
fn hostile_frame() -> impl Strategy<Value = Frame> {
    (0..6u8, prop::bool::weighted(0.8), hostile_seq(), "[a-z]{0,4}")
        .prop_map(|(kind, ours, seq, text)| frame(kind, if ours { "turn" } else { "other" }, seq, text))
}

/// The `seq` the assembler expects next.
fn next_seq(turn: &StreamAssembler) -> u64 {
    turn.last_applied_seq().map_or(0, |seq| seq.checked_add(1).expect("no frame is applied at u64::MAX"))
}

/// A frame no honest stream of a few dozen frames can be confused with: another turn's, or this
/// turn's far beyond the window (never a snapshot or final answer, which apply at any `seq`).
fn noise_frame() -> impl Strategy<Value = Frame> {
    let far_seq = prop_oneof![1_000_000..u64::MAX / 2, (0..4u64).prop_map(|back| u64::MAX - back)];
    prop_oneof![
        (0..6u8, hostile_seq(), "[a-z]{0,4}").prop_map(|(kind, seq, text)| frame(kind, "other", seq, text)),
        (0..4u8, far_seq).prop_map(|(kind, seq)| frame(kind, "turn", seq, "noise".to_owned())),
    ]
}

proptest! {
    #[test]
    fn hostile_frames_never_break_the_limits(frames in proptest::collection::vec(hostile_frame(), 0..400)) {
        let mut turn = StreamAssembler::new("turn");
        for frame in frames {
            let seq = frame.seq();
            let next_before = next_seq(&turn);
            let (text_before, held_before, ignored_before) = (turn.text().to_owned(), turn.held(), turn.ignored());
            let outcome = turn.accept(frame);
            prop_assert!(turn.held() <= ASSEMBLER_MAX_HELD_FRAMES, "{} held", turn.held());
            let next = next_seq(&turn);
            for gap in turn.gaps() {
                prop_assert!(next <= gap.start && gap.start < gap.end, "gap {:?} after next {}", gap, next);
                prop_assert!(gap.end - next <= ASSEMBLER_MAX_SEQ_AHEAD, "gap {:?} after next {}", gap, next);
            }
            match outcome {
                Accepted::Applied { released: 0 } => prop_assert_eq!(turn.last_applied_seq(), Some(seq)),
                Accepted::Applied { .. } => prop_assert!(turn.last_applied_seq() > Some(seq)),
                Accepted::Held => prop_assert!(seq > next_before && seq - next_before <= ASSEMBLER_MAX_SEQ_AHEAD),
                Accepted::OutOfWindow | Accepted::HoldFull => {
                    prop_assert_eq!(turn.text(), text_before.as_str());
                    prop_assert_eq!(turn.held(), held_before);
                    prop_assert_eq!(turn.ignored(), ignored_before + 1);
                }
                _ => {}
            }
        }
    }

    #[test]
    fn a_flood_of_early_frames_is_held_only_up_to_the_limit(
        seqs in proptest::collection::vec(1..3 * ASSEMBLER_MAX_SEQ_AHEAD, 0..600),
    ) {
        let mut turn = StreamAssembler::new("turn");
        let mut held = std::collections::BTreeSet::new();
        for seq in seqs {
            let outcome = turn.accept(Frame::Chunk { turn: "turn".into(), seq, text: "x".into(), done: false });
            let expected = if seq > ASSEMBLER_MAX_SEQ_AHEAD {
                Accepted::OutOfWindow
            } else if held.contains(&seq) {
                Accepted::Duplicate
            } else if held.len() == ASSEMBLER_MAX_HELD_FRAMES {
                Accepted::HoldFull
            } else {
                held.insert(seq);
                Accepted::Held
            };
            prop_assert_eq!(outcome, expected);
            prop_assert_eq!(turn.held(), held.len());
        }
        let run = (1..).take_while(|seq| held.contains(seq)).count();
        prop_assert_eq!(turn.accept(Frame::Chunk { turn: "turn".into(), seq: 0, text: "x".into(), done: false }), Accepted::Applied { released: run });
        prop_assert_eq!(turn.text().len(), run + 1);
    }

    #[test]
    fn noise_mixed_into_an_honest_stream_changes_nothing(
        (chunks, delivered) in proptest::collection::vec("[a-z]{1,6}", 0..20).prop_flat_map(delivery),
        noise in proptest::collection::vec(noise_frame(), 0..200),
        seed in any::<u64>(),
    ) {
        let mut mixed: Vec<Frame> = delivered.into_iter().chain(noise).collect();
        // A deterministic shuffle per seed: noise lands anywhere in the stream.
        let mut state = seed | 1;
        for index in (1..mixed.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            mixed.swap(index, (state % (index as u64 + 1)) as usize);
        }
        let mut turn = StreamAssembler::new("turn");
        for frame in mixed {
            turn.accept(frame);
        }
        prop_assert_eq!(turn.text(), chunks.concat());
        prop_assert!(turn.is_complete());
        prop_assert_eq!(turn.error(), None);
    }
}
