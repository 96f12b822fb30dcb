//! One SigV4-signed JSON `POST` to an AWS endpoint, for the two calls that need no SDK crate of
//! their own (AppSync Events publish, Lambda `Invoke`): credentials and region from the SDK
//! configuration, signed by the protocol crate's signer, rustls with the system's roots.

use std::time::Duration;

use aws_credential_types::provider::ProvideCredentials;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::sigv4::{self, Credentials, Request, Scope};

use super::SdkConfig;

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<bytes::Bytes>>;

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

/// A client posting JSON to one endpoint.
#[derive(Debug, Clone)]
pub struct SignedPost {
    client: HttpsClient,
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
    /// A client for `endpoint` (`https://…`; `http://` for a local emulator).
    pub fn new(
        sdk_config: &SdkConfig,
        endpoint: &str,
        auth: PostAuth,
        timeout: Duration,
    ) -> Result<Self, String> {
        let endpoint: http::Uri = endpoint.parse().map_err(|e| format!("{endpoint:?}: {e}"))?;
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(|e| format!("no TLS root certificates: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { client, endpoint, auth, sdk_config: sdk_config.clone(), timeout })
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
        let uri = http::Uri::builder()
            .scheme(self.endpoint.scheme_str().unwrap_or("https"))
            .authority(self.endpoint.authority().map(ToString::to_string).unwrap_or_default())
            .path_and_query(full_path.as_str())
            .build()
            .map_err(|e| e.to_string())?;
        let mut request = http::Request::post(uri);
        for (name, value) in self.auth_headers(&full_path, extra, &body).await? {
            if name != "host" {
                request = request.header(name, value);
            }
        }
        let request = request.body(Full::new(bytes::Bytes::from(body))).map_err(|e| e.to_string())?;
        let response = tokio::time::timeout(self.timeout, self.client.request(request))
            .await
            .map_err(|_| format!("no answer within {:?}", self.timeout))?
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
        Ok(PostAnswer { status, headers, body })
    }
}
