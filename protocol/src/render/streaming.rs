//! Markdown rendered while it streams: each finished top-level block is rendered once and
//! appended; only the open tail is rendered again, repaired, on every update.
//!
//! An update parses the text after the last committed block, so its cost follows the length of
//! the open tail, not of the whole answer. A block is committed once it can no longer change:
//! a later top-level block has started on a complete line (`* a\n***` is a list and a
//! thematic break, but `* a\n***x` is one list, so the boundary only holds once `***` ends
//! with a newline; a table also needs its delimiter row complete), or a blank line follows a
//! block that a blank line always ends (paragraph, heading, table, block quote, thematic
//! break). Parsing from the start of the line after a committed block gives the same events
//! as parsing the whole text, except for link reference definitions: those in committed text
//! are carried forward; one written after a block that uses it is caught by
//! [`StreamingMarkdown::finish`], which then starts over with the whole render.

mod commit;
mod repair;

use std::collections::BTreeMap;
use std::ops::Range;

use pulldown_cmark::{Event, LinkType, Tag};

use super::markdown::{KnownDefinitions, label_key, parser, push_policy_html, render_markdown};
use super::policy::ImageOrigins;
use commit::{Commit, find_commit};
use repair::Repair;

/// A parser event with the source range it came from.
type Spanned<'a> = (Event<'a>, Range<usize>);

/// What to change on screen after one [`StreamingMarkdown::update`] or
/// [`StreamingMarkdown::finish`].
///
/// The screen holds the completed HTML followed by the tail HTML. Apply an update by clearing
/// everything when `reset`, appending `completed`, then replacing the tail when `tail` is
/// `Some`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MarkdownUpdate {
    /// The caller must clear everything shown so far first: the text did not extend the
    /// committed text (a snapshot replaced it), or finishing found that the incremental render
    /// differs from the whole render.
    pub reset: bool,
    /// HTML of the top-level blocks that completed with this update, in order: appended once,
    /// after the blocks already shown, and never rendered again.
    pub completed: String,
    /// HTML of the open tail (the last, unfinished blocks, with unterminated syntax repaired);
    /// replaces the previous tail. `None` when it did not change.
    pub tail: Option<String>,
    /// How many bytes of Markdown this update parsed: the measure of its cost.
    pub parsed_bytes: usize,
}

/// Renders one answer's Markdown as it streams in. See the [module docs](self) for how blocks
/// are committed.
///
/// ```
/// use lexstream_protocol::render::{StreamingMarkdown, policy::ImageOrigins, render_markdown};
///
/// let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
/// let update = markdown.update("Some **bold");
/// assert_eq!(update.tail.as_deref(), Some("<p>Some <strong>bold</strong></p>\n"));
/// let update = markdown.update("Some **bold** text.\n\nSee [the docs](https://exa");
/// assert_eq!(update.completed, "<p>Some <strong>bold</strong> text.</p>\n");
/// assert_eq!(update.tail.as_deref(), Some("<p>See the docs</p>\n"));
/// let full = "Some **bold** text.\n\nSee [the docs](https://example.com).";
/// let update = markdown.finish(full);
/// assert!(!update.reset);
/// assert_eq!(markdown.html(), render_markdown(full, &ImageOrigins::none()));
/// ```
#[derive(Debug, Clone, Default)]
pub struct StreamingMarkdown {
    /// The Markdown of the committed blocks: a prefix of every text that extends this answer.
    committed_source: String,
    /// The HTML of the committed blocks.
    committed_html: String,
    /// The HTML of the open tail as last shown.
    tail_html: String,
    /// Link reference definitions from committed text: [`label_key`] to target and title.
    definitions: BTreeMap<String, (String, String)>,
    /// Where images may load from.
    images: ImageOrigins,
}

impl StreamingMarkdown {
    /// A renderer for a new answer whose images may load from `images`: nothing shown yet.
    pub fn new(images: ImageOrigins) -> Self {
        Self { images, ..Self::default() }
    }

