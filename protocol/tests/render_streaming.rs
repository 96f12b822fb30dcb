//! Streaming Markdown tests: whatever prefix of an answer has arrived, what the visitor sees is
//! well-formed, obeys the markup policy, links nowhere the whole answer does not, shows no
//! character the answer lacks, and ends exactly as the whole render; blocks shown once never
//! change; and the work per update follows the open tail, not the whole answer.
#![allow(clippy::unwrap_used)] // tests: a panic is the failure report

use lexstream_protocol::render::audit::violations;
use lexstream_protocol::render::policy::ImageOrigins;
use lexstream_protocol::render::{MarkdownUpdate, StreamingMarkdown};
use proptest::prelude::*;

/// Where the corpus's images are hosted; the tests allow images from there, as a site would.
fn images() -> ImageOrigins {
    ImageOrigins::parse(&["https://img.example.com"]).unwrap()
}

/// The whole answer rendered at once, images allowed from [`images`].
fn render_markdown(markdown: &str) -> String {
    lexstream_protocol::render::render_markdown(markdown, &images())
}

/// Realistic Markdown chat answers.
fn answers() -> Vec<String> {
    serde_json::from_str(include_str!("fixtures/markdown_answers.json")).unwrap()
}

/// Hostile Markdown/HTML inputs, shared with the widget's sanitizer tests.
fn hostile_inputs() -> Vec<String> {
    serde_json::from_str(include_str!("fixtures/hostile_markup.json")).unwrap()
}

/// The Markdown renderer leaves links' `target`/`rel` to the sanitizer; everything else it must
/// already get right on its own, except the fixed presentational attributes pulldown-cmark
/// writes for a fence's language and a table column's alignment, which `render_markdown`
/// emits too and the widget's sanitizer drops.
fn violations_before_sanitizing(html: &str) -> Vec<String> {
    const RENDERER_PRESENTATION: [&str; 3] =
        ["attribute class on <code>", "attribute style on <th>", "attribute style on <td>"];
    violations(html, &images())
        .into_iter()
        .filter(|v| !v.starts_with("a link without") && !RENDERER_PRESENTATION.contains(&v.as_str()))
        .collect()
}

