//! Splitting a turn's text into frames that each fit a transport's frame limit: `chunk` frames
//! for new text, and a `snapshot` followed by `chunk`s for all of a turn's text so far (after a
//! reconnect, or when a widget asks to resume).
//!
//! A limit too small for a frame's own fields (a long or heavily escaped turn id) is an error the
//! caller handles, never a panic.

use crate::Frame;

/// The frame limit cannot hold a frame of this turn: its own fields (type, turn, seq) leave no
/// room for text. Turn ids that pass [`check_turn_id`](crate::check_turn_id) never cause it at
/// the transports' limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a frame of at most {max_frame_bytes} bytes cannot carry this turn's text: its fields alone take {overhead} bytes (is the turn id too long?)"
)]
pub struct FrameLimitError {
    /// The frame limit asked for.
    pub max_frame_bytes: usize,
    /// What a frame of the turn takes without any text.
    pub overhead: usize,
}

/// Fewest bytes of text a frame must have room for: one character at its largest escaped size.
const MIN_TEXT_BUDGET: usize = 6;

/// Bytes one character takes inside a JSON string, as serde_json escapes it.
fn json_escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0C}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Which frame type opens a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lead {
    /// Every piece is a `chunk` (new text to append); an empty text gives no frames.
    Chunk,
    /// The first piece is a `snapshot` (it replaces what was shown), the rest are `chunk`s;
    /// an empty text still gives the snapshot (the turn has no text yet).
    Snapshot,
}

fn piece_frame(lead: Lead, turn: &str, seq: u64, text: String) -> Frame {
    match lead {
        Lead::Chunk => Frame::Chunk { turn: turn.to_owned(), seq, text, done: false },
        Lead::Snapshot => Frame::Snapshot { turn: turn.to_owned(), seq, text },
    }
}

/// Cuts `text` into frames numbered from `first_seq`, each at most `max_frame_bytes` as JSON,
/// measuring each frame's own fields (type, turn, seq) exactly.
fn split(
    turn: &str,
    first_seq: u64,
    text: &str,
    max_frame_bytes: usize,
    lead: Lead,
) -> Result<Vec<Frame>, FrameLimitError> {
    let mut frames = Vec::new();
    let mut rest = text;
    let mut seq = first_seq;
    loop {
        let kind = if frames.is_empty() { lead } else { Lead::Chunk };
        if rest.is_empty() && kind == Lead::Chunk {
            break;
        }
        let overhead = piece_frame(kind, turn, seq, String::new()).to_json().len();
        let budget = max_frame_bytes
            .checked_sub(overhead)
            .filter(|budget| *budget >= MIN_TEXT_BUDGET)
            .ok_or(FrameLimitError { max_frame_bytes, overhead })?;
        let mut used = 0;
        let mut cut = rest.len();
        for (index, c) in rest.char_indices() {
            used += json_escaped_len(c);
            if used > budget {
                cut = index;
                break;
            }
        }
        let (piece, remainder) = rest.split_at(cut);
        frames.push(piece_frame(kind, turn, seq, piece.to_owned()));
        rest = remainder;
        if rest.is_empty() {
            break;
        }
        seq += 1;
    }
    Ok(frames)
}

/// Cuts `text` into `chunk` frames numbered from `first_seq`, each at most `max_frame_bytes`
/// once encoded as JSON. Characters are never split; an empty text gives no frames.
///
/// ```
/// use lexstream_protocol::chunk_frames;
/// let frames = chunk_frames("t", 4, &"x".repeat(100), 64)?;
/// assert!(frames.iter().all(|f| f.to_json().len() <= 64));
/// assert_eq!(frames[0].seq(), 4);
/// // A turn id whose frame fields alone fill the limit leaves no room for text.
/// assert!(chunk_frames(&"t".repeat(64), 0, "x", 64).is_err());
/// # Ok::<(), lexstream_protocol::FrameLimitError>(())
/// ```
///
/// # Errors
/// If `max_frame_bytes` cannot hold the frame's own fields plus one character.
pub fn chunk_frames(
    turn: &str,
    first_seq: u64,
    text: &str,
    max_frame_bytes: usize,
) -> Result<Vec<Frame>, FrameLimitError> {
    split(turn, first_seq, text, max_frame_bytes, Lead::Chunk)
}

/// All of a turn's text so far as a `snapshot` frame at `first_seq` holding the first piece,
/// followed by `chunk` frames for the rest when it is over `max_frame_bytes` (as JSON).
/// Always at least the snapshot, even for an empty text. Characters are never split.
///
/// A widget applying these frames in order ends with exactly `text`, whatever it showed before.
///
/// ```
/// use lexstream_protocol::{Frame, snapshot_frames};
/// let frames = snapshot_frames("t", 7, &"x".repeat(100), 64)?;
/// assert!(matches!(&frames[0], Frame::Snapshot { seq: 7, .. }));
/// assert!(frames[1..].iter().all(|f| matches!(f, Frame::Chunk { .. })));
/// assert!(frames.iter().all(|f| f.to_json().len() <= 64));
/// # Ok::<(), lexstream_protocol::FrameLimitError>(())
/// ```
///
/// # Errors
/// If `max_frame_bytes` cannot hold the frame's own fields plus one character.
pub fn snapshot_frames(
    turn: &str,
    first_seq: u64,
    text: &str,
    max_frame_bytes: usize,
) -> Result<Vec<Frame>, FrameLimitError> {
    split(turn, first_seq, text, max_frame_bytes, Lead::Snapshot)
}

