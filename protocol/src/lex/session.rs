//! Lex V2 structures shared by the code-hook event, the code-hook response and the runtime API.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::open_enum::open_enum;

/// The state of a conversation: what Lex, the Lambda and the client pass back and forth.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionState {
    /// Contexts active in the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_contexts: Option<Vec<ActiveContext>>,
    /// Application-defined string attributes kept for the whole session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_attributes: Option<BTreeMap<String, String>>,
    /// Hints that improve slot recognition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_hints: Option<RuntimeHints>,
    /// What Lex should do next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dialog_action: Option<DialogAction>,
    /// The intent being worked on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intent: Option<Intent>,
    /// The id of the request that started this turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub originating_request_id: Option<String>,
}

impl SessionState {
    /// A session attribute's value, if set.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.session_attributes.as_ref()?.get(name).map(String::as_str)
    }
}

/// A context that can make intents eligible for recognition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveContext {
    /// The context's name.
    pub name: String,
    /// How long the context stays active.
    pub time_to_live: TimeToLive,
    /// String attributes of the context.
    #[serde(default)]
    pub context_attributes: BTreeMap<String, String>,
}

/// How long an [`ActiveContext`] stays active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeToLive {
    /// Seconds.
    pub time_to_live_in_seconds: u32,
    /// Conversation turns.
    pub turns_to_live: u32,
}

/// Slot hints per intent name, then per slot name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeHints {
    /// Intent name → slot name → hints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_hints: Option<BTreeMap<String, BTreeMap<String, RuntimeHintDetails>>>,
}

/// Phrases that a slot is likely to take.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeHintDetails {
    /// The phrases.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_hint_values: Option<Vec<RuntimeHintValue>>,
    /// Hints for the sub-slots of a composite slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_slot_hints: Option<BTreeMap<String, RuntimeHintDetails>>,
}

/// One hinted phrase.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeHintValue {
    /// The phrase.
    pub phrase: String,
}

open_enum!(
    /// The next step of the conversation.
    DialogActionType {
        /// The intent is done; no response from the user is expected.
        Close = "Close",
        /// Ask the user to confirm the intent.
        ConfirmIntent = "ConfirmIntent",
        /// Let Lex decide the next step from the bot's configuration.
        Delegate = "Delegate",
        /// Ask the user what they want to do.
        ElicitIntent = "ElicitIntent",
        /// Ask the user for a slot value.
        ElicitSlot = "ElicitSlot",
        /// No action (runtime API only).
        None = "None",
    }
);

open_enum!(
    /// How Lex should listen for a slot value.
    SlotElicitationStyle {
        /// The usual way.
        Default = "Default",
        /// The user spells the value letter by letter.
        SpellByLetter = "SpellByLetter",
        /// The user spells the value word by word.
        SpellByWord = "SpellByWord",
    }
);

/// What Lex does next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DialogAction {
    /// The next step.
    #[serde(rename = "type")]
    pub action_type: DialogActionType,
    /// The slot to ask for, with `ElicitSlot`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_to_elicit: Option<String>,
    /// How to listen for the slot value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot_elicitation_style: Option<SlotElicitationStyle>,
    /// The sub-slot to ask for (composite slots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_slot_to_elicit: Option<ElicitSubSlot>,
}

impl DialogAction {
    /// A dialog action of this type with no other fields.
    pub fn of_type(action_type: DialogActionType) -> Self {
        Self { action_type, slot_to_elicit: None, slot_elicitation_style: None, sub_slot_to_elicit: None }
    }
}

/// A sub-slot to elicit, possibly nested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ElicitSubSlot {
    /// The sub-slot's name.
    pub name: String,
    /// A deeper sub-slot to elicit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_slot_to_elicit: Option<Box<ElicitSubSlot>>,
}

open_enum!(
    /// Where an intent stands; with `Close` it carries the fulfillment result.
    IntentState {
        /// Fulfillment failed.
        Failed = "Failed",
        /// The intent is fulfilled.
        Fulfilled = "Fulfilled",
        /// Fulfillment is under way (streaming updates).
        FulfillmentInProgress = "FulfillmentInProgress",
        /// Slots are still being collected.
        InProgress = "InProgress",
        /// All slots are filled; fulfillment can start.
        ReadyForFulfillment = "ReadyForFulfillment",
        /// Waiting for the user (streaming conversations).
        Waiting = "Waiting",
    }
);

open_enum!(
    /// Whether the user confirmed the intent.
    ConfirmationState {
        /// The user confirmed.
        Confirmed = "Confirmed",
        /// The user denied.
        Denied = "Denied",
        /// Not asked, or no answer.
        None = "None",
    }
);

/// An intent and its slots.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    /// The intent's name.
    pub name: String,
    /// Slot name → value; an unfilled slot is `null`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slots: Option<BTreeMap<String, Option<Slot>>>,
    /// Where the intent stands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<IntentState>,
    /// Whether the user confirmed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation_state: Option<ConfirmationState>,
    /// The Kendra query response, for `KendraSearchIntent` (kept as JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kendra_response: Option<serde_json::Value>,
}

open_enum!(
    /// Whether a slot holds one value, a list, or sub-slots.
    SlotShape {
        /// One value.
        Scalar = "Scalar",
        /// Several values in `values`.
        List = "List",
        /// Sub-slots in `subSlots`.
        Composite = "Composite",
    }
);

/// A slot's value(s).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Slot {
    /// The slot's shape.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shape: Option<SlotShape>,
    /// The value (also present on `List` slots: the whole phrase).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<SlotValue>,
    /// The values of a `List` slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Slot>>,
    /// The sub-slots of a `Composite` slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_slots: Option<BTreeMap<String, Slot>>,
}

/// What the user said for a slot and what Lex made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotValue {
    /// The part of the input Lex found relevant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_value: Option<String>,
    /// The value Lex settled on.
    pub interpreted_value: String,
    /// Other values Lex considered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_values: Option<Vec<String>>,
}

open_enum!(
    /// The kind of a bot message.
    MessageContentType {
        /// An application-defined string (Lexstream: Markdown or HTML).
        CustomPayload = "CustomPayload",
        /// A card with a title, image and buttons.
        ImageResponseCard = "ImageResponseCard",
        /// Plain text.
        PlainText = "PlainText",
        /// Speech Synthesis Markup Language.
        Ssml = "SSML",
    }
);

/// One bot message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// The message's kind.
    pub content_type: MessageContentType,
    /// The text, for every kind but `ImageResponseCard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The card, for `ImageResponseCard`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_response_card: Option<ImageResponseCard>,
}

impl Message {
    /// A message of `content_type` carrying `content`.
    pub fn text(content_type: MessageContentType, content: impl Into<String>) -> Self {
        Self { content_type, content: Some(content.into()), image_response_card: None }
    }
}

/// A card with a title, an optional image and up to five buttons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageResponseCard {
    /// The title (required).
    pub title: String,
    /// A subtitle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subtitle: Option<String>,
    /// A public image URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    /// The buttons.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buttons: Option<Vec<Button>>,
}

/// A card button: `text` is shown, `value` is sent when clicked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    /// The label.
    pub text: String,
    /// What a click sends.
    pub value: String,
}
