import type { JudgePolicy, RolloutStrategy, ServiceConfig } from "@slipway/core";
import type { IService } from "kubernetes-models/v1/Service";
import type { RenderInput } from "../input";
import { clusterService } from "./networking";
import { type K8sObject, meta, namespaceOf, releaseLabels, WAVE, wave } from "./objects";
import { deployment } from "./workloads";

/**
 * A canary or blue/green environment on Kubernetes: Argo Rollouts moves the traffic and an
 * AnalysisTemplate runs Slipway's own judge (`slipway judge`, the sequential test of
 * core/canary/judge.ts) in a Job on Prometheus counts, instead of a static threshold.
 */

/**
 * The image whose `slipway` command runs the judge: the Slipway CLI, built from the render's
 * `judge-image/` directory and pushed by the operator (see judge-image.ts).
 */
export const JUDGE_IMAGE = "slipway/cli:0.1.0";
/** The judge runs as this uid, in the Job and in the image (`judge-image.ts`). */
export const JUDGE_USER = 1000;
/** Where the judge asks for counts unless the Rollout's analysis passes another `prometheus` arg. */
export const DEFAULT_PROMETHEUS = "http://prometheus-operated.monitoring.svc:9090";
/** Request counter and duration histogram (seconds) the judge reads, per pod; the usual client names. */
const REQUESTS_METRIC = "http_requests_total";
const LATENCY_METRIC = "http_request_duration_seconds";
/** The label Argo Rollouts puts on each revision's pods: how the judge tells canary from stable. */
const HASH_LABEL = "rollouts_pod_template_hash";

/** The environment's strategy when it moves traffic progressively; undefined for direct. */
export function progressiveStrategy(
  input: RenderInput,
): { strategy: Exclude<RolloutStrategy, { kind: "direct" }>; policy: JudgePolicy } | undefined {
  const rollout = input.release.config.rollout;
  if (!rollout || rollout.strategy.kind === "direct") return undefined;
  return { strategy: rollout.strategy, policy: rollout.policy };
}

/**
 * Does a service become a Rollout? Canary: web and worker services (a worker has no traffic,
 * so its share is its replicas). Blue/green: web services only, since the switch is a Service's
 * selector; workers keep a Deployment.
 */
export function rolledOut(input: RenderInput, service: ServiceConfig): boolean {
  const p = progressiveStrategy(input);
  if (!p) return false;
  return service.type === "web" || (service.type === "worker" && p.strategy.kind === "canary");
}

/** What an autoscaler scales: the Rollout when there is one (Argo keeps the split), else the Deployment. */
export function workloadRef(input: RenderInput, name: string, service: ServiceConfig) {
  return rolledOut(input, service)
    ? { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name }
    : { apiVersion: "apps/v1", kind: "Deployment", name };
}

export const judgeTemplateName = (service: string) => `${service}-slipway-judge`;
export const previewServiceName = (service: string) => `${service}-preview`;

/**
 * The service's Rollout: the Deployment it replaces (same pods, selector and replicas), with
 * Argo's strategy in place of the rolling update.
 */
export function rollout(
  input: RenderInput,
  name: string,
  service: ServiceConfig,
  autoscaled: boolean,
): K8sObject {
  const { strategy } = progressiveStrategy(input)!;
  const base = deployment(input, name, service, autoscaled);
  const { strategy: _rollingUpdate, ...spec } = base.spec!;
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Rollout",
    metadata: base.metadata as K8sObject["metadata"],
    spec: {
      ...spec,
      strategy:
        strategy.kind === "canary"
          ? { canary: { steps: canarySteps(name, strategy.steps, judged(service)) } }
          : {
              blueGreen: {
                activeService: name,
                previewService: previewServiceName(name),
                autoPromotionEnabled: true,
                scaleDownDelaySeconds: Math.round(strategy.keepWarmMs / 1000),
                // After the switch the old revision is still warm: judged against it, a worse
                // new one is switched back before the old one is scaled down.
                postPromotionAnalysis: judgeAnalysis(name),
              },
            },
    },
  };
}

