import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { addonDriver, freePort } from "@slipway/driver-local";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, getJson, makeProject, processesUnder, removeProject, slipway } from "./harness";

const asRoot = process.getuid?.() === 0;

const upArgs = (dir: string, port: number) => [
  "up",
  "--detach",
  "--dir",
  dir,
  "--port",
  String(port),
  "--api-port",
  "0",
];

/** The store cluster's postmaster: pid and port from its pid file, start time from /proc. */
function postmaster(dir: string): { pid: number; port: number; startTime: string; uid: number } {
  const lines = readFileSync(join(dir, ".slipway", "store", "postgres", "postmaster.pid"), "utf8").split(
    "\n",
  );
  const pid = Number(lines[0]);
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const uid = Number(/^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
  return {
    pid,
    port: Number(lines[3]),
    startTime: stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]!,
    uid,
  };
}

/** Local addresses of the listening TCP sockets on `port`, as /proc/net/tcp{,6} list them (hex). */
function listeners(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return ["/proc/net/tcp", "/proc/net/tcp6"].flatMap((f) =>
    readFileSync(f, "utf8")
      .split("\n")
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[1]?.endsWith(`:${hexPort}`) && c[3] === "0A")
      .map((c) => c[1]!.split(":")[0]!),
  );
}

/** Paths under `dir` that other users could read, write or enter. */
function openToOthers(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => !statSync(p, { throwIfNoEntry: false })?.isSocket() && (statSync(p).mode & 0o007) !== 0);
}

describe("the embedded store: a PostgreSQL cluster the control plane runs under .slipway/store", () => {
  let dir: string;
  let port: number;

  beforeAll(async () => {
    dir = makeProject("store");
    port = await freePort();
    const up = await slipway(upArgs(dir, port));
    expect(up.code, up.stderr).toBe(0);
  });
  afterAll(async () => {
    await slipway(["down", "--dir", dir]);
    removeProject(dir);
  });

  it("runs a real PostgreSQL, as the unprivileged user when we are root, on 127.0.0.1 only", () => {
    const pm = postmaster(dir);
    expect(readFileSync(`/proc/${pm.pid}/cmdline`, "utf8")).toContain(
      join(dir, ".slipway", "store", "postgres"),
    );
    if (asRoot) expect(pm.uid).not.toBe(0);
    else expect(pm.uid).toBe(process.getuid?.());
    expect(listeners(pm.port)).toEqual(["0100007F"]);
  });

  it("keeps .slipway/ and the store out of other users' reach", () => {
    const mode = (p: string) => statSync(p).mode & 0o777;
    // Root: others may pass through to the directories their own users own, never list.
    expect(mode(join(dir, ".slipway"))).toBe(asRoot ? 0o711 : 0o700);
    expect(mode(join(dir, ".slipway", "store"))).toBe(asRoot ? 0o711 : 0o700);
    expect(openToOthers(join(dir, ".slipway", "store", "postgres"))).toEqual([]);
    expect(statSync(join(dir, ".slipway")).uid).toBe(process.getuid?.());
  });

  it("is adopted after kill -9 of the control plane (same server, state intact), and stopped by down", async () => {
    const before = postmaster(dir);
    const { pid } = JSON.parse(readFileSync(join(dir, ".slipway", "server.json"), "utf8")) as { pid: number };
    process.kill(pid, "SIGKILL");
    await eventually(async () => !processesUnder(dir).some((p) => p.pid === pid));

    const again = await slipway(upArgs(dir, port));
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("local is up (v1)"); // same release: the state was kept
    expect(again.stderr).not.toContain("admin token"); // and the same tokens
    expect(postmaster(dir)).toEqual(before);

    const down = await slipway(["down", "--dir", dir]);
    expect(down.code, down.stderr).toBe(0);
    expect(processesUnder(dir)).toEqual([]);
  });
});

describe("SLIPWAY_DATABASE_URL: the control plane's state in a PostgreSQL server of yours", () => {
  const driver = addonDriver("postgres");
  const spec = { type: "postgres" as const, version: 15, databases: ["slipway_state"] };
  let dir: string;
  let record: Parameters<typeof driver.ensure>[1];
  let url: string;

  beforeAll(async () => {
    dir = makeProject("store-url");
    // Outside the project, so that what runs from the project is Slipway's alone.
    const external = mkdtempSync("/tmp/slipway-e2e-external-pg-");
    chmodSync(external, 0o755);
    record = {
      env: "test",
      name: "external",
      kind: "postgres",
      port: await freePort(),
      password: "external-server-password",
      dataDir: join(external, "data"),
    };
    await driver.ensure(spec, record);
    url = driver.connectionEnv(spec, record).DATABASE_URL!;
  });
  afterAll(async () => {
    await slipway(["down", "--dir", dir]);
    await driver.stop(record);
    removeProject(dirname(record.dataDir));
    removeProject(dir);
  });

  it("deploys the stack with its state in that database, and runs no store of its own", async () => {
    const port = await freePort();
    const up = await slipway(upArgs(dir, port), { env: { ...process.env, SLIPWAY_DATABASE_URL: url } });
    expect(up.code, up.stderr).toBe(0);
    expect((await getJson<{ release: string }>(`http://127.0.0.1:${port}/api/version`)).release).toBe("v1");

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; number: number }>(
        "select e.name, r.number from environments e join releases r on r.id = e.live_release_id",
      );
      expect(rows).toEqual([{ name: "local", number: 1 }]);
      const tokens = await client.query("select 1 from tokens");
      expect(tokens.rowCount).toBe(1);
    } finally {
      await client.end();
    }
    expect(existsSync(join(dir, ".slipway", "store"))).toBe(false);

    const down = await slipway(["down", "--dir", dir]);
    expect(down.code, down.stderr).toBe(0);
    expect(processesUnder(dir)).toEqual([]);
  });
});

describe("refusing to start on loose modes", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeProject("store-modes");
  });
  afterAll(() => removeProject(dir));

  it("a .slipway/ others can write in: up refuses, names it, its mode and the fix, starts nothing", async () => {
    const state = join(dir, ".slipway");
    mkdirSync(state, { mode: 0o700 });
    chmodSync(state, 0o777);
    const up = await slipway(upArgs(dir, await freePort()));
    expect(up.code).not.toBe(0);
    expect(up.stderr).toContain("SLW_STATE_UNSAFE");
    expect(up.stderr).toContain(`${state} is mode 0777`);
    expect(up.stderr).toContain(`chmod 700 ${state}`);
    expect(processesUnder(dir)).toEqual([]);

    chmodSync(state, 0o700);
    mkdirSync(join(state, "store"), { mode: 0o700 });
    chmodSync(join(state, "store"), 0o757);
    const again = await slipway(upArgs(dir, await freePort()));
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain(`${join(state, "store")} is mode 0757`);
    expect(processesUnder(dir)).toEqual([]);
    rmSync(state, { recursive: true, force: true });
  });
});