    /// Renders `text`, the whole answer so far (normally the previous text plus more).
    ///
    /// Blocks that finished are committed and returned once in `completed`; the rest is
    /// rendered as the tail, with unterminated emphasis, strikethrough and code spans closed,
    /// and trailing markers and links still being written shown as plain text.
    pub fn update(&mut self, text: &str) -> MarkdownUpdate {
        let (reset, source) = self.continue_with(text);
        let mut parsed = parse(source, &self.definitions);
        let unlinked = links_to_unfinished_definitions(source, &parsed.definitions, &parsed.events);
        let mut commit = find_commit(source, &parsed.events);
        if unlinked.iter().any(|(index, _)| *index < commit.events) {
            // A block linking to a definition still being written waits for that line.
            commit = Commit { source: 0, events: 0 };
        }
        let unlinked = unlinked.into_iter().map(|(_, range)| in_tail(&range, commit.source)).collect();
        let tail_events: Vec<Spanned<'_>> = parsed
            .events
            .split_off(commit.events)
            .into_iter()
            .map(|(event, range)| (event, in_tail(&range, commit.source)))
            .collect();
        let completed = self.render(parsed.events.into_iter().map(|(event, _)| event));
        let tail = &source[commit.source..];
        self.remember_definitions(&parsed.definitions, commit.source);
        let (tail_html, reparsed_bytes) = self.render_tail(tail, tail_events, unlinked);

        self.committed_source.push_str(&source[..commit.source]);
        self.committed_html.push_str(&completed);
        let tail_changed = reset || tail_html != self.tail_html;
        self.tail_html = tail_html;
        MarkdownUpdate {
            reset,
            completed,
            tail: tail_changed.then(|| self.tail_html.clone()),
            parsed_bytes: source.len() + reparsed_bytes,
        }
    }

    /// Renders `text` as the complete answer: the tail without repair, everything committed.
    ///
    /// What is shown afterwards equals [`render_markdown`]`(text, images)`. When the incremental
    /// render would differ (a link reference definition written after a committed block that
    /// uses it), the update resets and carries the whole render in `completed`.
    pub fn finish(&mut self, text: &str) -> MarkdownUpdate {
        let (mut reset, source) = self.continue_with(text);
        let (rest, definitions) = self.render_rest(source);
        let whole = render_markdown(text, &self.images);
        let completed = if self.completes_as(&rest, &whole) {
            rest
        } else {
            reset = true;
            self.committed_html.clear();
            whole
        };
        self.commit_rest(source, &definitions, &completed);
        MarkdownUpdate {
            reset,
            completed,
            tail: Some(String::new()),
            parsed_bytes: source.len() + text.len(),
        }
    }

    /// Finishes with `text` as [`finish`](Self::finish) does, when what is shown then is exactly
    /// `expected` — the final answer's markup, which [`render_markdown`] already made from the
    /// same text — without rendering the whole text again: only the part after the committed
    /// blocks is parsed, however much of it had streamed. `None`, with nothing changed, when
    /// the result would be anything else (another text, a reset); the caller then shows
    /// `expected` afresh.
    pub fn finish_expecting(&mut self, text: &str, expected: &str) -> Option<MarkdownUpdate> {
        let source = text.strip_prefix(self.committed_source.as_str())?;
        let (rest, definitions) = self.render_rest(source);
        if !self.completes_as(&rest, expected) {
            return None;
        }
        self.commit_rest(source, &definitions, &rest);
        Some(MarkdownUpdate {
            reset: false,
            completed: rest,
            tail: Some(String::new()),
            parsed_bytes: source.len(),
        })
    }

    /// `source` (the text after the committed blocks) rendered as finished — its tail without
    /// repair — and the link reference definitions it has.
    fn render_rest(&self, source: &str) -> (String, Vec<Definition>) {
        let parsed = parse(source, &self.definitions);
        (self.render(parsed.events.into_iter().map(|(event, _)| event)), parsed.definitions)
    }

