// The live half of `npm run bench -- canary`: the same bad canary as the simulator's 10% case,
// on the real example stack (HAProxy edge, real processes) under a steady load of 100 req/s
// through the edge. A release whose api answers 500 to 10% of its requests goes out as a
// canary at 10%; measured: seconds from its first bad response until the rollout took it to
// 0% (the `rollout.rolled-back` event), and the users' failed requests meanwhile.
import { join } from "node:path";
import { editFile, getJson, makeProject, removeProject, slipway } from "../e2e/harness";
import { load } from "./deploy";

export interface LiveCanaryRun {
  /** First bad response → canary at 0% weight. */
  detectS: number;
  /** Requests that failed from the first bad response to the rollback (all the canary's). */
  failed: number;
  /** Failed requests answered by the stable release: must be 0. */
  stableFailed: number;
  requests: number;
}

const STRATEGY = `    local: {
      strategy: {
        kind: "canary",
        steps: [{ weight: 10, holdMinutes: 5, holdRequests: 1000 }, { weight: 100, holdMinutes: 0, holdRequests: 0 }],
      },
    },`;

export async function liveCanary(runs: number): Promise<LiveCanaryRun[]> {
  const dir = makeProject("bench-canary");
  editFile(join(dir, "slipway.config.ts"), (t) => t.replace("    local: {},", STRATEGY));
  const out: LiveCanaryRun[] = [];
  try {
    const up = await slipway(["up", "--detach", "--dir", dir, "--port", "0", "--api-port", "0", "--json"]);
    if (up.code !== 0) throw new Error(up.stderr);
    const started = JSON.parse(up.stdout) as {
      controlPlane: string;
      adminToken: string;
      environment: { url: string };
    };
    const auth = { headers: { authorization: `Bearer ${started.adminToken}` } };
    for (let i = 0; i < runs; i++) {
      editFile(join(dir, "slipway.config.ts"), (t) =>
        t.replace(/GREETING: "[^"]*"/, `GREETING: "bench ${i}", FAULT_5XX_PERCENT: "10"`),
      );
      const l = load(`${started.environment.url}/api/version`, 4, 25);
      const d = await slipway(["deploy", "--dir", dir, "--json"], {
        env: { ...process.env, SLIPWAY_TOKEN: started.adminToken },
      });
      await l.stop();
      if (d.code === 0) throw new Error("the bad canary was not rolled back");
      const { rollout, events } = await getJson<{
        rollout: { id: string; error: { code: string } | null };
        events: { kind: string; at: string }[];
      }>(`${started.controlPlane}/v1/environments/local/rollout`, auth);
      if (rollout.error?.code !== "SLW_CANARY_ROLLED_BACK")
        throw new Error(`rollout ended with ${rollout.error?.code}`);
      const rolledBack = Date.parse(events.find((e) => e.kind === "rollout.rolled-back")!.at);
      const firstBad = l.samples.find((s) => s.error?.startsWith("500"))?.at ?? rolledBack;
      const during = l.samples.filter((s) => s.at >= firstBad && s.at <= rolledBack);
      const failed = during.filter((s) => s.release === null);
      out.push({
        detectS: (rolledBack - firstBad) / 1000,
        failed: failed.length,
        stableFailed: failed.filter((s) => !s.error?.startsWith("500")).length,
        requests: during.length,
      });
      // Back to a healthy spec for the next run (the failed release never went live).
      editFile(join(dir, "slipway.config.ts"), (t) => t.replace(`, FAULT_5XX_PERCENT: "10"`, ""));
    }
  } finally {
    await slipway(["down", "--dir", dir]);
    removeProject(dir);
  }
  return out;
}
