import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isSlipwayError, type ReleaseConfig, SlipwayError } from "@slipway/core";
import { workingTreeBuildId } from "@slipway/driver-local/build";
import {
  composeDocument,
  githubActionsInputFromStack,
  imageFor,
  JUDGE_IMAGE_DIR,
  judgeImageBuild,
  judgeImageFiles,
  type K8sObject,
  kubernetesManifests,
  namespaceOf,
  type RenderedFile,
  type RenderInput,
  renderCompose,
  renderDockerfile,
  renderGithubActions,
  renderKubernetes,
  renderOverlays,
  requiredSecrets,
  runsJudge,
  validateCompose,
  validateKubernetes,
} from "@slipway/render";
import { releaseConfigFor } from "@slipway/server";
import { formatIssues, loadStack, type Stack } from "@slipway/spec";
import { api, target } from "../client";
import { printJson } from "../output";

export interface RenderOptions {
  target: string;
  dir: string;
  env: string;
  out?: string;
  json: boolean;
  release?: number;
  build?: string;
  registry?: string;
  /** Every environment of the spec, one directory each (kubernetes only). */
  overlays?: boolean;
}

/** What a target renders: its files, the objects for --json, and what the reader must do next. */
interface Rendered {
  files: RenderedFile[];
  objects: unknown;
  next: string[];
}

/** The targets `slipway render` knows that render one environment's release into validated files. */
const TARGETS: Record<string, (input: RenderInput) => Rendered> = {
  kubernetes: renderKubernetesTarget,
  compose: renderComposeTarget,
};
/** Targets made of the whole stack's pipeline, not one environment's release. */
const PIPELINE_TARGETS = ["github-actions"];

/** Written beside the output: which files the last render wrote, so the next one can remove those it no longer makes. */
const MARKER = ".slipway-render.json";

/**
 * `slipway render <target>`: the stack for one environment, from the live release (asking the
 * control plane), a given release, or the spec with a build (the working tree's by default),
 * as files for another engine to run. Nothing running is touched.
 */
export async function render(o: RenderOptions): Promise<void> {
  if (o.target === "github-actions") return renderPipeline(o);
  if (o.overlays) return renderEveryEnvironment(o);
  const renderTarget = checkOptions(o);
  const root = resolve(o.dir);
  const stack = await loadSpec(root);
  const release = await releaseToRender(root, stack, o);
  const input: RenderInput = {
    stack: stack.name,
    env: o.env,
    release,
    image: imageFor(stack.name, release.build, o.registry),
  };
  const rendered = renderTarget(input);
  const files = [
    ...rendered.files,
    ...dockerfile(root, stack),
    ...(o.target === "kubernetes" ? judgeImage(rendered.objects as K8sObject[]) : []),
  ];
  if (o.out) writeOutput(resolve(o.out), files);
  if (o.json)
    return printJson({
      target: o.target,
      stack: input.stack,
      env: o.env,
      release: release.number,
      build: release.build,
      image: input.image,
      files: files.map((f) => f.path),
      objects: rendered.objects,
    });
  const out = resolve(o.out!);
  process.stdout.write(
    [
      `rendered ${o.target} for ${stack.name} ${o.env} from ${release.number !== null ? `release v${release.number}` : "the spec (no release)"}, build ${release.build.slice(0, 12)}, image ${input.image}`,
      `wrote ${files.length} files to ${out}: ${files.map((f) => f.path).join(", ")}`,
      `build the image in the stack's directory: docker build -f ${join(out, "Dockerfile")} -t ${input.image} . && docker push ${input.image}`,
      ...(files.some((f) => f.path.startsWith(`${JUDGE_IMAGE_DIR}/`))
        ? [`build the judge image the AnalysisTemplates run: ${judgeImageBuild(out)}`]
        : []),
      ...rendered.next,
      "",
    ].join("\n"),
  );
}

/**
 * `slipway render github-actions`: the CI workflows of every environment's promotion rule, from
 * the spec alone (no release, no build: CI builds each commit), each checked against GitHub's
 * workflow schema by the renderer.
 */
