//! The streaming relay: model text in, protocol v1 frames out to the visitor's connection.
//!
//! Two loops run concurrently and meet at a channel. The *reader* pulls text deltas from the
//! model as fast as they come. The *writer* takes everything that has accumulated, posts it as
//! one frame (split only when over the frame limit), waits for that post, and repeats. So at
//! most one post per connection is in flight (order is kept), and the number of posts adapts to
//! the post latency instead of the number of model chunks.
//!
//! Streaming is best effort; the fulfillment is not. A `410 Gone` makes the relay re-read the
//! connection table once — the widget may have reconnected, and then it gets a `snapshot` of the
//! turn so far on the new connection — and otherwise stop posting. Generation goes on either
//! way: the full text is always returned for the Lex answer.
//!
//! While streaming, the writer also re-reads the session's row every [`STOP_CHECK_INTERVAL`]:
//! if the visitor asked to stop this turn, generation ends there, a `done` frame closes the
//! stream, and the answer is what was generated so far.

use std::time::Duration;

use futures_util::StreamExt;
use lexstream_protocol::{Frame, chunk_frames};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::error::{ModelError, PushError};
use crate::ports::{ConnectionPusher, ConnectionStore, TextDeltas};

/// How often the writer re-reads the session's row for a stop request while streaming (one
/// strongly consistent read per interval, only while text is flowing).
pub const STOP_CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// Limits of one relay run.
#[derive(Debug, Clone, Copy)]
pub struct RelayLimits {
    /// Largest frame to post (API Gateway: 32 KB).
    pub max_frame_bytes: usize,
    /// Stop generating after this long and return what exists.
    pub deadline: Duration,
}

impl Default for RelayLimits {
    fn default() -> Self {
        Self {
            max_frame_bytes: lexstream_protocol::limits::APIGW_MAX_FRAME_BYTES,
            deadline: Duration::from_secs(25),
        }
    }
}

/// Where to stream: a session's connection, with the store to re-read after a `410`.
#[derive(Debug)]
pub struct StreamTarget<'a, S, P> {
    /// The connection table.
    pub store: &'a S,
    /// Posts to connections.
    pub pusher: &'a P,
    /// The Lex session being answered.
    pub session_id: &'a str,
    /// The connection found for it when the turn started.
    pub connection_id: String,
}

/// How generation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenerationEnd {
    /// The model finished its answer.
    Complete,
    /// The model failed (before or during the stream).
    ModelFailed(ModelError),
    /// The deadline passed; the text is what was generated until then.
    DeadlineReached,
    /// The visitor asked to stop (the `stop` route); the text is what was generated until then.
    StoppedByVisitor,
}

/// What happened to the stream to the visitor.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamReport {
    /// Frames posted successfully.
    pub frames_sent: u64,
    /// Post calls made (successful or not).
    pub posts: u64,
    /// Why posting stopped early, if it did.
    pub stopped: Option<String>,
    /// Whether the widget had reconnected and the stream moved to its new connection.
    pub moved_connection: bool,
}

/// The result of a relay run: the whole answer, how generation ended, how streaming went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayOutcome {
    /// Everything the model generated.
    pub text: String,
    /// How generation ended.
    pub end: GenerationEnd,
    /// How streaming went (`frames_sent == 0` and no `stopped` when there was no target).
    pub stream: StreamReport,
}

enum ReaderEvent {
    Text(String),
    End(GenerationEnd),
}

/// Runs the reader and the writer together until the model is done and every frame is posted.
pub async fn relay<S: ConnectionStore, P: ConnectionPusher>(
    deltas: TextDeltas,
    target: Option<StreamTarget<'_, S, P>>,
    turn: &str,
    limits: RelayLimits,
) -> RelayOutcome {
    let (sender, receiver) = mpsc::unbounded_channel();
    let deadline = Instant::now() + limits.deadline;
    let ((), (text, end, stream)) =
        tokio::join!(read_model(deltas, sender, deadline), write_frames(receiver, target, turn, limits));
    RelayOutcome { text, end, stream }
}

