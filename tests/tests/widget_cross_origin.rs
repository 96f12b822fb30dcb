//! End to end: a site on another origin embeds the widget with one script tag, under a strict
//! Content-Security-Policy, and a visitor gets a streamed answer — no CSP violation, no error.

use std::time::Duration;

use lexstream_e2e::{WidgetPage, devstack_widget_config, in_browser, serve_page, serve_site, start_devstack};

const TIMEOUT: Duration = Duration::from_secs(30);

/// The host site's page: the widget's origin is allowed for scripts and connections only.
fn host_page(widget_origin: &str) -> String {
    let ws_origin = widget_origin.replace("http://", "ws://");
    let mut config = devstack_widget_config(widget_origin);
    config["ui"] = serde_json::json!({ "toolbarTitle": "Another shop" });
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src {widget_origin} 'wasm-unsafe-eval'; connect-src {widget_origin} {ws_origin}; style-src 'none'; img-src 'none'; base-uri 'none'">
<title>Another shop</title>
<script type="application/json" id="lexstream-config">{config}</script>
<script type="module" src="{widget_origin}/lexstream.js"></script>
</head>
<body><h1>Another shop</h1><p>This page is not served by the devstack.</p></body>
</html>"#
    )
}

#[tokio::test]
async fn the_widget_embedded_from_another_origin_under_a_strict_csp_streams() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    let site = serve_page(host_page(&devstack.url())).await?;

    in_browser(devstack, async |browser, _devstack| {
        let page = WidgetPage::open(browser, &site, TIMEOUT).await?;
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("How does streaming work?").await?;
        let answer = page.wait_for_answer("devstack demo model", TIMEOUT).await?;
        assert!(answer.streamed.iter().any(|s| !s.is_empty()), "the answer streamed across origins");
        assert!(answer.final_html.contains("<strong>"), "{}", answer.final_html);
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors or CSP violations: {errors:#?}");
        Ok(())
    })
    .await
}

/// Whether the widget's element with `data-testid="TESTID"` sits nearer the window's left edge
/// than its right one.
const ON_THE_LEFT: &str = "const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    const box = root.querySelector('[data-testid=\"TESTID\"]').getBoundingClientRect();
    return box.width > 0 && box.left < window.innerWidth - box.right;";

/// The Lex Web UI-style config file a site serves itself (absolute URLs of the widget's origin).
fn config_file(widget_origin: &str) -> String {
    let mut config = devstack_widget_config(widget_origin);
    config["ui"] = serde_json::json!({ "toolbarTitle": "From the file" });
    config.to_string()
}

#[tokio::test]
async fn a_config_url_and_data_attributes_configure_the_widget() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    let widget_origin = devstack.url();
    let ws_origin = widget_origin.replace("http://", "ws://");
    let page_html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src {widget_origin} 'wasm-unsafe-eval'; connect-src 'self' {widget_origin} {ws_origin}; style-src 'none'">
<title>Attributes</title>
<script type="module" src="{widget_origin}/lexstream.js" data-config-url="/widget-config.json" data-title="Configured by attributes" data-position="left"></script>
</head><body><h1>Attributes</h1></body></html>"#
    );
    let file = config_file(&widget_origin);
    let app = axum::Router::new()
        .route("/", axum::routing::get(move || async move { axum::response::Html(page_html) }))
        .route(
            "/widget-config.json",
            axum::routing::get(move || async move { ([("content-type", "application/json")], file) }),
        );
    let site = serve_site(app).await?;

    in_browser(devstack, async |browser, _devstack| {
        let page = WidgetPage::open(browser, &site, TIMEOUT).await?;
        // data-position="left": the loader's launcher sits on the left before any widget code.
        let launcher = page.wait_for("launcher", TIMEOUT).await?;
        let left = page.run_script(ON_THE_LEFT.replace("TESTID", "launcher").as_str()).await?;
        assert_eq!(left, serde_json::Value::Bool(true), "the loader's launcher is on the left");
        launcher.click().await?;
        // The click loads the widget's code, then the panel opens, on the left too.
        page.wait_for("panel", TIMEOUT).await?;
        for part in ["panel", "launcher"] {
            let left = page.run_script(ON_THE_LEFT.replace("TESTID", part).as_str()).await?;
            assert_eq!(left, serde_json::Value::Bool(true), "the widget's {part} is on the left");
        }
        let title = browser
            .client
            .execute(
                "return document.querySelector('[data-lexstream-host]').shadowRoot.querySelector('.lxs-title').textContent;",
                vec![],
            )
            .await?;
        assert_eq!(title, "Configured by attributes", "the tag's attribute wins over the file");
        page.ask("hello").await?;
        page.wait_for_answer("Hello!", TIMEOUT).await?;
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        Ok(())
    })
    .await
}
