//! The conversation as the view subscribes to it: the transcript in one signal that changes when
//! a reply changes state, and a trigger that fires when a streaming reply's text changes — so a
//! streamed frame wakes that reply only, not the log, the status line or the stop button.

use leptos::prelude::*;
use lexstream_protocol::Incoming;

use crate::transcript::{Change, Transcript};

/// The transcript and its stream trigger; cheap to copy into closures.
#[derive(Debug, Clone, Copy)]
pub struct Conversation {
    /// The conversation; notified when an entry is added or a reply changes state.
    pub transcript: RwSignal<Transcript>,
    /// Fires when what a streaming reply shows changed (text, progress line, stream error).
    pub streamed: Trigger,
}

impl Conversation {
    /// A conversation starting as `transcript`.
    pub fn new(transcript: Transcript) -> Self {
        Self { transcript: RwSignal::new(transcript), streamed: Trigger::new() }
    }

    /// Applies one message from the stream and wakes what it changed. Returns whether it ended
    /// a reply (the conversation should then be saved); `None` once the widget is gone.
    pub fn receive(self, incoming: Incoming) -> Option<bool> {
        let change = self.transcript.try_update_untracked(|t| t.on_incoming(incoming))?;
        match change {
            Change::Nothing => {}
            Change::Stream => self.streamed.notify(),
            Change::Reply | Change::Finished => {
                self.transcript.notify();
                self.streamed.notify();
            }
        }
        Some(change == Change::Finished)
    }
}
