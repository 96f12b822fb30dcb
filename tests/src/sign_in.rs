//! Signed-in visitors on the devstack: ID tokens from its OpenID Connect provider
//! (`POST /_devstack/oidc/token`), as a site's login would hand them to the widget.

use lexstream_devstack::oidc::PROVIDER_NAME;
use serde_json::Value;

use crate::unsigned_post;

/// An ID token for `subject` from the devstack at `addr`, valid for `lifetime_seconds`.
pub async fn devstack_id_token(
    addr: std::net::SocketAddr,
    subject: &str,
    lifetime_seconds: i64,
) -> anyhow::Result<String> {
    let body = serde_json::json!({ "sub": subject, "lifetimeSeconds": lifetime_seconds }).to_string();
    let response =
        unsigned_post(addr, "/_devstack/oidc/token", &["Content-Type: application/json"], &body).await?;
    let (_, json) = response.split_once("\r\n\r\n").unwrap_or_default();
    let json: Value = serde_json::from_str(json)?;
    anyhow::ensure!(json["provider"] == PROVIDER_NAME, "the devstack named another provider: {json}");
    json["idToken"].as_str().map(str::to_owned).ok_or_else(|| anyhow::anyhow!("no idToken in {json}"))
}
