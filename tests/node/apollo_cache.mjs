// Apollo Client 4 as a frontend uses it: HTTP for queries, graphql-ws for subscriptions, one
// normalised cache. Caches a Task, subscribes to its changes, waits for one event, then reads
// the Task from the cache alone. Prints JSON lines: {"cached": task}, {"subscribed": true},
// {"event": data}, {"fromCache": task}, {"httpRequests": n} (every HTTP request it made).
// Usage: node apollo_cache.mjs <graphql-url> <ws-url> <token> <task-id>
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { GraphQLWsLink } from "@apollo/client/link/subscriptions";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [httpUrl, wsUrl, token, taskId] = process.argv.slice(2);
const print = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const auth = { Authorization: `Bearer ${token}` };

let httpRequests = 0;
const countingFetch = (input, init) => {
  httpRequests += 1;
  return fetch(input, init);
};

const wsClient = createClient({
  url: wsUrl,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  connectionParams: auth,
  on: { connected: () => print({ subscribed: true }) },
});
const isSubscription = ({ query }) =>
  query.definitions.some((d) => d.kind === "OperationDefinition" && d.operation === "subscription");
const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: ApolloLink.split(
    isSubscription,
    new GraphQLWsLink(wsClient),
    new HttpLink({ uri: httpUrl, fetch: countingFetch, headers: auth }),
  ),
});

const TASK = gql`
  query Task($id: ID!) {
    task(id: $id) { id name status priority }
  }
`;
const CHANGES = gql`
  subscription Changes($id: ID!) {
    taskUpdated(id: $id) { id type task { id name status priority } }
  }
`;

const finish = (code) => {
  wsClient.dispose();
  setTimeout(() => process.exit(code), 50);
};
setTimeout(() => {
  print({ error: "timed out" });
  finish(1);
}, 30000);

const { data } = await client.query({ query: TASK, variables: { id: taskId } });
print({ cached: data.task });
const subscription = client.subscribe({ query: CHANGES, variables: { id: taskId } }).subscribe({
  next: (result) => {
    print({ event: result.data });
    const fromCache = client.readQuery({ query: TASK, variables: { id: taskId } });
    print({ fromCache: fromCache?.task ?? null });
    print({ httpRequests });
    subscription.unsubscribe();
    finish(0);
  },
  error: (error) => {
    print({ error: String(error?.message ?? error) });
    finish(1);
  },
});
