import { defineStack } from "@slipway/spec";

// The reference stack: a public api and storefront, a private service the api calls, a queue
// worker, and migrations run as the release job. The same spec deploys every environment.
export default defineStack({
  name: "shop",
  services: {
    // Runs once per release, before any traffic moves; a failure keeps the live release.
    migrate: {
      type: "release",
      command: ["node", "migrate.mjs"],
      uses: ["db"],
    },
    api: {
      type: "web",
      command: ["node", "api.mjs"],
      health: { path: "/healthz" },
      env: { GREETING: "hello from v1", JOB_BACKOFF_MS: "500" },
      uses: ["db", "cache", "files"],
      calls: ["rates"],
    },
    // No route: reachable only by the services that list it under `calls`.
    rates: {
      type: "web",
      command: ["node", "rates.mjs"],
      env: { BASE_RATE: "1.1" },
    },
    worker: {
      type: "worker",
      command: ["node", "worker.mjs"],
      env: { WORKER_CONCURRENCY: "2" },
      uses: ["db", "cache"],
      // The BullMQ queue it consumes: on Kubernetes, KEDA scales it on this queue's waiting jobs.
      queue: "jobs",
    },
    web: {
      type: "web",
      command: ["node", "web.mjs"],
    },
  },
  addons: {
    db: { type: "postgres", databases: ["shop"] },
    // A full Redis refuses writes instead of silently dropping queued jobs.
    cache: { type: "redis", evictionPolicy: "noeviction" },
    files: { type: "bucket" },
  },
  // The longest prefix wins, so /api/... goes to the api and everything else to web.
  routes: [
    { path: "/api", service: "api" },
    { path: "/", service: "web" },
  ],
  environments: {
    local: {},
    dev: {},
    staging: {},
    prod: {
      services: {
        api: { scale: { min: 2, max: 4 }, resources: { cpu: "500m", memory: "512Mi" } },
        worker: { scale: { min: 1, max: 4 } },
      },
    },
  },
});
