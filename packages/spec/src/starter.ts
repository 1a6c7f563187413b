/**
 * The text of a starter `slipway.config.ts` for `slipway init`: a web service, a worker, a
 * release job, postgres + redis + bucket, one route and four environments, each commented with
 * why it is there. `name` is written as a quoted string literal (never spliced in as code); a
 * name that breaks the naming rule is reported when the file is loaded.
 * @example await writeFile("slipway.config.ts", starterSpec("shop"))
 */
export function starterSpec(name: string): string {
  return `// The whole stack in one typed file. \`slipway up\` runs it locally on real Postgres and Redis;
// \`slipway deploy\` and \`slipway promote\` move one immutable build through the environments below.
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
      // An argv array, run without a shell: no quoting bugs, no injection.
      command: ["node", "server.js"],
      health: { path: "/healthz", timeoutSeconds: 60 },
      // Each add-on listed here injects its connection info (DATABASE_URL, REDIS_URL, S3_*).
      uses: ["db", "queue", "uploads"],
      env: { LOG_LEVEL: "info" },
    },

    // Takes jobs off the Redis queue, so slow work (email, thumbnails) stays off the request path.
    worker: {
      type: "worker",
      command: ["node", "worker.js"],
      uses: ["db", "queue", "uploads"],
      // On SIGTERM it may finish the job in hand for this long before it is killed.
      drainSeconds: 60,
    },

    // Runs once per release, before any traffic moves. Migrations live here, never on boot:
    // two instances can't race to migrate, and if it fails the live release keeps serving.
    migrate: {
      type: "release",
      command: ["node", "migrate.js"],
      uses: ["db"],
    },
  },

  addons: {
    // A real PostgreSQL server per environment, with backups and point-in-time restore.
    db: { type: "postgres", databases: ["app"] },
    // noeviction: a full Redis refuses writes instead of silently dropping queued jobs.
    queue: { type: "redis", maxmemory: "128mb", evictionPolicy: "noeviction" },
    // S3-compatible storage, so uploaded files never live on one machine's disk.
    uploads: { type: "bucket" },
  },

  // The edge proxy sends every path on any host to web; add host or path routes as the app grows.
  routes: [{ path: "/", service: "web" }],

  // Isolated copies of the stack, each with its own add-ons, secrets and scale. Write only what
  // differs: env vars merge over the service's, scale replaces it.
  environments: {
    local: { services: { web: { env: { LOG_LEVEL: "debug" } } } },
    dev: {},
    staging: {},
    // At least two web instances, so a crash or a deploy never leaves none serving.
    prod: {
      services: {
        web: { scale: { min: 2, max: 6 } },
        worker: { scale: { min: 1, max: 4 } },
      },
    },
  },
});
`;
}
