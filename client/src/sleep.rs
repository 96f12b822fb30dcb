//! Waiting in the browser: a `setTimeout` as a future.

/// Waits `ms` milliseconds (a `setTimeout` promise).
pub(crate) async fn sleep_ms(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let delay = i32::try_from(ms).unwrap_or(i32::MAX);
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, delay);
        }
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}
