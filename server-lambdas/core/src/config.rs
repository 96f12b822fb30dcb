//! Lambda settings, read once at cold start from the environment, with errors that name the
//! variable and say what it should hold.

use std::time::Duration;

use lexstream_protocol::lex::{MessageContentType, StageEndpoint};
use lexstream_protocol::limits::{
    DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE, DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE,
};

/// A setting is missing or unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("environment variable {name} is required: {meaning}")]
    Missing {
        /// The variable.
        name: &'static str,
        /// What it should hold.
        meaning: &'static str,
    },
    /// A variable's value cannot be used.
    #[error("environment variable {name}={value:?} is invalid: expected {expected}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// What it holds.
        value: String,
        /// What it should hold.
        expected: &'static str,
    },
}

/// Reads variables; `std::env::var` in production, a map in tests.
pub trait Lookup: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Lookup for F {}

/// The process environment as a [`Lookup`].
pub fn environment(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.trim().is_empty())
}

fn required(lookup: &impl Lookup, name: &'static str, meaning: &'static str) -> Result<String, ConfigError> {
    lookup(name).ok_or(ConfigError::Missing { name, meaning })
}

fn parsed<T: std::str::FromStr>(
    lookup: &impl Lookup,
    name: &'static str,
    default: T,
    expected: &'static str,
) -> Result<T, ConfigError> {
    match lookup(name) {
        None => Ok(default),
        Some(value) => value.trim().parse().map_err(|_| ConfigError::Invalid { name, value, expected }),
    }
}

/// A per-minute limit: a whole number, `0` meaning no limit.
fn per_minute(lookup: &impl Lookup, name: &'static str, default: u32) -> Result<u32, ConfigError> {
    parsed(lookup, name, default, "a whole number per minute (0: no limit)")
}

fn positive_seconds(lookup: &impl Lookup, name: &'static str, default: i64) -> Result<i64, ConfigError> {
    let expected = "a positive number of seconds";
    let seconds = parsed(lookup, name, default, expected)?;
    if seconds > 0 {
        Ok(seconds)
    } else {
        Err(ConfigError::Invalid { name, value: seconds.to_string(), expected })
    }
}

/// How `$connect` ties a sessionId to the caller's Cognito identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionBinding {
    /// `require-identity` (default): the connection must carry a Cognito identity (IAM auth on
    /// `$connect`) and the sessionId must be that identity id, or it followed by `.suffix`.
    RequireIdentity,
    /// `when-present`: bind as above when an identity is present; accept anonymous connections
    /// (an API without IAM auth, as the Lex Web UI deploys it).
    WhenPresent,
    /// `off`: any valid sessionId is accepted. Anyone who knows a sessionId can read its stream.
    Off,
}

impl std::str::FromStr for SessionBinding {
    type Err = ();
    fn from_str(value: &str) -> Result<Self, ()> {
        match value {
            "require-identity" => Ok(Self::RequireIdentity),
            "when-present" => Ok(Self::WhenPresent),
            "off" => Ok(Self::Off),
            _ => Err(()),
        }
    }
}

/// Settings of the `ws-connect` Lambda.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectConfig {
    /// `CONNECTIONS_TABLE`: the DynamoDB table (key `sessionId`).
    pub table_name: String,
    /// `SESSION_BINDING`: `require-identity` (default), `when-present` or `off`.
    pub session_binding: SessionBinding,
    /// `CONNECTION_TTL_SECONDS`: row lifetime (default 7500: API Gateway's 2 h cap plus margin).
    pub ttl_seconds: i64,
    /// `CONNECTS_PER_IDENTITY_PER_MINUTE`: `$connect`s one Cognito identity (or, without one,
    /// one source IP) may make per minute; more are refused with 429 (default 20; 0: no limit).
    pub connects_per_minute: u32,
}

impl ConnectConfig {
    /// Reads the settings; an error names the variable.
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required(
                &lookup,
                "CONNECTIONS_TABLE",
                "the DynamoDB table mapping sessionId to connectionId",
            )?,
            session_binding: parsed(
                &lookup,
                "SESSION_BINDING",
                SessionBinding::RequireIdentity,
                "require-identity, when-present or off",
            )?,
            ttl_seconds: parsed(&lookup, "CONNECTION_TTL_SECONDS", 7500, "a number of seconds")?,
            connects_per_minute: per_minute(
                &lookup,
                "CONNECTS_PER_IDENTITY_PER_MINUTE",
                DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE,
            )?,
        })
    }
}

