//! Repairs the open end of a streamed answer for display, in the spirit of Streamdown's
//! `remend`: unterminated emphasis, strikethrough and code spans are closed; marker characters
//! that cannot render yet and links still being written are hidden. Nothing the answer does not
//! contain is ever shown: closing markers are only kept when the parser consumed them.

use std::ops::Range;

use pulldown_cmark::{CowStr, Event, Tag, TagEnd};

use super::Spanned;

/// How the open tail is changed before it is shown.
#[derive(Debug, Default)]
pub(super) struct Repair {
    /// Closing markers, innermost first, inserted at `insert_at`.
    closers: String,
    /// Where the closers go: just after the last character shown.
    insert_at: usize,
    /// Source ranges not shown: lone markers and the syntax of a link still being written
    /// (sorted by start).
    hidden: Vec<Range<usize>>,
    /// Source ranges of links and images shown as their text only.
    unlinked: Vec<Range<usize>>,
}

/// A character run in the text that is Markdown syntax left unmatched by the parser.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Marker {
    /// Which syntax it is.
    kind: MarkerKind,
    /// Where it is written.
    range: Range<usize>,
    /// Whether it sits inside a finished link's text (closers after the link cannot reach it).
    in_link: bool,
}

/// Which syntax a [`Marker`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MarkerKind {
    /// `*`, `_` or `~` (one character; a run is several markers in a row).
    Emphasis(u8),
    /// A run of backticks.
    Backticks(usize),
    /// `[` or `![`: a link's or image's label may start here.
    OpenBracket,
    /// `]`.
    CloseBracket,
}

impl Repair {
    /// Plans the repair of `source` (the open tail) from its parse; `unlinked` are the source
    /// ranges of links to show as text only.
    pub(super) fn plan(source: &str, events: &[Spanned<'_>], unlinked: Vec<Range<usize>>) -> Self {
        let mut repair = Repair { unlinked, ..Repair::default() };
        if let Some(run) = open_inline_run(source, events) {
            repair.plan_inline_run(source, &events[run]);
        }
        repair
    }

    /// Hides `range`, keeping `hidden` sorted by start (ranges with the same start in the order
    /// hidden). Inserted in place rather than sorted once planned: a sort of ranges would be one
    /// more copy of the standard sort in the widget (~1.5 KB gzip) for a handful of ranges.
    fn hide(&mut self, range: Range<usize>) {
        let at = self.hidden.partition_point(|hidden| hidden.start <= range.start);
        self.hidden.insert(at, range);
    }

    /// The source with the closing markers inserted, when there are any.
    pub(super) fn repaired_source(&self, source: &str) -> Option<String> {
        if self.closers.is_empty() {
            return None;
        }
        let (before, after) = source.split_at(self.insert_at);
        Some([before, &self.closers, after].concat())
    }

    /// Whether the parse of the repaired source consumed every closing marker (none of them
    /// would show as text, and a code span ends exactly with the inserted backticks).
    pub(super) fn closers_consumed(&self, events: &[Spanned<'_>]) -> bool {
        let inserted = self.insert_at..self.insert_at + self.closers.len();
        let code_closer = self.closers.bytes().take_while(|byte| *byte == b'`').count();
        events.iter().all(|(event, range)| {
            let overlaps = range.start < inserted.end && inserted.start < range.end;
            !overlaps
                || match event {
                    Event::Start(_) | Event::End(_) => true,
                    Event::Code(_) => {
                        code_closer > 0
                            && range.start < inserted.start
                            && range.end == inserted.start + code_closer
                    }
                    _ => false,
                }
        })
    }

    /// The events to render: hidden source left out, unlinked links reduced to their text.
    /// `repaired` tells whether `source` is the repaired source (hidden ranges after the
    /// insertion point move by the closers' length).
    pub(super) fn shown_events<'a>(
        &self,
        source: &'a str,
        events: Vec<Spanned<'a>>,
        repaired: bool,
    ) -> impl Iterator<Item = Event<'a>> {
        let shift = if repaired { self.closers.len() } else { 0 };
        let moved = |range: &Range<usize>| {
            if range.start >= self.insert_at { range.start + shift..range.end + shift } else { range.clone() }
        };
        let hidden: Vec<Range<usize>> = self.hidden.iter().map(moved).collect();
        let unlinked: Vec<Range<usize>> = self.unlinked.iter().map(moved).collect();
        let mut dropped_links = Vec::new();
        events.into_iter().filter_map(move |(event, range)| {
            let inside_hidden = hidden.iter().any(|hide| hide.start <= range.start && range.end <= hide.end);
            match event {
                Event::Start(tag @ (Tag::Link { .. } | Tag::Image { .. })) => {
                    let dropped = inside_hidden || unlinked.contains(&range);
                    dropped_links.push(dropped);
                    (!dropped).then_some(Event::Start(tag))
                }
                Event::End(end @ (TagEnd::Link | TagEnd::Image)) => {
                    let dropped = dropped_links.pop().unwrap_or(false);
                    (!dropped).then_some(Event::End(end))
                }
                Event::Text(text) => shown_text(source, text, range, &hidden),
                _ if inside_hidden => None,
                other => Some(other),
            }
        })
    }

