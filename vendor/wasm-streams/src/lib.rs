//! Lexstream's stand-in for `wasm-streams` 0.5.0: a WHATWG `ReadableStream` made from a Rust
//! [`Stream`], and read back as one — the three calls leptos's `server_fn` makes (its streaming
//! request bodies and responses), which the widget never reaches. The original crate exports
//! JavaScript classes (`IntoUnderlyingSource`, `…ByteSource`, `…Sink`) with `#[wasm_bindgen]`;
//! exports are roots no linker may drop, so they and their glue were in the widget's download
//! whether used or not. Here the underlying source is a plain object whose `pull` is a closure.

pub mod readable {
    //! [`ReadableStream`].

    use std::cell::RefCell;
    use std::pin::Pin;
    use std::rc::Rc;

    use futures_util::{Stream, StreamExt, stream};
    use js_sys::{Object, Promise, Reflect};
    use wasm_bindgen::prelude::*;
    use wasm_bindgen_futures::{JsFuture, future_to_promise};
    use web_sys::{ReadableStreamDefaultController, ReadableStreamDefaultReader};

    /// The items a Rust stream gives a `ReadableStream`: a chunk, or the error that ends it.
    type Source = Pin<Box<dyn Stream<Item = Result<JsValue, JsValue>>>>;

    /// A WHATWG `ReadableStream`.
    #[derive(Debug)]
    pub struct ReadableStream {
        raw: web_sys::ReadableStream,
    }

    impl ReadableStream {
        /// Wraps a stream the browser made.
        pub fn from_raw(raw: web_sys::ReadableStream) -> Self {
            Self { raw }
        }

        /// A `ReadableStream` whose chunks are `stream`'s items, pulled one at a time (an error
        /// item errors the stream; the end closes it).
        pub fn from_stream<St>(stream: St) -> Self
        where
            St: Stream<Item = Result<JsValue, JsValue>> + 'static,
        {
            let source: Rc<RefCell<Source>> = Rc::new(RefCell::new(Box::pin(stream)));
            let pull = Closure::<dyn FnMut(ReadableStreamDefaultController) -> Promise>::new(
                move |controller: ReadableStreamDefaultController| {
                    let source = Rc::clone(&source);
                    future_to_promise(async move {
                        // One pull at a time: the stream asks again only once this settles.
                        let next = {
                            let mut source = source.borrow_mut();
                            source.next().await
                        };
                        match next {
                            Some(Ok(chunk)) => controller.enqueue_with_chunk(&chunk)?,
                            Some(Err(error)) => controller.error_with_e(&error),
                            None => controller.close()?,
                        }
                        Ok(JsValue::UNDEFINED)
                    })
                },
            );
            let underlying_source = Object::new();
            let _ = Reflect::set(&underlying_source, &"pull".into(), pull.as_ref());
            // The closure lives as long as the stream might pull: a request body's life.
            pull.forget();
            let raw = web_sys::ReadableStream::new_with_underlying_source(&underlying_source)
                .expect_throw("a ReadableStream with a pull source");
            Self { raw }
        }

        /// The browser's stream.
        pub fn into_raw(self) -> web_sys::ReadableStream {
            self.raw
        }

        /// Reads the stream as a Rust [`Stream`] of its chunks; a read that fails gives its
        /// error and ends it.
        pub fn into_stream(self) -> impl Stream<Item = Result<JsValue, JsValue>> {
            let reader: ReadableStreamDefaultReader = self.raw.get_reader().unchecked_into();
            stream::unfold(Some(reader), |reader| async move {
                let reader = reader?;
                match JsFuture::from(reader.read()).await {
                    Err(error) => Some((Err(error), None)),
                    Ok(result) => {
                        let done = Reflect::get(&result, &"done".into()).ok()?.is_truthy();
                        let value = Reflect::get(&result, &"value".into()).ok()?;
                        (!done).then_some((Ok(value), Some(reader)))
                    }
                }
            })
        }
    }
}

pub use readable::ReadableStream;
