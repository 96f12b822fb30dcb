//! Reading a signature back out of a request: the `Authorization` header or a presigned query.

use crate::calendar::UtcDateTime;

/// Everything a verifier needs from a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureParts {
    /// The access key that signed.
    pub access_key_id: String,
    /// `YYYYMMDD` of the credential scope.
    pub date: String,
    /// Region of the credential scope.
    pub region: String,
    /// Service of the credential scope.
    pub service: String,
    /// Names of the signed headers (lowercase, as listed).
    pub signed_headers: Vec<String>,
    /// The signature (hex).
    pub signature: String,
    /// When it was signed (`YYYYMMDDTHHMMSSZ`).
    pub amz_date: String,
    /// Whether it came from a presigned query (then the payload is the empty body).
    pub presigned: bool,
    /// How long a presigned URL is valid, in seconds.
    pub expires_seconds: Option<u32>,
    /// The session token sent with it, if any.
    pub session_token: Option<String>,
}

impl SignatureParts {
    /// When it was signed, as epoch seconds.
    pub fn signed_at(&self) -> Option<i64> {
        UtcDateTime::parse_amz_date(&self.amz_date).map(UtcDateTime::to_epoch_seconds)
    }
}

/// Why a signature could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request carries no signature.
    #[error("the request is not signed")]
    Missing,
    /// The signature is not in SigV4's form.
    #[error("malformed signature: {0}")]
    Malformed(String),
}

fn malformed(what: impl Into<String>) -> SignatureError {
    SignatureError::Malformed(what.into())
}

fn credential(value: &str) -> Result<(String, String, String, String), SignatureError> {
    let parts: Vec<&str> = value.split('/').collect();
    match parts.as_slice() {
        [key, date, region, service, "aws4_request"] if date.len() == 8 => {
            Ok(((*key).to_owned(), (*date).to_owned(), (*region).to_owned(), (*service).to_owned()))
        }
        _ => Err(malformed(format!("credential {value:?} is not KEY/YYYYMMDD/region/service/aws4_request"))),
    }
}

/// Reads an `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`
/// header, with the request's `x-amz-date` header and session token.
pub fn parse_authorization_header(
    authorization: Option<&str>,
    amz_date: Option<&str>,
    session_token: Option<&str>,
) -> Result<SignatureParts, SignatureError> {
    let authorization = authorization.ok_or(SignatureError::Missing)?;
    let rest = authorization
        .strip_prefix(super::ALGORITHM)
        .ok_or_else(|| malformed("the algorithm must be AWS4-HMAC-SHA256"))?;
    let mut fields = std::collections::HashMap::new();
    for field in rest.split(',') {
        let (name, value) =
            field.trim().split_once('=').ok_or_else(|| malformed(format!("field {field:?}")))?;
        fields.insert(name.trim(), value.trim());
    }
    let get = |name: &str| fields.get(name).copied().ok_or_else(|| malformed(format!("missing {name}")));
    let (access_key_id, date, region, service) = credential(get("Credential")?)?;
    let amz_date = amz_date.ok_or_else(|| malformed("missing x-amz-date header"))?;
    if UtcDateTime::parse_amz_date(amz_date).is_none() || !amz_date.starts_with(&date) {
        return Err(malformed(format!("x-amz-date {amz_date:?} does not match the credential date {date}")));
    }
    Ok(SignatureParts {
        access_key_id,
        date,
        region,
        service,
        signed_headers: get("SignedHeaders")?.split(';').map(str::to_owned).collect(),
        signature: get("Signature")?.to_owned(),
        amz_date: amz_date.to_owned(),
        presigned: false,
        expires_seconds: None,
        session_token: session_token.map(str::to_owned),
    })
}

fn decoded_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (super::query_decode(name), super::query_decode(value))
        })
        .collect()
}

/// Reads the `X-Amz-*` parameters of a presigned URL's query.
pub fn parse_presigned_query(query: &str) -> Result<SignatureParts, SignatureError> {
    let pairs = decoded_pairs(query);
    let get = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.as_str());
    let Some(signature) = get("X-Amz-Signature") else { return Err(SignatureError::Missing) };
    if get("X-Amz-Algorithm") != Some(super::ALGORITHM) {
        return Err(malformed("X-Amz-Algorithm must be AWS4-HMAC-SHA256"));
    }
    let (access_key_id, date, region, service) =
        credential(get("X-Amz-Credential").ok_or_else(|| malformed("missing X-Amz-Credential"))?)?;
    let amz_date = get("X-Amz-Date").ok_or_else(|| malformed("missing X-Amz-Date"))?;
    if UtcDateTime::parse_amz_date(amz_date).is_none() || !amz_date.starts_with(&date) {
        return Err(malformed(format!("X-Amz-Date {amz_date:?} does not match the credential date {date}")));
    }
    let expires = get("X-Amz-Expires")
        .map(|value| value.parse::<u32>())
        .transpose()
        .map_err(|_| malformed("X-Amz-Expires"))?;
    Ok(SignatureParts {
        access_key_id,
        date,
        region,
        service,
        signed_headers: get("X-Amz-SignedHeaders").unwrap_or("host").split(';').map(str::to_owned).collect(),
        signature: signature.to_owned(),
        amz_date: amz_date.to_owned(),
        presigned: true,
        expires_seconds: expires,
        session_token: get("X-Amz-Security-Token").map(str::to_owned),
    })
}

/// The raw query without its `X-Amz-Signature` parameter (what was signed).
pub(crate) fn query_without_signature(query: &str) -> String {
    query.split('&').filter(|pair| !pair.starts_with("X-Amz-Signature=")).collect::<Vec<_>>().join("&")
}
