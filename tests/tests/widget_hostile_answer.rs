//! End to end: a bot answer carrying hostile Markdown and hostile HTML executes nothing in the
//! page; HTML inside Markdown reads as text, an HTML answer keeps only its safe formatting.
//! The answer comes from a stand-in Lambda behind the devstack's `--fulfillment-url`, the way a
//! compromised or careless fulfillment would send it.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use lexstream_e2e::{WidgetPage, in_browser, serve_stand_in_lambda, start_devstack_with};

const TIMEOUT: Duration = Duration::from_secs(20);

/// A Markdown answer with HTML in it (shown as text) and a script link (loses its target).
const HOSTILE_MARKDOWN: &str = "Here you go <img src=x onerror=\"window.__pwned='img'\"> \
    <script>window.__pwned='script'</script> [click](javascript:window.__pwned='link') \
    <a href=\"https://example.com\" onclick=\"window.__pwned='onclick'\">docs</a> \
    <svg onload=\"window.__pwned='svg'\"></svg><iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe> **done**";

/// An HTML answer (it starts with a tag): sanitized by the browser-side sanitizer.
const HOSTILE_HTML: &str = "<p>Read <a href=\"https://example.com\" onclick=\"window.__pwned='html-onclick'\">the docs</a>\
    <img src=x onerror=\"window.__pwned='html-img'\"><script>window.__pwned='html-script'</script>\
    <svg><a href=\"javascript:window.__pwned='svg-link'\"><text>x</text></a></svg>\
    <a href=\"jav&#x09;ascript:window.__pwned='entity'\">tricky</a> <b>bold</b>\
    <math><mtext><table><mglyph><style><img src=x onerror=\"window.__pwned='mxss'\"></p>";

/// Elements or attributes that would mean hostile markup reached the page.
const LIVE_MARKUP: &str = "script, style, svg, math, iframe, object, embed, [onerror], [onclick], [onload], a[href^='javascript' i], a[href*='script:' i]";

/// A Lambda invoke endpoint answering every code hook with both hostile messages.
async fn hostile_lambda() -> anyhow::Result<String> {
    serve_stand_in_lambda(axum::routing::post(
        |axum::Json(event): axum::Json<serde_json::Value>| async move {
            axum::Json(serde_json::json!({
                "sessionState": {
                    "sessionAttributes": event["sessionState"]["sessionAttributes"],
                    "dialogAction": { "type": "Close" },
                    "intent": { "name": "FallbackIntent", "state": "Fulfilled" }
                },
                "messages": [
                    { "contentType": "CustomPayload", "content": HOSTILE_MARKDOWN },
                    { "contentType": "CustomPayload", "content": HOSTILE_HTML }
                ]
            }))
        },
    ))
    .await
}

#[tokio::test]
async fn hostile_html_and_markdown_in_an_answer_execute_nothing() -> anyhow::Result<()> {
    let fulfillment_url = hostile_lambda().await?;
    let devstack = start_devstack_with(|config| config.fulfillment_url = Some(fulfillment_url)).await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        let input = page.wait_for("input", TIMEOUT).await?;
        input.send_keys("anything at all, please").await?;
        input.send_keys(&char::from(Key::Enter).to_string()).await?;

        let deadline = Instant::now() + TIMEOUT;
        let answer = loop {
            let value = browser
                .client
                .execute(
                    &format!(
                        "const root = document.querySelector('[data-lexstream-host]').shadowRoot;
                         const final = root.querySelectorAll('[data-state=\"final\"]');
                         if (final.length < 2) return null;
                         const answer = final[final.length - 1];
                         return [answer.innerHTML, answer.innerText, answer.querySelectorAll(\"{LIVE_MARKUP}\").length];"
                    ),
                    vec![],
                )
                .await?;
            if value.is_array() {
                break value;
            }
            anyhow::ensure!(Instant::now() < deadline, "no final answer");
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        let (html, text) = (answer[0].as_str().unwrap_or_default(), answer[1].as_str().unwrap_or_default());
        // Give any handler a chance to fire before checking.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let pwned = browser
            .client
            .execute("return window.__pwned === undefined ? null : window.__pwned;", vec![])
            .await?;
        assert!(pwned.is_null(), "hostile content executed: {pwned}");
        assert_eq!(answer[2].as_u64(), Some(0), "live hostile markup in the answer: {html}");
        // Markdown: the HTML in it is shown as text, the script link keeps only its text.
        assert!(text.contains("Here you go <img src=x onerror="), "HTML in Markdown reads as text: {text}");
        assert!(html.contains("<strong>done</strong>"), "the harmless Markdown still renders: {html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        // HTML: the safe parts stay, links open in a new tab.
        assert!(
            html.contains(
                "<a href=\"https://example.com\" target=\"_blank\" rel=\"noopener noreferrer nofollow\">the docs</a>"
            ),
            "the safe link stays: {html}"
        );
        assert!(html.contains("<b>bold</b>") && text.contains("tricky"), "{html}");
        Ok(())
    })
    .await
}
