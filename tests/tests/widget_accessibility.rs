//! End to end: an accessibility audit of the open widget with axe-core (WCAG 2.0 and 2.1, levels
//! A and AA) finds nothing in each state a visitor meets — idle, an answer streaming, final
//! answers (formatted Markdown, a card), a failed answer, right to left, the dark theme — and every control
//! works from the keyboard alone (Tab, Shift+Tab, Enter, Space, Escape; WebDriver key actions
//! only), each focused control showing its focus.
//!
//! axe-core comes from npm: `cargo xtask setup` installs it under `$AXE_CORE_DIR`.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use lexstream_devstack::bedrock::DemoModelSettings;
use lexstream_e2e::{
    Browser, WidgetPage, in_browser, serve_stand_in_lambda, start_devstack, start_devstack_with,
};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(30);

const TAB: &[Key] = &[Key::Tab];
const SHIFT_TAB: &[Key] = &[Key::Shift, Key::Tab];

/// The axe-core rule tags audited: WCAG 2.0 and 2.1, levels A and AA.
const WCAG_TAGS: [&str; 4] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/// Runs axe-core on the widget's host (axe follows it into its open shadow root) with the rules
/// tagged `arguments[0]`; answers with each violation's rule, help and failing nodes.
const RUN_AXE: &str = "const done = arguments[arguments.length - 1];
    const host = document.querySelector('[data-lexstream-host]');
    const options = { runOnly: { type: 'tag', values: arguments[0] }, resultTypes: ['violations'] };
    axe.run(host, options)
        .then((results) => done({ violations: results.violations.map((violation) => ({
            id: violation.id,
            impact: violation.impact,
            help: violation.help,
            helpUrl: violation.helpUrl,
            nodes: violation.nodes.map((node) => ({
                target: node.target, html: node.html, why: node.failureSummary,
            })),
        })) }))
        .catch((error) => done({ error: String(error) }));";

/// Whether axe-core is in the page already.
const AXE_LOADED: &str = "return typeof window.axe === 'object';";

/// What has the keyboard focus: a widget control by its `data-testid` (a card button as
/// `card:` and its text), or a page element by its tag.
const FOCUSED_CONTROL: &str = "const host = document.querySelector('[data-lexstream-host]');
    const active = document.activeElement;
    if (!active || active !== host) return active ? 'page:' + active.tagName.toLowerCase() : null;
    const focused = host.shadowRoot.activeElement;
    if (!focused) return 'host';
    if (focused.classList.contains('lxs-card-button')) return 'card:' + focused.textContent.trim();
    return focused.dataset.testid || focused.tagName.toLowerCase();";

