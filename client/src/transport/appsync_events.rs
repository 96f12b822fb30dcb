//! The AppSync Events transport: the realtime WebSocket with the `aws-appsync-event-ws` and
//! `header-…` subprotocols (IAM auth with the visitor's Cognito credentials), `connection_init`
//! → `connection_ack`, one subscription to the visitor's own channel, a watchdog that closes the
//! socket when neither `ka` nor data arrives within `connectionTimeoutMs`, and `unsubscribe`
//! when dropped. Each `data` event is one protocol v1 frame, handed on as text.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function};
use lexstream_protocol::appsync::{
    CONNECTION_TIMEOUT_MS, EVENTS_SUBPROTOCOL, ServerEvent, auth_subprotocol, connection_init_json,
    iam_authorization, read_server_message, signed_body, subscribe_json, unsubscribe_json,
};
use lexstream_protocol::calendar::UtcDateTime;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;

use super::socket::{Socket, SocketEvent, SocketHandle};
use crate::aws::cognito::Visitor;
use crate::aws::{authority_and_path, now_epoch_seconds};
use crate::config::AppSyncConfig;
use crate::debug_log::record;

/// The id of the widget's one subscription on its connection.
const SUBSCRIPTION_ID: &str = "lexstream-answers";

/// Longest wait from opening the socket to `subscribe_success`.
const HANDSHAKE_TIMEOUT_MS: i32 = 10_000;

/// How often the watchdog looks at the time of the last message.
const WATCHDOG_INTERVAL_MS: i32 = 5_000;

/// A subscribed Events socket; unsubscribes and closes when dropped.
#[derive(Debug)]
pub struct EventsSocket {
    socket: Socket,
    watchdog: Option<i32>,
    _watchdog_callback: Closure<dyn FnMut()>,
}

impl EventsSocket {
    /// Whether the socket is open.
    pub fn is_open(&self) -> bool {
        self.socket.is_open()
    }
}

impl Drop for EventsSocket {
    fn drop(&mut self) {
        if let (Some(handle), Some(window)) = (self.watchdog, web_sys::window()) {
            window.clear_interval_with_handle(handle);
        }
        self.socket.send(&unsubscribe_json(SUBSCRIPTION_ID));
    }
}

/// What runs when the connection ends after the handshake.
type OnClose = Box<dyn Fn()>;

