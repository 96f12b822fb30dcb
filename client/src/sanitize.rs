//! HTML answers made safe with the browser's own parser: the markup is parsed into an inert
//! document (no scripts run, nothing loads), then checked element by element against
//! `lexstream_protocol::render::policy`. An element of an allowed tag other than `img`, with no
//! attributes at all, stays as the parser made it (its children checked in turn): a rebuild
//! would make an equal element. Every other element is replaced by its rebuilt copy: a new
//! element with only the allowed attributes, or its children alone, or nothing. An image that may
//! not load (not from an origin the site owner allows) is rebuilt as its alt text.
//!
//! A parsed element could differ from a new one in a way no walk sees: a closed shadow root,
//! declared with `<template shadowrootmode>`. `DOMParser` declares none (only when asked to), but
//! markup that mentions `shadowroot` anywhere is rebuilt whole, so keeping parsed elements never
//! depends on that default.
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

/// The whole tree rebuilt, no element kept as parsed: the reference [`sanitize_html`] is held to
/// by the browser tests (both must give the same markup for every input). The widget never calls
/// it (the linker leaves it out).
#[doc(hidden)]
pub fn rebuilt_html(markup: &str, images: &ImageOrigins) -> String {
    rebuilt_nodes(markup, images).map_or_else(|| escape_text(markup), |clean| clean.inner_html())
}

/// Sanitizes `markup` into nodes, the children of an element of the inert document (its body,
/// cleaned in place, or a new element holding the rebuilt copy): moved into the page they are
/// adopted as they are, with no second parse (streamed text is painted so). `None` only if the
/// browser refuses to parse.
pub(crate) fn sanitized_nodes(markup: &str, images: &ImageOrigins) -> Option<Element> {
    if may_declare_shadow_root(markup) {
        return rebuilt_nodes(markup, images);
    }
    let inert = DomParser::new().ok()?.parse_from_string(markup, SupportedType::TextHtml).ok()?;
    let body: Element = inert.body()?.into();
    Rebuild { inert, images }.clean_children(&body)?;
    Some(body)
}

/// Every element of `markup` rebuilt, as the children of a new element of the inert document.
fn rebuilt_nodes(markup: &str, images: &ImageOrigins) -> Option<Element> {
    let inert = DomParser::new().ok()?.parse_from_string(markup, SupportedType::TextHtml).ok()?;
    let clean = inert.create_element("div").ok()?;
    let body: Node = inert.body()?.into();
    Rebuild { inert, images }.copy_allowed_children(&body, &clean)?;
    Some(clean)
}

/// Whether `markup` mentions `shadowroot` (any case), as a declarative shadow root's attribute
/// (`shadowrootmode`, and the older `shadowroot`) must.
fn may_declare_shadow_root(markup: &str) -> bool {
    const NAME: &[u8] = b"shadowroot";
    markup.as_bytes().windows(NAME.len()).any(|window| window.eq_ignore_ascii_case(NAME))
}

/// One sanitizing pass: the inert document new nodes are made in, and where images may load from.
struct Rebuild<'a> {
    inert: Document,
    images: &'a ImageOrigins,
}

impl Rebuild<'_> {
    /// Makes `parent`'s children what the policy allows, in place. Text stays; an element stays
    /// when [`Self::kept_as_parsed`] says so (its children cleaned in turn); any other element is
    /// replaced by what [`Self::copy_element`] makes of it; anything else goes (comments).
    fn clean_children(&self, parent: &Node) -> Option<()> {
        let mut next = parent.first_child();
        while let Some(child) = next {
            next = child.next_sibling();
            match child.node_type() {
                Node::TEXT_NODE => {}
                Node::ELEMENT_NODE => {
                    let element = child.unchecked_ref::<Element>();
                    if self.kept_as_parsed(element) {
                        self.clean_children(element)?;
                    } else {
                        let rebuilt = self.inert.create_element("div").ok()?;
                        self.copy_element(element, &rebuilt)?;
                        while let Some(node) = rebuilt.first_child() {
                            parent.insert_before(&node, Some(&child)).ok()?;
                        }
                        parent.remove_child(&child).ok()?;
                    }
                }
                _ => {
                    parent.remove_child(&child).ok()?;
                }
            }
        }
        Some(())
    }

    /// Whether `element` equals what [`Self::copy_element`] would build from it: an HTML element
    /// of an allowed tag (not `img`, whose source is checked) with no attributes at all. Nothing
    /// but attributes, the tag and a shadow root gives a parsed element of these tags state of its
    /// own (a customized built-in element, say, is one with an `is` attribute; no allowed tag is
    /// form-associated but `img`), and markup that could declare a shadow root is never kept.
    fn kept_as_parsed(&self, element: &Element) -> bool {
        if element.has_attributes() || !element.is_instance_of::<HtmlElement>() {
            return false;
        }
        let tag = element.local_name();
        tag != "img" && ALLOWED_TAGS.contains(&tag.as_str())
    }

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

#[cfg(test)]
mod tests {
    use super::may_declare_shadow_root;

    #[test]
    fn markup_that_could_declare_a_shadow_root_is_told_apart() {
        for markup in [
            r#"<p><template shadowrootmode="closed"><img src=x onerror=alert(1)></template>t</p>"#,
            "<P><TEMPLATE SHADOWROOTMODE=open></TEMPLATE></P>",
            "<div><template shadowroot=open></template></div>",
            "text about shadowRoot",
        ] {
            assert!(may_declare_shadow_root(markup), "{markup}");
        }
        for markup in ["", "<p>shadow root</p>", "<p>A <b>bold</b> claim</p>", "shadowroo"] {
            assert!(!may_declare_shadow_root(markup), "{markup}");
        }
    }
}
