//! End to end: page context in `lex.sessionAttributes` (the Lex Web UI's key) reaches the bot's
//! code hook with every question, beside the widget's streaming attributes, and the page cannot
//! override those. The code hook is a stand-in Lambda behind the devstack's `--fulfillment-url`
//! that records the session attributes Lex hands it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use lexstream_e2e::{WidgetPage, in_browser, serve_stand_in_lambda, start_devstack_with};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(20);

/// Adds page context to the page's JSON config before the widget's code loads (it reads the
/// config when it mounts), and a `streamingEndpoint` the widget must not let through.
const ADD_PAGE_CONTEXT: &str = "const config = document.getElementById('lexstream-config');
    const json = JSON.parse(config.textContent);
    json.lex.sessionAttributes = { productId: 'sku-42', plan: 'trial', streamingEndpoint: 'https://evil.example' };
    config.textContent = JSON.stringify(json);
    return true;";

/// A Lambda invoke endpoint that records each code hook's session attributes and answers.
async fn recording_lambda(seen: Arc<Mutex<Vec<Value>>>) -> anyhow::Result<String> {
    serve_stand_in_lambda(axum::routing::post(move |axum::Json(event): axum::Json<Value>| async move {
        let attributes = event["sessionState"]["sessionAttributes"].clone();
        seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(attributes.clone());
        axum::Json(serde_json::json!({
            "sessionState": {
                "sessionAttributes": attributes,
                "dialogAction": { "type": "Close" },
                "intent": { "name": "FallbackIntent", "state": "Fulfilled" }
            },
            "messages": [{ "contentType": "PlainText", "content": "Noted, thank you." }]
        }))
    }))
    .await
}

#[tokio::test]
async fn page_context_reaches_the_code_hook_with_every_question() -> anyhow::Result<()> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let fulfillment_url = recording_lambda(Arc::clone(&seen)).await?;
    let devstack = start_devstack_with(|config| config.fulfillment_url = Some(fulfillment_url)).await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        assert_eq!(page.run_script(ADD_PAGE_CONTEXT).await?, Value::Bool(true));
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("Is this product on my plan?").await?;
        page.wait_for_answer("Noted", TIMEOUT).await?;
        page.ask("And the next one?").await?;
        page.wait_for_answer("Noted", TIMEOUT).await?;

        let seen = seen.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        assert_eq!(seen.len(), 2, "two questions, two code hooks: {seen:?}");
        for attributes in &seen {
            assert_eq!(attributes["productId"], "sku-42", "{attributes}");
            assert_eq!(attributes["plan"], "trial", "{attributes}");
            // The widget's own streaming attribute wins over the page's.
            let endpoint = attributes["streamingEndpoint"].as_str().unwrap_or_default();
            assert!(endpoint.starts_with(&devstack.url()), "{attributes}");
            assert_ne!(endpoint, "https://evil.example");
        }
        Ok(())
    })
    .await
}
