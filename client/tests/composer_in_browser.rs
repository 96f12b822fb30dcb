//! The composer in a real Chromium: Enter sends the trimmed text, Shift+Enter does not, an empty
//! message is never sent; sending with the Send button leaves the focus in the message box.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use std::sync::{Arc, Mutex};

use leptos::prelude::*;
use lexstream_client::components::Composer;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, HtmlButtonElement, HtmlTextAreaElement, KeyboardEvent, KeyboardEventInit};

mod common;

use common::{focused_test_id, tick};

wasm_bindgen_test_configure!(run_in_browser);

fn type_into(input: &HtmlTextAreaElement, text: &str) {
    input.set_value(text);
    input.dispatch_event(&Event::new("input").unwrap()).unwrap();
}

fn press_enter(input: &HtmlTextAreaElement, shift: bool) {
    let init = KeyboardEventInit::new();
    init.set_key("Enter");
    init.set_shift_key(shift);
    init.set_bubbles(true);
    init.set_cancelable(true);
    input
        .dispatch_event(&KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap())
        .unwrap();
}

/// A composer on its own in the page: its host, what it sent, and its mount.
fn mount_composer()
-> (web_sys::Element, Arc<Mutex<Vec<String>>>, leptos::mount::UnmountHandle<impl Mountable>) {
    let document = web_sys::window().unwrap().document().unwrap();
    let host = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    let sent: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = Arc::clone(&sent);
    let on_send = Callback::new(move |text: String| record.lock().unwrap().push(text));
    let handle = leptos::mount::mount_to(host.clone().unchecked_into(), move || {
        view! { <Composer on_send=on_send enabled=true node_ref=NodeRef::new() /> }
    });
    (host, sent, handle)
}

#[wasm_bindgen_test]
async fn enter_sends_and_shift_enter_does_not() {
    let (host, sent, handle) = mount_composer();
    tick().await;
    let input: HtmlTextAreaElement =
        host.query_selector("[data-testid='input']").unwrap().unwrap().unchecked_into();

    type_into(&input, "   ");
    press_enter(&input, false);
    tick().await;
    assert!(sent.lock().unwrap().is_empty(), "blank messages are not sent");

    type_into(&input, "first line");
    press_enter(&input, true);
    tick().await;
    assert!(sent.lock().unwrap().is_empty(), "Shift+Enter is a new line, not send");

    type_into(&input, "  Where is my order?  ");
    press_enter(&input, false);
    tick().await;
    assert_eq!(*sent.lock().unwrap(), vec!["Where is my order?".to_owned()]);
    assert_eq!(input.value(), "", "the box empties after sending");
    drop(handle);
    host.remove();
}

#[wasm_bindgen_test]
async fn the_send_button_sends_and_gives_the_focus_back_to_the_message_box() {
    let (host, sent, handle) = mount_composer();
    tick().await;
    let input: HtmlTextAreaElement =
        host.query_selector("[data-testid='input']").unwrap().unwrap().unchecked_into();
    let send: HtmlButtonElement =
        host.query_selector("[data-testid='send']").unwrap().unwrap().unchecked_into();

    type_into(&input, "Where is my order?");
    tick().await;
    send.focus().unwrap();
    send.click();
    tick().await;
    assert_eq!(*sent.lock().unwrap(), vec!["Where is my order?".to_owned()]);
    assert!(send.disabled(), "nothing left to send");
    assert_eq!(focused_test_id().as_deref(), Some("input"), "the focus is in the message box");
    drop(handle);
    host.remove();
}
