//! Per-visitor limits and bounded inputs through the devstack with real clients (Cognito, the
//! presigned WebSocket, the Lex runtime SDK): a second question while an answer streams, answers
//! past the per-minute limit, a `$connect` flood, an over-long question and an oversized widget
//! message are each refused with a clear message — the first two as Lex's answer text, the flood
//! as a 429 on the upgrade, the question by Lex's own validation, the message unread by
//! `ws-connect` (and a frame past API Gateway's 32 KB closes the connection with 1009).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_lexruntimev2::types::SessionState;
use lexstream_devstack::{DevstackConfig, RunningDevstack};
use lexstream_e2e::Visitor;
use lexstream_lambda_core::answer_admission::Refusal;
use lexstream_lambda_core::connect::TOO_MANY_CONNECTS;
use lexstream_protocol::limits::MAX_QUESTION_CHARS;
use tokio_tungstenite::tungstenite::Error as WsError;

const BOT: &str = "LXSDEMOBOT";
const ALIAS: &str = "TSTALIASID";
const LOCALE: &str = "en_US";

async fn devstack_with(edit: impl FnOnce(&mut DevstackConfig)) -> RunningDevstack {
    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    edit(&mut config);
    lexstream_devstack::spawn(config).await.unwrap()
}

fn streaming_session(devstack: &RunningDevstack) -> SessionState {
    SessionState::builder()
        .session_attributes("streamingDynamoDbTable", "lexstream-connections")
        .session_attributes("streamingEndpoint", devstack.stage_url().replace("http://", "ws://"))
        .build()
}

/// Asks the demo bot `text` as `turn` in the visitor's session; Lex's answer text.
async fn ask(devstack: &RunningDevstack, visitor: &Visitor, turn: &str, text: &str) -> String {
    let lex = visitor.lex_client(&devstack.url()).await;
    let answer = lex
        .recognize_text()
        .bot_id(BOT)
        .bot_alias_id(ALIAS)
        .locale_id(LOCALE)
        .session_id(&visitor.identity_id)
        .text(text)
        .session_state(streaming_session(devstack))
        .request_attributes("streamingTurnId", turn)
        .send()
        .await
        .unwrap();
    answer.messages().first().and_then(|message| message.content()).unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_second_question_while_one_streams_is_answered_with_the_polite_refusal() {
    let devstack = devstack_with(|config| config.model.token_interval = Duration::from_millis(30)).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let (_socket, _) =
        tokio_tungstenite::connect_async(visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id))
            .await
            .unwrap();
    let impatient = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        ask(&devstack, &visitor, "turn-2", "And another thing?").await
    };
    let (first, second) =
        tokio::join!(ask(&devstack, &visitor, "turn-1", "How does streaming work?"), impatient);
    assert!(first.contains("devstack demo model"), "{first}");
    assert_eq!(second, "Please wait for the current answer to finish, or stop it, before asking again.");
    // The first answer freed the session: the next question is answered.
    let third = ask(&devstack, &visitor, "turn-3", "And now?").await;
    assert!(third.contains("devstack demo model"), "{third}");
    devstack.stop();
}

#[tokio::test]
async fn answers_past_the_limit_per_minute_are_refused_as_too_many_requests() {
    let devstack = devstack_with(|config| {
        config.model.token_interval = Duration::from_millis(1);
        config.answers_per_minute = 2;
    })
    .await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let mut answers = Vec::new();
    for turn in ["turn-1", "turn-2", "turn-3"] {
        answers.push(ask(&devstack, &visitor, turn, "Tell me more").await);
    }
    assert!(answers[..2].iter().all(|answer| answer.contains("devstack demo model")), "{answers:?}");
    assert_eq!(answers[2], Refusal::TooFrequent.visitor_message());
    // Another visitor still gets answers.
    let other = Visitor::sign_in(&devstack.url()).await.unwrap();
    let theirs = ask(&devstack, &other, "turn-1", "Tell me more").await;
    assert!(theirs.contains("devstack demo model"), "{theirs}");
    devstack.stop();
}

