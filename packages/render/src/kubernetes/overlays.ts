import { SlipwayError } from "@slipway/core";
import { stringify } from "yaml";
import type { RenderedFile, RenderInput } from "../input";
import { diffJson } from "./json-patch";
import { buildOverlay, compareWithRender, objectKey } from "./kustomize-build";
import type { K8sObject } from "./objects";
import { kubernetesManifests, YAML_OPTIONS } from "./render";

/**
 * Every environment of the stack as a kustomize layout:
 *
 * - `base/`: the stack's objects as the first environment renders them, without a namespace;
 * - `overlays/<env>/`: the environment's Namespace, `namespace:` for everything else, and what
 *   differs from the base as patches: an RFC 6902 patch per object that differs (replicas,
 *   config values, labels, image), the objects only this environment has (`added.yaml`, e.g.
 *   prod's autoscaler, or a canary's Rollout), and a delete patch per base object it lacks.
 *
 * `kubectl apply -k overlays/prod` gives prod exactly what `render kubernetes --env prod`
 * gives: each overlay is built here the way kustomize would and compared with that render
 * before anything is returned (a difference is our bug, SLW_INTERNAL).
 */
export function renderOverlays(inputs: RenderInput[]): RenderedFile[] {
  const [first] = inputs;
  if (!first)
    throw new SlipwayError("SLW_BAD_REQUEST", "no environment to render", "declare one in the spec");
  const baseFiles = kubernetesManifests(first)
    .map((f) => ({
      path: f.path,
      objects: f.objects.filter((o) => o.kind !== "Namespace").map(unnamespaced),
    }))
    .filter((f) => f.objects.length);
  const base = new Map(baseFiles.flatMap((f) => f.objects.map((o) => [objectKey(o), o] as const)));
  const files: RenderedFile[] = [
    ...baseFiles.map((f) => ({ path: `base/${f.path}`, content: documents(baseHeader(first), f.objects) })),
    {
      path: "base/kustomization.yaml",
      content: kustomization(baseHeader(first), { resources: baseFiles.map((f) => f.path) }),
    },
    ...inputs.flatMap((input) => overlay(input, base)),
  ];
  for (const input of inputs) {
    const built = buildOverlay(files, input.env);
    const wrong = [...built.problems, ...compareWithRender(built.objects, kubernetesManifests(input))];
    if (wrong.length)
      throw new SlipwayError(
        "SLW_INTERNAL",
        `overlays/${input.env} does not build to what ${input.env} renders:\n${wrong.map((w) => `  ${w}`).join("\n")}`,
        "please report this with your spec; render each environment with --env meanwhile",
      );
  }
  return files;
}

/** One environment's overlay directory: namespace, what only it has, and its patches. */
function overlay(input: RenderInput, base: Map<string, K8sObject>): RenderedFile[] {
  const dir = `overlays/${input.env}`;
  const all = kubernetesManifests(input).flatMap((f) => f.objects);
  const namespace = all.filter((o) => o.kind === "Namespace");
  const objects = all.filter((o) => o.kind !== "Namespace").map(unnamespaced);
  const mine = new Set(objects.map(objectKey));
  const added = objects.filter((o) => !base.has(objectKey(o)));
  const patched = objects.flatMap((o) => {
    const from = base.get(objectKey(o));
    const ops = from ? diffJson(from, o) : [];
    return ops.length ? [{ object: o, ops }] : [];
  });
  const removed = [...base.values()].filter((o) => !mine.has(objectKey(o)));
  const name = (o: K8sObject) => `${o.kind.toLowerCase()}-${o.metadata.name}`;
  const head = overlayHeader(input);
  const files: RenderedFile[] = [
    { path: `${dir}/namespace.yaml`, content: documents(head, namespace) },
    ...(added.length ? [{ path: `${dir}/added.yaml`, content: documents(head, added) }] : []),
    ...patched.map((p) => ({
      path: `${dir}/patches/${name(p.object)}.yaml`,
      content: head + stringify(p.ops, YAML_OPTIONS),
    })),
    ...removed.map((o) => ({
      path: `${dir}/patches/delete-${name(o)}.yaml`,
      content:
        head +
        stringify(
          { $patch: "delete", apiVersion: o.apiVersion, kind: o.kind, metadata: { name: o.metadata.name } },
          YAML_OPTIONS,
        ),
    })),
  ];
  const patches = [
    ...patched.map((p) => ({ path: `patches/${name(p.object)}.yaml`, target: targetOf(p.object) })),
    ...removed.map((o) => ({ path: `patches/delete-${name(o)}.yaml` })),
  ];
  files.push({
    path: `${dir}/kustomization.yaml`,
    content: kustomization(head, {
      namespace: namespace[0]!.metadata.name,
      resources: ["../../base", "namespace.yaml", ...(added.length ? ["added.yaml"] : [])],
      ...(patches.length ? { patches } : {}),
    }),
  });
  return files;
}

/** Kustomize's namespace transformer sets it per overlay; the base carries none. */
function unnamespaced(o: K8sObject): K8sObject {
  const { namespace: _, ...metadata } = o.metadata;
  return { ...o, metadata };
}

/** A JSON 6902 patch's target: group (none for the core API), version, kind, name. */
function targetOf(o: K8sObject) {
  const [group, version] = o.apiVersion.includes("/") ? o.apiVersion.split("/") : ["", o.apiVersion];
  return { ...(group ? { group } : {}), version, kind: o.kind, name: o.metadata.name };
}

const kustomization = (head: string, fields: Record<string, unknown>) =>
  head +
  stringify(
    { apiVersion: "kustomize.config.k8s.io/v1beta1", kind: "Kustomization", ...fields },
    YAML_OPTIONS,
  );

const documents = (head: string, objects: K8sObject[]) =>
  head + objects.map((o) => `---\n${stringify(o, YAML_OPTIONS)}`).join("");

const release = (input: RenderInput) =>
  input.release.number !== null ? `release v${input.release.number}` : "from the spec (no release)";

const baseHeader = (input: RenderInput) =>
  `# Rendered by Slipway: stack ${input.stack}, the base of every environment's overlay (as ${input.env} renders it, ${release(input)}, build ${input.release.build}). Do not edit: render again.\n`;

const overlayHeader = (input: RenderInput) =>
  `# Rendered by Slipway: stack ${input.stack}, environment ${input.env}, ${release(input)}, build ${input.release.build}; what differs from ../../base. Do not edit: render again.\n`;
