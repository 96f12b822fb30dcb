//! The streaming relay: model text in, protocol v1 frames out to the visitor's connection.
//!
//! Two loops run concurrently and meet at a channel. The *reader* pulls text deltas from the
//! model as fast as they come. The *writer* takes everything that has accumulated, posts it as
//! one frame (split only when over the frame limit), waits for that post, and repeats. So at
//! most one post per connection is in flight (order is kept), and the number of posts adapts to
//! the post latency instead of the number of model chunks.
//!
//! Streaming is best effort; the fulfillment is not. A `410 Gone` does not end the stream: the
//! widget reconnects (after 250–750 ms, or after a reload), so the writer re-reads the
//! connection table at once and then every [`RECONNECT_CHECK_INTERVAL`] while the model runs
//! (and for up to [`END_RECONNECT_GRACE`] once it is done), and when the session's row names a
//! newer connection it moves there with a `snapshot` of the turn so far and goes on — however
//! many times a turn is dropped. Only another failure (throttling, permissions, a frame too
//! large) stops posting for good. Generation goes on either way: the full text is always
//! returned for the Lex answer.
//!
//! While streaming, the writer also re-reads the session's row every [`STOP_CHECK_INTERVAL`]:
//! if the visitor asked to stop this turn, generation ends there, a `done` frame closes the
//! stream, and the answer is what was generated so far.
//!
//! Given a [`Checkpoint`] sink, the writer saves the turn's progress — coalesced: at most once
//! per [`CHECKPOINT_INTERVAL`], or sooner once [`CHECKPOINT_BYTES`] of new text have
//! accumulated, never per frame. A checkpoint's text is exactly the text of the frames up to its
//! `text_seq`, so a `snapshot` built from it is exact. Text nobody could be sent (no connection,
//! or between a drop and the reconnect) is counted as one lost frame when it is checkpointed:
//! the next frame a widget gets after such a gap is always a snapshot.

use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use lexstream_protocol::{Frame, chunk_frames, mark_chunk_done, snapshot_frames};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::error::{ModelError, PushError, StoreError};
use crate::log_hash::hashed;
use crate::ports::{ConnectionPusher, ConnectionRecord, ConnectionStore, TextDeltas};

/// How often the writer re-reads the session's row for a stop request while streaming (one
/// strongly consistent read per interval, only while text is flowing).
pub const STOP_CHECK_INTERVAL: Duration = Duration::from_millis(500);

/// How often, after a `410 Gone`, the writer re-reads the session's row for the widget's new
/// connection (one strongly consistent read per interval, only while disconnected).
pub const RECONNECT_CHECK_INTERVAL: Duration = Duration::from_millis(250);

/// How long the writer waits, once the model is done, for a disconnected widget to reconnect so
/// that the end of the stream reaches it (the widget's reconnect takes 250–750 ms).
pub const END_RECONNECT_GRACE: Duration = Duration::from_secs(1);

/// At most one checkpoint per this interval (unless [`CHECKPOINT_BYTES`] come sooner).
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);

/// A checkpoint is due as soon as this much new text has accumulated since the last one.
pub const CHECKPOINT_BYTES: usize = 4 * 1024;

/// How many connections in a row the writer tries at one time when each closes before the
/// snapshot reaches it (a widget reconnecting in a loop must not keep the writer busy).
const MAX_MOVES_AT_ONCE: usize = 4;

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

/// A turn's progress as the writer checkpoints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<'a> {
    /// Everything generated so far: exactly the text of the frames up to `text_seq`.
    pub text: &'a str,
    /// The `seq` of the last frame carrying text (`None` before the first).
    pub text_seq: Option<u64>,
    /// The `seq` the next frame takes.
    pub next_seq: u64,
}

