import type { AddonConfig, PostgresConfig, RedisConfig } from "@slipway/core";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IService } from "kubernetes-models/v1/Service";
import type { RenderInput } from "../input";
import {
  DEFAULT_STORAGE,
  type K8sObject,
  labels,
  meta,
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
    },
  };
  const databases: K8sObject[] = rest.map((db) => ({
    apiVersion: "postgresql.cnpg.io/v1",
    kind: "Database",
    metadata: meta(input, `${name}-${db}`, labels(input, name, "postgres"), wave(WAVE.addons)),
    spec: { name: db, owner: APP_ROLE, cluster: { name } },
  }));
  return [cluster, ...databases];
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
