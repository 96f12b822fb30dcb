//! The devstack's logs of a whole visit — Cognito `GetId`, the presigned WebSocket's `$connect`,
//! a streamed Lex answer, `stop`, `resume` and `$disconnect`, with the Lambdas in-process — name
//! the visitor only by the keyed hash of its identity id (a bearer secret: it alone gets
//! credentials), the same hash in the devstack's own lines and the Lambdas'.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_lexruntimev2::types::SessionState;
use futures_util::{SinkExt, StreamExt};
use lexstream_devstack::DevstackConfig;
use lexstream_e2e::Visitor;
use lexstream_lambda_core::log_hash::hashed;
use lexstream_lambda_core::testing::CapturedLogs;
use lexstream_protocol::{Incoming, StreamAssembler, parse_incoming, resume_request, stop_request};
use tokio_tungstenite::tungstenite::Message;
use tracing_subscriber::util::SubscriberInitExt;

const TURN: &str = "turn-logs-1";

#[tokio::test]
async fn the_devstack_and_its_lambdas_log_the_visitor_hashed() {
    let logs = CapturedLogs::default();
    let writer = logs.clone();
    // What a deployment logs (`info`), and everything of the devstack and the Lambdas.
    let filter =
        tracing_subscriber::EnvFilter::new("info,lexstream_devstack=trace,lexstream_lambda_core=trace");
    let _capturing = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish()
        .set_default();

    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    config.model.token_interval = Duration::from_millis(5);
    let devstack = lexstream_devstack::spawn(config).await.unwrap();
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let url = visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();

    let lex = visitor.lex_client(&devstack.url()).await;
    let session = SessionState::builder()
        .session_attributes("streamingDynamoDbTable", "lexstream-connections")
        .session_attributes("streamingEndpoint", devstack.stage_url())
        .build();
    lex.recognize_text()
        .bot_id("LXSDEMOBOT")
        .bot_alias_id("TSTALIASID")
        .locale_id("en_US")
        .session_id(&visitor.identity_id)
        .text("How does streaming work?")
        .session_state(session)
        .request_attributes("streamingTurnId", TURN)
        .send()
        .await
        .unwrap();
    let mut turn = StreamAssembler::new(TURN);
    while !turn.is_complete() {
        match tokio::time::timeout(Duration::from_secs(10), socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                if let Incoming::Frame(frame) = parse_incoming(text.as_str()) {
                    turn.accept(frame);
                }
            }
            other => panic!("the stream ended early: {other:?}"),
        }
    }
    socket.send(Message::Text(stop_request(TURN).into())).await.unwrap();
    socket.send(Message::Text(resume_request(TURN, None).into())).await.unwrap();
    // The resume's snapshot and final answer come back once `stop` and `resume` have run.
    for _ in 0..2 {
        tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap();
    }
    socket.close(None).await.unwrap();
    // `$disconnect` runs when the devstack sees the close.
    let disconnected = tokio::time::timeout(Duration::from_secs(5), async {
        while !logs.text().contains("disconnected; row removed") {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;

    let logs = logs.text();
    assert!(disconnected.is_ok(), "$disconnect ran:\n{logs}");
    for step in ["Cognito identity created", "connected", "turn answered", "stop requested", "resumed"] {
        assert!(logs.contains(step), "the visit logged {step:?}:\n{logs}");
    }
    let identity = visitor.identity_id.as_str();
    let random_part = identity.split_once(':').unwrap().1;
    assert!(!logs.contains(random_part), "the identity id appears in the logs:\n{logs}");
    let visitor_hash = hashed(identity).to_string();
    let lines = logs.lines().filter(|line| line.contains(&visitor_hash)).count();
    assert!(lines >= 4, "the devstack's and the Lambdas' lines correlate by one hash ({lines}):\n{logs}");
    devstack.stop();
}
