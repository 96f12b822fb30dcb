//! Posting frames through API Gateway's management API (`POST @connections/{id}`).

use aws_config::SdkConfig;
use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_apigatewaymanagement::primitives::Blob;

use crate::error::PushError;
use crate::ports::ConnectionPusher;

/// A [`ConnectionPusher`] for one WebSocket API stage.
#[derive(Debug, Clone)]
pub struct ApiGatewayPusher {
    client: Client,
}

/// The management API's https URL for a stage URL given as `wss://…` or `https://…` (the same
/// rule the widget uses for `streamingEndpoint`).
pub fn management_endpoint(stage_url: &str) -> String {
    lexstream_protocol::lex::streaming_endpoint(stage_url)
}

impl ApiGatewayPusher {
    /// A pusher for the stage at `stage_url` (e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/prod`).
    pub fn new(sdk_config: &SdkConfig, stage_url: &str) -> Self {
        let config = aws_sdk_apigatewaymanagement::config::Builder::from(sdk_config)
            .endpoint_url(management_endpoint(stage_url))
            .build();
        Self { client: Client::from_conf(config) }
    }
}

impl ConnectionPusher for ApiGatewayPusher {
    async fn push(&self, connection_id: &str, payload: &[u8]) -> Result<(), PushError> {
        let result = self
            .client
            .post_to_connection()
            .connection_id(connection_id)
            .data(Blob::new(payload.to_vec()))
            .send()
            .await;
        let Err(error) = result else { return Ok(()) };
        let status = error.raw_response().map(|response| response.status().as_u16());
        let code = error.code().map(str::to_owned);
        let described = DisplayErrorContext(&error).to_string();
        Err(match (status, code.as_deref()) {
            (Some(410), _) | (_, Some("GoneException")) => PushError::Gone(connection_id.to_owned()),
            (Some(413), _) | (_, Some("PayloadTooLargeException")) => PushError::TooLarge(described),
            _ => PushError::Failed(described),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::management_endpoint;

    #[test]
    fn websocket_stage_urls_become_https_management_endpoints() {
        assert_eq!(
            management_endpoint("wss://abc.execute-api.us-east-1.amazonaws.com/Prod/"),
            "https://abc.execute-api.us-east-1.amazonaws.com/Prod"
        );
        assert_eq!(management_endpoint("ws://127.0.0.1:8080/Prod"), "http://127.0.0.1:8080/Prod");
        assert_eq!(management_endpoint("https://x/Prod"), "https://x/Prod");
    }
}
