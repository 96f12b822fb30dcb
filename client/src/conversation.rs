//! The conversation as the view subscribes to it: the transcript in one signal that changes when
//! a reply changes state, and stream listeners called when a streaming reply's text changes — so
//! a streamed frame wakes that reply only, not the log, the status line or the stop button, and
//! costs no reactive work (frames can come thousands a second; a listener only marks its reply
//! for the next paint).

use leptos::prelude::*;
use lexstream_protocol::Incoming;

use crate::transcript::{Change, Transcript};

/// Called when what a streaming reply shows may have changed (text, progress line, error).
type StreamListener = Box<dyn Fn() + Send + Sync>;

/// The transcript and its stream listeners; cheap to copy into closures.
#[derive(Clone, Copy)]
pub struct Conversation {
    /// The conversation; notified when an entry is added or a reply changes state.
    pub transcript: RwSignal<Transcript>,
    listeners: StoredValue<Vec<(u64, StreamListener)>>,
    next_listener: StoredValue<u64>,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation").field("transcript", &self.transcript).finish_non_exhaustive()
    }
}

impl Conversation {
    /// A conversation starting as `transcript`.
    pub fn new(transcript: Transcript) -> Self {
        Self {
            transcript: RwSignal::new(transcript),
            listeners: StoredValue::new(Vec::new()),
            next_listener: StoredValue::new(0),
        }
    }

    /// Calls `listener` whenever streamed text may have changed, until the current reactive owner
    /// (the component that asked) is cleaned up.
    pub fn on_stream(self, listener: impl Fn() + Send + Sync + 'static) {
        let id = self.next_listener.try_update_value(|next| std::mem::replace(next, *next + 1)).unwrap_or(0);
        self.listeners.update_value(|listeners| listeners.push((id, Box::new(listener))));
        on_cleanup(move || {
            self.listeners.try_update_value(|listeners| listeners.retain(|(other, _)| *other != id));
        });
    }

    /// Runs on every streamed frame: no allocation, only the listeners' own (cheap) checks.
    fn wake_streams(self) {
        self.listeners.try_with_value(|listeners| listeners.iter().for_each(|(_, listener)| listener()));
    }

    /// Applies one message from the stream and wakes what it changed. Returns whether it ended
    /// a reply (the conversation should then be saved); `None` once the widget is gone.
    pub fn receive(self, incoming: Incoming) -> Option<bool> {
        let change = self.transcript.try_update_untracked(|t| t.on_incoming(incoming))?;
        match change {
            Change::Nothing => {}
            Change::Stream => self.wake_streams(),
            Change::Reply | Change::Finished => {
                self.transcript.notify();
                self.wake_streams();
            }
        }
        Some(change == Change::Finished)
    }
}
