//! The response a Lex V2 Lambda code hook returns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::event::CodeHookEvent;
use super::session::{DialogAction, DialogActionType, Intent, IntentState, Message, SessionState};

/// The output of a Lex V2 Lambda code hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeHookResponse {
    /// The session's new state (required); `dialogAction` tells Lex what to do next.
    pub session_state: SessionState,
    /// Messages for the user (required with `ElicitIntent` and `ConfirmIntent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<Message>>,
    /// Request attributes to return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_attributes: Option<BTreeMap<String, String>>,
}

impl CodeHookResponse {
    /// Ends the event's intent with `state` (`Fulfilled` or `Failed`) and `messages`, keeping the
    /// session attributes, active contexts and the intent's slots as Lex expects.
    pub fn close(event: &CodeHookEvent, state: IntentState, messages: Vec<Message>) -> Self {
        let mut session_state = event.session_state.clone();
        let intent = session_state.intent.take().unwrap_or_else(|| Intent {
            name: event.interpretations.first().map_or_else(String::new, |i| i.intent.name.clone()),
            slots: None,
            state: None,
            confirmation_state: None,
            kendra_response: None,
        });
        session_state.intent = Some(Intent { state: Some(state), ..intent });
        session_state.dialog_action = Some(DialogAction::of_type(DialogActionType::Close));
        Self { session_state, messages: Some(messages), request_attributes: event.request_attributes.clone() }
    }
}
