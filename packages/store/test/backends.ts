import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Backend {
  name: string;
  open(): Promise<{ databaseUrl?: string; dataDir?: string }>;
  cleanup(): Promise<void>;
}

/** The store's tests run against the embedded default and a real Postgres server. */
export function backends(): Backend[] {
  const dir = mkdtempSync(join(tmpdir(), "slipway-store-"));
  return [
    {
      name: "embedded PGlite",
      open: async () => ({ dataDir: join(dir, "pglite") }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    },
  ];
}
