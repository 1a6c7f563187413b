import { spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { BucketAddon, PostgresAddon, RedisAddon } from "@slipway/spec";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addonDriver } from "../src/addons";
import { pidAlive } from "../src/addons/process";
import type { AddonRecord } from "../src/addons/types";
import { localAddons } from "../src/local-addons";
import { freePort } from "../src/system/ports";
import { addonUser } from "../src/system/service-user";

// The service user must be able to walk down to the data directories, hence /tmp and 755.
const root = mkdtempSync("/tmp/slipway-test-");
chmodSync(root, 0o755);
const started: Array<{ record: AddonRecord; stop: () => Promise<void> }> = [];

afterAll(async () => {
  for (const s of started) await s.stop().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

async function newRecord(kind: AddonRecord["kind"], name: string, password: string): Promise<AddonRecord> {
  const record = {
    env: "test",
    name,
    kind,
    port: await freePort(),
    password,
    dataDir: join(root, `${name} data`),
  };
  const driver = addonDriver(kind);
  started.push({ record, stop: () => driver.stop(record) });
  return record;
}

/** Who an add-on must run as: the service user when we are root, else ourselves (never root). */
function expectUnprivileged(pid: number): void {
  const expected = addonUser()?.uid ?? process.getuid!();
  expect(expected).not.toBe(0);
  expect(uidOf(pid)).toBe(expected);
}

function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").match(/^Uid:\s+(\d+)/m);
  return Number(line?.[1]);
}

/** Every file under dir whose bytes contain `secret`. */
function filesContaining(dir: string, secret: string): string[] {
  try {
    return readdirSync(dir, { recursive: true, encoding: "utf8" })
      .map((f) => join(dir, f))
      .filter((f) => {
        try {
          return statSync(f).isFile() && readFileSync(f).includes(secret);
        } catch {
          return false; // removed while we looked
        }
      });
  } catch {
    return []; // the directory itself was removed while we looked
  }
}

// Zombies count as gone: here PID 1 does not reap orphans, so a stopped server can linger as one.
const alive = (pid: number) => pidAlive(pid, "");

describe("postgres", () => {
  const driver = addonDriver("postgres");
  const spec: PostgresAddon = { type: "postgres", version: 15, databases: ["app", "app-events"] };
  // Quotes, spaces, URL delimiters and a shell substitution: none may break anything.
  const password = `p'w "x" $(id) @:/%#?`;
  let record: AddonRecord;
  let pid: number;

  beforeAll(async () => {
    record = await newRecord("postgres", "db", password);
  });

  it("initialises, starts as the service user and serves the app role", async () => {
    const first = await driver.ensure(spec, record);
    expect(first.adopted).toBe(false);
    pid = first.pid;
    expectUnprivileged(pid);
    const st = statSync(record.dataDir);
    expect(st.mode & 0o777).toBe(0o700);
    expect(st.uid).toBe(uidOf(pid));

    const env = driver.connectionEnv(spec, record);
    expect(env.DB_URL).toBe(env.DATABASE_URL);
    const app = new pg.Client({ connectionString: env.DATABASE_URL });
    await app.connect();
    const { rows } = await app.query(
      "SELECT current_user AS who, current_database() AS db, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su",
    );
    expect(rows[0]).toEqual({ who: "app", db: "app", su: false });
    await app.query("CREATE TABLE notes (body text); INSERT INTO notes VALUES ('kept')");
    await app.end();

    const events = new pg.Client({ connectionString: env.DATABASE_URL_APP_EVENTS });
    await events.connect();
    expect((await events.query("SELECT current_database() AS db")).rows[0].db).toBe("app-events");
    await events.end();
  });

  it("keeps the password off disk, and the superuser off-limits to the app's password", async () => {
    expect(filesContaining(record.dataDir, password)).toEqual([]);
    // initdb's password file is gone (other tests may be initialising their own meanwhile).
    const pwDirs = readdirSync(tmpdir()).filter((f) => f.startsWith("slipway-pw-"));
    expect(pwDirs.flatMap((d) => filesContaining(join(tmpdir(), d), password))).toEqual([]);
    const appPassword = new URL(addonDriver("postgres").connectionEnv(spec, record).DATABASE_URL!).password;
    const asSuper = new pg.Client({
      host: "127.0.0.1",
      port: record.port,
      user: "postgres",
      password: decodeURIComponent(appPassword),
    });
    await expect(asSuper.connect()).rejects.toThrow(/password authentication failed/);
  });

  it("adopts the running server on the next ensure (a control-plane restart)", async () => {
    const again = await driver.ensure(spec, record);
    expect(again).toEqual({ pid, adopted: true });
  });

  it("rotates the services' password with the old one valid until it is withdrawn", async () => {
    const port = localAddons();
    const connects = async (url: string) => {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        return (await c.query("SELECT session_user AS login, current_user AS acts_as")).rows[0];
      } catch (e) {
        return (e as Error).message;
      } finally {
        await c.end().catch(() => {});
      }
    };
    const v0 = driver.connectionEnv(spec, record).DATABASE_URL!;
    const held = new pg.Client({ connectionString: v0 });
    await held.connect();
    const v1Login = { version: 1, password: `v1 'q' $(id) @:/%#?` };
    await port.rotatePassword(spec, record, v1Login, { withdrawPrevious: false });
    const v1 = port.connectionEnv(spec, record, v1Login).DATABASE_URL!;
    // During the overlap: both log in; the new login acts as the app role, owning what it makes.
    expect(await connects(v0)).toEqual({ login: "app", acts_as: "app" });
    expect(await connects(v1)).toEqual({ login: "app_alt", acts_as: "app" });
    const alt = new pg.Client({ connectionString: v1 });
    await alt.connect();
    expect((await alt.query("SELECT body FROM notes")).rows).toEqual([{ body: "kept" }]);
    await alt.query("CREATE TABLE made_by_alt (x int)");
    expect(
      (await alt.query("SELECT tableowner FROM pg_tables WHERE tablename = 'made_by_alt'")).rows,
    ).toEqual([{ tableowner: "app" }]);
    await alt.end();

    await port.rotatePassword(spec, record, v1Login, { withdrawPrevious: true });
    expect(await connects(v0)).toMatch(/password authentication failed for user "app"/);
    expect(await connects(v1)).toEqual({ login: "app_alt", acts_as: "app" });
    // A connection opened before the withdrawal is not cut.
    expect((await held.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await held.end();

    // The next version goes back to the app role, leaving v1 working until it is withdrawn
    // (with the role's first password again, which the next test logs in with).
    const v2Login = { version: 2, password: decodeURIComponent(new URL(v0).password) };
    await port.rotatePassword(spec, record, v2Login, { withdrawPrevious: false });
    const v2 = port.connectionEnv(spec, record, v2Login).DATABASE_URL!;
    expect(await connects(v1)).toEqual({ login: "app_alt", acts_as: "app" });
    expect(await connects(v2)).toEqual({ login: "app", acts_as: "app" });
    await port.rotatePassword(spec, record, v2Login, { withdrawPrevious: true });
    expect(await connects(v1)).toMatch(/password authentication failed for user "app_alt"/);
    expect(await connects(v2)).toEqual({ login: "app", acts_as: "app" });
  });

  it("refuses to rotate a password of an add-on other than postgres", async () => {
    const redis: RedisAddon = {
      type: "redis",
      maxmemory: "16mb",
      evictionPolicy: "noeviction",
      persistence: false,
    };
    await expect(
      localAddons().rotatePassword(
        redis,
        { ...record, kind: "redis" },
        { version: 1, password: "x" },
        {
          withdrawPrevious: false,
        },
      ),
    ).rejects.toMatchObject({ code: "SLW_BAD_REQUEST" });
  });

  it("stops cleanly and keeps the data for the next start", async () => {
    await driver.stop(record);
    expect(await driver.isRunning(record)).toBe(false);
    expect(alive(pid)).toBe(false);

    const restarted = await driver.ensure(spec, record);
    expect(restarted.adopted).toBe(false);
    const app = new pg.Client({ connectionString: driver.connectionEnv(spec, record).DATABASE_URL });
    await app.connect();
    expect((await app.query("SELECT body FROM notes")).rows).toEqual([{ body: "kept" }]);
    await app.end();
    await driver.stop(record);
    expect(alive(restarted.pid)).toBe(false);
  });
});

describe("redis", () => {
  const driver = addonDriver("redis");
  const spec: RedisAddon = {
    type: "redis",
    maxmemory: "32mb",
    evictionPolicy: "allkeys-lru",
    persistence: false,
  };
  const password = `r "q" \\ back $(id) #h`;
  let record: AddonRecord;
  let pid: number;

  beforeAll(async () => {
    record = await newRecord("redis", "cache", password);
  });

  it("starts with the spec's limits and accepts only the password", async () => {
    const first = await driver.ensure(spec, record);
    expect(first.adopted).toBe(false);
    pid = first.pid;

    const env = driver.connectionEnv(spec, record);
    expect(env.CACHE_URL).toBe(env.REDIS_URL);
    const client = new Redis(env.REDIS_URL!, { lazyConnect: true });
    await client.connect();
    await client.set("k", "v");
    expect(await client.get("k")).toBe("v");
    expect(await client.config("GET", "maxmemory")).toEqual(["maxmemory", String(32 * 1024 * 1024)]);
    expect(await client.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "allkeys-lru"]);
    expect(await client.config("GET", "save")).toEqual(["save", ""]);
    client.disconnect();

    const anon = new Redis({
      host: "127.0.0.1",
      port: record.port,
      lazyConnect: true,
      enableReadyCheck: false,
      protocol: 2,
    });
    await anon.connect();
    await expect(anon.get("k")).rejects.toThrow(/NOAUTH/);
    await expect(anon.auth("nope")).rejects.toThrow(/WRONGPASS/);
    anon.disconnect();
  });

  it("runs unprivileged with the password in neither argv nor a file", () => {
    expectUnprivileged(pid);
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).not.toContain(password);
    expect(filesContaining(record.dataDir, password)).toEqual([]);
  });

  it("adopts the running server, then stops it", async () => {
    expect(await driver.ensure(spec, record)).toEqual({ pid, adopted: true });
    await driver.stop(record);
    expect(await driver.isRunning(record)).toBe(false);
    expect(alive(pid)).toBe(false);
  });

  it("names the apt package when redis-server is missing", async () => {
    const emptyPath = join(root, "empty-bin");
    mkdirSync(emptyPath);
    const missing = addonDriver("redis", { pathEnv: emptyPath });
    const r = await newRecord("redis", "nobin", "x");
    await expect(missing.ensure(spec, r)).rejects.toMatchObject({
      code: "SLW_BINARY_MISSING",
      hint: expect.stringContaining("apt-get install -y redis-server"),
    });
  });
});

