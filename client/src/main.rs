//! The widget bundle. Nothing runs when it loads: the loader (`client/loader/lexstream.js`) calls
//! its `attach` export (`lexstream_client::embed::attach`) for each widget on the page.

// Linked for its `#[wasm_bindgen]` exports.
use lexstream_client as _;

fn main() {}
