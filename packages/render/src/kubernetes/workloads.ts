import { DEFAULT_RESOURCES, type ServiceConfig } from "@slipway/core";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import { APP_DIR, APP_USER, containerPort, VOLUME_DIR } from "../container";
import type { RenderInput } from "../input";
import { containerEnv, kubernetesTemplate } from "./env";
import { DEFAULT_STORAGE, labels, meta, releaseLabels, selectorLabels, WAVE, wave } from "./objects";
import { probesFor } from "./probes";

/** Seconds a web pod keeps serving after it is told to stop, while Services stop sending to it. */
const ENDPOINT_GRACE_SECONDS = 5;

/** The pod of one service: non-root, read-only root filesystem (a writable /tmp), no API token. */
export function podSpec(input: RenderInput, name: string, service: ServiceConfig): IPodSpec {
  const port = containerPort(service);
  const resources = service.resources ?? DEFAULT_RESOURCES;
  const drain = Math.ceil(service.drainSeconds);
  // Endpoints are removed while the pod already stops: a short sleep first drops no request.
  const sleep = service.type === "web" ? Math.min(ENDPOINT_GRACE_SECONDS, drain) : 0;
  return {
    automountServiceAccountToken: false,
    // Docker-link variables (API_PORT=tcp://…) would collide with the app's own names.
    enableServiceLinks: false,
    terminationGracePeriodSeconds: drain + sleep,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: APP_USER.uid,
      runAsGroup: APP_USER.gid,
      fsGroup: APP_USER.gid,
      seccompProfile: { type: "RuntimeDefault" },
    },
    containers: [
      {
        name,
        image: input.image,
        imagePullPolicy: "IfNotPresent",
        workingDir: APP_DIR,
        command: service.command.map(kubernetesTemplate),
        env: containerEnv(input, name, service),
        ...(port !== undefined ? { ports: [{ name: "http", containerPort: port }] } : {}),
        ...(port !== undefined ? probesFor(name, service.health, port) : {}),
        ...(sleep > 0 ? { lifecycle: { preStop: { sleep: { seconds: sleep } } } } : {}),
        resources: { requests: { ...resources }, limits: { ...resources } },
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ["ALL"] },
        },
        volumeMounts: [
          { name: "tmp", mountPath: "/tmp" },
          ...(service.volume ? [{ name: "data", mountPath: VOLUME_DIR }] : []),
        ],
      },
    ],
    volumes: [
      { name: "tmp", emptyDir: {} },
      ...(service.volume
        ? [{ name: "data", persistentVolumeClaim: { claimName: volumeClaimName(name) } }]
        : []),
    ],
  };
}

/**
 * A web or worker service. Its replicas are scale.min, unless an autoscaler (HPA, KEDA) owns
 * them: then the manifest leaves them out, so applying a new release does not undo a scale-up.
 * New pods come up before old ones go (maxUnavailable 0), like a local deploy; a service with a
 * volume is recreated instead, since its disk attaches to one node at a time.
 */
export function deployment(
  input: RenderInput,
  name: string,
  service: ServiceConfig,
  autoscaled: boolean,
): IDeployment {
  const podLabels = releaseLabels(input, name, service.type);
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta(input, name, podLabels, wave(WAVE.services)),
    spec: {
      ...(autoscaled ? {} : { replicas: service.replicas }),
      selector: { matchLabels: selectorLabels(input, name) },
      strategy: service.volume
        ? { type: "Recreate" }
        : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "100%" } },
      ...(service.health ? { progressDeadlineSeconds: Math.ceil(service.health.timeoutSeconds) } : {}),
      template: { metadata: { labels: podLabels }, spec: podSpec(input, name, service) },
    },
  };
}

/**
 * The release job: one Job per release (its name carries the release), so it runs once per
 * release and a re-sync of the same release never runs it again. Argo CD applies it in wave 0,
 * after the add-ons and before the services, and waits for it to complete; a failure stops the
 * sync with the live Deployments untouched. No retries: a failed migration fails the release.
 */
export function releaseJob(input: RenderInput, name: string, service: ServiceConfig): IJob {
  const podLabels = releaseLabels(input, name, "release");
  const suffix =
    input.release.number !== null ? `v${input.release.number}` : input.release.build.slice(0, 12);
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: meta(input, `${name}-${suffix}`, podLabels, wave(WAVE.releaseJob)),
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels: podLabels },
        spec: { ...podSpec(input, name, service), restartPolicy: "Never" },
      },
    },
  };
}

/** A cron service: UTC, and a run still going makes the next one skip (Forbid), as locally. */
export function cronJob(
  input: RenderInput,
  name: string,
  service: ServiceConfig,
  schedule: string,
): ICronJob {
  const podLabels = releaseLabels(input, name, "cron");
  return {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: meta(input, name, podLabels, wave(WAVE.services)),
    spec: {
      schedule,
      timeZone: "Etc/UTC",
      concurrencyPolicy: "Forbid",
      jobTemplate: {
        metadata: { labels: podLabels },
        spec: {
          backoffLimit: 0,
          template: {
            metadata: { labels: podLabels },
            spec: { ...podSpec(input, name, service), restartPolicy: "Never" },
          },
        },
      },
    },
  };
}

export const volumeClaimName = (service: string) => `${service}-data`;

/** The disk of a `volume: true` service, kept across releases (so it carries no release label). */
export function volumeClaim(input: RenderInput, name: string, component: string): IPersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: meta(input, volumeClaimName(name), labels(input, name, component), wave(WAVE.addons)),
    spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: DEFAULT_STORAGE } } },
  };
}
