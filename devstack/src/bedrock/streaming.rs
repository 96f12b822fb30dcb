//! Streams the demo model's tokens in event-stream frames, with faults, for any framing.

use std::convert::Infallible;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use tokio::sync::mpsc;

use super::DemoModelSettings;
use super::event_stream;
use crate::faults::Faults;

/// How one API frames a streamed answer.
pub(super) trait Framing: Send + 'static {
    /// Frames before the first token.
    fn start(&self) -> Vec<Bytes>;
    /// The frame carrying one token.
    fn token(&self, index: usize, text: &str) -> Bytes;
    /// Frames after the last token.
    fn end(&self, tokens: usize, latency_ms: u64) -> Vec<Bytes>;
}

/// An event-stream response that streams `tokens` at the model's pace, obeying `faults`.
pub(super) fn response(
    tokens: Vec<String>,
    faults: Faults,
    model: DemoModelSettings,
    framing: impl Framing,
) -> Response {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, Infallible>>(16);
    tokio::spawn(stream_answer(tokens, faults, model, framing, sender));
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/vnd.amazon.eventstream"));
    response
}

/// Sends the frames of one answer; stops early when the client goes away.
async fn stream_answer(
    tokens: Vec<String>,
    faults: Faults,
    model: DemoModelSettings,
    framing: impl Framing,
    sender: mpsc::Sender<Result<Bytes, Infallible>>,
) {
    let started = Instant::now();
    for frame in framing.start() {
        if sender.send(Ok(frame)).await.is_err() {
            return;
        }
    }
    for (index, token) in tokens.iter().enumerate() {
        let sent = u32::try_from(index).unwrap_or(u32::MAX);
        if faults.bedrock_throttle_after_chunks == Some(sent) {
            let frame = event_stream::exception(
                "throttlingException",
                "Too many tokens, please wait before trying again.",
            );
            let _ = sender.send(Ok(frame)).await;
            return;
        }
        if faults.bedrock_fail_after_chunks == Some(sent) {
            let frame =
                event_stream::exception("modelStreamErrorException", "The model stopped unexpectedly.");
            let _ = sender.send(Ok(frame)).await;
            return;
        }
        if faults.bedrock_stall_after_chunks == Some(sent) {
            // Keep the connection open without sending anything, as a hung model would.
            sender.closed().await;
            return;
        }
        tokio::time::sleep(model.token_interval).await;
        if sender.send(Ok(framing.token(index, token))).await.is_err() {
            tracing::info!(sent, "streaming client went away");
            return;
        }
    }
    let latency = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    for frame in framing.end(tokens.len(), latency) {
        if sender.send(Ok(frame)).await.is_err() {
            return;
        }
    }
}
