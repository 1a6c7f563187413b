import type { BucketAddon, PostgresAddon, RedisAddon } from "@slipway/spec";
import { bucketDriver } from "./bucket";
import { postgresDriver } from "./postgres";
import { redisDriver } from "./redis";
import type { AddonDriver, AddonDriverOptions, AddonRecord } from "./types";

export { postmasterPid } from "./postgres-cluster";
export { copyMaskedDatabase, type MaskedCopyOptions, type MaskedCopyResult } from "./postgres-copy";
export type { AddonDriver, AddonDriverOptions, AddonRecord } from "./types";

/** The local driver's add-on implementation for one kind. */
export function addonDriver(kind: "postgres", opts?: AddonDriverOptions): AddonDriver<PostgresAddon>;
export function addonDriver(kind: "redis", opts?: AddonDriverOptions): AddonDriver<RedisAddon>;
export function addonDriver(kind: "bucket", opts?: AddonDriverOptions): AddonDriver<BucketAddon>;
export function addonDriver(
  kind: AddonRecord["kind"],
  opts?: AddonDriverOptions,
): AddonDriver<PostgresAddon> | AddonDriver<RedisAddon> | AddonDriver<BucketAddon>;
export function addonDriver(
  kind: AddonRecord["kind"],
  opts: AddonDriverOptions = {},
): AddonDriver<PostgresAddon> | AddonDriver<RedisAddon> | AddonDriver<BucketAddon> {
  switch (kind) {
    case "postgres":
      return postgresDriver(opts);
    case "redis":
      return redisDriver(opts);
    case "bucket":
      return bucketDriver(opts);
  }
}
