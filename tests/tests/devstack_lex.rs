//! A whole streamed turn through the devstack with real clients: a visitor signs in with Cognito,
//! opens the presigned WebSocket, asks Lex with the real Lex runtime SDK client (SigV4 with the
//! visitor's credentials), and watches the answer stream in before RecognizeText returns it.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_lexruntimev2::types::{MessageContentType, SessionState};
use futures_util::StreamExt;
use lexstream_devstack::{DevstackConfig, RunningDevstack};
use lexstream_e2e::Visitor;
use lexstream_lambda_core::turns::{TurnStatus, TurnStore};
use lexstream_protocol::{Incoming, StreamAssembler, parse_incoming};
use tokio_tungstenite::tungstenite::Message;

const BOT: &str = "LXSDEMOBOT";
const ALIAS: &str = "TSTALIASID";
const LOCALE: &str = "en_US";

async fn devstack_with(edit: impl FnOnce(&mut DevstackConfig)) -> RunningDevstack {
    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    config.model.token_interval = Duration::from_millis(15);
    edit(&mut config);
    lexstream_devstack::spawn(config).await.unwrap()
}

fn streaming_session(devstack: &RunningDevstack) -> SessionState {
    SessionState::builder()
        .session_attributes("streamingDynamoDbTable", "lexstream-connections")
        .session_attributes("streamingEndpoint", devstack.stage_url().replace("http://", "ws://"))
        .build()
}

#[tokio::test]
async fn the_answer_streams_over_the_websocket_before_recognize_text_returns_it() {
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let (socket, _) =
        tokio_tungstenite::connect_async(visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id))
            .await
            .unwrap();
    let lex = visitor.lex_client(&devstack.url()).await;

    let frames = tokio::spawn(async move {
        let mut socket = socket;
        let mut turn = StreamAssembler::new("turn-1");
        let mut first_text_at = None;
        let started = std::time::Instant::now();
        while !turn.is_complete() {
            match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => {
                    if let Incoming::Frame(frame) = parse_incoming(text.as_str()) {
                        turn.accept(frame);
                        if first_text_at.is_none() && !turn.text().is_empty() {
                            first_text_at = Some(started.elapsed());
                        }
                    }
                }
                other => panic!("stream ended early: {other:?}"),
            }
        }
        (turn.text().to_owned(), first_text_at, started.elapsed())
    });

    let started = std::time::Instant::now();
    let answer = lex
        .recognize_text()
        .bot_id(BOT)
        .bot_alias_id(ALIAS)
        .locale_id(LOCALE)
        .session_id(&visitor.identity_id)
        .text("How does streaming work?")
        .session_state(streaming_session(&devstack))
        .request_attributes("streamingTurnId", "turn-1")
        .send()
        .await
        .unwrap();
    let lex_took = started.elapsed();
    let (streamed, first_text_at, stream_took) = frames.await.unwrap();

    let message = &answer.messages()[0];
    assert_eq!(message.content_type(), &MessageContentType::CustomPayload);
    let final_text = message.content().unwrap();
    assert!(final_text.contains("devstack demo model"), "{final_text}");
    assert_eq!(streamed, final_text, "the streamed text is exactly the final answer");
    let first_text_at = first_text_at.unwrap();
    assert!(
        first_text_at < lex_took / 2,
        "first words after {first_text_at:?}, the final answer after {lex_took:?}"
    );
    assert!(stream_took <= lex_took + Duration::from_millis(500));
    let state = answer.session_state().unwrap();
    assert_eq!(state.intent().unwrap().name(), "FallbackIntent");
    assert!(
        !state.session_attributes().unwrap().contains_key("lexstreamHistory"),
        "the history is not the visitor's to keep (or forge)"
    );
    let history = devstack.state.table.history(&visitor.identity_id).await.unwrap();
    assert_eq!(history.len(), 2, "the turn is kept server-side for follow-ups");
    let record = devstack.state.table.turn(&visitor.identity_id, "turn-1").await.unwrap().unwrap();
    assert_eq!(record.status, TurnStatus::Done);
    assert_eq!(record.text, final_text);
    devstack.stop();
}