    /// Plans the repair of the inline content at the end of the tail.
    fn plan_inline_run(&mut self, source: &str, run: &[Spanned<'_>]) {
        let markers = markers(source, run);
        let mut code_opener =
            markers.iter().find(|marker| matches!(marker.kind, MarkerKind::Backticks(_)) && !marker.in_link);
        let link_opener = markers.iter().rev().find(|marker| {
            marker.kind == MarkerKind::OpenBracket
                && !marker.in_link
                && code_opener.is_none_or(|code| code.range.start > marker.range.start)
        });
        if let Some(opener) = link_opener {
            let code_start = code_opener.map_or(usize::MAX, |code| code.range.start);
            let closer = markers.iter().find(|marker| {
                marker.kind == MarkerKind::CloseBracket
                    && !marker.in_link
                    && marker.range.start > opener.range.start
                    && marker.range.start < code_start
            });
            let intraword = char_before(source, opener.range.start).is_some_and(char::is_alphanumeric);
            match closer {
                Some(closer) if destination_unfinished(&source[closer.range.end..]) => {
                    // `[label](partial-url`: show the label only.
                    self.hide(opener.range.clone());
                    self.hide(closer.range.start..source.len());
                    if code_start > closer.range.start {
                        code_opener = None;
                    }
                }
                Some(closer) if !intraword && nothing_after(source, closer.range.end) => {
                    // `[label]` may yet get its `(url)`.
                    self.hide(opener.range.clone());
                    self.hide(closer.range.clone());
                }
                None if !intraword => self.hide(opener.range.clone()),
                _ => {}
            }
        }
        if let Some(code) = code_opener {
            if self.shown_after(source, code.range.end) {
                if let MarkerKind::Backticks(length) = code.kind {
                    self.closers.push_str(&"`".repeat(length));
                }
            } else {
                self.hide(code.range.clone());
                code_opener = None;
            }
        }
        if code_opener.is_none() {
            self.hide_trailing_markers(source, run, &markers);
        }
        let code_start = code_opener.map_or(usize::MAX, |code| code.range.start);
        let emphasis: Vec<&Marker> = markers
            .iter()
            .filter(|marker| {
                matches!(marker.kind, MarkerKind::Emphasis(_))
                    && !marker.in_link
                    && marker.range.start < code_start
                    && !self.is_hidden(&marker.range)
            })
            .collect();
        for (character, run) in emphasis_runs(&emphasis).into_iter().rev() {
            if opens_emphasis(source, character, &run) {
                self.closers.extend(std::iter::repeat_n(char::from(character), run.len()));
            }
        }
        self.insert_at = run
            .iter()
            .filter(|(event, range)| {
                !matches!(event, Event::SoftBreak | Event::HardBreak) && !self.is_hidden(range)
            })
            .map(|(_, range)| range.end)
            .max()
            .map_or(source.len(), |end| source[..end].trim_end_matches([' ', '\t', '\r', '\n']).len());
    }

    /// Hides markers at the very end that cannot render yet (`*`, `**`, `` ` ``, `~`, `[`, `![`),
    /// whether the parser kept them apart or left them in the last text.
    fn hide_trailing_markers(&mut self, source: &str, run: &[Spanned<'_>], markers: &[Marker]) {
        loop {
            let trailing_marker = markers
                .iter()
                .rev()
                .find(|marker| !self.is_hidden(&marker.range))
                .filter(|marker| {
                    marker.kind != MarkerKind::CloseBracket && !self.shown_after(source, marker.range.end)
                })
                .map(|marker| marker.range.clone());
            match trailing_marker.or_else(|| self.trailing_marker_characters(source, run)) {
                Some(range) => self.hide(range),
                None => return,
            }
        }
    }

    /// Marker characters ending the last text shown, after whitespace (`Hello **`), or the
    /// whitespace left at its end once what followed it was hidden.
    fn trailing_marker_characters(&self, source: &str, run: &[Spanned<'_>]) -> Option<Range<usize>> {
        let (event, range) = run.iter().rev().find(|(event, range)| {
            !matches!(event, Event::SoftBreak | Event::HardBreak) && !self.is_hidden(range)
        })?;
        if !matches!(event, Event::Text(text) if source.get(range.clone()) == Some(text.as_ref())) {
            return None;
        }
        let mut end = range.end;
        let mut shown_space_end = None;
        while end > range.start {
            if let Some(hide) = self.hidden.iter().find(|hide| hide.start < end && end <= hide.end) {
                end = hide.start.max(range.start);
            } else if source.as_bytes()[end - 1].is_ascii_whitespace() {
                shown_space_end = shown_space_end.or(Some(end));
                end -= 1;
            } else {
                break;
            }
        }
        let text = &source.as_bytes()[range.start..end];
        let mut kept = text.len();
        while kept > 0 && (b"*_~`[".contains(&text[kept - 1]) || text[kept - 1..].starts_with(b"![")) {
            kept -= 1;
        }
        let lone = kept == 0 || text[kept - 1].is_ascii_whitespace();
        if kept < text.len() && lone {
            let kept_text = source[range.start..range.start + kept].trim_end();
            return Some(range.start + kept_text.len()..end);
        }
        shown_space_end.map(|space_end| end..space_end)
    }

    /// Whether `range` lies inside a hidden range.
    fn is_hidden(&self, range: &Range<usize>) -> bool {
        self.hidden.iter().any(|hide| hide.start <= range.start && range.end <= hide.end)
    }

    /// Whether anything but whitespace (and block quote markers) is shown after `position`.
    fn shown_after(&self, source: &str, mut position: usize) -> bool {
        loop {
            position += source[position..]
                .bytes()
                .take_while(|byte| byte.is_ascii_whitespace() || *byte == b'>')
                .count();
            if position >= source.len() {
                return false;
            }
            match self.hidden.iter().find(|hide| hide.start <= position && position < hide.end) {
                Some(hide) => position = hide.end,
                None => return true,
            }
        }
    }
}

/// The index range of the inline events at the end of `events`, when they sit in a block that
/// can still grow at the end of the source (a paragraph, list item, heading or table cell
/// whose line is not finished; a paragraph or list item may have just ended a line).
fn open_inline_run(source: &str, events: &[Spanned<'_>]) -> Option<Range<usize>> {
    let mut end = events.len();
    while end > 0 && matches!(&events[end - 1].0, Event::End(tag) if !is_inline_end(tag)) {
        end -= 1;
    }
    if end == 0 || !is_inline(&events[end - 1].0) {
        return None;
    }
    let start = events[..end].iter().rposition(|(event, _)| !is_inline(event)).map_or(0, |index| index + 1);
    let newlines_allowed = match events.get(start.checked_sub(1)?)?.0 {
        Event::Start(Tag::Paragraph | Tag::Item) => 1,
        Event::Start(Tag::Heading { .. } | Tag::TableCell) => 0,
        _ => return None,
    };
    let content_end = events[start..end].iter().map(|(_, range)| range.end).max()?;
    let rest = &source[content_end..];
    let open = rest.bytes().all(|byte| byte.is_ascii_whitespace() || byte == b'>')
        && rest.bytes().filter(|byte| *byte == b'\n').count() <= newlines_allowed;
    open.then_some(start..end)
}

/// Whether an event belongs to inline content.
fn is_inline(event: &Event<'_>) -> bool {
    match event {
        Event::Text(_)
        | Event::Code(_)
        | Event::InlineHtml(_)
        | Event::InlineMath(_)
        | Event::SoftBreak
        | Event::HardBreak
        | Event::FootnoteReference(_) => true,
        Event::Start(tag) => matches!(
            tag,
            Tag::Emphasis
                | Tag::Strong
                | Tag::Strikethrough
                | Tag::Superscript
                | Tag::Subscript
                | Tag::Link { .. }
                | Tag::Image { .. }
        ),
        Event::End(tag) => is_inline_end(tag),
        _ => false,
    }
}

/// Whether a closing tag ends inline content.
fn is_inline_end(tag: &TagEnd) -> bool {
    matches!(
        tag,
        TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript
            | TagEnd::Link
            | TagEnd::Image
    )
}

/// The unmatched syntax characters of an inline run: text events that are exactly a marker
/// as written in the source, not escaped.
fn markers(source: &str, run: &[Spanned<'_>]) -> Vec<Marker> {
    let mut markers = Vec::new();
    let mut link_depth = 0usize;
    for (event, range) in run {
        match event {
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => link_depth += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => link_depth = link_depth.saturating_sub(1),
            Event::Text(text) if source.get(range.clone()) == Some(text.as_ref()) => {
                let escaped = range.start > 0 && source.as_bytes()[range.start - 1] == b'\\';
                let kind = match text.as_bytes() {
                    [character @ (b'*' | b'_' | b'~')] => MarkerKind::Emphasis(*character),
                    b"[" | b"![" => MarkerKind::OpenBracket,
                    b"]" => MarkerKind::CloseBracket,
                    ticks if ticks.iter().all(|byte| *byte == b'`') => MarkerKind::Backticks(ticks.len()),
                    _ => continue,
                };
                if !escaped {
                    markers.push(Marker { kind, range: range.clone(), in_link: link_depth > 0 });
                }
            }
            _ => {}
        }
    }
    markers
}

/// Groups emphasis markers into runs of the same character written side by side.
fn emphasis_runs(markers: &[&Marker]) -> Vec<(u8, Range<usize>)> {
    let mut runs: Vec<(u8, Range<usize>)> = Vec::new();
    for marker in markers {
        let MarkerKind::Emphasis(character) = marker.kind else { continue };
        match runs.last_mut() {
            Some((last, run)) if *last == character && run.end == marker.range.start => {
                run.end = marker.range.end;
            }
            _ => runs.push((character, marker.range.clone())),
        }
    }
    runs
}

/// Whether an unmatched run of `*`, `_` or `~` clearly opens emphasis or strikethrough, so
/// closing it is right: not inside a word (`snake_case`, `2*3`), directly followed by a word,
/// code, link or quote (`2 * 3` is not), and of a length that forms a pair.
fn opens_emphasis(source: &str, character: u8, run: &Range<usize>) -> bool {
    let longest = if character == b'~' { 2 } else { 3 };
    let followed_by_content = source[run.end..]
        .chars()
        .next()
        .is_some_and(|next| next.is_alphanumeric() || matches!(next, '`' | '[' | '(' | '"' | '\''));
    let inside_word = char_before(source, run.start).is_some_and(char::is_alphanumeric);
    run.len() <= longest && followed_by_content && !inside_word
}

/// Whether the text after a link label's `]` starts a destination that is not closed yet:
/// `(` followed by unbalanced parentheses up to the end.
fn destination_unfinished(after_label: &str) -> bool {
    let Some(destination) = after_label.strip_prefix('(') else { return false };
    let mut depth = 1usize;
    let mut bytes = destination.bytes();
    while let Some(byte) = bytes.next() {
        match byte {
            b'\\' => {
                bytes.next();
            }
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return false;
                }
            }
            _ => {}
        }
    }
    true
}

/// Whether only whitespace (and block quote markers) follows `position`.
fn nothing_after(source: &str, position: usize) -> bool {
    source[position..].bytes().all(|byte| byte.is_ascii_whitespace() || byte == b'>')
}

/// The character just before `position`.
fn char_before(source: &str, position: usize) -> Option<char> {
    source[..position].chars().next_back()
}

/// A text event with its hidden parts left out (dropped entirely when it is not written
/// verbatim in the source, as an entity is, and touches hidden source).
fn shown_text<'a>(
    source: &'a str,
    text: CowStr<'a>,
    range: Range<usize>,
    hidden: &[Range<usize>],
) -> Option<Event<'a>> {
    let overlapping = || hidden.iter().filter(|hide| hide.start < range.end && range.start < hide.end);
    if overlapping().next().is_none() {
        return Some(Event::Text(text));
    }
    if source.get(range.clone()) != Some(text.as_ref()) {
        return None;
    }
    let mut shown = String::new();
    let mut position = range.start;
    for hide in overlapping() {
        if hide.start > position {
            shown.push_str(&source[position..hide.start]);
        }
        position = position.max(hide.end);
    }
    if position < range.end {
        shown.push_str(&source[position..range.end]);
    }
    (!shown.is_empty()).then(|| Event::Text(shown.into()))
}

#[cfg(test)]
mod tests {
    use crate::render::StreamingMarkdown;
    use crate::render::policy::ImageOrigins;

