//! How streamed frames reach the widget. Transports only deliver messages; the transcript
//! interprets them the same way whatever the transport.

pub mod appsync_events;
mod batch;
mod socket;
pub mod websocket;
