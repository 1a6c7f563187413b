import { createSocket } from "node:dgram";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { freePort } from "../system/ports";
import { EdgeLogReceiver, parseEdgeLogLine } from "./log-receiver";

describe("parseEdgeLogLine", () => {
  it("reads backend, server, status and active time", () => {
    expect(parseEdgeLogLine("slw1 web v2-1 200 13")).toEqual({
      backend: "web",
      server: "v2-1",
      status: 200,
      activeMs: 13,
    });
    expect(parseEdgeLogLine("slw1 web v2-1 -1 -1\n")).toEqual({
      backend: "web",
      server: "v2-1",
      status: -1,
      activeMs: -1,
    });
  });

  it("ignores HAProxy's own answers and foreign lines", () => {
    expect(parseEdgeLogLine("slw1 _notfound <NOSRV> 404 0")).toBeUndefined();
    expect(parseEdgeLogLine("<134>Nov 23 haproxy[1]: something else")).toBeUndefined();
    expect(parseEdgeLogLine("slw1 web v1 200")).toBeUndefined();
    expect(parseEdgeLogLine("slw1 web v1 2x0 5")).toBeUndefined();
    expect(parseEdgeLogLine("slw1 web v1 200 5 extra")).toBeUndefined();
    expect(parseEdgeLogLine("slw1  v1 200 5")).toBeUndefined();
  });

  it("tolerates a trailing CR or newline", () => {
    expect(parseEdgeLogLine("slw1 web v1 200 5\r\n")).toMatchObject({ server: "v1", activeMs: 5 });
  });
});

describe("EdgeLogReceiver", () => {
  it("keeps status classes and latency percentiles per backend/server", () => {
    const r = new EdgeLogReceiver(0);
    for (let ms = 1; ms <= 100; ms++) r.record(`slw1 web v1 200 ${ms}`);
    r.record("slw1 web v1 503 7");
    r.record("slw1 web v1 -1 -1");
    r.record("slw1 web v2 404 3");
    const byServer = Object.fromEntries(r.snapshot().map((t) => [t.server, t]));
    expect(byServer.v1?.statuses).toEqual({ "1xx": 0, "2xx": 100, "3xx": 0, "4xx": 0, "5xx": 1, other: 1 });
    expect(byServer.v1?.latency).toEqual({ samples: 101, p50Ms: 50, p95Ms: 95, p99Ms: 99, maxMs: 100 });
    expect(byServer.v2?.statuses["4xx"]).toBe(1);
    r.reset();
    expect(r.snapshot()).toEqual([]);
  });

  it("receives lines over UDP on 127.0.0.1", async () => {
    const port = await freePort();
    const r = new EdgeLogReceiver(port);
    await r.start();
    const client = createSocket("udp4");
    try {
      for (const line of ["slw1 web v1 200 5", "slw1 web v1 200 9"])
        await new Promise<void>((resolve, reject) =>
          client.send(line, port, "127.0.0.1", (e) => (e ? reject(e) : resolve())),
        );
      for (let i = 0; i < 50 && r.snapshot()[0]?.latency.samples !== 2; i++) await sleep(10);
      expect(r.snapshot()[0]?.latency).toMatchObject({ samples: 2, maxMs: 9 });
    } finally {
      client.close();
      await r.stop();
    }
  });

  it("reports a taken port as SLW_PORT_IN_USE", async () => {
    const port = await freePort();
    const first = new EdgeLogReceiver(port);
    await first.start();
    try {
      await expect(new EdgeLogReceiver(port).start()).rejects.toMatchObject({ code: "SLW_PORT_IN_USE" });
    } finally {
      await first.stop();
    }
  });
});
