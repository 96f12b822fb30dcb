//! The API Gateway WebSocket: a SigV4-presigned `wss://…?sessionId=…`, opened before the first
//! question so the fulfillment finds the connection, with a keep-alive ping.

use lexstream_protocol::calendar::UtcDateTime;
use lexstream_protocol::limits::KEEPALIVE_INTERVAL_SECS;
use lexstream_protocol::sigv4::{self, Request, Scope, uri_encode};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::Closure;
use web_sys::{MessageEvent, WebSocket};

use crate::aws::cognito::Visitor;
use crate::aws::{authority_and_path, now_epoch_seconds};

/// An open streaming socket; closing happens when it is dropped.
pub struct StreamSocket {
    socket: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut()>,
    keepalive: Option<i32>,
    _keepalive_callback: Closure<dyn FnMut()>,
}

impl std::fmt::Debug for StreamSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamSocket").field("url", &self.socket.url()).finish()
    }
}

impl StreamSocket {
    /// Whether the socket is open.
    pub fn is_open(&self) -> bool {
        self.socket.ready_state() == WebSocket::OPEN
    }

    /// Sends a text message (e.g. a stop request); `false` if the socket would not take it.
    pub fn send(&self, message: &str) -> bool {
        self.is_open() && self.socket.send_with_str(message).is_ok()
    }
}

impl Drop for StreamSocket {
    fn drop(&mut self) {
        if let (Some(handle), Some(window)) = (self.keepalive, web_sys::window()) {
            window.clear_interval_with_handle(handle);
        }
        self.socket.set_onmessage(None);
        // Closing on purpose is not a drop to recover from.
        self.socket.set_onclose(None);
        let _ = self.socket.close();
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
    let socket =
        WebSocket::new(url).map_err(|_| "the streaming connection could not be created".to_owned())?;
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        if let Some(text) = event.data().as_string() {
            on_message(text);
        }
    });
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    let opened = js_sys::Promise::new(&mut |resolve, reject| {
        socket.set_onopen(Some(&resolve));
        socket.set_onerror(Some(&reject));
    });
    wasm_bindgen_futures::JsFuture::from(opened)
        .await
        .map_err(|_| "the streaming connection was refused".to_owned())?;
    socket.set_onopen(None);
    socket.set_onerror(None);
    let on_close = Closure::<dyn FnMut()>::new(on_close);
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));

    let pinger = socket.clone();
    let keepalive_callback = Closure::<dyn FnMut()>::new(move || {
        let _ = pinger.send_with_str(r#"{"action":"ping"}"#);
    });
    let keepalive = web_sys::window().and_then(|window| {
        window
            .set_interval_with_callback_and_timeout_and_arguments_0(
                keepalive_callback.as_ref().unchecked_ref(),
                i32::try_from(KEEPALIVE_INTERVAL_SECS * 1000).unwrap_or(i32::MAX),
            )
            .ok()
    });
    Ok(StreamSocket {
        socket,
        _on_message: on_message,
        _on_close: on_close,
        keepalive,
        _keepalive_callback: keepalive_callback,
    })
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
