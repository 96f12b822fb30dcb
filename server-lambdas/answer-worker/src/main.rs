//! The `answer-worker` Lambda: generates answers the fulfillment hands over in async mode,
//! streaming them to the widget past Lex's code-hook limit (see `lexstream_lambda_core::worker`).

use lambda_runtime::{LambdaEvent, service_fn};
use lexstream_lambda_core::aws::{AwsStreamingBackend, BedrockClient, BedrockModel, load_sdk_config};
use lexstream_lambda_core::config::{FulfillmentConfig, environment};
use lexstream_lambda_core::worker::{AnswerJob, handle_answer_job};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    lexstream_lambda_core::logging::init_json_logs()?;
    let config = FulfillmentConfig::from_lookup(environment)?;
    let sdk_config = load_sdk_config().await;
    let model = BedrockModel::new(BedrockClient::new(&sdk_config));
    let backend = AwsStreamingBackend::new(&sdk_config);
    let (model, backend, config) = (&model, &backend, &config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<AnswerJob>| async move {
        Ok::<_, lambda_runtime::Error>(handle_answer_job(event.payload, model, backend, config).await)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
