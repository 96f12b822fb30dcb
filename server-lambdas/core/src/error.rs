//! The errors the ports report: each says what failed in words a log reader can act on.

/// The connection store failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("connection store: {0}")]
pub struct StoreError(pub String);

/// Posting a frame to a connection failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    /// The connection is closed (`410 GoneException`).
    #[error("connection {0} is gone")]
    Gone(String),
    /// The message is larger than the API allows (`413`).
    #[error("message too large for the connection: {0}")]
    TooLarge(String),
    /// Any other failure (throttling, network, permissions).
    #[error("posting to the connection failed: {0}")]
    Failed(String),
}

/// How the model call failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelErrorKind {
    /// Too many requests (`ThrottlingException`); worth retrying later.
    Throttled,
    /// The model or service is temporarily unavailable or timed out.
    Unavailable,
    /// The request was refused (validation, access, unknown model).
    Rejected,
    /// Anything else, including a failure in the middle of the stream.
    Failed,
}

/// The model call failed, before or during the stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("model {kind:?}: {message}")]
pub struct ModelError {
    /// What kind of failure.
    pub kind: ModelErrorKind,
    /// The service's message.
    pub message: String,
}

impl ModelError {
    /// A model error of `kind`.
    pub fn new(kind: ModelErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into() }
    }

    /// A sentence for the visitor saying what happened, without internals.
    pub fn visitor_message(&self) -> &'static str {
        match self.kind {
            ModelErrorKind::Throttled => {
                "The assistant is busy right now (too many requests). Please try again in a moment."
            }
            ModelErrorKind::Unavailable => {
                "The assistant is temporarily unavailable. Please try again in a moment."
            }
            ModelErrorKind::Rejected => "The assistant could not answer this request.",
            ModelErrorKind::Failed => "The assistant stopped unexpectedly while answering.",
        }
    }
}
