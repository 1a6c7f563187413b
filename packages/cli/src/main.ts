import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { EXIT, fail } from "./output";

// Commands load on use: `slipway deploy` should not pay for the control plane and the spec
// loader (fastify, PGlite, zod) that only `up` and `validate` need.
const inspect = () => import("./commands/inspect");
const ship = () => import("./commands/ship");
const oneOff = () => import("./commands/one-off");
const promotion = () => import("./commands/promote");
const environments = () => import("./commands/environments");
const flagCommands = () => import("./commands/flags");
const configCommands = () => import("./commands/config");
const secretsCmd = () => import("./commands/secrets");
const spec = () => fromSource<typeof import("./commands/spec")>("commands/spec.ts");
const upCommand = () => fromSource<typeof import("./commands/up")>("commands/up.ts");
const renderCommand = () => fromSource<typeof import("./commands/render")>("commands/render.ts");

/** Defined as true in the prebuilt client bundle (packages/cli/scripts/bundle.mjs). */
declare const SLIPWAY_BUNDLED: boolean | undefined;

/**
 * Loads a module of this package from its TypeScript source. The prebuilt bundle holds only
 * the client commands; `up` and the spec commands run the control plane and the spec loader,
 * which stay source (they read files beside their sources), so the bundle registers tsx first.
 * The path is relative to src/ and to dist/ alike ("../src/…").
 */
async function fromSource<T>(file: string): Promise<T> {
  if (typeof SLIPWAY_BUNDLED !== "undefined") (await import("tsx/esm/api")).register();
  return import(new URL(`../src/${file}`, import.meta.url).href);
}

