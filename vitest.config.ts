import { defineConfig } from "vitest/config";

// Integration and end-to-end tests start real Postgres, Redis and HAProxy processes; on a
// 2-core machine two files at a time keeps them from starving each other's health checks.
export default defineConfig({
  test: {
    include: ["packages/*/src/**/*.test.ts", "packages/*/test/**/*.test.ts", "e2e/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