    /// The HTML shown for `text` streamed as one update (images may load from `img.example`).
    fn shown(text: &str) -> String {
        let images = ImageOrigins::parse(&["https://img.example"]).unwrap_or_default();
        let mut markdown = StreamingMarkdown::new(images);
        markdown.update(text);
        markdown.html()
    }

    #[test]
    fn unterminated_emphasis_and_strikethrough_are_closed() {
        assert_eq!(shown("Some **bold"), "<p>Some <strong>bold</strong></p>\n");
        assert_eq!(shown("Some *it"), "<p>Some <em>it</em></p>\n");
        assert_eq!(shown("Some _it"), "<p>Some <em>it</em></p>\n");
        assert_eq!(shown("Some __bold"), "<p>Some <strong>bold</strong></p>\n");
        assert_eq!(shown("Some ~~gone"), "<p>Some <del>gone</del></p>\n");
        assert_eq!(shown("**bold and *both"), "<p><strong>bold and <em>both</em></strong></p>\n");
        assert_eq!(shown("**bold \n"), "<p><strong>bold</strong></p>\n");
    }

    #[test]
    fn an_unterminated_code_span_is_closed_and_holds_what_follows() {
        assert_eq!(shown("Run `cargo *test"), "<p>Run <code>cargo *test</code></p>\n");
        assert_eq!(shown("**Run `cargo"), "<p><strong>Run <code>cargo</code></strong></p>\n");
        assert_eq!(shown("Use ``a ` b"), "<p>Use <code>a ` b</code></p>\n");
    }