/// Which model to call and how; the `lex-fulfillment` and `appsync-chat` Lambdas share them.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelSettings {
    /// `BEDROCK_MODEL_ID`: the model or inference profile to call.
    pub model_id: String,
    /// `SYSTEM_PROMPT`: the system prompt (default: a short helpful-assistant prompt).
    pub system_prompt: String,
    /// `MAX_TOKENS` (default 1024).
    pub max_tokens: u32,
    /// `TEMPERATURE` (default 0.5).
    pub temperature: f32,
    /// `STREAM_DEADLINE_SECONDS`: stop generating and answer with what exists after this long
    /// (default 25, under Lex's code-hook timeout).
    pub deadline: Duration,
}

impl ModelSettings {
    /// Reads the settings; an error names the variable.
    pub fn from_lookup(lookup: &impl Lookup) -> Result<Self, ConfigError> {
        Ok(Self {
            model_id: required(lookup, "BEDROCK_MODEL_ID", "the Bedrock model or inference profile id")?,
            system_prompt: lookup("SYSTEM_PROMPT").unwrap_or_else(|| DEFAULT_SYSTEM_PROMPT.to_owned()),
            max_tokens: parsed(lookup, "MAX_TOKENS", 1024, "a positive integer")?,
            temperature: parsed(lookup, "TEMPERATURE", 0.5, "a number between 0 and 1")?,
            deadline: Duration::from_secs(parsed(
                lookup,
                "STREAM_DEADLINE_SECONDS",
                25,
                "a number of seconds",
            )?),
        })
    }
}

/// Settings of the `lex-fulfillment` Lambda.
#[derive(Debug, Clone, PartialEq)]
pub struct FulfillmentConfig {
    /// The model and how to call it.
    pub model: ModelSettings,
    /// `ANSWER_CONTENT_TYPE`: `CustomPayload` (default; Markdown the widget renders) or `PlainText`.
    pub answer_content_type: MessageContentType,
    /// `HISTORY_MAX_BYTES`: most bytes (of JSON) of a session's recent turns kept in the table and
    /// sent to the model (default 6000).
    pub history_max_bytes: usize,
    /// `TURN_TTL_SECONDS`: how long turn records and session histories stay in the table
    /// (default 86400, a day).
    pub turn_ttl_seconds: i64,
    /// `STREAMING_TABLE`: the only table the `streamingDynamoDbTable` session attribute may name
    /// (session attributes come from the client), and the table connections are read from and
    /// turn records and histories kept in. Unset: no streaming, no records, no history.
    pub allowed_table: Option<String>,
    /// `STREAMING_ENDPOINT`: the WebSocket API stage frames are posted to (its `wss://` or
    /// `https://` URL; plain `ws://`/`http://` only for a loopback host), which `streamingEndpoint`
    /// must name. Unset: no streaming ([`crate::streaming_target`]).
    pub allowed_endpoint: Option<StageEndpoint>,
    /// `ANSWER_MODE` and `ANSWER_WORKER_FUNCTION`: whether answers are generated in the
    /// fulfillment or handed to the `answer-worker` Lambda.
    pub answer_mode: AnswerMode,
    /// `MAX_ANSWER_SECONDS`: how long the answer worker may generate (default 840, under
    /// Lambda's 15-minute limit).
    pub max_answer: Duration,
    /// `ANSWERS_PER_IDENTITY_PER_MINUTE`: answers one identity (a session id up to its first
    /// `.`) may get per minute; more get a polite refusal (default 10; 0: no limit). Like the
    /// one-answer-in-flight rule, it needs `STREAMING_TABLE`, where its counters live.
    pub answers_per_minute: u32,
}

/// Where answers are generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnswerMode {
    /// `sync`: in the fulfillment, within Lex's code-hook time (`STREAM_DEADLINE_SECONDS`).
    Sync,
    /// `async`: a streamed answer is handed to the worker Lambda (invoked with
    /// `InvocationType=Event`), which streams it to the end; the fulfillment answers Lex at once.
    /// Answers without a stream stay synchronous.
    Async {
        /// `ANSWER_WORKER_FUNCTION`: the worker's name or ARN.
        worker_function: String,
    },
}

impl AnswerMode {
    /// `ANSWER_MODE` (`sync`, `async` or `auto`, the default): `auto` is `async` when
    /// `ANSWER_WORKER_FUNCTION` is set, `sync` otherwise; `async` without a worker is an error.
    fn from_lookup(lookup: &impl Lookup) -> Result<Self, ConfigError> {
        let worker = lookup("ANSWER_WORKER_FUNCTION").filter(|name| !name.is_empty());
        match (lookup("ANSWER_MODE").as_deref().unwrap_or("auto"), worker) {
            ("sync", _) | ("auto", None) => Ok(Self::Sync),
            ("async" | "auto", Some(worker_function)) => Ok(Self::Async { worker_function }),
            ("async", None) => Err(ConfigError::Missing {
                name: "ANSWER_WORKER_FUNCTION",
                meaning: "the answer-worker Lambda's name, which ANSWER_MODE=async hands answers to",
            }),
            (other, _) => Err(ConfigError::Invalid {
                name: "ANSWER_MODE",
                value: other.to_owned(),
                expected: "sync, async or auto",
            }),
        }
    }
}

