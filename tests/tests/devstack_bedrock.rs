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
