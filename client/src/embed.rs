//! Puts the widget on a page: a host element, an isolated shadow root, the stylesheet, the mount.

use std::sync::Arc;

use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CssStyleSheet, HtmlElement, ShadowRoot, ShadowRootInit, ShadowRootMode};

use crate::components::Widget;
use crate::config::WidgetConfig;

/// Id of the `<script type="application/json">` element holding the widget's configuration.
pub const CONFIG_ELEMENT_ID: &str = "lexstream-config";

/// The widget's stylesheet, adopted by its shadow root (no inline styles: CSP-friendly): the
/// launcher's rules (which the loader draws with too) and the panel's, without their comments
/// (`build.rs`).
const WIDGET_CSS: &str = include_str!(concat!(env!("OUT_DIR"), "/widget.min.css"));

/// Attribute that marks the element hosting the widget.
pub const HOST_ATTRIBUTE: &str = "data-lexstream-host";

/// Attribute of a host the loader created (its launcher is on screen, the widget not yet).
const LOADER_HOST_ATTRIBUTE: &str = "data-lexstream-loader";

/// Attribute of the loader's own launcher, removed once the widget's replaces it.
const LOADER_UI_ATTRIBUTE: &str = "data-lexstream-loader-ui";

/// Event the loader fires on its host when the visitor clicks the launcher: mount now.
const MOUNT_EVENT: &str = "lexstream-mount";

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
    /// Reads the configuration: a JSON file named by the script tag's `data-config-url`, then the
    /// page's `<script type="application/json" id="lexstream-config">`, then the script tag's
    /// `data-*` attributes, later ones winning key by key. A missing or invalid value is reported
    /// once on the console, naming the key.
    pub async fn from_page() -> Self {
        match read_page_config().await {
            Ok(config) => Self {
                title: config.title.clone(),
                greeting: config.initial_text.clone(),
                config: Some(Arc::new(config)),
                open: crate::open_state::was_open(),
            },
            Err(message) => {
                web_sys::console::error_1(&message.into());
                Self::default()
            }
        }
    }
}

/// The `<script>` that loaded the widget (its `src` ends in `lexstream.js`), if it is in the page.
fn loader_script(document: &web_sys::Document) -> Option<web_sys::Element> {
    document.query_selector("script[src$='lexstream.js']").ok()?
}

async fn fetch_json(url: &str) -> Result<serde_json::Value, String> {
    use wasm_bindgen_futures::JsFuture;
    let window = web_sys::window().ok_or("no window")?;
    let failed = |why: String| format!("Lexstream config: data-config-url {url:?} {why}");
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|_| failed("could not be fetched".into()))?
        .unchecked_into();
    if !response.ok() {
        return Err(failed(format!("answered {}", response.status())));
    }
    let text = JsFuture::from(response.text().map_err(|_| failed("has no body".into()))?)
        .await
        .map_err(|_| failed("could not be read".into()))?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| failed(format!("is not valid JSON: {e}")))
}

