//! Per-visitor limits and bounded inputs, from the handlers' side: a second question while an
//! answer streams is refused politely; answers per identity per minute and `$connect`s per identity
//! per minute stop at the limit; an over-long question, too many session attributes and an
//! oversized widget message are refused with a reason, without calling the model. In-memory store,
//! paused time.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::encodings::Body;
use lexstream_lambda_core::answer_admission::Refusal;
use lexstream_lambda_core::config::{ConnectConfig, SessionBinding};
use lexstream_lambda_core::connect::{TOO_MANY_CONNECTS, handle_websocket_event};
use lexstream_lambda_core::fulfillment::{handle_fulfillment, handle_fulfillment_with};
use lexstream_lambda_core::memory::MemoryConnectionStore;
use lexstream_lambda_core::ports::{AnswerHandover, ConnectionStore};
use lexstream_lambda_core::testing::{RecordingPusher, ScriptedModel};
use lexstream_lambda_core::turns::{TurnStatus, TurnStore};
use lexstream_lambda_core::worker::{AnswerJob, JobOutcome, handle_answer_job};
use lexstream_protocol::lex::{CodeHookEvent, CodeHookResponse, IntentState};
use lexstream_protocol::limits::{MAX_QUESTION_CHARS, MAX_SESSION_ATTRIBUTES, MAX_WIDGET_MESSAGE_BYTES};

mod common;

use common::{VISITOR, backend_with_connection, deployed_config, lex_event};

fn answer_of(response: &CodeHookResponse) -> &str {
    response.messages.as_ref().unwrap()[0].content.as_deref().unwrap()
}

fn intent_state(response: &CodeHookResponse) -> Option<IntentState> {
    response.session_state.intent.as_ref().unwrap().state.clone()
}

/// The fixture event asking `question` as `turn` in `session`.
fn question(session: &str, turn: &str, question: &str) -> CodeHookEvent {
    lex_event(|json| {
        json["sessionId"] = session.into();
        json["inputTranscript"] = question.into();
        json["requestAttributes"] = serde_json::json!({ "streamingTurnId": turn });
    })
}

#[tokio::test(start_paused = true)]
async fn a_second_question_while_one_streams_gets_the_polite_refusal() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["A ", "slow ", "answer."], Duration::from_millis(300));
    let config = deployed_config(&[]);
    let impatient = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        handle_fulfillment(question(VISITOR, "turn-2", "And another thing?"), &model, &backend, &config).await
    };
    let (first, second) = tokio::join!(
        handle_fulfillment(question(VISITOR, "turn-1", "A long one?"), &model, &backend, &config),
        impatient
    );
    assert_eq!(answer_of(&first), "A slow answer.");
    assert_eq!(answer_of(&second), Refusal::Busy.visitor_message());
    assert_eq!(
        answer_of(&second),
        "Please wait for the current answer to finish, or stop it, before asking again."
    );
    assert_eq!(intent_state(&second), Some(IntentState::Failed));
    assert_eq!(model.requests().len(), 1, "the refused question never reached the model");
    // The refusal is the refused turn's answer for good: a retry or a resume gets it again.
    let refused = backend.store.turn(VISITOR, "turn-2").await.unwrap().unwrap();
    assert_eq!((refused.status, refused.messages.as_ref()), (TurnStatus::Error, second.messages.as_ref()));

    // Once the first answer is written, the slot is free again.
    let next = handle_fulfillment(question(VISITOR, "turn-3", "Now?"), &model, &backend, &config).await;
    assert_eq!(answer_of(&next), "A slow answer.");
    // Another session of the same visitor (a new conversation) has its own slot.
    let other_session = format!("{VISITOR}.2");
    let (a, b) = tokio::join!(
        handle_fulfillment(question(VISITOR, "turn-4", "One"), &model, &backend, &config),
        handle_fulfillment(question(&other_session, "turn-1", "Two"), &model, &backend, &config),
    );
    assert_eq!((answer_of(&a), answer_of(&b)), ("A slow answer.", "A slow answer."));
}

