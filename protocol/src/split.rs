//! Splitting a long text into `chunk` frames that each fit a transport's frame limit.

use crate::Frame;

/// Bytes one character takes inside a JSON string, as serde_json escapes it.
fn json_escaped_len(c: char) -> usize {
    match c {
        '"' | '\\' | '\n' | '\r' | '\t' | '\u{08}' | '\u{0C}' => 2,
        c if (c as u32) < 0x20 => 6,
        c => c.len_utf8(),
    }
}

/// Cuts `text` into `chunk` frames numbered from `first_seq`, each at most `max_frame_bytes`
/// once encoded as JSON. Characters are never split; an empty text gives no frames.
///
/// ```
/// use lexstream_protocol::chunk_frames;
/// let frames = chunk_frames("t", 4, &"x".repeat(100), 64);
/// assert!(frames.iter().all(|f| f.to_json().len() <= 64));
/// assert_eq!(frames[0].seq(), 4);
/// ```
///
/// # Panics
/// If `max_frame_bytes` cannot hold the frame's own fields plus one character.
pub fn chunk_frames(turn: &str, first_seq: u64, text: &str, max_frame_bytes: usize) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut rest = text;
    let mut seq = first_seq;
    while !rest.is_empty() {
        let overhead = Frame::Chunk { turn: turn.to_owned(), seq, text: String::new() }.to_json().len();
        let budget = max_frame_bytes.checked_sub(overhead).filter(|b| *b >= 6).unwrap_or_else(|| {
            panic!("frame limit {max_frame_bytes} is too small for turn {turn:?} (overhead {overhead})")
        });
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
        frames.push(Frame::Chunk { turn: turn.to_owned(), seq, text: piece.to_owned() });
        rest = remainder;
        seq += 1;
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn frames_fit_the_limit_and_rebuild_the_text(text in "(?s).{0,400}", limit in 60usize..200) {
            let frames = chunk_frames("turn-1", 0, &text, limit);
            let mut rebuilt = String::new();
            for (index, frame) in frames.iter().enumerate() {
                prop_assert!(frame.to_json().len() <= limit, "{} > {limit}", frame.to_json().len());
                prop_assert_eq!(frame.seq(), index as u64);
                if let Frame::Chunk { text, .. } = frame { rebuilt.push_str(text) }
            }
            prop_assert_eq!(rebuilt, text);
        }
    }

    #[test]
    fn escaped_characters_count_at_their_encoded_size() {
        let text = "\"\u{1}".repeat(10_000);
        let frames = chunk_frames("t", 0, &text, crate::limits::APIGW_MAX_FRAME_BYTES);
        assert!(frames.len() > 1);
        assert!(frames.iter().all(|f| f.to_json().len() <= crate::limits::APIGW_MAX_FRAME_BYTES));
    }
}
