import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type FlagView, flags } from "../src/index";

/**
 * A stand-in for the control plane's stream on a real socket: the client's reconnects and
 * fallbacks are about the network, so they are tested over one.
 */
async function streamServer(port = 0) {
  const clients = new Set<ServerResponse>();
  let snapshot: Record<string, FlagView> = {};
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    tokens.push(req.headers.authorization ?? "");
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`event: flags\ndata: ${JSON.stringify({ environment: "local", flags: snapshot })}\n\n`);
    clients.add(res);
    req.on("close", () => clients.delete(res));
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    tokens,
    set(next: Record<string, FlagView>) {
      snapshot = next;
      for (const c of clients) c.write(`event: flags\ndata: ${JSON.stringify({ flags: next })}\n\n`);
    },
    async close() {
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const view = (on: boolean, percent?: number): FlagView => ({
  state: { on, ...(percent !== undefined ? { percent } : {}) },
  default: false,
  killSwitch: false,
  version: 1,
});

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

describe("flags() client", () => {
  it("follows changes, evaluates locally and tells onChange which flags changed", async () => {
    const server = await streamServer();
    open.push(server);
    server.set({ "new-checkout": view(false) });
    const f = flags({ url: `http://127.0.0.1:${server.port}/s`, token: "slwf_x", defaults: {} });
    open.push(f);
    await f.ready();
    expect(server.tokens).toEqual(["Bearer slwf_x"]);
    expect(f.isOn("new-checkout", "alice")).toBe(false);
    const seen: string[][] = [];
    f.onChange((c) => seen.push(c));
    server.set({ "new-checkout": view(true, 50) });
    await until(() => seen.length === 1, "the change");
    expect(seen).toEqual([["new-checkout"]]);
    expect(f.evaluate("new-checkout", "no-such")).toMatchObject({ source: "stream" });
  });

  it("keeps the last known value while the control plane is down, and reconnects", async () => {
    const server = await streamServer();
    server.set({ kill: view(true) });
    const errors: Error[] = [];
    const f = flags({
      url: `http://127.0.0.1:${server.port}/s`,
      defaults: { kill: false },
      backoff: { initialMs: 20, maxMs: 100 },
      onError: (e) => errors.push(e),
    });
    open.push(f);
    await f.ready();
    const port = server.port;
    await server.close();
    await until(() => errors.length >= 2 && !f.connected, "failed reconnects");
    expect(f.evaluate("kill")).toEqual({ value: true, reason: "on", source: "stream" });
    const again = await streamServer(port);
    open.push(again);
    again.set({ kill: view(false) });
    await until(() => f.connected && !f.isOn("kill"), "the reconnect and the new state");
  });

  it("answers with the spec's defaults when it never reached the control plane", async () => {
    const server = await streamServer();
    const port = server.port;
    await server.close();
    const f = flags({ url: `http://127.0.0.1:${port}/s`, defaults: { "heuristics-only": true } });
    open.push(f);
    expect(f.evaluate("heuristics-only")).toEqual({ value: true, reason: "default", source: "default" });
    expect(f.isOn("unknown")).toBe(false);
  });
});