/// Where the writer saves a turn's progress while it streams (the turn's record).
pub trait Checkpoint: Send + Sync {
    /// Saves `progress`. A failure is logged by the writer and never stops the answer.
    fn save(&self, progress: Progress<'_>) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// No checkpoints (the AppSync flow, which keeps no turn records).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCheckpoint;

impl Checkpoint for NoCheckpoint {
    async fn save(&self, _progress: Progress<'_>) -> Result<(), StoreError> {
        Ok(())
    }
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
    /// How many times the stream moved to a newer connection.
    pub moves: u64,
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
    /// The `seq` of the last frame carrying text: `text` is exactly the text of the frames up to
    /// it (frames posted, lost with a connection, or counted for text nobody could be sent).
    pub text_seq: Option<u64>,
    /// The `seq` after the last frame of the turn (its `done`/`error` included when posted): the
    /// one a later frame of this turn (`done`, `final` after a resume) takes.
    pub next_seq: u64,
    /// Checkpoints saved while streaming.
    pub checkpoints: u64,
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
    relay_with_checkpoints(deltas, target, None::<&NoCheckpoint>, turn, limits).await
}

/// [`relay`], saving the turn's progress to `checkpoint` while it streams (coalesced; see the
/// module's documentation). The final write of the turn is the caller's, from the outcome.
pub async fn relay_with_checkpoints<S: ConnectionStore, P: ConnectionPusher, C: Checkpoint>(
    deltas: TextDeltas,
    target: Option<StreamTarget<'_, S, P>>,
    checkpoint: Option<&C>,
    turn: &str,
    limits: RelayLimits,
) -> RelayOutcome {
    let (sender, receiver) = mpsc::unbounded_channel();
    let deadline = Instant::now() + limits.deadline;
    let ((), outcome) = tokio::join!(
        read_model(deltas, sender, deadline),
        write_frames(receiver, target, checkpoint, turn, limits)
    );
    outcome
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

/// The turn's text and the sequence of frames that carries it.
///
/// `text` is always exactly the text of frames `0..=text_seq`, whether they were delivered, lost
/// with a closing connection, or counted for text that nobody could be sent (`unframed` until a
/// checkpoint or the end counts it as one lost frame).
struct Ledger<'a> {
    turn: &'a str,
    text: String,
    next_seq: u64,
    text_seq: Option<u64>,
    unframed: bool,
}

impl<'a> Ledger<'a> {
    fn new(turn: &'a str) -> Self {
        Self { turn, text: String::new(), next_seq: 0, text_seq: None, unframed: false }
    }

    fn take_seq(&mut self) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }

    /// A seq for a frame carrying text.
    fn take_text_seq(&mut self) -> u64 {
        let seq = self.take_seq();
        self.text_seq = Some(seq);
        seq
    }

    /// Text that no frame carries (there is no connection to post it to).
    fn append_unposted(&mut self, text: &str) {
        self.text.push_str(text);
        self.unframed = true;
    }

    /// Counts text no frame carries as one lost frame, so `text_seq` covers all of `text`.
    fn settle(&mut self) {
        if self.unframed {
            self.take_text_seq();
            self.unframed = false;
        }
    }

    fn progress(&self) -> Progress<'_> {
        Progress { text: &self.text, text_seq: self.text_seq, next_seq: self.next_seq }
    }
}

/// The state of the writer's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Posting.
    Open,
    /// The connection closed (`410 Gone`); waiting for the widget's next one.
    Lost,
    /// Posting stopped for good (see [`StreamReport::stopped`]).
    Closed,
}

/// What became of one post.
enum Sent {
    Delivered,
    Gone,
    Failed(String),
}

/// The writer's side of the connection: where it posts, and what has been delivered.
struct Poster<'a, S, P> {
    target: StreamTarget<'a, S, P>,
    max_frame_bytes: usize,
    link: Link,
    next_reconnect_check: Instant,
    report: StreamReport,
}

