//! Sizes and timings imposed by the AWS services on the streaming path, in one place.

/// API Gateway WebSocket: largest single WebSocket frame a client receives (32 KB).
pub const APIGW_MAX_FRAME_BYTES: usize = 32 * 1024;
/// API Gateway WebSocket: largest message (possibly several frames) a client receives (128 KB).
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

// What the widget holds of one turn's stream (`StreamAssembler`): a server, or anyone able to
// post to the connection, cannot make it keep frames without bound.

/// Most frames one turn holds while it waits for a gap to fill; a frame past this is ignored
/// (counted), and the gap is then closed by a `snapshot` when the widget resumes the turn.
pub const ASSEMBLER_MAX_HELD_FRAMES: usize = 64;
/// How far past the next expected `seq` a frame may be and still be held; further ahead it is
/// ignored (counted). A `snapshot` or `final` frame, which applies at once, may be any distance
/// ahead.
pub const ASSEMBLER_MAX_SEQ_AHEAD: u64 = 256;
