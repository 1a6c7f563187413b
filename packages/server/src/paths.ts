import { join } from "node:path";

/** Where everything of one project lives, under its `.slipway/` directory. */
export function statePaths(projectDir: string) {
  const root = join(projectDir, ".slipway");
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
    env: (env: string) => {
      const dir = join(root, "envs", env);
      return {
        dir,
        addon: (name: string) => join(dir, "addons", name),
        edge: join(dir, "edge"),
        logs: join(dir, "logs"),
        log: (processId: string) => join(dir, "logs", `${processId.replaceAll("/", "_")}.log`),
      };
    },
  };
}

export type StatePaths = ReturnType<typeof statePaths>;