async fn read_model(mut deltas: TextDeltas, sender: mpsc::UnboundedSender<ReaderEvent>, deadline: Instant) {
    let end = loop {
        let next = tokio::select! {
            // The writer stopped listening (the visitor stopped the answer): end generation now,
            // even if the model is between tokens.
            () = sender.closed() => return,
            next = tokio::time::timeout_at(deadline, deltas.next()) => next,
        };
        match next {
            Err(_) => break GenerationEnd::DeadlineReached,
            Ok(None) => break GenerationEnd::Complete,
            Ok(Some(Err(error))) => break GenerationEnd::ModelFailed(error),
            Ok(Some(Ok(text))) => {
                if !text.is_empty() && sender.send(ReaderEvent::Text(text)).is_err() {
                    return;
                }
            }
        }
    };
    // Dropping `deltas` here stops generation (the HTTP stream is closed).
    let _ = sender.send(ReaderEvent::End(end));
}

/// The writer's side: the frames' sequence, the connection, and what has been delivered.
struct Poster<'a, S, P> {
    target: StreamTarget<'a, S, P>,
    turn: &'a str,
    next_seq: u64,
    max_frame_bytes: usize,
    reread_done: bool,
    report: StreamReport,
}

/// What became of a post.
enum Posted {
    /// The frame was delivered.
    Delivered,
    /// The connection was gone, the widget had reconnected, and a snapshot of the whole text so
    /// far was delivered on the new connection instead.
    Resynced,
    /// Streaming stopped (see [`StreamReport::stopped`]).
    Stopped,
}

impl<S: ConnectionStore, P: ConnectionPusher> Poster<'_, S, P> {
    fn active(&self) -> bool {
        self.report.stopped.is_none()
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// Posts one frame, recovering once from `410 Gone` if the session has a newer connection.
    /// `whole_text` is everything generated so far (for the snapshot after a reconnect).
    async fn post(&mut self, frame: Frame, whole_text: &str) -> Posted {
        self.report.posts += 1;
        match self.target.pusher.push(&self.target.connection_id, frame.to_json().as_bytes()).await {
            Ok(()) => {
                self.report.frames_sent += 1;
                Posted::Delivered
            }
            Err(PushError::Gone(_)) if !self.reread_done => {
                self.reread_done = true;
                match self.target.store.get(self.target.session_id).await {
                    Ok(Some(record)) if record.connection_id != self.target.connection_id => {
                        // The failed frame was never delivered: the snapshot takes its place
                        // in the sequence, so the widget sees no gap.
                        self.next_seq = frame.seq();
                        tracing::info!(
                            session_id = self.target.session_id,
                            new_connection = %record.connection_id,
                            "widget reconnected; moving the stream"
                        );
                        self.target.connection_id = record.connection_id;
                        self.report.moved_connection = true;
                        self.send_snapshot(whole_text).await
                    }
                    Ok(_) => self.stop("the connection closed (410 Gone) and the session has no newer one"),
                    Err(error) => {
                        self.stop(&format!("the connection closed and re-reading the table failed: {error}"))
                    }
                }
            }
            Err(error) => self.stop(&error.to_string()),
        }
    }

    /// After moving to a new connection: the whole turn so far, as a snapshot frame (followed
    /// by chunk frames if it is over the frame limit).
    async fn send_snapshot(&mut self, whole_text: &str) -> Posted {
        // "snapshot" is 3 bytes longer than "chunk": leave room for it.
        let mut pieces =
            chunk_frames(self.turn, 0, whole_text, self.max_frame_bytes - 3).into_iter().map(|frame| {
                match frame {
                    Frame::Chunk { text, .. } => text,
                    _ => String::new(),
                }
            });
        let snapshot = Frame::Snapshot {
            turn: self.turn.to_owned(),
            seq: self.take_seq(),
            text: pieces.next().unwrap_or_default(),
        };
        if !matches!(Box::pin(self.post(snapshot, whole_text)).await, Posted::Delivered) {
            return self.stop("the stream could not be moved to the new connection");
        }
        for text in pieces {
            let chunk = Frame::Chunk { turn: self.turn.to_owned(), seq: self.take_seq(), text };
            if !matches!(Box::pin(self.post(chunk, whole_text)).await, Posted::Delivered) {
                return self.stop("the stream could not be moved to the new connection");
            }
        }
        Posted::Resynced
    }

    /// Whether the visitor asked to stop this turn (re-reads the session's row).
    async fn stop_requested(&self) -> bool {
        match self.target.store.get(self.target.session_id).await {
            Ok(Some(record)) => record.stop_turn.as_deref() == Some(self.turn),
            Ok(None) => false,
            Err(error) => {
                tracing::warn!(%error, "could not check for a stop request");
                false
            }
        }
    }

    fn stop(&mut self, reason: &str) -> Posted {
        if self.report.stopped.is_none() {
            tracing::warn!(
                reason,
                session_id = self.target.session_id,
                "streaming stopped; the Lex answer will still be returned"
            );
            self.report.stopped = Some(reason.to_owned());
        }
        Posted::Stopped
    }

    /// Posts `pending` (already appended to `whole_text`) as chunk frames.
    async fn post_text(&mut self, pending: &str, whole_text: &str) {
        let pieces: Vec<String> = chunk_frames(self.turn, 0, pending, self.max_frame_bytes)
            .into_iter()
            .filter_map(|frame| match frame {
                Frame::Chunk { text, .. } => Some(text),
                _ => None,
            })
            .collect();
        for text in pieces {
            let frame = Frame::Chunk { turn: self.turn.to_owned(), seq: self.take_seq(), text };
            match self.post(frame, whole_text).await {
                Posted::Delivered => {}
                // The snapshot already carried all of `pending`; stopped means no more posts.
                Posted::Resynced | Posted::Stopped => return,
            }
        }
    }

    async fn post_end(&mut self, end: &GenerationEnd, whole_text: &str) {
        let turn = self.turn.to_owned();
        let seq = self.take_seq();
        let frame = match end {
            GenerationEnd::Complete | GenerationEnd::StoppedByVisitor => Frame::Done { turn, seq },
            GenerationEnd::ModelFailed(error) => {
                Frame::Error { turn, seq, message: error.visitor_message().to_owned() }
            }
            GenerationEnd::DeadlineReached => {
                Frame::Error { turn, seq, message: "The answer took too long and was cut short.".to_owned() }
            }
        };
        if let Posted::Resynced = self.post(frame.clone(), whole_text).await {
            // The end frame was lost with the old connection; repeat it after the snapshot.
            let frame = match frame {
                Frame::Done { turn, .. } => Frame::Done { turn, seq: self.take_seq() },
                Frame::Error { turn, message, .. } => Frame::Error { turn, seq: self.take_seq(), message },
                other => other,
            };
            self.post(frame, whole_text).await;
        }
    }
}

