//! One SigV4-signed JSON `POST` to an AWS endpoint, for the two calls that need no SDK crate of
//! their own (AppSync Events publish, Lambda `Invoke`): credentials and region from the SDK
//! configuration, signed by the protocol crate's signer, and sent through the SDK configuration's
//! own HTTP client (as `aws-config` sends its IMDS calls): the same connection pool, TLS settings
//! and root certificates as the SDK clients, which load the machine's roots once per process —
//! not a second HTTP stack loading them again.

use std::convert::Infallible;
use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_runtime::client::orchestrator::operation::Operation;
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::timeout::TimeoutConfig;
use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::sigv4::{self, Credentials, Request, Scope};

use super::SdkConfig;

/// How a request is authorized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostAuth {
    /// SigV4 for `service` with the SDK configuration's credentials.
    SigV4 {
        /// The signing name (`appsync`, `lambda`).
        service: &'static str,
    },
    /// A fixed header (e.g. AppSync's `x-api-key`), no signature.
    Header(&'static str, String),
}

/// One request: its path on the endpoint's host, its headers (signed) and its body.
#[derive(Debug)]
struct PostRequest {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// A client posting JSON to one endpoint.
#[derive(Debug, Clone)]
pub struct SignedPost {
    operation: Operation<PostRequest, PostAnswer, Infallible>,
    endpoint: http::Uri,
    auth: PostAuth,
    sdk_config: SdkConfig,
    timeout: Duration,
}

/// An answer: status and body.
#[derive(Debug, Clone)]
pub struct PostAnswer {
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: http::HeaderMap,
    /// Response body.
    pub body: bytes::Bytes,
}

impl SignedPost {
    /// A client for `endpoint` (`https://…`; `http://` for a local emulator), giving up on a
    /// request after `timeout`.
    pub fn new(
        sdk_config: &SdkConfig,
        endpoint: &str,
        auth: PostAuth,
        timeout: Duration,
    ) -> Result<Self, String> {
        let endpoint: http::Uri = endpoint.parse().map_err(|e| format!("{endpoint:?}: {e}"))?;
        let (Some(scheme), Some(authority)) = (endpoint.scheme_str(), endpoint.authority()) else {
            return Err(format!("{endpoint:?}: not an absolute http(s) URL"));
        };
        let http_client =
            sdk_config.http_client().ok_or_else(|| "the SDK configuration has no HTTP client".to_owned())?;
        let operation = Operation::builder()
            .service_name("lexstream")
            .operation_name("SignedPost")
            .http_client(http_client)
            .endpoint_url(&format!("{scheme}://{authority}"))
            .no_auth()
            .no_retry()
            .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build())
            .serializer(serialize)
            .deserializer::<_, Infallible>(|response: &HttpResponse| Ok(deserialize(response)))
            .build();
        Ok(Self { operation, endpoint, auth, sdk_config: sdk_config.clone(), timeout })
    }

    /// The endpoint posted to.
    pub fn endpoint(&self) -> &http::Uri {
        &self.endpoint
    }

    async fn auth_headers(
        &self,
        path: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Result<Vec<(String, String)>, String> {
        let host = self.endpoint.authority().map(ToString::to_string).unwrap_or_default();
        let mut headers =
            vec![("content-type".to_owned(), "application/json".to_owned()), ("host".to_owned(), host)];
        headers.extend(extra.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
        match &self.auth {
            PostAuth::Header(name, value) => headers.push(((*name).to_owned(), value.clone())),
            PostAuth::SigV4 { service } => {
                let provider = self
                    .sdk_config
                    .credentials_provider()
                    .ok_or_else(|| "no AWS credentials for IAM auth".to_owned())?;
                let credentials = provider
                    .provide_credentials()
                    .await
                    .map_err(|e| format!("loading AWS credentials: {e}"))?;
                let credentials = Credentials {
                    access_key_id: credentials.access_key_id().to_owned(),
                    secret_access_key: credentials.secret_access_key().to_owned(),
                    session_token: credentials.session_token().map(str::to_owned),
                };
                let region = self.sdk_config.region().map_or("us-east-1", |region| region.as_ref());
                let signed: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                let request = Request { method: "POST", path, query: "", headers: &signed, body };
                let now = UtcDateTime::from_epoch_seconds(crate::connect::now_epoch_seconds());
                headers.extend(sigv4::sign_headers(request, &credentials, Scope { region, service }, now));
            }
        }
        Ok(headers)
    }

    /// Posts `body` to the endpoint's path followed by `path` (`""` for the endpoint itself),
    /// with `extra` headers (signed too).
    pub async fn post(
        &self,
        path: &str,
        extra: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<PostAnswer, String> {
        let full_path = format!("{}{path}", self.endpoint.path().trim_end_matches('/'));
        let full_path = if full_path.is_empty() { "/".to_owned() } else { full_path };
        // The HTTP client sets `host` from the URL, as it was signed.
        let headers = self.auth_headers(&full_path, extra, &body).await?;
        let headers = headers.into_iter().filter(|(name, _)| name != "host").collect();
        let request = PostRequest { path: full_path, headers, body };
        self.operation.invoke(request).await.map_err(|error| match error {
            SdkError::TimeoutError(_) => format!("no answer within {:?}", self.timeout),
            other => DisplayErrorContext(other).to_string(),
        })
    }
}

/// The HTTP request of a [`PostRequest`]; the operation puts the endpoint's scheme and host in.
fn serialize(request: PostRequest) -> Result<HttpRequest, aws_smithy_runtime_api::box_error::BoxError> {
    let mut builder = http::Request::post(request.path);
    for (name, value) in request.headers {
        builder = builder.header(name, value);
    }
    Ok(HttpRequest::try_from(builder.body(SdkBody::from(request.body))?)?)
}

/// Any answer, whatever its status: the caller reads it.
fn deserialize(response: &HttpResponse) -> PostAnswer {
    let mut headers = http::HeaderMap::new();
    for (name, value) in response.headers() {
        if let (Ok(name), Ok(value)) = (http::HeaderName::try_from(name), http::HeaderValue::try_from(value))
        {
            headers.append(name, value);
        }
    }
    let body = bytes::Bytes::copy_from_slice(response.body().bytes().unwrap_or_default());
    PostAnswer { status: response.status().as_u16(), headers, body }
}
