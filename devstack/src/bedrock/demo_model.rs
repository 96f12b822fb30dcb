//! The devstack's built-in model: a deterministic, Markdown-rich answer that mentions the
//! question, streamed word by word at a realistic pace.

/// The demo answer to `prompt`.
pub(crate) fn answer(prompt: &str) -> String {
    let topic: String = prompt.trim().chars().take(80).collect();
    let topic = if topic.is_empty() { "your question".to_owned() } else { topic };
    format!(
        "You asked: *{topic}*. This answer comes from the **devstack demo model**, streamed word by word \
         so you can watch it arrive.\n\n\
         What streaming gives you:\n\n\
         - the first words appear while the rest is still being generated;\n\
         - the final answer replaces the stream, rendered as Markdown;\n\
         - none of this needs an AWS account.\n\n\
         ```rust\nfn main() {{\n    println!(\"Hello from Lexstream\");\n}}\n```\n\n\
         Read more in the [Lexstream README](https://github.com/lexstream/lexstream#readme)."
    )
}

/// Cuts text into model-like tokens: each word with the whitespace that follows it.
pub(crate) fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut in_space = false;
    for c in text.chars() {
        if in_space && !c.is_whitespace() {
            tokens.push(std::mem::take(&mut current));
        }
        in_space = c.is_whitespace();
        current.push(c);
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_rebuild_the_text_exactly() {
        let text = answer("How do I stream?");
        let tokens = tokens(&text);
        assert!(tokens.len() > 40);
        assert_eq!(tokens.concat(), text);
    }

    #[test]
    fn the_answer_is_deterministic_and_mentions_the_question() {
        assert_eq!(answer("hi"), answer("hi"));
        assert!(answer("What is Lexstream?").contains("What is Lexstream?"));
        assert!(answer("").contains("your question"));
    }
}
