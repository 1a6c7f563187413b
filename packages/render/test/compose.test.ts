// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is Compose's interpolation syntax, asserted as text here.
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { promisify } from "node:util";
import { isSlipwayError, type ReleaseConfig, type ServiceConfig } from "@slipway/core";
import { type Addon, addonEnvNames, type Stack } from "@slipway/spec";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import type { ComposeFile } from "../src/compose/model";
import { type RenderedFile, renderCompose, validateCompose } from "../src/index";
import { loadShop, inputFor as shopInput } from "./shop";

const ENVIRONMENTS = ["local", "dev", "staging", "prod"] as const;

const run = promisify(execFile);
const GOLDEN = join(import.meta.dirname, "golden", "compose");

let shop: Stack;
beforeAll(async () => {
  shop = await loadShop();
});

const composeOf = (files: RenderedFile[]): ComposeFile =>
  parse(files.find((f) => f.path === "compose.yaml")!.content) as ComposeFile;

/** The shop's input in one environment, with another release config. */
const withConfig = (env: string, config: ReleaseConfig) => {
  const input = shopInput(shop, env);
  return { ...input, release: { ...input.release, config } };
};

/** A stack built for one test: the shop's release config with changes. */
function shopConfig(env: string, change: (c: ReleaseConfig) => void = () => {}): ReleaseConfig {
  const c = structuredClone(shopInput(shop, env).release.config);
  change(c);
  return c;
}

const service = (over: Partial<ServiceConfig>): ServiceConfig => ({
  type: "web",
  command: ["node", "x.mjs"],
  env: {},
  replicas: 1,
  uses: [],
  calls: [],
  drainSeconds: 30,
  ...over,
});

