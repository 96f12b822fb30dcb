//! End to end in headless Chromium: the widget's streaming socket runs in a dedicated worker when
//! the widget is served from the page's origin (the page's own thread opens no WebSocket and
//! gets the frames in batches), and on the main thread, losing nothing, when the worker's script
//! cannot load.

use std::path::Path;
use std::time::Duration;

use lexstream_e2e::{
    Browser, WORKER_BATCH_MESSAGES_JS, WidgetPage, built_dist_dir, in_browser, start_devstack,
    start_devstack_with,
};

const LOAD_TIMEOUT: Duration = Duration::from_secs(20);
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);

/// Installed before the page's scripts: counts the WebSockets the page's own thread opens and
/// the frames the widget's socket worker hands over, and in how many batches (`WORKER_BATCH_MESSAGES`
/// stands for [`WORKER_BATCH_MESSAGES_JS`]).
const WATCH_SOCKETS: &str = r"
    (() => {
        const seen = { pageSockets: 0, workers: 0, batches: 0, workerFrames: 0 };
        Object.defineProperty(window, '__sockets', { value: seen });
        const NativeWebSocket = window.WebSocket;
        window.WebSocket = class extends NativeWebSocket {
            constructor(...args) { super(...args); seen.pageSockets += 1; }
        };
        const NativeWorker = window.Worker;
        window.Worker = class extends NativeWorker {
            constructor(...args) {
                super(...args);
                seen.workers += 1;
                this.addEventListener('message', ({ data }) => {
                    const frames = (WORKER_BATCH_MESSAGES)(data);
                    if (frames !== null) {
                        seen.batches += 1;
                        seen.workerFrames += frames;
                    }
                });
            }
        };
    })();
";

/// What the visitor asks: the demo model's answer repeats it, so the stream carries text of every
/// UTF-8 length.
const QUESTION: &str = "How does streaming work \u{2014} caf\u{e9}, \u{6570}\u{636e}, \u{1f642}?";

/// Asks the demo model a question and returns what the page's sockets did meanwhile.
async fn ask_and_watch(browser: &Browser, url: &str) -> anyhow::Result<serde_json::Value> {
    browser
        .devtools("Page.addScriptToEvaluateOnNewDocument", serde_json::json!({ "source": WATCH_SOCKETS.replace("WORKER_BATCH_MESSAGES", WORKER_BATCH_MESSAGES_JS) }))
        .await?;
    let page = WidgetPage::open(browser, url, LOAD_TIMEOUT).await?;
    page.wait_for("launcher", LOAD_TIMEOUT).await?.click().await?;
    page.ask(QUESTION).await?;
    let answer = page.wait_for_answer("devstack demo model", ANSWER_TIMEOUT).await?;
    assert!(
        answer.streamed.iter().any(|text| text.contains("devstack demo model")),
        "the answer streamed before the final one: {:?}",
        answer.streamed
    );
    // The demo model repeats the question: its characters of two, three and four UTF-8 bytes
    // came through the socket's batches intact.
    assert!(
        answer.streamed.iter().any(|text| text.contains(QUESTION)),
        "the question, streamed back: {:?}",
        answer.streamed
    );
    assert!(answer.final_html.contains("<strong>devstack demo model</strong>"), "{}", answer.final_html);
    page.run_script("return window.__sockets;").await
}

#[tokio::test]
async fn frames_reach_the_page_from_a_worker_in_batches() -> anyhow::Result<()> {
    let devstack = start_devstack().await?;
    in_browser(devstack, async |browser, devstack| {
        let seen = ask_and_watch(browser, &devstack.url()).await?;
        assert_eq!(seen["workers"], 1, "{seen}");
        assert_eq!(seen["pageSockets"], 0, "no socket on the page's thread: {seen}");
        let (batches, frames) = (seen["batches"].as_u64().unwrap(), seen["workerFrames"].as_u64().unwrap());
        assert!(frames > 10, "the streamed frames came through the worker: {seen}");
        assert!(batches <= frames, "{seen}");
        let errors = browser.console_errors().await?;
        assert!(errors.is_empty(), "console errors: {errors:#?}");
        Ok(())
    })
    .await
}

#[tokio::test]
async fn without_the_worker_script_the_socket_runs_on_the_page_and_the_answer_still_streams()
-> anyhow::Result<()> {
    // The built widget without `lexstream-socket.js` (a deployment that forgot to upload it).
    let served =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dist-without-worker-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&served);
    std::fs::create_dir_all(&served)?;
    copy_dir_without(&built_dist_dir()?, &served, "lexstream-socket.js")?;
    let devstack = start_devstack_with(move |config| config.dist_dir = served).await?;
    in_browser(devstack, async |browser, devstack| {
        let seen = ask_and_watch(browser, &devstack.url()).await?;
        assert_eq!(seen["workers"], 1, "the widget tried the worker: {seen}");
        assert_eq!(seen["pageSockets"], 1, "then opened the socket itself: {seen}");
        assert_eq!(seen["workerFrames"], 0, "{seen}");
        Ok(())
    })
    .await
}

/// Copies the files of `from` (one level: the widget's `dist/`) into `to`, but `skipped` and
/// its compressed copies.
fn copy_dir_without(from: &Path, to: &Path, skipped: &str) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if entry.file_type()?.is_file() && !name.to_string_lossy().starts_with(skipped) {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}
