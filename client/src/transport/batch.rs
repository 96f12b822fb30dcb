//! A batch of socket messages as the worker (`client/loader/lexstream-socket.js`) posts it: one
//! buffer holding each message in arrival order as its UTF-8 length in bytes (4 bytes,
//! little-endian) then its bytes. The page copies the buffer into the widget's memory once,
//! instead of converting one string per message on its own thread.

/// The length before each message.
const LENGTH_BYTES: usize = 4;

/// The messages in `bytes`, in order. The worker writes only whole messages of valid UTF-8; if a
/// buffer were cut short anyway, its last message is the text that remains (a length cut short
/// has no text and ends the batch), and bytes that are not UTF-8 read as U+FFFD.
pub(crate) fn messages(bytes: &[u8]) -> impl Iterator<Item = String> + '_ {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let (length, after) = rest.split_first_chunk::<LENGTH_BYTES>()?;
        let (message, after) = after.split_at((u32::from_le_bytes(*length) as usize).min(after.len()));
        rest = after;
        Some(String::from_utf8_lossy(message).into_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::messages;

    /// A batch as the worker writes it.
    fn batch(texts: &[&str]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for text in texts {
            bytes.extend_from_slice(&u32::try_from(text.len()).unwrap().to_le_bytes());
            bytes.extend_from_slice(text.as_bytes());
        }
        bytes
    }

    #[test]
    fn reads_each_message_in_order() {
        let texts = [r#"{"type":"chunk","turn":"t","seq":1,"text":"Hé"}"#, "", "raw text 🙂", "{}"];
        assert_eq!(messages(&batch(&texts)).collect::<Vec<_>>(), texts);
    }

    #[test]
    fn an_empty_buffer_has_no_messages() {
        assert_eq!(messages(&[]).count(), 0);
    }

    #[test]
    fn a_buffer_cut_short_keeps_what_it_has() {
        let mut bytes = batch(&["first", "second"]);
        bytes.truncate(bytes.len() - 2);
        assert_eq!(messages(&bytes).collect::<Vec<_>>(), ["first", "seco"]);
        assert_eq!(messages(&[7, 0]).count(), 0);
    }
}
