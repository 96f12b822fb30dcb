//! End to end in headless Chromium: streamed Markdown is formatted as it arrives (a list, bold
//! text and a code block before the final answer), a link is never clickable with half a URL,
//! and the final answer keeps the streamed nodes (no flicker) when it is the same Markdown.
//! (Progress lines, error frames and the plain-text format are tested on the view itself, in
//! `client/tests/streaming_reply_in_browser.rs`.)

use std::time::Duration;

use lexstream_e2e::{WidgetPage, in_browser, start_devstack_with};
use serde_json::Value;

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// The demo answer's only link, whole.
const DEMO_LINK: &str = "https://github.com/lexstream/lexstream#readme";

/// Installed before asking: records, on every change inside the widget, what the newest bot
/// bubble shows while it streams, and keeps the first streamed block to find it again later.
const WATCH_STREAM: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    const seen = { states: [], strong: false, listItem: false, code: false, hrefs: [], errors: [],
                   rawMarkers: false, firstBlock: null };
    window.__lexstreamSeen = seen;
    new MutationObserver(() => {
        const bubbles = root.querySelectorAll('[data-testid="bot-message"]');
        const last = bubbles[bubbles.length - 1];
        if (!last) return;
        const state = last.dataset.state;
        if (seen.states[seen.states.length - 1] !== state) seen.states.push(state);
        if (state !== 'streaming') return;
        const stream = last.querySelector('.lxs-streamed');
        seen.strong ||= !!stream.querySelector('strong');
        seen.listItem ||= !!stream.querySelector('ul > li');
        seen.code ||= !!stream.querySelector('pre > code');
        seen.rawMarkers ||= stream.innerText.includes('**') || stream.innerText.includes('```');
        for (const a of stream.querySelectorAll('a[href]')) seen.hrefs.push(a.getAttribute('href'));
        for (const p of last.querySelectorAll('.lxs-stream-error')) seen.errors.push(p.textContent);
        if (!seen.firstBlock && stream.firstElementChild && stream.firstElementChild.tagName === 'P') {
            seen.firstBlock = stream.firstElementChild;
        }
    }).observe(root, { subtree: true, childList: true, characterData: true, attributes: true });
"#;

/// What the watcher saw, and whether the first streamed block is still on screen in the final
/// bubble.
const SEEN: &str = r#"
    const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    const seen = window.__lexstreamSeen;
    const bubbles = root.querySelectorAll('[data-testid="bot-message"]');
    const last = bubbles[bubbles.length - 1];
    const block = seen.firstBlock;
    return { states: seen.states, strong: seen.strong, listItem: seen.listItem, code: seen.code,
             rawMarkers: seen.rawMarkers, hrefs: seen.hrefs, errors: seen.errors,
             firstBlockKept: !!block && block.isConnected && last.contains(block)
                 && block.getClientRects().length > 0 };
"#;

#[tokio::test]
async fn markdown_is_formatted_while_it_streams_and_the_final_answer_keeps_the_nodes() -> anyhow::Result<()> {
    let devstack =
        start_devstack_with(|config| config.model.token_interval = Duration::from_millis(20)).await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), LOAD_TIMEOUT).await?;
        page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
        page.run_script(WATCH_STREAM).await?;
        page.ask("How is it formatted?").await?;
        let answer = page.wait_for_answer("devstack demo model", ANSWER_TIMEOUT).await?;
        let seen = page.run_script(SEEN).await?;

        // The greeting (final) may be seen first; then this reply's states, in order.
        let states: Vec<&str> =
            seen["states"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
        assert!(states.ends_with(&["waiting", "streaming", "final"]), "{seen}");
        assert_eq!(seen["strong"], true, "bold text formatted while streaming: {seen}");
        assert_eq!(seen["listItem"], true, "a list formatted while streaming: {seen}");
        assert_eq!(seen["code"], true, "a code block formatted while streaming: {seen}");
        assert_eq!(seen["rawMarkers"], false, "no raw `**` or fences on screen: {seen}");
        let hrefs = seen["hrefs"].as_array().cloned().unwrap_or_default();
        assert!(
            hrefs.iter().all(|href| href == DEMO_LINK),
            "only the whole link is ever clickable: {hrefs:?}"
        );
        assert_eq!(seen["firstBlockKept"], true, "the final answer kept the streamed nodes: {seen}");

        // The kept nodes are the final answer, formatted and sanitized as always.
        let html = &answer.final_html;
        assert!(html.contains("<strong>devstack demo model</strong>"), "{html}");
        assert!(html.contains(&format!("href=\"{DEMO_LINK}\"")), "{html}");
        assert!(html.contains("rel=\"noopener noreferrer nofollow\""), "{html}");
        assert!(!answer.final_text.contains("**"), "{}", answer.final_text);
        Ok(())
    })
    .await
}
