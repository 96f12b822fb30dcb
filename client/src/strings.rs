//! Every text the widget shows or gives assistive technology — accessible names, tooltips,
//! placeholders, status lines, error messages — in English by default, each replaceable from
//! the page's `ui.strings` (`{"ui": {"strings": {"send": "إرسال"}}}`); an unknown name is an error
//! that lists the known ones. The loader (`client/loader/lexstream.js`) reads `openChat`,
//! `openingChat` and `loadFailed` itself: it shows them before the widget's code is there.

use serde_json::Value;

use crate::config::ConfigError;

/// The config key holding the replacements.
const KEY: &str = "ui.strings";

macro_rules! widget_texts {
    ($($variant:ident $name:literal $english:literal,)*) => {
        /// One of the widget's texts; [`Strings::get`] gives it in the page's words.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Text {
            $(
                #[doc = concat!("`", $name, "`: \"", $english, "\"")]
                $variant,
            )*
        }

        /// Each text's `ui.strings` name, in [`Text`]'s order.
        const NAMES: &[&str] = &[$($name,)*];
        /// Each text in English, in [`Text`]'s order.
        const ENGLISH: &[&str] = &[$($english,)*];
    };
}

widget_texts! {
    OpenChat "openChat" "Open chat",
    OpenChatNewReply "openChatNewReply" "Open chat (new reply)",
    HideChat "hideChat" "Hide chat",
    OpeningChat "openingChat" "Opening chat…",
    LoadFailed "loadFailed" "The chat could not be loaded. Please check your connection and try again.",
    NewConversation "newConversation" "Start a new conversation",
    NewConversationTooltip "newConversationTooltip" "New conversation",
    Minimize "minimize" "Minimize chat",
    MinimizeTooltip "minimizeTooltip" "Minimize",
    Close "close" "Close chat",
    CloseTooltip "closeTooltip" "Close",
    Stop "stop" "Stop the answer",
    StopButton "stopButton" "■ Stop",
    Message "message" "Message",
    Placeholder "placeholder" "Type a message…",
    NotConfigured "notConfigured" "Chat is not configured",
    Send "send" "Send",
    Typing "typing" "The assistant is typing",
    Answering "answering" "The assistant is answering…",
    AnswerComplete "answerComplete" "The answer is complete.",
    AnswerFailed "answerFailed" "The answer failed.",
    Interrupted "interrupted" "The answer was interrupted. Please ask again.",
    EmptyQuestion "emptyQuestion" "Please type a question first.",
    QuestionTooLong "questionTooLong" "Your question is too long; please shorten it to {max} characters or fewer.",
    Busy "busy" "The assistant is busy right now. Please try again in a moment.",
    Unreachable "unreachable" "Sorry — the assistant could not be reached. Please check your connection and try again.",
    CouldNotAnswer "couldNotAnswer" "Sorry — the assistant could not answer. Please try again.",
    Refused "refused" "Sorry — {message}",
    SignInRefused "signInRefused" "Your sign-in could not be confirmed. Please sign in again and retry.",
}

/// The widget's texts in the page's words: English unless `ui.strings` replaces them. They live
/// as long as the page (the page's replacements are leaked once, when the config is read), so a
/// `Strings` is a copyable reference and components take the texts as `&'static str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Strings(&'static [&'static str]);

impl Default for Strings {
    fn default() -> Self {
        Self(ENGLISH)
    }
}

impl Strings {
    /// `text` in the page's words.
    pub fn get(self, text: Text) -> &'static str {
        self.0[text as usize]
    }
}

impl Strings {
    /// The English texts with those of the page's `ui.strings` (an object of strings).
    ///
    /// # Errors
    /// `ui.strings` is not an object, a value is not a string, or a name is not one of
    /// the widget's text names.
    pub fn from_json(config: &Value) -> Result<Self, ConfigError> {
        let replacements = crate::config::string_map(config, KEY)?;
        if replacements.is_empty() {
            return Ok(Self::default());
        }
        let mut texts = ENGLISH.to_vec();
        for (name, text) in replacements {
            let Some(index) = NAMES.iter().position(|known| *known == name) else {
                let problem = format!("has no text called {name:?}; the widget's are: {}", NAMES.join(", "));
                return Err(ConfigError::Invalid { key: KEY, problem });
            };
            texts[index] = text.leak();
        }
        Ok(Self(texts.leak()))
    }
}

impl Strings {
    /// The sentence for a question the widget refuses before sending it.
    pub fn input_refusal(self, refusal: &lexstream_protocol::input_bounds::InputError) -> String {
        use lexstream_protocol::input_bounds::InputError;
        match refusal {
            InputError::QuestionTooLong { .. } => self
                .get(Text::QuestionTooLong)
                .replace("{max}", &lexstream_protocol::limits::MAX_QUESTION_CHARS.to_string()),
            _ => self.get(Text::EmptyQuestion).to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn english_unless_the_page_replaces_a_text() {
        assert_eq!(Strings::from_json(&json!({})).unwrap(), Strings::default());
        let strings = Strings::from_json(&json!({ "ui": { "strings": { "send": "إرسال" } } })).unwrap();
        assert_eq!((strings.get(Text::Send), strings.get(Text::Close)), ("إرسال", "Close chat"));
    }

    #[test]
    fn every_name_can_be_replaced() {
        let all: serde_json::Map<String, Value> =
            NAMES.iter().map(|name| ((*name).to_owned(), json!(format!("x-{name}")))).collect();
        let strings = Strings::from_json(&json!({ "ui": { "strings": all } })).unwrap();
        assert_eq!(strings.get(Text::OpenChat), "x-openChat");
        assert_eq!(strings.get(Text::Refused), "x-refused");
        assert!(!format!("{strings:?}").contains("Sorry"), "{strings:?}");
        // Each text is its own: the table and the enum are in the same order.
        let count = Text::SignInRefused as usize + 1;
        assert_eq!((NAMES.len(), ENGLISH.len()), (count, count));
        assert_eq!(Strings::default().get(Text::Send), "Send");
    }

    #[test]
    fn a_mistyped_name_or_a_number_names_the_key() {
        let error =
            Strings::from_json(&json!({ "ui": { "strings": { "sned": "x" } } })).unwrap_err().to_string();
        assert!(
            error.contains("`ui.strings` has no text called \"sned\"") && error.contains("send"),
            "{error}"
        );
        let error =
            Strings::from_json(&json!({ "ui": { "strings": { "send": 1 } } })).unwrap_err().to_string();
        assert!(error.contains("must hold strings, not send: 1"), "{error}");
    }
}