/// Marks `frame`, a `chunk`, as the stream's last (`"done":true`: the `done` frame that would
/// follow travels in it) when it still fits `max_frame_bytes` as JSON; returns whether it did.
/// Any other frame, or a chunk with no room left, is left as it was (send `done` after it).
///
/// ```
/// use lexstream_protocol::{Frame, mark_chunk_done};
/// let mut last = Frame::Chunk { turn: "t".into(), seq: 4, text: "end".into(), done: false };
/// assert!(mark_chunk_done(&mut last, 1024));
/// assert_eq!(last.to_json(), r#"{"type":"chunk","turn":"t","seq":4,"text":"end","done":true}"#);
/// let mut full = Frame::Chunk { turn: "t".into(), seq: 4, text: "end".into(), done: false };
/// assert!(!mark_chunk_done(&mut full, 50));
/// // Exactly the room for the mark is enough, and the marked frame fills it.
/// let mut exact = Frame::Chunk { turn: "t".into(), seq: 4, text: "end".into(), done: false };
/// let limit = exact.to_json().len() + r#","done":true"#.len();
/// assert!(mark_chunk_done(&mut exact, limit) && exact.to_json().len() == limit);
/// ```
pub fn mark_chunk_done(frame: &mut Frame, max_frame_bytes: usize) -> bool {
    /// What the mark adds to a chunk's JSON.
    const DONE_FIELD: &str = r#","done":true"#;
    let fits = frame.to_json().len() + DONE_FIELD.len() <= max_frame_bytes;
    match frame {
        Frame::Chunk { done, .. } if fits => {
            *done = true;
            true
        }
        _ => false,
    }
}

