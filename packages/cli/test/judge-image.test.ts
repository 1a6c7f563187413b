import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_JUDGE_POLICY, type ServiceConfig } from "@slipway/core";
import {
  JUDGE_IMAGE,
  JUDGE_IMAGE_DIR,
  judgeImageFiles,
  kubernetesManifests,
  NODE_IMAGE,
  type RenderInput,
} from "@slipway/render";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Given a canary environment rendered for Kubernetes, with the judge image's files beside the
// manifests; when the image is laid out as its Dockerfile says (no Docker here: the files
// copied to /opt/slipway, the `slipway` link on PATH) and runs the command the
// AnalysisTemplate gives its Job, against a Prometheus (a tiny real HTTP server with each
// revision's counts); then the judge decides on them: every argument the template passes is
// one the image's `slipway judge` takes, and its exit code is Argo's measurement.

const BUNDLE = new URL("../dist/slipway.mjs", import.meta.url).pathname;

const web: ServiceConfig = {
  type: "web",
  command: ["node", "api.js"],
  env: {},
  replicas: 2,
  health: { kind: "http", path: "/healthz", intervalSeconds: 2, timeoutSeconds: 60 },
  uses: [],
  calls: [],
  drainSeconds: 30,
};
const input: RenderInput = {
  stack: "shop",
  env: "prod",
  release: {
    number: 4,
    build: "0123456789abcdef0123456789abcdef",
    config: {
      services: { api: web },
      routes: [{ path: "/", service: "api" }],
      addons: {},
      rollout: {
        strategy: {
          kind: "canary",
          onFailure: "rollback",
          steps: [
            { weight: 10, holdMs: 60_000, holdRequests: 100 },
            { weight: 100, holdMs: 0, holdRequests: 0 },
          ],
        },
        policy: DEFAULT_JUDGE_POLICY,
      },
    },
  },
  image: "shop:0123456789ab",
};

/** Each revision's counters, by the pod-template hash in the query's selector. */
let counts: Record<string, { requests: number; errors: number }>;
let server: Server;
let prometheus: string;
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const promql = new URL(req.url ?? "/", "http://x").searchParams.get("query") ?? "";
    const arm = Object.keys(counts).find((hash) => promql.includes(`rollouts_pod_template_hash="${hash}"`));
    const c = arm ? counts[arm]! : undefined;
    // Errors for the 5xx filter; every request within the latency budget's bucket.
    const value = !c ? undefined : promql.includes('code=~"5.."') ? c.errors : c.requests;
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        status: "success",
        data: {
          resultType: "vector",
          result: value === undefined ? [] : [{ metric: {}, value: [0, `${value}`] }],
        },
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  prometheus = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = mkdtempSync(join(tmpdir(), "slipway-judge-image-"));
});
afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The container the AnalysisTemplate's Job runs. */
function judgeContainer() {
  const template = kubernetesManifests(input)
    .flatMap((f) => f.objects)
    .find((o) => o.kind === "AnalysisTemplate");
  // biome-ignore lint/suspicious/noExplicitAny: reaching into the rendered object
  const pod = (template as any).spec.metrics[0].provider.job.spec.template.spec;
  return { pod, container: pod.containers[0] as { image: string; command: string[] } };
}

describe("the judge image rendered beside the Kubernetes manifests", () => {
  const files = judgeImageFiles(readFileSync(BUNDLE, "utf8"));
  const dockerfile = files.find((f) => f.path === `${JUDGE_IMAGE_DIR}/Dockerfile`)!.content;
  const instructions = dockerfile.split("\n").filter((l) => l && !l.startsWith("#"));

  it("is the image the AnalysisTemplate names, built from the output alone, running as its user", () => {
    const { pod, container } = judgeContainer();
    expect(container.image).toBe(JUDGE_IMAGE);
    expect(dockerfile).toContain(`docker build -t ${JUDGE_IMAGE} judge-image && docker push ${JUDGE_IMAGE}`);
    expect(instructions[0]).toBe(`FROM ${NODE_IMAGE}`);
    // Everything it copies is in the rendered directory: the build context needs nothing else.
    const copied = instructions
      .filter((l) => l.startsWith("COPY "))
      .flatMap((l) => l.split(" ").slice(1, -1));
    expect(copied.sort()).toEqual(
      files
        .map((f) => f.path.slice(JUDGE_IMAGE_DIR.length + 1))
        .filter((p) => p !== "Dockerfile")
        .sort(),
    );
    expect(instructions).toContain(`USER ${pod.securityContext.runAsUser}:${pod.securityContext.runAsUser}`);
    expect(container.command[0]).toBe("slipway");
  });

  it("runs the template's judge command: a canary with 10% errors exits 1 (roll back), a healthy one 0", async () => {
    // The image's file system as its Dockerfile lays it out.
    const opt = join(dir, "opt", "slipway");
    mkdirSync(opt, { recursive: true });
    for (const f of files)
      writeFileSync(join(dir, f.path.replace(`${JUDGE_IMAGE_DIR}/`, "opt/slipway/")), f.content);
    chmodSync(join(opt, "slipway"), 0o755);
    mkdirSync(join(dir, "bin"));
    symlinkSync(join(opt, "slipway"), join(dir, "bin", "slipway"));

    const { container } = judgeContainer();
    const args = container.command
      .slice(1)
      .map((a) =>
        a
          .replace("{{args.prometheus}}", prometheus)
          .replace("{{args.canary-hash}}", "canary1")
          .replace("{{args.stable-hash}}", "stable1"),
      );
    // Not spawnSync: the Prometheus it asks is served by this process's event loop.
    const judge = () =>
      new Promise<{ status: number | null; out: string }>((resolve) => {
        const child = spawn(join(dir, "bin", "slipway"), args, { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("close", (status) => resolve({ status, out }));
      });

    counts = { canary1: { requests: 2_000, errors: 200 }, stable1: { requests: 38_000, errors: 38 } };
    const bad = await judge();
    expect(bad.status, bad.out).toBe(1);
    expect(bad.out).toMatch(/roll/i);

    counts = { canary1: { requests: 2_000, errors: 1 }, stable1: { requests: 38_000, errors: 19 } };
    const good = await judge();
    expect(good.status, good.out).toBe(0);
  });
});