    #[test]
    fn arithmetic_and_snake_case_gain_no_markup_or_characters() {
        assert_eq!(shown("So 2 * 3 = 6"), "<p>So 2 * 3 = 6</p>\n");
        assert_eq!(shown("So 2 * 3"), "<p>So 2 * 3</p>\n");
        assert_eq!(shown("So 2*3"), "<p>So 2*3</p>\n");
        assert_eq!(shown("Call snake_case_words"), "<p>Call snake_case_words</p>\n");
        assert_eq!(shown("Call snake_case"), "<p>Call snake_case</p>\n");
        assert_eq!(shown("A (*) mark"), "<p>A (*) mark</p>\n");
    }

    #[test]
    fn lone_trailing_markers_are_not_shown() {
        assert_eq!(shown("Hello *"), "<p>Hello</p>\n");
        assert_eq!(shown("Hello **"), "<p>Hello</p>\n");
        assert_eq!(shown("Hello `"), "<p>Hello</p>\n");
        assert_eq!(shown("Hello ~"), "<p>Hello</p>\n");
        assert_eq!(shown("Hello ["), "<p>Hello</p>\n");
        assert_eq!(shown("Hello !["), "<p>Hello</p>\n");
        assert_eq!(shown("**Hello** *"), "<p><strong>Hello</strong></p>\n");
        assert_eq!(shown("Call snake_"), "<p>Call snake</p>\n");
        assert_eq!(shown("Wow!"), "<p>Wow!</p>\n");
        assert_eq!(shown("Wow *!"), "<p>Wow *!</p>\n");
    }

