//! AWS Signature Version 4: signing requests and presigned URLs, and reading signatures back
//! for verification — one small implementation shared by the widget (which signs in the browser
//! without the SDK's weight) and the devstack (which verifies what the widget and the SDKs send).
//!
//! Checked against the `aws-sigv4` crate as an oracle on random requests and against AWS's
//! published SigV4 test-suite vectors.

mod canonical;
mod parse;

use hmac::{KeyInit, Mac};
use sha2::{Digest, Sha256};

pub use canonical::{canonical_query, canonical_request, canonical_uri, query_decode, uri_encode};
pub use parse::{SignatureError, SignatureParts, parse_authorization_header, parse_presigned_query};

use crate::calendar::UtcDateTime;

/// The algorithm name in every SigV4 signature.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Credentials that sign a request.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Access key id (`AKIA…` or `ASIA…`).
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: String,
    /// Session token of temporary credentials.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("session_token", &self.session_token.as_ref().map(|_| "** redacted **"))
            .finish()
    }
}

/// A request to sign or verify, as it goes on the wire.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// HTTP method, e.g. `POST`.
    pub method: &'a str,
    /// The path as sent (already percent-encoded once), e.g. `/bots/B/…/sessions/us-east-1%3Aabc/text`.
    pub path: &'a str,
    /// The raw query string, without `?` (may be empty).
    pub query: &'a str,
    /// Headers (name, value); names in any case. Must include `host`.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body (empty for GET and for presigned URLs).
    pub body: &'a [u8],
}

/// Where a signature is valid: region and service (`lex`, `execute-api`, `cognito-identity`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    /// The region, e.g. `us-east-1`.
    pub region: &'a str,
    /// The service's signing name.
    pub service: &'a str,
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
    out
}

/// Hex SHA-256 of `bytes` (the payload hash).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// HMAC-SHA256 of `data` under `key` (SigV4's signing primitive; also the keyed hash the Lambdas
/// and the devstack log instead of visitors' identifiers).
///
/// ```
/// use lexstream_protocol::sigv4::{hex, hmac_sha256};
/// // RFC 4231, test case 2.
/// assert_eq!(
///     hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
///     "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
/// );
/// ```
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The credential scope: `YYYYMMDD/region/service/aws4_request`.
pub fn credential_scope(date: &str, scope: Scope<'_>) -> String {
    format!("{date}/{}/{}/aws4_request", scope.region, scope.service)
}

/// The string to sign for a canonical request.
pub fn string_to_sign(amz_date: &str, credential_scope: &str, canonical_request: &str) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{credential_scope}\n{}", sha256_hex(canonical_request.as_bytes()))
}

/// The signing key SigV4 derives from `secret` for a date (`YYYYMMDD`) and scope: the same for
/// every request of that day and scope, so a verifier may keep it.
pub fn signing_key(secret: &str, date: &str, scope: Scope<'_>) -> [u8; 32] {
    let date_key = hmac_sha256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let region_key = hmac_sha256(&date_key, scope.region.as_bytes());
    let service_key = hmac_sha256(&region_key, scope.service.as_bytes());
    hmac_sha256(&service_key, b"aws4_request")
}

/// The hex signature of `string_to_sign` with the key derived from `secret` for the date and scope.
pub fn signature(secret: &str, date: &str, scope: Scope<'_>, string_to_sign: &str) -> String {
    hex(&hmac_sha256(&signing_key(secret, date, scope), string_to_sign.as_bytes()))
}

