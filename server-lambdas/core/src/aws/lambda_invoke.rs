//! Lambda `Invoke` with `InvocationType=Event` (queued: Lambda answers 202 at once and runs the
//! function on its own), to hand a long answer to the `answer-worker` Lambda. One signed POST
//! (`/2015-03-31/functions/{name}/invocations`, SigV4 service `lambda`), not a whole SDK crate.

use std::time::Duration;

use super::SdkConfig;
use super::signed_post::{PostAuth, SignedPost};

/// Longest wait for Lambda to accept an event (it answers in milliseconds; the fulfillment falls
/// back on answering itself, within Lex's time, when it does not).
const INVOKE_TIMEOUT: Duration = Duration::from_secs(2);

/// Queues invocations of one function.
#[derive(Debug, Clone)]
pub struct LambdaInvoker {
    post: SignedPost,
    function_name: String,
}

/// Lambda's endpoint: `AWS_ENDPOINT_URL_LAMBDA`, else the SDK configuration's endpoint
/// (`AWS_ENDPOINT_URL`), else the region's public endpoint.
fn lambda_endpoint(sdk_config: &SdkConfig, specific: Option<String>) -> String {
    specific.or_else(|| sdk_config.endpoint_url().map(str::to_owned)).unwrap_or_else(|| {
        let region = sdk_config.region().map_or("us-east-1", |region| region.as_ref());
        format!("https://lambda.{region}.amazonaws.com")
    })
}

impl LambdaInvoker {
    /// An invoker of `function_name` (a name or ARN) with the Lambda's own credentials.
    pub fn new(sdk_config: &SdkConfig, function_name: &str) -> Result<Self, String> {
        let specific = std::env::var("AWS_ENDPOINT_URL_LAMBDA").ok().filter(|url| !url.is_empty());
        let endpoint = lambda_endpoint(sdk_config, specific);
        let post =
            SignedPost::new(sdk_config, &endpoint, PostAuth::SigV4 { service: "lambda" }, INVOKE_TIMEOUT)
                .map_err(|e| format!("Lambda endpoint {e}"))?;
        Ok(Self { post, function_name: function_name.to_owned() })
    }

    /// Queues one invocation with `payload`; `Ok` once Lambda accepted it (202).
    pub async fn invoke_event(&self, payload: Vec<u8>) -> Result<(), String> {
        let path = format!(
            "/2015-03-31/functions/{}/invocations",
            lexstream_protocol::sigv4::uri_encode(&self.function_name, true)
        );
        let answer = self
            .post
            .post(&path, &[("x-amz-invocation-type", "Event")], payload)
            .await
            .map_err(|e| format!("invoking {}: {e}", self.function_name))?;
        if answer.status == 202 {
            return Ok(());
        }
        let error_type = answer
            .headers
            .get("x-amzn-errortype")
            .and_then(|value| value.to_str().ok())
            .unwrap_or("unknown error")
            .to_owned();
        Err(format!(
            "invoking {} answered {}: {error_type}: {}",
            self.function_name,
            answer.status,
            String::from_utf8_lossy(&answer.body)
        ))
    }
}

impl crate::ports::AnswerHandover for LambdaInvoker {
    async fn hand_over(&self, job: &crate::worker::AnswerJob) -> Result<(), String> {
        let payload = serde_json::to_vec(job).map_err(|e| format!("encoding the answer job: {e}"))?;
        self.invoke_event(payload).await
    }
}
