//! The devstack's AWS emulation through real clients: Cognito with the SDK, the WebSocket API
//! with a real WebSocket and presigned URLs, `@connections` with the SDK's management client.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_cognitoidentity::Client as CognitoClient;
use futures_util::{SinkExt, StreamExt};
use lexstream_devstack::{DevstackConfig, Faults, RunningDevstack};
use lexstream_e2e::{POOL_ID, Visitor, unsigned_post};
use lexstream_lambda_core::aws::{ApiGatewayPusher, local_sdk_config};
use lexstream_lambda_core::ports::{ConnectionPusher, ConnectionStore};
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::Message;

async fn devstack_with(edit: impl FnOnce(&mut DevstackConfig)) -> RunningDevstack {
    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    edit(&mut config);
    lexstream_devstack::spawn(config).await.unwrap()
}

async fn next_text(socket: &mut (impl StreamExt<Item = Result<Message, WsError>> + Unpin)) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await.expect("a message within 5 s")
        {
            Some(Ok(Message::Text(text))) => return text.to_string(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a text message, got {other:?}"),
        }
    }
}

fn http_status(error: WsError) -> u16 {
    match error {
        WsError::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other}"),
    }
}

#[tokio::test]
async fn cognito_issues_identities_and_credentials_to_the_sdk_client() {
    let devstack = devstack_with(|_| {}).await;
    let cognito = CognitoClient::new(&local_sdk_config(&devstack.url()).await);
    let id = cognito.get_id().identity_pool_id(POOL_ID).send().await.unwrap().identity_id.unwrap();
    assert!(id.starts_with("us-east-1:"), "{id}");
    let credentials =
        cognito.get_credentials_for_identity().identity_id(&id).send().await.unwrap().credentials.unwrap();
    assert!(credentials.access_key_id.unwrap().starts_with("ASIA"));
    let expires = credentials.expiration.unwrap().secs();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now + 3500..=now + 3700).contains(&expires), "credentials last an hour");

    let unknown =
        cognito.get_credentials_for_identity().identity_id("us-east-1:nobody").send().await.unwrap_err();
    assert!(unknown.into_service_error().is_resource_not_found_exception());
    let bad_pool = cognito.get_id().identity_pool_id("not-a-pool").send().await.unwrap_err();
    assert!(bad_pool.into_service_error().is_invalid_parameter_exception());
    devstack.stop();
}

