//! Visitors' identifiers in logs: a keyed hash in place of the value.
//!
//! An unauthenticated Cognito identity id is a bearer secret: with it alone,
//! `GetCredentialsForIdentity` hands out that visitor's AWS credentials. It is also the Lex session
//! id (or its prefix, `<identity>.<n>`), the key of the connection table's rows, and the user segment of
//! an AppSync channel. So no log line carries these values: they carry [`hashed`], the
//! HMAC-SHA256 of the value under a per-deployment key, cut to 64 bits of hex. The same visitor
//! has the same hash in every line of a deployment (a turn can be followed from `$connect` to the
//! answer), and a hash cannot be turned back into the identifier. Connection ids and turn ids
//! are not secrets (posting to a connection takes the deployment's IAM role) and are logged as
//! they are.
//!
//! The key ([`LogHashKey::from_lookup`], read once at cold start):
//! - **`LOG_HASH_KEY`**, a secret of at least 16 characters. Give every function of the
//!   deployment the same value: hashes then match across `ws-connect`, `lex-fulfillment`,
//!   `answer-worker` and `appsync-chat`, and nobody without the key can tell whether a given
//!   identity appears in the logs.
//! - Otherwise, on Lambda, a key derived from the function's name and region
//!   (`AWS_LAMBDA_FUNCTION_NAME`, `AWS_REGION`). It is stable across cold starts and instances
//!   of one function, but differs between functions (their hashes do not match), and it is **not
//!   secret** from whoever reads the logs (the log group is named after the function): the hashes
//!   still cannot be reversed (an identity id holds 122 random bits), but someone who already
//!   holds an identity id can check whether it appears.
//! - Elsewhere (the devstack, tests): a random key for the life of the process.

use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use lexstream_protocol::sigv4::hmac_sha256;

use crate::config::{ConfigError, Lookup, environment};

/// Shortest `LOG_HASH_KEY` accepted.
pub const MIN_KEY_CHARS: usize = 16;

/// Separates the uses of a key: a `LOG_HASH_KEY` shared with something else still gives hashes
/// of its own.
const DOMAIN: &[u8] = b"lexstream log hash v1";

/// Where the key came from (what a log reader may conclude from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySource {
    /// `LOG_HASH_KEY`: secret, shared by the functions that are given it.
    Configured,
    /// The function's name and region: stable for the function, known to log readers.
    FunctionIdentity,
    /// Random, for the life of the process.
    Random,
}

/// The key identifiers are hashed with.
#[derive(Clone)]
pub struct LogHashKey {
    key: [u8; 32],
    source: KeySource,
}

impl fmt::Debug for LogHashKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogHashKey").field("key", &"** redacted **").field("source", &self.source).finish()
    }
}

impl LogHashKey {
    /// The key from `LOG_HASH_KEY`, else from the Lambda function's name and region, else random
    /// (see the module's documentation). A `LOG_HASH_KEY` shorter than [`MIN_KEY_CHARS`] is an
    /// error.
    pub fn from_lookup(lookup: &impl Lookup) -> Result<Self, ConfigError> {
        if let Some(secret) = lookup("LOG_HASH_KEY") {
            if secret.chars().count() < MIN_KEY_CHARS {
                return Err(ConfigError::Invalid {
                    name: "LOG_HASH_KEY",
                    value: "(not shown)".to_owned(),
                    expected: "a secret of at least 16 characters",
                });
            }
            return Ok(Self { key: hmac_sha256(DOMAIN, secret.as_bytes()), source: KeySource::Configured });
        }
        match (lookup("AWS_LAMBDA_FUNCTION_NAME"), lookup("AWS_REGION")) {
            (Some(function), Some(region)) => {
                let material = format!("function\n{region}\n{function}");
                Ok(Self {
                    key: hmac_sha256(DOMAIN, material.as_bytes()),
                    source: KeySource::FunctionIdentity,
                })
            }
            _ => Ok(Self::random()),
        }
    }

    /// A random key: the standard library's hasher keys, which it seeds from the operating
    /// system's randomness, mixed into 256 bits.
    pub fn random() -> Self {
        let mut material = Vec::with_capacity(32);
        for part in 0u8..4 {
            material.extend_from_slice(&RandomState::new().hash_one(part).to_le_bytes());
        }
        Self { key: hmac_sha256(DOMAIN, &material), source: KeySource::Random }
    }

    /// Where the key came from.
    pub fn source(&self) -> KeySource {
        self.source
    }

    /// The hash of `identifier` under this key.
    pub fn hash(&self, identifier: &str) -> IdentifierHash {
        let mac = hmac_sha256(&self.key, identifier.as_bytes());
        let mut truncated = [0; 8];
        truncated.copy_from_slice(&mac[..8]);
        IdentifierHash(truncated)
    }
}

