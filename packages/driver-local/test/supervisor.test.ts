import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BackoffPolicy, SlipwayError, SYSTEM_PATH } from "@slipway/core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type ExitEvent, isAlive, readLog, readStartTime, readStat, Supervisor } from "../src/process/index";
import type { ProcessSpec } from "../src/process/spawn";
import { freePort } from "../src/system/ports";
import { appUser } from "../src/system/service-user";

// Small Node programs standing in for services. Each stays up until signalled, unless it is
// meant to crash, so a restart in these tests always means our supervisor did it.
const SCRIPTS: Record<string, string> = {
  "server.js": `
    const http = require("node:http");
    const server = http.createServer((req, res) => {
      if (req.url === "/slow") {
        res.writeHead(200);
        res.flushHeaders(); // the client knows the request is in flight before we are stopped
        setTimeout(() => res.end("done"), Number(process.env.SLOW_MS));
        return;
      }
      res.writeHead(req.url === "/health" ? 200 : 404).end();
    });
    process.on("SIGTERM", () => server.close(() => process.exit(0)));
    server.listen(Number(process.env.PORT), "127.0.0.1");`,
  "crash.js": `console.log("crashing"); process.exit(3);`,
  "stubborn.js": `
    process.on("SIGTERM", () => console.log("ignoring SIGTERM"));
    console.log("ready");
    setInterval(() => {}, 1000);`,
  "sleeper.js": `console.log("ready"); setInterval(() => {}, 1000);`,
  "report.js": `
    const groups = process.getgroups();
    console.log("REPORT " + JSON.stringify({ argv: process.argv.slice(2), env: process.env, uid: process.getuid(), gid: process.getgid(), groups }));
    setInterval(() => {}, 1000);`,
  "talker.js": `
    console.log("out 1");
    console.error("err 1");
    console.log("ready");
    let n = 0;
    process.on("SIGUSR2", () => { console.log("later " + ++n); console.error("later " + ++n); });
    setInterval(() => {}, 1000);`,
};

const FAST: BackoffPolicy = { initialMs: 50, maxMs: 200, factor: 2, resetAfterMs: 60_000, crashloopAfter: 3 };

let dir: string;
const supervisors: Supervisor[] = [];

function supervisor(): Supervisor {
  const s = new Supervisor({ backoff: FAST, pollMs: 100 });
  supervisors.push(s);
  return s;
}

function spec(name: string, extra: Partial<ProcessSpec> = {}): ProcessSpec {
  const script = `${name.replace(/-.*/, "")}.js`;
  return {
    id: `local/v1/${name}/1`,
    argv: [process.execPath, join(dir, script)],
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    logFile: join(dir, "logs", `${name}.log`),
    drainSeconds: 2,
    health: { kind: "liveness" },
    ...extra,
  };
}

/** Follows the log until a line matches, so tests wait on the program, not on a sleep. */
async function waitForLine(
  logFile: string,
  match: (line: string) => boolean,
  timeoutMs = 5_000,
): Promise<string> {
  const signal = AbortSignal.timeout(timeoutMs);
  for await (const line of readLog(logFile, {
    lines: Number.POSITIVE_INFINITY,
    follow: true,
    signal,
    pollMs: 25,
  }))
    if (match(line)) return line;
  throw new Error(`no matching line in ${logFile} within ${timeoutMs} ms`);
}

async function report(
  logFile: string,
): Promise<{ argv: string[]; env: Record<string, string>; uid: number; gid: number; groups: number[] }> {
  const line = await waitForLine(logFile, (l) => l.startsWith("REPORT "));
  return JSON.parse(line.slice("REPORT ".length));
}

function events<T>(s: Supervisor, name: "exit" | "restart" | "crashloop" | "started"): T[] {
  const seen: T[] = [];
  s.on(name, (e: unknown) => seen.push(e as T));
  return seen;
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Pids of live processes running one of our scripts (their argv names the temp dir). */
function leftovers(): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(dir) && readStat(Number(p))?.state !== "Z";
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "slipway-supervisor-"));
  chmodSync(dir, 0o755); // the unprivileged service user must read the scripts
  for (const [name, body] of Object.entries(SCRIPTS)) writeFileSync(join(dir, name), body);
});

afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((s) => s.stopAll()));
  expect(leftovers()).toEqual([]);
});

afterAll(() => {
  const left = leftovers();
  for (const pid of left) process.kill(pid, "SIGKILL");
  rmSync(dir, { recursive: true, force: true });
  expect(left).toEqual([]);
});