describe("renderCompose on examples/shop", () => {
  it.each(ENVIRONMENTS)("renders a compose.yaml the Compose specification's schema accepts (%s)", (env) => {
    const files = renderCompose(shopInput(shop, env));
    expect(validateCompose(files)).toEqual([]);
    // The schema is strict enough to catch a wrong field: the check itself can fail.
    const broken = composeOf(files);
    (broken.services.api as unknown as Record<string, unknown>).restartt = "always";
    expect(validateCompose([{ path: "compose.yaml", content: stringify(broken) }])).toEqual([
      "compose.yaml /services/api: must NOT have additional properties",
    ]);
  });

  it.each(ENVIRONMENTS)("matches the golden files (%s; UPDATE_GOLDEN=1 rewrites them)", (env) => {
    const files = renderCompose(shopInput(shop, env));
    const dir = join(GOLDEN, env);
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(dir, { recursive: true, force: true });
      for (const f of files) {
        mkdirSync(dirname(join(dir, f.path)), { recursive: true });
        writeFileSync(join(dir, f.path), f.content);
      }
    }
    const golden = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)))
      .sort();
    expect(files.map((f) => f.path)).toEqual(golden);
    for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(dir, f.path), "utf8"));
  });

  it("gives the same bytes for the same input, whatever the order of the spec's keys", () => {
    const input = shopInput(shop, "prod");
    const c = input.release.config;
    const reversed = <T>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).reverse());
    const shuffled: ReleaseConfig = {
      ...c,
      services: reversed(c.services),
      addons: reversed(c.addons ?? {}),
      routes: [...c.routes].reverse(),
    };
    const first = renderCompose(input);
    expect(renderCompose(structuredClone(input))).toEqual(first);
    expect(renderCompose({ ...input, release: { ...input.release, config: shuffled } })).toEqual(first);
  });

  it("injects exactly the connection variables the local driver injects, secrets only as ${…} from .env", () => {
    const files = renderCompose(shopInput(shop, "prod"));
    const compose = composeOf(files);
    const c = shopInput(shop, "prod").release.config;
    for (const [name, s] of Object.entries(c.services)) {
      const env = compose.services[name]!.environment!;
      const expected = s.uses.flatMap((a) => addonEnvNames(a, c.addons![a]! as Addon));
      for (const key of expected) expect(env, `${name}.${key}`).toHaveProperty(key);
      const slipway = ["SLIPWAY_SERVICE", "SLIPWAY_ENV", "SLIPWAY_RELEASE", "SLIPWAY_BUILD"];
      const port = s.type === "web" ? ["PORT"] : [];
      const calls = s.calls.map((x) => `${x.toUpperCase()}_URL`);
      expect(Object.keys(env).sort()).toEqual(
        [...new Set([...expected, ...calls, ...Object.keys(s.env), ...slipway, ...port])].sort(),
      );
    }
    const api = compose.services.api!.environment!;
    expect(api.DATABASE_URL).toBe("postgres://app:${DB_PASSWORD:?set DB_PASSWORD in .env}@db:5432/shop");
    expect(api.REDIS_URL).toBe("redis://:${CACHE_PASSWORD:?set CACHE_PASSWORD in .env}@cache:6379");
    expect(api.RATES_URL).toBe("http://rates:8080");
    // Every secret compose.yaml reads is a line of .env.example, and no value is filled in.
    const example = files.find((f) => f.path === ".env.example")!.content;
    const yaml = files.find((f) => f.path === "compose.yaml")!.content;
    const read = new Set([...yaml.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]));
    expect(read.size).toBe(4);
    for (const variable of read) expect(example).toMatch(new RegExp(`^${variable}=$`, "m"));
    expect(example).not.toMatch(/^[A-Z0-9_]+=\S/m);
  });

  it("runs the release job before everything else, and scales web and worker services from the spec", () => {
    const compose = composeOf(renderCompose(shopInput(shop, "prod")));
    expect(compose.services.migrate).toMatchObject({ restart: "no" });
    expect(compose.services.migrate!.deploy!.replicas).toBeUndefined();
    for (const name of ["api", "rates", "worker", "web"])
      expect(compose.services[name]!.depends_on!.migrate).toEqual({
        condition: "service_completed_successfully",
      });
    expect(compose.services.migrate!.depends_on).toEqual({ db: { condition: "service_healthy" } });
    expect(compose.services.api!.deploy!.replicas).toBe(2);
    expect(compose.services.worker!.deploy!.replicas).toBe(1);
    // Limits from the spec's resources (the api's in prod; the defaults for the worker), as the
    // Kubernetes render sets them.
    expect(compose.services.api!.deploy!.resources).toEqual({ limits: { cpus: "0.5", memory: "512m" } });
    expect(compose.services.worker!.deploy!.resources).toEqual({ limits: { cpus: "0.25", memory: "256m" } });
    expect(compose.services.api!.depends_on!.files_init).toEqual({
      condition: "service_completed_successfully",
    });
  });

  it("lets a private service be reached by its callers only, and an add-on by its users only", () => {
    const c = shopConfig("prod", (cfg) => {
      // A second private service with two callers, one of them a worker.
      cfg.services.tax = service({ command: ["node", "tax.mjs"], health: undefined });
      cfg.services.worker!.calls = ["tax"];
      cfg.services.api!.calls = ["rates", "tax"];
    });
    const compose = composeOf(renderCompose(withConfig("prod", c)));
    const networks = (name: string) => new Set(compose.services[name]!.networks ?? []);
    const reach = (from: string, to: string) => [...networks(from)].some((n) => networks(to).has(n));
    const names = Object.keys(compose.services);
    const routed = new Set(c.routes.map((r) => r.service));
    for (const [name, s] of Object.entries(c.services)) {
      if (s.type !== "web" || routed.has(name)) continue;
      const callers = Object.entries(c.services).flatMap(([n, x]) => (x.calls.includes(name) ? [n] : []));
      expect(callers.length, name).toBeGreaterThan(0);
      expect(names.filter((n) => n !== name && reach(n, name)).sort(), name).toEqual(callers.sort());
    }
    for (const [addon] of Object.entries(c.addons ?? {})) {
      const users = Object.entries(c.services).flatMap(([n, x]) => (x.uses.includes(addon) ? [n] : []));
      const helpers = addon === "files" ? ["files_init"] : [];
      expect(names.filter((n) => n !== addon && reach(n, addon)).sort(), addon).toEqual(
        [...users, ...helpers].sort(),
      );
    }
    // Only the edge publishes a port, and the networks behind it are internal.
    expect(names.filter((n) => compose.services[n]!.ports)).toEqual(["slipway_edge"]);
    for (const n of ["to_rates", "to_tax", "addon_db", "addon_cache", "addon_files"])
      expect(compose.networks![n], n).toEqual({ internal: true });
  });

  it("escapes every $ of the spec for Compose and expands $(NAME) to what Slipway injects", () => {
    const c = shopConfig("dev", (cfg) => {
      cfg.services.api!.command = ["node", "api.mjs", "--port", "$(PORT)", "$HOME", "$$(LITERAL)"];
      cfg.services.api!.env = {
        PGURL: "$(DATABASE_URL)?ssl=0",
        PRICE: "${EUR}5",
        SELF: "$(SLIPWAY_SERVICE)",
      };
    });
    const api = composeOf(renderCompose(withConfig("dev", c))).services.api!;
    expect(api.command).toEqual(["node", "api.mjs", "--port", "8080", "$$HOME", "$$(LITERAL)"]);
    expect(api.environment!.PGURL).toBe(
      "postgres://app:${DB_PASSWORD:?set DB_PASSWORD in .env}@db:5432/shop?ssl=0",
    );
    expect(api.environment!.PRICE).toBe("$${EUR}5");
    expect(api.environment!.SELF).toBe("api");
  });

  it("keeps data in named volumes: a service's volume, Postgres, Redis with persistence; extra databases on first start", () => {
    const c = shopConfig("prod", (cfg) => {
      cfg.services.worker!.volume = true;
      cfg.addons!.db = { type: "postgres", version: 18, databases: ["shop", "audit-log"] };
      cfg.addons!.cache = {
        type: "redis",
        maxmemory: "128mb",
        evictionPolicy: "allkeys-lru",
        persistence: true,
      };
    });
    const files = renderCompose(withConfig("prod", c));
    expect(validateCompose(files)).toEqual([]);
    const compose = composeOf(files);
    expect(Object.keys(compose.volumes!)).toEqual(["cache_data", "db_data", "files_data", "worker_data"]);
    expect(compose.services.worker!.volumes).toEqual(["worker_data:/data"]);
    expect(compose.services.worker!.environment!.SLIPWAY_VOLUME).toBe("/data");
    expect(compose.services.db!.volumes).toEqual(["db_data:/var/lib/postgresql"]);
    expect(compose.services.db!.image).toBe("postgres:18-bookworm");
    expect(compose.services.cache!.volumes).toEqual(["cache_data:/data"]);
    expect(compose.services.cache!.command).toEqual(
      expect.arrayContaining([
        "--appendonly",
        "yes",
        "--maxmemory",
        "128mb",
        "--maxmemory-policy",
        "allkeys-lru",
      ]),
    );
    expect(compose.configs!.db_databases).toEqual({ file: "./postgres/db-databases.sql" });
    expect(files.find((f) => f.path === "postgres/db-databases.sql")!.content).toBe(
      'CREATE DATABASE "audit-log";\n',
    );
    expect(compose.services.api!.environment!.DATABASE_URL_AUDIT_LOG).toBe(
      "postgres://app:${DB_PASSWORD:?set DB_PASSWORD in .env}@db:5432/audit-log",
    );
  });

  it("runs cron services from the VM's crontab, as one-off containers that skip while the last run goes on", () => {
    const c = shopConfig("staging", (cfg) => {
      cfg.services.report = service({
        type: "cron",
        command: ["node", "report.mjs"],
        schedule: "0 3 * * *",
        replicas: 0,
        uses: ["db"],
      });
    });
    const files = renderCompose(withConfig("staging", c));
    const compose = composeOf(files);
    expect(validateCompose(files)).toEqual([]);
    expect(compose.services.report).toMatchObject({ profiles: ["cron"], restart: "no" });
    const crontab = files.find((f) => f.path === "crontab")!.content;
    expect(crontab).toContain(
      '0 3 * * * cd "$SLIPWAY_COMPOSE_DIR" && flock -n /tmp/slipway-shop-staging-report.lock docker compose run --rm --no-deps report',
    );
    expect(renderCompose(shopInput(shop, "staging")).some((f) => f.path === "crontab")).toBe(false);
  });
});

