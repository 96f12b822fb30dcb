//! SigV4 checks on requests to the devstack, refused the way AWS refuses them (403 with the
//! error type in `x-amzn-ErrorType`), using the signer/verifier shared with the widget.

use axum::http::{HeaderMap, StatusCode};
use lexstream_protocol::sigv4::{self, Request, Scope, SignatureError, SignatureParts};

use crate::aws_error::AwsError;
use crate::identities::Identities;

/// Whether requests must be signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMode {
    /// `--auth sigv4` (default): every Lex, `@connections` and WebSocket request must carry a
    /// valid SigV4 signature from credentials the devstack issued or knows.
    SigV4,
    /// `--auth off`: nothing is checked (for tinkering with hand-made requests).
    Off,
}

/// Who signed a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The access key that signed.
    pub(crate) access_key_id: String,
    /// The Cognito identity the key was issued to (none for service credentials).
    pub(crate) identity_id: Option<String>,
}

impl Caller {
    /// Whether this is a visitor (credentials issued to a Cognito identity): the deployed
    /// visitor role may call Lex and `$connect` only, never Bedrock, DynamoDB or `@connections`.
    pub(crate) fn is_visitor(&self) -> bool {
        self.identity_id.is_some()
    }
}

/// The message AWS gives when a visitor's role lacks the permission for `action` (e.g.
/// `dynamodb:GetItem`); it names the role, never the identity id.
fn visitor_not_authorized(action: &str) -> String {
    format!(
        "User: arn:aws:sts::000000000000:assumed-role/lexstream-visitor/CognitoIdentityCredentials is not \
         authorized to perform: {action} because no identity-based policy allows the {action} action"
    )
}

/// Verifies a call only the Lambdas' roles may make (Bedrock, DynamoDB, `@connections`, Lambda
/// `Invoke`): signed in its headers for `service` by credentials the devstack knows, and not by a
/// visitor, whose role allows Lex and `$connect` only (`AccessDeniedException` for `action`).
pub(crate) fn verify_service_call(
    mode: AuthMode,
    identities: &Identities,
    request: Incoming<'_>,
    service: &str,
    action: &str,
) -> Result<(), AwsError> {
    match verify_headers(mode, identities, request, service, crate::clock::epoch_seconds())? {
        Some(caller) if caller.is_visitor() => {
            Err(AwsError::new(StatusCode::FORBIDDEN, "AccessDeniedException", visitor_not_authorized(action)))
        }
        _ => Ok(()),
    }
}

/// Largest difference between the signing time and now that AWS accepts (5 minutes).
const MAX_CLOCK_SKEW_SECS: i64 = 300;

fn forbidden(error_type: &'static str, message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::FORBIDDEN, error_type, message)
}

/// A request's parts as the verifier needs them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

impl<'a> Incoming<'a> {
    /// The parts of a request as axum hands them over.
    pub(crate) fn new(
        method: &'a str,
        uri: &'a axum::http::Uri,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> Self {
        Self { method, path: uri.path(), query: uri.query().unwrap_or(""), headers, body }
    }
}

fn header_pairs(headers: &HeaderMap) -> Vec<(&str, &str)> {
    headers.iter().filter_map(|(name, value)| Some((name.as_str(), value.to_str().ok()?))).collect()
}

/// The refusal for a signature that is absent or not in SigV4's form.
#[allow(clippy::needless_pass_by_value)] // used as `map_err(unreadable)`
fn unreadable(error: SignatureError) -> AwsError {
    match error {
        SignatureError::Missing => {
            forbidden("MissingAuthenticationTokenException", "Missing Authentication Token")
        }
        SignatureError::Malformed(reason) => forbidden("IncompleteSignatureException", reason),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|value| value.to_str().ok())
}

/// Verifies a request signed in its headers (`Authorization`) for `service`.
pub(crate) fn verify_headers(
    mode: AuthMode,
    identities: &Identities,
    request: Incoming<'_>,
    service: &str,
    now: i64,
) -> Result<Option<Caller>, AwsError> {
    if mode == AuthMode::Off {
        return Ok(None);
    }
    let headers = request.headers;
    let parts = sigv4::parse_authorization_header(
        header(headers, "authorization"),
        header(headers, "x-amz-date"),
        header(headers, "x-amz-security-token"),
    )
    .map_err(unreadable)?;
    let signed_at = parts.signed_at().unwrap_or(0);
    if (now - signed_at).abs() > MAX_CLOCK_SKEW_SECS {
        return Err(forbidden(
            "InvalidSignatureException",
            "Signature expired: the request time is more than 5 minutes from now",
        ));
    }
    check(identities, request, &parts, service, now).map(Some)
}

/// Verifies a presigned URL (`X-Amz-*` query parameters) for `service`.
pub(crate) fn verify_presigned(
    mode: AuthMode,
    identities: &Identities,
    request: Incoming<'_>,
    service: &str,
    now: i64,
) -> Result<Option<Caller>, AwsError> {
    if mode == AuthMode::Off {
        return Ok(None);
    }
    let parts = sigv4::parse_presigned_query(request.query).map_err(unreadable)?;
    let signed_at = parts.signed_at().unwrap_or(0);
    let expires = i64::from(parts.expires_seconds.unwrap_or(0));
    if now > signed_at + expires || signed_at > now + MAX_CLOCK_SKEW_SECS {
        return Err(forbidden("InvalidSignatureException", "Request has expired"));
    }
    check(identities, request, &parts, service, now).map(Some)
}

fn check(
    identities: &Identities,
    request: Incoming<'_>,
    parts: &SignatureParts,
    service: &str,
    now: i64,
) -> Result<Caller, AwsError> {
    let key = identities.key(&parts.access_key_id).ok_or_else(|| {
        forbidden("UnrecognizedClientException", "The security token included in the request is invalid.")
    })?;
    if key.session_token.is_some() && key.session_token != parts.session_token {
        return Err(forbidden(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        ));
    }
    if key.expires_at.is_some_and(|expires_at| expires_at < now) {
        return Err(forbidden(
            "ExpiredTokenException",
            "The security token included in the request is expired",
        ));
    }
    if parts.service != service {
        return Err(forbidden(
            "InvalidSignatureException",
            format!("Credential should be scoped to correct service: '{service}'."),
        ));
    }
    let headers = header_pairs(request.headers);
    let signable = Request {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: &headers,
        body: request.body,
    };
    let scope = Scope { region: &parts.region, service: &parts.service };
    let signing_key = identities.signing_key(&parts.access_key_id, &key.secret, &parts.date, scope);
    if sigv4::expected_signature_with_key(signable, parts, &signing_key) != parts.signature {
        return Err(forbidden(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided.",
        ));
    }
    Ok(Caller { access_key_id: parts.access_key_id.clone(), identity_id: key.identity_id.clone() })
}
