//! The `lex-fulfillment` Lambda: a Lex V2 code hook answering with Bedrock, streaming to the
//! widget (see `lexstream_lambda_core::fulfillment`); in async mode it hands long answers to the
//! `answer-worker` Lambda.

use lambda_runtime::{LambdaEvent, service_fn};
use lexstream_lambda_core::aws::{
    AwsStreamingBackend, BedrockClient, BedrockModel, LambdaInvoker, load_sdk_config,
};
use lexstream_lambda_core::config::{AnswerMode, FulfillmentConfig, environment};
use lexstream_lambda_core::fulfillment::handle_fulfillment_with;

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    lexstream_lambda_core::logging::init_json_logs()?;
    let config = FulfillmentConfig::from_lookup(environment)?;
    let sdk_config = load_sdk_config().await;
    let model = BedrockModel::new(BedrockClient::new(&sdk_config));
    let backend = AwsStreamingBackend::new(&sdk_config);
    let worker = match &config.answer_mode {
        AnswerMode::Async { worker_function } => {
            Some(LambdaInvoker::new(&sdk_config, worker_function).map_err(anyhow::Error::msg)?)
        }
        AnswerMode::Sync => None,
    };
    let (model, backend, worker, config) = (&model, &backend, &worker, &config);
    lambda_runtime::run(service_fn(move |event: LambdaEvent<_>| async move {
        let response = match worker {
            Some(worker) => handle_fulfillment_with(event.payload, model, backend, worker, config).await,
            None => {
                lexstream_lambda_core::fulfillment::handle_fulfillment(event.payload, model, backend, config)
                    .await
            }
        };
        Ok::<_, lambda_runtime::Error>(response)
    }))
    .await
    .map_err(|e| anyhow::anyhow!(e))
}