#[tokio::test]
async fn a_visitor_connects_with_a_presigned_url_and_receives_posted_frames() {
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let url = visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();

    // $connect recorded the session's connection through the ws-connect handler.
    let record =
        devstack.state.table.get(&visitor.identity_id).await.unwrap().expect("row written by $connect");
    assert!(devstack.state.connections.is_open(&record.connection_id));

    // The Lambda side posts with its own (service) credentials, SigV4-verified by the devstack.
    let pusher = ApiGatewayPusher::new(&local_sdk_config(&devstack.url()).await, &devstack.stage_url());
    pusher.push(&record.connection_id, br#"{"type":"chunk","turn":"t","seq":0,"text":"Hi"}"#).await.unwrap();
    assert_eq!(next_text(&mut socket).await, r#"{"type":"chunk","turn":"t","seq":0,"text":"Hi"}"#);

    // The keep-alive route works; an unknown action gets API Gateway's answer.
    socket.send(Message::text(r#"{"action":"ping"}"#)).await.unwrap();
    socket.send(Message::text(r#"{"action":"dance"}"#)).await.unwrap();
    let answer: serde_json::Value = serde_json::from_str(&next_text(&mut socket).await).unwrap();
    assert_eq!(answer["message"], "Forbidden");
    assert_eq!(answer["connectionId"], record.connection_id.as_str());

    // Closing runs $disconnect, which removes the row; posts then get 410.
    socket.close(None).await.unwrap();
    for _ in 0..50 {
        if devstack.state.table.get(&visitor.identity_id).await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(devstack.state.table.get(&visitor.identity_id).await.unwrap(), None);
    assert!(matches!(
        pusher.push(&record.connection_id, b"late").await,
        Err(lexstream_lambda_core::PushError::Gone(_))
    ));
    devstack.stop();
}

#[tokio::test]
async fn unsigned_tampered_and_foreign_session_connections_are_refused() {
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let ws_base = devstack.stage_url().replace("http://", "ws://");

    let unsigned =
        tokio_tungstenite::connect_async(format!("{ws_base}?sessionId={}", visitor.identity_id)).await;
    assert_eq!(http_status(unsigned.unwrap_err()), 403);

    let signed = visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id);
    let tampered = signed.replace("sessionId=us-east-1", "sessionId=us-west-2");
    assert_eq!(http_status(tokio_tungstenite::connect_async(tampered).await.unwrap_err()), 403);

    // A validly signed URL for someone else's session: the ws-connect handler refuses it.
    let other = Visitor::sign_in(&devstack.url()).await.unwrap();
    let foreign = visitor.websocket_url(&devstack.stage_url(), &other.identity_id);
    assert_eq!(http_status(tokio_tungstenite::connect_async(foreign).await.unwrap_err()), 403);
    assert_eq!(devstack.state.table.get(&other.identity_id).await.unwrap(), None);
    devstack.stop();
}

#[tokio::test]
async fn idle_connections_close_like_api_gateways_and_faults_drop_them() {
    let devstack =
        devstack_with(|config| config.websocket_limits.idle_timeout = Duration::from_millis(300)).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let url = visitor.websocket_url(&devstack.stage_url(), &visitor.identity_id);
    let (mut socket, _) = tokio_tungstenite::connect_async(url.clone()).await.unwrap();
    let closed = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap();
    match closed {
        Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1001),
        other => panic!("expected a 1001 close, got {other:?}"),
    }

    devstack.state.faults.set(Faults { drop_websocket_after_frames: Some(1), ..Faults::default() });
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let record = devstack.state.table.get(&visitor.identity_id).await.unwrap().unwrap();
    let pusher = ApiGatewayPusher::new(&local_sdk_config(&devstack.url()).await, &devstack.stage_url());
    pusher.push(&record.connection_id, b"first").await.unwrap();
    assert_eq!(next_text(&mut socket).await, "first");
    let _ = pusher.push(&record.connection_id, b"second").await;
    let after = tokio::time::timeout(Duration::from_secs(5), socket.next()).await.unwrap();
    assert!(!matches!(after, Some(Ok(Message::Text(_)))), "no message after the drop: {after:?}");
    devstack.stop();
}

#[tokio::test]
async fn the_management_api_refuses_unsigned_calls() {
    let devstack = devstack_with(|_| {}).await;
    let mut inbox = devstack.state.connections.register("C1=", "127.0.0.1", "test");
    let status = unsigned_post(devstack.addr, "/Prod/@connections/C1%3D", &[], "sneaky").await.unwrap();
    assert!(status.starts_with("HTTP/1.1 403"), "{status}");
    assert!(inbox.try_recv().is_err(), "nothing was delivered");
    devstack.stop();
}

#[tokio::test]
async fn the_management_api_refuses_a_visitors_credentials() {
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    let devstack = devstack_with(|_| {}).await;
    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let mut inbox = devstack.state.connections.register("C1=", "127.0.0.1", "test");
    let as_visitor = local_sdk_config(&devstack.url())
        .await
        .to_builder()
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            &visitor.credentials.access_key_id,
            &visitor.credentials.secret_access_key,
            visitor.credentials.session_token.clone(),
            None,
            "visitor",
        )))
        .build();
    let pusher = ApiGatewayPusher::new(&as_visitor, &devstack.stage_url());
    let refused = pusher.push("C1=", b"not yours to send").await.unwrap_err().to_string();
    assert!(refused.contains("AccessDenied"), "{refused}");
    assert!(inbox.try_recv().is_err(), "nothing was delivered");
    devstack.stop();
}
