//! Wire protocol v1: the JSON frames a server sends to the widget, and how raw text is read.

use serde::{Deserialize, Serialize};

/// One server → widget message of wire protocol v1.
///
/// Serialized as a JSON object whose `type` names the variant:
/// `{"type":"chunk","turn":"t1","seq":0,"text":"Hel"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Frame {
    /// Append `text` to the turn's answer.
    Chunk {
        /// The turn (one visitor question and its answer) this frame belongs to.
        turn: String,
        /// Position of this frame in the turn, from 0.
        seq: u64,
        /// Text to append.
        text: String,
        /// This is the last text and the stream is complete: the `done` that would follow, in
        /// the same message (`"done":true`, left out when false). A widget that does not know the
        /// field still shows the text; its turn then ends with the final answer.
        #[serde(default, skip_serializing_if = "is_false")]
        done: bool,
    },
    /// A status line for long work ("Searching…"); replaced by the next one.
    Progress {
        /// The turn this frame belongs to.
        turn: String,
        /// Position of this frame in the turn, from 0.
        seq: u64,
        /// The status line.
        text: String,
    },
    /// All text of the turn so far (sent after a reconnect); replaces what was shown.
    Snapshot {
        /// The turn this frame belongs to.
        turn: String,
        /// Position of this frame in the turn, from 0.
        seq: u64,
        /// The whole answer so far.
        text: String,
    },
    /// The stream of this turn is complete.
    Done {
        /// The turn this frame belongs to.
        turn: String,
        /// Position of this frame in the turn, from 0.
        seq: u64,
    },
    /// The stream failed; the final Lex answer may still come.
    Error {
        /// The turn this frame belongs to.
        turn: String,
        /// Position of this frame in the turn, from 0.
        seq: u64,
        /// What went wrong, readable by a visitor.
        message: String,
    },
    /// The turn's final answer, as Lex would have returned it: sent from the turn's record when
    /// the `RecognizeText` response cannot reach the widget (a reload mid-answer, an answer that
    /// outlived Lex's code-hook limit). It ends the turn and replaces the streamed text.
    Final {
        /// The turn this frame belongs to.
        turn: String,
        /// Position of this frame in the turn, from 0.
        seq: u64,
        /// The Lex messages of the answer.
        messages: Vec<crate::lex::Message>,
    },
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The `type` values of wire protocol v1.
const FRAME_TYPES: [&str; 6] = ["chunk", "progress", "snapshot", "done", "error", "final"];

impl Frame {
    /// The turn this frame belongs to.
    pub fn turn(&self) -> &str {
        match self {
            Frame::Chunk { turn, .. }
            | Frame::Progress { turn, .. }
            | Frame::Snapshot { turn, .. }
            | Frame::Done { turn, .. }
            | Frame::Error { turn, .. }
            | Frame::Final { turn, .. } => turn,
        }
    }

    /// The frame's position in its turn.
    pub fn seq(&self) -> u64 {
        match self {
            Frame::Chunk { seq, .. }
            | Frame::Progress { seq, .. }
            | Frame::Snapshot { seq, .. }
            | Frame::Done { seq, .. }
            | Frame::Error { seq, .. }
            | Frame::Final { seq, .. } => *seq,
        }
    }

    /// The frame as the JSON text sent on the wire.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a frame has only strings, integers and Lex messages")
    }
}

/// Why a message that looked like a v1 frame could not be read as one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed `{frame_type}` frame: {reason}")]
pub struct FrameError {
    /// The `type` the message claimed.
    pub frame_type: String,
    /// What was wrong with it (missing or mistyped field).
    pub reason: String,
}

/// How the widget reads one incoming WebSocket message or AppSync event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A wire protocol v1 frame.
    Frame(Frame),
    /// Anything else: raw text from a legacy fulfillment (shown as text, never as markup).
    Legacy(String),
    /// A JSON object that names a v1 frame type but does not have its fields: counted and ignored.
    Malformed(FrameError),
    /// A frame of a type this version does not know (a `type`, a `turn` and a `seq`, as every v1
    /// frame has): ignored, so servers can add frame types without breaking older widgets.
    Unknown {
        /// The `type` it named.
        frame_type: String,
    },
}

