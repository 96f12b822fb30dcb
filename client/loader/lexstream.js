// Lexstream widget loader: the one script a page includes.
//
//   <script type="module" src="https://your-cdn.example/lexstream/lexstream.js"></script>
//
// A page view costs this file only. It draws each widget's launcher button itself (in the
// widget's own shadow root, with the widget's launcher styles) and fetches the widget's code —
// the wasm-bindgen glue and the WebAssembly, from the folder this file was served from — when the
// visitor shows intent: the pointer over the button, focus on it, a touch. The click mounts the
// widget, which opens at once (or as soon as the code arrives: the button shows it is busy).
// If the code cannot load, the button's panel says so.
//
// `data-load` on the script tag (or "load" in the page's JSON config) changes when the code is
// fetched: "intent" (default), "idle" (once the page is idle) or "eager" (at once, mounted at
// once). A conversation saved in this tab (the panel was open, or an answer was under way)
// loads and mounts at once, so a reload resumes it.
//
// The page drives a widget with its JS API (`window.lexstream`, typed in lexstream.d.ts): calls
// made before the code is there wait for it (and fetch it). Each script tag with this file is a
// widget (several tags with the same src: several widgets, one download); `data-id` names it.
//
// It works under a strict CSP: script-src <this origin> 'wasm-unsafe-eval', no inline scripts, no
// eval; styles are constructable stylesheets. A widget's configuration comes from a
// data-config-url file, then the page's <script type="application/json" id="lexstream-config">
// (or the id in data-config-id), then data-* attributes on its script tag, later ones winning key
// by key; the widget checks it and names any key that is wrong.

// client/src/launcher.css, inlined by `cargo xtask` when it builds the widget.
const LAUNCHER_CSS = '/* launcher.css */';

const here = new URL('.', import.meta.url);
// Shared with the widget (client/src/embed.rs, client/src/page_api.rs).
const HOST_ATTRIBUTE = 'data-lexstream-host';
const COMMAND_EVENT = 'lexstream-command';
const EVENTS = ['ready', 'open', 'close', 'question', 'answer', 'error'];

// The script tag's data-* attributes (dataset names) and the config keys they set.
const DATA_ATTRIBUTES = {
  id: 'id',
  region: 'region',
  cognitoPoolId: 'cognito.poolId',
  botId: 'lex.v2BotId',
  botAliasId: 'lex.v2BotAliasId',
  localeId: 'lex.v2BotLocaleId',
  websocketEndpoint: 'lex.streamingWebSocketEndpoint',
  streamingTable: 'lex.streamingDynamoDbTable',
  initialText: 'lex.initialText',
  title: 'ui.toolbarTitle',
  streamingFormat: 'ui.streamingFormat',
  position: 'ui.position',
  lang: 'ui.lang',
  allowedImageOrigins: 'ui.allowedImageOrigins',
  cognitoEndpoint: 'endpoints.cognito',
  lexEndpoint: 'endpoints.lex',
  load: 'load',
};

const isObject = (value) => value !== null && typeof value === 'object' && !Array.isArray(value);

// `layers` merged: later ones win key by key.
function merge(...layers) {
  const merged = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      merged[key] = isObject(value) && isObject(merged[key]) ? merge(merged[key], value) : value;
    }
  }
  return merged;
}

// The config the script tag's data-* attributes set.
function tagConfig(script) {
  const config = {};
  for (const [name, key] of Object.entries(DATA_ATTRIBUTES)) {
    const value = script.dataset[name];
    if (value === undefined) continue;
    const path = key.split('.');
    const last = path.pop();
    let node = config;
    for (const part of path) node = node[part] = node[part] || {};
    node[last] = value;
  }
  return config;
}

// The page's JSON config for `script`, or why it cannot be read.
function pageConfig(script) {
  const id = script.dataset.configId || 'lexstream-config';
  const element = document.getElementById(id);
  if (!element) return { config: {} };
  try {
    return { config: JSON.parse(element.textContent) || {} };
  } catch (error) {
    return { config: {}, problem: `#${id} is not valid JSON: ${error.message}` };
  }
}

