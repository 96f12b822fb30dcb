// Lexstream's streaming socket, run in a dedicated worker: the browser's own cost of receiving a
// WebSocket message (about 0.1 ms of main-thread time each in Chromium, before any script runs)
// is paid on this thread, and messages that arrive close together reach the page as one batch.
// A fast stream of thousands of small frames then costs the page a few dozen tasks, not
// thousands. The widget (client/src/transport/socket.rs) starts it when this file is served from
// the page's origin (a worker script must be), and uses a socket on the main thread otherwise.
//
// The page posts ["open", url, protocols], ["send", text], ["disconnect"] (close the socket, which
// then ends as any other) and ["close"] (close it silently and stop the worker); the worker posts
// "opened", batches of messages, and "ended" once, when the socket fails or closes (after the
// messages it received before). A batch is one transferred ArrayBuffer holding each message in
// arrival order as its UTF-8 length in bytes (4 bytes, little-endian) then its UTF-8 bytes
// (read by client/src/transport/batch.rs): the page copies it into the widget's memory in one
// step, rather than converting a string per message on its own thread.

// The first message after a quiet spell goes at once; later ones wait at most this long: two
// screen frames. Each batch costs the page a fixed part (the event, the buffer's copy, the calls
// into the widget) besides its messages. The widget paints streamed text at most once a frame,
// and while paints are costly ~100 ms apart, so under load nothing shows later; on a fast,
// idle machine the text now moves up to 30 times a second rather than 60. At 33 ms rather than
// 16 the page's main thread spent ~10 % less on a 2,000-frame answer (render bench: a lower
// median in each of five interleaved sets; at 50 ms, no better and more frames late).
const BATCH_MS = 33;

const encoder = new TextEncoder();

let socket = null;
let batch = [];
let timer = 0;
let lastSent = -Infinity;

function sendBatch() {
  timer = 0;
  if (batch.length === 0) return;
  lastSent = performance.now();
  const bytes = encodeBatch(batch);
  batch = [];
  postMessage(bytes, [bytes]);
}

// The batch's buffer: each message's byte length, then its bytes.
function encodeBatch(messages) {
  const encoded = messages.map((message) => encoder.encode(message));
  const size = encoded.reduce((sum, bytes) => sum + 4 + bytes.length, 0);
  const buffer = new ArrayBuffer(size);
  const lengths = new DataView(buffer);
  const out = new Uint8Array(buffer);
  let at = 0;
  for (const bytes of encoded) {
    lengths.setUint32(at, bytes.length, true);
    out.set(bytes, at + 4);
    at += 4 + bytes.length;
  }
  return buffer;
}

function open(url, protocols) {
  let own;
  try {
    own = new WebSocket(url, protocols);
  } catch {
    postMessage('ended');
    return;
  }
  socket = own;
  own.onopen = () => postMessage('opened');
  own.onmessage = ({ data }) => {
    if (typeof data !== 'string') return;
    batch.push(data);
    if (!timer) timer = setTimeout(sendBatch, Math.max(0, lastSent + BATCH_MS - performance.now()));
  };
  own.onerror = own.onclose = () => {
    if (socket !== own) return;
    socket = null;
    clearTimeout(timer);
    sendBatch();
    postMessage('ended');
  };
}

self.onmessage = ({ data }) => {
  const [command, argument, protocols] = data;
  if (command === 'open' && !socket) {
    open(argument, protocols);
  } else if (command === 'send') {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(argument);
  } else if (command === 'disconnect') {
    if (socket) socket.close();
  } else if (command === 'close') {
    if (socket) {
      const closing = socket;
      socket = null;
      closing.onerror = closing.onclose = null;
      closing.close();
    }
    self.close();
  }
};
