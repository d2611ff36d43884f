// Subscribes with the graphql-sse client and prints one JSON line per result:
// {"next": …}, {"error": …} or {"complete": true}; exits after <count> results.
// Usage: node sse.mjs <url> <token|-> <distinct|single> <count> <query> [variables-json]
//        [last-event-id]
import { createClient } from "graphql-sse";

const [url, token, mode, countText, query, variablesText, lastEventId] = process.argv.slice(2);
const count = Number(countText);
const print = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

const headers = {};
if (token !== "-") headers.Authorization = `Bearer ${token}`;
if (lastEventId) headers["Last-Event-ID"] = lastEventId;

const client = createClient({
  url,
  singleConnection: mode === "single",
  headers,
  retryAttempts: 0,
  on: { connected: () => print({ connected: true }) },
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
        : { status: error?.response?.status, message: String(error?.message ?? error) };
      print({ error: detail });
      done(0);
    },
    complete: () => {
      print({ complete: true });
      done(0);
    },
  },
);
