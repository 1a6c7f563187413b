/**
 * What `slipway init` writes: a spec and the tiny app it runs (only node: built-ins, so
 * `slipway init && slipway up` works in an empty directory with nothing installed). Every
 * comment describes something Slipway does today.
 * @example for (const [file, text] of Object.entries(starterFiles("shop"))) await writeFile(file, text)
 */
export function starterFiles(name: string): Record<string, string> {
  return { "slipway.config.ts": starterSpec(name), "server.mjs": SERVER, "cleanup.mjs": CLEANUP };
}

/**
 * The starter `slipway.config.ts`: a web service with its health check, a cron job, one route
 * and two environments, each commented with why it is there; add-ons and a release job are
 * shown commented out, ready to enable. `name` is written as a quoted string literal (never
 * spliced in as code); a name that breaks the naming rule is reported when the file is loaded.
 */
export function starterSpec(name: string): string {
  return `// The whole stack in one typed file. \`slipway up\` runs it on this machine behind an HAProxy
// edge; \`slipway deploy\` ships a change with zero downtime; \`slipway rollback\` goes back.
// Every field is checked when the file loads; \`slipway schema\` prints the JSON Schema.
import { defineStack } from "@slipway/spec";

export default defineStack({
  // Used in hostnames, paths and resource names: lowercase letters, digits and '-'.
  name: ${JSON.stringify(name)},

  services: {
    // Serves HTTP on $PORT. A new revision gets traffic only after GET /healthz answers 2xx,
    // so a build that cannot start never takes a request.
    web: {
      type: "web",
      // An argv array, run without a shell: no quoting bugs, no injection. Programs from the
      // app's dependencies are on PATH (node_modules/.bin comes first).
      command: ["node", "server.mjs"],
      health: { path: "/healthz", timeoutSeconds: 60 },
      env: { GREETING: "hello from Slipway" },
      // uses: ["db"],  // injects DATABASE_URL (see addons below)
    },

    // Runs on a schedule (UTC) with the live release's build and config. A run still going
    // when the next is due makes that one skip. Output: \`slipway logs cleanup\`.
    cleanup: {
      type: "cron",
      command: ["node", "cleanup.mjs"],
      schedule: "0 * * * *",
    },

    // Migrations belong in a release job: it runs once per release, before any traffic moves,
    // never on boot, and if it fails the live release keeps serving.
    // migrate: { type: "release", command: ["node", "migrate.mjs"], uses: ["db"] },
  },

  // Data services, each a real server on this machine (its own data directory under .slipway/).
  // A service lists the ones it needs under \`uses\` and gets their connection info as env vars.
  addons: {
    // db: { type: "postgres", databases: ["app"] },        // DATABASE_URL
    // queue: { type: "redis", evictionPolicy: "noeviction" }, // REDIS_URL; full = refuse writes, never drop jobs
    // files: { type: "bucket" },                           // S3_ENDPOINT, S3_BUCKET, AWS_* (S3-compatible)
  },

  // The edge sends every path on any host to web; add host or path routes as the app grows.
  routes: [{ path: "/", service: "web" }],

  // Isolated copies of the stack, each with its own add-ons, edge and scale
  // (\`slipway deploy --env prod\`). Write only what differs: env vars merge over the
  // service's, scale replaces it.
  environments: {
    local: { services: { web: { env: { GREETING: "hello from local" } } } },
    // Two web instances, so a crash or a deploy never leaves none serving.
    prod: { services: { web: { scale: { min: 2, max: 2 } } } },
  },
});
`;
}

const SERVER = `// A web service as Slipway runs it: listen on $PORT, answer /healthz, stop cleanly on SIGTERM.
import { createServer } from "node:http";

const server = createServer((req, res) => {
  if (req.url === "/healthz") {
    res.writeHead(200, { "content-type": "text/plain" }).end("ok\\n");
    return;
  }
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(\`\${process.env.GREETING} (\${process.env.SLIPWAY_RELEASE} in \${process.env.SLIPWAY_ENV})\\n\`);
});

// On a deploy the old revision gets SIGTERM once new requests go elsewhere: finish what is in
// flight, then exit.
process.on("SIGTERM", () => server.close(() => process.exit(0)));
server.listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log(\`listening on 127.0.0.1:\${process.env.PORT}\`);
});
`;

const CLEANUP = `// A cron job: do the work, print what happened, exit 0 (anything else is a failed run).
console.log(\`cleanup ran at \${new Date().toISOString()} (\${process.env.SLIPWAY_RELEASE})\`);
`;
