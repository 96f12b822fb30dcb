//! Streams a model's tokens in event-stream frames, with faults, for any framing (Converse's or
//! an InvokeModel family's).

use std::convert::Infallible;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use futures_util::StreamExt;
use tokio::sync::mpsc;

use super::event_stream;
use super::models::Tokens;
use crate::faults::Faults;

/// How one API frames a streamed answer.
pub(super) trait Framing: Send + 'static {
    /// Frames before the first token.
    fn start(&self) -> Vec<Bytes>;
    /// The frame carrying one token.
    fn token(&self, index: usize, text: &str) -> Bytes;
    /// Frames after the last token.
    fn end(&self, summary: &StreamSummary) -> Vec<Bytes>;
}

impl Framing for Box<dyn Framing> {
    fn start(&self) -> Vec<Bytes> {
        (**self).start()
    }

    fn token(&self, index: usize, text: &str) -> Bytes {
        (**self).token(index, text)
    }

    fn end(&self, summary: &StreamSummary) -> Vec<Bytes> {
        (**self).end(summary)
    }
}

/// What the closing frames report about a finished stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct StreamSummary {
    /// Tokens streamed.
    pub(super) output_tokens: usize,
    /// From the request to the last token, in milliseconds.
    pub(super) latency_ms: u64,
    /// From the request to the first token, in milliseconds.
    pub(super) first_byte_ms: u64,
}

fn millis_since(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// An event-stream response that streams `tokens` as the model produces them, obeying `faults`.
pub(super) fn response(tokens: Tokens, faults: Faults, framing: impl Framing) -> Response {
    let (sender, receiver) = mpsc::channel::<Result<Bytes, Infallible>>(16);
    tokio::spawn(stream_answer(tokens, faults, framing, sender));
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
    mut tokens: Tokens,
    faults: Faults,
    framing: impl Framing,
    sender: mpsc::Sender<Result<Bytes, Infallible>>,
) {
    let started = Instant::now();
    for frame in framing.start() {
        if sender.send(Ok(frame)).await.is_err() {
            return;
        }
    }
    let mut index = 0;
    let mut first_byte_ms = None;
    loop {
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
        let frame = match tokens.next().await {
            None => break,
            Some(Ok(token)) => {
                first_byte_ms.get_or_insert_with(|| millis_since(started));
                framing.token(index, &token)
            }
            Some(Err(message)) => {
                tracing::warn!(%message, "the model failed mid-stream");
                let _ = sender.send(Ok(event_stream::exception("modelStreamErrorException", &message))).await;
                return;
            }
        };
        if sender.send(Ok(frame)).await.is_err() {
            tracing::info!(sent, "streaming client went away");
            return;
        }
        index += 1;
    }
    let latency_ms = millis_since(started);
    let summary = StreamSummary {
        output_tokens: index,
        latency_ms,
        first_byte_ms: first_byte_ms.unwrap_or(latency_ms),
    };
    for frame in framing.end(&summary) {
        if sender.send(Ok(frame)).await.is_err() {
            return;
        }
    }
}
