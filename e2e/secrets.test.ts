import { createHash, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { editFile, eventually, finishProject, getJson, makeProject, slipway, upDetached } from "./harness";
import { filesHoldingPlaintext, filesUnder } from "./secrets-scan";

/** A tiny HS256 token service: signs with JWT_SECRET, accepts JWT_SECRET or JWT_SECRET_PREVIOUS. */
const AUTH_SERVICE = `
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const mac = (data, key) => createHmac("sha256", key).update(data).digest();
const sign = (key) => { const body = part({ alg: "HS256", typ: "JWT" }) + "." + part({ sub: "alice" }); return body + "." + mac(body, key).toString("base64url"); };
const verifies = (token, key) => {
  if (!key) return false;
  const [h, p, s] = token.split(".");
  const want = mac(h + "." + p, key);
  const got = Buffer.from(s ?? "", "base64url");
  return got.length === want.length && timingSafeEqual(got, want);
};
// Digests only: the test compares them with \`secrets get\`; no value ever leaves this process.
const digest = (v) => (v === undefined ? null : createHash("sha256").update(v).digest("hex"));
createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  const env = process.env;
  if (url.pathname === "/healthz") return res.end("ok");
  if (url.pathname === "/auth/sign") return res.end(sign(env.JWT_SECRET));
  if (url.pathname === "/auth/verify") {
    const t = url.searchParams.get("token") ?? "";
    const ok = verifies(t, env.JWT_SECRET) || verifies(t, env.JWT_SECRET_PREVIOUS);
    res.statusCode = ok ? 200 : 401;
    return res.end(ok ? "valid" : "invalid");
  }
  if (url.pathname === "/auth/env")
    return res.end(JSON.stringify({
      JWT_SECRET: digest(env.JWT_SECRET),
      JWT_SECRET_PREVIOUS: digest(env.JWT_SECRET_PREVIOUS),
      VENDOR_KEY: digest(env.VENDOR_KEY),
      TLS_CERT: digest(env.TLS_CERT),
    }));
  res.statusCode = 404;
  res.end();
}).listen(Number(process.env.PORT), "127.0.0.1");
`;

const printVendorKeyDigest =
  "const v = process.env.VENDOR_KEY; process.stdout.write(v === undefined ? 'none' : require('node:crypto').createHash('sha256').update(v).digest('hex'))";
const sha = (v: string) => createHash("sha256").update(v).digest("hex");

/**
 * Secrets end to end through the CLI on the example stack plus a token service: given a stack
 * that declares a generated JWT secret (short overlap), a vendor key and a certificate, when
 * they are imported, read, rotated and listed, then services receive exactly the declared
 * values (NAME_PREVIOUS during the overlap only), only admins read values, and no value is in
 * plaintext anywhere under .slipway or in any list response.
 */
describe("secrets through the CLI", () => {
  let dir: string;
  let edge: string;
  let api: string;
  const vendorKey = `vendor-${randomBytes(12).toString("hex")}`;
  const cert = `-----BEGIN CERTIFICATE-----\n${randomBytes(48).toString("base64")}\n-----END CERTIFICATE-----\n`;
  const seen: string[] = [];
  const cli = (args: string[], input?: string, env?: NodeJS.ProcessEnv) =>
    slipway([...args, "--dir", dir], { ...(input !== undefined ? { input } : {}), ...(env ? { env } : {}) });
  const authEnv = () => getJson<Record<string, string | null>>(`${edge}/auth/env`);
  const adminToken = () => JSON.parse(readFileSync(join(dir, ".slipway", "credentials.json"), "utf8")).token;
  const get = async (name: string) => {
    const r = await cli(["secrets", "get", name]);
    expect(r.code, r.stderr).toBe(0);
    seen.push(r.stdout);
    return r.stdout;
  };

  beforeAll(async () => {
    dir = makeProject("secrets");
    writeFileSync(join(dir, "auth.mjs"), AUTH_SERVICE);
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t
        .replace(
          "  services: {\n",
          '  services: {\n    auth: { type: "web", command: ["node", "auth.mjs"] },\n',
        )
        .replace(
          '    { path: "/api", service: "api" },',
          '    { path: "/api", service: "api" },\n    { path: "/auth", service: "auth" },',
        )
        .replace(
          "  environments: {",
          `  secrets: {
    JWT_SECRET: { kind: "jwt", services: ["auth"], generate: { bytes: 32 }, rotation: { maxAgeDays: 90, overlapHours: 0.02 } },
    VENDOR_KEY: { kind: "vendor", services: ["auth", "api"] },
    TLS_CERT: { services: ["auth"] },
  },
  environments: {`,
        ),
    );
    // A developer's local values: imported into the store, and never copied into a build.
    writeFileSync(join(dir, ".env.local"), `VENDOR_KEY=${vendorKey}\nNOT_DECLARED=whatever\n`);
    ({ edge, api } = await upDetached(dir));
  }, 300_000);
  afterAll(() => finishProject(dir), 120_000);

  it("generates a declared JWT secret at the first deploy, imports the rest, and services restart onto them", async () => {
    const before = await authEnv();
    expect(before.JWT_SECRET).not.toBeNull();
    expect(before.VENDOR_KEY).toBeNull(); // not set yet: `up` started without it and said so

    const imported = await cli(["secrets", "import"]);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toContain("VENDOR_KEY v1 imported in local");
    expect(imported.stderr).toContain("skipped (not declared in the spec, or empty): NOT_DECLARED");
    const certFile = join(dir, "..", `${dir.split("/").pop()}-cert.pem`);
    writeFileSync(certFile, cert);
    const fromFile = await cli(["secrets", "import", "--file", certFile, "--name", "TLS_CERT"]);
    expect(fromFile.code, fromFile.stderr).toBe(0);

    expect(await get("VENDOR_KEY")).toBe(vendorKey);
    expect(await get("TLS_CERT")).toBe(cert);
    const jwt = await get("JWT_SECRET");
    expect(jwt).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    await eventually(async () => {
      const env = await authEnv();
      return env.VENDOR_KEY === sha(vendorKey) && env.TLS_CERT === sha(cert) && env.JWT_SECRET === sha(jwt);
    }, 60_000);

    const list = await cli(["secrets", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const rows = JSON.parse(list.stdout) as {
      name: string;
      version: number;
      rotation: string;
      published?: object;
    }[];
    expect(rows.map((r) => [r.name, r.version, r.rotation])).toEqual([
      ["JWT_SECRET", 1, "ok"],
      ["TLS_CERT", 1, "no-policy"],
      ["VENDOR_KEY", 1, "no-policy"],
    ]);
    const history = await cli(["secrets", "history", "VENDOR_KEY", "--json"]);
    expect(JSON.parse(history.stdout)).toEqual([expect.objectContaining({ version: 1, createdBy: "admin" })]);
  }, 240_000);

  it("rotates the JWT secret with dual-publish: an old token verifies during the overlap and fails after it", async () => {
    const oldToken = await (await fetch(`${edge}/auth/sign`)).text();
    const oldSecret = await get("JWT_SECRET");

    const rotated = await cli(["secrets", "rotate", "JWT_SECRET"]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain("JWT_SECRET v2 rotated in local");
    const newSecret = await get("JWT_SECRET");
    expect(newSecret).not.toBe(oldSecret);

    // During the overlap the service sees both values.
    const during = await eventually(async () => {
      const env = await authEnv();
      return env.JWT_SECRET === sha(newSecret) && env;
    }, 60_000);
    expect(during.JWT_SECRET_PREVIOUS).toBe(sha(oldSecret));
    expect((await fetch(`${edge}/auth/verify?token=${oldToken}`)).status).toBe(200);
    const newToken = await (await fetch(`${edge}/auth/sign`)).text();

    // After it, the previous value is withdrawn by another restart.
    await eventually(async () => (await authEnv()).JWT_SECRET_PREVIOUS === null, 180_000);
    expect((await fetch(`${edge}/auth/verify?token=${oldToken}`)).status).toBe(401);
    expect((await fetch(`${edge}/auth/verify?token=${newToken}`)).status).toBe(200);
  }, 300_000);

  it("only an admin reads values; viewers and deployers can list; every read is an audit event", async () => {
    const tokenOf = async (role: string) => {
      const r = await cli(["tokens", "create", "--name", `${role}-1`, "--role", role, "--json"]);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { token: string }).token;
    };
    for (const role of ["viewer", "deployer"]) {
      const env = { ...process.env, SLIPWAY_URL: api, SLIPWAY_TOKEN: await tokenOf(role) };
      const read = await cli(["secrets", "get", "VENDOR_KEY"], undefined, env);
      expect(read.code).not.toBe(0);
      expect(read.stderr).toContain("SLW_FORBIDDEN");
      expect(read.stdout).not.toContain(vendorKey);
      expect((await cli(["secrets", "list"], undefined, env)).code).toBe(0);
      if (role === "deployer") {
        // Nor through a one-off process's environment (`slipway run`).
        const ran = await slipway(["run", "auth", "--dir", dir, "--", "node", "-e", printVendorKeyDigest], {
          env,
        });
        expect(ran.code, ran.stderr).toBe(0);
        expect(ran.stdout).toBe("none");
      }
    }
    const ranAsAdmin = await slipway(["run", "auth", "--dir", dir, "--", "node", "-e", printVendorKeyDigest]);
    expect(ranAsAdmin.stdout).toBe(sha(vendorKey));
    const events = await getJson<{ events: { kind: string; actor: string; message: string }[] }>(
      `${api}/v1/events?limit=1000`,
      { headers: { authorization: `Bearer ${adminToken()}` } },
    );
    const reads = events.events.filter((e) => e.kind === "secret.read");
    expect(reads.length).toBeGreaterThanOrEqual(seen.length);
    expect(reads.every((e) => e.actor === "admin")).toBe(true);
    expect(events.events.some((e) => e.kind === "auth.denied" && e.message.includes("/read"))).toBe(true);
  }, 120_000);

  it("an unknown secret is a clear error naming what exists", async () => {
    const got = await cli(["secrets", "get", "NOPE"]);
    expect(got.code).not.toBe(0);
    expect(got.stderr).toContain("SLW_NOT_FOUND");
    expect(got.stderr).toContain("no secret NOPE in local");
    expect(got.stderr).toContain("JWT_SECRET");
    const set = await cli(["secrets", "set", "NOPE"], "value");
    expect(set.stderr).toContain("the spec declares no secret NOPE for local");
    const empty = await cli(["secrets", "set", "VENDOR_KEY"], "");
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("no value for VENDOR_KEY");
  }, 60_000);

  it("no secret value is in plaintext in any file under .slipway or in any list response", async () => {
    const values = [...new Set(seen)];
    expect(values.length).toBeGreaterThanOrEqual(4);
    const files = filesUnder(join(dir, ".slipway"));
    expect(files.some((f) => f.includes("/store/"))).toBe(true); // the state store's own data files
    expect(filesHoldingPlaintext(join(dir, ".slipway"), values)).toEqual([]);
    const auth = { headers: { authorization: `Bearer ${adminToken()}` } };
    for (const path of [
      "/v1/environments/local/secrets",
      "/v1/environments/local/secrets/JWT_SECRET/versions",
      "/v1/environments/local/releases",
      "/v1/events?limit=1000",
      "/v1/status",
      "/v1/tokens",
    ]) {
      const body = await (await fetch(`${api}${path}`, auth)).text();
      for (const v of values) expect(body.includes(v), `${path} shows a secret value`).toBe(false);
    }
  }, 120_000);
});