async function fileConfig(url) {
  const failed = (why) => new Error(`data-config-url ${JSON.stringify(url)} ${why}`);
  const response = await fetch(url).catch(() => { throw failed('could not be fetched'); });
  if (!response.ok) throw failed(`answered ${response.status}`);
  return response.json().catch((error) => { throw failed(`is not valid JSON: ${error.message}`); });
}

// The whole config of `widget` for the widget's code, or undefined (after saying why on the
// console) when it cannot be assembled.
async function widgetConfig(widget) {
  const { script } = widget;
  try {
    const page = pageConfig(script);
    if (page.problem) throw new Error(page.problem);
    const file = script.dataset.configUrl ? await fileConfig(script.dataset.configUrl) : {};
    const tag = tagConfig(script);
    if (!script.dataset.configUrl && !Object.keys(page.config).length && !Object.keys(tag).length) {
      throw new Error('none found; add data-* attributes or data-config-url to the widget\'s script ' +
        'tag, or a <script type="application/json" id="lexstream-config">');
    }
    const config = merge(file, page.config, tag);
    delete config.load;
    if (widget.id) config.id = widget.id;
    else delete config.id;
    return config;
  } catch (error) {
    console.error(`Lexstream config: ${error.message}`);
    emit(widget, 'error', { message: `Lexstream config: ${error.message}` });
    return undefined;
  }
}

// What a widget's storage key is called (client/src/persistence.rs, TabStorage).
const storageKey = (widget, name) => `lexstream.${widget.id ? `${widget.id}.` : ''}${name}`;

function saved(widget, name) {
  try {
    return window.sessionStorage.getItem(storageKey(widget, name)) || '';
  } catch {
    return '';
  }
}

function store(widget, name, value) {
  try {
    window.sessionStorage.setItem(storageKey(widget, name), value);
  } catch {
    // A full or disabled storage only costs keeping them across a reload.
  }
}

function forget(widget, name) {
  try {
    window.sessionStorage.removeItem(storageKey(widget, name));
  } catch {
    // Nothing kept.
  }
}

function createLauncher(widget) {
  const { settings } = widget;
  const text = (name, english) => (settings.ui && settings.ui.strings && settings.ui.strings[name]) || english;
  const host = document.createElement('div');
  host.setAttribute(HOST_ATTRIBUTE, '');
  if (widget.id) host.setAttribute('data-lexstream-id', widget.id);
  // ui.position: the corner the launcher sits in (client/src/launcher.css follows it).
  host.setAttribute('data-position', (settings.ui && settings.ui.position) || 'right');
  const lang = settings.ui && settings.ui.lang;
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
  Object.assign(widget, { host, root, button, text });
}

// A signed-in visitor (`cognito.login`, `setLogin`): the person an ID token names (its JWT's
// issuer and subject), and how long after now to ask for a new one (ms): five minutes before it
// expires, or halfway for a token of under ten minutes, never sooner than 10 s — of what is left
// of it by the visitor's clock, or of its whole lifetime (`exp - iat`) if that is shorter (a
// clock set late). A token that is not a readable JWT is a person of its own, never refreshed.
function tokenClaims(login) {
  if (!login) return { person: '' };
  try {
    const payload = login.token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const { iss, sub, iat, exp } = JSON.parse(atob(payload));
    const life = Math.min((exp - iat) * 1000, exp * 1000 - Date.now());
    const due = Math.min(Math.max(life - 300000, life / 2, 10000), 2 ** 31 - 1);
    return { person: `${login.provider} ${iss} ${sub}`, expires: exp, due };
  } catch {
    return { person: `${login.provider} ${login.token}` };
  }
}

