//! Wire protocol v1 additions read from fixture files, as a server would send them and a widget
//! would send its requests: the `final` frame, a `chunk` that also ends the stream, `resume`
//! requests, and frame-shaped messages of types a widget does not know (ignored, never shown).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::lex::MessageContentType;
use lexstream_protocol::{Frame, Incoming, ResumeRequest, StreamAssembler, parse_incoming, resume_request};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn a_final_frame_carries_the_lex_messages_and_round_trips() {
    let text = fixture("frame_final.json");
    let Incoming::Frame(frame) = parse_incoming(&text) else { panic!("not a frame: {text}") };
    let Frame::Final { turn, seq, messages } = &frame else { panic!("{frame:?}") };
    assert_eq!((turn.as_str(), *seq), ("turn-2-118340", 41));
    assert_eq!(messages[0].content_type, MessageContentType::CustomPayload);
    assert_eq!(messages[1].image_response_card.as_ref().unwrap().buttons.as_ref().unwrap().len(), 2);
    let again: serde_json::Value = serde_json::from_str(&frame.to_json()).unwrap();
    assert_eq!(again, serde_json::from_str::<serde_json::Value>(&text).unwrap());
}

#[test]
fn a_chunk_marked_done_carries_the_last_text_and_the_end_in_one_message() {
    let text = fixture("frame_chunk_done.json");
    let Incoming::Frame(frame) = parse_incoming(&text) else { panic!("not a frame: {text}") };
    let again: serde_json::Value = serde_json::from_str(&frame.to_json()).unwrap();
    assert_eq!(again, serde_json::from_str::<serde_json::Value>(&text).unwrap());
    let mut turn = StreamAssembler::new("turn-2-118340");
    let before = Frame::Snapshot { turn: "turn-2-118340".into(), seq: 39, text: "That is one way,".into() };
    turn.accept(before);
    turn.accept(frame);
    assert_eq!(turn.text(), "That is one way, and that is all.");
    assert!(turn.is_complete());
    // Without the field it is an ordinary chunk: the text shows, the turn waits for its end
    // (a widget that predates the field ends it with the final answer).
    let plain = parse_incoming(&text.replace(r#","done":true"#, ""));
    let Incoming::Frame(plain) = plain else { panic!("{plain:?}") };
    let mut older = StreamAssembler::new("turn-2-118340");
    older.accept(Frame::Snapshot { turn: "turn-2-118340".into(), seq: 39, text: "That is one way,".into() });
    older.accept(plain);
    assert_eq!(older.text(), "That is one way, and that is all.");
    assert!(!older.is_complete());
}

#[test]
fn resume_requests_are_read_as_sent() {
    assert_eq!(
        ResumeRequest::parse(&fixture("request_resume.json")),
        Ok(ResumeRequest { turn: "turn-2-118340".into(), after: Some(17) })
    );
    let from_start = ResumeRequest::parse(&fixture("request_resume_from_start.json")).unwrap();
    assert_eq!(from_start.after, None);
    let sent: serde_json::Value = serde_json::from_str(&resume_request("turn-2-118340", Some(17))).unwrap();
    assert_eq!(sent, serde_json::from_str::<serde_json::Value>(&fixture("request_resume.json")).unwrap());
}

#[test]
fn frames_of_unknown_types_are_ignored_and_other_json_stays_legacy_text() {
    let later = r#"{"type":"citation","turn":"t","seq":3,"url":"https://example.com"}"#;
    assert_eq!(parse_incoming(later), Incoming::Unknown { frame_type: "citation".into() });
    // A model that answers in JSON through a legacy fulfillment is still shown.
    let model_json = r#"{"type":"recipe","steps":["mix","bake"]}"#;
    assert_eq!(parse_incoming(model_json), Incoming::Legacy(model_json.into()));
}
