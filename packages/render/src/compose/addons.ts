import type { AddonConfig, BucketConfig, PostgresConfig, RedisConfig } from "@slipway/core";
import { envName } from "@slipway/core";
import type { RenderedFile } from "../input";
import { IMAGES } from "./images";
import { type ComposeService, type DependsOnCondition, literal, required } from "./model";
import { addonNetwork, bucketInitService, dataVolume, secretVariable } from "./names";

/** The role services connect as, as locally (driver-local's APP_ROLE). */
const APP_ROLE = "app";
/** The region the local bucket reports, so apps see the same S3_REGION on both targets. */
const S3_REGION = "us-east-1";
const S3_PORT = 9000;

/** What one add-on becomes under Compose. */
export interface ComposeAddon {
  services: Record<string, ComposeService>;
  volumes: string[];
  /** Config files the add-on mounts (Compose `configs`), by config name. */
  configs: Record<string, RenderedFile>;
  /** The connection env of a service that uses it: the names the local driver injects. */
  env: Record<string, string>;
  /** What a service that uses it waits for before it starts. */
  ready: Record<string, DependsOnCondition>;
  /** The variables the user fills in `.env`, with what each is. */
  secrets: { variable: string; meaning: string }[];
}

export function composeAddon(name: string, addon: AddonConfig): ComposeAddon {
  switch (addon.type) {
    case "postgres":
      return postgres(name, addon);
    case "redis":
      return redis(name, addon);
    case "bucket":
      return bucket(name, addon);
  }
}

function postgres(name: string, spec: PostgresConfig): ComposeAddon {
  const password = secretVariable(name, "PASSWORD");
  const [first = "app", ...more] = spec.databases;
  const url = (db: string) => `postgres://${APP_ROLE}:${required(password)}@${name}:5432/${db}`;
  const env: Record<string, string> = { DATABASE_URL: url(first), [`${envName(name)}_URL`]: url(first) };
  for (const db of spec.databases) env[`DATABASE_URL_${envName(db)}`] = url(db);
  // The image creates one database; the others are created by a script it runs on first start.
  const initConfig = `${name}_databases`;
  const configs: Record<string, RenderedFile> = more.length
    ? {
        [initConfig]: {
          path: `postgres/${name}-databases.sql`,
          content: `${more.map((db) => `CREATE DATABASE "${db}";`).join("\n")}\n`,
        },
      }
    : {};
  // Postgres 18's image keeps its data one level up (PGDATA under /var/lib/postgresql/18).
  const dataDir = spec.version >= 18 ? "/var/lib/postgresql" : "/var/lib/postgresql/data";
  return {
    services: {
      [name]: {
        image: IMAGES.postgres(spec.version),
        environment: { POSTGRES_USER: APP_ROLE, POSTGRES_PASSWORD: required(password), POSTGRES_DB: first },
        healthcheck: {
          test: ["CMD", "pg_isready", "-U", APP_ROLE, "-d", first],
          interval: "2s",
          timeout: "2s",
          retries: 30,
        },
        restart: "unless-stopped",
        networks: [addonNetwork(name)],
        volumes: [`${dataVolume(name)}:${dataDir}`],
        ...(more.length
          ? { configs: [{ source: initConfig, target: "/docker-entrypoint-initdb.d/10-databases.sql" }] }
          : {}),
      },
    },
    volumes: [dataVolume(name)],
    configs,
    env,
    ready: { [name]: "service_healthy" },
    secrets: [
      {
        variable: password,
        meaning: `${name} (postgres ${spec.version}): the password of the role "${APP_ROLE}"`,
      },
    ],
  };
}

function redis(name: string, spec: RedisConfig): ComposeAddon {
  const password = secretVariable(name, "PASSWORD");
  const url = `redis://:${required(password)}@${name}:6379`;
  return {
    services: {
      [name]: {
        image: IMAGES.redis,
        command: [
          "redis-server",
          "--requirepass",
          required(password),
          "--maxmemory",
          literal(spec.maxmemory),
          "--maxmemory-policy",
          spec.evictionPolicy,
          // As locally: an append-only file when the spec asks for persistence, no snapshots ever.
          "--appendonly",
          spec.persistence ? "yes" : "no",
          "--save",
          "",
        ],
        // redis-cli reads the password from here, so the health check needs no argument with it.
        environment: { REDISCLI_AUTH: required(password) },
        healthcheck: {
          test: ["CMD-SHELL", "redis-cli ping | grep -q PONG"],
          interval: "2s",
          timeout: "2s",
          retries: 30,
        },
        restart: "unless-stopped",
        networks: [addonNetwork(name)],
        ...(spec.persistence ? { volumes: [`${dataVolume(name)}:/data`] } : {}),
      },
    },
    volumes: spec.persistence ? [dataVolume(name)] : [],
    configs: {},
    env: { REDIS_URL: url, [`${envName(name)}_URL`]: url },
    ready: { [name]: "service_healthy" },
    secrets: [{ variable: password, meaning: `${name} (redis): the password clients send with AUTH` }],
  };
}

function bucket(name: string, spec: BucketConfig): ComposeAddon {
  const keyId = secretVariable(name, "ACCESS_KEY_ID");
  const secret = secretVariable(name, "SECRET_ACCESS_KEY");
  const bucketName = spec.bucket ?? name;
  const endpoint = `http://${name}:${S3_PORT}`;
  const credentials = { AWS_ACCESS_KEY_ID: required(keyId), AWS_SECRET_ACCESS_KEY: required(secret) };
  const init = bucketInitService(name);
  return {
    services: {
      [name]: {
        image: IMAGES.s3,
        environment: {
          RUSTFS_ACCESS_KEY: required(keyId),
          RUSTFS_SECRET_KEY: required(secret),
          RUSTFS_ADDRESS: `:${S3_PORT}`,
          RUSTFS_VOLUMES: "/data",
          RUSTFS_CONSOLE_ENABLE: "false",
        },
        healthcheck: {
          test: ["CMD", "curl", "-fs", `http://127.0.0.1:${S3_PORT}/health`],
          interval: "2s",
          timeout: "2s",
          retries: 30,
        },
        restart: "unless-stopped",
        networks: [addonNetwork(name)],
        volumes: [`${dataVolume(name)}:/data`],
      },
      // Creates the bucket when it is missing, so a second `up` succeeds too. A fixed script
      // (the bucket name is [a-z0-9-] by the spec's naming rule), not a command built from input.
      [init]: {
        image: IMAGES.awsCli,
        entrypoint: ["/bin/sh", "-c"],
        command: [
          `aws s3api head-bucket --bucket ${bucketName} >/dev/null 2>&1 || aws s3api create-bucket --bucket ${bucketName}`,
        ],
        environment: { ...credentials, AWS_REGION: S3_REGION, AWS_ENDPOINT_URL: endpoint },
        depends_on: { [name]: { condition: "service_healthy" } },
        restart: "no",
        networks: [addonNetwork(name)],
      },
    },
    volumes: [dataVolume(name)],
    configs: {},
    env: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucketName,
      S3_REGION,
      AWS_REGION: S3_REGION,
      ...credentials,
      S3_FORCE_PATH_STYLE: "true",
      [`${envName(name)}_BUCKET`]: bucketName,
    },
    ready: { [name]: "service_healthy", [init]: "service_completed_successfully" },
    secrets: [
      { variable: keyId, meaning: `${name} (bucket): the S3 access key id (the S3 server's root user)` },
      { variable: secret, meaning: `${name} (bucket): the S3 secret access key` },
    ],
  };
}