/// Signs `request` in headers. Returns the headers to add: `x-amz-date`, `x-amz-security-token`
/// (temporary credentials only) and `authorization`. All of `request.headers` are signed.
pub fn sign_headers(
    request: Request<'_>,
    credentials: &Credentials,
    scope: Scope<'_>,
    now: UtcDateTime,
) -> Vec<(String, String)> {
    let amz_date = now.to_amz_date();
    let mut added: Vec<(String, String)> = vec![("x-amz-date".into(), amz_date.clone())];
    if let Some(token) = &credentials.session_token {
        added.push(("x-amz-security-token".into(), token.clone()));
    }
    let mut headers: Vec<(&str, &str)> = request.headers.to_vec();
    headers.extend(added.iter().map(|(name, value)| (name.as_str(), value.as_str())));
    let signed_names = canonical::signed_header_names(&headers);
    let canonical =
        canonical_request(Request { headers: &headers, ..request }, &signed_names, &sha256_hex(request.body));
    let date = &amz_date[..8];
    let credential_scope = credential_scope(date, scope);
    let signature = signature(
        &credentials.secret_access_key,
        date,
        scope,
        &string_to_sign(&amz_date, &credential_scope, &canonical),
    );
    added.push((
        "authorization".into(),
        format!(
            "{ALGORITHM} Credential={}/{credential_scope}, SignedHeaders={}, Signature={signature}",
            credentials.access_key_id,
            signed_names.join(";")
        ),
    ));
    added
}

/// Presigns a URL (e.g. the WebSocket URL of API Gateway, service `execute-api`): returns the
/// complete query string to send, the request's own parameters plus `X-Amz-*`. Only `host` is
/// signed; the payload is the empty body.
pub fn presign_query(
    request: Request<'_>,
    credentials: &Credentials,
    scope: Scope<'_>,
    now: UtcDateTime,
    expires_seconds: u32,
) -> String {
    let amz_date = now.to_amz_date();
    let date = &amz_date[..8];
    let credential_scope = credential_scope(date, scope);
    let mut query = request.query.to_owned();
    let mut push = |name: &str, value: &str| {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(&uri_encode(value, true));
    };
    push("X-Amz-Algorithm", ALGORITHM);
    push("X-Amz-Credential", &format!("{}/{credential_scope}", credentials.access_key_id));
    push("X-Amz-Date", &amz_date);
    push("X-Amz-Expires", &expires_seconds.to_string());
    push("X-Amz-SignedHeaders", "host");
    if let Some(token) = &credentials.session_token {
        push("X-Amz-Security-Token", token);
    }
    let host: Vec<(&str, &str)> =
        request.headers.iter().filter(|(name, _)| name.eq_ignore_ascii_case("host")).copied().collect();
    let canonical = canonical_request(
        Request { query: &query, headers: &host, body: &[], ..request },
        &["host".to_owned()],
        &sha256_hex(&[]),
    );
    let signature = signature(
        &credentials.secret_access_key,
        date,
        scope,
        &string_to_sign(&amz_date, &credential_scope, &canonical),
    );
    format!("{query}&X-Amz-Signature={signature}")
}

/// Recomputes the signature a request should carry, given the parts read from it and the
/// secret of its access key. The caller compares it with [`SignatureParts::signature`].
pub fn expected_signature(request: Request<'_>, parts: &SignatureParts, secret: &str) -> String {
    let key = signing_key(secret, &parts.date, Scope { region: &parts.region, service: &parts.service });
    expected_signature_with_key(request, parts, &key)
}

/// [`expected_signature`] with the [`signing_key`] of the parts' date and scope already derived.
pub fn expected_signature_with_key(
    request: Request<'_>,
    parts: &SignatureParts,
    signing_key: &[u8; 32],
) -> String {
    let scope = Scope { region: &parts.region, service: &parts.service };
    let (query, payload_hash) = if parts.presigned {
        (parse::query_without_signature(request.query), sha256_hex(&[]))
    } else {
        (request.query.to_owned(), sha256_hex(request.body))
    };
    let canonical =
        canonical_request(Request { query: &query, ..request }, &parts.signed_headers, &payload_hash);
    let credential_scope = credential_scope(&parts.date, scope);
    let string_to_sign = string_to_sign(&parts.amz_date, &credential_scope, &canonical);
    hex(&hmac_sha256(signing_key, string_to_sign.as_bytes()))
}

#[cfg(test)]
mod tests;
