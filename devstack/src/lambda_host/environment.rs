//! One execution environment of a hosted function: the function's process, started with
//! `AWS_LAMBDA_RUNTIME_API` pointing at a Runtime API listener of its own, the invocation it is
//! working on, and what happens when the process exits, fails to initialize or runs too long.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

use super::report::{self, InvocationReport};
use super::{FunctionSettings, RuntimeCommand};

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The function answered (`POST …/response`).
    Response(Bytes),
    /// The function reported an error (`POST …/error`), or could not initialize
    /// (`POST init/error`): its type and the body the runtime sent.
    FunctionError {
        /// e.g. `Unhandled`, `Runtime.ImportModuleError`.
        error_type: String,
        /// The runtime's error document (`{"errorMessage", "errorType", "stackTrace"}`).
        body: Bytes,
    },
    /// The process exited before answering (Lambda's `Runtime.ExitError`).
    Exited(String),
    /// The function ran past its timeout and was stopped (`Task timed out after N seconds`).
    TimedOut(Duration),
}

/// An invocation handed to the runtime by `GET invocation/next`.
#[derive(Debug, Clone)]
pub(super) struct Invocation {
    pub(super) request_id: String,
    pub(super) payload: Bytes,
    pub(super) deadline_ms: u128,
    pub(super) trace_id: String,
}

/// How an invocation ended, and how long the runtime had it (`None`: it never took it).
type Finished = (Outcome, Option<Duration>);

/// An invocation waiting for its end.
#[derive(Debug)]
struct Waiting {
    reply: oneshot::Sender<Finished>,
    /// When `GET invocation/next` handed it to the runtime.
    handed_at: Option<Instant>,
}

/// What the Runtime API routes share with the environment.
#[derive(Debug)]
pub(super) struct EnvironmentState {
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    pub(super) function_arn: String,
    queue: tokio::sync::Mutex<mpsc::Receiver<Invocation>>,
    /// When the runtime first asked for an invocation: the end of its init.
    first_poll: OnceLock<Instant>,
    in_flight: Mutex<HashMap<String, Waiting>>,
    init_error: Mutex<Option<Outcome>>,
    /// How the process ended, once it has: what any invocation still arriving gets.
    ended: Mutex<Option<Outcome>>,
}

impl EnvironmentState {
    /// The next invocation, once there is one, marked as handed to the runtime now; `None` when
    /// the environment is gone. The first call ends the environment's init.
    pub(super) async fn next_invocation(&self) -> Option<Invocation> {
        let _ = self.first_poll.set(Instant::now());
        let invocation = self.queue.lock().await.recv().await?;
        if let Some(waiting) =
            self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).get_mut(&invocation.request_id)
        {
            waiting.handed_at = Some(Instant::now());
        }
        Some(invocation)
    }

    /// Completes the invocation `request_id` with `outcome`; false if no such invocation waits.
    pub(super) fn complete(&self, request_id: &str, outcome: Outcome) -> bool {
        let waiting = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).remove(request_id);
        waiting.is_some_and(|waiting| {
            // The invoker may have given up (a caller's timeout); the runtime's call still counts.
            let _ = waiting.reply.send((outcome, waiting.handed_at.map(|at| at.elapsed())));
            true
        })
    }

    /// Records an initialization error: every waiting invocation fails with it, as will the
    /// environment's end.
    pub(super) fn fail_init(&self, error_type: String, body: Bytes) {
        tracing::warn!(function = %self.function_arn, %error_type, "the function failed to initialize");
        let failure = Outcome::FunctionError { error_type, body };
        *self.init_error.lock().unwrap_or_else(PoisonError::into_inner) = Some(failure.clone());
        self.fail_all(&failure);
    }

    fn fail_all(&self, outcome: &Outcome) {
        let waiting: Vec<_> = self.in_flight.lock().unwrap_or_else(PoisonError::into_inner).drain().collect();
        for (_, waiting) in waiting {
            let _ = waiting.reply.send((outcome.clone(), waiting.handed_at.map(|at| at.elapsed())));
        }
    }
}

/// A running environment.
#[derive(Debug)]
pub(super) struct Environment {
    state: Arc<EnvironmentState>,
    sender: mpsc::Sender<Invocation>,
    alive: Arc<AtomicBool>,
    /// Whether an invocation is running here (one at a time, as on Lambda).
    pub(super) busy: AtomicBool,
    kill: Mutex<Option<oneshot::Sender<()>>>,
    /// When the process was started.
    started: Instant,
    /// The process (with a shell command, the shell, or what it `exec`ed).
    pid: Option<u32>,
    /// Whether the init duration was reported (with the first invocation, as Lambda does).
    init_reported: AtomicBool,
}

fn epoch_millis() -> u128 {
    u128::try_from(crate::clock::epoch_millis()).unwrap_or(0)
}

