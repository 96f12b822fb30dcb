//! The devstack's Bedrock through the real SDK client: InvokeModel and
//! InvokeModelWithResponseStream for every model family (Anthropic text completions and Messages,
//! Amazon Titan Text and Nova, Meta Llama, Mistral text and chat), each answer read by its
//! documented fields; Bedrock's refusals of bodies, ids and signatures; faults; the model proxy
//! (ConverseStream is exercised through the Lambdas' adapter too).
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::time::Duration;

use aws_sdk_bedrockruntime::Client;
use aws_sdk_bedrockruntime::config::Credentials as SdkCredentials;
use aws_sdk_bedrockruntime::error::ProvideErrorMetadata;
use aws_sdk_bedrockruntime::primitives::Blob;
use aws_sdk_bedrockruntime::types::ResponseStream;
use lexstream_devstack::{DevstackConfig, Faults, RunningDevstack};
use lexstream_e2e::{Visitor, unsigned_post};
use lexstream_lambda_core::aws::local_sdk_config;
use serde_json::{Value, json};

const MODEL: &str = "anthropic.claude-3-haiku-20240307-v1:0";
const QUESTION: &str = "Why Rust?";
const METRICS: &str = "amazon-bedrock-invocationMetrics";

async fn devstack() -> RunningDevstack {
    let mut config = DevstackConfig { addr: "127.0.0.1:0".parse().unwrap(), ..DevstackConfig::default() };
    config.model.token_interval = Duration::from_millis(1);
    lexstream_devstack::spawn(config).await.unwrap()
}

/// A client signing with the devstack's service credentials, as a deployed Lambda with its role.
async fn client(devstack: &RunningDevstack) -> Client {
    Client::new(&local_sdk_config(&devstack.url()).await)
}

/// A client signing with `credentials`.
async fn client_signing_with(devstack: &RunningDevstack, credentials: SdkCredentials) -> Client {
    let config = aws_sdk_bedrockruntime::config::Builder::from(&local_sdk_config(&devstack.url()).await)
        .credentials_provider(credentials)
        .build();
    Client::from_conf(config)
}

fn anthropic_body(question: &str) -> Blob {
    Blob::new(
        json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 300,
            "messages": [{ "role": "user", "content": [{ "type": "text", "text": question }] }]
        })
        .to_string(),
    )
}

/// One InvokeModel family: a model id, a body asking [`QUESTION`] in the family's format, and how
/// to read its answers by their documented fields.
struct Family {
    model_id: &'static str,
    body: Value,
    /// Asserts the fields of the whole InvokeModel response; returns its text.
    read_whole: fn(&Value) -> String,
    /// Asserts the fields of one streamed chunk (`last`: the stream's final chunk); returns its text.
    read_chunk: fn(&Value, bool) -> String,
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("expected text, found {value}")).to_owned()
}

fn anthropic_text_completions() -> Family {
    Family {
        model_id: "anthropic.claude-v2:1",
        body: json!({
            "prompt": format!("\n\nHuman: {QUESTION}\n\nAssistant:"),
            "max_tokens_to_sample": 300,
            "temperature": 0.5
        }),
        read_whole: |answer| {
            assert_eq!(answer["stop_reason"], "stop_sequence");
            text(&answer["completion"])
        },
        read_chunk: |chunk, last| {
            assert_eq!(chunk["stop_reason"] == "stop_sequence", last, "{chunk}");
            text(&chunk["completion"])
        },
    }
}

fn anthropic_messages() -> Family {
    Family {
        model_id: "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        body: json!({
            "anthropic_version": "bedrock-2023-05-31",
            "max_tokens": 300,
            "system": "Answer briefly.",
            "messages": [{ "role": "user", "content": QUESTION }]
        }),
        read_whole: |answer| {
            assert_eq!(
                (answer["type"].as_str(), answer["role"].as_str()),
                (Some("message"), Some("assistant"))
            );
            assert_eq!(answer["model"], "claude-3-5-haiku-20241022");
            assert_eq!(answer["stop_reason"], "end_turn");
            assert!(answer["usage"]["output_tokens"].as_u64().unwrap() > 0);
            text(&answer["content"][0]["text"])
        },
        read_chunk: |chunk, last| {
            assert_eq!(chunk["type"] == "message_stop", last, "{chunk}");
            if chunk["type"] == "content_block_delta" { text(&chunk["delta"]["text"]) } else { String::new() }
        },
    }
}

