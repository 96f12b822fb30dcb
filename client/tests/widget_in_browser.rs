//! The widget mounted in a real headless Chromium: it appears, opens, closes and keeps focus sane.
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_client::embed::{HOST_ATTRIBUTE, MountedWidget, WidgetOptions, mount_widget};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{HtmlElement, KeyboardEvent, KeyboardEventInit};

mod common;

use common::tick;

wasm_bindgen_test_configure!(run_in_browser);

fn find(widget: &MountedWidget, test_id: &str) -> Option<HtmlElement> {
    widget
        .shadow
        .query_selector(&format!("[data-testid='{test_id}']"))
        .unwrap()
        .map(|element| element.unchecked_into())
}

fn mounted() -> MountedWidget {
    mount_widget(WidgetOptions {
        title: "Support".into(),
        greeting: "Hello from the bot".into(),
        config: None,
        open: false,
    })
    .unwrap()
}

#[wasm_bindgen_test]
async fn widget_mounts_in_its_own_shadow_root_with_a_closed_panel() {
    let widget = mounted();
    tick().await;
    assert!(widget.host.has_attribute(HOST_ATTRIBUTE));
    let launcher = find(&widget, "launcher").expect("launcher rendered");
    assert_eq!(launcher.get_attribute("aria-expanded").as_deref(), Some("false"));
    assert_eq!(launcher.get_attribute("aria-label").as_deref(), Some("Open chat"));
    assert!(find(&widget, "panel").is_none(), "panel must start closed");
    // The page cannot reach the widget's elements through the document.
    let document = web_sys::window().unwrap().document().unwrap();
    assert!(document.query_selector("[data-testid='launcher']").unwrap().is_none());
    widget.remove();
}

#[wasm_bindgen_test]
async fn clicking_the_launcher_opens_the_panel_with_the_greeting() {
    let widget = mounted();
    tick().await;
    // As a keyboard user does: the focus on the launcher, then its click (Enter).
    let launcher = find(&widget, "launcher").unwrap();
    launcher.focus().unwrap();
    launcher.click();
    tick().await;
    let panel = find(&widget, "panel").expect("panel open after click");
    assert_eq!(panel.get_attribute("role").as_deref(), Some("dialog"));
    assert_eq!(panel.get_attribute("aria-label").as_deref(), Some("Support"));
    let transcript = find(&widget, "transcript").unwrap();
    assert_eq!(transcript.get_attribute("role").as_deref(), Some("log"));
    assert!(transcript.text_content().unwrap().contains("Hello from the bot"));
    assert_eq!(find(&widget, "launcher").unwrap().get_attribute("aria-expanded").as_deref(), Some("true"));
    // Without a configuration there is nothing to type into: focus goes to the close button.
    let focused = widget.shadow.active_element().expect("something focused in the widget");
    assert_eq!(focused.get_attribute("data-testid").as_deref(), Some("close"));
    widget.remove();
}

#[wasm_bindgen_test]
async fn a_panel_the_page_opens_on_its_own_leaves_the_focus_where_it_is() {
    let document = web_sys::window().unwrap().document().unwrap();
    let page_field: web_sys::HtmlElement = document.create_element("input").unwrap().unchecked_into();
    document.body().unwrap().append_child(&page_field).unwrap();
    page_field.focus().unwrap();
    let widget = mounted();
    tick().await;
    // A click no visitor made (as a script's open() is, with no click or key just before).
    find(&widget, "launcher").unwrap().click();
    tick().await;
    assert!(find(&widget, "panel").is_some(), "the panel opened");
    assert_eq!(document.active_element(), Some(page_field.clone().into()), "the focus stayed in the page");
    widget.remove();
    page_field.remove();
}

#[wasm_bindgen_test]
async fn minimize_close_and_escape_hide_the_panel_and_return_focus() {
    let widget = mounted();
    tick().await;
    // A keyboard user's path: the launcher focused, opened, then the button.
    let open = || {
        let launcher = find(&widget, "launcher").unwrap();
        launcher.focus().unwrap();
        launcher.click();
    };
    for button in ["minimize", "close"] {
        open();
        tick().await;
        find(&widget, button).unwrap().click();
        tick().await;
        assert!(find(&widget, "panel").is_none(), "{button} hides the panel");
        let focused = widget.shadow.active_element().expect("focus stays in the widget");
        assert_eq!(focused.get_attribute("data-testid").as_deref(), Some("launcher"), "after {button}");
    }

    open();
    tick().await;
    let init = KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    let escape = KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    find(&widget, "close").unwrap().dispatch_event(&escape).unwrap();
    tick().await;
    assert!(find(&widget, "panel").is_none(), "Escape minimizes");
    widget.remove();
}