const port = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`${flag} takes a port number 0-65535, got ${JSON.stringify(v)}`);
  return n;
};
const releaseNumber = (flag: string) => (v: string) => {
  const n = Number(v.replace(/^v/, ""));
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${flag} takes a release like v3 or 3, got ${JSON.stringify(v)}`);
  return n;
};

const dirOpt = () =>
  new Option("--dir <path>", "the stack's directory (holds slipway.config.ts)").default(".");
const envOpt = () => new Option("--env <name>", "environment").default("local");
const jsonOpt = () => new Option("--json", "machine-readable output");

const program = new Command("slipway")
  .description("Deploy and operate a multi-service web stack from one typed spec.")
  .showSuggestionAfterError(true)
  .exitOverride((err) => {
    if (err.exitCode === 0) process.exit(0);
    process.exit(EXIT.badInput);
  });

/** Every action reports errors the same way and exits non-zero. */
const act =
  <A extends unknown[]>(fn: (...a: A) => Promise<void> | void) =>
  async (...a: A) => {
    const opts = a.find((x) => x && typeof x === "object" && "json" in (x as object)) as
      | { json?: boolean }
      | undefined;
    try {
      await fn(...a);
    } catch (e) {
      fail(e, !!opts?.json);
    }
  };

program
  .command("init")
  .description("write a starter stack (slipway.config.ts and a tiny app) that slipway up runs as written")
  .addOption(dirOpt())
  .action(act(async (o: { dir: string }) => (await spec()).init(o.dir)));

program
  .command("validate")
  .description("check slipway.config.ts and explain every problem")
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(act(async (o: { dir: string; json?: boolean }) => (await spec()).validate(o.dir, !!o.json)));

program
  .command("schema")
  .description("print the stack spec's JSON Schema")
  .action(act(async () => (await spec()).schema()));

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
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; env: string; ref?: string; json?: boolean }) =>
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
  .command("promote")
  .description("release the build live in <from> into <to>, with <to>'s config, under <to>'s promotion rule")
  .argument("<from>")
  .argument("<to>")
  .addOption(dirOpt())
  .option(
    "--release <release>",
    "promote this release of <from>, e.g. v3 (sets a hold on <to>)",
    releaseNumber("--release"),
  )
  .addOption(jsonOpt())
  .action(
    act(async (from: string, to: string, o: { dir: string; release?: number; json?: boolean }) =>
      (await promotion()).promote({ ...o, from, to, json: !!o.json }),
    ),
  );

program
  .command("approve")
  .description("approve a promotion awaiting approval (approver role); it is released")
  .argument("<promotion>")
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(
    act(async (id: string, o: { dir: string; json?: boolean }) =>
      (await promotion()).approve({ ...o, id, json: !!o.json }),
    ),
  );

program
  .command("reject")
  .description("reject a promotion awaiting approval (approver role): its build is never promoted again")
  .argument("<promotion>")
  .addOption(dirOpt())
  .option("--reason <text>", "why, for the event log", "rejected")
  .addOption(jsonOpt())
  .action(
    act(async (id: string, o: { dir: string; reason: string; json?: boolean }) =>
      (await promotion()).reject({ ...o, id, json: !!o.json }),
    ),
  );

program
  .command("promotions")
  .description("promotions, newest first: who asked, who decided, when")
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; json?: boolean }) => (await promotion()).list({ ...o, json: !!o.json })),
  );

const hold = program.command("hold").description("holds set by promoting a build by hand");
hold
  .command("lift")
  .description("lift an environment's hold: auto-deploy deploys it again")
  .addOption(dirOpt())
  .addOption(new Option("--env <name>", "environment").makeOptionMandatory())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; env: string; json?: boolean }) =>
      (await promotion()).liftHold({ ...o, json: !!o.json }),
    ),
  );

const autodeploy = program
  .command("autodeploy")
  .description("auto-deploy of an environment from its spec branch (admin only)");
for (const enabled of [true, false])
  autodeploy
    .command(enabled ? "enable" : "disable")
    .description(enabled ? "deploy each new commit of the environment's branch" : "stop auto-deploying")
    .addOption(dirOpt())
    .addOption(new Option("--env <name>", "environment").makeOptionMandatory())
    .option("--repo <path-or-url>", "the git repository to watch (default: the project's)")
    .addOption(jsonOpt())
    .action(
      act(async (o: { dir: string; env: string; repo?: string; json?: boolean }) =>
        (await promotion()).autoDeploy({ ...o, enabled, json: !!o.json }),
      ),
    );

program
  .command("manifest")
  .description("the deployment manifest: version, services with url and commit, infrastructure")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; env: string; json?: boolean }) =>
      (await environments()).manifest({ ...o, json: !!o.json }),
    ),
  );

program
  .command("diff")
  .description("what differs between two environments: build, config keys, scale, strategy")
  .argument("<a>")
  .argument("<b>")
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(
    act(async (a: string, b: string, o: { dir: string; json?: boolean }) =>
      (await environments()).diff({ ...o, a, b, json: !!o.json }),
    ),
  );

program
  .command("status")
  .description("environments, releases, processes, health and URLs")
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; json?: boolean }) => (await inspect()).status({ ...o, json: !!o.json })),
  );

program
  .command("releases")
  .description("the releases of an environment, newest first")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; env: string; json?: boolean }) =>
      (await inspect()).releases({ ...o, json: !!o.json }),
    ),
  );

const positive = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1)
    throw new InvalidArgumentError(`${flag} takes a whole number ≥ 1, got ${JSON.stringify(v)}`);
  return n;
};

program
  .command("events")
  .description("the event log, newest first: who did what, when, why")
  .addOption(dirOpt())
  .option("--limit <n>", "how many events (at most 1000)", positive("--limit"), 100)
  .option(
    "--before <seq>",
    "only events older than this sequence number (the next page)",
    positive("--before"),
  )
  .option("--after <seq>", "only events newer than this sequence number", positive("--after"))
  .option("--subject <id>", "only events about this rollout, release, token or route")
  .addOption(jsonOpt())
  .action(
    act(
      async (o: {
        dir: string;
        limit: number;
        before?: number;
        after?: number;
        subject?: string;
        json?: boolean;
      }) => (await inspect()).events({ ...o, json: !!o.json }),
    ),
  );

program
  .command("logs")
  .description("a service's output")
  .argument("<service>")
  .addOption(dirOpt())
  .addOption(envOpt())
  .option("-f, --follow", "keep printing new lines")
  .option("-n, --lines <n>", "how many lines from the end", (v) => Number(v), 100)
  .option(
    "--release <release>",
    "that release's output, e.g. a failed deploy's (default: live)",
    releaseNumber("--release"),
  )
  .action(
    act(
      async (
        service: string,
        o: { dir: string; env: string; follow?: boolean; lines: number; release?: number },
      ) => (await inspect()).logs({ ...o, service, follow: !!o.follow }),
    ),
  );

program
  .command("run")
  .description("run a one-off process with a service's environment, e.g. slipway run api -- node migrate.mjs")
  .argument("<service>")
  .argument("<argv...>", "the program and its arguments, after --")
  .addOption(dirOpt())
  .addOption(envOpt())
  .option(
    "--release <release>",
    "that release's build and config (default: live)",
    releaseNumber("--release"),
  )
  .action(
    act(async (service: string, argv: string[], o: { dir: string; env: string; release?: number }) =>
      (await oneOff()).run({ ...o, service, argv }),
    ),
  );

program
  .command("psql")
  .description("psql connected to a postgres add-on as the app's role; psql's own arguments go after --")
  .argument("<addon>")
  .argument("[args...]")
  .addOption(dirOpt())
  .addOption(envOpt())
  .action(
    act(async (addon: string, args: string[], o: { dir: string; env: string }) =>
      (await oneOff()).psql({ ...o, addon, args }),
    ),
  );

program
  .command("down")
  .description("stop every process, the edge and the add-ons (data is kept)")
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; json?: boolean }) => (await inspect()).down({ ...o, json: !!o.json })),
  );

/** `30d`, `12h`, `90m`, `2w` → seconds. */
const duration = (v: string) => {
  const m = /^(\d+)([mhdw])$/.exec(v.trim());
  const n = m ? Number(m[1]) : 0;
  if (!m || n < 1)
    throw new InvalidArgumentError(
      `--expires takes a duration like 90m, 12h, 30d or 2w, got ${JSON.stringify(v)}`,
    );
  return n * { m: 60, h: 3600, d: 86400, w: 604800 }[m[2] as "m" | "h" | "d" | "w"];
};

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

program
  .command("render")
  .description(
    "write the stack for another engine to run: kubernetes (manifests) or compose; nothing running is touched",
  )
  .argument("<target>", "kubernetes or compose")
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
          json?: boolean;
        },
      ) => (await renderCommand()).render({ ...o, target: renderTarget, json: !!o.json }),
    ),
  );

const tokens = program.command("tokens").description("API tokens (admin only)");
tokens
  .command("create")
  .description("create a token (printed once)")
  .requiredOption("--name <name>", "who or what uses it")
  .addOption(
    new Option("--role <role>", "what it may do")
      .choices(["viewer", "deployer", "approver", "admin"])
      .makeOptionMandatory(),
  )
  .option("--expires <duration>", "stop working after this long, e.g. 30d (default: never)", duration)
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; name: string; role: string; expires?: number; json?: boolean }) =>
      (await inspect()).createToken({ ...o, json: !!o.json }),
    ),
  );
tokens
  .command("list")
  .description("every token: id, name, role, state, expiry (never the token itself)")
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; json?: boolean }) => (await inspect()).listTokens({ ...o, json: !!o.json })),
  );
tokens
  .command("revoke")
  .description("revoke a token at once, by id or by name")
  .argument("<id-or-name>")
  .addOption(dirOpt())
  .addOption(jsonOpt())
  .action(
    act(async (ref: string, o: { dir: string; json?: boolean }) =>
      (await inspect()).revokeToken({ ...o, ref, json: !!o.json }),
    ),
  );

const percent = (v: string) => {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n > 100)
    throw new InvalidArgumentError(`--percent takes a number 0-100, got ${JSON.stringify(v)}`);
  return n;
};
const keyList = (v: string) => {
  const keys = v.split(",").map((k) => k.trim());
  if (keys.some((k) => k === ""))
    throw new InvalidArgumentError(
      `--allow takes keys separated by commas, like alice,bob; got ${JSON.stringify(v)}`,
    );
  return keys;
};

const flags = program
  .command("flags")
  .description("feature flags and kill switches: running services follow at once");
flags
  .command("list")
  .description("every flag of the environment with its state, default and kind")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: { dir: string; env: string; json?: boolean }) =>
      (await flagCommands()).list({ ...o, json: !!o.json }),
    ),
  );
flags
  .command("set")
  .description("turn a flag on or off, optionally for a sticky share of users or an allow-list (deployer)")
  .argument("<name>")
  .addArgument(new Argument("<value>", "on or off").choices(["on", "off"]))
  .option("--percent <n>", "once on, the share of users (keys) that get it, 0-100", percent)
  .option("--allow <keys>", "keys that get it whenever it is on, comma-separated", keyList)
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(
      async (
        name: string,
        value: "on" | "off",
        o: { dir: string; env: string; percent?: number; allow?: string[]; json?: boolean },
      ) => (await flagCommands()).set({ ...o, name, value, json: !!o.json }),
    ),
  );
flags
  .command("history")
  .description("every change of a flag, newest first: who, when, what")
  .argument("<name>")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (name: string, o: { dir: string; env: string; json?: boolean }) =>
      (await flagCommands()).history({ ...o, name, json: !!o.json }),
    ),
  );

program
  .command("config")
  .description("the config releases run with")
  .command("diff")
  .description("which config keys (services, env, routes, add-ons, flags) differ between two releases")
  .argument("<from>", "a release, e.g. v2", releaseNumber("<from>"))
  .argument("<to>", "a release, e.g. v3", releaseNumber("<to>"))
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (from: number, to: number, o: { dir: string; env: string; json?: boolean }) =>
      (await configCommands()).diff({ ...o, from, to, json: !!o.json }),
    ),
  );

type SecretOpts = { dir: string; env: string; json?: boolean };
const secrets = program
  .command("secrets")
  .description("encrypted secrets per environment: set, list, get, rotate, history, import");
secrets
  .command("list")
  .description("secrets with their version, rotation status (overdue?) and what is published; never values")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(act(async (o: SecretOpts) => (await secretsCmd()).list({ ...o, json: !!o.json })));
secrets
  .command("set")
  .description("set a declared secret from stdin (or --from-file); services using it restart onto it")
  .argument("<name>")
  .option("--from-file <path>", "read the value from a file (e.g. a certificate)")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (name: string, o: SecretOpts & { fromFile?: string }) =>
      (await secretsCmd()).set({ ...o, name, json: !!o.json }),
    ),
  );
secrets
  .command("get")
  .description("print a secret's value (admin only; every read is an audit event)")
  .argument("<name>")
  .option("--version <n>", "an older version (default: the newest)", positive("--version"))
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (name: string, o: SecretOpts & { version?: number }) =>
      (await secretsCmd()).get({ ...o, name, json: !!o.json }),
    ),
  );
secrets
  .command("rotate")
  .description(
    "a new value (generated, or from stdin / --from-file); the old one stays as NAME_PREVIOUS for the overlap",
  )
  .argument("<name>")
  .option("--from-file <path>", "read the new value from a file")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (name: string, o: SecretOpts & { fromFile?: string }) =>
      (await secretsCmd()).rotate({ ...o, name, json: !!o.json }),
    ),
  );
secrets
  .command("history")
  .description("a secret's versions: when, by whom, under which master key")
  .argument("<name>")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (name: string, o: SecretOpts) => (await secretsCmd()).history({ ...o, name, json: !!o.json })),
  );
secrets
  .command("import")
  .description(
    "set the declared secrets found in .env.local (else .env), --from FILE, or one from --file PATH --name NAME",
  )
  .option("--from <path>", "a .env file")
  .option("--file <path>", "a whole file as one secret's value (certificate, key)")
  .option("--name <name>", "the secret --file sets")
  .addOption(dirOpt())
  .addOption(envOpt())
  .addOption(jsonOpt())
  .action(
    act(async (o: SecretOpts & { from?: string; file?: string; name?: string }) =>
      (await secretsCmd()).importSecrets({ ...o, json: !!o.json }),
    ),
  );

await program.parseAsync(process.argv).catch((e) => fail(e, false));