    #[test]
    fn an_incomplete_link_shows_only_its_label() {
        assert_eq!(shown("See [the docs](https://exa"), "<p>See the docs</p>\n");
        assert_eq!(shown("See [the docs]("), "<p>See the docs</p>\n");
        assert_eq!(shown("See [the docs]"), "<p>See the docs</p>\n");
        assert_eq!(shown("See [the do"), "<p>See the do</p>\n");
        assert_eq!(shown("See [**the docs**](https://exa"), "<p>See <strong>the docs</strong></p>\n");
        assert_eq!(shown("**See [docs](https://x.example/a_(b"), "<p><strong>See docs</strong></p>\n");
        assert_eq!(
            shown("See [a](https://a.example) [b](ht"),
            "<p>See <a href=\"https://a.example\">a</a> b</p>\n"
        );
    }

    #[test]
    fn an_incomplete_image_shows_its_alt_text_at_most() {
        assert_eq!(shown("Look: ![a cat](https://img.exa"), "<p>Look: a cat</p>\n");
        assert!(!shown("![a cat](https://img.example/c").contains("<img"));
        assert!(shown("![a cat](https://img.example/c.png) and").contains("<img"));
        assert_eq!(shown("![a cat](https://elsewhere.example/c.png) and"), "<p>a cat and</p>\n");
    }

