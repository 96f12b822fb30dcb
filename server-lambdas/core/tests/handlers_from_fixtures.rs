//! The handlers called with events shaped as API Gateway and Lex send them.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_lambda_events::apigw::ApiGatewayWebsocketProxyRequest;
use aws_lambda_events::encodings::Body;
use lexstream_lambda_core::StoreError;
use lexstream_lambda_core::config::{ConnectConfig, SessionBinding};
use lexstream_lambda_core::connect::handle_websocket_event;
use lexstream_lambda_core::fulfillment::handle_fulfillment;
use lexstream_lambda_core::history::{self, HISTORY_ATTRIBUTE};
use lexstream_lambda_core::memory::MemoryConnectionStore;
use lexstream_lambda_core::ports::{ChatMessage, ConnectionRecord, ConnectionStore, Role};
use lexstream_lambda_core::testing::{RecordingPusher, ScriptedModel};
use lexstream_lambda_core::turns::{TurnClaim, TurnRecord, TurnStatus, TurnStore};
use lexstream_lambda_core::visitor_limits::{HoldOutcome, InFlightHold, VisitorLimitStore};
use lexstream_lambda_core::{ModelError, ModelErrorKind};
use lexstream_protocol::lex::{DialogActionType, IntentState, Message, MessageContentType};
use lexstream_protocol::{Frame, Incoming, StreamAssembler, parse_incoming, resume_request};

mod common;

use common::{CONNECTION, VISITOR, backend_with_connection, deployed_config, lex_event};

fn fixture(path: &str) -> serde_json::Value {
    let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))).unwrap()
}

fn websocket_event(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> ApiGatewayWebsocketProxyRequest {
    let mut json = fixture(&format!("tests/fixtures/{name}"));
    edit(&mut json);
    serde_json::from_value(json).unwrap()
}

fn connect_config(binding: SessionBinding) -> ConnectConfig {
    ConnectConfig {
        table_name: "t".into(),
        session_binding: binding,
        ttl_seconds: 7500,
        connects_per_minute: lexstream_protocol::limits::DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE,
    }
}

/// The pusher factory for routes that post nothing.
fn no_posts(_endpoint: &str) -> RecordingPusher {
    RecordingPusher::default()
}

fn body_text(body: Option<Body>) -> String {
    match body {
        Some(Body::Text(text)) => text,
        other => format!("{other:?}"),
    }
}

#[tokio::test]
async fn connect_records_the_session_bound_to_the_callers_identity() {
    let store = MemoryConnectionStore::default();
    let event = websocket_event("apigw_ws_connect.json", |_| {});
    let response =
        handle_websocket_event(event, &store, &no_posts, &connect_config(SessionBinding::RequireIdentity))
            .await;
    assert_eq!(response.status_code, 200);
    let record = store.get(VISITOR).await.unwrap().unwrap();
    assert_eq!(record.connection_id, CONNECTION);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now + 7400..=now + 7600).contains(&record.ttl), "ttl {} is ~2 h from now", record.ttl);
}

#[tokio::test]
async fn another_visitors_session_id_is_refused() {
    let store = MemoryConnectionStore::default();
    let event = websocket_event("apigw_ws_connect.json", |json| {
        json["queryStringParameters"]["sessionId"] = "us-east-1:someone-else".into();
    });
    let response =
        handle_websocket_event(event, &store, &no_posts, &connect_config(SessionBinding::WhenPresent)).await;
    assert_eq!(response.status_code, 403);
    assert!(body_text(response.body).contains("does not belong"));
    assert_eq!(store.get("us-east-1:someone-else").await.unwrap(), None, "nothing recorded");
}

