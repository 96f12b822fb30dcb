//! The chat panel in a real Chromium: Stop, pressed while an answer is under way, asks to stop
//! that turn and leaves the focus in the message box (the button goes away with the answer); a
//! reply still awaited tells assistive technology so in the page's words (`ui.strings`).
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use lexstream_client::components::ChatPanel;
use lexstream_client::config::StreamingFormat;
use lexstream_client::conversation::Conversation;
use lexstream_client::strings::Strings;
use lexstream_client::transcript::Transcript;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

mod common;

use common::{focused_test_id, tick};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
async fn stop_asks_to_stop_the_turn_and_gives_the_focus_to_the_message_box() {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    let mut transcript = Transcript::with_greeting("Hi!");
    transcript.ask("Tell me", "turn-1-1");
    let conversation = Conversation::new(transcript);
    let stopped: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = Arc::clone(&stopped);
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! {
            <ChatPanel
                title="Assistant".to_owned()
                conversation=conversation
                format=StreamingFormat::Markdown
                on_send=Some(Callback::new(|_: String| {}))
                on_new_conversation=None
                on_stop=Some(Callback::new(move |turn: String| record.lock().unwrap().push(turn)))
                debug=None
                on_minimize=|| {}
                on_close=|| {}
            />
        }
    });
    tick().await;
    let stop: HtmlElement = host.query_selector("[data-testid='stop']").unwrap().unwrap().unchecked_into();
    stop.focus().unwrap();
    stop.click();
    tick().await;
    assert_eq!(*stopped.lock().unwrap(), vec!["turn-1-1".to_owned()]);
    assert_eq!(focused_test_id().as_deref(), Some("input"), "the focus is in the message box");
    drop(handle);
    host.remove();
}

#[wasm_bindgen_test]
async fn an_awaited_reply_says_it_is_coming_in_the_pages_words() {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    let mut transcript = Transcript::with_greeting("مرحبا");
    transcript.ask("Tell me", "turn-1-1");
    let conversation = Conversation::new(transcript);
    let config = serde_json::json!({ "ui": { "strings": { "typing": "المساعد يكتب" } } });
    let strings = Strings::from_json(&config).unwrap();
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! {
            <ChatPanel
                title="المساعد".to_owned()
                conversation=conversation
                format=StreamingFormat::Markdown
                on_send=Some(Callback::new(|_: String| {}))
                on_new_conversation=None
                on_stop=None
                debug=None
                on_minimize=|| {}
                on_close=|| {}
                strings=strings
            />
        }
    });
    tick().await;
    let waiting = host.query_selector("[data-testid='bot-message'][data-state='waiting']").unwrap().unwrap();
    assert_eq!(waiting.text_content().unwrap().trim(), "المساعد يكتب");
    drop(handle);
    host.remove();
}
