import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { addonDriver } from "@slipway/driver-local";

export interface Backend {
  name: string;
  open(): Promise<{ databaseUrl?: string; dataDir?: string }>;
  cleanup(): Promise<void>;
}

/**
 * The store's tests run against both kinds of server it is given: a PostgreSQL cluster, started
 * by the local driver's cluster code as the control plane's embedded store is (and as
 * SLIPWAY_DATABASE_URL would point at), and PGlite, the fallback where no server is installed.
 */
export function backends(): Backend[] {
  const dir = mkdtempSync("/tmp/slipway-store-");
  chmodSync(dir, 0o755);
  const pg = addonDriver("postgres");
  const spec = { type: "postgres" as const, version: 15, databases: ["control"] };
  const record = {
    env: "test",
    name: "control",
    kind: "postgres" as const,
    port: 0,
    password: "store-test-password",
    dataDir: join(dir, "pg"),
  };
  return [
    {
      name: "PGlite (fallback)",
      open: async () => ({ dataDir: join(dir, "pglite") }),
      cleanup: async () => rmSync(join(dir, "pglite"), { recursive: true, force: true }),
    },
    {
      name: "PostgreSQL server",
      async open() {
        const { freePort } = await import("@slipway/driver-local");
        record.port = await freePort();
        await pg.ensure(spec, record);
        return { databaseUrl: pg.connectionEnv(spec, record).DATABASE_URL };
      },
      async cleanup() {
        await pg.stop(record);
        rmSync(dir, { recursive: true, force: true });
      },
    },
  ];
}
