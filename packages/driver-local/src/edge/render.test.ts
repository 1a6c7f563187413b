import { orderRoutes } from "@slipway/core";
import { describe, expect, it } from "vitest";
import { type RenderOptions, renderHaproxyConfig } from "./render";
import type { EdgeBackend, EdgeConfig } from "./types";

const opts: RenderOptions = {
  socketPath: "/var/lib/slipway/edge/admin.sock",
  drainAclPath: (b) => `/var/lib/slipway/edge/drain-${b}.acl`,
  canaryMapPath: (b) => `/var/lib/slipway/edge/canary-${b}.map`,
  cookieKey: "0123456789abcdef",
};

const config: EdgeConfig = {
  env: "prod",
  publicPort: 8080,
  routes: [
    { path: "/", backend: "web" },
    { path: "/api/", backend: "api" },
    { host: "Admin.Example.com", path: "/", backend: "admin" },
  ],
  backends: [
    {
      name: "web",
      health: { kind: "http", path: "/healthz", expectStatus: "200-299", intervalSeconds: 2 },
      internalPort: 9001,
      servers: [
        { name: "v1-1", port: 7001, weight: 100, state: "ready" },
        { name: "v2-1", port: 7002, weight: 20, state: "drain" },
        { name: "v3-1", port: 7003, weight: 5, state: "maint" },
      ],
    },
    { name: "api", servers: [{ name: "v1-1", port: 7101, weight: 1, state: "ready" }] },
    { name: "admin", servers: [] },
    { name: "core", internalPort: 9002, servers: [{ name: "v1-1", port: 7201, weight: 1, state: "ready" }] },
  ],
};

const section = (cfg: string, header: string) =>
  cfg.split("\n\n").find((s) => s.split("\n").includes(header)) ?? "";

