//! The bot the devstack's Lex runtime plays: intents with sample utterances and closing messages,
//! and a FallbackIntent whose fulfillment code hook answers everything else.

use std::collections::{BTreeMap, BTreeSet};

use lexstream_protocol::lex::Message;
use serde::Deserialize;

/// How close (Jaccard similarity of word sets) an input must be to a sample utterance.
pub const MATCH_THRESHOLD: f64 = 0.75;

/// The bot shipped with the devstack (`--bot FILE` replaces it).
pub const DEMO_BOT: &str = include_str!("../../bots/demo-bot.json");

/// A bot definition, as read from its JSON file.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BotDefinition {
    /// The bot id (10 characters, as Lex's).
    pub bot_id: String,
    /// The bot's name.
    pub bot_name: String,
    /// Alias id → alias name.
    pub aliases: BTreeMap<String, String>,
    /// Locale ids, e.g. `en_US`.
    pub locales: Vec<String>,
    /// The intents; one named `FallbackIntent` catches what the others do not.
    pub intents: Vec<IntentDefinition>,
}

/// One intent.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IntentDefinition {
    /// The intent's name.
    pub name: String,
    /// Sample utterances.
    #[serde(default)]
    pub utterances: Vec<String>,
    /// The closing messages (when there is no code hook).
    #[serde(default)]
    pub messages: Vec<Message>,
    /// Whether the fulfillment code hook (the Lambda) answers this intent.
    #[serde(default)]
    pub fulfillment_code_hook: bool,
}

/// Why a bot file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    /// Not valid JSON of the expected shape.
    #[error("bot definition is not valid: {0}")]
    Invalid(#[from] serde_json::Error),
    /// No FallbackIntent.
    #[error("bot definition needs an intent named FallbackIntent")]
    NoFallback,
}

/// Words of a text, lowercase, without punctuation.
fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl BotDefinition {
    /// Parses and checks a bot file.
    pub fn parse(json: &str) -> Result<Self, BotError> {
        let bot: Self = serde_json::from_str(json)?;
        if !bot.intents.iter().any(|intent| intent.name == "FallbackIntent") {
            return Err(BotError::NoFallback);
        }
        Ok(bot)
    }

    /// The intent for `text` and Lex-like confidence: the utterance whose words overlap the
    /// input best (Jaccard similarity of their words at least [`MATCH_THRESHOLD`]), else FallbackIntent.
    pub fn recognize(&self, text: &str) -> (&IntentDefinition, Option<f64>) {
        let input = words(text);
        let mut best: Option<(&IntentDefinition, f64)> = None;
        for intent in &self.intents {
            for utterance in &intent.utterances {
                let sample = words(utterance);
                let union = input.union(&sample).count();
                if union == 0 {
                    continue;
                }
                let score = input.intersection(&sample).count() as f64 / union as f64;
                if best.is_none_or(|(_, best_score)| score > best_score) {
                    best = Some((intent, score));
                }
            }
        }
        match best {
            Some((intent, score)) if score >= MATCH_THRESHOLD => {
                (intent, Some((score * 100.0).round() / 100.0))
            }
            _ => (self.fallback(), None),
        }
    }

    fn fallback(&self) -> &IntentDefinition {
        self.intents.iter().find(|intent| intent.name == "FallbackIntent").unwrap_or(&self.intents[0])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_bot_parses_and_recognizes_its_intents() {
        let bot = BotDefinition::parse(DEMO_BOT).unwrap();
        assert_eq!(bot.recognize("Hello!").0.name, "Greeting");
        assert_eq!(bot.recognize("show me the options please").0.name, "ShowOptions");
        assert_eq!(bot.recognize("What is the capital of France?").0.name, "FallbackIntent");
        // Close to "how does this work" (Help), but a real question for the model.
        assert_eq!(bot.recognize("How does streaming work?").0.name, "FallbackIntent");
        assert!(bot.recognize("What is the capital of France?").0.fulfillment_code_hook);
    }

    #[test]
    fn a_bot_without_fallback_is_refused() {
        let json = r#"{"botId":"B","botName":"b","aliases":{},"locales":["en_US"],"intents":[{"name":"X"}]}"#;
        assert!(matches!(BotDefinition::parse(json), Err(BotError::NoFallback)));
    }
}
