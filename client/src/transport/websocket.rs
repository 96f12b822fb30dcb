//! The API Gateway WebSocket: a SigV4-presigned `wss://…?sessionId=…`, opened before the first
//! question so the fulfillment finds the connection, with a keep-alive ping.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::limits::KEEPALIVE_INTERVAL_SECS;
use lexstream_protocol::sigv4::{self, Request, Scope, uri_encode};
use wasm_bindgen::prelude::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::socket::{Socket, SocketEvent};

use crate::aws::cognito::Visitor;
use crate::aws::{authority_and_path, now_epoch_seconds};

/// An open streaming socket; closing happens when it is dropped.
#[derive(Debug)]
pub struct StreamSocket {
    socket: Socket,
    keepalive: Option<i32>,
    _keepalive_callback: Closure<dyn FnMut()>,
}

impl StreamSocket {
    /// Whether the socket is open.
    pub fn is_open(&self) -> bool {
        self.socket.is_open()
    }

    /// Sends a text message (e.g. a stop request); `false` if the socket would not take it.
    pub fn send(&self, message: &str) -> bool {
        self.socket.send(message)
    }
}

impl Drop for StreamSocket {
    fn drop(&mut self) {
        if let (Some(handle), Some(window)) = (self.keepalive, web_sys::window()) {
            window.clear_interval_with_handle(handle);
        }
    }
}

/// The presigned URL for `session_id` on the stage at `stage_url`.
pub fn presigned_url(stage_url: &str, region: &str, visitor: &Visitor, session_id: &str) -> String {
    let (host, path) = authority_and_path(stage_url);
    let scheme = stage_url.split_once("://").map_or("wss", |(scheme, _)| scheme);
    let query = format!("sessionId={}", uri_encode(session_id, true));
    let headers = [("host", host)];
    let request = Request { method: "GET", path, query: &query, headers: &headers, body: &[] };
    let now = UtcDateTime::from_epoch_seconds(now_epoch_seconds());
    let signed = sigv4::presign_query(
        request,
        &visitor.credentials,
        Scope { region, service: "execute-api" },
        now,
        300,
    );
    format!("{scheme}://{host}{path}?{signed}")
}

/// The wait before reconnect attempt `attempt` (from 0): 0.5 s doubling to at most 30 s, with
/// ±50 % jitter (`random` in 0..1) so many widgets do not reconnect in lockstep.
pub fn reconnect_delay_ms(attempt: u32, random: f64) -> u32 {
    let base = 500_f64 * 2_f64.powi(i32::try_from(attempt.min(6)).unwrap_or(6));
    (base.min(30_000.0) * (0.5 + random)) as u32
}

/// Opens the socket and waits until it is open; every text message goes to `on_message`, and
/// `on_close` runs if the connection closes other than by dropping the `StreamSocket` (a network
/// drop, API Gateway's 2-hour limit).
pub async fn open(
    url: &str,
    on_message: impl Fn(String) + 'static,
    on_close: impl Fn() + 'static,
) -> Result<StreamSocket, String> {
    // Settled when the socket opens or fails to; once it is, an end is `on_close`'s.
    let settle: Rc<RefCell<Option<(Function, Function)>>> = Rc::default();
    let opened = js_sys::Promise::new(&mut |resolve, reject| *settle.borrow_mut() = Some((resolve, reject)));
    let socket = Socket::connect(url, &[], {
        let settle = Rc::clone(&settle);
        move |_, event| match event {
            SocketEvent::Message(text) => on_message(text),
            SocketEvent::Opened => {
                if let Some((resolve, _)) = settle.borrow_mut().take() {
                    let _ = resolve.call0(&JsValue::NULL);
                }
            }
            SocketEvent::Ended => match settle.borrow_mut().take() {
                Some((_, reject)) => {
                    let _ = reject.call0(&JsValue::NULL);
                }
                None => on_close(),
            },
        }
    })?;
    wasm_bindgen_futures::JsFuture::from(opened)
        .await
        .map_err(|_| "the streaming connection was refused".to_owned())?;

    let pinger = socket.handle();
    let keepalive_callback = Closure::<dyn FnMut()>::new(move || {
        pinger.send(r#"{"action":"ping"}"#);
    });
    let keepalive = web_sys::window().and_then(|window| {
        window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                keepalive_callback.as_ref().unchecked_ref(),
                i32::try_from(KEEPALIVE_INTERVAL_SECS * 1000).unwrap_or(i32::MAX),
            )
            .ok()
    });
    Ok(StreamSocket { socket, keepalive, _keepalive_callback: keepalive_callback })
}

#[cfg(test)]
mod tests {
    use super::reconnect_delay_ms;

    #[test]
    fn reconnect_delays_grow_cap_and_jitter() {
        assert_eq!(reconnect_delay_ms(0, 0.5), 500);
        assert_eq!(reconnect_delay_ms(1, 0.5), 1000);
        assert_eq!(reconnect_delay_ms(20, 0.5), 30_000);
        assert_eq!(reconnect_delay_ms(0, 0.0), 250);
        assert!(reconnect_delay_ms(3, 0.999) < 6000);
    }
}