    /// Whether the committed HTML followed by `rest` is exactly `whole`.
    fn completes_as(&self, rest: &str, whole: &str) -> bool {
        whole.len() == self.committed_html.len() + rest.len()
            && whole.starts_with(&self.committed_html)
            && whole.ends_with(rest)
    }

    /// Commits `source` (all of the rest of the text) shown as `html`, after the committed blocks.
    fn commit_rest(&mut self, source: &str, definitions: &[Definition], html: &str) {
        self.remember_definitions(definitions, source.len());
        self.committed_source.push_str(source);
        self.committed_html.push_str(html);
        self.tail_html.clear();
    }

    /// Everything shown now: the committed HTML followed by the tail HTML.
    pub fn html(&self) -> String {
        let mut html = String::with_capacity(self.committed_html.len() + self.tail_html.len());
        html.push_str(&self.committed_html);
        html.push_str(&self.tail_html);
        html
    }

    /// Starts over unless `text` extends the committed text; returns whether it started over,
    /// and the part of `text` after the committed text.
    fn continue_with<'t>(&mut self, text: &'t str) -> (bool, &'t str) {
        let committed = self.committed_source.len();
        if text.as_bytes().starts_with(self.committed_source.as_bytes())
            && let Some(rest) = text.get(committed..)
        {
            return (false, rest);
        }
        *self = Self::new(std::mem::take(&mut self.images));
        (true, text)
    }

    /// Keeps the link reference definitions that ended before `committed_end` of `source`, so
    /// later parses resolve links to them (the first definition of a label wins).
    fn remember_definitions(&mut self, definitions: &[Definition], committed_end: usize) {
        for definition in definitions.iter().filter(|definition| definition.span.end <= committed_end) {
            self.definitions
                .entry(definition.label.clone())
                .or_insert_with(|| (definition.dest.clone(), definition.title.clone()));
        }
    }

    /// Renders the open tail repaired; also returns how many bytes a second parse took (the
    /// tail with closing markers added), 0 when there was none.
    fn render_tail(
        &self,
        tail: &str,
        events: Vec<Spanned<'_>>,
        unlinked: Vec<Range<usize>>,
    ) -> (String, usize) {
        let repair = Repair::plan(tail, &events, unlinked);
        if let Some(repaired) = repair.repaired_source(tail) {
            let reparsed = parse(&repaired, &self.definitions);
            if repair.closers_consumed(&reparsed.events) {
                let html = self.render(repair.shown_events(&repaired, reparsed.events, true));
                return (html, repaired.len());
            }
        }
        (self.render(repair.shown_events(tail, events, false)), 0)
    }

    /// Renders events as HTML held to the policy.
    fn render<'a>(&self, mut events: impl Iterator<Item = Event<'a>>) -> String {
        let mut html = String::new();
        push_policy_html(&mut html, &mut events, &self.images);
        html
    }
}

/// A source range moved to the coordinates of the tail starting at `tail_start`.
fn in_tail(range: &Range<usize>, tail_start: usize) -> Range<usize> {
    range.start.saturating_sub(tail_start)..range.end.saturating_sub(tail_start)
}

/// A link reference definition found while parsing.
#[derive(Debug)]
struct Definition {
    /// The label as matched ([`label_key`]: case-folded).
    label: String,
    /// The target URL.
    dest: String,
    /// The title (empty when there is none).
    title: String,
    /// Where it is written in the parsed source (without the line's newline).
    span: Range<usize>,
}

/// One parse: its events with their source ranges, and the definitions it found.
#[derive(Debug)]
struct Parsed<'a> {
    /// Every event with its source range.
    events: Vec<Spanned<'a>>,
    /// The link reference definitions in the source.
    definitions: Vec<Definition>,
}

