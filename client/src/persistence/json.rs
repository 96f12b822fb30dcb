//! What the widget saves, to and from JSON by hand over `serde_json::Value`, in exactly the
//! shape serde's derives give these types (enums externally tagged: `{"Visitor":"Hi"}`), so a
//! tab saved by any version reads back. Written out because a derived deserializer per type
//! costs the widget more than these few lines; the derives stay for tests and other tools.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::transcript::{AnswerPart, SavedEntry};

/// The transcript as saved: an array of externally tagged entries.
pub(super) fn transcript_to_json(entries: &[SavedEntry]) -> Value {
    Value::Array(entries.iter().map(entry_to_json).collect())
}

/// A saved transcript; `None` if any entry is not one [`transcript_to_json`] writes.
pub(super) fn transcript_from_json(json: &Value) -> Option<Vec<SavedEntry>> {
    json.as_array()?.iter().map(entry_from_json).collect()
}

/// String attributes as a JSON object, inserted one by one (`collect` would sort them again,
/// with a sort compiled for this one type).
pub(super) fn attributes_to_json(attributes: &BTreeMap<String, String>) -> Value {
    let mut object = Map::new();
    for (key, value) in attributes {
        object.insert(key.clone(), Value::from(value.as_str()));
    }
    Value::Object(object)
}

/// A JSON object of strings; `None` if it is not one.
pub(super) fn attributes_from_json(json: &Value) -> Option<BTreeMap<String, String>> {
    let mut attributes = BTreeMap::new();
    for (key, value) in json.as_object()? {
        attributes.insert(key.clone(), string(value)?);
    }
    Some(attributes)
}

/// `{variant: content}`.
fn tagged(variant: &str, content: Value) -> Value {
    let mut object = Map::new();
    object.insert(variant.to_owned(), content);
    Value::Object(object)
}

/// The variant name and content of an externally tagged enum value.
fn untagged(json: &Value) -> Option<(&str, &Value)> {
    match json.as_object()? {
        object if object.len() == 1 => object.iter().next().map(|(name, content)| (name.as_str(), content)),
        _ => None,
    }
}

fn string(json: &Value) -> Option<String> {
    json.as_str().map(str::to_owned)
}

/// A `(String, String)` tuple: a two-element array.
fn pair(json: &Value) -> Option<(String, String)> {
    match json.as_array()?.as_slice() {
        [first, second] => Some((string(first)?, string(second)?)),
        _ => None,
    }
}

fn pair_to_json(first: &str, second: &str) -> Value {
    Value::Array(Vec::from([Value::from(first), Value::from(second)]))
}

/// An `Option` field: absent or `null` is `None`.
fn optional<T>(json: Option<&Value>, read: impl Fn(&Value) -> Option<T>) -> Option<Option<T>> {
    match json {
        None | Some(Value::Null) => Some(None),
        Some(value) => read(value).map(Some),
    }
}

fn entry_to_json(entry: &SavedEntry) -> Value {
    match entry {
        SavedEntry::Visitor(text) => tagged("Visitor", Value::from(text.as_str())),
        SavedEntry::Answer(parts) => tagged("Answer", Value::Array(parts.iter().map(part_to_json).collect())),
        SavedEntry::Failed(message, partial) => tagged("Failed", pair_to_json(message, partial)),
        SavedEntry::Pending { turn, text, seq } => {
            let mut fields = Map::new();
            fields.insert("turn".to_owned(), Value::from(turn.as_str()));
            fields.insert("text".to_owned(), Value::from(text.as_str()));
            fields.insert("seq".to_owned(), Value::from(*seq));
            tagged("Pending", Value::Object(fields))
        }
    }
}

fn entry_from_json(json: &Value) -> Option<SavedEntry> {
    let (variant, content) = untagged(json)?;
    Some(match variant {
        "Visitor" => SavedEntry::Visitor(string(content)?),
        "Answer" => {
            SavedEntry::Answer(content.as_array()?.iter().map(part_from_json).collect::<Option<_>>()?)
        }
        "Failed" => {
            let (message, partial) = pair(content)?;
            SavedEntry::Failed(message, partial)
        }
        "Pending" => SavedEntry::Pending {
            turn: string(content.get("turn")?)?,
            text: string(content.get("text")?)?,
            seq: optional(content.get("seq"), Value::as_u64)?,
        },
        _ => return None,
    })
}