/// An identifier's hash as logged: 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdentifierHash([u8; 8]);

impl fmt::Display for IdentifierHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

/// The key of this process.
static KEY: OnceLock<LogHashKey> = OnceLock::new();

/// Makes `key` the one [`hashed`] uses; `false` if a key is already in use (the first one stays,
/// so a process never logs one identifier under two hashes).
pub fn install(key: LogHashKey) -> bool {
    KEY.set(key).is_ok()
}

/// The key in use: the installed one, or else one read from the environment on first use (an
/// unusable `LOG_HASH_KEY` there gives a random key, with a warning).
fn key() -> &'static LogHashKey {
    KEY.get_or_init(|| {
        LogHashKey::from_lookup(&environment).unwrap_or_else(|error| {
            tracing::warn!(%error, "log hashes use a random key instead");
            LogHashKey::random()
        })
    })
}

/// What to log in place of a session id, an identity id or a channel holding one.
///
/// ```
/// use lexstream_lambda_core::log_hash::hashed;
/// let session = "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";
/// let logged = hashed(session).to_string();
/// assert_eq!(logged.len(), 16);
/// assert_eq!(logged, hashed(session).to_string(), "stable, so log lines correlate");
/// assert!(!logged.contains("7f3c9a2e"));
/// ```
pub fn hashed(identifier: &str) -> IdentifierHash {
    key().hash(identifier)
}

/// Says, once at cold start, which key this process hashes with and what that means.
pub fn log_key_source() {
    match key().source() {
        KeySource::Configured => tracing::info!("identifiers in logs are hashed with LOG_HASH_KEY"),
        KeySource::FunctionIdentity => tracing::warn!(
            "LOG_HASH_KEY is not set: identifiers in logs are hashed with a key derived from this \
             function's name and region, which log readers know and other functions do not share; \
             set LOG_HASH_KEY (the same secret for every function) to correlate and protect them"
        ),
        KeySource::Random => {
            tracing::info!("identifiers in logs are hashed with a random key for this process");
        }
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

    const IDENTITY: &str = "us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c37";

    #[test]
    fn a_configured_key_gives_the_same_hash_in_every_function() {
        let secret = ("LOG_HASH_KEY", "a-deployment-secret-of-some-length");
        let connect =
            LogHashKey::from_lookup(&lookup(&[secret, ("AWS_LAMBDA_FUNCTION_NAME", "ws-connect")])).unwrap();
        let fulfillment =
            LogHashKey::from_lookup(&lookup(&[secret, ("AWS_LAMBDA_FUNCTION_NAME", "lex-fulfillment")]))
                .unwrap();
        assert_eq!(connect.source(), KeySource::Configured);
        assert_eq!(connect.hash(IDENTITY), fulfillment.hash(IDENTITY));
        let other =
            LogHashKey::from_lookup(&lookup(&[("LOG_HASH_KEY", "another-deployment-secret")])).unwrap();
        assert_ne!(connect.hash(IDENTITY), other.hash(IDENTITY), "deployments do not correlate");
        assert_ne!(connect.hash(IDENTITY), connect.hash("us-east-1:7f3c9a2e-5b1d-4c8e-9f00-2a6b4d1e8c38"));
    }

    #[test]
    fn without_a_key_a_lambda_derives_one_from_its_name_and_region() {
        let function = [("AWS_LAMBDA_FUNCTION_NAME", "lexstream-ws-connect"), ("AWS_REGION", "eu-west-1")];
        let first = LogHashKey::from_lookup(&lookup(&function)).unwrap();
        let cold_start_again = LogHashKey::from_lookup(&lookup(&function)).unwrap();
        assert_eq!(first.source(), KeySource::FunctionIdentity);
        assert_eq!(first.hash(IDENTITY), cold_start_again.hash(IDENTITY), "stable across instances");
        let elsewhere = LogHashKey::from_lookup(&lookup(&[])).unwrap();
        assert_eq!(elsewhere.source(), KeySource::Random);
        assert_ne!(elsewhere.hash(IDENTITY), LogHashKey::random().hash(IDENTITY));
    }

    #[test]
    fn a_short_key_is_refused_without_showing_it() {
        let error = LogHashKey::from_lookup(&lookup(&[("LOG_HASH_KEY", "short-secret")])).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("LOG_HASH_KEY") && message.contains("16"), "{message}");
        assert!(!message.contains("short-secret"), "{message}");
        assert!(!format!("{:?}", LogHashKey::random()).contains("key: ["), "the key never prints");
    }

    #[test]
    fn a_hash_is_sixteen_hex_digits() {
        let logged = LogHashKey::random().hash(IDENTITY).to_string();
        assert_eq!(logged.len(), 16);
        assert!(logged.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{logged}");
    }
}