/// The focused widget control's focus outline: its style, width (px), and its contrast ratio
/// against the first opaque background behind the control (the page's, past the host).
const FOCUS_OUTLINE: &str = "const host = document.querySelector('[data-lexstream-host]');
    const focused = host.shadowRoot.activeElement;
    if (!focused) return null;
    const channels = (color) => (color.match(/[\\d.]+/g) || []).map(Number);
    const luminance = (color) => {
        const linear = channels(color).slice(0, 3).map((value) => {
            const c = value / 255;
            return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
    };
    let backdrop = 'rgb(255, 255, 255)';
    for (let node = focused.parentElement || host; node; node = node.parentElement || node.getRootNode().host) {
        const color = getComputedStyle(node).backgroundColor;
        const alpha = channels(color)[3];
        if (alpha === undefined || alpha > 0) { backdrop = color; break; }
    }
    const style = getComputedStyle(focused);
    const [lighter, darker] = [luminance(style.outlineColor), luminance(backdrop)].sort((a, b) => b - a);
    return { style: style.outlineStyle, width: parseFloat(style.outlineWidth),
             color: style.outlineColor, backdrop, contrast: (lighter + 0.05) / (darker + 0.05) };";

/// How many bot replies the log shows.
const BOT_REPLY_COUNT: &str = "return document.querySelector('[data-lexstream-host]').shadowRoot
    .querySelectorAll('[data-testid=\"bot-message\"]').length;";

/// Sets `ui.lang`, the title and the greeting in the page's JSON config, before the widget's
/// code loads (it reads the config when it mounts).
const SET_LANGUAGE: &str = "const config = document.getElementById('lexstream-config');
    const json = JSON.parse(config.textContent);
    json.ui.lang = arguments[0];
    json.ui.toolbarTitle = arguments[1];
    json.lex.initialText = arguments[2];
    config.textContent = JSON.stringify(json);
    return true;";

/// `axe.min.js` from the axe-core package `cargo xtask setup` installed under `$AXE_CORE_DIR`.
fn axe_core_source() -> anyhow::Result<String> {
    let dir = std::env::var_os("AXE_CORE_DIR").map(PathBuf::from).context(
        "AXE_CORE_DIR names the folder where `cargo xtask setup` installed axe-core (run via `cargo xtask test`)",
    )?;
    let script = dir.join("node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&script).with_context(|| {
        format!("reading {} (run `cargo xtask setup`, which installs axe-core from npm)", script.display())
    })
}

/// Audits the widget as it is now with axe-core's WCAG 2.x A/AA rules; fails listing every
/// violation (rule, help, and each failing element's target and HTML), naming `state`.
async fn assert_accessible(browser: &Browser, state: &str) -> anyhow::Result<()> {
    if browser.client.execute(AXE_LOADED, vec![]).await? != Value::Bool(true) {
        browser.client.execute(&axe_core_source()?, vec![]).await.context("injecting axe-core")?;
    }
    let results = browser.client.execute_async(RUN_AXE, vec![json!(WCAG_TAGS)]).await?;
    if let Some(error) = results.get("error") {
        bail!("axe-core could not audit the widget ({state}): {error}");
    }
    let Some(violations) = results["violations"].as_array() else {
        bail!("axe-core's results ({state}) have no violations list: {results}");
    };
    ensure!(
        violations.is_empty(),
        "axe-core found {} violation(s) in the widget ({state}):\n{}",
        violations.len(),
        violations.iter().map(describe_violation).collect::<Vec<_>>().join("\n")
    );
    Ok(())
}

/// One violation as a reader wants it: the rule, what it asks, and where it failed.
fn describe_violation(violation: &Value) -> String {
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let nodes = violation["nodes"].as_array().cloned().unwrap_or_default();
    let nodes: Vec<String> = nodes
        .iter()
        .map(|node| {
            format!("    at {}: {}\n      {}", node["target"], text(&node["html"]), text(&node["why"]))
        })
        .collect();
    format!(
        "- {} ({}): {} <{}>\n{}",
        text(&violation["id"]),
        text(&violation["impact"]),
        text(&violation["help"]),
        text(&violation["helpUrl"]),
        nodes.join("\n")
    )
}

/// Opens the demo page at `url` and the chat panel, and waits for the message box.
async fn open_panel<'a>(browser: &'a Browser, url: &str) -> anyhow::Result<WidgetPage<'a>> {
    let page = WidgetPage::open(browser, url, TIMEOUT).await?;
    page.wait_for("launcher", TIMEOUT).await?.click().await?;
    page.wait_for("input", TIMEOUT).await?;
    Ok(page)
}

/// Waits until the newest bot reply is in `state` (`streaming`, `final`, `failed`…).
async fn wait_for_reply_state(page: &WidgetPage<'_>, state: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        if let Some((seen, text, _)) = page.last_bot_message().await?
            && seen == state
        {
            return Ok(text);
        }
        ensure!(Instant::now() < deadline, "no reply in state {state:?} within {TIMEOUT:?}");
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

#[tokio::test]
async fn the_idle_widget_has_no_accessibility_violations() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        assert_accessible(browser, "closed, the loader's launcher").await?;
        open_panel(browser, &devstack.url()).await?;
        assert_accessible(browser, "open and idle, the greeting shown").await
    })
    .await
}

