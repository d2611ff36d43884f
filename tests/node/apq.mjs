// Runs one query twice through Apollo Client 4's persisted-query link (hashes sent by GET)
// and prints JSON lines: {"request": {method, query, hash}} for each HTTP request the link
// makes (query: whether the query text was sent), {"result": data} or {"error": …} per run.
// Usage: node apq.mjs <graphql-url> <token|-> <query>
import { createHash } from "node:crypto";
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { PersistedQueryLink } from "@apollo/client/link/persisted-queries";

const [url, token, query] = process.argv.slice(2);
const print = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");

async function recordingFetch(input, init = {}) {
  const target = new URL(String(input));
  const method = (init.method || "GET").toUpperCase();
  const sent = method === "GET" ? Object.fromEntries(target.searchParams) : JSON.parse(init.body);
  const extensions =
    typeof sent.extensions === "string" ? JSON.parse(sent.extensions) : sent.extensions;
  print({
    request: {
      method,
      query: typeof sent.query === "string" && sent.query.length > 0,
      hash: extensions?.persistedQuery?.sha256Hash ?? null,
    },
  });
  return fetch(input, init);
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");
const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: ApolloLink.from([
    new PersistedQueryLink({ sha256, useGETForHashedQueries: true }),
    new HttpLink({
      uri: url,
      fetch: recordingFetch,
      headers: token === "-" ? {} : { Authorization: `Bearer ${token}` },
    }),
  ]),
});

const document = gql(query);
for (let run = 0; run < 2; run++) {
  try {
    const { data, error } = await client.query({ query: document, fetchPolicy: "network-only" });
    print(error ? { error: error.message } : { result: data });
  } catch (error) {
    print({ error: String(error?.message ?? error) });
  }
}
