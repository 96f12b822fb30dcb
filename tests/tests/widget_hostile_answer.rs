//! End to end: a bot answer carrying hostile HTML and Markdown executes nothing in the page.
//! The answer comes from a stand-in Lambda behind the devstack's `--fulfillment-url`, the way a
//! compromised or careless fulfillment would send it.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use lexstream_devstack::DevstackConfig;
use lexstream_e2e::{Browser, WidgetPage, built_dist_dir};

const TIMEOUT: Duration = Duration::from_secs(20);

const HOSTILE_ANSWER: &str = "Here you go <img src=x onerror=\"window.__pwned='img'\"> \
    <script>window.__pwned='script'</script> [click](javascript:window.__pwned='link') \
    <a href=\"https://example.com\" onclick=\"window.__pwned='onclick'\">docs</a> \
    <svg onload=\"window.__pwned='svg'\"></svg><iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe> **done**";

/// A Lambda invoke endpoint answering every code hook with `HOSTILE_ANSWER`.
async fn hostile_lambda() -> anyhow::Result<String> {
    use axum::routing::post;
    let app = axum::Router::new().route(
        "/2015-03-31/functions/function/invocations",
        post(|axum::Json(event): axum::Json<serde_json::Value>| async move {
            axum::Json(serde_json::json!({
                "sessionState": {
                    "sessionAttributes": event["sessionState"]["sessionAttributes"],
                    "dialogAction": { "type": "Close" },
                    "intent": { "name": "FallbackIntent", "state": "Fulfilled" }
                },
                "messages": [{ "contentType": "CustomPayload", "content": HOSTILE_ANSWER }]
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/2015-03-31/functions/function/invocations", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

#[tokio::test]
async fn hostile_html_and_markdown_in_an_answer_execute_nothing() -> anyhow::Result<()> {
    let config = DevstackConfig {
        addr: "127.0.0.1:0".parse()?,
        dist_dir: built_dist_dir()?,
        fulfillment_url: Some(hostile_lambda().await?),
        ..DevstackConfig::default()
    };
    let devstack = lexstream_devstack::spawn(config).await?;
    let browser = Browser::start().await?;
    let result = async {
        let page = WidgetPage::open(&browser, &devstack.url(), TIMEOUT).await?;
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        let input = page.wait_for("input", TIMEOUT).await?;
        input.send_keys("anything at all, please").await?;
        input.send_keys(&char::from(Key::Enter).to_string()).await?;

        let deadline = Instant::now() + TIMEOUT;
        let html = loop {
            let value = browser
                .client
                .execute(
                    "const root = document.querySelector('[data-lexstream-host]').shadowRoot;
                     const final = root.querySelectorAll('[data-state=\"final\"]');
                     return final.length > 1 ? final[final.length - 1].innerHTML : null;",
                    vec![],
                )
                .await?;
            if let Some(html) = value.as_str() {
                break html.to_owned();
            }
            anyhow::ensure!(Instant::now() < deadline, "no final answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        // Give any handler a chance to fire before checking.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let pwned = browser
            .client
            .execute("return window.__pwned === undefined ? null : window.__pwned;", vec![])
            .await?;
        assert!(pwned.is_null(), "hostile content executed: {pwned}");
        let lower = html.to_ascii_lowercase();
        for forbidden in ["onerror", "onclick", "onload", "<script", "<svg", "<iframe", "javascript:"] {
            assert!(!lower.contains(forbidden), "{forbidden} reached the DOM: {html}");
        }
        assert!(html.contains("<strong>done</strong>"), "the harmless Markdown still renders: {html}");
        assert!(html.contains("href=\"https://example.com\""), "the safe link stays: {html}");
        anyhow::Ok(())
    }
    .await;
    browser.close().await;
    devstack.stop();
    result
}