#[tokio::test]
async fn identity_binding_modes_treat_anonymous_callers_as_documented() {
    let anonymous = || {
        websocket_event("apigw_ws_connect.json", |json| {
            json["requestContext"]["identity"] = serde_json::json!({"sourceIp": "203.0.113.7"});
            json["queryStringParameters"]["sessionId"] = "anon-session-1".into();
        })
    };
    let store = MemoryConnectionStore::default();
    let required = handle_websocket_event(
        anonymous(),
        &store,
        &no_posts,
        &connect_config(SessionBinding::RequireIdentity),
    )
    .await;
    assert_eq!(required.status_code, 403);
    let optional =
        handle_websocket_event(anonymous(), &store, &no_posts, &connect_config(SessionBinding::WhenPresent))
            .await;
    assert_eq!(optional.status_code, 200);
    let off = handle_websocket_event(
        websocket_event("apigw_ws_connect.json", |json| {
            json["queryStringParameters"]["sessionId"] = "any-1".into();
        }),
        &store,
        &no_posts,
        &connect_config(SessionBinding::Off),
    )
    .await;
    assert_eq!(off.status_code, 200);
}

#[tokio::test]
async fn malformed_or_missing_session_ids_get_400_with_the_reason() {
    let store = MemoryConnectionStore::default();
    let config = connect_config(SessionBinding::Off);
    let bad = websocket_event("apigw_ws_connect.json", |json| {
        json["queryStringParameters"]["sessionId"] = "a b".into();
    });
    let response = handle_websocket_event(bad, &store, &no_posts, &config).await;
    assert_eq!(response.status_code, 400);
    assert!(body_text(response.body).contains("may only contain"));
    let missing = websocket_event("apigw_ws_connect.json", |json| {
        json["queryStringParameters"] = serde_json::json!({});
        json["multiValueQueryStringParameters"] = serde_json::json!({});
    });
    let response = handle_websocket_event(missing, &store, &no_posts, &config).await;
    assert_eq!(response.status_code, 400);
    assert!(body_text(response.body).contains("missing sessionId"));
}

#[tokio::test]
async fn disconnect_removes_the_row_unless_a_newer_tab_took_the_session() {
    let store = MemoryConnectionStore::default();
    let config = connect_config(SessionBinding::RequireIdentity);
    handle_websocket_event(websocket_event("apigw_ws_connect.json", |_| {}), &store, &no_posts, &config)
        .await;
    // A second tab connects for the same session.
    let newer = websocket_event("apigw_ws_connect.json", |json| {
        json["requestContext"]["connectionId"] = "NEWER=".into();
    });
    handle_websocket_event(newer, &store, &no_posts, &config).await;
    // The first tab's connection closes: the newer tab keeps its row.
    let response = handle_websocket_event(
        websocket_event("apigw_ws_disconnect.json", |_| {}),
        &store,
        &no_posts,
        &config,
    )
    .await;
    assert_eq!(response.status_code, 200);
    assert_eq!(store.get(VISITOR).await.unwrap().unwrap().connection_id, "NEWER=");
    // The newer tab closes: the row goes.
    let closing = websocket_event("apigw_ws_disconnect.json", |json| {
        json["requestContext"]["connectionId"] = "NEWER=".into();
    });
    handle_websocket_event(closing, &store, &no_posts, &config).await;
    assert_eq!(store.get(VISITOR).await.unwrap(), None);
}

#[tokio::test]
async fn ping_is_answered() {
    let store = MemoryConnectionStore::default();
    let ping =
        websocket_event("apigw_ws_connect.json", |json| json["requestContext"]["routeKey"] = "ping".into());
    assert_eq!(
        handle_websocket_event(ping, &store, &no_posts, &connect_config(SessionBinding::Off))
            .await
            .status_code,
        200
    );
}