describe("renderCompose refuses what Compose cannot express, naming the field", () => {
  const refusal = (c: ReleaseConfig) => {
    try {
      renderCompose(withConfig("prod", c));
    } catch (e) {
      if (isSlipwayError(e)) return e;
      throw e;
    }
    throw new Error("rendered without an error");
  };

  it("a cron schedule with seconds (crontab has none)", () => {
    const e = refusal(
      shopConfig("prod", (cfg) => {
        cfg.services.tick = service({ type: "cron", schedule: "*/30 * * * * *", replicas: 0 });
      }),
    );
    expect(e.code).toBe("SLW_RENDER_UNSUPPORTED");
    expect(e.message).toContain("services.tick.schedule");
    expect(e.detail).toMatchObject({ field: "services.tick.schedule" });
  });

  it("a route path HAProxy's config cannot carry", () => {
    const e = refusal(
      shopConfig("prod", (cfg) => {
        cfg.routes[0]!.path = "/api x\n  use_backend web";
      }),
    );
    expect(e.code).toBe("SLW_RENDER_UNSUPPORTED");
    expect(e.message).toMatch(/^routes\[\d\]\.path: /);
  });

  it("an add-on a release used without recording it (older releases), instead of leaving out its variables", () => {
    const e = refusal(
      shopConfig("prod", (cfg) => {
        delete cfg.addons;
      }),
    );
    expect(e.code).toBe("SLW_RENDER_UNSUPPORTED");
    expect(e.message).toMatch(/^services\.migrate\.uses: this release does not record the add-on "db"/);
  });

  it("a service named like an add-on (one namespace in Compose)", () => {
    const e = refusal(
      shopConfig("prod", (cfg) => {
        cfg.services.db = service({});
      }),
    );
    expect(e.message).toContain("services.db:");
  });
});

