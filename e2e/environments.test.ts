import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  editFile,
  eventually,
  finishProject,
  getJson,
  makeProject,
  removeProject,
  slipway,
  startLoad,
} from "./harness";

/** git in the project, as a user commits (argv, no shell); fails the test if git does. */
function git(dir: string, args: string[]): string {
  const r = spawnSync("git", ["-C", dir, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout.trim();
}

interface Manifest {
  version: string | null;
  build: string | null;
  services: Record<string, { url?: string; commit: string | null; status: string }>;
  infrastructure: { versions: Record<string, string>; last_applied: string | null };
}
interface Timeline {
  rollout: { phase: string };
  judgements: { weight: number; verdict: string; action: string; reason: string }[];
}
interface EventRow {
  kind: string;
  actor: string;
  message: string;
  data: Record<string, unknown>;
}

// People and their orders: what a masked copy must never carry out of prod as they are.
const CUSTOMERS_SQL = `CREATE TABLE customers (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email text NOT NULL UNIQUE,
  full_name text NOT NULL,
  phone varchar(32) UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE orders (
  id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers,
  contact_email text NOT NULL,
  note text,
  total numeric(10, 2) NOT NULL
);
CREATE TABLE seed_runs (release text NOT NULL, ran_at timestamptz NOT NULL DEFAULT now());
`;

// The spec's data.seed: synthetic data, and a row saying it ran (and in which release).
const SEED_SCRIPT = `import pg from "pg";
const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
await db.connect();
await db.query("INSERT INTO seed_runs (release) VALUES ($1)", [process.env.SLIPWAY_RELEASE]);
await db.query("INSERT INTO customers (email, full_name) VALUES ('demo@example.test', 'Demo Customer')");
await db.end();
`;

/**
 * Environments dev → staging → prod through the CLI, on the example stack under git.
 * Given dev and staging auto-deploying from main and prod promoted from staging with approval;
 * when commits land and people promote, approve and reject; then one build moves, refusals
 * say why, and every step is an event.
 */
describe("environments and promotion", () => {
  let dir: string;
  let api: string;
  let admin: string;
  const as = (token: string) => ({ env: { ...process.env, SLIPWAY_TOKEN: token } });
  const cli = (args: string[], token = admin) => slipway([...args, "--dir", dir], as(token));
  const events = async (): Promise<EventRow[]> =>
    (
      await getJson<{ events: EventRow[] }>(`${api}/v1/events?limit=500`, {
        headers: { authorization: `Bearer ${admin}` },
      })
    ).events;
  const manifest = async (env: string): Promise<Manifest> => {
    const r = await cli(["manifest", "--env", env, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Manifest;
  };
  /** The last word about a commit of an auto-deploy chain that got to staging, or stopped before it. */
  const chainEnd = (sha: string) =>
    eventually(
      async () =>
        (await events()).find(
          (e) =>
            e.data.sha === sha &&
            ((e.kind === "autodeploy.finished" && (e.data.live as string[]).includes("staging")) ||
              (e.kind === "autodeploy.stopped" && (e.data.notDeployed as string[]).includes("staging"))),
        ),
      240_000,
    );
  /** One query's rows through `slipway psql`, as tab-separated text. */
  const query = async (env: string, sql: string): Promise<string> => {
    const r = await slipway(
      ["psql", "db", "--dir", dir, "--env", env, "--", "-X", "-At", "-F", "\t", "-c", sql],
      as(admin),
    );
    expect(r.code, r.stderr).toBe(0);
    return r.stdout.trim();
  };
  const count = async (env: string, table: string) =>
    Number(await query(env, `select count(*) from ${table}`));
  /** A commit on main, as a developer makes one; returns its sha. */
  const commit = (message: string) => {
    editFile(join(dir, "web.mjs"), (t) => `${t}// ${message}\n`);
    git(dir, ["-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "-q", "-am", message]);
    return git(dir, ["rev-parse", "HEAD"]);
  };
  const token = async (name: string, role: string) => {
    const r = await cli(["tokens", "create", "--name", name, "--role", role, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    return (JSON.parse(r.stdout) as { token: string }).token;
  };

  beforeAll(async () => {
    dir = makeProject("envs");
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        /environments: \{[\s\S]*?\n {2}\},\n/,
        `environments: {
    local: {},
    dev: { autoDeploy: { branch: "main" } },
    staging: { autoDeploy: { branch: "main" }, promotesFrom: "dev" },
    prod: {
      promotesFrom: "staging",
      requiresApproval: true,
      services: { api: { scale: { min: 2, max: 4 } } },
      strategy: {
        kind: "canary",
        steps: [
          { weight: 25, holdMinutes: 0.05, holdRequests: 100 },
          { weight: 50, holdMinutes: 0.05, holdRequests: 100 },
          { weight: 100, holdMinutes: 0, holdRequests: 0 },
        ],
        analysis: { maxErrorRate: 0.05, minRequests: 30, latency: { quantile: 0.95, budgetMs: 250 } },
      },
    },
    frozen: {
      promotesFrom: "staging",
      freeze: [{ from: "2020-01-01T00:00:00Z", until: "2100-01-01T00:00:00Z", reason: "release party" }],
    },
  },
  data: {
    seed: ["node", "seed.mjs"],
    mask: {
      customers: { id: "keep", email: "email", full_name: "name", phone: "phone", created_at: "keep" },
      orders: { id: "keep", customer_id: "keep", contact_email: "email", note: "text", total: "keep" },
      items: "safe",
      job_results: "safe",
      release_jobs: "safe",
      schema_migrations: "safe",
      seed_runs: "safe",
    },
  },
`,
      ),
    );
    writeFileSync(join(dir, "migrations", "004_customers.sql"), CUSTOMERS_SQL);
    writeFileSync(join(dir, "seed.mjs"), SEED_SCRIPT);
    writeFileSync(join(dir, ".gitignore"), "node_modules\n.slipway\n");
    git(dir, ["init", "-q", "-b", "main"]);
    git(dir, ["add", "-A"]);
    git(dir, ["-c", "user.name=dev", "-c", "user.email=dev@example.com", "commit", "-q", "-m", "first"]);
    const up = await slipway(["up", "--detach", "--dir", dir, "--api-port", "0", "--port", "0", "--json"], {
      env: { ...process.env, SLIPWAY_AUTODEPLOY_POLL_SECONDS: "1" },
    });
    expect(up.code, up.stderr).toBe(0);
    const out = JSON.parse(up.stdout) as { controlPlane: string; adminToken: string };
    api = out.controlPlane;
    admin = out.adminToken;
  }, 180_000);

  afterAll(async () => {
    await finishProject(dir);
  }, 120_000);

  it("refuses an unknown environment, naming the ones there are", async () => {
    for (const args of [
      ["promote", "staging", "nope"],
      ["manifest", "--env", "nope"],
      ["autodeploy", "enable", "--env", "nope"],
    ]) {
      const r = await cli(args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr).toContain('the spec has no environment "nope"');
      expect(r.stderr).toContain("use one of: local, dev, staging, prod, frozen");
    }
  });

  it("refuses a promotion cycle in the spec, naming the environments in it", async () => {
    const other = makeProject("envs-cycle");
    try {
      editFile(join(other, "slipway.config.ts"), (t) =>
        t.replace(
          /environments: \{[\s\S]*?\n {2}\},\n/,
          `environments: { staging: { promotesFrom: "prod" }, prod: { promotesFrom: "staging" } },\n`,
        ),
      );
      const r = await slipway(["validate", "--dir", other]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        "environments.staging.promotesFrom: promotion cycle: staging ← prod ← staging",
      );
      expect(r.stderr).toContain("remove one promotesFrom");
    } finally {
      removeProject(other);
    }
  });

  it("lets only an admin turn auto-deploy on", async () => {
    const deployer = await token("ci", "deployer");
    const r = await cli(["autodeploy", "enable", "--env", "dev"], deployer);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_FORBIDDEN");
    const prod = await cli(["autodeploy", "enable", "--env", "prod"]);
    expect(prod.code).toBe(1);
    expect(prod.stderr).toContain("environments.prod.autoDeploy is not set");
  });

  it("deploys a commit on main to dev, then promotes that build to staging", async () => {
    const sha = git(dir, ["rev-parse", "HEAD"]);
    for (const env of ["dev", "staging"])
      expect((await cli(["autodeploy", "enable", "--env", env])).code).toBe(0);
    const end = await chainEnd(sha);
    expect(end.kind, end.message).toBe("autodeploy.finished");
    const [dev, staging] = [await manifest("dev"), await manifest("staging")];
    expect(dev.version).toBe("v1");
    expect(staging.build).toBe(dev.build);
    expect(staging.services.api!.commit).toBe(sha);
    expect(staging.services.api!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api$/);
    expect(staging.infrastructure.last_applied).not.toBeNull();
    // Each environment its own edge: staging answers on its own port.
    expect((await fetch(`${staging.services.api!.url}/version`)).status).toBe(200);
    expect(staging.services.api!.url).not.toBe(dev.services.api!.url);
  });

  it("waits for approval to prod, refuses a user without the approver role, and releases the same build once approved", async () => {
    const asked = await cli(["promote", "staging", "prod", "--json"]);
    expect(asked.code, asked.stderr).toBe(0);
    const { promotion } = JSON.parse(asked.stdout) as { promotion: { id: string; state: string } };
    expect(promotion.state).toBe("awaiting-approval");

    const deployer = await token("bob", "deployer");
    const denied = await cli(["approve", promotion.id], deployer);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain("this needs the approver role");
    const own = await cli(["approve", promotion.id]);
    expect(own.stderr).toContain("cannot approve it");

    const approved = await cli(["approve", promotion.id, "--json"], await token("alice", "approver"));
    expect(approved.code, approved.stderr).toBe(0);
    const [staging, prod] = [await manifest("staging"), await manifest("prod")];
    expect(prod.build).toBe(staging.build);
    // prod's own config: its scale.
    expect(prod.services.api!.status).toBe("running 2/2");
    const log = await events();
    expect(log.find((e) => e.kind === "promotion.requested")?.actor).toBe("admin");
    expect(log.find((e) => e.kind === "promotion.approved")?.actor).toBe("alice");

    const diff = await cli(["diff", "staging", "prod", "--json"]);
    const d = JSON.parse(diff.stdout) as {
      build?: unknown;
      scale: { service: string; a: string; b: string }[];
    };
    expect(d.build).toBeUndefined();
    expect(d.scale).toEqual([{ service: "api", a: "1 (min 1, max 1)", b: "2 (min 2, max 4)" }]);
  });

  it("takes the next commit on main through dev and staging by itself, and to prod as a canary once approved", async () => {
    const began = Date.now();
    const sha = commit("second");
    expect((await chainEnd(sha)).kind).toBe("autodeploy.finished");
    const staging = await manifest("staging");
    expect(staging.services.api!.commit).toBe(sha);

    const asked = await cli(["promote", "staging", "prod", "--json"]);
    expect(asked.code, asked.stderr).toBe(0);
    const { promotion } = JSON.parse(asked.stdout) as { promotion: { id: string; state: string } };
    expect(promotion.state).toBe("awaiting-approval");
    // Nothing moves in prod while it waits.
    expect((await manifest("prod")).version).toBe("v1");

    // Steady, bounded traffic at prod's own edge while the canary is judged on it.
    const load = startLoad(`${(await manifest("prod")).services.api!.url}/version`, {
      concurrency: 4,
      ratePerLoop: 25,
      maxSeconds: 180,
    });
    const approved = await cli(["approve", promotion.id], await token("dave", "approver"));
    const report = await load.stop();
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stderr).toMatch(/takes 25% of new requests/);

    const t = await getJson<Timeline>(`${api}/v1/environments/prod/rollout`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(t.rollout.phase).toBe("succeeded");
    expect(t.judgements.filter((j) => j.action === "set-weight").map((j) => j.weight)).toEqual([25, 50, 100]);
    expect(t.judgements.find((j) => j.weight === 100)?.reason).toMatch(/every service within limits/);
    // Both revisions answered during the rollout, and not one request failed.
    expect(report.failed, report.failures.slice(0, 5).join("\n")).toBe(0);
    expect(Object.keys(report.byRelease).sort()).toEqual(["v1", "v2"]);

    const prod = await manifest("prod");
    expect(prod.version).toBe("v2");
    expect(prod.build).toBe(staging.build);
    expect(prod.services.api!.commit).toBe(sha);
    const status = await cli(["rollout", "status", "--env", "prod"]);
    expect(status.stdout).toMatch(/succeeded/);
    console.info(
      `commit → live in prod (canary 25% → 50% → 100%): ${((Date.now() - began) / 1000).toFixed(1)} s`,
    );
  }, 420_000);

  it("seeds a new database once, after its migrations, and never prod's", async () => {
    expect(await query("dev", "select release from seed_runs")).toBe("v1");
    expect(await count("dev", "customers")).toBe(1);
    expect(await count("staging", "seed_runs")).toBe(1);
    // prod requires approval: its data is real, never synthetic.
    expect(await count("prod", "seed_runs")).toBe(0);
    const started = (await events()).find((e) => e.kind === "release.job.started" && e.data.seed);
    expect(started?.message).toContain("then the seed (node seed.mjs): the database is new");
  });

  it("copies prod's database into staging masked: no original value in any row, counts and keys kept", async () => {
    await query(
      "prod",
      `insert into customers (email, full_name, phone)
         select 'ingrid.berg' || i || '@mail.example.org', 'Ingrid Bergström ' || i, '+46 70-' || (1000000 + i * 7919)
         from generate_series(1, 60) i;
       insert into orders (customer_id, contact_email, note, total)
         select c.id, c.email, 'leave at Storgatan ' || c.id || ', door code 4711', c.id * 1.5
         from customers c, generate_series(1, 3);`,
    );
    const pii = (
      await query(
        "prod",
        "select email, full_name, phone from customers union all select contact_email, note, null from orders",
      )
    )
      .split(/[\n\t]/)
      .filter((v) => v !== "");
    expect(pii.length).toBe(60 * 3 + 180 * 2);

    const copied = await cli(["data", "copy", "prod", "staging", "--mask", "--json"]);
    expect(copied.code, copied.stderr).toBe(0);
    // JSON lines: progress per table as rows land (of the source's total), the result last.
    const lines = copied.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const progress = lines.flatMap((l) =>
      l.progress ? [l.progress as { table: string; rows: number; total: number }] : [],
    );
    for (const p of progress) expect(p.rows).toBeLessThanOrEqual(p.total);
    expect(progress).toContainEqual({ table: "customers", rows: 60, total: 60 });
    expect(progress).toContainEqual({ table: "orders", rows: 180, total: 180 });
    const result = lines.at(-1) as { database: string; tables: { table: string; rows: number }[] };
    expect(result.database).toBe("shop");
    expect(result.tables).toEqual(
      expect.arrayContaining([
        { table: "customers", rows: 60 },
        { table: "orders", rows: 180 },
      ]),
    );
    // customers before orders: parents first, so every foreign key holds as rows land.
    const order = result.tables.map((t) => t.table);
    expect(order.indexOf("customers")).toBeLessThan(order.indexOf("orders"));

    const counts =
      "select (select count(*) from customers), (select count(*) from orders), (select count(*) from items), (select count(*) from seed_runs)";
    expect(await query("staging", counts)).toBe(await query("prod", counts));
    // Every column of every row, as text: not one of prod's personal values in any of them.
    const staged = await query(
      "staging",
      "select c::text from customers c union all select o::text from orders o",
    );
    expect(staged.split("\n").length).toBe(240);
    for (const value of pii) expect(staged.includes(value), value).toBe(false);
    // Unique stays unique; every order still points at its customer, whose email it repeats (masked alike).
    expect(
      await query(
        "staging",
        "select count(distinct email), count(distinct phone), (select count(*) from orders o join customers c on c.id = o.customer_id and c.email = o.contact_email) from customers",
      ),
    ).toBe("60\t60\t180");
    const done = (await events()).find((e) => e.kind === "data.copied");
    expect(done).toMatchObject({ actor: "admin", data: { from: "prod", to: "staging", addon: "db" } });

    // For a person: each table's rows of its total as they land, then the summary.
    const shown = await cli(["data", "copy", "prod", "staging", "--mask"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stderr).toContain("  customers: 60 of 60 rows");
    expect(shown.stderr).toContain("  orders: 180 of 180 rows");
    expect(shown.stdout).toMatch(/now holds prod's data, masked: \d+ tables, \d+ rows/);
  }, 300_000);

  it("refuses a masked copy by a deployer, into prod, unmasked, or when prod has a table without a rule; staging keeps what it had", async () => {
    const deployer = await token("ci-data", "deployer");
    const forbidden = await cli(["data", "copy", "prod", "staging", "--mask"], deployer);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain("SLW_FORBIDDEN");
    const intoProd = await cli(["data", "copy", "staging", "prod", "--mask"]);
    expect(intoProd.code).toBe(1);
    expect(intoProd.stderr).toContain("environments.prod.requiresApproval");
    const unmasked = await cli(["data", "copy", "prod", "staging"]);
    expect(unmasked.code).toBe(2);
    expect(unmasked.stderr).toContain("--mask");

    await query(
      "prod",
      "create table support_tickets (id int primary key, body text); insert into support_tickets values (1, 'my card is 4111')",
    );
    const r = await cli(["data", "copy", "prod", "staging", "--mask"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_MASK_REFUSED");
    expect(r.stderr).toContain("data.mask.support_tickets");
    expect(await count("staging", "customers")).toBe(60);
    expect((await events()).find((e) => e.kind === "data.copy.failed")?.message).toContain("support_tickets");
  }, 300_000);

  it("refuses a promotion during a freeze window, naming it", async () => {
    const r = await cli(["promote", "staging", "frozen"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_PROMOTION_REFUSED");
    expect(r.stderr).toContain("(release party)");
  });

  it("holds staging after an older build is promoted there by hand, until the hold is lifted", async () => {
    const first = git(dir, ["rev-list", "--max-parents=0", "HEAD"]);
    expect((await chainEnd(commit("third"))).kind).toBe("autodeploy.finished");

    const byHand = await cli(["promote", "dev", "staging", "--release", "v1"]);
    expect(byHand.code, byHand.stderr).toBe(0);
    expect((await manifest("staging")).services.api!.commit).toBe(first);

    const fourth = commit("fourth");
    const skipped = await eventually(
      async () =>
        (await events()).find(
          (e) => e.kind === "autodeploy.skipped" && e.data.sha === fourth && e.data.env === "staging",
        ),
      240_000,
    );
    expect(skipped.message).toContain("held by admin");
    expect((await manifest("staging")).services.api!.commit).toBe(first);
    // dev took four commits; its database was new only for the first.
    expect(await query("dev", "select release from seed_runs")).toBe("v1");
    const lifted = await cli(["hold", "lift", "--env", "staging"]);
    expect(lifted.code, lifted.stderr).toBe(0);
    expect((await events()).find((e) => e.kind === "hold.lifted")?.actor).toBe("admin");
  });

  it("stops the chain at a failed release and refuses to promote a build that failed in staging", async () => {
    editFile(join(dir, "migrate.mjs"), (t) => `process.exit(3);\n${t}`);
    git(dir, [
      "-c",
      "user.name=dev",
      "-c",
      "user.email=dev@example.com",
      "commit",
      "-q",
      "-am",
      "broken migration",
    ]);
    const sha = git(dir, ["rev-parse", "HEAD"]);
    const end = await chainEnd(sha);
    expect(end.kind).toBe("autodeploy.stopped");
    expect(end.message).toContain("stopped at dev");
    expect(end.message).toContain("not deployed: staging");

    const deployed = await cli(["deploy", "--env", "staging", "--ref", sha]);
    expect(deployed.code).toBe(1);
    const releases = JSON.parse((await cli(["releases", "--env", "staging", "--json"])).stdout) as {
      number: number;
    }[];
    const failed = `v${releases[0]!.number}`;
    const refused = await cli(["promote", "staging", "prod", "--release", failed]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("has no successful release in staging");
    // prod still runs the build it had.
    expect((await manifest("prod")).version).toBe("v2");
  });
  it("rejects a build for good: it is never promoted again", async () => {
    const asked = await cli(["promote", "staging", "prod", "--json"]);
    expect(asked.code, asked.stderr).toBe(0);
    const { promotion } = JSON.parse(asked.stdout) as { promotion: { id: string } };
    const rejected = await cli(
      ["reject", promotion.id, "--reason", "leaks memory"],
      await token("carol", "approver"),
    );
    expect(rejected.code, rejected.stderr).toBe(0);
    const again = await cli(["promote", "staging", "prod"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("was rejected by carol: leaks memory");
    const list = JSON.parse((await cli(["promotions", "--json"])).stdout) as {
      promotions: { id: string; state: string; requestedBy: string; decidedBy: string }[];
    };
    expect(list.promotions.find((p) => p.id === promotion.id)).toMatchObject({
      state: "rejected",
      requestedBy: "admin",
      decidedBy: "carol",
    });
  });
});
