import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile, eventually, finishProject, makeProject, slipway, upDetached } from "./harness";

/**
 * Backups as a user drives them, on the example stack with its real PostgreSQL: `up` protects
 * the add-on (WAL streamed, a first base backup, a heartbeat a second); restores go into new
 * instances and never touch the live one; drills measure RPO and RTO, alert over target and
 * fail loudly on a corrupted backup.
 */
describe("slipway backup on the example stack", () => {
  let dir: string;
  let liveUrl: URL;
  let live: pg.Client;
  let edge: string;

  /** `--dir` goes before a `--` (after it, everything is the one-off command's). */
  const cli = async (args: string[]) => {
    const end = args.includes("--") ? args.indexOf("--") : args.length;
    return slipway([...args.slice(0, end), "--dir", dir, ...args.slice(end)]);
  };
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli([...args, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as T;
  };
  const ids = async (url: URL) => {
    const c = new pg.Client({ connectionString: url.href });
    await c.connect();
    try {
      return (await c.query<{ id: number }>("select id from orders_probe order by id")).rows.map((r) => r.id);
    } finally {
      await c.end();
    }
  };
  const atPort = (port: number) => Object.assign(new URL(liveUrl.href), { port: String(port) });
  const databaseUrl = async () => {
    const r = await cli(["run", "api", "--", "node", "-e", "console.log(process.env.DATABASE_URL)"]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const liveRelease = async () =>
    (await json<{ environments: { live: { release: number } }[] }>(["status"])).environments[0]!.live.release;
  /** Through the edge and the api service: what the services themselves read and write. */
  const postItem = async (name: string) => {
    const res = await fetch(`${edge}/api/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    expect(res.status).toBe(201);
  };
  const itemNames = async () => {
    const res = await fetch(`${edge}/api/items`);
    expect(res.status).toBe(200);
    return ((await res.json()) as { name: string }[]).map((i) => i.name);
  };

  beforeAll(async () => {
    dir = makeProject("backup");
    // An RTO target no restore can meet, so a drill raises the alert; a verification query.
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        "local: {},",
        'local: { backup: { rtoTargetSeconds: 0.001, verify: ["select count(*) from orders_probe"] } },',
      ),
    );
    process.env.SLIPWAY_BACKUP_TICK_SECONDS = "1";
    edge = (await upDetached(dir)).edge;
    const r = await cli(["run", "api", "--", "node", "-e", "console.log(process.env.DATABASE_URL)"]);
    expect(r.code, r.stderr).toBe(0);
    liveUrl = new URL(r.stdout.trim());
    live = new pg.Client({ connectionString: liveUrl.href });
    await live.connect();
    await live.query("create table orders_probe (id int primary key)");
  }, 240_000);

  afterAll(async () => {
    await live?.end();
    await finishProject(dir);
  }, 120_000);

  it("protects the add-on by itself: WAL streaming, a verified base backup, a window, heartbeats", async () => {
    const listed = await eventually(async () => {
      const l = await json<{ addons: Listing[] }>(["backup", "list"]);
      const db = l.addons.find((a) => a.addon === "db");
      return db?.streaming && db.window && db.backups.some((b) => b.verified) ? db : undefined;
    }, 120_000);
    expect(listed.retentionDays).toBe(35);
    const beats = await live.query("select count(*)::int as n from slipway.slipway_heartbeat");
    expect(beats.rows[0].n).toBeGreaterThan(0);
    const status = await cli(["status"]);
    expect(status.stdout).toMatch(/db\s+streaming/);
  }, 180_000);

  it("restores to a time between two batches of writes: exactly the rows committed before it", async () => {
    await live.query("insert into orders_probe select generate_series(1, 3)");
    const { rows } = await live.query<{ t: Date }>("select clock_timestamp() as t");
    const between = rows[0]!.t;
    await new Promise((r) => setTimeout(r, 1_500));
    await live.query("insert into orders_probe select generate_series(4, 6)");
    const livePid = readFileSync(join(liveDataDir(dir), "postmaster.pid"), "utf8");

    const restored = await json<Restore>(["backup", "restore", "--to", between.toISOString()]);
    expect(await ids(atPort(restored.instance.port))).toEqual([1, 2, 3]);
    expect(Date.parse(restored.restoredTo.lastCommitAt!)).toBeLessThanOrEqual(between.getTime());
    expect(restored.restoredTo.newestHeartbeatAt).not.toBeNull();
    expect(restored.instance.dataDir).not.toContain("/addons/");

    // The live instance kept everything and kept running: the same server, never restarted or rewound.
    expect(await ids(liveUrl)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(readFileSync(join(liveDataDir(dir), "postmaster.pid"), "utf8")).toBe(livePid);
  }, 180_000);

  it("restores the latest state into another new instance", async () => {
    const restored = await json<Restore>(["backup", "restore", "--latest"]);
    expect(await ids(atPort(restored.instance.port))).toEqual([1, 2, 3, 4, 5, 6]);
    const text = await cli(["backup", "list"]);
    expect(text.stdout).toContain("recoverable window:");
  }, 180_000);

  it("refuses a target outside the window, naming the window", async () => {
    const r = await cli(["backup", "restore", "--to", "2001-01-01T00:00:00Z"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("SLW_RESTORE_OUT_OF_WINDOW");
    expect(r.stderr).toMatch(/recoverable window is \d{4}-\d\d-\d\dT.* \.\. \d{4}-/);
    const neither = await cli(["backup", "restore"]);
    expect(neither.code).not.toBe(0);
    expect(neither.stderr).toContain("--latest");
  }, 60_000);

  it("drills: restores latest into a scratch copy, verifies, records RPO and RTO, alerts over target, removes the copy", async () => {
    const r = await cli(["backup", "drill", "--json"]);
    const drill = JSON.parse(r.stdout) as Drill;
    expect(drill.state, r.stderr).toBe("succeeded");
    expect(drill.rpoMs).toEqual(expect.any(Number));
    expect(drill.rtoMs).toBeGreaterThan(1);
    expect(drill.overTarget).toBe(true);
    const events = await json<{ kind: string; message: string }[]>(["events", "--limit", "50"]);
    expect(events.map((e) => e.kind)).toEqual(
      expect.arrayContaining(["backup.drill.passed", "backup.drill.over-target"]),
    );
    expect(events.find((e) => e.kind === "backup.drill.over-target")!.message).toMatch(/ALERT .*RTO/);
    // The scratch copy is gone; the two restores' instances are what remains.
    expect(readdirSync(join(dir, ".slipway/envs/local/restores"))).toHaveLength(2);
  }, 180_000);

  it("restore --latest --switch --yes moves the add-on to the copy with a new release; the replaced instance keeps its data", async () => {
    const unconfirmed = await cli(["backup", "restore", "--latest", "--switch"]);
    expect(unconfirmed.code).not.toBe(0);
    expect(unconfirmed.stderr).toContain("--yes");
    const restored = await json<Restore & { switched: { release: number } }>([
      "backup",
      "restore",
      "--latest",
      "--switch",
      "--yes",
    ]);
    await eventually(async () => {
      const s = await json<{ environments: { live: { release: number } }[] }>(["status"]);
      return s.environments[0]!.live.release === restored.switched.release;
    }, 120_000);
    const r = await cli(["run", "api", "--", "node", "-e", "console.log(process.env.DATABASE_URL)"]);
    expect(new URL(r.stdout.trim()).port).toBe(String(restored.instance.port));
    expect(await ids(atPort(restored.instance.port))).toEqual([1, 2, 3, 4, 5, 6]);
    // The copy is protected in a repository of its own, with a first base backup.
    await eventually(async () => {
      const l = await json<{ addons: Listing[] }>(["backup", "list"]);
      return l.addons[0]!.streaming && l.addons[0]!.backups.some((b) => b.verified);
    }, 120_000);
    expect(await ids(liveUrl)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 300_000);

  it("rolling back to the release before the switch puts the services on the original instance; rolling forward returns to the copy", async () => {
    // Given: the services run on the switched-to copy; an item is written through them.
    const switchedTo = await liveRelease();
    const copyPort = Number(new URL(await databaseUrl()).port);
    expect(copyPort).not.toBe(Number(liveUrl.port));
    await postItem("written on the copy");
    expect(await itemNames()).toContain("written on the copy");

    // When: rolling back to the release before the switch.
    const back = await cli(["rollback", "--json"]);
    expect(back.code, back.stderr).toBe(0);

    // Then: the services (new processes of the rollback) are on the original instance, healthy,
    // reading its rows (not the copy's newer one); the add-on is protected there again.
    expect(await liveRelease()).toBe(switchedTo + 1);
    expect(new URL(await databaseUrl()).port).toBe(liveUrl.port);
    expect(await itemNames()).not.toContain("written on the copy");
    await postItem("written on the original");
    expect(await ids(liveUrl)).toEqual([1, 2, 3, 4, 5, 6]);
    await eventually(async () => {
      const l = await json<{ addons: Listing[] }>(["backup", "list"]);
      return l.addons[0]!.streaming;
    }, 60_000);

    // And rolling forward to the switch's release returns to the copy, with its row.
    const forward = await cli(["rollback", "--to", `v${switchedTo}`, "--json"]);
    expect(forward.code, forward.stderr).toBe(0);
    expect(Number(new URL(await databaseUrl()).port)).toBe(copyPort);
    expect(await itemNames()).toContain("written on the copy");
    expect(await itemNames()).not.toContain("written on the original");
  }, 300_000);

  it("lists the restored copies and drops one no kept release uses; refuses the one in use, saying why", async () => {
    const copies = await json<Copy[]>(["backup", "copies"]);
    expect(copies).toHaveLength(3);
    const live = copies.find((c) => c.live)!;
    expect(live.usedBy.length).toBeGreaterThan(0);
    expect(live.kept).toMatch(/is live on it/);
    const unused = copies.filter((c) => c.usedBy.length === 0);
    expect(unused).toHaveLength(2);
    for (const c of copies) expect(c.bytes).toBeGreaterThan(1_000_000);
    expect((await cli(["backup", "copies"])).stdout).toContain("may be dropped");

    const refused = await cli(["backup", "drop", live.copy]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("SLW_CONFLICT");
    expect(refused.stderr).toMatch(/in use and was not dropped: .*is live on it/);
    expect(await ids(atPort(live.instance.port))).toEqual([1, 2, 3, 4, 5, 6]);

    const gone = unused[0]!;
    const dropped = await cli(["backup", "drop", gone.copy]);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(existsSync(gone.instance.dataDir)).toBe(false);
    await expect(ids(atPort(gone.instance.port))).rejects.toThrow();
    expect((await json<Copy[]>(["backup", "copies"])).map((c) => c.copy)).not.toContain(gone.copy);
    // Dropping again is harmless (it finishes a drop cut short): still one event.
    const again = await cli(["backup", "drop", gone.copy]);
    expect(again.code, again.stderr).toBe(0);
    const events = await json<{ kind: string }[]>(["events", "--limit", "20"]);
    expect(events.filter((e) => e.kind === "backup.copy-dropped")).toHaveLength(1);
    expect((await json<Copy[]>(["backup", "copies"])).map((c) => c.copy)).toEqual(
      copies.filter((c) => c.copy !== gone.copy).map((c) => c.copy),
    );
  }, 120_000);

  it("a corrupted stored backup makes the drill fail loudly, recorded and alerted", async () => {
    const repos = join(dir, ".slipway/envs/local/backups");
    for (const repo of readdirSync(repos))
      for (const id of readdirSync(join(repos, repo, "base"))) {
        const file = join(repos, repo, "base", id, "base.tar.zst.enc");
        const bytes = readFileSync(file);
        bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
        writeFileSync(file, bytes);
      }
    const r = await cli(["backup", "drill"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("SLW_DRILL_FAILED");
    const l = await json<{ addons: Listing[] }>(["backup", "list"]);
    expect(l.addons[0]!.lastDrill).toMatchObject({ state: "failed" });
    const events = await json<{ kind: string }[]>(["events", "--limit", "20"]);
    expect(events.map((e) => e.kind)).toContain("backup.drill.failed");
    expect(await ids(liveUrl)).toEqual([1, 2, 3, 4, 5, 6]);
  }, 180_000);
});

interface Listing {
  addon: string;
  streaming: boolean;
  window: { earliest: string; latest: string } | null;
  retentionDays: number;
  backups: { id: string; verified: boolean }[];
  lastDrill: { state: string } | null;
}
interface Restore {
  instance: { port: number; dataDir: string };
  restoredTo: { lastCommitAt: string | null; newestHeartbeatAt: string | null };
}
interface Copy {
  copy: string;
  instance: { port: number; dataDir: string };
  bytes: number;
  usedBy: number[];
  live: boolean;
  kept: string | null;
}
interface Drill {
  state: string;
  rpoMs: number | null;
  rtoMs: number | null;
  overTarget: boolean | null;
}

const liveDataDir = (dir: string) => join(dir, ".slipway/envs/local/addons/db");