describe("bucket", () => {
  const driver = addonDriver("bucket");
  const spec: BucketAddon = { type: "bucket" };
  let record: AddonRecord;
  let pid: number;

  beforeAll(async () => {
    record = await newRecord("bucket", "media", "bucket-password");
  });

  it("serves S3 to @aws-sdk/client-s3 with the injected credentials", async () => {
    const first = await driver.ensure(spec, record);
    expect(first.adopted).toBe(false);
    pid = first.pid;
    expectUnprivileged(pid);

    const env = driver.connectionEnv(spec, record);
    expect(env.S3_BUCKET).toBe("media");
    expect(env.MEDIA_BUCKET).toBe("media");
    const s3 = s3Client(env, env.AWS_ACCESS_KEY_ID!);
    await s3.send(new PutObjectCommand({ Bucket: env.S3_BUCKET, Key: "a/b.txt", Body: "hello" }));
    const got = await s3.send(new GetObjectCommand({ Bucket: env.S3_BUCKET, Key: "a/b.txt" }));
    expect(await got.Body?.transformToString()).toBe("hello");
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: env.S3_BUCKET }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(["a/b.txt"]);
    s3.destroy();
  });

  it("refuses anonymous requests and unknown keys", async () => {
    const env = driver.connectionEnv(spec, record);
    expect((await fetch(`${env.S3_ENDPOINT}/media`)).status).toBe(403);
    const s3 = s3Client(env, "S3RVER");
    await expect(s3.send(new ListObjectsV2Command({ Bucket: "media" }))).rejects.toThrow(/Access Denied/);
    s3.destroy();
  });

  it("adopts the running server, then stops it", async () => {
    expect(await driver.ensure(spec, record)).toEqual({ pid, adopted: true });
    await driver.stop(record);
    expect(await driver.isRunning(record)).toBe(false);
    expect(alive(pid)).toBe(false);
  });
});

