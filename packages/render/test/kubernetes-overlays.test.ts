import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { strategyFromSpec } from "@slipway/core";
import { type Stack, strategySchema } from "@slipway/spec";
import { beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import {
  applyJsonPatch,
  buildOverlay,
  compareWithRender,
  diffJson,
  type K8sObject,
  kubernetesManifests,
  type RenderedFile,
  renderOverlays,
} from "../src";
import { inputFor, loadShop } from "./shop";

// Given the shop's four environments, when they are rendered as a kustomize layout (base/ and
// overlays/<env>/), then each overlay, built the way kustomize builds it, is exactly what that
// environment renders on its own; every file a kustomization names exists, every patch finds
// its one target, and a layout that breaks either is caught, naming the file.

const ENVIRONMENTS = ["local", "dev", "staging", "prod"];
const GOLDEN = join(import.meta.dirname, "golden", "kubernetes-overlays");

let shop: Stack;
let files: RenderedFile[];
beforeAll(async () => {
  shop = await loadShop();
  files = renderOverlays(ENVIRONMENTS.map((env) => inputFor(shop, env)));
}, 60_000);

const file = (path: string) => files.find((f) => f.path === path)?.content;
const objectsIn = (path: string) =>
  parseAllDocuments(file(path)!, { version: "1.1" }).map((d) => d.toJS() as K8sObject);
const replaced = (path: string, content: string) =>
  files.map((f) => (f.path === path ? { path, content } : f));
const without = (path: string) => files.filter((f) => f.path !== path);

describe("examples/shop rendered as kustomize overlays", () => {
  it("matches its golden files (UPDATE_GOLDEN=1 rewrites them)", () => {
    if (process.env.UPDATE_GOLDEN === "1") {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const f of files) {
        mkdirSync(dirname(join(GOLDEN, f.path)), { recursive: true });
        writeFileSync(join(GOLDEN, f.path), f.content);
      }
    }
    expect(existsSync(GOLDEN), `${GOLDEN} is missing: run with UPDATE_GOLDEN=1`).toBe(true);
    const onDisk = readdirSync(GOLDEN, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => relative(GOLDEN, join(d.parentPath, d.name)));
    expect(onDisk.sort()).toEqual(files.map((f) => f.path).sort());
    for (const f of files) expect(f.content, f.path).toBe(readFileSync(join(GOLDEN, f.path), "utf8"));
  });

  it.each(ENVIRONMENTS)("overlays/%s builds to exactly what the environment renders alone", (env) => {
    const built = buildOverlay(files, env);
    expect(built.problems).toEqual([]);
    expect(compareWithRender(built.objects, kubernetesManifests(inputFor(shop, env)))).toEqual([]);
    expect(
      new Set(built.objects.filter((o) => o.kind !== "Namespace").map((o) => o.metadata.namespace)),
    ).toEqual(new Set([`shop-${env}`]));
  });

  it("keeps namespaces out of the base: each overlay has its own Namespace and sets it on the rest", () => {
    const base = parse(file("base/kustomization.yaml")!) as { resources: string[] };
    const baseObjects = base.resources.flatMap((r) => objectsIn(`base/${r}`));
    expect(baseObjects.some((o) => o.kind === "Namespace" || o.metadata.namespace !== undefined)).toBe(false);
    for (const env of ENVIRONMENTS) {
      const k = parse(file(`overlays/${env}/kustomization.yaml`)!) as {
        namespace: string;
        resources: string[];
      };
      expect(k.namespace).toBe(`shop-${env}`);
      expect(k.resources.slice(0, 2)).toEqual(["../../base", "namespace.yaml"]);
      expect(objectsIn(`overlays/${env}/namespace.yaml`).map((o) => o.metadata.name)).toEqual([
        `shop-${env}`,
      ]);
    }
    // The first environment is the base: nothing to patch.
    expect(parse(file("overlays/local/kustomization.yaml")!)).not.toHaveProperty("patches");
  });

  it("says prod's differences as patches: its autoscaler added, no fixed replicas, its resources and SLIPWAY_ENV", () => {
    expect(objectsIn("overlays/prod/added.yaml").map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(
      expect.arrayContaining(["HorizontalPodAutoscaler/api", "PodDisruptionBudget/api"]),
    );
    expect(file("overlays/staging/added.yaml")).toBeUndefined();
    const api = parse(file("overlays/prod/patches/deployment-api.yaml")!) as {
      op: string;
      path: string;
      value?: unknown;
    }[];
    expect(api).toContainEqual({ op: "remove", path: "/spec/replicas" });
    expect(api).toContainEqual({
      op: "replace",
      path: "/spec/template/spec/containers/0/resources/limits/memory",
      value: "512Mi",
    });
    // An env var changed by index is first tested by name, so the patch cannot edit another one.
    const at = api.findIndex((o) => o.op === "test" && o.value === "SLIPWAY_ENV");
    expect(api[at + 1]).toEqual({
      op: "replace",
      path: api[at]!.path.replace(/name$/, "value"),
      value: "prod",
    });
  });

  it("turns prod's Deployments into Rollouts under a canary: a delete patch and the Rollout added", () => {
    const prod = inputFor(shop, "prod");
    prod.release.config.rollout = strategyFromSpec(
      strategySchema.parse({ kind: "canary", steps: [{ weight: 25, holdMinutes: 5 }, { weight: 100 }] }),
    );
    const canary = renderOverlays([...ENVIRONMENTS.slice(0, 3).map((env) => inputFor(shop, env)), prod]);
    const added = parseAllDocuments(canary.find((f) => f.path === "overlays/prod/added.yaml")!.content).map(
      (d) => d.toJS() as K8sObject,
    );
    expect(added.map((o) => `${o.kind}/${o.metadata.name}`)).toContain("Rollout/api");
    expect(
      parse(canary.find((f) => f.path === "overlays/prod/patches/delete-deployment-api.yaml")!.content),
    ).toEqual({
      $patch: "delete",
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "api" },
    });
    const built = buildOverlay(canary, "prod");
    expect(built.problems).toEqual([]);
    expect(compareWithRender(built.objects, kubernetesManifests(prod))).toEqual([]);
  });

  it("catches a kustomization naming a file that is not there", () => {
    expect(buildOverlay(without("overlays/prod/patches/deployment-api.yaml"), "prod").problems).toEqual([
      "overlays/prod/kustomization.yaml: patch patches/deployment-api.yaml: no such file",
    ]);
    expect(buildOverlay(without("base/30-web-api.yaml"), "dev").problems).toContain(
      "base/kustomization.yaml: resource 30-web-api.yaml: no such file",
    );
    expect(buildOverlay(without("overlays/dev/kustomization.yaml"), "dev").problems).toEqual([
      "overlays/dev/kustomization.yaml: no such file",
    ]);
  });

  it("catches a patch whose target is not in the base, or whose tested name no longer matches", () => {
    const k = file("overlays/dev/kustomization.yaml")!;
    const moved = replaced("overlays/dev/kustomization.yaml", k.replace("name: api\n", "name: payments\n"));
    expect(buildOverlay(moved, "dev").problems).toEqual([
      "overlays/dev/kustomization.yaml: patch patches/deployment-api.yaml: no object matches apps/v1 Deployment/payments",
    ]);
    const base = file("base/30-web-api.yaml")!;
    const renamed = replaced(
      "base/30-web-api.yaml",
      base.replace("name: SLIPWAY_ENV", "name: SLIPWAY_STAGE"),
    );
    expect(buildOverlay(renamed, "dev").problems.join("\n")).toMatch(
      /patch patches\/deployment-api.yaml: test \/spec\/template\/spec\/containers\/0\/env\/\d+\/name: is "SLIPWAY_STAGE", not "SLIPWAY_ENV"/,
    );
  });
});

describe("JSON 6902 patches from a difference", () => {
  it("applying the difference of two documents gives the second, keys with / and ~ included", () => {
    const a = {
      metadata: { labels: { "a/b": "1", "c~d": "2" } },
      list: [{ name: "x", v: 1 }, 2],
      gone: true,
    };
    const b = {
      metadata: { labels: { "a/b": "9", "c~d": "2", new: "3" } },
      list: [{ name: "x", v: 2 }, 2, 3],
    };
    const ops = diffJson(a, b);
    expect(ops).toContainEqual({ op: "replace", path: "/metadata/labels/a~1b", value: "9" });
    expect(ops).toContainEqual({ op: "remove", path: "/gone" });
    expect(applyJsonPatch(a, ops)).toEqual(b);
    expect(applyJsonPatch(a, diffJson(a, a))).toEqual(a);
    expect(() => applyJsonPatch(a, [{ op: "replace", path: "/nope/x", value: 1 }])).toThrow(
      "replace /nope/x: no such path",
    );
  });
});
