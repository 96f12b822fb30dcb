//! A long bot answer for benchmarks: realistic Markdown (paragraphs of a few hundred
//! characters, headings, lists, a code block per section, bold, inline code, links, a few
//! non-ASCII characters) of an exact length, and its text cut into a chosen number of frames.

/// The last line of every answer: seeing it in the final bubble shows the whole answer arrived.
pub const CLOSING: &str = "That covers everything \u{2014} ask again if anything is unclear.";

/// Sentences the answer is made of: the length, punctuation and inline Markdown of a support
/// answer.
const SENTENCES: [&str; 10] = [
    "The widget keeps the conversation in the tab, so a reload shows everything that was said.",
    "To change the greeting, set `lex.initialText` in the page's configuration and reload it.",
    "Streaming needs **both** the WebSocket endpoint and the connection table, or the answer \
     arrives at once.",
    "If the panel stays empty, open the browser console: a missing key is reported once, by name.",
    "Answers are rendered as Markdown, so lists, `inline code` and [links](https://example.com/docs) \
     look as intended.",
    "The identity pool must allow **unauthenticated** identities; the role needs only Lex and \
     `$connect`.",
    "Behind a strict content security policy, allow the widget's origin and `'wasm-unsafe-eval'`.",
    "A caf\u{e9} owner asked the same last week \u{2014} the fix was a stale alias id in the config.",
    "Keep the fulfillment's timeout under Lex's 30 seconds, or hand long answers to the worker.",
    "Themes come from CSS custom properties such as `--lexstream-accent`, inherited by the widget.",
];

/// Paragraph `index`: four sentences, a few hundred characters.
fn paragraph(index: usize) -> String {
    (0..4).map(|k| SENTENCES[(index * 3 + k) % SENTENCES.len()]).collect::<Vec<_>>().join(" ")
}

/// Block `index` of the answer: paragraphs, a heading, lists and a code block in turn.
fn markdown_block(index: usize) -> String {
    let step = index / 7 + 1;
    match index % 7 {
        0 | 1 | 4 => paragraph(index),
        2 => (0..4)
            .map(|k| format!("- **Check {}.** {}", k + 1, SENTENCES[(index + k * 2) % SENTENCES.len()]))
            .collect::<Vec<_>>()
            .join("\n"),
        3 => format!("### Step {step}: the configuration"),
        5 => format!(
            "```rust\nfn step_{step}(input: &str) -> Result<usize, ConfigError> {{\n    \
             let value = input.trim().parse::<usize>()?;\n    \
             Ok(value.saturating_mul({step}))\n}}\n```"
        ),
        _ => (0..3)
            .map(|k| format!("{}. {}", k + 1, SENTENCES[(index + k * 3 + 1) % SENTENCES.len()]))
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// An answer of exactly `chars` characters: whole blocks, a paragraph cut to fill, [`CLOSING`].
pub fn markdown_answer(chars: usize) -> String {
    let count = |text: &str| text.chars().count();
    let mut text = paragraph(0);
    for index in 1.. {
        let block = markdown_block(index);
        if count(&text) + 2 + count(&block) + 2 + count(CLOSING) > chars {
            break;
        }
        text.push_str("\n\n");
        text.push_str(&block);
    }
    let left = chars.saturating_sub(count(&text) + 2 + count(CLOSING));
    if left > 2 {
        let filler = (0..).map(paragraph).flat_map(|p| p.chars().chain([' ']).collect::<Vec<_>>());
        text.push_str("\n\n");
        text.extend(filler.take(left - 2));
    } else {
        text.extend(std::iter::repeat_n(' ', left));
    }
    text.push_str("\n\n");
    text.push_str(CLOSING);
    text
}

/// `text` cut into `frames` pieces of (nearly) equal numbers of characters.
pub fn pieces(text: &str, frames: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let cut = |frame: usize| frame * chars.len() / frames;
    (0..frames).map(|frame| chars[cut(frame)..cut(frame + 1)].iter().collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_have_exactly_the_characters_asked_for_and_end_with_the_closing_line() {
        for chars in [1_000, 1_001, 20_000, 40_000] {
            let answer = markdown_answer(chars);
            assert_eq!(answer.chars().count(), chars);
            assert!(answer.ends_with(CLOSING));
        }
    }

    #[test]
    fn a_long_answer_has_every_kind_of_block() {
        let answer = markdown_answer(20_000);
        for block in
            ["\n\n### Step 2", "\n\n```rust\n", "\n\n- **Check 1.**", "\n\n1. ", "**both**", "`inline code`"]
        {
            assert!(answer.contains(block), "{block:?} in {answer}");
        }
    }

    #[test]
    fn pieces_cover_the_text_in_order() {
        let text = markdown_answer(20_000);
        let cut = pieces(&text, 2_000);
        assert_eq!(cut.len(), 2_000);
        assert_eq!(cut.concat(), text);
        assert!(cut.iter().all(|piece| piece.chars().count() == 10));
    }
}
