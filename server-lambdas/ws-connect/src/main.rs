//! The `ws-connect` Lambda: WebSocket `$connect` / `$disconnect` / `ping` (see `lexstream_lambda_core::connect`).

use lambda_runtime::{LambdaEvent, service_fn};
use lexstream_lambda_core::aws::{DynamoDbClient, DynamoDbConnectionStore, load_sdk_config};
use lexstream_lambda_core::config::{ConnectConfig, environment};
use lexstream_lambda_core::connect::handle_websocket_event;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    lexstream_lambda_core::logging::init_json_logs();
    let config = ConnectConfig::from_lookup(environment)?;
    let sdk_config = load_sdk_config().await;
    let store = DynamoDbConnectionStore::new(DynamoDbClient::new(&sdk_config), &config.table_name);
    let (store, config) = (&store, &config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        Ok::<_, lambda_runtime::Error>(handle_websocket_event(event.payload, store, config).await)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
