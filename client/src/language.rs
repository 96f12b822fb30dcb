//! The widget's language (`ui.lang`): which tags are accepted, and which languages are written
//! right to left (the widget then lays its panel out mirrored).

use crate::config::ConfigError;

/// `ui.lang`: a BCP 47 language tag (letters, digits and hyphens, starting with a letter).
pub(crate) fn language_tag(tag: Option<String>) -> Result<Option<String>, ConfigError> {
    const KEY: &str = "ui.lang";
    let Some(tag) = tag else { return Ok(None) };
    let well_formed = tag.len() <= 35
        && tag
            .split('-')
            .all(|part| (1..=8).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_alphanumeric()))
        && tag.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
    if !well_formed {
        let problem = format!("must be a language tag such as \"ar\" or \"pt-BR\", not {tag:?}");
        return Err(ConfigError::Invalid { key: KEY, problem });
    }
    Ok(Some(tag))
}

/// Languages written right to left (ISO 639 codes), and the scripts that are (ISO 15924).
const RIGHT_TO_LEFT_LANGUAGES: [&str; 14] =
    ["ar", "arc", "ckb", "dv", "fa", "he", "iw", "ps", "sd", "syr", "ug", "ur", "yi", "nqo"];
const RIGHT_TO_LEFT_SCRIPTS: [&str; 7] = ["arab", "hebr", "thaa", "syrc", "nkoo", "adlm", "rohg"];

/// Whether `tag` names a language written right to left: by its language (`ar`, `he-IL`) or its
/// script (`ku-Arab`, `pa-Arab`); a Latin script overrides the language (`ug-Latn`).
pub fn is_right_to_left(tag: &str) -> bool {
    let lower = tag.to_ascii_lowercase();
    let mut parts = lower.split('-');
    let language = parts.next().unwrap_or_default();
    match parts.find(|part| part.len() == 4 && part.bytes().all(|b| b.is_ascii_alphabetic())) {
        Some(script) => RIGHT_TO_LEFT_SCRIPTS.contains(&script),
        None => RIGHT_TO_LEFT_LANGUAGES.contains(&language),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_language_is_right_to_left_by_its_language_or_its_script() {
        for (tag, right_to_left) in [
            ("ar", true),
            ("he-IL", true),
            ("fa", true),
            ("ku-Arab", true),
            ("ug-Latn", false),
            ("en", false),
            ("pt-BR", false),
            ("zh-Hant-TW", false),
        ] {
            assert_eq!(is_right_to_left(tag), right_to_left, "{tag}");
        }
    }
}
