//! The devstack's AppSync Events emulation against the documented protocol: the handshake
//! (subprotocols, `connection_init`/`connection_ack`, refusals as `connection_error`),
//! keep-alives, IAM-signed subscriptions held to the per-user channel rule, `data` for each
//! published event (as a JSON string), unsubscribe, publish checks over HTTP and the WebSocket,
//! and `/chat` streaming an answer into the visitor's channel.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::{SinkExt, StreamExt};
use lexstream_devstack::{DEFAULT_APPSYNC_API_KEY, DevstackConfig, RunningDevstack};
use lexstream_e2e::Visitor;
use lexstream_lambda_core::aws::{AppSyncPublisher, local_sdk_config};
use lexstream_lambda_core::config::PublishAuth;
use lexstream_lambda_core::ports::ConnectionPusher;
use lexstream_protocol::appsync::{
    EVENTS_SUBPROTOCOL, EventsMessage, auth_subprotocol, iam_authorization, signed_body, user_channel,
    user_segment,
};
use lexstream_protocol::calendar::UtcDateTime;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn devstack_with(edit: impl FnOnce(&mut DevstackConfig)) -> RunningDevstack {
    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    edit(&mut config);
    lexstream_devstack::spawn(config).await.unwrap()
}

fn now() -> UtcDateTime {
    UtcDateTime::from_epoch_seconds(
        i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap(),
    )
}

fn host(devstack: &RunningDevstack) -> String {
    devstack.addr.to_string()
}

fn api_key_auth(devstack: &RunningDevstack, key: &str) -> BTreeMap<String, String> {
    BTreeMap::from([("host".to_owned(), host(devstack)), ("x-api-key".to_owned(), key.to_owned())])
}

fn visitor_auth(
    devstack: &RunningDevstack,
    visitor: &Visitor,
    channel: Option<&str>,
) -> BTreeMap<String, String> {
    iam_authorization(&host(devstack), &signed_body(channel), &visitor.credentials, "us-east-1", now())
}

/// Opens `/event/realtime` the way AWS's browser clients do (auth in a `header-` subprotocol).
async fn open(devstack: &RunningDevstack, auth: &BTreeMap<String, String>) -> Socket {
    let mut request = format!("ws://{}/event/realtime", host(devstack)).into_client_request().unwrap();
    let protocols = format!("{EVENTS_SUBPROTOCOL}, {}", auth_subprotocol(auth));
    request.headers_mut().insert("sec-websocket-protocol", protocols.parse().unwrap());
    let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], EVENTS_SUBPROTOCOL);
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