fn titan_text() -> Family {
    Family {
        model_id: "amazon.titan-text-express-v1",
        body: json!({
            "inputText": format!("User: {QUESTION}\nBot:"),
            "textGenerationConfig": { "maxTokenCount": 512, "temperature": 0.5, "topP": 0.9 }
        }),
        read_whole: |answer| {
            assert!(answer["inputTextTokenCount"].as_u64().unwrap() > 0);
            let result = &answer["results"][0];
            assert_eq!(result["completionReason"], "FINISH");
            assert!(result["tokenCount"].as_u64().unwrap() > 0);
            text(&result["outputText"])
        },
        read_chunk: |chunk, last| {
            assert_eq!(chunk["index"], 0);
            assert!(chunk["totalOutputTextTokenCount"].is_u64(), "{chunk}");
            assert!(chunk.get("inputTextTokenCount").is_some(), "{chunk}");
            assert_eq!(chunk["completionReason"] == "FINISH", last, "{chunk}");
            text(&chunk["outputText"])
        },
    }
}

fn nova() -> Family {
    Family {
        model_id: "us.amazon.nova-lite-v1:0",
        body: json!({
            "schemaVersion": "messages-v1",
            "system": [{ "text": "Answer briefly." }],
            "messages": [{ "role": "user", "content": [{ "text": QUESTION }] }],
            "inferenceConfig": { "maxTokens": 300, "temperature": 0.7 }
        }),
        read_whole: |answer| {
            assert_eq!(answer["stopReason"], "end_turn");
            assert_eq!(answer["output"]["message"]["role"], "assistant");
            assert!(answer["usage"]["outputTokens"].as_u64().unwrap() > 0);
            text(&answer["output"]["message"]["content"][0]["text"])
        },
        read_chunk: |chunk, last| {
            assert_eq!(chunk.get("metadata").is_some(), last, "{chunk}");
            if last {
                assert!(chunk["metadata"]["usage"]["outputTokens"].as_u64().unwrap() > 0);
            }
            chunk.get("contentBlockDelta").map(|delta| text(&delta["delta"]["text"])).unwrap_or_default()
        },
    }
}

fn llama() -> Family {
    Family {
        model_id: "meta.llama3-8b-instruct-v1:0",
        body: json!({
            "prompt": format!(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{QUESTION}<|eot_id|>\
                 <|start_header_id|>assistant<|end_header_id|>\n\n"
            ),
            "max_gen_len": 512,
            "temperature": 0.5,
            "top_p": 0.9
        }),
        read_whole: |answer| {
            assert_eq!(answer["stop_reason"], "stop");
            assert!(answer["prompt_token_count"].as_u64().unwrap() > 0);
            assert!(answer["generation_token_count"].as_u64().unwrap() > 0);
            text(&answer["generation"])
        },
        read_chunk: |chunk, last| {
            assert!(chunk["generation_token_count"].is_u64(), "{chunk}");
            assert_eq!(chunk["stop_reason"] == "stop", last, "{chunk}");
            text(&chunk["generation"])
        },
    }
}

fn mistral_text() -> Family {
    Family {
        model_id: "mistral.mistral-7b-instruct-v0:2",
        body: json!({ "prompt": format!("<s>[INST] {QUESTION} [/INST]"), "max_tokens": 400, "temperature": 0.5 }),
        read_whole: |answer| {
            assert_eq!(answer["outputs"][0]["stop_reason"], "stop");
            text(&answer["outputs"][0]["text"])
        },
        read_chunk: |chunk, last| {
            assert_eq!(chunk["outputs"][0]["stop_reason"] == "stop", last, "{chunk}");
            text(&chunk["outputs"][0]["text"])
        },
    }
}

