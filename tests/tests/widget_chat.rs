//! End to end in headless Chromium: a visitor chats with the widget on the demo page (served by
//! the devstack under a strict CSP); answers stream in, formatted, before the final answer.

use std::time::Duration;

use lexstream_e2e::{Browser, WidgetPage, in_browser, start_devstack};

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// Texts of all visitor and bot bubbles, in order.
const ALL_MESSAGES: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    return [...root.querySelectorAll('[data-testid="visitor-message"], [data-testid="bot-message"]')]
        .map(node => node.innerText);
"#;

async fn opened_chat<'a>(browser: &'a Browser, url: &str) -> anyhow::Result<WidgetPage<'a>> {
    let page = WidgetPage::open(browser, url, LOAD_TIMEOUT).await?;
    page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
    Ok(page)
}

#[tokio::test]
async fn a_question_streams_word_by_word_then_the_formatted_answer_replaces_it() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = opened_chat(browser, &devstack.url()).await?;
        page.ask("How does streaming work?").await?;
        let answer = page.wait_for_answer("devstack demo model", ANSWER_TIMEOUT).await?;

        let screenshot = browser.client.screenshot().await?;
        std::fs::write(
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("widget-answer.png"),
            screenshot,
        )?;
        // Text was visible while streaming, growing, before the final answer.
        let distinct: Vec<&String> = answer.streamed.iter().filter(|s| !s.is_empty()).collect();
        assert!(distinct.len() >= 3, "expected several streamed states, saw {distinct:?}");
        assert!(distinct.first().unwrap().len() < distinct.last().unwrap().len(), "the streamed text grew");
        // Markdown is formatted while it streams (`widget_streaming_markdown.rs` looks closer).
        assert!(
            distinct.iter().any(|s| s.contains("devstack demo model")),
            "the streamed text was on screen: {distinct:?}"
        );
        assert!(!distinct.iter().any(|s| s.contains("**")), "no raw Markdown while streaming: {distinct:?}");
        let html = &answer.final_html;
        assert!(html.contains("<strong>devstack demo model</strong>"), "{html}");
        assert!(html.contains("<code>"), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""), "{html}");

        let status =
            page.wait_for("status", LOAD_TIMEOUT).await?.prop("textContent").await?.unwrap_or_default();
        assert_eq!(status, "The answer is complete.");
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors (CSP violations show here too): {errors:#?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn card_buttons_send_their_value() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = opened_chat(browser, &devstack.url()).await?;
        page.ask("show me the options").await?;
        let card = page.wait_for("card", ANSWER_TIMEOUT).await?;
        let button = card.find(fantoccini::Locator::Css(".lxs-card-button:nth-child(3)")).await?;
        assert_eq!(button.text().await?, "Say hello");
        button.click().await?;
        page.wait_for_answer("Ask me anything", ANSWER_TIMEOUT).await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn a_reload_keeps_the_conversation_and_new_conversation_starts_over() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = opened_chat(browser, &devstack.url()).await?;
        page.ask("hello").await?;
        page.wait_for_answer("Hello!", ANSWER_TIMEOUT).await?;

        browser.client.refresh().await?;
        // The panel was open: the loader loads the widget at once and it opens by itself.
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("transcript", LOAD_TIMEOUT).await?;
        let messages = browser.client.execute(ALL_MESSAGES, vec![]).await?;
        let texts: Vec<&str> = messages.as_array().unwrap().iter().filter_map(|m| m.as_str()).collect();
        assert_eq!(texts.len(), 3, "greeting, question, answer after the reload: {texts:?}");
        assert_eq!(texts[1], "hello");
        assert!(texts[2].contains("Hello!"), "{texts:?}");

        page.wait_for("new-conversation", LOAD_TIMEOUT).await?.click().await?;
        let messages = browser.client.execute(ALL_MESSAGES, vec![]).await?;
        assert_eq!(messages.as_array().unwrap().len(), 1, "only the greeting: {messages}");
        // The new conversation (a new Lex session of the same visitor) still streams.
        page.ask("How does streaming work?").await?;
        let answer = page.wait_for_answer("devstack demo model", ANSWER_TIMEOUT).await?;
        assert!(answer.streamed.iter().any(|s| !s.is_empty()), "the new session streamed too");
        Ok(())
    })
    .await
}
