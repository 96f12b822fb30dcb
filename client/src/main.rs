//! Entry point of the widget bundle: mounts the widget on the page that loaded it.

fn main() {
    lexstream_client::embed::start();
}
