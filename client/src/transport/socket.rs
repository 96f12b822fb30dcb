//! The transports' text WebSocket, run in a dedicated worker (`client/loader/lexstream-socket.js`)
//! when the widget is served from the page's origin, so a stream of thousands of small frames
//! costs the main thread a few dozen batches instead of a browser task per message; else a
//! socket on the main thread.
//! Either way the transport sees the same events: opened, each message in order, ended once.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{MessageEvent, WebSocket, Worker};

use super::batch;

/// The attribute (set by the loader on the widget's host element) naming the worker script, and
/// the selector that finds it.
const WORKER_URL_ATTRIBUTE: &str = "data-lexstream-socket-worker";
const WORKER_URL_SELECTOR: &str = "[data-lexstream-socket-worker]";

thread_local! {
    /// Set once a worker failed to start on this page: later sockets go straight to the main thread.
    static WORKER_UNAVAILABLE: Cell<bool> = const { Cell::new(false) };
}

/// What a socket reports to its transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SocketEvent {
    /// The connection is open.
    Opened,
    /// A text message, in arrival order.
    Message(String),
    /// The connection failed or closed (reported once; never after the socket is dropped).
    Ended,
}

type OnEvent = Box<dyn Fn(&SocketHandle, SocketEvent)>;

/// An open or opening socket; closing happens when it is dropped (without an `Ended` event).
pub(crate) struct Socket {
    state: Rc<State>,
}

/// A weak handle for the transport's own callbacks (keep-alive, watchdog, replies in the
/// handshake): does nothing once the socket is dropped.
#[derive(Clone)]
pub(crate) struct SocketHandle(Weak<State>);

struct State {
    url: String,
    open: Cell<bool>,
    ended: Cell<bool>,
    backing: RefCell<Backing>,
    on_event: OnEvent,
}

enum Backing {
    Worker {
        worker: Worker,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_error: Closure<dyn FnMut()>,
    },
    Direct {
        socket: WebSocket,
        _on_open: Closure<dyn FnMut()>,
        _on_message: Closure<dyn FnMut(MessageEvent)>,
        _on_end: Closure<dyn FnMut()>,
    },
    Closed,
}

impl std::fmt::Debug for Socket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Socket").field("url", &self.state.url).finish()
    }
}

impl Socket {
    /// Opens a socket to `url` with `protocols`; `on_event` hears what happens to it.
    pub(crate) fn connect(
        url: &str,
        protocols: &[String],
        on_event: impl Fn(&SocketHandle, SocketEvent) + 'static,
    ) -> Result<Self, String> {
        let state = Rc::new(State {
            url: url.to_owned(),
            open: Cell::new(false),
            ended: Cell::new(false),
            backing: RefCell::new(Backing::Closed),
            on_event: Box::new(on_event),
        });
        let protocols: Array = protocols.iter().map(|protocol| JsValue::from_str(protocol)).collect();
        let backing = match start_worker() {
            Some(worker) => in_worker(&state, worker, &protocols),
            None => direct(&state, &protocols)?,
        };
        *state.backing.borrow_mut() = backing;
        Ok(Self { state })
    }

    /// A handle for the transport's callbacks.
    pub(crate) fn handle(&self) -> SocketHandle {
        SocketHandle(Rc::downgrade(&self.state))
    }

    /// Whether the socket is open.
    pub(crate) fn is_open(&self) -> bool {
        self.state.open.get()
    }

    /// Sends a text message; `false` if the socket is not open.
    pub(crate) fn send(&self, message: &str) -> bool {
        self.handle().send(message)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.state.ended.set(true);
        self.state.open.set(false);
        match std::mem::replace(&mut *self.state.backing.borrow_mut(), Backing::Closed) {
            Backing::Worker { worker, .. } => {
                worker.set_onmessage(None);
                worker.set_onerror(None);
                let _ = worker.post_message(&Array::of1(&"close".into()));
            }
            Backing::Direct { socket, .. } => {
                socket.set_onopen(None);
                socket.set_onmessage(None);
                socket.set_onerror(None);
                socket.set_onclose(None);
                let _ = socket.close();
            }
            Backing::Closed => {}
        }
    }
}

impl SocketHandle {
    /// Sends a text message; `false` if the socket is not open (or gone).
    pub(crate) fn send(&self, message: &str) -> bool {
        let Some(state) = self.0.upgrade() else { return false };
        if !state.open.get() {
            return false;
        }
        match &*state.backing.borrow() {
            Backing::Worker { worker, .. } => {
                worker.post_message(&Array::of2(&"send".into(), &message.into())).is_ok()
            }
            Backing::Direct { socket, .. } => socket.send_with_str(message).is_ok(),
            Backing::Closed => false,
        }
    }