impl<S: ConnectionStore, P: ConnectionPusher> Poster<'_, S, P> {
    fn is(&self, link: Link) -> bool {
        self.link == link
    }

    async fn send(&mut self, frame: &Frame) -> Sent {
        self.report.posts += 1;
        match self.target.pusher.push(&self.target.connection_id, frame.to_json().as_bytes()).await {
            Ok(()) => {
                self.report.frames_sent += 1;
                Sent::Delivered
            }
            Err(PushError::Gone(_)) => Sent::Gone,
            Err(error) => Sent::Failed(error.to_string()),
        }
    }

    /// Posts `pending` (already at the end of the ledger's text) as chunk frames. When the
    /// stream has ended with `done` (`finished`), the last chunk carries it (one post less at the
    /// end of every answer); returns whether it did and was delivered. After a `410 Gone` it
    /// looks for the widget's new connection at once; what could not be posted is left unframed
    /// (a snapshot carries it when the widget is back).
    async fn post_text(
        &mut self,
        pending: &str,
        ledger: &mut Ledger<'_>,
        finished: Option<&GenerationEnd>,
    ) -> bool {
        let mut frames = match chunk_frames(ledger.turn, ledger.next_seq, pending, self.max_frame_bytes) {
            Ok(frames) => frames,
            Err(error) => {
                ledger.unframed = true;
                self.close(&error.to_string());
                return false;
            }
        };
        let carries_end = finished.is_some_and(|end| end.error_message().is_none())
            && frames.last_mut().is_some_and(|last| mark_chunk_done(last, self.max_frame_bytes));
        let count = frames.len();
        for (index, frame) in frames.into_iter().enumerate() {
            ledger.take_text_seq();
            let unposted = index + 1 < count;
            match self.send(&frame).await {
                Sent::Delivered => {}
                Sent::Gone => {
                    ledger.unframed |= unposted;
                    self.link = Link::Lost;
                    self.reconnect(ledger).await;
                    return false;
                }
                Sent::Failed(reason) => {
                    ledger.unframed |= unposted;
                    self.close(&reason);
                    return false;
                }
            }
        }
        carries_end
    }

    /// Re-reads the session's row and, while it names a connection other than the current one,
    /// moves the stream there with a snapshot of the whole turn so far. Returns the row read
    /// (the caller checks it for a stop request).
    async fn reconnect(&mut self, ledger: &mut Ledger<'_>) -> Option<ConnectionRecord> {
        self.next_reconnect_check = Instant::now() + RECONNECT_CHECK_INTERVAL;
        let mut row = None;
        for _ in 0..MAX_MOVES_AT_ONCE {
            let record = match self.target.store.get(self.target.session_id).await {
                Ok(Some(record)) => record,
                Ok(None) => return row,
                Err(error) => {
                    tracing::warn!(%error, "could not re-read the connection table after a 410; trying again");
                    return row;
                }
            };
            if record.connection_id == self.target.connection_id {
                return Some(record);
            }
            tracing::info!(
                session_hash = %hashed(self.target.session_id),
                new_connection = %record.connection_id,
                "widget reconnected; moving the stream"
            );
            self.target.connection_id = record.connection_id.clone();
            self.report.moved_connection = true;
            self.report.moves += 1;
            row = Some(record);
            match self.send_snapshot(ledger).await {
                Sent::Delivered => {
                    self.link = Link::Open;
                    return row;
                }
                // That connection closed too: look again.
                Sent::Gone => self.link = Link::Lost,
                Sent::Failed(reason) => {
                    self.close(&format!("the stream could not be moved to the new connection: {reason}"));
                    return row;
                }
            }
        }
        row
    }

    /// The whole turn so far on the current connection: a snapshot frame, followed by chunk
    /// frames if it is over the frame limit.
    async fn send_snapshot(&mut self, ledger: &mut Ledger<'_>) -> Sent {
        let frames = match snapshot_frames(ledger.turn, ledger.next_seq, &ledger.text, self.max_frame_bytes) {
            Ok(frames) => frames,
            Err(error) => return Sent::Failed(error.to_string()),
        };
        // Every seq is taken before posting: frames a failure leaves unposted count as lost, and
        // the snapshot after the next reconnect covers them.
        for _ in &frames {
            ledger.take_text_seq();
        }
        ledger.unframed = false;
        for frame in &frames {
            match self.send(frame).await {
                Sent::Delivered => {}
                other => return other,
            }
        }
        Sent::Delivered
    }

    /// Reads the session's row (for a stop request).
    async fn read_row(&self) -> Option<ConnectionRecord> {
        match self.target.store.get(self.target.session_id).await {
            Ok(record) => record,
            Err(error) => {
                tracing::warn!(%error, "could not check for a stop request");
                None
            }
        }
    }

    fn close(&mut self, reason: &str) {
        self.link = Link::Closed;
        if self.report.stopped.is_none() {
            tracing::warn!(
                reason,
                session_hash = %hashed(self.target.session_id),
                "streaming stopped; the Lex answer will still be returned"
            );
            self.report.stopped = Some(reason.to_owned());
        }
    }

    /// Posts the end of the stream (`done` or `error`) to the current connection. A widget that
    /// is reconnecting gets up to [`END_RECONNECT_GRACE`] after each loss to come back.
    async fn post_end(&mut self, end: &GenerationEnd, ledger: &mut Ledger<'_>) {
        let mut grace_until = Instant::now() + END_RECONNECT_GRACE;
        // Each failed attempt needs a newer connection; the bound only guards against a widget
        // reconnecting in a loop.
        let mut attempts = 0;
        loop {
            match self.link {
                Link::Closed => return,
                Link::Lost => {
                    let moves = self.report.moves;
                    self.reconnect(ledger).await;
                    if self.is(Link::Lost) {
                        let now = Instant::now();
                        if self.report.moves > moves {
                            // It moved, and that connection closed too: the widget is still
                            // reconnecting.
                            grace_until = now + END_RECONNECT_GRACE;
                        } else if now >= grace_until {
                            self.close("the connection closed (410 Gone) and the session has no newer one");
                            return;
                        }
                        tokio::time::sleep_until(grace_until.min(now + RECONNECT_CHECK_INTERVAL)).await;
                    }
                }
                Link::Open if attempts == 2 * MAX_MOVES_AT_ONCE => {
                    self.close("the connection kept closing; the end of the stream was not delivered");
                    return;
                }
                Link::Open => {
                    attempts += 1;
                    let frame = end_frame(end, ledger.turn, ledger.take_seq());
                    match self.send(&frame).await {
                        Sent::Delivered => return,
                        Sent::Gone => {
                            self.link = Link::Lost;
                            grace_until = Instant::now() + END_RECONNECT_GRACE;
                        }
                        Sent::Failed(reason) => {
                            self.close(&reason);
                            return;
                        }
                    }
                }
            }
        }
    }
}

