import { type AddonConfig, addonsOf, type PostgresConfig, type RedisConfig } from "@slipway/core";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IService } from "kubernetes-models/v1/Service";
import type { RenderInput } from "../input";
import {
  DEFAULT_STORAGE,
  type K8sObject,
  labels,
  meta,
  namespaceOf,
  postgresImage,
  REDIS_IMAGE,
  REDIS_PORT,
  REDIS_UID,
  rendered,
  secretNames,
  selectorLabels,
  WAVE,
  wave,
} from "./objects";

/** The objects of one add-on. A bucket is external S3: nothing runs in the cluster for it. */
export function addonObjects(input: RenderInput, name: string, addon: AddonConfig): K8sObject[] {
  switch (addon.type) {
    case "postgres":
      return postgres(input, name, addon);
    case "redis":
      return redis(input, name, addon);
    case "bucket":
      return [];
  }
}

/** The role CloudNativePG creates for the app, owner of every database (not a superuser). */
const APP_ROLE = "app";

/**
 * A CloudNativePG Cluster: the first database is made at bootstrap, each further one by a
 * `Database` object. CloudNativePG writes the app role's credentials and the first database's
 * URI to the Secret `<name>-app`, which the services read by name; no password is rendered.
 */
function postgres(input: RenderInput, name: string, addon: PostgresConfig): K8sObject[] {
  const [first, ...rest] = addon.databases;
  const cluster: K8sObject = {
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Cluster",
    metadata: meta(input, name, labels(input, name, "postgres"), wave(WAVE.addons)),
    spec: {
      instances: 1,
      imageName: postgresImage(addon.version),
      enableSuperuserAccess: false,
      bootstrap: { initdb: { database: first, owner: APP_ROLE } },
      storage: { size: DEFAULT_STORAGE },
      ...(addon.backup ? { backup: clusterBackup(input, addon.backup.bucket) } : {}),
    },
  };
  const databases: K8sObject[] = rest.map((db) => ({
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Database",
    metadata: meta(input, `${name}-${db}`, labels(input, name, "postgres"), wave(WAVE.addons)),
    spec: { name: db, owner: APP_ROLE, cluster: { name } },
  }));
  const scheduled: K8sObject[] = addon.backup
    ? [
        {
          apiVersion: "postgresql.cnpg.io/v1",
          kind: "ScheduledBackup",
          metadata: meta(input, `${name}-daily`, labels(input, name, "postgres"), wave(WAVE.addons)),
          spec: {
            cluster: { name },
            schedule: BASE_BACKUP_SCHEDULE,
            method: "barmanObjectStore",
            // The first base backup at once: until one exists, no point in time is restorable.
            immediate: true,
            backupOwnerReference: "self",
          },
        },
      ]
    : [];
  return [cluster, ...databases, ...scheduled];
}

/** The seeds' defaults (daily base backups, 35 days kept). CloudNativePG's cron has a seconds field. */
const BASE_BACKUP_SCHEDULE = "0 0 3 * * *";
const RETENTION = "35d";

/**
 * WAL archiving and base backups into the bucket add-on, with the bucket's own Secret
 * (`<bucket>-s3`, which the services read too) for credentials. CloudNativePG archives each WAL
 * segment as it completes or every `archive_timeout` (its default: 5 minutes, the seeds' PITR
 * window); the local driver streams instead (docs/backups.md). The bucket is encrypted at rest
 * by the store (AES256); each cluster writes under its own path: <namespace>/<cluster>.
 */
function clusterBackup(input: RenderInput, bucketAddon: string) {
  const bucket = addonsOf(input.release.config)[bucketAddon];
  const bucketName = bucket?.type === "bucket" ? (bucket.bucket ?? bucketAddon) : bucketAddon;
  const secret = secretNames.bucket(bucketAddon);
  return {
    retentionPolicy: RETENTION,
    barmanObjectStore: {
      destinationPath: `s3://${bucketName}/${namespaceOf(input)}`,
      s3Credentials: {
        accessKeyId: { name: secret, key: "access-key-id" },
        secretAccessKey: { name: secret, key: "secret-access-key" },
        region: { name: secret, key: "region" },
      },
      wal: { compression: "zstd", encryption: "AES256" },
      data: { compression: "lz4", encryption: "AES256" },
    },
  };
}

/** "64mb" (Redis counts 1mb as 1024 kb) → mebibytes, rounded up. */
function mebibytes(size: string): number {
  const m = /^(\d+)(kb|mb|gb)$/i.exec(size)!;
  const factor = { kb: 1 / 1024, mb: 1, gb: 1024 }[m[2]!.toLowerCase() as "kb" | "mb" | "gb"];
  return Math.ceil(Number(m[1]) * factor);
}

/**
 * Redis as a one-pod StatefulSet behind a Service of the add-on's name: the password from the
 * Secret `<name>-redis` (which you create), the spec's maxmemory and eviction policy, and a
 * disk only with persistence (append-only file). Its memory limit leaves room above maxmemory
 * for Redis' own overhead.
 */
function redis(input: RenderInput, name: string, addon: RedisConfig): K8sObject[] {
  const objectLabels = labels(input, name, "redis");
  const memory = `${Math.max(64, 2 * mebibytes(addon.maxmemory))}Mi`;
  const service: IService = {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta(input, name, objectLabels, wave(WAVE.addons)),
    spec: {
      type: "ClusterIP",
      selector: selectorLabels(input, name),
      ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis", protocol: "TCP" }],
    },
  };
  const statefulSet: IStatefulSet = {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: meta(input, name, objectLabels, wave(WAVE.addons)),
    spec: {
      serviceName: name,
      replicas: 1,
      selector: { matchLabels: selectorLabels(input, name) },
      template: {
        metadata: { labels: objectLabels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: REDIS_UID,
            runAsGroup: REDIS_UID,
            fsGroup: REDIS_UID,
            seccompProfile: { type: "RuntimeDefault" },
          },
          containers: [
            {
              name: "redis",
              image: REDIS_IMAGE,
              // Kubernetes puts the password in from the Secret ($(REDIS_PASSWORD)): no shell.
              command: [
                "redis-server",
                "--requirepass",
                "$(REDIS_PASSWORD)",
                "--maxmemory",
                addon.maxmemory,
                "--maxmemory-policy",
                addon.evictionPolicy,
                "--appendonly",
                addon.persistence ? "yes" : "no",
                "--save",
                "",
                "--dir",
                "/data",
              ],
              env: [
                {
                  name: "REDIS_PASSWORD",
                  valueFrom: { secretKeyRef: { name: secretNames.redis(name), key: "password" } },
                },
              ],
              ports: [{ name: "redis", containerPort: REDIS_PORT }],
              readinessProbe: { tcpSocket: { port: REDIS_PORT }, periodSeconds: 5 },
              livenessProbe: { tcpSocket: { port: REDIS_PORT }, periodSeconds: 10, failureThreshold: 3 },
              resources: { requests: { cpu: "100m", memory }, limits: { cpu: "500m", memory } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [{ name: "data", mountPath: "/data" }],
            },
          ],
          ...(addon.persistence ? {} : { volumes: [{ name: "data", emptyDir: {} }] }),
        },
      },
      ...(addon.persistence
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: "data" },
                spec: {
                  accessModes: ["ReadWriteOnce"],
                  resources: { requests: { storage: DEFAULT_STORAGE } },
                },
              },
            ],
          }
        : {}),
    },
  };
  return [rendered(service), rendered(statefulSet)];
}
