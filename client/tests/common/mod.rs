//! Helpers shared by the widget's browser tests.
#![allow(dead_code, unreachable_pub)]

/// Lets Leptos run its effects and re-render (one macrotask).
pub async fn tick() {
    sleep_ms(0).await;
}

/// Resolves after `ms` milliseconds (a `setTimeout`).
async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        web_sys::window()
            .expect("a browser window")
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .expect("setTimeout");
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.expect("the timeout resolves");
}

/// Waits until what the widget paints is on screen: a streaming reply paints in an animation
/// frame, but after a costly paint no sooner than its paint budget allows (at most 100 ms on,
/// `client/src/paint_budget.rs`); then lets effects settle.
pub async fn painted() {
    sleep_ms(110).await;
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

/// The `data-testid` of the element that has the keyboard focus now, if any.
pub fn focused_test_id() -> Option<String> {
    web_sys::window()?.document()?.active_element()?.get_attribute("data-testid")
}
