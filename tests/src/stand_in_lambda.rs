//! A stand-in for a bot developer's own Lambda, for the devstack's `fulfillment_url`: a handler
//! served at the Lambda Invoke API's path on a local port.

use axum::routing::MethodRouter;

/// Where Lambda's `Invoke` API takes a function's event (the devstack posts code hooks there).
const INVOKE_PATH: &str = "/2015-03-31/functions/function/invocations";

/// Serves `handler` (e.g. `axum::routing::post(…)`) at the invoke path of a new local port;
/// returns the URL to give the devstack as `fulfillment_url`.
pub async fn serve_stand_in_lambda(handler: MethodRouter) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}{INVOKE_PATH}", listener.local_addr()?);
    let app = axum::Router::new().route(INVOKE_PATH, handler);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}
