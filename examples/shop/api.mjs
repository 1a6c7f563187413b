// The shop's public API (route /api): items in Postgres, jobs on a BullMQ queue, uploads in
// the bucket, and a quote from the private `rates` service. Schema comes from the release
// job (migrate.mjs); this process never migrates.
import { randomUUID } from "node:crypto";
import { pipeline } from "node:stream/promises";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Queue } from "bullmq";
import { createPool } from "./lib/db.mjs";
import { HttpError, readBody, readJson, sendJson, serve } from "./lib/http.mjs";
import { live } from "./lib/live.mjs";
import { closeRedis, createRedis, reportErrors } from "./lib/redis.mjs";
import { build, logError, release, service, sleep } from "./lib/runtime.mjs";
import { onShutdown } from "./lib/shutdown.mjs";
import { flags } from "./lib/slipway-runtime.mjs";

// Feature flags follow the control plane live (no restart) and are evaluated here per request.
const features = flags({ onError: (err) => logError("flag stream", err) });
const pool = createPool();
const redis = createRedis();
const jobs = new Queue("jobs", { connection: redis });
const deadJobs = new Queue("jobs-dead", { connection: redis });
for (const queue of [jobs, deadJobs]) reportErrors(queue, `queue ${queue.name}`);

// Retries belong to the producer: BullMQ stores them on each job. Redis runs with
// noeviction, so finished jobs are trimmed here rather than left to fill memory.
const jobOptions = {
  attempts: 3,
  backoff: { type: "exponential", delay: Number(process.env.JOB_BACKOFF_MS ?? 500) },
  removeOnComplete: { count: 1000 },
  removeOnFail: { count: 1000 },
};

// Path-style addressing and checksums only when required keep the SDK compatible with
// local S3 implementations (Slipway's local bucket, MinIO) as well as AWS itself.
const bucket = process.env.S3_BUCKET;
const s3 = new S3Client({
  endpoint: process.env.S3_ENDPOINT,
  region: process.env.S3_REGION ?? "us-east-1",
  forcePathStyle: process.env.S3_FORCE_PATH_STYLE === "true",
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
});
const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const UPLOAD_KEY = /^[0-9a-f-]{36}$/;

function needBucket() {
  if (!bucket) throw new HttpError(503, "no bucket configured (S3_BUCKET is not set)");
  return bucket;
}

function intIn(value, min, max, what) {
  if (!Number.isInteger(value) || value < min || value > max)
    throw new HttpError(400, `${what} must be an integer from ${min} to ${max}`);
  return value;
}

function version(_req, res) {
  sendJson(res, 200, { release, build, greeting: process.env.GREETING ?? null, service });
}

async function listItems(_req, res) {
  // Newest first, bounded: the page shows a list, not a catalogue.
  const { rows } = await pool.query("SELECT id, name, created_at FROM items ORDER BY id DESC LIMIT 100");
  sendJson(res, 200, rows);
}

async function addItem(req, res) {
  const body = await readJson(req);
  const name = typeof body?.name === "string" ? body.name.trim() : "";
  if (name.length < 1 || name.length > 200) throw new HttpError(400, "name must be 1 to 200 characters");
  const { rows } = await pool.query("INSERT INTO items (name) VALUES ($1) RETURNING id, name, created_at", [
    name,
  ]);
  sendJson(res, 201, rows[0]);
}

// Body { n, fail?, ms? }: the worker squares n after sleeping ms; `fail: true` fails every
// attempt (so the job ends in jobs-dead), `fail: k` fails only the first k attempts.
async function enqueueJob(req, res) {
  const body = (await readJson(req)) ?? {};
  const data = { n: intIn(body.n, 0, 1_000_000, "n") };
  if (body.fail === true || body.fail === false) data.fail = body.fail;
  else if (body.fail !== undefined) data.fail = intIn(body.fail, 0, 10, "fail");
  if (body.ms !== undefined) data.ms = intIn(body.ms, 0, 30_000, "ms");
  // BullMQ's own ids restart at 1 when Redis loses its data (no persistence by default),
  // which would collide with ids already in job_results: a UUID never does.
  const job = await jobs.add("square", data, { ...jobOptions, jobId: randomUUID() });
  sendJson(res, 202, { id: job.id });
}

async function getJob(_req, res, match) {
  const job = await jobs.getJob(match[1]);
  if (!job) throw new HttpError(404, `no job ${match[1]}`);
  sendJson(res, 200, {
    id: job.id,
    state: await job.getState(),
    data: job.data,
    attemptsMade: job.attemptsMade,
    result: job.returnvalue ?? null,
    failedReason: job.failedReason || null,
  });
}

async function queueCounts(_req, res) {
  const states = ["waiting", "active", "delayed", "completed", "failed"];
  sendJson(res, 200, {
    jobs: await jobs.getJobCounts(...states),
    "jobs-dead": await deadJobs.getJobCounts(...states),
  });
}