impl Environment {
    /// Starts the function's process with a Runtime API of its own (a cold start).
    pub(super) async fn start(settings: &FunctionSettings, number: usize) -> std::io::Result<Self> {
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let api_addr = listener.local_addr()?;
        let (sender, receiver) = mpsc::channel(1);
        let state = Arc::new(EnvironmentState {
            function_arn: settings.function_arn(),
            queue: tokio::sync::Mutex::new(receiver),
            first_poll: OnceLock::new(),
            in_flight: Mutex::default(),
            init_error: Mutex::default(),
            ended: Mutex::default(),
        });
        let server = tokio::spawn({
            let routes = super::runtime_api::routes(state.clone());
            async move {
                if let Err(error) = axum::serve(listener, routes).await {
                    tracing::error!(%error, "Lambda Runtime API stopped");
                }
            }
        });
        let mut command = match &settings.command {
            RuntimeCommand::Shell(line) => {
                let mut shell = tokio::process::Command::new("sh");
                shell.arg("-c").arg(line);
                shell
            }
            RuntimeCommand::Program { program, args } => {
                let mut direct = tokio::process::Command::new(program);
                direct.args(args);
                direct
            }
        };
        command
            .envs(settings.environment(&api_addr.to_string(), number))
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        let started = Instant::now();
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(error) => {
                server.abort();
                return Err(error);
            }
        };
        let name = settings.name.clone();
        let pid = child.id();
        if let Some(stdout) = child.stdout.take() {
            tokio::spawn(forward_lines(name.clone(), stdout));
        }
        if let Some(stderr) = child.stderr.take() {
            tokio::spawn(forward_lines(name.clone(), stderr));
        }
        tracing::info!(function = %name, environment = number, runtime_api = %api_addr, "started the function");
        let alive = Arc::new(AtomicBool::new(true));
        let (kill, killed) = oneshot::channel();
        tokio::spawn(watch_process(child, killed, state.clone(), alive.clone(), server, name));
        Ok(Self {
            state,
            sender,
            alive,
            busy: AtomicBool::new(false),
            kill: Mutex::new(Some(kill)),
            started,
            pid,
            init_reported: AtomicBool::new(false),
        })
    }

    /// Whether the process still runs.
    pub(super) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    /// Runs one invocation to its end (an answer, an error, the process's exit), with what it
    /// cost.
    pub(super) async fn run(&self, payload: Bytes, timeout: Duration) -> (Outcome, InvocationReport) {
        let request_id = uuid::Uuid::new_v4().to_string();
        let (outcome, duration) = self.run_invocation(&request_id, payload, timeout).await;
        let init_duration = if self.init_reported.swap(true, Ordering::SeqCst) {
            None
        } else {
            self.state.first_poll.get().map(|polled| polled.saturating_duration_since(self.started))
        };
        let max_memory_kib = self.pid.and_then(report::peak_memory_kib);
        (outcome, InvocationReport { request_id, duration, init_duration, max_memory_kib })
    }

    async fn run_invocation(&self, request_id: &str, payload: Bytes, timeout: Duration) -> Finished {
        let (reply, outcome) = oneshot::channel();
        if let Some(failure) = self.state.init_error.lock().unwrap_or_else(PoisonError::into_inner).clone() {
            return (failure, None);
        }
        let waiting = Waiting { reply, handed_at: None };
        self.state
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(request_id.to_owned(), waiting);
        // The process may have ended, or reported an init error, just before: then nothing would
        // ever answer.
        let ended = self.state.ended.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let init_error = self.state.init_error.lock().unwrap_or_else(PoisonError::into_inner).clone();
        if let Some(failure) = ended.or(init_error) {
            self.state.complete(request_id, failure);
        }
        let invocation = Invocation {
            request_id: request_id.to_owned(),
            payload,
            deadline_ms: epoch_millis() + timeout.as_millis(),
            trace_id: format!(
                "Root=1-{:08x}-{};Parent={};Sampled=0",
                epoch_millis() / 1000,
                &uuid::Uuid::new_v4().simple().to_string()[..24],
                &uuid::Uuid::new_v4().simple().to_string()[..16]
            ),
        };
        if self.sender.send(invocation).await.is_err() {
            self.state.complete(request_id, Outcome::Exited("the function's process is gone".into()));
        }
        match tokio::time::timeout(timeout, outcome).await {
            Ok(Ok(finished)) => finished,
            Ok(Err(_)) => (Outcome::Exited("the function's process is gone".into()), None),
            Err(_) => {
                self.stop();
                self.state.complete(request_id, Outcome::TimedOut(timeout));
                (Outcome::TimedOut(timeout), Some(timeout))
            }
        }
    }

    /// Stops the process (and all it started), as Lambda does after a timeout.
    pub(super) fn stop(&self) {
        self.alive.store(false, Ordering::SeqCst);
        if let Some(kill) = self.kill.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = kill.send(());
        }
    }
}

/// Waits for the process to end (or to be told to stop it), then fails what it left unanswered.
async fn watch_process(
    mut child: tokio::process::Child,
    killed: oneshot::Receiver<()>,
    state: Arc<EnvironmentState>,
    alive: Arc<AtomicBool>,
    server: tokio::task::JoinHandle<()>,
    name: String,
) {
    // The process group has the id of its leader (`process_group(0)`).
    let group = child.id();
    let status = tokio::select! {
        status = child.wait() => status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string()),
        _ = killed => {
            kill_group(group).await;
            let _ = child.kill().await;
            "stopped after its timeout".to_owned()
        }
    };
    // Whatever the runtime started (`sh -c` may have started it as a child) goes with it.
    kill_group(group).await;
    tracing::info!(function = %name, %status, "the function's process ended");
    let init_error = state.init_error.lock().unwrap_or_else(PoisonError::into_inner).clone();
    let ended = init_error.unwrap_or_else(|| Outcome::Exited(format!("Runtime exited ({status})")));
    *state.ended.lock().unwrap_or_else(PoisonError::into_inner) = Some(ended.clone());
    alive.store(false, Ordering::SeqCst);
    state.fail_all(&ended);
    server.abort();
}

/// Kills every process of the group led by `leader`, if any is left.
async fn kill_group(leader: Option<u32>) {
    if let Some(pid) = leader {
        let _ = tokio::process::Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .stderr(Stdio::null())
            .status()
            .await;
    }
}

/// Logs what the function prints, line by line, as CloudWatch would keep it.
async fn forward_lines(name: String, output: impl tokio::io::AsyncRead + Unpin) {
    let mut lines = BufReader::new(output).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::info!(target: "lambda", function = %name, "{line}");
    }
}
