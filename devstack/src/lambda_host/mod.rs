//! Hosts a Lambda function written in any language as a local process, over the real
//! **Lambda Runtime API** (`--fulfillment-cmd`): the devstack starts the command with
//! `AWS_LAMBDA_RUNTIME_API` and the environment a Lambda has, hands it invocations through
//! `GET /2018-06-01/runtime/invocation/next`, and reads its answers and errors — so AWS's own
//! runtime clients (awslambdaric for Python, aws-lambda-ric for Node, `lambda_runtime` for Rust)
//! run a function exactly as on Lambda.
//!
//! The devstack's Lambda `Invoke` API ([`Functions`]) runs such functions, or handlers in its own
//! process, synchronously or as queued `Event` invocations.
//!
//! Like Lambda, each execution environment runs one invocation at a time; a new one is started
//! (a cold start) when all are busy, up to a limit. A process that exits, fails to initialize or
//! runs past its timeout fails its invocation the way Lambda reports it, and the next invocation
//! gets a fresh environment.

mod environment;
mod invoke_api;
mod report;
mod runtime_api;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::body::Bytes;
use tokio::sync::{Mutex, Notify, oneshot};

use environment::Environment;
pub use environment::Outcome;
pub use invoke_api::{Functions, InProcessHandler, LambdaFunction};
pub(crate) use invoke_api::{InvokeApi, routes as invoke_routes};
pub use report::InvocationReport;

use crate::identities::{SERVICE_ACCESS_KEY, SERVICE_SECRET_KEY};

/// The region the devstack answers for.
pub const REGION: &str = "us-east-1";
/// The account id in the ARNs the devstack makes up.
const ACCOUNT_ID: &str = "000000000000";

/// How the host starts a function's runtime process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeCommand {
    /// A shell command line, run with `sh -c` (what `--fulfillment-cmd` takes), e.g.
    /// `cd app && exec python -m awslambdaric app.handler`.
    Shell(String),
    /// A program started directly with `args`, as Lambda starts a custom runtime's `bootstrap`:
    /// no shell in between (whose start would count in the function's init time).
    Program {
        /// The executable.
        program: PathBuf,
        /// Its arguments.
        args: Vec<String>,
    },
}

impl std::fmt::Display for RuntimeCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Shell(line) => f.write_str(line),
            Self::Program { program, args } => {
                write!(f, "{}", program.display())?;
                args.iter().try_for_each(|arg| write!(f, " {arg}"))
            }
        }
    }
}

/// What a hosted function is and how it runs.
#[derive(Debug, Clone)]
pub struct FunctionSettings {
    /// The function's name (`AWS_LAMBDA_FUNCTION_NAME`).
    pub name: String,
    /// What starts its runtime.
    pub command: RuntimeCommand,
    /// The function's timeout (the deadline each invocation gets).
    pub timeout: Duration,
    /// Most environments running at once (concurrent invocations).
    pub max_environments: usize,
    /// Variables set for the function on top of the devstack's own environment: the endpoints and
    /// credentials of [`function_environment`], then the function's own settings.
    pub variables: Vec<(String, String)>,
}

impl FunctionSettings {
    /// The function's ARN.
    pub fn function_arn(&self) -> String {
        format!("arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{}", self.name)
    }