// Notes that `person` now has this tab's conversation. Someone else before (or a sign-out) must
// not see theirs: the saved transcript and the bot's session attributes are forgotten, and the
// next Lex session is a new one (the widget starts a new conversation too, once mounted).
function notePerson(widget, person) {
  if (saved(widget, 'person') === person) return false;
  for (const name of ['transcript', 'sessionAttributes']) forget(widget, name);
  store(widget, 'conversation', String((Number(saved(widget, 'conversation')) || 0) + 1));
  store(widget, 'person', person);
  return true;
}

// `config` with the login the page set through the API (over the config's), before the widget
// mounts; the tab's saved conversation only if it is this person's.
function withLogin(widget, config) {
  const cognito = config.cognito = config.cognito || {};
  if (widget.loginSet) cognito.login = widget.login || undefined;
  const login = cognito.login;
  widget.person = tokenClaims(login && typeof login.token === 'string' ? login : null).person;
  notePerson(widget, widget.person);
  return config;
}

// Signs `widget`'s visitor in with `login` (or out: null). Once mounted, a different person
// starts a new conversation; the same person's fresh token is used from the next sign-in.
// `refresh` (optional) gives a new token when this one is due (`tokenClaims`).
function changeLogin(widget, login, refresh) {
  widget.login = login;
  widget.loginSet = true;
  clearTimeout(widget.refreshTimer);
  const { person, expires, due } = tokenClaims(login);
  if (refresh && due) {
    widget.refreshTimer = setTimeout(() => refreshLogin(widget, login, refresh, expires), due);
  }
  if (!widget.attached) return;
  run(widget, 'setLogin', JSON.stringify(login));
  if (person !== widget.person) {
    widget.person = person;
    if (notePerson(widget, person)) run(widget, 'newConversation');
  }
}

async function refreshLogin(widget, login, refresh, expires) {
  try {
    const token = await refresh();
    // Signed out, or in as someone else, while the page fetched it: not theirs to use.
    if (widget.login !== login) return;
    if (typeof token !== 'string' || !token) throw new TypeError('it gave no token');
    // A token that expires no later than the last would be asked for again, and again.
    if (!(tokenClaims({ ...login, token }).expires > expires)) throw new TypeError('its token expires no later');
    changeLogin(widget, { provider: login.provider, token }, refresh);
  } catch (error) {
    console.error('Lexstream: the refresh callback given to setLogin() failed', error);
    emit(widget, 'error', { message: `Lexstream: the sign-in could not be refreshed (${error.message})` });
  }
}

let code = null;

// Fetches the glue and the wasm side by side and starts the code, once for every widget.
function loadCode() {
  if (!code) {
    const wasm = fetch(new URL('lexstream-widget_bg.wasm', here));
    code = import(new URL('lexstream-widget.js', here).href)
      .then((glue) => glue.default({ module_or_path: wasm }).then(() => glue))
      .catch((error) => {
        code = null;
        throw error;
      });
  }
  return code;
}

const emit = (widget, name, detail) =>
  widget.host.dispatchEvent(new CustomEvent(`lexstream:${name}`, { bubbles: true, detail }));

// Mounts `widget` once its code and config are there (opening it if the visitor or the page
// asked by then), then runs the page's waiting commands.
function mount(widget) {
  if (!widget.mounting) {
    widget.mounting = Promise.all([loadCode(), widgetConfig(widget)])
      .then(([glue, config]) => {
        glue.attach(widget.host, config && JSON.stringify(withLogin(widget, config)), widget.open);
        widget.attached = true;
        emit(widget, 'ready', { id: widget.id });
      })
      .then(
        () => {
          // What the page set or asked while the code loaded.
          if (widget.restart) run(widget, 'newConversation');
          if (Object.keys(widget.attributes).length) {
            widget.host.dispatchEvent(new CustomEvent(COMMAND_EVENT, {
              detail: { name: 'setSessionAttributes', argument: JSON.stringify(widget.attributes) },
            }));
          }
          for (const question of widget.questions.splice(0)) run(widget, 'send', question);
        },
        (error) => {
          widget.mounting = null;
          showFailure(widget, error);
        },
      );
  }
  return widget.mounting;
}

