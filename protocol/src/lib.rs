//! The shared vocabulary of Lexstream: everything the widget, the Lambdas and the devstack
//! must agree on, with no I/O and no platform dependency.
//!
//! A streamed answer travels as a sequence of small JSON [`Frame`]s (wire protocol v1), one per
//! WebSocket message (API Gateway) or per event (AppSync Events). Each frame names its `turn`
//! and carries a `seq` that starts at 0 and grows by one, so the receiver can put frames back in
//! order, drop duplicates and notice gaps — that is the job of [`StreamAssembler`]. Anything that
//! is not a v1 frame (a plain string from an unmodified fulfillment Lambda) is a legacy raw-text
//! chunk, shown as text and never interpreted as markup.
//!
//! ```
//! use lexstream_protocol::{parse_incoming, Incoming, StreamAssembler};
//!
//! let mut turn = StreamAssembler::new("t1");
//! // Frames may arrive out of order and more than once.
//! for raw in [
//!     r#"{"type":"chunk","turn":"t1","seq":1,"text":"world"}"#,
//!     r#"{"type":"chunk","turn":"t1","seq":0,"text":"Hello, "}"#,
//!     r#"{"type":"chunk","turn":"t1","seq":0,"text":"Hello, "}"#,
//!     r#"{"type":"done","turn":"t1","seq":2}"#,
//! ] {
//!     if let Incoming::Frame(frame) = parse_incoming(raw) {
//!         turn.accept(frame);
//!     }
//! }
//! assert_eq!(turn.text(), "Hello, world");
//! assert!(turn.is_complete());
//! ```
//!
//! The crate also holds the Amazon Lex V2 types ([`lex`]), the AWS AppSync Events messages
//! ([`appsync`]), the one allow-list bot markup is held to and, with the default `markdown`
//! feature, Markdown rendered without raw HTML ([`render`]); and, with `sigv4`, the AWS
//! Signature V4 signer and verifier the widget and the devstack share ([`sigv4`]). Every size and
//! rate visitors are held to is in one table ([`limits`]), checked by [`input_bounds`].
#![deny(missing_docs)]

pub mod appsync;
mod assembler;
pub mod calendar;
mod frame;
pub mod input_bounds;
pub mod lex;
pub mod limits;
pub mod render;
mod resume;
#[cfg(feature = "sigv4")]
pub mod sigv4;
mod split;
mod stop;
mod turn_id;
mod widget_request;

pub use assembler::{Accepted, StreamAssembler};
pub use frame::{Frame, FrameError, Incoming, parse_incoming};
pub use resume::{ResumeRequest, resume_request};
pub use split::{FrameLimitError, chunk_frames, mark_chunk_done, snapshot_frames, snapshot_frames_through};
pub use stop::{stop_request, stop_request_turn};
pub use turn_id::{MAX_TURN_ID_CHARS, TurnIdError, check_turn_id};
pub use widget_request::WidgetRequestError;
