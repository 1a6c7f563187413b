import { describe, expect, it } from "vitest";
import { maskCell, planMaskedCopy, type SourceColumn, type SourceTable } from "./plan";

const col = (name: string, type = "text", more: Partial<SourceColumn> = {}): SourceColumn => ({
  name,
  type,
  nullable: true,
  hasDefault: false,
  generated: false,
  ...more,
});

const users: SourceTable = {
  name: "users",
  columns: [col("id", "bigint", { nullable: false }), col("email"), col("full_name"), col("phone")],
  foreignKeys: [],
};
const orders: SourceTable = {
  name: "orders",
  columns: [col("id", "bigint"), col("user_id", "bigint"), col("note")],
  foreignKeys: [{ columns: ["user_id"], table: "users", referencedColumns: ["id"] }],
};
const countries: SourceTable = { name: "countries", columns: [col("code"), col("name")], foreignKeys: [] };

const fk = (column: string, table: string) => ({ columns: [column], table, referencedColumns: [column] });

const rules = {
  users: { id: "keep", email: "email", full_name: "name", phone: "phone" },
  orders: { id: "keep", user_id: "keep", note: "text" },
  countries: "safe",
} as const;

describe("planMaskedCopy", () => {
  it("orders tables parents first and gives each column its rule", () => {
    const plan = planMaskedCopy(rules, [orders, users, countries]);
    expect(plan).toEqual({
      ok: true,
      tables: [
        {
          table: "countries",
          columns: [
            { name: "code", rule: "keep" },
            { name: "name", rule: "keep" },
          ],
        },
        {
          table: "users",
          columns: [
            { name: "id", rule: "keep" },
            { name: "email", rule: "email" },
            { name: "full_name", rule: "name" },
            { name: "phone", rule: "phone" },
          ],
        },
        {
          table: "orders",
          columns: [
            { name: "id", rule: "keep" },
            { name: "user_id", rule: "keep" },
            { name: "note", rule: "text" },
          ],
        },
      ],
    });
  });

  it("refuses a table without a rule, naming its columns", () => {
    const plan = planMaskedCopy({ users: rules.users }, [users, orders]);
    expect(plan.ok).toBe(false);
    expect(!plan.ok && plan.problems).toEqual([
      expect.objectContaining({
        table: "orders",
        message: 'table "orders" has no masking rule, so it could hold personal data',
        hint: expect.stringContaining("(id, user_id, note)"),
      }),
    ]);
  });

  it("refuses a new column nobody wrote a rule for, so new PII cannot leak", () => {
    const grown = { ...users, columns: [...users.columns, col("date_of_birth", "date")] };
    const plan = planMaskedCopy({ users: rules.users }, [grown]);
    expect(!plan.ok && plan.problems.map((p) => [p.table, p.column])).toEqual([["users", "date_of_birth"]]);
  });

  it("copies every column of a safe table, including ones added later", () => {
    const plan = planMaskedCopy({ countries: "safe" }, [
      { ...countries, columns: [...countries.columns, col("x")] },
    ]);
    expect(plan.ok && plan.tables[0]!.columns.map((c) => c.name)).toEqual(["code", "name", "x"]);
  });

  it("leaves dropped and generated columns out of the copy", () => {
    const t: SourceTable = {
      name: "people",
      columns: [col("id", "bigint"), col("notes"), col("search", "tsvector", { generated: true })],
      foreignKeys: [],
    };
    const plan = planMaskedCopy({ people: { id: "keep", notes: "drop" } }, [t]);
    expect(plan.ok && plan.tables[0]!.columns).toEqual([{ name: "id", rule: "keep" }]);
  });

  it("refuses rules that cannot do what they say", () => {
    const t: SourceTable = {
      name: "people",
      columns: [
        col("id", "bigint", { nullable: false }),
        col("email", "character varying(20)"),
        col("age", "integer"),
        col("ssn", "text", { nullable: false }),
        col("search", "tsvector", { generated: true }),
      ],
      foreignKeys: [],
    };
    const plan = planMaskedCopy(
      { people: { id: "keep", email: "email", age: "name", ssn: "drop", search: "keep", nickname: "name" } },
      [t],
    );
    expect(!plan.ok && plan.problems.map((p) => `${p.column}: ${p.message}`)).toEqual([
      'nickname: table "people" has no column "nickname"',
      'email: the "email" fake is up to 47 characters, more than character varying(20) holds',
      'age: "name" writes text, but the column is integer',
      'ssn: "drop" leaves the column empty, but it is NOT NULL without a default (text)',
      "search: a generated column is computed from the others and is never copied",
    ]);
  });

  it("refuses a rule for a table the database does not have", () => {
    const plan = planMaskedCopy({ ...rules, user: "safe" }, [users, orders, countries]);
    expect(!plan.ok && plan.problems).toEqual([expect.objectContaining({ table: "user" })]);
  });

  it("accepts a table that references itself, and refuses a cycle between tables", () => {
    const tree: SourceTable = {
      name: "tree",
      columns: [col("id")],
      foreignKeys: [{ columns: ["id"], table: "tree", referencedColumns: ["id"] }],
    };
    expect(planMaskedCopy({ tree: "safe" }, [tree]).ok).toBe(true);
    const a: SourceTable = { name: "a", columns: [col("id")], foreignKeys: [fk("id", "b")] };
    const b: SourceTable = { name: "b", columns: [col("id")], foreignKeys: [fk("id", "a")] };
    const plan = planMaskedCopy({ a: "safe", b: "safe" }, [a, b]);
    expect(!plan.ok && plan.problems.map((p) => p.table)).toEqual(["a", "b"]);
  });
});

describe("foreign keys on masked columns", () => {
  const subscribers: SourceTable = {
    name: "subscribers",
    columns: [col("email")],
    foreignKeys: [{ columns: ["email"], table: "users", referencedColumns: ["email"] }],
  };

  it("are kept when both ends have the same rule, or the referencing end is dropped", () => {
    expect(
      planMaskedCopy({ ...rules, subscribers: { email: "email" } }, [users, orders, countries, subscribers])
        .ok,
    ).toBe(true);
    expect(
      planMaskedCopy({ ...rules, subscribers: { email: "drop" } }, [users, orders, countries, subscribers])
        .ok,
    ).toBe(true);
  });

  it("are refused when the two ends are masked differently, since the keys would not match", () => {
    const plan = planMaskedCopy({ ...rules, subscribers: { email: "keep" } }, [
      users,
      orders,
      countries,
      subscribers,
    ]);
    expect(!plan.ok && plan.problems).toEqual([
      {
        table: "subscribers",
        column: "email",
        message:
          'it references users.email, masked "email", but is masked "keep", so the copied keys would not match',
        hint: 'give both columns the same rule ("email"), or "drop" this one',
      },
    ]);
  });
});

describe("maskCell", () => {
  const secret = new Uint8Array(32).fill(1);
  it("keeps NULL and kept values, and fakes the rest", () => {
    expect(maskCell("email", null, secret)).toBeNull();
    expect(maskCell("keep", "a@b.c", secret)).toBe("a@b.c");
    expect(maskCell("email", "a@b.c", secret)).toMatch(/@example\.invalid$/);
  });
});
