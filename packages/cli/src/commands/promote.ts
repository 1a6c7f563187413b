import { api, target } from "../client";
import { printJson, table } from "../output";
import { finish } from "./ship";

interface Promotion {
  id: string;
  fromEnv: string;
  toEnv: string;
  buildId: string;
  state: string;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  reason: string | null;
}
interface PromotionResult {
  promotion: Promotion;
  rollout?: { id: string };
}

/** Follows the rollout a promotion started to the end, or says who must approve it. */
async function outcome(
  t: ReturnType<typeof target>,
  r: PromotionResult,
  o: { json: boolean },
  began: number,
) {
  const p = r.promotion;
  if (r.rollout) {
    if (!o.json)
      process.stderr.write(
        `promoting build ${p.buildId.slice(0, 12)} to ${p.toEnv} (rollout ${r.rollout.id})\n`,
      );
    return finish(t, r.rollout.id, { env: p.toEnv, json: o.json }, began, {
      promotion: p.id,
      build: p.buildId,
    });
  }
  if (o.json) return printJson(r);
  process.stdout.write(
    `promotion ${p.id} of build ${p.buildId.slice(0, 12)} from ${p.fromEnv} to ${p.toEnv} awaits approval\n` +
      `a user with the approver role runs: slipway approve ${p.id}  (or: slipway reject ${p.id} --reason …)\n`,
  );
}

/** `slipway promote <from> <to>`: the same build, with the target environment's config. */
export async function promote(o: { dir: string; from: string; to: string; release?: number; json: boolean }) {
  const t = target(o.dir);
  const began = Date.now();
  const r = await api<PromotionResult>(t, "POST", "/v1/promotions", {
    from: o.from,
    to: o.to,
    ...(o.release !== undefined ? { release: o.release } : {}),
  });
  await outcome(t, r, o, began);
}

export async function approve(o: { dir: string; id: string; json: boolean }) {
  const t = target(o.dir);
  const began = Date.now();
  const r = await api<PromotionResult>(t, "POST", `/v1/promotions/${encodeURIComponent(o.id)}/approve`, {});
  await outcome(t, r, o, began);
}

export async function reject(o: { dir: string; id: string; reason: string; json: boolean }) {
  const t = target(o.dir);
  const r = await api<PromotionResult>(t, "POST", `/v1/promotions/${encodeURIComponent(o.id)}/reject`, {
    reason: o.reason,
  });
  if (o.json) return printJson(r);
  process.stdout.write(
    `promotion ${r.promotion.id} rejected; build ${r.promotion.buildId.slice(0, 12)} is never promoted again\n`,
  );
}

export async function list(o: { dir: string; json: boolean }) {
  const { promotions } = await api<{ promotions: Promotion[] }>(target(o.dir), "GET", "/v1/promotions");
  if (o.json) return printJson({ promotions });
  const rows = promotions.map((p) => ({
    id: p.id,
    from: p.fromEnv,
    to: p.toEnv,
    build: p.buildId.slice(0, 12),
    state: p.state,
    asked: `${p.requestedBy} ${p.requestedAt}`,
    decided: p.decidedBy ? `${p.decidedBy} ${p.decidedAt}` : null,
  }));
  process.stdout.write(`${table(rows)}\n`);
}

export async function liftHold(o: { dir: string; env: string; json: boolean }) {
  const r = await api(target(o.dir), "DELETE", `/v1/environments/${encodeURIComponent(o.env)}/hold`);
  if (o.json) return printJson(r);
  process.stdout.write(`hold on ${o.env} lifted: auto-deploy deploys it again\n`);
}

export async function autoDeploy(o: {
  dir: string;
  env: string;
  enabled: boolean;
  repo?: string;
  json: boolean;
}) {
  const r = await api<{ branch?: string; repo?: string }>(
    target(o.dir),
    "PUT",
    `/v1/environments/${encodeURIComponent(o.env)}/autodeploy`,
    { enabled: o.enabled, ...(o.repo ? { repo: o.repo } : {}) },
  );
  if (o.json) return printJson(r);
  process.stdout.write(
    o.enabled
      ? `auto-deploy on for ${o.env}: each new commit of ${r.branch} in ${r.repo} deploys here\n`
      : `auto-deploy off for ${o.env}\n`,
  );
}
