//! Reading the chat templates of prompt-only bodies back into a conversation, so the model sees
//! the actual question: markers open turns (`\n\nHuman:`, `User:`, `[INST]`, Llama 3's header
//! tokens), template tokens (`<s>`, `<|eot_id|>`) are dropped, the text before the first marker is
//! the system prompt.

use crate::bedrock::request::Conversation;

/// A marker that opens a turn of `role` in a templated prompt.
#[derive(Debug, Clone, Copy)]
pub(super) struct Marker {
    pub(super) text: &'static str,
    pub(super) role: &'static str,
}

/// A prompt cut at its markers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Turns {
    /// The text before the first marker, trimmed.
    pub(super) preamble: String,
    /// `(role, text)` of each marked turn, trimmed, in order (empty ones kept).
    pub(super) turns: Vec<(String, String)>,
}

/// Cuts `prompt` at every marker and removes `noise` tokens from the texts.
pub(super) fn split(prompt: &str, markers: &[Marker], noise: &[&str]) -> Turns {
    let clean = |text: &str| {
        noise.iter().fold(text.to_owned(), |text, token| text.replace(token, "")).trim().to_owned()
    };
    let next_marker = |text: &str| {
        markers
            .iter()
            .filter_map(|marker| text.find(marker.text).map(|at| (at, *marker)))
            .min_by_key(|(at, _)| *at)
    };
    let Some((first, mut marker)) = next_marker(prompt) else {
        return Turns { preamble: clean(prompt), turns: Vec::new() };
    };
    let preamble = clean(&prompt[..first]);
    let mut rest = &prompt[first + marker.text.len()..];
    let mut turns = Vec::new();
    loop {
        match next_marker(rest) {
            Some((at, following)) => {
                turns.push((marker.role.to_owned(), clean(&rest[..at])));
                rest = &rest[at + following.text.len()..];
                marker = following;
            }
            None => {
                turns.push((marker.role.to_owned(), clean(rest)));
                return Turns { preamble, turns };
            }
        }
    }
}

impl Turns {
    /// The role of the first marked turn, if any.
    pub(super) fn first_role(&self) -> Option<&str> {
        self.turns.first().map(|(role, _)| role.as_str())
    }

    /// The role of the last marked turn, if any.
    pub(super) fn last_role(&self) -> Option<&str> {
        self.turns.last().map(|(role, _)| role.as_str())
    }

    /// The conversation: the preamble as system prompt and the non-empty turns; a prompt without a
    /// user turn is one user message (its whole text).
    pub(super) fn into_conversation(self) -> Conversation {
        let messages: Vec<(String, String)> =
            self.turns.into_iter().filter(|(_, text)| !text.is_empty()).collect();
        if !messages.iter().any(|(role, _)| role == "user") {
            let whole = std::iter::once(self.preamble)
                .chain(messages.into_iter().map(|(_, text)| text))
                .filter(|text| !text.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            return Conversation::of_user_text(None, &whole);
        }
        let system = Some(self.preamble).filter(|text| !text.is_empty());
        Conversation { system, messages }
    }
}

/// `[INST] … [/INST]` turns (Llama 2, Mistral), with Llama 2's `<<SYS>> … <</SYS>>` system prompt
/// inside the first instruction.
pub(super) fn inst_blocks(prompt: &str) -> Conversation {
    const MARKERS: [Marker; 2] =
        [Marker { text: "[INST]", role: "user" }, Marker { text: "[/INST]", role: "assistant" }];
    let mut turns = split(prompt, &MARKERS, &["<s>", "</s>"]);
    let mut system = None;
    if let Some((_, first)) = turns.turns.iter_mut().find(|(role, _)| role == "user")
        && let Some((before, after)) = first.split_once("<<SYS>>")
    {
        let (sys, question) = after.split_once("<</SYS>>").unwrap_or((after, ""));
        system = Some(sys.trim().to_owned()).filter(|text| !text.is_empty());
        *first = format!("{} {}", before.trim(), question.trim()).trim().to_owned();
    }
    let mut conversation = turns.into_conversation();
    if system.is_some() {
        conversation.system = system;
    }
    conversation
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLAUDE: [Marker; 2] =
        [Marker { text: "\n\nHuman:", role: "user" }, Marker { text: "\n\nAssistant:", role: "assistant" }];

    #[test]
    fn turns_are_cut_at_markers_with_the_preamble_apart() {
        let turns =
            split("Be brief.\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: Why?\n\nAssistant:", &CLAUDE, &[]);
        assert_eq!(turns.preamble, "Be brief.");
        assert_eq!(turns.first_role(), Some("user"));
        assert_eq!(turns.last_role(), Some("assistant"));
        let conversation = turns.into_conversation();
        assert_eq!(conversation.system.as_deref(), Some("Be brief."));
        assert_eq!(conversation.messages.len(), 3);
        assert_eq!(conversation.prompt(), "Why?");
    }

    #[test]
    fn a_prompt_without_markers_is_the_question() {
        let conversation = split("  What is Rust? ", &CLAUDE, &[]).into_conversation();
        assert_eq!(conversation.prompt(), "What is Rust?");
        assert_eq!(conversation.system, None);
    }

    #[test]
    fn inst_templates_give_the_question_and_the_system_prompt() {
        let mistral = inst_blocks("<s>[INST] What is your favourite condiment? [/INST]");
        assert_eq!(mistral.prompt(), "What is your favourite condiment?");
        let multi =
            inst_blocks("<s>[INST] Hi [/INST] Hello!</s>[INST] Do you have mayonnaise recipes? [/INST]");
        assert_eq!(multi.messages.len(), 3);
        assert_eq!(multi.prompt(), "Do you have mayonnaise recipes?");
        let llama2 = inst_blocks("<s>[INST] <<SYS>>\nAnswer briefly.\n<</SYS>>\n\nWhy Rust? [/INST]");
        assert_eq!(llama2.system.as_deref(), Some("Answer briefly."));
        assert_eq!(llama2.prompt(), "Why Rust?");
    }
}
