//! A reply under way when the page unloaded, restored in a real headless Chromium: shown as still
//! streaming with its text (the server is then asked for the rest), or as interrupted when the
//! configuration has no stream to resume it on.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::Arc;

use lexstream_client::config::WidgetConfig;
use lexstream_client::embed::{MountedWidget, WidgetOptions, mount_widget};
use lexstream_client::strings::{Strings, Text};
use lexstream_client::transcript::{AnswerPart, SavedEntry};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

mod common;

use common::{painted, tick};

wasm_bindgen_test_configure!(run_in_browser);

const TRANSCRIPT_KEY: &str = "lexstream.transcript";

fn storage() -> web_sys::Storage {
    web_sys::window().unwrap().session_storage().unwrap().unwrap()
}

/// A tab that reloaded while the answer to its second question was streaming.
fn save_a_transcript_with_a_pending_reply() {
    let saved = vec![
        SavedEntry::Answer(vec![AnswerPart::Markup("Hello from the bot".into())]),
        SavedEntry::Visitor("Tell me a story".into()),
        SavedEntry::Pending { turn: "turn-1-123".into(), text: "Once upon a time".into(), seq: Some(3) },
    ];
    storage().set_item(TRANSCRIPT_KEY, &serde_json::to_string(&saved).unwrap()).unwrap();
}

/// A widget whose backends are unreachable (nothing listens on port 9): sign-in fails, so the
/// restored reply stays as it was restored.
fn mounted(streaming: bool) -> MountedWidget {
    let config = serde_json::json!({
        "region": "us-east-1",
        "cognito": { "poolId": "us-east-1:00000000-0000-0000-0000-000000000000" },
        "lex": {
            "v2BotId": "BOT", "v2BotAliasId": "ALIAS",
            "streamingWebSocketEndpoint": "ws://127.0.0.1:9/Prod",
            "allowStreamingResponses": streaming,
        },
        "endpoints": { "cognito": "http://127.0.0.1:9", "lex": "http://127.0.0.1:9" },
    });
    let config = WidgetConfig::from_json(&config, "http://127.0.0.1:9").unwrap();
    mount_widget(WidgetOptions {
        title: "Support".into(),
        greeting: "Hello from the bot".into(),
        config: Some(Arc::new(config)),
        open: false,
    })
    .unwrap()
}

fn bot_messages(widget: &MountedWidget) -> Vec<HtmlElement> {
    let list = widget.shadow.query_selector_all("[data-testid='bot-message']").unwrap();
    (0..list.length()).filter_map(|i| list.item(i)).map(|node| node.unchecked_into()).collect()
}

async fn open(widget: &MountedWidget) {
    tick().await;
    let launcher: HtmlElement =
        widget.shadow.query_selector("[data-testid='launcher']").unwrap().unwrap().unchecked_into();
    launcher.click();
    // Streamed text is painted once per animation frame.
    painted().await;
}

#[wasm_bindgen_test]
async fn a_reply_under_way_at_a_reload_is_shown_streaming_with_its_text() {
    save_a_transcript_with_a_pending_reply();
    let widget = mounted(true);
    open(&widget).await;
    let bubbles = bot_messages(&widget);
    assert_eq!(bubbles.len(), 2, "the greeting and the pending reply");
    let pending = &bubbles[1];
    assert_eq!(pending.get_attribute("data-state").as_deref(), Some("streaming"));
    assert_eq!(pending.text_content().unwrap().trim(), "Once upon a time", "painted as Markdown");
    assert!(widget.shadow.query_selector("[data-testid='stop']").unwrap().is_some(), "it can be stopped");
    widget.remove();
    storage().remove_item(TRANSCRIPT_KEY).unwrap();
}

#[wasm_bindgen_test]
async fn without_a_stream_to_resume_on_a_restored_reply_is_shown_interrupted() {
    save_a_transcript_with_a_pending_reply();
    let widget = mounted(false);
    open(&widget).await;
    let bubbles = bot_messages(&widget);
    let reply = &bubbles[1];
    assert_eq!(reply.get_attribute("data-state").as_deref(), Some("failed"));
    let text = reply.text_content().unwrap();
    assert!(
        text.contains("Once upon a time") && text.contains(Strings::default().get(Text::Interrupted)),
        "{text}"
    );
    let saved = storage().get_item(TRANSCRIPT_KEY).unwrap().unwrap();
    assert!(!saved.contains("Pending"), "the interrupted reply is saved as failed: {saved}");
    widget.remove();
    storage().remove_item(TRANSCRIPT_KEY).unwrap();
}
