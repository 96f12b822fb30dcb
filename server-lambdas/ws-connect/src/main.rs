//! The `ws-connect` Lambda: WebSocket `$connect` / `$disconnect` / `ping` / `stop` / `resume` (see `lexstream_lambda_core::connect`).

use lambda_runtime::{LambdaEvent, service_fn};
use lexstream_lambda_core::aws::{
    ApiGatewayPusher, DynamoDbClient, DynamoDbConnectionStore, load_sdk_config,
};
use lexstream_lambda_core::config::{ConnectConfig, environment};
use lexstream_lambda_core::connect::handle_websocket_event;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    lexstream_lambda_core::logging::init_json_logs()?;
    let config = ConnectConfig::from_lookup(environment)?;
    let sdk_config = load_sdk_config().await;
    let store = DynamoDbConnectionStore::new(DynamoDbClient::new(&sdk_config), &config.table_name);
    // `resume` answers through the management API of the stage the event came from.
    let pusher_for = |endpoint: &str| ApiGatewayPusher::new(&sdk_config, endpoint);
    let (store, pusher_for, config) = (&store, &pusher_for, &config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, lambda_runtime::Error>(handle_websocket_event(event.payload, store, pusher_for, config).await)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