impl GenerationEnd {
    /// What the visitor reads when the stream ends with an `error` frame; `None` when it ends
    /// with `done`.
    fn error_message(&self) -> Option<&str> {
        match self {
            GenerationEnd::Complete | GenerationEnd::StoppedByVisitor => None,
            GenerationEnd::ModelFailed(error) => Some(error.visitor_message()),
            GenerationEnd::DeadlineReached => Some("The answer took too long and was cut short."),
        }
    }
}

fn end_frame(end: &GenerationEnd, turn: &str, seq: u64) -> Frame {
    let turn = turn.to_owned();
    match end.error_message() {
        None => Frame::Done { turn, seq },
        Some(message) => Frame::Error { turn, seq, message: message.to_owned() },
    }
}

/// The writer's checkpoints: when the last one was saved and how much text it held.
struct Checkpoints<'c, C> {
    sink: Option<&'c C>,
    last_at: Instant,
    saved_len: usize,
    saves: u64,
}

impl<C: Checkpoint> Checkpoints<'_, C> {
    /// When the next checkpoint is due, if there is new text to save.
    fn due_at(&self, ledger: &Ledger<'_>) -> Option<Instant> {
        self.sink?;
        let new_bytes = ledger.text.len().checked_sub(self.saved_len).filter(|&new| new > 0)?;
        Some(if new_bytes >= CHECKPOINT_BYTES { self.last_at } else { self.last_at + CHECKPOINT_INTERVAL })
    }

    async fn save_if_due(&mut self, ledger: &mut Ledger<'_>) {
        let (Some(sink), Some(due)) = (self.sink, self.due_at(ledger)) else { return };
        if Instant::now() < due {
            return;
        }
        ledger.settle();
        match sink.save(ledger.progress()).await {
            Ok(()) => self.saves += 1,
            Err(error) => tracing::warn!(%error, turn = ledger.turn, "could not checkpoint the turn"),
        }
        self.last_at = Instant::now();
        self.saved_len = ledger.text.len();
    }
}

