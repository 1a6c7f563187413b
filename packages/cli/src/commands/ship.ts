import { isLoopbackHost, treeHashOf } from "@slipway/core";
import { api, target } from "../client";
import { followRollout } from "../follow";
import { printJson } from "../output";
import { packRef } from "../upload/pack-ref";
import { packWorkingTree } from "../upload/pack-working-tree";
import { kb, uploadMissing } from "../upload/upload";

interface Started {
  rollout: { id: string };
}

/**
 * `slipway deploy`: build, release job, start, switch, drain — with progress, then the result.
 * A control plane that is not this machine's (or `--upload`) gets the tree uploaded by
 * content first: it cannot read the CLI's disk, and must not read its own on our say-so.
 */
export async function deploy(o: {
  dir: string;
  env: string;
  ref?: string;
  upload?: boolean;
  json: boolean;
}): Promise<void> {
  const t = target(o.dir);
  const began = Date.now();
  const say = (line: string) => o.json || process.stderr.write(`${line}\n`);
  let body: Record<string, unknown> = o.ref ? { ref: o.ref } : {};
  let upload: Record<string, unknown> = {};
  if (uploads(t.url, o.upload)) {
    const pack = o.ref ? await packRef(o.dir, o.ref) : await packWorkingTree(o.dir);
    const sent = await uploadMissing(t, pack, say);
    say(
      `uploaded ${sent.files} of ${sent.treeFiles} files, ${kb(sent.bytes)} of ${kb(sent.treeBytes)} (${kb(sent.wireBytes)} gzipped)`,
    );
    body = { tree: pack.tree, ...(pack.spec ? { spec: pack.spec } : {}) };
    upload = { upload: { ...sent, tree: treeHashOf(pack.tree), source: pack.source } };
  }
  const path = `/v1/environments/${encodeURIComponent(o.env)}/deploys`;
  const { rollout } = await api<Started>(t, "POST", path, body);
  say(`deploying to ${o.env} (rollout ${rollout.id})`);
  await finish(t, rollout.id, o, began, upload);
}

/**
 * Whether a deploy uploads its tree: asked (`--upload`, SLIPWAY_UPLOAD=1), or the control
 * plane is not on this machine's loopback, so it cannot share the CLI's directory.
 */
function uploads(url: string, asked: boolean | undefined): boolean {
  if (asked || process.env.SLIPWAY_UPLOAD === "1") return true;
  return !isLoopbackHost(new URL(url).hostname);
}

/** `slipway rollback [--to vN]`: a new release from an earlier one's build and config. */
export async function rollback(o: { dir: string; env: string; to?: number; json: boolean }): Promise<void> {
  const t = target(o.dir);
  const began = Date.now();
  const { rollout } = await api<Started>(
    t,
    "POST",
    `/v1/environments/${encodeURIComponent(o.env)}/rollbacks`,
    {
      ...(o.to !== undefined ? { to: o.to } : {}),
    },
  );
  if (!o.json) process.stderr.write(`rolling back ${o.env} (rollout ${rollout.id})\n`);
  await finish(t, rollout.id, o, began);
}

export async function finish(
  t: ReturnType<typeof target>,
  id: string,
  o: { env: string; json: boolean },
  began: number,
  extra: Record<string, unknown> = {},
) {
  const done = await followRollout(t, id, { quiet: o.json });
  const { releases } = await api<{ releases: { id: string; number: number }[] }>(
    t,
    "GET",
    `/v1/environments/${encodeURIComponent(o.env)}/releases`,
  );
  const seconds = (Date.now() - began) / 1000;
  const view = await api<{ rollout: { toReleaseId: string } }>(t, "GET", `/v1/rollouts/${id}`);
  const release = releases.find((r) => r.id === view.rollout.toReleaseId)?.number;
  if (o.json) return printJson({ rollout: done.id, release, seconds, ...extra });
  process.stdout.write(`v${release} is live in ${o.env} (${seconds.toFixed(1)} s)\n`);
}
