import { spawn } from "node:child_process";
import { constants } from "node:os";
import { isLoopbackHost, SlipwayError } from "@slipway/core";
import { requireBinary } from "@slipway/driver-local/binaries";
import { api, type Target, target } from "../client";

interface OneOff {
  release: number;
  cwd: string;
  env: Record<string, string>;
  runAs: { uid: number; gid: number } | null;
}

interface Connection {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
}

/**
 * `slipway run <service> -- <argv…>`: a one-off process with the service's environment, in
 * its release's build directory, attached to this terminal (like `heroku run`). The control
 * plane hands over what a replica would get; the process runs here, from the argv (no shell),
 * as the unprivileged service user when we are root, and its exit code becomes ours.
 */
export async function run(o: {
  dir: string;
  env: string;
  service: string;
  release?: number;
  argv: string[];
}): Promise<void> {
  const p = await api<OneOff>(
    onThisMachine(o.dir, "run"),
    "POST",
    `/v1/environments/${encodeURIComponent(o.env)}/one-off`,
    {
      service: o.service,
      ...(o.release !== undefined ? { release: o.release } : {}),
    },
  );
  const asServiceUser = p.runAs && process.getuid?.() === 0 ? { uid: p.runAs.uid, gid: p.runAs.gid } : {};
  // Attached to this terminal, so it may need to know what the terminal is.
  const env = { ...p.env, ...(process.env.TERM ? { TERM: process.env.TERM } : {}) };
  await attached(o.argv, { cwd: p.cwd, env, ...asServiceUser }, `the service's PATH (${p.env.PATH})`);
}

/**
 * `run` and `psql` start a process here with what the control plane hands over (the build
 * directory, the add-on on its loopback): that works only beside the control plane, and a
 * remote one's secrets have no business on this machine.
 */
function onThisMachine(dir: string, command: string): Target {
  const t = target(dir);
  if (!t.dir && !isLoopbackHost(new URL(t.url).hostname))
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `slipway ${command} runs on the control plane's machine, and ${t.url}${t.context ? ` (context ${t.context})` : ""} is another one`,
      `run it there: ssh to the server and run slipway ${command} on it with SLIPWAY_URL, SLIPWAY_TOKEN and SLIPWAY_FINGERPRINT set`,
    );
  return t;
}

/**
 * `slipway psql <addon> [-- args…]`: psql as the add-on's application role. The password goes
 * in the child's environment (PGPASSWORD), never on its command line, where `ps` shows it.
 */
export async function psql(o: { dir: string; env: string; addon: string; args: string[] }): Promise<void> {
  const bin = requireBinary("psql", "postgresql-client");
  const c = await api<Connection>(
    onThisMachine(o.dir, "psql"),
    "POST",
    `/v1/environments/${encodeURIComponent(o.env)}/addons/${encodeURIComponent(o.addon)}/connection`,
  );
  const env = {
    ...process.env,
    PGHOST: c.host,
    PGPORT: String(c.port),
    PGUSER: c.user,
    PGDATABASE: c.database,
    PGPASSWORD: c.password,
  };
  await attached([bin, ...o.args], { cwd: process.cwd(), env }, "PATH");
}

/**
 * Runs argv with this terminal as its stdio and exits with its code (128 + n when killed by
 * signal n, as a shell reports it). We wait for the child to decide what Ctrl-C means.
 */
function attached(
  argv: string[],
  opts: { cwd: string; env: Record<string, string | undefined>; uid?: number; gid?: number },
  where: string,
): Promise<never> {
  return new Promise((_, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { ...opts, stdio: "inherit", shell: false });
    // The terminal sends Ctrl-C and Ctrl-\ to the child too; a signal sent to us alone is passed on.
    for (const s of ["SIGINT", "SIGQUIT"] as const) process.on(s, () => {});
    for (const s of ["SIGTERM", "SIGHUP"] as const) process.on(s, () => child.kill(s));
    child.once("error", (e: NodeJS.ErrnoException) =>
      reject(
        new SlipwayError(
          "SLW_PROCESS_FAILED",
          // execvp reports EACCES when a PATH directory is closed to the service user.
          `cannot run ${JSON.stringify(argv[0])}: ${e.code === "ENOENT" || e.code === "EACCES" ? `not found on ${where}` : e.message}`,
          "name an installed program; arguments go after --, e.g. slipway run api -- node -e 'console.log(1)'",
        ),
      ),
    );
    child.once("exit", (code, signal) =>
      process.exit(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 1)),
    );
  });
}