/// Reads one message: a v1 frame, a malformed v1 frame, or legacy raw text.
///
/// Only a JSON object whose `type` is one of the v1 frame types is treated as a frame, and one
/// shaped like a frame (`type`, `turn`, `seq`) of a type this version does not know is ignored;
/// every other message — plain text, `/stop/`, JSON of some other shape — is legacy text, so an
/// unmodified fulfillment Lambda that posts raw text keeps working.
///
/// ```
/// use lexstream_protocol::{parse_incoming, Incoming};
/// assert_eq!(parse_incoming("/stop/"), Incoming::Legacy("/stop/".into()));
/// assert!(matches!(parse_incoming(r#"{"type":"done","turn":"a","seq":3}"#), Incoming::Frame(_)));
/// assert!(matches!(parse_incoming(r#"{"type":"chunk","turn":"a"}"#), Incoming::Malformed(_)));
/// assert!(matches!(parse_incoming(r#"{"type":"later","turn":"a","seq":1}"#), Incoming::Unknown { .. }));
/// assert!(matches!(parse_incoming(r#"{"type":"json","from":"a model"}"#), Incoming::Legacy(_)));
/// ```
pub fn parse_incoming(message: &str) -> Incoming {
    if !message.trim_start().starts_with('{') {
        return Incoming::Legacy(message.to_owned());
    }
    match read_chunk(message) {
        Some(chunk) => Incoming::Frame(chunk),
        None => read_any(message),
    }
}

/// [`parse_incoming`]'s general reading of a message that starts with `{`.
fn read_any(message: &str) -> Incoming {
    let Ok(serde_json::Value::Object(object)) = serde_json::from_str(message) else {
        return Incoming::Legacy(message.to_owned());
    };
    let Some(frame_type) = object.get("type").and_then(serde_json::Value::as_str).map(str::to_owned) else {
        return Incoming::Legacy(message.to_owned());
    };
    if !FRAME_TYPES.contains(&frame_type.as_str()) {
        let frame_shaped = object.get("turn").is_some_and(serde_json::Value::is_string)
            && object.get("seq").is_some_and(serde_json::Value::is_u64);
        return if frame_shaped {
            Incoming::Unknown { frame_type }
        } else {
            Incoming::Legacy(message.to_owned())
        };
    }
    match read_frame(&frame_type, &object) {
        Ok(frame) => Incoming::Frame(frame),
        Err(reason) => Incoming::Malformed(FrameError { frame_type, reason }),
    }
}

/// A `chunk` frame whose fields all have their types, as it arrives: read straight from the
/// message, without a `Value` tree (thousands arrive per answer). Whatever else the message is,
/// `None`, and [`parse_incoming`]'s general reading decides (a duplicate field, a field of
/// another type or another frame type included): that reading gives the same frame for every
/// message this one reads. Called only on a message that starts with `{`.
fn read_chunk(message: &str) -> Option<Frame> {
    let mut reader = serde_json::Deserializer::from_str(message);
    let chunk = serde::Deserializer::deserialize_map(&mut reader, ChunkReader).ok()??;
    reader.end().ok()?;
    Some(chunk)
}

/// Reads a JSON object's fields as a chunk frame's, or `None` (a field missing or repeated, the
/// type not `chunk`: then it stops there, so a large `final` frame is not read twice in full).
/// Hand-written rather than derived: a derive costs the widget ~3 KB gzip.
struct ChunkReader;

impl<'de> serde::de::Visitor<'de> for ChunkReader {
    type Value = Option<Frame>;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a chunk frame")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut fields: A) -> Result<Self::Value, A::Error> {
        let (mut typed, mut turn, mut seq, mut text, mut done) = (false, None, None, None, None);
        while let Some(Text(key)) = fields.next_key::<Text<'de>>()? {
            let repeated = match &*key {
                "type" => {
                    if fields.next_value::<Text<'de>>()?.0 != "chunk" {
                        return Ok(None);
                    }
                    std::mem::replace(&mut typed, true)
                }
                "turn" => turn.replace(fields.next_value::<Text<'de>>()?.0).is_some(),
                "seq" => seq.replace(fields.next_value::<u64>()?).is_some(),
                "text" => text.replace(fields.next_value::<Text<'de>>()?.0).is_some(),
                "done" => done.replace(fields.next_value::<bool>()?).is_some(),
                _ => fields.next_value::<serde_json::Value>().map(|_| false)?,
            };
            if repeated {
                return Ok(None);
            }
        }
        Ok(match (typed, turn, seq, text) {
            (true, Some(turn), Some(seq), Some(text)) => Some(Frame::Chunk {
                turn: turn.into_owned(),
                seq,
                text: text.into_owned(),
                done: done.unwrap_or(false),
            }),
            _ => None,
        })
    }
}

