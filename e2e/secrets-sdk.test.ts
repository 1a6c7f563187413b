import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  processesUnder,
  slipway,
  upDetached,
} from "./harness";
import { filesHoldingPlaintext } from "./secrets-scan";

/** A service that reads its signing key through the runtime SDK; it answers digests, never values. */
const SIGNER = `
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { secrets } from "./lib/slipway-runtime.mjs";
const s = secrets({ onError: (e) => console.error("secret stream:", e.message) });
const digest = (v) => (v === undefined ? null : createHash("sha256").update(v).digest("hex"));
createServer((req, res) => {
  if (req.url === "/healthz") return res.end("ok");
  if (req.url === "/signer/key") {
    const k = s.secret("SIGNING_KEY");
    return res.end(JSON.stringify({ pid: process.pid, connected: s.connected, current: digest(k?.value), previous: digest(k?.previous) }));
  }
  res.statusCode = 404;
  res.end();
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

/**
 * Secrets and flags reaching running services without a restart: given the shop plus a signer
 * that reads SIGNING_KEY (declared `restart: false`) through the runtime SDK, when the key is
 * rotated, then the same process holds the new key and the old one as previous; and when a
 * deploy changes a kill switch's default, the api's flag client follows the new definition.
 */
describe("secrets and flag definitions reach running services", () => {
  let dir: string;
  let edge: string;
  let api: string;
  const seen: string[] = [];
  const cli = (args: string[]) => slipway([...args, "--dir", dir]);
  const key = () =>
    getJson<{ pid: number; connected: boolean; current: string | null; previous: string | null }>(
      `${edge}/signer/key`,
    );
  const value = async (name: string) => {
    const r = await cli(["secrets", "get", name]);
    expect(r.code, r.stderr).toBe(0);
    seen.push(r.stdout);
    return r.stdout;
  };
  const adminToken = () => JSON.parse(readFileSync(join(dir, ".slipway", "credentials.json"), "utf8")).token;
  const signerEnv = (name: string) => {
    const pid = processesUnder(dir).find((p) => p.cmd.endsWith("signer.mjs"))!.pid;
    const line = readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .find((e) => e.startsWith(`${name}=`));
    return line?.slice(name.length + 1) ?? "";
  };

  beforeAll(async () => {
    dir = makeProject("secrets-sdk");
    writeFileSync(join(dir, "signer.mjs"), SIGNER);
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t
        .replace(
          "  services: {\n",
          '  services: {\n    signer: { type: "web", command: ["node", "signer.mjs"] },\n',
        )
        .replace(
          '    { path: "/api", service: "api" },',
          '    { path: "/api", service: "api" },\n    { path: "/signer", service: "signer" },',
        )
        .replace(
          "  environments: {",
          `  secrets: {
    SIGNING_KEY: { kind: "jwt", services: ["signer"], generate: { bytes: 32 }, restart: false, rotation: { maxAgeDays: 90, overlapHours: 1 } },
  },
  environments: {`,
        ),
    );
    ({ edge, api } = await upDetached(dir));
  }, 300_000);
  afterAll(() => finishProject(dir), 120_000);

  it("a rotation reaches the running signer through the SDK: new key current, old key previous, no restart", async () => {
    const first = await value("SIGNING_KEY");
    const before = await eventually(async () => {
      const k = await key();
      return k.connected && k.current === sha(first) && k;
    }, 60_000);
    expect(before.previous).toBeNull();
    const releases = (await cli(["releases", "--json"])).stdout;

    const rotated = await cli(["secrets", "rotate", "SIGNING_KEY"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    const second = await value("SIGNING_KEY");
    const after = await eventually(async () => {
      const k = await key();
      return k.current === sha(second) && k;
    }, 60_000);
    expect(after).toMatchObject({ pid: before.pid, previous: sha(first) });
    // No release and no restart for it: the same process, the same releases.
    expect((await cli(["releases", "--json"])).stdout).toBe(releases);
  }, 180_000);

  it("the stream opens only with the service's own token: not another service's, not a viewer's", async () => {
    const url = signerEnv("SLIPWAY_SECRETS_URL");
    const own = signerEnv("SLIPWAY_SECRETS_TOKEN");
    expect(url).toMatch(/\/v1\/environments\/local\/secrets\/stream\/signer$/);
    expect(own).toMatch(/^slws_/);
    const open = async (path: string, token?: string) => {
      const ac = new AbortController();
      const res = await fetch(`${api}${path}`, {
        signal: ac.signal,
        ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
      });
      ac.abort();
      return res.status;
    };
    expect(await open("/v1/environments/local/secrets/stream/signer", own)).toBe(200);
    expect(await open("/v1/environments/local/secrets/stream/api", own)).toBe(401);
    expect(await open("/v1/environments/local/secrets/stream/signer")).toBe(401);
    const viewer = await cli(["tokens", "create", "--name", "watcher", "--role", "viewer", "--json"]);
    expect(viewer.code, viewer.stderr).toBe(0);
    const viewerToken = (JSON.parse(viewer.stdout) as { token: string }).token;
    expect(await open("/v1/environments/local/secrets/stream/signer", viewerToken)).toBe(403);
  }, 60_000);

  it("every delivery is an audit event, and no value is in plaintext on disk or in any list response", async () => {
    const auth = { headers: { authorization: `Bearer ${adminToken()}` } };
    const { events } = await getJson<{ events: { kind: string; actor: string; message: string }[] }>(
      `${api}/v1/events?limit=1000`,
      auth,
    );
    const delivered = events.filter((e) => e.kind === "secret.read" && e.actor === "service:signer");
    expect(delivered.length).toBeGreaterThanOrEqual(2);
    expect(delivered[0]!.message).toContain("received SIGNING_KEY v2 (and v1)");
    expect(filesHoldingPlaintext(join(dir, ".slipway"), seen)).toEqual([]);
    for (const path of ["/v1/environments/local/secrets", "/v1/events?limit=1000", "/v1/status"]) {
      const body = await (await fetch(`${api}${path}`, auth)).text();
      for (const v of seen) expect(body.includes(v), `${path} shows a secret value`).toBe(false);
    }
  }, 60_000);

  it("a deploy that changes a kill switch's default reaches the running api's flag client", async () => {
    const flags = () => getJson<{ quotesOff: boolean; connected: boolean }>(`${edge}/api/flags`);
    expect(await flags()).toMatchObject({ quotesOff: false });
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        '"quotes-off": { killSwitch: true, default: false',
        '"quotes-off": { killSwitch: true, default: true',
      ),
    );
    const deploy = await cli(["deploy"]);
    expect(deploy.code, deploy.stderr).toBe(0);
    // The api processes started before the switch read the old definitions from the stream;
    // the switch itself must bring them the new one.
    await eventually(async () => (await flags()).quotesOff === true, 60_000);
    expect((await fetch(`${edge}/api/quote`)).status).toBe(503);
  }, 240_000);

  it("a release job gated by a flag is skipped while the flag is off, saying so, and runs once it is on", async () => {
    const jobsRan = async () =>
      (await getJson<{ release: string }[]>(`${edge}/api/release-jobs`)).map((r) => r.release);
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        'command: ["node", "migrate.mjs"],',
        'command: ["node", "migrate.mjs"],\n      gatedBy: "new-checkout",',
      ),
    );
    const gated = await cli(["deploy"]);
    expect(gated.code, gated.stderr).toBe(0);
    const [skippedRelease] = JSON.parse((await cli(["releases", "--json"])).stdout) as { number: number }[];
    const auth = { headers: { authorization: `Bearer ${adminToken()}` } };
    const { events } = await getJson<{ events: { kind: string; message: string }[] }>(
      `${api}/v1/events?limit=200`,
      auth,
    );
    expect(events.find((e) => e.kind === "release.job.skipped")?.message).toBe(
      `v${skippedRelease!.number}: release job skipped: migrate is gated by flag new-checkout, which is off; turn it on (slipway flags set new-checkout on) and deploy again to run it`,
    );
    expect(await jobsRan()).not.toContain(`v${skippedRelease!.number}`);

    expect((await cli(["flags", "set", "new-checkout", "on"])).code).toBe(0);
    editFile(join(dir, "slipway.config.ts"), (t) => t.replace("hello from v1", "hello again"));
    const open = await cli(["deploy"]);
    expect(open.code, open.stderr).toBe(0);
    const [ranRelease] = JSON.parse((await cli(["releases", "--json"])).stdout) as { number: number }[];
    expect(await jobsRan()).toContain(`v${ranRelease!.number}`);
  }, 240_000);
});
