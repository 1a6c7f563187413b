import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { strategyFromSpec } from "@slipway/core";
import { type Stack, strategySchema } from "@slipway/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { type K8sObject, kubernetesManifests, renderKubernetes, validateKubernetes } from "../src";
import { inputFor, loadShop } from "./shop";

// Given the shop's prod environment with a canary or blue/green strategy, when it is rendered
// for Kubernetes, then Argo Rollouts replace the Deployments, each judged by Slipway's judge in
// a Job, and every object passes its schema (the vendored Argo Rollouts CRDs).

const GOLDEN = join(import.meta.dirname, "golden", "kubernetes");

let shop: Stack;
beforeAll(async () => {
  shop = await loadShop();
}, 60_000);

const STRATEGIES = {
  "prod-canary": {
    kind: "canary",
    steps: [{ weight: 10, holdMinutes: 30 }, { weight: 50, holdMinutes: 0 }, { weight: 100 }],
    analysis: { maxErrorRate: 0.02, latency: { budgetMs: 300 } },
  },
  "prod-blue-green": { kind: "blueGreen", keepWarmMinutes: 15 },
} as const;
type Variant = keyof typeof STRATEGIES;

function inputOf(variant: Variant) {
  const input = inputFor(shop, "prod");
  input.release.config.rollout = strategyFromSpec(strategySchema.parse(STRATEGIES[variant]));
  return input;
}
const objectsOf = (variant: Variant) => kubernetesManifests(inputOf(variant)).flatMap((f) => f.objects);
const named = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

describe("examples/shop prod rendered with a progressive strategy", () => {
  it.each(Object.keys(STRATEGIES) as Variant[])(
    "%s: the services' files match their golden files (UPDATE_GOLDEN=1 rewrites them)",
    (variant) => {
      const dir = join(GOLDEN, variant);
      const files = renderKubernetes(inputOf(variant)).filter((f) => f.path.startsWith("30-"));
      if (process.env.UPDATE_GOLDEN === "1") {
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        for (const f of files) writeFileSync(join(dir, f.path), f.content);
      }
      expect(existsSync(dir), `${dir} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(files.map((f) => f.path).sort());
      for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(dir, f.path), "utf8"));
    },
  );

  it.each(Object.keys(STRATEGIES) as Variant[])("%s: every object passes its schema", (variant) => {
    expect(validateKubernetes(objectsOf(variant))).toEqual([]);
  });

  it("canary: setWeight and pause from the spec's steps, the judge after each hold, the autoscaler on the Rollout", () => {
    const objects = objectsOf("prod-canary");
    expect(objects.filter((o) => o.kind === "Deployment")).toEqual([]);
    const api = named(objects, "Rollout", "api")!;
    // biome-ignore lint/suspicious/noExplicitAny: reading the rendered object
    const steps = (api.spec as any).strategy.canary.steps;
    const judge = { templates: [{ templateName: "api-slipway-judge" }], args: expect.any(Array) };
    expect(steps).toEqual([
      { setWeight: 10 },
      { pause: { duration: 1800 } },
      { analysis: judge },
      { setWeight: 50 },
      { analysis: judge },
      { setWeight: 100 },
    ]);
    // A worker serves no requests for the judge to count: its Rollout steps and holds, unjudged.
    // biome-ignore lint/suspicious/noExplicitAny: reading the rendered object
    const workerSteps = (named(objects, "Rollout", "worker")!.spec as any).strategy.canary.steps;
    expect(workerSteps).toEqual([
      { setWeight: 10 },
      { pause: { duration: 1800 } },
      { setWeight: 50 },
      { setWeight: 100 },
    ]);
    expect(named(objects, "AnalysisTemplate", "worker-slipway-judge")).toBeUndefined();
    // biome-ignore lint/suspicious/noExplicitAny: reading the rendered object
    expect((named(objects, "HorizontalPodAutoscaler", "api")!.spec as any).scaleTargetRef).toEqual({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Rollout",
      name: "api",
    });
  });

  it("the AnalysisTemplate runs `slipway judge` on both revisions' Prometheus counts with the spec's policy", () => {
    const template = named(objectsOf("prod-canary"), "AnalysisTemplate", "api-slipway-judge")!;
    // biome-ignore lint/suspicious/noExplicitAny: reading the rendered object
    const metric = (template.spec as any).metrics[0];
    expect(metric.failureLimit).toBe(0);
    const command: string[] = metric.provider.job.spec.template.spec.containers[0].command;
    expect(command.slice(0, 2)).toEqual(["slipway", "judge"]);
    const flag = (name: string) => command[command.indexOf(name) + 1];
    expect(flag("--canary-selector")).toBe(
      'namespace="shop-prod",rollouts_pod_template_hash="{{args.canary-hash}}"',
    );
    expect(flag("--stable-selector")).toBe(
      'namespace="shop-prod",rollouts_pod_template_hash="{{args.stable-hash}}"',
    );
    expect(flag("--max-error-rate")).toBe("0.02");
    expect(flag("--latency-budget-ms")).toBe("300");
    expect(command).toContain("--until-decided");
  });

  it("blue/green: active and preview Services, old revision kept warm, judged after the switch; workers stay Deployments", () => {
    const objects = objectsOf("prod-blue-green");
    // biome-ignore lint/suspicious/noExplicitAny: reading the rendered object
    const blueGreen = (named(objects, "Rollout", "api")!.spec as any).strategy.blueGreen;
    expect(blueGreen).toMatchObject({
      activeService: "api",
      previewService: "api-preview",
      scaleDownDelaySeconds: 900,
      postPromotionAnalysis: { templates: [{ templateName: "api-slipway-judge" }] },
    });
    expect(named(objects, "Service", "api-preview")).toBeDefined();
    expect(named(objects, "Deployment", "worker")).toBeDefined();
  });

  it("a Rollout the schema refuses is reported", () => {
    const objects = structuredClone(objectsOf("prod-canary"));
    // biome-ignore lint/suspicious/noExplicitAny: breaking the object on purpose
    (named(objects, "Rollout", "api")!.spec as any).strategy.canary.steps[0].setWeight = "ten";
    expect(validateKubernetes(objects)).toEqual([
      { object: "Rollout/api", message: expect.stringContaining("setWeight must be integer") },
    ]);
  });
});
