//! A streaming reply's text on screen, drawn by hand rather than by the view: each paint costs
//! work for the new text only. Plain text is appended to one text node; Markdown appends each
//! block once when it completes and redraws only the open tail (`StreamingMarkdown`), through
//! the same sanitizer as final answers.

use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::render::{MarkdownUpdate, StreamingMarkdown};
use web_sys::{Element, Node, Text};

use crate::sanitize::sanitized_nodes;

/// How the painter shows text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// As typed, line breaks kept.
    Plain,
    /// Formatted as it arrives.
    Markdown,
}

/// The nodes a painter owns under its root, by format.
enum Drawn {
    Nothing,
    Plain { node: Text, shown: String },
    Markdown { renderer: StreamingMarkdown, tail: Element },
}

/// Paints one reply's streamed text into `root` (an element the view leaves alone).
pub(crate) struct StreamPainter {
    root: Element,
    drawn: Drawn,
    /// Where images in the streamed Markdown may load from.
    images: ImageOrigins,
}

impl StreamPainter {
    /// A painter for `root`, which it empties; images may load from `images` only.
    pub(crate) fn new(root: Element, images: ImageOrigins) -> Self {
        root.set_inner_html("");
        Self { root, drawn: Drawn::Nothing, images }
    }

    /// Shows `text` (the whole text so far) in `format`. Text that extends what is shown costs
    /// work for the new part only; text that does not (a snapshot) is drawn afresh.
    pub(crate) fn paint(&mut self, text: &str, format: Format) {
        match (&mut self.drawn, format) {
            (Drawn::Plain { node, shown }, Format::Plain) => {
                match text.strip_prefix(shown.as_str()) {
                    Some("") => {}
                    Some(added) => {
                        let _ = node.append_data(added);
                        shown.push_str(added);
                    }
                    None => {
                        node.set_data(text);
                        text.clone_into(shown);
                    }
                }
                return;
            }
            (Drawn::Markdown { renderer, tail }, Format::Markdown) => {
                let update = renderer.update(text);
                apply(&self.root, tail, update, &self.images);
                return;
            }
            _ => {}
        }
        self.start(format);
        self.paint(text, format);
    }

    /// The answer is `final_markup` (rendered Markdown) and its whole text may be `text` (what
    /// streamed, or the answer's Markdown, which may go on from it): if what is shown, finished
    /// with `text`, is exactly that markup, the nodes stay (the rest of the text is appended and
    /// the open tail redrawn, as a paint would) and this returns true; otherwise nothing changes
    /// (the caller may try another text, or replace the reply).
    pub(crate) fn finish_as(&mut self, text: &str, final_markup: &str) -> bool {
        let Drawn::Markdown { renderer, tail } = &mut self.drawn else { return false };
        let Some(update) = renderer.finish_expecting(text, final_markup) else { return false };
        apply(&self.root, tail, update, &self.images);
        true
    }

    fn start(&mut self, format: Format) {
        self.root.set_inner_html("");
        let Some(document) = self.root.owner_document() else { return };
        self.drawn = match format {
            Format::Plain => {
                let node = document.create_text_node("");
                let _ = self.root.append_child(&node);
                Drawn::Plain { node, shown: String::new() }
            }
            Format::Markdown => {
                let Ok(tail) = document.create_element("div") else { return };
                tail.set_class_name("lxs-stream-tail");
                let _ = self.root.append_child(&tail);
                Drawn::Markdown { renderer: StreamingMarkdown::new(self.images.clone()), tail }
            }
        };
        let format_name = if format == Format::Plain { "text" } else { "markdown" };
        let _ = self.root.set_attribute("data-format", format_name);
    }
}

/// Puts a renderer's update on screen, sanitized with images from `images` only: blocks that
/// completed go in once, before the tail; the tail is replaced when it changed. The sanitized
/// nodes move in as they are (no second parse of the markup).
fn apply(root: &Element, tail: &Element, update: MarkdownUpdate, images: &ImageOrigins) {
    if update.reset {
        root.set_inner_html("");
        tail.set_inner_html("");
        let _ = root.append_child(tail);
    }
    if !update.completed.is_empty() {
        move_sanitized(&update.completed, images, |node| root.insert_before(node, Some(tail)).is_ok());
    }
    if let Some(markup) = update.tail {
        tail.set_inner_html("");
        move_sanitized(&markup, images, |node| tail.append_child(node).is_ok());
    }
}

/// Sanitizes `markup` and hands its nodes, in order, to `place` (which moves each into the page);
/// markup the browser would not parse is placed as escaped text, never dropped.
fn move_sanitized(markup: &str, images: &ImageOrigins, place: impl Fn(&Node) -> bool) {
    let Some(clean) = sanitized_nodes(markup, images) else {
        if let Some(document) = web_sys::window().and_then(|window| window.document()) {
            place(&document.create_text_node(markup));
        }
        return;
    };
    while let Some(node) = clean.first_child() {
        if !place(&node) {
            return;
        }
    }
}