/// Like [`snapshot_frames`], numbered so that the last frame has `last_seq`: the frames for a
/// text known to be "everything through frame `last_seq`" (a turn's stored record), so the
/// stream's next frame, `last_seq + 1`, follows them with no gap and no overlap.
///
/// When the text fits one frame that is a single snapshot at `last_seq`. A longer text needs
/// `n` frames, and the snapshot takes `last_seq + 1 - n`: a widget that already applied that
/// seq would drop it as a duplicate, so such a widget cannot be served from these frames (the
/// caller checks [`Frame::seq`] of the first). If there are not enough seqs below `last_seq`
/// (never the case for text a stream split at the same limit), the frames start at 0.
///
/// ```
/// use lexstream_protocol::{Frame, snapshot_frames_through};
/// let short = snapshot_frames_through("t", 9, "all so far", 1024)?;
/// assert_eq!(short, vec![Frame::Snapshot { turn: "t".into(), seq: 9, text: "all so far".into() }]);
/// let long = snapshot_frames_through("t", 9, &"x".repeat(100), 64)?;
/// assert_eq!(long.last().map(Frame::seq), Some(9));
/// # Ok::<(), lexstream_protocol::FrameLimitError>(())
/// ```
///
/// # Errors
/// If `max_frame_bytes` cannot hold the frame's own fields plus one character.
pub fn snapshot_frames_through(
    turn: &str,
    last_seq: u64,
    text: &str,
    max_frame_bytes: usize,
) -> Result<Vec<Frame>, FrameLimitError> {
    // Measured with seqs from `last_seq` up: at least as wide as the seqs they end up with, so
    // every frame still fits once renumbered downwards.
    let measured = split(turn, last_seq, text, max_frame_bytes, Lead::Snapshot)?;
    let count = u64::try_from(measured.len()).unwrap_or(u64::MAX);
    let first = last_seq.saturating_add(1).saturating_sub(count);
    Ok(measured
        .into_iter()
        .zip(first..)
        .map(|(frame, seq)| match frame {
            Frame::Snapshot { turn, text, .. } => Frame::Snapshot { turn, seq, text },
            Frame::Chunk { turn, text, .. } => Frame::Chunk { turn, seq, text, done: false },
            other => other,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn frames_fit_the_limit_and_rebuild_the_text(text in "(?s).{0,400}", limit in 60usize..200) {
            let frames = chunk_frames("turn-1", 0, &text, limit).unwrap();
            let mut rebuilt = String::new();
            for (index, frame) in frames.iter().enumerate() {
                prop_assert!(frame.to_json().len() <= limit, "{} > {limit}", frame.to_json().len());
                prop_assert_eq!(frame.seq(), index as u64);
                if let Frame::Chunk { text, .. } = frame { rebuilt.push_str(text) }
            }
            prop_assert_eq!(rebuilt, text);
        }
    }

    /// The text a widget shows after applying `frames` on top of what it had through `after`.
    fn shown_after(turn: &str, had: &[Frame], frames: &[Frame]) -> String {
        let mut assembler = crate::StreamAssembler::new(turn);
        for frame in had.iter().chain(frames) {
            assembler.accept(frame.clone());
        }
        assembler.text().to_owned()
    }

    proptest! {
        #[test]
        fn a_snapshot_split_fits_the_limit_and_replaces_whatever_was_shown(
            text in "(?s).{0,400}",
            limit in 80usize..200,
            first_seq in 0u64..2000,
        ) {
            let frames = snapshot_frames("turn-1", first_seq, &text, limit).unwrap();
            prop_assert!(matches!(frames[0], Frame::Snapshot { .. }), "a snapshot comes first");
            for (index, frame) in frames.iter().enumerate() {
                prop_assert!(frame.to_json().len() <= limit, "{} > {limit}", frame.to_json().len());
                prop_assert_eq!(frame.seq(), first_seq + index as u64);
                prop_assert!(index == 0 || matches!(frame, Frame::Chunk { .. }), "then chunks");
            }
            let stale = [Frame::Chunk { turn: "turn-1".into(), seq: 0, text: "stale".into(), done: false }];
            let had: &[Frame] = if first_seq > 0 { &stale } else { &[] };
            prop_assert_eq!(shown_after("turn-1", had, &frames), text);
        }

        #[test]
        fn a_snapshot_through_a_seq_ends_exactly_there(
            text in "(?s).{0,400}",
            limit in 80usize..200,
            last_seq in 0u64..2000,
        ) {
            let frames = snapshot_frames_through("turn-1", last_seq, &text, limit).unwrap();
            prop_assert!(matches!(frames[0], Frame::Snapshot { .. }), "a snapshot comes first");
            prop_assert!(frames.iter().all(|frame| frame.to_json().len() <= limit));
            let first = frames[0].seq();
            for (index, frame) in frames.iter().enumerate() {
                prop_assert_eq!(frame.seq(), first + index as u64);
            }
            if last_seq + 1 >= frames.len() as u64 {
                prop_assert_eq!(frames.last().map(Frame::seq), Some(last_seq));
            } else {
                prop_assert_eq!(first, 0);
            }
            prop_assert_eq!(shown_after("turn-1", &[], &frames), text);
        }
    }

    #[test]
    fn a_snapshot_of_nothing_is_still_one_frame() {
        assert_eq!(
            snapshot_frames("t", 3, "", 64).unwrap(),
            vec![Frame::Snapshot { turn: "t".into(), seq: 3, text: String::new() }]
        );
        assert_eq!(snapshot_frames_through("t", 3, "", 64).unwrap()[0].seq(), 3);
        assert!(chunk_frames("t", 3, "", 64).unwrap().is_empty());
    }

    #[test]
    fn a_snapshot_measures_its_own_type_not_a_chunks() {
        // "snapshot" is 3 bytes longer than "chunk": a piece that fills a chunk frame exactly
        // does not fit a snapshot frame.
        let chunk_overhead =
            Frame::Chunk { turn: "t".into(), seq: 0, text: String::new(), done: false }.to_json().len();
        let limit = chunk_overhead + 40;
        let text = "y".repeat(40);
        assert_eq!(chunk_frames("t", 0, &text, limit).unwrap().len(), 1);
        let frames = snapshot_frames("t", 0, &text, limit).unwrap();
        assert_eq!(frames.len(), 2);
        assert!(frames.iter().all(|f| f.to_json().len() <= limit));
    }

    #[test]
    fn escaped_characters_count_at_their_encoded_size() {
        let text = "\"\u{1}".repeat(10_000);
        let frames = chunk_frames("t", 0, &text, crate::limits::APIGW_MAX_FRAME_BYTES).unwrap();
        assert!(frames.len() > 1);
        assert!(frames.iter().all(|f| f.to_json().len() <= crate::limits::APIGW_MAX_FRAME_BYTES));
    }

    #[test]
    fn a_turn_id_too_large_for_the_frame_limit_is_an_error_not_a_panic() {
        // Quotes escape to two bytes each: 17 000 of them make the frame's own fields over 32 KB.
        let escaped_turn = "\"".repeat(17_000);
        let limit = crate::limits::APIGW_MAX_FRAME_BYTES;
        let error = chunk_frames(&escaped_turn, 0, "text", limit).unwrap_err();
        assert_eq!(error.max_frame_bytes, limit);
        assert!(error.overhead > limit, "{error}");
        assert!(error.to_string().contains("turn id"), "{error}");
        assert!(snapshot_frames(&escaped_turn, 0, "", limit).is_err(), "even an empty snapshot");
        assert!(snapshot_frames_through(&escaped_turn, 5, "text", limit).is_err());
        // Room for the fields but not for a character is refused too.
        let overhead =
            Frame::Chunk { turn: "t".into(), seq: 0, text: String::new(), done: false }.to_json().len();
        assert!(chunk_frames("t", 0, "x", overhead + 5).is_err());
        assert!(chunk_frames("t", 0, "x", overhead + 6).is_ok());
    }
}
