//! Test doubles for the ports: a scripted model and a recording pusher; and captured log lines.
//! Public so the devstack's and the end-to-end tests can use them too.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::stream;

use crate::error::{ModelError, PushError};
use crate::memory::MemoryConnectionStore;
use crate::ports::{ConnectionPusher, ModelRequest, ModelStream, StreamingBackend, TextDeltas};

/// One step of a scripted model answer.
#[derive(Debug, Clone)]
pub enum ScriptStep {
    /// Wait, then emit this text.
    Text(Duration, String),
    /// Wait, then fail with this error.
    Fail(Duration, ModelError),
    /// Never produce anything more (a stalled model).
    Stall,
}

/// A model that answers every request with the same script, and remembers the requests.
#[derive(Debug, Clone)]
pub struct ScriptedModel {
    /// What to do before the stream starts: `Some(error)` fails the call.
    pub refuse: Option<ModelError>,
    /// The stream.
    pub steps: Vec<ScriptStep>,
    /// Every request received.
    pub requests: Arc<Mutex<Vec<ModelRequest>>>,
}

impl ScriptedModel {
    /// A model emitting `chunks`, one every `interval`.
    pub fn chunks(chunks: &[&str], interval: Duration) -> Self {
        let steps = chunks.iter().map(|text| ScriptStep::Text(interval, (*text).to_owned())).collect();
        Self { refuse: None, steps, requests: Arc::default() }
    }

    /// The requests received so far.
    pub fn requests(&self) -> Vec<ModelRequest> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl ModelStream for ScriptedModel {
    async fn stream(&self, request: ModelRequest) -> Result<TextDeltas, ModelError> {
        self.requests.lock().unwrap_or_else(PoisonError::into_inner).push(request);
        if let Some(error) = &self.refuse {
            return Err(error.clone());
        }
        let steps = self.steps.clone().into_iter();
        let deltas = stream::unfold(Some(steps), |steps| async move {
            let mut steps = steps?;
            match steps.next()? {
                ScriptStep::Text(wait, text) => {
                    tokio::time::sleep(wait).await;
                    Some((Ok(text), Some(steps)))
                }
                ScriptStep::Fail(wait, error) => {
                    tokio::time::sleep(wait).await;
                    Some((Err(error), None))
                }
                ScriptStep::Stall => {
                    std::future::pending::<()>().await;
                    None
                }
            }
        });
        Ok(Box::pin(deltas))
    }
}

/// A pusher that records what each connection received, takes a scripted time per post, and
/// answers `410 Gone` for connections marked gone (and other failures for those marked failing).
#[derive(Debug, Clone, Default)]
pub struct RecordingPusher {
    /// Time each post takes, cycling through the list (empty: no delay).
    latencies: Arc<Vec<Duration>>,
    posts: Arc<AtomicUsize>,
    received: Arc<Mutex<HashMap<String, Vec<String>>>>,
    gone: Arc<Mutex<HashSet<String>>>,
    failing: Arc<Mutex<HashMap<String, String>>>,
}

impl RecordingPusher {
    /// A pusher whose posts take `latency`.
    pub fn with_latency(latency: Duration) -> Self {
        Self::with_latencies(vec![latency])
    }

    /// A pusher whose successive posts take these times, cycling.
    pub fn with_latencies(latencies: Vec<Duration>) -> Self {
        Self { latencies: Arc::new(latencies), ..Self::default() }
    }

    /// From now on, posts to `connection_id` fail with `410 Gone`.
    pub fn mark_gone(&self, connection_id: &str) {
        self.gone.lock().unwrap_or_else(PoisonError::into_inner).insert(connection_id.to_owned());
    }

    /// From now on, posts to `connection_id` fail with `reason` (any failure but `410`).
    pub fn mark_failing(&self, connection_id: &str, reason: &str) {
        self.failing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(connection_id.to_owned(), reason.to_owned());
    }

    /// The messages `connection_id` received, in order.
    pub fn received(&self, connection_id: &str) -> Vec<String> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(connection_id)
            .cloned()
            .unwrap_or_default()
    }
}

impl ConnectionPusher for RecordingPusher {
    async fn push(&self, connection_id: &str, payload: &[u8]) -> Result<(), PushError> {
        let post = self.posts.fetch_add(1, Ordering::Relaxed);
        if !self.latencies.is_empty() {
            tokio::time::sleep(self.latencies[post % self.latencies.len()]).await;
        }
        if self.gone.lock().unwrap_or_else(PoisonError::into_inner).contains(connection_id) {
            return Err(PushError::Gone(connection_id.to_owned()));
        }
        if let Some(reason) = self.failing.lock().unwrap_or_else(PoisonError::into_inner).get(connection_id) {
            return Err(PushError::Failed(reason.clone()));
        }
        let message = String::from_utf8_lossy(payload).into_owned();
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(connection_id.to_owned())
            .or_default()
            .push(message);
        Ok(())
    }
}

/// A [`StreamingBackend`] over one in-memory store and one recording pusher, whatever the
/// table and endpoint names; it remembers which ones were asked for.
#[derive(Debug, Clone, Default)]
pub struct InMemoryBackend {
    /// The store every table name maps to.
    pub store: MemoryConnectionStore,
    /// The pusher every endpoint maps to.
    pub pusher: RecordingPusher,
    /// `(table, endpoint)` names requested, in order.
    pub requested: Arc<Mutex<Vec<String>>>,
}

impl StreamingBackend for InMemoryBackend {
    type Store = MemoryConnectionStore;
    type Pusher = RecordingPusher;

    fn store(&self, table: &str) -> MemoryConnectionStore {
        self.requested.lock().unwrap_or_else(PoisonError::into_inner).push(format!("table:{table}"));
        self.store.clone()
    }

    fn pusher(&self, endpoint: &str) -> RecordingPusher {
        self.requested.lock().unwrap_or_else(PoisonError::into_inner).push(format!("endpoint:{endpoint}"));
        self.pusher.clone()
    }
}

/// Every log line written while it is the default subscriber's writer (a `tracing_subscriber`
/// `MakeWriter`: `.with_writer(move || logs.clone())`), for tests that read what was logged.
#[derive(Debug, Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