/// Checks that every opened non-void tag is closed, in order.
fn check_tags_balanced(html: &str) -> Result<(), String> {
    const VOID: [&str; 5] = ["br", "hr", "img", "input", "wbr"];
    let mut open = Vec::new();
    for piece in html.split('<').skip(1) {
        let tag_end = piece.find('>').ok_or_else(|| format!("unterminated tag <{piece}"))?;
        let tag = &piece[..tag_end];
        let closing = tag.starts_with('/');
        let name: String =
            tag.trim_start_matches('/').chars().take_while(char::is_ascii_alphanumeric).collect();
        if closing {
            match open.pop() {
                Some(opened) if opened == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else if !VOID.contains(&name.as_str()) && !tag.ends_with('/') {
            open.push(name);
        }
    }
    if open.is_empty() { Ok(()) } else { Err(format!("left open: {open:?}")) }
}

/// The `href` and `src` values of the tags in `html` (text may contain `src="` too).
fn urls(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for piece in html.split('<').skip(1) {
        let tag = &piece[..piece.find('>').unwrap_or(piece.len())];
        for attribute in [" href=\"", " src=\""] {
            for (start, _) in tag.match_indices(attribute) {
                let value = &tag[start + attribute.len()..];
                found.push(&value[..value.find('"').unwrap()]);
            }
        }
    }
    found
}

/// Decodes the entities a serializer writes and an answer might contain.
fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Whether the visible text of `html` (tags removed, whitespace ignored) is a subsequence of
/// `source`: no character shown that the answer does not contain, in that order.
fn shows_only_characters_of(html: &str, source: &str) -> bool {
    let mut text = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    let source = decode_entities(source);
    let mut available = source.chars().filter(|c| !c.is_whitespace());
    decode_entities(&text).chars().filter(|c| !c.is_whitespace()).all(|wanted| available.any(|c| c == wanted))
}

/// What the widget shows, maintained only from the updates (as the widget does).
#[derive(Default, Clone)]
struct Screen {
    completed: String,
    tail: String,
}

impl Screen {
    fn apply(&mut self, update: &MarkdownUpdate) {
        if update.reset {
            self.completed.clear();
            self.tail.clear();
        }
        self.completed.push_str(&update.completed);
        if let Some(tail) = &update.tail {
            self.tail.clone_from(tail);
        }
    }

    fn html(&self) -> String {
        format!("{}{}", self.completed, self.tail)
    }
}

/// How strictly a streamed answer is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Corpus {
    /// Ordinary answers: no resets, committed blocks are final, only the answer's characters.
    Ordinary,
    /// Hostile inputs: the policy holds at every step.
    Hostile,
}

/// Streams `answer` cut at `ends` (increasing, on character boundaries, the last one the whole
/// length), checking every step, then finishes it.
fn check_streaming(answer: &str, ends: &[usize], corpus: Corpus) {
    let whole = render_markdown(answer);
    let whole_urls = urls(&whole);
    let mut markdown = StreamingMarkdown::new(images());
    let mut screen = Screen::default();
    for &end in ends {
        let prefix = &answer[..end];
        let update = markdown.update(prefix);
        screen.apply(&update);
        let shown = screen.html();
        let context = format!("prefix {prefix:?}\nshown {shown:?}");
        assert_eq!(shown, markdown.html(), "screen and renderer disagree; {context}");
        if let Err(problem) = check_tags_balanced(&shown) {
            panic!("{problem}; {context}");
        }
        let found = violations_before_sanitizing(&shown);
        assert!(found.is_empty(), "{found:?}; {context}");
        for url in urls(&shown) {
            assert!(whole_urls.contains(&url), "{url:?} is not a target of the whole answer; {context}");
        }
        if corpus == Corpus::Ordinary {
            assert!(!update.reset, "reset while streaming; {context}");
            assert!(
                whole.starts_with(&screen.completed),
                "a committed block differs from the whole render; {context}"
            );
            assert!(shows_only_characters_of(&shown, prefix), "shows characters the answer lacks; {context}");
        }
    }
    if corpus == Corpus::Ordinary {
        assert!(!screen.completed.is_empty(), "nothing was committed while streaming {answer:?}");
    }
    check_finishing_as_expected(&markdown, &screen, answer, corpus);
    let update = markdown.finish(answer);
    screen.apply(&update);
    assert_eq!(screen.html(), whole, "finished render differs for {answer:?}");
    assert_eq!(markdown.html(), whole);
    if corpus == Corpus::Ordinary {
        assert!(!update.reset, "finish needed a reset for {answer:?}");
    }
}

/// Finishing `answer` on what `markdown` has shown (`screen`) against its whole render, as the
/// widget does when the final answer is that Markdown: an ordinary answer always finishes on the
/// nodes shown, and the screen is then the whole render; a final markup that differs is refused
/// with nothing changed. A hostile input may be refused (it would reset), never finished wrong.
fn check_finishing_as_expected(markdown: &StreamingMarkdown, screen: &Screen, answer: &str, corpus: Corpus) {
    let whole = render_markdown(answer);
    let mut finishing = markdown.clone();
    let mut finished = screen.clone();
    let would_reset = markdown.clone().finish(answer).reset;
    match finishing.finish_expecting(answer, &whole) {
        Some(update) => {
            assert!(!update.reset);
            assert!(!would_reset, "finished on the nodes where `finish` starts over: {answer:?}");
            finished.apply(&update);
            assert_eq!(finished.html(), whole, "finished on the nodes shown, differs for {answer:?}");
            assert_eq!(finishing.html(), whole);
        }
        None => {
            assert_eq!(
                corpus,
                Corpus::Hostile,
                "an ordinary answer could not finish on its nodes: {answer:?}"
            );
            assert!(would_reset, "refused an answer `finish` completes on its nodes: {answer:?}");
        }
    }
    // Another answer is refused, and the refusal changes nothing: finishing afterwards is as
    // finishing before. Longer, of the same length, and a text that drops what was committed.
    let mut same_length = whole.clone();
    let last = same_length.pop();
    same_length.push(if last == Some('x') { 'y' } else { 'x' });
    let longer = format!("{whole}<p>another answer</p>\n");
    let committed_something = !screen.completed.is_empty();
    let refused =
        [(answer, longer.as_str()), (answer, same_length.as_str()), ("Another text.", whole.as_str())];
    let mut refusing = markdown.clone();
    for (text, other) in refused.into_iter().filter(|(text, _)| *text == answer || committed_something) {
        assert_eq!(refusing.finish_expecting(text, other), None, "finished {text:?} as {other:?}");
        assert_eq!(refusing.html(), markdown.html(), "a refused finish changed what is shown");
    }
    assert_eq!(
        refusing.finish(answer),
        markdown.clone().finish(answer),
        "a refused finish changed the renderer"
    );
}

/// Every prefix end of `text`, one character at a time.
fn every_prefix(text: &str) -> Vec<usize> {
    (1..=text.len()).filter(|end| text.is_char_boundary(*end)).collect()
}

/// Prefix ends growing by `steps` (cycled), moved forward to character boundaries.
fn chunked(text: &str, steps: &[usize]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut end = 0;
    for step in steps.iter().cycle() {
        end = (end + step).min(text.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        ends.push(end);
        if end == text.len() {
            return ends;
        }
    }
    ends
}

#[test]
fn the_corpus_covers_the_markdown_a_chat_answer_uses() {
    let answers = answers();
    assert!(answers.len() >= 10);
    let all = render_markdown(&answers.concat());
    for expected in [
        "<h1>",
        "<h2>",
        "<ol start=\"3\">",
        "<pre><code class=\"language-rust\">",
        "<pre><code>",
        "<code>",
        "<strong>",
        "<em>",
        "<del>",
        "<table>",
        "<blockquote>",
        "<a href=",
        "<img src=",
        "<hr />",
        "<br />",
        "&lt;b&gt;",
        "2 * 3 = 6",
        "snake_case_words",
    ] {
        assert!(all.contains(expected), "the corpus lacks {expected}");
    }
}

#[test]
fn every_prefix_of_every_answer_shows_well_formed_allowed_markup() {
    for answer in answers() {
        check_streaming(&answer, &every_prefix(&answer), Corpus::Ordinary);
    }
}

#[test]
fn every_prefix_of_every_hostile_input_obeys_the_policy() {
    for input in hostile_inputs() {
        check_streaming(&input, &every_prefix(&input), Corpus::Hostile);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn answers_streamed_in_random_chunks_render_like_the_whole(
        index in 0usize..64,
        steps in proptest::collection::vec(1usize..=40, 1..24),
    ) {
        let answers = answers();
        let answer = &answers[index % answers.len()];
        check_streaming(answer, &chunked(answer, &steps), Corpus::Ordinary);
    }
}

/// Pieces of Markdown syntax and text that random answers are made of.
const FRAGMENTS: &[&str] = &[
    "*",
    "**",
    "_",
    "__",
    "~",
    "~~",
    "`",
    "``",
    "```",
    "[",
    "]",
    "(",
    ")",
    "![",
    "<",
    ">",
    "http://a.example/x",
    "word",
    "snake_case",
    " ",
    "\n",
    "\n\n",
    "- ",
    "1. ",
    "3. ",
    "> ",
    "# ",
    "|",
    "---",
    "***",
    "    ",
    "\\",
    "2 * 3",
    "[r]: /u\n",
    "[r]",
    "| a | b |\n|---|---|\n",
    "](/x)",
    "=",
    "é",
    "<b>",
    "<a href=\"/x\">",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Arbitrary mixes of syntax may render differently once more text arrives, but no prefix
    /// shows a character the text lacks, unbalanced tags or a URL that is not written out
    /// complete; the finished render is the whole render.
    #[test]
    fn random_markdown_never_shows_stray_characters_or_half_urls(
        pieces in proptest::collection::vec(0..FRAGMENTS.len(), 1..40),
    ) {
        let text: String = pieces.iter().map(|piece| FRAGMENTS[*piece]).collect();
        let whole_urls: Vec<String> = urls(&render_markdown(&text)).into_iter().map(str::to_owned).collect();
        let mut markdown = StreamingMarkdown::new(images());
        for end in every_prefix(&text) {
            let prefix = &text[..end];
            markdown.update(prefix);
            let shown = markdown.html();
            prop_assert!(check_tags_balanced(&shown).is_ok(), "prefix {:?} shown {:?}", prefix, shown);
            prop_assert!(violations_before_sanitizing(&shown).is_empty(), "shown {:?}", shown);
            prop_assert!(shows_only_characters_of(&shown, prefix), "prefix {:?} shown {:?}", prefix, shown);
            for url in urls(&shown) {
                let written_out = [format!("({url})"), format!("<{url}>"), format!("]: {url}\n")];
                prop_assert!(
                    whole_urls.iter().any(|whole| whole == url) || written_out.iter().any(|form| prefix.contains(form)),
                    "half URL {:?}; prefix {:?} shown {:?}", url, prefix, shown
                );
            }
        }
        markdown.finish(&text);
        prop_assert_eq!(markdown.html(), render_markdown(&text));
    }
}

#[test]
fn a_snapshot_that_replaces_the_text_resets() {
    let mut markdown = StreamingMarkdown::new(images());
    markdown.update("# Draft\n\nThe first version.\n\nMore");
    let update = markdown.update("# Final\n\nA different answer.");
    assert!(update.reset);
    assert_eq!(markdown.html(), render_markdown("# Final\n\nA different answer."));
    let update = markdown.finish("# Final\n\nA different answer.");
    assert!(!update.reset);
}

#[test]
fn a_longer_snapshot_of_the_same_text_continues_without_reset() {
    let mut markdown = StreamingMarkdown::new(images());
    markdown.update("First.\n\nSec");
    let update = markdown.update("First.\n\nSecond paragraph, sent whole.\n\nThird");
    assert!(!update.reset);
    assert_eq!(update.completed, "<p>Second paragraph, sent whole.</p>\n");
}

#[test]
fn the_work_per_update_follows_the_open_tail_not_the_whole_answer() {
    let mut answer = String::new();
    let mut paragraph = 0;
    while answer.len() < 20_000 {
        paragraph += 1;
        answer.push_str(&format!("Paragraph {paragraph} has **bold**, `code` and *a few* words.\n\n"));
    }
    let answer = &answer[..20_000];
    let mut markdown = StreamingMarkdown::new(images());
    let frame = answer.len() / 2_000;
    let parsed: usize =
        (1..=2_000).map(|frames| markdown.update(&answer[..frames * frame]).parsed_bytes).sum();
    assert!(parsed < 5 * answer.len(), "parsed {parsed} bytes for {} bytes of answer", answer.len());
    assert!(!markdown.finish(answer).reset);
}

#[test]
fn a_final_answer_that_overtakes_the_stream_finishes_on_what_was_shown() {
    for answer in answers() {
        for cut in [answer.len() / 3, answer.len() / 2, answer.len() * 9 / 10] {
            let cut = (cut..=answer.len()).find(|end| answer.is_char_boundary(*end)).unwrap_or(answer.len());
            let mut markdown = StreamingMarkdown::new(images());
            let mut screen = Screen::default();
            screen.apply(&markdown.update(&answer[..cut]));
            let committed = screen.completed.clone();
            let update = markdown.finish_expecting(&answer, &render_markdown(&answer));
            let update = update.unwrap_or_else(|| panic!("could not finish {answer:?} after {cut} bytes"));
            if !committed.is_empty() {
                assert!(update.parsed_bytes < answer.len(), "the blocks shown were parsed again");
            }
            screen.apply(&update);
            assert!(screen.completed.starts_with(&committed), "the blocks shown stay");
            assert_eq!(screen.html(), render_markdown(&answer));
        }
    }
}