describe("what the rendered files run", () => {
  let server: Server;
  let port: number;
  let status = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.writeHead(req.url === "/ready" ? status : 404).end();
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  /** Runs a rendered healthcheck's `node -e` here, after Compose's unescaping of `$$`. */
  async function probe(health: ServiceConfig["health"]): Promise<number> {
    const c = shopConfig("local", (cfg) => {
      cfg.services.web = { ...cfg.services.web!, port, health };
    });
    const test = composeOf(renderCompose(withConfig("local", c))).services.web!.healthcheck!.test;
    expect(test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    return run(process.execPath, ["-e", test[3]!.replaceAll("$$", "$")]).then(
      () => 0,
      (e: { code: number }) => e.code,
    );
  }

  it("the HTTP health check passes on an expected status and fails on any other", async () => {
    const health = {
      kind: "http" as const,
      path: "/ready",
      expect: [200],
      intervalSeconds: 2,
      timeoutSeconds: 60,
    };
    status = 200;
    expect(await probe(health)).toBe(0);
    status = 503;
    expect(await probe(health)).toBe(1);
    expect(await probe({ ...health, expect: ["500-599"] })).toBe(0);
  });

  it("the TCP health check passes while the port accepts connections", async () => {
    expect(await probe({ kind: "tcp", intervalSeconds: 2, timeoutSeconds: 60 })).toBe(0);
  });

  it.each(ENVIRONMENTS)("HAProxy accepts the edge's config (%s)", async (env) => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-compose-edge-"));
    try {
      const cfg = renderCompose(shopInput(shop, env)).find((f) => f.path === "edge/haproxy.cfg")!;
      writeFileSync(join(dir, "haproxy.cfg"), cfg.content);
      const { stdout, stderr } = await run("haproxy", ["-c", "-f", join(dir, "haproxy.cfg")]);
      expect(`${stdout}${stderr}`).toContain("Configuration file is valid");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
