//! Fault injection: make the devstack slow, lossy or failing on purpose, by flag or at runtime
//! through `POST /_devstack/faults`, so reliability can be tested and benchmarked.

use std::sync::{Arc, PoisonError, RwLock};

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};

/// The faults in force. Every field defaults to "no fault".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Extra milliseconds every `@connections` post takes.
    pub post_latency_ms: u64,
    /// Answer every `@connections` post with `410 GoneException`.
    pub gone_on_post: bool,
    /// Answer Bedrock calls with `429 ThrottlingException` before streaming.
    pub bedrock_throttle: bool,
    /// Send a `throttlingException` after this many streamed chunks.
    pub bedrock_throttle_after_chunks: Option<u32>,
    /// Send a `modelStreamErrorException` after this many streamed chunks.
    pub bedrock_fail_after_chunks: Option<u32>,
    /// Stop sending (but keep the stream open) after this many chunks.
    pub bedrock_stall_after_chunks: Option<u32>,
    /// Drop each WebSocket connection (without a close handshake) once this many messages
    /// have been delivered to it.
    pub drop_websocket_after_frames: Option<u32>,
}

/// The faults, shared between handlers and changeable at runtime.
#[derive(Debug, Clone, Default)]
pub struct SharedFaults(Arc<RwLock<Faults>>);

impl SharedFaults {
    /// Shares `faults`.
    pub fn new(faults: Faults) -> Self {
        Self(Arc::new(RwLock::new(faults)))
    }

    /// The faults in force now.
    pub fn current(&self) -> Faults {
        self.0.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Replaces the faults.
    pub fn set(&self, faults: Faults) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = faults;
    }
}

/// `GET /_devstack/faults`: the faults in force.
pub(crate) async fn get_faults(State(faults): State<SharedFaults>) -> Json<Faults> {
    Json(faults.current())
}

/// `POST /_devstack/faults` with a JSON [`Faults`]: replaces them (an empty object clears all).
pub(crate) async fn set_faults(
    State(shared): State<SharedFaults>,
    Json(faults): Json<Faults>,
) -> Json<Faults> {
    tracing::info!(?faults, "faults changed");
    shared.set(faults.clone());
    Json(faults)
}
