import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type SecretView, secrets } from "../src/index";

/** A stand-in for a service's secret stream on a real socket (reconnects are about the network). */
async function streamServer() {
  const clients = new Set<ServerResponse>();
  let current: Record<string, SecretView> = {};
  const tokens: string[] = [];
  const server = createServer((req, res) => {
    tokens.push(req.headers.authorization ?? "");
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(`event: secrets\ndata: ${JSON.stringify({ secrets: current })}\n\n`);
    clients.add(res);
    req.on("close", () => clients.delete(res));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    tokens,
    set(next: Record<string, SecretView>) {
      current = next;
      for (const c of clients) c.write(`event: secrets\ndata: ${JSON.stringify({ secrets: next })}\n\n`);
    },
    async close() {
      for (const c of clients) c.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

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

describe("secrets() client", () => {
  it("follows a rotation: the new value current, the old one previous, onChange names it (never the value)", async () => {
    const server = await streamServer();
    open.push(server);
    server.set({ JWT_SECRET: { version: 1, value: "one" } });
    const s = secrets({ url: `http://127.0.0.1:${server.port}/s`, token: "slws_x" });
    open.push(s);
    await s.ready();
    expect(server.tokens).toEqual(["Bearer slws_x"]);
    expect(s.secret("JWT_SECRET")).toEqual({ value: "one" });
    const changed: string[][] = [];
    s.onChange((c) => changed.push(c));
    server.set({ JWT_SECRET: { version: 2, value: "two", previous: { version: 1, value: "one" } } });
    await until(() => changed.length === 1, "the rotation");
    expect(changed).toEqual([["JWT_SECRET"]]);
    expect(s.secret("JWT_SECRET")).toEqual({ value: "two", previous: "one" });
    server.set({ JWT_SECRET: { version: 2, value: "two" } });
    await until(() => changed.length === 2, "the withdrawal");
    expect(s.secret("JWT_SECRET")).toEqual({ value: "two" });
  });

  it("answers from the process environment (NAME, NAME_PREVIOUS) until the stream has spoken", async () => {
    process.env.SDK_TEST_KEY = "from-env";
    process.env.SDK_TEST_KEY_PREVIOUS = "older";
    try {
      const s = secrets({ url: "http://127.0.0.1:9/none", backoff: { initialMs: 1000, maxMs: 1000 } });
      open.push(s);
      expect(s.secret("SDK_TEST_KEY")).toEqual({ value: "from-env", previous: "older" });
      expect(s.secret("NOT_SET_ANYWHERE")).toBeUndefined();
    } finally {
      delete process.env.SDK_TEST_KEY;
      delete process.env.SDK_TEST_KEY_PREVIOUS;
    }
  });
});