#[tokio::test]
async fn stop_marks_the_turn_on_the_connections_own_session_only() {
    let store = MemoryConnectionStore::default();
    let config = connect_config(SessionBinding::RequireIdentity);
    handle_websocket_event(websocket_event("apigw_ws_connect.json", |_| {}), &store, &no_posts, &config)
        .await;
    let stop = |connection: &'static str, body: &'static str| {
        websocket_event("apigw_ws_connect.json", move |json| {
            json["requestContext"]["routeKey"] = "stop".into();
            json["requestContext"]["connectionId"] = connection.into();
            json["body"] = body.into();
        })
    };
    let answer = handle_websocket_event(
        stop("NEWER=", r#"{"action":"stop","turn":"t-9"}"#),
        &store,
        &no_posts,
        &config,
    )
    .await;
    assert_eq!(answer.status_code, 404, "a connection with no session stops nothing");
    assert_eq!(store.get(VISITOR).await.unwrap().unwrap().stop_turn, None);

    let connection = store.get(VISITOR).await.unwrap().unwrap().connection_id;
    let connection: &'static str = Box::leak(connection.into_boxed_str());
    let bad =
        handle_websocket_event(stop(connection, r#"{"action":"stop"}"#), &store, &no_posts, &config).await;
    assert_eq!(bad.status_code, 400);
    let answer = handle_websocket_event(
        stop(connection, r#"{"action":"stop","turn":"t-9"}"#),
        &store,
        &no_posts,
        &config,
    )
    .await;
    assert_eq!(answer.status_code, 200, "{}", body_text(answer.body));
    assert_eq!(store.get(VISITOR).await.unwrap().unwrap().stop_turn.as_deref(), Some("t-9"));
}

/// A store in which, as the `stop` route looks up its connection's session, the session's row
/// changes under it: a racing reconnect (`Some(newer connection)`) or `$disconnect` (`None`).
struct RacingStore {
    inner: MemoryConnectionStore,
    race: Option<&'static str>,
}

impl ConnectionStore for RacingStore {
    async fn put(&self, record: &ConnectionRecord) -> Result<(), StoreError> {
        self.inner.put(record).await
    }

    async fn get(&self, session_id: &str) -> Result<Option<ConnectionRecord>, StoreError> {
        self.inner.get(session_id).await
    }

    async fn session_of(&self, connection_id: &str) -> Result<Option<String>, StoreError> {
        let session = self.inner.session_of(connection_id).await?;
        let row = self.inner.get(VISITOR).await?.unwrap();
        match self.race {
            Some(newer) => self.inner.put(&ConnectionRecord { connection_id: newer.into(), ..row }).await?,
            None => {
                self.inner.delete_if_current(VISITOR, &row.connection_id).await?;
            }
        }
        Ok(session)
    }

    async fn request_stop_if_current(
        &self,
        session_id: &str,
        connection_id: &str,
        turn: &str,
    ) -> Result<bool, StoreError> {
        self.inner.request_stop_if_current(session_id, connection_id, turn).await
    }

    async fn delete_if_current(&self, session_id: &str, connection_id: &str) -> Result<bool, StoreError> {
        self.inner.delete_if_current(session_id, connection_id).await
    }
}

impl TurnStore for RacingStore {
    async fn claim(&self, record: &TurnRecord) -> Result<TurnClaim, StoreError> {
        self.inner.claim(record).await
    }

    async fn save_turn(&self, record: &TurnRecord) -> Result<(), StoreError> {
        self.inner.save_turn(record).await
    }

    async fn turn(&self, session_id: &str, turn: &str) -> Result<Option<TurnRecord>, StoreError> {
        self.inner.turn(session_id, turn).await
    }

    async fn history(&self, session_id: &str) -> Result<Vec<ChatMessage>, StoreError> {
        self.inner.history(session_id).await
    }

    async fn save_history(
        &self,
        session_id: &str,
        messages: &[ChatMessage],
        ttl: i64,
    ) -> Result<(), StoreError> {
        self.inner.save_history(session_id, messages, ttl).await
    }
}

impl VisitorLimitStore for RacingStore {
    async fn hold_in_flight(
        &self,
        hold: &InFlightHold,
        replaceable: Option<&str>,
        now: i64,
    ) -> Result<HoldOutcome, StoreError> {
        self.inner.hold_in_flight(hold, replaceable, now).await
    }

    async fn release_in_flight(&self, session_id: &str, turn: &str) -> Result<(), StoreError> {
        self.inner.release_in_flight(session_id, turn).await
    }

    async fn add_hit(&self, key: &str, ttl: i64) -> Result<u64, StoreError> {
        self.inner.add_hit(key, ttl).await
    }

    async fn hits(&self, key: &str) -> Result<u64, StoreError> {
        self.inner.hits(key).await
    }
}

#[tokio::test]
async fn a_stop_that_loses_a_race_with_a_reconnect_or_a_disconnect_leaves_the_row_alone() {
    let config = connect_config(SessionBinding::RequireIdentity);
    let stop = websocket_event("apigw_ws_connect.json", |json| {
        json["requestContext"]["routeKey"] = "stop".into();
        json["body"] = r#"{"action":"stop","turn":"t-9"}"#.into();
    });

    // The widget reconnected between the stop's lookup and its write.
    let reconnected = RacingStore { inner: connected_store().await, race: Some("NEWER=") };
    let answer = handle_websocket_event(stop.clone(), &reconnected, &no_posts, &config).await;
    assert_eq!(answer.status_code, 404, "{}", body_text(answer.body));
    let row = reconnected.inner.get(VISITOR).await.unwrap().unwrap();
    assert_eq!(
        (row.connection_id.as_str(), row.stop_turn),
        ("NEWER=", None),
        "the new connection's row is untouched"
    );

    // The connection's `$disconnect` ran in between: the row is not brought back.
    let disconnected = RacingStore { inner: connected_store().await, race: None };
    let answer = handle_websocket_event(stop, &disconnected, &no_posts, &config).await;
    assert_eq!(answer.status_code, 404);
    assert_eq!(disconnected.inner.get(VISITOR).await.unwrap(), None, "no row points at a dead connection");
}

// ---- resume ----

const STAGE_ENDPOINT: &str = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/Prod";

/// A store where the fixture's visitor is connected as `CONNECTION`.
async fn connected_store() -> MemoryConnectionStore {
    let store = MemoryConnectionStore::default();
    let config = connect_config(SessionBinding::RequireIdentity);
    let connect = websocket_event("apigw_ws_connect.json", |_| {});
    assert_eq!(handle_websocket_event(connect, &store, &no_posts, &config).await.status_code, 200);
    store
}

/// A turn of `session` that streamed `text` in frames 0..=`text_seq`, finished when `answer` is
/// given (its `done` would take the next seq).
fn turn_record(session: &str, text: &str, text_seq: u64, answer: Option<&str>) -> TurnRecord {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    let mut record = TurnRecord::claimed(session, "turn-7", now, now + 3600);
    record.text = text.to_owned();
    record.text_seq = Some(text_seq);
    record.next_seq = text_seq + 1;
    if let Some(answer) = answer {
        record.status = TurnStatus::Done;
        record.messages = Some(vec![Message::text(MessageContentType::CustomPayload, answer)]);
    }
    record
}

/// The `resume` event API Gateway sends for `body` on `connection`.
fn resume_event(connection: &str, body: &str) -> ApiGatewayWebsocketProxyRequest {
    websocket_event("apigw_ws_connect.json", |json| {
        json["requestContext"]["routeKey"] = "resume".into();
        json["requestContext"]["eventType"] = "MESSAGE".into();
        json["requestContext"]["connectionId"] = connection.into();
        json["body"] = body.into();
    })
}

/// Sends `body` as `connection`; answers the response and what each endpoint's pusher posted.
async fn resume(
    store: &MemoryConnectionStore,
    connection: &str,
    body: &str,
) -> (i64, String, Vec<String>, RecordingPusher) {
    let pusher = RecordingPusher::default();
    let endpoints = std::sync::Mutex::new(Vec::new());
    let pusher_for = |endpoint: &str| {
        endpoints.lock().unwrap().push(endpoint.to_owned());
        pusher.clone()
    };
    let config = connect_config(SessionBinding::RequireIdentity);
    let response = handle_websocket_event(resume_event(connection, body), store, &pusher_for, &config).await;
    (response.status_code, body_text(response.body), endpoints.into_inner().unwrap(), pusher)
}

fn frames(posted: &[String]) -> Vec<Frame> {
    posted
        .iter()
        .map(|raw| match parse_incoming(raw) {
            Incoming::Frame(frame) => frame,
            other => panic!("not a v1 frame: {other:?}"),
        })
        .collect()
}

#[tokio::test]
async fn resume_posts_the_snapshot_and_the_final_answer_to_the_callers_own_connection() {
    let store = connected_store().await;
    let answer = "Streaming **works** fine.";
    store.save_turn(&turn_record(VISITOR, answer, 4, Some(answer))).await.unwrap();

    let (status, body, endpoints, pusher) = resume(&store, CONNECTION, &resume_request("turn-7", None)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(endpoints, [STAGE_ENDPOINT], "posts go through the event's own stage");
    let posted = frames(&pusher.received(CONNECTION));
    let messages = vec![Message::text(MessageContentType::CustomPayload, answer)];
    assert_eq!(
        posted,
        [
            Frame::Snapshot { turn: "turn-7".into(), seq: 4, text: answer.into() },
            Frame::Final { turn: "turn-7".into(), seq: 5, messages: messages.clone() },
        ]
    );
    // A reloaded widget (nothing applied) ends with the whole text and Lex's answer.
    let mut widget = StreamAssembler::new("turn-7");
    for frame in posted {
        widget.accept(frame);
    }
    assert_eq!(widget.text(), answer);
    assert!(widget.is_complete());
    assert_eq!(widget.final_messages(), Some(messages.as_slice()));
}

#[tokio::test]
async fn resume_sends_only_what_the_widget_has_not_applied() {
    let store = connected_store().await;
    store.save_turn(&turn_record(VISITOR, "Half an ans", 4, None)).await.unwrap();

    let (status, _, endpoints, pusher) = resume(&store, CONNECTION, &resume_request("turn-7", Some(4))).await;
    assert_eq!(status, 200);
    assert!(pusher.received(CONNECTION).is_empty(), "the widget already has everything through 4");
    assert!(endpoints.is_empty(), "no pusher is built when nothing is posted");

    let (_, _, _, pusher) = resume(&store, CONNECTION, &resume_request("turn-7", Some(2))).await;
    assert_eq!(
        frames(&pusher.received(CONNECTION)),
        [Frame::Snapshot { turn: "turn-7".into(), seq: 4, text: "Half an ans".into() }],
        "still streaming: no final yet"
    );

    store.save_turn(&turn_record(VISITOR, "Half an answer.", 5, Some("Half an answer."))).await.unwrap();
    let (_, _, _, pusher) = resume(&store, CONNECTION, &resume_request("turn-7", Some(5))).await;
    assert!(
        matches!(&frames(&pusher.received(CONNECTION))[..], [Frame::Final { seq: 6, .. }]),
        "past the text: the final answer alone"
    );

    let mut claimed = turn_record(VISITOR, "", 0, None);
    (claimed.turn, claimed.text_seq, claimed.next_seq) = ("turn-8".into(), None, 0);
    store.save_turn(&claimed).await.unwrap();
    let (status, _, _, pusher) = resume(&store, CONNECTION, &resume_request("turn-8", None)).await;
    assert_eq!(status, 200);
    assert!(pusher.received(CONNECTION).is_empty(), "claimed, nothing generated yet: nothing to send");
}

#[tokio::test]
async fn a_long_text_resumes_in_frames_under_the_limit_ending_at_its_seq() {
    let store = connected_store().await;
    let text = "Lorem ipsum \"dolor\" sit amet.\n".repeat(3000);
    store.save_turn(&turn_record(VISITOR, &text, 40, None)).await.unwrap();

    let (status, _, _, pusher) = resume(&store, CONNECTION, &resume_request("turn-7", Some(3))).await;
    assert_eq!(status, 200);
    let posted = pusher.received(CONNECTION);
    assert!(posted.len() > 1, "{} bytes need several frames", text.len());
    assert!(posted.iter().all(|raw| raw.len() <= lexstream_protocol::limits::APIGW_MAX_FRAME_BYTES));
    let posted = frames(&posted);
    assert_eq!(posted.last().map(Frame::seq), Some(40), "the live stream's frame 41 follows");
    // A widget that applied frames 0..=3 ends with exactly the stored text.
    let mut widget = StreamAssembler::new("turn-7");
    for seq in 0..=3 {
        widget.accept(Frame::Chunk { turn: "turn-7".into(), seq, text: "old ".into(), done: false });
    }
    for frame in posted {
        widget.accept(frame);
    }
    assert_eq!(widget.text(), text);
}

#[tokio::test]
async fn another_sessions_turn_is_not_found_and_nothing_is_posted() {
    let store = connected_store().await;
    let someone_else = "us-east-1:0b6f41aa-1111-2222-3333-444455556666";
    store.save_turn(&turn_record(someone_else, "their answer", 2, Some("their answer"))).await.unwrap();

    let (status, body, _, pusher) = resume(&store, CONNECTION, &resume_request("turn-7", None)).await;
    assert_eq!(status, 404);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap(),
        serde_json::json!({"message": "no such turn"})
    );
    assert!(pusher.received(CONNECTION).is_empty());

    // A connection with no recorded session resumes nothing either.
    let (status, _, _, pusher) = resume(&store, "UNKNOWN=", &resume_request("turn-7", None)).await;
    assert_eq!(status, 404);
    assert!(pusher.received("UNKNOWN=").is_empty());
}

#[tokio::test]
async fn a_malformed_resume_gets_400_saying_what_is_expected() {
    let store = connected_store().await;
    store.save_turn(&turn_record(VISITOR, "text", 0, Some("text"))).await.unwrap();
    for body in [
        r#"{"action":"resume"}"#,
        r#"{"action":"resume","turn":"turn#7"}"#,
        r#"{"action":"resume","turn":"turn-7","after":"3"}"#,
        r#"{"action":"resume","turn":"turn-7","after":-1}"#,
        "resume turn-7",
    ] {
        let (status, message, _, pusher) = resume(&store, CONNECTION, body).await;
        assert_eq!(status, 400, "{body}");
        assert!(message.contains(r#"\"action\":\"resume\""#), "{message}");
        assert!(pusher.received(CONNECTION).is_empty());
    }
    let (_, message, _, _) = resume(&store, CONNECTION, r#"{"action":"resume","turn":"turn#7"}"#).await;
    assert!(message.contains("the turn id was refused: the turn id may only contain"), "{message}");
}

#[tokio::test]
async fn a_stop_with_a_turn_id_that_breaks_the_rule_gets_400_saying_why() {
    let store = connected_store().await;
    let config = connect_config(SessionBinding::RequireIdentity);
    let long = format!(r#"{{"action":"stop","turn":"{}"}}"#, "t".repeat(65));
    for (body, reason) in [
        (r#"{"action":"stop","turn":"t#1"}"#, "may only contain letters, digits"),
        (r#"{"action":"stop","turn":""}"#, "the turn id is empty"),
        (long.as_str(), "longer than 64 characters"),
        (r#"{"action":"stop"}"#, "no \\\"turn\\\" string"),
        ("stop it", "not a JSON object"),
    ] {
        let stop = websocket_event("apigw_ws_connect.json", |json| {
            json["requestContext"]["routeKey"] = "stop".into();
            json["body"] = body.into();
        });
        let answer = handle_websocket_event(stop, &store, &no_posts, &config).await;
        assert_eq!(answer.status_code, 400, "{body}");
        let message = body_text(answer.body);
        assert!(message.contains(reason), "{body}: {message}");
        assert!(message.contains(r#"\"action\":\"stop\""#), "says what is expected: {message}");
    }
    assert_eq!(store.get(VISITOR).await.unwrap().unwrap().stop_turn, None, "nothing was stopped");
}

// ---- fulfillment ----

#[tokio::test(start_paused = true)]
async fn fulfillment_streams_the_answer_and_closes_with_the_whole_markdown() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["**Streaming** ", "works ", "fine."], Duration::from_millis(30));
    let response = handle_fulfillment(lex_event(|_| {}), &model, &backend, &deployed_config(&[])).await;

    let state = &response.session_state;
    assert_eq!(state.dialog_action.as_ref().unwrap().action_type, DialogActionType::Close);
    assert_eq!(state.intent.as_ref().unwrap().state, Some(IntentState::Fulfilled));
    let message = &response.messages.as_ref().unwrap()[0];
    assert_eq!(message.content_type, MessageContentType::CustomPayload);
    assert_eq!(message.content.as_deref(), Some("**Streaming** works fine."));
    // Lex expects the session attributes back; streaming ones are kept.
    assert!(state.attribute("streamingEndpoint").is_some());

    let mut turn = StreamAssembler::new("turn-000003");
    for raw in backend.pusher.received(CONNECTION) {
        if let lexstream_protocol::Incoming::Frame(frame) = lexstream_protocol::parse_incoming(&raw) {
            turn.accept(frame);
        }
    }
    assert_eq!(turn.text(), "**Streaming** works fine.", "frames carry the request's streamingTurnId");
    assert!(turn.is_complete());

    let requests = model.requests();
    assert_eq!(requests[0].model_id, "test-model");
    assert_eq!(
        requests[0].messages.last().unwrap().text,
        "what's the best way to stream a long answer back to me?"
    );
}

#[tokio::test(start_paused = true)]
async fn the_conversation_history_carries_into_the_next_turn() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["Paris."], Duration::from_millis(1));
    let config = deployed_config(&[]);
    let first = handle_fulfillment(
        lex_event(|json| json["inputTranscript"] = "Capital of France?".into()),
        &model,
        &backend,
        &config,
    )
    .await;
    assert_eq!(first.session_state.attribute(HISTORY_ATTRIBUTE), None, "the history stays on the server");
    handle_fulfillment(
        lex_event(|json| {
            json["inputTranscript"] = "And its population?".into();
            json["requestAttributes"]["streamingTurnId"] = "turn-000004".into();
        }),
        &model,
        &backend,
        &config,
    )
    .await;
    let second_request = &model.requests()[1];
    let texts: Vec<(Role, &str)> =
        second_request.messages.iter().map(|m| (m.role, m.text.as_str())).collect();
    assert_eq!(
        texts,
        vec![
            (Role::User, "Capital of France?"),
            (Role::Assistant, "Paris."),
            (Role::User, "And its population?")
        ]
    );
    let kept = backend.store.history(VISITOR).await.unwrap();
    assert_eq!(kept.len(), 4, "both turns are kept in the table: {kept:?}");
    assert_eq!(
        history::encode_bounded(&kept, config.history_max_bytes),
        serde_json::to_string(&kept).unwrap()
    );
}

#[tokio::test(start_paused = true)]
async fn without_streaming_attributes_the_same_answer_comes_back_unstreamed() {
    let backend = backend_with_connection().await;
    let model = ScriptedModel::chunks(&["Same ", "answer."], Duration::from_millis(5));
    let event = lex_event(|json| json["sessionState"]["sessionAttributes"] = serde_json::json!({}));
    let response = handle_fulfillment(event, &model, &backend, &deployed_config(&[])).await;
    assert_eq!(response.messages.unwrap()[0].content.as_deref(), Some("Same answer."));
    assert!(backend.pusher.received(CONNECTION).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_throttled_model_yields_a_readable_failed_answer_and_an_error_frame() {
    let backend = backend_with_connection().await;
    let mut model = ScriptedModel::chunks(&[], Duration::ZERO);
    model.refuse = Some(ModelError::new(ModelErrorKind::Throttled, "ThrottlingException: slow down"));
    let response = handle_fulfillment(lex_event(|_| {}), &model, &backend, &deployed_config(&[])).await;
    assert_eq!(response.session_state.intent.as_ref().unwrap().state, Some(IntentState::Failed));
    let answer = response.messages.unwrap()[0].content.clone().unwrap();
    assert!(answer.contains("busy"), "{answer}");
    let frames = backend.pusher.received(CONNECTION);
    assert_eq!(frames.len(), 1);
    assert!(frames[0].contains("\"type\":\"error\""), "{}", frames[0]);
}