async function renderPipeline(o: RenderOptions): Promise<void> {
  requireOut(o);
  if (o.release !== undefined || o.build !== undefined || o.registry !== undefined)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      "--release, --build and --registry do not apply to github-actions: the workflows build each commit in CI",
      "drop them; the workflows cover every environment of the spec",
    );
  const stack = await loadSpec(resolve(o.dir));
  const files = renderGithubActions(githubActionsInputFromStack(stack));
  if (o.out) writeOutput(resolve(o.out), files);
  if (o.json)
    return printJson({
      target: o.target,
      stack: stack.name,
      files: files.map((f) => f.path),
      workflows: Object.fromEntries(files.map((f) => [f.path, f.content])),
    });
  process.stdout.write(
    [
      `rendered github-actions for ${stack.name}: ${files.length} workflows, each valid against GitHub's workflow schema`,
      `wrote ${files.map((f) => f.path).join(", ")} under ${resolve(o.out!)}`,
      "copy .github/ into the repository; add the repository secrets SLIPWAY_URL and SLIPWAY_TOKEN (a deployer token: slipway tokens create --name ci --role deployer)",
      "promotions wait for the reviewers of the GitHub environment of the same name (docs/render-github-actions.md)",
      "",
    ].join("\n"),
  );
}

/**
 * `slipway render kubernetes --overlays`: every environment of the spec as a kustomize layout,
 * `base/` (the stack) and `overlays/<env>/` (its namespace, and what differs as patches:
 * scale, config, its own release), applied with `kubectl apply -k overlays/<env>`; one
 * Dockerfile beside them: promotion moves the same image between them. Each overlay is built
 * here as kustomize would and must equal that environment's own render.
 */
async function renderEveryEnvironment(o: RenderOptions): Promise<void> {
  const renderTarget = checkOptions(o);
  const bad = (message: string, hint: string) => new SlipwayError("SLW_BAD_REQUEST", message, hint);
  if (o.target !== "kubernetes")
    throw bad("--overlays is for the kubernetes target", "render each environment with --env");
  if (o.release !== undefined)
    throw bad(
      "--release names one environment's release; --overlays renders every environment",
      "drop --release, or drop --overlays and pass --env",
    );
  const root = resolve(o.dir);
  const stack = await loadSpec(root);
  const rendered = [];
  for (const env of Object.keys(stack.environments)) {
    const release = await releaseToRender(root, stack, { ...o, env });
    const input: RenderInput = {
      stack: stack.name,
      env,
      release,
      image: imageFor(stack.name, release.build, o.registry),
    };
    // Validates every object of the environment against its schema.
    rendered.push({ input, objects: renderTarget(input).objects });
  }
  const files = [
    ...renderOverlays(rendered.map((r) => r.input)),
    ...dockerfile(root, stack),
    ...judgeImage(rendered.flatMap((r) => r.objects as K8sObject[])),
  ];
  if (o.out) writeOutput(resolve(o.out), files);
  const overlayFiles = (env: string) =>
    files.map((f) => f.path).filter((p) => p.startsWith(`overlays/${env}/`));
  if (o.json)
    return printJson({
      target: o.target,
      stack: stack.name,
      base: files.map((f) => f.path).filter((p) => p.startsWith("base/")),
      environments: rendered.map((r) => ({
        env: r.input.env,
        namespace: namespaceOf(r.input),
        release: r.input.release.number,
        build: r.input.release.build,
        image: r.input.image,
        files: overlayFiles(r.input.env),
        objects: r.objects,
      })),
    });
  process.stdout.write(
    [
      `rendered kubernetes for ${stack.name} as kustomize overlays: base/ and one overlay per environment, each in its own namespace, each object valid against its schema:`,
      ...rendered.map(
        (r) =>
          `  overlays/${r.input.env}/ → namespace ${namespaceOf(r.input)}, ${r.input.release.number !== null ? `release v${r.input.release.number}` : "the spec"}, image ${r.input.image}, ${overlayFiles(r.input.env).filter((p) => p.includes("/patches/")).length} patches`,
      ),
      `wrote ${files.length} files to ${resolve(o.out!)}; apply one environment with kubectl apply -k DIR/overlays/<env> (docs/render-kubernetes.md)`,
      ...(files.some((f) => f.path.startsWith(`${JUDGE_IMAGE_DIR}/`))
        ? [`build the judge image the AnalysisTemplates run: ${judgeImageBuild(resolve(o.out!))}`]
        : []),
      "",
    ].join("\n"),
  );
}

