import { type Command, InvalidArgumentError, Option } from "commander";
import { act, dirOpt, envOpt, fromSource, jsonOpt, port, releaseNumber } from "./options";

// `up` and `render` run the control plane or the spec loader: source, not the bundle.
const ship = () => import("../commands/ship");
const upCommand = () => fromSource<typeof import("../commands/up")>("commands/up.ts");
const renderCommand = () => fromSource<typeof import("../commands/render")>("commands/render.ts");

/** A build id is an image tag and a label value: letters, digits, '.', '_', '-'. */
const buildId = (v: string) => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/.test(v))
    throw new InvalidArgumentError(
      `--build takes a build id like 3f2a9c1e0b7d (letters, digits, '.', '_', '-'), got ${JSON.stringify(v)}`,
    );
  return v;
};
const registry = (v: string) => {
  if (!/^[a-z0-9][a-z0-9.:_/-]*$/i.test(v))
    throw new InvalidArgumentError(
      `--registry takes a registry and path like ghcr.io/acme, got ${JSON.stringify(v)}`,
    );
  return v;
};

export function registerShipCommands(program: Command) {
  program
    .command("up")
    .description("run the stack locally: add-ons, edge, control plane, first deploy")
    .addOption(dirOpt())
    .addOption(envOpt())
    .option("--port <port>", "the edge's public port (default 8080)", port("--port"))
    .option("--api-port <port>", "the control plane API port (0 = any free)", port("--api-port"), 7700)
    .option("--detach", "run the control plane in the background")
    .addOption(jsonOpt())
    .action(
      act(
        async (o: {
          dir: string;
          env: string;
          port?: number;
          apiPort: number;
          detach?: boolean;
          json?: boolean;
        }) => (await upCommand()).up({ ...o, detach: !!o.detach, json: !!o.json }),
      ),
    );

  program
    .command("deploy")
    .description("build the stack and roll it out as a new release")
    .addOption(dirOpt())
    .addOption(envOpt())
    .option("--ref <git-ref>", "build this commit instead of the working tree")
    // Upload the tree by content even to a control plane on this machine (tests, benchmarks);
    // a remote one always gets it uploaded.
    .addOption(new Option("--upload").hideHelp())
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; env: string; ref?: string; upload?: boolean; json?: boolean }) =>
        (await ship()).deploy({ ...o, json: !!o.json }),
      ),
    );

  program
    .command("rollback")
    .description("roll back to an earlier release (its build and its config), as a new release")
    .addOption(dirOpt())
    .addOption(envOpt())
    .option(
      "--to <release>",
      "the release to go back to, e.g. v2 (default: the previous one)",
      releaseNumber("--to"),
    )
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; env: string; to?: number; json?: boolean }) =>
        (await ship()).rollback({ ...o, json: !!o.json }),
      ),
    );

  program
    .command("render")
    .description(
      "write the stack for another engine to run: kubernetes (manifests), compose, or github-actions (CI workflows of the whole pipeline); nothing running is touched",
    )
    .argument("<target>", "kubernetes, compose or github-actions")
    .addOption(dirOpt())
    .addOption(envOpt())
    .option("--out <dir>", "where the files go (empty, or an earlier render's directory)")
    .option(
      "--release <release>",
      "render this release (default: the live one, else the spec)",
      releaseNumber("--release"),
    )
    .option(
      "--build <id>",
      "render the spec as it is now with this build (default: the working tree's)",
      buildId,
    )
    .option("--registry <registry>", "the image registry and path, e.g. ghcr.io/acme", registry)
    .option("--overlays", "kubernetes: every environment of the spec, one directory (namespace) each")
    .addOption(jsonOpt())
    .action(
      act(
        async (
          renderTarget: string,
          o: {
            dir: string;
            env: string;
            out?: string;
            release?: number;
            build?: string;
            registry?: string;
            overlays?: boolean;
            json?: boolean;
          },
        ) => (await renderCommand()).render({ ...o, target: renderTarget, json: !!o.json }),
      ),
    );
}
