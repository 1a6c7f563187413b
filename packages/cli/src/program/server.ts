import type { Command } from "commander";
import { act, fromSource, jsonOpt, port } from "./options";

// `server` runs the control plane: source, not the bundle (like `up`).
const serverCommand = () => fromSource<typeof import("../commands/server")>("commands/server.ts");
const installCommand = () => import("../commands/server-install");
const gcCommand = () => import("../commands/server-gc");

export function registerServerCommands(program: Command) {
  const server = program
    .command("server")
    .description("run the control plane on this host for CLIs and CI elsewhere: API over HTTPS")
    .option("--stack <name>", "the stack it runs (its spec's `name`); each deploy brings the spec")
    .option("--dir <path>", "instead: a stack directory on this host, whose spec and files it deploys")
    .option("--env <name>", "the environment --port is for (with --dir: the one it brings up)", "prod")
    .option("--listen <addr:port>", "where the API listens, e.g. 0.0.0.0:7443", "0.0.0.0:7443")
    .option("--data-dir <path>", "where its state lives (store, keys, builds, logs)", "/var/lib/slipway")
    .option("--cert <file>", "the API's TLS certificate chain (PEM); default: a generated self-signed one")
    .option("--key <file>", "the private key of --cert (PEM)")
    .option("--http", "plain HTTP instead of HTTPS (loopback addresses only)")
    .option("--port <port>", "the edge's public port for --env", port("--port"))
    .option("--edge-listen <addr>", "the IPv4 address the edges bind (0.0.0.0: all)", "0.0.0.0")
    .option("--edge-cert <file>", "terminate HTTPS at the edge with this certificate chain (PEM)")
    .option("--edge-key <file>", "the private key of --edge-cert (PEM)")
    .addOption(jsonOpt())
    .action(
      act(
        async (o: {
          stack?: string;
          dir?: string;
          env: string;
          listen: string;
          dataDir: string;
          cert?: string;
          key?: string;
          http?: boolean;
          port?: number;
          edgeListen: string;
          edgeCert?: string;
          edgeKey?: string;
          json?: boolean;
        }) => (await serverCommand()).server({ ...o, http: !!o.http, json: !!o.json }),
      ),
    );
  server
    .command("install")
    .description(
      "write the systemd unit template slipway@.service, one stack's settings and a Debian install script into --out",
    )
    .requiredOption("--out <dir>", "where the files go")
    .requiredOption(
      "--stack <name>",
      "the stack this instance runs (slipway@NAME.service); deploys bring its spec",
    )
    .option(
      "--listen <addr:port>",
      "where its API listens (each stack of a host its own port)",
      "0.0.0.0:7443",
    )
    .option("--env <name>", "the environment --port is for", "prod")
    .addOption(jsonOpt())
    .action(
      act(async (o: { out: string; stack: string; env: string; listen: string; json?: boolean }) =>
        (await installCommand()).install({ ...o, json: !!o.json }),
      ),
    );
  // `server` has --dir and --json of its own, and commander gives them to it wherever they
  // stand: `server gc --json` reads them from there.
  const runGc = act(async (o: { dir?: string; json?: boolean }) =>
    (await gcCommand()).gc({ dir: o.dir ?? ".", json: !!o.json }),
  );
  server
    .command("gc")
    .description(
      "remove uploaded blobs and source trees no kept release, rollout in flight or recent upload needs (admin); says what was freed (--json, --dir as for server)",
    )
    .action((_o: unknown, cmd: Command) => runGc(cmd.optsWithGlobals<{ dir?: string; json?: boolean }>()));
}
