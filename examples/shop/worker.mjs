// Consumes the `jobs` queue: squares `n`, records the result in Postgres (job_results) and,
// when a job has used its last attempt, copies it to `jobs-dead` for a human to inspect
// (BullMQ retries, but has no dead-letter queue of its own). Every attempt's outcome and
// duration is reported through the SDK's jobs(): a canary's worker is judged on them.
import { Queue, UnrecoverableError, Worker } from "bullmq";
import { createPool } from "./lib/db.mjs";
import { closeRedis, createRedis, reportErrors } from "./lib/redis.mjs";
import { log, logError, release, sleep } from "./lib/runtime.mjs";
import { onShutdown } from "./lib/shutdown.mjs";
import { jobs } from "./lib/slipway-runtime.mjs";

const pool = createPool();
const redis = createRedis({ blocking: true });
const deadJobs = new Queue("jobs-dead", { connection: redis });
reportErrors(deadJobs, "queue jobs-dead");
const outcomes = jobs({ onError: (err) => logError("job report", err) });

// A fault knob a release can set, to rehearse a bad worker canary: FAULT_JOB_FAIL_PERCENT of
// attempts fail (as the api's FAULT_5XX_PERCENT does for requests).
const faultPercent = Math.min(Math.max(Number(process.env.FAULT_JOB_FAIL_PERCENT ?? 0) || 0, 0), 100);

async function square(job) {
  const { n, fail = false, ms = 0 } = job.data;
  const attempt = job.attemptsMade + 1;
  if (ms > 0) await sleep(ms);
  if (faultPercent > 0 && Math.random() * 100 < faultPercent)
    throw new Error(`injected fault (FAULT_JOB_FAIL_PERCENT=${faultPercent})`);
  if (fail === true || (typeof fail === "number" && attempt <= fail))
    throw new Error(`attempt ${attempt} failed on purpose (fail: ${fail})`);
  const result = n * n;
  // A job can run twice (a worker killed after the insert, before BullMQ heard back):
  // the first result stands.
  await pool.query(
    `INSERT INTO job_results (job_id, n, result, attempts, release) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (job_id) DO NOTHING`,
    [job.id, n, result, attempt, release],
  );
  return { result, release };
}

async function withDeadLetter(job) {
  try {
    return await square(job);
  } catch (err) {
    // Decided here rather than in a "failed" listener so the copy is written before the
    // job is marked failed, and a drain (worker.close) waits for it.
    const final = err instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) {
      const dead = { ...job.data, originalJobId: job.id, failedReason: err.message, release };
      // The fixed jobId makes the copy idempotent if this attempt is ever replayed.
      await deadJobs.add(job.name, dead, { jobId: `dead-${job.id}` });
    }
    throw err;
  }
}

const worker = new Worker("jobs", (job) => outcomes.track(() => withDeadLetter(job)), {
  connection: redis,
  concurrency: Number(process.env.WORKER_CONCURRENCY ?? 2),
});
reportErrors(worker, "worker");
worker.on("failed", (job, err) => logError(`job ${job?.id} attempt ${job?.attemptsMade}`, err));
worker.on("ready", () => log("consuming queue jobs"));

onShutdown(async () => {
  // close() stops taking jobs and waits for the running ones to finish. Without Redis their
  // outcome could not be recorded anyway (BullMQ retries them once they stall), so then
  // don't wait for Redis to come back.
  await worker.close(redis.status !== "ready");
  await deadJobs.close();
  await outcomes.close();
  await closeRedis(redis);
  await pool.end();
});