async fn read_page_config() -> Result<WidgetConfig, String> {
    let window = web_sys::window().ok_or("Lexstream config: no window")?;
    let document = window.document().ok_or("Lexstream config: no document")?;
    let script = loader_script(&document);
    let attributes: Vec<(String, String)> = script
        .as_ref()
        .map(|script| {
            let names = script.get_attribute_names();
            (0..names.length())
                .filter_map(|index| names.get(index).as_string())
                .filter_map(|name| Some((name.clone(), script.get_attribute(&name)?)))
                .collect()
        })
        .unwrap_or_default();
    let mut layers = Vec::new();
    if let Some((_, url)) = attributes.iter().find(|(name, _)| name == "data-config-url") {
        layers.push(fetch_json(url).await?);
    }
    if let Some(element) = document.get_element_by_id(CONFIG_ELEMENT_ID) {
        let json = serde_json::from_str(&element.text_content().unwrap_or_default())
            .map_err(|e| format!("Lexstream config: #{CONFIG_ELEMENT_ID} is not valid JSON: {e}"))?;
        layers.push(json);
    }
    if layers.is_empty() && attributes.iter().all(|(name, _)| !name.starts_with("data-")) {
        return Err(format!(
            "Lexstream config: none found; add data-* attributes or data-config-url to the widget's \
             script tag, or a <script type=\"application/json\" id=\"{CONFIG_ELEMENT_ID}\">"
        ));
    }
    layers.push(crate::config::from_data_attributes(&attributes));
    let origin = window.location().origin().unwrap_or_default();
    WidgetConfig::from_json(&crate::config::merge(layers), &origin).map_err(|e| e.to_string())
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

/// Mounts the widget on the current page; the entry point of the bundle. With the loader on the
/// page, the configuration is read now and the widget mounts when the loader asks (the visitor
/// clicked; at once if they already have). Reports a failure as one console error instead of
/// panicking.
pub fn start() {
    // Leptos's executor starts with the first mount; this runs before it, on the browser's own.
    wasm_bindgen_futures::spawn_local(async {
        let options = WidgetOptions::from_page().await;
        match loader_host() {
            Some(host) if host.dataset().get("mount").as_deref() != Some("now") => {
                let mount = Closure::once_into_js(move || mount_reporting(options));
                let _ = host.add_event_listener_with_callback(MOUNT_EVENT, mount.unchecked_ref());
            }
            _ => mount_reporting(options),
        }
    });
}

fn mount_reporting(mut options: WidgetOptions) {
    options.open |= loader_host().and_then(|host| host.dataset().get("open")).as_deref() == Some("true");
    if let Err(error) = mount_widget(options) {
        web_sys::console::error_1(&error.to_string().into());
    }
}

/// The host element the loader created, while the loader's launcher is still on screen.
fn loader_host() -> Option<HtmlElement> {
    let document = web_sys::window()?.document()?;
    let selector = format!("[{HOST_ATTRIBUTE}][{LOADER_HOST_ATTRIBUTE}]");
    Some(document.query_selector(&selector).ok()??.unchecked_into())
}

/// The loader's host and shadow root if it made them, else a new host at the end of `<body>`
/// with an open shadow root.
fn host_and_shadow(document: &web_sys::Document) -> Result<(HtmlElement, ShadowRoot), EmbedError> {
    if let Some(host) = loader_host()
        && let Some(shadow) = host.shadow_root()
    {
        host.remove_attribute(LOADER_HOST_ATTRIBUTE).map_err(js_error("taking over the loader's host"))?;
        return Ok((host, shadow));
    }
    let body = document.body().ok_or_else(|| EmbedError("the page has no <body>".into()))?;
    let host: HtmlElement =
        document.create_element("div").map_err(js_error("creating the host element"))?.unchecked_into();
    host.set_attribute(HOST_ATTRIBUTE, "").map_err(js_error("marking the host element"))?;
    body.append_child(&host).map_err(js_error("adding the host element"))?;
    let shadow = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .map_err(js_error("attaching the shadow root"))?;
    Ok((host, shadow))
}

/// Puts the widget in its host's shadow root with the widget's stylesheet: the loader's host
/// when the loader made one (its launcher is replaced in the same frame, in the same place, by
/// the same rules: nothing moves), else a new host at the end of `<body>`.
pub fn mount_widget(options: WidgetOptions) -> Result<MountedWidget, EmbedError> {
    let document = web_sys::window()
        .and_then(|window| window.document())
        .ok_or_else(|| EmbedError("no document".into()))?;
    let (host, shadow) = host_and_shadow(&document)?;
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
    shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));

    let container: HtmlElement =
        document.create_element("div").map_err(js_error("creating the mount point"))?.unchecked_into();
    shadow.append_child(&container).map_err(js_error("adding the mount point"))?;

    let WidgetOptions { title, greeting, config, open } = options;
    leptos::mount::mount_to(
        container,
        move || view! { <Widget title=title greeting=greeting config=config open=open /> },
    )
    .forget();
    if let Ok(Some(loader_ui)) = shadow.query_selector(&format!("[{LOADER_UI_ATTRIBUTE}]")) {
        loader_ui.remove();
    }
    Ok(MountedWidget { host, shadow })
}
