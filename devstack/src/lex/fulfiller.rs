//! How the devstack's Lex runtime reaches the fulfillment code hook: the project's own
//! `lex-fulfillment` handler in-process (against the devstack's Bedrock and `@connections`), a
//! process the devstack hosts over the Lambda Runtime API (`--fulfillment-cmd`, any language, with
//! AWS's own runtime clients), or a Lambda at an invoke URL (`--fulfillment-url`, e.g. `cargo
//! lambda watch`), so a bot developer's own code hook can be tried.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use lexstream_lambda_core::aws::{ApiGatewayPusher, BedrockClient, BedrockModel, LambdaInvoker, SdkConfig};
use lexstream_lambda_core::config::AnswerMode;
use lexstream_lambda_core::config::FulfillmentConfig;
use lexstream_lambda_core::fulfillment::{handle_fulfillment, handle_fulfillment_with};
use lexstream_lambda_core::ports::StreamingBackend;
use lexstream_lambda_core::worker::{AnswerJob, handle_answer_job};
use lexstream_protocol::lex::{CodeHookEvent, CodeHookResponse};

use crate::connection_table::ConnectionTable;
use crate::lambda_host::{HostedFunction, InProcessHandler, Outcome};

/// Why the code hook gave no usable answer (Lex answers `424`/`502` then).
#[derive(Debug, thiserror::Error)]
pub enum FulfillmentError {
    /// The Lambda failed or answered something that is not a Lex response.
    #[error("Invalid Lambda Response: {0}")]
    InvalidResponse(String),
    /// The Lambda did not answer in time.
    #[error("Lambda timed out after {0:?}")]
    TimedOut(Duration),
}

/// The in-process fulfillment's streaming backend: the devstack's own table and `@connections`.
#[derive(Debug, Clone)]
pub struct DevstackBackend {
    table: ConnectionTable,
    sdk_config: SdkConfig,
}

impl StreamingBackend for DevstackBackend {
    type Store = ConnectionTable;
    type Pusher = ApiGatewayPusher;

    fn store(&self, _table: &str) -> ConnectionTable {
        self.table.clone()
    }

    fn pusher(&self, endpoint: &str) -> ApiGatewayPusher {
        ApiGatewayPusher::new(&self.sdk_config, endpoint)
    }
}

/// The project's `lex-fulfillment` handler with what it needs.
#[derive(Debug, Clone)]
pub struct InProcessFulfillment {
    /// Bedrock (the devstack's own emulation, through the real SDK client).
    model: BedrockModel,
    /// Table and pusher.
    backend: DevstackBackend,
    /// The handler's settings.
    config: FulfillmentConfig,
    /// The answer worker's invoker, in async mode (through the devstack's Lambda `Invoke` API).
    worker: Option<LambdaInvoker>,
    /// How long Lex waits for it (`--fulfillment-timeout-secs`).
    timeout: Duration,
}

impl InProcessFulfillment {
    /// The `answer-worker` handler with the same model, table, pusher and settings, as the
    /// devstack's Lambda `Invoke` API runs it.
    pub fn answer_worker(&self) -> InProcessHandler {
        let local = self.clone();
        Arc::new(move |payload: Bytes| {
            let local = local.clone();
            Box::pin(async move {
                let job: AnswerJob =
                    serde_json::from_slice(&payload).map_err(|e| format!("not an answer job: {e}"))?;
                let outcome = handle_answer_job(job, &local.model, &local.backend, &local.config).await;
                serde_json::to_vec(&outcome).map(Bytes::from).map_err(|e| e.to_string())
            })
        })
    }
}

/// Where fulfillment happens.
#[derive(Debug, Clone)]
pub enum Fulfiller {
    /// The project's `lex-fulfillment` handler, called in-process.
    InProcess(Box<InProcessFulfillment>),
    /// A function the devstack runs over the Lambda Runtime API (`--fulfillment-cmd`).
    Hosted {
        /// The function.
        function: Arc<HostedFunction>,
        /// How long Lex waits.
        timeout: Duration,
    },
    /// A Lambda behind an invoke URL.
    Url {
        /// e.g. `http://127.0.0.1:9000/2015-03-31/functions/function/invocations`.
        url: String,
        /// How long Lex waits.
        timeout: Duration,
    },
}

