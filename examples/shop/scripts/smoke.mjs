// Smoke check without Slipway: runs the release job, starts every service the way Slipway
// does (argv, no shell, env), exercises each endpoint, then checks graceful shutdown.
// Needs a Postgres and a Redis you started: DATABASE_URL=... REDIS_URL=... npm run smoke
// Uploads are checked too when S3_ENDPOINT/S3_BUCKET (and credentials) are set.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import net from "node:net";

const root = new URL("..", import.meta.url);
const release = `smoke-${Date.now()}`;
const children = [];

async function freePort() {
  const server = net.createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  return port;
}

function start(name, script, env = {}) {
  const child = spawn("node", [script], {
    cwd: root,
    env: { ...process.env, SLIPWAY_RELEASE: release, SLIPWAY_BUILD: "smoke", SLIPWAY_SERVICE: name, ...env },
    stdio: ["ignore", "inherit", "inherit"],
  });
  child.exited = once(child, "exit").then(([code]) => code);
  children.push(child);
  return child;
}

async function call(base, path, init) {
  const res = await fetch(base + path, init);
  const type = res.headers.get("content-type") ?? "";
  return { status: res.status, body: type.includes("json") ? await res.json() : await res.text() };
}

async function until(what, check, ms = 15_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const step = (message) => console.log(`smoke: ${message}`);

try {
  step("release job");
  assert.equal(await start("migrate", "migrate.mjs").exited, 0);
  assert.equal(await start("migrate", "migrate.mjs", { FAIL_MIGRATION: "1" }).exited, 1);

  const [ratesPort, apiPort, webPort] = [await freePort(), await freePort(), await freePort()];
  start("rates", "rates.mjs", { PORT: String(ratesPort), BASE_RATE: "1.5" });
  const api = start("api", "api.mjs", {
    PORT: String(apiPort),
    RATES_URL: `http://127.0.0.1:${ratesPort}`,
    GREETING: "hello from smoke",
    JOB_BACKOFF_MS: "50",
  });
  start("web", "web.mjs", { PORT: String(webPort) });
  const worker = start("worker", "worker.mjs");
  const apiBase = `http://127.0.0.1:${apiPort}`;
  const webBase = `http://127.0.0.1:${webPort}`;
  for (const port of [ratesPort, apiPort, webPort])
    await until(`healthz on ${port}`, async () => (await fetch(`http://127.0.0.1:${port}/healthz`)).ok);

  step("api endpoints");
  const version = (await call(apiBase, "/api/version")).body;
  assert.deepEqual(version, { release, build: "smoke", greeting: "hello from smoke", service: "api" });
  const added = await call(apiBase, "/api/items", {
    method: "POST",
    body: JSON.stringify({ name: "Cleat" }),
  });
  assert.equal(added.status, 201);
  assert.ok((await call(apiBase, "/api/items")).body.some((item) => item.id === added.body.id));
  assert.equal((await call(apiBase, "/api/items", { method: "POST", body: "{}" })).status, 400);
  assert.deepEqual((await call(apiBase, "/api/quote")).body, { rate: 1.5, release });
  const runs = (await call(apiBase, "/api/release-jobs")).body.filter((row) => row.release === release);
  assert.equal(runs.length, 1, "one release_jobs row for this release (the failed run adds none)");
  assert.equal((await call(apiBase, "/api/nope")).status, 404);

  step("jobs: success, retry then success, dead letter");
  const post = async (data) =>
    (await call(apiBase, "/api/jobs", { method: "POST", body: JSON.stringify(data) })).body.id;
  const deadBefore = (await call(apiBase, "/api/queues")).body["jobs-dead"].waiting;
  const [ok, flaky, doomed] = [
    await post({ n: 7 }),
    await post({ n: 3, fail: 2 }),
    await post({ n: 1, fail: true }),
  ];
  const settled = (id) =>
    until(`job ${id}`, async () => {
      const { body } = await call(apiBase, `/api/jobs/${id}`);
      return ["completed", "failed"].includes(body.state) && body;
    });
  assert.equal((await settled(ok)).result.result, 49);
  const flakyJob = await settled(flaky);
  assert.deepEqual([flakyJob.state, flakyJob.attemptsMade, flakyJob.result.result], ["completed", 3, 9]);
  assert.equal((await settled(doomed)).state, "failed");
  await until(
    "dead letter",
    async () => (await call(apiBase, "/api/queues")).body["jobs-dead"].waiting > deadBefore,
  );
  assert.equal((await call(apiBase, "/api/jobs", { method: "POST", body: '{"n":-1}' })).status, 400);

  if (process.env.S3_BUCKET) {
    step("uploads");
    const up = await call(apiBase, "/api/uploads", {
      method: "POST",
      body: "hello bucket",
      headers: { "content-type": "text/plain" },
    });
    assert.equal(up.status, 201);
    assert.equal((await call(apiBase, `/api/uploads/${up.body.key}`)).body, "hello bucket");
    assert.equal((await call(apiBase, `/api/uploads/${crypto.randomUUID()}`)).status, 404);
  } else step("uploads skipped (no S3_BUCKET)");

  step("web");
  const page = await call(webBase, "/");
  assert.ok(page.status === 200 && page.body.includes("Slipway Shop"));
  assert.equal((await call(webBase, "/app.js")).status, 200);
  assert.equal((await call(webBase, "/../package.json")).status, 404);

  step("drain: the worker finishes its running job on SIGTERM");
  const longJob = await post({ n: 5, ms: 1500 });
  await until(
    "long job active",
    async () => (await call(apiBase, `/api/jobs/${longJob}`)).body.state === "active",
  );
  worker.kill("SIGTERM");
  assert.equal(await worker.exited, 0);
  assert.equal((await call(apiBase, `/api/jobs/${longJob}`)).body.state, "completed");

  step("drain: the api answers its in-flight request on SIGTERM, then exits");
  const slow = call(apiBase, "/api/slow?ms=1500");
  await new Promise((r) => setTimeout(r, 300));
  const drainStarted = Date.now();
  api.kill("SIGTERM");
  assert.equal((await slow).status, 200, "the in-flight request is answered");
  assert.equal(await api.exited, 0);
  assert.ok(
    Date.now() - drainStarted < 3_000,
    "exit soon after the last request, not after keep-alive timeouts",
  );
  await assert.rejects(fetch(`${apiBase}/healthz`), "no new connections after the drain");
  step("all good");
} finally {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  const codes = await Promise.all(children.map((child) => child.exited));
  if (
    process.exitCode === undefined &&
    codes.some((code, i) => code !== 0 && children[i].spawnargs[1] !== "migrate.mjs")
  ) {
    console.error("smoke: a service did not exit 0 on SIGTERM");
    process.exitCode = 1;
  }
}
