import { api, target } from "../client";
import { printJson, table } from "../output";

/** One service's numbers in a judgement (the judge's `ArmCounts` of each revision). */
interface ServiceNumbers {
  canary?: {
    requests: number;
    errors: number;
    latency?: { samples: number; overBudget: number; p95Ms?: number };
  };
  stable?: { requests: number; errors: number };
}
interface Judgement {
  at: string;
  step: number;
  weight: number;
  verdict: string;
  action: string;
  reason: string;
  judgement: { services?: Record<string, ServiceNumbers> } | null;
}
interface Timeline {
  rollout: {
    id: string;
    phase: string;
    kind: string;
    error: { code: string; message: string } | null;
    stepState: { weight: number; paused: boolean; frozen: boolean } | null;
  };
  judgements: Judgement[];
  events: { at: string; kind: string; message: string }[];
}

const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(2)}%` : "-");

/** One row per judgement: what each revision served, its errors and slowness, and what was done. */
function rows(t: Timeline) {
  return t.judgements.map((j) => {
    const services = Object.entries(j.judgement?.services ?? {});
    const cell = (f: (s: ServiceNumbers) => string) =>
      services.map(([name, s]) => `${services.length > 1 ? `${name}:` : ""}${f(s)}`).join(" ") || "-";
    return {
      at: j.at.slice(11, 19),
      weight: `${j.weight}%`,
      canary: cell((s) =>
        s.canary ? `${s.canary.requests} req, ${pct(s.canary.errors, s.canary.requests)} 5xx` : "-",
      ),
      stable: cell((s) =>
        s.stable ? `${s.stable.requests} req, ${pct(s.stable.errors, s.stable.requests)} 5xx` : "-",
      ),
      p95: cell((s) => (s.canary?.latency?.p95Ms !== undefined ? `${s.canary.latency.p95Ms} ms` : "-")),
      verdict: j.verdict,
      action: j.action,
      why: j.reason,
    };
  });
}

/** `slipway rollout status`: the rollout's state and its timeline as a table. */
export async function status(o: { dir: string; env: string; id?: string; json: boolean }) {
  const t = target(o.dir);
  const path = o.id
    ? `/v1/rollouts/${encodeURIComponent(o.id)}/timeline`
    : `/v1/environments/${encodeURIComponent(o.env)}/rollout`;
  const timeline = await api<Timeline>(t, "GET", path);
  if (o.json) return printJson(timeline);
  const r = timeline.rollout;
  const s = r.stepState;
  const where = s
    ? `, ${s.weight}% to the new release${s.paused ? ", paused" : ""}${s.frozen ? ", frozen" : ""}`
    : "";
  process.stdout.write(`rollout ${r.id} (${r.kind}): ${r.phase}${where}\n`);
  if (r.error) process.stdout.write(`${r.error.code}: ${r.error.message}\n`);
  // Consecutive holds with the same reason say the same thing: only the latest of each run is shown.
  const shown = rows(timeline).filter((row, i, all) => i === all.length - 1 || row.why !== all[i + 1]!.why);
  process.stdout.write(
    `${table(shown, ["at", "weight", "canary", "stable", "p95", "verdict", "action", "why"])}\n`,
  );
}

/** `slipway rollout pause|resume|promote|abort`. */
export async function command(o: {
  dir: string;
  env: string;
  id?: string;
  command: "pause" | "resume" | "promote" | "abort";
  json: boolean;
}) {
  const t = target(o.dir);
  const path = o.id
    ? `/v1/rollouts/${encodeURIComponent(o.id)}/${o.command}`
    : `/v1/environments/${encodeURIComponent(o.env)}/rollout/${o.command}`;
  const r = await api<{ rollout: { id: string; phase: string } }>(t, "POST", path, {});
  if (o.json) return printJson(r);
  process.stdout.write(
    `${o.command} requested for rollout ${r.rollout.id}; it applies at its next look (see: slipway rollout status)\n`,
  );
}