describe("Supervisor", () => {
  it("starts a detached web server and sees it healthy over http", async () => {
    const port = await freePort();
    const s = supervisor();
    const web = spec("server", {
      env: { PATH: process.env.PATH ?? "", PORT: String(port), SLOW_MS: "0" },
      health: { kind: "http", url: `http://127.0.0.1:${port}/health` },
    });
    const handle = await s.start(web);

    expect(handle).toEqual({ id: web.id, pid: expect.any(Number), startTime: readStartTime(handle.pid) });
    expect(readStat(handle.pid)?.pgrp).toBe(handle.pid); // own process group, so it outlives us
    expect(await s.waitHealthy(web.id, 10_000)).toBe(true);
    expect(s.list()).toEqual([
      { id: web.id, pid: handle.pid, restarts: 0, state: "running", crashloop: false },
    ]);

    await s.stop(web.id);
    expect(isAlive(handle.pid, handle.startTime)).toBe(false);
    expect(s.list()).toEqual([]);
    expect(await s.waitHealthy(web.id, 100)).toBe(false);
  });

  it("checks health as the spec says (expected statuses, TCP) and tells what the last check saw", async () => {
    const port = await freePort();
    const s = supervisor();
    const env = { PATH: process.env.PATH ?? "", PORT: String(port), SLOW_MS: "0" };
    const url = `http://127.0.0.1:${port}/nope`;
    // Nothing listens yet: the check says so.
    const early = spec("sleeper-early", { health: { kind: "http", url } });
    await s.start(early);
    expect(await s.waitHealthy(early.id, 300)).toBe(false);
    expect(s.lastHealthCheck(early.id)).toMatch(new RegExp(`^GET ${url}: connection refused`));

    const web = spec("server-a", { env, health: { kind: "http", url } });
    await s.start(web);
    await until(() => s.list().some((p) => p.id === web.id));
    // 404 is not healthy by default; check until the server answers at all.
    for (let i = 0; i < 50 && !s.lastHealthCheck(web.id)?.includes("answered"); i++)
      expect(await s.waitHealthy(web.id, 200)).toBe(false);
    expect(s.lastHealthCheck(web.id)).toBe(`GET ${url} answered 404`);
    await s.stop(web.id);

    const accepting = spec("server-b", { env, health: { kind: "http", url, expect: [[404, 404]] } });
    await s.start(accepting);
    expect(await s.waitHealthy(accepting.id, 10_000)).toBe(true);
    await s.stop(accepting.id);

    const tcp = spec("server-c", { env, health: { kind: "tcp", port } });
    await s.start(tcp);
    expect(await s.waitHealthy(tcp.id, 10_000)).toBe(true);
    expect(s.lastHealthCheck(tcp.id)).toBe(`TCP connect to 127.0.0.1:${port} accepted`);
  });

  it("restarts a crashed process with backoff, reports the crash loop, and stops restarting when stopped", async () => {
    const s = supervisor();
    const exits = events<ExitEvent>(s, "exit");
    const restarts = events<{ attempt: number; delayMs: number }>(s, "restart");
    const started = events<{ pid: number }>(s, "started");
    const loops = events<{ id: string }>(s, "crashloop");
    const crash = spec("crash");
    await s.start(crash);

    // The first run, two restarts, the third restart (now a crash loop) and one more at maxMs.
    await until(() => started.length >= 5);
    expect(new Set(started.map((h) => h.pid)).size).toBe(started.length);
    expect(exits.slice(0, 4).map((e) => e.code)).toEqual([3, 3, 3, 3]);
    expect(restarts.slice(0, 4).map((r) => [r.attempt, r.delayMs])).toEqual([
      [1, 50],
      [2, 100],
      [3, 200],
      [4, 200],
    ]);
    expect(loops).toEqual([{ id: crash.id }]);
    expect(s.list()[0]).toMatchObject({ crashloop: true });

    await s.stop(crash.id);
    const count = started.length;
    await new Promise((r) => setTimeout(r, 300)); // longer than maxMs: a pending restart would have fired
    expect(started.length).toBe(count);
  });

  it("keeps backing off when a restart cannot even spawn (its directory vanished)", async () => {
    const s = supervisor();
    const restarts = events<{ attempt: number }>(s, "restart");
    const started = events<{ pid: number }>(s, "started");
    const home = join(dir, "vanishing");
    mkdirSync(home);
    writeFileSync(join(home, "crash.js"), SCRIPTS["crash.js"]!);
    s.once("exit", () => rmSync(home, { recursive: true }));
    const crash = spec("crash-vanishing", { cwd: home, argv: [process.execPath, "crash.js"] });
    await s.start(crash);

    await until(() => restarts.length >= 3);
    expect(restarts.slice(0, 3).map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(started).toHaveLength(1);
    expect(s.list()[0]).toMatchObject({ state: "backoff", restarts: 0 });
    await s.stop(crash.id);
    expect(s.list()).toEqual([]);
  });

  it("lets an in-flight request finish on SIGTERM before the server exits", async () => {
    const port = await freePort();
    const s = supervisor();
    const exits = events<ExitEvent>(s, "exit");
    const web = spec("server-drain", {
      env: { PATH: process.env.PATH ?? "", PORT: String(port), SLOW_MS: "700" },
      health: { kind: "http", url: `http://127.0.0.1:${port}/health` },
      drainSeconds: 5,
    });
    await s.start(web);
    expect(await s.waitHealthy(web.id, 10_000)).toBe(true);

    const body = await new Promise<Promise<string>>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/slow`, { agent: false }, (res) => {
        let text = "";
        res.on("data", (c) => {
          text += c;
        });
        resolve(new Promise<string>((done) => res.on("end", () => done(text))));
      }).on("error", reject);
    });
    await s.stop(web.id);

    expect(await body).toBe("done");
    // It exited by itself once the request was answered (code 0), not by SIGKILL after the drain.
    expect(exits).toEqual([{ id: web.id, pid: expect.any(Number), code: 0, signal: null }]);
  });

  it("SIGKILLs a process that ignores SIGTERM after drainSeconds", async () => {
    const s = supervisor();
    const exits = events<ExitEvent>(s, "exit");
    const stubborn = spec("stubborn", { drainSeconds: 0.5 });
    const handle = await s.start(stubborn);
    await waitForLine(stubborn.logFile, (l) => l === "ready");

    await s.stop(stubborn.id);

    // SIGTERM first (the program saw it and chose to ignore it), SIGKILL after.
    expect(isAlive(handle.pid, handle.startTime)).toBe(false);
    expect(exits).toEqual([{ id: stubborn.id, pid: handle.pid, code: null, signal: "SIGKILL" }]);
    expect(readFileSync(stubborn.logFile, "utf8")).toContain("ignoring SIGTERM");
  });

  it("adopts a running process by handle in a new instance, notices its death by polling, and stops it", async () => {
    const first = supervisor();
    const sleeper = spec("sleeper");
    const handle = await first.start(sleeper);
    const firstExits = events<ExitEvent>(first, "exit");
    first.release(); // the control plane went away; the service must not notice

    const second = supervisor();
    expect(second.adopt(sleeper, { ...handle, startTime: "1" })).toBe(false); // pid reused by a stranger
    expect(second.adopt({ ...sleeper, id: "other" }, { ...handle, id: "other", pid: 0x3ffffff })).toBe(false);
    expect(second.adopt(sleeper, handle)).toBe(true);
    expect(second.adopt(sleeper, handle)).toBe(true); // idempotent
    expect(second.handle(sleeper.id)).toEqual(handle);

    const exits = events<ExitEvent>(second, "exit");
    const started = events<{ pid: number; startTime: string }>(second, "started");
    process.kill(handle.pid, "SIGKILL"); // not the second instance's child: only polling can see this
    await until(() => started.length === 1);
    expect(exits).toEqual([{ id: sleeper.id, pid: handle.pid, code: null, signal: null }]);
    expect(started[0]!.pid).not.toBe(handle.pid);
    expect(firstExits).toEqual([]);

    await second.stop(sleeper.id);
    expect(isAlive(started[0]!.pid, started[0]!.startTime)).toBe(false);
  });

  it("passes the environment exactly, adding only the system PATH (never ours) when it is missing", async () => {
    const s = supervisor();
    const env = { PATH: "/usr/bin:/bin", WEIRD: "a b $(touch x) `id` \n next", EMPTY: "" };
    const exact = spec("report-env", { env });
    const noPath = spec("report-nopath", { env: { ONLY: "1" } });
    await Promise.all([s.start(exact), s.start(noPath)]);

    expect((await report(exact.logFile)).env).toEqual(env);
    expect((await report(noPath.logFile)).env).toEqual({ ONLY: "1", PATH: SYSTEM_PATH });
  });

  it("passes hostile argv verbatim, without a shell", async () => {
    const s = supervisor();
    const marker = join(dir, "pwned");
    const hostile = [
      "a b",
      `"double" 'single'`,
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `line1\nline2`,
      `; touch ${marker}`,
      "*",
      "",
    ];
    const cmd = spec("report-argv");
    await s.start({ ...cmd, argv: [...cmd.argv, ...hostile] });

    expect((await report(cmd.logFile)).argv).toEqual(hostile);
    expect(existsSync(marker)).toBe(false);
  });

  it("runs as the unprivileged service user when we are root (else as us), and gives it its log", async () => {
    // As root, the services' user; otherwise we are already unprivileged and run as ourselves.
    const user = appUser();
    expect(user === undefined).toBe(process.getuid!() !== 0);
    const expected = user ?? { uid: process.getuid!(), gid: process.getgid!() };
    const s = supervisor();
    const cmd = spec("report-user", user ? { runAs: { uid: user.uid, gid: user.gid } } : {});
    await s.start(cmd);

    const seen = await report(cmd.logFile);
    expect([seen.uid, seen.gid]).toEqual([expected.uid, expected.gid]);
    expect(seen.uid).not.toBe(0);
    // Root's supplementary groups are dropped; an unprivileged parent's are all it has.
    expect(seen.groups.sort()).toEqual(user ? [user.gid] : process.getgroups!().sort());
    const log = statSync(cmd.logFile);
    expect([log.uid, log.gid, log.mode & 0o777]).toEqual([expected.uid, expected.gid, 0o640]);
  });

  it("refuses a missing executable or working directory with SLW_PROCESS_FAILED", async () => {
    const s = supervisor();
    const cases: Partial<ProcessSpec>[] = [
      { argv: ["slipway-no-such-program"] },
      { argv: ["./no-such-file.js"] },
      { argv: [] },
      { cwd: join(dir, "missing") },
    ];
    for (const extra of cases) {
      const err = await s.start(spec("sleeper-bad", extra)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SlipwayError);
      expect(err).toMatchObject({ code: "SLW_PROCESS_FAILED", hint: expect.any(String) });
    }
    expect(s.list()).toEqual([]);
  });
});

describe("readLog", () => {
  it("holds stdout and stderr, tails the last lines and follows new ones until aborted", async () => {
    const s = supervisor();
    const talker = spec("talker");
    const handle = await s.start(talker);
    await waitForLine(talker.logFile, (l) => l === "ready");

    expect(await collect(readLog(talker.logFile, { lines: Number.POSITIVE_INFINITY }))).toEqual([
      "out 1",
      "err 1",
      "ready",
    ]);
    expect(await collect(readLog(talker.logFile, { lines: 2 }))).toEqual(["err 1", "ready"]);

    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(5_000)]);
    const follow = readLog(talker.logFile, { lines: 1, follow: true, signal, pollMs: 25 });
    // Once the tail is read the follower has fixed its position; only then make new lines.
    expect((await follow.next()).value).toBe("ready");
    process.kill(handle.pid, "SIGUSR2");
    expect((await follow.next()).value).toBe("later 1");
    expect((await follow.next()).value).toBe("later 2");
    abort.abort();
    expect(await follow.next()).toEqual({ done: true, value: undefined });
  });

  it("yields a last line without newline, nothing for a missing file, and restarts after truncation", async () => {
    const file = join(dir, "plain.log");
    writeFileSync(file, "a\nb\nc");
    expect(await collect(readLog(file, { lines: 2 }))).toEqual(["b", "c"]);
    expect(await collect(readLog(file, { lines: 0 }))).toEqual([]);
    expect(await collect(readLog(join(dir, "absent.log")))).toEqual([]);

    const abort = new AbortController();
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(5_000)]);
    const follow = readLog(file, { lines: 1, follow: true, signal, pollMs: 25 });
    const held = follow.next(); // "c" is still being written
    appendFileSync(file, "d\n");
    expect((await held).value).toBe("cd");
    const next = follow.next();
    writeFileSync(file, "new\n"); // shorter than before: truncated by log rotation
    expect((await next).value).toBe("new");
    abort.abort();
    expect((await follow.next()).done).toBe(true);
  });
});

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of lines) out.push(line);
  return out;
}
