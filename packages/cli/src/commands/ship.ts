import { api, target } from "../client";
import { followRollout } from "../follow";
import { printJson } from "../output";

interface Started {
  rollout: { id: string };
}

/** `slipway deploy`: build, release job, start, switch, drain — with progress, then the result. */
export async function deploy(o: { dir: string; env: string; ref?: string; json: boolean }): Promise<void> {
  const t = target(o.dir);
  const began = Date.now();
  const { rollout } = await api<Started>(t, "POST", `/v1/environments/${encodeURIComponent(o.env)}/deploys`, {
    ...(o.ref ? { ref: o.ref } : {}),
  });
  if (!o.json) process.stderr.write(`deploying to ${o.env} (rollout ${rollout.id})\n`);
  await finish(t, rollout.id, o, began);
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
