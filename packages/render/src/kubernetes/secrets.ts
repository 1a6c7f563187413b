import { addonsOf } from "@slipway/core";
import type { RenderInput } from "../input";
import { namespaceOf, secretNames } from "./objects";

export interface RequiredSecret {
  namespace: string;
  name: string;
  /** Keys the services read; optional ones may be left out. */
  keys: { key: string; optional?: boolean; what: string }[];
  addon: string;
}

/**
 * The Secrets the rendered objects read but Slipway never writes (a value in a file is a
 * plaintext secret on disk): create them before applying, e.g. with kubectl or External
 * Secrets. CloudNativePG makes the postgres ones (`<name>-app`) itself.
 */
export function requiredSecrets(input: RenderInput): RequiredSecret[] {
  const namespace = namespaceOf(input);
  return Object.entries(addonsOf(input.release.config)).flatMap(([addon, config]): RequiredSecret[] => {
    if (config.type === "redis")
      return [
        {
          namespace,
          name: secretNames.redis(addon),
          addon,
          keys: [
            { key: "password", what: "the Redis password (letters and digits: it goes into REDIS_URL)" },
          ],
        },
      ];
    if (config.type === "bucket")
      return [
        {
          namespace,
          name: secretNames.bucket(addon),
          addon,
          keys: [
            { key: "endpoint", what: "the S3 endpoint URL, e.g. https://s3.eu-west-1.amazonaws.com" },
            {
              key: "bucket",
              what: `the bucket's name (S3_BUCKET); the spec calls it "${config.bucket ?? addon}"`,
            },
            { key: "region", what: "the region (S3_REGION, AWS_REGION)" },
            { key: "access-key-id", what: "AWS_ACCESS_KEY_ID" },
            { key: "secret-access-key", what: "AWS_SECRET_ACCESS_KEY" },
            {
              key: "force-path-style",
              optional: true,
              what: '"true" for MinIO and other path-style servers',
            },
          ],
        },
      ];
    return [];
  });
}