    /// Every variable the process starts with, for the environment numbered `number`.
    fn environment(&self, runtime_api: &str, number: usize) -> Vec<(String, String)> {
        let date = crate::time_format::rfc3339(std::time::SystemTime::now());
        let mut variables = vec![
            ("AWS_LAMBDA_RUNTIME_API".to_owned(), runtime_api.to_owned()),
            ("AWS_LAMBDA_FUNCTION_NAME".to_owned(), self.name.clone()),
            ("AWS_LAMBDA_FUNCTION_VERSION".to_owned(), "$LATEST".to_owned()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE".to_owned(), report::MEMORY_SIZE_MB.to_string()),
            ("AWS_LAMBDA_FUNCTION_TIMEOUT".to_owned(), self.timeout.as_secs().to_string()),
            ("AWS_LAMBDA_LOG_GROUP_NAME".to_owned(), format!("/aws/lambda/{}", self.name)),
            (
                "AWS_LAMBDA_LOG_STREAM_NAME".to_owned(),
                format!(
                    "{}/[$LATEST]devstack{number:04}",
                    date.get(..10).unwrap_or("1970-01-01").replace('-', "/")
                ),
            ),
            ("AWS_LAMBDA_INITIALIZATION_TYPE".to_owned(), "on-demand".to_owned()),
            ("AWS_EXECUTION_ENV".to_owned(), "lexstream-devstack".to_owned()),
            ("TZ".to_owned(), ":UTC".to_owned()),
        ];
        variables.extend(self.variables.iter().cloned());
        variables
    }
}

/// The variables a function run against the devstack needs (what `--fulfillment-cmd` sets, and
/// what the start banner prints for a fulfillment started by hand): region, the devstack's
/// service credentials, and the endpoints of Bedrock, DynamoDB (`dynamodb_url`) and everything
/// else at `devstack_url`.
pub fn function_environment(devstack_url: &str, dynamodb_url: &str) -> Vec<(String, String)> {
    [
        ("AWS_REGION", REGION),
        ("AWS_DEFAULT_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", SERVICE_ACCESS_KEY),
        ("AWS_SECRET_ACCESS_KEY", SERVICE_SECRET_KEY),
        ("AWS_ENDPOINT_URL", devstack_url),
        ("AWS_ENDPOINT_URL_BEDROCK_RUNTIME", devstack_url),
        ("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_url),
        ("AWS_ENDPOINT_URL_LEX_RUNTIME_V2", devstack_url),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value.to_owned()))
    .collect()
}

/// A function hosted as processes, invoked like Lambda invokes it.
#[derive(Debug)]
pub struct HostedFunction {
    settings: FunctionSettings,
    environments: Mutex<Vec<Arc<Environment>>>,
    started: std::sync::atomic::AtomicUsize,
    freed: Notify,
}

impl HostedFunction {
    /// A function that starts no process until [`HostedFunction::warm_up`] or its first
    /// invocation.
    pub fn new(settings: FunctionSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            environments: Mutex::default(),
            started: std::sync::atomic::AtomicUsize::new(0),
            freed: Notify::new(),
        })
    }

    /// The function's settings.
    pub fn settings(&self) -> &FunctionSettings {
        &self.settings
    }

    /// Starts one environment now, so the first answer does not wait for a cold start and an
    /// initialization error shows in the log at once.
    pub async fn warm_up(&self) -> std::io::Result<()> {
        let mut environments = self.environments.lock().await;
        if environments.is_empty() {
            environments.push(Arc::new(self.start_environment().await?));
        }
        Ok(())
    }

    async fn start_environment(&self) -> std::io::Result<Environment> {
        let number = self.started.fetch_add(1, Ordering::SeqCst) + 1;
        Environment::start(&self.settings, number).await
    }

    /// Invokes the function with `payload` (synchronously, as Lex invokes a code hook). The
    /// invocation runs to its end even when the caller stops waiting, as on Lambda.
    pub fn invoke(self: &Arc<Self>, payload: Bytes) -> oneshot::Receiver<Outcome> {
        self.start_invocation(payload, |outcome, _| outcome)
    }

    /// Like [`HostedFunction::invoke`], with what the invocation cost (Lambda's `REPORT` line).
    pub fn invoke_reported(
        self: &Arc<Self>,
        payload: Bytes,
    ) -> oneshot::Receiver<(Outcome, InvocationReport)> {
        self.start_invocation(payload, |outcome, report| (outcome, report))
    }

    fn start_invocation<T: Send + 'static>(
        self: &Arc<Self>,
        payload: Bytes,
        answer: fn(Outcome, InvocationReport) -> T,
    ) -> oneshot::Receiver<T> {
        let (reply, outcome) = oneshot::channel();
        let function = self.clone();
        tokio::spawn(async move {
            let (result, report) = match function.acquire().await {
                Ok(environment) => {
                    let finished = environment.run(payload, function.settings.timeout).await;
                    environment.busy.store(false, Ordering::SeqCst);
                    function.freed.notify_waiters();
                    finished
                }
                Err(error) => {
                    let failure =
                        Outcome::Exited(format!("could not start `{}`: {error}", function.settings.command));
                    (failure, InvocationReport::default())
                }
            };
            if let Outcome::FunctionError { error_type, .. } | Outcome::Exited(error_type) = &result {
                tracing::warn!(function = %function.settings.name, error = %error_type, "invocation failed");
            }
            tracing::info!(target: "lambda", function = %function.settings.name, "{report}");
            let _ = reply.send(answer(result, report));
        });
        outcome
    }

    /// An idle environment, marked busy: a running one, else a new one while under the limit,
    /// else the first to become free.
    async fn acquire(&self) -> std::io::Result<Arc<Environment>> {
        loop {
            let freed = self.freed.notified();
            {
                let mut environments = self.environments.lock().await;
                environments.retain(|environment| environment.is_alive());
                let idle = environments.iter().find(|environment| {
                    environment.busy.compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst).is_ok()
                });
                if let Some(environment) = idle {
                    return Ok(environment.clone());
                }
                if environments.len() < self.settings.max_environments.max(1) {
                    let environment = Arc::new(self.start_environment().await?);
                    environment.busy.store(true, Ordering::SeqCst);
                    environments.push(environment.clone());
                    return Ok(environment);
                }
            }
            freed.await;
        }
    }
}
