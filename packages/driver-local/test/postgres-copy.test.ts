import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isSlipwayError, type MaskRules } from "@slipway/core";
import type { PostgresAddon } from "@slipway/spec";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addonDriver } from "../src/addons";
import { copyMaskedDatabase } from "../src/addons/postgres-copy";
import type { AddonRecord } from "../src/addons/types";
import { freePort } from "../src/system/ports";

// Two real clusters, as prod and staging would have: the copy goes over the wire between them.
const root = mkdtempSync("/tmp/slipway-copy-test-");
chmodSync(root, 0o755); // the add-on user must reach its data directory
const driver = addonDriver("postgres");
const spec: PostgresAddon = { type: "postgres", version: 15, databases: ["app"] };
const records: AddonRecord[] = [];
let prodUrl: string;
let stagingUrl: string;
let stagingDir: string;

async function cluster(name: string): Promise<{ url: string; dataDir: string }> {
  const record = {
    env: name,
    name: "db",
    kind: "postgres" as const,
    port: await freePort(),
    password: `pw-${name}`,
    dataDir: join(root, name),
  };
  records.push(record);
  await driver.ensure(spec, record);
  return { url: driver.connectionEnv(spec, record).DATABASE_URL!, dataDir: record.dataDir };
}

async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(
  url: string,
  text: string,
  values?: unknown[],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

// Generated and identity columns, a capitalised name, jsonb with a number beyond 2^53, arrays,
// a self-reference and a table outside public: what a real app's schema has.
const SCHEMA = `
  CREATE TABLE countries (code text PRIMARY KEY, name text NOT NULL);
  CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL UNIQUE,
    "displayName" text NOT NULL,
    phone varchar(32) UNIQUE,
    country text REFERENCES countries,
    password_hash text,
    prefs jsonb NOT NULL DEFAULT '{}',
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', "displayName")) STORED,
    created_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE TABLE orders (
    id serial PRIMARY KEY,
    user_id bigint NOT NULL REFERENCES users,
    contact_email text NOT NULL,
    note text,
    total numeric(10, 2) NOT NULL,
    tags text[]
  );
  -- A foreign key on a masked column: it holds only if both ends get the same fake.
  CREATE TABLE subscribers (email text PRIMARY KEY REFERENCES users (email), since date NOT NULL);
  CREATE TABLE employees (id int PRIMARY KEY, manager_id int REFERENCES employees, name text NOT NULL);
  CREATE SCHEMA audit;
  CREATE TABLE audit.log (id bigserial PRIMARY KEY, user_id bigint REFERENCES users, message text NOT NULL);
`;

const RULES: MaskRules = {
  countries: "safe",
  users: {
    id: "keep",
    email: "email",
    displayName: "name",
    phone: "phone",
    country: "keep",
    password_hash: "drop",
    prefs: "keep",
    created_at: "keep",
  },
  orders: { id: "keep", user_id: "keep", contact_email: "email", note: "text", total: "keep", tags: "keep" },
  employees: { id: "keep", manager_id: "keep", name: "name" },
  subscribers: { email: "email", since: "keep" },
  "audit.log": { id: "keep", user_id: "keep", message: "text" },
};

const USERS = 240;
const person = (i: number) => ({
  email: `ingrid.berg${i}@mail.example.org`,
  name: `Ingrid Bergström-${i}`,
  phone: `+46 70-${String(1_000_000 + i * 7919).padStart(7, "0")}`,
  hash: `$argon2id$secret-hash-${i}`,
});
/** Every personal value put into prod: none may appear anywhere in staging. */
const pii: string[] = [];

async function seedProd(url: string): Promise<void> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  await db.query(SCHEMA);
  await db.query("INSERT INTO countries VALUES ('SE', 'Sweden'), ('NO', 'Norway')");
  for (let i = 0; i < USERS; i++) {
    const p = person(i);
    pii.push(p.email, p.name, p.phone, p.hash);
    await db.query(
      `INSERT INTO users (email, "displayName", phone, country, password_hash, prefs) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        p.email,
        p.name,
        i % 5 === 0 ? null : p.phone,
        i % 2 ? "SE" : "NO",
        p.hash,
        `{"big": 12345678901234567890, "i": ${i}}`,
      ],
    );
  }
  // Three orders a user; most carry the user's own email, as a real order table does.
  for (let i = 0; i < USERS * 3; i++) {
    const u = (i % USERS) + 1;
    const note = `deliver to ${person(u - 1).name}, door code ${i}`;
    pii.push(note);
    await db.query(
      "INSERT INTO orders (user_id, contact_email, note, total, tags) VALUES ($1, $2, $3, $4, $5)",
      [
        u,
        i % 4 === 0 ? `other${i}@mail.example.org` : person(u - 1).email,
        note,
        (i * 1.25).toFixed(2),
        ["a", `b ${i}`],
      ],
    );
    if (i % 4 === 0) pii.push(`other${i}@mail.example.org`);
  }
  await db.query(
    "INSERT INTO employees VALUES (1, NULL, 'Astrid Holm'), (2, 1, 'Bo Ek'), (3, 2, 'Cecilia Lind')",
  );
  pii.push("Astrid Holm", "Bo Ek", "Cecilia Lind");
  await db.query("INSERT INTO audit.log (user_id, message) SELECT id, 'login by ' || email FROM users");
  await db.end();
}

/** The file's bytes, or none if the server removed it (a recycled WAL segment) while we looked. */
function readIfThere(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch {
    return Buffer.alloc(0);
  }
}

/** Every cell of every table of the database, as text. */
async function everyCell(url: string): Promise<string[]> {
  const tables = await sql<{ t: string }>(
    url,
    "SELECT format('%I.%I', schemaname, tablename) AS t FROM pg_tables WHERE schemaname IN ('public', 'audit')",
  );
  const cells: string[] = [];
  for (const { t } of tables)
    for (const row of await sql<{ r: string }>(url, `SELECT x::text AS r FROM ${t} x`)) cells.push(row.r);
  return cells;
}

async function counts(url: string): Promise<Record<string, number>> {
  const rows = await sql<{ t: string; n: number }>(
    url,
    `SELECT 'users' AS t, count(*)::int AS n FROM users UNION ALL SELECT 'orders', count(*)::int FROM orders
     UNION ALL SELECT 'employees', count(*)::int FROM employees UNION ALL SELECT 'audit.log', count(*)::int FROM audit.log
     UNION ALL SELECT 'countries', count(*)::int FROM countries
     UNION ALL SELECT 'subscribers', count(*)::int FROM subscribers`,
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

beforeAll(async () => {
  const [prod, staging] = await Promise.all([cluster("prod"), cluster("staging")]);
  prodUrl = prod.url;
  stagingUrl = staging.url;
  stagingDir = staging.dataDir;
  await seedProd(prodUrl);
  await sql(stagingUrl, SCHEMA);
  await sql(
    stagingUrl,
    "INSERT INTO users (email, \"displayName\") VALUES ('stale@staging.example', 'Stale')",
  );
});

afterAll(async () => {
  for (const r of records) await driver.stop(r).catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

describe("copyMaskedDatabase", () => {
  it("refuses before copying anything when a column has no rule (a new PII column cannot leak)", async () => {
    await sql(prodUrl, "ALTER TABLE users ADD COLUMN date_of_birth date");
    try {
      const error = await copyMaskedDatabase({ source: prodUrl, target: stagingUrl, rules: RULES }).catch(
        (e) => e,
      );
      expect(isSlipwayError(error) && error.code).toBe("SLW_MASK_REFUSED");
      expect(error.message).toContain("data.mask.users.date_of_birth");
      expect(await sql(stagingUrl, "SELECT email FROM users")).toEqual([{ email: "stale@staging.example" }]);
    } finally {
      await sql(prodUrl, "ALTER TABLE users DROP COLUMN date_of_birth");
    }
  });

  it("copies every row, masked: no original PII value anywhere in staging, counts and keys intact", async () => {
    const heard: { table: string; rows: number; total: number }[] = [];
    const result = await copyMaskedDatabase({
      source: prodUrl,
      target: stagingUrl,
      rules: RULES,
      batchRows: 97,
      onProgress: (p) => heard.push(p),
    });
    // Progress: every table with its total before a row moves, then batch by batch to the total.
    const tables = result.tables.length;
    expect(heard.slice(0, tables)).toEqual(
      result.tables.map((t) => ({ table: t.table, rows: 0, total: t.rows })),
    );
    const orders = heard.slice(tables).filter((p) => p.table === "orders");
    expect(orders.map((p) => p.rows)).toEqual(
      Array.from({ length: Math.ceil((USERS * 3) / 97) }, (_, i) => Math.min((i + 1) * 97, USERS * 3)),
    );
    expect(result.tables.map((t) => t.table)).toEqual([
      "countries",
      "employees",
      "users",
      "audit.log",
      "orders",
      "subscribers",
    ]);
    expect(await counts(stagingUrl)).toEqual(await counts(prodUrl));
    expect(result.tables.find((t) => t.table === "orders")?.rows).toBe(USERS * 3);

    const cells = await everyCell(stagingUrl);
    expect(cells.length).toBeGreaterThan(USERS * 5);
    const leaks = cells.flatMap((cell) => pii.filter((value) => cell.includes(value)));
    expect(leaks).toEqual([]);

    // Foreign keys: the same parent for every child, and a fake that matches wherever the original did.
    const links = `SELECT o.id, o.user_id, o.contact_email = u.email AS own_email, u.phone IS NULL AS no_phone
                     FROM orders o JOIN users u ON u.id = o.user_id ORDER BY o.id`;
    expect(await sql(stagingUrl, links)).toEqual(await sql(prodUrl, links));
    const subscribed =
      "SELECT u.id, s.since FROM subscribers s JOIN users u ON u.email = s.email ORDER BY u.id";
    expect(await sql(stagingUrl, subscribed)).toEqual(await sql(prodUrl, subscribed));
    const managers = "SELECT id, manager_id FROM employees ORDER BY id";
    expect(await sql(stagingUrl, managers)).toEqual(await sql(prodUrl, managers));

    // keep is byte-for-byte (jsonb beyond 2^53 included), drop leaves NULL, generated columns follow the fakes.
    const kept =
      "SELECT users.id, country, prefs::text, created_at::text, total::text, tags FROM users JOIN orders ON orders.user_id = users.id ORDER BY orders.id";
    expect(await sql(stagingUrl, kept)).toEqual(await sql(prodUrl, kept));
    expect(
      await sql(stagingUrl, "SELECT count(*)::int AS n FROM users WHERE password_hash IS NOT NULL"),
    ).toEqual([{ n: 0 }]);
    const [row] = await sql<{ email: string; name: string; search: string }>(
      stagingUrl,
      `SELECT email, "displayName" AS name, search::text FROM users WHERE id = 1`,
    );
    expect(row!.email).toMatch(/^user-[a-z2-7]{26}@example\.invalid$/);
    expect(row!.search).toContain(row!.name.split(" ")[0]!.toLowerCase());

    // Sequences moved on: the next insert in staging does not collide with a copied id.
    await sql(stagingUrl, "INSERT INTO users (email, \"displayName\") VALUES ('new@staging.example', 'New')");
    await sql(
      stagingUrl,
      "INSERT INTO orders (user_id, contact_email, total) VALUES (1, 'x@staging.example', 1)",
    );
  });

  it("writes nothing unmasked to staging's disk (data files and WAL)", () => {
    const sample = pii.filter((_, i) => i % 37 === 0);
    expect(sample.length).toBeGreaterThan(20);
    const files = readdirSync(stagingDir, { recursive: true, encoding: "utf8" })
      .map((f) => join(stagingDir, f))
      .filter((f) => statSync(f, { throwIfNoEntry: false })?.isFile());
    const found = files.flatMap((f) => {
      const bytes = readIfThere(f);
      return sample.filter((v) => bytes.includes(v)).map((v) => `${f}: ${v}`);
    });
    expect(found).toEqual([]);
  });

  it("refuses when the target's schema is behind, leaving it as it was", async () => {
    await sql(prodUrl, "ALTER TABLE orders ADD COLUMN coupon text");
    try {
      const before = await counts(stagingUrl);
      const error = await copyMaskedDatabase({
        source: prodUrl,
        target: stagingUrl,
        rules: { ...RULES, orders: { ...(RULES.orders as object), coupon: "keep" } },
      }).catch((e) => e);
      expect(isSlipwayError(error) && error.code).toBe("SLW_DATA_COPY_FAILED");
      expect(error.message).toContain("orders.coupon");
      expect(await counts(stagingUrl)).toEqual(before);
    } finally {
      await sql(prodUrl, "ALTER TABLE orders DROP COLUMN coupon");
    }
  });

  it("refuses to copy a database onto itself", async () => {
    const error = await copyMaskedDatabase({ source: prodUrl, target: prodUrl, rules: RULES }).catch(
      (e) => e,
    );
    expect(isSlipwayError(error) && error.code).toBe("SLW_DATA_COPY_FAILED");
    expect(await counts(prodUrl)).toMatchObject({ users: USERS });
  });

  it("says which database it cannot reach", async () => {
    const nowhere = `postgres://app:x@127.0.0.1:${await freePort()}/app`;
    const error = await copyMaskedDatabase({ source: prodUrl, target: nowhere, rules: RULES }).catch(
      (e) => e,
    );
    expect(isSlipwayError(error) && error.code).toBe("SLW_DATA_COPY_FAILED");
    expect(error.message).toMatch(/^cannot connect to the target database/);
  });
});
