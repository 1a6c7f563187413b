import { SlipwayError } from "../errors";
import type { BackupPolicy, BackupRepositorySpec } from "./policy";

/** Where one add-on's repository is, before any connection or secret is resolved. */
export type RepositoryChoice =
  | { kind: "directory" }
  /** The bucket add-on of the environment named `addon`. */
  | { kind: "bucket-addon"; addon: string; prefix: string }
  /** An external S3-compatible service; credentials are the values of the named secrets. */
  | {
      kind: "external";
      endpoint: string;
      region: string;
      bucket: string;
      prefix: string;
      credentials: { accessKeyId: string; secretAccessKey: string };
      forcePathStyle: boolean;
    };

export const DEFAULT_BACKUP_PREFIX = "slipway-backups";

/**
 * The environment's `backup.repository` wins over a postgres add-on's own `backup.bucket` (an
 * environment may keep its backups elsewhere than the others), and a local directory is the
 * default. `instance` names the add-on instance (a restored copy switched to gets its own), so
 * each instance's repository is a prefix of its own inside the bucket.
 */
export function chooseRepository(
  policy: Pick<BackupPolicy, "repository">,
  addonBucket: string | undefined,
  env: string,
  instance: string,
): RepositoryChoice {
  const spec: BackupRepositorySpec | undefined =
    policy.repository ?? (addonBucket ? { bucket: addonBucket } : undefined);
  if (!spec) return { kind: "directory" };
  const prefix = `${(spec.prefix ?? DEFAULT_BACKUP_PREFIX).replace(/\/+$/, "")}/${env}/${instance}`;
  if (!spec.endpoint) return { kind: "bucket-addon", addon: spec.bucket, prefix };
  if (!spec.credentials)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      `the backup repository at ${spec.endpoint} names no credentials`,
      "add backup.repository.credentials: { accessKeyId: SECRET_NAME, secretAccessKey: SECRET_NAME }",
      { field: "backup.repository.credentials" },
    );
  return {
    kind: "external",
    endpoint: spec.endpoint,
    region: spec.region ?? "us-east-1",
    bucket: spec.bucket,
    prefix,
    credentials: { ...spec.credentials },
    // AWS wants virtual-host addressing for new buckets; S3-compatible servers (MinIO, R2, …) path-style.
    forcePathStyle: !/(^|\.)amazonaws\.com$/.test(new URL(spec.endpoint).hostname),
  };
}
