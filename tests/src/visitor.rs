//! A visitor's credentials as the widget gets them: a Cognito identity from the devstack, and
//! the presigned WebSocket URL the widget opens with them.

use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use aws_sdk_cognitoidentity::Client as CognitoClient;
use lexstream_lambda_core::aws::local_sdk_config;
use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::sigv4::{self, Credentials, Request, Scope};
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// A visitor's open WebSocket to the devstack's stage.
pub type VisitorSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The identity pool id the tests use (the devstack accepts any well-formed one).
pub const POOL_ID: &str = "us-east-1:0d2a8f6c-1111-2222-3333-444455556666";

/// An unauthenticated Cognito identity with its temporary credentials.
#[derive(Debug, Clone)]
pub struct Visitor {
    /// The identity id (the widget's sessionId).
    pub identity_id: String,
    /// Its temporary credentials.
    pub credentials: Credentials,
}

impl Visitor {
    /// Gets an identity and credentials from the devstack's Cognito with the real SDK client,
    /// as the widget does with its own calls.
    pub async fn sign_in(devstack_url: &str) -> anyhow::Result<Self> {
        let cognito = CognitoClient::new(&local_sdk_config(devstack_url).await);
        let id = cognito.get_id().identity_pool_id(POOL_ID).send().await.context("GetId")?;
        let identity_id = id.identity_id.context("GetId returned no IdentityId")?;
        let answer = cognito
            .get_credentials_for_identity()
            .identity_id(&identity_id)
            .send()
            .await
            .context("GetCredentialsForIdentity")?;
        let credentials = answer.credentials.context("no Credentials")?;
        Ok(Self {
            identity_id,
            credentials: Credentials {
                access_key_id: credentials.access_key_id.context("no AccessKeyId")?,
                secret_access_key: credentials.secret_key.context("no SecretKey")?,
                session_token: Some(credentials.session_token.context("no SessionToken")?),
            },
        })
    }

    /// A Lex V2 runtime client at `devstack_url` signing with this visitor's credentials, as the
    /// widget signs `RecognizeText`.
    pub async fn lex_client(&self, devstack_url: &str) -> aws_sdk_lexruntimev2::Client {
        let credentials = aws_sdk_lexruntimev2::config::Credentials::new(
            &self.credentials.access_key_id,
            &self.credentials.secret_access_key,
            self.credentials.session_token.clone(),
            None,
            "visitor",
        );
        let config = aws_sdk_lexruntimev2::config::Builder::from(&local_sdk_config(devstack_url).await)
            .credentials_provider(credentials)
            .build();
        aws_sdk_lexruntimev2::Client::from_conf(config)
    }

    /// The presigned `ws://…/{stage}?sessionId=…` URL for `session_id`.
    pub fn websocket_url(&self, stage_url: &str, session_id: &str) -> String {
        let without_scheme = stage_url.trim_start_matches("http://");
        let (host, path) = without_scheme.split_once('/').unwrap_or((without_scheme, ""));
        let path = format!("/{path}");
        let query = format!("sessionId={}", sigv4::uri_encode(session_id, true));
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let now = UtcDateTime::from_epoch_seconds(i64::try_from(now).unwrap_or(0));
        let headers = [("host", host)];
        let request = Request { method: "GET", path: &path, query: &query, headers: &headers, body: &[] };
        let scope = Scope { region: "us-east-1", service: "execute-api" };
        let signed = sigv4::presign_query(request, &self.credentials, scope, now, 300);
        format!("ws://{host}{path}?{signed}")
    }

    /// Opens the WebSocket to `stage_url` presigned for this visitor's own session (its identity
    /// id), as the widget does.
    pub async fn open_socket(&self, stage_url: &str) -> anyhow::Result<VisitorSocket> {
        let url = self.websocket_url(stage_url, &self.identity_id);
        let (socket, _) = tokio_tungstenite::connect_async(url).await.context("opening the WebSocket")?;
        Ok(socket)
    }
}
