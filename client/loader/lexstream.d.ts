// Types of the Lexstream widget's JavaScript API (`client/loader/lexstream.js`), shipped beside
// the loader. Copy it into your site's sources, then:
//
//   import type { LexstreamWidget } from './lexstream';
//   (window.lexstream = window.lexstream || []).push((chat: LexstreamWidget) => chat.open());

/** What each of the widget's events carries (`on(name, listener)`'s first argument, and the
 * `detail` of the `lexstream:<name>` `CustomEvent` on the widget's host element). */
export interface LexstreamEvents {
  /** The widget's code is loaded and mounted; commands now run at once. */
  ready: { id: string };
  /** The panel opened (the visitor, or `open()`/`toggle()`). */
  open: null;
  /** The panel closed or was minimized. */
  close: null;
  /** A question was asked (typed, a card button, or `send()`); `turn` names its answer. */
  question: { turn: string; text: string };
  /** The final answer to `turn`, as the bot wrote it (its messages' text, a blank line
   * between; a card adds none). */
  answer: { turn: string; text: string };
  /** `turn`'s answer failed (the message the visitor reads), or the widget's code or config
   * could not be loaded, or `setLogin`'s `refresh` failed (no `turn`). */
  error: { turn?: string; message: string };
}

/** One widget on the page. Calls made before the widget's code has loaded wait for it; `open`,
 * `toggle` and `send` fetch it, while `setSessionAttributes` and `newConversation` are kept for
 * when it comes (a page that sets its context on every view costs no download). */
export interface LexstreamWidget {
  /** The widget's `data-id` (`""` for a page's only or first widget). */
  readonly id: string;
  /** The widget's host element (events are dispatched on it, and bubble). */
  readonly element: HTMLElement;
  /** Shows the panel. */
  open(): void;
  /** Hides the panel and ends the streaming connection; the conversation is kept. */
  close(): void;
  /** Hides the panel; an answer under way goes on. */
  minimize(): void;
  /** Shows the panel if hidden, else minimizes it. */
  toggle(): void;
  /** Asks `text` as the visitor would (the panel stays as it is). Throws a `TypeError` for an
   * empty or non-string question. */
  send(text: string): void;
  /** Starts a new conversation, as the panel's ↺ button does. */
  newConversation(): void;
  /** Sets Lex session attributes for the next questions of this conversation and of new ones
   * (`null` removes one), over the bot's own values; kept across a reload of the tab. They never
   * set the widget's streaming attributes or what the server owns. Lex flow only. Throws a
   * `TypeError` unless every value is a string or `null`. */
  setSessionAttributes(attributes: Record<string, string | null>): void;
  /** Signs the visitor in to the chat as the person `token` names: an OpenID Connect ID token
   * from `provider`, as the identity pool calls it (a Cognito user pool's
   * `cognito-idp.<region>.amazonaws.com/<pool id>`, or your OpenID Connect issuer's host). The
   * widget then uses Cognito's authenticated identity of that person — the same on every device —
   * and the pool's authenticated role. `setLogin(null)` signs out. A different person (or signing
   * out) starts a new conversation; the same person's new token is used from the next sign-in.
   * `refresh`, if given, is called for a new token five minutes before this one expires (halfway,
   * for tokens of under ten minutes; never sooner than ten seconds); it gives the token (or a promise of it). A refused token
   * shows the visitor the `signInRefused` text and fires `error`. Throws a `TypeError` for a
   * provider or token that is not a non-empty string, or a `refresh` that is not a function. */
  setLogin(provider: string, token: string, refresh?: () => string | Promise<string>): void;
  setLogin(provider: null): void;
  /** Calls `listener` with each `name` event's detail. */
  on<K extends keyof LexstreamEvents>(
    name: K,
    listener: (detail: LexstreamEvents[K], event: CustomEvent<LexstreamEvents[K]>) => void,
  ): void;
  /** Stops calling a listener given to `on`. */
  off<K extends keyof LexstreamEvents>(name: K, listener: (...args: never[]) => void): void;
  /** The page's widget with `data-id` `id` (nothing: the page's first widget). */
  widget(id?: string): LexstreamWidget | undefined;
  /** Calls `callback` with this widget (what a queued `push` becomes once the loader runs). */
  push(callback: (widget: LexstreamWidget) => void): void;
}

declare global {
  interface Window {
    /** The page's first widget; before the loader runs, an array of callbacks it will call. */
    lexstream: LexstreamWidget | Array<(widget: LexstreamWidget) => void>;
  }
  interface HTMLElement {
    /** On a widget's host element: that widget. */
    lexstream?: LexstreamWidget;
  }
}
