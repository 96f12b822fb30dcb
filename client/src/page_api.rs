//! The page's hold on a widget: the loader's JS API (`client/loader/lexstream.js`) sends commands
//! as `lexstream-command` events to the widget's host element, and the widget tells the page what
//! happens with `lexstream:*` events on that element (`open`, `close`, `question`, `answer`,
//! `error`; the loader adds `ready`).

use leptos::prelude::*;
use serde_json::{Value, json};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CustomEvent, CustomEventInit, HtmlElement};

use crate::aws::cognito::Login;
use crate::transcript::{Entry, Reply, Transcript};

/// The event the loader fires on the host to run a command; its `detail` is
/// `{ name, argument }` (`setSessionAttributes` and `setLogin` pass theirs as JSON text).
pub const COMMAND_EVENT: &str = "lexstream-command";

/// What the page asks the widget to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Show the panel.
    Open,
    /// Hide the panel and end the stream (as the close button does).
    Close,
    /// Hide the panel; an answer under way goes on.
    Minimize,
    /// Show the panel if hidden, else minimize it.
    Toggle,
    /// Ask this question as the visitor.
    Send(String),
    /// Start over, as the new-conversation button does.
    NewConversation,
    /// Set each attribute, or remove it (`None`), for the next questions.
    SetSessionAttributes(Vec<(String, Option<String>)>),
    /// Sign in with this login (or out, `None`) from the next sign-in on.
    SetLogin(Option<Login>),
}

impl Command {
    /// The command `name` with its `argument`; `None` for a name the widget does not know (a
    /// newer loader) or an argument of the wrong kind (the loader checks them first).
    pub fn parse(name: &str, argument: Option<String>) -> Option<Self> {
        Some(match name {
            "open" => Self::Open,
            "close" => Self::Close,
            "minimize" => Self::Minimize,
            "toggle" => Self::Toggle,
            "send" => Self::Send(argument?),
            "newConversation" => Self::NewConversation,
            "setSessionAttributes" => {
                let Ok(Value::Object(attributes)) = serde_json::from_str(&argument?) else { return None };
                let changes = attributes.into_iter().map(|(name, value)| match value {
                    Value::String(value) => Some((name, Some(value))),
                    Value::Null => Some((name, None)),
                    _ => None,
                });
                Self::SetSessionAttributes(changes.collect::<Option<_>>()?)
            }
            "setLogin" => match serde_json::from_str(&argument?).ok()? {
                Value::Null => Self::SetLogin(None),
                login => Self::SetLogin(Some(Login {
                    provider: login["provider"].as_str()?.to_owned(),
                    token: login["token"].as_str()?.to_owned(),
                })),
            },
            _ => return None,
        })
    }
}

/// The widget's host element, where the page's commands arrive and the widget's events go (they
/// bubble, so the page can listen on the document too).
#[derive(Debug, Clone)]
pub struct PageLink(HtmlElement);

impl PageLink {
    /// The link through `host`.
    pub fn on(host: HtmlElement) -> Self {
        Self(host)
    }

    /// Runs `run` for each command the page sends, as long as the page lives.
    pub fn listen(&self, run: impl Fn(Command) + 'static) {
        let listener = Closure::<dyn Fn(web_sys::Event)>::new(move |event: web_sys::Event| {
            let detail = event.unchecked_into::<CustomEvent>().detail();
            let field =
                |name: &str| js_sys::Reflect::get(&detail, &name.into()).ok().and_then(|v| v.as_string());
            if let Some(command) = field("name").and_then(|name| Command::parse(&name, field("argument"))) {
                run(command);
            }
        });
        let _ = self.0.add_event_listener_with_callback(COMMAND_EVENT, listener.as_ref().unchecked_ref());
        listener.forget();
    }

