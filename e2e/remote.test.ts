import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import { get as getHttps } from "node:https";
import { networkInterfaces, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { request } from "../packages/cli/src/client";
import { editFile, eventually, makeProject, REPO, removeProject, slipway, slipwayFollow } from "./harness";

const BIN = join(REPO, "packages", "cli", "bin", "slipway.js");

/**
 * A "remote" host: a network namespace with its own loopback and one veth link to this one,
 * so the control plane, its store, add-ons and edge live on another network stack and are
 * reached only at `address`. Where namespaces are not available, a non-loopback address of
 * this machine stands in (the listener is still bound to it alone).
 */
function remoteHost(): { address: string; exec: string[]; remove(): void } {
  const id = (process.pid % 250) + 1;
  const ns = `slw-remote-${process.pid}`;
  const host = `slwh${process.pid}`;
  const peer = `slwn${process.pid}`;
  const [hostIp, nsIp] = [`10.231.${id}.1`, `10.231.${id}.2`];
  const ip = (...args: string[]) => spawnSync("ip", args, { encoding: "utf8" });
  const steps = [
    ["netns", "add", ns],
    ["link", "add", host, "type", "veth", "peer", "name", peer],
    ["link", "set", peer, "netns", ns],
    ["addr", "add", `${hostIp}/30`, "dev", host],
    ["link", "set", host, "up"],
    ["netns", "exec", ns, "ip", "addr", "add", `${nsIp}/30`, "dev", peer],
    ["netns", "exec", ns, "ip", "link", "set", peer, "up"],
    ["netns", "exec", ns, "ip", "link", "set", "lo", "up"],
  ];
  const remove = () => {
    ip("link", "del", host);
    ip("netns", "del", ns);
  };
  for (const step of steps) {
    if (ip(...step).status === 0) continue;
    remove();
    const address = Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === "IPv4" && !a.internal)?.address;
    if (!address) throw new Error("no network namespace and no non-loopback IPv4 address to test with");
    return { address, exec: [], remove() {} };
  }
  return { address: nsIp, exec: ["ip", "netns", "exec", ns], remove };
}

/** A certificate for the edge, for the remote address, as an operator's CA-issued one would be. */
function edgeCertificate(address: string, dir: string): string {
  const r = spawnSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
      ...["-days", "2", "-subj", "/CN=edge", "-addext", `subjectAltName=IP:${address}`],
      ...["-keyout", join(dir, "edge.key"), "-out", join(dir, "edge.crt")],
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return readFileSync(join(dir, "edge.crt"), "utf8");
}

interface Started {
  url: string;
  fingerprint: string;
  adminToken: string;
}

/** `slipway server --json` on the remote host; resolves once it printed where it listens. */
function startServer(exec: string[], args: string[]): { child: ChildProcess; started: Promise<Started> } {
  const argv = [...exec, process.execPath, BIN, "server", ...args, "--json"];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (b) => (stderr += b));
  const started = new Promise<Started>((resolveStarted, reject) => {
    child.stdout!.on("data", (b) => {
      stdout += b;
      let out: Started | { error: unknown } | undefined;
      try {
        out = JSON.parse(stdout);
      } catch {}
      if (out && "error" in out) reject(new Error(JSON.stringify(out.error)));
      else if (out) resolveStarted(out);
    });
    child.once("exit", (code) => reject(new Error(`slipway server exited ${code}:\n${stderr}`)));
  });
  return { child, started };
}

/**
 * Given a control plane on another host (its own network stack, its own data directory),
 * serving the API over HTTPS with a generated certificate, when a CLI adds it as a context
 * and deploys, follows logs and rolls back through it, then everything works as locally; a
 * certificate that is not the pinned one gets nothing (no token), a viewer cannot deploy,
 * and plain HTTP is refused on both ends.
 */