// Mounts `widget` with its panel open (the launcher shows it is busy until then).
function mountOpen(widget) {
  widget.open = true;
  if (!widget.attached) {
    widget.button.setAttribute('aria-busy', 'true');
    widget.button.setAttribute('aria-label', widget.text('openingChat', 'Opening chat…'));
  }
  mount(widget);
}

function showFailure(widget, error) {
  const { root, button, text } = widget;
  console.error('Lexstream: the chat could not be loaded', error);
  emit(widget, 'error', { message: 'The chat could not be loaded.' });
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

function clearFailure(widget) {
  const failed = widget.root.querySelector('.lxs-load-failed');
  if (failed) failed.remove();
  widget.button.removeAttribute('aria-describedby');
}

// Runs the page's command now, or when the widget is mounted. Before that, only showing the
// panel or asking a question fetches the code; a new conversation and session attributes are
// kept for the mount (a page that sets its context on every view costs no download).
function run(widget, name, argument) {
  if (name === 'setSessionAttributes') {
    // Kept for this tab's next page views too (the widget gets them all when it mounts).
    Object.assign(widget.attributes, JSON.parse(argument));
    store(widget, 'pageAttributes', JSON.stringify(widget.attributes));
  }
  if (widget.attached) {
    widget.host.dispatchEvent(new CustomEvent(COMMAND_EVENT, { detail: { name, argument } }));
  } else if (name === 'open' || (name === 'toggle' && !widget.open)) {
    mountOpen(widget);
  } else if (name === 'close' || name === 'minimize' || name === 'toggle') {
    widget.open = false;
  } else if (name === 'send') {
    widget.questions.push(argument);
    mount(widget);
  } else if (name === 'newConversation') {
    widget.restart = true;
    widget.questions.length = 0;
  }
}

// The page's handle on one widget (lexstream.d.ts).
function widgetApi(widget) {
  // Event name → the page's listener → what listens on the host for it.
  const listeners = new Map(EVENTS.map((name) => [name, new Map()]));
  const eventName = (name) => {
    if (!EVENTS.includes(name)) {
      throw new TypeError(`Lexstream: no event called ${JSON.stringify(name)}; the widget's are ${EVENTS.join(', ')}`);
    }
    return `lexstream:${name}`;
  };
  return {
    id: widget.id,
    element: widget.host,
    open: () => run(widget, 'open'),
    close: () => run(widget, 'close'),
    minimize: () => run(widget, 'minimize'),
    toggle: () => run(widget, 'toggle'),
    newConversation: () => run(widget, 'newConversation'),
    send(text) {
      if (typeof text !== 'string' || !text.trim()) {
        throw new TypeError('Lexstream: send() takes the question as a non-empty string');
      }
      run(widget, 'send', text);
    },
    setSessionAttributes(attributes) {
      const wrong = isObject(attributes)
        ? Object.entries(attributes).find(([, value]) => value !== null && typeof value !== 'string')
        : ['attributes', attributes];
      if (wrong) {
        throw new TypeError(`Lexstream: setSessionAttributes() takes an object of strings or null, not ${wrong[0]}: ${JSON.stringify(wrong[1])}`);
      }
      run(widget, 'setSessionAttributes', JSON.stringify(attributes));
    },
    setLogin(provider, token, refresh) {
      const signedIn = provider !== null;
      if (signedIn && (typeof provider !== 'string' || !provider || typeof token !== 'string' || !token)) {
        throw new TypeError('Lexstream: setLogin() takes the provider and the ID token as strings (or null, to sign out)');
      }
      if (refresh !== undefined && typeof refresh !== 'function') {
        throw new TypeError('Lexstream: setLogin()\'s third argument is a function that gives a new ID token');
      }
      changeLogin(widget, signedIn ? { provider, token } : null, signedIn && refresh);
    },
    on(name, listener) {
      const type = eventName(name);
      if (typeof listener !== 'function') throw new TypeError('Lexstream: on() takes a function');
      const calls = listeners.get(name);
      if (calls.has(listener)) return;
      const call = (event) => listener(event.detail, event);
      calls.set(listener, call);
      widget.host.addEventListener(type, call);
    },
    off(name, listener) {
      const type = eventName(name);
      const calls = listeners.get(name);
      const call = calls.get(listener);
      if (!call) return;
      calls.delete(listener);
      widget.host.removeEventListener(type, call);
    },
    widget: (id) => (id ? byId.get(id) : widgets[0].api),
    // The queue form (`(window.lexstream = window.lexstream || []).push(fn)`) once loaded.
    push: (callback) => callback(widget.api),
  };
}

// A widget's id: its data-id (or the page JSON's "id"), which the widget's storage keys use
// (client/src/config.rs checks the same rule); else none for the first, `widget-<n>` after.
function widgetId(settings, index) {
  const id = settings.id;
  if (id === undefined) return index ? `widget-${index + 1}` : '';
  if (typeof id === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(id)) return id;
  console.error(`Lexstream config: \`id\` must be at most 40 letters, digits, - or _, not ${JSON.stringify(id)}`);
  return `widget-${index + 1}`;
}

const byId = new Map();
// This file's own tags (with any query string the page added), not another copy's; if the file
// came through a redirect, every tag naming a lexstream.js.
const tags = [...document.querySelectorAll('script[src]')];
const ours = tags.filter((tag) => tag.src === import.meta.url);
const scripts = ours.length ? ours : tags.filter((tag) => /\/lexstream\.js(\?|#|$)/.test(tag.src));
const widgets = scripts.map((script, index) => {
  const page = pageConfig(script);
  const settings = merge(page.config, tagConfig(script));
  let id = widgetId(settings, index);
  if (byId.has(id)) {
    console.error(`Lexstream: two widgets are called ${JSON.stringify(id)}; give each script tag its own data-id`);
    for (let n = index + 1; byId.has(id); n += 1) id = `widget-${n}`;
  }
  const widget = {
    script, settings, id, open: false, attached: false, mounting: null,
    questions: [], attributes: {}, restart: false, login: null, loginSet: false, person: '',
  };
  try {
    widget.attributes = JSON.parse(saved(widget, 'pageAttributes') || '{}');
  } catch {
    // Unreadable: the page sets them again.
  }
  createLauncher(widget);
  widget.api = widgetApi(widget);
  widget.host.lexstream = widget.api;
  byId.set(id, widget.api);
  return widget;
});

for (const widget of widgets) {
  const { button } = widget;
  const intent = () => loadCode().catch(() => {});
  button.addEventListener('pointerenter', intent, { once: true });
  button.addEventListener('focus', intent, { once: true });
  button.addEventListener('touchstart', intent, { once: true, passive: true });
  button.addEventListener('click', () => {
    clearFailure(widget);
    mountOpen(widget);
  });
  // Whether this tab holds a conversation to continue at once: the panel was open, or a reply
  // was under way (client/src/persistence.rs writes these keys).
  const panelWasOpen = saved(widget, 'open') === 'true';
  const mode = widget.settings.load || 'intent';
  if (mode === 'eager' || panelWasOpen || saved(widget, 'transcript').includes('"Pending"')) {
    widget.open = panelWasOpen;
    mount(widget);
  } else if (mode === 'idle') {
    (window.requestIdleCallback || ((then) => setTimeout(then, 1500)))(intent);
  }
}

// window.lexstream: the first widget's API. A page that queued functions before this file ran
// (`(window.lexstream = window.lexstream || []).push((chat) => …)`) has them called now.
if (widgets.length) {
  const queued = Array.isArray(window.lexstream) ? window.lexstream : [];
  window.lexstream = widgets[0].api;
  for (const callback of queued) {
    try {
      callback(widgets[0].api);
    } catch (error) {
      console.error('Lexstream: a function the page queued for the widget threw', error);
    }
  }
}
