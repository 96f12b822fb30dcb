//! The Lexstream devstack: one local server that serves the widget's demo page and, issue by
//! issue, answers the requests AWS would (API Gateway WebSocket, Lex V2 runtime, Bedrock,
//! Cognito identity, AppSync Events) so the widget and the Lambdas run unchanged offline.
//!
//! Today it serves the built widget (`dist/`) with the content types browsers need
//! (`application/wasm` for streaming compilation) and a `/healthz` probe.

mod config;
mod static_files;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;

pub use config::{ConfigError, DevstackConfig, USAGE};

/// Builds the devstack's HTTP routes.
pub fn router(config: &DevstackConfig) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .fallback_service(static_files::service(config.dist_dir.clone()))
}

/// A devstack running in the background (for tests and `cargo xtask dev`).
#[derive(Debug)]
pub struct RunningDevstack {
    /// The address it listens on (the real port when `:0` was asked for).
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RunningDevstack {
    /// The base URL of the devstack, e.g. `http://127.0.0.1:8080`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
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
    let app = router(&config);
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "devstack server stopped");
        }
    });
    Ok(RunningDevstack { addr, task })
}
