//! Puts a widget on the page: the loader hands it a host element and its config (`attach`); the
//! widget adds its shadow root's stylesheet, mounts, and takes the page's commands
//! (`crate::page_api`). Without the loader (the widget's own browser tests), `mount_widget` makes
//! a host at the end of `<body>`.

use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

use crate::components::Widget;
use crate::config::WidgetConfig;
use crate::page_api::PageLink;

/// The panel's stylesheet, adopted by its shadow root (no inline styles: CSP-friendly) after the
/// launcher's, which the loader adopted there; without its comments (`build.rs`).
const WIDGET_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

/// Attribute that marks the element hosting the widget.
pub const HOST_ATTRIBUTE: &str = "data-lexstream-host";

/// Attribute of the loader's own launcher, removed once the widget's replaces it.
const LOADER_UI_ATTRIBUTE: &str = "data-lexstream-loader-ui";

/// What the widget shows and where it chats.
#[derive(Debug, Clone)]
pub struct WidgetOptions {
    /// Panel title.
    pub title: String,
    /// Greeting shown in an empty conversation.
    pub greeting: String,
    /// Where to chat; `None` shows the widget without a way to send.
    pub config: Option<Arc<WidgetConfig>>,
    /// Whether the panel starts open (the visitor clicked the loader's launcher, or the panel
    /// was open before a reload).
    pub open: bool,
}

impl Default for WidgetOptions {
    fn default() -> Self {
        Self {
            title: "Chat".into(),
            greeting: "Hi! How can I help you today?".into(),
            config: None,
            open: false,
        }
    }
}

impl WidgetOptions {
    /// The options for the config the loader assembled (JSON text: a config file, the page's
    /// JSON, the script tag's `data-*` attributes); a config that is missing or invalid is
    /// reported once on the console, naming the key, and the widget shows it cannot chat.
    fn from_loader(config: Option<&str>, open: bool) -> Self {
        let origin = web_sys::window().and_then(|window| window.location().origin().ok()).unwrap_or_default();
        // The loader's own `JSON.stringify`: it parses.
        let parsed = config.map(|text| {
            let json = serde_json::from_str(text).unwrap_or_default();
            WidgetConfig::from_json(&json, &origin).map_err(|e| e.to_string())
        });
        match parsed {
            Some(Ok(config)) => Self {
                title: config.title.clone(),
                greeting: config.initial_text.clone(),
                config: Some(Arc::new(config)),
                open,
            },
            Some(Err(message)) => {
                web_sys::console::error_1(&message.into());
                Self { open, ..Self::default() }
            }
            // The loader said why on the console.
            None => Self { open, ..Self::default() },
        }
    }
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

/// Mounts a widget in `host`, the element the loader made (its launcher is replaced in the same
/// frame, in the same place, by the same rules: nothing moves), with `config` (JSON text; `None`
/// when the loader could not assemble one). The page's JS API then drives it through `host`.
/// The loader calls this once per widget when the visitor reaches for it (or at once, with
/// `data-load="eager"` or a conversation under way in this tab); a failure is one console error.
#[allow(clippy::needless_pass_by_value)] // wasm-bindgen hands over owned values
#[wasm_bindgen]
pub fn attach(host: HtmlElement, config: Option<String>, open: bool) {
    let options = WidgetOptions::from_loader(config.as_deref(), open);
    let mounted = host
        .shadow_root()
        .ok_or_else(|| EmbedError("the host has no shadow root".into()))
        .and_then(|shadow| mount_in(host, shadow, options));
    if let Err(error) = mounted {
        web_sys::console::error_1(&error.to_string().into());
    }
}

/// Mounts a widget in a new host at the end of `<body>`, with an open shadow root.
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
    mount_in(host, shadow, options)
}

/// Puts the widget in `shadow` with the widget's stylesheet, and its settings on `host`.
fn mount_in(
    host: HtmlElement,
    shadow: ShadowRoot,
    options: WidgetOptions,
) -> Result<MountedWidget, EmbedError> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| EmbedError("no document".into()))?;
    if let Some(config) = &options.config {
        host.set_attribute("data-position", config.position.as_str())
            .map_err(js_error("placing the host element"))?;
        if let Some(lang) = &config.lang {
            let dir = if crate::language::is_right_to_left(lang) { "rtl" } else { "ltr" };
            host.set_attribute("lang", lang).map_err(js_error("setting the widget's language"))?;
            host.set_attribute("dir", dir).map_err(js_error("setting the widget's direction"))?;
        }
    }
    let sheet = CssStyleSheet::new().map_err(js_error("creating the stylesheet"))?;
    sheet.replace_sync(WIDGET_CSS).map_err(js_error("parsing the stylesheet"))?;
    let sheets = shadow.adopted_style_sheets();
    sheets.push(&sheet);
    shadow.set_adopted_style_sheets(&sheets);

    let container: HtmlElement =
        document.create_element("div").map_err(js_error("creating the mount point"))?.unchecked_into();
    shadow.append_child(&container).map_err(js_error("adding the mount point"))?;

    let WidgetOptions { title, greeting, config, open } = options;
    let events = PageLink::on(host.clone());
    leptos::mount::mount_to(
        container,
        move || view! { <Widget title=title greeting=greeting config=config open=open page=events /> },
    )
    .forget();
    if let Ok(Some(loader_ui)) = shadow.query_selector(&format!("[{LOADER_UI_ATTRIBUTE}]")) {
        loader_ui.remove();
    }
    Ok(MountedWidget { host, shadow })
}
