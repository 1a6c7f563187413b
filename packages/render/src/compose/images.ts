/**
 * The images the Compose render runs besides the app's own, each pinned to a version so the
 * same render always runs the same software. Replace a tag here (and regenerate the goldens)
 * to move every rendered stack forward.
 */
export const IMAGES = {
  /** The spec pins the major version; the image follows that major's patch releases. */
  postgres: (major: number) => `postgres:${major}-bookworm`,
  redis: "redis:7.4.2",
  /** S3-compatible, Apache-2.0 (MinIO's images were withdrawn from Docker Hub in 2026). */
  s3: "rustfs/rustfs:1.0.0",
  /** Creates the bucket once the S3 server is up; any S3 server works with it. */
  awsCli: "amazon/aws-cli:2.32.8",
  /** The local edge is HAProxy too (2.6 on Debian); the config uses nothing newer. */
  haproxy: "haproxy:2.8.10",
} as const;
