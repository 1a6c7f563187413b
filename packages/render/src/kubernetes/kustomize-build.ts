import { posix } from "node:path";
import { isDeepStrictEqual } from "node:util";
import { parse, parseAllDocuments } from "yaml";
import type { RenderedFile } from "../input";
import { applyJsonPatch, type PatchOp } from "./json-patch";
import type { K8sObject } from "./objects";
import type { ManifestFile } from "./render";

/**
 * What `kustomize build overlays/<env>` makes of a rendered layout, for the subset of
 * kustomize the layout uses (resources: files and directories; `namespace`; patches: RFC 6902
 * with a target, and `$patch: delete`). No kustomize binary is needed, here or in CI. Every
 * file a kustomization names must exist and every patch must find its one target: each miss
 * is a problem, named with the file that refers to it.
 */
export function buildOverlay(
  files: RenderedFile[],
  env: string,
): { objects: K8sObject[]; problems: string[] } {
  const byPath = new Map(files.map((f) => [f.path, f.content]));
  const problems: string[] = [];
  const objects = build(`overlays/${env}`, byPath, problems);
  return { objects, problems };
}

/** `apiVersion kind/name`: what identifies an object within one namespace. */
export const objectKey = (o: K8sObject) => `${o.apiVersion} ${o.kind}/${o.metadata.name}`;

/** How a built overlay differs from the environment's own render: missing, extra or different objects. */
export function compareWithRender(built: K8sObject[], rendered: ManifestFile[]): string[] {
  const want = new Map(rendered.flatMap((f) => f.objects).map((o) => [objectKey(o), o]));
  const got = new Map(built.map((o) => [objectKey(o), o]));
  return [
    ...[...want.keys()].filter((k) => !got.has(k)).map((k) => `${k}: missing`),
    ...[...got.keys()].filter((k) => !want.has(k)).map((k) => `${k}: not in the render`),
    ...[...want]
      .filter(([k, o]) => got.has(k) && !isDeepStrictEqual(got.get(k), o))
      .map(([k]) => `${k}: differs`),
  ];
}

interface Kustomization {
  namespace?: string;
  resources?: string[];
  patches?: { path: string; target?: { group?: string; version: string; kind: string; name: string } }[];
}

function build(dir: string, files: Map<string, string>, problems: string[]): K8sObject[] {
  const at = posix.join(dir, "kustomization.yaml");
  const text = files.get(at);
  if (text === undefined) {
    problems.push(`${at}: no such file`);
    return [];
  }
  const k = parse(text, { version: "1.1" }) as Kustomization;
  let objects = (k.resources ?? []).flatMap((r) => {
    const path = posix.join(dir, r);
    if (!posix.extname(path)) return build(path, files, problems);
    const content = files.get(path);
    if (content === undefined) {
      problems.push(`${at}: resource ${r}: no such file`);
      return [];
    }
    return parseAllDocuments(content, { version: "1.1" }).map((d) => d.toJS() as K8sObject);
  });
  for (const p of k.patches ?? []) {
    const content = files.get(posix.join(dir, p.path));
    if (content === undefined) {
      problems.push(`${at}: patch ${p.path}: no such file`);
      continue;
    }
    const patch = parse(content, { version: "1.1" }) as unknown;
    const matches = (o: K8sObject, t: { apiVersion: string; kind: string; name: string }) =>
      o.apiVersion === t.apiVersion && o.kind === t.kind && o.metadata.name === t.name;
    const wanted = p.target
      ? {
          apiVersion: p.target.group ? `${p.target.group}/${p.target.version}` : p.target.version,
          kind: p.target.kind,
          name: p.target.name,
        }
      : (() => {
          const d = patch as {
            $patch?: string;
            apiVersion: string;
            kind: string;
            metadata: { name: string };
          };
          return d.$patch === "delete"
            ? { apiVersion: d.apiVersion, kind: d.kind, name: d.metadata.name }
            : undefined;
        })();
    if (!wanted) {
      problems.push(`${at}: patch ${p.path}: neither a JSON 6902 patch with a target nor a delete`);
      continue;
    }
    const found = objects.filter((o) => matches(o, wanted));
    if (found.length !== 1) {
      problems.push(
        `${at}: patch ${p.path}: ${found.length ? "several objects match" : "no object matches"} ${wanted.apiVersion} ${wanted.kind}/${wanted.name}`,
      );
      continue;
    }
    try {
      objects = p.target
        ? objects.map((o) => (o === found[0] ? applyJsonPatch(o, patch as PatchOp[]) : o))
        : objects.filter((o) => o !== found[0]);
    } catch (e) {
      problems.push(`${at}: patch ${p.path}: ${(e as Error).message}`);
    }
  }
  const ns = k.namespace;
  return ns
    ? objects.map((o) => (o.kind === "Namespace" ? o : { ...o, metadata: { ...o.metadata, namespace: ns } }))
    : objects;
}
