import { spawnSync } from "node:child_process";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decide, type JudgeOptions } from "../src/commands/judge";

// Given counts in a file or a Prometheus answering instant queries (a tiny real HTTP server
// that knows each revision's counters), when `slipway judge` looks, then it advances, rolls
// back or holds as core's judge says, and its exit code tells which.

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** Counter values by selector and status filter; each look at the canary adds `growth`. */
let series: Record<string, { requests: number; errors: number; slow: number }>;
let growth = 0;
const queries: string[] = [];
let server: Server;
let prometheus: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const promql = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
    queries.push(promql);
    const arm = Object.keys(series).find((s) => promql.includes(s));
    const counts = arm ? series[arm]! : undefined;
    if (
      counts &&
      arm === 'hash="canary"' &&
      promql.includes("http_requests_total{") &&
      !promql.includes("5..")
    )
      counts.requests += growth;
    let value: number | undefined;
    if (counts && promql.includes('code=~"5.."')) value = counts.errors;
    else if (counts && promql.includes("_bucket")) value = counts.requests - counts.slow;
    else if (counts) value = counts.requests;
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        status: "success",
        data: {
          resultType: "vector",
          result: value === undefined ? [] : [{ metric: {}, value: [0, String(value)] }],
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  prometheus = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server?.close());

const opts = (o: Partial<JudgeOptions> = {}): JudgeOptions => ({
  prometheus,
  canarySelector: 'hash="canary"',
  stableSelector: 'hash="stable"',
  service: "api",
  requestsMetric: "http_requests_total",
  statusLabel: "code",
  window: 300,
  interval: 0.01 as number,
  ...o,
});

describe("slipway judge on Prometheus counts", () => {
  it("rolls back a canary with 10% errors, querying each revision's series in the window", async () => {
    series = {
      'hash="canary"': { requests: 2000, errors: 200, slow: 0 },
      'hash="stable"': { requests: 38_000, errors: 38, slow: 0 },
    };
    const j = await decide(opts());
    expect(j.verdict).toBe("rollback");
    expect(j.canary).toMatchObject({ requests: 2000, errors: 200 });
    expect(queries).toContain(
      'sum(increase(http_requests_total{hash="canary",service="api",code=~"5.."}[300s]))',
    );
  });

  it("advances a healthy canary, and rolls back a slow one when a latency budget is given", async () => {
    series = {
      'hash="canary"': { requests: 2000, errors: 1, slow: 20 },
      'hash="stable"': { requests: 38_000, errors: 38, slow: 300 },
    };
    expect((await decide(opts())).verdict).toBe("advance");
    const latency = { latencyMetric: "http_request_duration_seconds", latencyBudgetMs: 250 };
    expect((await decide(opts(latency))).verdict).toBe("advance");
    expect(queries).toContain(
      'sum(increase(http_request_duration_seconds_bucket{hash="canary",service="api",le="0.25"}[300s]))',
    );
    series['hash="canary"']!.slow = 600;
    expect((await decide(opts(latency))).verdict).toBe("rollback");
  });

  it("holds on thin evidence, and with --until-decided keeps looking until traffic decides", async () => {
    series = {
      'hash="canary"': { requests: 10, errors: 0, slow: 0 },
      'hash="stable"': { requests: 1000, errors: 1, slow: 0 },
    };
    expect((await decide(opts())).verdict).toBe("hold");
    growth = 400;
    try {
      const j = await decide(opts({ untilDecided: true }));
      expect(j.verdict).toBe("advance");
      expect(j.canary?.requests).toBeGreaterThan(400);
    } finally {
      growth = 0;
    }
  });

  it("holds, never passes, when Prometheus cannot be reached", async () => {
    const j = await decide(opts({ prometheus: "http://127.0.0.1:1" }));
    expect(j.verdict).toBe("hold");
    expect(j.reason).toContain("Prometheus at http://127.0.0.1:1");
  });
});

describe("slipway judge, the command", () => {
  const run = (counts: unknown) =>
    spawnSync(process.execPath, ["--import", "tsx", MAIN, "judge", "--counts", "-"], {
      input: JSON.stringify(counts),
      encoding: "utf8",
    });

  it("exits 0 advance, 1 roll back, 3 inconclusive, 2 bad input, saying why", () => {
    const stable = { requests: 38_000, errors: 38 };
    const advance = run({ canary: { requests: 2000, errors: 1 }, stable });
    expect(advance.status).toBe(0);
    expect(advance.stdout).toMatch(/^advance: canary within limits over 2000 requests/);
    expect(run({ canary: { requests: 2000, errors: 200 }, stable }).status).toBe(1);
    expect(run({ canary: { requests: 5, errors: 0 }, stable }).status).toBe(3);
    const bad = run({ canary: { requests: 5 } });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('needs a "canary" and a "stable" object');
  });
});