fn mistral_chat() -> Family {
    Family {
        model_id: "mistral.mistral-large-2407-v1:0",
        body: json!({
            "messages": [
                { "role": "system", "content": "Answer briefly." },
                { "role": "user", "content": QUESTION }
            ],
            "max_tokens": 400
        }),
        read_whole: |answer| {
            let choice = &answer["choices"][0];
            assert_eq!((choice["index"].as_u64(), choice["stop_reason"].as_str()), (Some(0), Some("stop")));
            assert_eq!(choice["message"]["role"], "assistant");
            text(&choice["message"]["content"])
        },
        read_chunk: |chunk, last| {
            assert_eq!(chunk["choices"][0]["stop_reason"] == "stop", last, "{chunk}");
            text(&chunk["choices"][0]["message"]["content"])
        },
    }
}

/// The decoded JSON of every chunk of a streamed answer.
async fn streamed_chunks(client: &Client, model_id: &str, body: &Value) -> Vec<Value> {
    let mut output = client
        .invoke_model_with_response_stream()
        .model_id(model_id)
        .content_type("application/json")
        .body(Blob::new(body.to_string()))
        .send()
        .await
        .unwrap();
    let mut chunks = Vec::new();
    while let Some(event) = output.body.recv().await.unwrap() {
        let ResponseStream::Chunk(chunk) = event else { panic!("unexpected event {event:?}") };
        chunks.push(serde_json::from_slice(chunk.bytes().unwrap().as_ref()).unwrap());
    }
    chunks
}

/// InvokeModel and InvokeModelWithResponseStream of `family` answer the same text, each in the
/// family's documented shape, with the invocation metrics in the last chunk only.
async fn answers_whole_and_streamed(family: Family) {
    let devstack = devstack().await;
    let client = client(&devstack).await;
    let output = client
        .invoke_model()
        .model_id(family.model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(family.body.to_string()))
        .send()
        .await
        .unwrap();
    assert_eq!(output.content_type(), "application/json");
    let whole = (family.read_whole)(&serde_json::from_slice(output.body().as_ref()).unwrap());
    assert!(whole.starts_with(&format!("You asked: *{QUESTION}*")), "{}: {whole}", family.model_id);

    let chunks = streamed_chunks(&client, family.model_id, &family.body).await;
    let (last, earlier) = chunks.split_last().unwrap();
    assert!(
        earlier.iter().all(|chunk| chunk.get(METRICS).is_none()),
        "{}: metrics before the end",
        family.model_id
    );
    for field in ["inputTokenCount", "outputTokenCount", "invocationLatency", "firstByteLatency"] {
        assert!(last[METRICS][field].is_u64(), "{}: {field} in {last}", family.model_id);
    }
    assert!(last[METRICS]["outputTokenCount"].as_u64().unwrap() > 10);
    let streamed: String = chunks
        .iter()
        .enumerate()
        .map(|(index, chunk)| (family.read_chunk)(chunk, index + 1 == chunks.len()))
        .collect();
    assert_eq!(streamed, whole, "{}: the streamed text is the whole answer", family.model_id);
    devstack.stop();
}

#[tokio::test]
async fn anthropic_text_completions_answer_whole_and_streamed() {
    answers_whole_and_streamed(anthropic_text_completions()).await;
}

#[tokio::test]
async fn anthropic_messages_answer_whole_and_streamed() {
    answers_whole_and_streamed(anthropic_messages()).await;
}

#[tokio::test]
async fn titan_text_answers_whole_and_streamed() {
    answers_whole_and_streamed(titan_text()).await;
}

#[tokio::test]
async fn nova_answers_whole_and_streamed() {
    answers_whole_and_streamed(nova()).await;
}