/// Why the handshake failed, for the console: AppSync's error types and messages.
fn describe(errors: &[lexstream_protocol::appsync::AppSyncError]) -> String {
    errors
        .iter()
        .map(|e| {
            format!("{}: {}", e.error_type.as_deref().unwrap_or("error"), e.message.as_deref().unwrap_or(""))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Connects, subscribes to `channel` and waits for `subscribe_success`; every event then goes to
/// `on_frame`, and `on_close` runs if the connection ends other than by dropping the socket.
pub async fn open(
    config: &AppSyncConfig,
    region: &str,
    visitor: &Visitor,
    channel: &str,
    on_frame: impl Fn(String) + 'static,
    on_close: impl Fn() + 'static,
) -> Result<EventsSocket, String> {
    let (host, _) = authority_and_path(&config.http_endpoint);
    let now = || UtcDateTime::from_epoch_seconds(now_epoch_seconds());
    let connect_auth = iam_authorization(host, &signed_body(None), &visitor.credentials, region, now());
    let channel_name = channel.to_owned();
    let subscribe = subscribe_json(
        SUBSCRIPTION_ID,
        channel,
        &iam_authorization(host, &signed_body(Some(channel)), &visitor.credentials, region, now()),
    );
    let protocols = [EVENTS_SUBPROTOCOL.to_owned(), auth_subprotocol(&connect_auth)];

    let last_heard = Rc::new(Cell::new(js_sys::Date::now()));
    let timeout_ms = Rc::new(Cell::new(CONNECTION_TIMEOUT_MS as f64));
    let settle: Rc<RefCell<Option<(Function, Function)>>> = Rc::default();
    let subscribed =
        js_sys::Promise::new(&mut |resolve, reject| *settle.borrow_mut() = Some((resolve, reject)));
    let finish = {
        let settle = Rc::clone(&settle);
        move |outcome: Result<(), String>| {
            if let Some((resolve, reject)) = settle.borrow_mut().take() {
                let _ = match outcome {
                    Ok(()) => resolve.call0(&wasm_bindgen::JsValue::NULL),
                    Err(reason) => reject.call1(&wasm_bindgen::JsValue::NULL, &reason.into()),
                };
            }
        }
    };
    // Set once the handshake is over: an end after it is `on_close`'s (a reconnect).
    let closed: Rc<RefCell<Option<OnClose>>> = Rc::default();

    let heard = Rc::clone(&last_heard);
    let timeout = Rc::clone(&timeout_ms);
    let after_handshake = Rc::clone(&closed);
    let on_event = move |socket: &SocketHandle, event: SocketEvent| match event {
        SocketEvent::Opened => {
            record("connection", "socket open; connection_init");
            socket.send(&connection_init_json());
        }
        SocketEvent::Ended => match after_handshake.borrow().as_ref() {
            Some(on_close) => on_close(),
            None => finish(Err("the connection was refused or closed".to_owned())),
        },
        SocketEvent::Message(text) => {
            heard.set(js_sys::Date::now());
            match read_server_message(&text) {
                Ok(ServerEvent::Ack { timeout_ms }) => {
                    record(
                        "connection",
                        format!("connection_ack (timeout {timeout_ms} ms); subscribe {channel_name}"),
                    );
                    timeout.set(timeout_ms as f64);
                    socket.send(&subscribe);
                }
                Ok(ServerEvent::Subscribed(_)) => {
                    record("connection", "subscribe_success");
                    finish(Ok(()));
                }
                Ok(ServerEvent::Data { event, .. }) => on_frame(event),
                Ok(ServerEvent::KeepAlive) => record("connection", "ka"),
                Ok(ServerEvent::Failure { kind, errors }) => {
                    let reason = format!("{kind}: {}", describe(&errors));
                    record("connection", reason.clone());
                    web_sys::console::warn_1(&format!("Lexstream: AppSync Events: {reason}").into());
                    finish(Err(reason));
                }
                Ok(ServerEvent::Other(kind)) => record("connection", kind),
                Err(error) => {
                    web_sys::console::warn_1(
                        &format!("Lexstream: unreadable AppSync message: {error}").into(),
                    );
                }
            }
        }
    };
    let socket = Socket::connect(&config.realtime_endpoint, &protocols, on_event)
        .map_err(|_| "the AppSync Events connection could not be created".to_owned())?;
    // A server that takes the socket but never acknowledges must not hold the question.
    let timed_out = js_sys::Promise::new(&mut |_, reject| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_1(
                &reject,
                HANDSHAKE_TIMEOUT_MS,
                &"no connection_ack or subscribe_success in time".into(),
            );
        }
    });
    let handshake = js_sys::Promise::race(&Array::of2(&subscribed, &timed_out));
    let result = wasm_bindgen_futures::JsFuture::from(handshake).await;
    if let Err(reason) = result {
        // Dropping the socket closes it.
        return Err(format!("AppSync Events: {}", reason.as_string().unwrap_or_default()));
    }
    *closed.borrow_mut() = Some(Box::new(on_close));

    // No `ka` and no data for `connectionTimeoutMs`: the connection is dead; closing it runs
    // `on_close`, which reconnects.
    let watched = socket.handle();
    let watchdog_callback = Closure::<dyn FnMut()>::new(move || {
        if js_sys::Date::now() - last_heard.get() > timeout_ms.get() {
            web_sys::console::warn_1(&"Lexstream: no AppSync keep-alive in time; reconnecting".into());
            watched.disconnect();
        }
    });
    let watchdog = web_sys::window().and_then(|window| {
        window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                watchdog_callback.as_ref().unchecked_ref(),
                WATCHDOG_INTERVAL_MS,
            )
            .ok()
    });
    Ok(EventsSocket { socket, watchdog, _watchdog_callback: watchdog_callback })
}
