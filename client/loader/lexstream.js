// Lexstream widget loader: the one script a page includes.
//
//   <script type="module" src="https://your-cdn.example/lexstream/lexstream.js"></script>
//
// It loads the widget's WebAssembly from the same folder it was served from (any origin; that
// origin must allow CORS), so it works under a strict CSP: script-src <that origin>
// 'wasm-unsafe-eval', no inline scripts, no eval. The page gives the configuration in
// <script type="application/json" id="lexstream-config">…</script>, a data-config-url file or
// data-* attributes on this script tag.
const here = new URL('.', import.meta.url);
const { default: init } = await import(new URL('lexstream-widget.js', here).href);
await init({ module_or_path: new URL('lexstream-widget_bg.wasm', here) });