function requireOut(o: RenderOptions): void {
  if (!o.out && !o.json)
    throw new SlipwayError(
      "SLW_BAD_REQUEST",
      "--out is missing: where should the files go?",
      "pass --out DIR (or --json to print the objects)",
    );
}

/** The flags that make sense together, and the target's renderer. */
function checkOptions(o: RenderOptions): (input: RenderInput) => Rendered {
  const bad = (message: string, hint: string) => new SlipwayError("SLW_BAD_REQUEST", message, hint);
  if (!Object.hasOwn(TARGETS, o.target))
    throw bad(
      `no render target named ${JSON.stringify(o.target)}`,
      `use one of: ${[...Object.keys(TARGETS), ...PIPELINE_TARGETS].join(", ")}`,
    );
  requireOut(o);
  if (o.release !== undefined && o.build !== undefined)
    throw bad("--release and --build both given", "a release has its build: pass one of them");
  return TARGETS[o.target]!;
}

async function loadSpec(root: string): Promise<Stack> {
  const loaded = await loadStack(root);
  if (!loaded.ok)
    throw new SlipwayError(
      "SLW_SPEC_INVALID",
      `\n${formatIssues(loaded.issues)}`,
      "fix the fields named above",
      { issues: loaded.issues },
    );
  return loaded.stack;
}

interface ReleaseRow {
  number: number;
  buildId: string;
  config: ReleaseConfig;
}

/**
 * Which release to render: --release from the control plane; --build with the spec as it is
 * now; by default the live release when a control plane runs for the project, else the spec
 * with the working tree's build id (what a deploy would build).
 */
async function releaseToRender(
  root: string,
  stack: Stack,
  o: RenderOptions,
): Promise<RenderInput["release"]> {
  const fromSpec = (build: string) => ({ number: null, build, config: releaseConfigFor(stack, o.env) });
  if (o.build !== undefined) return fromSpec(o.build);
  let server: ReturnType<typeof target>;
  try {
    server = target(root);
  } catch (e) {
    // No control plane: the spec is all there is, unless a release was asked for.
    if (o.release === undefined && isSlipwayError(e) && e.code === "SLW_SERVER_UNREACHABLE")
      return fromSpec(workingTreeBuildId(root));
    throw e;
  }
  let wanted = o.release;
  if (wanted === undefined) {
    const status = await api<{ environments: { name: string; live: { release: number } | null }[] }>(
      server,
      "GET",
      "/v1/status",
    );
    wanted = status.environments.find((e) => e.name === o.env)?.live?.release;
    if (wanted === undefined) return fromSpec(workingTreeBuildId(root));
  }
  const { releases } = await api<{ releases: ReleaseRow[] }>(
    server,
    "GET",
    `/v1/environments/${encodeURIComponent(o.env)}/releases`,
  );
  const row = releases.find((r) => r.number === wanted);
  if (!row)
    throw new SlipwayError(
      "SLW_NOT_FOUND",
      `no release v${wanted} in ${o.env}`,
      `see the releases with: slipway releases --env ${o.env}`,
    );
  return { number: row.number, build: row.buildId, config: row.config };
}

function renderKubernetesTarget(input: RenderInput): Rendered {
  const manifests = kubernetesManifests(input);
  const objects = manifests.flatMap((m) => m.objects);
  const problems = validateKubernetes(objects);
  // Every object is made by Slipway from a validated spec: one its schema refuses is our bug.
  if (problems.length)
    throw new SlipwayError(
      "SLW_INTERNAL",
      `rendered objects fail their schemas:\n${problems.map((p) => `  ${p.object}: ${p.message}`).join("\n")}`,
      "please report this with your spec",
      { problems },
    );
  const secrets = requiredSecrets(input);
  const job = objects.find((x) => x.kind === "Job");
  const ns = namespaceOf(input);
  return {
    files: renderKubernetes(input),
    objects,
    next: [
      `${objects.length} objects, each valid against its schema`,
      ...(secrets.length
        ? [
            "create these Secrets first (Slipway never writes secret values):",
            ...secrets.map(
              (s) =>
                `  kubectl -n ${s.namespace} create secret generic ${s.name} ${s.keys
                  .filter((k) => !k.optional)
                  .map((k) => `--from-literal=${k.key}=…`)
                  .join(" ")}`,
            ),
          ]
        : []),
      `apply: Argo CD syncs the waves in order; by hand: kubectl apply -f 00-namespace.yaml -f 01-network-policies.yaml, then the 10-addon-* files${
        job
          ? `, then the release job and kubectl -n ${ns} wait --for=condition=complete job/${job.metadata.name}`
          : ""
      }, then kubectl apply -k (docs/render-kubernetes.md)`,
    ],
  };
}

