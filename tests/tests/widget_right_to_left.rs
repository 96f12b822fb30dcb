//! End to end: `ui.lang` gives the widget its language, and a language written right to left
//! mirrors the conversation — the visitor's messages on the left, the bot's on the right; with
//! `ui.strings`, the title and the greeting in that language, no English is left in the widget
//! (its text, accessible names, tooltips, placeholder) but the bot's own answer. The loader's own
//! texts (its launcher's name, the message when the code cannot load) are the page's too.

use std::time::Duration;

use lexstream_e2e::{
    WidgetPage, devstack_widget_config, dist_without_wasm, in_browser, serve_page, start_devstack,
    start_devstack_with,
};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(20);

/// Sets `ui.lang`, every one of `ui.strings` (`client/src/strings.rs`), the title and the greeting
/// in the page's JSON config before the widget's code loads (it reads the config when it mounts).
const SET_LANGUAGE: &str = "const config = document.getElementById('lexstream-config');
    const json = JSON.parse(config.textContent);
    json.ui.lang = arguments[0];
    json.ui.strings = Object.fromEntries(arguments[1].map((name, i) => [name, 'نص ' + (i + 1)]));
    json.ui.toolbarTitle = 'المساعد';
    json.lex.initialText = 'أهلاً! كيف أساعدك؟';
    config.textContent = JSON.stringify(json);
    return true;";

/// The widget's texts by their `ui.strings` names.
const STRING_NAMES: [&str; 29] = [
    "openChat",
    "openChatNewReply",
    "hideChat",
    "openingChat",
    "loadFailed",
    "newConversation",
    "newConversationTooltip",
    "minimize",
    "minimizeTooltip",
    "close",
    "closeTooltip",
    "stop",
    "stopButton",
    "message",
    "placeholder",
    "notConfigured",
    "send",
    "typing",
    "answering",
    "answerComplete",
    "answerFailed",
    "interrupted",
    "emptyQuestion",
    "questionTooLong",
    "busy",
    "unreachable",
    "couldNotAnswer",
    "refused",
    "signInRefused",
];

/// Every text of the widget outside the bot's answers and the visitor's messages, and every
/// accessible name, tooltip and placeholder, that has a Latin letter in it.
const ENGLISH_LEFT: &str = "const root = document.querySelector('[data-lexstream-host]').shadowRoot;
    const found = [];
    const conversation = '[data-testid=\"bot-message\"], [data-testid=\"visitor-message\"]';
    for (const element of root.querySelectorAll('*')) {
        if (element.closest(conversation)) continue;
        for (const name of ['aria-label', 'title', 'placeholder', 'alt']) {
            const value = element.getAttribute(name);
            if (value && /[A-Za-z]/.test(value)) found.push(name + '=' + value);
        }
        for (const node of element.childNodes) {
            if (node.nodeType === 3 && /[A-Za-z]/.test(node.textContent)) found.push(node.textContent);
        }
    }
    return found;";

/// The host's `lang` and `dir`, the panel's computed direction, and the left edges of the
/// visitor's first message and the bot's last one.
const LAYOUT: &str = "const host = document.querySelector('[data-lexstream-host]');
    const root = host.shadowRoot;
    const left = (selector) => root.querySelector(selector).getBoundingClientRect().left;
    const bots = root.querySelectorAll('[data-testid=\"bot-message\"]');
    return {
        lang: host.getAttribute('lang'),
        dir: host.getAttribute('dir'),
        direction: getComputedStyle(root.querySelector('[data-testid=\"panel\"]')).direction,
        visitor: left('[data-testid=\"visitor-message\"]'),
        bot: bots[bots.length - 1].getBoundingClientRect().left,
    };";

/// The first bot message: the greeting.
const GREETING: &str = "return document.querySelector('[data-lexstream-host]').shadowRoot
    .querySelector('[data-testid=\"bot-message\"]').textContent.trim();";

#[tokio::test]
async fn a_right_to_left_language_mirrors_the_conversation() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        let set = browser.client.execute(SET_LANGUAGE, vec![json!("ar"), json!(STRING_NAMES)]).await?;
        assert_eq!(set, Value::Bool(true));
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("hello").await?;
        page.wait_for_answer("Hello!", TIMEOUT).await?;

        let layout = page.run_script(LAYOUT).await?;
        assert_eq!((&layout["lang"], &layout["dir"]), (&json!("ar"), &json!("rtl")), "{layout}");
        assert_eq!(layout["direction"], "rtl", "{layout}");
        let (visitor, bot) = (layout["visitor"].as_f64(), layout["bot"].as_f64());
        let (Some(visitor), Some(bot)) = (visitor, bot) else { anyhow::bail!("no layout: {layout}") };
        assert!(visitor < bot, "the visitor's message is on the left, the bot's on the right: {layout}");
        let english = page.run_script(ENGLISH_LEFT).await?;
        assert_eq!(english, json!([]), "English left in the widget");
        let greeting = page.run_script(GREETING).await?;
        assert_eq!(greeting, json!("أهلاً! كيف أساعدك؟"));
        Ok(())
    })
    .await
}

#[tokio::test]
async fn the_loaders_own_texts_are_the_pages_before_the_widget_loads_and_when_it_cannot() -> anyhow::Result<()>
{
    let dist =
        dist_without_wasm(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("rtl-dist-without-wasm"))?;
    let devstack = start_devstack_with(move |config| config.dist_dir = dist).await?;
    let mut config = devstack_widget_config(&devstack.url());
    config["ui"] = json!({
        "lang": "ar",
        "strings": { "openChat": "افتح المحادثة", "openingChat": "جارٍ الفتح…", "loadFailed": "تعذّر تحميل المحادثة." }
    });
    let site = serve_page(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script type="application/json" id="lexstream-config">{config}</script>
<script type="module" src="{}/lexstream.js"></script></head><body><h1>Shop</h1></body></html>"#,
        devstack.url()
    ))
    .await?;
    in_browser(devstack, async |browser, _devstack| {
        let page = WidgetPage::open(browser, &site, TIMEOUT).await?;
        let launcher = page.wait_for("launcher", TIMEOUT).await?;
        assert_eq!(launcher.attr("aria-label").await?.as_deref(), Some("افتح المحادثة"));
        launcher.click().await?;
        let failure = page.wait_for("load-failed", TIMEOUT).await?;
        assert_eq!(failure.text().await?, "تعذّر تحميل المحادثة.");
        let english = page.run_script(ENGLISH_LEFT).await?;
        assert_eq!(english, json!([]), "English left in the loader's launcher");
        Ok(())
    })
    .await
}
