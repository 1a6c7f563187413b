import {
  type AddonConfig,
  addonsOf,
  type BackupPolicy,
  type BackupRepositorySpec,
  DEFAULT_BACKUP_POLICY,
  type PostgresConfig,
  type RedisConfig,
} from "@slipway/core";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IService } from "kubernetes-models/v1/Service";
import type { RenderInput } from "../input";
import { BACKUP_REPOSITORY_SECRET } from "./config-objects";
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
  const policy = input.release.config.backup ?? DEFAULT_BACKUP_POLICY;
  const target = backupTarget(input, addon);
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
      ...(target
        ? {
            // Archiving ships a WAL segment when it fills or this long after the last one: the
            // most a crash can lose, so the policy's RPO target (the seeds' 5-minute PITR window).
            postgresql: {
              parameters: { archive_timeout: `${Math.max(1, Math.floor(policy.rpoTargetSeconds))}s` },
            },
            backup: clusterBackup(input, target, policy),
          }
        : {}),
    },
  };
  const databases: K8sObject[] = rest.map((db) => ({
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Database",
    metadata: meta(input, `${name}-${db}`, labels(input, name, "postgres"), wave(WAVE.addons)),
    spec: { name: db, owner: APP_ROLE, cluster: { name } },
  }));
  const scheduled: K8sObject[] = target
    ? [
        {
          apiVersion: "postgresql.cnpg.io/v1",
          kind: "ScheduledBackup",
          metadata: meta(input, `${name}-base-backup`, labels(input, name, "postgres"), wave(WAVE.addons)),
          spec: {
            cluster: { name },
            schedule: baseBackupSchedule(policy.baseBackupEveryHours),
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

/**
 * CloudNativePG's cron (it has a seconds field) for a base backup every `hours`. Cron counts
 * within the hour, day and month, so a period that does not divide them evenly becomes the
 * next shorter one that does: backups never come less often than the policy asks. Daily and
 * longer periods run at 03:00 UTC.
 */
export function baseBackupSchedule(hours: number): string {
  const divisorAtMost = (n: number, of: number) => {
    for (let d = Math.max(1, Math.floor(n)); d > 1; d--) if (of % d === 0) return d;
    return 1;
  };
  const every = (d: number) => (d === 1 ? "*" : `*/${d}`);
  if (hours < 1) return `0 ${every(divisorAtMost(hours * 60, 60))} * * * *`;
  if (hours < 24) return `0 0 ${every(divisorAtMost(hours, 24))} * * *`;
  return `0 0 3 ${every(Math.floor(hours / 24))} * *`;
}

/**
 * Where a postgres add-on's backups go in a cluster: its own `backup.bucket`, else the
 * environment's repository (every postgres add-on, as the local driver protects them all). With
 * neither there is nowhere to put them: a cluster has no local backup directory.
 */
type BackupTarget =
  | { kind: "addon"; bucket: string }
  | { kind: "external"; repository: BackupRepositorySpec };

function backupTarget(input: RenderInput, addon: PostgresConfig): BackupTarget | undefined {
  if (addon.backup) return { kind: "addon", bucket: addon.backup.bucket };
  const repository = input.release.config.backup?.repository;
  if (!repository) return undefined;
  return repository.endpoint
    ? { kind: "external", repository }
    : { kind: "addon", bucket: repository.bucket };
}

/**
 * WAL archiving and base backups into the bucket: a bucket add-on with its own Secret
 * (`<bucket>-s3`, which the services read too), or an external S3-compatible endpoint whose
 * credentials External Secrets brings into `backup-repository`. CloudNativePG archives each WAL
 * segment as it completes or every `archive_timeout` (the policy's RPO target, set on the
 * Cluster); the local driver streams instead (docs/backups.md). Retention is the policy's. The
 * bucket is encrypted at rest by the store (AES256); each cluster writes under its own path.
 */
function clusterBackup(input: RenderInput, target: BackupTarget, policy: BackupPolicy) {
  const store =
    target.kind === "addon" ? addonStore(input, target.bucket) : externalStore(input, target.repository);
  return {
    // Whole days (CloudNativePG's unit), rounded up: never less than the policy keeps.
    retentionPolicy: `${Math.ceil(policy.retentionDays)}d`,
    barmanObjectStore: {
      ...store,
      wal: { compression: "zstd", encryption: "AES256" },
      data: { compression: "lz4", encryption: "AES256" },
    },
  };
}

/** The bucket add-on, under <namespace>/<cluster>. */
function addonStore(input: RenderInput, bucketAddon: string) {
  const bucket = addonsOf(input.release.config)[bucketAddon];
  const bucketName = bucket?.type === "bucket" ? (bucket.bucket ?? bucketAddon) : bucketAddon;
  const secret = secretNames.bucket(bucketAddon);
  return {
    destinationPath: `s3://${bucketName}/${namespaceOf(input)}`,
    s3Credentials: {
      accessKeyId: { name: secret, key: "access-key-id" },
      secretAccessKey: { name: secret, key: "secret-access-key" },
      region: { name: secret, key: "region" },
    },
  };
}

/** An external endpoint, under <prefix>/<namespace>/<cluster> as the local driver lays it out per environment. */
function externalStore(input: RenderInput, repository: BackupRepositorySpec) {
  return {
    destinationPath: `s3://${repository.bucket}/${repository.prefix ?? "slipway-backups"}/${namespaceOf(input)}`,
    endpointURL: repository.endpoint,
    s3Credentials: {
      accessKeyId: { name: BACKUP_REPOSITORY_SECRET, key: "access-key-id" },
      secretAccessKey: { name: BACKUP_REPOSITORY_SECRET, key: "secret-access-key" },
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