async fn next(socket: &mut Socket) -> EventsMessage {
    loop {
        let message =
            tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("a message within 5 s");
        match message {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(text.as_str()).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// The next message that is not a keep-alive.
async fn next_answer(socket: &mut Socket) -> EventsMessage {
    loop {
        match next(socket).await {
            EventsMessage::Ka => {}
            other => return other,
        }
    }
}

fn error_type(message: &EventsMessage) -> String {
    message.errors().first().and_then(|e| e.error_type.clone()).unwrap_or_default()
}

async fn connected(devstack: &RunningDevstack, auth: &BTreeMap<String, String>) -> Socket {
    let mut socket = open(devstack, auth).await;
    send(&mut socket, json!({ "type": "connection_init" })).await;
    assert_eq!(next(&mut socket).await, EventsMessage::ConnectionAck { connection_timeout_ms: 300_000 });
    socket
}

#[tokio::test]
async fn the_handshake_acks_a_valid_key_and_refuses_a_wrong_one_with_connection_error() {
    let devstack = devstack_with(|_| {}).await;
    connected(&devstack, &api_key_auth(&devstack, DEFAULT_APPSYNC_API_KEY)).await;

    let mut refused = open(&devstack, &api_key_auth(&devstack, "da2-wrong")).await;
    let message = next(&mut refused).await;
    assert!(matches!(message, EventsMessage::ConnectionError { .. }), "{message:?}");
    assert_eq!(error_type(&message), "UnauthorizedException");
    match tokio::time::timeout(Duration::from_secs(5), refused.next()).await.unwrap() {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1000),
        other => panic!("expected a close after connection_error, got {other:?}"),
    }

    // Without the events subprotocol there is no WebSocket at all.
    let request = format!("ws://{}/event/realtime", host(&devstack)).into_client_request().unwrap();
    assert!(tokio_tungstenite::connect_async(request).await.is_err());
    devstack.stop();
}

#[tokio::test]
async fn keep_alives_come_at_the_configured_interval() {
    let devstack = devstack_with(|config| config.appsync_keepalive = Duration::from_millis(200)).await;
    let mut socket = connected(&devstack, &api_key_auth(&devstack, DEFAULT_APPSYNC_API_KEY)).await;
    assert_eq!(next(&mut socket).await, EventsMessage::Ka);
    assert_eq!(next(&mut socket).await, EventsMessage::Ka);
    devstack.stop();
}

#[tokio::test]
async fn a_visitor_subscribes_to_their_own_channel_only_and_receives_each_event() {
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let own = user_channel("chat", user_segment(&visitor.identity_id));
    let mut socket = connected(&devstack, &visitor_auth(&devstack, &visitor, None)).await;

    for (id, channel) in
        [("other", "/chat/someone-else"), ("everyone", "/chat/*"), ("deeper", &format!("{own}/*"))]
    {
        send(
            &mut socket,
            json!({ "type": "subscribe", "id": id, "channel": channel,
            "authorization": visitor_auth(&devstack, &visitor, Some(channel)) }),
        )
        .await;
        let answer = next_answer(&mut socket).await;
        assert!(matches!(&answer, EventsMessage::SubscribeError { id: got, .. } if got == id), "{answer:?}");
        assert_eq!(error_type(&answer), "Unauthorized", "{channel}");
    }
    // A signature over another channel's body does not authorize this one.
    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "forged", "channel": own,
        "authorization": visitor_auth(&devstack, &visitor, Some("/chat/someone-else")) }),
    )
    .await;
    assert_eq!(error_type(&next_answer(&mut socket).await), "UnauthorizedException");

    send(
        &mut socket,
        json!({ "type": "subscribe", "id": "mine", "channel": own,
        "authorization": visitor_auth(&devstack, &visitor, Some(&own)) }),
    )
    .await;
    assert_eq!(next_answer(&mut socket).await, EventsMessage::SubscribeSuccess { id: "mine".into() });

    // Published over HTTP by the production publisher: one `data` per event, the event a string.
    let sdk_config = local_sdk_config(&devstack.url()).await;
    let endpoint = format!("{}/event", devstack.url());
    let publisher =
        AppSyncPublisher::new(&sdk_config, &endpoint, PublishAuth::ApiKey(DEFAULT_APPSYNC_API_KEY.into()))
            .unwrap();
    publisher.push(&own, br#"{"type":"chunk","turn":"t","seq":0,"text":"hi"}"#).await.unwrap();
    assert_eq!(
        next_answer(&mut socket).await,
        EventsMessage::Data {
            id: "mine".into(),
            event: r#"{"type":"chunk","turn":"t","seq":0,"text":"hi"}"#.into()
        }
    );
    // IAM with the service's credentials publishes too; a wrong key does not.
    let iam = AppSyncPublisher::new(&sdk_config, &endpoint, PublishAuth::Iam).unwrap();
    iam.push(&own, b"{\"n\":2}").await.unwrap();
    assert!(
        matches!(next_answer(&mut socket).await, EventsMessage::Data { event, .. } if event == "{\"n\":2}")
    );
    let wrong =
        AppSyncPublisher::new(&sdk_config, &endpoint, PublishAuth::ApiKey("da2-wrong".into())).unwrap();
    let refused = wrong.push(&own, b"{}").await.unwrap_err();
    assert!(
        refused.to_string().contains("401") && refused.to_string().contains("UnauthorizedException"),
        "{refused}"
    );

    send(&mut socket, json!({ "type": "unsubscribe", "id": "mine" })).await;
    assert_eq!(next_answer(&mut socket).await, EventsMessage::UnsubscribeSuccess { id: "mine".into() });
    send(&mut socket, json!({ "type": "unsubscribe", "id": "mine" })).await;
    assert_eq!(error_type(&next_answer(&mut socket).await), "UnknownOperationError");
    devstack.stop();
}

