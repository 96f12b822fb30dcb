//! Where answers come from: the built-in demo model, or an OpenAI-compatible streaming server
//! (`--model-proxy`, e.g. a local Ollama or llama.cpp server) for real answers.

use std::pin::Pin;
use std::time::Duration;

use axum::body::Bytes;
use futures_util::{Stream, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::demo_model;
use super::request::Conversation;

/// Text deltas of an answer; an `Err` ends it with a message.
pub(super) type Tokens = Pin<Box<dyn Stream<Item = Result<String, String>> + Send>>;

/// Which model answers.
#[derive(Debug, Clone)]
pub enum ModelSource {
    /// The built-in demo model, one token every `token_interval`.
    Demo {
        /// Pace.
        token_interval: Duration,
    },
    /// An OpenAI-compatible server: `POST {base_url}/chat/completions` with `"stream": true`.
    Proxy {
        /// e.g. `http://127.0.0.1:11434/v1`.
        base_url: String,
        /// The model name to ask for (default: the Bedrock model id of the request).
        model: Option<String>,
    },
}

impl ModelSource {
    /// Starts an answer to `conversation`; errors before the first token come back here.
    pub(super) async fn answer(&self, model_id: &str, conversation: &Conversation) -> Result<Tokens, String> {
        match self {
            Self::Demo { token_interval } => {
                let interval = *token_interval;
                let tokens = demo_model::tokens(&demo_model::answer(conversation.prompt()));
                Ok(Box::pin(futures_util::stream::iter(tokens).then(move |token| async move {
                    // A zero pace streams at once (sleeping zero still waits for the next tick).
                    if !interval.is_zero() {
                        tokio::time::sleep(interval).await;
                    }
                    Ok(token)
                })))
            }
            Self::Proxy { base_url, model } => {
                proxy_answer(base_url, model.as_deref().unwrap_or(model_id), conversation).await
            }
        }
    }
}

/// The `content` deltas of Server-Sent Events lines from a chat completions stream.
fn deltas_of_line(line: &str) -> Option<Result<String, String>> {
    let data = line.strip_prefix("data:")?.trim();
    if data == "[DONE]" || data.is_empty() {
        return None;
    }
    match serde_json::from_str::<serde_json::Value>(data) {
        Ok(event) => {
            if let Some(error) = event.get("error") {
                return Some(Err(format!("model proxy error: {error}")));
            }
            event["choices"][0]["delta"]["content"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(|t| Ok(t.to_owned()))
        }
        Err(error) => Some(Err(format!("model proxy sent malformed data: {error}"))),
    }
}

async fn proxy_answer(base_url: &str, model: &str, conversation: &Conversation) -> Result<Tokens, String> {
    let mut messages = Vec::new();
    if let Some(system) = &conversation.system {
        messages.push(serde_json::json!({ "role": "system", "content": system }));
    }
    messages.extend(
        conversation.messages.iter().map(|(role, text)| serde_json::json!({ "role": role, "content": text })),
    );
    let body = serde_json::json!({ "model": model, "messages": messages, "stream": true }).to_string();
    let url = format!("{}/chat/completions", base_url.trim_end_matches('/'));
    let request = axum::http::Request::post(&url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| format!("bad --model-proxy {base_url:?}: {e}"))?;
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response =
        client.request(request).await.map_err(|e| format!("model proxy {url} unreachable: {e}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let text = response.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        return Err(format!("model proxy answered {status}: {}", String::from_utf8_lossy(&text)));
    }
    let frames = response.into_body().into_data_stream();
    // Split the body into lines (events may straddle network chunks) and keep the deltas.
    let lines = futures_util::stream::unfold(
        (frames, String::new(), false),
        |(mut frames, mut buffer, done)| async move {
            loop {
                if let Some(end) = buffer.find('\n') {
                    let line: String = buffer.drain(..=end).collect();
                    return Some((Ok(line), (frames, buffer, done)));
                }
                if done {
                    return (!buffer.is_empty())
                        .then(|| (Ok(std::mem::take(&mut buffer)), (frames, String::new(), true)));
                }
                match frames.next().await {
                    Some(Ok(bytes)) => buffer.push_str(&String::from_utf8_lossy(&bytes)),
                    Some(Err(error)) => {
                        return Some((
                            Err(format!("model proxy stream failed: {error}")),
                            (frames, buffer, true),
                        ));
                    }
                    None => {
                        return (!buffer.is_empty())
                            .then(|| (Ok(std::mem::take(&mut buffer)), (frames, String::new(), true)));
                    }
                }
            }
        },
    );
    Ok(Box::pin(lines.filter_map(|line| async move {
        match line {
            Ok(line) => deltas_of_line(line.trim_end()),
            Err(error) => Some(Err(error)),
        }
    })))
}

#[cfg(test)]
mod tests {
    use super::deltas_of_line;

    #[test]
    fn server_sent_events_yield_content_deltas() {
        let line = r#"data: {"choices":[{"delta":{"content":"Hel"}}]}"#;
        assert_eq!(deltas_of_line(line), Some(Ok("Hel".into())));
        assert_eq!(deltas_of_line("data: [DONE]"), None);
        assert_eq!(deltas_of_line(": keep-alive"), None);
        assert_eq!(deltas_of_line(r#"data: {"choices":[{"delta":{"role":"assistant"}}]}"#), None);
        assert!(matches!(deltas_of_line("data: {oops"), Some(Err(_))));
        assert!(matches!(deltas_of_line(r#"data: {"error":{"message":"overloaded"}}"#), Some(Err(_))));
    }
}
