//! Puts the widget on a page: a host element, an isolated shadow root, the stylesheet, the mount.

use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

use crate::components::Widget;
use crate::config::WidgetConfig;

/// Id of the `<script type="application/json">` element holding the widget's configuration.
pub const CONFIG_ELEMENT_ID: &str = "lexstream-config";

/// The widget's stylesheet, adopted by its shadow root (no inline styles: CSP-friendly).
const WIDGET_CSS: &str = include_str!("widget.css");

/// Attribute that marks the element hosting the widget.
pub const HOST_ATTRIBUTE: &str = "data-lexstream-host";

/// What the widget shows and where it chats.
#[derive(Debug, Clone)]
pub struct WidgetOptions {
    /// Panel title.
    pub title: String,
    /// Greeting shown in an empty conversation.
    pub greeting: String,
    /// Where to chat; `None` shows the widget without a way to send.
    pub config: Option<Arc<WidgetConfig>>,
}

impl Default for WidgetOptions {
    fn default() -> Self {
        Self { title: "Chat".into(), greeting: "Hi! How can I help you today?".into(), config: None }
    }
}

impl WidgetOptions {
    /// Reads the page's `<script type="application/json" id="lexstream-config">`; a missing or
    /// invalid value is reported once on the console, naming the key.
    pub fn from_page() -> Self {
        match read_page_config() {
            Ok(config) => Self {
                title: config.title.clone(),
                greeting: config.initial_text.clone(),
                config: Some(Arc::new(config)),
            },
            Err(message) => {
                web_sys::console::error_1(&message.into());
                Self::default()
            }
        }
    }
}

fn read_page_config() -> Result<WidgetConfig, String> {
    let window = web_sys::window().ok_or("Lexstream config: no window")?;
    let element = window
        .document()
        .and_then(|document| document.get_element_by_id(CONFIG_ELEMENT_ID))
        .ok_or_else(|| format!("Lexstream config: the page has no <script type=\"application/json\" id=\"{CONFIG_ELEMENT_ID}\">"))?;
    let json: serde_json::Value = serde_json::from_str(&element.text_content().unwrap_or_default())
        .map_err(|e| format!("Lexstream config: #{CONFIG_ELEMENT_ID} is not valid JSON: {e}"))?;
    let origin = window.location().origin().unwrap_or_default();
    WidgetConfig::from_json(&json, &origin).map_err(|e| e.to_string())
}

/// A widget on the page: its host element and shadow root.
#[derive(Debug)]
pub struct MountedWidget {
    /// The element added to the page to hold the widget.
    pub host: HtmlElement,
    /// The widget's shadow root; everything the widget renders lives here.
    pub shadow: ShadowRoot,
}

impl MountedWidget {
    /// Removes the widget from the page.
    pub fn remove(self) {
        self.host.remove();
    }
}

/// Why the widget could not be put on the page.
#[derive(Debug)]
pub struct EmbedError(String);

impl std::fmt::Display for EmbedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lexstream could not start: {}", self.0)
    }
}

fn js_error(what: &str) -> impl Fn(JsValue) -> EmbedError + '_ {
    move |error| EmbedError(format!("{what}: {error:?}"))
}

/// Mounts the widget on the current page; the entry point of the bundle.
/// Reports a failure as one console error instead of panicking.
pub fn start() {
    if let Err(error) = mount_widget(WidgetOptions::from_page()) {
        web_sys::console::error_1(&error.to_string().into());
    }
}

/// Creates the host element at the end of `<body>`, attaches an open shadow root with the
/// widget's stylesheet, and mounts the widget inside it.
pub fn mount_widget(options: WidgetOptions) -> Result<MountedWidget, EmbedError> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| EmbedError("no document".into()))?;
    let body = document.body().ok_or_else(|| EmbedError("the page has no <body>".into()))?;

    let host: HtmlElement =
        document.create_element("div").map_err(js_error("creating the host element"))?.unchecked_into();
    host.set_attribute(HOST_ATTRIBUTE, "").map_err(js_error("marking the host element"))?;
    body.append_child(&host).map_err(js_error("adding the host element"))?;

    let shadow = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .map_err(js_error("attaching the shadow root"))?;
    let sheet = CssStyleSheet::new().map_err(js_error("creating the stylesheet"))?;
    sheet.replace_sync(WIDGET_CSS).map_err(js_error("parsing the stylesheet"))?;
    shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

    let container: HtmlElement =
        document.create_element("div").map_err(js_error("creating the mount point"))?.unchecked_into();
    shadow.append_child(&container).map_err(js_error("adding the mount point"))?;

    let WidgetOptions { title, greeting, config } = options;
    leptos::mount::mount_to(
        container,
        move || view! { <Widget title=title greeting=greeting config=config /> },
    )
    .forget();
    Ok(MountedWidget { host, shadow })
}
