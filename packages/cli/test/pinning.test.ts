import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isSlipwayError } from "@slipway/core";
import { serverTls, type TlsMaterial } from "@slipway/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { api, resolveTarget, type Target } from "../src/client";
import { writeContexts } from "../src/contexts";

// A real HTTPS server with the certificate `slipway server` would generate, and a second one
// standing in for someone in the middle. Each records every byte it decrypted: a refused
// certificate must mean the request, token and all, never left the CLI.
const dir = mkdtempSync(join(tmpdir(), "slipway-pinning-"));
let real: TlsMaterial;
let other: TlsMaterial;
let server: Server;
let url: string;
let received: { requests: string[]; bytes: number };

beforeAll(async () => {
  real = await serverTls({ dataDir: join(dir, "real"), listenHost: "127.0.0.1" });
  other = await serverTls({ dataDir: join(dir, "other"), listenHost: "127.0.0.1" });
  expect(real.fingerprint).not.toBe(other.fingerprint);
  server = createServer({ cert: real.cert, key: real.key }, (req, res) => {
    received.requests.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ ok: true }));
  });
  server.on("secureConnection", (socket) => socket.on("data", (b: Buffer) => (received.bytes += b.length)));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  received = { requests: [], bytes: 0 };
});

const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    if (isSlipwayError(e)) return e;
    throw e;
  }
  throw new Error("expected a refusal");
};

describe("the CLI's requests to a remote control plane", () => {
  it("go through once the certificate is the pinned one, token included", async () => {
    const t: Target = { url, token: "slw_secret", fingerprint: real.fingerprint };
    expect(await api(t, "GET", "/v1/status")).toEqual({ ok: true });
    expect(received.requests).toEqual(["GET /v1/status Bearer slw_secret"]);
  });

  it("send nothing, not a byte, to a server whose certificate is not the pinned one", async () => {
    const e = await refusal(
      api({ url, token: "slw_secret", fingerprint: other.fingerprint }, "GET", "/v1/status"),
    );
    expect(e.code).toBe("SLW_TLS_UNTRUSTED");
    expect(e.message).toContain(real.fingerprint); // what it saw
    expect(e.message).toContain("nothing was sent");
    expect(e.hint).toContain("--fingerprint");
    expect(received).toEqual({ requests: [], bytes: 0 });
  });

  it("without a pin, refuse a certificate no trusted CA signed, and send nothing", async () => {
    const e = await refusal(api({ url, token: "slw_secret" }, "GET", "/v1/status"));
    expect(e.code).toBe("SLW_TLS_UNTRUSTED");
    expect(e.hint).toContain("--fingerprint");
    expect(received).toEqual({ requests: [], bytes: 0 });
  });
});

describe("resolveTarget", () => {
  const saved = { ...process.env };
  afterAll(() => {
    process.env = saved;
  });
  beforeEach(() => {
    process.env = { ...saved, XDG_CONFIG_HOME: join(dir, "config") };
    for (const k of ["SLIPWAY_URL", "SLIPWAY_TOKEN", "SLIPWAY_FINGERPRINT", "SLIPWAY_CONTEXT"])
      delete process.env[k];
  });

  it("refuses plain HTTP to a host that is not loopback before connecting", async () => {
    process.env.SLIPWAY_URL = "http://192.0.2.77:7443";
    process.env.SLIPWAY_TOKEN = "slw_secret";
    const e = await refusal((async () => resolveTarget({ dir }))());
    expect(e.code).toBe("SLW_INSECURE_TRANSPORT");
    expect(e.hint).toContain("https://");
  });

  it("takes CI's SLIPWAY_URL, SLIPWAY_TOKEN and SLIPWAY_FINGERPRINT", async () => {
    Object.assign(process.env, {
      SLIPWAY_URL: url,
      SLIPWAY_TOKEN: "slw_ci",
      SLIPWAY_FINGERPRINT: real.fingerprint.toUpperCase(),
    });
    const t = resolveTarget({ dir });
    expect(t).toMatchObject({ url, token: "slw_ci", fingerprint: real.fingerprint });
    await api(t, "GET", "/v1/events");
    expect(received.requests).toEqual(["GET /v1/events Bearer slw_ci"]);
  });

  it("reads a named context, then the current one; a context beats SLIPWAY_URL", () => {
    writeContexts({
      current: "staging",
      contexts: {
        prod: { url, token: "slw_prod", fingerprint: real.fingerprint },
        staging: { url: "https://staging.example.com:7443", token: "slw_staging" },
      },
    });
    process.env.SLIPWAY_URL = "https://ci.example.com";
    process.env.SLIPWAY_TOKEN = "slw_ci";
    expect(resolveTarget({ dir, context: "prod" })).toMatchObject({ token: "slw_prod", context: "prod" });
    process.env.SLIPWAY_CONTEXT = "prod";
    expect(resolveTarget({ dir }).token).toBe("slw_prod");
    delete process.env.SLIPWAY_CONTEXT;
    expect(resolveTarget({ dir }).token).toBe("slw_ci");
    delete process.env.SLIPWAY_URL;
    expect(resolveTarget({ dir })).toMatchObject({ token: "slw_staging", context: "staging" });
  });

  it("picks the server of the command's environment, before the current context", () => {
    writeContexts({
      current: "lab",
      contexts: {
        eu: { url, token: "slw_eu", environments: ["prod"] },
        lab: { url: "https://lab.example.com:7443", token: "slw_lab", environments: ["staging"] },
      },
    });
    expect(resolveTarget({ dir, env: "prod" }).token).toBe("slw_eu");
    process.env.SLIPWAY_ENV = "prod";
    expect(resolveTarget({ dir }).token).toBe("slw_eu");
    delete process.env.SLIPWAY_ENV;
    expect(resolveTarget({ dir, env: "dev" }).token).toBe("slw_lab");
    expect(resolveTarget({ dir, env: "prod", context: "lab" }).token).toBe("slw_lab");
  });

  it("names the contexts there are when asked for one that is not", async () => {
    writeContexts({ contexts: { prod: { url, token: "t" } } });
    const e = await refusal((async () => resolveTarget({ dir, context: "prdo" }))());
    expect(e.code).toBe("SLW_NOT_FOUND");
    expect(e.hint).toContain("prod");
  });
});
