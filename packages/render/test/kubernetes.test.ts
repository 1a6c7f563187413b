import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { addonsOf, longRunning } from "@slipway/core";
import type { Stack } from "@slipway/spec";
import { beforeAll, describe, expect, it } from "vitest";
import {
  evaluateIngress,
  type K8sObject,
  kubernetesManifests,
  namespaceOf,
  type PodIdentity,
  renderKubernetes,
  validateKubernetes,
} from "../src";
import { inputFor, loadShop } from "./shop";

const ENVIRONMENTS = ["local", "dev", "staging", "prod"];
const GOLDEN = join(import.meta.dirname, "golden", "kubernetes");

let shop: Stack;
beforeAll(async () => {
  shop = await loadShop();
}, 60_000);

const objectsOf = (env: string) => kubernetesManifests(inputFor(shop, env)).flatMap((f) => f.objects);

describe("examples/shop rendered for Kubernetes", () => {
  it.each(ENVIRONMENTS)("%s matches its golden files (UPDATE_GOLDEN=1 rewrites them)", (env) => {
    const dir = join(GOLDEN, env);
    const files = renderKubernetes(inputFor(shop, env));
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const f of files) writeFileSync(join(dir, f.path), f.content);
    }
    expect(existsSync(dir), `${dir} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(dir, f.path), "utf8"));
  });

  it.each(ENVIRONMENTS)("%s: every object passes its schema", (env) => {
    const objects = objectsOf(env);
    expect(objects.length).toBeGreaterThan(10);
    expect(validateKubernetes(objects)).toEqual([]);
  });

  it("is deterministic: the same input gives the same bytes, whatever the key order", async () => {
    const first = renderKubernetes(inputFor(shop, "prod"));
    const again = renderKubernetes(inputFor(await loadShop(), "prod"));
    const shuffled = inputFor(shop, "prod");
    shuffled.release.config.services = Object.fromEntries(
      Object.entries(shuffled.release.config.services).reverse(),
    );
    expect(again).toEqual(first);
    // Service order is the spec's; within a file the bytes do not depend on anything else.
    const byPath = (files: { path: string; content: string }[]) =>
      Object.fromEntries(files.map((f) => [f.path, f.content]));
    const reordered = byPath(renderKubernetes(shuffled));
    for (const [path, content] of Object.entries(byPath(first)))
      if (path !== "kustomization.yaml" && path !== "01-network-policies.yaml")
        expect(reordered[path], path).toBe(content);
  });

  it("prod scales the worker on its queue with KEDA and the api on CPU, with a disruption budget", () => {
    const kinds = objectsOf("prod").map((o) => `${o.kind}/${o.metadata.name}`);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "ScaledObject/worker",
        "HorizontalPodAutoscaler/api",
        "PodDisruptionBudget/api",
        "Cluster/db",
        "StatefulSet/cache",
        "Job/migrate-v7",
      ]),
    );
    expect(objectsOf("dev").some((o) => o.kind === "ScaledObject")).toBe(false);
  });

  it("writes no secret value: every credential is a secretKeyRef, and no Secret object is rendered", () => {
    const objects = objectsOf("prod");
    expect(objects.some((o) => o.kind === "Secret")).toBe(false);
    const text = JSON.stringify(objects);
    for (const name of ["DATABASE_URL", "AWS_SECRET_ACCESS_KEY", "S3_ENDPOINT"])
      expect(text).toContain(`{"name":"${name}","valueFrom":{"secretKeyRef"`);
  });
});

describe("examples/shop with its database backed up into its bucket", () => {
  const BACKUP_GOLDEN = join(import.meta.dirname, "golden", "kubernetes-backup", "prod");
  const backedUp = () => {
    const stack = structuredClone(shop);
    const db = stack.addons.db!;
    if (db.type === "postgres") db.backup = { bucket: "files" };
    return inputFor(stack, "prod");
  };

  it("renders the database's file as its golden one (UPDATE_GOLDEN=1 rewrites it), every object passing its schema", () => {
    // Only the database's objects change; the other files are the prod golden files.
    const files = renderKubernetes(backedUp());
    const plain = renderKubernetes(inputFor(shop, "prod"));
    const changed = files.filter((f) => plain.find((p) => p.path === f.path)?.content !== f.content);
    expect(changed.map((f) => f.path)).toEqual(["10-addon-db.yaml"]);
    const golden = join(BACKUP_GOLDEN, "10-addon-db.yaml");
    if (process.env.UPDATE_GOLDEN === "1") {
      mkdirSync(BACKUP_GOLDEN, { recursive: true });
      writeFileSync(golden, changed[0]!.content);
    }
    expect(changed[0]!.content).toBe(readFileSync(golden, "utf8"));
    const objects = kubernetesManifests(backedUp()).flatMap((f) => f.objects);
    expect(objects.filter((o) => o.kind === "ScheduledBackup").map((o) => o.metadata.name)).toEqual([
      "db-base-backup",
    ]);
    expect(validateKubernetes(objects)).toEqual([]);
  });
});

describe("secrets and flags on Kubernetes", () => {
  /** The shop with a JWT secret for the api and the worker, and the database password rotated by Slipway. */
  const withSecrets = (env: string) => {
    const input = inputFor(shop, env);
    input.release.config.secrets = {
      JWT_SECRET: { services: ["api", "worker"], version: 0, overlapHours: 24, maxAgeDays: 90 },
      DB_PASSWORD: { services: [], version: 0, overlapHours: 1, addon: "db" },
    };
    return kubernetesManifests(input).flatMap((f) => f.objects);
  };

  it("each service's secrets come from an ExternalSecret (valid against its CRD), read by name, never written", () => {
    const objects = withSecrets("prod");
    expect(validateKubernetes(objects)).toEqual([]);
    const external = objects.filter((o) => o.kind === "ExternalSecret");
    expect(external.map((o) => o.metadata.name)).toEqual(["api-secrets", "worker-secrets"]);
    expect(external[0]!.spec).toEqual({
      refreshInterval: "1h",
      secretStoreRef: { kind: "ClusterSecretStore", name: "slipway" },
      target: { name: "api-secrets", creationPolicy: "Owner" },
      data: [{ secretKey: "JWT_SECRET", remoteRef: { key: "shop/prod/JWT_SECRET" } }],
    });
    const api = objects.find((o) => o.kind === "Deployment" && o.metadata.name === "api")!;
    expect(JSON.stringify(api)).toContain(
      '{"name":"JWT_SECRET","valueFrom":{"secretKeyRef":{"name":"api-secrets","key":"JWT_SECRET"}}}',
    );
    // The add-on password is CloudNativePG's own Secret, not an ExternalSecret of the services.
    expect(JSON.stringify(external)).not.toContain("DB_PASSWORD");
  });

  it("an ExternalSecret without a store fails the CRD schema", () => {
    const objects = structuredClone(withSecrets("dev"));
    const external = objects.find((o) => o.kind === "ExternalSecret")!;
    (external.spec as { data: unknown }).data = [{ secretKey: "JWT_SECRET" }];
    expect(validateKubernetes(objects)).toEqual([
      {
        object: "ExternalSecret/api-secrets",
        message: expect.stringContaining("must have required property 'remoteRef'"),
      },
    ]);
  });

  it("the flags are a ConfigMap whose defaults the services read as SLIPWAY_FLAGS_DEFAULTS", () => {
    const objects = objectsOf("prod");
    const flags = objects.find((o) => o.kind === "ConfigMap" && o.metadata.name === "flags")!;
    expect(JSON.parse((flags as unknown as { data: Record<string, string> }).data["defaults.json"]!)).toEqual(
      {
        "new-checkout": false,
        "quotes-off": false,
      },
    );
    expect(
      JSON.stringify(objects.find((o) => o.metadata.name === "api" && o.kind === "Deployment")),
    ).toContain(
      '{"name":"SLIPWAY_FLAGS_DEFAULTS","valueFrom":{"configMapKeyRef":{"name":"flags","key":"defaults.json"}}}',
    );
  });
});

describe("schema validation catches what a cluster would refuse", () => {
  const deploymentOf = (objects: K8sObject[]) => objects.find((o) => o.kind === "Deployment")!;

  it("a Deployment with a port that is not a number", () => {
    const objects = structuredClone(objectsOf("dev"));
    // biome-ignore lint/suspicious/noExplicitAny: breaking the object on purpose
    (deploymentOf(objects).spec as any).template.spec.containers[0].ports[0].containerPort = "http";
    expect(validateKubernetes(objects)).toEqual([
      { object: "Deployment/api", message: expect.stringContaining("containerPort must be integer") },
    ]);
  });

  it("a CloudNativePG Cluster with an unknown field type, and a kind with no schema", () => {
    const objects = structuredClone(objectsOf("dev"));
    const cluster = objects.find((o) => o.kind === "Cluster")!;
    (cluster.spec as { instances: unknown }).instances = "three";
    objects.push({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" } });
    const problems = validateKubernetes(objects);
    expect(problems).toEqual([
      { object: "Cluster/db", message: expect.stringContaining("/spec/instances must be integer") },
      { object: "Widget/w", message: "no schema for example.com/v1 Widget" },
    ]);
  });
});

/**
 * Every pod the stack runs, plus the cluster's own that matter (the ingress controller, the
 * CloudNativePG operator, KEDA), a stranger in the namespace and one in another namespace.
 */
function podsOf(objects: K8sObject[], namespace: string): Record<string, PodIdentity> {
  const pods: Record<string, PodIdentity> = {};
  const own = { "kubernetes.io/metadata.name": namespace };
  for (const o of objects) {
    // biome-ignore lint/suspicious/noExplicitAny: walking rendered objects
    const spec = o.spec as any;
    const template = spec?.template ?? spec?.jobTemplate?.spec?.template;
    if (template)
      pods[o.metadata.name] = { namespace, namespaceLabels: own, labels: template.metadata.labels };
    if (o.kind === "Cluster")
      pods[o.metadata.name] = {
        namespace,
        namespaceLabels: own,
        labels: { "cnpg.io/cluster": o.metadata.name },
      };
  }
  const elsewhere = (ns: string): PodIdentity => ({
    namespace: ns,
    namespaceLabels: { "kubernetes.io/metadata.name": ns },
    labels: { app: ns },
  });
  return {
    ...pods,
    "(ingress controller)": elsewhere("ingress-nginx"),
    "(cnpg operator)": elsewhere("cnpg-system"),
    "(keda)": elsewhere("keda"),
    "(stranger in the namespace)": { namespace, namespaceLabels: own, labels: { run: "debug" } },
    "(other namespace)": elsewhere("other-app"),
  };
}

describe("network policies, evaluated for every pair of pods", () => {
  it.each(["dev", "prod"])(
    "%s: a service is reachable only by its callers, routed ones also by the ingress controller",
    (env) => {
      const input = inputFor(shop, env);
      const config = input.release.config;
      const objects = objectsOf(env);
      const pods = podsOf(objects, namespaceOf(input));
      const jobName = (n: string) => (config.services[n]?.type === "release" ? `${n}-v7` : n);
      const routed = new Set(config.routes.map((r) => r.service));
      const scaledOnQueue = longRunning(config).some(
        ([, s]) => s.queue && s.scale && s.scale.max > s.scale.min,
      );

      /** What the spec says may connect to each pod, written from the spec, not from the policies. */
      const expected = new Map<string, { port: number; from: Set<string> }>();
      for (const [name, s] of Object.entries(config.services))
        if (s.type === "web")
          expected.set(name, {
            port: s.port ?? 8080,
            from: new Set([
              ...Object.entries(config.services)
                .filter(([, c]) => c.calls.includes(name))
                .map(([n]) => jobName(n)),
              ...(routed.has(name) ? ["(ingress controller)"] : []),
            ]),
          });
      for (const [name, addon] of Object.entries(addonsOf(config))) {
        const users = Object.entries(config.services)
          .filter(([, s]) => s.uses.includes(name))
          .map(([n]) => jobName(n));
        if (addon.type === "postgres")
          expected.set(name, { port: 5432, from: new Set([...users, name, "(cnpg operator)"]) });
        if (addon.type === "redis")
          expected.set(name, { port: 6379, from: new Set([...users, ...(scaledOnQueue ? ["(keda)"] : [])]) });
      }

      let pairs = 0;
      for (const [target, rule] of expected)
        for (const [source, identity] of Object.entries(pods)) {
          pairs++;
          const allowed = evaluateIngress(objects, identity, pods[target]!, rule.port);
          expect(allowed, `${source} → ${target}:${rule.port}`).toBe(rule.from.has(source));
          // Nothing reaches a pod on a port it does not serve.
          expect(evaluateIngress(objects, identity, pods[target]!, 22), `${source} → ${target}:22`).toBe(
            false,
          );
        }
      // The private service of examples/shop: only the api calls it.
      expect(expected.get("rates")!.from).toEqual(new Set(["api"]));
      expect(pairs).toBeGreaterThan(50);
    },
  );
});