    #[test]
    fn an_unclosed_autolink_stays_text() {
        assert_eq!(shown("Go to <https://exa"), "<p>Go to &lt;https://exa</p>\n");
    }

    #[test]
    fn brackets_in_code_or_words_are_left_alone() {
        assert_eq!(shown("Index `arr[0"), "<p>Index <code>arr[0</code></p>\n");
        assert_eq!(shown("Index arr[0"), "<p>Index arr[0</p>\n");
        assert_eq!(shown("Done [x] and more"), "<p>Done [x] and more</p>\n");
    }

    #[test]
    fn an_unclosed_fence_needs_no_repair() {
        assert_eq!(
            shown("```rust\nlet a = *b"),
            "<pre><code class=\"language-rust\">let a = *b</code></pre>\n"
        );
    }

    #[test]
    fn a_finished_line_of_a_heading_or_a_closed_paragraph_is_not_repaired() {
        assert_eq!(shown("# Title *x\n"), "<h1>Title *x</h1>\n");
        assert_eq!(shown("Para *x\n\n# H"), "<p>Para *x</p>\n<h1>H</h1>\n");
    }

    #[test]
    fn emphasis_in_a_list_item_and_a_quote_is_closed() {
        assert_eq!(shown("- one\n- **two"), "<ul>\n<li>one</li>\n<li><strong>two</strong></li>\n</ul>\n");
        assert_eq!(shown("> *quoted"), "<blockquote>\n<p><em>quoted</em></p>\n</blockquote>\n");
    }
}
