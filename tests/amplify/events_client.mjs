// A third-party AppSync Events client against the devstack: the Amplify JavaScript library's
// `events` API (aws-amplify 6), run by tests/tests/devstack_appsync_amplify.rs.
//
//   node events_client.mjs <http endpoint, e.g. http://127.0.0.1:8080/event> <api key> <channel>
//
// It connects, subscribes to <channel>, publishes two events over HTTP (events.post) and prints
// one JSON line per event it receives, then "done". Amplify always opens wss:// for endpoints
// that are not AWS's; the devstack speaks plain ws://, so WebSocket is wrapped to say ws://.
import { Amplify } from 'aws-amplify';
import { events } from 'aws-amplify/data';

const [endpoint, apiKey, channel] = process.argv.slice(2);
const Native = globalThis.WebSocket;
globalThis.WebSocket = class extends Native {
  constructor(url, protocols) {
    super(String(url).replace(/^wss:\/\//, 'ws://'), protocols);
  }
};

Amplify.configure({
  API: { Events: { endpoint, region: 'us-east-1', defaultAuthMode: 'apiKey', apiKey } },
});

const fail = (what, error) => {
  console.error(what, error && (error.stack || JSON.stringify(error)));
  process.exit(1);
};
setTimeout(() => fail('timed out'), 15000).unref();

const received = [];
const connection = await events.connect(channel);
const subscription = connection.subscribe({
  next: (data) => {
    received.push(data);
    console.log(JSON.stringify(data));
    if (received.length === 2) {
      subscription.unsubscribe();
      connection.close();
      console.log('done');
      process.exit(0);
    }
  },
  error: (error) => fail('subscription error', error),
});
await new Promise((resolve) => setTimeout(resolve, 300));
try {
  await events.post(channel, [{ n: 1, text: 'hello' }, { n: 2, text: 'world' }]);
} catch (error) {
  fail('publish failed', error);
}
