//! The `appsync-chat` Lambda: `POST /chat` → Bedrock → the visitor's AppSync Events channel
//! (see `lexstream_lambda_core::appsync_chat`).

use lambda_runtime::{LambdaEvent, service_fn};
use lexstream_lambda_core::appsync_chat::handle_chat_event;
use lexstream_lambda_core::aws::{
    AppSyncPublisher, BedrockClient, BedrockModel, DynamoDbClient, DynamoDbConnectionStore, load_sdk_config,
};
use lexstream_lambda_core::config::{ChatConfig, environment};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    lexstream_lambda_core::logging::init_json_logs()?;
    let config = ChatConfig::from_lookup(environment)?;
    let sdk_config = load_sdk_config().await;
    let model = BedrockModel::new(BedrockClient::new(&sdk_config));
    let publisher = AppSyncPublisher::new(&sdk_config, &config.publish_endpoint, config.publish_auth.clone())
        .map_err(|e| anyhow::anyhow!(e))?;
    let limits = config
        .limits_table
        .as_deref()
        .map(|table| DynamoDbConnectionStore::new(DynamoDbClient::new(&sdk_config), table));
    let (model, publisher, limits, config) = (&model, &publisher, limits.as_ref(), &config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        let answer = handle_chat_event(event.payload, model, publisher, limits, config).await;
        Ok::<_, lambda_runtime::Error>(answer)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
