//! Another site embedding the widget from a devstack's origin: the widget config such a site
//! writes (absolute URLs of the devstack), and a server for its pages.

use serde_json::{Value, json};

/// The widget config of a site whose widget, Cognito, Lex and WebSocket are `widget_origin`'s.
pub fn devstack_widget_config(widget_origin: &str) -> Value {
    let ws_origin = widget_origin.replace("http://", "ws://");
    json!({
        "region": "us-east-1",
        "cognito": { "poolId": "us-east-1:00000000-0000-0000-0000-000000000000" },
        "lex": {
            "v2BotId": "LXSDEMOBOT", "v2BotAliasId": "TSTALIASID", "v2BotLocaleId": "en_US",
            "streamingWebSocketEndpoint": format!("{ws_origin}/Prod"),
            "streamingDynamoDbTable": "lexstream-connections"
        },
        "endpoints": { "cognito": format!("{widget_origin}/"), "lex": format!("{widget_origin}/") }
    })
}

/// Serves `app` on a new local port; returns the site's URL (`http://127.0.0.1:<port>/`).
pub async fn serve_site(app: axum::Router) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let site = format!("http://{}/", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(site)
}

/// A site whose `/` is `html`.
pub async fn serve_page(html: String) -> anyhow::Result<String> {
    serve_site(
        axum::Router::new().route("/", axum::routing::get(move || async move { axum::response::Html(html) })),
    )
    .await
}