#[tokio::test]
async fn a_streaming_answer_has_no_accessibility_violations() -> anyhow::Result<()> {
    // A slow model (about 15 s for the whole demo answer) keeps it streaming through the audit.
    let devstack = start_devstack_with(|config| {
        config.model = DemoModelSettings { token_interval: Duration::from_millis(200) };
    })
    .await?;
    in_browser(devstack, async |browser, devstack| {
        let page = open_panel(browser, &devstack.url()).await?;
        page.ask("How does streaming work?").await?;
        wait_for_reply_state(&page, "streaming").await?;
        page.wait_for("stop", TIMEOUT).await?;
        assert_accessible(browser, "an answer streaming, the Stop button shown").await?;
        let (state, _, _) = page.last_bot_message().await?.unwrap_or_default();
        assert_eq!(state, "streaming", "the answer finished during the audit: make the model slower");
        Ok(())
    })
    .await
}

/// Asks for the model's answer (Markdown with a list, a link and a code block), then for the
/// bot's card, and waits until that is final.
async fn ask_for_formatted_answer_and_card(page: &WidgetPage<'_>) -> anyhow::Result<()> {
    page.ask("How does streaming work?").await?;
    page.wait_for_answer("devstack demo model", TIMEOUT).await?;
    page.ask("show me the options").await?;
    page.wait_for("card", TIMEOUT).await?;
    wait_for_reply_state(page, "final").await?;
    Ok(())
}

#[tokio::test]
async fn final_answers_formatted_and_with_a_card_have_no_accessibility_violations() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = open_panel(browser, &devstack.url()).await?;
        ask_for_formatted_answer_and_card(&page).await?;
        assert_accessible(browser, "a final formatted answer, then one with a response card").await
    })
    .await
}

#[tokio::test]
async fn a_failed_answer_has_no_accessibility_violations() -> anyhow::Result<()> {
    // The bot's fulfillment fails: Lex answers DependencyFailedException and the widget says so.
    let broken_fulfillment = serve_stand_in_lambda(axum::routing::post(|| async {
        (axum::http::StatusCode::INTERNAL_SERVER_ERROR, axum::Json(json!({ "errorMessage": "boom" })))
    }))
    .await?;
    let devstack = start_devstack_with(|config| config.fulfillment_url = Some(broken_fulfillment)).await?;
    in_browser(devstack, async |browser, devstack| {
        let page = open_panel(browser, &devstack.url()).await?;
        page.ask("what is the weather like?").await?;
        let message = wait_for_reply_state(&page, "failed").await?;
        assert!(message.contains("could not answer"), "{message}");
        assert_accessible(browser, "a failed answer and its error message").await
    })
    .await
}

#[tokio::test]
async fn the_right_to_left_widget_has_no_accessibility_violations() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        let arguments = vec![json!("ar"), json!("المساعد"), json!("أهلاً! كيف أساعدك؟")];
        assert_eq!(browser.client.execute(SET_LANGUAGE, arguments).await?, Value::Bool(true));
        page.wait_for("launcher", TIMEOUT).await?.click().await?;
        page.ask("hello").await?;
        page.wait_for_answer("Hello!", TIMEOUT).await?;
        let direction =
            page.run_script("return document.querySelector('[data-lexstream-host]').dir;").await?;
        assert_eq!(direction, "rtl");
        assert_accessible(browser, "right to left (ui.lang ar), after an answer").await
    })
    .await
}

#[tokio::test]
async fn the_dark_theme_has_no_accessibility_violations() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let dark = json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] });
        browser.devtools("Emulation.setEmulatedMedia", dark).await?;
        let page = open_panel(browser, &devstack.url()).await?;
        ask_for_formatted_answer_and_card(&page).await?;
        assert_accessible(browser, "dark theme, an answer with a link and one with a card").await
    })
    .await
}

