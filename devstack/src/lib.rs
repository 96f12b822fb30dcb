//! The Lexstream devstack: one local server that serves the widget's demo page and, issue by
//! issue, answers the requests AWS would (API Gateway WebSocket, Lex V2 runtime, Bedrock,
//! Cognito identity, AppSync Events) so the widget and the Lambdas run unchanged offline.
//!
//! Today it serves the built widget (`dist/`) with the content types browsers need
//! (`application/wasm` for streaming compilation), Bedrock's `ConverseStream`/`Converse` with a
//! demo model ([`bedrock`]), API Gateway's `@connections` management API over a registry of open
//! connections ([`apigw`]), fault injection ([`faults`]) and a `/healthz` probe.

pub mod apigw;
mod aws_error;
pub mod bedrock;
mod config;
pub mod faults;
mod static_files;
mod time_format;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

use crate::apigw::Connections;
use crate::faults::SharedFaults;

pub use config::{ConfigError, DevstackConfig, USAGE};
pub use faults::Faults;

/// The devstack's shared state: what tests and the admin endpoint can reach into.
#[derive(Debug, Clone, Default)]
pub struct DevstackState {
    /// Open WebSocket connections.
    pub connections: Connections,
    /// Faults in force.
    pub faults: SharedFaults,
}

/// Builds the devstack's HTTP routes over `state`.
pub fn router(config: &DevstackConfig, state: &DevstackState) -> Router {
    let admin = Router::new()
        .route("/_devstack/faults", get(faults::get_faults).post(faults::set_faults))
        .with_state(state.faults.clone());
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(admin)
        .merge(bedrock::routes(state.faults.clone(), config.model))
        .merge(apigw::management_routes(
            &config.stage,
            state.connections.clone(),
            state.faults.clone(),
            config.max_message_bytes,
        ))
        .fallback_service(static_files::service(config.dist_dir.clone()))
}

/// A devstack running in the background (for tests and `cargo xtask dev`).
#[derive(Debug)]
pub struct RunningDevstack {
    /// The address it listens on (the real port when `:0` was asked for).
    pub addr: SocketAddr,
    /// Its state (connections, faults).
    pub state: DevstackState,
    /// The API Gateway stage name it serves.
    pub stage: String,
    task: tokio::task::JoinHandle<()>,
}

impl RunningDevstack {
    /// The base URL of the devstack, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The WebSocket API stage URL (`http://…/{stage}`), as `streamingEndpoint` names it.
    pub fn stage_url(&self) -> String {
        format!("{}/{}", self.url(), self.stage)
    }

    /// Stops serving.
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Binds `config.addr` and serves in a background task.
pub async fn spawn(config: DevstackConfig) -> std::io::Result<RunningDevstack> {
    let listener = TcpListener::bind(config.addr).await?;
    let addr = listener.local_addr()?;
    let state = DevstackState::default();
    state.faults.set(config.faults.clone());
    let app = router(&config, &state);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "devstack server stopped");
        }
    });
    Ok(RunningDevstack { addr, state, stage: config.stage.clone(), task })
}