#[tokio::test]
async fn llama_answers_whole_and_streamed() {
    answers_whole_and_streamed(llama()).await;
}

#[tokio::test]
async fn mistral_text_completions_answer_whole_and_streamed() {
    answers_whole_and_streamed(mistral_text()).await;
}

#[tokio::test]
async fn mistral_chat_completions_answer_whole_and_streamed() {
    answers_whole_and_streamed(mistral_chat()).await;
}

#[tokio::test]
async fn invoke_model_answers_an_anthropic_messages_body() {
    let devstack = devstack().await;
    let client = client(&devstack).await;
    let output = client
        .invoke_model()
        .model_id(MODEL)
        .content_type("application/json")
        .body(anthropic_body(QUESTION))
        .send()
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(output.body().as_ref()).unwrap();
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["stop_reason"], "end_turn");
    assert!(answer["content"][0]["text"].as_str().unwrap().starts_with("You asked: *Why Rust?*"));
    devstack.stop();
}

#[tokio::test]
async fn invoke_model_with_response_stream_sends_anthropic_events_in_chunks() {
    let devstack = devstack().await;
    let client = client(&devstack).await;
    let mut output = client
        .invoke_model_with_response_stream()
        .model_id(MODEL)
        .content_type("application/json")
        .body(anthropic_body(QUESTION))
        .send()
        .await
        .unwrap();
    let mut types = Vec::new();
    while let Some(event) = output.body.recv().await.unwrap() {
        let ResponseStream::Chunk(chunk) = event else { panic!("unexpected event {event:?}") };
        let event: Value = serde_json::from_slice(chunk.bytes().unwrap().as_ref()).unwrap();
        types.push(event["type"].as_str().unwrap().to_owned());
    }
    let expected_start = ["message_start", "content_block_start", "content_block_delta"];
    assert_eq!(types[..3], expected_start);
    let expected_end = ["content_block_delta", "content_block_stop", "message_delta", "message_stop"];
    assert_eq!(types[types.len() - 4..], expected_end);
    devstack.stop();
}

#[tokio::test]
async fn bodies_that_do_not_fit_the_model_are_refused_as_bedrock_refuses_them() {
    let devstack = devstack().await;
    let client = client(&devstack).await;
    let invoke = |model_id: &'static str, body: Value| {
        client
            .invoke_model()
            .model_id(model_id)
            .content_type("application/json")
            .body(Blob::new(body.to_string()))
            .send()
    };

    let messages_to_titan =
        invoke("amazon.titan-text-express-v1", anthropic_messages().body).await.unwrap_err();
    let refusal = messages_to_titan.into_service_error();
    assert!(refusal.is_validation_exception(), "{refusal:?}");
    assert_eq!(
        refusal.message(),
        Some(
            "Malformed input request: #: required key [inputText] not found#: extraneous key [anthropic_version] \
             is not permitted#: extraneous key [max_tokens] is not permitted#: extraneous key [messages] is not \
             permitted#: extraneous key [system] is not permitted, please reformat your input and try again."
        )
    );

    let completion_to_claude_3 = invoke(MODEL, anthropic_text_completions().body).await.unwrap_err();
    assert_eq!(
        completion_to_claude_3.into_service_error().message(),
        Some(
            "\"claude-3-haiku-20240307\" is not supported on this API. Please use the Messages API instead."
        )
    );

    let unknown_model = invoke("acme.oracle-v1", llama().body).await.unwrap_err().into_service_error();
    assert!(unknown_model.is_validation_exception());
    assert_eq!(unknown_model.message(), Some("The provided model identifier is invalid."));

    let streamed = client
        .invoke_model_with_response_stream()
        .model_id("meta.llama3-8b-instruct-v1:0")
        .body(Blob::new(nova().body.to_string()))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(streamed.is_validation_exception(), "{streamed:?}");
    assert!(streamed.message().unwrap().contains("#: required key [prompt] not found"), "{streamed:?}");

    let converse_still_answers = client
        .converse()
        .model_id("acme.oracle-v1")
        .messages(
            aws_sdk_bedrockruntime::types::Message::builder()
                .role(aws_sdk_bedrockruntime::types::ConversationRole::User)
                .content(aws_sdk_bedrockruntime::types::ContentBlock::Text(QUESTION.into()))
                .build()
                .unwrap(),
        )
        .send()
        .await;
    assert!(converse_still_answers.is_ok(), "Converse answers any model id: {converse_still_answers:?}");
    devstack.stop();
}