/**
 * Is the service judged by `slipway judge`? Web services are, on their HTTP counts. A worker
 * serves no requests, so the judge would never see any: its Rollout only steps and holds.
 */
export const judged = (service: ServiceConfig) => service.type === "web";

/**
 * setWeight, hold, then the judge (which keeps looking until it can decide, so a thin sample
 * holds the step rather than failing it). The last step (100%) needs no judgement: the
 * previous one already allowed it.
 */
function canarySteps(name: string, steps: { weight: number; holdMs: number }[], judge: boolean): unknown[] {
  return steps.flatMap((step, i) => {
    const last = i === steps.length - 1;
    const hold = Math.round(step.holdMs / 1000);
    return [
      { setWeight: step.weight },
      ...(last
        ? []
        : [
            ...(hold > 0 ? [{ pause: { duration: hold } }] : []),
            ...(judge ? [{ analysis: judgeAnalysis(name) }] : []),
          ]),
    ];
  });
}

/** The template and the arguments Argo fills in: each revision's pod-template hash. */
function judgeAnalysis(name: string) {
  return {
    templates: [{ templateName: judgeTemplateName(name) }],
    args: [
      { name: "canary-hash", valueFrom: { podTemplateHashValue: "Latest" } },
      { name: "stable-hash", valueFrom: { podTemplateHashValue: "Stable" } },
    ],
  };
}

/** Blue/green's second address: the new revision before the switch, for probes and testers. */
export function previewService(input: RenderInput, name: string, service: ServiceConfig): IService {
  const active = clusterService(input, name, service);
  return {
    ...active,
    metadata: meta(input, previewServiceName(name), releaseLabels(input, name, "web"), wave(WAVE.services)),
  };
}

/**
 * The judge as an Argo analysis: a Job running `slipway judge` on the Prometheus counts of
 * both revisions' pods with the environment's judge policy. Exit 0 (advance) is a successful
 * measurement, exit 1 (roll back) a failed one; with --until-decided it never exits
 * inconclusive, it keeps looking. failureLimit 0: one failed judgement aborts the rollout.
 */
export function judgeTemplate(input: RenderInput, name: string, service: ServiceConfig): K8sObject {
  const { policy } = progressiveStrategy(input)!;
  const selector = (hashArg: string) =>
    `namespace="${namespaceOf(input)}",${HASH_LABEL}="{{args.${hashArg}}}"`;
  const command = [
    "slipway",
    "judge",
    "--prometheus",
    "{{args.prometheus}}",
    "--service",
    name,
    "--requests-metric",
    REQUESTS_METRIC,
    "--canary-selector",
    selector("canary-hash"),
    "--stable-selector",
    selector("stable-hash"),
    "--max-error-rate",
    String(policy.maxErrorRate),
    "--margin",
    String(policy.marginVsStable),
    "--min-requests",
    String(policy.minRequests),
    ...(policy.latency
      ? ["--latency-metric", LATENCY_METRIC, "--latency-budget-ms", String(policy.latency.budgetMs)]
      : []),
    "--until-decided",
  ];
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "AnalysisTemplate",
    metadata: meta(
      input,
      judgeTemplateName(name),
      releaseLabels(input, name, service.type),
      wave(WAVE.services),
    ),
    spec: {
      args: [
        { name: "canary-hash" },
        { name: "stable-hash" },
        { name: "prometheus", value: DEFAULT_PROMETHEUS },
      ],
      metrics: [
        {
          name: "slipway-judge",
          failureLimit: 0,
          provider: {
            job: {
              spec: {
                backoffLimit: 0,
                template: {
                  spec: {
                    restartPolicy: "Never",
                    automountServiceAccountToken: false,
                    securityContext: {
                      runAsNonRoot: true,
                      runAsUser: JUDGE_USER,
                      seccompProfile: { type: "RuntimeDefault" },
                    },
                    containers: [
                      {
                        name: "judge",
                        image: JUDGE_IMAGE,
                        command,
                        securityContext: {
                          allowPrivilegeEscalation: false,
                          readOnlyRootFilesystem: true,
                          capabilities: { drop: ["ALL"] },
                        },
                      },
                    ],
                  },
                },
              },
            },
          },
        },
      ],
    },
  };
}
