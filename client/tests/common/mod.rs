//! Helpers shared by the widget's browser tests.
#![allow(dead_code, unreachable_pub)]

/// Lets Leptos run its effects and re-render (one macrotask).
pub async fn tick() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a browser window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.expect("the timeout resolves");
}

/// Waits for the next two animation frames (what the widget paints once per frame is then on
/// screen), then lets effects settle.
pub async fn next_frame() {
    for _ in 0..2 {
        let promise = js_sys::Promise::new(&mut |resolve, _| {
            web_sys::window()
                .expect("a browser window")
                .request_animation_frame(&resolve)
                .expect("requestAnimationFrame");
        });
        wasm_bindgen_futures::JsFuture::from(promise).await.expect("the frame comes");
    }
    tick().await;
}
