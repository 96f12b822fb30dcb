//! Property tests: any delivery order, with duplicates, rebuilds exactly the sent answer.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::{Frame, StreamAssembler, chunk_frames};
use proptest::prelude::*;

/// The frames a server sends for one turn: text chunks, then `done`.
fn sent_frames(chunks: &[String]) -> Vec<Frame> {
    let mut frames: Vec<Frame> = chunks
        .iter()
        .enumerate()
        .map(|(seq, text)| Frame::Chunk { turn: "turn".into(), seq: seq as u64, text: text.clone() })
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