fn part_to_json(part: &AnswerPart) -> Value {
    match part {
        AnswerPart::Markup(markup) => tagged("Markup", Value::from(markup.as_str())),
        AnswerPart::Card { title, subtitle, buttons } => {
            let mut fields = Map::new();
            fields.insert("title".to_owned(), Value::from(title.as_str()));
            fields.insert("subtitle".to_owned(), subtitle.as_deref().map_or(Value::Null, Value::from));
            let buttons = buttons.iter().map(|(label, value)| pair_to_json(label, value)).collect();
            fields.insert("buttons".to_owned(), Value::Array(buttons));
            tagged("Card", Value::Object(fields))
        }
    }
}

fn part_from_json(json: &Value) -> Option<AnswerPart> {
    let (variant, content) = untagged(json)?;
    Some(match variant {
        "Markup" => AnswerPart::Markup(string(content)?),
        "Card" => AnswerPart::Card {
            title: string(content.get("title")?)?,
            subtitle: optional(content.get("subtitle"), string)?,
            buttons: content.get("buttons")?.as_array()?.iter().map(pair).collect::<Option<_>>()?,
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_kind_of_entry() -> Vec<SavedEntry> {
        vec![
            SavedEntry::Visitor("Hi \"there\"".into()),
            SavedEntry::Answer(vec![
                AnswerPart::Markup("<p>Hello</p>".into()),
                AnswerPart::Card {
                    title: "Pick one".into(),
                    subtitle: Some("or not".into()),
                    buttons: vec![("Yes".into(), "yes".into()), ("No".into(), "no".into())],
                },
                AnswerPart::Card { title: "Bare".into(), subtitle: None, buttons: vec![] },
            ]),
            SavedEntry::Failed("It failed".into(), "Once".into()),
            SavedEntry::Pending { turn: "turn-1-2".into(), text: "So far".into(), seq: Some(3) },
            SavedEntry::Pending { turn: "turn-1-3".into(), text: String::new(), seq: None },
        ]
    }

    #[test]
    fn the_transcript_is_written_as_serde_writes_it_and_read_back() {
        let entries = every_kind_of_entry();
        let by_hand = transcript_to_json(&entries);
        assert_eq!(by_hand, serde_json::to_value(&entries).unwrap());
        let from_serde: Value = serde_json::from_str(&serde_json::to_string(&entries).unwrap()).unwrap();
        assert_eq!(transcript_from_json(&from_serde), Some(entries));
    }

    #[test]
    fn what_serde_would_refuse_is_not_read() {
        for refused in [
            r#"{"Visitor":"a"}"#,
            r#"[{"Visitor":1}]"#,
            r#"[{"Visitor":"a","Answer":[]}]"#,
            r#"[{"Shouted":"a"}]"#,
            r#"[{"Failed":["only one"]}]"#,
            r#"[{"Pending":{"turn":"t","seq":1}}]"#,
            r#"[{"Pending":{"turn":"t","text":"x","seq":-1}}]"#,
            r#"[{"Answer":[{"Card":{"title":"t","buttons":[["a"]]}}]}]"#,
        ] {
            let json: Value = serde_json::from_str(refused).unwrap();
            assert_eq!(transcript_from_json(&json), None, "{refused}");
            assert!(serde_json::from_value::<Vec<SavedEntry>>(json).is_err(), "serde agrees on {refused}");
        }
        let missing_options: Value = serde_json::from_str(
            r#"[{"Pending":{"turn":"t","text":"x"}},{"Answer":[{"Card":{"title":"t","buttons":[]}}]}]"#,
        )
        .unwrap();
        assert_eq!(transcript_from_json(&missing_options), serde_json::from_value(missing_options).ok());
    }

    #[test]
    fn attributes_are_an_object_of_strings() {
        let attributes =
            BTreeMap::from([("a".to_owned(), "1".to_owned()), ("b".to_owned(), "\"".to_owned())]);
        let json = attributes_to_json(&attributes);
        assert_eq!(json, serde_json::to_value(&attributes).unwrap());
        assert_eq!(attributes_from_json(&json), Some(attributes));
        assert_eq!(attributes_from_json(&serde_json::json!({ "a": 1 })), None);
    }
}