#[tokio::test(start_paused = true)]
async fn answers_past_the_limit_per_minute_are_refused_for_every_session_of_the_identity() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["Yes."], Duration::from_millis(5));
    let config = deployed_config(&[("ANSWERS_PER_IDENTITY_PER_MINUTE", "3")]);
    for turn in ["turn-1", "turn-2", "turn-3"] {
        let answer = handle_fulfillment(question(VISITOR, turn, "Again?"), &model, &backend, &config).await;
        assert_eq!(answer_of(&answer), "Yes.", "{turn}");
    }
    let fourth = handle_fulfillment(question(VISITOR, "turn-4", "Again?"), &model, &backend, &config).await;
    assert_eq!(answer_of(&fourth), Refusal::TooFrequent.visitor_message());
    assert!(answer_of(&fourth).contains("too many requests"), "a 429 in words");
    assert_eq!(intent_state(&fourth), Some(IntentState::Failed));
    // A new conversation of the same visitor counts against the same identity.
    let new_conversation = format!("{VISITOR}.2");
    let fifth =
        handle_fulfillment(question(&new_conversation, "t-1", "Hi?"), &model, &backend, &config).await;
    assert_eq!(answer_of(&fifth), Refusal::TooFrequent.visitor_message());
    assert_eq!(model.requests().len(), 3);
    // Another visitor is not affected.
    let stranger = "us-east-1:00000000-1111-2222-3333-444444444444";
    let theirs = handle_fulfillment(question(stranger, "t-1", "Hi?"), &model, &backend, &config).await;
    assert_eq!(answer_of(&theirs), "Yes.");
    // The refusal freed the session's slot: nothing is left held.
    let retry = handle_fulfillment(question(VISITOR, "turn-4", "Again?"), &model, &backend, &config).await;
    assert_eq!(retry.messages, fourth.messages, "a retry of a refused turn gets the same refusal");
}

#[tokio::test(start_paused = true)]
async fn without_a_configured_table_there_is_nothing_to_count_in() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["Yes."], Duration::from_millis(5));
    // No STREAMING_TABLE: the Lex Web UI's way, a client-named table is never written.
    let config = lexstream_lambda_core::config::FulfillmentConfig::from_lookup(|name: &str| match name {
        "BEDROCK_MODEL_ID" => Some("m".to_owned()),
        "ANSWERS_PER_IDENTITY_PER_MINUTE" => Some("1".to_owned()),
        _ => None,
    })
    .unwrap();
    for turn in ["turn-1", "turn-2"] {
        let answer = handle_fulfillment(question(VISITOR, turn, "Again?"), &model, &backend, &config).await;
        assert_eq!(answer_of(&answer), "Yes.");
    }
}

#[tokio::test(start_paused = true)]
async fn a_question_over_the_length_limit_is_refused_with_what_fits() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["never"], Duration::ZERO);
    let config = deployed_config(&[]);
    let long = "why ".repeat(MAX_QUESTION_CHARS / 4 + 1);
    let answer = handle_fulfillment(question(VISITOR, "turn-1", &long), &model, &backend, &config).await;
    assert_eq!(
        answer_of(&answer),
        format!(
            "Your question is {} characters long; please shorten it to 1024 characters or fewer.",
            long.len()
        )
    );
    assert_eq!(intent_state(&answer), Some(IntentState::Failed));
    assert!(model.requests().is_empty());
    assert!(backend.store.turn(VISITOR, "turn-1").await.unwrap().is_none(), "no record, no slot taken");
}

#[tokio::test(start_paused = true)]
async fn session_attributes_over_the_limit_are_refused_and_cleared() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["never"], Duration::ZERO);
    let config = deployed_config(&[]);
    let crowded = lex_event(|json| {
        let attributes: serde_json::Map<String, serde_json::Value> =
            (0..=MAX_SESSION_ATTRIBUTES).map(|i| (format!("note{i}"), "x".into())).collect();
        json["sessionState"]["sessionAttributes"] = attributes.into();
    });
    let answer = handle_fulfillment(crowded, &model, &backend, &config).await;
    assert!(answer_of(&answer).contains("51 saved values"), "{}", answer_of(&answer));
    assert!(answer_of(&answer).contains("please ask your question again"), "{}", answer_of(&answer));
    assert_eq!(answer.session_state.session_attributes, Some(Default::default()), "cleared");
    let heavy = lex_event(|json| {
        json["sessionState"]["sessionAttributes"] = serde_json::json!({ "notes": "x".repeat(13 * 1024) });
    });
    let answer = handle_fulfillment(heavy, &model, &backend, &config).await;
    assert!(answer_of(&answer).contains("bytes of saved values"), "{}", answer_of(&answer));
    assert!(model.requests().is_empty());
}

/// Records the jobs it is handed, as Lambda's event queue would take them.
#[derive(Debug, Default)]
struct QueuedJobs(std::sync::Mutex<Vec<AnswerJob>>);