/// Parses `source`, resolving links whose definition is not in it from `known` definitions.
fn parse<'a>(source: &'a str, known: &KnownDefinitions) -> Parsed<'a> {
    let mut parser = parser(source, Some(known)).into_offset_iter();
    let events = parser.by_ref().collect();
    let definitions = parser
        .reference_definitions()
        .iter()
        .map(|(label, definition)| Definition {
            label: label_key(label),
            dest: definition.dest.to_string(),
            title: definition.title.as_deref().unwrap_or_default().to_owned(),
            span: definition.span.clone(),
        })
        .collect();
    Parsed { events, definitions }
}

/// The links and images (event index and source range) whose reference definition is still
/// being written (its line has no newline yet): their target may be a half-written URL, so
/// they must not be shown as links, nor committed.
fn links_to_unfinished_definitions(
    source: &str,
    definitions: &[Definition],
    events: &[Spanned<'_>],
) -> Vec<(usize, Range<usize>)> {
    let unfinished: Vec<&str> = definitions
        .iter()
        .filter(|definition| !source[definition.span.end..].contains('\n'))
        .map(|definition| definition.label.as_str())
        .collect();
    if unfinished.is_empty() {
        return Vec::new();
    }
    events
        .iter()
        .enumerate()
        .filter(|(_, (event, _))| match event {
            Event::Start(Tag::Link { link_type, id, .. } | Tag::Image { link_type, id, .. }) => {
                matches!(link_type, LinkType::Reference | LinkType::Collapsed | LinkType::Shortcut)
                    && unfinished.contains(&label_key(id).as_str())
            }
            _ => false,
        })
        .map(|(index, (_, range))| (index, range.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streams `text` in prefixes growing by `step` bytes (on character boundaries) and returns
    /// the renderer and the last update.
    fn stream(text: &str, step: usize) -> (StreamingMarkdown, MarkdownUpdate) {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        let mut update = MarkdownUpdate::default();
        let mut end = 0;
        while end < text.len() {
            end = (end + step).min(text.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            update = markdown.update(&text[..end]);
        }
        (markdown, update)
    }

    #[test]
    fn a_thematic_break_after_a_list_commits_only_once_its_line_is_complete() {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        let update = markdown.update("* a\n***");
        assert_eq!(update.completed, "");
        let update = markdown.update("* a\n***x");
        assert_eq!(update.completed, "");
        assert!(markdown.html().starts_with("<ul>\n<li>a\n"), "{}", markdown.html());
        assert!(!markdown.finish("* a\n***x").reset);
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        markdown.update("* a\n***");
        let update = markdown.update("* a\n***\n");
        assert_eq!(update.completed, "<ul>\n<li>a</li>\n</ul>\n");
        assert_eq!(markdown.html(), render_markdown("* a\n***\n", &ImageOrigins::none()));
    }

    #[test]
    fn a_loose_list_with_blank_lines_between_items_stays_one_block() {
        let text = "- one\n\n- two\n\n- three\n\nAfter.\n";
        let (mut markdown, _) = stream(text, 1);
        assert_eq!(
            markdown.committed_html,
            render_markdown("- one\n\n- two\n\n- three\n", &ImageOrigins::none())
        );
        assert!(!markdown.finish(text).reset);
    }

    #[test]
    fn a_fenced_code_block_with_blank_lines_stays_one_block() {
        let text = "```rust\nfn a() {}\n\n\nfn b() {}\n```\nDone.\n";
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        for end in 1..text.len() {
            let update = markdown.update(&text[..end]);
            if end < text.find("Done").unwrap_or(0) {
                assert_eq!(update.completed, "", "committed inside the fence at {end}");
            }
        }
        assert!(!markdown.finish(text).reset);
        assert_eq!(markdown.html(), render_markdown(text, &ImageOrigins::none()));
    }

    #[test]
    fn a_paragraph_commits_at_the_blank_line_after_it() {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        assert_eq!(markdown.update("Hello there.\n").completed, "");
        assert_eq!(markdown.update("Hello there.\n\n").completed, "<p>Hello there.</p>\n");
        assert_eq!(markdown.committed_source, "Hello there.\n\n");
    }

    #[test]
    fn a_table_commits_the_paragraph_before_it_only_once_its_delimiter_row_is_complete() {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        assert_eq!(markdown.update("Intro\n| a | b |\n|---|-").completed, "");
        assert_eq!(markdown.update("Intro\n| a | b |\n|---|---|---|").completed, "");
        let text = "Intro\n| a | b |\n|---|---|---|\nmore\n";
        assert!(!markdown.finish(text).reset);
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        let update = markdown.update("Intro\n| a | b |\n|---|---|\n");
        assert_eq!(update.completed, "<p>Intro</p>\n");
    }

    #[test]
    fn each_update_parses_only_the_open_tail() {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        markdown.update("First paragraph, long enough to matter.\n\nSecond");
        let update = markdown.update("First paragraph, long enough to matter.\n\nSecond one");
        assert_eq!(update.parsed_bytes, "Second one".len());
    }

    #[test]
    fn a_text_that_does_not_extend_the_committed_text_resets() {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        markdown.update("Old answer.\n\nMore");
        let update = markdown.update("New answer.\n\nOther");
        assert!(update.reset);
        assert_eq!(update.completed, "<p>New answer.</p>\n");
        assert_eq!(update.tail.as_deref(), Some("<p>Other</p>\n"));
    }

    #[test]
    fn a_change_inside_the_open_tail_needs_no_reset() {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        markdown.update("Done.\n\nDraft one");
        let update = markdown.update("Done.\n\nDraft two");
        assert!(!update.reset);
        assert_eq!(update.tail.as_deref(), Some("<p>Draft two</p>\n"));
    }

    #[test]
    fn an_unchanged_tail_is_not_sent_again() {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        markdown.update("Same");
        assert_eq!(markdown.update("Same").tail, None);
    }

    #[test]
    fn a_definition_in_committed_text_resolves_links_in_later_blocks() {
        let text = "[docs]: https://example.com/docs\n\nIntro.\n\nSee [docs].\n\nBye.";
        let (mut markdown, _) = stream(text, 3);
        assert!(markdown.html().contains("<a href=\"https://example.com/docs\">docs</a>"));
        assert!(!markdown.finish(text).reset);
    }

    #[test]
    fn a_definition_in_committed_text_matches_labels_as_the_parser_does() {
        let text =
            "[Straße Docs]: https://example.com/s\n\nIntro.\n\nSee [STRASSE DOCS], [straße docs].\n\nBye.";
        let (mut markdown, _) = stream(text, 3);
        assert_eq!(markdown.html().matches("<a href=\"https://example.com/s\">").count(), 2);
        assert!(!markdown.finish(text).reset);
        assert_eq!(markdown.html(), render_markdown(text, &ImageOrigins::none()));
    }

    #[test]
    fn a_definition_written_after_its_use_makes_finish_reset_to_the_whole_render() {
        let text = "See [docs].\n\nMore.\n\n[docs]: https://example.com/docs\n";
        let (mut markdown, _) = stream(text, 4);
        let update = markdown.finish(text);
        assert!(update.reset);
        assert_eq!(update.completed, render_markdown(text, &ImageOrigins::none()));
        assert_eq!(markdown.html(), render_markdown(text, &ImageOrigins::none()));
    }

    #[test]
    fn a_definition_still_being_written_does_not_make_a_link() {
        let mut markdown = StreamingMarkdown::new(ImageOrigins::none());
        markdown.update("See [docs].\n\n[docs]: https://exam");
        assert_eq!(markdown.html(), "<p>See docs.</p>\n");
        markdown.update("See [docs].\n\n[docs]: https://example.com\n");
        assert_eq!(markdown.html(), "<p>See <a href=\"https://example.com\">docs</a>.</p>\n");
    }
}
