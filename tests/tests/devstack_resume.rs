//! Resuming a turn after a reload, through the devstack with real clients: a visitor asks Lex
//! (the real Lex runtime SDK client) with a `streamingTurnId`, the answer streams and Lex
//! returns it; the tab "reloads" (its socket closes, a new one opens for the same session) and
//! asks `{"action":"resume"}`: `ws-connect` answers from the turn's record with a `snapshot` of
//! the whole text and a `final` frame carrying Lex's answer — and tells another visitor nothing.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_lexruntimev2::types::SessionState;
use futures_util::{SinkExt, StreamExt};
use lexstream_devstack::{DevstackConfig, RunningDevstack};
use lexstream_e2e::Visitor;
use lexstream_protocol::{Frame, Incoming, StreamAssembler, parse_incoming, resume_request};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

const TURN: &str = "turn-resume-1";

async fn devstack() -> RunningDevstack {
    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    config.model.token_interval = Duration::from_millis(10);
    lexstream_devstack::spawn(config).await.unwrap()
}

async fn open_socket(devstack: &RunningDevstack, visitor: &Visitor) -> Socket {
    let url = visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id);
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next v1 frame on `socket`, or `None` if nothing comes within `wait`.
async fn next_frame(socket: &mut Socket, wait: Duration) -> Option<Frame> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Text(text)))) => match parse_incoming(text.as_str()) {
                Incoming::Frame(frame) => return Some(frame),
                other => panic!("not a v1 frame: {other:?}"),
            },
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            other => panic!("the socket ended: {other:?}"),
        }
    }
}

/// Lex's messages as the `final` frame carries them (the Lex V2 JSON shape).
fn as_lex_json(messages: &[aws_sdk_lexruntimev2::types::Message]) -> serde_json::Value {
    messages
        .iter()
        .map(|message| {
            serde_json::json!({ "contentType": message.content_type().as_str(), "content": message.content() })
        })
        .collect()
}

#[tokio::test]
async fn a_reloaded_tab_resumes_the_turn_with_its_whole_text_and_lexs_answer() {
    let devstack = devstack().await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let mut first_tab = open_socket(&devstack, &visitor).await;
    let lex = visitor.lex_client(&devstack.url()).await;

    let streamed = tokio::spawn(async move {
        let mut turn = StreamAssembler::new(TURN);
        while !turn.is_complete() {
            let frame =
                next_frame(&mut first_tab, Duration::from_secs(10)).await.expect("the stream goes on");
            turn.accept(frame);
        }
        (turn.text().to_owned(), first_tab)
    });
    let session = SessionState::builder()
        .session_attributes("streamingDynamoDbTable", "lexstream-connections")
        .session_attributes("streamingEndpoint", devstack.stage_url())
        .build();
    let answer = lex
        .recognize_text()
        .bot_id("LXSDEMOBOT")
        .bot_alias_id("TSTALIASID")
        .locale_id("en_US")
        .session_id(&visitor.identity_id)
        .text("How does resuming work?")
        .session_state(session)
        .request_attributes("streamingTurnId", TURN)
        .send()
        .await
        .unwrap();
    let (streamed, first_tab) = streamed.await.unwrap();
    assert!(!streamed.is_empty());

    // The tab reloads: its socket closes, a new one opens for the same session and resumes
    // the turn with nothing applied.
    drop(first_tab);
    let mut reloaded = open_socket(&devstack, &visitor).await;
    reloaded.send(Message::Text(resume_request(TURN, None).into())).await.unwrap();
    let wait = Duration::from_secs(5);
    let snapshot = next_frame(&mut reloaded, wait).await.expect("a snapshot");
    let Frame::Snapshot { turn, seq: text_seq, text } = snapshot else {
        panic!("expected a snapshot: {snapshot:?}")
    };
    assert_eq!((turn.as_str(), text.as_str()), (TURN, streamed.as_str()), "the whole streamed text");
    let last = next_frame(&mut reloaded, wait).await.expect("the final answer");
    let Frame::Final { turn, seq, messages } = last else { panic!("expected a final frame: {last:?}") };
    assert_eq!(turn, TURN);
    assert!(seq > text_seq);
    assert_eq!(serde_json::to_value(&messages).unwrap(), as_lex_json(answer.messages()), "Lex's own answer");

    // A widget that already applied the text gets the final answer alone.
    reloaded.send(Message::Text(resume_request(TURN, Some(text_seq)).into())).await.unwrap();
    let only = next_frame(&mut reloaded, wait).await.expect("the final answer");
    assert!(matches!(only, Frame::Final { .. }), "{only:?}");
    assert_eq!(next_frame(&mut reloaded, Duration::from_millis(500)).await, None);

    // Another visitor asking for this turn id resumes nothing: the turn is not of their session.
    let stranger = Visitor::sign_in(&devstack.url()).await.unwrap();
    let mut their_tab = open_socket(&devstack, &stranger).await;
    their_tab.send(Message::Text(resume_request(TURN, None).into())).await.unwrap();
    assert_eq!(next_frame(&mut their_tab, Duration::from_secs(1)).await, None, "nothing of another session");
    devstack.stop();
}