impl AnswerHandover for QueuedJobs {
    async fn hand_over(&self, job: &AnswerJob) -> Result<(), String> {
        self.0.lock().unwrap().push(job.clone());
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_turn_handed_to_the_worker_holds_the_slot_until_the_worker_has_answered() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["Long ", "answer."], Duration::from_millis(10));
    let queue = QueuedJobs::default();
    let config = deployed_config(&[("ANSWER_WORKER_FUNCTION", "answer-worker")]);
    let ask = |turn: &str| question(VISITOR, turn, "Tell me everything");
    handle_fulfillment_with(ask("turn-1"), &model, &backend, &queue, &config).await;
    let busy = handle_fulfillment_with(ask("turn-2"), &model, &backend, &queue, &config).await;
    assert_eq!(answer_of(&busy), Refusal::Busy.visitor_message());
    let job = queue.0.lock().unwrap()[0].clone();
    assert_eq!(handle_answer_job(job, &model, &backend, &config).await, JobOutcome::Answered);
    let next = handle_fulfillment_with(ask("turn-3"), &model, &backend, &queue, &config).await;
    assert_ne!(answer_of(&next), Refusal::Busy.visitor_message(), "the worker freed the slot");
    assert_eq!(queue.0.lock().unwrap().len(), 2);
}

fn connect_event(connection: &str, source_ip: &str) -> ApiGatewayWebsocketProxyRequest {
    let path = format!("{}/tests/fixtures/apigw_ws_connect.json", env!("CARGO_MANIFEST_DIR"));
    let mut json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    json["requestContext"]["connectionId"] = connection.into();
    json["requestContext"]["identity"]["sourceIp"] = source_ip.into();
    serde_json::from_value(json).unwrap()
}

fn connect_config(connects_per_minute: u32) -> ConnectConfig {
    ConnectConfig {
        table_name: "t".into(),
        session_binding: SessionBinding::RequireIdentity,
        ttl_seconds: 7500,
        connects_per_minute,
    }
}

fn body_text(body: Option<&Body>) -> String {
    match body {
        Some(Body::Text(text)) => text.clone(),
        other => panic!("no text body: {other:?}"),
    }
}

#[tokio::test]
async fn a_connect_flood_gets_429_after_the_limit() {
    let store = MemoryConnectionStore::default();
    let no_posts = |_: &str| RecordingPusher::default();
    let config = connect_config(3);
    for i in 0..3 {
        let event = connect_event(&format!("conn-{i}"), "203.0.113.7");
        let response = handle_websocket_event(event, &store, &no_posts, &config).await;
        assert_eq!(response.status_code, 200, "{i}");
    }
    // Whatever address it comes from: the limit is the identity's.
    let event = connect_event("conn-3", "198.51.100.1");
    let response = handle_websocket_event(event, &store, &no_posts, &config).await;
    assert_eq!(response.status_code, 429);
    assert_eq!(body_text(response.body.as_ref()), TOO_MANY_CONNECTS);
    let row = store.get(VISITOR).await.unwrap().unwrap();
    assert_eq!(row.connection_id, "conn-2", "the refused connection was not recorded");
    assert_eq!(store.session_of("conn-3").await.unwrap(), None);
}

#[tokio::test]
async fn anonymous_connects_count_per_source_ip() {
    let store = MemoryConnectionStore::default();
    let no_posts = |_: &str| RecordingPusher::default();
    let config = ConnectConfig { session_binding: SessionBinding::WhenPresent, ..connect_config(1) };
    let anonymous = |connection: &str, ip: &str| {
        let mut event = connect_event(connection, ip);
        event.request_context.identity.cognito_identity_id = None;
        event
    };
    let first = handle_websocket_event(anonymous("a", "203.0.113.7"), &store, &no_posts, &config).await;
    let second = handle_websocket_event(anonymous("b", "203.0.113.7"), &store, &no_posts, &config).await;
    let elsewhere = handle_websocket_event(anonymous("c", "198.51.100.1"), &store, &no_posts, &config).await;
    let codes = [first.status_code, second.status_code, elsewhere.status_code];
    assert_eq!(codes, [200, 429, 200]);
}

#[tokio::test]
async fn an_oversized_widget_message_is_refused_unread() {
    let store = MemoryConnectionStore::default();
    let no_posts = |_: &str| RecordingPusher::default();
    let config = connect_config(0);
    let connected =
        handle_websocket_event(connect_event("conn-1", "203.0.113.7"), &store, &no_posts, &config);
    assert_eq!(connected.await.status_code, 200);
    let padding = "x".repeat(MAX_WIDGET_MESSAGE_BYTES);
    let body = serde_json::json!({ "action": "stop", "turn": "turn-1", "padding": padding }).to_string();
    let mut event = connect_event("conn-1", "203.0.113.7");
    event.request_context.route_key = Some("stop".into());
    event.body = Some(body.clone());
    let response = handle_websocket_event(event, &store, &no_posts, &config).await;
    assert_eq!(response.status_code, 413);
    assert_eq!(
        body_text(response.body.as_ref()),
        format!("The message is {} bytes; the widget's messages are at most 1024 bytes.", body.len())
    );
    assert_eq!(store.get(VISITOR).await.unwrap().unwrap().stop_turn, None, "the stop was not read");
}
