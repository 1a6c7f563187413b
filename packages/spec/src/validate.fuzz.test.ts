import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatIssues } from "./issues";
import { type LoadResult, validateStack } from "./validate";

/** A valid spec touching every part of the schema, for the mutations to start from. */
const valid = {
  name: "shop",
  services: {
    web: {
      type: "web",
      command: ["node", "server.js"],
      health: { path: "/healthz" },
      uses: ["db"],
      env: { A: "1" },
    },
    worker: { type: "worker", command: ["node", "worker.js"], scale: { min: 1, max: 3 }, calls: ["web"] },
    nightly: { type: "cron", command: ["node", "report.js"], schedule: "0 3 * * *" },
    migrate: { type: "release", command: ["node", "migrate.js"] },
  },
  addons: { db: { type: "postgres" }, queue: { type: "redis" }, files: { type: "bucket" } },
  routes: [{ path: "/", service: "web" }],
  environments: { local: {}, prod: { services: { web: { scale: { min: 2, max: 4 }, env: { B: "2" } } } } },
  build: { command: ["npm", "ci"] },
};

type Json = unknown;
type Key = string | number;

/** Every path to an object or array inside the value, the root included. */
function containers(value: Json, path: Key[] = []): Key[][] {
  if (typeof value !== "object" || value === null) return [];
  // Object.entries, not .map: a mutation may have given an array an own "constructor" key.
  return [path, ...Object.entries(value).flatMap(([k, v]) => containers(v, [...path, k]))];
}

function at(value: Json, path: Key[]): Record<Key, Json> {
  return path.reduce<Json>((v, k) => (v as Record<Key, Json>)[k], value) as Record<Key, Json>;
}

const hostile = fc.constantFrom(
  "my api",
  "a'b",
  "$(rm -rf /)",
  "x\ny",
  "API",
  "",
  "__proto__",
  "constructor",
  "\u001b[2J",
);
const anyKey = fc.oneof(hostile, fc.string({ maxLength: 12 }));
const anyValue = fc.oneof(hostile, fc.jsonValue({ maxDepth: 2 }));

/** One mutation: replace a child, delete a child, or add a key (possibly hostile) somewhere. */
const mutation = fc.tuple(fc.nat(), fc.nat(), fc.constantFrom("set", "delete", "add"), anyKey, anyValue);

function mutate(base: Json, steps: [number, number, string, string, Json][]): Json {
  const spec = structuredClone(base);
  for (const [where, which, op, key, value] of steps) {
    const paths = containers(spec);
    const target = at(spec, paths[where % paths.length]!);
    const keys = Object.keys(target);
    const child = keys.length > 0 ? keys[which % keys.length]! : key;
    if (op === "set") target[child] = value;
    else if (op === "delete") delete target[child];
    else Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return spec;
}

function assertUsable(result: LoadResult): void {
  if (result.ok) return;
  expect(result.issues.length).toBeGreaterThan(0);
  for (const issue of result.issues) {
    expect(issue.path.length > 0 || issue.message.length > 0).toBe(true);
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.hint.trim().length).toBeGreaterThan(0);
  }
  // Values and keys are quoted, so no input can split an issue over two lines.
  expect(formatIssues(result.issues).split("\n")).toHaveLength(result.issues.length);
}

describe("validateStack under fuzzing", () => {
  it("accepts the base spec", () => {
    expect(validateStack(valid).ok).toBe(true);
  });

  it("never throws on arbitrary JSON and explains every failure", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => assertUsable(validateStack(value))),
      { numRuns: 300 },
    );
  });

  it("never throws on mutated valid specs and explains every failure", () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (steps) =>
        assertUsable(validateStack(mutate(valid, steps))),
      ),
      { numRuns: 500 },
    );
  });

  it("explains every $(…) in a command item or env value it cannot expand", () => {
    const piece = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom("$(", "$$(", ")", "$", "$(PORT)", "$(DATABASE_URL)", "$(NOPE)", "$(a b)", "$()"),
    );
    const template = fc.array(piece, { maxLength: 5 }).map((p) => p.join(""));
    fc.assert(
      fc.property(template, template, (arg, value) => {
        const spec = structuredClone(valid);
        spec.services.web.command = ["node", arg];
        spec.services.web.env = { A: value };
        const result = validateStack(spec);
        assertUsable(result);
        if (!result.ok)
          for (const i of result.issues) expect(i.path.slice(0, 2)).toEqual(["services", "web"]);
      }),
      { numRuns: 500 },
    );
  });
});
