import { isDeepStrictEqual } from "node:util";

/**
 * RFC 6902 JSON patches, the kind kustomize applies with a `target`: made as the difference
 * between two rendered objects, and applied the way kustomize would, so a layout can be
 * checked without the kustomize binary. Only the three operations a difference needs.
 */
export type PatchOp =
  | { op: "add" | "replace" | "test"; path: string; value: unknown }
  | { op: "remove"; path: string };

type Json = Record<string, unknown> | unknown[];
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** `/metadata/labels/app.kubernetes.io~1name`: "~" and "/" escaped in each segment. */
const pointer = (segments: (string | number)[]) =>
  segments.map((s) => `/${String(s).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

/**
 * The operations that turn `from` into `to`: objects key by key; arrays element by element
 * when their lengths match, else replaced whole (an env list that grew is one readable op).
 * A change inside a named element (a container, an env var) is preceded by a `test` of that
 * name: the patch says which one it means, and fails rather than edit another one.
 */
export function diffJson(from: unknown, to: unknown, at: (string | number)[] = []): PatchOp[] {
  if (isDeepStrictEqual(from, to)) return [];
  if (isObject(from) && isObject(to))
    return [
      ...Object.keys(from)
        .filter((k) => !(k in to))
        .map((k): PatchOp => ({ op: "remove", path: pointer([...at, k]) })),
      ...Object.keys(to).flatMap((k) =>
        k in from
          ? diffJson(from[k], to[k], [...at, k])
          : [{ op: "add" as const, path: pointer([...at, k]), value: to[k] }],
      ),
    ];
  if (Array.isArray(from) && Array.isArray(to) && from.length === to.length)
    return to.flatMap((v, i) => {
      const ops = diffJson(from[i], v, [...at, i]);
      const name = isObject(v) && isObject(from[i]) && v.name === from[i].name ? v.name : undefined;
      return ops.length && typeof name === "string"
        ? [{ op: "test" as const, path: pointer([...at, i, "name"]), value: name }, ...ops]
        : ops;
    });
  return [{ op: "replace", path: pointer(at), value: to }];
}

/** `ops` applied to a copy of `doc`; throws naming the path that does not exist, as kustomize does. */
export function applyJsonPatch<T>(doc: T, ops: PatchOp[]): T {
  const copy = structuredClone(doc) as unknown as Json;
  for (const op of ops) {
    const segments = op.path
      .split("/")
      .slice(1)
      .map((s) => s.replaceAll("~1", "/").replaceAll("~0", "~"));
    const last = segments.pop();
    if (last === undefined) throw new Error(`${op.op} ${op.path}: the root cannot be patched`);
    let parent: unknown = copy;
    for (const s of segments) {
      parent = Array.isArray(parent) ? parent[Number(s)] : isObject(parent) ? parent[s] : undefined;
      if (parent === undefined) throw new Error(`${op.op} ${op.path}: no such path`);
    }
    if (op.op === "test") {
      const value = Array.isArray(parent)
        ? parent[Number(last)]
        : isObject(parent)
          ? parent[last]
          : undefined;
      if (!isDeepStrictEqual(value, op.value))
        throw new Error(`test ${op.path}: is ${JSON.stringify(value)}, not ${JSON.stringify(op.value)}`);
    } else if (Array.isArray(parent)) {
      const i = Number(last);
      if (!(i in parent) && !(op.op === "add" && i === parent.length))
        throw new Error(`${op.op} ${op.path}: no such index`);
      if (op.op === "remove") parent.splice(i, 1);
      else if (op.op === "add") parent.splice(i, 0, op.value);
      else parent[i] = op.value;
    } else if (isObject(parent)) {
      if (op.op !== "add" && !(last in parent)) throw new Error(`${op.op} ${op.path}: no such key`);
      if (op.op === "remove") delete parent[last];
      else parent[last] = op.value;
    } else throw new Error(`${op.op} ${op.path}: no such path`);
  }
  return copy as T;
}
