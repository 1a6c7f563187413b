import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { jobs } from "../src/index";

interface Report {
  completed: number[];
  failed: number[];
}

/** A stand-in for the control plane's job-report route on a real socket; `status` is what it answers. */
async function reportServer(port = 0) {
  const reports: Report[] = [];
  const tokens: string[] = [];
  let status = 200;
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      tokens.push(req.headers.authorization ?? "");
      if (status === 200) reports.push(JSON.parse(body) as Report);
      res.writeHead(status, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/report`,
    port: (server.address() as AddressInfo).port,
    reports,
    tokens,
    answer(s: number) {
      status = s;
    },
    jobs: () => reports.reduce((n, r) => n + r.completed.length + r.failed.length, 0),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** Polls (bounded) until `check` holds: arrival, never a fixed wait. */
async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) await o.close();
});

describe("jobs() client", () => {
  it("reports outcomes and durations in batches, with the worker's token", async () => {
    const server = await reportServer();
    open.push(server);
    const j = jobs({ url: server.url, token: "slwj_t", flushMs: 20, maxBatch: 3 });
    open.push(j);
    j.completed(12);
    j.failed(40);
    j.completed(7); // a full batch goes at once
    await until(() => server.jobs() === 3, "the first batch");
    expect(server.reports[0]).toEqual({ completed: [12, 7], failed: [40] });
    j.completed(5);
    await until(() => server.jobs() === 4, "the timer's batch");
    expect(server.tokens.every((t) => t === "Bearer slwj_t")).toBe(true);
  });

  it("track() times the job, reports how it ended, and leaves its result and error untouched", async () => {
    const server = await reportServer();
    open.push(server);
    const j = jobs({ url: server.url, flushMs: 10 });
    open.push(j);
    await expect(j.track(async () => 42)).resolves.toBe(42);
    const boom = new Error("job failed");
    await expect(j.track(() => Promise.reject(boom))).rejects.toBe(boom);
    await expect(j.track(() => "sync")).resolves.toBe("sync");
    await j.flush();
    const all = server.reports.reduce(
      (a, r) => ({ completed: [...a.completed, ...r.completed], failed: [...a.failed, ...r.failed] }),
      {
        completed: [] as number[],
        failed: [] as number[],
      },
    );
    expect(all.completed).toHaveLength(2);
    expect(all.failed).toHaveLength(1);
    expect([...all.completed, ...all.failed].every((ms) => ms >= 0 && ms < 5_000)).toBe(true);
  });

  it("never blocks or throws while the control plane is away, and sends what it kept once it is back", async () => {
    const server = await reportServer();
    const port = server.port;
    const url = server.url;
    await server.close();
    const errors: Error[] = [];
    const j = jobs({ url, flushMs: 10, maxPending: 5, timeoutMs: 500, onError: (e) => errors.push(e) });
    open.push(j);
    for (let i = 0; i < 8; i++) j.completed(i);
    await expect(j.track(async () => "done")).resolves.toBe("done");
    await until(() => errors.length >= 2, "failed reports");
    // The oldest outcomes past the bound were dropped, and counted.
    expect(j.pending).toBeLessThanOrEqual(5);
    expect(j.dropped).toBeGreaterThanOrEqual(4);

    const back = await reportServer(port);
    open.push(back);
    await until(() => back.jobs() === 5, "the kept outcomes");
    expect(j.pending).toBe(0);
  });

  it("keeps a refused report for the next one", async () => {
    const server = await reportServer();
    open.push(server);
    server.answer(503);
    const errors: Error[] = [];
    const j = jobs({ url: server.url, flushMs: 10, onError: (e) => errors.push(e) });
    open.push(j);
    j.failed(3);
    await until(() => errors.length > 0, "a refused report");
    expect(errors[0]?.message).toMatch(/answered 503/);
    server.answer(200);
    await until(() => server.jobs() === 1, "the report sent again");
    expect(server.reports).toEqual([{ completed: [], failed: [3] }]);
  });

  it("keeps and sends nothing without a URL (not started by Slipway)", async () => {
    const j = jobs({ url: "" });
    j.completed(1);
    expect(j.pending).toBe(0);
    await j.close();
  });
});
