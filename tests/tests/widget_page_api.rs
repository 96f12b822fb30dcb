//! End to end: the site owner's own code drives the widget through its JS API (`window.lexstream`)
//! — before the widget's code has loaded, its calls wait and fetch it: the demo product page's
//! button sets session attributes, opens the chat and asks, and the bot's code hook receives the
//! attributes; the page hears `ready`, `open`, `question` and `answer` (also as bubbling
//! `CustomEvent`s); `close` and `toggle` hide and show the panel; a wrong argument throws. Two
//! widgets on one page keep their conversations, events and saved state apart, across a reload.
//! The code hook is a stand-in Lambda behind the devstack's `--fulfillment-url`.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use fantoccini::Locator;
use lexstream_e2e::{
    WidgetPage, devstack_widget_config, in_browser, serve_page, serve_stand_in_lambda, start_devstack_with,
};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

/// What the code hook saw of each question: its text and session attributes.
type Seen = Arc<Mutex<Vec<(String, Value)>>>;

/// A Lambda that records each question and answers "You asked: <question>".
async fn echoing_lambda(seen: Seen) -> anyhow::Result<String> {
    serve_stand_in_lambda(axum::routing::post(move |axum::Json(event): axum::Json<Value>| async move {
        let question = event["inputTranscript"].as_str().unwrap_or_default().to_owned();
        let attributes = event["sessionState"]["sessionAttributes"].clone();
        seen.lock().unwrap_or_else(PoisonError::into_inner).push((question.clone(), attributes.clone()));
        axum::Json(json!({
            "sessionState": {
                "sessionAttributes": attributes,
                "dialogAction": { "type": "Close" },
                "intent": { "name": "FallbackIntent", "state": "Fulfilled" }
            },
            "messages": [{ "contentType": "PlainText", "content": format!("You asked: {question}") }]
        }))
    }))
    .await
}

/// The demo page's event log (`demo/api.js` writes one line per event): `[name, text]`.
const EVENT_LOG: &str = "return [...document.querySelectorAll('#event-log li')]
    .map((entry) => [entry.dataset.event, entry.textContent]);";

/// Whether the page has fetched the widget's WebAssembly yet.
const WASM_FETCHED: &str =
    "return performance.getEntriesByType('resource').some((entry) => entry.name.endsWith('.wasm'));";

fn events_named<'a>(log: &'a Value, name: &str) -> Vec<&'a str> {
    log.as_array()
        .into_iter()
        .flatten()
        .filter(|entry| entry[0] == name)
        .filter_map(|entry| entry[1].as_str())
        .collect()
}