impl Fulfiller {
    /// The in-process fulfiller: SDK clients with the devstack's service credentials.
    pub fn in_process(
        sdk_config: &SdkConfig,
        table: ConnectionTable,
        config: FulfillmentConfig,
        timeout: Duration,
    ) -> Self {
        let worker = match &config.answer_mode {
            AnswerMode::Async { worker_function } => LambdaInvoker::new(sdk_config, worker_function)
                .inspect_err(|error| tracing::warn!(%error, "no answer worker; answering synchronously"))
                .ok(),
            AnswerMode::Sync => None,
        };
        Self::InProcess(Box::new(InProcessFulfillment {
            worker,
            timeout,
            model: BedrockModel::new(BedrockClient::new(sdk_config)),
            backend: DevstackBackend { table, sdk_config: sdk_config.clone() },
            config,
        }))
    }

    /// Runs the code hook for `event`.
    pub async fn fulfill(&self, event: CodeHookEvent) -> Result<CodeHookResponse, FulfillmentError> {
        match self {
            Self::InProcess(local) => {
                // Like a Lambda, the handler runs to its end even when Lex stops waiting.
                let local = local.clone();
                let timeout = local.timeout;
                let answer = tokio::spawn(async move {
                    match &local.worker {
                        Some(worker) => {
                            handle_fulfillment_with(
                                event,
                                &local.model,
                                &local.backend,
                                worker,
                                &local.config,
                            )
                            .await
                        }
                        None => handle_fulfillment(event, &local.model, &local.backend, &local.config).await,
                    }
                });
                tokio::time::timeout(timeout, answer)
                    .await
                    .map_err(|_| FulfillmentError::TimedOut(timeout))?
                    .map_err(|e| FulfillmentError::InvalidResponse(format!("the fulfillment panicked: {e}")))
            }
            Self::Hosted { function, timeout } => {
                let payload = serde_json::to_vec(&event)
                    .map_err(|e| FulfillmentError::InvalidResponse(e.to_string()))?;
                let outcome = tokio::time::timeout(*timeout, function.invoke(Bytes::from(payload)))
                    .await
                    .map_err(|_| FulfillmentError::TimedOut(*timeout))?
                    .map_err(|_| FulfillmentError::InvalidResponse("the function's host stopped".into()))?;
                lex_reading(outcome)
            }
            Self::Url { url, timeout } => tokio::time::timeout(*timeout, invoke_url(url, &event))
                .await
                .map_err(|_| FulfillmentError::TimedOut(*timeout))?,
        }
    }
}

/// How Lex reads a Lambda invocation's outcome: a code-hook response, or the error Lex reports.
fn lex_reading(outcome: Outcome) -> Result<CodeHookResponse, FulfillmentError> {
    let invalid = |what: String| FulfillmentError::InvalidResponse(what);
    match outcome {
        Outcome::Response(body) => serde_json::from_slice(&body)
            .map_err(|e| invalid(format!("{e}: {}", String::from_utf8_lossy(&body)))),
        Outcome::FunctionError { error_type, body } => Err(invalid(format!(
            "Received error response from Lambda: {error_type}: {}",
            String::from_utf8_lossy(&body)
        ))),
        Outcome::Exited(status) => {
            Err(invalid(format!("Received error response from Lambda: Runtime.ExitError: {status}")))
        }
        Outcome::TimedOut(after) => Err(FulfillmentError::TimedOut(after)),
    }
}

async fn invoke_url(url: &str, event: &CodeHookEvent) -> Result<CodeHookResponse, FulfillmentError> {
    let failed = |what: String| FulfillmentError::InvalidResponse(what);
    let body = serde_json::to_vec(event).map_err(|e| failed(e.to_string()))?;
    let request = axum::http::Request::post(url)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| failed(format!("bad --fulfillment-url {url:?}: {e}")))?;
    let client: Client<HttpConnector, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response = client.request(request).await.map_err(|e| failed(format!("calling {url}: {e}")))?;
    let status = response.status();
    let function_error = response.headers().get("x-amz-function-error").is_some();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| failed(format!("reading the answer of {url}: {e}")))?
        .to_bytes();
    if !status.is_success() || function_error {
        return Err(failed(format!("the Lambda failed ({status}): {}", String::from_utf8_lossy(&bytes))));
    }
    serde_json::from_slice(&bytes).map_err(|e| failed(format!("{e}: {}", String::from_utf8_lossy(&bytes))))
}