async fn write_frames<S: ConnectionStore, P: ConnectionPusher>(
    mut receiver: mpsc::UnboundedReceiver<ReaderEvent>,
    target: Option<StreamTarget<'_, S, P>>,
    turn: &str,
    limits: RelayLimits,
) -> (String, GenerationEnd, StreamReport) {
    let mut poster = target.map(|target| Poster {
        target,
        turn,
        next_seq: 0,
        max_frame_bytes: limits.max_frame_bytes,
        reread_done: false,
        report: StreamReport::default(),
    });
    let mut whole_text = String::new();
    let mut end = None;
    let mut next_stop_check = Instant::now() + STOP_CHECK_INTERVAL;
    while end.is_none() {
        let Some(first) = receiver.recv().await else {
            end = Some(GenerationEnd::ModelFailed(ModelError::new(
                crate::ModelErrorKind::Failed,
                "the model reader stopped without an ending",
            )));
            break;
        };
        // Everything that arrived while the previous post was in flight goes out together.
        let mut pending = String::new();
        let mut next = Some(first);
        while let Some(event) = next {
            match event {
                ReaderEvent::Text(text) => pending.push_str(&text),
                ReaderEvent::End(ending) => end = Some(ending),
            }
            next = receiver.try_recv().ok();
        }
        whole_text.push_str(&pending);
        if let Some(poster) = poster.as_mut().filter(|p| p.active()) {
            poster.post_text(&pending, &whole_text).await;
            if end.is_none() && Instant::now() >= next_stop_check {
                next_stop_check = Instant::now() + STOP_CHECK_INTERVAL;
                if poster.stop_requested().await {
                    tracing::info!(turn, "the visitor stopped the answer");
                    // Dropping the receiver ends the reader, which drops the model stream.
                    end = Some(GenerationEnd::StoppedByVisitor);
                }
            }
        }
    }
    drop(receiver);
    let end = end.unwrap_or(GenerationEnd::Complete);
    if let Some(poster) = poster.as_mut().filter(|p| p.active()) {
        poster.post_end(&end, &whole_text).await;
    }
    (whole_text, end, poster.map(|p| p.report).unwrap_or_default())
}