    /// Closes the connection as a network drop would: `Ended` follows.
    pub(crate) fn disconnect(&self) {
        let Some(state) = self.0.upgrade() else { return };
        match &*state.backing.borrow() {
            Backing::Worker { worker, .. } => {
                let _ = worker.post_message(&Array::of1(&"disconnect".into()));
            }
            Backing::Direct { socket, .. } => {
                let _ = socket.close();
            }
            Backing::Closed => {}
        }
    }
}

/// Tells the transport about `event`, unless the socket has ended or been dropped.
fn report(state: &Weak<State>, event: SocketEvent) {
    let Some(strong) = state.upgrade() else { return };
    if strong.ended.get() {
        return;
    }
    match event {
        SocketEvent::Opened => strong.open.set(true),
        SocketEvent::Ended => {
            strong.open.set(false);
            strong.ended.set(true);
        }
        SocketEvent::Message(_) => {}
    }
    (strong.on_event)(&SocketHandle(state.clone()), event);
}

/// A worker running the socket script, unless the page has none to offer (the loader names the
/// script only when it is served from the page's origin, as a worker script must be; a `blob:`
/// worker would work from elsewhere, but a strict CSP refuses it and reports a violation a site
/// owner would see on every connection) or cannot run it.
fn start_worker() -> Option<Worker> {
    if WORKER_UNAVAILABLE.get() {
        return None;
    }
    let document = web_sys::window()?.document()?;
    let url = document.query_selector(WORKER_URL_SELECTOR).ok()??.get_attribute(WORKER_URL_ATTRIBUTE)?;
    let worker = Worker::new(&url).ok();
    if worker.is_none() {
        WORKER_UNAVAILABLE.set(true);
    }
    worker
}

/// The socket in `worker`; if the worker fails before it says anything (its script blocked or
/// missing), the socket opens on the main thread instead.
fn in_worker(state: &Rc<State>, worker: Worker, protocols: &Array) -> Backing {
    let heard = Rc::new(Cell::new(false));
    let weak = Rc::downgrade(state);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
        let heard = Rc::clone(&heard);
        move |event: MessageEvent| {
            heard.set(true);
            let data = event.data();
            match data.as_string().as_deref() {
                Some("opened") => report(&weak, SocketEvent::Opened),
                Some(_) => report(&weak, SocketEvent::Ended),
                None => {
                    for text in batch::messages(&Uint8Array::new(&data).to_vec()) {
                        report(&weak, SocketEvent::Message(text));
                    }
                }
            }
        }
    });
    let weak = Rc::downgrade(state);
    let on_error = Closure::<dyn FnMut()>::new({
        let protocols = protocols.clone();
        move || {
            let Some(state) = weak.upgrade() else { return };
            if heard.get() {
                return report(&weak, SocketEvent::Ended);
            }
            WORKER_UNAVAILABLE.set(true);
            let fallback = direct(&state, &protocols);
            let Ok(fallback) = fallback else { return report(&weak, SocketEvent::Ended) };
            if let Backing::Worker { worker, .. } =
                std::mem::replace(&mut *state.backing.borrow_mut(), fallback)
            {
                worker.terminate();
            }
        }
    });
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    let _ = worker.post_message(&Array::of3(&"open".into(), &state.url.as_str().into(), protocols));
    Backing::Worker { worker, _on_message: on_message, _on_error: on_error }
}

/// The socket on the main thread.
fn direct(state: &Rc<State>, protocols: &Array) -> Result<Backing, String> {
    let socket = WebSocket::new_with_str_sequence(&state.url, protocols)
        .map_err(|_| "the streaming connection could not be created".to_owned())?;
    let weak = Rc::downgrade(state);
    let on_open = Closure::<dyn FnMut()>::new(move || report(&weak, SocketEvent::Opened));
    let weak = Rc::downgrade(state);
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(text) = event.data().as_string() {
            report(&weak, SocketEvent::Message(text));
        }
    });
    let weak = Rc::downgrade(state);
    let on_end = Closure::<dyn FnMut()>::new(move || report(&weak, SocketEvent::Ended));
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onerror(Some(on_end.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_end.as_ref().unchecked_ref()));
    Ok(Backing::Direct { socket, _on_open: on_open, _on_message: on_message, _on_end: on_end })
}