/// Presses `chord` (e.g. Shift+Tab): each key down in order, then up in reverse.
async fn press(browser: &Browser, chord: &[Key]) -> anyhow::Result<()> {
    let keys: Vec<char> = chord.iter().map(|key| char::from(*key)).collect();
    let downs = keys.iter().map(|&value| KeyAction::Down { value });
    let ups = keys.iter().rev().map(|&value| KeyAction::Up { value });
    let actions = downs.chain(ups).fold(KeyActions::new("keyboard".into()), InputSource::then);
    browser.client.perform_actions(actions).await.context("pressing keys")
}

/// Types `text` key by key.
async fn type_text(browser: &Browser, text: &str) -> anyhow::Result<()> {
    let actions = text
        .chars()
        .flat_map(|value| [KeyAction::Down { value }, KeyAction::Up { value }])
        .fold(KeyActions::new("keyboard".into()), InputSource::then);
    browser.client.perform_actions(actions).await.context("typing")
}

/// What has the keyboard focus now (see [`FOCUSED_CONTROL`]).
async fn focused_control(browser: &Browser) -> anyhow::Result<String> {
    let focused = browser.client.execute(FOCUSED_CONTROL, vec![]).await?;
    Ok(focused.as_str().unwrap_or("nothing").to_owned())
}