/// The system prompt used when `SYSTEM_PROMPT` is not set.
pub const DEFAULT_SYSTEM_PROMPT: &str =
    "You are a helpful assistant on a company website. Answer concisely in Markdown.";

impl FulfillmentConfig {
    /// Reads the settings; an error names the variable.
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        let answer_content_type = match lookup("ANSWER_CONTENT_TYPE").as_deref() {
            None | Some("CustomPayload") => MessageContentType::CustomPayload,
            Some("PlainText") => MessageContentType::PlainText,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "ANSWER_CONTENT_TYPE",
                    value: other.to_owned(),
                    expected: "CustomPayload or PlainText",
                });
            }
        };
        let allowed_endpoint = lookup("STREAMING_ENDPOINT")
            .map(|url| {
                StageEndpoint::configured(&url).map_err(|_| ConfigError::Invalid {
                    name: "STREAMING_ENDPOINT",
                    value: url,
                    expected: "the WebSocket API stage URL, wss:// or https:// (ws:// or http:// only for a loopback host), without user info, query or fragment",
                })
            })
            .transpose()?;
        let config = Self {
            model: ModelSettings::from_lookup(&lookup)?,
            answer_content_type,
            history_max_bytes: parsed(&lookup, "HISTORY_MAX_BYTES", 6000, "a number of bytes")?,
            turn_ttl_seconds: positive_seconds(
                &lookup,
                "TURN_TTL_SECONDS",
                crate::turns::DEFAULT_TURN_TTL_SECONDS,
            )?,
            allowed_table: lookup("STREAMING_TABLE"),
            allowed_endpoint,
            answer_mode: AnswerMode::from_lookup(&lookup)?,
            max_answer: Duration::from_secs(parsed(
                &lookup,
                "MAX_ANSWER_SECONDS",
                840,
                "a number of seconds",
            )?),
            answers_per_minute: per_minute(
                &lookup,
                "ANSWERS_PER_IDENTITY_PER_MINUTE",
                DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE,
            )?,
        };
        crate::streaming_target::explain_if_streaming_is_off(&config);
        Ok(config)
    }
}

/// How the AppSync Events API is called to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishAuth {
    /// `APPSYNC_API_KEY` is set: the `x-api-key` header.
    ApiKey(String),
    /// Otherwise: SigV4 (service `appsync`) with the Lambda's role.
    Iam,
}

/// Settings of the `appsync-chat` Lambda.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatConfig {
    /// The model and how to call it.
    pub model: ModelSettings,
    /// `APPSYNC_HTTP_ENDPOINT`: the Event API's HTTP endpoint (`https://<id>.appsync-api.<region>.amazonaws.com/event`).
    pub publish_endpoint: String,
    /// `APPSYNC_API_KEY` (API key auth) or nothing (IAM).
    pub publish_auth: PublishAuth,
    /// `APPSYNC_NAMESPACE`: the channel namespace (default `chat`); answers go to `/<namespace>/<userId>`.
    pub namespace: String,
    /// `USER_BINDING`: `require-identity` (default; the caller's Cognito identity must own the
    /// `userId`), `when-present` or `off`.
    pub user_binding: SessionBinding,
    /// `LIMITS_TABLE`: the table the answers-per-minute counters live in (the connection table);
    /// without it, `/chat` answers are not counted.
    pub limits_table: Option<String>,
    /// `ANSWERS_PER_IDENTITY_PER_MINUTE`: as for the Lex fulfillment, and counted with it
    /// (default 10; 0: no limit).
    pub answers_per_minute: u32,
}

