import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FlagView, flags, jobs } from "../src/index";

/** A self-signed certificate, as `slipway server` generates for its API. */
function selfSigned(dir: string): { cert: string; key: string; fingerprint: string } {
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-days", "1", "-subj", "/CN=control plane", "-addext", "subjectAltName=IP:127.0.0.1"],
      ...["-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    ],
    { stdio: "ignore" },
  );
  const cert = readFileSync(join(dir, "cert.pem"), "utf8");
  const fingerprint = new X509Certificate(cert).fingerprint256;
  return { cert, key: readFileSync(join(dir, "key.pem"), "utf8"), fingerprint };
}

const on: Record<string, FlagView> = {
  "new-checkout": { state: { on: true }, default: false, killSwitch: false, version: 1 },
};

async function until(check: () => boolean, what: string) {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Given a control plane serving its flag stream over HTTPS with a self-signed certificate,
 * a service that pins the certificate's fingerprint follows its flags; one with another pin,
 * or none, sends nothing at all (its token never leaves the process).
 */
describe("the flag stream over HTTPS with a pinned certificate", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-runtime-tls-"));
  const tls = selfSigned(dir);
  const requests: string[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
      requests.push(req.headers.authorization ?? "");
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`event: flags\ndata: ${JSON.stringify({ flags: on })}\n\n`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/environments/local/flags/stream`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("follows the flags when the fingerprint matches (colons and case as OpenSSL prints them)", async () => {
    const f = flags({ url, token: "slwf_right", fingerprint: tls.fingerprint, defaults: {} });
    try {
      await f.ready();
      expect(f.isOn("new-checkout")).toBe(true);
      expect(requests).toEqual(["Bearer slwf_right"]);
    } finally {
      f.close();
    }
  });

  it.each([
    ["another certificate's fingerprint", `sha256:${"ab".repeat(32)}`, /not the pinned sha256:(ab)+/],
    ["no fingerprint (no CA vouches for it)", undefined, /self.signed/i],
  ])("sends nothing with %s", async (_what, fingerprint, why) => {
    const errors: Error[] = [];
    const before = requests.length;
    const f = flags({
      url,
      token: "slwf_never_sent",
      ...(fingerprint ? { fingerprint } : {}),
      defaults: { "new-checkout": false },
      backoff: { initialMs: 20, maxMs: 20 },
      onError: (e) => errors.push(e),
    });
    try {
      await until(() => errors.length >= 2, "two refused connections");
      expect(errors[0]!.message).toMatch(why);
      expect(f.connected).toBe(false);
      expect(f.isOn("new-checkout")).toBe(false); // the spec's default, as when unreachable
      expect(requests.length).toBe(before);
    } finally {
      f.close();
    }
  });
});

/**
 * A worker's job reports go over the same pinned transport: to the pinned certificate the
 * batch arrives with its token; to another, nothing is sent and the outcomes stay pending.
 */
describe("job reports over HTTPS with a pinned certificate", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-runtime-jobs-tls-"));
  const tls = selfSigned(dir);
  const received: { auth: string; body: unknown }[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer({ cert: tls.cert, key: tls.key }, async (req, res) => {
      let body = "";
      for await (const chunk of req) body += chunk;
      received.push({ auth: req.headers.authorization ?? "", body: JSON.parse(body) });
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/v1/environments/prod/releases/2/jobs/worker`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("delivers the batch with its token when the fingerprint matches", async () => {
    const j = jobs({ url, token: "slwj_right", fingerprint: tls.fingerprint, flushMs: 10_000 });
    j.completed(12);
    j.failed(40);
    await j.close();
    expect(received).toEqual([{ auth: "Bearer slwj_right", body: { completed: [12], failed: [40] } }]);
    expect(j.pending).toBe(0);
  });

  it("sends nothing to another certificate and keeps the outcomes", async () => {
    const errors: Error[] = [];
    const before = received.length;
    const j = jobs({
      url,
      token: "slwj_never_sent",
      fingerprint: `sha256:${"cd".repeat(32)}`,
      flushMs: 10_000,
      onError: (e) => errors.push(e),
    });
    j.failed(5);
    await j.flush();
    expect(errors[0]?.message).toMatch(/not the pinned sha256:(cd)+/);
    expect(received.length).toBe(before);
    expect(j.pending).toBe(1);
    await j.close();
  });
});
