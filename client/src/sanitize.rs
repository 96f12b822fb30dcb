//! HTML answers made safe with the browser's own parser: the markup is parsed into an inert
//! document (no scripts run, nothing loads), then rebuilt element by element following
//! `lexstream_protocol::render::policy`. Only the rebuilt copy ever reaches the page.
//!
//! Using the browser's parser means what we check is exactly what the browser would build (no
//! parser differences to exploit), and no HTML parser ships in the wasm.

use lexstream_protocol::render::escape_text;
use lexstream_protocol::render::policy::{
    ALLOWED_TAGS, DROPPED_WITH_CONTENT, LINK_REL, LINK_TARGET, URL_ATTRIBUTES, allowed_attributes,
    url_is_allowed,
};
use wasm_bindgen::JsCast;
use web_sys::{Document, DomParser, Element, Node, SupportedType};

const HTML_NAMESPACE: &str = "http://www.w3.org/1999/xhtml";

/// Sanitizes bot markup (an HTML answer, or rendered Markdown) for `inner_html`.
///
/// Should the browser refuse to parse (it never does for `text/html`), the markup is shown as
/// escaped text rather than dropped.
pub fn sanitize_html(markup: &str) -> String {
    rebuild(markup).unwrap_or_else(|| escape_text(markup))
}

fn rebuild(markup: &str) -> Option<String> {
    let inert = DomParser::new().ok()?.parse_from_string(markup, SupportedType::TextHtml).ok()?;
    let clean = inert.create_element("div").ok()?;
    let body: Node = inert.body()?.into();
    copy_allowed_children(&inert, &body, &clean)?;
    Some(clean.inner_html())
}

/// Copies what the policy allows from `source`'s children into `target`.
fn copy_allowed_children(inert: &Document, source: &Node, target: &Node) -> Option<()> {
    let children = source.child_nodes();
    for index in 0..children.length() {
        let Some(child) = children.item(index) else { continue };
        match child.node_type() {
            Node::TEXT_NODE => {
                let text = inert.create_text_node(&child.text_content().unwrap_or_default());
                target.append_child(&text).ok()?;
            }
            Node::ELEMENT_NODE => {
                let Ok(element) = child.dyn_into::<Element>() else { continue };
                copy_element(inert, &element, target)?;
            }
            _ => {} // comments, processing instructions: dropped
        }
    }
    Some(())
}

fn copy_element(inert: &Document, element: &Element, target: &Node) -> Option<()> {
    // SVG and MathML elements (and anything else outside HTML) go with their content.
    if element.namespace_uri().as_deref() != Some(HTML_NAMESPACE) {
        return Some(());
    }
    let tag = element.local_name();
    if DROPPED_WITH_CONTENT.contains(&tag.as_str()) {
        return Some(());
    }
    if !ALLOWED_TAGS.contains(&tag.as_str()) {
        return copy_allowed_children(inert, element, target);
    }
    let copy = inert.create_element(&tag).ok()?;
    for name in allowed_attributes(&tag) {
        let Some(value) = element.get_attribute(name) else { continue };
        if URL_ATTRIBUTES.contains(name) && !url_is_allowed(&value) {
            continue;
        }
        copy.set_attribute(name, &value).ok()?;
    }
    if tag == "a" && copy.has_attribute("href") {
        copy.set_attribute("target", LINK_TARGET).ok()?;
        copy.set_attribute("rel", LINK_REL).ok()?;
    }
    copy_allowed_children(inert, element, &copy)?;
    target.append_child(&copy).ok()?;
    Some(())
}