impl ChatConfig {
    /// Reads the settings; an error names the variable.
    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        let namespace = lookup("APPSYNC_NAMESPACE").unwrap_or_else(|| "chat".to_owned());
        if lexstream_protocol::appsync::validate_segment(&namespace).is_err() {
            return Err(ConfigError::Invalid {
                name: "APPSYNC_NAMESPACE",
                value: namespace,
                expected: "a channel segment: 1-50 letters, digits or '-'",
            });
        }
        Ok(Self {
            model: ModelSettings::from_lookup(&lookup)?,
            publish_endpoint: required(
                &lookup,
                "APPSYNC_HTTP_ENDPOINT",
                "the Event API's HTTP endpoint, ending in /event",
            )?,
            publish_auth: lookup("APPSYNC_API_KEY").map_or(PublishAuth::Iam, PublishAuth::ApiKey),
            namespace,
            user_binding: parsed(
                &lookup,
                "USER_BINDING",
                SessionBinding::RequireIdentity,
                "require-identity, when-present or off",
            )?,
            limits_table: lookup("LIMITS_TABLE"),
            answers_per_minute: per_minute(
                &lookup,
                "ANSWERS_PER_IDENTITY_PER_MINUTE",
                DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE,
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Lookup {
        let map: HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name: &str| map.get(name).cloned()
    }

    #[test]
    fn missing_required_values_are_named() {
        let error = ConnectConfig::from_lookup(lookup(&[])).unwrap_err();
        assert!(error.to_string().contains("CONNECTIONS_TABLE"), "{error}");
        let error = FulfillmentConfig::from_lookup(lookup(&[])).unwrap_err();
        assert!(error.to_string().contains("BEDROCK_MODEL_ID"), "{error}");
    }

    #[test]
    fn the_answer_mode_is_async_only_with_a_worker() {
        let model = ("BEDROCK_MODEL_ID", "m");
        let read =
            |pairs: &[(&str, &str)]| FulfillmentConfig::from_lookup(lookup(pairs)).map(|c| c.answer_mode);
        assert_eq!(read(&[model]).unwrap(), AnswerMode::Sync);
        let worker = ("ANSWER_WORKER_FUNCTION", "lexstream-answer-worker");
        let expected = AnswerMode::Async { worker_function: "lexstream-answer-worker".into() };
        assert_eq!(read(&[model, worker]).unwrap(), expected);
        assert_eq!(read(&[model, worker, ("ANSWER_MODE", "async")]).unwrap(), expected);
        assert_eq!(read(&[model, worker, ("ANSWER_MODE", "sync")]).unwrap(), AnswerMode::Sync);
        let error = read(&[model, ("ANSWER_MODE", "async")]).unwrap_err();
        assert!(error.to_string().contains("ANSWER_WORKER_FUNCTION"), "{error}");
        let error = read(&[model, ("ANSWER_MODE", "later")]).unwrap_err();
        assert!(error.to_string().contains("sync, async or auto"), "{error}");
    }

    #[test]
    fn invalid_values_say_what_is_expected() {
        let error =
            ConnectConfig::from_lookup(lookup(&[("CONNECTIONS_TABLE", "t"), ("SESSION_BINDING", "maybe")]))
                .unwrap_err();
        assert_eq!(
            error.to_string(),
            "environment variable SESSION_BINDING=\"maybe\" is invalid: expected require-identity, when-present or off"
        );
        let error =
            FulfillmentConfig::from_lookup(lookup(&[("BEDROCK_MODEL_ID", "m"), ("MAX_TOKENS", "lots")]))
                .unwrap_err();
        assert!(error.to_string().contains("MAX_TOKENS"), "{error}");
    }

    #[test]
    fn per_minute_limits_are_whole_numbers_and_zero_turns_them_off() {
        let read = |value: &str| {
            ConnectConfig::from_lookup(lookup(&[
                ("CONNECTIONS_TABLE", "t"),
                ("CONNECTS_PER_IDENTITY_PER_MINUTE", value),
            ]))
        };
        assert_eq!(read("0").unwrap().connects_per_minute, 0);
        assert_eq!(read("5").unwrap().connects_per_minute, 5);
        let error = read("-1").unwrap_err();
        assert!(error.to_string().contains("CONNECTS_PER_IDENTITY_PER_MINUTE"), "{error}");
        let error = FulfillmentConfig::from_lookup(lookup(&[
            ("BEDROCK_MODEL_ID", "m"),
            ("ANSWERS_PER_IDENTITY_PER_MINUTE", "many"),
        ]))
        .unwrap_err();
        assert!(error.to_string().contains("0: no limit"), "{error}");
    }

    #[test]
    fn defaults_are_safe() {
        let connect = ConnectConfig::from_lookup(lookup(&[("CONNECTIONS_TABLE", "t")])).unwrap();
        assert_eq!(connect.session_binding, SessionBinding::RequireIdentity);
        let fulfillment = FulfillmentConfig::from_lookup(lookup(&[("BEDROCK_MODEL_ID", "m")])).unwrap();
        assert_eq!(fulfillment.answer_content_type, MessageContentType::CustomPayload);
        assert_eq!(fulfillment.model.deadline, Duration::from_secs(25));
        assert_eq!(fulfillment.turn_ttl_seconds, 86_400);
        assert_eq!(fulfillment.answers_per_minute, DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE);
        assert_eq!(connect.connects_per_minute, DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE);
        let error =
            FulfillmentConfig::from_lookup(lookup(&[("BEDROCK_MODEL_ID", "m"), ("TURN_TTL_SECONDS", "0")]))
                .unwrap_err();
        assert!(error.to_string().contains("TURN_TTL_SECONDS"), "{error}");
    }
}
