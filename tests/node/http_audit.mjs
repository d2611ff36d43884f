// Runs the GraphQL-over-HTTP server audits of the `graphql-http` package against one endpoint
// and prints one JSON line per audit: {"id", "name", "status": "ok"|"notice"|"warn"|"error",
// "reason"}. Audits run one after another, so a small shared machine is not flooded.
// Usage: node http_audit.mjs <http-url-of-/graphql>
import { serverAudits } from "graphql-http";

const [url] = process.argv.slice(2);
if (!url) {
  process.stderr.write("usage: node http_audit.mjs <url>\n");
  process.exit(2);
}

for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") line.reason = result.reason;
  process.stdout.write(JSON.stringify(line) + "\n");
}
