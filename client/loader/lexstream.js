// Lexstream widget loader: the one script a page includes.
//
//   <script type="module" src="https://your-cdn.example/lexstream/lexstream.js"></script>
//
// A page view costs this file only. It draws the launcher button itself (in the widget's own
// shadow root, with the widget's launcher styles) and fetches the widget's code — the
// wasm-bindgen glue and the WebAssembly, from the folder this file was served from — when the
// visitor shows intent: the pointer over the button, focus on it, a touch. The click mounts the
// widget, which opens at once (or as soon as the code arrives: the button shows it is busy).
// If the code cannot load, the button's panel says so.
//
// `data-load` on this script tag (or "load" in the page's JSON config) changes when the code is
// fetched: "intent" (default), "idle" (once the page is idle) or "eager" (at once, mounted at
// once). A conversation saved in this tab (the panel was open, or an answer was under way)
// loads and mounts at once, so a reload resumes it.
//
// It works under a strict CSP: script-src <this origin> 'wasm-unsafe-eval', no inline scripts, no
// eval; styles are constructable stylesheets. The page gives the widget's configuration in
// <script type="application/json" id="lexstream-config">…</script>, a data-config-url file or
// data-* attributes on this script tag.

// client/src/launcher.css, inlined by `cargo xtask` when it builds the widget.
const LAUNCHER_CSS = '/* launcher.css */';

const here = new URL('.', import.meta.url);
const script = document.querySelector("script[src$='lexstream.js']");
// Shared with the widget (client/src/embed.rs): how the loader hands the page over to it.
const HOST_ATTRIBUTE = 'data-lexstream-host';
const MOUNT_EVENT = 'lexstream-mount';

// The page's JSON config, for what the launcher needs before the widget's code is there.
function pageConfig() {
  try {
    const json = document.getElementById('lexstream-config');
    return (json && JSON.parse(json.textContent)) || {};
  } catch {
    return {}; // the widget reports a broken config itself
  }
}

const config = pageConfig();
// A setting from this script tag's data-* attribute, else from the JSON config.
const setting = (attribute, read) => (script && script.dataset[attribute]) || read(config);
const loadMode = () => setting('load', (json) => json.load) || 'intent';
// One of the widget's texts (client/src/strings.rs): the page's ui.strings, else English.
const text = (name, english) => (config.ui && config.ui.strings && config.ui.strings[name]) || english;

// Whether this tab holds a conversation to continue at once: the panel was open, or a reply
// was under way (client/src/persistence.rs writes these keys).
function savedConversationIsLive() {
  try {
    const storage = window.sessionStorage;
    return storage.getItem('lexstream.open') === 'true' ||
      (storage.getItem('lexstream.transcript') || '').includes('"Pending"');
  } catch {
    return false;
  }
}

function createLauncher() {
  const host = document.createElement('div');
  host.setAttribute(HOST_ATTRIBUTE, '');
  host.setAttribute('data-lexstream-loader', '');
  // ui.position: the corner the launcher sits in (client/src/launcher.css follows it).
  host.setAttribute('data-position', setting('position', (json) => json.ui && json.ui.position) || 'right');
  const lang = setting('lang', (json) => json.ui && json.ui.lang);
  if (lang) host.setAttribute('lang', lang);
  // Where the widget finds its streaming socket's worker (client/src/transport/socket.rs): only
  // from the page's origin, as a worker script must be.
  if (here.origin === location.origin) {
    host.setAttribute('data-lexstream-socket-worker', new URL('lexstream-socket.js', here).href);
  }
  const shadow = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(LAUNCHER_CSS);
  shadow.adoptedStyleSheets = [sheet];
  const root = document.createElement('div');
  root.className = 'lxs-root';
  root.setAttribute('data-lexstream-loader-ui', '');
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'lxs-launcher';
  button.setAttribute('data-testid', 'launcher');
  button.setAttribute('aria-label', text('openChat', 'Open chat'));
  button.setAttribute('aria-expanded', 'false');
  button.setAttribute('aria-controls', 'lexstream-panel');
  const icon = document.createElement('span');
  icon.className = 'lxs-launcher-icon';
  icon.setAttribute('aria-hidden', 'true');
  icon.textContent = '💬';
  button.append(icon);
  root.append(button);
  shadow.append(root);
  document.body.append(host);
  return { host, root, button };
}

const launcher = createLauncher();
let loading = null;

// Fetches the glue and the wasm side by side, then runs the widget (which waits for the mount
// event unless the host already asks it to mount).
function load() {
  if (!loading) {
    const wasm = fetch(new URL('lexstream-widget_bg.wasm', here));
    loading = import(new URL('lexstream-widget.js', here).href)
      .then(({ default: init }) => init({ module_or_path: wasm }))
      .catch((error) => {
        loading = null;
        showFailure(error);
        throw error;
      });
  }
  return loading;
}

// Asks the widget to mount (opening its panel when `open`), loading it first if needed.
function mount(open) {
  const { host, button } = launcher;
  host.dataset.mount = 'now';
  if (open) host.dataset.open = 'true';
  host.dispatchEvent(new Event(MOUNT_EVENT));
  if (open) {
    button.setAttribute('aria-busy', 'true');
    button.setAttribute('aria-label', text('openingChat', 'Opening chat…'));
  }
  load().catch(() => {});
}

function showFailure(error) {
  const { root, button } = launcher;
  console.error('Lexstream: the chat could not be loaded', error);
  button.removeAttribute('aria-busy');
  button.setAttribute('aria-label', text('openChat', 'Open chat'));
  if (root.querySelector('.lxs-load-failed')) return;
  const message = document.createElement('p');
  message.className = 'lxs-load-failed';
  message.id = 'lexstream-load-failed';
  message.setAttribute('role', 'alert');
  message.setAttribute('data-testid', 'load-failed');
  message.textContent = text('loadFailed', 'The chat could not be loaded. Please check your connection and try again.');
  root.prepend(message);
  button.setAttribute('aria-describedby', message.id);
}

function clearFailure() {
  const failed = launcher.root.querySelector('.lxs-load-failed');
  if (failed) failed.remove();
  launcher.button.removeAttribute('aria-describedby');
}

const intent = () => load().catch(() => {});
launcher.button.addEventListener('pointerenter', intent, { once: true });
launcher.button.addEventListener('focus', intent, { once: true });
launcher.button.addEventListener('touchstart', intent, { once: true, passive: true });
launcher.button.addEventListener('click', () => {
  clearFailure();
  mount(true);
});

const mode = loadMode();
if (mode === 'eager' || savedConversationIsLive()) {
  mount(false);
} else if (mode === 'idle') {
  const whenIdle = window.requestIdleCallback || ((run) => setTimeout(run, 1500));
  whenIdle(intent);
}