async function upload(req, res) {
  const Bucket = needBucket();
  const body = await readBody(req, MAX_UPLOAD_BYTES);
  const key = randomUUID();
  await s3.send(
    new PutObjectCommand({
      Bucket,
      Key: key,
      Body: body,
      ContentType: req.headers["content-type"] ?? "application/octet-stream",
    }),
  );
  sendJson(res, 201, { key, size: body.length });
}

async function download(_req, res, match) {
  const Bucket = needBucket();
  if (!UPLOAD_KEY.test(match[1])) throw new HttpError(400, "not an upload key");
  let object;
  try {
    object = await s3.send(new GetObjectCommand({ Bucket, Key: match[1] }));
  } catch (err) {
    if (err?.name === "NoSuchKey" || err?.$metadata?.httpStatusCode === 404)
      throw new HttpError(404, `no upload ${match[1]}`);
    throw err;
  }
  res.writeHead(200, {
    "content-type": object.ContentType ?? "application/octet-stream",
    ...(object.ContentLength !== undefined && { "content-length": object.ContentLength }),
  });
  await pipeline(object.Body, res);
}

// The kill switch turns quotes off at once, without a deploy, if the rates service misbehaves.
async function quote(_req, res) {
  if (features.isOn("quotes-off")) throw new HttpError(503, "quotes are switched off (flag quotes-off)");
  if (!process.env.RATES_URL) throw new HttpError(503, "RATES_URL is not set (the spec's `calls`)");
  let answer;
  try {
    answer = await fetch(new URL("/rate", process.env.RATES_URL), { signal: AbortSignal.timeout(2_000) });
  } catch (err) {
    logError("rates", err);
    throw new HttpError(502, "rates service unreachable");
  }
  if (!answer.ok) throw new HttpError(502, `rates service answered ${answer.status}`);
  sendJson(res, 200, await answer.json());
}

// What this process decides for ?user= right now: the flags as the storefront would use them.
function flagAnswers(_req, res, _match, url) {
  const user = url.searchParams.get("user") ?? undefined;
  sendJson(res, 200, {
    user: user ?? null,
    checkout: features.isOn("new-checkout", user) ? "new" : "classic",
    quotesOff: features.isOn("quotes-off"),
    connected: features.connected,
  });
}

async function releaseJobs(_req, res) {
  const { rows } = await pool.query("SELECT release, ran_at FROM release_jobs ORDER BY ran_at, release");
  sendJson(res, 200, rows);
}

// Answers after ?ms= (default 200, at most 20 s): an in-flight request for drain tests.
async function slow(_req, res, _match, url) {
  const ms = Math.min(Math.max(Number(url.searchParams.get("ms") ?? 200) || 0, 0), 20_000);
  await sleep(ms);
  sendJson(res, 200, { waited: ms, release });
}

// Fault knobs a release can set, to rehearse a bad canary: FAULT_5XX_PERCENT of requests
// (spread evenly, not at random, so a test sees the same share every time) answer 500, and
// every request waits FAULT_DELAY_MS first. Health checks are never faulted.
const faultPercent = Math.min(Math.max(Number(process.env.FAULT_5XX_PERCENT ?? 0) || 0, 0), 100);
const faultDelayMs = Math.max(Number(process.env.FAULT_DELAY_MS ?? 0) || 0, 0);
let served = 0;
function withFaults(handler) {
  if (!faultPercent && !faultDelayMs) return handler;
  return async (req, res, ...rest) => {
    if (faultDelayMs) await sleep(faultDelayMs);
    const n = served++;
    if (Math.floor(((n + 1) * faultPercent) / 100) > Math.floor((n * faultPercent) / 100))
      return sendJson(res, 500, { error: "injected fault (FAULT_5XX_PERCENT)", release });
    return handler(req, res, ...rest);
  };
}

const http = serve({
  ready: () => pool.query("SELECT 1"),
  routes: [
    ["GET", /^\/api\/version$/, version],
    ["GET", /^\/api\/items$/, listItems],
    ["POST", /^\/api\/items$/, addItem],
    ["POST", /^\/api\/jobs$/, enqueueJob],
    ["GET", /^\/api\/jobs\/([A-Za-z0-9_-]{1,64})$/, getJob],
    ["GET", /^\/api\/queues$/, queueCounts],
    ["POST", /^\/api\/uploads$/, upload],
    ["GET", /^\/api\/uploads\/([^/]+)$/, download],
    ["GET", /^\/api\/quote$/, quote],
    ["GET", /^\/api\/release-jobs$/, releaseJobs],
    ["GET", /^\/api\/slow$/, slow],
    ["GET", /^\/api\/flags$/, flagAnswers],
  ].map(([method, path, handler]) => [method, path, withFaults(handler)]),
});

// WebSocket: the release serving it, then a tick a second (closed cleanly on shutdown).
const updates = live(http.server, "/api/live");

onShutdown(async () => {
  // Long-lived sockets first (they would hold the drain open), then in-flight requests.
  await updates.close();
  features.close();
  await http.close();
  await Promise.all([jobs.close(), deadJobs.close()]);
  await closeRedis(redis);
  await pool.end();
  s3.destroy();
});