async fn write_frames<S: ConnectionStore, P: ConnectionPusher, C: Checkpoint>(
    mut receiver: mpsc::UnboundedReceiver<ReaderEvent>,
    target: Option<StreamTarget<'_, S, P>>,
    checkpoint: Option<&C>,
    turn: &str,
    limits: RelayLimits,
) -> RelayOutcome {
    let started = Instant::now();
    let mut poster = target.map(|target| Poster {
        target,
        max_frame_bytes: limits.max_frame_bytes,
        link: Link::Open,
        next_reconnect_check: started,
        report: StreamReport::default(),
    });
    let mut ledger = Ledger::new(turn);
    let mut checkpoints = Checkpoints { sink: checkpoint, last_at: started, saved_len: 0, saves: 0 };
    let mut end = None;
    let mut end_posted = false;
    let mut next_stop_check = started + STOP_CHECK_INTERVAL;
    while end.is_none() {
        // Wake for the next model text, or earlier for a checkpoint due or a reconnect check.
        let reconnect_at = poster.as_ref().filter(|p| p.is(Link::Lost)).map(|p| p.next_reconnect_check);
        let wake_at = [checkpoints.due_at(&ledger), reconnect_at].into_iter().flatten().min();
        let received = match wake_at {
            Some(at) => tokio::select! {
                event = receiver.recv() => Some(event),
                () = tokio::time::sleep_until(at) => None,
            },
            None => Some(receiver.recv().await),
        };
        // Everything that arrived while the previous post was in flight goes out together.
        let mut pending = String::new();
        match received {
            Some(None) => {
                end = Some(GenerationEnd::ModelFailed(ModelError::new(
                    crate::ModelErrorKind::Failed,
                    "the model reader stopped without an ending",
                )));
                break;
            }
            Some(Some(first)) => {
                let mut next = Some(first);
                while let Some(event) = next {
                    match event {
                        ReaderEvent::Text(text) => pending.push_str(&text),
                        ReaderEvent::End(ending) => end = Some(ending),
                    }
                    next = receiver.try_recv().ok();
                }
            }
            None => {}
        }
        if !pending.is_empty() {
            match poster.as_mut().filter(|p| p.is(Link::Open)) {
                Some(poster) => {
                    ledger.text.push_str(&pending);
                    end_posted = poster.post_text(&pending, &mut ledger, end.as_ref()).await;
                }
                None => ledger.append_unposted(&pending),
            }
        }
        if let Some(poster) = poster.as_mut() {
            let now = Instant::now();
            let row = if poster.is(Link::Lost) && now >= poster.next_reconnect_check {
                poster.reconnect(&mut ledger).await
            } else if poster.is(Link::Open) && !pending.is_empty() && end.is_none() && now >= next_stop_check
            {
                next_stop_check = now + STOP_CHECK_INTERVAL;
                poster.read_row().await
            } else {
                None
            };
            if end.is_none() && row.is_some_and(|row| row.stop_turn.as_deref() == Some(turn)) {
                tracing::info!(turn, "the visitor stopped the answer");
                // Dropping the receiver ends the reader, which drops the model stream.
                end = Some(GenerationEnd::StoppedByVisitor);
            }
        }
        if end.is_none() {
            // The end is the caller's to write, with the final messages.
            checkpoints.save_if_due(&mut ledger).await;
        }
    }
    drop(receiver);
    let end = end.unwrap_or(GenerationEnd::Complete);
    if let Some(poster) = poster.as_mut().filter(|p| !p.is(Link::Closed) && !end_posted) {
        poster.post_end(&end, &mut ledger).await;
    }
    ledger.settle();
    RelayOutcome {
        text: ledger.text,
        end,
        stream: poster.map(|p| p.report).unwrap_or_default(),
        text_seq: ledger.text_seq,
        next_seq: ledger.next_seq,
        checkpoints: checkpoints.saves,
    }
}