function renderComposeTarget(input: RenderInput): Rendered {
  const files = renderCompose(input);
  const problems = validateCompose(files);
  // Made by Slipway from a validated spec: a compose.yaml the schema refuses is our bug.
  if (problems.length)
    throw new SlipwayError(
      "SLW_INTERNAL",
      `the rendered compose.yaml fails the Compose Specification's schema:\n${problems.map((p) => `  ${p}`).join("\n")}`,
      "please report this with your spec",
      { problems },
    );
  return {
    files,
    objects: composeDocument(files),
    next: [
      "compose.yaml is valid against the Compose Specification's schema",
      "on the VM, in that directory: cp .env.example .env, fill in every value (URL-safe, e.g. openssl rand -hex 32), then docker compose up -d",
      ...(files.some((f) => f.path === "crontab")
        ? ["cron services: set SLIPWAY_COMPOSE_DIR in crontab, then install it with: crontab crontab"]
        : []),
      "docs/render-compose.md says what each field became and what Compose cannot do",
    ],
  };
}

/**
 * When an AnalysisTemplate runs the judge: the image it names, with this CLI's own prebuilt
 * bundle in it, so `docker build` of the output's judge-image/ makes it.
 */
function judgeImage(objects: K8sObject[]): RenderedFile[] {
  if (!runsJudge(objects)) return [];
  // This module always runs from source (see fromSource): the bundle is the package's dist/.
  const bundle = fileURLToPath(new URL("../../dist/slipway.mjs", import.meta.url));
  if (!existsSync(bundle))
    throw new SlipwayError(
      "SLW_BINARY_MISSING",
      `the prebuilt Slipway CLI the judge image is made of is missing: ${bundle}`,
      "build it in the Slipway checkout with: npm run build",
    );
  return judgeImageFiles(readFileSync(bundle, "utf8"));
}

/** The image both targets run: the multi-stage Dockerfile and its ignore file. */
function dockerfile(root: string, stack: Stack): RenderedFile[] {
  return renderDockerfile({
    stack: stack.name,
    ...(stack.build.command ? { buildCommand: stack.build.command } : {}),
    lockfile: existsSync(join(root, "package-lock.json")),
  });
}

/**
 * Writes the files into `out`, which must be empty or hold an earlier render: files that
 * render wrote and no longer makes are removed (a stale manifest would still be applied),
 * and nothing else there is touched.
 */
function writeOutput(out: string, files: RenderedFile[]): void {
  const marker = join(out, MARKER);
  let previous: string[] = [];
  if (existsSync(out) && readdirSync(out).length) {
    if (!existsSync(marker))
      throw new SlipwayError(
        "SLW_CONFLICT",
        `${out} is not empty and holds no earlier render (${MARKER})`,
        "pass an empty or new directory to --out",
      );
    previous = (JSON.parse(readFileSync(marker, "utf8")) as { files: string[] }).files;
  }
  mkdirSync(out, { recursive: true });
  const now = new Set(files.map((f) => f.path));
  for (const stale of previous)
    if (!now.has(stale) && !stale.includes("..")) rmSync(join(out, stale), { force: true });
  for (const f of files) {
    mkdirSync(dirname(join(out, f.path)), { recursive: true });
    writeFileSync(join(out, f.path), f.content);
  }
  writeFileSync(marker, `${JSON.stringify({ files: files.map((f) => f.path) }, null, 2)}\n`);
}