describe("a remote control plane over TLS", () => {
  let host: ReturnType<typeof remoteHost>;
  let project: string;
  let dataDir: string;
  let server: ChildProcess;
  let remote: Started;
  let started = false;
  let edge: string;
  let edgeCa: string;
  const certDir = mkdtempSync(join(tmpdir(), "slipway-remote-certs-"));
  /** GET from the edge over HTTPS, trusting only the edge's own certificate. */
  const edgeGet = (path: string) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolveGet, reject) => {
      getHttps(`${edge}${path}`, { ca: edgeCa }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c) => (text += c));
        res.on("end", () => resolveGet({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      }).once("error", reject);
    });
  const ctx = ["--context", "prod"];
  const env = ["--env", "staging"];

  beforeAll(async () => {
    // The CLI's contexts go to a config directory of this test's own.
    process.env.XDG_CONFIG_HOME = mkdtempSync(join(tmpdir(), "slipway-remote-config-"));
    for (const k of ["SLIPWAY_URL", "SLIPWAY_TOKEN", "SLIPWAY_FINGERPRINT", "SLIPWAY_CONTEXT", "SLIPWAY_ENV"])
      delete process.env[k];
    host = remoteHost();
    project = makeProject("remote");
    dataDir = mkdtempSync(join(tmpdir(), "slipway-remote-data-"));
    rmSync(dataDir, { recursive: true });
    edgeCa = edgeCertificate(host.address, certDir);
    const s = startServer(host.exec, [
      // No stack directory on the server: each deploy brings the spec with the source.
      ...["--stack", "shop", "--env", "staging", "--data-dir", dataDir],
      ...["--listen", `${host.address}:0`, "--edge-listen", host.address, "--port", "0"],
      ...["--edge-cert", join(certDir, "edge.crt"), "--edge-key", join(certDir, "edge.key")],
    ]);
    server = s.child;
    remote = await s.started;
    started = true;
  });

  afterAll(async () => {
    try {
      if (started && server.exitCode === null) {
        const down = await slipway(["down", ...ctx]);
        expect(down.code, down.stderr).toBe(0);
        await eventually(async () => server.exitCode !== null, 30_000);
      }
    } finally {
      if (server && server.exitCode === null && !started) server.kill("SIGKILL");
      removeProject(project);
      removeProject(dataDir);
      host.remove();
      rmSync(process.env.XDG_CONFIG_HOME!, { recursive: true, force: true });
      rmSync(certDir, { recursive: true, force: true });
    }
  });

  it("listens on the remote address only, over HTTPS, with the fingerprint it printed", () => {
    expect(remote.url).toMatch(new RegExp(`^https://${host.address.replaceAll(".", "\\.")}:\\d+$`));
    expect(remote.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(remote.adminToken).toMatch(/^slw_/);
    // Its state is in its data directory, private; nothing was written beside the source.
    // (0711 as root: the users add-ons and services run as may enter, never list or write.)
    expect(statSync(dataDir).mode & 0o066).toBe(0);
    expect(statSync(join(dataDir, "tls", "key.pem")).mode & 0o777).toBe(0o600);
    expect(() => statSync(join(project, ".slipway"))).toThrow();
  });

  it("is added as a context whose token is stored privately and never listed", async () => {
    const add = await slipway([
      ...["context", "add", "prod", remote.url],
      ...["--token", remote.adminToken, "--fingerprint", remote.fingerprint, "--env", "staging"],
    ]);
    expect(add.code, add.stderr).toBe(0);
    const file = join(process.env.XDG_CONFIG_HOME!, "slipway", "contexts.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const list = await slipway(["context", "list"]);
    expect(list.stdout).toContain(remote.url);
    expect(list.stdout).toContain(remote.fingerprint);
    expect(`${list.stdout}${list.stderr}`).not.toContain(remote.adminToken);
  });

  it("answers status, deploys, serves at the public edge, follows logs, rolls back", async () => {
    const status = await slipway(["status", ...ctx, "--json"]);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).stack).toBe("shop");

    const first = await slipway(["deploy", "--dir", project, ...ctx, ...env, "--json"]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).release).toBe(1);
    const after = JSON.parse((await slipway(["status", ...ctx, "--json"])).stdout) as {
      environments: { name: string; url: string }[];
    };
    edge = after.environments.find((e) => e.name === "staging")!.url;
    // The edge is on the remote host's address, reached from here, TLS terminated by HAProxy.
    expect(edge).toMatch(new RegExp(`^https://${host.address.replaceAll(".", "\\.")}:\\d+$`));
    expect((await edgeGet("/api/version")).body).toMatchObject({ release: "v1" });

    // The spec came with the upload: the server keeps it in its data directory.
    expect(readlinkSync(join(dataDir, "stack"))).toMatch(/^sources\/[0-9a-f]{32}$/);
    const apis = async (release: number) =>
      (
        JSON.parse((await slipway(["status", ...ctx, "--json"])).stdout) as {
          environments: { name: string; processes: { service: string; release: number }[] }[];
        }
      ).environments
        .find((e) => e.name === "staging")!
        .processes.filter((p) => p.service === "api" && p.release === release).length;
    expect(await apis(1)).toBe(1);

    const follow = slipwayFollow(["logs", "api", ...ctx, ...env, "-f", "-n", "1"]);
    // A change to the spec alone, made here: a service's env and its scale in staging.
    editFile(join(project, "slipway.config.ts"), (t) =>
      t
        .replace(/hello from v1/g, "hello from v2")
        .replace("staging: {},", "staging: { services: { api: { scale: { min: 2, max: 2 } } } },"),
    );
    const second = await slipway(["deploy", "--dir", project, ...ctx, ...env, "--json"]);
    expect(second.code, second.stderr).toBe(0);
    // Only the spec changed: one file uploaded, the same build, the server runs the new config.
    expect(JSON.parse(second.stdout).upload).toMatchObject({ files: 1 });
    expect((await edgeGet("/api/version")).body).toMatchObject({
      release: "v2",
      greeting: "hello from v2",
    });
    expect(await apis(2)).toBe(2);
    // v2's api started while the stream followed the live api's output.
    await eventually(async () => follow.output().length > 0, 30_000);
    await follow.stop();

    const back = await slipway(["rollback", ...ctx, ...env, "--json"]);
    expect(back.code, back.stderr).toBe(0);
    expect(JSON.parse(back.stdout).release).toBe(3);
    expect((await edgeGet("/api/version")).body).toMatchObject({
      release: "v3",
      greeting: "hello from v1",
    });
    // No --context: the context that runs staging is chosen by --env alone.
    const releases = await slipway(["releases", ...env, "--json"]);
    expect(releases.code, releases.stderr).toBe(0);
    expect((JSON.parse(releases.stdout) as { number: number }[]).map((r) => r.number)).toEqual([3, 2, 1]);
  });

  it("refuses a spec that does not validate on the server, naming the field; nothing changes", async () => {
    const spec = join(project, "slipway.config.ts");
    const before = readFileSync(spec, "utf8");
    const adopted = readlinkSync(join(dataDir, "stack"));
    try {
      editFile(spec, (t) => t.replace("scale: { min: 2, max: 2 }", "scale: { min: 3, max: 2 }"));
      const bad = await slipway(["deploy", "--dir", project, ...ctx, ...env]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("SLW_SPEC_INVALID");
      expect(bad.stderr).toContain("environments.staging.services.api.scale.max: max must be >= min");
      editFile(spec, () => before.replace('name: "shop"', 'name: "blog"'));
      const other = await slipway(["deploy", "--dir", project, ...ctx, ...env]);
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(/SLW_CONFLICT: name: the spec is for stack "blog".*runs stack "shop"/);
    } finally {
      writeFileSync(spec, before);
    }
    const releases = await slipway(["releases", ...ctx, ...env, "--json"]);
    expect((JSON.parse(releases.stdout) as { number: number }[]).map((r) => r.number)).toEqual([3, 2, 1]);
    expect(readlinkSync(join(dataDir, "stack"))).toBe(adopted);
    expect((await edgeGet("/api/version")).body).toMatchObject({ release: "v3" });
  });

  it("goes to the server the spec names for an environment, before the current context", async () => {
    const spec = join(project, "slipway.config.ts");
    const before = readFileSync(spec, "utf8");
    // This machine's contexts: prod (the server, claiming no environment), and a current
    // context that is not it (a wrong pin: a command sent there fails, sending nothing).
    const config = mkdtempSync(join(tmpdir(), "slipway-remote-spec-server-"));
    const contexts = {
      current: "elsewhere",
      contexts: {
        prod: { url: remote.url, token: remote.adminToken, fingerprint: remote.fingerprint },
        elsewhere: { url: remote.url, token: "slw_x", fingerprint: `sha256:${"0".repeat(64)}` },
      },
    };
    mkdirSync(join(config, "slipway"), { mode: 0o700 });
    writeFileSync(join(config, "slipway", "contexts.json"), JSON.stringify(contexts), { mode: 0o600 });
    const cli = { env: { ...process.env, XDG_CONFIG_HOME: config } };
    const releases = (server?: string) => {
      if (server) editFile(spec, () => before.replace("staging: {", `staging: { server: "${server}",`));
      return slipway(["releases", "--dir", project, ...env, "--json"], cli);
    };
    try {
      // (--json: an error is printed as JSON on stdout.)
      const current = await releases();
      expect(current.code).toBe(1);
      expect(current.stdout).toContain("SLW_TLS_UNTRUSTED");
      const named = await releases("prod");
      expect(named.code, named.stderr).toBe(0);
      expect((JSON.parse(named.stdout) as { number: number }[]).map((r) => r.number)).toEqual([3, 2, 1]);
      const unknown = await releases("moon");
      expect(unknown.code).toBe(1);
      const refused = JSON.parse(unknown.stdout).error;
      expect(refused).toMatchObject({ code: "SLW_NOT_FOUND", field: "environments.staging.server" });
      expect(refused.message).toContain('the spec says staging runs on server "moon"');
      expect(refused.hint).toContain("slipway context add moon");
      // --context still wins over the spec.
      const asked = await slipway(["releases", "--dir", project, ...env, "--context", "elsewhere"], cli);
      expect(asked.stderr).toContain("SLW_TLS_UNTRUSTED");
    } finally {
      writeFileSync(spec, before);
      rmSync(config, { recursive: true, force: true });
    }
  });

  it("sends nothing to a server whose certificate is not the pinned one: the server saw no request", async () => {
    const never = `slw_never_sent_${process.pid}`;
    const wrong = `sha256:${"0".repeat(64)}`;
    expect(
      (await slipway(["context", "add", "mitm", remote.url, "--token", never, "--fingerprint", wrong])).code,
    ).toBe(0);
    const r = await slipway(["status", "--context", "mitm"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_TLS_UNTRUSTED");
    expect(r.stderr).toContain(remote.fingerprint); // what it was shown instead
    // An unknown token that reached the API would be an auth.unauthenticated event.
    const events = await slipway(["events", ...ctx, "--json", "--limit", "1000"]);
    expect(events.code, events.stderr).toBe(0);
    const refused = (JSON.parse(events.stdout) as { kind: string }[]).filter(
      (e) => e.kind === "auth.unauthenticated",
    );
    expect(refused).toEqual([]);
  });

  it("refuses a viewer's deploy (CI's SLIPWAY_URL, SLIPWAY_TOKEN, SLIPWAY_FINGERPRINT)", async () => {
    const created = await slipway(["tokens", "create", "--name", "ci-viewer", "--role", "viewer", ...ctx]);
    expect(created.code, created.stderr).toBe(0);
    const ci = {
      ...process.env,
      SLIPWAY_URL: remote.url,
      SLIPWAY_TOKEN: created.stdout.trim(),
      SLIPWAY_FINGERPRINT: remote.fingerprint,
    };
    const status = await slipway(["status", "--json"], { env: ci });
    expect(status.code, status.stderr).toBe(0);
    const deploy = await slipway(["deploy", "--dir", project, ...env], { env: ci });
    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toContain("SLW_FORBIDDEN");
    expect(deploy.stderr).toContain("deployer");
  });

  it("answers a body too large with a problem naming the limit", async () => {
    const res = await request(
      { url: remote.url, token: remote.adminToken, fingerprint: remote.fingerprint },
      {
        method: "POST",
        path: "/v1/tokens",
        body: JSON.stringify({ name: "x".repeat(2 << 20), role: "viewer" }),
      },
    );
    let body = "";
    for await (const chunk of res) body += chunk;
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(body)).toMatchObject({
      code: "SLW_PAYLOAD_TOO_LARGE",
      hint: expect.stringContaining("1 MiB"),
    });
  });

  it("refuses plain HTTP off loopback: the CLI will not send a token, the server will not serve", async () => {
    const port = new URL(remote.url).port;
    const cli = await slipway(["status"], {
      env: {
        ...process.env,
        SLIPWAY_URL: `http://${host.address}:${port}`,
        SLIPWAY_TOKEN: remote.adminToken,
      },
    });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain("SLW_INSECURE_TRANSPORT");
    // Someone's curl in plain HTTP to the HTTPS port is told what to use, not hung up on.
    const curl = await fetch(`http://${host.address}:${port}/v1/status`);
    expect(curl.status).toBe(400);
    expect(await curl.json()).toMatchObject({
      code: "SLW_INSECURE_TRANSPORT",
      hint: expect.stringContaining("https://"),
    });

    const other = mkdtempSync(join(tmpdir(), "slipway-remote-http-"));
    try {
      const plain = startServer(host.exec, [
        ...[
          "--stack",
          "shop",
          "--data-dir",
          resolve(other, "data"),
          "--listen",
          `${host.address}:0`,
          "--http",
        ],
      ]);
      await expect(plain.started).rejects.toThrow(/SLW_INSECURE_TRANSPORT[\s\S]*drop --http/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it("hands its services the certificate to pin: a flag change reaches the running api live", async () => {
    // The api follows its flags over the API's HTTPS, whose certificate is self-signed.
    await eventually(async () => (await edgeGet("/api/flags?user=alice")).body.connected === true, 30_000);
    expect((await edgeGet("/api/quote")).status).toBe(200);
    const set = await slipway(["flags", "set", "quotes-off", "on", ...ctx, ...env]);
    expect(set.code, set.stderr).toBe(0);
    await eventually(async () => (await edgeGet("/api/quote")).status === 503, 30_000);
    expect((await edgeGet("/api/flags?user=alice")).body).toMatchObject({ quotesOff: true, connected: true });
  });
});