/// Waits until `control` has the keyboard focus (focus may move after a render).
async fn wait_for_focus(browser: &Browser, control: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let focused = focused_control(browser).await?;
        if focused == control {
            return assert_focus_visible(browser, control).await;
        }
        ensure!(Instant::now() < deadline, "{control} never got the focus; {focused} has it");
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

/// Checks that the focused widget control (`control`) shows where the focus is: an outline at
/// least 2px wide with a contrast of 3:1 against what surrounds it (WCAG 2.4.7, 2.4.13).
async fn assert_focus_visible(browser: &Browser, control: &str) -> anyhow::Result<()> {
    let outline = browser.client.execute(FOCUS_OUTLINE, vec![]).await?;
    let visible = outline["style"] != "none"
        && outline["width"].as_f64().is_some_and(|width| width >= 2.0)
        && outline["contrast"].as_f64().is_some_and(|contrast| contrast >= 3.0);
    ensure!(visible, "the focus on {control} is not visible enough: {outline}");
    Ok(())
}

/// Presses `chord` `times` times and returns what had the focus after each press, checking
/// that each widget control focused shows it.
async fn focus_path(browser: &Browser, chord: &[Key], times: usize) -> anyhow::Result<Vec<String>> {
    let mut path = Vec::with_capacity(times);
    for _ in 0..times {
        press(browser, chord).await?;
        let focused = focused_control(browser).await?;
        if !focused.starts_with("page:") {
            assert_focus_visible(browser, &focused).await?;
        }
        path.push(focused);
    }
    Ok(path)
}

/// Presses `chord` (Tab or Shift+Tab) until `control` has the focus, up to a dozen times.
async fn move_focus_to(browser: &Browser, chord: &[Key], control: &str) -> anyhow::Result<()> {
    let mut path = Vec::new();
    for _ in 0..12 {
        press(browser, chord).await?;
        let focused = focused_control(browser).await?;
        if focused == control {
            return Ok(());
        }
        path.push(focused);
    }
    bail!("{chord:?} never reached {control}: {path:?}")
}

#[tokio::test]
async fn every_control_works_from_the_keyboard_alone() -> anyhow::Result<()> {
    // A slow model (about 8 s for the whole demo answer) leaves time to reach Stop.
    let devstack = start_devstack_with(|config| {
        config.model = DemoModelSettings { token_interval: Duration::from_millis(110) };
    })
    .await?;
    in_browser(devstack, async |browser, devstack| {
        let page = WidgetPage::open(browser, &devstack.url(), TIMEOUT).await?;
        // The launcher is in the page's tab order; Enter opens the chat on the message box.
        move_focus_to(browser, TAB, "launcher").await?;
        press(browser, &[Key::Enter]).await?;
        wait_for_focus(browser, "input").await?;

        // The header's buttons come before the log and the message box; the Send button joins
        // the order once there is something to send, and the launcher comes last.
        let backwards = focus_path(browser, SHIFT_TAB, 3).await?;
        assert_eq!(backwards, ["close", "minimize", "new-conversation"]);
        let forwards = focus_path(browser, TAB, 4).await?;
        assert_eq!(forwards, ["minimize", "close", "input", "launcher"]);
        press(browser, SHIFT_TAB).await?;
        wait_for_focus(browser, "input").await?;

        // Enter in the message box sends; the answer's card buttons join the tab order.
        type_text(browser, "show me the options").await?;
        assert_eq!(focus_path(browser, TAB, 1).await?, ["send"]);
        press(browser, SHIFT_TAB).await?;
        press(browser, &[Key::Enter]).await?;
        page.wait_for("card", TIMEOUT).await?;
        wait_for_reply_state(&page, "final").await?;
        wait_for_focus(browser, "input").await?;
        let backwards = focus_path(browser, SHIFT_TAB, 6).await?;
        assert_eq!(
            backwards,
            [
                "card:Say hello",
                "card:Help",
                "card:How does streaming work?",
                "close",
                "minimize",
                "new-conversation"
            ]
        );
        // Space on a card button sends its value.
        let forwards = focus_path(browser, TAB, 5).await?;
        assert_eq!(
            forwards,
            ["minimize", "close", "card:How does streaming work?", "card:Help", "card:Say hello"]
        );
        press(browser, &[Key::Space]).await?;
        page.wait_for_answer("Hello! Ask me anything", TIMEOUT).await?;

        // Escape minimizes and gives the focus back to the launcher; Enter there reopens the
        // chat on the message box.
        press(browser, &[Key::Escape]).await?;
        page.wait_gone("panel", TIMEOUT).await?;
        wait_for_focus(browser, "launcher").await?;
        press(browser, &[Key::Enter]).await?;
        wait_for_focus(browser, "input").await?;

        // Space on the Send button sends what was typed, and the focus goes back to the message
        // box (not to the page, as the emptied box disables the button).
        type_text(browser, "help").await?;
        assert_eq!(focus_path(browser, TAB, 1).await?, ["send"]);
        press(browser, &[Key::Space]).await?;
        page.wait_for_answer("Lexstream demo bot", TIMEOUT).await?;
        wait_for_focus(browser, "input").await?;

        // While an answer streams, Stop sits just before the message box; Enter stops it, and
        // the focus goes back to the message box (not to the page, as the button goes away).
        type_text(browser, "please stop me").await?;
        press(browser, &[Key::Enter]).await?;
        wait_for_reply_state(&page, "streaming").await?;
        assert_eq!(focus_path(browser, SHIFT_TAB, 1).await?, ["stop"]);
        press(browser, &[Key::Enter]).await?;
        page.wait_for_answer("Stopped", TIMEOUT).await?;
        wait_for_focus(browser, "input").await?;

        // Enter on Minimize, then on the launcher, then on New conversation: only the greeting.
        let replies_before = page.run_script(BOT_REPLY_COUNT).await?;
        assert_eq!(replies_before, 5, "greeting and four answers");
        move_focus_to(browser, SHIFT_TAB, "minimize").await?;
        press(browser, &[Key::Enter]).await?;
        page.wait_gone("panel", TIMEOUT).await?;
        wait_for_focus(browser, "launcher").await?;
        press(browser, &[Key::Enter]).await?;
        wait_for_focus(browser, "input").await?;
        move_focus_to(browser, SHIFT_TAB, "new-conversation").await?;
        press(browser, &[Key::Enter]).await?;
        let deadline = Instant::now() + TIMEOUT;
        while page.run_script(BOT_REPLY_COUNT).await? != 1 {
            ensure!(Instant::now() < deadline, "New conversation did not clear the log");
            tokio::time::sleep(Duration::from_millis(40)).await;
        }

        // Space on Close hides the panel and gives the focus back to the launcher.
        move_focus_to(browser, SHIFT_TAB, "close").await?;
        press(browser, &[Key::Space]).await?;
        page.wait_gone("panel", TIMEOUT).await?;
        wait_for_focus(browser, "launcher").await
    })
    .await
}
