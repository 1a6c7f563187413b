import type { IScaledObject } from "@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject";
import type { ITriggerAuthentication } from "@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication";
import { addonsOf, type ServiceConfig } from "@slipway/core";
import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { RenderInput } from "../input";
import {
  type K8sObject,
  meta,
  namespaceOf,
  REDIS_PORT,
  releaseLabels,
  rendered,
  secretNames,
  selectorLabels,
  WAVE,
  wave,
} from "./objects";
import { workloadRef } from "./rollouts";

/** Waiting jobs per worker replica KEDA aims for. */
export const JOBS_PER_REPLICA = 10;

/**
 * How a web or worker service scales on Kubernetes: fixed (max = min), KEDA on its BullMQ
 * queue (a worker that names its `queue` and uses a redis add-on), or an HPA on CPU, with the
 * seeds' pace: +1 pod after 5 minutes above 70%, -1 after 10 minutes below.
 */
export type Scaling = { kind: "fixed" } | { kind: "queue"; redis: string; queue: string } | { kind: "cpu" };

export function scalingOf(input: RenderInput, service: ServiceConfig): Scaling {
  const scale = service.scale;
  if (!scale || scale.max <= scale.min) return { kind: "fixed" };
  const addons = addonsOf(input.release.config);
  const redis = service.uses.find((a) => addons[a]?.type === "redis");
  if (service.type === "worker" && service.queue && redis)
    return { kind: "queue", redis, queue: service.queue };
  return { kind: "cpu" };
}

export function autoscaler(input: RenderInput, name: string, service: ServiceConfig): K8sObject[] {
  const scaling = scalingOf(input, service);
  if (scaling.kind === "fixed") return [];
  if (scaling.kind === "cpu") return [hpa(input, name, service)];
  return scaledObject(input, name, service, scaling.redis, scaling.queue);
}

function hpa(input: RenderInput, name: string, service: ServiceConfig): K8sObject {
  const { min, max } = service.scale!;
  const object: IHorizontalPodAutoscaler = {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: meta(input, name, releaseLabels(input, name, service.type), wave(WAVE.services)),
    spec: {
      scaleTargetRef: workloadRef(input, name, service),
      minReplicas: min,
      maxReplicas: max,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
      behavior: {
        scaleUp: {
          stabilizationWindowSeconds: 300,
          policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
        },
        scaleDown: {
          stabilizationWindowSeconds: 600,
          policies: [{ type: "Pods", value: 1, periodSeconds: 60 }],
        },
      },
    },
  };
  return rendered(object);
}

/**
 * KEDA's Redis list scaler on BullMQ's wait list (`bull:<queue>:wait`, BullMQ's default
 * prefix), reading the password from the add-on's Secret through a TriggerAuthentication.
 * KEDA runs in its own namespace, so the address is the Service's full name.
 */
function scaledObject(
  input: RenderInput,
  name: string,
  service: ServiceConfig,
  redis: string,
  queue: string,
): K8sObject[] {
  const { min, max } = service.scale!;
  const objectLabels = releaseLabels(input, name, service.type);
  const auth: ITriggerAuthentication = {
    apiVersion: "keda.sh/v1alpha1",
    kind: "TriggerAuthentication",
    metadata: meta(input, `${name}-${redis}`, objectLabels, wave(WAVE.services)),
    spec: { secretTargetRef: [{ parameter: "password", name: secretNames.redis(redis), key: "password" }] },
  };
  const scaled: IScaledObject = {
    apiVersion: "keda.sh/v1alpha1",
    kind: "ScaledObject",
    metadata: meta(input, name, objectLabels, wave(WAVE.services)),
    spec: {
      scaleTargetRef: workloadRef(input, name, service),
      minReplicaCount: min,
      maxReplicaCount: max,
      triggers: [
        {
          type: "redis",
          metadata: {
            address: `${redis}.${namespaceOf(input)}.svc:${REDIS_PORT}`,
            listName: `bull:${queue}:wait`,
            listLength: String(JOBS_PER_REPLICA),
          },
          authenticationRef: { name: `${name}-${redis}` },
        },
      ],
    },
  };
  return [rendered(auth), rendered(scaled)];
}

/** At least min - 1 pods stay up through a node drain, for services that run two or more. */
export function disruptionBudget(input: RenderInput, name: string, service: ServiceConfig): K8sObject[] {
  if (!service.scale || service.scale.min < 2) return [];
  const pdb: IPodDisruptionBudget = {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta(input, name, releaseLabels(input, name, service.type), wave(WAVE.services)),
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(input, name) } },
  };
  return [rendered(pdb)];
}
