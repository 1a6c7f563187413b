import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, relative } from "node:path";
import { buildOverlay, compareWithRender, type K8sObject } from "@slipway/render";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { editFile, finishProject, makeProject, slipway, upDetached } from "./harness";

/**
 * `slipway render kubernetes` as a user runs it: from the spec before anything was deployed,
 * from the live release once a control plane runs (not from a spec edited since), and the
 * refusals: a field Kubernetes cannot express, a directory that holds someone else's files.
 */

interface RenderJson {
  release: number | null;
  build: string;
  image: string;
  files: string[];
  objects: { kind: string; metadata: { name: string; labels?: Record<string, string> }; spec?: unknown }[];
}

const envOf = (r: RenderJson, deployment: string) => {
  // biome-ignore lint/suspicious/noExplicitAny: reading a rendered Deployment
  const d = r.objects.find((o) => o.kind === "Deployment" && o.metadata.name === deployment)!.spec as any;
  return d.template.spec.containers[0].env as { name: string; value?: string }[];
};

describe("slipway render kubernetes", () => {
  let dir: string;
  let outs: string;
  let before: RenderJson;

  beforeAll(() => {
    dir = makeProject("render");
    outs = mkdtempSync("/tmp/slipway-e2e-render-out-");
  });
  afterAll(async () => {
    rmSync(outs, { recursive: true, force: true });
    await finishProject(dir);
  });

  it("renders the spec with the working tree's build when no control plane runs, and writes the files", async () => {
    const out = join(outs, "spec");
    const r = await slipway(["render", "kubernetes", "--dir", dir, "--env", "prod", "--out", out, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    before = JSON.parse(r.stdout) as RenderJson;
    expect(before.release).toBeNull();
    expect(before.build).toMatch(/^[0-9a-f]{32}$/);
    expect(before.image).toBe(`shop:${before.build.slice(0, 12)}`);
    expect(readdirSync(out).sort()).toEqual([...before.files, ".slipway-render.json"].sort());
    expect(before.files).toEqual(
      expect.arrayContaining(["kustomization.yaml", "Dockerfile", "30-web-api.yaml"]),
    );
    expect(readFileSync(join(out, "30-worker-worker.yaml"), "utf8")).toContain("kind: ScaledObject");

    const text = await slipway([
      "render",
      "kubernetes",
      "--dir",
      dir,
      "--env",
      "prod",
      "--out",
      out,
      "--registry",
      "ghcr.io/acme",
    ]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toContain("from the spec (no release)");
    expect(text.stdout).toContain(`image ghcr.io/acme/shop:${before.build.slice(0, 12)}`);
    expect(text.stdout).toContain("kubectl -n shop-prod create secret generic cache-redis");
  });

  it("renders the live release once one runs: its build and config, not the spec edited since", async () => {
    await upDetached(dir);
    editFile(join(dir, "slipway.config.ts"), (t) => t.replace("hello from v1", "edited after v1"));
    const r = await slipway([
      "render",
      "kubernetes",
      "--dir",
      dir,
      "--env",
      "local",
      "--out",
      join(outs, "live"),
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const live = JSON.parse(r.stdout) as RenderJson;
    expect(live.release).toBe(1);
    // The build a deploy of the working tree made is the one render predicted before `up`.
    expect(live.build).toBe(before.build);
    expect(envOf(live, "api")).toContainEqual({ name: "GREETING", value: "hello from v1" });
    const job = live.objects.find((o) => o.kind === "Job")!;
    expect(job.metadata.name).toBe("migrate-v1");
    expect(job.metadata.labels?.["slipway.dev/release"]).toBe("v1");

    const explicit = await slipway([
      "render",
      "kubernetes",
      "--dir",
      dir,
      "--env",
      "local",
      "--release",
      "v1",
      "--json",
    ]);
    expect(explicit.code, explicit.stderr).toBe(0);
    expect((JSON.parse(explicit.stdout) as RenderJson).objects).toEqual(live.objects);

    const spec = await slipway([
      "render",
      "kubernetes",
      "--dir",
      dir,
      "--env",
      "local",
      "--build",
      "abc123",
      "--json",
    ]);
    expect(spec.code, spec.stderr).toBe(0);
    expect(envOf(JSON.parse(spec.stdout) as RenderJson, "api")).toContainEqual({
      name: "GREETING",
      value: "edited after v1",
    });

    const missing = await slipway([
      "render",
      "kubernetes",
      "--dir",
      dir,
      "--env",
      "local",
      "--release",
      "9",
      "--json",
    ]);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).error).toMatchObject({
      code: "SLW_NOT_FOUND",
      message: "no release v9 in local",
    });
  });

  it("refuses a field Kubernetes cannot express, naming it, and writes nothing", async () => {
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace('queue: "jobs",', 'queue: "jobs", volume: true,'),
    );
    const out = join(outs, "refused");
    const r = await slipway([
      "render",
      "kubernetes",
      "--dir",
      dir,
      "--env",
      "prod",
      "--build",
      "abc123",
      "--out",
      out,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("SLW_RENDER_UNSUPPORTED");
    expect(r.stderr).toContain("services.worker.volume");
    expect(r.stderr).toContain("hint: keep services.worker.scale.max at 1");
    expect(existsSync(out)).toBe(false);
  });

  it("never writes into a directory holding files it did not write", async () => {
    const out = join(outs, "foreign");
    mkdirSync(out);
    writeFileSync(join(out, "notes.txt"), "mine");
    const r = await slipway([
      "render",
      "kubernetes",
      "--dir",
      dir,
      "--env",
      "dev",
      "--build",
      "abc123",
      "--out",
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("SLW_CONFLICT");
    expect(readdirSync(out)).toEqual(["notes.txt"]);

    const unknown = await slipway(["render", "helm", "--dir", dir, "--out", join(outs, "helm")]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("use one of: kubernetes");
  });
});

/**
 * `slipway render github-actions` on the seeds' pipeline (dev and staging from main, prod by
 * approval): the workflows the renderer's golden files hold, byte for byte, from the CLI.
 */
describe("slipway render github-actions", () => {
  let dir: string;
  let outs: string;
  const GOLDEN = join(import.meta.dirname, "..", "packages", "render", "test", "golden", "github-actions");

  beforeAll(() => {
    dir = makeProject("render-gha");
    outs = mkdtempSync("/tmp/slipway-e2e-render-gha-");
    editFile(join(dir, "slipway.config.ts"), (t) =>
      t.replace(
        /environments: \{[\s\S]*?\n {2}\},\n/,
        `environments: {
    local: {},
    dev: { autoDeploy: { branch: "main" } },
    staging: { autoDeploy: { branch: "main" }, promotesFrom: "dev" },
    prod: { promotesFrom: "staging", requiresApproval: true, services: { api: { scale: { min: 2, max: 4 } } } },
  },
`,
      ),
    );
  });
  afterAll(async () => {
    rmSync(outs, { recursive: true, force: true });
    await finishProject(dir);
  });

  it("writes the pipeline's workflows, the same bytes as the golden files", async () => {
    const out = join(outs, "ci");
    const r = await slipway(["render", "github-actions", "--dir", dir, "--out", out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("4 workflows, each valid against GitHub's workflow schema");
    const written = readdirSync(join(out, ".github", "workflows")).sort();
    expect(written).toEqual(["ci.yml", "deploy.yml", "infra-check.yml", "promote-prod.yml"]);
    for (const f of written)
      expect(readFileSync(join(out, ".github", "workflows", f), "utf8"), f).toBe(
        readFileSync(join(GOLDEN, ".github", "workflows", f), "utf8"),
      );
  });

  it("renders every environment as a kustomize overlay of one base: each builds to the same objects as one --env render", async () => {
    const out = join(outs, "overlays");
    const r = await slipway([
      "render",
      "kubernetes",
      "--overlays",
      "--dir",
      dir,
      "--build",
      "abc123",
      "--out",
      out,
      "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const envs = (
      JSON.parse(r.stdout) as { environments: (RenderJson & { env: string; namespace: string })[] }
    ).environments;
    expect(envs.map((e) => [e.env, e.namespace])).toEqual([
      ["local", "shop-local"],
      ["dev", "shop-dev"],
      ["staging", "shop-staging"],
      ["prod", "shop-prod"],
    ]);
    // One image for all: promotion moves the same build.
    expect(new Set(envs.map((e) => e.image))).toEqual(new Set(["shop:abc123"]));
    const prod = envs.find((e) => e.env === "prod")!;
    expect(prod.files).toEqual(
      expect.arrayContaining([
        "overlays/prod/kustomization.yaml",
        "overlays/prod/namespace.yaml",
        "overlays/prod/added.yaml",
        "overlays/prod/patches/deployment-api.yaml",
      ]),
    );
    expect(readFileSync(join(out, "overlays", "prod", "added.yaml"), "utf8")).toContain(
      "kind: HorizontalPodAutoscaler",
    );
    expect(existsSync(join(out, "overlays", "staging", "added.yaml"))).toBe(false);
    expect(envOf(prod, "api")).toContainEqual({ name: "SLIPWAY_ENV", value: "prod" });

    const single = join(outs, "prod-only");
    const one = await slipway([
      "render",
      "kubernetes",
      "--dir",
      dir,
      "--env",
      "prod",
      "--build",
      "abc123",
      "--out",
      single,
    ]);
    expect(one.code, one.stderr).toBe(0);
    // kustomize build overlays/prod, done as kustomize does it, from the files on disk.
    const written = readdirSync(out, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => {
        const path = relative(out, join(d.parentPath, d.name));
        return { path, content: readFileSync(join(out, path), "utf8") };
      });
    const built = buildOverlay(written, "prod");
    expect(built.problems).toEqual([]);
    const alone = readdirSync(single)
      .filter((f) => /^\d\d-.*\.yaml$/.test(f))
      .map((f) => ({
        path: f,
        objects: parseAllDocuments(readFileSync(join(single, f), "utf8"), { version: "1.1" }).map(
          (d) => d.toJS() as K8sObject,
        ),
      }));
    expect(compareWithRender(built.objects, alone)).toEqual([]);
    expect(readdirSync(out).sort()).toEqual([
      ".slipway-render.json",
      "Dockerfile",
      "Dockerfile.dockerignore",
      "base",
      "overlays",
    ]);
    expect(readdirSync(join(out, "overlays")).sort()).toEqual(["dev", "local", "prod", "staging"]);
  });

  it("refuses options that only a release has", async () => {
    const r = await slipway([
      "render",
      "github-actions",
      "--dir",
      dir,
      "--out",
      join(outs, "x"),
      "--build",
      "abc",
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--release, --build and --registry do not apply to github-actions");
  });
});
