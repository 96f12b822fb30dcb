//! Who may call the devstack: temporary credentials issued to Cognito identities, and the
//! static credentials the in-process Lambdas and local SDK clients use.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use lexstream_protocol::sigv4::{self, Scope};

/// The access key of the credentials the devstack's own Lambdas and local SDK clients sign with
/// (`lexstream_lambda_core::aws::local_sdk_config`).
pub const SERVICE_ACCESS_KEY: &str = "lexstream-local";
/// Its secret.
pub const SERVICE_SECRET_KEY: &str = "lexstream-local-secret";

/// How long issued credentials stay valid (Cognito issues one hour).
pub const CREDENTIALS_LIFETIME_SECS: i64 = 3600;

/// Credentials the devstack issued or knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownKey {
    /// The secret access key.
    pub secret: String,
    /// The session token that must accompany it, for temporary credentials.
    pub session_token: Option<String>,
    /// The Cognito identity they were issued to (none for service credentials).
    pub identity_id: Option<String>,
    /// When they expire (epoch seconds), if they do.
    pub expires_at: Option<i64>,
}

/// Temporary credentials issued to an identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCredentials {
    /// Access key id (`ASIA…`).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_key: String,
    /// Session token.
    pub session_token: String,
    /// Expiry, epoch seconds.
    pub expires_at: i64,
}

#[derive(Debug, Default)]
struct Registry {
    /// Identity id → identity pool id.
    identities: HashMap<String, String>,
    /// Identity id → the provider and subject of a signed-in visitor's identity.
    logins: HashMap<String, (String, String)>,
    /// (pool, provider, subject) → the identity of that signed-in visitor in that pool.
    identity_by_login: HashMap<(String, String, String), String>,
    /// Access key id → what it is.
    keys: HashMap<String, Arc<KnownKey>>,
    /// Access key id → the signing keys derived from its secret, by date and scope.
    signing_keys: HashMap<String, Vec<DerivedKey>>,
}

/// A SigV4 signing key derived for one date and scope.
#[derive(Debug)]
struct DerivedKey {
    date: String,
    region: String,
    service: String,
    key: [u8; 32],
}

/// How many (date, scope) signing keys are kept per access key: the service credentials sign for a
/// few services a day; a visitor's for one or two.
const SIGNING_KEYS_PER_ACCESS_KEY: usize = 8;

/// The identities and keys, shared by clones.
#[derive(Debug, Clone)]
pub struct Identities {
    registry: Arc<Mutex<Registry>>,
    oidc: Arc<crate::oidc::OidcProvider>,
}

impl Default for Identities {
    fn default() -> Self {
        let identities = Self { registry: Arc::default(), oidc: Arc::default() };
        identities.registry().keys.insert(
            SERVICE_ACCESS_KEY.to_owned(),
            Arc::new(KnownKey {
                secret: SERVICE_SECRET_KEY.to_owned(),
                session_token: None,
                identity_id: None,
                expires_at: None,
            }),
        );
        identities
    }
}

fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buffer = Vec::with_capacity(bytes + 16);
    while buffer.len() < bytes {
        buffer.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    buffer.truncate(bytes);
    base64::engine::general_purpose::STANDARD.encode(buffer)
}

/// A fresh API Gateway-style connection id (e.g. `L0SM9cOFvHcCIhw=`).
pub fn new_connection_id() -> String {
    random_token(11)
}

impl Identities {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates an identity in `pool_id` (`region:guid`); returns its id (`region:uuid`).
    pub fn create_identity(&self, pool_id: &str) -> String {
        let region = pool_id.split(':').next().unwrap_or("us-east-1");
        let identity_id = format!("{region}:{}", uuid::Uuid::new_v4());
        self.registry().identities.insert(identity_id.clone(), pool_id.to_owned());
        identity_id
    }

    /// The identity of the visitor `subject` signed in with `provider`, in `pool_id`: the same on
    /// every call (every device), created on the first.
    pub fn identity_for_login(&self, pool_id: &str, provider: &str, subject: &str) -> String {
        let login = (pool_id.to_owned(), provider.to_owned(), subject.to_owned());
        if let Some(identity_id) = self.registry().identity_by_login.get(&login) {
            return identity_id.clone();
        }
        let identity_id = self.create_identity(pool_id);
        let mut registry = self.registry();
        registry.logins.insert(identity_id.clone(), (provider.to_owned(), subject.to_owned()));
        registry.identity_by_login.insert(login, identity_id.clone());
        identity_id
    }

    /// The provider and subject of a signed-in visitor's identity; `None` for an
    /// unauthenticated one.
    pub fn login_of(&self, identity_id: &str) -> Option<(String, String)> {
        self.registry().logins.get(identity_id).cloned()
    }

    /// The devstack's OpenID Connect provider.
    pub fn oidc(&self) -> &crate::oidc::OidcProvider {
        &self.oidc
    }

    /// Whether `identity_id` was created here.
    pub fn has_identity(&self, identity_id: &str) -> bool {
        self.registry().identities.contains_key(identity_id)
    }

    /// Issues temporary credentials to an existing identity, valid from `now` for an hour.
    pub fn issue_credentials(&self, identity_id: &str, now: i64) -> Option<IssuedCredentials> {
        let mut registry = self.registry();
        if !registry.identities.contains_key(identity_id) {
            return None;
        }
        let issued = IssuedCredentials {
            access_key_id: format!(
                "ASIA{}",
                uuid::Uuid::new_v4().simple().to_string().to_uppercase().get(..16).unwrap_or("DEVSTACK")
            ),
            secret_key: random_token(30),
            session_token: random_token(96),
            expires_at: now + CREDENTIALS_LIFETIME_SECS,
        };
        registry.keys.insert(
            issued.access_key_id.clone(),
            Arc::new(KnownKey {
                secret: issued.secret_key.clone(),
                session_token: Some(issued.session_token.clone()),
                identity_id: Some(identity_id.to_owned()),
                expires_at: Some(issued.expires_at),
            }),
        );
        Some(issued)
    }

    /// What the devstack knows of an access key.
    pub fn key(&self, access_key_id: &str) -> Option<Arc<KnownKey>> {
        self.registry().keys.get(access_key_id).cloned()
    }

    /// The SigV4 signing key of `access_key_id` (whose secret is `secret`) for `date` and `scope`,
    /// derived once and then kept: checking a signature then costs one HMAC instead of five.
    pub fn signing_key(&self, access_key_id: &str, secret: &str, date: &str, scope: Scope<'_>) -> [u8; 32] {
        let mut registry = self.registry();
        let matches = |derived: &&DerivedKey| {
            derived.date == date && derived.region == scope.region && derived.service == scope.service
        };
        if let Some(derived) =
            registry.signing_keys.get(access_key_id).and_then(|keys| keys.iter().find(matches))
        {
            return derived.key;
        }
        let key = sigv4::signing_key(secret, date, scope);
        let derived = registry.signing_keys.entry(access_key_id.to_owned()).or_default();
        if derived.len() == SIGNING_KEYS_PER_ACCESS_KEY {
            derived.remove(0);
        }
        derived.push(DerivedKey {
            date: date.to_owned(),
            region: scope.region.to_owned(),
            service: scope.service.to_owned(),
            key,
        });
        key
    }
}