describe("a control plane killed with SIGKILL", () => {
  // A separate Node process plays the control plane: it starts all three, then dies without
  // any chance to clean up. The servers must keep running and be adopted by the next one.
  const controlPlane = `
    const { addonDriver } = await import(${JSON.stringify(fileURLToPath(new URL("../src/addons/index.ts", import.meta.url)))});
    let input = "";
    for await (const chunk of process.stdin) input += chunk;
    const jobs = JSON.parse(input);
    const started = await Promise.all(jobs.map(({ spec, record }) => addonDriver(record.kind).ensure(spec, record)));
    console.log(JSON.stringify(started));
    setInterval(() => {}, 60_000);
  `;
  const specs = {
    postgres: { type: "postgres", version: 15, databases: ["app"] } satisfies PostgresAddon,
    redis: {
      type: "redis",
      maxmemory: "8mb",
      evictionPolicy: "noeviction",
      persistence: false,
    } satisfies RedisAddon,
    bucket: { type: "bucket" } satisfies BucketAddon,
  };

  it("leaves the add-ons running, and the next control plane adopts them", async () => {
    const jobs = await Promise.all(
      (["postgres", "redis", "bucket"] as const).map(async (kind) => ({
        spec: specs[kind],
        record: await newRecord(kind, `orphan-${kind}`, `pw-${kind}`),
      })),
    );
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", controlPlane], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    child.stdin.end(JSON.stringify(jobs));
    const [line] = (await Promise.race([
      once(createInterface({ input: child.stdout }), "line"),
      once(child, "exit").then(() => Promise.reject(new Error("the control plane exited early"))),
    ])) as string[];
    const pids = (JSON.parse(line!) as Array<{ pid: number }>).map((r) => r.pid);
    child.kill("SIGKILL");
    await once(child, "exit");

    for (const [i, { spec, record }] of jobs.entries()) {
      expect(alive(pids[i]!)).toBe(true);
      const driver = addonDriver(record.kind);
      expect(await driver.ensure(spec as never, record)).toEqual({ pid: pids[i], adopted: true });
      await driver.stop(record);
      expect(alive(pids[i]!)).toBe(false);
    }
  });
});

