//! What can go wrong calling a service from the browser, and what the visitor reads about it.

use crate::strings::{Strings, Text};

/// The services the widget calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Cognito identity (sign-in).
    Cognito,
    /// Cognito identity refusing a signed-in visitor's login (`NotAuthorizedException`).
    SignIn,
    /// Lex V2 `RecognizeText`.
    Lex,
    /// The AppSync flow's `POST /chat`, whose error messages are written for visitors.
    ChatApi,
}

impl std::fmt::Display for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Cognito => "Cognito",
            Self::SignIn => "Cognito (the login)",
            Self::Lex => "the bot",
            Self::ChatApi => "the chat API",
        })
    }
}

/// A failed call: the developer's description (`Display`, for the console) and the visitor's
/// ([`visitor_message`](Self::visitor_message)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The request never got an answer (offline, blocked, DNS, CORS).
    #[error("could not reach {service} ({detail})")]
    Unreachable {
        /// Which service.
        service: Service,
        /// The browser's reason.
        detail: String,
    },
    /// The service answered with an error status.
    #[error("{service} refused ({status}): {message}")]
    Refused {
        /// Which service.
        service: Service,
        /// The HTTP status.
        status: u16,
        /// The service's own message.
        message: String,
    },
    /// The service answered, but not in a form the widget understands.
    #[error("{service}'s answer was unreadable: {detail}")]
    Unreadable {
        /// Which service.
        service: Service,
        /// What was wrong with it.
        detail: String,
    },
}

impl ServiceError {
    /// What the visitor reads: the chat API's own message (it is written for them), a request
    /// to wait when throttled, a request to sign in again when Cognito refuses their login,
    /// otherwise a plain apology that says whether the network is to
    /// blame.
    pub fn visitor_message(&self, strings: Strings) -> String {
        match self {
            Self::Refused { status: 429, .. } => strings.get(Text::Busy).to_owned(),
            Self::Refused { service: Service::ChatApi, message, .. } if !message.trim().is_empty() => {
                strings.get(Text::Refused).replace("{message}", message.trim())
            }
            Self::Unreachable { .. } => strings.get(Text::Unreachable).to_owned(),
            Self::Refused { service: Service::SignIn, .. } => strings.get(Text::SignInRefused).to_owned(),
            Self::Refused { .. } | Self::Unreadable { .. } => strings.get(Text::CouldNotAnswer).to_owned(),
        }
    }

    /// A refusal with `status` and the `message` field of a JSON error body (or the body).
    pub(crate) fn refused(service: Service, status: u16, body: &str) -> Self {
        let message = serde_json::from_str::<serde_json::Value>(body)
            .ok()
            .and_then(|value| value["message"].as_str().or(value["Message"].as_str()).map(str::to_owned))
            .unwrap_or_else(|| body.to_owned());
        Self::Refused { service, status, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chat_apis_own_message_reaches_the_visitor() {
        let error = ServiceError::refused(Service::ChatApi, 400, r#"{"message":"the prompt is too long"}"#);
        assert_eq!(error.visitor_message(Strings::default()), "Sorry — the prompt is too long");
        assert_eq!(error.to_string(), "the chat API refused (400): the prompt is too long");
    }

    #[test]
    fn lex_internals_are_not_shown_but_throttling_and_the_network_are_named() {
        let lex = ServiceError::refused(Service::Lex, 400, r#"{"message":"Invalid bot alias ARN x"}"#);
        assert!(!lex.visitor_message(Strings::default()).contains("ARN"));
        let busy = ServiceError::refused(Service::ChatApi, 429, "Too Many Requests");
        assert!(busy.visitor_message(Strings::default()).contains("busy"));
        let offline = ServiceError::Unreachable { service: Service::Lex, detail: "TypeError".into() };
        assert!(offline.visitor_message(Strings::default()).contains("connection"));
    }

    #[test]
    fn a_refused_login_asks_the_visitor_to_sign_in_again_but_an_anonymous_refusal_does_not() {
        let body = r#"{"__type":"NotAuthorizedException","message":"Invalid login token. Token expired"}"#;
        let login = ServiceError::refused(Service::SignIn, 400, body);
        assert!(login.visitor_message(Strings::default()).contains("sign in again"));
        assert!(login.to_string().contains("Invalid login token"), "the console keeps Cognito's reason");
        let anonymous = ServiceError::refused(Service::Cognito, 400, body);
        assert!(!anonymous.visitor_message(Strings::default()).contains("sign in"));
    }
}