describe("renderHaproxyConfig", () => {
  it("is pure: the same input gives the same text", () => {
    expect(renderHaproxyConfig(config, opts)).toBe(renderHaproxyConfig(structuredClone(config), opts));
  });

  it("routes the longest prefix first, host routes before catch-alls, unknown paths to 404", () => {
    const fe = section(renderHaproxyConfig(config, opts), "frontend _public");
    expect(fe.split("\n")).toEqual([
      "frontend _public",
      "  bind 127.0.0.1:8080",
      "  acl r0-path path -m str /api",
      "  acl r0-path path -m beg /api/",
      "  use_backend api if r0-path",
      "  acl r1-host req.hdr(host),field(1,:) -m str -i admin.example.com",
      "  use_backend admin if r1-host",
      "  use_backend web",
      "  default_backend _notfound",
    ]);
    expect(renderHaproxyConfig(config, opts)).toContain("http-request return status 404");
  });

  it("binds a server's public address with TLS terminated in HAProxy when asked", () => {
    const publicBind = { address: "0.0.0.0", tlsPem: "/var/lib/slipway/tls/edge.pem" };
    const fe = section(renderHaproxyConfig(config, { ...opts, publicBind }), "frontend _public").split("\n");
    expect(fe.slice(0, 3)).toEqual([
      "frontend _public",
      "  bind 0.0.0.0:8080 ssl crt '/var/lib/slipway/tls/edge.pem' alpn h2,http/1.1",
      "  http-request set-header X-Forwarded-Proto https",
    ]);
    const plain = section(
      renderHaproxyConfig(config, { ...opts, publicBind: { address: "192.0.2.2" } }),
      "frontend _public",
    );
    expect(plain.split("\n")[1]).toBe("  bind 192.0.2.2:8080");
  });

  it("refuses a bind address or certificate path that would change the config's meaning", () => {
    for (const publicBind of [
      { address: "0.0.0.0:80 ssl" },
      { address: "example.com" },
      { address: "0.0.0.0", tlsPem: "/tmp/x.pem' crt '/etc/other.pem" },
    ])
      expect(() => renderHaproxyConfig(config, { ...opts, publicBind })).toThrow(
        /SLW_EDGE_FAILED|not an IPv4|cannot carry/,
      );
  });

  it("keeps a backend without a route private: only its internal listener reaches it", () => {
    const cfg = renderHaproxyConfig(config, opts);
    expect(section(cfg, "frontend _public")).not.toContain("core");
    expect(section(cfg, "frontend _internal-core").split("\n")).toEqual([
      "frontend _internal-core",
      "  bind 127.0.0.1:9002",
      "  default_backend core",
    ]);
  });

  it("renders cookies, drain list, health checks and each server state", () => {
    const be = section(renderHaproxyConfig(config, opts), "backend web");
    expect(be).toContain("  cookie SLW-web insert indirect nocache httponly dynamic");
    expect(be).toContain("  dynamic-cookie-key 0123456789abcdef");
    expect(be).toContain(
      "  ignore-persist if { req.cook(SLW-web) -m str -f '/var/lib/slipway/edge/drain-web.acl' }",
    );
    expect(be).toContain("  http-check send meth GET uri /healthz");
    expect(be).toContain("  http-check expect status 200-299");
    const check = "check inter 2s fastinter 1s fall 2 rise 2";
    expect(be).toContain(`  server v1-1 127.0.0.1:7001 weight 100 ${check}\n`);
    expect(be).toContain(`  server v2-1 127.0.0.1:7002 weight 0 ${check}\n`); // drain after a restart
    expect(be).toContain(`  server v3-1 127.0.0.1:7003 weight 5 ${check} disabled`);
    const api = section(renderHaproxyConfig(config, opts), "backend api");
    expect(api).not.toContain("httpchk");
    expect(api.split("\n")).toContain("  server v1-1 127.0.0.1:7101 weight 1");
  });

  it("sends a request asking for the canary (header or cookie) to the canary's cookie from the map", () => {
    const be = section(renderHaproxyConfig(config, opts), "backend web");
    expect(be).toContain("  acl slw-want-canary req.hdr(X-Slipway-Canary) -m str 1");
    expect(be).toContain("  acl slw-want-canary req.cook(slipway-canary) -m str 1");
    expect(be).toContain(
      "  http-request set-var(txn.slw_canary) str(web),map('/var/lib/slipway/edge/canary-web.map') if slw-want-canary",
    );
    expect(be).toContain(
      '  http-request set-header Cookie "SLW-web=%[var(txn.slw_canary)]; %[req.hdr(cookie)]" if { var(txn.slw_canary) -m found }',
    );
  });

  it("checks at the spec's interval: HTTP with its expected statuses, or a plain TCP connect", () => {
    const withHealth = (health: EdgeBackend["health"]) =>
      section(
        renderHaproxyConfig(
          {
            ...config,
            backends: [{ name: "web", health, servers: [config.backends[0]!.servers[0]!] }],
            routes: [],
          },
          opts,
        ),
        "backend web",
      );
    const http = withHealth({ kind: "http", path: "/", expectStatus: "200,401", intervalSeconds: 10 });
    expect(http).toContain("  http-check expect status 200,401");
    expect(http).toContain("127.0.0.1:7001 weight 100 check inter 10s fastinter 1s fall 2 rise 2");
    const tcp = withHealth({ kind: "tcp", intervalSeconds: 0.5 });
    expect(tcp).not.toContain("httpchk");
    expect(tcp).toContain("127.0.0.1:7001 weight 100 check inter 500ms fastinter 500ms fall 2 rise 2");
  });

  it("keeps WebSockets, keep-alive and retries in the defaults", () => {
    const d = section(renderHaproxyConfig(config, opts), "defaults");
    expect(d).toContain("timeout tunnel 1h");
    expect(d).toContain("option http-keep-alive");
    expect(d).toContain("option redispatch");
  });

  it("logs, samples, exports metrics and drops privileges only when asked", () => {
    const bare = renderHaproxyConfig(config, opts);
    expect(bare).not.toMatch(/log-format|^\s+log |set-log-level|_metrics|^\s+uid /m);
    const full = renderHaproxyConfig(config, {
      ...opts,
      logPort: 5514,
      logSampleEvery: 10,
      metricsPort: 8404,
      runAs: { uid: 999, gid: 998 },
    });
    expect(full).toContain("  log 127.0.0.1:5514 len 1024 format raw sample 1:10 daemon");
    expect(full).toContain('  log-format "slw1 %b %s %ST %Ta"');
    expect(full).toContain("  http-request use-service prometheus-exporter if { path /metrics }");
    expect(full).toMatch(/^ {2}uid 999\n {2}gid 998$/m);
  });

  it("logs about 1000 requests a second per backend unless told otherwise", () => {
    const budget = (o: Partial<RenderOptions>) =>
      section(renderHaproxyConfig(config, { ...opts, logPort: 5514, ...o }), "backend web")
        .split("\n")
        .filter((l) => l.includes("http-response"));
    expect(budget({})).toEqual([
      "  http-response set-var(txn.slw_rate) be_sess_rate",
      "  http-response set-log-level silent if { rand,mod(txn.slw_rate) ge 1000 }",
    ]);
    expect(budget({ logBudgetPerSecond: 50 })[1]).toContain("ge 50 }");
    expect(budget({ logBudgetPerSecond: Number.POSITIVE_INFINITY })).toEqual([]);
    for (const bad of [0, 1.5, Number.NaN])
      expect(() => budget({ logBudgetPerSecond: bad })).toThrow(
        expect.objectContaining({ code: "SLW_EDGE_FAILED" }),
      );
  });

  it.each([
    ["backend name with a space", { backends: [{ name: "a b", servers: [] }] }],
    ["backend name with a newline", { backends: [{ name: "web\n  server evil 1.2.3.4:80", servers: [] }] }],
    ["backend name with $()", { backends: [{ name: "$(reboot)", servers: [] }] }],
    ["uppercase backend name", { backends: [{ name: "Web", servers: [] }] }],
    [
      "server name with ';'",
      { backends: [{ name: "web", servers: [{ name: "a;b", port: 1, weight: 1, state: "ready" }] }] },
    ],
    [
      "weight above 256",
      { backends: [{ name: "web", servers: [{ name: "a", port: 1, weight: 257, state: "ready" }] }] },
    ],
    ["port 0", { backends: [{ name: "web", servers: [{ name: "a", port: 0, weight: 1, state: "ready" }] }] }],
    ["path with a space", { routes: [{ path: "/a b", backend: "web" }] }],
    ["path with a quote", { routes: [{ path: "/a'", backend: "web" }] }],
    ["path with '#'", { routes: [{ path: "/a#b", backend: "web" }] }],
    ["path without a leading slash", { routes: [{ path: "api", backend: "web" }] }],
    ["host with a space", { routes: [{ host: "a b.com", path: "/", backend: "web" }] }],
    ["route to an unknown backend", { routes: [{ path: "/", backend: "nope" }] }],
    [
      "health path with a space",
      {
        backends: [
          {
            name: "web",
            health: { kind: "http", path: "/h z", expectStatus: "200", intervalSeconds: 2 },
            servers: [],
          },
        ],
      },
    ],
    [
      "expected health status that is not a status list",
      {
        backends: [
          {
            name: "web",
            health: { kind: "http", path: "/", expectStatus: "200\n  option x", intervalSeconds: 2 },
            servers: [],
          },
        ],
      },
    ],
    [
      "duplicate backend",
      {
        backends: [
          { name: "web", servers: [] },
          { name: "web", servers: [] },
        ],
      },
    ],
    [
      "internal port equal to the public port",
      { backends: [{ name: "web", internalPort: 8080, servers: [] }] },
    ],
  ])("refuses a %s", (_, patch) => {
    const hostile = {
      ...config,
      routes: [],
      backends: [{ name: "web", servers: [] }],
      ...patch,
    } as EdgeConfig;
    expect(() => renderHaproxyConfig(hostile, opts)).toThrow(
      expect.objectContaining({ code: "SLW_EDGE_FAILED" }),
    );
  });

  it.each(["/tmp/it's", "/tmp/$HOME/x", "/tmp/a\nb", 'relative"/x'])(
    "refuses a state directory HAProxy cannot quote: %j",
    (dir) => {
      expect(() => renderHaproxyConfig(config, { ...opts, socketPath: `${dir}/admin.sock` })).toThrow(
        expect.objectContaining({ code: "SLW_EDGE_FAILED" }),
      );
    },
  );

  it("accepts a state directory with spaces (single-quoted in the file)", () => {
    const cfg = renderHaproxyConfig(config, { ...opts, socketPath: "/home/me/My Projects/edge/admin.sock" });
    expect(cfg).toContain("stats socket '/home/me/My Projects/edge/admin.sock' mode 600 level admin");
  });
});

describe("orderRoutes", () => {
  it("treats /api and /api/ as the same prefix and keeps / last", () => {
    const ordered = orderRoutes([
      { path: "/", backend: "a" },
      { path: "/api/", backend: "b" },
      { path: "/api/v2", backend: "c" },
    ]);
    expect(ordered.map((r) => r.backend)).toEqual(["c", "b", "a"]);
  });
});