#[tokio::test]
async fn intents_without_code_hook_answer_from_the_bot_definition() {
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let lex = visitor.lex_client(&devstack.url()).await;
    let ask = |text: &'static str| {
        lex.recognize_text()
            .bot_id(BOT)
            .bot_alias_id(ALIAS)
            .locale_id(LOCALE)
            .session_id(&visitor.identity_id)
            .text(text)
            .send()
    };
    let hello = ask("hello").await.unwrap();
    assert_eq!(hello.messages()[0].content_type(), &MessageContentType::PlainText);
    assert_eq!(hello.session_state().unwrap().intent().unwrap().name(), "Greeting");

    let options = ask("show me the options").await.unwrap();
    let card = options.messages()[1].image_response_card().unwrap();
    assert_eq!(card.title(), "Pick a topic");
    assert_eq!(card.buttons().len(), 3);
    devstack.stop();
}

#[tokio::test]
async fn lex_refuses_unknown_bots_and_bad_signatures_like_aws() {
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let lex = visitor.lex_client(&devstack.url()).await;
    let missing = lex
        .recognize_text()
        .bot_id("NOSUCHBOT0")
        .bot_alias_id(ALIAS)
        .locale_id(LOCALE)
        .session_id("s-1")
        .text("hi")
        .send()
        .await;
    assert!(missing.unwrap_err().into_service_error().is_resource_not_found_exception());

    let mut forged = visitor.clone();
    forged.credentials.secret_access_key = "not-the-secret".into();
    let forged_client = forged.lex_client(&devstack.url()).await;
    let refused = forged_client
        .recognize_text()
        .bot_id(BOT)
        .bot_alias_id(ALIAS)
        .locale_id(LOCALE)
        .session_id("s-1")
        .text("hi")
        .send()
        .await;
    let error = refused.unwrap_err();
    assert_eq!(error.raw_response().map(|r| r.status().as_u16()), Some(403), "{error:?}");
    devstack.stop();
}

/// A stand-in for a bot developer's own Lambda behind a local invoke URL.
async fn fake_lambda(answer: serde_json::Value, status: u16) -> String {
    let handler = axum::routing::post(move |axum::Json(event): axum::Json<serde_json::Value>| {
        let mut answer = answer.clone();
        async move {
            // Echo the session state back, as a code hook must.
            answer["sessionState"]["sessionAttributes"] = event["sessionState"]["sessionAttributes"].clone();
            (axum::http::StatusCode::from_u16(status).unwrap(), axum::Json(answer))
        }
    });
    lexstream_e2e::serve_stand_in_lambda(handler).await.unwrap()
}

#[tokio::test]
async fn a_developers_own_lambda_at_an_invoke_url_answers_and_its_failures_surface() {
    let close = serde_json::json!({
        "sessionState": {
            "dialogAction": {"type": "Close"},
            "intent": {"name": "FallbackIntent", "state": "Fulfilled"}
        },
        "messages": [{"contentType": "PlainText", "content": "Answered by my own Lambda"}]
    });
    let url = fake_lambda(close, 200).await;
    let devstack = devstack_with(|config| config.fulfillment_url = Some(url)).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let lex = visitor.lex_client(&devstack.url()).await;
    let answer = lex
        .recognize_text()
        .bot_id(BOT)
        .bot_alias_id(ALIAS)
        .locale_id(LOCALE)
        .session_id("s-22")
        .text("anything at all?")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.messages()[0].content(), Some("Answered by my own Lambda"));
    devstack.stop();

    let broken = fake_lambda(serde_json::json!({"errorMessage": "boom"}), 500).await;
    let devstack = devstack_with(|config| config.fulfillment_url = Some(broken)).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let lex = visitor.lex_client(&devstack.url()).await;
    let failed = lex
        .recognize_text()
        .bot_id(BOT)
        .bot_alias_id(ALIAS)
        .locale_id(LOCALE)
        .session_id("s-23")
        .text("anything at all?")
        .send()
        .await;
    let error = failed.unwrap_err().into_service_error();
    assert!(error.is_dependency_failed_exception(), "{error:?}");
    devstack.stop();
}