#[tokio::test]
async fn publishes_are_checked_and_answered_over_the_websocket() {
    let devstack = devstack_with(|_| {}).await;
    let key = api_key_auth(&devstack, DEFAULT_APPSYNC_API_KEY);
    let mut socket = connected(&devstack, &key).await;
    let cases = [
        (
            json!({ "type": "publish", "id": "ok", "channel": "/chat/a", "events": ["{\"a\":1}", "2"], "authorization": key }),
            None,
        ),
        (
            json!({ "type": "publish", "id": "wild", "channel": "/chat/*", "events": ["1"], "authorization": key }),
            Some("BadRequestException"),
        ),
        (
            json!({ "type": "publish", "id": "six", "channel": "/chat/a", "events": ["1","2","3","4","5","6"], "authorization": key }),
            Some("BadRequestException"),
        ),
        (
            json!({ "type": "publish", "id": "text", "channel": "/chat/a", "events": ["not json"], "authorization": key }),
            Some("BadRequestException"),
        ),
        (
            json!({ "type": "publish", "id": "ns", "channel": "/elsewhere/a", "events": ["1"], "authorization": key }),
            Some("ResourceNotFound"),
        ),
        (
            json!({ "type": "publish", "id": "key", "channel": "/chat/a", "events": ["1"], "authorization": api_key_auth(&devstack, "da2-x") }),
            Some("UnauthorizedException"),
        ),
    ];
    for (message, expected_error) in cases {
        send(&mut socket, message.clone()).await;
        let answer = next_answer(&mut socket).await;
        match expected_error {
            None => assert!(
                matches!(&answer, EventsMessage::PublishSuccess { successful, failed, .. } if successful.len() == 2 && failed.is_empty()),
                "{answer:?}"
            ),
            Some(error) => {
                assert!(matches!(answer, EventsMessage::PublishError { .. }), "{message}: {answer:?}");
                assert_eq!(error_type(&answer), error, "{message}");
            }
        }
    }
    send(&mut socket, json!({ "type": "ka" })).await;
    assert_eq!(error_type(&next_answer(&mut socket).await), "UnsupportedOperation");
    socket.send(Message::Text("{not json".into())).await.unwrap();
    assert_eq!(error_type(&next_answer(&mut socket).await), "BadRequestException");
    devstack.stop();
}

#[tokio::test]
async fn a_visitor_cannot_publish_into_any_channel() {
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let own = user_channel("chat", user_segment(&visitor.identity_id));
    let mut socket = connected(&devstack, &visitor_auth(&devstack, &visitor, None)).await;
    for channel in [own.as_str(), "/chat/someone-else"] {
        let events = vec!["{\"type\":\"chunk\"}".to_owned()];
        let body = json!({ "channel": channel, "events": events }).to_string();
        let authorization =
            iam_authorization(&host(&devstack), &body, &visitor.credentials, "us-east-1", now());
        send(
            &mut socket,
            json!({ "type": "publish", "id": "p", "channel": channel, "events": events,
            "authorization": authorization }),
        )
        .await;
        let answer = next_answer(&mut socket).await;
        assert!(matches!(answer, EventsMessage::PublishError { .. }), "{channel}: {answer:?}");
        assert_eq!(error_type(&answer), "UnauthorizedException", "{channel}");
    }
    devstack.stop();
}