#[tokio::test]
async fn page_code_opens_asks_and_hears_back_before_and_after_the_widget_loads() -> anyhow::Result<()> {
    let seen: Seen = Arc::default();
    let fulfillment_url = echoing_lambda(Arc::clone(&seen)).await?;
    let devstack = start_devstack_with(|config| config.fulfillment_url = Some(fulfillment_url)).await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &format!("{}/api.html", devstack.url()), TIMEOUT).await?;
        page.run_script(
            "window.bubbled = [];
             document.addEventListener('lexstream:answer', (event) => bubbled.push(event.detail.text));",
        )
        .await?;
        // Context set on every page view costs no download: it is kept for when the code comes.
        page.run_script("lexstream.setSessionAttributes({ plan: 'trial' });").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(page.run_script(WASM_FETCHED).await?, Value::Bool(false), "nothing heavy before the click");

        // The page's button: setSessionAttributes, open and send, all before the code is there.
        browser.client.find(Locator::Css("#ask-about-product")).await?.click().await?;
        page.wait_for("input", TIMEOUT).await?;
        let log = page.wait_for_script(&format!("const log = (() => {{ {EVENT_LOG} }})(); return log.some(([name]) => name === 'answer') && log;"),
            "the answer event", TIMEOUT)
        .await?;
        let names: Vec<&str> = log.as_array().into_iter().flatten().filter_map(|e| e[0].as_str()).collect();
        assert_eq!(names, ["ready", "open", "question", "answer"], "{log}");
        let question: Value = serde_json::from_str(events_named(&log, "question")[0].trim_start_matches("question "))?;
        let answer: Value = serde_json::from_str(events_named(&log, "answer")[0].trim_start_matches("answer "))?;
        assert_eq!(question["text"], "Tell me about this product");
        assert_eq!(answer["text"], "You asked: Tell me about this product");
        assert_eq!(answer["turn"], question["turn"], "the answer names its question's turn");
        assert_eq!(page.run_script("return bubbled;").await?, json!(["You asked: Tell me about this product"]));
        page.wait_for_answer("You asked: Tell me about this product", TIMEOUT).await?;
        {
            let seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
            let (_, attributes) = &seen[0];
            assert_eq!(attributes["productId"], "trail-42", "{attributes}");
            assert_eq!(attributes["plan"], "trial", "set before the code loaded: {attributes}");
            assert_eq!(attributes["page"], "product", "the config's lex.sessionAttributes too: {attributes}");
        }

        // Once loaded, calls run at once: a changed context (one removed) reaches the next question.
        // A listener given twice is called once, and off() removes it; a listener may call the
        // API at once (here: start over when the answer comes).
        page.run_script(
            "window.counted = 0;
             const count = () => { counted += 1; };
             lexstream.on('answer', count);
             lexstream.on('answer', count);
             lexstream.on('error', count);
             lexstream.off('answer', count);
             lexstream.on('answer', function startOver() {
               lexstream.off('answer', startOver);
               lexstream.newConversation();
             });
             lexstream.setSessionAttributes({ productId: null, plan: 'pro' });
             lexstream.send('Is it on my plan?');",
        )
        .await?;
        page.wait_for_script("return bubbled.length === 2;", "the second answer", TIMEOUT).await?;
        {
            let seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
            let (question, attributes) = &seen[1];
            assert_eq!(question, "Is it on my plan?");
            assert_eq!(attributes["plan"], "pro", "{attributes}");
            assert!(attributes.get("productId").is_none(), "removed with null: {attributes}");
        }
        assert_eq!(page.run_script("return counted;").await?, json!(0), "off() removed the answer listener");
        page.wait_gone("visitor-message", TIMEOUT).await?;
        page.run_script("lexstream.send('Still there?');").await?;
        page.wait_for_script("return bubbled.length === 3;", "an answer after the listener started over", TIMEOUT).await?;

        // A wrong argument throws at the call, saying what fits.
        let refusals = page
            .run_script(
                "const refusal = (call) => { try { call(); return null; } catch (error) {
                     return error instanceof TypeError && error.message; } };
                 return [refusal(() => lexstream.send('  ')),
                         refusal(() => lexstream.setSessionAttributes({ quantity: 2 })),
                         refusal(() => lexstream.on('answered', () => {}))];",
            )
            .await?;
        let refusals: Vec<&str> = refusals.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert_eq!(refusals.len(), 3, "{refusals:?}");
        assert!(refusals[1].contains("quantity: 2"), "{refusals:?}");
        assert!(refusals[2].contains("answer"), "the known events are listed: {refusals:?}");

        // close, toggle: the panel hides and shows again; the page hears both.
        page.run_script("lexstream.close();").await?;
        page.wait_gone("input", TIMEOUT).await?;
        page.run_script("lexstream.toggle();").await?;
        page.wait_for("input", TIMEOUT).await?;
        let log = page.run_script(EVENT_LOG).await?;
        assert_eq!(events_named(&log, "close").len(), 1, "{log}");
        assert_eq!(events_named(&log, "open").len(), 2, "{log}");
        Ok(())
    })
    .await
}

