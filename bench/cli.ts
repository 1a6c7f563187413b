// `npm run bench -- cli [--quick]`: wall time of `slipway --help` and `slipway status` (against
// a running control plane), as a person types them. Side by side, same machine, same run:
// bare `node -e ''` (the floor), the CLI from TypeScript source through tsx (how every
// command started before the prebuilt bundle; SLIPWAY_FROM_SOURCE=1 forces it), and the
// prebuilt bundle that `npm install` makes (what `slipway` runs now).
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { REPO, slipway } from "../e2e/harness";
import { freePort } from "../packages/driver-local/src/system/ports";

const BIN = join(REPO, "packages", "cli", "bin", "slipway.js");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** The smallest stack with a control plane to ask: one web service, no add-ons. */
function tinyProject(): string {
  const dir = mkdtempSync("/tmp/slipway-bench-cli-");
  chmodSync(dir, 0o755); // the unprivileged service user must enter it
  mkdirSync(join(dir, "node_modules", "@slipway"), { recursive: true });
  symlinkSync(join(REPO, "packages", "spec"), join(dir, "node_modules", "@slipway", "spec"));
  writeFileSync(join(dir, "package.json"), '{ "name": "tiny", "type": "module" }\n');
  writeFileSync(
    join(dir, "server.mjs"),
    'import { createServer } from "node:http";\ncreateServer((_q, s) => s.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");\n',
  );
  writeFileSync(
    join(dir, "slipway.config.ts"),
    `import { defineStack } from "@slipway/spec";
export default defineStack({
  name: "tiny",
  services: { web: { type: "web", command: ["node", "server.mjs"], health: { path: "/" } } },
  routes: [{ path: "/", service: "web" }],
  environments: { local: {} },
});
`,
  );
  return dir;
}

function wallMs(argv: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, { env, stdio: ["ignore", "pipe", "pipe"] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

export default async function cliBench({ quick }: { quick: boolean }) {
  const runs = quick ? 15 : 41;
  const build = spawnSync("npm", ["run", "build", "--silent"], { cwd: REPO, stdio: "inherit" });
  if (build.status !== 0) throw new Error("npm run build failed");
  const dir = tinyProject();
  try {
    const up = await slipway([
      "up",
      "--detach",
      "--dir",
      dir,
      "--port",
      String(await freePort()),
      "--api-port",
      "0",
    ]);
    if (up.code !== 0) throw new Error(up.stderr);
    const bundle = process.env;
    const source = { ...process.env, SLIPWAY_FROM_SOURCE: "1" };
    const cases = {
      "node -e ''": { help: ["-e", ""], status: ["-e", ""], env: bundle },
      "from source via tsx (before)": {
        help: [BIN, "--help"],
        status: [BIN, "status", "--dir", dir],
        env: source,
      },
      "prebuilt bundle (now)": { help: [BIN, "--help"], status: [BIN, "status", "--dir", dir], env: bundle },
    };
    const times = Object.fromEntries(
      Object.keys(cases).map((k) => [k, { help: [] as number[], status: [] as number[] }]),
    );
    // Interleaved, one warm-up round first, so load from other work hits every column alike.
    for (let i = -1; i < runs; i++)
      for (const [name, c] of Object.entries(cases)) {
        const help = wallMs(c.help, c.env);
        const status = wallMs(c.status, c.env);
        if (i >= 0) {
          times[name]!.help.push(help);
          times[name]!.status.push(status);
        }
      }

    const cell = (xs: number[]) => `${median(xs).toFixed(0)} ms`.padStart(30);
    console.log(`\nslipway command start to exit, wall time, median of ${runs} runs (interleaved)`);
    console.log(
      `${"".padEnd(16)}${Object.keys(cases)
        .map((k) => k.padStart(30))
        .join("")}`,
    );
    for (const cmd of ["help", "status"] as const)
      console.log(
        `${(cmd === "help" ? "slipway --help" : "slipway status").padEnd(16)}${Object.values(times)
          .map((t) => cell(t[cmd]))
          .join("")}`,
      );
    const now = times["prebuilt bundle (now)"]!;
    return { cli_status_ms: median(now.status).toFixed(0), cli_help_ms: median(now.help).toFixed(0) };
  } finally {
    await slipway(["down", "--dir", dir]);
    rmSync(dir, { recursive: true, force: true });
  }
}