#[tokio::test]
async fn calls_signed_by_unknown_keys_or_not_at_all_are_refused() {
    let devstack = devstack().await;
    let body = || Blob::new(llama().body.to_string());

    let foreign = client_signing_with(
        &devstack,
        SdkCredentials::new("AKIAFOREIGNKEY", "secret", None, None, "foreign"),
    )
    .await;
    let refused = foreign
        .invoke_model()
        .model_id("meta.llama3-8b-instruct-v1:0")
        .body(body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.raw_response().map(|raw| raw.status().as_u16()), Some(403));
    assert_eq!(refused.into_service_error().code(), Some("UnrecognizedClientException"));

    let wrong_secret = client_signing_with(
        &devstack,
        SdkCredentials::new("lexstream-local", "not-the-secret", None, None, "wrong"),
    )
    .await;
    let refused = wrong_secret
        .invoke_model_with_response_stream()
        .model_id("meta.llama3-8b-instruct-v1:0")
        .body(body())
        .send()
        .await
        .unwrap_err();
    assert_eq!(refused.into_service_error().code(), Some("InvalidSignatureException"));

    let unsigned = unsigned_post(
        devstack.addr,
        "/model/meta.llama3-8b-instruct-v1%3A0/invoke",
        &["Content-Type: application/json"],
        &llama().body.to_string(),
    )
    .await
    .unwrap();
    assert!(unsigned.starts_with("HTTP/1.1 403"), "{unsigned}");
    assert!(
        unsigned.to_ascii_lowercase().contains("x-amzn-errortype: missingauthenticationtokenexception"),
        "{unsigned}"
    );

    let visitor = Visitor::sign_in(&devstack.url()).await.unwrap();
    let visitor_credentials = SdkCredentials::new(
        &visitor.credentials.access_key_id,
        &visitor.credentials.secret_access_key,
        visitor.credentials.session_token.clone(),
        None,
        "visitor",
    );
    let cognito_signed = client_signing_with(&devstack, visitor_credentials)
        .await
        .invoke_model()
        .model_id("meta.llama3-8b-instruct-v1:0")
        .body(body())
        .send()
        .await;
    // A visitor's credentials are known but their role may not call Bedrock (as deployed).
    let refused = cognito_signed.unwrap_err();
    assert_eq!(
        refused.as_service_error().and_then(|e| e.code()),
        Some("AccessDeniedException"),
        "{refused:?}"
    );
    devstack.stop();
}

#[tokio::test]
async fn with_auth_off_unsigned_calls_are_answered() {
    let mut config = DevstackConfig {
        addr: "127.0.0.1:0".parse().unwrap(),
        auth: lexstream_devstack::AuthMode::Off,
        ..DevstackConfig::default()
    };
    config.model.token_interval = Duration::from_millis(1);
    let devstack = lexstream_devstack::spawn(config).await.unwrap();
    let answer = unsigned_post(
        devstack.addr,
        "/model/meta.llama3-8b-instruct-v1%3A0/invoke",
        &["Content-Type: application/json"],
        &llama().body.to_string(),
    )
    .await
    .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"generation\":\"You asked: *Why Rust?*"), "{answer}");
    devstack.stop();
}

#[tokio::test]
async fn invoke_stream_faults_arrive_as_modeled_exceptions() {
    let devstack = devstack().await;
    devstack.state.faults.set(Faults { bedrock_throttle_after_chunks: Some(3), ..Faults::default() });
    let client = client(&devstack).await;
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