/// A JSON string, borrowed from the message when it has no escapes.
struct Text<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextReader;
        impl<'de> serde::de::Visitor<'de> for TextReader {
            type Value = Text<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(Text(text.into()))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(Text(text.to_owned().into()))
            }
        }
        deserializer.deserialize_str(TextReader)
    }
}

/// Reads a frame of a known `frame_type` field by field, as the derived `Deserialize` would
/// (extra fields ignored), without that derive's code in the widget (~10 KB gzip).
fn read_frame(
    frame_type: &str,
    object: &serde_json::Map<String, serde_json::Value>,
) -> Result<Frame, String> {
    let text = |name: &str| crate::lex::required_string(object, name);
    let turn = text("turn")?;
    let seq = object.get("seq").and_then(serde_json::Value::as_u64).ok_or("`seq` is missing or not a u64")?;
    Ok(match frame_type {
        "chunk" => Frame::Chunk {
            turn,
            seq,
            text: text("text")?,
            done: matches!(object.get("done"), Some(serde_json::Value::Bool(true))),
        },
        "progress" => Frame::Progress { turn, seq, text: text("text")? },
        "snapshot" => Frame::Snapshot { turn, seq, text: text("text")? },
        "done" => Frame::Done { turn, seq },
        "error" => Frame::Error { turn, seq, message: text("message")? },
        _ => Frame::Final {
            turn,
            seq,
            messages: crate::lex::Message::list_from_json(
                object.get("messages").unwrap_or(&serde_json::Value::Null),
            )?,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_type_round_trips_through_json() {
        let frames = [
            Frame::Chunk { turn: "t".into(), seq: 0, text: "a \"quoted\" <b>".into(), done: false },
            Frame::Chunk { turn: "t".into(), seq: 0, text: "the end".into(), done: true },
            Frame::Progress { turn: "t".into(), seq: 1, text: "Searching…".into() },
            Frame::Snapshot { turn: "t".into(), seq: 2, text: "all\nso far".into() },
            Frame::Done { turn: "t".into(), seq: 3 },
            Frame::Error { turn: "t".into(), seq: 4, message: "model throttled".into() },
            Frame::Final {
                turn: "t".into(),
                seq: 5,
                messages: vec![crate::lex::Message::text(
                    crate::lex::MessageContentType::CustomPayload,
                    "**Hi**",
                )],
            },
        ];
        for frame in frames {
            assert_eq!(parse_incoming(&frame.to_json()), Incoming::Frame(frame));
        }
    }

    #[test]
    fn wire_shape_matches_the_documented_protocol() {
        let json = Frame::Chunk { turn: "t9".into(), seq: 7, text: "hi".into(), done: false }.to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value, serde_json::json!({"type":"chunk","turn":"t9","seq":7,"text":"hi"}));
        let json = Frame::Chunk { turn: "t9".into(), seq: 7, text: "bye".into(), done: true }.to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value, serde_json::json!({"type":"chunk","turn":"t9","seq":7,"text":"bye","done":true}));
        let message = crate::lex::Message::text(crate::lex::MessageContentType::PlainText, "Bye");
        let json = Frame::Final { turn: "t9".into(), seq: 8, messages: vec![message] }.to_json();
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"type":"final","turn":"t9","seq":8,"messages":[{"contentType":"PlainText","content":"Bye"}]})
        );
    }

    #[test]
    fn plain_text_and_stop_marker_are_legacy_text() {
        for raw in ["Hello there", "/stop/", "", "  ", "<b>not markup</b>", "42", "[1,2]"] {
            assert_eq!(parse_incoming(raw), Incoming::Legacy(raw.to_owned()));
        }
    }

    #[test]
    fn json_of_another_shape_is_legacy_text_not_an_error() {
        for raw in [r#"{"answer":"yes"}"#, r#"{"type":"banner","text":"x"}"#, r#"{"type":5}"#, "{not json"] {
            assert_eq!(parse_incoming(raw), Incoming::Legacy(raw.to_owned()));
        }
    }

    #[test]
    fn v1_type_with_missing_or_wrong_fields_is_malformed() {
        for raw in [
            r#"{"type":"chunk","turn":"t","seq":0}"#,
            r#"{"type":"chunk","turn":"t","seq":-1,"text":"x"}"#,
            r#"{"type":"done","seq":1}"#,
            r#"{"type":"error","turn":"t","seq":"1","message":"m"}"#,
        ] {
            match parse_incoming(raw) {
                Incoming::Malformed(error) => assert!(!error.reason.is_empty()),
                other => panic!("{raw} parsed as {other:?}"),
            }
        }
    }

    #[test]
    fn only_a_literal_true_marks_a_chunk_done() {
        for (raw, done) in [
            (r#"{"type":"chunk","turn":"t","seq":0,"text":"x","done":true}"#, true),
            (r#"{"type":"chunk","turn":"t","seq":0,"text":"x","done":false}"#, false),
            (r#"{"type":"chunk","turn":"t","seq":0,"text":"x","done":"yes"}"#, false),
            (r#"{"type":"chunk","turn":"t","seq":0,"text":"x","done":1}"#, false),
        ] {
            let Incoming::Frame(Frame::Chunk { done: read, .. }) = parse_incoming(raw) else {
                panic!("{raw}")
            };
            assert_eq!(read, done, "{raw}");
        }
    }

    #[test]
    fn unknown_extra_fields_do_not_break_a_frame() {
        let raw = r#"{"type":"chunk","turn":"t","seq":0,"text":"x","v":1,"model":"m"}"#;
        assert!(matches!(parse_incoming(raw), Incoming::Frame(Frame::Chunk { .. })));
    }

    /// Keys and values a chunk-like message may be made of, right or wrong.
    const KEYS: [&str; 8] = ["type", "turn", "seq", "text", "done", "v", r"t\u0075rn", r"\u0074ext"];
    const VALUES: [&str; 15] = [
        r#""chunk""#,
        r#""done""#,
        r#""t""#,
        r#""a\nb \u00e9""#,
        r#""""#,
        "0",
        "7",
        "-1",
        "1.0",
        "true",
        "false",
        "null",
        "[]",
        r#"{"a":1}"#,
        "18446744073709551616",
    ];

    proptest::proptest! {
        #[test]
        fn the_chunk_reading_agrees_with_the_general_one(
            pairs in proptest::collection::vec((0..KEYS.len(), 0..VALUES.len()), 0..9),
            chunk_fields in proptest::bool::ANY,
        ) {
            // Half the messages start as a whole chunk frame, the random fields then added to it.
            let mut fields: Vec<String> = if chunk_fields {
                vec![r#""type":"chunk""#.into(), r#""turn":"t""#.into(), r#""seq":3"#.into(), r#""text":"x""#.into()]
            } else {
                Vec::new()
            };
            fields.extend(pairs.iter().map(|&(key, value)| format!(r#""{}":{}"#, KEYS[key], VALUES[value])));
            let message = format!("{{{}}}", fields.join(","));
            proptest::prop_assert_eq!(parse_incoming(&message), read_any(&message), "{}", message);
        }
    }

    #[test]
    fn a_chunk_read_fast_is_the_frame_the_general_reading_gives() {
        for raw in [
            r#"{"type":"chunk","turn":"t","seq":0,"text":"x"}"#,
            r#" { "v":1, "type":"chunk","turn":"t\u00e9","seq":18446744073709551615,"text":"a\"b\n","done":true }"#,
            r#"{"type":"chunk","turn":"a","turn":"b","seq":0,"text":"x"}"#,
            r#"{"type":"chunk","type":"done","turn":"t","seq":0,"text":"x"}"#,
            r#"{"type":"chunk","turn":"t","seq":0,"text":"x","done":null}"#,
            r#"{"type":"chunk","turn":"t","seq":0,"text":"x"} trailing"#,
            r#"{"type":"chunk","turn":"t","seq":0,"text":"x""#,
            r#"{"type":"progress","turn":"t","seq":0,"text":"x"}"#,
            r#"{"type":"final","turn":"t","seq":4,"messages":[{"contentType":"PlainText","content":"hi"}]}"#,
            r#"{"type":"done","turn":"t","seq":0} trailing"#,
        ] {
            assert_eq!(parse_incoming(raw), read_any(raw), "{raw}");
        }
        assert!(read_chunk(r#"{"type":"chunk","turn":"t","seq":0,"text":"x","done":true}"#).is_some());
    }
}