/// A page with two widgets (two desks' settings on one bot): "sales" on the left and "support"
/// on the right, sharing the page's JSON config, the widget's files from the devstack's origin
/// (the loader with a query string, as a site busting its cache would include it).
fn two_widget_page(widget_origin: &str) -> String {
    let config = devstack_widget_config(widget_origin);
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Two desks</title>
<script type="application/json" id="lexstream-config">{config}</script>
<script type="module" src="{widget_origin}/lexstream.js?v=7" data-id="sales" data-title="Sales" data-position="left"></script>
<script type="module" src="{widget_origin}/lexstream.js?v=7" data-id="support" data-title="Support"></script>
</head>
<body><h1>Two desks</h1></body>
</html>"#
    )
}

/// The visitor's messages shown in the widget called `id`, and whether its panel is open.
fn shown_in(id: &str) -> String {
    format!(
        "const root = document.querySelector('[data-lexstream-id=\"{id}\"]').shadowRoot;
         return [[...root.querySelectorAll('[data-testid=\"visitor-message\"]')].map((m) => m.textContent),
                 !!root.querySelector('[data-testid=\"input\"]')];"
    )
}

/// Waits until the widget called `id` shows its panel; the visitor's messages it shows then.
async fn messages_once_open(page: &WidgetPage<'_>, id: &str) -> anyhow::Result<Value> {
    let script =
        format!("const [messages, open] = (() => {{ {} }})(); return open && messages;", shown_in(id));
    page.wait_for_script(&script, &format!("{id} opening"), TIMEOUT).await
}

#[tokio::test]
async fn two_widgets_on_one_page_do_not_cross() -> anyhow::Result<()> {
    let seen: Seen = Arc::default();
    let fulfillment_url = echoing_lambda(Arc::clone(&seen)).await?;
    let devstack = start_devstack_with(|config| config.fulfillment_url = Some(fulfillment_url)).await?;
    let site = serve_page(two_widget_page(&devstack.url())).await?;

    in_browser(devstack, async |browser, _devstack| {
        let page = WidgetPage::open(browser, &site, TIMEOUT).await?;
        page.run_script(
            "window.heard = { sales: [], support: [] };
             for (const id of ['sales', 'support']) {
               const desk = lexstream.widget(id);
               desk.on('answer', (answer) => heard[id].push(answer.text));
             }
             lexstream.widget('sales').open();
             lexstream.widget('sales').send('A question for sales');
             lexstream.widget('support').send('A question for support');",
        )
        .await?;
        let heard = page
            .wait_for_script(
                "return heard.sales.length + heard.support.length === 2 && heard;",
                "both answers",
                TIMEOUT,
            )
            .await?;
        assert_eq!(heard["sales"], json!(["You asked: A question for sales"]), "{heard}");
        assert_eq!(heard["support"], json!(["You asked: A question for support"]), "{heard}");
        assert_eq!(page.run_script(&shown_in("sales")).await?, json!([["A question for sales"], true]));
        assert_eq!(
            page.run_script(&shown_in("support")).await?,
            json!([[], false]),
            "asked without opening: the panel stays closed"
        );
        page.run_script("lexstream.widget('support').open();").await?;
        assert_eq!(messages_once_open(&page, "support").await?, json!(["A question for support"]));
        let first = page.run_script("return lexstream.id;").await?;
        assert_eq!(first, "sales", "window.lexstream is the page's first widget");

        // Each keeps its own saved conversation: after a reload, both (open) come back with their
        // own question only.
        browser.client.refresh().await?;
        assert_eq!(messages_once_open(&page, "sales").await?, json!(["A question for sales"]));
        assert_eq!(messages_once_open(&page, "support").await?, json!(["A question for support"]));
        let questions: Vec<String> =
            seen.lock().unwrap_or_else(PoisonError::into_inner).iter().map(|(q, _)| q.clone()).collect();
        assert_eq!(questions.len(), 2, "{questions:?}");
        Ok(())
    })
    .await
}
