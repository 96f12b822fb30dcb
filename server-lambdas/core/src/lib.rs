//! The core of Lexstream's Lambdas, shared by the `ws-connect`, `lex-fulfillment` and
//! `appsync-chat` binaries
//! (and called in-process by the devstack).
//!
//! Handlers are plain async functions, generic over narrow ports ([`ports`]): a connection
//! store (DynamoDB in production), a pusher (API Gateway's `@connections`) and a model stream
//! (Bedrock `ConverseStream`). The [`aws`] module adapts the real AWS SDK clients to those
//! ports; [`memory`] holds in-process adapters for the devstack and tests.
//!
//! The streaming path is the [`relay`]: it reads the model and posts to the visitor in two
//! concurrent loops joined by a channel, so while one post is in flight new text accumulates and
//! leaves as one coalesced frame — a stream takes the model's generation time plus about one
//! post round trip, however many chunks the model produces.

pub mod answer_admission;
pub mod appsync_chat;
pub mod aws;
pub mod config;
pub mod connect;
mod error;
pub mod fulfillment;
pub mod history;
pub mod log_hash;
pub mod logging;
pub mod memory;
pub mod ports;
pub mod relay;
pub mod resume;
pub mod session_id;
pub mod streaming_target;
pub mod testing;
pub mod turns;
pub mod visitor_limits;
pub mod worker;

pub use error::{ModelError, ModelErrorKind, PushError, StoreError};
