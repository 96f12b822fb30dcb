//! Adapters from the ports to the real AWS SDK clients (lean features, rustls with ring).
//!
//! Every client honours the SDK's usual configuration, including `AWS_ENDPOINT_URL_DYNAMODB`,
//! `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` and friends, which is how tests and the devstack point
//! them at local servers without changing a line of production code.

mod apigw;
mod appsync;
mod bedrock;
pub mod dynamodb;
mod dynamodb_limits;
mod dynamodb_turns;
mod lambda_invoke;
mod signed_post;

use aws_config::BehaviorVersion;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};

pub use apigw::{ApiGatewayPusher, management_endpoint};
pub use appsync::AppSyncPublisher;
pub use aws_config::SdkConfig;
pub use aws_sdk_bedrockruntime::Client as BedrockClient;
pub use aws_sdk_dynamodb::Client as DynamoDbClient;
pub use bedrock::BedrockModel;
pub use dynamodb::DynamoDbConnectionStore;
pub use lambda_invoke::LambdaInvoker;
pub use signed_post::{PostAnswer, PostAuth, SignedPost};

use crate::ports::StreamingBackend;

/// The HTTP client every SDK client uses: hyper with rustls on ring (no aws-lc, no OpenSSL).
fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https()
}

/// Loads the SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL_*`).
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).http_client(http_client()).load().await
}

/// SDK configuration for a local AWS-compatible server (the devstack, moto): every client
/// built from it sends to `endpoint_url`, signs with static test credentials in `us-east-1`.
pub async fn local_sdk_config(endpoint_url: &str) -> SdkConfig {
    let credentials = aws_sdk_dynamodb::config::Credentials::new(
        "lexstream-local",
        "lexstream-local-secret",
        None,
        None,
        "lexstream-local",
    );
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client())
        .endpoint_url(endpoint_url)
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(credentials)
        .load()
        .await
}

/// The production [`StreamingBackend`]: DynamoDB tables and API Gateway stages by name.
#[derive(Debug, Clone)]
pub struct AwsStreamingBackend {
    sdk_config: SdkConfig,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl AwsStreamingBackend {
    /// Builds the backend's clients once, at cold start.
    pub fn new(sdk_config: &SdkConfig) -> Self {
        Self::with_dynamodb(sdk_config, aws_sdk_dynamodb::Client::new(sdk_config))
    }

    /// The backend with its own DynamoDB client (e.g. one pointed at a different endpoint).
    pub fn with_dynamodb(sdk_config: &SdkConfig, dynamodb: aws_sdk_dynamodb::Client) -> Self {
        Self { sdk_config: sdk_config.clone(), dynamodb }
    }
}

impl StreamingBackend for AwsStreamingBackend {
    type Store = DynamoDbConnectionStore;
    type Pusher = ApiGatewayPusher;

    fn store(&self, table: &str) -> DynamoDbConnectionStore {
        DynamoDbConnectionStore::new(self.dynamodb.clone(), table)
    }

    fn pusher(&self, endpoint: &str) -> ApiGatewayPusher {
        ApiGatewayPusher::new(&self.sdk_config, endpoint)
    }
}
