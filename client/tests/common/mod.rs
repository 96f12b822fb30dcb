//! Helpers shared by the widget's browser tests.
#![allow(dead_code, unreachable_pub)]

/// Lets Leptos run its effects and re-render (one macrotask).
pub async fn tick() {
    sleep_ms(0).await;
}

/// Resolves when the browser calls back what `register` gave it (`what` names the wait).
async fn called_back<T>(
    what: &str,
    register: impl Fn(&web_sys::Window, &js_sys::Function) -> Result<T, wasm_bindgen::JsValue>,
) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        register(&web_sys::window().expect("a browser window"), &resolve).expect(what);
    });
    wasm_bindgen_futures::JsFuture::from(promise).await.expect(what);
}

/// Resolves after `ms` milliseconds (a `setTimeout`).
async fn sleep_ms(ms: i32) {
    called_back("setTimeout", |window, resolve| {
        window.set_timeout_with_callback_and_timeout_and_arguments_0(resolve, ms)
    })
    .await;
}

/// Waits until what the widget paints is on screen: a streaming reply paints in an animation
/// frame, but after a costly paint no sooner than its paint budget allows (at most 100 ms on,
/// `client/src/paint_budget.rs`); then lets effects settle.
pub async fn painted() {
    sleep_ms(110).await;
    for _ in 0..2 {
        called_back("requestAnimationFrame", |window, resolve| window.request_animation_frame(resolve)).await;
    }
    tick().await;
}

/// The `data-testid` of the element that has the keyboard focus now, if any.
pub fn focused_test_id() -> Option<String> {
    web_sys::window()?.document()?.active_element()?.get_attribute("data-testid")
}

/// Records the page's uncaught exceptions (the window's `error` events) while it lives: a panic
/// in a callback the browser runs (an animation frame, an idle callback) traps the wasm there,
/// outside any test's future, and shows only as one of these.
pub struct UncaughtErrors {
    seen: std::rc::Rc<std::cell::RefCell<Vec<String>>>,
    listener: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
}

impl UncaughtErrors {
    pub fn listen() -> Self {
        use wasm_bindgen::JsCast;
        let seen = std::rc::Rc::<std::cell::RefCell<Vec<String>>>::default();
        let record = std::rc::Rc::clone(&seen);
        let listener =
            wasm_bindgen::closure::Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
                let message =
                    js_sys::Reflect::get(&event, &"message".into()).ok().and_then(|m| m.as_string());
                record.borrow_mut().push(message.unwrap_or_else(|| event.type_()));
            });
        web_sys::window()
            .expect("a browser window")
            .add_event_listener_with_callback("error", listener.as_ref().unchecked_ref())
            .expect("addEventListener");
        Self { seen, listener }
    }

    /// What was thrown and not caught so far.
    pub fn seen(&self) -> Vec<String> {
        self.seen.borrow().clone()
    }
}

impl Drop for UncaughtErrors {
    fn drop(&mut self) {
        use wasm_bindgen::JsCast;
        if let Some(window) = web_sys::window() {
            let _ =
                window.remove_event_listener_with_callback("error", self.listener.as_ref().unchecked_ref());
        }
    }
}

/// Resolves in the page's next idle period (`requestIdleCallback`): after every idle callback
/// posted before this call.
pub async fn idle() {
    called_back("requestIdleCallback", |window, resolve| window.request_idle_callback(resolve)).await;
}
