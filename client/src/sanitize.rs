//! HTML answers made safe with the browser's own parser: the markup is parsed into an inert
//! document (no scripts run, nothing loads), then rebuilt element by element following
//! `lexstream_protocol::render::policy`. Only the rebuilt copy ever reaches the page. An image
//! that may not load (not from an origin the site owner allows) is rebuilt as its alt text.
//!
//! Using the browser's parser means what we check is exactly what the browser would build (no
//! parser differences to exploit), and no HTML parser ships in the wasm.

use lexstream_protocol::render::escape_text;
use lexstream_protocol::render::policy::{
    ALLOWED_TAGS, DROPPED_WITH_CONTENT, ImageOrigins, LINK_REL, LINK_TARGET, allowed_attributes,
    url_attribute_is_allowed,
};
use wasm_bindgen::JsCast;
use web_sys::{Document, DomParser, Element, HtmlElement, Node, SupportedType};

/// Sanitizes bot markup (an HTML answer, or rendered Markdown) for `inner_html`; images may load
/// from `images` only.
///
/// Should the browser refuse to parse (it never does for `text/html`), the markup is shown as
/// escaped text rather than dropped.
pub fn sanitize_html(markup: &str, images: &ImageOrigins) -> String {
    sanitized_nodes(markup, images).map_or_else(|| escape_text(markup), |clean| clean.inner_html())
}

/// Sanitizes `markup` into nodes, the children of an element of the inert document: moved into
/// the page they are adopted as they are, with no second parse (streamed text is painted so).
/// `None` only if the browser refuses to parse.
pub(crate) fn sanitized_nodes(markup: &str, images: &ImageOrigins) -> Option<Element> {
    let inert = DomParser::new().ok()?.parse_from_string(markup, SupportedType::TextHtml).ok()?;
    let clean = inert.create_element("div").ok()?;
    let body: Node = inert.body()?.into();
    Rebuild { inert, images }.copy_allowed_children(&body, &clean)?;
    Some(clean)
}

/// One sanitizing pass: the inert document new nodes are made in, and where images may load from.
struct Rebuild<'a> {
    inert: Document,
    images: &'a ImageOrigins,
}

impl Rebuild<'_> {
    /// Copies what the policy allows from `source`'s children into `target`. Text nodes move
    /// as they are (text is always allowed); elements are rebuilt.
    fn copy_allowed_children(&self, source: &Node, target: &Node) -> Option<()> {
        let mut next = source.first_child();
        while let Some(child) = next {
            next = child.next_sibling();
            match child.node_type() {
                Node::TEXT_NODE => {
                    target.append_child(&child).ok()?;
                }
                // An element node is an `Element`: no second type check across the boundary.
                Node::ELEMENT_NODE => self.copy_element(child.unchecked_ref::<Element>(), target)?,
                _ => {} // comments, processing instructions: dropped
            }
        }
        Some(())
    }

    fn copy_element(&self, element: &Element, target: &Node) -> Option<()> {
        // SVG and MathML elements (and anything else outside HTML) go with their content. An
        // element is in the HTML namespace exactly when it is an `HTMLElement` (DOM standard:
        // the HTML namespace's element interfaces), which is checked without reading a string.
        if !element.is_instance_of::<HtmlElement>() {
            return Some(());
        }
        let tag = element.local_name();
        if DROPPED_WITH_CONTENT.contains(&tag.as_str()) {
            return Some(());
        }
        if !ALLOWED_TAGS.contains(&tag.as_str()) {
            return self.copy_allowed_children(element, target);
        }
        if tag == "img" && !self.images.allows(&element.get_attribute("src").unwrap_or_default()) {
            return self.append_text(&element.get_attribute("alt").unwrap_or_default(), target);
        }
        let copy = self.inert.create_element(&tag).ok()?;
        for name in allowed_attributes(&tag) {
            let Some(value) = element.get_attribute(name) else { continue };
            if !url_attribute_is_allowed(&tag, name, &value, self.images) {
                continue;
            }
            copy.set_attribute(name, &value).ok()?;
        }
        if tag == "a" && copy.has_attribute("href") {
            copy.set_attribute("target", LINK_TARGET).ok()?;
            copy.set_attribute("rel", LINK_REL).ok()?;
        }
        self.copy_allowed_children(element, &copy)?;
        target.append_child(&copy).ok()?;
        Some(())
    }

    /// Appends `text` to `target` as a text node (nothing when it is empty).
    fn append_text(&self, text: &str, target: &Node) -> Option<()> {
        if !text.is_empty() {
            target.append_child(&self.inert.create_text_node(text)).ok()?;
        }
        Some(())
    }
}
