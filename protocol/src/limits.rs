//! Every size, count and rate Lexstream holds visitors and services to, in one table: the AWS
//! services' own limits on the streaming path, the bounds on what a visitor sends (checked by
//! [`crate::input_bounds`] in the Lambdas, the devstack and the widget), and the defaults of the
//! per-visitor limits a deployment configures (`server-lambdas/template.yaml`).

// ----------------------------------------------------------------------------------------------
// The AWS services' limits.

/// API Gateway WebSocket: largest single WebSocket frame, either way (32 KB); a larger one closes
/// the connection with code 1009.
pub const APIGW_MAX_FRAME_BYTES: usize = 32 * 1024;
/// API Gateway WebSocket: largest message (possibly several frames), either way (128 KB).
pub const APIGW_MAX_MESSAGE_BYTES: usize = 128 * 1024;
/// API Gateway WebSocket: a connection idle this long is closed (10 minutes).
pub const APIGW_IDLE_TIMEOUT_SECS: u64 = 10 * 60;
/// API Gateway WebSocket: no connection lives longer than this (2 hours).
pub const APIGW_MAX_CONNECTION_SECS: u64 = 2 * 60 * 60;
/// How often the widget sends `{"action":"ping"}` so the idle timeout never fires (9 minutes).
pub const KEEPALIVE_INTERVAL_SECS: u64 = 9 * 60;
/// AppSync Events: most events in one publish call.
pub const APPSYNC_MAX_EVENTS_PER_PUBLISH: usize = 5;
/// AppSync Events: largest single event (240 KB).
pub const APPSYNC_MAX_EVENT_BYTES: usize = 240 * 1024;
/// Amazon Lex V2: longest `RecognizeText` text (the API's `Text` shape: 1 to 1024 characters,
/// which Lex counts in UTF-16 code units, as a browser's `maxlength` does).
pub const LEX_MAX_TEXT_CHARS: usize = 1024;

// ----------------------------------------------------------------------------------------------
// What a visitor may send (Lexstream's own bounds; each refusal says which one was crossed).

/// Longest question, in UTF-16 code units: Lex's own cap, applied to the `/chat` prompt of the
/// AppSync flow too, so a question that fits one transport fits the other. The widget's composer
/// has it as its `maxlength`.
pub const MAX_QUESTION_CHARS: usize = LEX_MAX_TEXT_CHARS;
/// Most session attributes one question may carry (the widget sends two of its own; a bot's
/// code hooks add theirs).
pub const MAX_SESSION_ATTRIBUTES: usize = 50;
/// Most bytes (UTF-8) of session attribute names and values together: the 12 KB Lex documents
/// for session attributes passed to and from a code hook.
pub const MAX_SESSION_ATTRIBUTES_BYTES: usize = 12 * 1024;
/// Largest message the widget sends on the WebSocket (`ping`, `stop`, `resume`, each under
/// 200 bytes with the longest turn id); `ws-connect` refuses anything larger unread, long before
/// API Gateway's own [`APIGW_MAX_FRAME_BYTES`].
pub const MAX_WIDGET_MESSAGE_BYTES: usize = 1024;
/// Largest `POST /chat` body (`{userId, prompt, turnId}` with the longest prompt, JSON-escaped,
/// fits several times over).
pub const MAX_CHAT_REQUEST_BYTES: usize = 16 * 1024;

// ----------------------------------------------------------------------------------------------
// Per-visitor limits: the defaults (the template's parameters set them; 0 turns one off).

/// Answers one identity may get per minute (`ANSWERS_PER_IDENTITY_PER_MINUTE`).
pub const DEFAULT_ANSWERS_PER_IDENTITY_PER_MINUTE: u32 = 10;
/// WebSocket `$connect`s one identity may make per minute (`CONNECTS_PER_IDENTITY_PER_MINUTE`):
/// room for reloads, several tabs and the widget's reconnects after drops.
pub const DEFAULT_CONNECTS_PER_IDENTITY_PER_MINUTE: u32 = 20;
/// The window the per-minute limits count in, in seconds.
pub const RATE_WINDOW_SECS: i64 = 60;

// What the widget holds of one turn's stream (`StreamAssembler`): a server, or anyone able to
// post to the connection, cannot make it keep frames without bound.

/// Most frames one turn holds while it waits for a gap to fill; a frame past this is ignored
/// (counted), and the gap is then closed by a `snapshot` when the widget resumes the turn.
pub const ASSEMBLER_MAX_HELD_FRAMES: usize = 64;
/// How far past the next expected `seq` a frame may be and still be held; further ahead it is
/// ignored (counted). A `snapshot` or `final` frame, which applies at once, may be any distance
/// ahead.
pub const ASSEMBLER_MAX_SEQ_AHEAD: u64 = 256;