    /// Dispatches `lexstream:<name>` with `detail`.
    pub fn emit(&self, name: &str, detail: &Value) {
        let init = CustomEventInit::new();
        init.set_bubbles(true);
        init.set_detail(&js_sys::JSON::parse(&detail.to_string()).unwrap_or(JsValue::NULL));
        if let Ok(event) = CustomEvent::new_with_event_init_dict(&format!("lexstream:{name}"), &init) {
            let _ = self.0.dispatch_event(&event);
        }
    }
}

/// Follows the transcript's turns: calls `ended` when a reply ends (final or failed), and tells
/// the page (when there is one) about each question (`question`: `{ turn, text }`) and how it
/// ended (`answer`: `{ turn, text }`, or `error`: `{ turn, message }`). What the transcript held
/// when the widget mounted (restored after a reload) was told before. The events go out after
/// the transcript is read: a page listener may call the API (a new conversation changes the
/// transcript) at once.
pub fn follow_turns(
    transcript: RwSignal<Transcript>,
    page: Option<PageLink>,
    mut ended: impl FnMut() + 'static,
) {
    // Each turn told of, and whether its end was; kept in the closure (an effect returning `()`
    // adds no code for another effect type).
    let mut told: Vec<(String, bool)> = Vec::new();
    let mut first_run = true;
    Effect::new(move |_| {
        let mut events = Vec::new();
        transcript.with(|t| {
            let mut question = None;
            for entry in t.entries() {
                let (turn, reply) = match entry {
                    Entry::Visitor(text) => {
                        question = Some(text);
                        continue;
                    }
                    Entry::Bot { turn, reply } => (turn, reply),
                };
                let ended = matches!(reply, Reply::Final { .. } | Reply::Failed { .. });
                let known = told.iter().position(|(told_turn, _)| told_turn == turn);
                if let (None, Some(text), false) = (known, question, first_run) {
                    events.push(("question", json!({ "turn": turn, "text": text })));
                }
                if ended && !first_run && known.is_none_or(|index| !told[index].1) {
                    match reply {
                        Reply::Final { text, .. } => {
                            events.push(("answer", json!({ "turn": turn, "text": text })));
                        }
                        Reply::Failed { message, .. } => {
                            events.push(("error", json!({ "turn": turn, "message": message })));
                        }
                        _ => {}
                    }
                }
                match known {
                    Some(index) => told[index].1 = ended,
                    None => told.push((turn.clone(), ended)),
                }
                question = None;
            }
        });
        first_run = false;
        for (name, detail) in events {
            if name != "question" {
                ended();
            }
            if let Some(page) = &page {
                page.emit(name, &detail);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_read_with_their_arguments() {
        assert_eq!(Command::parse("open", None), Some(Command::Open));
        assert_eq!(Command::parse("send", Some("Hi".into())), Some(Command::Send("Hi".into())));
        assert_eq!(Command::parse("send", None), None, "a question needs its text");
        assert_eq!(Command::parse("fly", None), None);
        assert_eq!(
            Command::parse("setSessionAttributes", Some(r#"{"productId":"sku-1","plan":null}"#.into())),
            Some(Command::SetSessionAttributes(vec![
                ("plan".into(), None),
                ("productId".into(), Some("sku-1".into())),
            ]))
        );
        assert_eq!(Command::parse("setSessionAttributes", Some(r#"{"n":1}"#.into())), None);
        assert_eq!(Command::parse("setSessionAttributes", Some("[]".into())), None);
        let login = Login { provider: "login.example.com".into(), token: "eyJ.x.y".into() };
        assert_eq!(
            Command::parse("setLogin", Some(r#"{"provider":"login.example.com","token":"eyJ.x.y"}"#.into())),
            Some(Command::SetLogin(Some(login)))
        );
        assert_eq!(Command::parse("setLogin", Some("null".into())), Some(Command::SetLogin(None)));
        assert_eq!(Command::parse("setLogin", Some(r#"{"provider":"p"}"#.into())), None);
    }
}
