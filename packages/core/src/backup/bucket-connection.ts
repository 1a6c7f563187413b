import { SlipwayError } from "../errors";
import type { BackupBucket } from "../ports/backups";

/** A bucket add-on's connection variables (S3_ENDPOINT, S3_BUCKET, AWS_*) as a repository's bucket. */
export function bucketFromConnectionEnv(env: Record<string, string>, prefix: string): BackupBucket {
  const need = (name: string) => {
    const value = env[name];
    if (!value)
      throw new SlipwayError(
        "SLW_BAD_REQUEST",
        `the bucket's connection has no ${name}`,
        "pass the connection variables of a bucket add-on",
        { field: name },
      );
    return value;
  };
  return {
    endpoint: need("S3_ENDPOINT"),
    region: env.S3_REGION ?? env.AWS_REGION ?? "us-east-1",
    bucket: need("S3_BUCKET"),
    accessKeyId: need("AWS_ACCESS_KEY_ID"),
    secretAccessKey: need("AWS_SECRET_ACCESS_KEY"),
    forcePathStyle: env.S3_FORCE_PATH_STYLE !== "false",
    prefix,
  };
}