#[tokio::test]
async fn a_connect_flood_is_refused_with_429_at_the_upgrade() {
    let devstack = devstack_with(|config| config.connects_per_minute = 3).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let url = visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id);
    let mut sockets = Vec::new();
    for _ in 0..3 {
        sockets.push(tokio_tungstenite::connect_async(&url).await.unwrap());
    }
    match tokio_tungstenite::connect_async(&url).await {
        Err(WsError::Http(response)) => {
            assert_eq!(response.status().as_u16(), 429);
            let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default()).into_owned();
            assert!(body.contains(TOO_MANY_CONNECTS), "{body}");
        }
        other => panic!("expected a 429 refusal, got {other:?}"),
    }
    // Another visitor connects.
    let other = Visitor::sign_in(&devstack.url()).await.unwrap();
    let other_url = other.websocket_url(&devstack.stage_url(), &other.identity_id);
    assert!(tokio_tungstenite::connect_async(&other_url).await.is_ok());
    devstack.stop();
}

#[tokio::test]
async fn an_over_long_question_is_refused_by_lexs_own_rule() {
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let lex = visitor.lex_client(&devstack.url()).await;
    let refused = lex
        .recognize_text()
        .bot_id(BOT)
        .bot_alias_id(ALIAS)
        .locale_id(LOCALE)
        .session_id(&visitor.identity_id)
        .text("é".repeat(MAX_QUESTION_CHARS + 1))
        .send()
        .await
        .unwrap_err();
    let error = refused.as_service_error().unwrap();
    assert!(error.is_validation_exception(), "{error:?}");
    assert!(format!("{error:?}").contains("less than or equal to 1024"), "{error:?}");
    // At the limit it is a question like any other.
    let accepted = lex
        .recognize_text()
        .bot_id(BOT)
        .bot_alias_id(ALIAS)
        .locale_id(LOCALE)
        .session_id(&visitor.identity_id)
        .text("é".repeat(MAX_QUESTION_CHARS))
        .send()
        .await;
    assert!(accepted.is_ok(), "{accepted:?}");
    devstack.stop();
}

#[tokio::test]
async fn an_oversized_widget_message_is_refused_and_a_frame_over_32_kb_closes_the_connection() {
    use futures_util::{SinkExt, StreamExt};
    use lexstream_lambda_core::ports::ConnectionStore;
    use lexstream_lambda_core::turns::{TurnRecord, TurnStatus, TurnStore};
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let url = visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id);
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let stop_turn = async || devstack.state.table.get(&visitor.identity_id).await.unwrap().unwrap().stop_turn;

    // A stop at its real size is read.
    socket.send(Message::Text(lexstream_protocol::stop_request("turn-1").into())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while stop_turn().await.is_none() {
        assert!(tokio::time::Instant::now() < deadline, "the stop was never recorded");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The same stop padded past the widget's 1 KB is refused unread. The devstack handles a
    // connection's messages in order: once a resume sent after it is answered, it was handled.
    let padded = serde_json::json!({ "action": "stop", "turn": "turn-2", "padding": "x".repeat(2048) });
    socket.send(Message::Text(padded.to_string().into())).await.unwrap();
    let mut answered = TurnRecord::claimed(&visitor.identity_id, "turn-0", 0, i64::MAX);
    answered.status = TurnStatus::Done;
    answered.messages = Some(vec![]);
    devstack.state.table.save_turn(&answered).await.unwrap();
    socket.send(Message::Text(lexstream_protocol::resume_request("turn-0", None).into())).await.unwrap();
    let resumed = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap();
    assert!(matches!(resumed, Some(Ok(Message::Text(ref text))) if text.contains("final")), "{resumed:?}");
    assert_eq!(stop_turn().await.as_deref(), Some("turn-1"), "the padded stop was not read");

    // Past API Gateway's 32 KB frame, the connection is closed with 1009, as AWS does.
    socket.send(Message::Text("x".repeat(40 * 1024).into())).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|frame| frame.code),
                Some(Ok(_)) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(closed, Some(CloseCode::Size));
    devstack.stop();
}
