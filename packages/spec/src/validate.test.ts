import { describe, expect, it } from "vitest";
import { formatIssues, type SpecIssue } from "./issues";
import type { StackInput } from "./schema";
import { validateStack } from "./validate";

const minimal: StackInput = {
  name: "shop",
  services: { api: { type: "web", command: ["node", "server.js"] } },
};

/** A copy of the minimal spec with one service's fields replaced. */
function withApi(fields: Record<string, unknown>): unknown {
  return { ...minimal, services: { api: { ...minimal.services.api, ...fields } } };
}

function issuesOf(value: unknown): SpecIssue[] {
  const result = validateStack(value, "slipway.config.ts");
  if (result.ok) throw new Error("expected the spec to be rejected");
  return result.issues;
}

function only(value: unknown): SpecIssue {
  const issues = issuesOf(value);
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

describe("validateStack", () => {
  it("accepts a minimal spec and fills in defaults", () => {
    const result = validateStack(minimal);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.file).toBe("<input>");
    expect(result.stack.environments).toEqual({
      local: {
        services: {},
        requiresApproval: false,
        soakMinutes: 0,
        freeze: [],
        strategy: { kind: "direct" },
        // The seeds' backup policy: daily base backups, 35 days, monthly drills, RPO 5 min, RTO 1 h.
        backup: {
          enabled: true,
          baseBackupEveryHours: 24,
          retentionDays: 35,
          drillEveryDays: 30,
          rpoTargetSeconds: 300,
          rtoTargetSeconds: 3600,
          verify: [],
        },
      },
    });
    expect(result.stack.services.api).toMatchObject({ env: {}, uses: [], calls: [], drainSeconds: 30 });
  });

  it("says expected, got and fix for a number out of range", () => {
    const issue = only(withApi({ scale: { min: -1, max: 1 } }));
    expect(issue).toMatchObject({
      code: "SLW_SPEC_INVALID",
      file: "slipway.config.ts",
      path: ["services", "api", "scale", "min"],
      expected: "a number >= 0",
      received: "-1",
    });
    expect(formatIssues([issue])).toBe(
      "slipway.config.ts: services.api.scale.min: expected a number >= 0, got -1. Fix: set it to 0 or more.",
    );
  });

  it("rejects an unknown key with a did-you-mean from the keys allowed there", () => {
    const issue = only(withApi({ helth: { path: "/up" } }));
    expect(issue.path).toEqual(["services", "api", "helth"]);
    expect(issue.hint).toBe("did you mean `health`?");
    expect(issue.expected).toContain("drainSeconds");
  });

  it("finds allowed keys inside a discriminated union (add-ons) and at the root", () => {
    const addon = only({ ...minimal, addons: { db: { type: "postgres", databse: ["app"] } } });
    expect(addon.hint).toBe("did you mean `databases`?");
    const root = only({ ...minimal, enviroments: {} });
    expect(root.hint).toBe("did you mean `environments`?");
  });

  it("suggests the closest add-on type and service type", () => {
    expect(only({ ...minimal, addons: { db: { type: "postgress" } } })).toMatchObject({
      path: ["addons", "db", "type"],
      received: '"postgress"',
      hint: 'did you mean "postgres"?',
    });
    expect(only(withApi({ type: "wbe" })).hint).toBe('did you mean "web"?');
  });

  it("shows a shell-string command as the argv it should be", () => {
    const issue = only(withApi({ command: "node server.js --port 3000" }));
    expect(issue.path).toEqual(["services", "api", "command"]);
    expect(issue.hint).toContain('["node","server.js","--port","3000"]');
  });

  it("names a missing required field and what it is for", () => {
    const issue = only({ name: "shop" });
    expect(issue).toMatchObject({ path: ["services"], received: "nothing" });
    expect(issue.hint).toMatch(/^add `services`/);
  });

  it("explains what the whole value should be when it is not an object", () => {
    expect(only(null)).toMatchObject({ path: [], message: "expected an object, got null" });
    expect(only([]).hint).toContain("defineStack");
  });

  it.each([
    ["my api", "my-api"],
    ["a'b", "a-b"],
    ["$(rm -rf /)", "rm-rf"],
    ["x\ny", "x-y"],
    ["API", "api"],
  ])("rejects the service name %j, quoting it safely", (bad, suggestion) => {
    const issue = only({
      ...minimal,
      services: { ...minimal.services, [bad]: { type: "worker", command: ["w"] } },
    });
    expect(issue.path).toEqual(["services", bad]);
    expect(issue.received).toBe(JSON.stringify(bad));
    expect(issue.hint).toBe(`rename it, e.g. "${suggestion}"`);
    const line = formatIssues([issue]);
    expect(line).toContain(`services[${JSON.stringify(bad)}]`.replace(`["API"]`, ".API"));
    expect(line).not.toContain("\n");
  });

  it.each(["my api", "a'b", "$(rm -rf /)", "x\ny", "Shop"])("rejects the stack name %j", (bad) => {
    const issue = only({ ...minimal, name: bad });
    expect(issue.path).toEqual(["name"]);
    expect(issue.message).toContain("a stack name is");
    expect(issue.received).toBe(JSON.stringify(bad));
  });

  it("rejects hostile names in references too (uses, env var names)", () => {
    const uses = issuesOf(withApi({ uses: ["$(rm -rf /)"] }));
    expect(uses[0]).toMatchObject({ path: ["services", "api", "uses", 0], received: '"$(rm -rf /)"' });
    const env = only(withApi({ env: { "A B": "1" } }));
    expect(env).toMatchObject({ path: ["services", "api", "env", "A B"], hint: 'rename it, e.g. "A_B"' });
  });

  it("checks references between parts of the stack, with a hint", () => {
    const issues = issuesOf({
      ...minimal,
      services: {
        ...minimal.services,
        worker: { type: "worker", command: ["w"], uses: ["db"], calls: ["worker"] },
      },
      routes: [{ path: "/", service: "worker" }],
      environments: { prod: { services: { nope: {} } } },
    });
    expect(issues.map((i) => i.path)).toEqual([
      ["services", "worker", "uses", 0],
      ["services", "worker", "calls", 0],
      ["routes", 0, "service"],
      ["environments", "prod", "services", "nope"],
    ]);
    expect(issues[0]!.hint).toBe("declare it under addons, or remove it from uses");
    expect(issues[3]!.hint).toBe("override one of: api, worker");
  });

  it("checks that a postgres backup bucket is a bucket add-on, naming the ones there are", () => {
    const addons = { db: { type: "postgres", backup: { bucket: "cache" } }, cache: { type: "redis" } };
    const issue = only({ ...minimal, addons });
    expect(issue.path).toEqual(["addons", "db", "backup", "bucket"]);
    expect(issue.message).toBe('"cache" is not a bucket add-on of this stack');
    expect(issue.hint).toMatch(/declare one/);
    const withBucket = { ...addons, files: { type: "bucket" } };
    expect(only({ ...minimal, addons: withBucket }).hint).toBe("name one of: files");
    const ok = validateStack({
      ...minimal,
      addons: { ...withBucket, db: { type: "postgres", backup: { bucket: "files" } } },
    });
    expect(ok.ok).toBe(true);
  });

  it("keeps an environment's backups in a bucket add-on, or an external one with declared secrets", () => {
    const files = { files: { type: "bucket" }, cache: { type: "redis" } };
    const withRepo = (repository: unknown, secrets: unknown = {}) => ({
      ...minimal,
      addons: files,
      secrets,
      environments: { prod: { backup: { repository } } },
    });
    expect(validateStack(withRepo({ bucket: "files" })).ok).toBe(true);
    const notBucket = only(withRepo({ bucket: "cache" }));
    expect(notBucket.path).toEqual(["environments", "prod", "backup", "repository", "bucket"]);
    expect(notBucket.hint).toMatch(/^name one of: files/);

    const external = { bucket: "acme", endpoint: "https://s3.example.com" };
    const credentials = { accessKeyId: "BK_ID", secretAccessKey: "BK_SECRET" };
    expect(only(withRepo(external)).path).toEqual([
      "environments",
      "prod",
      "backup",
      "repository",
      "credentials",
    ]);
    const undeclared = only(withRepo({ ...external, credentials }, { BK_ID: {} }));
    expect(undeclared.path).toEqual([
      "environments",
      "prod",
      "backup",
      "repository",
      "credentials",
      "secretAccessKey",
    ]);
    expect(undeclared.message).toBe('"BK_SECRET" is not a secret declared for prod');
    // Credentials are secrets no service receives: they need no services.
    expect(validateStack(withRepo({ ...external, credentials }, { BK_ID: {}, BK_SECRET: {} })).ok).toBe(true);
    expect(only(withRepo({ bucket: "files" }, { BK_ID: {} })).path).toEqual(["secrets", "BK_ID", "services"]);
    const declared = { BK_ID: {}, BK_SECRET: {} };
    expect(only(withRepo({ ...external, endpoint: "s3 please", credentials }, declared)).path).toEqual([
      "environments",
      "prod",
      "backup",
      "repository",
      "endpoint",
    ]);
  });

  it("takes redis snapshots only at a period it knows", () => {
    const redis = (backup: unknown) => ({ ...minimal, addons: { cache: { type: "redis", backup } } });
    expect(validateStack(redis({ snapshots: "hourly" })).ok).toBe(true);
    const issue = only(redis({ snapshots: "weekly" }));
    expect(issue.path).toEqual(["addons", "cache", "backup", "snapshots"]);
    expect(issue.message).toBe('expected one of "hourly", "daily", got "weekly"');
  });

  it("does not take inherited object keys for declared names", () => {
    expect(only(withApi({ uses: ["constructor"] })).message).toBe('no add-on named "constructor"');
  });

  it("refuses a scale on jobs, which would be ignored", () => {
    const job = { type: "release", command: ["node", "migrate.js"], scale: { min: 1, max: 1 } };
    expect(only({ ...minimal, services: { ...minimal.services, migrate: job } }).path).toEqual([
      "services",
      "migrate",
      "scale",
    ]);
    const override = {
      ...minimal,
      services: { ...minimal.services, migrate: { type: "release", command: ["m"] } },
      environments: { prod: { services: { migrate: { scale: { max: 2 } } } } },
    };
    expect(only(override).path).toEqual(["environments", "prod", "services", "migrate", "scale"]);
  });

  it("reports one issue per field", () => {
    // zod reports both `max >= 1` and `max >= min` here; the first is the useful one.
    const issue = only(withApi({ scale: { min: 2, max: 0 } }));
    expect(issue).toMatchObject({ path: ["services", "api", "scale", "max"], expected: "a number >= 1" });
  });

  it("gives every issue a hint", () => {
    const issues = issuesOf({
      name: "Bad Name",
      services: {
        api: { type: "cron", command: [], port: 70000, drainSeconds: "x", health: { path: "up" } },
      },
      addons: { r: { type: "redis", maxmemory: "lots" } },
      routes: "all",
    });
    expect(issues.length).toBeGreaterThan(5);
    for (const issue of issues) expect(issue.hint.length).toBeGreaterThan(0);
  });
});
