//! The devstack's Bedrock through the real SDK client: the InvokeModel family with Anthropic
//! messages bodies (ConverseStream is exercised through the Lambdas' adapter).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::ResponseStream;
use lexstream_devstack::{DevstackConfig, Faults, RunningDevstack};
use lexstream_lambda_core::aws::local_sdk_config;

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";

async fn devstack() -> RunningDevstack {
    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    config.model.token_interval = Duration::from_millis(1);
    lexstream_devstack::spawn(config).await.unwrap()
}

fn anthropic_body(question: &str) -> Blob {
    Blob::new(
        serde_json::json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 300,
            "messages": [{ "role": "user", "content": [{ "type": "text", "text": question }] }]
        })
        .to_string(),
    )
}

#[tokio::test]
async fn invoke_model_answers_an_anthropic_messages_body() {
    let devstack = devstack().await;
    let client = Client::new(&local_sdk_config(&devstack.url()).await);
    let output = client
        .invoke_model()
        .model_id(MODEL)
        .content_type("application/json")
        .body(anthropic_body("Why Rust?"))
        .send()
        .await
        .unwrap();
    let answer: serde_json::Value = serde_json::from_slice(output.body().as_ref()).unwrap();
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["stop_reason"], "end_turn");
    assert!(answer["content"][0]["text"].as_str().unwrap().starts_with("You asked: *Why Rust?*"));
    devstack.stop();
}

#[tokio::test]
async fn invoke_model_with_response_stream_sends_anthropic_events_in_chunks() {
    let devstack = devstack().await;
    let client = Client::new(&local_sdk_config(&devstack.url()).await);
    let mut output = client
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .content_type("application/json")
        .body(anthropic_body("Why Rust?"))
        .send()
        .await
        .unwrap();
    let mut types = Vec::new();
    let mut text = String::new();
    while let Some(event) = output.body.recv().await.unwrap() {
        let ResponseStream::Chunk(chunk) = event else { panic!("unexpected event {event:?}") };
        let bytes = chunk.bytes().unwrap().as_ref().to_vec();
        let event: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        if event["type"] == "content_block_delta" {
            text.push_str(event["delta"]["text"].as_str().unwrap());
        }
        types.push(event["type"].as_str().unwrap().to_owned());
    }
    assert_eq!(types.first().map(String::as_str), Some("message_start"));
    assert_eq!(types.last().map(String::as_str), Some("message_stop"));
    assert!(text.starts_with("You asked: *Why Rust?*"), "{text}");
    devstack.stop();
}

#[tokio::test]
async fn invoke_stream_faults_arrive_as_modeled_exceptions() {
    let devstack = devstack().await;
    devstack.state.faults.set(Faults { bedrock_throttle_after_chunks: Some(3), ..Faults::default() });
    let client = Client::new(&local_sdk_config(&devstack.url()).await);
    let mut output = client
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .body(anthropic_body("q"))
        .send()
        .await
        .unwrap();
    let mut chunks = 0;
    let error = loop {
        match output.body.recv().await {
            Ok(Some(_)) => chunks += 1,
            Ok(None) => panic!("the stream ended without the injected throttling"),
            Err(error) => break error,
        }
    };
    assert!(chunks >= 3);
    assert!(error.into_service_error().is_throttling_exception());
    devstack.stop();
}

/// A stand-in for a local OpenAI-compatible server (Ollama, llama.cpp) that streams three deltas
/// and remembers the request it got.
async fn fake_openai_server(seen: std::sync::Arc<std::sync::Mutex<Option<serde_json::Value>>>) -> String {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/v1/chat/completions",
        post(move |axum::Json(request): axum::Json<serde_json::Value>| {
            *seen.lock().unwrap() = Some(request);
            async move {
                let events = ["Hello", " from", " the proxy"]
                    .iter()
                    .map(|text| {
                        format!(
                            "data: {}\n\n",
                            serde_json::json!({"choices": [{"delta": {"content": text}}]})
                        )
                    })
                    .chain(std::iter::once("data: [DONE]\n\n".to_owned()))
                    .collect::<String>();
                ([("content-type", "text/event-stream")], events)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn a_model_proxy_answers_through_converse_stream_with_the_whole_conversation() {
    use futures_util::StreamExt;
    use lexstream_lambda_core::aws::{BedrockClient, BedrockModel};
    use lexstream_lambda_core::ports::{ChatMessage, ModelRequest, ModelStream, Role};

    let seen = std::sync::Arc::default();
    let proxy = fake_openai_server(std::sync::Arc::clone(&seen)).await;
    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    config.model_proxy = Some((proxy, Some("llama3.2".into())));
    let devstack = lexstream_devstack::spawn(config).await.unwrap();

    let model = BedrockModel::new(BedrockClient::new(&local_sdk_config(&devstack.url()).await));
    let request = ModelRequest {
        model_id: MODEL.into(),
        system: Some("Answer briefly.".into()),
        messages: vec![
            ChatMessage { role: Role::User, text: "Hi".into() },
            ChatMessage { role: Role::Assistant, text: "Hello!".into() },
            ChatMessage { role: Role::User, text: "Who are you?".into() },
        ],
        max_tokens: 100,
        temperature: 0.1,
    };
    let mut deltas = model.stream(request).await.unwrap();
    let mut text = String::new();
    while let Some(delta) = deltas.next().await {
        text.push_str(&delta.unwrap());
    }
    assert_eq!(text, "Hello from the proxy");

    let forwarded = seen.lock().unwrap().clone().unwrap();
    assert_eq!(forwarded["model"], "llama3.2");
    assert_eq!(forwarded["stream"], true);
    assert_eq!(forwarded["messages"][0], serde_json::json!({"role": "system", "content": "Answer briefly."}));
    assert_eq!(forwarded["messages"][3], serde_json::json!({"role": "user", "content": "Who are you?"}));
    devstack.stop();
}
