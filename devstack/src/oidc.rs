//! The devstack as an OpenID Connect provider, for signed-in visitors: it issues ID tokens
//! (`POST /_devstack/oidc/token`, for tests and the demo) and verifies the ones Cognito's `GetId`
//! and `GetCredentialsForIdentity` receive in `Logins`. A token is a JWT (`iss`, `sub`, `aud`,
//! `iat`, `exp`) signed with HMAC-SHA256 under a key made when the devstack starts: a real
//! provider signs with RS256 and publishes its keys, but here the issuer is its own verifier.

use axum::Json;
use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use lexstream_protocol::sigv4::hmac_sha256;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::identities::Identities;

/// The provider's name in `Logins`, as an identity pool names an OpenID Connect provider: its
/// issuer URL without `https://`.
pub const PROVIDER_NAME: &str = "devstack.lexstream.local";

/// The audience (client id) the devstack's tokens are for.
const AUDIENCE: &str = "lexstream-devstack";

/// How long a token lives unless asked otherwise (Cognito user pools: one hour).
const DEFAULT_LIFETIME_SECS: i64 = 3600;

/// The key the devstack signs its ID tokens with.
#[derive(Debug)]
pub struct OidcProvider {
    key: [u8; 32],
}

impl Default for OidcProvider {
    fn default() -> Self {
        let mut key = [0; 32];
        key[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        key[16..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        Self { key }
    }
}

/// Why a token is refused: Cognito's message after "Invalid login token." names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefused {
    /// Not three base64url parts of JSON.
    #[error("Not a valid OpenId Connect identity token.")]
    Malformed,
    /// The signature is not the devstack's.
    #[error("Couldn't verify signed token.")]
    BadSignature,
    /// Issued by or for someone else.
    #[error("Issuer or audience doesn't match the provider.")]
    WrongIssuer,
    /// Past its `exp`.
    #[error("Token expired: {now} >= {expired_at}")]
    Expired {
        /// The token's `exp`.
        expired_at: i64,
        /// The time of the check.
        now: i64,
    },
}

impl OidcProvider {
    /// An ID token for `subject`, issued at `now`, valid for `lifetime_secs`.
    pub fn issue(&self, subject: &str, now: i64, lifetime_secs: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(json!({ "alg": "HS256", "typ": "JWT" }).to_string());
        let claims = json!({
            "iss": format!("https://{PROVIDER_NAME}"),
            "sub": subject,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + lifetime_secs,
            "token_use": "id",
        });
        let signed = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let signature = URL_SAFE_NO_PAD.encode(hmac_sha256(&self.key, signed.as_bytes()));
        format!("{signed}.{signature}")
    }

    /// The subject of a token the devstack issued that is still valid at `now`.
    ///
    /// # Errors
    /// The token is malformed, not signed by this devstack, for another issuer or audience, or
    /// expired.
    pub fn verify(&self, token: &str, now: i64) -> Result<String, TokenRefused> {
        let mut parts = token.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenRefused::Malformed);
        };
        let expected = hmac_sha256(&self.key, format!("{header}.{claims}").as_bytes());
        if URL_SAFE_NO_PAD.decode(signature).ok().as_deref() != Some(expected.as_slice()) {
            return Err(TokenRefused::BadSignature);
        }
        let claims: Value = URL_SAFE_NO_PAD
            .decode(claims)
            .ok()
            .and_then(|json| serde_json::from_slice(&json).ok())
            .ok_or(TokenRefused::Malformed)?;
        if claims["iss"] != format!("https://{PROVIDER_NAME}") || claims["aud"] != AUDIENCE {
            return Err(TokenRefused::WrongIssuer);
        }
        let expired_at = claims["exp"].as_i64().ok_or(TokenRefused::Malformed)?;
        if now >= expired_at {
            return Err(TokenRefused::Expired { expired_at, now });
        }
        claims["sub"].as_str().filter(|sub| !sub.is_empty()).map(str::to_owned).ok_or(TokenRefused::Malformed)
    }
}

/// What `POST /_devstack/oidc/token` takes: who signs in, and for how long.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TokenRequest {
    sub: String,
    lifetime_seconds: Option<i64>,
}

/// Issues an ID token, as a site's sign-in would: `{ "idToken", "provider" }`.
pub(crate) async fn issue_token(
    State(identities): State<Identities>,
    Json(request): Json<TokenRequest>,
) -> Json<Value> {
    let lifetime = request.lifetime_seconds.unwrap_or(DEFAULT_LIFETIME_SECS);
    let token = identities.oidc().issue(&request.sub, crate::clock::epoch_seconds(), lifetime);
    Json(json!({ "idToken": token, "provider": PROVIDER_NAME }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_until_it_expires_and_only_with_its_own_key() {
        let provider = OidcProvider::default();
        let token = provider.issue("alice", 1_000, 60);
        assert_eq!(provider.verify(&token, 1_059), Ok("alice".to_owned()));
        assert_eq!(
            provider.verify(&token, 1_060),
            Err(TokenRefused::Expired { expired_at: 1_060, now: 1_060 })
        );
        assert_eq!(OidcProvider::default().verify(&token, 1_000), Err(TokenRefused::BadSignature));
        assert_eq!(provider.verify("not.a-token", 1_000), Err(TokenRefused::Malformed));
    }

    #[test]
    fn a_token_whose_claims_were_changed_is_refused() {
        let provider = OidcProvider::default();
        let token = provider.issue("alice", 1_000, 60);
        let mut parts: Vec<&str> = token.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(
            json!({ "iss": format!("https://{PROVIDER_NAME}"), "sub": "mallory", "aud": AUDIENCE, "exp": 9_999 })
                .to_string(),
        );
        parts[1] = &forged_claims;
        assert_eq!(provider.verify(&parts.join("."), 1_000), Err(TokenRefused::BadSignature));
    }
}
