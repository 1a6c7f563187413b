import { addonEnvNames, type BucketAddon, type PostgresAddon, type RedisAddon } from "@slipway/spec";
import { describe, expect, it } from "vitest";
import { addonDriver } from "./index";
import type { AddonRecord } from "./types";

// The spec checks `$(NAME)` references against the names it expects each add-on to inject;
// these are the names the drivers really inject. They must not drift apart.
const record = (kind: AddonRecord["kind"], name: string): AddonRecord => ({
  env: "local",
  name,
  kind,
  port: 5555,
  password: "p",
  dataDir: "/nonexistent",
});

describe("add-on connection env names", () => {
  it("are what the spec lets services refer to", () => {
    const pg: PostgresAddon = { type: "postgres", version: 15, databases: ["app", "audit-log"] };
    const redis: RedisAddon = {
      type: "redis",
      maxmemory: "64mb",
      evictionPolicy: "noeviction",
      persistence: false,
    };
    const bucket: BucketAddon = { type: "bucket" };
    const keys = (env: Record<string, string>) => Object.keys(env).sort();
    expect(keys(addonDriver("postgres").connectionEnv(pg, record("postgres", "main-db")))).toEqual(
      addonEnvNames("main-db", pg).sort(),
    );
    expect(keys(addonDriver("redis").connectionEnv(redis, record("redis", "cache")))).toEqual(
      addonEnvNames("cache", redis).sort(),
    );
    expect(keys(addonDriver("bucket").connectionEnv(bucket, record("bucket", "files")))).toEqual(
      addonEnvNames("files", bucket).sort(),
    );
  });
});
