import { join } from "node:path";

/**
 * Where everything of one project lives: its `.slipway/` directory, or the data directory
 * `slipway server` was given (`/var/lib/slipway`), which then holds only state, no source.
 */
export function statePaths(projectDir: string, dataDir?: string) {
  const root = dataDir ?? join(projectDir, ".slipway");
  return {
    root,
    store: join(root, "store"),
    masterKey: join(root, "master.key"),
    server: join(root, "server.json"),
    credentials: join(root, "credentials.json"),
    controlPlaneLog: join(root, "control-plane.log"),
    builds: join(root, "builds"),
    deps: join(root, "deps"),
    /** Uploaded file blobs, by SHA-256 (sources/blob-store.ts). */
    blobs: join(root, "blobs"),
    /** Uploaded trees written out from blobs, by tree hash: what a deploy of an upload builds. */
    sources: join(root, "sources"),
    /**
     * A server with no stack directory of its own: a link to the uploaded tree whose spec was
     * deployed last (sources/<hash>), which is the stack's spec until the next deploy.
     */
    stack: join(root, "stack"),
    env: (env: string) => {
      const dir = join(root, "envs", env);
      return {
        dir,
        addon: (name: string) => join(dir, "addons", name),
        /** A postgres add-on's backup repository (WAL and base backups, encrypted). */
        backups: (name: string) => join(dir, "backups", name),
        /** Restored copies (a restore's new instance, a drill's scratch one), never inside the live one. */
        restore: (name: string, runId: string) => join(dir, "restores", `${name}-${runId}`),
        edge: join(dir, "edge"),
        logs: join(dir, "logs"),
        log: (processId: string) => join(dir, "logs", `${processId.replaceAll("/", "_")}.log`),
      };
    },
  };
}

export type StatePaths = ReturnType<typeof statePaths>;