describe("a port taken by another program", () => {
  let squatter: Server;
  let port: number;

  beforeAll(async () => {
    squatter = createServer((socket) => {
      socket.on("error", () => {}); // probes hang up without reading
      socket.end("not ours\r\n");
    });
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    port = (squatter.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => squatter.close(() => resolve())));

  const specs = {
    postgres: { type: "postgres", version: 15, databases: ["app"] } satisfies PostgresAddon,
    redis: {
      type: "redis",
      maxmemory: "8mb",
      evictionPolicy: "noeviction",
      persistence: false,
    } satisfies RedisAddon,
    bucket: { type: "bucket" } satisfies BucketAddon,
  };

  it.each(["postgres", "redis", "bucket"] as const)("%s says so instead of starting", async (kind) => {
    const record = { ...(await newRecord(kind, `taken-${kind}`, "pw")), port };
    await expect(addonDriver(kind).ensure(specs[kind] as never, record)).rejects.toMatchObject({
      code: "SLW_PORT_IN_USE",
      message: expect.stringContaining(`port ${port} on 127.0.0.1 already answers, but it is not ${kind}`),
    });
  });
});

function s3Client(env: Record<string, string>, accessKeyId: string): S3Client {
  return new S3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.AWS_REGION,
    forcePathStyle: env.S3_FORCE_PATH_STYLE === "true",
    credentials: { accessKeyId, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
}
