// Subscribes with the graphql-ws client (what frontends use) and prints one JSON line per
// message: {"next": …}, {"error": …}, {"closed": {code, reason}} or {"complete": true}.
// Usage: node subscribe.mjs <ws-url> <token|-> <count> <query> [variables-json]
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, countText, query, variablesText] = process.argv.slice(2);
const count = Number(countText);
const print = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: token === "-" ? {} : { Authorization: `Bearer ${token}` },
  on: {
    connected: () => print({ connected: true }),
    closed: (event) => print({ closed: { code: event.code, reason: event.reason } }),
  },
});

let received = 0;
const done = (code) => {
  client.dispose();
  setTimeout(() => process.exit(code), 50);
};

client.subscribe(
  { query, variables: variablesText ? JSON.parse(variablesText) : {} },
  {
    next: (result) => {
      print({ next: result });
      received += 1;
      if (received >= count) done(0);
    },
    error: (error) => {
      const detail = Array.isArray(error)
        ? error
        : { code: error?.code, reason: error?.reason, message: String(error?.message ?? error) };
      print({ error: detail });
      done(0);
    },
    complete: () => {
      print({ complete: true });
      done(0);
    },
  },
);
